package server_test

import (
	"errors"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/kioku-db/kioku/server/servertest"
)

// TestExecIsAtomic: a transaction moves value between two keys while
// other clients read both; no reader ever sees the sum broken, which it
// would if it could run between the transaction's commands.
func TestExecIsAtomic(t *testing.T) {
	srv := servertest.Start(t)
	c := clients(t, srv)["resp3"]
	require.NoError(t, c.MSet(ctx, "a", 1000, "b", 0).Err())

	var wg sync.WaitGroup
	stop := make(chan struct{})
	broken := make(chan string, 1)
	for r := 0; r < 4; r++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rc := redis.NewClient(&redis.Options{Addr: srv.Addr()})
			defer rc.Close()
			for {
				select {
				case <-stop:
					return
				default:
				}
				vals, err := rc.MGet(ctx, "a", "b").Result()
				if err != nil {
					continue
				}
				a, _ := strconv.Atoi(vals[0].(string))
				b, _ := strconv.Atoi(vals[1].(string))
				if a+b != 1000 {
					select {
					case broken <- strconv.Itoa(a) + "+" + strconv.Itoa(b):
					default:
					}
				}
			}
		}()
	}
	for i := 0; i < 500; i++ {
		_, err := c.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.DecrBy(ctx, "a", 1)
			p.IncrBy(ctx, "b", 1)
			return nil
		})
		require.NoError(t, err)
	}
	close(stop)
	wg.Wait()
	select {
	case s := <-broken:
		t.Fatalf("a reader saw a partial transaction: %s", s)
	default:
	}
	require.Equal(t, "500", c.Get(ctx, "a").Val())
}

// TestWatchOptimisticIncrement is go-redis's documented WATCH pattern:
// concurrent optimistic increments retry on conflict and none is lost.
func TestWatchOptimisticIncrement(t *testing.T) {
	srv := servertest.Start(t)
	const workers, each = 8, 25
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := redis.NewClient(&redis.Options{Addr: srv.Addr()})
			defer c.Close()
			for i := 0; i < each; i++ {
				for {
					err := c.Watch(ctx, func(tx *redis.Tx) error {
						n, err := tx.Get(ctx, "counter").Int()
						if err != nil && !errors.Is(err, redis.Nil) {
							return err
						}
						_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
							p.Set(ctx, "counter", n+1, 0)
							return nil
						})
						return err
					}, "counter")
					if err == nil {
						break
					}
					require.ErrorIs(t, err, redis.TxFailedErr)
				}
			}
		}()
	}
	wg.Wait()
	c := clients(t, srv)["resp2"]
	require.Equal(t, strconv.Itoa(workers*each), c.Get(ctx, "counter").Val())
}

// TestWatchedKeyExpiring: a watched key that expires before EXEC aborts
// the transaction, as in Redis.
func TestWatchedKeyExpiring(t *testing.T) {
	srv := servertest.Start(t)
	c := clients(t, srv)["resp2"]
	require.NoError(t, c.Set(ctx, "k", "v", 10*time.Second).Err())
	err := c.Watch(ctx, func(tx *redis.Tx) error {
		srv.FastForward(time.Minute)
		_, err := tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.Set(ctx, "other", 1, 0)
			return nil
		})
		return err
	}, "k")
	require.ErrorIs(t, err, redis.TxFailedErr)
	require.Equal(t, int64(0), c.Exists(ctx, "other").Val())
}
