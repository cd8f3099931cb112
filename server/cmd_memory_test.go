package server_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/kioku-db/kioku/server/servertest"
)

// TestMemoryUsageIsTheAccountedSize: the sizes MEMORY USAGE reports add
// up to INFO's used_memory_dataset, what maxmemory compares against, for
// every type, including collections changed in place.
func TestMemoryUsageIsTheAccountedSize(t *testing.T) {
	srv := servertest.Start(t)
	c := clients(t, srv)["resp3"]
	require.NoError(t, c.Set(ctx, "s", strings.Repeat("x", 300), 0).Err())
	require.NoError(t, c.Set(ctx, "n", 12345, time.Hour).Err())
	for i := 0; i < 300; i++ {
		c.HSet(ctx, "h", fmt.Sprint("field", i), "value")
		c.RPush(ctx, "l", fmt.Sprint("element", i))
		c.SAdd(ctx, "ints", i)
		c.SAdd(ctx, "strs", fmt.Sprint("member", i))
		c.ZAdd(ctx, "z", redis.Z{Score: float64(i), Member: fmt.Sprint("m", i)})
	}
	c.HSet(ctx, "small", "f", "v")
	c.ZAdd(ctx, "zsmall", redis.Z{Score: 1, Member: "a"})
	c.XAdd(ctx, &redis.XAddArgs{Stream: "x", Values: []string{"f", "v"}})
	c.LPop(ctx, "l")
	c.HDel(ctx, "h", "field7")

	var sum int64
	for _, k := range c.Keys(ctx, "*").Val() {
		n, err := c.MemoryUsage(ctx, k).Result()
		require.NoError(t, err, k)
		require.Positive(t, n, k)
		sum += n
	}
	require.Equal(t, infoInt(t, c, "memory", "used_memory_dataset"), sum)
	require.Equal(t, infoInt(t, c, "memory", "used_memory"),
		infoInt(t, c, "memory", "used_memory_startup")+sum)

	require.ErrorIs(t, c.MemoryUsage(ctx, "nokey").Err(), redis.Nil)
	all := c.MemoryUsage(ctx, "h", 0).Val()
	require.Greater(t, all, int64(299*len("field0value")))
	require.Greater(t, c.MemoryUsage(ctx, "s").Val(), c.MemoryUsage(ctx, "n").Val())

	require.NoError(t, c.FlushAll(ctx).Err())
	require.Zero(t, infoInt(t, c, "memory", "used_memory_dataset"))
}

func TestMemoryStats(t *testing.T) {
	srv := servertest.Start(t)
	c := clients(t, srv)["resp3"]
	for i := 0; i < 10; i++ {
		c.Set(ctx, fmt.Sprint("k", i), "v", 0)
	}
	c.Set(ctx, "other", "v", 0)
	v, err := c.Do(ctx, "MEMORY", "STATS").Result()
	require.NoError(t, err)
	m := v.(map[interface{}]interface{})
	require.EqualValues(t, 11, m["keys.count"])
	require.EqualValues(t, infoInt(t, c, "memory", "used_memory_dataset"), m["dataset.bytes"])
	require.EqualValues(t, infoInt(t, c, "memory", "used_memory_startup"), m["startup.allocated"])
	require.Contains(t, m, "db.0")
	require.Equal(t, "OK", c.Do(ctx, "MEMORY", "PURGE").Val())
	require.Contains(t, c.Do(ctx, "MEMORY", "DOCTOR").Val(), "Hi Sam")
}
