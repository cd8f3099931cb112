package config

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The differential tests run the reference redis-server (Redis 7.0.15)
// side by side with the registry. They are skipped when the binary is
// missing and in -short mode.

const redisBin = "/usr/bin/redis-server"

func needRedis(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("differential test against redis-server skipped in -short mode")
	}
	if _, err := exec.LookPath(redisBin); err != nil {
		t.Skip("redis-server not installed")
	}
}

// freePort asks the kernel for an unused loopback port.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

type redisConn struct {
	c  net.Conn
	rd *bufio.Reader
}

// startRedis runs redis-server with args plus a private loopback port, and
// returns a connection. The server is stopped when the test ends. extra
// must not contain --port or --bind; they are returned so the registry
// can be built from the very same command line.
func startRedis(t *testing.T, dir string, extra ...string) (*redisConn, []string) {
	t.Helper()
	needRedis(t)
	port := freePort(t)
	args := append([]string{}, extra...)
	args = append(args, "--port", strconv.Itoa(port), "--bind", "127.0.0.1")
	cmd := exec.Command(redisBin, args...)
	cmd.Dir = dir
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatalf("start redis-server: %v", err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	deadline := time.Now().Add(5 * time.Second)
	for {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			t.Cleanup(func() { c.Close() })
			return &redisConn{c: c, rd: bufio.NewReader(c)}, args
		}
		if time.Now().After(deadline) {
			t.Fatalf("redis-server did not start: %v\n%s", err, out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// do sends a command and returns the reply; error replies come back as
// errors carrying the text after '-'.
func (r *redisConn) do(t *testing.T, args ...string) (any, error) {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	_ = r.c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := r.c.Write([]byte(b.String())); err != nil {
		t.Fatal(err)
	}
	v, err := readReply(r.rd)
	if err != nil {
		t.Fatal(err)
	}
	if e, ok := v.(replyError); ok {
		return nil, errors.New(string(e))
	}
	return v, nil
}

// getAll returns CONFIG GET <pattern...> as a map.
func (r *redisConn) getAll(t *testing.T, patterns ...string) map[string]string {
	t.Helper()
	v, err := r.do(t, append([]string{"CONFIG", "GET"}, patterns...)...)
	if err != nil {
		t.Fatal(err)
	}
	arr := v.([]any)
	m := make(map[string]string, len(arr)/2)
	for i := 0; i+1 < len(arr); i += 2 {
		m[arr[i].(string)] = arr[i+1].(string)
	}
	return m
}

type replyError string

func readReply(rd *bufio.Reader) (any, error) {
	line, err := rd.ReadString('\n')
	if err != nil {
		return nil, err
	}
	line = strings.TrimSuffix(line, "\r\n")
	if line == "" {
		return nil, errors.New("empty reply line")
	}
	switch line[0] {
	case '+':
		return line[1:], nil
	case '-':
		return replyError(line[1:]), nil
	case ':':
		return strconv.ParseInt(line[1:], 10, 64)
	case '$':
		n, _ := strconv.Atoi(line[1:])
		if n < 0 {
			return nil, nil
		}
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(rd, buf); err != nil {
			return nil, err
		}
		return string(buf[:n]), nil
	case '*':
		n, _ := strconv.Atoi(line[1:])
		out := make([]any, 0, max(n, 0))
		for i := 0; i < n; i++ {
			v, err := readReply(rd)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	}
	return nil, fmt.Errorf("unexpected reply %q", line)
}

// runRedisArgs runs redis-server with args to completion (it is expected
// to reject its configuration) and returns stdout, stderr and exit code.
func runRedisArgs(t *testing.T, dir string, stdin string, args ...string) (string, string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, redisBin, args...)
	cmd.Dir = dir
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("redis-server %q did not exit (it accepted the configuration?)", args)
	}
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return stdout.String(), stderr.String(), code
}
