package server_test

import (
	"context"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kioku-db/kioku/server/servertest"
)

// Tests of the stream family (cmd_stream*.go) through go-redis: what the
// differential tests in compat/ cannot pin down against a real Redis
// because it depends on the clock or on timing (IDs from the server's
// clock, the clock going back, blocked readers that go away).

var streamCtx = context.Background()

func newStreamClient(t *testing.T, srv *servertest.Server, proto int) *redis.Client {
	return keysClient(t, srv, proto, 0)
}

func TestStreamIDsFollowTheServerClock(t *testing.T) {
	srv := servertest.Start(t)
	rdb := newStreamClient(t, srv, 3)
	at := time.UnixMilli(4102444800000) // 2100-01-01
	srv.SetTime(at)
	id := rdb.XAdd(streamCtx, &redis.XAddArgs{Stream: "s", Values: []any{"f", "v"}}).Val()
	ms, _, ok := strings.Cut(id, "-")
	require.True(t, ok, id)
	assert.True(t, strings.HasPrefix(ms, "41024448000"), "ID %s is not from the server's clock", id)

	// The clock going back never makes IDs go back: the sequence grows.
	srv.SetTime(at.Add(-time.Hour))
	prev := id
	for i := 0; i < 3; i++ {
		next := rdb.XAdd(streamCtx, &redis.XAddArgs{Stream: "s", Values: []any{"f", "v"}}).Val()
		assert.True(t, idLess(prev, next), "%s after %s", next, prev)
		prev = next
	}
	assert.Equal(t, ms, strings.Split(prev, "-")[0], "IDs keep the last millisecond")
}

// idLess compares two "ms-seq" IDs.
func idLess(a, b string) bool {
	var am, as, bm, bs uint64
	fmt.Sscanf(a, "%d-%d", &am, &as)
	fmt.Sscanf(b, "%d-%d", &bm, &bs)
	return am < bm || am == bm && as < bs
}

func TestStreamBlockingReadWokenByXAdd(t *testing.T) {
	srv := servertest.Start(t)
	for _, proto := range []int{2, 3} {
		t.Run(fmt.Sprintf("RESP%d", proto), func(t *testing.T) {
			key := fmt.Sprintf("s%d", proto)
			writer := newStreamClient(t, srv, proto)
			reader := newStreamClient(t, srv, proto)
			writer.XAdd(streamCtx, &redis.XAddArgs{Stream: key, ID: "1-0", Values: []any{"old", "1"}})
			done := make(chan []redis.XStream, 1)
			go func() {
				done <- reader.XRead(streamCtx, &redis.XReadArgs{Streams: []string{"other", key, "0", "$"}, Block: 0}).Val()
			}()
			waitBlockedStream(t, writer, 1)
			writer.XAdd(streamCtx, &redis.XAddArgs{Stream: key, ID: "2-0", Values: []any{"new", "2"}})
			select {
			case got := <-done:
				require.Len(t, got, 1)
				assert.Equal(t, key, got[0].Stream)
				require.Len(t, got[0].Messages, 1)
				assert.Equal(t, "2-0", got[0].Messages[0].ID)
			case <-time.After(10 * time.Second):
				t.Fatal("the reader was never woken")
			}
		})
	}
}

func waitBlockedStream(t *testing.T, rdb *redis.Client, n int) {
	t.Helper()
	want := fmt.Sprintf("blocked_clients:%d", n)
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(2 * time.Millisecond) {
		if strings.Contains(rdb.Info(streamCtx, "clients").Val(), want) {
			return
		}
	}
	t.Fatalf("never saw %s", want)
}

// A consumer blocked on a group that disconnects before the entry arrives
// must not get it: the entry stays for the next reader, not pending for a
// consumer that never saw it.
func TestStreamReadGroupDisconnectedReaderLosesNothing(t *testing.T) {
	srv := servertest.Start(t)
	rdb := newStreamClient(t, srv, 3)
	require.NoError(t, rdb.XGroupCreateMkStream(streamCtx, "s", "g", "$").Err())

	conn, err := net.Dial("tcp", srv.Addr())
	require.NoError(t, err)
	_, err = conn.Write([]byte("*9\r\n$10\r\nXREADGROUP\r\n$5\r\nGROUP\r\n$1\r\ng\r\n$4\r\ngone\r\n$5\r\nBLOCK\r\n$1\r\n0\r\n$7\r\nSTREAMS\r\n$1\r\ns\r\n$1\r\n>\r\n"))
	require.NoError(t, err)
	waitBlockedStream(t, rdb, 1)
	require.NoError(t, conn.Close())
	waitBlockedStream(t, rdb, 0)

	rdb.XAdd(streamCtx, &redis.XAddArgs{Stream: "s", ID: "1-0", Values: []any{"f", "v"}})
	pending := rdb.XPending(streamCtx, "s", "g").Val()
	assert.Equal(t, int64(0), pending.Count)
	got := rdb.XReadGroup(streamCtx, &redis.XReadGroupArgs{Group: "g", Consumer: "alive", Streams: []string{"s", ">"}, Block: -1}).Val()
	require.Len(t, got, 1)
	require.Len(t, got[0].Messages, 1)
	assert.Equal(t, "1-0", got[0].Messages[0].ID)
}

// Blocked readers of one stream are all offered each write: one waiting
// for an ID not reached yet does not hold back the others.
func TestStreamBlockedReadersServedIndependently(t *testing.T) {
	srv := servertest.Start(t)
	writer := newStreamClient(t, srv, 2)
	far := newStreamClient(t, srv, 2)
	near := newStreamClient(t, srv, 2)
	farDone := make(chan error, 1)
	go func() {
		farDone <- far.XRead(streamCtx, &redis.XReadArgs{Streams: []string{"s", "100-0"}, Block: 300 * time.Millisecond}).Err()
	}()
	waitBlockedStream(t, writer, 1)
	nearDone := make(chan []redis.XStream, 1)
	go func() {
		nearDone <- near.XRead(streamCtx, &redis.XReadArgs{Streams: []string{"s", "$"}, Block: 0}).Val()
	}()
	waitBlockedStream(t, writer, 2)
	writer.XAdd(streamCtx, &redis.XAddArgs{Stream: "s", ID: "5-0", Values: []any{"f", "v"}})
	select {
	case got := <-nearDone:
		require.Len(t, got, 1)
		assert.Equal(t, "5-0", got[0].Messages[0].ID)
	case <-time.After(10 * time.Second):
		t.Fatal("the second reader was never served")
	}
	assert.Equal(t, redis.Nil, <-farDone, "the first reader times out")
}

func TestStreamBlockingIsImmediateInsideMulti(t *testing.T) {
	srv := servertest.Start(t)
	rdb := newStreamClient(t, srv, 2)
	cmds, err := rdb.TxPipelined(streamCtx, func(p redis.Pipeliner) error {
		p.XRead(streamCtx, &redis.XReadArgs{Streams: []string{"s", "$"}, Block: 0})
		p.XAdd(streamCtx, &redis.XAddArgs{Stream: "s", ID: "1-0", Values: []any{"f", "v"}})
		p.XRead(streamCtx, &redis.XReadArgs{Streams: []string{"s", "0"}, Block: 0})
		return nil
	})
	require.Equal(t, redis.Nil, err)
	assert.Equal(t, redis.Nil, cmds[0].Err())
	assert.Len(t, cmds[2].(*redis.XStreamSliceCmd).Val(), 1)
}

func TestStreamTypeEncodingCopy(t *testing.T) {
	srv := servertest.Start(t)
	rdb := newStreamClient(t, srv, 3)
	rdb.XAdd(streamCtx, &redis.XAddArgs{Stream: "s", ID: "1-0", Values: []any{"f", "v"}})
	require.NoError(t, rdb.XGroupCreate(streamCtx, "s", "g", "0").Err())
	assert.Equal(t, "stream", rdb.Type(streamCtx, "s").Val())
	assert.Equal(t, "stream", rdb.ObjectEncoding(streamCtx, "s").Val())
	require.True(t, rdb.Copy(streamCtx, "s", "c", 0, false).Val() == 1)
	rdb.XReadGroup(streamCtx, &redis.XReadGroupArgs{Group: "g", Consumer: "x", Streams: []string{"c", ">"}, Block: -1})
	assert.Equal(t, int64(1), rdb.XPending(streamCtx, "c", "g").Val().Count)
	assert.Equal(t, int64(0), rdb.XPending(streamCtx, "s", "g").Val().Count, "the copy's groups are its own")
}

// Idle times and XAUTOCLAIM's min-idle follow the server's clock.
func TestStreamIdleFollowsTheClock(t *testing.T) {
	srv := servertest.Start(t)
	rdb := newStreamClient(t, srv, 2)
	require.NoError(t, rdb.XGroupCreateMkStream(streamCtx, "s", "g", "$").Err())
	rdb.XAdd(streamCtx, &redis.XAddArgs{Stream: "s", ID: "1-0", Values: []any{"f", "v"}})
	rdb.XReadGroup(streamCtx, &redis.XReadGroupArgs{Group: "g", Consumer: "a", Streams: []string{"s", ">"}, Block: -1})
	srv.FastForward(time.Hour)
	ext := rdb.XPendingExt(streamCtx, &redis.XPendingExtArgs{Stream: "s", Group: "g", Start: "-", End: "+", Count: 10}).Val()
	require.Len(t, ext, 1)
	assert.GreaterOrEqual(t, ext[0].Idle, time.Hour)
	msgs, _ := rdb.XAutoClaim(streamCtx, &redis.XAutoClaimArgs{Stream: "s", Group: "g", Consumer: "b", MinIdle: 59 * time.Minute, Start: "0"}).Val()
	assert.Len(t, msgs, 1)
}
