package server

import (
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kioku-db/kioku/pubsub"
	"github.com/kioku-db/kioku/resp"
	"github.com/kioku-db/kioku/server/config"
)

// Asynchronous delivery to subscribers.
//
// A message is published on the publisher's goroutine, but must reach
// connections served by other goroutines, whose reply buffers (Client.w)
// are theirs alone, and a slow subscriber must never hold the publisher
// up. So a client that subscribes gets a pushQueue, and from then on all
// its output goes through it: its own replies (handed over whole at each
// flush, so a message never lands inside a reply) and the messages
// published to it, in one ordered stream that a writer goroutine drains to
// the connection.
//
// Order: a message published after a subscription must follow its
// confirmation, which sits in Client.w until the client flushes. A client
// that subscribes first puts its queue on hold; messages arriving while
// held wait behind the client's next flush. Messages are appended to
// queues under the hub's read lock, and (un)subscribing takes its write
// lock, so a subscriber never gets a message after the confirmation of its
// UNSUBSCRIBE, nor misses one published after its SUBSCRIBE.
//
// Limits: what a queue holds (and what its writer is still writing) counts
// against client-output-buffer-limit, pubsub class for a subscribed client
// and normal class otherwise, as Redis counts its reply list. Past the hard
// limit, or past the soft limit for longer than its seconds, the queue
// drops everything and the client is closed: one stuck subscriber cannot
// grow the server's memory without end.

// pubsubState is the server's publish/subscribe machinery.
type pubsubState struct {
	hub *pubsub.Hub[*Client]
	// limits caches client-output-buffer-limit's normal and pubsub
	// classes; notify caches the notify-keyspace-events bits. Both are
	// read on every delivery or write, never parsed there.
	limits atomic.Pointer[[2]obufLimit]
	notify atomic.Int64
}

type obufLimit struct {
	hard, soft, seconds int64
}

const (
	obufNormal = iota
	obufPubSub
)

// initPubSub sets up the hub and the cached limits, kept in step with
// CONFIG SET.
func (s *Server) initPubSub() {
	s.pubsub.hub = pubsub.NewHub[*Client]()
	setLimits := func(string) error {
		var l [2]obufLimit
		for i, class := range []string{"normal", "pubsub"} {
			hard, soft, secs, _ := s.cfg.OutputBufferLimit(class)
			l[i] = obufLimit{int64(min(hard, 1<<62)), int64(min(soft, 1<<62)), secs}
		}
		s.pubsub.limits.Store(&l)
		return nil
	}
	_ = setLimits("")
	s.cfg.OnApply("client-output-buffer-limit", setLimits)
	setNotify := func(string) error {
		s.pubsub.notify.Store(s.cfg.Int("notify-keyspace-events"))
		return nil
	}
	_ = setNotify("")
	s.cfg.OnApply("notify-keyspace-events", setNotify)
	s.initNotifyHooks()
}

// message is one published message, shared by every receiver (and every
// receiver of one pattern): it is immutable once built.
type message struct {
	kind      string // "message", "pmessage" or "smessage"
	pattern   string // pmessage only
	channel   []byte
	payload   []byte
	byPattern bool
}

// size is what the message counts against an output buffer limit: its
// encoded length, give or take a few header bytes.
func (m *message) size() int64 {
	return int64(len(m.kind) + len(m.pattern) + len(m.channel) + len(m.payload) + 48)
}

func (m *message) encode(w *resp.Writer) {
	if m.byPattern {
		w.Push(4)
		w.BulkString(m.kind)
		w.BulkString(m.pattern)
	} else {
		w.Push(3)
		w.BulkString(m.kind)
	}
	w.Bulk(m.channel)
	w.Bulk(m.payload)
}

// pushItem is one element of a client's output stream: a run of the
// client's own replies, or a message and the protocol to encode it in
// (the client's protocol at that point of the stream).
type pushItem struct {
	raw   []byte
	msg   *message
	proto int
}

type pushQueue struct {
	c    *Client
	mu   sync.Mutex
	wake sync.Cond

	items []pushItem
	spare []pushItem // the writer's previous batch, for reuse
	held  []*message // published while a confirmation was unflushed
	hold  bool
	proto int // the client's protocol as of its last flush
	// Bytes counted against the output limit: queued in items, held, and
	// taken by the writer but not written yet.
	queued, heldBytes, writing int64
	// softSince is when the soft limit was first found exceeded (unix
	// seconds), 0 while under it.
	softSince int64
	closed    bool // the client is gone: drain, then stop
	dead      bool // over a limit or the connection failed: drop all
	done      chan struct{}
}

// startPush gives the client its queue and writer, once. Until then every
// flush was a synchronous write, so nothing is in flight and the order of
// the output is kept.
func (c *Client) startPush() *pushQueue {
	if c.push == nil {
		q := &pushQueue{c: c, proto: c.w.Proto(), done: make(chan struct{})}
		q.wake.L = &q.mu
		c.push = q
		go q.run()
	}
	return c.push
}

// holdMessages makes messages wait behind the client's next flush: called
// before subscribing, so the confirmation goes out first.
func (q *pushQueue) holdMessages() {
	q.mu.Lock()
	q.hold = true
	q.mu.Unlock()
}

// reply queues the client's replies (copied: the client reuses its
// buffer), then the messages that were held behind them. It runs on the
// client's goroutine; proto is its protocol after these replies.
func (q *pushQueue) reply(b []byte, proto int) {
	q.mu.Lock()
	if q.dead || q.closed {
		q.mu.Unlock()
		return
	}
	if len(b) > 0 {
		q.items = append(q.items, pushItem{raw: append([]byte(nil), b...)})
		q.queued += int64(len(b))
	}
	q.proto = proto
	for i, m := range q.held {
		q.items = append(q.items, pushItem{msg: m, proto: proto})
		q.held[i] = nil
	}
	q.held = q.held[:0]
	q.queued += q.heldBytes
	q.heldBytes = 0
	q.hold = false
	over := q.overLimit()
	q.wake.Signal()
	q.mu.Unlock()
	if over {
		q.c.closeForOutputLimit()
	}
}

// deliver queues a message. It runs on the publisher's goroutine under the
// hub's read lock, so it never blocks on the connection. It reports false
// when the client went over its output limit and must be closed.
func (q *pushQueue) deliver(m *message) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.dead || q.closed {
		return true
	}
	if q.hold {
		q.held = append(q.held, m)
		q.heldBytes += m.size()
	} else {
		q.items = append(q.items, pushItem{msg: m, proto: q.proto})
		q.queued += m.size()
		q.wake.Signal()
	}
	return !q.overLimit()
}

// overLimit applies client-output-buffer-limit the way Redis's
// checkClientOutputBufferLimits does, and drops the queue when it is
// exceeded. Called with q.mu held.
func (q *pushQueue) overLimit() bool {
	l := q.c.srv.pubsub.limits.Load()[obufNormal]
	if q.c.pubsubMode.Load() {
		l = q.c.srv.pubsub.limits.Load()[obufPubSub]
	}
	used := q.queued + q.heldBytes + q.writing
	over := l.hard > 0 && used >= l.hard
	if !over && l.soft > 0 && used >= l.soft {
		now := time.Now().Unix()
		if q.softSince == 0 {
			q.softSince = now
		} else {
			over = now-q.softSince > l.seconds
		}
	} else if !over {
		q.softSince = 0
	}
	if over {
		q.drop()
	}
	return over
}

// drop forgets everything queued; nothing more is accepted.
func (q *pushQueue) drop() {
	q.dead = true
	clear(q.items)
	q.items, q.held = nil, nil
	q.queued, q.heldBytes = 0, 0
	q.wake.Signal()
}

// close stops the queue once its content is written (QUIT's reply still
// reaches the client) and waits for the writer. The caller closes the
// connection first when the output is not wanted any more.
func (q *pushQueue) close() {
	q.mu.Lock()
	q.closed = true
	q.wake.Signal()
	q.mu.Unlock()
	<-q.done
}

// pushWriteChunk is how much encoded output the writer gathers before a
// write: large enough for few system calls, small enough that its buffer
// is kept between batches instead of being regrown for each (Reset drops
// buffers past 1 MiB).
const pushWriteChunk = 256 << 10

// run is the writer: it takes everything queued, encodes it and writes it
// in chunks, until the queue is closed and drained or the connection
// fails.
func (q *pushQueue) run() {
	defer close(q.done)
	w := resp.NewWriter()
	for {
		batch, ok := q.take()
		if !ok {
			return
		}
		err := q.writeBatch(w, batch)
		q.written(batch)
		if err != nil {
			q.fail()
			return
		}
	}
}

func (q *pushQueue) writeBatch(w *resp.Writer, batch []pushItem) error {
	for _, it := range batch {
		if it.msg == nil {
			w.Raw(it.raw)
		} else {
			w.SetProto(it.proto)
			it.msg.encode(w)
		}
		if w.Len() >= pushWriteChunk {
			if err := q.flushChunk(w); err != nil {
				return err
			}
		}
	}
	return q.flushChunk(w)
}

func (q *pushQueue) flushChunk(w *resp.Writer) error {
	if w.Len() == 0 {
		return nil
	}
	_, err := q.c.conn.Write(w.Buffer())
	w.Reset()
	return err
}

// take waits for work and hands the writer the queued items.
func (q *pushQueue) take() ([]pushItem, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for len(q.items) == 0 && !q.closed && !q.dead {
		q.wake.Wait()
	}
	if len(q.items) == 0 {
		return nil, false
	}
	batch := q.items
	q.items = q.spare[:0]
	q.spare = nil
	q.writing, q.queued = q.queued, 0
	return batch, true
}

// written returns the writer's batch for reuse.
func (q *pushQueue) written(batch []pushItem) {
	clear(batch)
	q.mu.Lock()
	q.writing = 0
	if cap(batch) <= 4096 {
		q.spare = batch[:0]
	}
	q.mu.Unlock()
}

// fail handles a write error: the connection is unusable, so it is
// closed (the client's goroutine then ends) and what is queued dropped.
func (q *pushQueue) fail() {
	q.mu.Lock()
	q.drop()
	q.mu.Unlock()
	_ = q.c.conn.Close()
}

// closeForOutputLimit closes a client whose output went over its limit,
// as Redis does ("scheduled to be closed ASAP for overcoming of output
// buffer limits"). Its queue has dropped everything already. Closing the
// connection is enough: the client's goroutine notices, even while
// blocked, and cleans up as for any disconnect. It takes no lock, because
// a publisher may be a command holding keyspace locks.
func (c *Client) closeForOutputLimit() {
	c.srv.logf("Client id=%d addr=%s scheduled to be closed ASAP for overcoming of output buffer limits.", c.id, c.addr)
	_ = c.conn.Close()
}

// leavePubSub runs when the client's connection ends: its subscriptions go,
// and its writer finishes (or fails on the closed connection) before the
// client's goroutine returns, so Server.Close leaves no writer behind.
func (c *Client) leavePubSub() {
	if c.push == nil {
		return
	}
	// Out of pubsub mode before the hub forgets the client: whoever sees
	// the subscriptions gone sees a normal client.
	c.pubsubMode.Store(false)
	c.srv.pubsub.hub.Drop(c)
	c.push.close()
}

// publish sends payload to the receivers of channel (kind pubsub.Channel or
// pubsub.Shard) and returns how many there were. Clients pushed over their
// output limit are closed once the hub is released.
func (s *Server) publish(kind pubsub.Kind, channel, payload []byte) int {
	var base, pm *message
	var over []*Client
	n := s.pubsub.hub.Publish(kind, channel, func(sub *Client, pattern string, byPattern bool) {
		if base == nil {
			// One copy of the publisher's arguments, which its reader
			// reuses, for all the receivers.
			buf := make([]byte, len(channel)+len(payload))
			copy(buf, channel)
			copy(buf[len(channel):], payload)
			base = &message{kind: "message", channel: buf[:len(channel)], payload: buf[len(channel):]}
			if kind == pubsub.Shard {
				base.kind = "smessage"
			}
		}
		m := base
		if byPattern {
			if pm == nil || pm.pattern != pattern {
				pm = &message{kind: "pmessage", pattern: pattern, channel: base.channel, payload: base.payload, byPattern: true}
			}
			m = pm
		}
		if !sub.push.deliver(m) {
			over = append(over, sub)
		}
	})
	for _, c := range over {
		c.closeForOutputLimit()
	}
	return n
}

// notifyKeyspaceEvent publishes a keyspace notification, Redis's
// notifyKeyspaceEvent: when notify-keyspace-events enables class (one of
// the config.Notify* class bits), event on key in database db goes to
// __keyspace@<db>__:<key> (K) with the event as message, and to
// __keyevent@<db>__:<event> (E) with the key as message. It runs with
// the command's locks held (see notify.go for who calls it); it costs one
// atomic load when notifications are off.
func (s *Server) notifyKeyspaceEvent(class int64, event string, db int, key []byte) {
	flags := s.pubsub.notify.Load()
	if flags&class == 0 || flags&(config.NotifyKeyspace|config.NotifyKeyevent) == 0 || s.pubsub.hub.Empty() {
		return
	}
	var buf []byte
	if flags&config.NotifyKeyspace != 0 {
		buf = appendNotifyChannel(buf[:0], "__keyspace@", db, key)
		s.publish(pubsub.Channel, buf, []byte(event))
	}
	if flags&config.NotifyKeyevent != 0 {
		buf = appendNotifyChannel(buf[:0], "__keyevent@", db, []byte(event))
		s.publish(pubsub.Channel, buf, key)
	}
}

func appendNotifyChannel(dst []byte, prefix string, db int, suffix []byte) []byte {
	dst = append(dst, prefix...)
	dst = strconv.AppendInt(dst, int64(db), 10)
	dst = append(dst, "__:"...)
	return append(dst, suffix...)
}
