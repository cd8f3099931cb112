package main

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// memoryResult is the memory cost of storing cfg.keys string keys in one peer.
type memoryResult struct {
	Peer        string  `json:"peer"`
	Keys        int     `json:"keys"`
	ValueSize   int     `json:"value_size"`
	RSSBefore   int64   `json:"rss_before_bytes"`
	RSSAfter    int64   `json:"rss_after_bytes"`
	BytesPerKey float64 `json:"bytes_per_key"`
	DBSize      int64   `json:"dbsize"`
	UsedMemory  *int64  `json:"used_memory,omitempty"` // nil when INFO memory lacks it
	Error       string  `json:"error,omitempty"`
}

// fillBatch is how many SETs go out per pipelined write: big enough that
// round trips don't dominate, small enough to keep buffers modest.
const fillBatch = 1000

// settleTime lets the server finish any lazy work (allocator, GC) before the
// second RSS reading.
const settleTime = time.Second

// measureMemory fills a fresh process of each peer with keys and reports the
// RSS growth per key.
func measureMemory(ctx context.Context, e *env, cfg *config, res *results) []string {
	var failures []string
	for _, peer := range cfg.peers {
		if ctx.Err() != nil {
			break
		}
		logf("memory: %s, %d keys with %d-byte values", peer, cfg.keys, cfg.valueSize)
		m, err := memoryOf(ctx, e, cfg, peer)
		if err != nil {
			m.Error = err.Error()
			failures = append(failures, fmt.Sprintf("%s: memory: %v", peer, err))
		}
		res.Memory = append(res.Memory, m)
	}
	return failures
}

func memoryOf(ctx context.Context, e *env, cfg *config, peer string) (memoryResult, error) {
	m := memoryResult{Peer: peer, Keys: cfg.keys, ValueSize: cfg.valueSize}
	s, err := startServer(ctx, e, peer)
	if err != nil {
		return m, err
	}
	defer s.stop()
	if m.RSSBefore, err = readRSS(s.pid()); err != nil {
		return m, err
	}
	c, err := dialRESP(ctx, s.addr())
	if err != nil {
		return m, err
	}
	defer c.close()
	if err := fillKeys(c, cfg.keys, cfg.valueSize); err != nil {
		return m, fmt.Errorf("writing keys: %v", err)
	}
	m.DBSize = dbSize(c)
	if err := sleepCtx(ctx, settleTime); err != nil {
		return m, err
	}
	if m.RSSAfter, err = readRSS(s.pid()); err != nil {
		return m, err
	}
	m.BytesPerKey = float64(m.RSSAfter-m.RSSBefore) / float64(cfg.keys)
	m.UsedMemory = usedMemory(c)
	logf("  %s: RSS %d -> %d bytes, %.1f bytes/key, DBSIZE %d", peer, m.RSSBefore, m.RSSAfter, m.BytesPerKey, m.DBSize)
	return m, nil
}

// fillKeys SETs key:%012d (redis-benchmark's key naming) to a fixed value,
// pipelined in batches.
func fillKeys(c *respConn, keys, valueSize int) error {
	value := strings.Repeat("v", valueSize)
	start := time.Now()
	var buf []byte
	for first := 0; first < keys; first += fillBatch {
		n := min(fillBatch, keys-first)
		buf = buf[:0]
		for i := first; i < first+n; i++ {
			buf = appendCommand(buf, "SET", fmt.Sprintf("key:%012d", i), value)
		}
		if err := c.pipeline(buf, n); err != nil {
			return err
		}
	}
	elapsed := time.Since(start)
	logf("  wrote %d keys in %v (%.0f SET/s)", keys, elapsed.Round(time.Millisecond), float64(keys)/elapsed.Seconds())
	return nil
}

// dbSize is a sanity check that every key landed; -1 if DBSIZE failed.
func dbSize(c *respConn) int64 {
	r, err := c.do("DBSIZE")
	if err != nil || r.kind != ':' {
		logf("  warning: DBSIZE failed: %v", err)
		return -1
	}
	return r.num
}

// usedMemory is INFO memory's used_memory, or nil if the server has no such
// section (miniredis) or field.
func usedMemory(c *respConn) *int64 {
	r, err := c.do("INFO", "memory")
	if err != nil {
		logf("  INFO memory not available: %v", err)
		return nil
	}
	v, ok := infoField(r.str, "used_memory")
	if !ok {
		return nil
	}
	return &v
}

// infoField finds "name:<integer>" in INFO output.
func infoField(info, name string) (int64, bool) {
	for _, line := range strings.Split(info, "\n") {
		k, v, ok := strings.Cut(strings.TrimSpace(line), ":")
		if ok && k == name {
			n, err := strconv.ParseInt(v, 10, 64)
			return n, err == nil
		}
	}
	return 0, false
}

// readRSS returns the resident set size of pid in bytes.
func readRSS(pid int) (int64, error) {
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, fmt.Errorf("reading RSS: %v (the harness needs Linux /proc)", err)
	}
	return parseVmRSS(string(status))
}

// parseVmRSS extracts VmRSS from /proc/<pid>/status text, e.g.
// "VmRSS:\t    8192 kB", and returns it in bytes.
func parseVmRSS(status string) (int64, error) {
	for _, line := range strings.Split(status, "\n") {
		rest, ok := strings.CutPrefix(line, "VmRSS:")
		if !ok {
			continue
		}
		fields := strings.Fields(rest)
		if len(fields) != 2 || fields[1] != "kB" {
			return 0, fmt.Errorf("unexpected VmRSS line %q", line)
		}
		kb, err := strconv.ParseInt(fields[0], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("unexpected VmRSS value %q", fields[0])
		}
		return kb * 1024, nil
	}
	return 0, fmt.Errorf("no VmRSS line (process is a zombie or kernel thread?)")
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}
