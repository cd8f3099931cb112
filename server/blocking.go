package server

import (
	"errors"
	"fmt"
	"os"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kioku-db/kioku/store"
)

// Blocking commands (BLPOP, BLMOVE, BZPOPMIN, XREAD BLOCK, ...), with
// Redis's semantics:
//   - a client blocked on keys holds no lock;
//   - when a write touches a key someone waits on, the key is marked ready;
//     once the writing command (or transaction, or script) has finished and
//     released its locks, the waiters are served: ready keys in the order
//     they became ready, and for each key its waiters in the order they
//     blocked, each offered that key (BLPOP a b served because b became
//     ready pops b, as in Redis); one push of N elements serves several
//     clients;
//   - the writer does not get its reply before the keys it made ready have
//     been served, so its next command sees what Redis would show;
//   - one goroutine at a time serves (Redis does it on its one thread):
//     per key, FIFO order cannot be broken by two servers racing, and a
//     waiter is never offered two keys at once. The writers of ready keys
//     take turns at it; a writer whose keys are done hands the work over to
//     another waiting writer rather than serving a stream of others' keys;
//   - a waiter whose client disconnected, was killed, timed out or was
//     unblocked is never served afterwards: serve functions call
//     beginServe before they touch data, which refuses a cancelled wait,
//     so no element is given to a dead client.
//
// A handler that finds nothing calls c.block with a serve function that
// answers the command from the key that became ready. serve runs on the
// serving goroutine, with the waiter's keys locked, with the blocked
// client's reply buffer (its goroutine is parked meanwhile). It must not
// use the command's arguments: the connection reader reuses its buffer
// while the client is blocked, so copy what serve needs.

// serveFunc tries to answer a blocked client from key, which became ready.
// It runs with the shards of the waiter's keys locked. When it can answer
// it calls c.beginServe and, if that agrees, writes the reply and returns
// true; otherwise it returns false having changed nothing.
type serveFunc func(c *Client, key []byte) bool

type waitState uint8

const (
	waiting   waitState = iota
	claimed             // the serving goroutine is running serve
	committed           // serve passed beginServe: the client will be answered
	finished            // done is closed; result says how
)

// waitResult is how a block ended.
type waitResult uint8

const (
	resultNone waitResult = iota
	resultServed
	resultTimeout
	resultGone
	resultUnblockTimeout
	resultUnblockError
)

// waitKind separates waiters by the type they wait for. A key of one type
// can only serve its own kind, so when a serve fails for lack of data the
// remaining waiters of that kind are skipped, not those of another.
type waitKind uint8

const (
	kindList waitKind = iota
	kindZSet
	kindStream
	kindOther
	numWaitKinds
)

type waiter struct {
	c        *Client
	db       *store.DB
	keys     []string // watched keys, without duplicates, in argument order
	lockKeys [][]byte // what serve locks: the watched keys and alsoLock
	kind     waitKind
	serve    serveFunc
	done     chan struct{}
	links    []*waitLink // one per watched key

	// Guarded by blockRegistry.mu.
	state   waitState
	result  waitResult
	cancel  waitResult // requested while claimed
	refused bool       // beginServe said no
}

// waitLink is a waiter's place in the queue of one key: an intrusive
// doubly linked list, so cancelling is O(1) per key.
type waitLink struct {
	w          *waiter
	q          *keyQueue
	kind       waitKind
	prev, next *waitLink
}

// keyQueue holds the clients blocked on one key, per kind in FIFO order.
type keyQueue struct {
	key        blockKey
	keyBytes   []byte
	head, tail [numWaitKinds]*waitLink
	n          int
	queued     bool   // in the ready list
	seq        uint64 // ready sequence number while queued
}

type blockKey struct {
	db  int
	key string
}

type blockRegistry struct {
	mu     sync.Mutex
	cond   *sync.Cond // progress in serving, or the serving turn released
	queues map[blockKey]*keyQueue
	ready  []*keyQueue

	// readySeq numbers keys as they become ready; doneSeq is the highest
	// number whose key has been served.
	readySeq, doneSeq uint64
	serving           bool      // some goroutine has the serving turn
	current           *keyQueue // the key being served
	idle              int       // goroutines waiting for serving to progress
	// locks is what the serving goroutine holds while it runs a serve.
	locks store.Locks

	count   atomic.Int64 // linked waiters; writes skip the registry at 0
	pending atomic.Bool  // keys are ready or being served
}

func (b *blockRegistry) initLocked() {
	if b.queues == nil {
		b.queues = map[blockKey]*keyQueue{}
		b.cond = sync.NewCond(&b.mu)
	}
}

// keyModified is the store's Modified hook: a write to a key some client
// waits on marks the key ready.
func (s *Server) keyModified(db *store.DB, key string) {
	b := &s.blocking
	if b.count.Load() == 0 {
		return
	}
	b.mu.Lock()
	if q := b.queues[blockKey{db.ID, key}]; q != nil && q.n > 0 {
		b.markReadyLocked(q)
	}
	b.mu.Unlock()
}

// markReadyLocked queues q for serving. A key modified while it is being
// served is queued again, so a change the serving goroutine did not see
// is looked at once more.
func (b *blockRegistry) markReadyLocked(q *keyQueue) {
	if q.queued {
		return
	}
	q.queued = true
	b.readySeq++
	q.seq = b.readySeq
	b.ready = append(b.ready, q)
	b.pending.Store(true)
}

// errUnblocked is the error CLIENT UNBLOCK ... ERROR gives the client.
const errUnblocked = "UNBLOCKED client unblocked via CLIENT UNBLOCK"

// blockSpec describes a wait.
type blockSpec struct {
	keys [][]byte // keys to wait on
	// alsoLock are keys serve writes without waiting on them (BLMOVE's
	// destination).
	alsoLock  [][]byte
	timeout   time.Duration // 0 waits forever
	serve     serveFunc
	onTimeout func(c *Client) // writes the timeout reply
	// behind is set by a handler that found data on a key other clients
	// are being handed right now: it waits its turn behind them rather than
	// overtaking them, and is served at once if something is left.
	behind bool
}

// block parks c until serve answers it, timeout passes (0 = forever),
// CLIENT UNBLOCK releases it or the client goes away. onTimeout writes the
// timeout reply. The handler calls it with its locks held; block releases
// them first. Inside MULTI or a script (c.noBlock), handlers must not call
// block: they answer as their non-blocking form.
func (c *Client) block(keys [][]byte, timeout time.Duration, serve serveFunc, onTimeout func(c *Client)) {
	c.blockOn(blockSpec{keys: keys, timeout: timeout, serve: serve, onTimeout: onTimeout})
}

// blockOn is block with every option.
func (c *Client) blockOn(spec blockSpec) {
	s := c.srv
	start := time.Now()
	w := c.newWaiter(spec)
	c.waiter.Store(w)
	if c.prop.depth > 0 {
		s.propBlocked(c) // its serve propagates it (propagate.go)
	}
	s.blocking.add(w, spec.behind)
	c.blocked.Store(true)
	if c.locks.Held() {
		c.locks.Release()
	}
	if spec.behind {
		s.serveReadyKeys()
	}
	c.awaitWait(w, spec.timeout-time.Since(start), spec.timeout > 0)
	c.waiter.Store(nil)
	c.blocked.Store(false)
	switch w.result {
	case resultTimeout, resultUnblockTimeout:
		spec.onTimeout(c)
	case resultUnblockError:
		c.w.Error(errUnblocked)
	case resultGone:
		c.closeAfterReply = true
	}
}

func (c *Client) newWaiter(spec blockSpec) *waiter {
	w := &waiter{c: c, db: c.db, serve: spec.serve, done: make(chan struct{}), kind: kindOf(c.cmd)}
	seen := make(map[string]bool, len(spec.keys))
	for _, k := range spec.keys {
		if !seen[string(k)] {
			seen[string(k)] = true
			w.keys = append(w.keys, string(k))
			w.lockKeys = append(w.lockKeys, []byte(string(k)))
		}
	}
	for _, k := range spec.alsoLock {
		w.lockKeys = append(w.lockKeys, []byte(string(k)))
	}
	return w
}

// kindOf tells which type a blocking command waits for, from its ACL
// categories.
func kindOf(cmd *Command) waitKind {
	if cmd == nil {
		return kindOther
	}
	for _, cat := range cmd.Spec.ACLCategories {
		switch cat {
		case "@list":
			return kindList
		case "@sortedset":
			return kindZSet
		case "@stream":
			return kindStream
		}
	}
	return kindOther
}

// awaitWait waits until w is finished: served, or cancelled by a timeout,
// a disconnect, CLIENT UNBLOCK or CLIENT KILL.
func (c *Client) awaitWait(w *waiter, left time.Duration, hasTimeout bool) {
	b := &c.srv.blocking
	var timer <-chan time.Time
	if hasTimeout {
		t := time.NewTimer(max(left, 0))
		defer t.Stop()
		timer = t.C
	}
	gone, stopWatch := c.watchDisconnect()
	defer stopWatch()
	select {
	case <-w.done:
	case <-timer:
		b.cancel(w, resultTimeout)
		<-w.done
	case <-gone:
		b.cancel(w, resultGone)
		<-w.done
	}
}

// watchDisconnect keeps reading from the connection while the client is
// blocked, so a disconnect is noticed at once. Bytes that arrive (pipelined
// commands) stay in the reader's buffer for after the block, up to the
// query buffer limit, past which Redis drops the client too. stop ends the
// watch and waits for it.
func (c *Client) watchDisconnect() (gone <-chan struct{}, stop func()) {
	goneCh := make(chan struct{})
	exited := make(chan struct{})
	limit := int(c.srv.cfg.Int("client-query-buffer-limit"))
	go func() {
		defer close(exited)
		for {
			err := c.rd.ReadMore()
			if err == nil && c.rd.Buffered() <= limit {
				continue
			}
			if err == nil || !errors.Is(err, os.ErrDeadlineExceeded) {
				close(goneCh)
			}
			return
		}
	}()
	return goneCh, func() {
		// A past deadline interrupts the pending read; then clear it.
		_ = c.conn.SetReadDeadline(time.Unix(1, 0))
		<-exited
		_ = c.conn.SetReadDeadline(time.Time{})
	}
}

// beginServe is called by a serve function that is about to answer: it
// reports whether the client may still be answered. Once it has said yes,
// the wait can no longer be cancelled; when it says no (the client timed
// out, was unblocked or killed, or disconnected), serve must return false
// without touching anything.
func (c *Client) beginServe() bool {
	w := c.waiter.Load()
	if w == nil {
		return true
	}
	b := &c.srv.blocking
	b.mu.Lock()
	defer b.mu.Unlock()
	if w.cancel != resultNone || c.closed.Load() {
		w.refused = true
		return false
	}
	w.state = committed
	return true
}

// add links w at the tail of its keys' queues. With behind, its keys are
// marked ready so that it is served in turn.
func (b *blockRegistry) add(w *waiter, behind bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.initLocked()
	for _, k := range w.keys {
		bk := blockKey{w.db.ID, k}
		q := b.queues[bk]
		if q == nil {
			q = &keyQueue{key: bk, keyBytes: []byte(k)}
			b.queues[bk] = q
		}
		l := &waitLink{w: w, q: q, kind: w.kind, prev: q.tail[w.kind]}
		if q.tail[w.kind] != nil {
			q.tail[w.kind].next = l
		} else {
			q.head[w.kind] = l
		}
		q.tail[w.kind] = l
		q.n++
		w.links = append(w.links, l)
		if behind {
			b.markReadyLocked(q)
		}
	}
	b.count.Add(1)
}

// handoffPending reports whether any of keys (in db) has clients about to
// be served from it: a handler that finds data there must queue behind
// them (blockSpec.behind) instead of taking it.
func (b *blockRegistry) handoffPending(db *store.DB, keys [][]byte) bool {
	if b.count.Load() == 0 {
		return false
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, k := range keys {
		q := b.queues[blockKey{db.ID, string(k)}]
		if q != nil && q.n > 0 && (q.queued || q == b.current) {
			return true
		}
	}
	return false
}

// cancel ends a wait for the client's own reason (timeout, disconnect) or
// CLIENT UNBLOCK's / CLIENT KILL's. A waiter being served is left to the
// serving goroutine, whose beginServe then refuses. It reports whether
// the wait ends because of this call (false: the client was answered, or
// its wait had already ended).
func (b *blockRegistry) cancel(w *waiter, why waitResult) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch w.state {
	case waiting:
		b.unlinkLocked(w)
		b.finishLocked(w, why)
		return true
	case claimed:
		if w.cancel == resultNone {
			w.cancel = why
		}
		return true
	}
	return false
}

func (b *blockRegistry) finishLocked(w *waiter, result waitResult) {
	w.state, w.result = finished, result
	close(w.done)
}

func (b *blockRegistry) unlinkLocked(w *waiter) {
	for _, l := range w.links {
		q := l.q
		if l.prev != nil {
			l.prev.next = l.next
		} else {
			q.head[l.kind] = l.next
		}
		if l.next != nil {
			l.next.prev = l.prev
		} else {
			q.tail[l.kind] = l.prev
		}
		l.prev, l.next = nil, nil
		q.n--
		b.dropIfUnusedLocked(q)
	}
	w.links = nil
	b.count.Add(-1)
}

func (b *blockRegistry) dropIfUnusedLocked(q *keyQueue) {
	if q.n == 0 && !q.queued && q != b.current {
		delete(b.queues, q.key)
	}
}

// serveReadyKeys serves the clients blocked on keys that became ready and
// returns once every key that was ready when it was called has been
// served, serving them itself when no other goroutine is. Call it with no
// keyspace lock held.
func (s *Server) serveReadyKeys() {
	b := &s.blocking
	if !b.pending.Load() {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	target := b.readySeq
	for {
		if !b.serving && len(b.ready) > 0 {
			// Take the turn even when our own keys are done: whoever handed
			// it over counts on a waiting goroutine to go on.
			b.serving = true
			s.serveReadyLocked(target)
			b.serving = false
			if len(b.ready) == 0 {
				b.pending.Store(false)
			}
			b.cond.Broadcast()
			return // our keys are done; what is left, a waiting goroutine takes
		}
		if b.doneSeq >= target || !b.serving {
			return
		}
		b.idle++
		b.cond.Wait()
		b.idle--
	}
}

// serveReadyLocked serves ready keys in order until none is left, or until
// this caller's own keys are done and another goroutine waits to take over
// (so one writer does not serve everybody's keys for ever). Either way the
// keys up to target are done when it returns.
func (s *Server) serveReadyLocked(target uint64) {
	b := &s.blocking
	for len(b.ready) > 0 {
		if b.doneSeq >= target && b.idle > 0 {
			return
		}
		q := b.ready[0]
		b.ready[0] = nil
		b.ready = b.ready[1:]
		q.queued = false
		seq := q.seq
		b.current = q
		s.serveQueueLocked(q)
		b.current = nil
		b.doneSeq = seq
		b.dropIfUnusedLocked(q)
		b.cond.Broadcast()
	}
}

// serveQueueLocked offers q's key to its waiters, kind by kind in FIFO
// order, until one cannot be served (nothing is left for the others of
// its kind) or none remain. Stream readers are all offered the key: they
// do not consume what they read, and each reads from its own position (an
// ID, or its group's), so one that finds nothing says nothing of the
// next. b.mu is released while a serve runs.
func (s *Server) serveQueueLocked(q *keyQueue) {
	b := &s.blocking
	for kind := range numWaitKinds {
		for l := q.head[kind]; l != nil; {
			w := l.w
			w.state = claimed
			b.mu.Unlock()
			answered := s.tryServe(w, q.keyBytes)
			b.mu.Lock()
			next := l.next // l stays linked until settled
			switch {
			case kind == kindStream:
				b.settleLocked(w, answered)
				l = next
			case b.settleLocked(w, answered):
				l = q.head[kind]
			default:
				l = nil
			}
		}
	}
}

// settleLocked records the outcome of a serve attempt and reports whether
// the key may still have something for the next waiter of the same kind.
func (b *blockRegistry) settleLocked(w *waiter, answered bool) bool {
	switch {
	case answered || w.state == committed:
		b.unlinkLocked(w)
		b.finishLocked(w, resultServed)
		return true
	case w.cancel != resultNone:
		b.unlinkLocked(w)
		b.finishLocked(w, w.cancel)
		return w.refused
	case w.refused || w.c.closed.Load():
		// A client being killed: end its wait now rather than offer it the
		// key again; the data, if any, goes to the next waiter.
		b.unlinkLocked(w)
		b.finishLocked(w, resultGone)
		return true
	default:
		w.state = waiting // keeps its place in every queue
		return false
	}
}

// tryServe runs w's serve function under the locks of w's keys, as the
// command would have run had it found data. A panic is answered as an
// error, as a handler's would be.
func (s *Server) tryServe(w *waiter, key []byte) (answered bool) {
	c := w.c
	if c.closed.Load() {
		return false
	}
	b := &s.blocking
	b.locks.Keys(s.store, w.db, w.lockKeys)
	defer b.locks.Release()
	defer func() {
		if r := recover(); r != nil {
			s.logf("panic serving a blocked client: %v\n%s", r, debug.Stack())
			c.w.Error(fmt.Sprintf("ERR internal error in '%s' command", c.cmd.Name))
			answered = true
		}
	}()
	c.now = s.clock.NowMs()
	if s.aof.on.Load() {
		return s.serveAndPropagate(w, key) // propagate.go
	}
	return w.serve(c, key)
}

// unblock implements CLIENT UNBLOCK for c: it reports whether c was
// blocked and is now released.
func (c *Client) unblock(withError bool) bool {
	w := c.waiter.Load()
	if w == nil {
		return false
	}
	why := resultUnblockTimeout
	if withError {
		why = resultUnblockError
	}
	return c.srv.blocking.cancel(w, why)
}
