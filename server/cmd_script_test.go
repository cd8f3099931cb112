package server_test

import (
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/kioku-db/kioku/server"
	"github.com/kioku-db/kioku/server/servertest"
)

// TestScriptIsAtomic: 8 clients each run a read-modify-write script 200
// times (GET, then SET of the value plus one). Were another command able
// to run between the script's calls, increments would be lost.
func TestScriptIsAtomic(t *testing.T) {
	srv := servertest.Start(t)
	const clientsN, rounds = 8, 200
	script := redis.NewScript(`
local v = tonumber(redis.call('GET', KEYS[1]) or '0')
redis.call('SET', KEYS[1], v + 1)
return v + 1`)
	var wg sync.WaitGroup
	for i := 0; i < clientsN; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rc := redis.NewClient(&redis.Options{Addr: srv.Addr()})
			defer rc.Close()
			for r := 0; r < rounds; r++ {
				if err := script.Run(ctx, rc, []string{"counter"}).Err(); err != nil {
					t.Errorf("script: %v", err)
					return
				}
			}
		}()
	}
	wg.Wait()
	rc := redis.NewClient(&redis.Options{Addr: srv.Addr()})
	defer rc.Close()
	n, err := rc.Get(ctx, "counter").Int()
	require.NoError(t, err)
	require.Equal(t, clientsN*rounds, n)
}

// startLongScript runs body on its own connection and returns the
// channel its reply (or error) arrives on, once the server reports BUSY.
func startLongScript(t *testing.T, srv *servertest.Server, body string) <-chan error {
	t.Helper()
	rc := redis.NewClient(&redis.Options{Addr: srv.Addr(), ReadTimeout: -1})
	t.Cleanup(func() { rc.Close() })
	done := make(chan error, 1)
	go func() { done <- rc.Eval(ctx, body, nil).Err() }()
	other := redis.NewClient(&redis.Options{Addr: srv.Addr()})
	defer other.Close()
	require.Eventually(t, func() bool {
		err := other.Ping(ctx).Err()
		return err != nil && strings.HasPrefix(err.Error(), "BUSY ")
	}, 5*time.Second, 10*time.Millisecond)
	return done
}

// TestScriptKill: past busy-reply-threshold other clients get BUSY,
// SCRIPT KILL stops an endless loop that has not written, and the server
// serves again.
func TestScriptKill(t *testing.T) {
	srv := servertest.Start(t)
	rc := redis.NewClient(&redis.Options{Addr: srv.Addr()})
	defer rc.Close()
	require.NoError(t, rc.ConfigSet(ctx, "busy-reply-threshold", "50").Err())

	done := startLongScript(t, srv, "while true do end")
	err := rc.Ping(ctx).Err()
	require.EqualError(t, err, "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.")
	require.NoError(t, rc.ScriptKill(ctx).Err())
	err = <-done
	require.Error(t, err)
	require.True(t, strings.HasPrefix(err.Error(), "ERR Script killed by user with SCRIPT KILL... script: "), err.Error())
	require.NoError(t, rc.Ping(ctx).Err())
	require.EqualError(t, rc.ScriptKill(ctx).Err(), "NOTBUSY No scripts in execution right now.")
}

// TestScriptKillAfterWrite: a script that wrote cannot be killed; it ends
// on its own and its write stays.
func TestScriptKillAfterWrite(t *testing.T) {
	srv := servertest.Start(t)
	rc := redis.NewClient(&redis.Options{Addr: srv.Addr()})
	defer rc.Close()
	require.NoError(t, rc.ConfigSet(ctx, "busy-reply-threshold", "50").Err())
	done := startLongScript(t, srv, `
redis.call('SET', 'written', '1')
local n = 0
for i = 1, 4000000 do n = n + 1 end
return n`)
	require.True(t, strings.HasPrefix(rc.ScriptKill(ctx).Err().Error(), "UNKILLABLE "))
	require.NoError(t, <-done)
	require.Equal(t, "1", rc.Get(ctx, "written").Val())
}

// TestScriptBusyAfterThresholdLowered: the busy timer outlives runs, so a
// run must re-arm it when busy-reply-threshold was lowered since it was
// armed (here from a minute to 50 ms).
func TestScriptBusyAfterThresholdLowered(t *testing.T) {
	srv := servertest.Start(t)
	rc := redis.NewClient(&redis.Options{Addr: srv.Addr()})
	defer rc.Close()
	require.NoError(t, rc.ConfigSet(ctx, "busy-reply-threshold", "60000").Err())
	require.NoError(t, rc.Eval(ctx, "return 1", nil).Err())
	require.NoError(t, rc.ConfigSet(ctx, "busy-reply-threshold", "50").Err())

	runner := redis.NewClient(&redis.Options{Addr: srv.Addr(), ReadTimeout: -1})
	defer runner.Close()
	done := make(chan error, 1)
	go func() { done <- runner.Eval(ctx, "while true do end", nil).Err() }()
	busy := false
	for deadline := time.Now().Add(5 * time.Second); !busy && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		err := rc.Ping(ctx).Err()
		busy = err != nil && strings.HasPrefix(err.Error(), "BUSY ")
	}
	// Killed either way, so that a failure does not leave the server
	// spinning (Close would wait for it).
	require.NoError(t, rc.ScriptKill(ctx).Err())
	require.Error(t, <-done)
	require.True(t, busy, "no BUSY reply within 5s of a 50 ms threshold")
	require.NoError(t, rc.Ping(ctx).Err())
}

// TestScriptKillStopsCoroutines: SCRIPT KILL stops a loop inside a
// coroutine, and scripts using coroutines run normally after it.
func TestScriptKillStopsCoroutines(t *testing.T) {
	srv := servertest.Start(t)
	rc := redis.NewClient(&redis.Options{Addr: srv.Addr()})
	defer rc.Close()
	require.NoError(t, rc.ConfigSet(ctx, "busy-reply-threshold", "50").Err())
	const wrap = "return coroutine.wrap(function() coroutine.yield(7) end)()"
	require.Equal(t, int64(7), rc.Eval(ctx, wrap, nil).Val())
	done := startLongScript(t, srv, `
local co = coroutine.create(function() while true do end end)
return coroutine.resume(co)`)
	require.NoError(t, rc.ScriptKill(ctx).Err())
	err := <-done
	require.Error(t, err)
	require.NoError(t, rc.Ping(ctx).Err())
	for i := 0; i < 3; i++ {
		require.Equal(t, int64(7), rc.Eval(ctx, wrap, nil).Val())
	}
}

// TestScriptServesBlockedClients: a client blocked on a list is served
// once the script that pushed to it has ended.
func TestScriptServesBlockedClients(t *testing.T) {
	srv := servertest.Start(t)
	blocked := redis.NewClient(&redis.Options{Addr: srv.Addr()})
	defer blocked.Close()
	got := make(chan []string, 1)
	go func() { got <- blocked.BLPop(ctx, 5*time.Second, "jobs").Val() }()
	rc := redis.NewClient(&redis.Options{Addr: srv.Addr()})
	defer rc.Close()
	require.Eventually(t, func() bool {
		return strings.Contains(rc.ClientList(ctx).Val(), "cmd=blpop")
	}, 5*time.Second, 5*time.Millisecond)
	require.NoError(t, rc.Eval(ctx, "redis.call('RPUSH', KEYS[1], 'a'); return redis.call('LLEN', KEYS[1])", []string{"jobs"}).Err())
	require.Equal(t, []string{"jobs", "a"}, <-got)
}

// TestScriptFiresKeyspaceEvents: commands run by a script notify as the
// same commands sent by a client.
func TestScriptFiresKeyspaceEvents(t *testing.T) {
	srv := servertest.Start(t)
	rc := redis.NewClient(&redis.Options{Addr: srv.Addr()})
	defer rc.Close()
	require.NoError(t, rc.ConfigSet(ctx, "notify-keyspace-events", "KEA").Err())
	sub := rc.PSubscribe(ctx, "__keyevent@0__:*")
	defer sub.Close()
	_, err := sub.Receive(ctx)
	require.NoError(t, err)
	require.NoError(t, rc.Eval(ctx, "redis.call('SET', KEYS[1], 'v'); redis.call('HSET', KEYS[2], 'f', 'v'); return 1", []string{"k", "h"}).Err())
	var events []string
	for len(events) < 2 {
		m, err := sub.ReceiveMessage(ctx)
		require.NoError(t, err)
		events = append(events, m.Channel+" "+m.Payload)
	}
	require.Equal(t, []string{"__keyevent@0__:set k", "__keyevent@0__:hset h"}, events)
}

// BenchmarkEvalSHATokenBucket runs the bench harness's token bucket
// script by EVALSHA, one request at a time, for profiling.
func BenchmarkEvalSHATokenBucket(b *testing.B) {
	srv := servertest.Start(b)
	rc := redis.NewClient(&redis.Options{Addr: srv.Addr()})
	defer rc.Close()
	sha, err := rc.ScriptLoad(ctx, server.BenchTokenBucketScript).Result()
	require.NoError(b, err)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		key := "tb:" + strconv.Itoa(i%1000)
		if err := rc.EvalSha(ctx, sha, []string{key}, 5, 1, 1700000000, 1).Err(); err != nil {
			b.Fatal(err)
		}
	}
}
