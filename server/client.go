package server

import (
	"errors"
	"net"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kioku-db/kioku/resp"
	"github.com/kioku-db/kioku/store"
)

// Client is one connection. Its goroutine reads a request, runs it and
// appends the reply to w; replies are flushed when no further complete
// request is buffered, so a pipeline costs one write.
type Client struct {
	srv   *Server
	id    int64
	conn  net.Conn
	rd    *resp.Reader
	w     *resp.Writer
	locks store.Locks
	// prop is the AOF propagation of the running command (propagate.go).
	prop propState
	// keyBuf is reused to collect a command's keys for locking.
	keyBuf [][]byte

	db     *store.DB
	authed bool
	// user is the authenticated user's name (nil: "default"); other
	// connections read it for CLIENT LIST and CLIENT KILL USER.
	user atomic.Pointer[string]
	// shownDB is db's number for other connections (CLIENT LIST).
	shownDB atomic.Int32

	// now is the time of the running command in unix ms: a command (or a
	// transaction, or a script) sees one time.
	now int64
	cmd *Command // the running command
	// notifiedExplicitly: the running command fired its keyspace events
	// itself, in place of its declared one (notify.go).
	notifiedExplicitly bool

	addr, laddr string
	createdAt   time.Time

	// Fields other clients read (CLIENT LIST / INFO / KILL).
	mu              sync.Mutex
	name            string
	libName, libVer string
	lastCmd         atomic.Pointer[Command]

	lastInteraction atomic.Int64           // unix seconds
	waiter          atomic.Pointer[waiter] // set while blocked
	// noBlock is set while running inside EXEC or a script, where a
	// blocking command answers at once as its non-blocking form.
	noBlock bool
	// tx is the MULTI state; watched the keys WATCHed, and watchDirty set
	// by any write to one of them.
	tx              txState
	watched         []watchedKey
	watchDirty      atomic.Bool
	closed          atomic.Bool
	blocked         atomic.Bool
	closeAfterReply bool
	// replyOff and skipNextReply are CLIENT REPLY OFF and SKIP.
	replyOff      bool
	skipNextReply bool

	// push carries all the client's output once it has subscribed, so
	// that messages from publishers and its own replies form one ordered
	// stream (push.go). pubsubMode is Redis's CLIENT_PUBSUB: the client
	// has subscriptions.
	push       *pushQueue
	pubsubMode atomic.Bool
}

func newClient(s *Server, nc net.Conn) *Client {
	nc = wrapRawConn(nc) // rawconn.go
	c := &Client{
		srv:       s,
		id:        s.nextClientID.Add(1),
		conn:      nc,
		rd:        resp.NewReader(nc),
		w:         resp.NewWriter(),
		addr:      nc.RemoteAddr().String(),
		laddr:     nc.LocalAddr().String(),
		createdAt: time.Now(),
	}
	c.keyBuf = make([][]byte, 0, 16)
	c.w.Limit = s.maxReplyBytes
	c.db = s.store.DB(0)
	c.setAuthed(s.requirePass.Load() == nil)
	c.lastInteraction.Store(c.createdAt.Unix())
	c.rd.BeforeBlock = c.flush
	c.rd.MaxBulkLen = s.cfg.Int("proto-max-bulk-len")
	return c
}

func (c *Client) serve() {
	defer c.conn.Close()
	defer c.srv.watches.unwatchAll(c)
	defer c.leavePubSub()
	for {
		args, err := c.rd.Next()
		if err != nil {
			var pe *resp.ProtocolError
			if errors.As(err, &pe) {
				c.w.Error("ERR " + pe.Error())
				_ = c.flush()
				return
			}
			// The connection is gone: pending output is not waited for.
			_ = c.conn.Close()
			return
		}
		c.srv.execute(c, args)
		if c.closeAfterReply || c.closed.Load() {
			_ = c.flush()
			return
		}
		// A long pipeline's replies go out as they pile up, so the reply
		// cap (resp.Writer.Limit) measures one command, not a batch.
		if c.w.Len() >= flushThreshold {
			if err := c.flush(); err != nil {
				return
			}
		}
	}
}

// userName is the connection's user, as CLIENT LIST shows it.
func (c *Client) userName() string {
	if p := c.user.Load(); p != nil {
		return *p
	}
	return "default"
}

func (c *Client) setUser(name string) { c.user.Store(&name) }

// selectDB makes db the connection's database (SELECT, RESET).
func (c *Client) selectDB(db *store.DB) {
	c.db = db
	c.shownDB.Store(int32(db.ID))
}

// flushThreshold is how many reply bytes may wait for the end of a
// pipeline batch.
const flushThreshold = 64 * 1024

// flush writes the pending replies.
func (c *Client) flush() error {
	if c.prop.wait != 0 && !c.srv.aofAwait(c) { // appendfsync (aof.go)
		return c.aofUnsynced()
	}
	if c.push != nil {
		c.push.reply(c.w.Buffer(), c.w.Proto())
		c.w.Reset()
		return nil
	}
	if c.w.Len() == 0 {
		return nil
	}
	// Yield on both sides of the write, so that many connections' replies
	// go out back to back, as Redis writes them all at the end of an
	// event-loop pass. Before it, the other clients whose requests arrived
	// with this one are answered first: their replies then reach a client
	// process that is awake, which reads them in one pass instead of being
	// woken for each (on two cores at -P 1 with 50 clients, redis-benchmark
	// went from about one epoll_wait per reply to one per four). After it,
	// the client usually has its next request in by the time this
	// connection reads again, which spares the read that finds nothing and
	// parks (server system calls per request went from 3.1 to 2.4). With
	// nothing else runnable a yield returns at once.
	runtime.Gosched()
	_, err := c.conn.Write(c.w.Buffer())
	c.w.Reset()
	runtime.Gosched()
	return err
}

// kill closes the connection from another goroutine (CLIENT KILL, timeout,
// shutdown). The client's own goroutine then sees a read error and exits.
func (c *Client) kill() {
	if c.closed.Swap(true) {
		return
	}
	// A killed client must not be served after this returns: take it out
	// of the blocking queues before closing.
	if w := c.waiter.Load(); w != nil {
		c.srv.blocking.cancel(w, resultGone)
	}
	_ = c.conn.Close()
}

// setAuthed records whether the client is authenticated; until it is, its
// requests are size-limited.
func (c *Client) setAuthed(ok bool) {
	c.authed = ok
	c.rd.Unauthenticated = !ok
}

func (c *Client) isBlockedOrSubscribed() bool { return c.blocked.Load() || c.pubsubMode.Load() }

func (c *Client) setName(n string) {
	c.mu.Lock()
	c.name = n
	c.mu.Unlock()
}

func (c *Client) getName() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.name
}

func sortClients(list []*Client) {
	slices.SortFunc(list, func(a, b *Client) int {
		switch {
		case a.id < b.id:
			return -1
		case a.id > b.id:
			return 1
		}
		return 0
	})
}
