package server_test

import (
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/kioku-db/kioku/server/servertest"
)

// TestFunctionKill: a function past busy-reply-threshold makes other
// clients' commands BUSY naming FUNCTION KILL; FUNCTION STATS shows it;
// SCRIPT KILL refuses to stop it and FUNCTION KILL stops it.
func TestFunctionKill(t *testing.T) {
	srv := servertest.Start(t)
	rc := redis.NewClient(&redis.Options{Addr: srv.Addr()})
	defer rc.Close()
	require.NoError(t, rc.ConfigSet(ctx, "busy-reply-threshold", "50").Err())
	require.NoError(t, rc.FunctionLoad(ctx, "#!lua name=spin\nredis.register_function('spin', function() while true do end end)").Err())

	runner := redis.NewClient(&redis.Options{Addr: srv.Addr(), ReadTimeout: -1})
	defer runner.Close()
	done := make(chan error, 1)
	go func() { done <- runner.FCall(ctx, "spin", []string{"k"}, "arg").Err() }()
	const busy = "BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE."
	require.Eventually(t, func() bool {
		err := rc.Ping(ctx).Err()
		return err != nil && err.Error() == busy
	}, 5*time.Second, 10*time.Millisecond)

	stats, err := rc.Do(ctx, "FUNCTION", "STATS").Result()
	require.NoError(t, err)
	running := stats.(map[interface{}]interface{})["running_script"].(map[interface{}]interface{})
	require.Equal(t, "spin", running["name"])
	require.Equal(t, []interface{}{"fcall", "spin", "1", "k", "arg"}, running["command"])
	require.GreaterOrEqual(t, running["duration_ms"], int64(0))

	require.EqualError(t, rc.ScriptKill(ctx).Err(), busy)
	require.NoError(t, rc.FunctionKill(ctx).Err())
	err = <-done
	require.Error(t, err)
	require.True(t, strings.HasPrefix(err.Error(), "ERR Script killed by user with SCRIPT KILL... script: spin, on @user_function:2."), err.Error())
	require.NoError(t, rc.Ping(ctx).Err())
	require.EqualError(t, rc.FunctionKill(ctx).Err(), "NOTBUSY No scripts in execution right now.")
}

// TestFunctionKillRefusesScripts: FUNCTION KILL does not stop an EVAL
// script; SCRIPT KILL does.
func TestFunctionKillRefusesScripts(t *testing.T) {
	srv := servertest.Start(t)
	rc := redis.NewClient(&redis.Options{Addr: srv.Addr()})
	defer rc.Close()
	require.NoError(t, rc.ConfigSet(ctx, "busy-reply-threshold", "50").Err())
	done := startLongScript(t, srv, "while true do end")
	require.EqualError(t, rc.FunctionKill(ctx).Err(), "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.")
	require.NoError(t, rc.ScriptKill(ctx).Err())
	require.Error(t, <-done)
}
