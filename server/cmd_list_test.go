package server_test

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kioku-db/kioku/server/servertest"
)

// Tests of the list family (cmd_list.go). Expected replies and error
// strings are Redis 7.0.15's, checked against redis-server; the blocking
// commands' waiting behaviour is in blocking_test.go.

const wrongType = "WRONGTYPE Operation against a key holding the wrong kind of value"

// listEnv is a server and a go-redis client speaking one protocol.
type listEnv struct {
	t     *testing.T
	srv   *servertest.Server
	rdb   *redis.Client
	proto int
	ctx   context.Context
}

func newListClient(t *testing.T, srv *servertest.Server, proto int) *redis.Client {
	rdb := redis.NewClient(&redis.Options{
		Addr: srv.Addr(), Protocol: proto, MaxRetries: -1, DisableIdentity: true,
		ReadTimeout: -1, // blocking commands choose their own deadline
	})
	t.Cleanup(func() { _ = rdb.Close() })
	return rdb
}

// forEachListProtocol runs fn with a RESP2 and a RESP3 client, each on a
// fresh server.
func forEachListProtocol(t *testing.T, fn func(e *listEnv)) {
	for _, proto := range []int{2, 3} {
		t.Run(fmt.Sprintf("RESP%d", proto), func(t *testing.T) {
			srv := servertest.Start(t)
			fn(&listEnv{t: t, srv: srv, rdb: newListClient(t, srv, proto), proto: proto, ctx: context.Background()})
		})
	}
}

func (e *listEnv) do(args ...any) any {
	e.t.Helper()
	v, err := e.rdb.Do(e.ctx, args...).Result()
	require.NoError(e.t, err, "%v", args)
	return v
}

func (e *listEnv) int(args ...any) int64 {
	e.t.Helper()
	v, err := e.rdb.Do(e.ctx, args...).Int64()
	require.NoError(e.t, err, "%v", args)
	return v
}

func (e *listEnv) strs(args ...any) []string {
	e.t.Helper()
	v, err := e.rdb.Do(e.ctx, args...).StringSlice()
	require.NoError(e.t, err, "%v", args)
	return v
}

func (e *listEnv) fails(want string, args ...any) {
	e.t.Helper()
	err := e.rdb.Do(e.ctx, args...).Err()
	require.Error(e.t, err, "%v", args)
	assert.Equal(e.t, want, err.Error(), "%v", args)
}

func (e *listEnv) isNil(args ...any) {
	e.t.Helper()
	assert.Equal(e.t, redis.Nil, e.rdb.Do(e.ctx, args...).Err(), "%v", args)
}

func (e *listEnv) contents(key string) []string { return e.strs("LRANGE", key, 0, -1) }

// listRaw is a raw RESP connection, for checking the exact reply types
// (null bulk, null array, RESP3 null) that go-redis folds into redis.Nil.
type listRaw struct {
	t    *testing.T
	conn net.Conn
	rd   *bufio.Reader
}

func dialListRaw(t *testing.T, addr string) *listRaw {
	conn, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close() })
	return &listRaw{t: t, conn: conn, rd: bufio.NewReader(conn)}
}

// do sends a command and returns its reply's first line.
func (r *listRaw) do(args ...string) string {
	r.t.Helper()
	r.send(args...)
	return r.reply()
}

// reply reads one whole reply and returns its first line.
func (r *listRaw) reply() string {
	r.t.Helper()
	_ = r.conn.SetReadDeadline(time.Now().Add(20 * time.Second))
	line, err := r.rd.ReadString('\n')
	require.NoError(r.t, err)
	line = strings.TrimSuffix(line, "\r\n")
	n, _ := strconv.Atoi(line[1:])
	switch line[0] {
	case '$', '=':
		if n >= 0 {
			_, err := r.rd.Discard(n + 2)
			require.NoError(r.t, err)
		}
	case '*', '~', '>', '%':
		if line[0] == '%' {
			n *= 2
		}
		for i := 0; i < n; i++ {
			r.reply()
		}
	}
	return line
}

func TestListPushPop(t *testing.T) {
	forEachListProtocol(t, func(e *listEnv) {
		assert.EqualValues(t, 3, e.int("RPUSH", "l", "a", "b", "c"))
		assert.EqualValues(t, 5, e.int("LPUSH", "l", "y", "z"))
		assert.Equal(t, []string{"z", "y", "a", "b", "c"}, e.contents("l"))
		assert.Equal(t, "z", e.do("LPOP", "l"))
		assert.Equal(t, "c", e.do("RPOP", "l"))
		assert.Equal(t, []string{"y", "a"}, e.strs("LPOP", "l", 2))
		assert.Equal(t, []string{"b"}, e.strs("RPOP", "l", 10))
		assert.EqualValues(t, 0, e.int("EXISTS", "l"), "an emptied list is deleted")
		e.isNil("LPOP", "l")
		e.isNil("LPOP", "l", 3)
		assert.EqualValues(t, 0, e.int("LPUSHX", "l", "a"))
		assert.EqualValues(t, 0, e.int("RPUSHX", "l", "a"))
		e.int("RPUSH", "l", "a")
		assert.EqualValues(t, 3, e.int("RPUSHX", "l", "b", "c"))
		assert.EqualValues(t, 4, e.int("LPUSHX", "l", "0"))
		assert.Equal(t, []string{}, e.strs("LPOP", "l", 0))
		assert.EqualValues(t, 4, e.int("LLEN", "l"))
		assert.EqualValues(t, 0, e.int("LLEN", "nokey"))
		e.fails("ERR value is out of range, must be positive", "LPOP", "l", -1)
		e.fails("ERR value is out of range, must be positive", "RPOP", "l", "abc")
		e.fails("ERR wrong number of arguments for 'lpop' command", "LPOP", "l", 1, 2)
		e.do("SET", "s", "v")
		for _, args := range [][]any{{"LPUSH", "s", "a"}, {"RPUSHX", "s", "a"}, {"LPOP", "s"}, {"RPOP", "s", 0}, {"LLEN", "s"}} {
			e.fails(wrongType, args...)
		}
		assert.Equal(t, "quicklist", e.do("OBJECT", "ENCODING", "l"))
		assert.Equal(t, "list", e.do("TYPE", "l"))
	})
}

func TestListNullReplyForms(t *testing.T) {
	srv := servertest.Start(t)
	r2 := dialListRaw(t, srv.Addr())
	assert.Equal(t, "$-1", r2.do("LPOP", "nokey"))
	assert.Equal(t, "*-1", r2.do("LPOP", "nokey", "1"))
	assert.Equal(t, "*-1", r2.do("LPOP", "nokey", "0"))
	assert.Equal(t, "*-1", r2.do("LMPOP", "1", "nokey", "LEFT"))
	assert.Equal(t, "*-1", r2.do("BLPOP", "nokey", "0.01"))
	assert.Equal(t, "*-1", r2.do("BLMOVE", "nokey", "x", "LEFT", "LEFT", "0.01")) // a timeout, unlike LMOVE
	assert.Equal(t, "*-1", r2.do("BLMPOP", "0.01", "1", "nokey", "LEFT"))
	assert.Equal(t, "$-1", r2.do("LPOS", "nokey", "a"))
	assert.Equal(t, "*0", r2.do("LPOS", "nokey", "a", "COUNT", "0"))
	r3 := dialListRaw(t, srv.Addr())
	require.True(t, strings.HasPrefix(r3.do("HELLO", "3"), "%"))
	for _, args := range [][]string{
		{"LPOP", "nokey"}, {"LPOP", "nokey", "1"}, {"LMPOP", "1", "nokey", "LEFT"}, {"BLPOP", "nokey", "0.01"},
		{"BRPOPLPUSH", "nokey", "x", "0.01"}, {"BLMPOP", "0.01", "1", "nokey", "RIGHT"}, {"LINDEX", "nokey", "0"},
	} {
		assert.Equal(t, "_", r3.do(args...), "%v", args)
	}
}

func TestListIndexRangeSet(t *testing.T) {
	forEachListProtocol(t, func(e *listEnv) {
		e.do("RPUSH", "l", "a", "b", "c", "d", "e")
		assert.Equal(t, "a", e.do("LINDEX", "l", 0))
		assert.Equal(t, "e", e.do("LINDEX", "l", -1))
		assert.Equal(t, "b", e.do("LINDEX", "l", -4))
		e.isNil("LINDEX", "l", 5)
		e.isNil("LINDEX", "l", -6)
		e.isNil("LINDEX", "nokey", "notanumber") // the key is looked up first
		e.fails("ERR value is not an integer or out of range", "LINDEX", "l", "x")
		assert.Equal(t, []string{"b", "c", "d"}, e.strs("LRANGE", "l", 1, 3))
		assert.Equal(t, []string{"d", "e"}, e.strs("LRANGE", "l", -2, 100))
		assert.Equal(t, []string{"a", "b", "c", "d", "e"}, e.strs("LRANGE", "l", -100, 100))
		assert.Equal(t, []string{}, e.strs("LRANGE", "l", 3, 1))
		assert.Equal(t, []string{}, e.strs("LRANGE", "l", 5, 10))
		assert.Equal(t, []string{}, e.strs("LRANGE", "nokey", 0, -1))
		e.fails("ERR value is not an integer or out of range", "LRANGE", "l", "a", 1)
		assert.Equal(t, "OK", e.do("LSET", "l", 1, "B"))
		assert.Equal(t, "OK", e.do("LSET", "l", -1, "E"))
		assert.Equal(t, []string{"a", "B", "c", "d", "E"}, e.contents("l"))
		e.fails("ERR index out of range", "LSET", "l", 5, "x")
		e.fails("ERR no such key", "LSET", "nokey", 0, "x")
		e.fails("ERR no such key", "LSET", "nokey", "abc", "x")
		e.fails("ERR value is not an integer or out of range", "LSET", "l", "abc", "x")
		e.do("SET", "s", "v")
		e.fails(wrongType, "LSET", "s", 0, "x")
		e.fails(wrongType, "LINDEX", "s", 0)
		e.fails(wrongType, "LRANGE", "s", 0, 1)
	})
}

func TestListInsertRemTrim(t *testing.T) {
	forEachListProtocol(t, func(e *listEnv) {
		e.do("RPUSH", "l", "a", "b", "a", "c", "a")
		assert.EqualValues(t, 6, e.int("LINSERT", "l", "BEFORE", "b", "x"))
		assert.EqualValues(t, 7, e.int("LINSERT", "l", "after", "c", "y"))
		assert.EqualValues(t, -1, e.int("LINSERT", "l", "BEFORE", "zz", "q"))
		assert.EqualValues(t, 0, e.int("LINSERT", "nokey", "BEFORE", "a", "q"))
		e.fails("ERR syntax error", "LINSERT", "nokey", "AROUND", "a", "q")
		assert.Equal(t, []string{"a", "x", "b", "a", "c", "y", "a"}, e.contents("l"))
		assert.EqualValues(t, 1, e.int("LREM", "l", -1, "a"))
		assert.Equal(t, []string{"a", "x", "b", "a", "c", "y"}, e.contents("l"))
		assert.EqualValues(t, 2, e.int("LREM", "l", 0, "a"))
		assert.EqualValues(t, 0, e.int("LREM", "l", 5, "zz"))
		assert.EqualValues(t, 0, e.int("LREM", "nokey", 1, "a"))
		e.fails("ERR value is not an integer or out of range", "LREM", "l", "x", "a")
		assert.Equal(t, "OK", e.do("LTRIM", "l", 1, -2))
		assert.Equal(t, []string{"b", "c"}, e.contents("l"))
		assert.Equal(t, "OK", e.do("LTRIM", "nokey", 0, 1))
		assert.Equal(t, "OK", e.do("LTRIM", "l", 5, 10))
		assert.EqualValues(t, 0, e.int("EXISTS", "l"), "LTRIM to nothing deletes the key")
		e.fails("ERR value is not an integer or out of range", "LTRIM", "l", 0, "x")
		e.do("RPUSH", "r", "only")
		assert.EqualValues(t, 1, e.int("LREM", "r", 0, "only"))
		assert.EqualValues(t, 0, e.int("EXISTS", "r"), "LREM of the last element deletes the key")
	})
}

func TestListPos(t *testing.T) {
	forEachListProtocol(t, func(e *listEnv) {
		e.do("RPUSH", "l", "a", "b", "c", "1", "2", "3", "c", "c")
		assert.EqualValues(t, 2, e.int("LPOS", "l", "c"))
		assert.EqualValues(t, 6, e.int("LPOS", "l", "c", "RANK", 2))
		assert.EqualValues(t, 7, e.int("LPOS", "l", "c", "RANK", -1))
		assert.EqualValues(t, 6, e.int("LPOS", "l", "c", "RANK", -2))
		e.isNil("LPOS", "l", "c", "RANK", 4)
		e.isNil("LPOS", "l", "zz")
		assert.Equal(t, []any{int64(2), int64(6), int64(7)}, e.do("LPOS", "l", "c", "COUNT", 0))
		assert.Equal(t, []any{int64(2), int64(6)}, e.do("LPOS", "l", "c", "COUNT", 2))
		assert.Equal(t, []any{int64(7), int64(6)}, e.do("LPOS", "l", "c", "RANK", -1, "COUNT", 2))
		assert.Equal(t, []any{int64(2)}, e.do("LPOS", "l", "c", "COUNT", 0, "MAXLEN", 6))
		assert.Equal(t, []any{}, e.do("LPOS", "l", "zz", "COUNT", 0))
		e.isNil("LPOS", "l", "c", "MAXLEN", 2)
		assert.EqualValues(t, 7, e.int("LPOS", "l", "c", "RANK", "-9223372036854775808"))
		e.fails("ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list",
			"LPOS", "l", "c", "RANK", 0)
		e.fails("ERR COUNT can't be negative", "LPOS", "l", "c", "COUNT", -1)
		e.fails("ERR COUNT can't be negative", "LPOS", "l", "c", "COUNT", "x")
		e.fails("ERR MAXLEN can't be negative", "LPOS", "l", "c", "MAXLEN", -1)
		e.fails("ERR value is not an integer or out of range", "LPOS", "l", "c", "RANK", "x")
		e.fails("ERR syntax error", "LPOS", "l", "c", "RANK")
		e.fails("ERR syntax error", "LPOS", "l", "c", "FOO", 1)
		e.do("SET", "s", "v")
		e.fails(wrongType, "LPOS", "s", "c")
	})
}

func TestListMove(t *testing.T) {
	forEachListProtocol(t, func(e *listEnv) {
		e.do("RPUSH", "src", "a", "b", "c")
		assert.Equal(t, "c", e.do("RPOPLPUSH", "src", "dst"))
		assert.Equal(t, "a", e.do("LMOVE", "src", "dst", "LEFT", "RIGHT"))
		assert.Equal(t, []string{"c", "a"}, e.contents("dst"))
		assert.Equal(t, "b", e.do("LMOVE", "src", "dst", "right", "left"))
		assert.EqualValues(t, 0, e.int("EXISTS", "src"))
		e.isNil("LMOVE", "src", "dst", "LEFT", "LEFT")
		// A list onto itself rotates.
		assert.Equal(t, "a", e.do("LMOVE", "dst", "dst", "RIGHT", "LEFT"))
		assert.Equal(t, []string{"a", "b", "c"}, e.contents("dst"))
		e.do("RPUSH", "one", "x")
		assert.Equal(t, "x", e.do("RPOPLPUSH", "one", "one"))
		assert.Equal(t, []string{"x"}, e.contents("one"))
		e.fails("ERR syntax error", "LMOVE", "dst", "dst", "UP", "LEFT")
		e.do("SET", "s", "v")
		e.fails(wrongType, "LMOVE", "dst", "s", "LEFT", "LEFT")
		assert.Equal(t, []string{"a", "b", "c"}, e.contents("dst"), "nothing moves onto a wrong type")
		e.fails(wrongType, "LMOVE", "s", "dst", "LEFT", "LEFT")
		e.isNil("LMOVE", "nokey", "s", "LEFT", "LEFT") // a missing source answers first
	})
}

func TestListMPop(t *testing.T) {
	forEachListProtocol(t, func(e *listEnv) {
		e.do("RPUSH", "b", "1", "2", "3")
		assert.Equal(t, []any{"b", []any{"1"}}, e.do("LMPOP", 2, "a", "b", "LEFT"))
		assert.Equal(t, []any{"b", []any{"3", "2"}}, e.do("LMPOP", 2, "a", "b", "RIGHT", "COUNT", 5))
		e.isNil("LMPOP", 2, "a", "b", "LEFT")
		for _, c := range []struct {
			err  string
			args []any
		}{
			{"ERR numkeys should be greater than 0", []any{"LMPOP", 0, "a", "LEFT"}},
			{"ERR numkeys should be greater than 0", []any{"LMPOP", "x", "a", "LEFT"}},
			{"ERR syntax error", []any{"LMPOP", 2, "a", "LEFT"}},
			{"ERR syntax error", []any{"LMPOP", 1, "a", "UP"}},
			{"ERR count should be greater than 0", []any{"LMPOP", 1, "a", "LEFT", "COUNT", 0}},
			{"ERR syntax error", []any{"LMPOP", 1, "a", "LEFT", "COUNT", 1, "COUNT", 1}},
			{"ERR syntax error", []any{"LMPOP", 1, "a", "LEFT", "COUNT"}},
			{"ERR wrong number of arguments for 'lmpop' command", []any{"LMPOP", 1, "a"}},
		} {
			e.fails(c.err, c.args...)
		}
		e.do("SET", "s", "v")
		e.fails(wrongType, "LMPOP", 2, "a", "s", "LEFT")
	})
}

func TestListBlockingAnswersAtOnce(t *testing.T) {
	forEachListProtocol(t, func(e *listEnv) {
		e.do("RPUSH", "b", "1", "2", "3")
		assert.Equal(t, []string{"b", "1"}, e.strs("BLPOP", "a", "b", 0))
		assert.Equal(t, []string{"b", "3"}, e.strs("BRPOP", "a", "b", 0))
		assert.Equal(t, "2", e.do("BLMOVE", "b", "c", "LEFT", "RIGHT", 0))
		assert.Equal(t, "2", e.do("BRPOPLPUSH", "c", "b", 0))
		assert.Equal(t, []any{"b", []any{"2"}}, e.do("BLMPOP", 0, 1, "b", "LEFT", "COUNT", 9))
		e.do("SET", "s", "v")
		e.fails(wrongType, "BLPOP", "a", "s", 0)
		e.fails(wrongType, "BLMOVE", "s", "x", "LEFT", "LEFT", 0)
		e.isNil("BLPOP", "a", 0.01)
		e.isNil("BLMOVE", "a", "x", "LEFT", "LEFT", 0.01)
		e.isNil("BRPOPLPUSH", "a", "x", 0.01)
		e.isNil("BLMPOP", 0.01, 1, "a", "LEFT")
		for _, tm := range []string{"-1", "inf", "-inf", "1e20", "9223372036854776"} {
			e.fails("ERR timeout is negative", "BLPOP", "a", tm)
		}
		for _, tm := range []string{"abc", "nan", " 1", "1 ", "", "0b1", "1_0"} {
			e.fails("ERR timeout is not a float or out of range", "BLPOP", "a", tm)
		}
		e.fails("ERR timeout is negative", "BLMPOP", -1, 1, "a", "LEFT")
		e.fails("ERR numkeys should be greater than 0", "BLMPOP", 1, 0, "a", "LEFT")
		e.fails("ERR syntax error", "BLMOVE", "a", "b", "LEFT", "UP", 0)
	})
}

// TestListLongListMiddle exercises a list of many nodes through the
// protocol: LINDEX, LSET and LINSERT in the middle, LRANGE across nodes.
func TestListLongListMiddle(t *testing.T) {
	srv := servertest.Start(t)
	e := &listEnv{t: t, srv: srv, rdb: newListClient(t, srv, 2), proto: 2, ctx: context.Background()}
	const n = 20000
	args := []any{"RPUSH", "big"}
	for i := 0; i < n; i++ {
		args = append(args, strconv.Itoa(i))
	}
	assert.EqualValues(t, n, e.int(args...))
	assert.Equal(t, "10000", e.do("LINDEX", "big", 10000))
	e.do("LSET", "big", 10000, "mid")
	assert.EqualValues(t, n+1, e.int("LINSERT", "big", "AFTER", "mid", "after-mid"))
	assert.Equal(t, []string{"9999", "mid", "after-mid", "10001"}, e.strs("LRANGE", "big", 9999, 10002))
	assert.EqualValues(t, 10001, e.int("LPOS", "big", "after-mid"))
	e.do("LTRIM", "big", 9999, 10002)
	assert.Equal(t, []string{"9999", "mid", "after-mid", "10001"}, e.contents("big"))
}

// send writes a command without reading its reply.
func (r *listRaw) send(args ...string) {
	r.t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	_, err := r.conn.Write([]byte(b.String()))
	require.NoError(r.t, err)
}
