package server_test

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kioku-db/kioku/server/servertest"
)

// Tests of the hash family (cmd_hash.go). Expected replies, reply types
// and error strings are Redis 7.0.15's, checked against redis-server; the
// differential tests in compat/ compare byte for byte.

// hashEnv is a server and a client speaking one protocol.
type hashEnv struct {
	t     *testing.T
	srv   *servertest.Server
	rdb   *redis.Client
	proto int
	ctx   context.Context
}

// forEachHashProtocol runs fn against a fresh server with a RESP2 client,
// then with a RESP3 client.
func forEachHashProtocol(t *testing.T, fn func(e *hashEnv)) {
	for _, proto := range []int{2, 3} {
		t.Run(fmt.Sprintf("RESP%d", proto), func(t *testing.T) {
			srv := servertest.Start(t)
			fn(&hashEnv{t: t, srv: srv, rdb: keysClient(t, srv, proto, 0), proto: proto, ctx: context.Background()})
		})
	}
}

func newHashEnv(t *testing.T, opts ...servertest.Option) *hashEnv {
	srv := servertest.Start(t, opts...)
	return &hashEnv{t: t, srv: srv, rdb: keysClient(t, srv, 2, 0), proto: 2, ctx: context.Background()}
}

func (e *hashEnv) do(args ...any) any {
	e.t.Helper()
	v, err := e.rdb.Do(e.ctx, args...).Result()
	require.NoError(e.t, err, "%v", args)
	return v
}

func (e *hashEnv) int(args ...any) int64 {
	e.t.Helper()
	v, err := e.rdb.Do(e.ctx, args...).Int64()
	require.NoError(e.t, err, "%v", args)
	return v
}

func (e *hashEnv) str(args ...any) string {
	e.t.Helper()
	v, err := e.rdb.Do(e.ctx, args...).Text()
	require.NoError(e.t, err, "%v", args)
	return v
}

func (e *hashEnv) strs(args ...any) []string {
	e.t.Helper()
	v, err := e.rdb.Do(e.ctx, args...).StringSlice()
	require.NoError(e.t, err, "%v", args)
	return v
}

func (e *hashEnv) fails(want string, args ...any) {
	e.t.Helper()
	err := e.rdb.Do(e.ctx, args...).Err()
	require.Error(e.t, err, "%v", args)
	assert.Equal(e.t, want, err.Error(), "%v", args)
}

func (e *hashEnv) isNil(args ...any) {
	e.t.Helper()
	assert.Equal(e.t, redis.Nil, e.rdb.Do(e.ctx, args...).Err(), "%v", args)
}

func (e *hashEnv) encoding(key string) string {
	e.t.Helper()
	return e.str("OBJECT", "ENCODING", key)
}

// fieldArgs is f1 v1 ... fn vn.
func fieldArgs(n int) []any {
	var out []any
	for i := 1; i <= n; i++ {
		out = append(out, "f"+strconv.Itoa(i), "v"+strconv.Itoa(i))
	}
	return out
}

func sortedStrings(xs []string) []string {
	out := append([]string(nil), xs...)
	sort.Strings(out)
	return out
}

func TestHashSetGet(t *testing.T) {
	forEachHashProtocol(t, func(e *hashEnv) {
		r, ctx := e.rdb, e.ctx
		assert.EqualValues(t, 2, r.HSet(ctx, "h", "a", "1", "b", "2").Val())
		assert.EqualValues(t, 1, r.HSet(ctx, "h", "a", "3", "c", "4").Val(), "only c is new")
		assert.EqualValues(t, 0, r.HSet(ctx, "h", "a", "5", "a", "6").Val())
		assert.Equal(t, "6", r.HGet(ctx, "h", "a").Val())
		assert.Equal(t, redis.Nil, r.HGet(ctx, "h", "zz").Err())
		assert.Equal(t, redis.Nil, r.HGet(ctx, "nokey", "a").Err())
		assert.Equal(t, "OK", e.str("HMSET", "h", "d", "7"))
		assert.True(t, r.HSetNX(ctx, "h", "e", "8").Val())
		assert.False(t, r.HSetNX(ctx, "h", "e", "9").Val())
		assert.Equal(t, []any{"6", nil, "8"}, r.HMGet(ctx, "h", "a", "zz", "e").Val())
		assert.Equal(t, []any{nil, nil}, r.HMGet(ctx, "nokey", "a", "b").Val())
		assert.EqualValues(t, 5, r.HLen(ctx, "h").Val())
		assert.EqualValues(t, 0, r.HLen(ctx, "nokey").Val())
		assert.True(t, r.HExists(ctx, "h", "a").Val())
		assert.False(t, r.HExists(ctx, "h", "zz").Val())
		assert.EqualValues(t, 1, e.int("HSTRLEN", "h", "a"))
		assert.EqualValues(t, 0, e.int("HSTRLEN", "h", "zz"))
		assert.EqualValues(t, 0, e.int("HSTRLEN", "nokey", "a"))
		assert.Equal(t, map[string]string{"a": "6", "b": "2", "c": "4", "d": "7", "e": "8"}, r.HGetAll(ctx, "h").Val())
		assert.Equal(t, map[string]string{}, r.HGetAll(ctx, "nokey").Val())
		assert.Equal(t, "hash", r.Type(ctx, "h").Val())
		assert.Equal(t, "listpack", e.encoding("h"))

		// Empty and binary fields, values and keys.
		assert.EqualValues(t, 1, r.HSet(ctx, "", "", "").Val())
		assert.Equal(t, "", r.HGet(ctx, "", "").Val())
		bin := "\x00\xff\r\n"
		r.HSet(ctx, "h", bin, bin)
		assert.Equal(t, bin, r.HGet(ctx, "h", bin).Val())
	})
}

// TestHashInsertionOrder: a listpack answers in insertion order, a
// replaced value keeps its place, a re-added field goes last.
func TestHashInsertionOrder(t *testing.T) {
	forEachHashProtocol(t, func(e *hashEnv) {
		e.do("HSET", "h", "z", "1", "a", "2", "m", "3")
		e.do("HSET", "h", "a", "22")
		e.do("HDEL", "h", "z")
		e.do("HSET", "h", "z", "4")
		assert.Equal(t, []string{"a", "m", "z"}, e.strs("HKEYS", "h"))
		assert.Equal(t, []string{"22", "3", "4"}, e.strs("HVALS", "h"))
		got := e.do("HGETALL", "h")
		if e.proto == 2 {
			assert.Equal(t, []any{"a", "22", "m", "3", "z", "4"}, got)
		} else {
			assert.Equal(t, map[any]any{"a": "22", "m": "3", "z": "4"}, got, "a RESP3 map")
		}
	})
}

func TestHashDelRemovesEmptyKey(t *testing.T) {
	e := newHashEnv(t)
	e.do("HSET", "h", "a", "1", "b", "2")
	e.do("EXPIRE", "h", "100")
	assert.EqualValues(t, 0, e.int("HDEL", "h", "zz"))
	assert.EqualValues(t, 1, e.int("HDEL", "h", "a", "a"))
	assert.EqualValues(t, 1, e.int("HDEL", "h", "b", "c"))
	assert.EqualValues(t, 0, e.int("EXISTS", "h"))
	assert.EqualValues(t, -2, e.int("TTL", "h"))
	assert.EqualValues(t, 0, e.int("HDEL", "nokey", "a"))
}

func TestHashIncrBy(t *testing.T) {
	e := newHashEnv(t)
	assert.EqualValues(t, 5, e.int("HINCRBY", "h", "n", "5"))
	assert.EqualValues(t, -15, e.int("HINCRBY", "h", "n", "-20"))
	assert.EqualValues(t, int64(9223372036854775807), e.int("HINCRBY", "h", "max", "9223372036854775807"))
	e.fails("ERR increment or decrement would overflow", "HINCRBY", "h", "max", "1")
	e.do("HSET", "h", "min", "-9223372036854775808", "s", "abc", "f", "1.5", "sp", " 1", "z", "01")
	e.fails("ERR increment or decrement would overflow", "HINCRBY", "h", "min", "-1")
	for _, f := range []string{"s", "f", "sp", "z"} {
		e.fails("ERR hash value is not an integer", "HINCRBY", "h", f, "1")
	}
	for _, incr := range []string{"x", "1.5", "9223372036854775808", "+1", ""} {
		e.fails("ERR value is not an integer or out of range", "HINCRBY", "h", "n", incr)
	}
	assert.Equal(t, "-15", e.str("HGET", "h", "n"))
}

func TestHashIncrByFloat(t *testing.T) {
	e := newHashEnv(t)
	assert.Equal(t, "0.1", e.str("HINCRBYFLOAT", "h", "f", "0.1"))
	assert.Equal(t, "0.3", e.str("HINCRBYFLOAT", "h", "f", "0.2"), "long double arithmetic, as Redis")
	assert.Equal(t, "0", e.str("HINCRBYFLOAT", "h", "f", "-0.3"))
	assert.Equal(t, "5000", e.str("HINCRBYFLOAT", "h", "g", "5.0e3"))
	e.do("HSET", "h", "i", "7")
	assert.Equal(t, "7.1", e.str("HINCRBYFLOAT", "h", "i", "0.1"))
	e.fails("ERR value is not a valid float", "HINCRBYFLOAT", "h", "f", "abc")
	e.fails("ERR value is not a valid float", "HINCRBYFLOAT", "h", "f", "nan")
	e.fails("ERR value is NaN or Infinity", "HINCRBYFLOAT", "h", "f", "inf")
	e.fails("ERR value is NaN or Infinity", "HINCRBYFLOAT", "h", "f", "-Infinity")
	e.do("HSET", "h", "s", "abc", "inf", "inf", "max", "1e4932")
	e.fails("ERR hash value is not a float", "HINCRBYFLOAT", "h", "s", "1")
	e.fails("ERR increment would produce NaN or Infinity", "HINCRBYFLOAT", "h", "inf", "1")
	e.fails("ERR increment would produce NaN or Infinity", "HINCRBYFLOAT", "h", "max", "1e4932")
	assert.Equal(t, "1e4932", e.str("HGET", "h", "max"))
	// The result is written out in full, as Redis's "%.17Lf": the long
	// double nearest 1e308 is 99999...048, 308 digits.
	assert.Len(t, e.str("HINCRBYFLOAT", "h", "big", "1e308"), 308)
}

func TestHashEncodingConversion(t *testing.T) {
	e := newHashEnv(t)
	assert.Equal(t, []any{"hash-max-listpack-entries", "512"}, e.do("CONFIG", "GET", "hash-max-listpack-entries"))

	e.do(append([]any{"HSET", "h"}, fieldArgs(512)...)...)
	assert.Equal(t, "listpack", e.encoding("h"))
	e.do("HSET", "h", "f513", "v")
	assert.Equal(t, "hashtable", e.encoding("h"))
	del := []any{"HDEL", "h"}
	for i := 2; i <= 513; i++ {
		del = append(del, "f"+strconv.Itoa(i))
	}
	assert.EqualValues(t, 512, e.int(del...))
	assert.EqualValues(t, 1, e.int("HLEN", "h"))
	assert.Equal(t, "hashtable", e.encoding("h"), "never converts back")

	long := strings.Repeat("x", 65)
	e.do("HSET", "v", "a", strings.Repeat("x", 64))
	assert.Equal(t, "listpack", e.encoding("v"))
	e.do("HSET", "v", "a", long)
	assert.Equal(t, "hashtable", e.encoding("v"))
	e.do("HSET", "k", long, "1")
	assert.Equal(t, "hashtable", e.encoding("k"))
	e.do("HSET", "fl", "a", "1")
	e.do("HINCRBYFLOAT", "fl", "a", "1e300")
	assert.Equal(t, "hashtable", e.encoding("fl"), "a long result converts too")
	e.do("HSET", "nx", "a", "1")
	e.do("HSETNX", "nx", "a", long)
	assert.Equal(t, "listpack", e.encoding("nx"), "HSETNX that stores nothing converts nothing")

	e.do("CONFIG", "SET", "hash-max-listpack-entries", "4")
	e.do("HSET", "c", "a", "1", "b", "2", "c", "3", "d", "4")
	assert.Equal(t, "listpack", e.encoding("c"))
	e.do("HINCRBY", "c", "e", "1")
	assert.Equal(t, "hashtable", e.encoding("c"))
	assert.Equal(t, map[string]string{"a": "1", "b": "2", "c": "3", "d": "4", "e": "1"}, e.rdb.HGetAll(e.ctx, "c").Val())

	e.do("CONFIG", "SET", "hash-max-listpack-entries", "0")
	e.do("HSET", "z", "a", "1")
	assert.Equal(t, "hashtable", e.encoding("z"))

	e.do("CONFIG", "SET", "hash-max-listpack-entries", "512")
	e.do("CONFIG", "SET", "hash-max-listpack-value", "3")
	e.do("HSET", "i", "a", "1")
	e.do("HINCRBY", "i", "a", "1000")
	assert.Equal(t, "hashtable", e.encoding("i"), "1001 is longer than 3")
}

func TestHashWrongTypeAndArity(t *testing.T) {
	e := newHashEnv(t)
	e.do("SET", "s", "x")
	const wrongType = "WRONGTYPE Operation against a key holding the wrong kind of value"
	for _, args := range [][]any{
		{"HSET", "s", "a", "1"}, {"HMSET", "s", "a", "1"}, {"HSETNX", "s", "a", "1"}, {"HGET", "s", "a"},
		{"HMGET", "s", "a"}, {"HGETALL", "s"}, {"HKEYS", "s"}, {"HVALS", "s"}, {"HDEL", "s", "a"}, {"HLEN", "s"},
		{"HEXISTS", "s", "a"}, {"HSTRLEN", "s", "a"}, {"HINCRBY", "s", "a", "1"}, {"HINCRBYFLOAT", "s", "a", "1"},
		{"HSCAN", "s", "0"}, {"HRANDFIELD", "s"}, {"HRANDFIELD", "s", "0"},
	} {
		e.fails(wrongType, args...)
	}
	// Checks that come before the key's type.
	e.fails("ERR wrong number of arguments for 'hset' command", "HSET", "s", "a", "1", "b")
	e.fails("ERR wrong number of arguments for 'hmset' command", "HMSET", "s", "a", "1", "b")
	e.fails("ERR value is not an integer or out of range", "HINCRBY", "s", "a", "x")
	e.fails("ERR value is not a valid float", "HINCRBYFLOAT", "s", "a", "x")
	e.fails("ERR invalid cursor", "HSCAN", "s", "x")
	e.fails("ERR syntax error", "HRANDFIELD", "s", "1", "foo")
	for _, args := range [][]any{
		{"HSET", "h"}, {"HSET", "h", "a"}, {"HGET", "h"}, {"HMGET", "h"}, {"HGETALL"}, {"HDEL", "h"},
		{"HINCRBY", "h", "a"}, {"HSCAN", "h"}, {"HRANDFIELD"}, {"HSTRLEN", "h"},
	} {
		e.fails(fmt.Sprintf("ERR wrong number of arguments for '%s' command", strings.ToLower(args[0].(string))), args...)
	}
	assert.Equal(t, "x", e.str("GET", "s"))
}

func TestHashScan(t *testing.T) {
	e := newHashEnv(t)
	assert.Equal(t, []any{"0", []any{}}, e.do("HSCAN", "nokey", "0", "COUNT", "0"), "a missing key ignores options")
	e.do("HSET", "h", "a", "1", "b", "2", "ab", "3")
	// A listpack answers everything at once, whatever the cursor.
	assert.Equal(t, []any{"0", []any{"a", "1", "b", "2", "ab", "3"}}, e.do("HSCAN", "h", "7", "COUNT", "1"))
	assert.Equal(t, []any{"0", []any{"a", "1", "ab", "3"}}, e.do("HSCAN", "h", "0", "MATCH", "a*"))
	e.fails("ERR syntax error", "HSCAN", "h", "0", "COUNT", "0")
	e.fails("ERR syntax error", "HSCAN", "h", "0", "TYPE", "hash")
	e.fails("ERR syntax error", "HSCAN", "h", "0", "NOVALUES")
	e.fails("ERR value is not an integer or out of range", "HSCAN", "h", "0", "COUNT", "x")

	// A hashtable is walked with the reverse-binary cursor: every field
	// present for the whole iteration is returned, even while the table
	// grows between calls.
	e.do(append([]any{"HSET", "big"}, fieldArgs(1000)...)...)
	require.Equal(t, "hashtable", e.encoding("big"))
	seen := map[string]string{}
	cursor, calls := uint64(0), 0
	for {
		pairs, next, err := e.rdb.HScan(e.ctx, "big", cursor, "", 20).Result()
		require.NoError(t, err)
		require.Zero(t, len(pairs)%2)
		for i := 0; i < len(pairs); i += 2 {
			seen[pairs[i]] = pairs[i+1]
		}
		calls++
		if calls <= 10 { // 300 new fields: the table doubles mid-iteration
			grow := []any{"HSET", "big"}
			for i := 0; i < 30; i++ {
				grow = append(grow, fmt.Sprintf("new%d_%d", calls, i), "x")
			}
			e.do(grow...)
		}
		if cursor = next; cursor == 0 {
			break
		}
	}
	for i := 1; i <= 1000; i++ {
		require.Equal(t, "v"+strconv.Itoa(i), seen["f"+strconv.Itoa(i)], "field f%d", i)
	}
	assert.Greater(t, calls, 10, "COUNT 20 returns the hashtable in batches")
}

func TestHashRandField(t *testing.T) {
	forEachHashProtocol(t, func(e *hashEnv) {
		r, ctx := e.rdb, e.ctx
		e.isNil("HRANDFIELD", "nokey")
		assert.Equal(t, []any{}, e.do("HRANDFIELD", "nokey", "1"))
		assert.Equal(t, []any{}, e.do("HRANDFIELD", "nokey", "5", "WITHVALUES"))
		e.do("HSET", "h", "a", "1", "b", "2", "c", "3")
		assert.Contains(t, []string{"a", "b", "c"}, e.str("HRANDFIELD", "h"))
		assert.Equal(t, []any{}, e.do("HRANDFIELD", "h", "0"))
		assert.Equal(t, []string{"a", "b", "c"}, e.strs("HRANDFIELD", "h", "3"), "the whole listpack, in order")
		assert.Equal(t, []string{"a", "b", "c"}, e.strs("HRANDFIELD", "h", "9223372036854775807"))
		two := e.strs("HRANDFIELD", "h", "2")
		assert.Len(t, two, 2)
		assert.NotEqual(t, two[0], two[1], "a positive count answers distinct fields")
		assert.Len(t, e.strs("HRANDFIELD", "h", "-10"), 10, "a negative count may repeat")

		pairs, err := r.HRandFieldWithValues(ctx, "h", -5).Result()
		require.NoError(t, err)
		require.Len(t, pairs, 5)
		for _, p := range pairs {
			assert.Equal(t, map[string]string{"a": "1", "b": "2", "c": "3"}[p.Key], p.Value)
		}
		raw := e.do("HRANDFIELD", "h", "2", "WITHVALUES").([]any)
		if e.proto == 2 {
			assert.Len(t, raw, 4, "RESP2: a flat array of field, value")
		} else {
			require.Len(t, raw, 2, "RESP3: an array of [field, value] arrays, not a map")
			assert.Len(t, raw[0], 2)
		}

		e.fails("ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807",
			"HRANDFIELD", "h", "-9223372036854775808")
		e.fails("ERR value is out of range", "HRANDFIELD", "h", "4611686018427387904", "WITHVALUES")
		e.fails("ERR value is not an integer or out of range", "HRANDFIELD", "h", "1.5")
		e.fails("ERR syntax error", "HRANDFIELD", "h", "1", "WITHVALUES", "x")
	})
}

func TestHashKeyspaceHits(t *testing.T) {
	e := newHashEnv(t)
	e.do("HSET", "h", "a", "1")
	e.do("CONFIG", "RESETSTAT")
	e.do("HGET", "h", "a")
	e.do("HGETALL", "nokey")
	e.do("HINCRBY", "nokey2", "a", "1") // writes do not count
	info := e.str("INFO", "stats")
	assert.Contains(t, info, "keyspace_hits:1\r\n")
	assert.Contains(t, info, "keyspace_misses:1\r\n")
}

func TestHashCopyIsIndependent(t *testing.T) {
	e := newHashEnv(t)
	e.do("HSET", "small", "a", "1")
	e.do(append([]any{"HSET", "big"}, fieldArgs(600)...)...)
	for _, key := range []string{"small", "big"} {
		enc := e.encoding(key)
		assert.EqualValues(t, 1, e.int("COPY", key, key+"2"))
		assert.Equal(t, enc, e.encoding(key+"2"))
		e.do("HSET", key, "a", "changed", "new", "x")
		assert.NotEqual(t, "changed", e.rdb.HGet(e.ctx, key+"2", "a").Val())
		assert.False(t, e.rdb.HExists(e.ctx, key+"2", "new").Val())
	}
}

func TestHashExpiry(t *testing.T) {
	e := newHashEnv(t)
	e.do("HSET", "session", "user_id", "1")
	e.do("EXPIRE", "session", "60")
	e.do("HSET", "session", "last", "now") // keeps the TTL
	e.srv.FastForward(30 * time.Second)
	assert.Equal(t, map[string]string{"user_id": "1", "last": "now"}, e.rdb.HGetAll(e.ctx, "session").Val())
	e.srv.FastForward(31 * time.Second)
	assert.Equal(t, map[string]string{}, e.rdb.HGetAll(e.ctx, "session").Val())
	assert.EqualValues(t, 1, e.int("HSET", "session", "a", "1"), "an expired hash is gone, not extended")
}

func TestHashWatch(t *testing.T) {
	e := newHashEnv(t)
	other := keysClient(t, e.srv, 3, 0)
	e.do("HSET", "w", "a", "1")
	for _, tc := range []struct {
		name   string
		write  []any
		breaks bool
	}{
		{"hset", []any{"HSET", "w", "a", "1"}, true},
		{"hincrby", []any{"HINCRBY", "w", "n", "1"}, true},
		{"hsetnx existing", []any{"HSETNX", "w", "a", "2"}, false},
		{"hdel missing", []any{"HDEL", "w", "zz"}, false},
	} {
		err := e.rdb.Watch(e.ctx, func(tx *redis.Tx) error {
			require.NoError(t, other.Do(e.ctx, tc.write...).Err())
			_, err := tx.TxPipelined(e.ctx, func(p redis.Pipeliner) error {
				p.HSet(e.ctx, "w", "tx", "1")
				return nil
			})
			return err
		}, "w")
		if tc.breaks {
			assert.Equal(t, redis.TxFailedErr, err, tc.name)
		} else {
			assert.NoError(t, err, tc.name)
		}
	}
}

// TestHashConcurrentIncrements: increments from many clients on one field
// are atomic.
func TestHashConcurrentIncrements(t *testing.T) {
	e := newHashEnv(t)
	const clients, each = 8, 200
	var wg sync.WaitGroup
	for i := 0; i < clients; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rdb := redis.NewClient(&redis.Options{Addr: e.srv.Addr(), DisableIdentity: true})
			defer rdb.Close()
			for j := 0; j < each; j++ {
				if err := rdb.HIncrBy(e.ctx, "counter", "n", 1).Err(); err != nil {
					t.Error(err)
					return
				}
				rdb.HSet(e.ctx, "counter", "f"+strconv.Itoa(j%20), j)
			}
		}()
	}
	wg.Wait()
	assert.Equal(t, strconv.Itoa(clients*each), e.str("HGET", "counter", "n"))
	assert.EqualValues(t, 21, e.int("HLEN", "counter"))
}
