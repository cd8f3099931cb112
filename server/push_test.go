package server

import (
	"context"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/kioku-db/kioku/server/config"
)

func startPushTestServer(t *testing.T) (*Server, *redis.Client) {
	t.Helper()
	s, err := New(Config{Addr: "127.0.0.1:0", Options: map[string]string{"dir": t.TempDir(), "save": ""}})
	require.NoError(t, err)
	require.NoError(t, s.Start())
	t.Cleanup(func() { _ = s.Close() })
	c := redis.NewClient(&redis.Options{Addr: s.Addr()})
	t.Cleanup(func() { _ = c.Close() })
	return s, c
}

// TestNotifyKeyspaceEventFlags: notify-keyspace-events decides which
// classes are published, and whether to the keyspace channel (K), the
// keyevent channel (E) or both, with Redis's channel names.
func TestNotifyKeyspaceEventFlags(t *testing.T) {
	s, c := startPushTestServer(t)
	ctx := context.Background()
	ps := c.PSubscribe(ctx, "__key*__:*", "end")
	defer ps.Close()
	for i := 0; i < 2; i++ {
		_, err := ps.Receive(ctx)
		require.NoError(t, err)
	}
	ch := ps.Channel()

	// events returns what one notification published: the messages
	// before the "end" marker published after it.
	events := func(class int64, event string, db int, key string) []string {
		s.notifyKeyspaceEvent(class, event, db, []byte(key))
		require.NoError(t, c.Publish(ctx, "end", "").Err())
		var got []string
		for {
			select {
			case m := <-ch:
				if m.Channel == "end" {
					return got
				}
				got = append(got, m.Channel+" "+m.Payload)
			case <-time.After(10 * time.Second):
				t.Fatal("no end marker")
			}
		}
	}
	set := func(flags, want string) {
		t.Helper()
		require.NoError(t, c.ConfigSet(ctx, "notify-keyspace-events", flags).Err())
		require.Equal(t, want, c.ConfigGet(ctx, "notify-keyspace-events").Val()["notify-keyspace-events"])
	}

	set("", "")
	require.Empty(t, events(config.NotifyString, "set", 0, "k"))

	set("K$", "$K")
	require.Equal(t, []string{"__keyspace@0__:k set"}, events(config.NotifyString, "set", 0, "k"))
	require.Empty(t, events(config.NotifyList, "lpush", 0, "k"))

	set("E$", "$E")
	require.Equal(t, []string{"__keyevent@3__:set k"}, events(config.NotifyString, "set", 3, "k"))

	set("KEA", "AKE")
	require.Equal(t, []string{"__keyspace@0__:l lpush", "__keyevent@0__:lpush l"}, events(config.NotifyList, "lpush", 0, "l"))
	require.Equal(t, []string{"__keyspace@0__:x expired", "__keyevent@0__:expired x"}, events(config.NotifyExpired, "expired", 0, "x"))
	// 'm' (key miss) and 'n' (new key) are outside 'A'.
	require.Empty(t, events(config.NotifyKeyMiss, "keymiss", 0, "k"))
	require.Empty(t, events(config.NotifyNew, "new", 0, "k"))

	set("Km", "Km")
	require.Equal(t, []string{"__keyspace@0__:k keymiss"}, events(config.NotifyKeyMiss, "keymiss", 0, "k"))

	// Classes without K or E publish nothing.
	set("g$lshzxetd", "A")
	require.Empty(t, events(config.NotifyGeneric, "del", 0, "k"))

	set("gE", "gE")
	require.Equal(t, []string{"__keyevent@0__:del k"}, events(config.NotifyGeneric, "del", 0, "k"))
	require.Error(t, c.ConfigSet(ctx, "notify-keyspace-events", "Kq").Err())
}

// TestOutputLimitSoft: past the soft limit the client is closed only once
// it has stayed there longer than the soft seconds; going back under the
// soft limit forgets when it was first passed.
func TestOutputLimitSoft(t *testing.T) {
	s, _ := startPushTestServer(t)
	require.NoError(t, s.cfg.Set([][2]string{{"client-output-buffer-limit", "pubsub 0 1000 10"}}))
	c := &Client{srv: s}
	c.pubsubMode.Store(true)
	q := &pushQueue{c: c}
	q.wake.L = &q.mu

	q.mu.Lock()
	defer q.mu.Unlock()
	q.queued = 999
	require.False(t, q.overLimit())
	require.Zero(t, q.softSince)
	q.queued = 1000
	require.False(t, q.overLimit(), "the first time past the soft limit starts the clock")
	require.NotZero(t, q.softSince)
	q.softSince = time.Now().Unix() - 10
	require.False(t, q.overLimit(), "exactly the soft seconds is still allowed")
	q.queued = 10
	require.False(t, q.overLimit())
	require.Zero(t, q.softSince, "under the soft limit again")
	q.queued = 5000
	require.False(t, q.overLimit())
	q.softSince = time.Now().Unix() - 11
	require.True(t, q.overLimit())
	require.True(t, q.dead)
	require.Zero(t, q.queued, "an overflowing queue drops what it held")

	// The normal class applies to a client out of pubsub mode: no limit by
	// default.
	c.pubsubMode.Store(false)
	q2 := &pushQueue{c: c, queued: 1 << 40}
	require.False(t, q2.overLimit())
}
