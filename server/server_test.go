package server_test

import (
	"net"
	"runtime"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/kioku-db/kioku/server"
)

// TestCloseLeavesNoGoroutine: Close stops the listener, every client
// connection (idle, mid-pipeline or blocked) and the background tasks.
func TestCloseLeavesNoGoroutine(t *testing.T) {
	before := runtime.NumGoroutine()
	srv, err := server.New(server.Config{Addr: "127.0.0.1:0", Options: quietOptions(t)})
	require.NoError(t, err)
	require.NoError(t, srv.Start())

	idle, err := net.Dial("tcp", srv.Addr())
	require.NoError(t, err)
	defer idle.Close()
	c := redis.NewClient(&redis.Options{Addr: srv.Addr()})
	require.NoError(t, c.Set(ctx, "k", "v", 0).Err())
	partial, err := net.Dial("tcp", srv.Addr())
	require.NoError(t, err)
	defer partial.Close()
	_, err = partial.Write([]byte("*2\r\n$3\r\nGET\r\n$10\r\nonly"))
	require.NoError(t, err)
	blocked := redis.NewClient(&redis.Options{Addr: srv.Addr()})
	if info, _ := c.Do(ctx, "COMMAND", "INFO", "blpop").Slice(); len(info) > 0 && info[0] != nil {
		go blocked.Do(ctx, "BLPOP", "nothing", 0)
		require.Eventually(t, func() bool {
			info, _ := c.Info(ctx, "clients").Result()
			return containsLine(info, "blocked_clients:1")
		}, 5*time.Second, 10*time.Millisecond, "BLPOP never blocked")
	}

	require.NoError(t, srv.Close())
	c.Close()
	blocked.Close()
	require.Eventually(t, func() bool { return runtime.NumGoroutine() <= before+1 },
		5*time.Second, 20*time.Millisecond, "goroutines left: %d (before: %d)", runtime.NumGoroutine(), before)
}

// TestAddrReportsRealPort: Addr reports the real port chosen for :0.
func TestAddrReportsRealPort(t *testing.T) {
	srv, err := server.New(server.Config{Addr: "127.0.0.1:0", Options: quietOptions(t)})
	require.NoError(t, err)
	require.NoError(t, srv.Start())
	defer srv.Close()
	_, port, err := net.SplitHostPort(srv.Addr())
	require.NoError(t, err)
	require.NotEqual(t, "0", port)
}

func containsLine(text, line string) bool {
	for _, l := range splitLines(text) {
		if l == line {
			return true
		}
	}
	return false
}

func splitLines(s string) []string {
	var out []string
	start := 0
	for i := 0; i < len(s); i++ {
		if s[i] == '\n' {
			out = append(out, trimCR(s[start:i]))
			start = i + 1
		}
	}
	return append(out, trimCR(s[start:]))
}

func trimCR(s string) string {
	if len(s) > 0 && s[len(s)-1] == '\r' {
		return s[:len(s)-1]
	}
	return s
}

// TestHugeReplyIsRefused: a reply that would outgrow the cap (SRANDMEMBER
// with a huge negative count asks for ~10^18 elements) is answered with an
// error instead of exhausting memory, and the connection keeps working.
func TestHugeReplyIsRefused(t *testing.T) {
	srv, err := server.New(server.Config{Addr: "127.0.0.1:0", Options: quietOptions(t)})
	require.NoError(t, err)
	srv.SetMaxReplyBytes(1 << 20)
	require.NoError(t, srv.Start())
	defer srv.Close()
	c := redis.NewClient(&redis.Options{Addr: srv.Addr()})
	defer c.Close()
	require.NoError(t, c.SAdd(ctx, "s", "a", "b").Err())
	require.NoError(t, c.HSet(ctx, "h", "f", "v").Err())
	for _, cmd := range [][]any{
		{"SRANDMEMBER", "s", "-1000000000000000000"},
		{"HRANDFIELD", "h", "-9223372036854775807"},
		{"HRANDFIELD", "h", "-4611686018427387903", "WITHVALUES"},
	} {
		err = c.Do(ctx, cmd...).Err()
		require.EqualError(t, err, "ERR reply exceeds the maximum reply size", "%v", cmd)
		require.Equal(t, "PONG", c.Ping(ctx).Val())
	}
	require.Len(t, c.SRandMemberN(ctx, "s", -1000).Val(), 1000, "smaller replies still work")
}

// TestShutdownCommand: SHUTDOWN validates its options like Redis, then
// closes the connection without a reply and stops the server (Done closes).
func TestShutdownCommand(t *testing.T) {
	srv, err := server.New(server.Config{Addr: "127.0.0.1:0", Options: quietOptions(t)})
	require.NoError(t, err)
	require.NoError(t, srv.Start())
	defer srv.Close()
	c := redis.NewClient(&redis.Options{Addr: srv.Addr(), MaxRetries: -1})
	defer c.Close()
	require.EqualError(t, c.Do(ctx, "SHUTDOWN", "SAVE", "NOSAVE").Err(), "ERR syntax error")
	require.EqualError(t, c.Do(ctx, "SHUTDOWN", "ABORT", "NOW").Err(), "ERR syntax error")
	require.EqualError(t, c.Do(ctx, "SHUTDOWN", "BOGUS").Err(), "ERR syntax error")
	require.EqualError(t, c.Do(ctx, "SHUTDOWN", "ABORT").Err(), "ERR No shutdown in progress.")
	select {
	case <-srv.Done():
		t.Fatal("a refused SHUTDOWN stopped the server")
	default:
	}
	require.Error(t, c.Do(ctx, "SHUTDOWN", "NOSAVE").Err(), "the connection closes without a reply")
	select {
	case <-srv.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("SHUTDOWN did not stop the server")
	}
}

// quietOptions keeps a test server's files out of the package directory
// (with Redis's default save points, FLUSHALL and SHUTDOWN write dump.rdb
// in dir, the working directory by default).
func quietOptions(t *testing.T) map[string]string {
	return map[string]string{"dir": t.TempDir(), "save": ""}
}
