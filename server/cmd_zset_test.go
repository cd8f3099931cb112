package server_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kioku-db/kioku/server/servertest"
)

// Tests of the sorted-set family that a reply-by-reply comparison with
// Redis cannot make: blocking pops (served in arrival order, never to a
// departed client), concurrency, and big sets.

func TestZSetBlockingPopServedInArrivalOrder(t *testing.T) {
	forEachListProtocol(t, func(e *listEnv) {
		var calls []*blockedCall
		for i := 0; i < 3; i++ {
			calls = append(calls, startBlocked(t, e.srv, e.proto, "BZPOPMIN", "z", 0))
			waitBlocked(t, e.rdb, i+1)
		}
		assert.EqualValues(t, 3, e.int("ZADD", "z", 3, "c", 1, "a", 2, "b"))
		assert.EqualValues(t, 0, e.int("EXISTS", "z"), "the writer sees the set after the waiters were served")
		for i, want := range []string{"a", "b", "c"} {
			v, err := calls[i].result(t)
			require.NoError(t, err)
			assert.Equal(t, "z", v.([]any)[0])
			assert.Equal(t, want, v.([]any)[1], "client %d", i)
		}
	})
}

func TestZSetBlockingPopMaxFromReadyKey(t *testing.T) {
	forEachListProtocol(t, func(e *listEnv) {
		call := startBlocked(t, e.srv, e.proto, "BZPOPMAX", "a", "b", 0)
		waitBlocked(t, e.rdb, 1)
		_, err := e.rdb.TxPipelined(e.ctx, func(p redis.Pipeliner) error {
			p.ZAdd(e.ctx, "b", redis.Z{Score: 1, Member: "low"}, redis.Z{Score: 9, Member: "high"})
			p.ZAdd(e.ctx, "a", redis.Z{Score: 5, Member: "from-a"})
			return nil
		})
		require.NoError(t, err)
		v, err := call.result(t)
		require.NoError(t, err)
		assert.Equal(t, "b", v.([]any)[0], "the key that became ready first")
		assert.Equal(t, "high", v.([]any)[1])
		assert.EqualValues(t, 1, e.int("ZCARD", "a"))
	})
}

func TestZSetBlockingMPopWithCount(t *testing.T) {
	forEachListProtocol(t, func(e *listEnv) {
		call := startBlocked(t, e.srv, e.proto, "BZMPOP", 0, 2, "x", "y", "MAX", "COUNT", 2)
		waitBlocked(t, e.rdb, 1)
		e.int("ZADD", "y", 1, "one", 2, "two", 3, "three")
		v, err := call.result(t)
		require.NoError(t, err)
		reply := v.([]any)
		assert.Equal(t, "y", reply[0])
		pairs := reply[1].([]any)
		require.Len(t, pairs, 2)
		assert.Equal(t, "three", pairs[0].([]any)[0])
		assert.Equal(t, "two", pairs[1].([]any)[0])
		assert.Equal(t, []string{"one"}, e.strs("ZRANGE", "y", 0, -1))
	})
}

func TestZSetBlockingDisconnectDoesNotConsume(t *testing.T) {
	forEachListProtocol(t, func(e *listEnv) {
		raw := dialListRaw(t, e.srv.Addr())
		raw.send("BZPOPMIN", "tasks", "0")
		waitBlocked(t, e.rdb, 1)
		require.NoError(t, raw.conn.Close())
		waitBlocked(t, e.rdb, 0)
		e.int("ZADD", "tasks", 1, "t1")
		assert.Equal(t, []string{"t1"}, e.strs("ZRANGE", "tasks", 0, -1), "a departed client took the member")
	})
}

func TestZSetBlockingTimeoutAndMulti(t *testing.T) {
	forEachListProtocol(t, func(e *listEnv) {
		e.isNil("BZPOPMIN", "nothing", 0.01)
		e.isNil("BZMPOP", 0.01, 1, "nothing", "MIN")
		res, err := e.rdb.TxPipelined(e.ctx, func(p redis.Pipeliner) error {
			p.Do(e.ctx, "BZPOPMAX", "nothing", 0)
			return nil
		})
		assert.Equal(t, redis.Nil, err, "inside MULTI a blocking pop answers at once")
		require.Len(t, res, 1)
		assert.Equal(t, 0, blockedClients(t, e.rdb))
	})
}

// TestZSetBlockingProducersConsumers: producers ZADD to three keys while
// consumers take with BZPOPMIN, BZPOPMAX and BZMPOP; every member is taken
// exactly once.
func TestZSetBlockingProducersConsumers(t *testing.T) {
	srv := servertest.Start(t)
	ctl := newListClient(t, srv, 2)
	const producers, perProducer, consumers = 4, 150, 6
	keys := []any{"z0", "z1", "z2"}
	total := int64(producers * perProducer)
	var seen sync.Map
	var count atomic.Int64
	record := func(m string, who int) {
		if _, dup := seen.LoadOrStore(m, who); dup {
			t.Errorf("%s taken twice", m)
		}
		count.Add(1)
	}
	var wg sync.WaitGroup
	for i := 0; i < consumers; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			rdb := newListClient(t, srv, 2+i%2)
			for count.Load() < total {
				var args []any
				switch i % 3 {
				case 0:
					args = append(append([]any{"BZPOPMIN"}, keys...), 0.05)
				case 1:
					args = append(append([]any{"BZPOPMAX"}, keys...), 0.05)
				default:
					args = append(append([]any{"BZMPOP", 0.05, len(keys)}, keys...), "MIN", "COUNT", 4)
				}
				v, err := rdb.Do(context.Background(), args...).Result()
				if err == redis.Nil {
					continue
				}
				if !assert.NoError(t, err) {
					return
				}
				reply := v.([]any)
				if pairs, ok := reply[1].([]any); ok {
					for _, p := range pairs {
						record(p.([]any)[0].(string), i)
					}
				} else {
					record(reply[1].(string), i)
				}
			}
		}(i)
	}
	for p := 0; p < producers; p++ {
		wg.Add(1)
		go func(p int) {
			defer wg.Done()
			rdb := newListClient(t, srv, 2)
			r := rand.New(rand.NewPCG(uint64(p), 7))
			for i := 0; i < perProducer; i++ {
				key := keys[r.IntN(len(keys))]
				assert.NoError(t, rdb.Do(context.Background(), "ZADD", key, r.IntN(100), fmt.Sprintf("p%d-%d", p, i)).Err())
			}
		}(p)
	}
	wg.Wait()
	assert.Equal(t, total, count.Load())
	for p := 0; p < producers; p++ {
		for i := 0; i < perProducer; i++ {
			_, ok := seen.Load(fmt.Sprintf("p%d-%d", p, i))
			assert.True(t, ok, "p%d-%d never taken", p, i)
		}
	}
	waitBlocked(t, ctl, 0)
}

// TestZSetMillionMembers: ranks, ranges by index and rank removals on a
// 1,000,000-member set answer correctly (the tree's counts are exact at
// that size); the time they take is measured by the bench, not here.
func TestZSetMillionMembers(t *testing.T) {
	if testing.Short() {
		t.Skip("large")
	}
	srv := servertest.Start(t)
	rdb := newListClient(t, srv, 2)
	ctx := context.Background()
	const n = 1_000_000
	const batch = 10_000
	for from := 0; from < n; from += batch {
		args := make([]any, 0, 2+2*batch)
		args = append(args, "ZADD", "big")
		for i := from; i < from+batch; i++ {
			args = append(args, i, "m"+strconv.Itoa(i))
		}
		require.NoError(t, rdb.Do(ctx, args...).Err())
	}
	assert.EqualValues(t, n, rdb.ZCard(ctx, "big").Val())
	for _, i := range []int64{0, 1, 499_999, 777_777, n - 1} {
		m := "m" + strconv.FormatInt(i, 10)
		assert.Equal(t, i, rdb.ZRank(ctx, "big", m).Val())
		assert.Equal(t, n-1-i, rdb.ZRevRank(ctx, "big", m).Val())
		assert.Equal(t, []string{m}, rdb.ZRange(ctx, "big", i, i).Val())
	}
	assert.EqualValues(t, 1000, rdb.ZRemRangeByRank(ctx, "big", 500_000, 500_999).Val())
	assert.Equal(t, int64(500_000), rdb.ZRank(ctx, "big", "m501000").Val())
	assert.EqualValues(t, 1000, rdb.ZCount(ctx, "big", "(499999", "501999").Val())
	assert.Equal(t, "skiplist", rdb.ObjectEncoding(ctx, "big").Val())
}
