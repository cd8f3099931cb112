package server

import (
	"context"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/kioku-db/kioku/store"
)

// notifyHarness is a server with notify-keyspace-events set and a
// subscriber on every keyspace and keyevent channel.
type notifyHarness struct {
	t     *testing.T
	clock *store.Clock
	c     *redis.Client
	msgs  <-chan *redis.Message
}

func startNotifyHarness(t *testing.T, flags string) *notifyHarness {
	t.Helper()
	clock := store.NewClock()
	s, err := New(Config{Addr: "127.0.0.1:0", Clock: clock,
		Options: map[string]string{"notify-keyspace-events": flags, "enable-debug-command": "local",
			"dir": t.TempDir(), "save": ""}}) // FLUSHALL would save into the package
	require.NoError(t, err)
	require.NoError(t, s.Start())
	t.Cleanup(func() { _ = s.Close() })
	c := redis.NewClient(&redis.Options{Addr: s.Addr()})
	t.Cleanup(func() { _ = c.Close() })
	ps := c.PSubscribe(context.Background(), "__keyspace@*", "end")
	t.Cleanup(func() { _ = ps.Close() })
	for i := 0; i < 2; i++ {
		_, err := ps.Receive(context.Background())
		require.NoError(t, err)
	}
	return &notifyHarness{t: t, clock: clock, c: c, msgs: ps.Channel()}
}

// after runs fn and returns the keyspace events it caused, "key event",
// read up to a marker published afterwards.
func (h *notifyHarness) after(fn func(ctx context.Context, c *redis.Client)) []string {
	h.t.Helper()
	ctx := context.Background()
	fn(ctx, h.c)
	require.NoError(h.t, h.c.Publish(ctx, "end", "").Err())
	var got []string
	for {
		select {
		case m := <-h.msgs:
			if m.Channel == "end" {
				return got
			}
			got = append(got, m.Channel[len("__keyspace@0__:"):]+" "+m.Payload)
		case <-time.After(10 * time.Second):
			h.t.Fatal("no end marker")
		}
	}
}

// TestNotifyDeclaredEvents: a command's declared event fires for the keys
// it wrote and only those, once per key, followed by del when a type
// command emptied its key; a write that changes nothing fires nothing.
func TestNotifyDeclaredEvents(t *testing.T) {
	h := startNotifyHarness(t, "KA")
	require.Equal(t, []string{"s sadd"}, h.after(func(ctx context.Context, c *redis.Client) {
		c.SAdd(ctx, "s", "a", "b")
	}))
	require.Empty(t, h.after(func(ctx context.Context, c *redis.Client) { c.SAdd(ctx, "s", "a") }))
	require.Equal(t, []string{"s srem", "s del"}, h.after(func(ctx context.Context, c *redis.Client) {
		c.SRem(ctx, "s", "a", "b")
	}))
	require.Equal(t, []string{"a set", "b set", "a del", "b del"}, h.after(func(ctx context.Context, c *redis.Client) {
		c.MSet(ctx, "a", 1, "b", 2)
		c.Del(ctx, "a", "b", "a", "missing")
	}))
	require.Empty(t, h.after(func(ctx context.Context, c *redis.Client) {
		c.FlushAll(ctx)
		c.Get(ctx, "missing")
	}))
}

// TestNotifyExplicitEvents: a handler that fires its events itself
// replaces the declared one (SET with EX: set then expire), and a
// transaction fires its commands' events as they run.
func TestNotifyExplicitEvents(t *testing.T) {
	h := startNotifyHarness(t, "KA")
	require.Equal(t, []string{"k set", "k expire", "k rename_from", "k2 rename_to"},
		h.after(func(ctx context.Context, c *redis.Client) {
			c.Set(ctx, "k", "v", time.Minute)
			c.Rename(ctx, "k", "k2")
		}))
	require.Equal(t, []string{"l rpush", "n incrby", "l lpop", "l del"},
		h.after(func(ctx context.Context, c *redis.Client) {
			_, err := c.TxPipelined(ctx, func(p redis.Pipeliner) error {
				p.RPush(ctx, "l", "x")
				p.Incr(ctx, "n")
				p.LPop(ctx, "l")
				return nil
			})
			require.NoError(t, err)
		}))
}

// TestNotifyNewAndKeyMiss: the n and m classes, outside A.
func TestNotifyNewAndKeyMiss(t *testing.T) {
	h := startNotifyHarness(t, "Kmn$")
	require.Equal(t, []string{"k new", "k set", "k set", "nokey keymiss"},
		h.after(func(ctx context.Context, c *redis.Client) {
			c.Set(ctx, "k", 1, 0)
			c.Set(ctx, "k", 2, 0)
			c.Get(ctx, "nokey")
			c.ObjectEncoding(ctx, "nokey") // OBJECT announces no miss
		}))
}

// TestNotifyExpiredUntouched: a key whose TTL passes is expired by the
// server's own cycle and the subscriber sees "expired", though no client
// touches the key again.
func TestNotifyExpiredUntouched(t *testing.T) {
	h := startNotifyHarness(t, "Kx")
	ctx := context.Background()
	require.NoError(t, h.c.Set(ctx, "session", "v", 10*time.Second).Err())
	h.clock.Advance(time.Minute)
	select {
	case m := <-h.msgs:
		require.Equal(t, "__keyspace@0__:session", m.Channel)
		require.Equal(t, "expired", m.Payload)
	case <-time.After(5 * time.Second):
		t.Fatal("no expired event from active expiry")
	}
}

// TestNotifyLazyExpiry: a read of a key past its TTL expires it first.
func TestNotifyLazyExpiry(t *testing.T) {
	h := startNotifyHarness(t, "KEA")
	ctx := context.Background()
	require.NoError(t, h.c.Do(ctx, "DEBUG", "SET-ACTIVE-EXPIRE", "0").Err())
	require.Equal(t, []string{"k set", "k expire"}, h.after(func(ctx context.Context, c *redis.Client) {
		c.Set(ctx, "k", "v", time.Second)
	}))
	h.clock.Advance(time.Minute)
	require.Equal(t, []string{"k expired"}, h.after(func(ctx context.Context, c *redis.Client) {
		require.Equal(t, redis.Nil, c.Get(ctx, "k").Err())
	}))
}

func TestDeclareEventsNeedsABoundCommand(t *testing.T) {
	require.Panics(t, func() { declareEvents(1, []keyEvent{{"nosuchcommand", "x"}}) })
}
