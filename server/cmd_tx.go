package server

import (
	"sync"
	"sync/atomic"

	"github.com/kioku-db/kioku/store"
)

// Transactions: MULTI, EXEC, DISCARD, WATCH, UNWATCH (Redis's multi.c).
//
// While a client is in MULTI, execute queues its commands (copying their
// arguments: the request buffer is reused). EXEC runs the queue holding the
// whole keyspace, so no other client sees part of a transaction. WATCH
// registers the client on keys; any write to one of them (by anyone,
// including expiry and FLUSHALL) marks the client dirty and its EXEC
// answers a null array.
func init() {
	register([]binding{
		{"multi", cmdMulti, lockNone},
		{"exec", cmdExec, lockNone},
		{"discard", cmdDiscard, lockNone},
		{"watch", cmdWatch, lockKeys},
		{"unwatch", cmdUnwatch, lockNone},
	})
}

const (
	errExecAbort      = "EXECABORT Transaction discarded because of previous errors."
	errNestedMulti    = "ERR MULTI calls can not be nested"
	errExecNoMulti    = "ERR EXEC without MULTI"
	errDiscardNoMulti = "ERR DISCARD without MULTI"
	errWatchInMulti   = "ERR WATCH inside MULTI is not allowed"
	errNotInMulti     = "ERR Command not allowed inside a transaction"
)

// txState is a client's MULTI state.
type txState struct {
	active  bool
	aborted bool // a command was rejected while queuing: EXEC will abort
	queue   []queuedCommand
	// writes: a queued command may change data, so CLIENT PAUSE WRITE
	// holds the EXEC (Redis's mstate.cmd_flags).
	writes bool
	// What CLIENT LIST shows to other clients: shownQueued is 1 + the
	// number of queued commands in MULTI, 0 outside (so multi= is it
	// minus one, Redis's -1 outside MULTI); shownMem is multi-mem=.
	shownQueued atomic.Int64
	shownMem    atomic.Int64
}

// multiCmdSize is what Redis counts per queued command in multi-mem
// (sizeof(multiCmd)) besides its arguments.
const multiCmdSize = 24

type queuedCommand struct {
	cmd  *Command
	args [][]byte
}

// txControl are the commands that run at once inside MULTI.
func txControl(cmd *Command) bool {
	switch cmd.Name {
	case "exec", "discard", "multi", "watch", "quit", "reset":
		return true
	}
	return false
}

// queue adds a command to the transaction.
func (t *txState) enqueue(cmd *Command, args [][]byte) {
	cp := make([][]byte, len(args))
	for i, a := range args {
		cp[i] = append([]byte(nil), a...)
	}
	t.queue = append(t.queue, queuedCommand{cmd, cp})
	t.writes = t.writes || cmd.has(flagWrite|flagMayReplicate)
	t.shownQueued.Add(1)
	t.shownMem.Add(int64(argsSize(args)) + multiCmdSize)
}

func argsSize(args [][]byte) int {
	n := 0
	for _, a := range args {
		n += len(a)
	}
	return n
}

func (t *txState) reset() {
	t.active, t.aborted, t.queue, t.writes = false, false, nil, false
	t.shownQueued.Store(0)
	t.shownMem.Store(0)
}

// start enters MULTI.
func (t *txState) start() {
	t.active = true
	t.shownQueued.Store(1)
}

func cmdMulti(c *Client, args [][]byte) {
	if c.tx.active {
		c.w.Error(errNestedMulti)
		return
	}
	c.tx.start()
	c.w.OK()
}

func cmdDiscard(c *Client, args [][]byte) {
	if !c.tx.active {
		c.w.Error(errDiscardNoMulti)
		return
	}
	c.tx.reset()
	c.srv.watches.unwatchAll(c)
	c.w.OK()
}

func cmdExec(c *Client, args [][]byte) {
	if !c.tx.active {
		c.w.Error(errExecNoMulti)
		return
	}
	queue, aborted := c.tx.queue, c.tx.aborted
	// The transaction shows in CLIENT LIST until it has run, as in Redis.
	shownQueued, shownMem := c.tx.shownQueued.Load(), c.tx.shownMem.Load()
	c.tx.reset()
	c.tx.shownQueued.Store(shownQueued)
	c.tx.shownMem.Store(shownMem)
	defer c.tx.reset()
	defer c.srv.watches.unwatchAll(c)
	if aborted {
		c.w.Error(errExecAbort)
		return
	}
	c.locks.All(c.srv.store)
	if c.srv.watches.dirty(c, c.now) {
		c.w.NullArray()
		return
	}
	c.w.Array(len(queue))
	c.noBlock = true
	defer func() { c.noBlock = false }()
	for _, q := range queue {
		c.srv.callHeld(c, q.cmd, q.args)
	}
}

func cmdWatch(c *Client, args [][]byte) {
	if c.tx.active {
		c.w.Error(errWatchInMulti)
		return
	}
	for _, k := range args[1:] {
		c.srv.watches.watch(c, c.db, k, c.now)
	}
	c.w.OK()
}

func cmdUnwatch(c *Client, args [][]byte) {
	c.srv.watches.unwatchAll(c)
	c.w.OK()
}

// watchRegistry maps watched keys to the clients watching them.
type watchRegistry struct {
	mu    sync.Mutex
	byKey map[blockKey]map[*Client]struct{}
	count atomic.Int64 // watched keys; writes skip the registry at 0
}

// watchedKey is one key a client watches.
type watchedKey struct {
	key blockKey
	// expireAt is the key's deadline when it was watched: a key that was
	// alive then and has expired by EXEC counts as modified, as in Redis.
	expireAt int64
}

func (r *watchRegistry) watch(c *Client, db *store.DB, key []byte, now int64) {
	k := blockKey{db.ID, string(key)}
	for _, w := range c.watched {
		if w.key == k {
			return
		}
	}
	var expireAt int64
	if e := db.Lookup(key, now); e != nil {
		expireAt = e.Expire
	}
	c.watched = append(c.watched, watchedKey{k, expireAt})
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.byKey == nil {
		r.byKey = map[blockKey]map[*Client]struct{}{}
	}
	set := r.byKey[k]
	if set == nil {
		set = map[*Client]struct{}{}
		r.byKey[k] = set
		r.count.Add(1)
	}
	set[c] = struct{}{}
}

// unwatchAll forgets every key c watches and clears its dirty flag.
func (r *watchRegistry) unwatchAll(c *Client) {
	if len(c.watched) > 0 {
		r.mu.Lock()
		for _, w := range c.watched {
			set := r.byKey[w.key]
			delete(set, c)
			if len(set) == 0 {
				delete(r.byKey, w.key)
				r.count.Add(-1)
			}
		}
		r.mu.Unlock()
		c.watched = c.watched[:0]
	}
	c.watchDirty.Store(false)
}

// touched marks the clients watching key dirty.
func (r *watchRegistry) touched(db *store.DB, key string) {
	if r.count.Load() == 0 {
		return
	}
	r.mu.Lock()
	for c := range r.byKey[blockKey{db.ID, key}] {
		c.watchDirty.Store(true)
	}
	r.mu.Unlock()
}

// dirty reports whether a watched key changed (or expired) since WATCH.
func (r *watchRegistry) dirty(c *Client, now int64) bool {
	if c.watchDirty.Load() {
		return true
	}
	for _, w := range c.watched {
		if w.expireAt != 0 && w.expireAt <= now {
			return true
		}
	}
	return false
}
