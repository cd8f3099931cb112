package server_test

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/kioku-db/kioku/server/servertest"
)

// receive waits for the next message (subscription confirmations are
// skipped by go-redis's ReceiveMessage).
func receive(t *testing.T, ps *redis.PubSub) *redis.Message {
	t.Helper()
	select {
	case m := <-ps.Channel():
		return m
	case <-time.After(10 * time.Second):
		t.Fatal("no message")
		return nil
	}
}

// confirmed waits for n subscription confirmations, so that what is
// published next must be delivered.
func confirmed(t *testing.T, ps *redis.PubSub, n int) {
	t.Helper()
	for i := 0; i < n; i++ {
		v, err := ps.Receive(ctx)
		require.NoError(t, err)
		_, ok := v.(*redis.Subscription)
		require.True(t, ok, "want a confirmation, got %#v", v)
	}
}

func TestPubSubReceiveBothProtocols(t *testing.T) {
	srv := servertest.Start(t)
	pub := redis.NewClient(&redis.Options{Addr: srv.Addr()})
	t.Cleanup(func() { _ = pub.Close() })
	for name, c := range clients(t, srv) {
		t.Run(name, func(t *testing.T) {
			ps := c.Subscribe(ctx, "news")
			defer ps.Close()
			require.NoError(t, ps.PSubscribe(ctx, "ne*"))
			require.NoError(t, ps.SSubscribe(ctx, "shard"))
			confirmed(t, ps, 3)

			// Subscribed to the channel and to a matching pattern: two
			// receivers, as in Redis.
			require.Equal(t, int64(2), pub.Publish(ctx, "news", "hello").Val())
			got := []*redis.Message{receive(t, ps), receive(t, ps)}
			require.Equal(t, "news", got[0].Channel)
			require.Equal(t, "", got[0].Pattern)
			require.Equal(t, "hello", got[0].Payload)
			require.Equal(t, "ne*", got[1].Pattern)
			require.Equal(t, "hello", got[1].Payload)

			require.Equal(t, int64(1), pub.Publish(ctx, "nest", "p").Val())
			m := receive(t, ps)
			require.Equal(t, []string{"ne*", "nest", "p"}, []string{m.Pattern, m.Channel, m.Payload})

			// Shard channels ignore patterns, and PUBLISH does not reach them.
			require.Equal(t, int64(1), pub.SPublish(ctx, "shard", "s").Val())
			m = receive(t, ps)
			require.Equal(t, []string{"shard", "s"}, []string{m.Channel, m.Payload})
			require.Equal(t, int64(0), pub.Publish(ctx, "shard", "x").Val())
			require.Equal(t, int64(0), pub.SPublish(ctx, "news", "x").Val())

			// Binary payloads survive.
			require.Equal(t, int64(2), pub.Publish(ctx, "news", "a\r\nb\x00").Val())
			require.Equal(t, "a\r\nb\x00", receive(t, ps).Payload)
			require.Equal(t, "a\r\nb\x00", receive(t, ps).Payload)

			require.NoError(t, ps.Ping(ctx))

			// Unsubscribing from everything, kind by kind.
			require.NoError(t, ps.Unsubscribe(ctx))
			require.NoError(t, ps.PUnsubscribe(ctx))
			require.NoError(t, ps.SUnsubscribe(ctx))
			require.Eventually(t, func() bool {
				return pub.Publish(ctx, "news", "x").Val() == 0 && pub.SPublish(ctx, "shard", "x").Val() == 0
			}, 10*time.Second, 5*time.Millisecond)
		})
	}
}

func TestPubSubIntrospection(t *testing.T) {
	srv := servertest.Start(t)
	c := clients(t, srv)["resp3"]
	ps1 := c.Subscribe(ctx, "a", "b")
	defer ps1.Close()
	confirmed(t, ps1, 2)
	ps2 := c.Subscribe(ctx, "a")
	defer ps2.Close()
	require.NoError(t, ps2.PSubscribe(ctx, "x*", "y*"))
	require.NoError(t, ps2.SSubscribe(ctx, "s1", "s2"))
	confirmed(t, ps2, 5)

	require.ElementsMatch(t, []string{"a", "b"}, c.PubSubChannels(ctx, "*").Val())
	require.Equal(t, []string{"b"}, c.PubSubChannels(ctx, "b*").Val())
	require.Equal(t, map[string]int64{"a": 2, "b": 1, "zz": 0}, c.PubSubNumSub(ctx, "a", "b", "zz").Val())
	require.Equal(t, int64(2), c.PubSubNumPat(ctx).Val())
	require.ElementsMatch(t, []string{"s1", "s2"}, c.PubSubShardChannels(ctx, "*").Val())
	require.Equal(t, map[string]int64{"s1": 1, "q": 0}, c.PubSubShardNumSub(ctx, "s1", "q").Val())

	info := c.Info(ctx, "stats").Val()
	require.Contains(t, info, "pubsub_channels:2\r\n")
	require.Contains(t, info, "pubsub_patterns:2\r\n")
	require.Contains(t, info, "pubsubshard_channels:2\r\n")

	list := c.ClientList(ctx).Val()
	require.Contains(t, list, "flags=P db=0 sub=2 psub=0 ssub=0")
	require.Contains(t, list, "flags=P db=0 sub=1 psub=2 ssub=2")
	require.Equal(t, 2, strings.Count(c.Do(ctx, "CLIENT", "LIST", "TYPE", "pubsub").String(), "flags=P"))
	require.NotContains(t, c.Do(ctx, "CLIENT", "LIST", "TYPE", "normal").String(), "flags=P")

	// Leaving forgets the channels nobody listens to any more.
	require.NoError(t, ps1.Close())
	require.NoError(t, ps2.Close())
	require.Eventually(t, func() bool {
		return len(c.PubSubChannels(ctx, "*").Val()) == 0 && c.PubSubNumPat(ctx).Val() == 0 &&
			len(c.PubSubShardChannels(ctx, "*").Val()) == 0
	}, 10*time.Second, 5*time.Millisecond)
}

// respConn speaks raw RESP, for byte-exact checks go-redis hides.
type respConn struct {
	t    *testing.T
	conn net.Conn
	rd   *bufio.Reader
}

func dialRESP(t *testing.T, addr string) *respConn {
	conn, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close() })
	return &respConn{t: t, conn: conn, rd: bufio.NewReader(conn)}
}

// do sends a command and returns the raw bytes of n reply frames.
func (r *respConn) do(n int, args ...string) string {
	r.send(args...)
	return r.frames(n)
}

func (r *respConn) send(args ...string) {
	var b strings.Builder
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	_, err := r.conn.Write([]byte(b.String()))
	require.NoError(r.t, err)
}

func (r *respConn) frames(n int) string {
	_ = r.conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	var b strings.Builder
	for i := 0; i < n; i++ {
		r.frame(&b)
	}
	return b.String()
}

func (r *respConn) line() string {
	l, err := r.rd.ReadString('\n')
	require.NoError(r.t, err)
	return l
}

func (r *respConn) frame(b *strings.Builder) {
	l := r.line()
	b.WriteString(l)
	n, _ := strconv.Atoi(strings.TrimSpace(l[1:]))
	switch l[0] {
	case '$', '=':
		if n >= 0 {
			buf := make([]byte, n+2)
			_, err := io.ReadFull(r.rd, buf)
			require.NoError(r.t, err)
			b.Write(buf)
		}
	case '*', '>', '~':
		for i := 0; i < n; i++ {
			r.frame(b)
		}
	case '%':
		for i := 0; i < 2*n; i++ {
			r.frame(b)
		}
	}
}

func TestPubSubSubscribedContext(t *testing.T) {
	srv := servertest.Start(t)
	r := dialRESP(t, srv.Addr())
	require.Equal(t, "*3\r\n$11\r\nunsubscribe\r\n$-1\r\n:0\r\n", r.do(1, "UNSUBSCRIBE"))
	require.Equal(t, "*3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:1\r\n*3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:1\r\n", r.do(2, "SUBSCRIBE", "a", "a"))
	require.Equal(t, "-ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context\r\n", r.do(1, "GET", "x"))
	require.Equal(t, "-ERR Can't execute 'client|list': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context\r\n", r.do(1, "CLIENT", "LIST"))
	require.Equal(t, "*2\r\n$4\r\npong\r\n$0\r\n\r\n", r.do(1, "PING"))
	require.Equal(t, "*2\r\n$4\r\npong\r\n$2\r\nhi\r\n", r.do(1, "PING", "hi"))
	require.Equal(t, "*3\r\n$12\r\npunsubscribe\r\n$-1\r\n:1\r\n", r.do(1, "PUNSUBSCRIBE"))
	require.Equal(t, "*3\r\n$11\r\nunsubscribe\r\n$1\r\na\r\n:0\r\n", r.do(1, "UNSUBSCRIBE"))
	// Out of subscribed mode once nothing is left.
	require.Equal(t, "$-1\r\n", r.do(1, "GET", "x"))
	require.Equal(t, "+PONG\r\n", r.do(1, "PING"))

	// RESP3: pushes, and every command allowed.
	r3 := dialRESP(t, srv.Addr())
	r3.do(1, "HELLO", "3")
	require.Equal(t, ">3\r\n$10\r\npsubscribe\r\n$2\r\nc*\r\n:1\r\n", r3.do(1, "PSUBSCRIBE", "c*"))
	require.Equal(t, "_\r\n", r3.do(1, "GET", "x"))
	require.Equal(t, "+PONG\r\n", r3.do(1, "PING"))
	require.Equal(t, ":1\r\n", r.do(1, "PUBLISH", "cat", "meow"))
	require.Equal(t, ">4\r\n$8\r\npmessage\r\n$2\r\nc*\r\n$3\r\ncat\r\n$4\r\nmeow\r\n", r3.frames(1))
	// Back to RESP2 while subscribed: restricted again.
	r3.do(1, "HELLO", "2")
	require.Equal(t, "*2\r\n$4\r\npong\r\n$0\r\n\r\n", r3.do(1, "PING"))
}

func TestPubSubResetAndDisconnect(t *testing.T) {
	srv := servertest.Start(t)
	pub := redis.NewClient(&redis.Options{Addr: srv.Addr()})
	t.Cleanup(func() { _ = pub.Close() })
	r := dialRESP(t, srv.Addr())
	r.do(1, "HELLO", "3")
	r.do(3, "SUBSCRIBE", "a", "b", "c")
	r.do(1, "PSUBSCRIBE", "*")
	r.do(1, "SSUBSCRIBE", "s")
	require.Equal(t, "+RESET\r\n", r.do(1, "RESET"))
	// RESET went back to RESP2 and out of subscribed mode.
	require.Equal(t, "$-1\r\n", r.do(1, "GET", "x"))
	require.Equal(t, int64(0), pub.Publish(ctx, "a", "x").Val())
	require.Equal(t, int64(0), pub.SPublish(ctx, "s", "x").Val())
	require.Equal(t, int64(0), pub.PubSubNumPat(ctx).Val())
	require.NotContains(t, pub.ClientList(ctx).Val(), "flags=P")

	// A disconnected subscriber's subscriptions go with it.
	r2 := dialRESP(t, srv.Addr())
	r2.do(1, "SUBSCRIBE", "gone")
	require.Equal(t, int64(1), pub.Publish(ctx, "gone", "x").Val())
	require.NoError(t, r2.conn.Close())
	require.Eventually(t, func() bool { return pub.Publish(ctx, "gone", "x").Val() == 0 },
		10*time.Second, 5*time.Millisecond)

	// CLIENT KILL TYPE pubsub closes subscribers only.
	r4 := dialRESP(t, srv.Addr())
	r4.do(1, "PSUBSCRIBE", "k*")
	require.Equal(t, int64(1), pub.Do(ctx, "CLIENT", "KILL", "TYPE", "pubsub").Val())
	require.Eventually(t, func() bool { return pub.PubSubNumPat(ctx).Val() == 0 }, 10*time.Second, 5*time.Millisecond)
	require.Equal(t, "PONG", pub.Ping(ctx).Val())

	// QUIT's reply still reaches a subscriber.
	r3 := dialRESP(t, srv.Addr())
	r3.do(1, "SUBSCRIBE", "q")
	require.Equal(t, "+OK\r\n", r3.do(1, "QUIT"))
}

// TestPubSubInsideMulti: SUBSCRIBE is queued and runs in EXEC (its
// confirmations inside EXEC's reply), SSUBSCRIBE is refused there, as in
// Redis.
func TestPubSubInsideMulti(t *testing.T) {
	srv := servertest.Start(t)
	r := dialRESP(t, srv.Addr())
	r.do(1, "MULTI")
	r.do(1, "SUBSCRIBE", "q")
	r.do(1, "SSUBSCRIBE", "s")
	r.do(1, "PING")
	require.Equal(t, "*3\r\n*3\r\n$9\r\nsubscribe\r\n$1\r\nq\r\n:1\r\n"+
		"-ERR SSUBSCRIBE isn't allowed for a DENY BLOCKING client\r\n*2\r\n$4\r\npong\r\n$0\r\n\r\n", r.do(1, "EXEC"))
	pub := dialRESP(t, srv.Addr())
	require.Equal(t, ":1\r\n", pub.do(1, "PUBLISH", "q", "m"))
	require.Equal(t, "*3\r\n$7\r\nmessage\r\n$1\r\nq\r\n$1\r\nm\r\n", r.frames(1))
}

// TestPubSubSlowSubscriberDisconnected: a subscriber that never reads is
// closed once its pending output passes the pubsub class's hard limit,
// and the server does not keep what it could not send; a subscriber that
// keeps up (here in lockstep with the publisher) is left alone.
func TestPubSubSlowSubscriberDisconnected(t *testing.T) {
	srv := servertest.Start(t)
	pub := redis.NewClient(&redis.Options{Addr: srv.Addr()})
	t.Cleanup(func() { _ = pub.Close() })
	require.NoError(t, pub.ConfigSet(ctx, "client-output-buffer-limit", "pubsub 64kb 32kb 1").Err())

	slow := dialRESP(t, srv.Addr())
	slow.do(1, "SUBSCRIBE", "firehose") // and never reads again
	fast := pub.Subscribe(ctx, "firehose")
	defer fast.Close()
	confirmed(t, fast, 1)

	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := ms.HeapAlloc

	// Up to 256 MB in 4 KB messages: far more than the kernel's socket
	// buffers absorb, so without the limit the server would have to keep
	// it.
	payload := strings.Repeat("x", 4<<10)
	const rounds = 256 << 20 / (4 << 10)
	i := 0
	for ; i < rounds; i++ {
		n, err := pub.Publish(ctx, "firehose", payload).Result()
		require.NoError(t, err)
		require.Equal(t, payload, receive(t, fast).Payload)
		if n == 1 {
			break // only the fast subscriber is left
		}
		if i%1024 == 0 {
			runtime.ReadMemStats(&ms)
			require.Less(t, ms.HeapAlloc, base+64<<20, "the server keeps what a stuck subscriber does not read")
		}
	}
	require.Less(t, i, rounds, "the slow subscriber is still subscribed")
	require.Equal(t, map[string]int64{"firehose": 1}, pub.PubSubNumSub(ctx, "firehose").Val())
	require.Equal(t, 1, strings.Count(pub.Do(ctx, "CLIENT", "LIST", "TYPE", "pubsub").String(), "flags=P"))

	// Its connection was closed: reading drains what the kernel held, then
	// ends.
	_ = slow.conn.SetReadDeadline(time.Now().Add(30 * time.Second))
	_, err := io.Copy(io.Discard, slow.conn)
	require.False(t, errors.Is(err, os.ErrDeadlineExceeded), "the slow subscriber's connection is still open")
}

// TestPubSubConcurrentPublishers: publishers and subscribers on many
// connections at once, both protocols, channel and pattern subscriptions;
// every subscriber receives every message, in order per publisher.
func TestPubSubConcurrentPublishers(t *testing.T) {
	srv := servertest.Start(t)
	const publishers, perPublisher = 4, 300
	type sub struct {
		ps     *redis.PubSub
		copies int // 2 when subscribed to the channel and a pattern
	}
	var subs []sub
	for i := 0; i < 6; i++ {
		c := redis.NewClient(&redis.Options{Addr: srv.Addr(), Protocol: 2 + i%2})
		t.Cleanup(func() { _ = c.Close() })
		s := sub{ps: c.Subscribe(ctx, "bus"), copies: 1}
		confirmed(t, s.ps, 1)
		if i%3 == 0 {
			require.NoError(t, s.ps.PSubscribe(ctx, "b?s"))
			confirmed(t, s.ps, 1)
			s.copies = 2
		}
		subs = append(subs, s)
	}

	var wg sync.WaitGroup
	for p := 0; p < publishers; p++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := redis.NewClient(&redis.Options{Addr: srv.Addr()})
			defer c.Close()
			for i := 0; i < perPublisher; i++ {
				if err := c.Publish(ctx, "bus", fmt.Sprintf("%d:%d", p, i)).Err(); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	for _, s := range subs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			checkOrderedDelivery(t, s.ps, publishers, perPublisher, s.copies)
		}()
	}
	wg.Wait()
}

// checkOrderedDelivery reads every message of every publisher and checks
// that each publisher's sequence arrives in order (per subscription, when
// one connection receives a message twice).
func checkOrderedDelivery(t *testing.T, ps *redis.PubSub, publishers, per, copies int) {
	next := map[string][]int{} // "" or the pattern -> per-publisher next seq
	ch := ps.Channel()
	for got := 0; got < publishers*per*copies; got++ {
		var m *redis.Message
		select {
		case m = <-ch:
		case <-time.After(30 * time.Second):
			t.Errorf("received %d of %d messages", got, publishers*per*copies)
			return
		}
		var p, seq int
		if _, err := fmt.Sscanf(m.Payload, "%d:%d", &p, &seq); err != nil {
			t.Errorf("bad payload %q", m.Payload)
			return
		}
		if next[m.Pattern] == nil {
			next[m.Pattern] = make([]int, publishers)
		}
		if want := next[m.Pattern][p]; seq != want {
			t.Errorf("publisher %d via %q: got %d, want %d", p, m.Pattern, seq, want)
			return
		}
		next[m.Pattern][p]++
	}
}

// TestPubSubServerCloseEndsWriters: closing the server with subscribers
// connected (one of them stuck) leaves none of the server's goroutines.
func TestPubSubServerCloseEndsWriters(t *testing.T) {
	srv, err := servertest.New()
	require.NoError(t, err)
	for i := 0; i < 3; i++ {
		r := dialRESP(t, srv.Addr())
		r.do(1, "SUBSCRIBE", "c")
	}
	pub := dialRESP(t, srv.Addr())
	big := strings.Repeat("y", 1<<20)
	for i := 0; i < 8; i++ {
		pub.do(1, "PUBLISH", "c", big)
	}
	require.NoError(t, srv.Close())
	buf := make([]byte, 1<<20)
	stacks := string(buf[:runtime.Stack(buf, true)])
	require.NotContains(t, stacks, "kioku/server.(*pushQueue)")
	require.NotContains(t, stacks, "kioku/server.(*Client).serve")
}

// TestPubSubConfirmationOrder: while others publish all the time, the
// first thing a subscriber reads after SUBSCRIBE is the confirmation, and
// after the UNSUBSCRIBE confirmation no message comes.
func TestPubSubConfirmationOrder(t *testing.T) {
	srv := servertest.Start(t)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for p := 0; p < 2; p++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := redis.NewClient(&redis.Options{Addr: srv.Addr()})
			defer c.Close()
			for {
				select {
				case <-stop:
					return
				default:
				}
				c.Publish(ctx, "busy", "m")
			}
		}()
	}
	defer wg.Wait()
	defer close(stop)

	const confirm = "*3\r\n$9\r\nsubscribe\r\n$4\r\nbusy\r\n:1\r\n"
	const message = "*3\r\n$7\r\nmessage\r\n$4\r\nbusy\r\n$1\r\nm\r\n"
	const unconfirm = "*3\r\n$11\r\nunsubscribe\r\n$4\r\nbusy\r\n:0\r\n"
	for i := 0; i < 500; i++ {
		r := dialRESP(t, srv.Addr())
		require.Equal(t, confirm, r.do(1, "SUBSCRIBE", "busy"))
		r.send("UNSUBSCRIBE", "busy")
		for {
			f := r.frames(1)
			if f == unconfirm {
				break
			}
			require.Equal(t, message, f)
		}
		require.Equal(t, "+PONG\r\n", r.do(1, "PING"))
		r.conn.Close()
	}
}
