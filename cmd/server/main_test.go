package main

import (
	"bufio"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// The test binary doubles as the server binary: with KIOKU_RUN_MAIN set it
// runs main's logic on its arguments, so these tests exercise the real
// command line, exit codes and signals without a separate build.
func TestMain(m *testing.M) {
	if os.Getenv("KIOKU_RUN_MAIN") == "1" {
		os.Exit(run(os.Args[1:]))
	}
	// Servers run in a directory of their own: with the default `dir`
	// (the working directory) and save points, a SIGTERM saves dump.rdb
	// there, and the next server would load it.
	dir, err := os.MkdirTemp("", "kioku-cmd-test-")
	if err != nil {
		panic(err)
	}
	workDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

var workDir string

func serverCmd(args ...string) *exec.Cmd {
	self, err := os.Executable()
	if err != nil {
		self = os.Args[0]
	}
	cmd := exec.Command(self, args...)
	cmd.Env = append(os.Environ(), "KIOKU_RUN_MAIN=1")
	cmd.Dir = workDir
	return cmd
}

func freePort(t *testing.T) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func TestVersionAndHelp(t *testing.T) {
	out, err := serverCmd("--version").Output()
	require.NoError(t, err)
	require.Contains(t, string(out), "v=7.0.15")
	// As redis-server: usage on stderr, exit status 1.
	cmd := serverCmd("--help")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	err = cmd.Run()
	var exitErr *exec.ExitError
	require.ErrorAs(t, err, &exitErr)
	require.Equal(t, 1, exitErr.ExitCode())
	require.Contains(t, stderr.String(), "Usage")
}

func TestBadOptionExitsWithOne(t *testing.T) {
	for _, args := range [][]string{{"--port", "abc"}, {"--no-such-option", "1"}, {"/no/such/file.conf"}} {
		cmd := serverCmd(args...)
		out, err := cmd.CombinedOutput()
		var exitErr *exec.ExitError
		require.ErrorAs(t, err, &exitErr, "%v: %s", args, out)
		require.Equal(t, 1, exitErr.ExitCode(), "%v", args)
		require.NotEmpty(t, strings.TrimSpace(string(out)))
	}
}

func TestServesAndStopsOnSIGTERM(t *testing.T) {
	port := freePort(t)
	cmd := serverCmd("--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--requirepass", "pw")
	require.NoError(t, cmd.Start())
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	defer func() { _ = cmd.Process.Kill() }()

	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	var conn net.Conn
	require.Eventually(t, func() bool {
		var err error
		conn, err = net.Dial("tcp", addr)
		return err == nil
	}, 10*time.Second, 20*time.Millisecond)
	defer conn.Close()
	rd := bufio.NewReader(conn)
	ask := func(req string) string {
		_, err := conn.Write([]byte(req))
		require.NoError(t, err)
		line, err := rd.ReadString('\n')
		require.NoError(t, err)
		return strings.TrimSpace(line)
	}
	require.Equal(t, "-NOAUTH Authentication required.", ask("PING\r\n"))
	require.Equal(t, "+OK", ask("AUTH pw\r\n"))
	require.Equal(t, "+PONG", ask("PING\r\n"))

	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	select {
	case err := <-done:
		require.NoError(t, err, "clean exit on SIGTERM")
	case <-time.After(10 * time.Second):
		t.Fatal("server did not exit on SIGTERM")
	}
}
