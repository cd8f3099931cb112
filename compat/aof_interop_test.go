//go:build !redisonly

package compat

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/kioku-db/kioku/persistence"
	"github.com/kioku-db/kioku/server"
)

// The append-only file across implementations: what a real redis-server
// 7.0 writes with appendonly yes (a base with or without RDB preamble,
// then an incremental file), Kioku loads with the same data; what Kioku
// writes, redis-check-aof accepts and redis-server loads with the same
// data.

var aofCtx = context.Background()

// aofWorkload writes every type through the commands whose propagated
// form is rewritten (relative TTLs, INCRBYFLOAT, SPOP, XADD *, consumer
// groups, blocking pops served at once, scripts, transactions), in
// several databases.
func aofWorkload(t *testing.T, c *redis.Client, tag string) {
	t.Helper()
	do := func(args ...any) {
		t.Helper()
		if err := c.Do(aofCtx, args...).Err(); err != nil && err != redis.Nil {
			t.Fatalf("%v: %v", args, err)
		}
	}
	k := func(name string) string { return tag + ":" + name }
	do("SET", k("str"), "hello")
	do("SET", k("ex"), "v", "EX", 1000)
	do("SETEX", k("setex"), 2000, "v")
	do("SET", k("keep"), "v", "PXAT", time.Now().Add(time.Hour).UnixMilli())
	do("EXPIRE", k("str"), 3000)
	do("INCRBYFLOAT", k("float"), "1.1")
	do("INCRBYFLOAT", k("float"), "2.25")
	do("HINCRBYFLOAT", k("hash"), "f", "0.5")
	do("HSET", k("hash"), "a", "1", "b", "2")
	for i := 0; i < 200; i++ {
		do("HSET", k("bighash"), fmt.Sprint("field", i), i)
		do("RPUSH", k("biglist"), fmt.Sprint("item", i))
		do("SADD", k("bigset"), fmt.Sprint("member", i))
		do("ZADD", k("bigzset"), float64(i)/7, fmt.Sprint("m", i))
	}
	do("SADD", k("intset"), 1, 2, 3, 4, 5)
	do("SPOP", k("intset"))
	do("SPOP", k("bigset"), 3)
	do("ZADD", k("zset"), "1.5", "a", "-inf", "b", "+inf", "c")
	do("RPUSH", k("list"), "a", "b", "c", "d")
	do("BLPOP", k("list"), 1)
	do("BLMOVE", k("list"), k("list2"), "RIGHT", "LEFT", 1)
	do("BZPOPMAX", k("zset"), 1)
	do("LMPOP", 1, k("list"), "LEFT", "COUNT", 1)
	for i := 0; i < 6; i++ {
		do("XADD", k("stream"), "*", "n", i)
	}
	do("XADD", k("stream"), "MAXLEN", "~", 100, "*", "n", "last")
	do("XADD", k("stream"), "MAXLEN", "~", 100, "LIMIT", 10, "*", "n", "limited")
	do("XGROUP", "CREATE", k("stream"), "g1", "0")
	do("XGROUP", "CREATE", k("stream"), "g2", "$")
	do("XREADGROUP", "GROUP", "g1", "alice", "COUNT", 3, "STREAMS", k("stream"), ">")
	do("XREADGROUP", "GROUP", "g1", "bob", "COUNT", 1, "NOACK", "STREAMS", k("stream"), ">")
	do("XGROUP", "CREATECONSUMER", k("stream"), "g2", "carol")
	ids := c.XRange(aofCtx, k("stream"), "-", "+").Val()
	do("XACK", k("stream"), "g1", ids[0].ID)
	do("XCLAIM", k("stream"), "g1", "dave", 0, ids[1].ID)
	do("XDEL", k("stream"), ids[5].ID)
	do("XGROUP", "CREATE", k("empty"), "g", "$", "MKSTREAM")
	do("EVAL", "local t = redis.call('TIME') redis.call('SET', KEYS[1], t[1]) redis.call('RPUSH', KEYS[2], t[2]) return 1",
		2, k("script-time"), k("script-list"))
	tx := c.TxPipeline()
	tx.Incr(aofCtx, k("tx1"))
	tx.Incr(aofCtx, k("tx2"))
	_, err := tx.Exec(aofCtx)
	require.NoError(t, err)
	do("SELECT", 4)
	do("SET", k("db4"), "four")
	do("SELECT", 0)
	do("SET", k("gone"), "x")
	do("DEL", k("gone"))
}

func aofFunctions(t *testing.T, c *redis.Client) {
	require.NoError(t, c.Do(aofCtx, "FUNCTION", "LOAD",
		"#!lua name=interop\nredis.register_function('bump', function(keys) return redis.call('INCR', keys[1]) end)").Err())
	require.NoError(t, c.Do(aofCtx, "FCALL", "bump", 1, "fn:counter").Err())
}

// aofDataset describes what a client sees, comparably across servers:
// each key's type, absolute expire time and value (streams with their
// IDs, counters, groups, consumers and pending entries with delivery
// times), and the function libraries.
func aofDataset(t *testing.T, addr string) map[string]string {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2})
	defer c.Close()
	out := map[string]string{}
	out["functions"] = fmt.Sprint(c.Do(aofCtx, "FUNCTION", "LIST", "WITHCODE").Val())
	for db := 0; db < 16; db++ {
		require.NoError(t, c.Do(aofCtx, "SELECT", db).Err())
		keys, err := c.Do(aofCtx, "KEYS", "*").StringSlice()
		require.NoError(t, err)
		for _, key := range keys {
			out[fmt.Sprintf("%d/%s", db, key)] = aofDescribe(t, c, key)
		}
	}
	return out
}

func aofDescribe(t *testing.T, c *redis.Client, key string) string {
	typ := c.Type(aofCtx, key).Val()
	exp := c.Do(aofCtx, "PEXPIRETIME", key).Val()
	var val any
	switch typ {
	case "string":
		val = c.Get(aofCtx, key).Val()
	case "list":
		val = c.LRange(aofCtx, key, 0, -1).Val()
	case "set":
		m := c.SMembers(aofCtx, key).Val()
		sort.Strings(m)
		val = m
	case "zset":
		val = c.ZRangeWithScores(aofCtx, key, 0, -1).Val()
	case "hash":
		var pairs []string
		for f, v := range c.HGetAll(aofCtx, key).Val() {
			pairs = append(pairs, f+"="+v)
		}
		sort.Strings(pairs)
		val = pairs
	case "stream":
		full, err := c.Do(aofCtx, "XINFO", "STREAM", key, "FULL").Slice()
		require.NoError(t, err)
		info := pairsOf(full)
		var groups []string
		for _, g := range info["groups"].([]any) {
			gi := pairsOf(g.([]any))
			var consumers []string
			for _, cons := range gi["consumers"].([]any) {
				ci := pairsOf(cons.([]any))
				consumers = append(consumers, fmt.Sprint(ci["name"], ci["pel-count"], ci["pending"]))
			}
			groups = append(groups, fmt.Sprint(gi["name"], gi["last-delivered-id"], gi["entries-read"], gi["lag"],
				gi["pel-count"], gi["pending"], consumers))
		}
		val = fmt.Sprint(info["length"], info["last-generated-id"], info["max-deleted-entry-id"],
			info["entries-added"], info["recorded-first-entry-id"], info["entries"], groups)
	}
	return fmt.Sprintf("%s ttl=%v %v", typ, exp, val)
}

func pairsOf(list []any) map[string]any {
	m := map[string]any{}
	for i := 0; i+1 < len(list); i += 2 {
		m[fmt.Sprint(list[i])] = list[i+1]
	}
	return m
}

func waitAOFRewrite(t *testing.T, c *redis.Client) {
	t.Helper()
	require.Eventually(t, func() bool {
		info := c.Info(aofCtx, "persistence").Val()
		return strings.Contains(info, "aof_rewrite_in_progress:0") && strings.Contains(info, "aof_rewrite_scheduled:0")
	}, 20*time.Second, 10*time.Millisecond)
}

func startKiokuAOF(t *testing.T, dir string, opts map[string]string) *server.Server {
	t.Helper()
	o := map[string]string{"dir": dir, "appendonly": "yes", "save": "", "enable-debug-command": "local"}
	for k, v := range opts {
		o[k] = v
	}
	srv, err := server.New(server.Config{Addr: "127.0.0.1:0", Options: o})
	require.NoError(t, err)
	require.NoError(t, srv.Start())
	t.Cleanup(func() { srv.Close() })
	return srv
}

// TestAOFFromRedisLoadsInKioku: redis-server 7.0 writes an AOF (a base
// from a rewrite, then more writes in the incremental file), Kioku loads
// it with the same data.
func TestAOFFromRedisLoadsInKioku(t *testing.T) {
	for _, preamble := range []string{"yes", "no"} {
		t.Run("aof-use-rdb-preamble "+preamble, func(t *testing.T) {
			dir := t.TempDir()
			rs := startRedis(t, opt("dir", dir), opt("appendonly", "yes"), opt("aof-use-rdb-preamble", preamble))
			rc := redis.NewClient(&redis.Options{Addr: rs.addr, Protocol: 2})
			defer rc.Close()
			aofWorkload(t, rc, "base")
			aofFunctions(t, rc)
			require.NoError(t, rc.Do(aofCtx, "BGREWRITEAOF").Err())
			waitAOFRewrite(t, rc)
			aofWorkload(t, rc, "incr")
			want := aofDataset(t, rs.addr)
			rs.stop()

			ks := startKiokuAOF(t, dir, nil)
			require.Equal(t, want, aofDataset(t, ks.Addr()))
		})
	}
}

// TestAOFFromKiokuLoadsInRedis: Kioku writes an AOF, redis-check-aof
// finds it valid and redis-server 7.0 loads it with the same data.
func TestAOFFromKiokuLoadsInRedis(t *testing.T) {
	if _, err := os.Stat(redisBinary()); err != nil {
		t.Skip("redis-server not available")
	}
	checker, err := exec.LookPath("redis-check-aof")
	if err != nil {
		t.Skip("redis-check-aof not available")
	}
	for _, preamble := range []string{"yes", "no"} {
		t.Run("aof-use-rdb-preamble "+preamble, func(t *testing.T) {
			dir := t.TempDir()
			ks := startKiokuAOF(t, dir, map[string]string{"aof-use-rdb-preamble": preamble})
			kc := redis.NewClient(&redis.Options{Addr: ks.Addr(), Protocol: 2})
			defer kc.Close()
			aofWorkload(t, kc, "base")
			aofFunctions(t, kc)
			require.NoError(t, kc.Do(aofCtx, "BGREWRITEAOF").Err())
			waitKiokuRewrite(t, dir)
			aofWorkload(t, kc, "incr")
			want := aofDataset(t, ks.Addr())
			require.NoError(t, ks.Close())

			manifest := filepath.Join(dir, "appendonlydir", "appendonly.aof.manifest")
			out, err := exec.Command(checker, manifest).CombinedOutput()
			require.NoError(t, err, "%s", out)
			require.Contains(t, string(out), "All AOF files and manifest are valid")

			rs := startRedis(t, opt("dir", dir), opt("appendonly", "yes"))
			require.Equal(t, want, aofDataset(t, rs.addr))
		})
	}
}

// waitKiokuRewrite waits until the first rewrite after startup is
// installed: the manifest names the second base and no history is left.
func waitKiokuRewrite(t *testing.T, dir string) {
	adir := filepath.Join(dir, "appendonlydir")
	require.Eventually(t, func() bool {
		m, err := persistence.ReadManifestFile(adir, "appendonly.aof")
		if err != nil || m == nil || m.Base == nil || m.Base.Seq < 2 || len(m.History) > 0 {
			return false
		}
		ents, _ := os.ReadDir(adir)
		for _, e := range ents {
			if strings.HasPrefix(e.Name(), "temp-") {
				return false
			}
		}
		return true
	}, 20*time.Second, 10*time.Millisecond)
}
