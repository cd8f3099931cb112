// Package servertest starts a real Kioku server inside a Go test: on a free
// loopback port, closed by t.Cleanup, with a clock the test can move so TTL
// tests need no sleeping.
package servertest

import (
	"os"
	"testing"
	"time"

	"github.com/kioku-db/kioku/server"
	"github.com/kioku-db/kioku/store"
)

// Server is a running test server.
type Server struct {
	*server.Server
	clock   *store.Clock
	tempDir string
}

// Option adjusts the configuration before the server starts.
type Option func(*server.Config)

// WithOption sets a redis.conf parameter ("requirepass", "databases", ...).
func WithOption(name, value string) Option {
	return func(c *server.Config) {
		if c.Options == nil {
			c.Options = map[string]string{}
		}
		c.Options[name] = value
	}
}

// Start runs a server on 127.0.0.1 with a free port and closes it when the
// test ends. DEBUG is enabled for local connections, as tests use it.
func Start(t testing.TB, opts ...Option) *Server {
	t.Helper()
	s, err := New(opts...)
	if err != nil {
		t.Fatalf("servertest: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// Close stops the server and removes the data directory servertest made
// for it (none when the "dir" option was given).
func (s *Server) Close() error {
	err := s.Server.Close()
	if s.tempDir != "" {
		os.RemoveAll(s.tempDir)
	}
	return err
}

// New starts a server without a testing.TB; the caller closes it.
func New(opts ...Option) (*Server, error) {
	clock := store.NewClock()
	cfg := server.Config{
		Addr:  "127.0.0.1:0",
		Clock: clock,
		// A test server saves nothing unless asked (no save points), and
		// keeps its files in a directory of its own, not the package's.
		Options: map[string]string{"enable-debug-command": "local", "save": ""},
	}
	for _, o := range opts {
		o(&cfg)
	}
	var tempDir string
	if _, ok := cfg.Options["dir"]; !ok {
		d, err := os.MkdirTemp("", "kioku-servertest-")
		if err != nil {
			return nil, err
		}
		tempDir = d
		cfg.Options["dir"] = d
	}
	srv, err := server.New(cfg)
	if err == nil {
		err = srv.Start()
	}
	if err != nil {
		if tempDir != "" {
			os.RemoveAll(tempDir)
		}
		return nil, err
	}
	return &Server{Server: srv, clock: clock, tempDir: tempDir}, nil
}

// FastForward moves the server's clock forward by d. Keys whose TTL passes
// are expired on their next access, or by the active expiry cycle.
func (s *Server) FastForward(d time.Duration) { s.clock.Advance(d) }

// SetTime makes the server's clock read t (time keeps flowing from there).
func (s *Server) SetTime(t time.Time) { s.clock.Set(t) }
