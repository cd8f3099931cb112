package server

import (
	"math"
	"runtime"
	"sync/atomic"

	"github.com/kioku-db/kioku/server/config"
	"github.com/kioku-db/kioku/store"
)

// maxmemory (Redis's performEvictions in processCommand). Before every
// command, while maxmemory is set and used memory is above it, keys are
// evicted per maxmemory-policy; when that cannot bring memory under the
// limit, commands that may grow the dataset (denyoom, and anything queued
// in MULTI) are refused with errOOM.
//
// Used memory is a startup baseline plus the store's accounted dataset
// (store/memory.go), not the Go heap: the heap only shrinks after a
// garbage collection, so evicting until it drops would delete far more
// than needed.

const errOOM = "OOM command not allowed when used memory > 'maxmemory'."

// memoryState caches the maxmemory parameters for the check made before
// every command, which must not take the config registry's lock.
type memoryState struct {
	maxmemory atomic.Int64 // bytes; 0 means no limit
	policy    atomic.Uint32
	samples   atomic.Int64
	// baseline is used_memory_startup (startupHeap).
	baseline int64
	// evictedBase is evicted_keys at the last CONFIG RESETSTAT.
	evictedBase atomic.Int64
}

// startupHeap is the Go heap once this package is initialised, the
// command families registered (files initialise in name order, cmd_*.go
// before this one): what a server costs before it holds data. It is
// measured here rather than when a server is built so that, embedded, the
// host program's own data is not counted as the server's.
var startupHeap int64

func init() {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	startupHeap = int64(ms.HeapAlloc)
}

// initMemory follows the maxmemory parameters and announces evictions as
// keyspace events.
func (s *Server) initMemory() {
	s.mem.baseline = startupHeap
	apply := func(string) error {
		limit := s.cfg.Uint("maxmemory")
		if limit > math.MaxInt64 {
			limit = math.MaxInt64
		}
		s.mem.maxmemory.Store(int64(limit))
		s.mem.policy.Store(uint32(store.ParseEvictionPolicy(s.cfg.String("maxmemory-policy"))))
		s.mem.samples.Store(s.cfg.Int("maxmemory-samples"))
		if limit == 0 {
			// The store-wide total is turned back on by the next command
			// after a limit is set (performEvictions), which holds no
			// keyspace lock, unlike this hook inside EXEC.
			s.store.TrackDatasetTotal(false)
		}
		return nil
	}
	_ = apply("")
	for _, name := range []string{"maxmemory", "maxmemory-policy", "maxmemory-samples"} {
		s.cfg.OnApply(name, apply)
	}
	s.store.Hooks.Evicted = func(db *store.DB, key string) {
		s.notifyStoreEvent(config.NotifyEvicted, "evicted", db, key)
	}
}

// usedMemory is used_memory: the baseline plus the accounted dataset.
func (s *Server) usedMemory() int64 { return s.mem.baseline + s.store.DatasetBytes() }

// refuseForMemory runs the maxmemory step before cmd and reports whether
// cmd must be refused with errOOM. It runs before the command takes any
// lock; a client already holding the keyspace (a script's commands) is
// left alone, as Redis does not evict inside a script.
func (s *Server) refuseForMemory(c *Client, cmd *Command) bool {
	// Small enough to inline: without a limit a command pays one load.
	return s.mem.maxmemory.Load() != 0 && s.refuseOverLimit(c, cmd)
}

func (s *Server) refuseOverLimit(c *Client, cmd *Command) bool {
	// Nor while a script runs past busy-reply-threshold (Redis's
	// isInsideYieldingLongCommand): it holds the keyspace, and SCRIPT
	// KILL must get through.
	if c.locks.Held() || s.scripting.busy.Load() {
		return false
	}
	if c.tx.active && cmd.has(flagNoMulti) {
		return false // refused for that first, as in Redis
	}
	return !s.performEvictions() && deniedWhenOutOfMemory(c, cmd)
}

// deniedWhenOutOfMemory is Redis's reject_cmd_on_oom: commands that may
// grow the dataset, an EXEC whose queue holds one, and while queuing in
// MULTI anything but the commands that end the transaction.
func deniedWhenOutOfMemory(c *Client, cmd *Command) bool {
	if cmd.has(flagDenyOOM) {
		return true
	}
	switch cmd.Name {
	case "exec":
		for _, q := range c.tx.queue {
			if q.cmd.has(flagDenyOOM) {
				return true
			}
		}
		return false
	case "discard", "quit", "reset":
		return false
	}
	return c.tx.active
}

// performEvictions evicts until used memory fits maxmemory and reports
// whether it does.
func (s *Server) performEvictions() bool {
	limit := s.mem.maxmemory.Load()
	if !s.store.TrackingTotal() {
		s.store.TrackDatasetTotal(true)
	}
	if s.usedMemory() <= limit {
		return true
	}
	evicted, fits := s.store.Evict(store.EvictOptions{
		Target:  limit - s.mem.baseline,
		Policy:  store.EvictionPolicy(s.mem.policy.Load()),
		Samples: int(s.mem.samples.Load()),
	})
	// Clients blocked on an evicted key learn of it as of a deletion.
	if evicted > 0 && s.blocking.pending.Load() {
		s.serveReadyKeys()
	}
	return fits
}

// evictedKeys is INFO's evicted_keys.
func (s *Server) evictedKeys() int64 {
	return s.store.EvictedKeys.Load() - s.mem.evictedBase.Load()
}
