// Package server is the embeddable Kioku server: listeners, client
// connections, the command table and the command families.
package server

import (
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kioku-db/kioku/server/config"
	"github.com/kioku-db/kioku/store"
)

// defaultMaxReplyBytes caps the replies of a pipeline batch in memory: far
// above any sane reply, far below exhausting the machine.
const defaultMaxReplyBytes = 1 << 30

// Versions. Kioku answers as the Redis release whose behaviour it matches.
const (
	RedisVersion = "7.0.15"
	KiokuVersion = "0.1.0"
)

// Config configures an embedded server.
type Config struct {
	// Addr is the TCP listen address, e.g. "127.0.0.1:0" for a free port.
	// When empty, the "bind" and "port" options decide.
	Addr string
	// Options are redis.conf parameters by name ("requirepass", "databases",
	// "maxmemory", ...), applied over Redis's defaults.
	Options map[string]string
	// Registry, when set, is used instead of a new one built from Options
	// (cmd/server parses the command line and config file into it).
	Registry *config.Registry
	// Clock, when set, is the server's clock; tests move it.
	Clock *store.Clock
	// Log receives the server log; nil discards it.
	Log io.Writer
}

// Server is a running (or ready to run) Kioku server.
type Server struct {
	cfg    *config.Registry
	store  *store.Store
	clock  *store.Clock
	logger *log.Logger
	addr   string

	mu           sync.Mutex
	ln           net.Listener
	clients      map[int64]*Client
	closing      bool
	wg           sync.WaitGroup
	quit         chan struct{}
	closeErr     error
	shutdownOnce sync.Once

	nextClientID atomic.Int64
	startTime    time.Time
	stats        serverStats
	blocking     blockRegistry
	pause        pauseState
	// maxReplyBytes bounds one pending reply (see resp.Writer.Limit).
	maxReplyBytes int
	watches       watchRegistry
	pubsub        pubsubState
	scripting     scriptState    // cmd_script.go
	cmdStats      []commandStats // by Command.idx
	requirePass   atomic.Pointer[string]
	debugEnabled  atomic.Bool
	// activeExpireDisabled is DEBUG SET-ACTIVE-EXPIRE 0.
	activeExpireDisabled atomic.Bool
	mem                  memoryState  // maxmemory and eviction (evict.go)
	persist              persistState // RDB snapshots and loading (rdb.go)
	aof                  aofState     // the append-only file (aof.go)
}

// New builds a server from cfg without starting it.
func New(cfg Config) (*Server, error) {
	reg := cfg.Registry
	if reg == nil {
		reg = config.New()
		// Options are startup values, as if read from a config file: the
		// immutable parameters (databases, enable-debug-command) are
		// settable here, unlike with CONFIG SET.
		if err := reg.LoadString(optionsAsConfigFile(cfg.Options)); err != nil {
			return nil, err
		}
	}
	clock := cfg.Clock
	if clock == nil {
		clock = store.NewClock()
	}
	out := cfg.Log
	if out == nil {
		out = io.Discard
	}
	s := &Server{
		cfg:           reg,
		clock:         clock,
		logger:        log.New(out, "", 0),
		clients:       make(map[int64]*Client),
		quit:          make(chan struct{}),
		cmdStats:      make([]commandStats, table.count),
		maxReplyBytes: defaultMaxReplyBytes,
	}
	s.store = store.New(int(reg.Int("databases")), clock)
	s.store.Hooks.Modified = s.onKeyModified
	s.addr = cfg.Addr
	if s.addr == "" {
		s.addr = net.JoinHostPort(firstBind(reg.String("bind")), strconv.FormatInt(reg.Int("port"), 10))
	}
	s.watchConfig()
	s.initPubSub()
	s.initMemory()
	s.initPersistence()
	s.initAOF() // after the store hooks it chains (aof.go)
	return s, nil
}

// optionsAsConfigFile renders options as redis.conf lines, quoting values
// so that any bytes survive the config parser.
func optionsAsConfigFile(opts map[string]string) string {
	names := make([]string, 0, len(opts))
	for k := range opts {
		names = append(names, k)
	}
	sort.Strings(names)
	var b strings.Builder
	for _, k := range names {
		b.WriteString(k)
		fields := splitFields(opts[k])
		if len(fields) == 0 {
			fields = []string{""}
		}
		for _, f := range fields {
			b.WriteByte(' ')
			b.WriteString(config.Repr(f))
		}
		b.WriteByte('\n')
	}
	return b.String()
}

func firstBind(bind string) string {
	for _, f := range splitFields(bind) {
		// "-::*" style optional addresses: take the first usable one.
		if f[0] == '-' {
			f = f[1:]
		}
		if f == "*" {
			return ""
		}
		return f
	}
	return ""
}

// onKeyModified is the store's hook for every write to a key: it breaks
// the WATCHes on the key and wakes the clients blocked on it.
func (s *Server) onKeyModified(db *store.DB, key string) {
	s.watches.touched(db, key)
	s.keyModified(db, key)
}

// watchConfig keeps cached copies of hot parameters in step with CONFIG SET.
func (s *Server) watchConfig() {
	setPass := func(v string) error {
		if v == "" {
			s.requirePass.Store(nil)
		} else {
			s.requirePass.Store(&v)
		}
		return nil
	}
	_ = setPass(s.cfg.String("requirepass"))
	s.cfg.OnApply("requirepass", setPass)
	setDebug := func(v string) error {
		s.debugEnabled.Store(v == "yes")
		return nil
	}
	_ = setDebug(s.cfg.String("enable-debug-command"))
	s.cfg.OnApply("enable-debug-command", setDebug)
	setAccess := func(string) error {
		s.store.SetAccessPolicy(store.AccessPolicy{
			LFU:       strings.HasSuffix(s.cfg.String("maxmemory-policy"), "-lfu"),
			LogFactor: s.cfg.Int("lfu-log-factor"),
			DecayTime: s.cfg.Int("lfu-decay-time"),
		})
		return nil
	}
	_ = setAccess("")
	for _, name := range []string{"maxmemory-policy", "lfu-log-factor", "lfu-decay-time"} {
		s.cfg.OnApply(name, setAccess)
	}
}

// Start listens and serves in the background.
func (s *Server) Start() error {
	// Like Redis, the dataset is loaded before clients are accepted.
	if err := s.loadDataAtStartup(); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", s.addr)
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.ln = ln
	s.addr = ln.Addr().String()
	s.startTime = time.Now()
	s.mu.Unlock()
	s.wg.Add(2)
	go s.acceptLoop(ln)
	go s.cron()
	s.logger.Printf("Ready to accept connections tcp on %s", s.addr)
	return nil
}

// Addr is the address the server listens on (with the real port after
// Start when the configured port was 0).
func (s *Server) Addr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addr
}

// Store exposes the keyspace (for tests and tools in this module).
func (s *Server) Store() *store.Store { return s.store }

// Clock is the server's clock.
func (s *Server) Clock() *store.Clock { return s.clock }

// Config is the server's configuration registry.
func (s *Server) Config() *config.Registry { return s.cfg }

// Close stops listening, disconnects every client and waits for every
// goroutine the server started.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		s.wg.Wait()
		return nil
	}
	s.closing = true
	ln := s.ln
	clients := make([]*Client, 0, len(s.clients))
	for _, c := range s.clients {
		clients = append(clients, c)
	}
	s.mu.Unlock()
	close(s.quit)
	var err error
	if ln != nil {
		err = ln.Close()
	}
	for _, c := range clients {
		c.kill()
	}
	s.wg.Wait()
	s.closeAOF() // write and fsync what was appended (aof.go)
	return err
}

// shutdownAsync closes the server from one of its own goroutines (SHUTDOWN):
// Close waits for every client goroutine, the caller's included, so it runs
// apart.
func (s *Server) shutdownAsync() {
	s.shutdownOnce.Do(func() { go s.Close() })
}

// Done is closed when the server is shutting down (SHUTDOWN or Close).
func (s *Server) Done() <-chan struct{} { return s.quit }

func (s *Server) acceptLoop(ln net.Listener) {
	defer s.wg.Done()
	for {
		nc, err := ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			select {
			case <-s.quit:
				return
			default:
			}
			s.logger.Printf("accept: %v", err)
			time.Sleep(10 * time.Millisecond)
			continue
		}
		s.serveConn(nc)
	}
}

func (s *Server) serveConn(nc net.Conn) {
	if tc, ok := nc.(*net.TCPConn); ok {
		_ = tc.SetNoDelay(true)
	}
	if s.protectedModeDenies(nc.RemoteAddr().String()) {
		_, _ = nc.Write([]byte(errProtectedMode))
		nc.Close()
		return
	}
	c := newClient(s, nc)
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		nc.Close()
		return
	}
	if max := s.cfg.Int("maxclients"); int64(len(s.clients)) >= max {
		s.mu.Unlock()
		s.stats.rejectedConns.Add(1)
		_, _ = nc.Write([]byte("-ERR max number of clients reached\r\n"))
		nc.Close()
		return
	}
	s.clients[c.id] = c
	s.stats.totalConns.Add(1)
	s.wg.Add(1)
	s.mu.Unlock()
	go func() {
		defer s.wg.Done()
		c.serve()
		s.mu.Lock()
		delete(s.clients, c.id)
		s.mu.Unlock()
	}()
}

// protectedModeDenies applies protected-mode: with no password set, only
// loopback clients may connect (the default config listens on every
// interface).
func (s *Server) protectedModeDenies(remote string) bool {
	return s.cfg.Bool("protected-mode") && s.requirePass.Load() == nil && !isLocalAddr(remote)
}

// clientList returns a snapshot of the connected clients ordered by id.
func (s *Server) clientList() []*Client {
	s.mu.Lock()
	list := make([]*Client, 0, len(s.clients))
	for _, c := range s.clients {
		list = append(list, c)
	}
	s.mu.Unlock()
	sortClients(list)
	return list
}

func (s *Server) clientByID(id int64) *Client {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.clients[id]
}

// cron runs the periodic tasks of Redis's serverCron at `hz` times a second:
// active expiry and idle-client timeouts.
func (s *Server) cron() {
	defer s.wg.Done()
	for {
		hz := s.cfg.Int("hz")
		if hz < 1 {
			hz = 1
		}
		period := time.Second / time.Duration(hz)
		select {
		case <-s.quit:
			return
		case <-time.After(period):
		}
		s.stats.opsRate.sample(s.stats.commands.Load(), time.Now())
		if s.activeExpireEnabled() {
			s.store.ActiveExpireCycle(period)
		}
		s.closeIdleClients()
		s.persistenceCron()
		s.aofCron() // scheduled and automatic AOF rewrites (aof.go)
	}
}

func (s *Server) closeIdleClients() {
	timeout := s.cfg.Int("timeout")
	if timeout <= 0 {
		return
	}
	now := time.Now().Unix()
	for _, c := range s.clientList() {
		if now-c.lastInteraction.Load() > timeout && !c.isBlockedOrSubscribed() {
			c.kill()
		}
	}
}

// ListenAndServe starts the server and blocks until it is closed.
func (s *Server) ListenAndServe() error {
	if err := s.Start(); err != nil {
		return err
	}
	<-s.quit
	s.wg.Wait()
	return s.closeErr
}

func (s *Server) logf(format string, args ...any) { s.logger.Printf(format, args...) }

// pid is cached: INFO asks for it on every call.
var pid = os.Getpid()

func splitFields(s string) []string {
	var out []string
	start := -1
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == ' ' || s[i] == '\t' {
			if start >= 0 {
				out = append(out, s[start:i])
				start = -1
			}
			continue
		}
		if start < 0 {
			start = i
		}
	}
	return out
}

var _ = fmt.Sprintf
