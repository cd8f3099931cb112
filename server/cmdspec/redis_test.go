package cmdspec

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/kioku-db/kioku/server/cmdspec/internal/respval"
)

const redisServer = "/usr/bin/redis-server"

// redisAddr is the loopback address of the reference redis-server that
// TestMain starts when one is installed ("" otherwise).
var redisAddr string

func TestMain(m *testing.M) {
	stop := startRedis()
	code := m.Run()
	stop()
	os.Exit(code)
}

// startRedis starts the reference server with Redis's defaults and no
// persistence on a free loopback port, and returns how to stop it.
func startRedis() (stop func()) {
	if _, err := os.Stat(redisServer); err != nil {
		return func() {}
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return func() {}
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	dir, err := os.MkdirTemp("", "cmdspec-test")
	if err != nil {
		return func() {}
	}
	cmd := exec.Command(redisServer, "--port", strconv.Itoa(port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--dir", dir)
	if err := cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return func() {}
	}
	stop = func() {
		cmd.Process.Kill()
		cmd.Wait()
		os.RemoveAll(dir)
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			redisAddr = addr
			return stop
		}
	}
	stop()
	return func() {}
}

// redisConn is a raw connection to the reference server.
type redisConn struct {
	t    *testing.T
	conn net.Conn
	r    *bufio.Reader
	raw  bytes.Buffer // what the server sent for the last command
}

// dialRedis connects in RESP2 or, with proto 3, after HELLO 3. It skips the
// test when no reference server runs.
func dialRedis(t *testing.T, proto int) *redisConn {
	t.Helper()
	if redisAddr == "" {
		t.Skip("no " + redisServer)
	}
	conn, err := net.Dial("tcp", redisAddr)
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close() })
	c := &redisConn{t: t, conn: conn}
	c.r = bufio.NewReaderSize(io.TeeReader(conn, &c.raw), 1<<16)
	if proto == 3 {
		c.do("HELLO", "3")
	}
	return c
}

// do sends a command and returns its reply.
func (c *redisConn) do(args ...string) respval.Value {
	c.t.Helper()
	v, _ := c.doRaw(args...)
	return v
}

// doRaw sends a command and returns its reply, parsed and as the exact
// bytes received.
func (c *redisConn) doRaw(args ...string) (respval.Value, []byte) {
	c.t.Helper()
	c.raw.Reset()
	var b []byte
	b = append(b, '*')
	b = strconv.AppendInt(b, int64(len(args)), 10)
	b = append(b, "\r\n"...)
	for _, a := range args {
		b = append(b, '$')
		b = strconv.AppendInt(b, int64(len(a)), 10)
		b = append(b, "\r\n"...)
		b = append(b, a...)
		b = append(b, "\r\n"...)
	}
	_, err := c.conn.Write(b)
	require.NoError(c.t, err)
	v, err := respval.Read(c.r)
	require.NoError(c.t, err)
	require.Zero(c.t, c.r.Buffered(), "bytes after the reply")
	raw := bytes.Clone(c.raw.Bytes())
	require.Equal(c.t, string(raw), string(v.Encode(nil)), "respval must re-encode losslessly")
	return v, raw
}
