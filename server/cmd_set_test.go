package server_test

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"testing"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kioku-db/kioku/server/servertest"
)

// Tests of the set family (cmd_set.go). Expected replies, reply types and
// error strings are Redis 7.0.15's, checked against redis-server; the
// differential tests in compat/ compare byte for byte.

// setEnv is a server with a RESP2 and a RESP3 client.
type setEnv struct {
	t      *testing.T
	srv    *servertest.Server
	r2, r3 *redis.Client
	ctx    context.Context
}

func newSetEnv(t *testing.T, opts ...servertest.Option) *setEnv {
	t.Helper()
	srv := servertest.Start(t, opts...)
	return &setEnv{t: t, srv: srv, r2: keysClient(t, srv, 2, 0), r3: keysClient(t, srv, 3, 0), ctx: context.Background()}
}

// forBothProtocols runs fn with a RESP2 and then a RESP3 client on a fresh
// server each.
func forBothProtocols(t *testing.T, fn func(t *testing.T, e *setEnv, rdb *redis.Client)) {
	for _, proto := range []int{2, 3} {
		t.Run(fmt.Sprintf("RESP%d", proto), func(t *testing.T) {
			e := newSetEnv(t)
			rdb := e.r2
			if proto == 3 {
				rdb = e.r3
			}
			fn(t, e, rdb)
		})
	}
}

func (e *setEnv) do(rdb *redis.Client, args ...any) any {
	e.t.Helper()
	v, err := rdb.Do(e.ctx, args...).Result()
	require.NoError(e.t, err, "%v", args)
	return v
}

func (e *setEnv) int(rdb *redis.Client, args ...any) int64 {
	e.t.Helper()
	v, err := rdb.Do(e.ctx, args...).Int64()
	require.NoError(e.t, err, "%v", args)
	return v
}

func (e *setEnv) errText(rdb *redis.Client, args ...any) string {
	e.t.Helper()
	err := rdb.Do(e.ctx, args...).Err()
	require.Error(e.t, err, "%v", args)
	return err.Error()
}

func (e *setEnv) encoding(key string) string {
	e.t.Helper()
	return e.do(e.r2, "OBJECT", "ENCODING", key).(string)
}

// members returns a set reply's members sorted, whatever the reply type:
// go-redis gives a RESP3 set as []any too.
func members(t *testing.T, v any) []string {
	t.Helper()
	list, ok := v.([]any)
	require.True(t, ok, "reply %T %v is not an aggregate", v, v)
	out := make([]string, len(list))
	for i, x := range list {
		out[i] = x.(string)
	}
	sort.Strings(out)
	return out
}

// rawMembers returns an aggregate reply's members in reply order.
func rawMembers(t *testing.T, v any) []string {
	t.Helper()
	list, ok := v.([]any)
	require.True(t, ok, "reply %T %v is not an aggregate", v, v)
	out := make([]string, len(list))
	for i, x := range list {
		out[i] = x.(string)
	}
	return out
}

func TestSetBasics(t *testing.T) {
	forBothProtocols(t, func(t *testing.T, e *setEnv, r *redis.Client) {
		assert.EqualValues(t, 3, e.int(r, "SADD", "s", "a", "b", "c"))
		assert.EqualValues(t, 1, e.int(r, "SADD", "s", "a", "d"))
		assert.EqualValues(t, 4, e.int(r, "SCARD", "s"))
		assert.EqualValues(t, 0, e.int(r, "SCARD", "nokey"))
		assert.EqualValues(t, 1, e.int(r, "SISMEMBER", "s", "a"))
		assert.EqualValues(t, 0, e.int(r, "SISMEMBER", "s", "z"))
		assert.EqualValues(t, 0, e.int(r, "SISMEMBER", "nokey", "a"))
		assert.Equal(t, []any{int64(1), int64(0), int64(1)}, e.do(r, "SMISMEMBER", "s", "a", "z", "b"))
		assert.Equal(t, []any{int64(0)}, e.do(r, "SMISMEMBER", "nokey", "a"))
		assert.Equal(t, []string{"a", "b", "c", "d"}, members(t, e.do(r, "SMEMBERS", "s")))
		assert.Empty(t, members(t, e.do(r, "SMEMBERS", "nokey")))
		assert.Equal(t, "set", e.do(r, "TYPE", "s"))
		assert.Equal(t, "hashtable", e.encoding("s"))
		assert.EqualValues(t, 2, e.int(r, "SREM", "s", "a", "b", "z"))
		assert.EqualValues(t, 2, e.int(r, "SREM", "s", "c", "d"))
		assert.EqualValues(t, 0, e.int(r, "EXISTS", "s"), "an emptied set is deleted")
		assert.EqualValues(t, 0, e.int(r, "SREM", "nokey", "a"))
	})
}

func TestSetIntsetOrderAndMembers(t *testing.T) {
	forBothProtocols(t, func(t *testing.T, e *setEnv, r *redis.Client) {
		e.do(r, "SADD", "s", "5", "-3", "100000", "1", "-9223372036854775808", "9223372036854775807", "0")
		assert.Equal(t, "intset", e.encoding("s"))
		assert.Equal(t, []string{"-9223372036854775808", "-3", "0", "1", "5", "100000", "9223372036854775807"},
			rawMembers(t, e.do(r, "SMEMBERS", "s")), "an intset answers in ascending order")
		assert.EqualValues(t, 0, e.int(r, "SISMEMBER", "s", "01"), "01 is not the integer 1")
		assert.EqualValues(t, 0, e.int(r, "SISMEMBER", "s", "-0"))
		for _, m := range []string{"01", "-0", "+1", " 1", "1.0", "9223372036854775808", "-9223372036854775809", ""} {
			key := "k" + m
			e.do(r, "SADD", key, m)
			assert.Equal(t, "hashtable", e.encoding(key), "member %q", m)
			assert.Equal(t, []string{m}, members(t, e.do(r, "SMEMBERS", key)), "member %q kept byte for byte", m)
		}
		e.do(r, "SADD", "mix", "1", "01")
		assert.Equal(t, []string{"01", "1"}, members(t, e.do(r, "SMEMBERS", "mix")))
	})
}

func TestSetEncodingConversion(t *testing.T) {
	e := newSetEnv(t)
	r := e.r2
	args := []any{"SADD", "s"}
	for i := 1; i <= 512; i++ {
		args = append(args, i)
	}
	e.do(r, args...)
	assert.Equal(t, "intset", e.encoding("s"), "512 integers fit the default set-max-intset-entries")
	e.do(r, "SADD", "s", 513)
	assert.Equal(t, "hashtable", e.encoding("s"))
	rem := []any{"SREM", "s"}
	for i := 2; i <= 513; i++ {
		rem = append(rem, i)
	}
	e.do(r, rem...)
	assert.Equal(t, "hashtable", e.encoding("s"), "a set never converts back")

	e.do(r, "SADD", "t", 1, 2, "x")
	assert.Equal(t, "hashtable", e.encoding("t"), "a non-integer member converts")

	e.do(r, "CONFIG", "SET", "set-max-intset-entries", "4")
	e.do(r, "SADD", "u", 1, 2, 3, 4)
	assert.Equal(t, "intset", e.encoding("u"))
	e.do(r, "SADD", "u", 5)
	assert.Equal(t, "hashtable", e.encoding("u"))
}

func TestSetWrongTypeAndArity(t *testing.T) {
	forBothProtocols(t, func(t *testing.T, e *setEnv, r *redis.Client) {
		const wrongType = "WRONGTYPE Operation against a key holding the wrong kind of value"
		e.do(r, "SET", "str", "x")
		e.do(r, "SADD", "s", "1")
		for _, cmd := range [][]any{
			{"SADD", "str", "a"}, {"SREM", "str", "a"}, {"SMEMBERS", "str"}, {"SISMEMBER", "str", "a"},
			{"SMISMEMBER", "str", "a"}, {"SCARD", "str"}, {"SPOP", "str"}, {"SPOP", "str", 0},
			{"SRANDMEMBER", "str"}, {"SRANDMEMBER", "str", 0}, {"SMOVE", "str", "s", "a"}, {"SMOVE", "s", "str", "1"},
			{"SINTER", "nokey", "str"}, {"SINTERCARD", 2, "nokey", "str"}, {"SINTERSTORE", "d", "nokey", "str"},
			{"SUNION", "s", "str"}, {"SUNIONSTORE", "d", "str"}, {"SDIFF", "nokey", "str"}, {"SDIFFSTORE", "d", "s", "str"},
			{"SSCAN", "str", 0}, {"GET", "s"},
		} {
			assert.Equal(t, wrongType, e.errText(r, cmd...), "%v", cmd)
		}
		assert.EqualValues(t, 0, e.int(r, "SMOVE", "nokey", "str", "a"), "a missing source answers 0 first")
		assert.Equal(t, "ERR wrong number of arguments for 'sadd' command", e.errText(r, "SADD", "s"))
		assert.Equal(t, "ERR wrong number of arguments for 'sintercard' command", e.errText(r, "SINTERCARD", 1))
		assert.Equal(t, "ERR syntax error", e.errText(r, "SPOP", "s", 1, 2))
		assert.Equal(t, "ERR syntax error", e.errText(r, "SRANDMEMBER", "s", 1, 2))
	})
}

func TestSetSPop(t *testing.T) {
	forBothProtocols(t, func(t *testing.T, e *setEnv, r *redis.Client) {
		assert.Equal(t, redis.Nil, r.Do(e.ctx, "SPOP", "nokey").Err())
		assert.Empty(t, members(t, e.do(r, "SPOP", "nokey", 3)))
		e.do(r, "SADD", "s", "a", "b", "c", "d", "e")
		assert.Empty(t, members(t, e.do(r, "SPOP", "s", 0)))
		for _, bad := range []any{-1, "abc", "1.5", "9223372036854775808"} {
			assert.Equal(t, "ERR value is out of range, must be positive", e.errText(r, "SPOP", "s", bad))
		}
		one := e.do(r, "SPOP", "s").(string)
		popped := members(t, e.do(r, "SPOP", "s", 2))
		assert.Len(t, popped, 2)
		assert.NotContains(t, popped, one)
		assert.EqualValues(t, 2, e.int(r, "SCARD", "s"))
		rest := members(t, e.do(r, "SPOP", "s", 10))
		assert.Len(t, rest, 2)
		all := append(append([]string{one}, popped...), rest...)
		sort.Strings(all)
		assert.Equal(t, []string{"a", "b", "c", "d", "e"}, all, "every member popped exactly once")
		assert.EqualValues(t, 0, e.int(r, "EXISTS", "s"))
	})
}

// TestSetSPopRebuildsWhatStays checks the encoding after popping most of a
// hash table of integers: Redis moves the few that stay into a new set,
// which is an intset again.
func TestSetSPopRebuildsWhatStays(t *testing.T) {
	e := newSetEnv(t, servertest.WithOption("set-max-intset-entries", "4"))
	r := e.r2
	e.do(r, "SADD", "s", 1, 2, 3, 4, 5, 6, 7, 8, 9, 10)
	e.do(r, "EXPIRE", "s", 100)
	assert.Equal(t, "hashtable", e.encoding("s"))
	assert.Len(t, members(t, e.do(r, "SPOP", "s", 9)), 9)
	assert.Equal(t, "intset", e.encoding("s"))
	assert.EqualValues(t, 100, e.int(r, "TTL", "s"), "the key keeps its TTL")
	e.do(r, "SADD", "t", 1, 2, 3, 4, 5, 6, 7, 8, 9, 10)
	e.do(r, "SPOP", "t", 8)
	assert.Equal(t, "hashtable", e.encoding("t"), "few pops remove members one by one")
}

func TestSetSRandMember(t *testing.T) {
	forBothProtocols(t, func(t *testing.T, e *setEnv, r *redis.Client) {
		assert.Equal(t, redis.Nil, r.Do(e.ctx, "SRANDMEMBER", "nokey").Err())
		assert.Empty(t, members(t, e.do(r, "SRANDMEMBER", "nokey", 5)))
		e.do(r, "SADD", "s", "1", "2", "3")
		assert.Contains(t, []string{"1", "2", "3"}, e.do(r, "SRANDMEMBER", "s"))
		assert.Empty(t, members(t, e.do(r, "SRANDMEMBER", "s", 0)))
		assert.Equal(t, []string{"1", "2", "3"}, rawMembers(t, e.do(r, "SRANDMEMBER", "s", 10)))
		assert.Len(t, members(t, e.do(r, "SRANDMEMBER", "s", -10)), 10, "a negative count repeats")
		assert.Equal(t, "ERR value is not an integer or out of range", e.errText(r, "SRANDMEMBER", "s", "abc"))
		assert.Equal(t,
			"ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807",
			e.errText(r, "SRANDMEMBER", "s", "-9223372036854775808"))
		e.do(r, "SADD", "h", "a", "b", "c", "d", "e", "f", "g", "h", "i", "j")
		for _, n := range []int{2, 3, 4, 9} {
			got := members(t, e.do(r, "SRANDMEMBER", "h", n))
			assert.Len(t, got, n)
			for i := 1; i < len(got); i++ {
				assert.NotEqual(t, got[i-1], got[i], "positive count gives distinct members")
			}
		}
		assert.EqualValues(t, 10, e.int(r, "SCARD", "h"), "SRANDMEMBER does not remove")
	})
}

func TestSetSMove(t *testing.T) {
	e := newSetEnv(t)
	r := e.r2
	e.do(r, "SADD", "src", 1, 2)
	assert.EqualValues(t, 1, e.int(r, "SMOVE", "src", "dst", 1))
	assert.Equal(t, "intset", e.encoding("dst"))
	assert.EqualValues(t, 0, e.int(r, "SMOVE", "src", "dst", 9))
	assert.EqualValues(t, 1, e.int(r, "SMOVE", "src", "src", 2))
	e.do(r, "SADD", "dst", 2)
	assert.EqualValues(t, 1, e.int(r, "SMOVE", "src", "dst", 2), "moved even when dst has it")
	assert.EqualValues(t, 0, e.int(r, "EXISTS", "src"))
	assert.Equal(t, []string{"1", "2"}, rawMembers(t, e.do(r, "SMEMBERS", "dst")))
	e.do(r, "SADD", "h", "x")
	assert.EqualValues(t, 1, e.int(r, "SMOVE", "h", "new", "x"))
	assert.Equal(t, "hashtable", e.encoding("new"))
}

func TestSetAlgebra(t *testing.T) {
	forBothProtocols(t, func(t *testing.T, e *setEnv, r *redis.Client) {
		e.do(r, "SADD", "a", 1, 2, 3, 4)
		e.do(r, "SADD", "b", 2, 3, 4, 5)
		e.do(r, "SADD", "h", "x", 3, 4)
		assert.Equal(t, []string{"2", "3", "4"}, rawMembers(t, e.do(r, "SINTER", "a", "b")))
		assert.Equal(t, []string{"3", "4"}, members(t, e.do(r, "SINTER", "a", "b", "h")))
		assert.Empty(t, members(t, e.do(r, "SINTER", "a", "nokey")))
		assert.Equal(t, []string{"1", "2", "3", "4", "5"}, rawMembers(t, e.do(r, "SUNION", "a", "b", "nokey")))
		assert.Equal(t, []string{"1", "2", "3", "4", "5", "x"}, members(t, e.do(r, "SUNION", "a", "b", "h")))
		assert.Equal(t, []string{"1"}, rawMembers(t, e.do(r, "SDIFF", "a", "b")))
		assert.Empty(t, members(t, e.do(r, "SDIFF", "a", "a")))
		assert.Empty(t, members(t, e.do(r, "SDIFF", "nokey", "a")))
		assert.Equal(t, []string{"x"}, members(t, e.do(r, "SDIFF", "h", "a")))

		assert.EqualValues(t, 3, e.int(r, "SINTERCARD", 2, "a", "b"))
		assert.EqualValues(t, 2, e.int(r, "SINTERCARD", 2, "a", "b", "LIMIT", 2))
		assert.EqualValues(t, 3, e.int(r, "SINTERCARD", 2, "a", "b", "LIMIT", 0))
		assert.Equal(t, "ERR numkeys should be greater than 0", e.errText(r, "SINTERCARD", 0, "a"))
		assert.Equal(t, "ERR Number of keys can't be greater than number of args", e.errText(r, "SINTERCARD", 3, "a", "b"))
		assert.Equal(t, "ERR LIMIT can't be negative", e.errText(r, "SINTERCARD", 1, "a", "LIMIT", -1))
		assert.Equal(t, "ERR syntax error", e.errText(r, "SINTERCARD", 1, "a", "b"))
	})
}

func TestSetStoreCommands(t *testing.T) {
	e := newSetEnv(t)
	r := e.r2
	e.do(r, "SADD", "a", 1, 2, 3)
	e.do(r, "SADD", "b", 2, 3, 4)
	e.do(r, "SET", "dst", "string")
	e.do(r, "EXPIRE", "dst", 100)
	assert.EqualValues(t, 2, e.int(r, "SINTERSTORE", "dst", "a", "b"))
	assert.Equal(t, "set", e.do(r, "TYPE", "dst"), "the destination is replaced")
	assert.EqualValues(t, -1, e.int(r, "TTL", "dst"), "and loses its TTL")
	assert.Equal(t, "intset", e.encoding("dst"))
	assert.EqualValues(t, 4, e.int(r, "SUNIONSTORE", "dst", "a", "b"))
	assert.EqualValues(t, 1, e.int(r, "SDIFFSTORE", "dst", "a", "b"))
	assert.Equal(t, []string{"1"}, rawMembers(t, e.do(r, "SMEMBERS", "dst")))
	assert.EqualValues(t, 0, e.int(r, "SDIFFSTORE", "dst", "a", "a"))
	assert.EqualValues(t, 0, e.int(r, "EXISTS", "dst"), "an empty result deletes the destination")
	e.do(r, "SADD", "h", "x", "y")
	assert.EqualValues(t, 5, e.int(r, "SUNIONSTORE", "u", "a", "h"))
	assert.Equal(t, "hashtable", e.encoding("u"))
	assert.EqualValues(t, 4, e.int(r, "SUNIONSTORE", "a", "a", "b", "nokey"), "the destination may be a source")
	assert.EqualValues(t, 4, e.int(r, "SCARD", "a"))
}

func TestSetSScan(t *testing.T) {
	forBothProtocols(t, func(t *testing.T, e *setEnv, r *redis.Client) {
		e.do(r, "SADD", "i", 3, 1, 2)
		assert.Equal(t, []any{"0", []any{"1", "2", "3"}}, e.do(r, "SSCAN", "i", 5, "COUNT", 1),
			"an intset is returned whole with cursor 0")
		assert.Equal(t, []any{"0", []any{"2"}}, e.do(r, "SSCAN", "i", 0, "MATCH", "2"))
		assert.Equal(t, []any{"0", []any{}}, e.do(r, "SSCAN", "nokey", 0))
		assert.Equal(t, "ERR invalid cursor", e.errText(r, "SSCAN", "i", "abc"))
		assert.Equal(t, "ERR syntax error", e.errText(r, "SSCAN", "i", 0, "TYPE", "set"))
		assert.Equal(t, "ERR syntax error", e.errText(r, "SSCAN", "i", 0, "COUNT", 0))
		assert.Equal(t, "ERR value is not an integer or out of range", e.errText(r, "SSCAN", "i", 0, "COUNT", "x"))

		args := []any{"SADD", "h"}
		for i := 0; i < 1000; i++ {
			args = append(args, "m"+strconv.Itoa(i))
		}
		e.do(r, args...)
		seen := map[string]bool{}
		cursor := "0"
		for calls := 0; ; calls++ {
			require.Less(t, calls, 10000)
			reply := e.do(r, "SSCAN", "h", cursor, "COUNT", 7).([]any)
			for _, m := range reply[1].([]any) {
				seen[m.(string)] = true
			}
			if cursor = reply[0].(string); cursor == "0" {
				break
			}
		}
		assert.Len(t, seen, 1000, "a full SSCAN returns every member")
	})
}

func TestSetCopyIsIndependent(t *testing.T) {
	e := newSetEnv(t)
	r := e.r2
	e.do(r, "SADD", "i", 1, 2)
	e.do(r, "SADD", "h", "a", "b")
	e.do(r, "COPY", "i", "i2")
	e.do(r, "COPY", "h", "h2")
	e.do(r, "SADD", "i2", 3)
	e.do(r, "SADD", "h2", "c")
	assert.EqualValues(t, 2, e.int(r, "SCARD", "i"))
	assert.EqualValues(t, 2, e.int(r, "SCARD", "h"))
	assert.Equal(t, "intset", e.encoding("i2"))
	assert.Equal(t, "hashtable", e.encoding("h2"))
}

// TestSetWatch checks that writes in place are visible to WATCH.
func TestSetWatch(t *testing.T) {
	e := newSetEnv(t)
	e.do(e.r2, "SADD", "s", "a")
	err := e.r2.Watch(e.ctx, func(tx *redis.Tx) error {
		e.do(e.r3, "SADD", "s", "b")
		_, err := tx.TxPipelined(e.ctx, func(p redis.Pipeliner) error {
			p.SAdd(e.ctx, "s", "c")
			return nil
		})
		return err
	}, "s")
	assert.Equal(t, redis.TxFailedErr, err)
	assert.EqualValues(t, 0, e.int(e.r2, "SISMEMBER", "s", "c"))
}
