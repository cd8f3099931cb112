package server_test

import (
	"context"
	"encoding/binary"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kioku-db/kioku/persistence"
	"github.com/kioku-db/kioku/server/servertest"
	"github.com/kioku-db/kioku/store"
)

// Tests of DUMP and RESTORE (cmd_dump.go). Payloads and error strings are
// Redis 7.0.15's; compat/diff_dump_test.go compares with redis-server.

// helloPayload is Redis's DUMP of the string "hello".
const helloPayload = "\x00\x05hello\n\x00cr\xdfve4 \n"

func dumpClient(t *testing.T, srv *servertest.Server, proto int) *redis.Client {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: srv.Addr(), Protocol: proto, MaxRetries: -1, DisableIdentity: true})
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func TestDumpAnswersRedisPayloads(t *testing.T) {
	srv := servertest.Start(t)
	ctx := context.Background()
	for _, proto := range []int{2, 3} {
		c := dumpClient(t, srv, proto)
		require.NoError(t, c.Set(ctx, "k", "hello", 0).Err())
		got, err := c.Dump(ctx, "k").Result()
		require.NoError(t, err)
		assert.Equal(t, helloPayload, got)
		_, err = c.Dump(ctx, "missing").Result()
		assert.Equal(t, redis.Nil, err, "RESP%d", proto)
	}
}

func TestDumpRestoreEveryType(t *testing.T) {
	srv := servertest.Start(t)
	ctx := context.Background()
	c := dumpClient(t, srv, 2)
	require.NoError(t, c.RPush(ctx, "list", "a", "1", "b").Err())
	require.NoError(t, c.SAdd(ctx, "intset", 3, 1, 2).Err())
	require.NoError(t, c.SAdd(ctx, "set", "x", "y").Err())
	require.NoError(t, c.HSet(ctx, "hash", "f", "v", "g", "w").Err())
	require.NoError(t, c.ZAdd(ctx, "zset", redis.Z{Score: 1.5, Member: "m"}, redis.Z{Score: -2, Member: "n"}).Err())
	require.NoError(t, c.XAdd(ctx, &redis.XAddArgs{Stream: "stream", ID: "1-1", Values: []any{"f", "v"}}).Err())
	require.NoError(t, c.XGroupCreate(ctx, "stream", "g", "0").Err())
	require.NoError(t, c.XReadGroup(ctx, &redis.XReadGroupArgs{Group: "g", Consumer: "c", Streams: []string{"stream", ">"}}).Err())
	require.NoError(t, c.Set(ctx, "string", "42", 0).Err())
	for _, key := range []string{"list", "intset", "set", "hash", "zset", "stream", "string"} {
		p, err := c.Dump(ctx, key).Result()
		require.NoError(t, err, key)
		require.NoError(t, c.Restore(ctx, key+":copy", 0, p).Err(), key)
		assert.Equal(t, c.Type(ctx, key).Val(), c.Type(ctx, key+":copy").Val(), key)
		assert.Equal(t, c.ObjectEncoding(ctx, key).Val(), c.ObjectEncoding(ctx, key+":copy").Val(), key)
		p2, err := c.Dump(ctx, key+":copy").Result()
		require.NoError(t, err)
		if key == "set" {
			// A hash table's order depends on where members land: two in
			// one chain come back reversed, as in Redis's dict.
			assert.ElementsMatch(t, c.SMembers(ctx, key).Val(), c.SMembers(ctx, key+":copy").Val())
			continue
		}
		assert.Equal(t, p, p2, "%s dumps the same after a restore", key)
	}
	assert.Equal(t, []string{"a", "1", "b"}, c.LRange(ctx, "list:copy", 0, -1).Val())
	assert.Equal(t, map[string]string{"f": "v", "g": "w"}, c.HGetAll(ctx, "hash:copy").Val())
	pending := c.XPending(ctx, "stream:copy", "g").Val()
	assert.EqualValues(t, 1, pending.Count)
	assert.Equal(t, "42", c.Get(ctx, "string:copy").Val())
}

func TestRestoreErrors(t *testing.T) {
	srv := servertest.Start(t)
	ctx := context.Background()
	c := dumpClient(t, srv, 2)
	require.NoError(t, c.Set(ctx, "taken", "v", 0).Err())
	seal := func(body string, version uint16) string {
		p := binary.LittleEndian.AppendUint16([]byte(body), version)
		return string(binary.LittleEndian.AppendUint64(p, persistence.CRC64(0, p)))
	}
	for _, tc := range []struct {
		args []any
		err  string
	}{
		{[]any{"taken", 0, helloPayload}, "BUSYKEY Target key name already exists."},
		{[]any{"k", -1, helloPayload}, "ERR Invalid TTL value, must be >= 0"},
		{[]any{"k", "x", helloPayload}, "ERR value is not an integer or out of range"},
		{[]any{"k", 0, "garbage"}, "ERR DUMP payload version or checksum are wrong"},
		{[]any{"k", 0, seal("\x00\x05hello", 11)}, "ERR DUMP payload version or checksum are wrong"},
		{[]any{"k", 0, seal("\x08", 10)}, "ERR Bad data format"},
		{[]any{"k", 0, seal("\x12\x00", 10)}, "ERR Bad data format"},
		{[]any{"k", 0, helloPayload, "IDLETIME", -1}, "ERR Invalid IDLETIME value, must be >= 0"},
		{[]any{"k", 0, helloPayload, "FREQ", 256}, "ERR Invalid FREQ value, must be >= 0 and <= 255"},
		{[]any{"k", 0, helloPayload, "FREQ", "x"}, "ERR value is not an integer or out of range"},
		{[]any{"k", 0, helloPayload, "IDLETIME", 1, "FREQ", 1}, "ERR syntax error"},
		{[]any{"k", 0, helloPayload, "REPLACE", "NOPE"}, "ERR syntax error"},
		{[]any{"taken", -1, helloPayload, "NOPE"}, "ERR syntax error"},
	} {
		err := c.Do(ctx, append([]any{"RESTORE"}, tc.args...)...).Err()
		if assert.Error(t, err, "%v", tc.args) {
			assert.Equal(t, tc.err, err.Error(), "%v", tc.args)
		}
	}
	assert.EqualValues(t, 1, c.DBSize(ctx).Val())
}

func TestRestoreTTLs(t *testing.T) {
	srv := servertest.Start(t)
	ctx := context.Background()
	c := dumpClient(t, srv, 2)
	require.NoError(t, c.Do(ctx, "RESTORE", "rel", 100000, helloPayload).Err())
	assert.InDelta(t, 100*time.Second, c.PTTL(ctx, "rel").Val(), float64(time.Second))
	require.NoError(t, c.Do(ctx, "RESTORE", "abs", 4102444800000, helloPayload, "ABSTTL").Err())
	assert.EqualValues(t, 4102444800000, c.Do(ctx, "PEXPIRETIME", "abs").Val())

	// Already expired: nothing is created, and REPLACE only deletes.
	require.NoError(t, c.Do(ctx, "RESTORE", "past", 1, helloPayload, "ABSTTL").Err())
	assert.EqualValues(t, 0, c.Exists(ctx, "past").Val())
	require.NoError(t, c.Set(ctx, "old", "x", 0).Err())
	require.NoError(t, c.Do(ctx, "RESTORE", "old", 1, helloPayload, "ABSTTL", "REPLACE").Err())
	assert.EqualValues(t, 0, c.Exists(ctx, "old").Val())

	// REPLACE drops the old TTL with the old value.
	require.NoError(t, c.Set(ctx, "ttl", "x", time.Hour).Err())
	require.NoError(t, c.Do(ctx, "RESTORE", "ttl", 0, helloPayload, "REPLACE").Err())
	assert.EqualValues(t, -1, c.TTL(ctx, "ttl").Val())
	assert.Equal(t, "hello", c.Get(ctx, "ttl").Val())

	srv.FastForward(101 * time.Second)
	assert.EqualValues(t, 0, c.Exists(ctx, "rel").Val())
}

func TestRestoreEvents(t *testing.T) {
	srv := servertest.Start(t, servertest.WithOption("notify-keyspace-events", "KEg"))
	ctx := context.Background()
	c := dumpClient(t, srv, 2)
	sub := c.PSubscribe(ctx, "__keyevent@0__:*")
	defer sub.Close()
	_, err := sub.Receive(ctx)
	require.NoError(t, err)
	msgs := sub.Channel()
	next := func() string {
		select {
		case m := <-msgs:
			return m.Channel[len("__keyevent@0__:"):] + " " + m.Payload
		case <-time.After(2 * time.Second):
			return "timeout"
		}
	}
	other := dumpClient(t, srv, 2)
	require.NoError(t, other.Do(ctx, "RESTORE", "a", 0, helloPayload).Err())
	assert.Equal(t, "restore a", next())
	require.NoError(t, other.Do(ctx, "RESTORE", "a", 0, helloPayload, "REPLACE").Err())
	assert.Equal(t, "restore a", next())
	require.NoError(t, other.Do(ctx, "RESTORE", "a", 1, helloPayload, "REPLACE", "ABSTTL").Err())
	assert.Equal(t, "del a", next())
	require.NoError(t, other.Do(ctx, "RESTORE", "b", 1, helloPayload, "ABSTTL").Err())
	require.NoError(t, other.Do(ctx, "RESTORE", "c", 0, helloPayload).Err())
	assert.Equal(t, "restore c", next(), "an expired restore fires nothing")
}

func TestRestoreHoldsValuesToTheConfig(t *testing.T) {
	srv := servertest.Start(t)
	ctx := context.Background()
	c := dumpClient(t, srv, 2)
	require.NoError(t, c.HSet(ctx, "h", "a", "1", "b", "2", "c", "3").Err())
	require.NoError(t, c.SAdd(ctx, "s", 1, 2, 3).Err())
	hp, sp := c.Dump(ctx, "h").Val(), c.Dump(ctx, "s").Val()
	require.NoError(t, c.ConfigSet(ctx, "hash-max-listpack-entries", "2").Err())
	require.NoError(t, c.ConfigSet(ctx, "set-max-intset-entries", "2").Err())
	require.NoError(t, c.Restore(ctx, "h2", 0, hp).Err())
	require.NoError(t, c.Restore(ctx, "s2", 0, sp).Err())
	assert.Equal(t, "hashtable", c.ObjectEncoding(ctx, "h2").Val())
	assert.Equal(t, "hashtable", c.ObjectEncoding(ctx, "s2").Val())
}

func TestDumpCompressesPerConfig(t *testing.T) {
	srv := servertest.Start(t)
	ctx := context.Background()
	c := dumpClient(t, srv, 2)
	require.NoError(t, c.Set(ctx, "k", strings.Repeat("a", 100), 0).Err())
	assert.Equal(t, byte(0xc3), c.Dump(ctx, "k").Val()[1], "LZF by default")
	require.NoError(t, c.ConfigSet(ctx, "rdbcompression", "no").Err())
	assert.Equal(t, "\x40\x64", c.Dump(ctx, "k").Val()[1:3], "plain with rdbcompression no")
}

func TestRestoreIdleTimeAndFreq(t *testing.T) {
	if _, ok := any(&store.Entry{}).(interface{ SetAccessClock(uint32) }); !ok {
		t.Skip("store.Entry has no SetAccessClock: RESTORE cannot set the access clock yet")
	}
	srv := servertest.Start(t)
	ctx := context.Background()
	c := dumpClient(t, srv, 2)
	require.NoError(t, c.Do(ctx, "RESTORE", "a", 0, helloPayload, "IDLETIME", 1000).Err())
	assert.InDelta(t, 1000, c.ObjectIdleTime(ctx, "a").Val().Seconds(), 2)
	require.NoError(t, c.ConfigSet(ctx, "maxmemory-policy", "allkeys-lfu").Err())
	require.NoError(t, c.Do(ctx, "RESTORE", "b", 0, helloPayload, "FREQ", 100).Err())
	assert.EqualValues(t, 100, c.ObjectFreq(ctx, "b").Val())
}
