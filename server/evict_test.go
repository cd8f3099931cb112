package server_test

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/kioku-db/kioku/server/servertest"
)

const errOOM = "OOM command not allowed when used memory > 'maxmemory'."

// infoInt reads an integer field of INFO.
func infoInt(t *testing.T, c *redis.Client, section, name string) int64 {
	t.Helper()
	info, err := c.Info(ctx, section).Result()
	require.NoError(t, err)
	for _, line := range strings.Split(info, "\r\n") {
		if v, ok := strings.CutPrefix(line, name+":"); ok {
			n, err := strconv.ParseInt(v, 10, 64)
			require.NoError(t, err, line)
			return n
		}
	}
	t.Fatalf("INFO %s has no %s", section, name)
	return 0
}

// limitAbove sets maxmemory to the current used memory plus room bytes
// and returns the limit.
func limitAbove(t *testing.T, c *redis.Client, room int64) int64 {
	t.Helper()
	limit := infoInt(t, c, "memory", "used_memory") + room
	require.NoError(t, c.ConfigSet(ctx, "maxmemory", fmt.Sprint(limit)).Err())
	return limit
}

func startEvicting(t *testing.T, policy string) (*servertest.Server, *redis.Client) {
	srv := servertest.Start(t, servertest.WithOption("maxmemory-policy", policy))
	return srv, clients(t, srv)["resp2"]
}

// TestEvictionKeepsUsedMemoryUnderLimit: with every allkeys policy,
// writing far more than maxmemory allows leaves INFO's used_memory at or
// under the limit after every write, and counts the evictions.
func TestEvictionKeepsUsedMemoryUnderLimit(t *testing.T) {
	for _, policy := range []string{"allkeys-lru", "allkeys-lfu", "allkeys-random"} {
		t.Run(policy, func(t *testing.T) {
			_, c := startEvicting(t, policy)
			limit := limitAbove(t, c, 32<<10)
			value := strings.Repeat("v", 100)
			for i := 0; i < 1000; i++ {
				require.NoError(t, c.Set(ctx, fmt.Sprint("key:", i), value, 0).Err())
				require.LessOrEqual(t, infoInt(t, c, "memory", "used_memory"), limit)
			}
			evicted := infoInt(t, c, "stats", "evicted_keys")
			require.Positive(t, evicted)
			require.EqualValues(t, 1000-evicted, c.DBSize(ctx).Val())
			require.NoError(t, c.ConfigResetStat(ctx).Err())
			require.Zero(t, infoInt(t, c, "stats", "evicted_keys"))
		})
	}
}

// TestVolatilePoliciesEvictOnlyKeysWithTTL: keys without a TTL survive,
// and once only they are left writes are refused.
func TestVolatilePoliciesEvictOnlyKeysWithTTL(t *testing.T) {
	for _, policy := range []string{"volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl"} {
		t.Run(policy, func(t *testing.T) {
			_, c := startEvicting(t, policy)
			for i := 0; i < 200; i++ {
				require.NoError(t, c.Set(ctx, fmt.Sprint("keep:", i), "value", 0).Err())
			}
			limitAbove(t, c, 16<<10)
			for i := 0; i < 500; i++ {
				require.NoError(t, c.Set(ctx, fmt.Sprint("ttl:", i), "value", time.Hour).Err())
			}
			require.Positive(t, infoInt(t, c, "stats", "evicted_keys"))
			for i := 0; i < 200; i++ {
				require.EqualValues(t, 1, c.Exists(ctx, fmt.Sprint("keep:", i)).Val())
			}
			require.NoError(t, c.ConfigSet(ctx, "maxmemory", "1").Err())
			require.EqualError(t, c.Set(ctx, "more", "value", 0).Err(), errOOM)
			require.EqualValues(t, 200, c.DBSize(ctx).Val())
		})
	}
}

// TestAllKeysLRUEvictsIdleKeys: of keys idle for minutes and keys just
// read, eviction takes the idle ones. LRU is approximated by sampling, so
// the check is statistical with a wide margin; time moves by the server's
// clock, not by sleeping.
func TestAllKeysLRUEvictsIdleKeys(t *testing.T) {
	srv, c := startEvicting(t, "allkeys-lru")
	for i := 0; i < 1000; i++ {
		require.NoError(t, c.Set(ctx, fmt.Sprint("key:", i), "value", 0).Err())
	}
	srv.FastForward(5 * time.Minute)
	for i := 0; i < 500; i++ {
		require.NoError(t, c.Get(ctx, fmt.Sprint("key:", i)).Err())
	}
	dataset := infoInt(t, c, "memory", "used_memory_dataset")
	limitAbove(t, c, -dataset/4) // a quarter of the keys must go
	require.NoError(t, c.Ping(ctx).Err())
	evicted := infoInt(t, c, "stats", "evicted_keys")
	require.Greater(t, evicted, int64(200))
	touchedLost := 0
	for i := 0; i < 500; i++ {
		if c.Exists(ctx, fmt.Sprint("key:", i)).Val() == 0 {
			touchedLost++
		}
	}
	// 0 or 1 in 40 runs; a random choice would lose about half.
	require.Less(t, touchedLost, int(evicted)/10, "recently read keys evicted")
}

// TestVolatileTTLEvictsShortestTTLFirst, statistically.
func TestVolatileTTLEvictsShortestTTLFirst(t *testing.T) {
	_, c := startEvicting(t, "volatile-ttl")
	const n = 400
	for i := 0; i < n; i++ {
		require.NoError(t, c.Set(ctx, fmt.Sprint("key:", i), "value", time.Hour+time.Duration(i)*time.Minute).Err())
	}
	dataset := infoInt(t, c, "memory", "used_memory_dataset")
	limitAbove(t, c, -dataset/4)
	require.NoError(t, c.Ping(ctx).Err())
	var shortLost, longLost int
	for i := 0; i < n/4; i++ {
		shortLost += int(1 - c.Exists(ctx, fmt.Sprint("key:", i)).Val())
		longLost += int(1 - c.Exists(ctx, fmt.Sprint("key:", n-1-i)).Val())
	}
	// About n/4 keys go. Sampling picked 47 to 68 of them from the
	// shortest quarter in 40 runs, and 0 or 1 from the longest; a random
	// choice would take about n/16 from each.
	require.Greater(t, shortLost, n*35/400, "the shortest TTLs go first")
	require.Less(t, longLost, n/40, "the longest TTLs stay")
}

// TestNoEvictionRefusesWritesButServesReads: under noeviction a write
// that may grow the dataset is refused with Redis's error; reads and DEL
// still run, and DEL makes room again.
func TestNoEvictionRefusesWritesButServesReads(t *testing.T) {
	_, c := startEvicting(t, "noeviction")
	require.NoError(t, c.Set(ctx, "big", strings.Repeat("x", 8<<10), 0).Err())
	limitAbove(t, c, 1<<10)
	var refused bool
	for i := 0; i < 100 && !refused; i++ {
		err := c.Set(ctx, fmt.Sprint("key:", i), strings.Repeat("v", 100), 0).Err()
		if err != nil {
			require.EqualError(t, err, errOOM)
			refused = true
		}
	}
	require.True(t, refused)
	require.EqualError(t, c.Set(ctx, "another", "v", 0).Err(), errOOM)
	require.Equal(t, 8<<10, len(c.Get(ctx, "big").Val()))
	require.EqualValues(t, 1, c.Del(ctx, "big").Val())
	require.NoError(t, c.Set(ctx, "another", "v", 0).Err())
	require.Zero(t, infoInt(t, c, "stats", "evicted_keys"))
}

// TestEvictedEventsReachSubscribers: each evicted key fires "evicted"
// (class e) and nothing else: the command that caused the eviction fires
// only its own event on its own key.
func TestEvictedEventsReachSubscribers(t *testing.T) {
	_, c := startEvicting(t, "allkeys-random")
	require.NoError(t, c.ConfigSet(ctx, "notify-keyspace-events", "KEA").Err())
	sub := c.PSubscribe(ctx, "__keyspace@0__:*", "end")
	defer sub.Close()
	for i := 0; i < 2; i++ {
		_, err := sub.Receive(ctx)
		require.NoError(t, err)
	}
	msgs := sub.Channel()
	limitAbove(t, c, 8<<10)
	for i := 0; i < 300; i++ {
		require.NoError(t, c.Set(ctx, fmt.Sprint("key:", i), strings.Repeat("v", 100), 0).Err())
	}
	require.NoError(t, c.Publish(ctx, "end", "").Err())
	events := map[string][]string{}
	evictedEvents := 0
	for done := false; !done; {
		select {
		case m := <-msgs:
			if m.Channel == "end" {
				done = true
				break
			}
			key := strings.TrimPrefix(m.Channel, "__keyspace@0__:")
			events[key] = append(events[key], m.Payload)
			if m.Payload == "evicted" {
				evictedEvents++
			}
		case <-time.After(10 * time.Second):
			t.Fatal("no end marker")
		}
	}
	require.EqualValues(t, infoInt(t, c, "stats", "evicted_keys"), evictedEvents)
	require.Positive(t, evictedEvents)
	for key, evs := range events {
		if c.Exists(ctx, key).Val() == 1 {
			require.Equal(t, []string{"set"}, evs, key)
		} else {
			require.Equal(t, []string{"set", "evicted"}, evs, key)
		}
	}

	// With class e alone (Ee), only the keyevent channel speaks.
	require.NoError(t, c.ConfigSet(ctx, "notify-keyspace-events", "Ee").Err())
	ev := c.Subscribe(ctx, "__keyevent@0__:evicted")
	defer ev.Close()
	_, err := ev.Receive(ctx)
	require.NoError(t, err)
	for i := 0; i < 20; i++ { // more than the limit leaves room for
		require.NoError(t, c.Set(ctx, fmt.Sprint("big:", i), strings.Repeat("v", 1<<10), 0).Err())
	}
	require.NoError(t, c.Ping(ctx).Err())
	m, err := ev.ReceiveMessage(ctx)
	require.NoError(t, err)
	require.Regexp(t, "^(key|big):", m.Payload)
}

// TestEvictionBreaksWatch: an evicted key counts as modified for WATCH.
func TestEvictionBreaksWatch(t *testing.T) {
	srv, c := startEvicting(t, "allkeys-lru")
	require.NoError(t, c.Set(ctx, "watched", strings.Repeat("x", 16<<10), 0).Err())
	w := redis.NewClient(&redis.Options{Addr: srv.Addr()})
	defer w.Close()
	err := w.Watch(ctx, func(tx *redis.Tx) error {
		limitAbove(t, c, -8<<10)
		require.NoError(t, c.Ping(ctx).Err()) // evicts
		require.EqualValues(t, 0, c.Exists(ctx, "watched").Val())
		_, err := tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.Set(ctx, "watched", "new", 0)
			return nil
		})
		return err
	}, "watched")
	require.ErrorIs(t, err, redis.TxFailedErr)
}

// TestOOMInsideMulti: while over the limit, commands queued in MULTI are
// refused (even reads) and EXEC then aborts, as in Redis 7.0.
func TestOOMInsideMulti(t *testing.T) {
	_, c := startEvicting(t, "noeviction")
	require.NoError(t, c.Set(ctx, "k", "v", 0).Err())
	require.NoError(t, c.ConfigSet(ctx, "maxmemory", "1").Err())
	_, err := c.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Get(ctx, "k")
		return nil
	})
	require.Error(t, err)
	require.Regexp(t, "^(OOM|EXECABORT)", err.Error())
	require.Equal(t, "v", c.Get(ctx, "k").Val())
}

// TestLoweringMaxmemoryEvictsAtNextCommand: CONFIG SET maxmemory below
// the current usage evicts before the next command.
func TestLoweringMaxmemoryEvictsAtNextCommand(t *testing.T) {
	_, c := startEvicting(t, "allkeys-random")
	for i := 0; i < 300; i++ {
		require.NoError(t, c.Set(ctx, fmt.Sprint("key:", i), "value", 0).Err())
	}
	limit := limitAbove(t, c, -10<<10)
	require.LessOrEqual(t, infoInt(t, c, "memory", "used_memory"), limit)
	require.Less(t, c.DBSize(ctx).Val(), int64(300))
	require.NoError(t, c.ConfigSet(ctx, "maxmemory", "0").Err())
	require.NoError(t, c.Set(ctx, "free", "again", 0).Err())
}

// TestEvictedStreamUnblocksLikeADelete: a reader blocked on a stream that
// is evicted keeps waiting, as after DEL, and gets the next entry added.
func TestEvictedStreamUnblocksLikeADelete(t *testing.T) {
	srv, c := startEvicting(t, "allkeys-lru")
	require.NoError(t, c.XAdd(ctx, &redis.XAddArgs{Stream: "s", Values: []string{"f", strings.Repeat("v", 16<<10)}}).Err())
	r := redis.NewClient(&redis.Options{Addr: srv.Addr()})
	defer r.Close()
	got := make(chan []redis.XStream, 1)
	go func() {
		res, _ := r.XRead(ctx, &redis.XReadArgs{Streams: []string{"s", "$"}, Block: 0}).Result()
		got <- res
	}()
	require.Eventually(t, func() bool { return infoInt(t, c, "clients", "blocked_clients") == 1 },
		5*time.Second, 5*time.Millisecond)
	limitAbove(t, c, -8<<10)
	require.NoError(t, c.Ping(ctx).Err())
	require.EqualValues(t, 0, c.Exists(ctx, "s").Val())
	require.NoError(t, c.ConfigSet(ctx, "maxmemory", "0").Err())
	select {
	case <-got:
		t.Fatal("served without a new entry")
	case <-time.After(50 * time.Millisecond):
	}
	id := c.XAdd(ctx, &redis.XAddArgs{Stream: "s", Values: []string{"f", "v"}}).Val()
	select {
	case res := <-got:
		require.Len(t, res, 1)
		require.Equal(t, id, res[0].Messages[0].ID)
	case <-time.After(5 * time.Second):
		t.Fatal("the blocked reader was not served")
	}
}

// TestConcurrentWritersEvict: clients writing in parallel over the limit
// neither deadlock nor leave memory above it; a limit changed inside
// EXEC (which holds the whole keyspace) takes effect at the next command.
func TestConcurrentWritersEvict(t *testing.T) {
	srv, c := startEvicting(t, "allkeys-lru")
	limit := limitAbove(t, c, 64<<10)
	errs := make(chan error, 4)
	for w := 0; w < 4; w++ {
		go func(w int) {
			wc := redis.NewClient(&redis.Options{Addr: srv.Addr()})
			defer wc.Close()
			for i := 0; i < 500; i++ {
				if err := wc.Set(ctx, fmt.Sprint("w", w, ":", i), strings.Repeat("v", 100), 0).Err(); err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}(w)
	}
	for w := 0; w < 4; w++ {
		require.NoError(t, <-errs)
	}
	require.LessOrEqual(t, infoInt(t, c, "memory", "used_memory"), limit)

	_, err := c.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.ConfigSet(ctx, "maxmemory", "0")
		return nil
	})
	require.NoError(t, err)
	require.NoError(t, c.Set(ctx, "unlimited", strings.Repeat("v", 100<<10), 0).Err())
	_, err = c.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.ConfigSet(ctx, "maxmemory", fmt.Sprint(limit))
		return nil
	})
	require.NoError(t, err)
	require.LessOrEqual(t, infoInt(t, c, "memory", "used_memory"), limit)
}
