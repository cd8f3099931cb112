package server_test

import (
	"bufio"
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/kioku-db/kioku/server/servertest"
)

var ctx = context.Background()

// clients returns go-redis clients speaking RESP2 and RESP3 to srv.
func clients(t *testing.T, srv *servertest.Server, opts ...func(*redis.Options)) map[string]*redis.Client {
	out := map[string]*redis.Client{}
	for name, proto := range map[string]int{"resp2": 2, "resp3": 3} {
		o := &redis.Options{Addr: srv.Addr(), Protocol: proto}
		for _, f := range opts {
			f(o)
		}
		c := redis.NewClient(o)
		t.Cleanup(func() { _ = c.Close() })
		out[name] = c
	}
	return out
}

// rawConn sends inline requests and reads single-line replies.
type rawConn struct {
	t    *testing.T
	conn net.Conn
	rd   *bufio.Reader
}

func dialRaw(t *testing.T, addr string) *rawConn {
	conn, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close() })
	return &rawConn{t: t, conn: conn, rd: bufio.NewReader(conn)}
}

func (r *rawConn) do(req string) string {
	_, err := r.conn.Write([]byte(req + "\r\n"))
	require.NoError(r.t, err)
	_ = r.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	line, err := r.rd.ReadString('\n')
	require.NoError(r.t, err)
	return strings.TrimSuffix(line, "\r\n")
}

func TestPingEchoSelectBothProtocols(t *testing.T) {
	srv := servertest.Start(t)
	for name, c := range clients(t, srv) {
		t.Run(name, func(t *testing.T) {
			require.Equal(t, "PONG", c.Ping(ctx).Val())
			require.Equal(t, "hi", c.Echo(ctx, "hi").Val())
			require.NoError(t, c.Do(ctx, "SELECT", 15).Err())
			require.EqualError(t, c.Do(ctx, "SELECT", 16).Err(), "ERR DB index is out of range")
			require.EqualError(t, c.Do(ctx, "SELECT", "x").Err(), "ERR value is not an integer or out of range")
		})
	}
}

func TestUnknownCommandAndArityErrors(t *testing.T) {
	srv := servertest.Start(t)
	r := dialRaw(t, srv.Addr())
	require.Equal(t, "-ERR unknown command 'foo', with args beginning with: 'a' 'b' ", r.do("foo a b"))
	require.Equal(t, "-ERR unknown command 'foo', with args beginning with: ", r.do("foo"))
	require.Equal(t, "-ERR wrong number of arguments for 'get' command", r.do("get"))
	require.Equal(t, "-ERR unknown subcommand 'nope'. Try CLIENT HELP.", r.do("client nope"))
	require.Equal(t, "-ERR wrong number of arguments for 'client|setname' command", r.do("client setname"))
	require.Equal(t, "-ERR Protocol error: unbalanced quotes in request", r.do("set \"a"))
}

func TestAuthWithRequirePass(t *testing.T) {
	srv := servertest.Start(t, servertest.WithOption("requirepass", "s3cret"))
	r := dialRaw(t, srv.Addr())
	require.Equal(t, "-NOAUTH Authentication required.", r.do("get k"))
	require.Equal(t, "-WRONGPASS invalid username-password pair or user is disabled.", r.do("auth nope"))
	require.Equal(t, "+OK", r.do("auth s3cret"))
	require.Equal(t, "$-1", r.do("get k"))

	for name, c := range clients(t, srv, func(o *redis.Options) { o.Password = "s3cret" }) {
		require.Equal(t, "PONG", c.Ping(ctx).Val(), name)
	}
}

func TestAuthWithoutPassword(t *testing.T) {
	srv := servertest.Start(t)
	r := dialRaw(t, srv.Addr())
	require.Equal(t, "-ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?", r.do("auth x"))
	require.Equal(t, "+OK", r.do("auth default anything"))
}

func TestHelloSwitchesProtocol(t *testing.T) {
	srv := servertest.Start(t)
	r := dialRaw(t, srv.Addr())
	require.Equal(t, "%7", r.do("hello 3"))
	for i := 0; i < 14; i++ { // the map's 7 pairs, each key and value a line or two
		line, _ := r.rd.ReadString('\n')
		if strings.HasPrefix(line, "$") {
			_, _ = r.rd.ReadString('\n')
		}
	}
	require.Equal(t, "-NOPROTO unsupported protocol version", r.do("hello 4"))
	require.Equal(t, "_", r.do("get missing"))
}

func TestClientCommands(t *testing.T) {
	srv := servertest.Start(t)
	for name, c := range clients(t, srv) {
		t.Run(name, func(t *testing.T) {
			id, err := c.ClientID(ctx).Result()
			require.NoError(t, err)
			require.Positive(t, id)
			require.NoError(t, c.Do(ctx, "CLIENT", "SETNAME", "worker-1").Err())
			require.Equal(t, "worker-1", c.Do(ctx, "CLIENT", "GETNAME").Val())
			info, err := c.Do(ctx, "CLIENT", "INFO").Text()
			require.NoError(t, err)
			require.Contains(t, info, "name=worker-1")
			require.Contains(t, info, "cmd=client|info")
			list, err := c.ClientList(ctx).Result()
			require.NoError(t, err)
			require.Contains(t, list, "name=worker-1")
			require.EqualError(t, c.Do(ctx, "CLIENT", "SETNAME", "a b").Err(),
				"ERR Client names cannot contain spaces, newlines or special characters.")
		})
	}
}

func TestInfoFields(t *testing.T) {
	srv := servertest.Start(t)
	c := clients(t, srv)["resp3"]
	c.Set(ctx, "k", "v", 0)
	c.Get(ctx, "k")
	c.Get(ctx, "missing")
	info, err := c.Info(ctx, "everything").Result()
	require.NoError(t, err)
	for _, f := range []string{"redis_version:7.0.15", "kioku_version:", "redis_mode:standalone",
		"uptime_in_seconds:", "connected_clients:", "blocked_clients:0", "used_memory:",
		"used_memory_human:", "used_memory_peak:", "maxmemory:0", "maxmemory_policy:noeviction",
		"keyspace_hits:1", "keyspace_misses:1", "expired_keys:0", "evicted_keys:0",
		"total_commands_processed:", "instantaneous_ops_per_sec:", "role:master",
		"cmdstat_get:calls=2", "db0:keys=1,expires=0"} {
		require.Contains(t, info, f)
	}
}

func TestDebugProtocolRESP3(t *testing.T) {
	srv := servertest.Start(t)
	c := clients(t, srv)["resp3"]
	require.Equal(t, true, c.Do(ctx, "DEBUG", "PROTOCOL", "true").Val())
	require.Equal(t, 3.141, c.Do(ctx, "DEBUG", "PROTOCOL", "double").Val())
	m, err := c.Do(ctx, "DEBUG", "PROTOCOL", "map").Result()
	require.NoError(t, err)
	require.Equal(t, map[interface{}]interface{}{int64(0): false, int64(1): true, int64(2): false}, m)
}

func TestConfigGetSet(t *testing.T) {
	srv := servertest.Start(t)
	c := clients(t, srv)["resp2"]
	require.NoError(t, c.ConfigSet(ctx, "maxmemory", "10mb").Err())
	require.Equal(t, map[string]string{"maxmemory": "10485760"}, c.ConfigGet(ctx, "maxmemory").Val())
	require.Error(t, c.ConfigSet(ctx, "no-such-param", "1").Err())
	require.Error(t, c.ConfigSet(ctx, "maxmemory", "lots").Err())
}

// TestClientPauseWrite: under CLIENT PAUSE WRITE reads run and writes wait
// until CLIENT UNPAUSE.
func TestClientPauseWrite(t *testing.T) {
	srv := servertest.Start(t)
	admin := clients(t, srv)["resp2"]
	require.NoError(t, admin.Set(ctx, "k", "before", 0).Err())
	require.NoError(t, admin.Do(ctx, "CLIENT", "PAUSE", 60000, "WRITE").Err())

	writer := redis.NewClient(&redis.Options{Addr: srv.Addr()})
	defer writer.Close()
	written := make(chan error, 1)
	go func() { written <- writer.Set(ctx, "k", "after", 0).Err() }()

	require.Equal(t, "before", admin.Get(ctx, "k").Val(), "reads run during a write pause")
	select {
	case err := <-written:
		t.Fatalf("SET ran during the pause: %v", err)
	case <-time.After(100 * time.Millisecond):
	}
	require.NoError(t, admin.Do(ctx, "CLIENT", "UNPAUSE").Err())
	require.NoError(t, <-written)
	require.Equal(t, "after", admin.Get(ctx, "k").Val())
}

// TestClientListWhileOthersSwitch: CLIENT LIST and CLIENT KILL USER read
// what other connections change about themselves (protocol, user,
// database) while they change it; under -race this checks those reads.
func TestClientListWhileOthersSwitch(t *testing.T) {
	srv := servertest.Start(t)
	lister := redis.NewClient(&redis.Options{Addr: srv.Addr()})
	t.Cleanup(func() { _ = lister.Close() })
	done := make(chan struct{})
	go func() {
		defer close(done)
		r := dialRESP(t, srv.Addr())
		for i := 0; i < 200; i++ {
			if reply := r.do(1, "HELLO", []string{"2", "3"}[i%2], "AUTH", "default", "x"); reply[0] == '-' {
				t.Errorf("HELLO: %q", reply)
				return
			}
			if reply := r.do(1, "SELECT", []string{"1", "0"}[i%2]); reply != "+OK\r\n" {
				t.Errorf("SELECT: %q", reply)
				return
			}
		}
	}()
	for running := true; running; {
		select {
		case <-done:
			running = false
		default:
		}
		list, err := lister.ClientList(ctx).Result()
		require.NoError(t, err)
		require.Contains(t, list, "user=default")
		killed, err := lister.Do(ctx, "CLIENT", "KILL", "USER", "default", "ID", "999999").Int()
		require.NoError(t, err)
		require.Zero(t, killed)
	}
}
