package server_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/kioku-db/kioku/persistence"
	"github.com/kioku-db/kioku/server/servertest"
	"github.com/kioku-db/kioku/store"
)

// fillEveryType writes every type in both of its encodings, with TTLs,
// in databases 0 and 3.
func fillEveryType(t *testing.T, c *redis.Client) {
	t.Helper()
	for _, db := range []int{0, 3} {
		p := c.Pipeline()
		p.Select(ctx, db)
		p.Set(ctx, "str", "hello", 0)
		p.Set(ctx, "int", 12345, 0)
		p.Set(ctx, "big", strings.Repeat("abc", 1000), 0)
		p.Set(ctx, "ttl", "v", time.Hour)
		p.HSet(ctx, "hsmall", "f", "v", "n", 1)
		p.SAdd(ctx, "ints", 1, 2, 3, -9000000000)
		p.SAdd(ctx, "strs", "a", "b")
		p.ZAdd(ctx, "zsmall", redis.Z{Score: 1.5, Member: "a"}, redis.Z{Score: -2, Member: "b"})
		p.RPush(ctx, "list", "a", 1, "b")
		p.Expire(ctx, "list", time.Hour)
		for i := 0; i < 300; i++ {
			p.HSet(ctx, "hbig", fmt.Sprint("f", i), i)
			p.SAdd(ctx, "sbig", fmt.Sprint("m", i))
			p.ZAdd(ctx, "zbig", redis.Z{Score: float64(i) / 3, Member: fmt.Sprint("m", i)})
			p.RPush(ctx, "lbig", fmt.Sprint("element-", i))
			p.XAdd(ctx, &redis.XAddArgs{Stream: "stream", ID: fmt.Sprintf("%d-1", i+1), Values: []string{"f", fmt.Sprint(i)}})
		}
		p.XGroupCreate(ctx, "stream", "g", "0")
		p.XReadGroup(ctx, &redis.XReadGroupArgs{Group: "g", Consumer: "c", Streams: []string{"stream", ">"}, Count: 10})
		p.XDel(ctx, "stream", "5-1")
		p.Select(ctx, 0) // the connection goes back to the pool
		_, err := p.Exec(ctx)
		require.NoError(t, err)
	}
}

func digest(t *testing.T, c *redis.Client) string {
	t.Helper()
	d, err := c.Do(ctx, "DEBUG", "DIGEST").Text()
	require.NoError(t, err)
	return d
}

func TestDebugReloadKeepsTheDigest(t *testing.T) {
	srv := servertest.Start(t)
	c := clients(t, srv)["resp2"]
	require.Equal(t, strings.Repeat("0", 40), digest(t, c))
	fillEveryType(t, c)
	before := digest(t, c)
	require.NotEqual(t, strings.Repeat("0", 40), before)
	require.NoError(t, c.Do(ctx, "DEBUG", "RELOAD").Err())
	require.Equal(t, before, digest(t, c))
	ttl := c.TTL(ctx, "ttl").Val()
	require.True(t, ttl > 59*time.Minute && ttl <= time.Hour, ttl)
	require.Equal(t, "stream", c.Type(ctx, "stream").Val())
	require.Equal(t, int64(10), c.XPending(ctx, "stream", "g").Val().Count)
	require.Equal(t, "quicklist", c.ObjectEncoding(ctx, "lbig").Val())
	require.Equal(t, "listpack", c.ObjectEncoding(ctx, "hsmall").Val())
	require.Equal(t, "intset", c.ObjectEncoding(ctx, "ints").Val())
	require.Equal(t, "skiplist", c.ObjectEncoding(ctx, "zbig").Val())

	// A change moves the digest; DIGEST-VALUE follows the value.
	v1 := c.Do(ctx, "DEBUG", "DIGEST-VALUE", "hbig", "missing").Val()
	c.HSet(ctx, "hbig", "f1", "changed")
	require.NotEqual(t, before, digest(t, c))
	v2 := c.Do(ctx, "DEBUG", "DIGEST-VALUE", "hbig", "missing").Val()
	require.NotEqual(t, v1.([]any)[0], v2.([]any)[0])
	require.Equal(t, strings.Repeat("0", 40), v2.([]any)[1])
}

// TestRestartLoadsTheSnapshot: SAVE, then a new server on the same dir
// has the same data; SHUTDOWN SAVE does the same.
func TestRestartLoadsTheSnapshot(t *testing.T) {
	dir := t.TempDir()
	srv := servertest.Start(t, servertest.WithOption("dir", dir))
	c := clients(t, srv)["resp2"]
	fillEveryType(t, c)
	c.FunctionLoad(ctx, "#!lua name=lib\nredis.register_function('f', function() return 1 end)")
	want := digest(t, c)
	before := c.LastSave(ctx).Val()
	require.NoError(t, c.Save(ctx).Err())
	require.GreaterOrEqual(t, c.LastSave(ctx).Val(), before)
	_, err := os.Stat(filepath.Join(dir, "dump.rdb"))
	require.NoError(t, err)
	require.NoError(t, srv.Close())

	srv2 := servertest.Start(t, servertest.WithOption("dir", dir))
	c2 := clients(t, srv2)["resp2"]
	require.Equal(t, want, digest(t, c2))
	require.Equal(t, int64(1), c2.FCall(ctx, "f", nil).Val())
	info := c2.Info(ctx, "persistence").Val()
	require.Contains(t, info, "rdb_changes_since_last_save:0\r\n")

	c2.Set(ctx, "after", "shutdown", 0)
	want = digest(t, c2)
	require.Contains(t, c2.Info(ctx, "persistence").Val(), "rdb_changes_since_last_save:1\r\n")
	c2.ShutdownSave(ctx) // the connection closes: no reply to check
	select {
	case <-srv2.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("SHUTDOWN did not stop the server")
	}
	_ = srv2.Close()
	srv3 := servertest.Start(t, servertest.WithOption("dir", dir))
	require.Equal(t, want, digest(t, clients(t, srv3)["resp2"]))
}

// TestBgsaveIsPointInTime: writers keep changing keys while BGSAVE runs;
// what the file holds is one consistent instant: every MULTI writes the
// same counter to two keys in different shards, so they must be equal.
func TestBgsaveIsPointInTime(t *testing.T) {
	dir := t.TempDir()
	srv := servertest.Start(t, servertest.WithOption("dir", dir))
	c := clients(t, srv)["resp2"]
	p := c.Pipeline()
	for i := 0; i < 50000; i++ {
		p.Set(ctx, fmt.Sprint("filler:", i), i, 0)
	}
	_, err := p.Exec(ctx)
	require.NoError(t, err)

	var stop atomic.Bool
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; !stop.Load(); i++ {
				_, err := c.TxPipelined(ctx, func(p redis.Pipeliner) error {
					p.Set(ctx, fmt.Sprint("a", w), i, 0)
					p.Set(ctx, fmt.Sprint("b", w), i, 0)
					p.Incr(ctx, fmt.Sprint("filler:", i%50000))
					return nil
				})
				if err != nil {
					return
				}
			}
		}(w)
	}
	time.Sleep(20 * time.Millisecond)
	require.Equal(t, "Background saving started", c.BgSave(ctx).Val())
	require.Equal(t, "ERR Background save already in progress", c.BgSave(ctx).Err().Error())
	waitBgsave(t, c)
	stop.Store(true)
	wg.Wait()
	require.Contains(t, c.Info(ctx, "persistence").Val(), "rdb_last_bgsave_status:ok")
	require.NoError(t, srv.Close())

	srv2 := servertest.Start(t, servertest.WithOption("dir", dir))
	c2 := clients(t, srv2)["resp2"]
	for w := 0; w < 4; w++ {
		a, b := c2.Get(ctx, fmt.Sprint("a", w)).Val(), c2.Get(ctx, fmt.Sprint("b", w)).Val()
		require.Equal(t, a, b, "writer %d's transaction is half in the snapshot", w)
	}
	require.Equal(t, int64(50008), c2.DBSize(ctx).Val())
}

func waitBgsave(t *testing.T, c *redis.Client) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for strings.Contains(c.Info(ctx, "persistence").Val(), "rdb_bgsave_in_progress:1") {
		require.True(t, time.Now().Before(deadline), "BGSAVE did not finish")
		time.Sleep(5 * time.Millisecond)
	}
}

// TestSavePointTriggersBgsave: "save 1 3" saves once three changes are a
// second old.
func TestSavePointTriggersBgsave(t *testing.T) {
	dir := t.TempDir()
	srv := servertest.Start(t, servertest.WithOption("dir", dir), servertest.WithOption("save", "1 3"), servertest.WithOption("hz", "100"))
	c := clients(t, srv)["resp2"]
	start := c.LastSave(ctx).Val()
	c.Set(ctx, "a", 1, 0)
	c.Set(ctx, "b", 1, 0)
	time.Sleep(1100 * time.Millisecond)
	require.Equal(t, start, c.LastSave(ctx).Val(), "saved before the third change")
	c.Set(ctx, "c", 1, 0)
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(c.Info(ctx, "persistence").Val(), "rdb_changes_since_last_save:0\r\n") {
		require.True(t, time.Now().Before(deadline), "no save after the save point")
		time.Sleep(10 * time.Millisecond)
	}
	_, err := os.Stat(filepath.Join(dir, "dump.rdb"))
	require.NoError(t, err)
}

// TestCorruptRDBRefusesToStart: a damaged file is an error at startup,
// never a partial dataset.
func TestCorruptRDBRefusesToStart(t *testing.T) {
	dir := t.TempDir()
	srv := servertest.Start(t, servertest.WithOption("dir", dir))
	c := clients(t, srv)["resp2"]
	fillEveryType(t, c)
	require.NoError(t, c.Save(ctx).Err())
	require.NoError(t, srv.Close())
	path := filepath.Join(dir, "dump.rdb")
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	for _, cut := range []int{len(data) - 1, len(data) / 2, 20} {
		require.NoError(t, os.WriteFile(path, data[:cut], 0o644))
		_, err := servertest.New(servertest.WithOption("dir", dir))
		require.Error(t, err, "started on a file cut at %d", cut)
	}
	flipped := append([]byte(nil), data...)
	flipped[len(flipped)/2] ^= 0xff
	require.NoError(t, os.WriteFile(path, flipped, 0o644))
	_, err = servertest.New(servertest.WithOption("dir", dir))
	require.Error(t, err)
}

func TestBgsaveSchedule(t *testing.T) {
	srv := servertest.Start(t)
	c := clients(t, srv)["resp2"]
	require.Equal(t, "ERR syntax error", c.Do(ctx, "BGSAVE", "NOW").Err().Error())
	require.Equal(t, "Background saving started", c.Do(ctx, "BGSAVE", "SCHEDULE").Val())
	waitBgsave(t, c)
	require.Contains(t, c.Info(ctx, "persistence").Val(), "rdb_saves:1")
}

func TestDebugLoadAOFKeepsTheDigest(t *testing.T) {
	srv := servertest.Start(t, servertest.WithOption("appendonly", "yes"))
	c := clients(t, srv)["resp2"]
	fillEveryType(t, c)
	want := digest(t, c)
	require.NoError(t, c.Do(ctx, "DEBUG", "LOADAOF").Err())
	require.Equal(t, want, digest(t, c))
	require.Contains(t, c.Info(ctx, "persistence").Val(), "aof_enabled:1")
}

// TestDebugReloadMergeNoflush: the file's keys replace those of the same
// name; keys the file lacks stay, as with Redis.
func TestDebugReloadMergeNoflush(t *testing.T) {
	srv := servertest.Start(t)
	c := clients(t, srv)["resp2"]
	c.Set(ctx, "a", "1", 0)
	c.RPush(ctx, "b", "x", "y")
	require.NoError(t, c.Save(ctx).Err())
	c.Set(ctx, "a", "changed", time.Hour)
	c.Set(ctx, "c", "3", 0)
	require.NoError(t, c.Do(ctx, "DEBUG", "RELOAD", "MERGE", "NOFLUSH", "NOSAVE").Err())
	require.Equal(t, []any{"1", nil, "3"}, c.MGet(ctx, "a", "b", "c").Val()[:3])
	require.Equal(t, time.Duration(-1), c.TTL(ctx, "a").Val(), "the file's key has no TTL")
	require.Equal(t, []string{"x", "y"}, c.LRange(ctx, "b", 0, -1).Val())
	require.Equal(t, int64(3), c.DBSize(ctx).Val())
}

// TestLoadReportsTheFirstDuplicateKey: a file naming a key twice does
// not load, and the error names the first duplicate in the file, even
// when keys are put in place in parallel.
func TestLoadReportsTheFirstDuplicateKey(t *testing.T) {
	// Two keys of shards that are put in place by different goroutines.
	x := "k:1"
	var y string
	for i := 2; y == ""; i++ {
		if k := fmt.Sprint("k:", i); store.ShardOf(k)%2 != store.ShardOf(x)%2 {
			y = k
		}
	}
	for _, order := range [][2]string{{x, y}, {y, x}} {
		dir := t.TempDir()
		writeRDB(t, filepath.Join(dir, "dump.rdb"), func(i int) string {
			switch i {
			case 3000:
				return order[0]
			case 3001: // in flight with the first: both lanes fail
				return order[1]
			}
			return fmt.Sprint("k:", i)
		}, 8000)
		_, err := servertest.New(servertest.WithOption("dir", dir))
		require.ErrorContains(t, err, fmt.Sprintf("Duplicate key '%s' found in RDB file", order[0]))
	}
}

// writeRDB writes an RDB file of n string keys named by key(i).
func writeRDB(t *testing.T, path string, key func(int) string, n int) {
	t.Helper()
	var buf bytes.Buffer
	w := persistence.NewRDBWriter(&buf, true)
	require.NoError(t, w.WriteHeader(nil))
	require.NoError(t, w.WriteDBStart(0, n, 0))
	var enc persistence.EntryEncoder
	var b []byte
	for i := range n {
		b = enc.AppendEntry(b[:0], &store.Entry{Key: key(i), Str: fmt.Sprint("v", i)})
		require.NoError(t, w.WriteRaw(b))
	}
	require.NoError(t, w.Finish())
	require.NoError(t, os.WriteFile(path, buf.Bytes(), 0o644))
}
