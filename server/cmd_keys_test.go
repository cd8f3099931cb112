package server_test

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kioku-db/kioku/server/servertest"
)

// Tests of the keys family (cmd_keys.go). Expected replies and error
// strings are Redis 7.0.15's, checked by hand against redis-server.

// keysEnv is a server and a RESP2 client on it.
type keysEnv struct {
	t   *testing.T
	srv *servertest.Server
	rdb *redis.Client
	ctx context.Context
}

func newKeysEnv(t *testing.T, opts ...servertest.Option) *keysEnv {
	t.Helper()
	srv := servertest.Start(t, opts...)
	return &keysEnv{t: t, srv: srv, rdb: keysClient(t, srv, 2, 0), ctx: context.Background()}
}

// keysClient opens a client on database db speaking protocol proto.
func keysClient(t *testing.T, srv *servertest.Server, proto, db int) *redis.Client {
	rdb := redis.NewClient(&redis.Options{
		Addr: srv.Addr(), Protocol: proto, DB: db,
		MaxRetries: -1, PoolSize: 1, DisableIdentity: true,
	})
	t.Cleanup(func() { _ = rdb.Close() })
	return rdb
}

// do runs a command and returns its reply, failing the test on an error.
func (e *keysEnv) do(args ...any) any {
	e.t.Helper()
	v, err := e.rdb.Do(e.ctx, args...).Result()
	require.NoError(e.t, err, "%v", args)
	return v
}

// int runs a command that answers an integer.
func (e *keysEnv) int(args ...any) int64 {
	e.t.Helper()
	v, err := e.rdb.Do(e.ctx, args...).Int64()
	require.NoError(e.t, err, "%v", args)
	return v
}

// fails runs a command and checks its error reply.
func (e *keysEnv) fails(want string, args ...any) {
	e.t.Helper()
	err := e.rdb.Do(e.ctx, args...).Err()
	require.Error(e.t, err, "%v", args)
	assert.Equal(e.t, want, err.Error(), "%v", args)
}

// isNil runs a command that must answer null.
func (e *keysEnv) isNil(args ...any) {
	e.t.Helper()
	err := e.rdb.Do(e.ctx, args...).Err()
	assert.Equal(e.t, redis.Nil, err, "%v", args)
}

func (e *keysEnv) set(key, val string) {
	e.t.Helper()
	require.NoError(e.t, e.rdb.Set(e.ctx, key, val, 0).Err())
}

const (
	keysErrSyntax   = "ERR syntax error"
	keysErrNotInt   = "ERR value is not an integer or out of range"
	keysErrNoSuch   = "ERR no such key"
	keysErrSame     = "ERR source and destination objects are the same"
	keysErrDBIndex  = "ERR DB index is out of range"
	keysErrIntRange = "ERR value is out of range, value must between -2147483648 and 2147483647"
)

// binaryKey has every awkward byte: NUL, CR LF, high bytes, glob specials.
const binaryKey = "\x00bin\r\n\xff*?[k]"

func TestKeysArity(t *testing.T) {
	e := newKeysEnv(t)
	for _, call := range [][]any{
		{"del"}, {"unlink"}, {"exists"}, {"touch"}, {"type"}, {"type", "a", "b"},
		{"rename", "a"}, {"renamenx", "a", "b", "c"}, {"keys"}, {"keys", "a", "b"},
		{"scan"}, {"randomkey", "x"}, {"copy", "a"}, {"move", "a"}, {"swapdb", "0"},
		{"expire", "a"}, {"pexpire", "a"}, {"expireat", "a"}, {"pexpireat", "a"},
		{"ttl"}, {"pttl", "a", "b"}, {"expiretime"}, {"pexpiretime", "a", "b"},
		{"persist"}, {"persist", "a", "b"},
	} {
		e.fails(fmt.Sprintf("ERR wrong number of arguments for '%s' command", call[0]), call...)
	}
	e.fails("ERR wrong number of arguments for 'object' command", "object")
	e.fails("ERR wrong number of arguments for 'object|encoding' command", "object", "encoding")
	e.fails("ERR wrong number of arguments for 'object|freq' command", "object", "freq", "a", "b")
	e.fails("ERR wrong number of arguments for 'object|help' command", "object", "help", "x")
	e.fails("ERR unknown subcommand 'nope'. Try OBJECT HELP.", "object", "nope", "k")
}

func TestDelUnlinkExists(t *testing.T) {
	e := newKeysEnv(t)
	for _, k := range []string{"a", "b", "", binaryKey} {
		e.set(k, "v")
	}
	assert.EqualValues(t, 5, e.int("exists", "a", "a", "b", "", binaryKey, "missing"))
	assert.EqualValues(t, 2, e.int("del", "a", "b", "a", "missing"))
	assert.EqualValues(t, 0, e.int("exists", "a", "b"))
	assert.EqualValues(t, 2, e.int("unlink", "", binaryKey, binaryKey))
	assert.EqualValues(t, 0, e.int("exists", "", binaryKey))
	assert.EqualValues(t, 0, e.int("del", "missing"))
	assert.EqualValues(t, 0, e.int("unlink", "missing"))

	// An expired key is gone for all of them.
	e.set("ttl", "v")
	require.EqualValues(t, 1, e.int("pexpire", "ttl", 100))
	e.srv.FastForward(time.Second)
	assert.EqualValues(t, 0, e.int("exists", "ttl"))
	e.set("ttl", "v")
	require.EqualValues(t, 1, e.int("pexpire", "ttl", 100))
	e.srv.FastForward(time.Second)
	assert.EqualValues(t, 0, e.int("del", "ttl"))
}

func TestTypeAndTouch(t *testing.T) {
	e := newKeysEnv(t)
	e.set("s", "v")
	e.set(binaryKey, "")
	assert.Equal(t, "string", e.do("type", "s"))
	assert.Equal(t, "string", e.do("type", binaryKey))
	assert.Equal(t, "none", e.do("type", "missing"))
	assert.EqualValues(t, 2, e.int("touch", "s", "missing", binaryKey))
	assert.EqualValues(t, 3, e.int("touch", "s", "s", "s"))
	assert.EqualValues(t, 0, e.int("touch", "missing"))

	require.EqualValues(t, 1, e.int("pexpire", "s", 10))
	e.srv.FastForward(time.Second)
	assert.Equal(t, "none", e.do("type", "s"))
	assert.EqualValues(t, 0, e.int("touch", "s"))
}

func TestRename(t *testing.T) {
	e := newKeysEnv(t)
	e.fails(keysErrNoSuch, "rename", "missing", "x")
	e.fails(keysErrNoSuch, "rename", "missing", "missing")
	e.fails(keysErrNoSuch, "renamenx", "missing", "x")
	e.fails(keysErrNoSuch, "renamenx", "missing", "missing")

	e.set("a", "1")
	assert.Equal(t, "OK", e.do("rename", "a", "a"))
	assert.EqualValues(t, 0, e.int("renamenx", "a", "a"))
	assert.Equal(t, "1", e.do("get", "a"))

	// The TTL travels with the value; the overwritten key's TTL does not.
	e.set("b", "2")
	require.EqualValues(t, 1, e.int("pexpireat", "b", 4102444800000))
	require.EqualValues(t, 1, e.int("pexpireat", "a", 4102444800123))
	assert.Equal(t, "OK", e.do("rename", "a", "b"))
	assert.Equal(t, "1", e.do("get", "b"))
	assert.EqualValues(t, 4102444800123, e.int("pexpiretime", "b"))
	assert.EqualValues(t, 0, e.int("exists", "a"))

	e.set("c", "3")
	assert.EqualValues(t, 0, e.int("renamenx", "b", "c"))
	assert.Equal(t, "3", e.do("get", "c"))
	assert.EqualValues(t, 1, e.int("renamenx", "b", binaryKey))
	assert.Equal(t, "1", e.do("get", binaryKey))
	assert.EqualValues(t, 4102444800123, e.int("pexpiretime", binaryKey))
	assert.Equal(t, "OK", e.do("rename", binaryKey, ""))
	assert.Equal(t, "1", e.do("get", ""))

	// An expired destination does not block RENAMENX; an expired source
	// does not exist.
	e.set("d", "4")
	require.EqualValues(t, 1, e.int("pexpire", "c", 10))
	e.srv.FastForward(time.Second)
	assert.EqualValues(t, 1, e.int("renamenx", "d", "c"))
	require.EqualValues(t, 1, e.int("pexpire", "c", 10))
	e.srv.FastForward(time.Second)
	e.fails(keysErrNoSuch, "rename", "c", "z")
}

func TestKeysCommand(t *testing.T) {
	e := newKeysEnv(t)
	assert.Empty(t, e.do("keys", "*"))
	for _, k := range []string{"one", "two", "three", "four", "", binaryKey, "h\\*llo"} {
		e.set(k, "v")
	}
	keys := func(pattern string) []string {
		v, err := e.rdb.Keys(e.ctx, pattern).Result()
		require.NoError(t, err)
		return v
	}
	assert.ElementsMatch(t, []string{"one", "two", "three", "four", "", binaryKey, "h\\*llo"}, keys("*"))
	assert.ElementsMatch(t, []string{"two", "three"}, keys("t*"))
	assert.ElementsMatch(t, []string{"one", "two"}, keys("???"))
	assert.ElementsMatch(t, []string{"four"}, keys("[f]o*"))
	assert.ElementsMatch(t, []string{binaryKey}, keys("\x00*"))
	assert.ElementsMatch(t, []string{""}, keys(""))
	assert.Empty(t, keys("nomatch*"))

	require.EqualValues(t, 1, e.int("pexpire", "one", 10))
	e.srv.FastForward(time.Second)
	assert.NotContains(t, keys("*"), "one")
}

func TestRandomKey(t *testing.T) {
	e := newKeysEnv(t)
	e.isNil("randomkey")
	e.set(binaryKey, "v")
	assert.Equal(t, binaryKey, e.do("randomkey"))
	require.EqualValues(t, 1, e.int("pexpire", binaryKey, 10))
	e.srv.FastForward(time.Second)
	e.isNil("randomkey")

	for i := 0; i < 50; i++ {
		e.set("k"+strconv.Itoa(i), "v")
	}
	seen := map[string]bool{}
	for i := 0; i < 200; i++ {
		seen[e.do("randomkey").(string)] = true
	}
	assert.Greater(t, len(seen), 10, "RANDOMKEY should spread over the keys")
}

// scanAll runs a whole SCAN iteration and returns every key it reported.
func scanAll(t *testing.T, rdb *redis.Client, args ...any) []string {
	t.Helper()
	ctx := context.Background()
	var out []string
	cursor := "0"
	for i := 0; ; i++ {
		require.Less(t, i, 1_000_000, "SCAN does not terminate")
		v, err := rdb.Do(ctx, append([]any{"scan", cursor}, args...)...).Slice()
		require.NoError(t, err)
		require.Len(t, v, 2)
		cursor = v[0].(string)
		for _, k := range v[1].([]any) {
			out = append(out, k.(string))
		}
		if cursor == "0" {
			return out
		}
	}
}

func dedupe(keys []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, k := range keys {
		if !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	return out
}

func TestScan(t *testing.T) {
	e := newKeysEnv(t)
	v := e.do("scan", "0").([]any)
	assert.Equal(t, []any{"0", []any{}}, v)

	var all []string
	for i := 0; i < 300; i++ {
		k := fmt.Sprintf("key:%d", i)
		e.set(k, "v")
		all = append(all, k)
	}
	e.set(binaryKey, "v")
	all = append(all, binaryKey)

	assert.ElementsMatch(t, all, dedupe(scanAll(t, e.rdb)))
	assert.ElementsMatch(t, all, dedupe(scanAll(t, e.rdb, "count", 1)))
	assert.ElementsMatch(t, all, dedupe(scanAll(t, e.rdb, "COUNT", 1000, "match", "*")))
	assert.ElementsMatch(t, []string{"key:107", "key:117", "key:127"},
		dedupe(scanAll(t, e.rdb, "match", "key:1[0-2]7", "count", 7)))
	assert.ElementsMatch(t, []string{binaryKey}, dedupe(scanAll(t, e.rdb, "match", "\x00*")))
	assert.Empty(t, scanAll(t, e.rdb, "match", ""))
	assert.Empty(t, scanAll(t, e.rdb, "type", ""))
	e.set("", "v")
	assert.Equal(t, []string{""}, scanAll(t, e.rdb, "match", "", "count", 1000))
	require.EqualValues(t, 1, e.int("del", ""))
	// A later option overrides an earlier one; TYPE compares without case.
	assert.ElementsMatch(t, []string{"key:5"}, dedupe(scanAll(t, e.rdb, "match", "x", "match", "key:5")))
	assert.ElementsMatch(t, all, dedupe(scanAll(t, e.rdb, "type", "STRING")))
	assert.Empty(t, scanAll(t, e.rdb, "type", "list"))
	assert.Empty(t, scanAll(t, e.rdb, "type", "nosuchtype"))
	assert.Empty(t, scanAll(t, e.rdb, "type", "none"))

	// One call with a COUNT beyond the keyspace returns everything.
	v = e.do("scan", "0", "count", "9223372036854775807").([]any)
	assert.Equal(t, "0", v[0])
	assert.Len(t, v[1], len(all))

	// Expired keys are never returned (and are deleted on the way).
	require.EqualValues(t, 1, e.int("pexpire", "key:1", 10))
	e.srv.FastForward(time.Second)
	assert.NotContains(t, scanAll(t, e.rdb, "count", 3), "key:1")
	assert.EqualValues(t, len(all)-1, e.int("dbsize"))
}

func TestScanErrors(t *testing.T) {
	e := newKeysEnv(t)
	e.set("a", "v")
	for _, bad := range []string{" 1", "1 ", "x", "+", "-", "0x1", "1.0", "18446744073709551616", "-18446744073709551616"} {
		e.fails("ERR invalid cursor", "scan", bad)
	}
	// strtoul's rules: a sign, leading zeros, an empty string, and a
	// negative value that wraps are all valid cursors.
	for _, good := range []string{"", "+0", "-0", "007", "-1", "18446744073709551615", "-18446744073709551615"} {
		v, err := e.rdb.Do(e.ctx, "scan", good).Slice()
		require.NoError(t, err, good)
		_, err = strconv.ParseUint(v[0].(string), 10, 64)
		assert.NoError(t, err, good)
	}
	// The cursor is checked before the options.
	e.fails("ERR invalid cursor", "scan", "abc", "count", "0")
	e.fails(keysErrSyntax, "scan", "0", "count", "0")
	e.fails(keysErrSyntax, "scan", "0", "count", "-1")
	e.fails(keysErrNotInt, "scan", "0", "count", "abc")
	e.fails(keysErrNotInt, "scan", "0", "count", "99999999999999999999")
	e.fails(keysErrSyntax, "scan", "0", "count")
	e.fails(keysErrSyntax, "scan", "0", "match")
	e.fails(keysErrSyntax, "scan", "0", "type")
	e.fails(keysErrSyntax, "scan", "0", "foo", "bar")
	e.fails(keysErrSyntax, "scan", "0", "match", "*", "count")
}

// TestScanGuarantee checks SCAN's promise: a key present for the whole
// iteration is returned at least once, while other keys are added and
// deleted concurrently. The churn is large next to the stable keys, so the
// shard tables grow and shrink (rehash) in the middle of iterations.
func TestScanGuarantee(t *testing.T) {
	e := newKeysEnv(t)
	const stable, burst = 500, 4000
	pipe := e.rdb.Pipeline()
	for i := 0; i < stable; i++ {
		pipe.Set(e.ctx, fmt.Sprintf("stable:%d", i), "v", 0)
	}
	_, err := pipe.Exec(e.ctx)
	require.NoError(t, err)

	churn := keysClient(t, e.srv, 2, 0)
	stop := make(chan struct{})
	var rounds atomic.Int64
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		ctx := context.Background()
		for r := 0; ; r++ {
			select {
			case <-stop:
				return
			default:
			}
			add, del := churn.Pipeline(), churn.Pipeline()
			for j := 0; j < burst; j++ {
				k := fmt.Sprintf("churn:%d:%d", r, j)
				add.Set(ctx, k, "v", 0)
				del.Del(ctx, k)
			}
			if _, err := add.Exec(ctx); err != nil {
				return
			}
			if _, err := del.Exec(ctx); err != nil {
				return
			}
			rounds.Add(1)
		}
	}()
	// Keep iterating until the churn has gone through several rounds.
	for iter := 0; iter < 200 && (iter == 0 || rounds.Load() < 10); iter++ {
		seen := map[string]bool{}
		for _, k := range scanAll(t, e.rdb, "count", 3) {
			seen[k] = true
		}
		for i := 0; i < stable; i++ {
			require.True(t, seen[fmt.Sprintf("stable:%d", i)], "iteration %d missed stable:%d", iter, i)
		}
	}
	close(stop)
	wg.Wait()
	assert.GreaterOrEqual(t, rounds.Load(), int64(10), "the churn did not run alongside the scans")
}

func TestCopy(t *testing.T) {
	e := newKeysEnv(t)
	e.fails(keysErrSame, "copy", "a", "a")
	e.fails(keysErrSame, "copy", "a", "a", "db", "0")
	e.fails(keysErrSame, "copy", "a", "a", "replace")
	assert.EqualValues(t, 0, e.int("copy", "missing", "x"))

	e.set("a", "1")
	e.fails(keysErrDBIndex, "copy", "a", "b", "db", "16")
	e.fails(keysErrDBIndex, "copy", "a", "b", "db", "-1")
	e.fails(keysErrNotInt, "copy", "a", "b", "db", "abc")
	e.fails(keysErrIntRange, "copy", "a", "b", "db", "2147483648")
	e.fails(keysErrSyntax, "copy", "a", "b", "db")
	e.fails(keysErrSyntax, "copy", "a", "b", "foo")
	// Options are checked left to right: the first bad DB stops it.
	e.fails(keysErrDBIndex, "copy", "a", "e", "db", "99", "db", "1")

	assert.EqualValues(t, 1, e.int("copy", "a", "b"))
	assert.Equal(t, "1", e.do("get", "b"))
	e.set("b", "other")
	assert.EqualValues(t, 0, e.int("copy", "a", "b"))
	assert.Equal(t, "other", e.do("get", "b"))
	assert.EqualValues(t, 1, e.int("copy", "a", "b", "replace", "replace"))
	assert.Equal(t, "1", e.do("get", "b"))

	// The TTL is copied; a replaced key's TTL is not kept.
	require.EqualValues(t, 1, e.int("pexpireat", "a", 4102444800000))
	require.EqualValues(t, 1, e.int("pexpireat", "b", 4102444800999))
	assert.EqualValues(t, 1, e.int("copy", "a", "b", "REPLACE"))
	assert.EqualValues(t, 4102444800000, e.int("pexpiretime", "b"))
	require.EqualValues(t, 1, e.int("persist", "a"))
	assert.EqualValues(t, 1, e.int("copy", "a", "b", "replace"))
	assert.EqualValues(t, -1, e.int("pexpiretime", "b"))

	// Across databases; the last DB option wins.
	db1 := keysClient(t, e.srv, 2, 1)
	assert.EqualValues(t, 1, e.int("copy", "a", "a", "db", "5", "db", "1"))
	assert.Equal(t, "1", db1.Get(e.ctx, "a").Val())
	assert.EqualValues(t, 0, e.int("copy", "a", "a", "db", "1"))
	assert.EqualValues(t, 1, e.int("copy", "a", binaryKey, "db", "1"))
	assert.Equal(t, "1", db1.Get(e.ctx, binaryKey).Val())

	// An expired source does not exist; an expired destination does not
	// block the copy.
	require.EqualValues(t, 1, e.int("pexpire", "b", 10))
	e.srv.FastForward(time.Second)
	assert.EqualValues(t, 1, e.int("copy", "a", "b"))
	require.EqualValues(t, 1, e.int("pexpire", "a", 10))
	e.srv.FastForward(time.Second)
	assert.EqualValues(t, 0, e.int("copy", "a", "c"))
}

func TestCopyKeepsEncoding(t *testing.T) {
	e := newKeysEnv(t)
	e.set("int", "12345")
	e.set("embstr", "hello")
	require.EqualValues(t, 5, e.int("append", "raw", "hello"))
	require.EqualValues(t, 10, e.int("append", "raw", "hello"))
	for _, k := range []string{"int", "embstr", "raw"} {
		require.EqualValues(t, 1, e.int("copy", k, k+":copy"))
		assert.Equal(t, e.do("object", "encoding", k), e.do("object", "encoding", k+":copy"), k)
	}
	assert.Equal(t, "raw", e.do("object", "encoding", "raw:copy"))
}

func TestMove(t *testing.T) {
	e := newKeysEnv(t)
	db1 := keysClient(t, e.srv, 2, 1)
	e.fails(keysErrSame, "move", "missing", "0")
	e.fails(keysErrDBIndex, "move", "k", "16")
	e.fails(keysErrDBIndex, "move", "k", "-1")
	e.fails(keysErrNotInt, "move", "k", "abc")
	e.fails(keysErrIntRange, "move", "k", "2147483648")
	e.fails(keysErrIntRange, "move", "k", "-2147483649")
	assert.EqualValues(t, 0, e.int("move", "missing", "1"))

	e.set(binaryKey, "v")
	require.EqualValues(t, 1, e.int("pexpireat", binaryKey, 4102444800000))
	assert.EqualValues(t, 1, e.int("move", binaryKey, "1"))
	assert.EqualValues(t, 0, e.int("exists", binaryKey))
	assert.Equal(t, "v", db1.Get(e.ctx, binaryKey).Val())
	assert.EqualValues(t, 4102444800000, db1.Do(e.ctx, "pexpiretime", binaryKey).Val())

	// The destination holding the key blocks the move.
	e.set(binaryKey, "again")
	assert.EqualValues(t, 0, e.int("move", binaryKey, "1"))
	assert.Equal(t, "again", e.do("get", binaryKey))
	assert.Equal(t, "v", db1.Get(e.ctx, binaryKey).Val())

	// ... unless it has expired.
	require.NoError(t, db1.PExpire(e.ctx, binaryKey, 10*time.Millisecond).Err())
	e.srv.FastForward(time.Second)
	assert.EqualValues(t, 1, e.int("move", binaryKey, "1"))
	assert.Equal(t, "again", db1.Get(e.ctx, binaryKey).Val())
	assert.EqualValues(t, -1, db1.Do(e.ctx, "pttl", binaryKey).Val())
}

func TestSwapDB(t *testing.T) {
	e := newKeysEnv(t)
	db1 := keysClient(t, e.srv, 2, 1)
	e.fails(keysErrDBIndex, "swapdb", "0", "16")
	e.fails(keysErrDBIndex, "swapdb", "-1", "0")
	e.fails("ERR invalid first DB index", "swapdb", "a", "0")
	e.fails("ERR invalid first DB index", "swapdb", "2147483648", "0")
	e.fails("ERR invalid second DB index", "swapdb", "0", "a")
	e.fails("ERR invalid second DB index", "swapdb", "0", "-2147483649")

	e.set("in0", "zero")
	require.EqualValues(t, 1, e.int("pexpireat", "in0", 4102444800000))
	require.NoError(t, db1.Set(e.ctx, "in1", "one", 0).Err())
	assert.Equal(t, "OK", e.do("swapdb", "0", "0"))
	assert.Equal(t, "zero", e.do("get", "in0"))

	// Clients stay on their database number and see the other contents.
	assert.Equal(t, "OK", e.do("swapdb", "1", "0"))
	assert.Equal(t, "one", e.do("get", "in1"))
	assert.EqualValues(t, 0, e.int("exists", "in0"))
	assert.Equal(t, "zero", db1.Get(e.ctx, "in0").Val())
	assert.EqualValues(t, 4102444800000, db1.Do(e.ctx, "pexpiretime", "in0").Val())
}

func TestFlush(t *testing.T) {
	e := newKeysEnv(t)
	db1 := keysClient(t, e.srv, 2, 1)
	for _, call := range [][]any{
		{"flushdb", "foo"}, {"flushall", "foo"}, {"flushall", "sync", "async"},
		{"flushdb", "sync", "foo"}, {"flushdb", "async", "async"},
	} {
		e.fails(keysErrSyntax, call...)
	}
	fill := func() {
		e.set("a", "1")
		e.set(binaryKey, "2")
		require.NoError(t, db1.Set(e.ctx, "b", "3", 0).Err())
	}
	for _, mode := range [][]any{{}, {"sync"}, {"ASYNC"}} {
		fill()
		assert.Equal(t, "OK", e.do(append([]any{"flushdb"}, mode...)...))
		assert.EqualValues(t, 0, e.int("dbsize"))
		assert.EqualValues(t, 1, db1.DBSize(e.ctx).Val())

		fill()
		assert.Equal(t, "OK", e.do(append([]any{"flushall"}, mode...)...))
		assert.EqualValues(t, 0, e.int("dbsize"))
		assert.EqualValues(t, 0, db1.DBSize(e.ctx).Val())
	}
}

func TestExpireErrors(t *testing.T) {
	e := newKeysEnv(t)
	e.set("k", "v")
	const nxErr = "ERR NX and XX, GT or LT options at the same time are not compatible"
	for _, cmd := range []string{"expire", "pexpire", "expireat", "pexpireat"} {
		e.fails("ERR Unsupported option foo", cmd, "k", "100", "foo")
		// Options are parsed before the time, and before the key lookup.
		e.fails("ERR Unsupported option foo", cmd, "k", "abc", "foo")
		e.fails("ERR Unsupported option bad", cmd, "missing", "100", "bad")
		e.fails("ERR Unsupported option b", cmd, "k", "100", "b\x00c")
		e.fails(nxErr, cmd, "k", "100", "nx", "xx")
		e.fails(nxErr, cmd, "k", "100", "NX", "gt")
		e.fails(nxErr, cmd, "k", "100", "lt", "nx")
		e.fails("ERR GT and LT options at the same time are not compatible", cmd, "k", "100", "gt", "LT")
		for _, bad := range []string{"abc", "1.5", " 1", "+1", "01", "", "9223372036854775808"} {
			e.fails(keysErrNotInt, cmd, "k", bad)
			e.fails(keysErrNotInt, cmd, "missing", bad)
		}
	}
	overflow := map[string][]string{
		// Seconds are multiplied by 1000, then relative times get "now"
		// added: both steps are checked.
		"expire":    {"9223372036854775", "9223372036854776", "-9223372036854776", "9223372036854775807"},
		"pexpire":   {"9223372036854775807", "9223372036854000000"},
		"expireat":  {"9223372036854776", "-9223372036854776", "-9223372036854775808"},
		"pexpireat": {},
	}
	for cmd, values := range overflow {
		for _, v := range values {
			e.fails(fmt.Sprintf("ERR invalid expire time in '%s' command", cmd), cmd, "k", v)
			e.fails(fmt.Sprintf("ERR invalid expire time in '%s' command", cmd), cmd, "missing", v)
		}
	}
	assert.EqualValues(t, -1, e.int("ttl", "k"), "no failed call may set a TTL")
}

// TestKeywordsEndAtNUL: Redis compares option keywords with strcasecmp,
// which stops at a NUL byte; numbers are parsed with their full length.
func TestKeywordsEndAtNUL(t *testing.T) {
	e := newKeysEnv(t)
	e.set("k", "v")
	assert.EqualValues(t, 1, e.int("expire", "k", "100", "nx\x00zz"))
	assert.EqualValues(t, 100, e.int("ttl", "k"))
	assert.Equal(t, []any{"0", []any{"k"}}, e.do("scan", "0", "count\x00x", "5"))
	assert.Equal(t, []any{"0", []any{"k"}}, e.do("scan", "0", "type", "string\x00q"))
	assert.Equal(t, []any{"0", []any{"k"}}, e.do("scan", "0\x00junk", "match", "k"))
	assert.EqualValues(t, 1, e.int("copy", "k", "k2", "replace\x00y"))
	e.fails(keysErrNotInt, "move", "k", "1\x00")
	e.fails(keysErrNotInt, "expire", "k", "1\x00")
	e.fails("ERR invalid first DB index", "swapdb", "0\x00", "0")
	assert.Equal(t, "OK", e.do("flushdb", "sync\x00x"))
	assert.EqualValues(t, 0, e.int("dbsize"))
}

func TestExpireSetsDeadline(t *testing.T) {
	e := newKeysEnv(t)
	for _, cmd := range []string{"expire", "pexpire", "expireat", "pexpireat"} {
		assert.EqualValues(t, 0, e.int(cmd, "missing", "100"), cmd)
		assert.EqualValues(t, 0, e.int(cmd, "missing", "-100"), cmd)
	}
	e.set("k", "v")
	require.EqualValues(t, 1, e.int("expireat", "k", 4102444800))
	assert.EqualValues(t, 4102444800, e.int("expiretime", "k"))
	assert.EqualValues(t, 4102444800000, e.int("pexpiretime", "k"))
	require.EqualValues(t, 1, e.int("pexpireat", "k", 4102444800499))
	assert.EqualValues(t, 4102444800, e.int("expiretime", "k"), "rounded to the nearest second")
	require.EqualValues(t, 1, e.int("pexpireat", "k", 4102444800500))
	assert.EqualValues(t, 4102444801, e.int("expiretime", "k"))

	// The largest deadlines are accepted and reported without overflow.
	require.EqualValues(t, 1, e.int("pexpireat", "k", "9223372036854775807"))
	assert.EqualValues(t, int64(9223372036854775807), e.int("pexpiretime", "k"))
	assert.EqualValues(t, int64(9223372036854776), e.int("expiretime", "k"))
	require.EqualValues(t, 1, e.int("expireat", "k", "9223372036854775"))
	assert.EqualValues(t, int64(9223372036854775000), e.int("pexpiretime", "k"))
	require.EqualValues(t, 1, e.int("pexpire", "k", "9223370000000000000"))
	assert.Greater(t, e.int("ttl", "k"), int64(9223370000000000-1000))

	// Relative times count from the server's clock.
	require.EqualValues(t, 1, e.int("expire", "k", 100))
	ttl := e.int("pttl", "k")
	assert.True(t, ttl > 95000 && ttl <= 100000, "pttl %d", ttl)
	require.EqualValues(t, 1, e.int("pexpire", "k", 100500))
	sec := e.int("ttl", "k")
	assert.True(t, sec == 100 || sec == 101, "ttl %d", sec)
	deadline := e.int("pexpiretime", "k")
	now := e.srv.Clock().NowMs()
	assert.InDelta(t, now+100500, deadline, 5000)
}

func TestExpireInThePastDeletes(t *testing.T) {
	e := newKeysEnv(t)
	for _, call := range [][]any{
		{"expire", "k", 0}, {"expire", "k", -1}, {"pexpire", "k", -100},
		{"expireat", "k", 1}, {"pexpireat", "k", 0}, {"pexpireat", "k", -1},
		{"expire", "k", "-9223372036854775"}, {"pexpire", "k", "-9223372036854775808"},
		{"pexpireat", "k", "-9223372036854775808"},
	} {
		e.set("k", "v")
		assert.EqualValues(t, 1, e.int(call...), "%v", call)
		assert.EqualValues(t, 0, e.int("exists", "k"), "%v", call)
	}
	// Conditions apply first: a refused past deadline deletes nothing.
	e.set("k", "v")
	assert.EqualValues(t, 0, e.int("expire", "k", -5, "gt"))
	assert.EqualValues(t, 0, e.int("expire", "k", -5, "xx"))
	assert.EqualValues(t, 1, e.int("exists", "k"))
	assert.EqualValues(t, 1, e.int("expire", "k", -5, "lt"))
	assert.EqualValues(t, 0, e.int("exists", "k"))
}

func TestExpireConditions(t *testing.T) {
	e := newKeysEnv(t)
	e.set("k", "v")
	// Without a TTL: NX sets, XX and GT refuse (no TTL is infinite), LT sets.
	assert.EqualValues(t, 0, e.int("expire", "k", 100, "xx"))
	assert.EqualValues(t, 0, e.int("expire", "k", 100, "gt"))
	assert.EqualValues(t, 0, e.int("expire", "k", 100, "xx", "xx"))
	assert.EqualValues(t, -1, e.int("ttl", "k"))
	assert.EqualValues(t, 1, e.int("pexpireat", "k", 4102444800000, "nx"))
	assert.EqualValues(t, 0, e.int("pexpireat", "k", 4102444800000, "NX"))

	// With a TTL.
	assert.EqualValues(t, 0, e.int("pexpireat", "k", 4102444800000, "gt"), "equal is not greater")
	assert.EqualValues(t, 0, e.int("pexpireat", "k", 4102444800000, "lt"), "equal is not less")
	assert.EqualValues(t, 0, e.int("pexpireat", "k", 4102444799999, "gt"))
	assert.EqualValues(t, 1, e.int("pexpireat", "k", 4102444800001, "gt"))
	assert.EqualValues(t, 0, e.int("pexpireat", "k", 4102444800002, "lt"))
	assert.EqualValues(t, 1, e.int("pexpireat", "k", 4102444800000, "lt", "xx"))
	assert.EqualValues(t, 1, e.int("pexpireat", "k", 4102444800005, "gt", "xx"))
	assert.EqualValues(t, 4102444800005, e.int("pexpiretime", "k"))

	e.set("nottl", "v")
	require.EqualValues(t, 1, e.int("pexpireat", "nottl", 4102444800000, "lt"))
	assert.EqualValues(t, 4102444800000, e.int("pexpiretime", "nottl"))
}

func TestTTLWithFastForward(t *testing.T) {
	e := newKeysEnv(t)
	assert.EqualValues(t, -2, e.int("ttl", "missing"))
	assert.EqualValues(t, -2, e.int("pttl", "missing"))
	assert.EqualValues(t, -2, e.int("expiretime", "missing"))
	assert.EqualValues(t, -2, e.int("pexpiretime", "missing"))
	e.set(binaryKey, "v")
	assert.EqualValues(t, -1, e.int("ttl", binaryKey))
	assert.EqualValues(t, -1, e.int("pttl", binaryKey))
	assert.EqualValues(t, -1, e.int("expiretime", binaryKey))
	assert.EqualValues(t, -1, e.int("pexpiretime", binaryKey))

	require.EqualValues(t, 1, e.int("expire", binaryKey, 100))
	deadline := e.int("pexpiretime", binaryKey)
	e.srv.FastForward(60 * time.Second)
	ttl := e.int("ttl", binaryKey)
	assert.True(t, ttl == 40 || ttl == 39, "ttl %d", ttl)
	pttl := e.int("pttl", binaryKey)
	assert.True(t, pttl > 35000 && pttl <= 40000, "pttl %d", pttl)
	assert.EqualValues(t, deadline, e.int("pexpiretime", binaryKey), "the deadline does not move")

	e.srv.FastForward(41 * time.Second)
	assert.EqualValues(t, -2, e.int("ttl", binaryKey))
	assert.EqualValues(t, 0, e.int("exists", binaryKey))
	assert.EqualValues(t, 0, e.int("expire", binaryKey, 100), "an expired key takes no TTL")
}

func TestPersist(t *testing.T) {
	e := newKeysEnv(t)
	assert.EqualValues(t, 0, e.int("persist", "missing"))
	e.set("k", "v")
	assert.EqualValues(t, 0, e.int("persist", "k"))
	require.EqualValues(t, 1, e.int("expire", "k", 10))
	assert.EqualValues(t, 1, e.int("persist", "k"))
	assert.EqualValues(t, -1, e.int("ttl", "k"))
	assert.EqualValues(t, 0, e.int("persist", "k"))
	e.srv.FastForward(time.Minute)
	assert.EqualValues(t, 1, e.int("exists", "k"))

	require.EqualValues(t, 1, e.int("expire", "k", 10))
	e.srv.FastForward(time.Minute)
	assert.EqualValues(t, 0, e.int("persist", "k"))
	assert.EqualValues(t, 0, e.int("exists", "k"))
}

func TestObject(t *testing.T) {
	e := newKeysEnv(t)
	for _, sub := range []string{"encoding", "freq", "idletime", "refcount"} {
		e.isNil("object", sub, "missing")
	}
	e.set("int", "100")
	e.set("bigint", "10000")
	e.set("neg", "-1")
	e.set("embstr", "hello")
	e.set("long", string(make([]byte, 45)))
	assert.Equal(t, "int", e.do("object", "encoding", "int"))
	assert.Equal(t, "int", e.do("OBJECT", "ENCODING", "bigint"))
	assert.Equal(t, "embstr", e.do("object", "encoding", "embstr"))
	assert.Equal(t, "raw", e.do("object", "encoding", "long"))

	// Small non-negative integers are one shared object in Redis.
	assert.EqualValues(t, 2147483647, e.int("object", "refcount", "int"))
	assert.EqualValues(t, 1, e.int("object", "refcount", "bigint"))
	assert.EqualValues(t, 1, e.int("object", "refcount", "neg"))
	assert.EqualValues(t, 1, e.int("object", "refcount", "embstr"))

	const notLFU = "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust."
	const isLFU = "ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust."
	e.fails(notLFU, "object", "freq", "embstr")
	assert.GreaterOrEqual(t, e.int("object", "idletime", "embstr"), int64(0))
	require.Equal(t, "OK", e.do("config", "set", "maxmemory-policy", "allkeys-lfu"))
	e.fails(isLFU, "object", "idletime", "embstr")
	assert.GreaterOrEqual(t, e.int("object", "freq", "embstr"), int64(0))
	e.isNil("object", "idletime", "missing")
	require.Equal(t, "OK", e.do("config", "set", "maxmemory-policy", "volatile-lfu"))
	e.fails(isLFU, "object", "idletime", "embstr")
	require.Equal(t, "OK", e.do("config", "set", "maxmemory-policy", "allkeys-lru"))
	e.fails(notLFU, "object", "freq", "embstr")
}

func TestObjectHelp(t *testing.T) {
	e := newKeysEnv(t)
	v, err := e.rdb.Do(e.ctx, "object", "help").StringSlice()
	require.NoError(t, err)
	require.Len(t, v, 15)
	assert.Equal(t, "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:", v[0])
	assert.Equal(t, "ENCODING <key>", v[1])
	assert.Equal(t, "    <key>.", v[12])
	assert.Equal(t, "HELP", v[13])
	assert.Equal(t, "    Prints this help.", v[14])
}

// TestObjectIdleTime checks the access clock: reads reset it, the
// introspection commands (TYPE, TTL, EXISTS, OBJECT) do not.
func TestObjectIdleTime(t *testing.T) {
	e := newKeysEnv(t)
	e.set("k", "v")
	if e.int("object", "idletime", "k") > 1 {
		t.Skip("the store does not stamp the access clock of new keys yet")
	}
	e.srv.FastForward(100 * time.Second)
	for _, call := range [][]any{
		{"type", "k"}, {"ttl", "k"}, {"pttl", "k"}, {"exists", "k"},
		{"object", "encoding", "k"}, {"object", "refcount", "k"},
	} {
		e.do(call...)
	}
	idle := e.int("object", "idletime", "k")
	assert.True(t, idle >= 100 && idle <= 102, "idletime %d", idle)
	assert.EqualValues(t, 1, e.int("touch", "k"))
	assert.LessOrEqual(t, e.int("object", "idletime", "k"), int64(1))
}

func TestKeysRESP3(t *testing.T) {
	srv := servertest.Start(t)
	rdb := keysClient(t, srv, 3, 0)
	ctx := context.Background()

	assert.Equal(t, redis.Nil, rdb.Do(ctx, "randomkey").Err())
	v, err := rdb.Do(ctx, "scan", "0").Result()
	require.NoError(t, err)
	assert.Equal(t, []any{"0", []any{}}, v)

	require.NoError(t, rdb.Set(ctx, "k", "v", 0).Err())
	v, err = rdb.Do(ctx, "scan", "0", "count", "100").Result()
	require.NoError(t, err)
	assert.Equal(t, []any{"0", []any{"k"}}, v)
	v, err = rdb.Do(ctx, "keys", "*").Result()
	require.NoError(t, err)
	assert.Equal(t, []any{"k"}, v)

	assert.Equal(t, "string", rdb.Do(ctx, "type", "k").Val())
	assert.Equal(t, "k", rdb.Do(ctx, "randomkey").Val())
	assert.Equal(t, redis.Nil, rdb.Do(ctx, "object", "encoding", "missing").Err())
	assert.Equal(t, "embstr", rdb.Do(ctx, "object", "encoding", "k").Val())
	assert.EqualValues(t, -1, rdb.Do(ctx, "ttl", "k").Val())
	assert.EqualValues(t, 1, rdb.Do(ctx, "expire", "k", 100).Val())
	assert.EqualValues(t, 1, rdb.Do(ctx, "copy", "k", "c").Val())
	assert.Equal(t, "OK", rdb.Do(ctx, "rename", "c", "d").Val())
	assert.EqualValues(t, 2, rdb.Do(ctx, "del", "k", "d").Val())
	help, err := rdb.Do(ctx, "object", "help").StringSlice()
	require.NoError(t, err)
	assert.Len(t, help, 15)
}
