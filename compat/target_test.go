package compat

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// target is one server under test, reached over TCP on loopback.
type target struct {
	name string
	addr string
	// fastForward moves the server's notion of time forward (for Kioku its
	// clock; for redis-server an emulation that shortens every TTL).
	fastForward func(time.Duration)
	// stop shuts the server down as a kill would (no final save), for
	// tests that restart a server on its files.
	stop func()

	mu       sync.Mutex
	commands map[string]bool // cache for hasCommand
}

// option is a redis.conf parameter passed at startup to both servers.
type option struct{ name, value string }

func opt(name, value string) option { return option{name, value} }

const redisServerBin = "/usr/bin/redis-server"

func redisBinary() string {
	if p := os.Getenv("REDIS_SERVER"); p != "" {
		return p
	}
	if p, err := exec.LookPath("redis-server"); err == nil {
		return p
	}
	return redisServerBin
}

// startRedis starts a real redis-server on a free loopback port, stopped by
// t.Cleanup. The test is skipped when the binary is absent.
func startRedis(t testing.TB, opts ...option) *target {
	t.Helper()
	bin := redisBinary()
	if _, err := os.Stat(bin); err != nil {
		t.Skipf("redis-server not available (%v): the differential tests need the reference server", err)
	}
	var lastErr error
	for attempt := 0; attempt < 5; attempt++ {
		tg, err := tryStartRedis(t, bin, opts)
		if err == nil {
			return tg
		}
		lastErr = err
	}
	t.Fatalf("starting redis-server: %v", lastErr)
	return nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func tryStartRedis(t testing.TB, bin string, opts []option) (*target, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	dir := t.TempDir()
	args := []string{
		"--port", strconv.Itoa(port),
		"--bind", "127.0.0.1",
		"--save", "",
		"--appendonly", "no",
		"--enable-debug-command", "local",
		"--dir", dir,
		"--daemonize", "no",
		"--logfile", filepath.Join(dir, "redis.log"),
	}
	for _, o := range opts {
		args = append(args, "--"+o.name, o.value)
	}
	cmd := exec.Command(bin, args...)
	cmd.SysProcAttr = serverProcAttr()
	var stderr bytes.Buffer
	cmd.Stdout = &stderr
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	var stopOnce sync.Once
	stop := func() {
		// Once: a test may stop the server itself before the cleanup does.
		stopOnce.Do(func() {
			_ = cmd.Process.Signal(syscall.SIGTERM)
			select {
			case <-exited:
			case <-time.After(3 * time.Second):
				_ = cmd.Process.Kill()
				<-exited
			}
		})
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	deadline := time.Now().Add(10 * time.Second)
	for {
		select {
		case err := <-exited:
			log, _ := os.ReadFile(filepath.Join(dir, "redis.log"))
			return nil, fmt.Errorf("redis-server exited (%v): %s %s", err, stderr.String(), lastLines(string(log), 5))
		default:
		}
		if c, err := dialResp(addr); err == nil {
			_, v, err := c.do("PING")
			c.Close()
			// With requirepass PING answers NOAUTH, which still means ready.
			if err == nil && (v.kind == '+' || strings.HasPrefix(v.str, "NOAUTH")) {
				break
			}
		}
		if time.Now().After(deadline) {
			stop()
			return nil, fmt.Errorf("redis-server on %s not ready after 10s", addr)
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Cleanup(stop)
	tg := &target{name: "redis", addr: addr, stop: stop}
	var password string
	for _, o := range opts {
		if o.name == "requirepass" {
			password = o.value
		}
	}
	tg.fastForward = func(d time.Duration) { redisFastForward(t, addr, password, d) }
	return tg, nil
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// redisFastForward emulates moving redis-server's clock forward by d: every
// key with a TTL in every database gets its TTL shortened by d, or is
// deleted when that crosses zero. The server's clock does not move, so only
// TTL-driven behaviour is emulated (enough for the seed patterns).
func redisFastForward(t testing.TB, addr, password string, d time.Duration) {
	t.Helper()
	c, err := dialResp(addr)
	if err != nil {
		t.Fatalf("fast-forward: %v", err)
	}
	defer c.Close()
	must := func(args ...string) *value {
		_, v, err := c.do(args...)
		if err != nil {
			t.Fatalf("fast-forward %v: %v", args, err)
		}
		if v.kind == '-' {
			t.Fatalf("fast-forward %v: %s", args, v.str)
		}
		return v
	}
	if password != "" {
		must("AUTH", password)
	}
	// One Lua script per database keeps each shift atomic.
	const script = `
local cursor = "0"
repeat
  local r = redis.call("SCAN", cursor, "COUNT", 1000)
  cursor = r[1]
  for _, k in ipairs(r[2]) do
    local ttl = redis.call("PTTL", k)
    if ttl >= 0 then
      if ttl - tonumber(ARGV[1]) <= 0 then
        redis.call("DEL", k)
      else
        redis.call("PEXPIRE", k, ttl - tonumber(ARGV[1]))
      end
    end
  end
until cursor == "0"
return 0`
	dbs := must("CONFIG", "GET", "databases")
	n, _ := strconv.Atoi(dbs.elems[1].str)
	for db := 0; db < n; db++ {
		must("SELECT", strconv.Itoa(db))
		must("EVAL", script, "0", strconv.FormatInt(d.Milliseconds(), 10))
	}
}

// hasCommand reports whether the target knows the command (COMMAND INFO,
// falling back to the unknown-command error when COMMAND INFO itself is
// missing).
func (tg *target) hasCommand(t testing.TB, name string) bool {
	t.Helper()
	name = strings.ToLower(name)
	tg.mu.Lock()
	defer tg.mu.Unlock()
	if has, ok := tg.commands[name]; ok {
		return has
	}
	c, err := dialResp(tg.addr)
	if err != nil {
		t.Fatalf("%s: %v", tg.name, err)
	}
	defer c.Close()
	has := false
	_, v, err := c.do("COMMAND", "INFO", name)
	switch {
	case err != nil:
		t.Fatalf("%s: COMMAND INFO %s: %v", tg.name, name, err)
	case v.kind == '*' && len(v.elems) == 1:
		has = !v.elems[0].null && v.elems[0].kind != '_'
	default:
		_, v, err = c.do(name)
		if err != nil {
			t.Fatalf("%s: %s: %v", tg.name, name, err)
		}
		has = !(v.kind == '-' && strings.HasPrefix(v.str, "ERR unknown command"))
	}
	if tg.commands == nil {
		tg.commands = map[string]bool{}
	}
	tg.commands[name] = has
	return has
}

// startPair starts the reference redis-server and the server under test
// with the same startup options.
func startPair(t testing.TB, opts ...option) (ref, sut *target) {
	t.Helper()
	return startRedis(t, opts...), startKioku(t, opts...)
}
