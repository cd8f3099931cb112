package server

import (
	"errors"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kioku-db/kioku/store"
)

// Blocking commands (BLPOP, BLMOVE, BZPOPMIN, XREAD BLOCK, ...), with
// Redis's semantics:
//   - a client blocked on keys holds no lock;
//   - when a write touches a key someone waits on, the key is marked ready,
//     and once the writing command (or transaction, or script) has finished
//     and released its locks, the waiters are served first-come
//     first-served, each under the locks of its own keys; one push of N
//     elements can serve several clients;
//   - a waiter whose client disconnected or was killed is removed before it
//     can be served, so it never consumes an element.
//
// A handler that finds nothing calls c.block with a serve function that
// retries the command against the keyspace. serve runs on the goroutine of
// the client that made the key ready, with the blocked client's locks
// struct and reply buffer (the blocked goroutine is parked meanwhile), and
// reports whether it answered.

// serveFunc tries to answer a blocked client; it runs with the shards of
// the waiter's keys locked and returns true when it wrote the reply.
type serveFunc func(c *Client) bool

type waitState uint8

const (
	waiting  waitState = iota
	claimed            // a server goroutine is running serve
	finished           // done is closed; result says how
)

// waitResult is how a block ended.
type waitResult uint8

const (
	resultServed waitResult = iota
	resultTimeout
	resultGone
	resultUnblockTimeout
	resultUnblockError
)

type waiter struct {
	c     *Client
	db    *store.DB
	keys  []string
	serve serveFunc
	done  chan struct{}

	// Guarded by blockRegistry.mu.
	state  waitState
	result waitResult
	cancel waitResult // requested while claimed; resultServed means none
}

type blockRegistry struct {
	mu       sync.Mutex
	byKey    map[blockKey][]*waiter
	ready    []blockKey
	readySet map[blockKey]bool
	count    atomic.Int64 // waiting clients; writes skip the registry at 0
	pending  atomic.Bool  // some keys are ready to be served
}

type blockKey struct {
	db  int
	key string
}

// keyModified is the store's Modified hook: a write to a key marks the
// clients WATCHing it dirty, and marks it ready when some client waits on it.
func (s *Server) keyModified(db *store.DB, key string) {
	s.watches.touched(db, key)
	b := &s.blocking
	if b.count.Load() == 0 {
		return
	}
	k := blockKey{db.ID, key}
	b.mu.Lock()
	if len(b.byKey[k]) > 0 && !b.readySet[k] {
		b.readySet[k] = true
		b.ready = append(b.ready, k)
		b.pending.Store(true)
	}
	b.mu.Unlock()
}

// errUnblocked is the error CLIENT UNBLOCK ... ERROR gives the client.
const errUnblocked = "UNBLOCKED client unblocked via CLIENT UNBLOCK"

// block parks c until serve answers it, timeout passes (0 = forever),
// CLIENT UNBLOCK releases it or the client goes away. onTimeout writes the
// timeout reply. The handler calls it with its locks held; block releases
// them first. Inside MULTI or a script, handlers must not call block: they
// answer as their non-blocking form.
func (c *Client) block(keys [][]byte, timeout time.Duration, serve serveFunc, onTimeout func(c *Client)) {
	s := c.srv
	w := &waiter{c: c, db: c.db, serve: serve, done: make(chan struct{})}
	for _, k := range keys {
		w.keys = append(w.keys, string(k))
	}
	s.blocking.add(w)
	c.waiter.Store(w)
	c.blocked.Store(true)
	if c.locks.Held() {
		c.locks.Release()
	}
	// The handler's own command may have made keys ready before it
	// blocked (BLMOVE's source and destination are the same list).
	s.serveReadyKeys()

	var timer <-chan time.Time
	if timeout > 0 {
		t := time.NewTimer(timeout)
		defer t.Stop()
		timer = t.C
	}
	gone, stopWatch := c.watchDisconnect()
	select {
	case <-w.done:
	case <-timer:
		s.blocking.cancel(w, resultTimeout)
		<-w.done
	case <-gone:
		s.blocking.cancel(w, resultGone)
		<-w.done
	}
	stopWatch()
	c.waiter.Store(nil)
	c.blocked.Store(false)
	switch w.result {
	case resultTimeout, resultUnblockTimeout:
		onTimeout(c)
	case resultUnblockError:
		c.w.Error(errUnblocked)
	case resultGone:
		c.closeAfterReply = true
	}
}

// watchDisconnect keeps reading from the connection while the client is
// blocked, so a disconnect is noticed at once. Bytes that arrive (pipelined
// commands) stay in the reader's buffer for after the block. stop ends the
// watch and waits for it.
func (c *Client) watchDisconnect() (gone <-chan struct{}, stop func()) {
	goneCh := make(chan struct{})
	exited := make(chan struct{})
	go func() {
		defer close(exited)
		for {
			err := c.rd.ReadMore()
			if err == nil {
				continue
			}
			if !errors.Is(err, os.ErrDeadlineExceeded) {
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

func (b *blockRegistry) add(w *waiter) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.byKey == nil {
		b.byKey = map[blockKey][]*waiter{}
		b.readySet = map[blockKey]bool{}
	}
	b.linkLocked(w, false)
}

// cancel ends a wait for the client's own reason (timeout, disconnect)
// or CLIENT UNBLOCK's. A claimed waiter is left to the goroutine serving
// it, which honours the cancel if serving fails. It reports whether the
// waiter was still blocked.
func (b *blockRegistry) cancel(w *waiter, why waitResult) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch w.state {
	case waiting:
		b.unlinkLocked(w)
		b.finishLocked(w, why)
		return true
	case claimed:
		w.cancel = why
		return true
	}
	return false
}

func (b *blockRegistry) finishLocked(w *waiter, result waitResult) {
	w.state, w.result = finished, result
	close(w.done)
}

func (b *blockRegistry) linkLocked(w *waiter, front bool) {
	for _, k := range w.keys {
		bk := blockKey{w.db.ID, k}
		if front {
			b.byKey[bk] = append([]*waiter{w}, b.byKey[bk]...)
		} else {
			b.byKey[bk] = append(b.byKey[bk], w)
		}
	}
	b.count.Add(1)
}

func (b *blockRegistry) unlinkLocked(w *waiter) {
	for _, k := range w.keys {
		bk := blockKey{w.db.ID, k}
		q := b.byKey[bk]
		for i, x := range q {
			if x == w {
				q = append(q[:i:i], q[i+1:]...)
				break
			}
		}
		if len(q) == 0 {
			delete(b.byKey, bk)
		} else {
			b.byKey[bk] = q
		}
	}
	b.count.Add(-1)
}

// serveReadyKeys serves the clients blocked on keys that became ready, in
// the order the keys became ready and, per key, in the order the clients
// blocked. Serving one client may make more keys ready (BLMOVE pushes);
// the loop runs until nothing is ready.
func (s *Server) serveReadyKeys() {
	b := &s.blocking
	for b.pending.Load() {
		b.mu.Lock()
		ready := b.ready
		b.ready = nil
		clear(b.readySet)
		b.pending.Store(false)
		b.mu.Unlock()
		for _, k := range ready {
			s.serveKey(k)
		}
	}
}

// serveKey offers key to its waiters in order, until one cannot be served
// (nothing is left for the rest) or none remain.
func (s *Server) serveKey(k blockKey) {
	b := &s.blocking
	for {
		b.mu.Lock()
		q := b.byKey[k]
		if len(q) == 0 {
			b.mu.Unlock()
			return
		}
		w := q[0]
		w.state = claimed
		b.unlinkLocked(w)
		b.mu.Unlock()

		ok := s.serveWaiter(w)

		b.mu.Lock()
		switch {
		case ok:
			b.finishLocked(w, resultServed)
		case w.cancel != resultServed:
			b.finishLocked(w, w.cancel)
		default:
			// Not servable (the key is empty again, or now of another
			// type): the client keeps its place at the head of its queues.
			w.state = waiting
			b.linkLocked(w, true)
		}
		b.mu.Unlock()
		if !ok {
			return
		}
	}
}

// serveWaiter runs w's serve function under the locks of w's keys, as the
// command would have run had it found data.
func (s *Server) serveWaiter(w *waiter) bool {
	c := w.c
	keys := make([][]byte, len(w.keys))
	for i, k := range w.keys {
		keys[i] = []byte(k)
	}
	c.now = s.clock.NowMs()
	c.locks.Keys(s.store, w.db, keys)
	defer c.locks.Release()
	return w.serve(c)
}

// unblock implements CLIENT UNBLOCK for c: it reports whether c was
// blocked.
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
