package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// The three servers being compared, in table order.
const (
	peerKioku     = "kioku"
	peerRedis     = "redis"
	peerMiniredis = "miniredis"
)

var allPeers = []string{peerKioku, peerRedis, peerMiniredis}

func isPeer(name string) bool {
	for _, p := range allPeers {
		if p == name {
			return true
		}
	}
	return false
}

// readyTimeout bounds how long a freshly started server may take to answer
// PING before we give up on it.
const readyTimeout = 15 * time.Second

// env is what every measurement needs: where the binaries are and a scratch
// directory for server logs and the Kioku build.
type env struct {
	tmpDir         string
	kiokuBin       string
	redisServer    string
	redisBenchmark string
	self           string // this binary, re-executed to serve miniredis
}

// prepare checks the external tools, builds Kioku and creates the temp dir.
func prepare(ctx context.Context, cfg *config) (*env, error) {
	tmp, err := os.MkdirTemp("", "kioku-bench-")
	if err != nil {
		return nil, err
	}
	e := &env{tmpDir: tmp, redisServer: cfg.redisServer, redisBenchmark: cfg.redisBenchmark}
	if err := e.locateBinaries(ctx, cfg); err != nil {
		e.cleanup()
		return nil, err
	}
	return e, nil
}

func (e *env) cleanup() { os.RemoveAll(e.tmpDir) }

func (e *env) locateBinaries(ctx context.Context, cfg *config) error {
	if cfg.measure["throughput"] || cfg.measure[testAOFEverysec] || cfg.measure[testAOFAlways] {
		if err := mustBeExecutable("redis-benchmark", e.redisBenchmark); err != nil {
			return err
		}
	}
	wants := map[string]bool{}
	for _, p := range cfg.peers {
		wants[p] = true
	}
	if wants[peerRedis] {
		if err := mustBeExecutable("redis-server", e.redisServer); err != nil {
			return err
		}
	}
	if wants[peerMiniredis] {
		self, err := os.Executable()
		if err != nil {
			return fmt.Errorf("cannot find own executable to serve miniredis: %v", err)
		}
		e.self = self
	}
	if wants[peerKioku] {
		return e.provideKioku(ctx, cfg.kiokuBin)
	}
	return nil
}

func mustBeExecutable(what, path string) error {
	st, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("%s not found at %s (set -%s): %v", what, path, what, err)
	}
	if st.IsDir() || st.Mode()&0o111 == 0 {
		return fmt.Errorf("%s at %s is not an executable file", what, path)
	}
	return nil
}

// provideKioku uses a prebuilt binary if given, else builds ./cmd/server.
func (e *env) provideKioku(ctx context.Context, prebuilt string) error {
	if prebuilt != "" {
		e.kiokuBin = prebuilt
		return mustBeExecutable("kioku-bin", prebuilt)
	}
	root, err := moduleRoot()
	if err != nil {
		return err
	}
	e.kiokuBin = filepath.Join(e.tmpDir, "kioku-server")
	logf("building Kioku: go build -o %s ./cmd/server (in %s)", e.kiokuBin, root)
	cmd := exec.CommandContext(ctx, "go", "build", "-o", e.kiokuBin, "./cmd/server")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("building Kioku (./cmd/server) failed: %v\n%s\n"+
			"(use -only redis,miniredis to skip Kioku, or -kioku-bin to use a prebuilt binary)",
			err, strings.TrimSpace(string(out)))
	}
	return nil
}

// moduleRoot walks up from the working directory to the Kioku go.mod, so the
// harness works when started from any directory inside the repository.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		data, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && strings.Contains(string(data), "module github.com/kioku-db/kioku") {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("cannot find the Kioku go.mod above the working directory; run from the repository root")
		}
		dir = parent
	}
}

// option is one redis.conf parameter given on the command line as
// --name value.
type option struct{ name, value string }

// serverArgs is the command line for one peer listening on port. opts
// replace the defaults of the same name (save, appendonly) or are added
// after them; miniredis, which has no configuration, ignores them.
func (e *env) serverArgs(peer string, port int, opts ...option) []string {
	p := strconv.Itoa(port)
	var argv []string
	defaults := []option{{"save", ""}, {"appendonly", "no"}}
	switch peer {
	case peerRedis:
		argv = []string{e.redisServer, "--port", p, "--bind", "127.0.0.1"}
		defaults = append(defaults, option{"daemonize", "no"})
	case peerKioku:
		argv = []string{e.kiokuBin, "--port", p, "--bind", "127.0.0.1"}
	default:
		return []string{e.self, serveMiniredisArg, "-addr", "127.0.0.1:" + p}
	}
	for _, d := range defaults {
		if !slices.ContainsFunc(opts, func(o option) bool { return o.name == d.name }) {
			argv = append(argv, "--"+d.name, d.value)
		}
	}
	for _, o := range opts {
		argv = append(argv, "--"+o.name, o.value)
	}
	return argv
}

// server is one running peer process.
type server struct {
	peer    string
	port    int
	cmd     *exec.Cmd
	logPath string
	exited  chan struct{} // closed once the process has been reaped
	once    sync.Once
}

func (s *server) addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port)) }

func (s *server) pid() int { return s.cmd.Process.Pid }

// startServer launches a fresh peer process and waits until it answers PING.
// The caller must call stop.
func startServer(ctx context.Context, e *env, peer string) (*server, error) {
	return startServerIn(ctx, e, peer, e.tmpDir)
}

// startServerIn is startServer with the process running in dir and extra
// configuration options (a persistence benchmark passes --dir dir and its
// appendonly settings).
func startServerIn(ctx context.Context, e *env, peer, dir string, opts ...option) (*server, error) {
	s, err := newServer(e, peer)
	if err != nil {
		return nil, err
	}
	if err := s.launch(e.serverArgs(peer, s.port, opts...), dir); err != nil {
		return nil, fmt.Errorf("%s: cannot start: %v", peer, err)
	}
	if err := s.waitReady(ctx); err != nil {
		s.stop()
		return nil, fmt.Errorf("%s did not start: %v\n--- last lines of its log ---\n%s", peer, err, s.logTail())
	}
	logf("%s up on %s (pid %d)", peer, s.addr(), s.pid())
	return s, nil
}

// newServer picks a free port and a log file for a peer not yet launched.
func newServer(e *env, peer string) (*server, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	return &server{peer: peer, port: port, exited: make(chan struct{}),
		logPath: filepath.Join(e.tmpDir, fmt.Sprintf("%s-%d.log", peer, port))}, nil
}

func (s *server) launch(argv []string, dir string) error {
	logFile, err := os.Create(s.logPath)
	if err != nil {
		return err
	}
	defer logFile.Close() // the child keeps its own copy of the descriptor
	s.cmd = exec.Command(argv[0], argv[1:]...)
	s.cmd.Dir = dir // nothing should be written, but if it is, not into the repo
	s.cmd.Stdout, s.cmd.Stderr = logFile, logFile
	s.cmd.SysProcAttr = childProcAttr()
	if err := s.cmd.Start(); err != nil {
		return err
	}
	go func() {
		s.cmd.Wait()
		close(s.exited)
	}()
	return nil
}

// waitReady polls with PING until +PONG, the process dies, or time runs out.
func (s *server) waitReady(ctx context.Context) error {
	deadline := time.Now().Add(readyTimeout)
	var lastErr error
	for time.Now().Before(deadline) {
		if lastErr = pingOnce(ctx, s.addr()); lastErr == nil {
			return nil
		}
		select {
		case <-s.exited:
			return fmt.Errorf("process exited (%v)", s.cmd.ProcessState)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	return fmt.Errorf("no PONG within %v: %v", readyTimeout, lastErr)
}

func pingOnce(ctx context.Context, addr string) error {
	c, err := dialRESP(ctx, addr)
	if err != nil {
		return err
	}
	defer c.close()
	reply, err := c.do("PING")
	if err != nil {
		return err
	}
	if reply.str != "PONG" {
		return fmt.Errorf("PING answered %q", reply.String())
	}
	return nil
}

// alive reports whether the process is still running.
func (s *server) alive() bool {
	select {
	case <-s.exited:
		return false
	default:
		return true
	}
}

// stop kills the server's whole process group and reaps it. Safe to call
// more than once.
func (s *server) stop() {
	s.once.Do(func() {
		killGroup(s.cmd.Process.Pid)
		select {
		case <-s.exited:
		case <-time.After(5 * time.Second):
			logf("warning: %s (pid %d) did not exit after SIGKILL", s.peer, s.pid())
		}
	})
}

// logTail returns the last lines of the server's stdout/stderr, to explain
// why it failed.
func (s *server) logTail() string {
	data, err := os.ReadFile(s.logPath)
	if err != nil {
		return "(no log: " + err.Error() + ")"
	}
	text := strings.TrimRight(string(data), "\n")
	if text == "" {
		return "(log is empty)"
	}
	lines := strings.Split(text, "\n")
	if len(lines) > 20 {
		lines = lines[len(lines)-20:]
	}
	return strings.Join(lines, "\n")
}

// freePort asks the kernel for an unused loopback port. Another process
// could grab it before the server binds, but then the server fails to start
// and we say so.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// killGroup SIGKILLs the process group led by pid (children are started with
// Setpgid, so this also takes down anything the server itself spawned).
func killGroup(pid int) {
	if err := syscall.Kill(-pid, syscall.SIGKILL); err != nil {
		syscall.Kill(pid, syscall.SIGKILL)
	}
}
