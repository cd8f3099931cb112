package server_test

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/kioku-db/kioku/persistence"
	"github.com/kioku-db/kioku/server"
	"github.com/kioku-db/kioku/server/servertest"
	"github.com/kioku-db/kioku/store"
)

// aofServer starts a server with appendonly yes on dir.
func aofServer(t *testing.T, dir string, opts ...servertest.Option) (*servertest.Server, *redis.Client) {
	t.Helper()
	opts = append([]servertest.Option{
		servertest.WithOption("dir", dir),
		servertest.WithOption("appendonly", "yes"),
	}, opts...)
	srv := servertest.Start(t, opts...)
	c := redis.NewClient(&redis.Options{Addr: srv.Addr(), Protocol: 2, ReadTimeout: 10 * time.Second})
	t.Cleanup(func() { c.Close() })
	return srv, c
}

func incrPath(dir string, n int) string {
	return filepath.Join(dir, "appendonlydir", fmt.Sprintf("appendonly.aof.%d.incr.aof", n))
}

func fileLen(t *testing.T, path string) int64 {
	st, err := os.Stat(path)
	require.NoError(t, err)
	return st.Size()
}

// readCommands parses the commands of an AOF from offset from.
func readCommands(t *testing.T, path string, from int64) [][]string {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	rd := persistence.NewAOFReader(bufio.NewReader(bytes.NewReader(data[from:])), from)
	var out [][]string
	for {
		args, err := rd.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		require.NoError(t, err)
		cmd := make([]string, len(args))
		for i, a := range args {
			cmd[i] = string(a)
		}
		out = append(out, cmd)
	}
}

func do(t *testing.T, c *redis.Client, line string) any {
	t.Helper()
	var args []any
	for _, f := range strings.Fields(line) {
		args = append(args, f)
	}
	v, err := c.Do(ctx, args...).Result()
	if err != nil && err != redis.Nil {
		t.Fatalf("%s: %v", line, err)
	}
	return v
}

// TestAOFPropagationForms runs commands with appendonly yes and checks
// what each appended: the deterministic form Redis 7 propagates.
// In expectations, <ts> is an absolute unix time in ms within a minute of
// now plus the TTL the test set, <any> any argument, and an empty list
// means nothing was written.
func TestAOFPropagationForms(t *testing.T) {
	dir := t.TempDir()
	_, c := aofServer(t, dir)
	incr := incrPath(dir, 1)
	payload := ""
	if dump, err := c.Dump(ctx, "nothing").Result(); err == nil || err == redis.Nil {
		_ = dump
		require.NoError(t, c.Set(ctx, "dumpme", "v", 0).Err())
		payload, _ = c.Dump(ctx, "dumpme").Result()
	}
	now := time.Now().UnixMilli()
	tsNear := func(offset int64) func(string) bool {
		return func(s string) bool {
			n, err := strconv.ParseInt(s, 10, 64)
			return err == nil && n >= now+offset-1000 && n <= now+offset+60000
		}
	}
	cases := []struct {
		setup []string
		run   string
		want  []string
		check map[string]func(string) bool // placeholder → test
	}{
		{nil, "SET k v", []string{"SET k v"}, nil},
		{nil, "SET k v EX 100", []string{"SET k v PXAT <ttl100>"}, nil},
		{nil, "SET k2 v PX 100000 NX GET", []string{"SET k2 v PXAT <ttl100>"}, nil},
		{[]string{"SET k3 v"}, "SET k3 v NX", nil, nil},
		{nil, "SET k v PXAT 4000000000000", []string{"SET k v PXAT 4000000000000"}, nil},
		{nil, "SET k v KEEPTTL", []string{"SET k v KEEPTTL"}, nil},
		{nil, "SETEX k 100 v", []string{"SET k v PXAT <ttl100>"}, nil},
		{nil, "PSETEX k 100000 v", []string{"SET k v PXAT <ttl100>"}, nil},
		{nil, "EXPIRE k 100", []string{"PEXPIREAT k <ttl100>"}, nil},
		{nil, "PEXPIRE k 100000", []string{"PEXPIREAT k <ttl100>"}, nil},
		{nil, "EXPIREAT k 4000000000", []string{"PEXPIREAT k 4000000000000"}, nil},
		{nil, "PEXPIREAT k 4000000000001", []string{"PEXPIREAT k 4000000000001"}, nil},
		{nil, "EXPIRE k 100 NX", nil, nil},
		{nil, "EXPIRE k -1", []string{"DEL k"}, nil},
		{[]string{"SET k v"}, "GETEX k EX 100", []string{"PEXPIREAT k <ttl100>"}, nil},
		{nil, "GETEX k PERSIST", []string{"PERSIST k"}, nil},
		{nil, "GETEX k", nil, nil},
		{nil, "GETEX k PXAT 1", []string{"DEL k"}, nil},
		{[]string{"SET k v"}, "GETDEL k", []string{"DEL k"}, nil},
		{nil, "GETSET k v2", []string{"SET k v2"}, nil},
		{[]string{"SET f 10"}, "INCRBYFLOAT f 1.5", []string{"SET f 11.5 KEEPTTL"}, nil},
		{nil, "HINCRBYFLOAT h x 0.25", []string{"HSET h x 0.25"}, nil},
		{nil, "INCR n", []string{"INCR n"}, nil},
		{nil, "DEL missing", nil, nil},
		{[]string{"SADD s a b c"}, "SPOP s", []string{"SREM s <member>"}, nil},
		{nil, "SPOP s 1", []string{"SREM s <member>"}, nil},
		{nil, "SPOP s 5", []string{"DEL s"}, nil},
		{nil, "SPOP s", nil, nil},
		{[]string{"RPUSH l a b c d"}, "BLPOP l 1", []string{"LPOP l"}, nil},
		{nil, "BRPOP none l 1", []string{"RPOP l"}, nil},
		{nil, "BLMOVE l dst LEFT RIGHT 1", []string{"LMOVE l dst LEFT RIGHT"}, nil},
		{nil, "BRPOPLPUSH dst l 1", []string{"RPOPLPUSH dst l"}, nil},
		{[]string{"RPUSH l2 a b c"}, "BLMPOP 1 2 none l2 LEFT COUNT 2", []string{"LPOP l2 2"}, nil},
		{[]string{"ZADD z 1 a 2 b 3 c"}, "BZPOPMIN z 1", []string{"ZPOPMIN z"}, nil},
		{nil, "BZPOPMAX z 1", []string{"ZPOPMAX z"}, nil},
		{nil, "BZMPOP 1 1 z MAX COUNT 5", []string{"ZPOPMAX z 1"}, nil},
		{nil, "XADD x 1-1 a 1", []string{"XADD x 1-1 a 1"}, nil},
		{nil, "XADD x * b 2", []string{"XADD x <id> b 2"}, nil},
		{nil, "XADD x MAXLEN ~ 1 * c 3", []string{"XADD x MAXLEN = 3 <id> c 3"}, nil},
		{nil, "XADD x MINID ~ 0 LIMIT 10 * d 4", []string{"XADD x MINID = 1-1 <id> d 4"}, nil},
		{nil, "XADD x MAXLEN = 3 5000000000000-1 e 5", []string{"XADD x MAXLEN = 3 5000000000000-1 e 5"}, nil},
		{nil, "XTRIM x MAXLEN ~ 0", []string{"XTRIM x MAXLEN = <n>"}, nil},
		{[]string{"XADD x * f 6", "XADD x * f 7", "XADD x * f 8"}, "XTRIM x MAXLEN 2", []string{"XTRIM x MAXLEN 2"}, nil},
		{nil, "XGROUP CREATE x g 0", []string{"XGROUP CREATE x g 0"}, nil},
		{nil, "XGROUP CREATE x g 0", nil, nil},
		{nil, "XREADGROUP GROUP g c COUNT 1 STREAMS x >", []string{
			"MULTI",
			"XCLAIM x g c 0 <id> TIME <now> RETRYCOUNT 1 FORCE JUSTID LASTID <id>",
			"XGROUP SETID x g <id> ENTRIESREAD <n>",
			"EXEC"}, nil},
		{nil, "XREADGROUP GROUP g c STREAMS x 0", []string{"XCLAIM x g c 0 <id> TIME <now> RETRYCOUNT 2 FORCE JUSTID LASTID <id>"}, nil},
		{nil, "XREADGROUP GROUP g fresh NOACK STREAMS x >", []string{
			"MULTI", "XGROUP SETID x g <id> ENTRIESREAD <n>", "XGROUP CREATECONSUMER x g fresh", "EXEC"}, nil},
		{nil, "XREADGROUP GROUP g other STREAMS x >", nil, nil},
		{nil, "XGROUP CREATECONSUMER x g extra", []string{"XGROUP CREATECONSUMER x g extra"}, nil},
		{nil, "XGROUP CREATECONSUMER x g extra", nil, nil},
		{nil, "XCLAIM x g c2 0 5000000000000-1", nil, nil},
		{nil, "XAUTOCLAIM x g c3 0 0 JUSTID", []string{"XCLAIM x g c3 0 <id> TIME <now> RETRYCOUNT 2 FORCE JUSTID"}, nil},
		{[]string{"XADD x * f 9", "XADD x * f 10", "XREADGROUP GROUP g c STREAMS x >"}, "XAUTOCLAIM x g c3 0 0", []string{
			"MULTI",
			"XCLAIM x g c3 0 <id> TIME <now> RETRYCOUNT 3 FORCE JUSTID",
			"XCLAIM x g c3 0 <id> TIME <now> RETRYCOUNT 2 FORCE JUSTID",
			"XCLAIM x g c3 0 <id> TIME <now> RETRYCOUNT 2 FORCE JUSTID",
			"EXEC"}, nil},
		{[]string{"XADD x 7000000000000-1 f 1", "XREADGROUP GROUP g c STREAMS x >"}, "XCLAIM x g c4 0 7000000000000-1 JUSTID", []string{
			"XCLAIM x g c4 0 7000000000000-1 TIME <now> RETRYCOUNT 1 FORCE JUSTID LASTID 7000000000000-1"}, nil},
		{nil, "XCLAIM x g c5 0 7000000000000-1 RETRYCOUNT 5", []string{
			"XCLAIM x g c5 0 7000000000000-1 TIME <now> RETRYCOUNT 5 FORCE JUSTID LASTID 7000000000000-1"}, nil},
		{[]string{"XADD x 7000000000000-2 f 1", "XREADGROUP GROUP g c STREAMS x >", "XDEL x 7000000000000-2"},
			"XCLAIM x g c5 0 7000000000000-2", []string{"XACK x g 7000000000000-2"}, nil},
		{nil, "XACK x g 7000000000000-1", []string{"XACK x g 7000000000000-1"}, nil},
		{nil, "XACK x g 7000000000000-1", nil, nil},
		{nil, "XSETID x 8000000000000-0", []string{"XSETID x 8000000000000-0"}, nil},
		{nil, "XGROUP DESTROY x g", []string{"XGROUP DESTROY x g"}, nil},
		{nil, "XGROUP DESTROY x g", nil, nil},
		{nil, "FLUSHDB", []string{"FLUSHDB"}, nil},
		{nil, "FLUSHALL", []string{"FLUSHALL"}, nil},
		{nil, "SWAPDB 0 1", []string{"SWAPDB 0 1"}, nil},
		{nil, "SWAPDB 0 99", nil, nil},
	}
	if payload != "" {
		cases = append(cases, []struct {
			setup []string
			run   string
			want  []string
			check map[string]func(string) bool
		}{
			{nil, "RESTORE-ABS", []string{"RESTORE r <ttl100> <payload> ABSTTL"}, nil},
		}...)
	}
	for _, tc := range cases {
		for _, s := range tc.setup {
			do(t, c, s)
		}
		from := fileLen(t, incr)
		var reply any
		if tc.run == "RESTORE-ABS" {
			require.NoError(t, c.Do(ctx, "RESTORE", "r", "100000", payload).Err())
		} else {
			var args []any
			for _, f := range strings.Fields(tc.run) {
				args = append(args, f)
			}
			reply, _ = c.Do(ctx, args...).Result() // errors are part of the test
		}
		var got [][]string
		for _, cmd := range readCommands(t, incr, from) {
			if strings.EqualFold(cmd[0], "select") {
				continue
			}
			got = append(got, cmd)
		}
		require.Equal(t, len(tc.want), len(got), "%s appended %q", tc.run, got)
		for i, w := range tc.want {
			wf, gf := strings.Fields(w), got[i]
			require.Equal(t, len(wf), len(gf), "%s: want %q, got %q", tc.run, w, got[i])
			for j := range wf {
				ok := false
				switch wf[j] {
				case "<ttl100>":
					ok = tsNear(100000)(gf[j])
				case "<now>":
					ok = tsNear(0)(gf[j])
				case "<id>":
					ok = strings.Contains(gf[j], "-")
				case "<n>":
					_, err := strconv.Atoi(gf[j])
					ok = err == nil
				case "<member>":
					ok = gf[j] == "a" || gf[j] == "b" || gf[j] == "c"
				case "<payload>":
					ok = gf[j] == payload
				default:
					ok = strings.EqualFold(wf[j], gf[j]) && (j == 0 || wf[j] == gf[j] || strings.ToUpper(wf[j]) == wf[j])
				}
				require.True(t, ok, "%s: want %q, got %q (reply %v)", tc.run, w, got[i], reply)
			}
		}
	}
}

// TestAOFPropagationOfUnits: transactions and scripts are written as the
// writes they did, wrapped when there are several; SELECT follows the
// database; expired keys are deleted; a blocked client served later is
// written as its non-blocking form after the write that served it.
func TestAOFPropagationOfUnits(t *testing.T) {
	dir := t.TempDir()
	srv, c := aofServer(t, dir)
	incr := incrPath(dir, 1)
	appended := func(f func()) []string {
		from := fileLen(t, incr)
		f()
		var got []string
		for _, cmd := range readCommands(t, incr, from) {
			got = append(got, strings.ToUpper(cmd[0])+" "+strings.Join(cmd[1:], " "))
		}
		return got
	}
	require.Equal(t, []string{"SELECT 0", "MULTI ", "SET a 1", "INCR b", "EXEC "}, appended(func() {
		_, err := c.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.Set(ctx, "a", "1", 0)
			p.Get(ctx, "a")
			p.Incr(ctx, "b")
			return nil
		})
		require.NoError(t, err)
	}))
	require.Equal(t, []string{"SET a 2"}, appended(func() {
		_, err := c.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.Set(ctx, "a", "2", 0)
			p.Get(ctx, "a")
			return nil
		})
		require.NoError(t, err)
	}))
	require.Empty(t, appended(func() {
		_, err := c.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.Get(ctx, "a")
			return nil
		})
		require.NoError(t, err)
	}))
	script := `local t = redis.call('TIME')
redis.call('SET', KEYS[1], t[1] .. '.' .. t[2])
redis.call('SPOP', KEYS[3])
redis.call('SELECT', 2)
redis.call('RPUSH', KEYS[2], 'x')
return 1`
	require.NoError(t, c.SAdd(ctx, "set", "only").Err())
	got := appended(func() { require.NoError(t, c.Eval(ctx, script, []string{"t", "l", "set"}).Err()) })
	require.Len(t, got, 6)
	require.Equal(t, "MULTI ", got[0])
	require.True(t, strings.HasPrefix(got[1], "SET t "))
	require.Equal(t, []string{"SREM set only", "SELECT 2", "RPUSH l x", "EXEC "}, got[2:])
	// The script's SELECT does not outlive it; the next write is in 0.
	require.Equal(t, []string{"SELECT 0", "SET back 0"}, appended(func() { require.NoError(t, c.Set(ctx, "back", "0", 0).Err()) }))

	// A key expired on access is deleted in the AOF before the command.
	require.NoError(t, c.Set(ctx, "e", "v", time.Second).Err())
	srv.FastForward(2 * time.Second)
	require.Equal(t, []string{"DEL e"}, appended(func() { require.ErrorIs(t, c.Get(ctx, "e").Err(), redis.Nil) }))

	// Inside a transaction, in the transaction.
	require.NoError(t, c.Set(ctx, "e", "v", time.Second).Err())
	srv.FastForward(2 * time.Second)
	require.Equal(t, []string{"MULTI ", "DEL e", "APPEND e x", "EXEC "}, appended(func() {
		_, err := c.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.Append(ctx, "e", "x")
			return nil
		})
		require.NoError(t, err)
	}))

	// A blocked client: the push, then the pop it was served.
	blocked := redis.NewClient(&redis.Options{Addr: srv.Addr(), ReadTimeout: 10 * time.Second})
	defer blocked.Close()
	got = appended(func() {
		done := make(chan []string)
		go func() {
			v, err := blocked.BLMove(ctx, "q", "dst", "LEFT", "RIGHT", 5*time.Second).Result()
			if err != nil {
				done <- []string{err.Error()}
				return
			}
			done <- []string{v}
		}()
		aofWaitBlocked(t, c, 1)
		require.NoError(t, c.RPush(ctx, "q", "job1", "job2").Err())
		require.Equal(t, []string{"job1"}, <-done)
	})
	require.Equal(t, []string{"RPUSH q job1 job2", "LMOVE q dst LEFT RIGHT"}, got)
	require.Equal(t, []string{"job2"}, c.LRange(ctx, "q", 0, -1).Val())
}

func aofWaitBlocked(t *testing.T, c *redis.Client, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		info := c.Info(ctx, "clients").Val()
		if strings.Contains(info, fmt.Sprintf("blocked_clients:%d\r\n", n)) {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("no client blocked")
}

// aofFillEveryType writes keys of every type and encoding, with TTLs, in
// several databases, and a function library.
func aofFillEveryType(t *testing.T, c *redis.Client) {
	t.Helper()
	require.NoError(t, c.Set(ctx, "str", "hello", 0).Err())
	require.NoError(t, c.Set(ctx, "int", "12345", 0).Err())
	require.NoError(t, c.Set(ctx, "ttl", "v", time.Hour).Err())
	require.NoError(t, c.IncrByFloat(ctx, "float", 1.1).Err())
	require.NoError(t, c.RPush(ctx, "list", "a", "b", "c").Err())
	big := make([]any, 0, 1000)
	for i := 0; i < 1000; i++ {
		big = append(big, fmt.Sprintf("element-%d", i))
	}
	require.NoError(t, c.RPush(ctx, "biglist", big...).Err())
	require.NoError(t, c.SAdd(ctx, "intset", 1, 2, 3).Err())
	require.NoError(t, c.SAdd(ctx, "set", big...).Err())
	require.NoError(t, c.ZAdd(ctx, "zset", redis.Z{Score: 1.5, Member: "a"}, redis.Z{Score: -2, Member: "b"}).Err())
	for i := 0; i < 300; i++ {
		require.NoError(t, c.ZAdd(ctx, "bigzset", redis.Z{Score: float64(i) / 3, Member: fmt.Sprint(i)}).Err())
	}
	require.NoError(t, c.ZIncrBy(ctx, "zset", 0.1, "a").Err())
	require.NoError(t, c.HSet(ctx, "hash", "f1", "v1", "f2", "2").Err())
	require.NoError(t, c.HIncrByFloat(ctx, "hash", "f3", 2.5).Err())
	for i := 0; i < 600; i++ {
		require.NoError(t, c.HSet(ctx, "bighash", fmt.Sprint("f", i), i).Err())
	}
	require.NoError(t, c.Expire(ctx, "bighash", 2*time.Hour).Err())
	for i := 0; i < 5; i++ {
		require.NoError(t, c.XAdd(ctx, &redis.XAddArgs{Stream: "stream", Values: []any{"n", i}}).Err())
	}
	require.NoError(t, c.XGroupCreate(ctx, "stream", "g1", "0").Err())
	require.NoError(t, c.XGroupCreate(ctx, "stream", "g2", "$").Err())
	require.NoError(t, c.XReadGroup(ctx, &redis.XReadGroupArgs{Group: "g1", Consumer: "alice", Streams: []string{"stream", ">"}, Count: 2}).Err())
	require.NoError(t, c.XReadGroup(ctx, &redis.XReadGroupArgs{Group: "g1", Consumer: "bob", Streams: []string{"stream", ">"}, Count: 1, NoAck: true}).Err())
	require.NoError(t, c.XGroupCreateConsumer(ctx, "stream", "g2", "carol").Err())
	ids := c.XRange(ctx, "stream", "-", "+").Val()
	require.NoError(t, c.XDel(ctx, "stream", ids[4].ID).Err())
	require.NoError(t, c.XClaim(ctx, &redis.XClaimArgs{Stream: "stream", Group: "g1", Consumer: "bob", Messages: []string{ids[0].ID}}).Err())
	require.NoError(t, c.XAdd(ctx, &redis.XAddArgs{Stream: "trimmed", MaxLen: 2, Approx: true, Values: []any{"a", 1}}).Err())
	require.NoError(t, c.Do(ctx, "XGROUP", "CREATE", "emptystream", "g", "$", "MKSTREAM").Err())
	require.NoError(t, c.Do(ctx, "FUNCTION", "LOAD", "#!lua name=mylib\nredis.register_function('myfunc', function(keys, args) return redis.call('INCR', keys[1]) end)").Err())
	require.NoError(t, c.Do(ctx, "FCALL", "myfunc", 1, "fcalled").Err())
	require.NoError(t, c.Do(ctx, "SELECT", 3).Err())
	require.NoError(t, c.Set(ctx, "in-db-3", "x", 0).Err())
	require.NoError(t, c.Do(ctx, "SELECT", 0).Err())
	require.NoError(t, c.Do(ctx, "MOVE", "int", 5).Err())
	require.NoError(t, c.Do(ctx, "SPOP", "intset").Err())
	require.NoError(t, c.Do(ctx, "GETEX", "str", "EX", 1000).Err())
	require.NoError(t, c.Do(ctx, "DEL", "list").Err())
}

// dataset describes everything a client can see: every key of every
// database with its type, value and absolute expire time, the functions,
// and the DEBUG DIGEST when the server has it.
func dataset(t *testing.T, addr string) map[string]string {
	t.Helper()
	out := map[string]string{}
	c := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2})
	defer c.Close()
	if d, err := c.Do(ctx, "DEBUG", "DIGEST").Text(); err == nil {
		out["digest"] = d
	}
	out["functions"] = fmt.Sprint(c.Do(ctx, "FUNCTION", "LIST", "WITHCODE").Val())
	for db := 0; db < 16; db++ {
		require.NoError(t, c.Do(ctx, "SELECT", db).Err())
		keys, err := c.Do(ctx, "KEYS", "*").StringSlice()
		require.NoError(t, err)
		for _, k := range keys {
			out[fmt.Sprintf("%d/%s", db, k)] = describeKey(t, c, k)
		}
	}
	return out
}

func describeKey(t *testing.T, c *redis.Client, k string) string {
	typ := c.Type(ctx, k).Val()
	exp := c.Do(ctx, "PEXPIRETIME", k).Val()
	var val any
	switch typ {
	case "string":
		val = c.Get(ctx, k).Val()
	case "list":
		val = c.LRange(ctx, k, 0, -1).Val()
	case "set":
		m := c.SMembers(ctx, k).Val()
		sort.Strings(m)
		val = m
	case "zset":
		val = c.ZRangeWithScores(ctx, k, 0, -1).Val()
	case "hash":
		h := c.HGetAll(ctx, k).Val()
		keys := make([]string, 0, len(h))
		for f := range h {
			keys = append(keys, f+"="+h[f])
		}
		sort.Strings(keys)
		val = keys
	case "stream":
		var parts []string
		parts = append(parts, fmt.Sprint(c.XRange(ctx, k, "-", "+").Val()))
		info := c.Do(ctx, "XINFO", "STREAM", k, "FULL").Val()
		parts = append(parts, fmt.Sprint(dropSeenTimes(info)))
		val = parts
	}
	return fmt.Sprintf("%s ttl=%v %v", typ, exp, val)
}

// dropSeenTimes removes the consumers' seen-time, which Redis 7.0 does not
// persist either.
func dropSeenTimes(v any) any {
	switch x := v.(type) {
	case []any:
		out := make([]any, 0, len(x))
		for i := 0; i < len(x); i++ {
			if s, ok := x[i].(string); ok && (s == "seen-time" || s == "active-time") && i+1 < len(x) {
				i++
				continue
			}
			out = append(out, dropSeenTimes(x[i]))
		}
		return out
	case map[any]any:
		out := map[any]any{}
		for k, e := range x {
			if k == "seen-time" || k == "active-time" {
				continue
			}
			out[k] = dropSeenTimes(e)
		}
		return out
	}
	return v
}

// TestAOFRestartKeepsEveryType writes every type with appendonly yes,
// restarts on the same directory, and compares everything, then does the
// same after a rewrite with and without the RDB preamble.
func TestAOFRestartKeepsEveryType(t *testing.T) {
	dir := t.TempDir()
	srv, c := aofServer(t, dir)
	aofFillEveryType(t, c)
	before := dataset(t, srv.Addr())
	require.NoError(t, srv.Close())

	srv, c = aofServer(t, dir)
	require.Equal(t, before, dataset(t, srv.Addr()), "after replaying the incremental file")
	for _, preamble := range []string{"yes", "no"} {
		require.NoError(t, c.ConfigSet(ctx, "aof-use-rdb-preamble", preamble).Err())
		require.NoError(t, c.Do(ctx, "BGREWRITEAOF").Err())
		waitRewrite(t, srv.Server)
		require.NoError(t, c.Set(ctx, "after-rewrite-"+preamble, "1", 0).Err())
		before = dataset(t, srv.Addr())
		require.NoError(t, srv.Close())
		m, err := persistence.ReadManifestFile(filepath.Join(dir, "appendonlydir"), "appendonly.aof")
		require.NoError(t, err)
		require.Empty(t, m.History, "history files are deleted")
		suffix := ".base.rdb"
		if preamble == "no" {
			suffix = ".base.aof"
		}
		require.True(t, strings.HasSuffix(m.Base.Name, suffix), m.Base.Name)
		require.Len(t, m.Incr, 1)
		ents, _ := os.ReadDir(filepath.Join(dir, "appendonlydir"))
		require.Len(t, ents, 3, "base, incremental file and manifest only")

		srv, c = aofServer(t, dir, servertest.WithOption("aof-use-rdb-preamble", preamble))
		require.Equal(t, before, dataset(t, srv.Addr()), "after a rewrite with aof-use-rdb-preamble %s", preamble)
	}
}

func waitRewrite(t *testing.T, srv *server.Server) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		info := srv.AOFInfo()
		if strings.Contains(info, "aof_rewrite_in_progress:0") && strings.Contains(info, "aof_rewrite_scheduled:0") {
			require.Contains(t, info, "aof_last_bgrewrite_status:ok")
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatal("the rewrite did not finish")
}

// TestAOFTTLsStayAbsolute: a relative TTL is written as the absolute time
// it means, so time passing (here moved forward) before a restart counts.
func TestAOFTTLsStayAbsolute(t *testing.T) {
	dir := t.TempDir()
	clock := store.NewClock()
	start := func() (*server.Server, *redis.Client) {
		srv, err := server.New(server.Config{Addr: "127.0.0.1:0", Clock: clock,
			Options: map[string]string{"dir": dir, "appendonly": "yes", "save": ""}})
		require.NoError(t, err)
		require.NoError(t, srv.Start())
		t.Cleanup(func() { srv.Close() })
		return srv, redis.NewClient(&redis.Options{Addr: srv.Addr()})
	}
	srv, c := start()
	require.NoError(t, c.Set(ctx, "short", "v", 100*time.Second).Err())
	require.NoError(t, c.Set(ctx, "long", "v", 1000*time.Second).Err())
	require.NoError(t, c.Set(ctx, "limiter", "1", 0).Err())
	require.NoError(t, c.Expire(ctx, "limiter", 50*time.Second).Err())
	require.NoError(t, c.Incr(ctx, "limiter").Err())
	clock.Advance(60 * time.Second)
	c.Close()
	require.NoError(t, srv.Close())

	srv, c = start()
	defer c.Close()
	ttl := c.TTL(ctx, "long").Val()
	require.InDelta(t, 940, ttl.Seconds(), 2, "the TTL counts the time moved forward")
	require.InDelta(t, 40, c.TTL(ctx, "short").Val().Seconds(), 2)
	// A key whose TTL passed is gone, even though commands after its
	// EXPIRE (INCR) touched it: replaying must not resurrect it.
	require.Equal(t, int64(0), c.Exists(ctx, "limiter").Val())
	clock.Advance(100 * time.Second)
	c.Close()
	require.NoError(t, srv.Close())
	srv, c = start()
	defer c.Close()
	require.Equal(t, int64(0), c.Exists(ctx, "short").Val())
	require.Equal(t, int64(1), c.Exists(ctx, "long").Val())
}

// TestAOFScriptNondeterminismReplays: a script's nondeterministic results
// (TIME, SPOP, SRANDMEMBER) are written as the values it stored.
func TestAOFScriptNondeterminismReplays(t *testing.T) {
	dir := t.TempDir()
	srv, c := aofServer(t, dir)
	for i := 0; i < 50; i++ {
		require.NoError(t, c.SAdd(ctx, "pool", i).Err())
	}
	script := `local t = redis.call('TIME')
local m = redis.call('SPOP', KEYS[1])
local r = redis.call('SRANDMEMBER', KEYS[1])
redis.call('HSET', KEYS[2], ARGV[1], t[1] .. ':' .. t[2] .. ':' .. m .. ':' .. r)
return m`
	for i := 0; i < 20; i++ {
		require.NoError(t, c.Eval(ctx, script, []string{"pool", "log"}, i).Err())
	}
	_, err := c.FunctionLoad(ctx, "#!lua name=nd\nredis.register_function('pick', function(keys) return redis.call('SPOP', keys[1]) end)").Result()
	require.NoError(t, err)
	require.NoError(t, c.Do(ctx, "FCALL", "pick", 1, "pool").Err())
	before := dataset(t, srv.Addr())
	require.NoError(t, srv.Close())
	srv, _ = aofServer(t, dir)
	require.Equal(t, before, dataset(t, srv.Addr()))
}

// TestAOFRewriteUnderConcurrentWriters: writers keep going while the AOF
// is rewritten several times; after a restart nothing is lost.
func TestAOFRewriteUnderConcurrentWriters(t *testing.T) {
	for _, preamble := range []string{"yes", "no"} {
		t.Run("preamble "+preamble, func(t *testing.T) {
			dir := t.TempDir()
			srv, c := aofServer(t, dir, servertest.WithOption("aof-use-rdb-preamble", preamble))
			const writers = 4
			var wg sync.WaitGroup
			stop := make(chan struct{})
			counts := make([]int, writers)
			for w := 0; w < writers; w++ {
				wg.Add(1)
				go func(w int) {
					defer wg.Done()
					wc := redis.NewClient(&redis.Options{Addr: srv.Addr()})
					defer wc.Close()
					for i := 0; ; i++ {
						select {
						case <-stop:
							return
						default:
						}
						p := wc.Pipeline()
						p.Incr(ctx, fmt.Sprint("counter-", w))
						p.RPush(ctx, fmt.Sprint("list-", w), i)
						p.HSet(ctx, "hash", fmt.Sprint(w, "-", i), i)
						if _, err := p.Exec(ctx); err != nil {
							t.Error(err)
							return
						}
						counts[w] = i + 1
					}
				}(w)
			}
			for r := 0; r < 3; r++ {
				time.Sleep(30 * time.Millisecond)
				require.NoError(t, c.Do(ctx, "BGREWRITEAOF").Err())
				waitRewrite(t, srv.Server)
			}
			close(stop)
			wg.Wait()
			before := dataset(t, srv.Addr())
			for w := 0; w < writers; w++ {
				require.Equal(t, strconv.Itoa(counts[w]), c.Get(ctx, fmt.Sprint("counter-", w)).Val())
			}
			require.NoError(t, srv.Close())
			srv, _ = aofServer(t, dir)
			require.Equal(t, before, dataset(t, srv.Addr()))
		})
	}
}

// TestAOFSwitchedOnAtRunTime: CONFIG SET appendonly yes writes the data
// already there as the first base; writes after it follow; appendonly no
// stops writing.
func TestAOFSwitchedOnAtRunTime(t *testing.T) {
	dir := t.TempDir()
	srv := servertest.Start(t, servertest.WithOption("dir", dir))
	c := redis.NewClient(&redis.Options{Addr: srv.Addr()})
	defer c.Close()
	require.NoError(t, c.Set(ctx, "before", "1", 0).Err())
	require.NoError(t, c.ConfigSet(ctx, "appendonly", "yes").Err())
	require.NoError(t, c.Set(ctx, "during", "1", 0).Err())
	waitRewrite(t, srv.Server)
	require.Contains(t, srv.AOFInfo(), "aof_enabled:1")
	require.NoError(t, c.Set(ctx, "after", "1", 0).Err())
	require.NoError(t, c.ConfigSet(ctx, "appendonly", "no").Err())
	require.Contains(t, srv.AOFInfo(), "aof_enabled:0")
	require.NoError(t, c.Set(ctx, "not-logged", "1", 0).Err())
	m, err := persistence.ReadManifestFile(filepath.Join(dir, "appendonlydir"), "appendonly.aof")
	require.NoError(t, err)
	require.Equal(t, "appendonly.aof.1.base.rdb", m.Base.Name)
	require.Equal(t, "appendonly.aof.1.incr.aof", m.Incr[0].Name)
	require.NoError(t, srv.Close())

	srv, c = aofServer(t, dir)
	for _, k := range []string{"before", "during", "after"} {
		require.Equal(t, "1", c.Get(ctx, k).Val(), k)
	}
	require.Equal(t, int64(0), c.Exists(ctx, "not-logged").Val())
}

// TestAOFLoadTruncated: a torn last command is dropped (and cut from the
// file) with aof-load-truncated yes, refused with no; an unfinished MULTI
// at the end is dropped whole.
func TestAOFLoadTruncated(t *testing.T) {
	dir := t.TempDir()
	srv, c := aofServer(t, dir)
	require.NoError(t, c.Set(ctx, "a", "1", 0).Err())
	require.NoError(t, c.Set(ctx, "b", "2", 0).Err())
	require.NoError(t, srv.Close())
	incr := incrPath(dir, 1)
	whole := fileLen(t, incr)
	f, err := os.OpenFile(incr, os.O_APPEND|os.O_WRONLY, 0)
	require.NoError(t, err)
	_, err = f.WriteString("*3\r\n$3\r\nSET\r\n$1\r\nc\r\n$1")
	require.NoError(t, err)
	require.NoError(t, f.Close())

	_, err = servertest.New(servertest.WithOption("dir", dir), servertest.WithOption("appendonly", "yes"),
		servertest.WithOption("aof-load-truncated", "no"))
	require.ErrorContains(t, err, "Unexpected end of file reading the append only file appendonly.aof.1.incr.aof")

	srv, c = aofServer(t, dir)
	require.Equal(t, "2", c.Get(ctx, "b").Val())
	require.Equal(t, int64(0), c.Exists(ctx, "c").Val())
	require.Equal(t, whole, fileLen(t, incr), "the torn command is cut off")
	require.NoError(t, c.Set(ctx, "d", "4", 0).Err())
	require.NoError(t, srv.Close())

	f, err = os.OpenFile(incr, os.O_APPEND|os.O_WRONLY, 0)
	require.NoError(t, err)
	_, err = f.Write(persistence.AppendCommandStrings(persistence.AppendCommandStrings(nil, "MULTI"), "SET", "e", "5"))
	require.NoError(t, err)
	require.NoError(t, f.Close())
	srv, c = aofServer(t, dir)
	require.Equal(t, "4", c.Get(ctx, "d").Val())
	require.Equal(t, int64(0), c.Exists(ctx, "e").Val(), "an unfinished transaction is dropped")
}

// TestAOFLoadRefusesCorruption: corruption that is not a torn tail, a
// missing file or a bad manifest stop the server from starting, with the
// file (and offset) named.
func TestAOFLoadRefusesCorruption(t *testing.T) {
	mk := func(t *testing.T) string {
		dir := t.TempDir()
		srv, c := aofServer(t, dir)
		require.NoError(t, c.Set(ctx, "a", "1", 0).Err())
		require.NoError(t, c.Set(ctx, "b", "2", 0).Err())
		require.NoError(t, srv.Close())
		return dir
	}
	start := func(dir string) error {
		srv, err := servertest.New(servertest.WithOption("dir", dir), servertest.WithOption("appendonly", "yes"))
		if err == nil {
			srv.Close()
		}
		return err
	}
	t.Run("garbage in the middle", func(t *testing.T) {
		dir := mk(t)
		incr := incrPath(dir, 1)
		data, err := os.ReadFile(incr)
		require.NoError(t, err)
		cut := bytes.Index(data, []byte("*3\r\n$3\r\nset\r\n$1\r\nb"))
		require.Positive(t, cut)
		bad := append(append(append([]byte(nil), data[:cut]...), "garbage\r\n"...), data[cut:]...)
		require.NoError(t, os.WriteFile(incr, bad, 0o644))
		err = start(dir)
		require.ErrorContains(t, err, "Bad file format reading the append only file appendonly.aof.1.incr.aof")
		require.ErrorContains(t, err, fmt.Sprintf("at offset %d", cut))
	})
	t.Run("unknown command", func(t *testing.T) {
		dir := mk(t)
		f, err := os.OpenFile(incrPath(dir, 1), os.O_APPEND|os.O_WRONLY, 0)
		require.NoError(t, err)
		f.Write(persistence.AppendCommandStrings(nil, "NOSUCHCMD", "x"))
		f.Close()
		require.ErrorContains(t, start(dir), "Unknown command 'NOSUCHCMD' reading the append only file appendonly.aof.1.incr.aof")
	})
	t.Run("missing file", func(t *testing.T) {
		dir := mk(t)
		require.NoError(t, os.Remove(incrPath(dir, 1)))
		require.ErrorContains(t, start(dir), "appendonly.aof.1.incr.aof")
	})
	t.Run("bad manifest", func(t *testing.T) {
		dir := mk(t)
		require.NoError(t, os.WriteFile(filepath.Join(dir, "appendonlydir", "appendonly.aof.manifest"),
			[]byte("file appendonly.aof.1.base.rdb seq 1 type b\nfile x seq 1 type q\n"), 0o644))
		err := start(dir)
		require.ErrorContains(t, err, "Unknown AOF file type")
		require.ErrorContains(t, err, "line 2")
	})
	t.Run("torn file that is not the last", func(t *testing.T) {
		dir := mk(t)
		adir := filepath.Join(dir, "appendonlydir")
		f, err := os.OpenFile(incrPath(dir, 1), os.O_APPEND|os.O_WRONLY, 0)
		require.NoError(t, err)
		f.WriteString("*2\r\n$3\r\nDEL")
		f.Close()
		m, err := persistence.ReadManifestFile(adir, "appendonly.aof")
		require.NoError(t, err)
		m.NewIncr("appendonly.aof")
		require.NoError(t, persistence.WriteManifestFile(adir, "appendonly.aof", m))
		require.NoError(t, os.WriteFile(incrPath(dir, 2), nil, 0o644))
		require.ErrorContains(t, start(dir), "the truncated file is not the last file")
	})
}

// TestAOFLegacyFileIsUpgraded: a Redis 6 style dir/appendonly.aof is moved
// into the AOF directory as its base and loaded.
func TestAOFLegacyFileIsUpgraded(t *testing.T) {
	dir := t.TempDir()
	var b []byte
	b = persistence.AppendSelect(b, 0)
	b = persistence.AppendCommandStrings(b, "SET", "legacy", "yes")
	b = persistence.AppendCommandStrings(b, "RPUSH", "l", "1", "2")
	require.NoError(t, os.WriteFile(filepath.Join(dir, "appendonly.aof"), b, 0o644))
	srv, c := aofServer(t, dir)
	require.Equal(t, "yes", c.Get(ctx, "legacy").Val())
	require.NoError(t, c.Set(ctx, "new", "1", 0).Err())
	require.NoError(t, srv.Close())
	_, err := os.Stat(filepath.Join(dir, "appendonly.aof"))
	require.True(t, os.IsNotExist(err))
	m, err := persistence.ReadManifestFile(filepath.Join(dir, "appendonlydir"), "appendonly.aof")
	require.NoError(t, err)
	require.Equal(t, "appendonly.aof", m.Base.Name)
	srv, c = aofServer(t, dir)
	require.Equal(t, "yes", c.Get(ctx, "legacy").Val())
	require.Equal(t, "1", c.Get(ctx, "new").Val())
}

// TestAOFWriteErrorRefusesWrites: while the AOF cannot be written, write
// commands (and PING) get MISCONF; reads work; once writing works again,
// so do writes, and what was refused never reached the file.
func TestAOFWriteErrorRefusesWrites(t *testing.T) {
	dir := t.TempDir()
	srv, c := aofServer(t, dir)
	require.NoError(t, c.Set(ctx, "k", "1", 0).Err())
	restore := srv.BreakAOFWrites()
	// This write's reply waits for the write, which fails: the error is
	// recorded (with everysec the reply still goes, as in Redis).
	require.NoError(t, c.Set(ctx, "k", "2", 0).Err())
	err := c.Set(ctx, "k", "3", 0).Err()
	require.ErrorContains(t, err, "MISCONF Errors writing to the AOF file: Bad file descriptor")
	require.ErrorContains(t, c.Ping(ctx).Err(), "MISCONF")
	require.Equal(t, "2", c.Get(ctx, "k").Val())
	require.Contains(t, srv.AOFInfo(), "aof_last_write_status:err")
	restore()
	require.Eventually(t, func() bool { return c.Set(ctx, "k", "4", 0).Err() == nil }, 5*time.Second, 20*time.Millisecond)
	require.Contains(t, srv.AOFInfo(), "aof_last_write_status:ok")
	require.NoError(t, srv.Close())
	srv, c = aofServer(t, dir)
	require.Equal(t, "4", c.Get(ctx, "k").Val())
}

// TestAOFFsyncAlways: with appendfsync always replies follow the fsync;
// many clients share it.
func TestAOFFsyncAlways(t *testing.T) {
	dir := t.TempDir()
	srv, c := aofServer(t, dir, servertest.WithOption("appendfsync", "always"))
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			wc := redis.NewClient(&redis.Options{Addr: srv.Addr()})
			defer wc.Close()
			for i := 0; i < 50; i++ {
				if err := wc.Incr(ctx, fmt.Sprint("n", w)).Err(); err != nil {
					t.Error(err)
					return
				}
			}
		}(w)
	}
	wg.Wait()
	require.Equal(t, "50", c.Get(ctx, "n3").Val())
	require.NoError(t, srv.Close())
	_, c = aofServer(t, dir)
	require.Equal(t, "50", c.Get(ctx, "n7").Val())
}

// TestAOFLoadingRefusesCommands: while loading, commands without the
// loading flag get LOADING; INFO and PING... as Redis.
func TestAOFLoadingRefusesCommands(t *testing.T) {
	srv := servertest.Start(t)
	c := redis.NewClient(&redis.Options{Addr: srv.Addr()})
	defer c.Close()
	srv.SetAOFLoading(true)
	require.ErrorContains(t, c.Get(ctx, "k").Err(), "LOADING Redis is loading the dataset in memory")
	require.NoError(t, c.Info(ctx).Err())
	srv.SetAOFLoading(false)
	require.ErrorIs(t, c.Get(ctx, "k").Err(), redis.Nil)
}

// TestBGRewriteAOFReplies: started, already in progress, and scheduled
// inside a transaction; with appendonly no it still writes a base.
func TestBGRewriteAOFReplies(t *testing.T) {
	dir := t.TempDir()
	srv := servertest.Start(t, servertest.WithOption("dir", dir))
	c := redis.NewClient(&redis.Options{Addr: srv.Addr()})
	defer c.Close()
	require.NoError(t, c.Set(ctx, "k", "v", 0).Err())
	require.Equal(t, "Background append only file rewriting started", c.Do(ctx, "BGREWRITEAOF").Val())
	waitRewrite(t, srv.Server)
	cmds, err := c.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Do(ctx, "BGREWRITEAOF")
		return nil
	})
	require.NoError(t, err)
	require.Equal(t, "Background append only file rewriting scheduled", cmds[0].(*redis.Cmd).Val())
	require.Eventually(t, func() bool { return strings.Contains(srv.AOFInfo(), "aof_rewrites:2") }, 5*time.Second, 10*time.Millisecond)
	waitRewrite(t, srv.Server)
	m, err := persistence.ReadManifestFile(filepath.Join(dir, "appendonlydir"), "appendonly.aof")
	require.NoError(t, err)
	require.Equal(t, "appendonly.aof.2.base.rdb", m.Base.Name)
	require.Empty(t, m.Incr)
	require.Empty(t, m.History)
}

// TestAOFTimestampAnnotations: aof-timestamp-enabled writes "#TS:" lines
// before the commands of a new second; loading skips them.
func TestAOFTimestampAnnotations(t *testing.T) {
	dir := t.TempDir()
	srv, c := aofServer(t, dir, servertest.WithOption("aof-timestamp-enabled", "yes"))
	require.NoError(t, c.Set(ctx, "a", "1", 0).Err())
	require.NoError(t, srv.Close())
	data, err := os.ReadFile(incrPath(dir, 1))
	require.NoError(t, err)
	require.True(t, bytes.HasPrefix(data, []byte("#TS:")), "%q", data)
	_, c = aofServer(t, dir)
	require.Equal(t, "1", c.Get(ctx, "a").Val())
}

// TestAOFDeletesOnExpiryAndEviction: keys removed by the active expiry
// cycle or by maxmemory eviction are deleted in the AOF too.
func TestAOFDeletesOnExpiryAndEviction(t *testing.T) {
	dir := t.TempDir()
	srv, c := aofServer(t, dir, servertest.WithOption("hz", "100"))
	require.NoError(t, c.Set(ctx, "soon", "v", time.Second).Err())
	srv.FastForward(2 * time.Second)
	incr := incrPath(dir, 1)
	require.Eventually(t, func() bool {
		return bytes.Contains(mustRead(t, incr), []byte("*2\r\n$3\r\nDEL\r\n$4\r\nsoon\r\n"))
	}, 5*time.Second, 10*time.Millisecond, "active expiry is written")

	for i := 0; i < 200; i++ {
		require.NoError(t, c.Set(ctx, fmt.Sprint("fill", i), strings.Repeat("x", 1000), 0).Err())
	}
	require.NoError(t, c.ConfigSet(ctx, "maxmemory-policy", "allkeys-random").Err())
	used := infoField(c.Info(ctx, "memory").Val(), "used_memory")
	require.NoError(t, c.ConfigSet(ctx, "maxmemory", strconv.Itoa(used-100000)).Err())
	require.NoError(t, c.Set(ctx, "trigger", "1", 0).Err())
	require.Positive(t, bytes.Count(mustRead(t, incr), []byte("$3\r\nDEL\r\n$")), "evictions are written")
	require.NoError(t, c.ConfigSet(ctx, "maxmemory", "0").Err())
	before := dataset(t, srv.Addr())
	require.NoError(t, srv.Close())
	srv, _ = aofServer(t, dir)
	require.Equal(t, before, dataset(t, srv.Addr()))
}

func infoField(info, name string) int {
	for _, line := range strings.Split(info, "\r\n") {
		if v, ok := strings.CutPrefix(line, name+":"); ok {
			n, _ := strconv.Atoi(v)
			return n
		}
	}
	return 0
}

func mustRead(t *testing.T, path string) []byte {
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	return data
}

// TestAOFAutoRewrite: once the AOF has grown by auto-aof-rewrite-
// percentage over its size after the last rewrite (and is past
// auto-aof-rewrite-min-size), the cron rewrites it.
func TestAOFAutoRewrite(t *testing.T) {
	dir := t.TempDir()
	srv, c := aofServer(t, dir, servertest.WithOption("auto-aof-rewrite-min-size", "10kb"),
		servertest.WithOption("auto-aof-rewrite-percentage", "100"), servertest.WithOption("hz", "100"))
	for i := 0; i < 300; i++ {
		require.NoError(t, c.Set(ctx, "k", strings.Repeat("v", 100), 0).Err())
	}
	// The writes may well grow the file past the limit more than once.
	require.Eventually(t, func() bool {
		return !strings.Contains(srv.AOFInfo(), "aof_rewrites:0\r\n")
	}, 5*time.Second, 10*time.Millisecond)
	waitRewrite(t, srv.Server)
	require.Equal(t, strings.Repeat("v", 100), c.Get(ctx, "k").Val())
}

// TestAOFCloseDuringRewrite: closing the server while a rewrite runs
// abandons it cleanly, leaving no goroutine and a loadable AOF.
func TestAOFCloseDuringRewrite(t *testing.T) {
	dir := t.TempDir()
	before := runtime.NumGoroutine()
	srv, err := server.New(server.Config{Addr: "127.0.0.1:0", Options: map[string]string{"dir": dir, "appendonly": "yes", "save": ""}})
	require.NoError(t, err)
	require.NoError(t, srv.Start())
	c := redis.NewClient(&redis.Options{Addr: srv.Addr()})
	for i := 0; i < 2000; i++ {
		require.NoError(t, c.HSet(ctx, fmt.Sprint("h", i%50), fmt.Sprint(i), strings.Repeat("x", 100)).Err())
	}
	require.NoError(t, c.Do(ctx, "BGREWRITEAOF").Err())
	require.NoError(t, c.Set(ctx, "last", "1", 0).Err())
	c.Close()
	require.NoError(t, srv.Close())
	require.Eventually(t, func() bool { return runtime.NumGoroutine() <= before+1 },
		5*time.Second, 20*time.Millisecond, "goroutines left: %d (before: %d)", runtime.NumGoroutine(), before)
	_, c = aofServer(t, dir)
	require.Equal(t, "1", c.Get(ctx, "last").Val())
	require.Equal(t, int64(40), c.HLen(ctx, "h7").Val())
}

// TestAOFFsyncPolicyAtRunTime: CONFIG SET appendfsync takes effect at
// once.
func TestAOFFsyncPolicyAtRunTime(t *testing.T) {
	dir := t.TempDir()
	srv, c := aofServer(t, dir)
	for _, p := range []string{"always", "no", "everysec"} {
		require.NoError(t, c.ConfigSet(ctx, "appendfsync", p).Err())
		require.NoError(t, c.Incr(ctx, "n").Err())
	}
	require.NoError(t, srv.Close())
	_, c = aofServer(t, dir)
	require.Equal(t, "3", c.Get(ctx, "n").Val())
}

// TestAOFBlockedClientsReplay: clients blocked on every kind of key are
// served by later writes; what they took is written as their
// non-blocking form, so a restart shows the same lists, sorted sets and
// consumer groups.
func TestAOFBlockedClientsReplay(t *testing.T) {
	dir := t.TempDir()
	srv, c := aofServer(t, dir)
	require.NoError(t, c.XGroupCreateMkStream(ctx, "s", "g", "$").Err())
	calls := [][]any{
		{"BLPOP", "l1", 0},
		{"BRPOP", "l1", 0},
		{"BLMOVE", "l2", "l3", "RIGHT", "LEFT", 0},
		{"BRPOPLPUSH", "l2", "l4", 0},
		{"BLMPOP", 0, 2, "nothing", "l5", "RIGHT", "COUNT", 2},
		{"BZPOPMIN", "z1", 0},
		{"BZMPOP", 0, 1, "z2", "MAX", "COUNT", 2},
		{"XREADGROUP", "GROUP", "g", "alice", "COUNT", 2, "BLOCK", 0, "STREAMS", "s", ">"},
		{"XREADGROUP", "GROUP", "g", "bob", "NOACK", "BLOCK", 0, "STREAMS", "s", ">"},
	}
	var wg sync.WaitGroup
	for i, call := range calls {
		bc := redis.NewClient(&redis.Options{Addr: srv.Addr(), ReadTimeout: 30 * time.Second})
		defer bc.Close()
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := bc.Do(ctx, call...).Err(); err != nil {
				t.Errorf("%v: %v", call, err)
			}
		}()
		aofWaitBlocked(t, c, i+1)
	}
	require.NoError(t, c.RPush(ctx, "l1", "a", "b", "c").Err())
	require.NoError(t, c.RPush(ctx, "l2", "x", "y", "z").Err())
	require.NoError(t, c.RPush(ctx, "l5", "1", "2", "3").Err())
	require.NoError(t, c.ZAdd(ctx, "z1", redis.Z{Score: 1, Member: "m1"}, redis.Z{Score: 2, Member: "m2"}).Err())
	require.NoError(t, c.ZAdd(ctx, "z2", redis.Z{Score: 1, Member: "n1"}, redis.Z{Score: 2, Member: "n2"}, redis.Z{Score: 3, Member: "n3"}).Err())
	for i := 0; i < 3; i++ {
		require.NoError(t, c.XAdd(ctx, &redis.XAddArgs{Stream: "s", Values: []any{"i", i}}).Err())
	}
	wg.Wait()
	before := dataset(t, srv.Addr())
	require.NoError(t, srv.Close())
	srv, _ = aofServer(t, dir)
	require.Equal(t, before, dataset(t, srv.Addr()))
}

// TestAOFLegacyPreambleFile: a Redis 6 style appendonly.aof made of an
// RDB preamble followed by commands loads whole.
func TestAOFLegacyPreambleFile(t *testing.T) {
	dir := t.TempDir()
	srv := servertest.Start(t, servertest.WithOption("dir", dir))
	c := redis.NewClient(&redis.Options{Addr: srv.Addr()})
	require.NoError(t, c.Set(ctx, "from-rdb", "1", 0).Err())
	require.NoError(t, c.RPush(ctx, "list", "a").Err())
	require.NoError(t, c.Save(ctx).Err())
	c.Close()
	require.NoError(t, srv.Close())
	rdb := mustRead(t, filepath.Join(dir, "dump.rdb"))
	require.NoError(t, os.Remove(filepath.Join(dir, "dump.rdb")))
	legacy := append(append([]byte(nil), rdb...), persistence.AppendCommandStrings(
		persistence.AppendSelect(nil, 0), "RPUSH", "list", "b")...)
	legacy = persistence.AppendCommandStrings(legacy, "SET", "from-tail", "2")
	require.NoError(t, os.WriteFile(filepath.Join(dir, "appendonly.aof"), legacy, 0o644))

	_, c = aofServer(t, dir)
	require.Equal(t, "1", c.Get(ctx, "from-rdb").Val())
	require.Equal(t, "2", c.Get(ctx, "from-tail").Val())
	require.Equal(t, []string{"a", "b"}, c.LRange(ctx, "list", 0, -1).Val())
}
