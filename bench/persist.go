package main

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Persistence benchmarks, Kioku against redis-server with the same
// settings (miniredis persists nothing and is skipped):
//
//   - aof_everysec, aof_always: redis-benchmark SET with appendonly yes
//     and that appendfsync policy, at each -pipelines depth;
//   - rdb_load_1m: time from process start until a server started on a
//     1,000,000-key dump.rdb answers PING and DBSIZE = 1,000,000;
//   - bgsave_get_latency: GET latency from a few connections, first with
//     nothing else going on, then while a BGSAVE of 1,000,000 keys runs.
//
// Every server gets a fresh directory of its own under the harness's temp
// dir as --dir, removed when the measurement is done. Only one server runs
// at a time, as everywhere in the harness.

const (
	measurePersist    = "persist" // -measure name for all of persistTests
	testAOFEverysec   = "aof_everysec"
	testAOFAlways     = "aof_always"
	testRDBLoad       = "rdb_load_1m"
	testBgsaveLatency = "bgsave_get_latency"
)

// persistTests in the order they run and print.
var persistTests = []string{testAOFEverysec, testAOFAlways, testRDBLoad, testBgsaveLatency}

const (
	persistKeys = 1_000_000 // keys in the RDB file and in the BGSAVE dataset

	loadTimeout  = 3 * time.Minute        // process start to DBSIZE = persistKeys
	loadPoll     = 10 * time.Millisecond  // readiness poll interval while loading
	bgsaveLimit  = 3 * time.Minute        // BGSAVE start to rdb_bgsave_in_progress:0
	bgsavePoll   = 10 * time.Millisecond  // INFO persistence poll interval
	latencyConns = 4                      // GET connections
	warmup       = 500 * time.Millisecond // GETs not recorded
	baselineTime = 3 * time.Second        // GETs recorded with no BGSAVE
	bgsaveValue  = 32                     // value size of the BGSAVE dataset
	aofTest      = "set"                  // redis-benchmark -t for the AOF runs
)

// persistResults is the JSON "persist" section.
type persistResults struct {
	AOF     []aofResult    `json:"aof,omitempty"`
	RDBLoad *rdbLoadReport `json:"rdb_load,omitempty"`
	Bgsave  []bgsaveResult `json:"bgsave_get_latency,omitempty"`
}

// persistSelected is the persistence tests -measure asked for, in order.
func (cfg *config) persistSelected() []string {
	var out []string
	for _, t := range persistTests {
		if cfg.measure[t] {
			out = append(out, t)
		}
	}
	return out
}

// persistPeers is peers without the ones that cannot persist.
func persistPeers(peers []string) []string {
	var out []string
	for _, p := range peers {
		if p == peerKioku || p == peerRedis {
			out = append(out, p)
		}
	}
	return out
}

func measurePersistence(ctx context.Context, e *env, cfg *config, res *results) []string {
	peers := persistPeers(cfg.peers)
	if len(peers) < len(cfg.peers) {
		logf("persistence: skipping miniredis (it has no persistence)")
	}
	if len(peers) == 0 {
		return []string{"persistence: no peer to measure (only kioku and redis persist)"}
	}
	res.Persist = &persistResults{}
	var failures []string
	for _, test := range cfg.persistSelected() {
		if ctx.Err() != nil {
			break
		}
		switch test {
		case testAOFEverysec, testAOFAlways:
			failures = append(failures, measureAOF(ctx, e, cfg, peers, test, res.Persist)...)
		case testRDBLoad:
			failures = append(failures, measureRDBLoad(ctx, e, cfg, peers, res.Persist)...)
		case testBgsaveLatency:
			failures = append(failures, measureBgsave(ctx, e, peers, res.Persist)...)
		}
	}
	return failures
}

// peerDir makes a fresh directory for one server of one test.
func peerDir(e *env, test, peer string) (string, error) {
	return os.MkdirTemp(e.tmpDir, test+"-"+peer+"-")
}

// ---------------------------------------------------------------------------
// aof_everysec, aof_always

// aofResult is one peer's SET rate at one fsync policy and pipeline depth.
type aofResult struct {
	Fsync    string    `json:"appendfsync"`
	Pipeline int       `json:"pipeline"`
	Peer     string    `json:"peer"`
	RPS      float64   `json:"rps"` // median over rounds
	Samples  []float64 `json:"samples"`
	// AOFBytes is how much the server's --dir grew during the (last) run:
	// zero means the server accepted appendonly yes but wrote no AOF.
	AOFBytes int64 `json:"aof_bytes_written"`
	// AOFEnabled is INFO persistence aof_enabled (-1 if absent).
	AOFEnabled int64  `json:"info_aof_enabled"`
	Error      string `json:"error,omitempty"`
}

// measureAOF runs -rounds rounds; every round starts each peer fresh, in
// a new directory, with the peer order rotated.
func measureAOF(ctx context.Context, e *env, cfg *config, peers []string, test string, pr *persistResults) []string {
	fsync := strings.TrimPrefix(test, "aof_")
	byKey := map[[2]string]*aofResult{} // {peer, pipeline}
	get := func(peer string, p int) *aofResult {
		k := [2]string{peer, strconv.Itoa(p)}
		if byKey[k] == nil {
			byKey[k] = &aofResult{Fsync: fsync, Pipeline: p, Peer: peer, AOFEnabled: -1}
		}
		return byKey[k]
	}
	var failures []string
	for round := 0; round < cfg.rounds && ctx.Err() == nil; round++ {
		for _, peer := range rotate(peers, round) {
			if ctx.Err() != nil {
				break
			}
			logf("%s round %d/%d: %s (appendonly yes, appendfsync %s)", test, round+1, cfg.rounds, peer, fsync)
			failures = append(failures, aofPeer(ctx, e, cfg, peer, fsync, get)...)
		}
	}
	for _, peer := range peers {
		for _, p := range cfg.pipelines {
			r := get(peer, p)
			if len(r.Samples) > 0 {
				r.RPS = median(r.Samples)
			}
			pr.AOF = append(pr.AOF, *r)
		}
	}
	return failures
}

func aofPeer(ctx context.Context, e *env, cfg *config, peer, fsync string, get func(string, int) *aofResult) []string {
	failAll := func(why string) {
		for _, p := range cfg.pipelines {
			get(peer, p).Error = why
		}
	}
	dir, err := peerDir(e, "aof_"+fsync, peer)
	if err != nil {
		failAll(err.Error())
		return []string{err.Error()}
	}
	defer os.RemoveAll(dir)
	s, err := startServerIn(ctx, e, peer, dir,
		option{"dir", dir}, option{"appendonly", "yes"}, option{"appendfsync", fsync})
	if err != nil {
		failAll("server did not start")
		return []string{fmt.Sprintf("aof_%s: %v", fsync, err)}
	}
	defer s.stop()
	enabled, err := checkAppendOnly(ctx, s.addr(), fsync)
	if err != nil {
		failAll(err.Error())
		return []string{fmt.Sprintf("%s: aof_%s: %v", peer, fsync, err)}
	}
	bc := *cfg
	var failures []string
	for _, p := range cfg.pipelines {
		if ctx.Err() != nil {
			return failures
		}
		bc.requests = aofRunRequests(cfg.aofRequests, p)
		r := get(peer, p)
		r.AOFEnabled = enabled
		before := dirSize(dir)
		rows, err := runBenchmark(ctx, e, &bc, s.port, aofTest, p)
		if ctx.Err() != nil {
			return failures
		}
		if err == nil && len(rows) != 1 {
			err = fmt.Errorf("expected one result row, got %d", len(rows))
		}
		if err != nil {
			r.Error = err.Error()
			failures = append(failures, fmt.Sprintf("%s: aof_%s redis-benchmark -t set -P %d: %v", peer, fsync, p, err))
			if !s.alive() {
				return append(failures, fmt.Sprintf("%s: server died:\n%s", peer, s.logTail()))
			}
			continue
		}
		r.Samples = append(r.Samples, rows[0].RPS)
		r.AOFBytes = dirSize(dir) - before
		logf("  %-5s appendfsync %-8s P=%-3d %10.0f SET/s, AOF +%.1f MB", peer, fsync, p, rows[0].RPS, mb(r.AOFBytes))
		if r.AOFBytes <= 0 {
			logf("  WARNING: %s wrote no AOF data during %d SETs: appendonly yes accepted but not acting?", peer, bc.requests)
		}
	}
	return failures
}

// aofRunRequests is how many SETs one run at pipeline depth p sends: a
// deep pipeline gets proportionally more, so that its run lasts about as
// long as one at -P 1..4 instead of a fraction of a second, which made its
// figure mostly noise.
func aofRunRequests(n, p int) int { return n * max(1, p/4) }

// checkAppendOnly verifies that the server took the settings it was
// started with, and returns INFO persistence aof_enabled (-1 if absent).
// aof_enabled:0 is only warned about: the AOF growth is the real check.
func checkAppendOnly(ctx context.Context, addr, fsync string) (int64, error) {
	c, err := dialRESP(ctx, addr)
	if err != nil {
		return -1, err
	}
	defer c.close()
	for name, want := range map[string]string{"appendonly": "yes", "appendfsync": fsync} {
		r, err := c.do("CONFIG", "GET", name)
		if err != nil {
			return -1, fmt.Errorf("CONFIG GET %s: %v", name, err)
		}
		if len(r.elems) != 2 || r.elems[1].str != want {
			return -1, fmt.Errorf("CONFIG GET %s answered %v, want %s", name, r.elems, want)
		}
	}
	r, err := c.do("INFO", "persistence")
	if err != nil {
		return -1, err
	}
	v, ok := infoField(r.str, "aof_enabled")
	if !ok {
		return -1, nil
	}
	if v != 1 {
		logf("  note: INFO persistence says aof_enabled:%d although appendonly is yes", v)
	}
	return v, nil
}

// dirSize is the total size of the regular files under dir.
func dirSize(dir string) int64 {
	var total int64
	filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			if info, err := d.Info(); err == nil {
				total += info.Size()
			}
		}
		return nil
	})
	return total
}

// ---------------------------------------------------------------------------
// rdb_load_1m

// rdbLoadReport describes the shared dump.rdb and each peer's load time.
type rdbLoadReport struct {
	Keys      int             `json:"keys"`
	FileBytes int64           `json:"file_bytes"`
	MadeBy    string          `json:"made_by"`
	Results   []rdbLoadResult `json:"results"`
	Error     string          `json:"error,omitempty"`
}

type rdbLoadResult struct {
	Peer    string    `json:"peer"`
	Seconds float64   `json:"seconds"` // process start to PONG + full DBSIZE; median over rounds
	Samples []float64 `json:"samples"`
	// LogSeconds is the median of the server's own "DB loaded from disk:
	// X seconds" log lines, nil when its log has no such line.
	LogSeconds *float64  `json:"log_loaded_seconds,omitempty"`
	LogSamples []float64 `json:"log_loaded_samples,omitempty"`
	Error      string    `json:"error,omitempty"`
}

func measureRDBLoad(ctx context.Context, e *env, cfg *config, peers []string, pr *persistResults) []string {
	rep := &rdbLoadReport{Keys: persistKeys}
	pr.RDBLoad = rep
	src, madeBy, err := makeDump(ctx, e, peers)
	if err != nil {
		rep.Error = err.Error()
		return []string{fmt.Sprintf("rdb_load_1m: making dump.rdb: %v", err)}
	}
	defer os.RemoveAll(filepath.Dir(src))
	rep.MadeBy = madeBy
	if st, err := os.Stat(src); err == nil {
		rep.FileBytes = st.Size()
	}
	results := map[string]*rdbLoadResult{}
	for _, p := range peers {
		results[p] = &rdbLoadResult{Peer: p}
	}
	var failures []string
	for round := 0; round < cfg.rounds && ctx.Err() == nil; round++ {
		for _, peer := range rotate(peers, round) {
			if ctx.Err() != nil {
				break
			}
			logf("rdb_load_1m round %d/%d: %s on a %.1f MB dump.rdb", round+1, cfg.rounds, peer, mb(rep.FileBytes))
			r := results[peer]
			secs, logSecs, err := loadPeer(ctx, e, peer, src)
			if err != nil {
				if ctx.Err() != nil {
					break
				}
				r.Error = err.Error()
				failures = append(failures, fmt.Sprintf("%s: rdb_load_1m: %v", peer, err))
				continue
			}
			r.Samples = append(r.Samples, secs)
			if logSecs != nil {
				r.LogSamples = append(r.LogSamples, *logSecs)
			}
			logf("  %s ready with %d keys %.3f s after start", peer, persistKeys, secs)
		}
	}
	for _, p := range peers {
		r := results[p]
		if len(r.Samples) > 0 {
			r.Seconds = median(r.Samples)
		}
		if len(r.LogSamples) > 0 {
			v := median(r.LogSamples)
			r.LogSeconds = &v
		}
		rep.Results = append(rep.Results, *r)
	}
	return failures
}

// makeDump writes a dump.rdb of persistKeys keys into a fresh directory and
// returns its path. With redis-server at hand (even when redis is not a
// peer): DEBUG POPULATE, which writes key:N = value:N, then SAVE; else Kioku
// is filled with the same keys over the wire and saves.
func makeDump(ctx context.Context, e *env, peers []string) (string, string, error) {
	dir, err := os.MkdirTemp(e.tmpDir, "rdb-source-")
	if err != nil {
		return "", "", err
	}
	peer := peerRedis
	if mustBeExecutable("redis-server", e.redisServer) != nil {
		if !slices.Contains(peers, peerKioku) {
			return "", "", fmt.Errorf("no redis-server at %s to write the dump", e.redisServer)
		}
		peer = peerKioku
	}
	start := time.Now()
	s, err := startServerIn(ctx, e, peer, dir, option{"dir", dir}, option{"dbfilename", "dump.rdb"},
		option{"enable-debug-command", "local"})
	if err != nil {
		return "", "", err
	}
	defer s.stop()
	c, err := dialRESP(ctx, s.addr())
	if err != nil {
		return "", "", err
	}
	defer c.close()
	madeBy := "redis-server DEBUG POPULATE " + strconv.Itoa(persistKeys) + " + SAVE"
	if peer == peerRedis {
		_, err = c.do("DEBUG", "POPULATE", strconv.Itoa(persistKeys))
	} else {
		madeBy = "kioku, SET key:N value:N + SAVE"
		err = fillPopulate(c, persistKeys)
	}
	if err != nil {
		return "", "", fmt.Errorf("%s: filling: %v", peer, err)
	}
	if n := dbSize(c); n != persistKeys {
		return "", "", fmt.Errorf("%s: DBSIZE %d after filling, want %d", peer, n, persistKeys)
	}
	if _, err := c.do("SAVE"); err != nil {
		return "", "", fmt.Errorf("%s: SAVE: %v", peer, err)
	}
	path := filepath.Join(dir, "dump.rdb")
	if _, err := os.Stat(path); err != nil {
		return "", "", err
	}
	logf("rdb_load_1m: dump.rdb with %d keys written by %s in %v", persistKeys, peer, time.Since(start).Round(time.Millisecond))
	return path, madeBy, nil
}

// fillPopulate writes what DEBUG POPULATE n writes: key:N = value:N.
func fillPopulate(c *respConn, n int) error {
	var buf []byte
	for first := 0; first < n; first += fillBatch {
		buf = buf[:0]
		k := min(fillBatch, n-first)
		for i := first; i < first+k; i++ {
			buf = appendCommand(buf, "SET", "key:"+strconv.Itoa(i), "value:"+strconv.Itoa(i))
		}
		if err := c.pipeline(buf, k); err != nil {
			return err
		}
	}
	return nil
}

// loadPeer starts peer on a copy of src and returns the seconds from
// process start until it answers PING (LOADING does not count) and
// DBSIZE = persistKeys, and the load time the server logged, if any.
func loadPeer(ctx context.Context, e *env, peer, src string) (float64, *float64, error) {
	dir, err := peerDir(e, "rdb_load", peer)
	if err != nil {
		return 0, nil, err
	}
	defer os.RemoveAll(dir)
	if err := copyFile(src, filepath.Join(dir, "dump.rdb")); err != nil {
		return 0, nil, err
	}
	s, err := newServer(e, peer)
	if err != nil {
		return 0, nil, err
	}
	argv := e.serverArgs(peer, s.port, option{"dir", dir}, option{"dbfilename", "dump.rdb"})
	start := time.Now()
	if err := s.launch(argv, dir); err != nil {
		return 0, nil, fmt.Errorf("cannot start: %v", err)
	}
	defer s.stop()
	// One connection, once the server accepts, polled with PING: a server
	// that is loading (Redis answers -LOADING) is not made to accept a new
	// connection every poll.
	var c *respConn
	defer func() {
		if c != nil {
			c.close()
		}
	}()
	var last string
	for {
		if c == nil {
			c, err = dialRESP(ctx, s.addr())
		}
		if c != nil {
			var n int64
			if n, err = loadedKeys(c); err == nil && n == persistKeys {
				elapsed := time.Since(start).Seconds()
				return elapsed, parseLoadedSeconds(readFileString(s.logPath)), nil
			} else if err == nil {
				err = fmt.Errorf("DBSIZE %d", n)
			} else if !strings.Contains(err.Error(), "LOADING") {
				c.close() // broken connection: dial again
				c = nil
			}
		}
		last = err.Error()
		if time.Since(start) > loadTimeout {
			return 0, nil, fmt.Errorf("not ready within %v (last: %s)\n%s", loadTimeout, last, s.logTail())
		}
		select {
		case <-s.exited:
			return 0, nil, fmt.Errorf("process exited (%v) while loading:\n%s", s.cmd.ProcessState, s.logTail())
		case <-ctx.Done():
			return 0, nil, ctx.Err()
		case <-time.After(loadPoll):
		}
	}
}

// loadedKeys is DBSIZE if the server answers PING with PONG; an error
// (LOADING, ...) otherwise.
func loadedKeys(c *respConn) (int64, error) {
	if r, err := c.do("PING"); err != nil || r.str != "PONG" {
		return 0, fmt.Errorf("PING: %q, %v", r.String(), err)
	}
	r, err := c.do("DBSIZE")
	if err != nil || r.kind != ':' {
		return 0, fmt.Errorf("DBSIZE: %q, %v", r.String(), err)
	}
	return r.num, nil
}

// parseLoadedSeconds finds the last "DB loaded from disk: X seconds" in a
// server log (Redis and Kioku both print it).
func parseLoadedSeconds(log string) *float64 {
	const marker = "DB loaded from disk: "
	i := strings.LastIndex(log, marker)
	if i < 0 {
		return nil
	}
	rest := log[i+len(marker):]
	num, _, ok := strings.Cut(rest, " seconds")
	if !ok {
		return nil
	}
	v, err := strconv.ParseFloat(strings.TrimSpace(num), 64)
	if err != nil {
		return nil
	}
	return &v
}

func readFileString(path string) string {
	data, _ := os.ReadFile(path)
	return string(data)
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// ---------------------------------------------------------------------------
// bgsave_get_latency

// bgsaveResult is one peer's GET latency without and during a BGSAVE.
type bgsaveResult struct {
	Peer     string         `json:"peer"`
	Baseline latencySummary `json:"baseline"`
	During   latencySummary `json:"during_bgsave"`
	Misses   int64          `json:"get_misses"` // GETs that found no key (should be 0)
	// WallSeconds runs from sending BGSAVE until INFO persistence first
	// shows rdb_bgsave_in_progress:0 (polled every 10 ms).
	WallSeconds float64 `json:"bgsave_wall_seconds"`
	ReplyMs     float64 `json:"bgsave_reply_ms"` // how long BGSAVE itself took to answer
	// From INFO after the save; nil when the server does not report it.
	LastBgsaveTimeSec *int64 `json:"rdb_last_bgsave_time_sec,omitempty"`
	ForkUsec          *int64 `json:"latest_fork_usec,omitempty"`
	RDBBytes          int64  `json:"rdb_bytes"`
	Error             string `json:"error,omitempty"`
}

func measureBgsave(ctx context.Context, e *env, peers []string, pr *persistResults) []string {
	var failures []string
	for _, peer := range peers {
		if ctx.Err() != nil {
			break
		}
		logf("bgsave_get_latency: %s, %d keys, %d GET connections", peer, persistKeys, latencyConns)
		r, err := bgsavePeer(ctx, e, peer)
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			r.Error = err.Error()
			failures = append(failures, fmt.Sprintf("%s: bgsave_get_latency: %v", peer, err))
		}
		pr.Bgsave = append(pr.Bgsave, r)
	}
	return failures
}

func bgsavePeer(ctx context.Context, e *env, peer string) (bgsaveResult, error) {
	r := bgsaveResult{Peer: peer}
	dir, err := peerDir(e, "bgsave", peer)
	if err != nil {
		return r, err
	}
	defer os.RemoveAll(dir)
	s, err := startServerIn(ctx, e, peer, dir, option{"dir", dir}, option{"dbfilename", "dump.rdb"})
	if err != nil {
		return r, err
	}
	defer s.stop()
	c, err := dialRESP(ctx, s.addr())
	if err != nil {
		return r, err
	}
	defer c.close()
	if err := fillKeys(c, persistKeys, bgsaveValue); err != nil {
		return r, fmt.Errorf("filling: %v", err)
	}
	if n := dbSize(c); n != persistKeys {
		return r, fmt.Errorf("DBSIZE %d after filling, want %d", n, persistKeys)
	}

	lg, err := startLatency(ctx, s.addr(), latencyConns)
	if err != nil {
		return r, err
	}
	defer lg.stop()
	if err := sleepCtx(ctx, warmup); err != nil {
		return r, err
	}
	lg.phase.Store(phaseBaseline)
	if err := sleepCtx(ctx, baselineTime); err != nil {
		return r, err
	}

	lg.phase.Store(phaseBgsave)
	start := time.Now()
	if _, err := c.do("BGSAVE"); err != nil {
		return r, fmt.Errorf("BGSAVE: %v", err)
	}
	r.ReplyMs = float64(time.Since(start)) / float64(time.Millisecond)
	info, err := waitBgsave(ctx, c, start)
	r.WallSeconds = time.Since(start).Seconds()
	lg.phase.Store(phaseDone)
	hists, workErr := lg.stop()
	r.Baseline, r.During = hists[phaseBaseline].summary(), hists[phaseBgsave].summary()
	r.Misses = lg.misses.Load()
	if err != nil {
		return r, err
	}
	if workErr != nil {
		return r, fmt.Errorf("GET connection: %v", workErr)
	}
	if v, ok := infoString(info, "rdb_last_bgsave_status"); ok && v != "ok" {
		return r, fmt.Errorf("rdb_last_bgsave_status:%s", v)
	}
	if v, ok := infoField(info, "rdb_last_bgsave_time_sec"); ok {
		r.LastBgsaveTimeSec = &v
	}
	if stats, err := c.do("INFO", "stats"); err == nil {
		if v, ok := infoField(stats.str, "latest_fork_usec"); ok {
			r.ForkUsec = &v
		}
	}
	r.RDBBytes = dirSize(dir)
	if r.Misses > 0 {
		logf("  WARNING: %d GETs found no key", r.Misses)
	}
	logf("  %s: BGSAVE %.2f s; GET p99 %.3f ms -> %.3f ms, max %.3f ms -> %.3f ms", peer, r.WallSeconds,
		r.Baseline.P99, r.During.P99, r.Baseline.Max, r.During.Max)
	return r, nil
}

// waitBgsave polls INFO persistence until rdb_bgsave_in_progress:0 and
// returns that INFO text.
func waitBgsave(ctx context.Context, c *respConn, start time.Time) (string, error) {
	for {
		r, err := c.do("INFO", "persistence")
		if err != nil {
			return "", fmt.Errorf("INFO persistence: %v", err)
		}
		v, ok := infoField(r.str, "rdb_bgsave_in_progress")
		if !ok {
			return "", fmt.Errorf("INFO persistence has no rdb_bgsave_in_progress")
		}
		if v == 0 {
			return r.str, nil
		}
		if time.Since(start) > bgsaveLimit {
			return "", fmt.Errorf("BGSAVE still in progress after %v", bgsaveLimit)
		}
		if err := sleepCtx(ctx, bgsavePoll); err != nil {
			return "", err
		}
	}
}

// infoString finds "name:<value>" in INFO output.
func infoString(info, name string) (string, bool) {
	for _, line := range strings.Split(info, "\n") {
		k, v, ok := strings.Cut(strings.TrimSpace(line), ":")
		if ok && k == name {
			return v, true
		}
	}
	return "", false
}

// Phases of a latency run; a GET counts in the phase current when its
// reply arrives.
const (
	phaseWarmup = iota
	phaseBaseline
	phaseBgsave
	phaseDone
)

// latencyGen is conns connections each issuing GET key:%012d on random
// keys back to back, recording each request's latency.
type latencyGen struct {
	phase   atomic.Int32
	misses  atomic.Int64
	conns   []*respConn
	hists   [][phaseDone]histogram
	errs    []error
	wg      sync.WaitGroup
	stopped bool
	result  [phaseDone]histogram
	err     error
}

func startLatency(ctx context.Context, addr string, conns int) (*latencyGen, error) {
	g := &latencyGen{hists: make([][phaseDone]histogram, conns), errs: make([]error, conns)}
	for i := 0; i < conns; i++ {
		c, err := dialRESP(ctx, addr)
		if err != nil {
			g.phase.Store(phaseDone)
			g.stop()
			return nil, err
		}
		g.conns = append(g.conns, c)
	}
	for i, c := range g.conns {
		g.wg.Add(1)
		go g.work(i, c, rand.New(rand.NewPCG(uint64(i), uint64(time.Now().UnixNano()))))
	}
	return g, nil
}

func (g *latencyGen) work(i int, c *respConn, rng *rand.Rand) {
	defer g.wg.Done()
	h := &g.hists[i]
	for {
		ph := g.phase.Load()
		if ph == phaseDone {
			return
		}
		key := fmt.Sprintf("key:%012d", rng.IntN(persistKeys))
		t := time.Now()
		r, err := c.do("GET", key)
		d := time.Since(t)
		if err != nil {
			if g.phase.Load() != phaseDone {
				g.errs[i] = err
			}
			return
		}
		if r.null {
			g.misses.Add(1)
		}
		if ph = g.phase.Load(); ph == phaseBaseline || ph == phaseBgsave {
			h[ph].record(d)
		}
	}
}

// stop ends the run (if the phase is not already phaseDone), waits for
// every connection and returns the merged histograms by phase and the
// first connection error. Safe to call more than once.
func (g *latencyGen) stop() ([phaseDone]histogram, error) {
	if g.stopped {
		return g.result, g.err
	}
	g.stopped = true
	g.phase.Store(phaseDone)
	g.wg.Wait()
	for i, c := range g.conns {
		c.close()
		for ph := range g.hists[i] {
			g.result[ph].merge(&g.hists[i][ph])
		}
		if g.err == nil {
			g.err = g.errs[i]
		}
	}
	return g.result, g.err
}

// ---------------------------------------------------------------------------
// report

func printPersist(w io.Writer, peers []string, pr *persistResults) {
	peers = persistPeers(peers)
	vsRedis := slices.Contains(peers, peerKioku) && slices.Contains(peers, peerRedis)
	if len(pr.AOF) > 0 {
		printAOF(w, peers, vsRedis, pr.AOF)
	}
	if pr.RDBLoad != nil {
		printRDBLoad(w, peers, vsRedis, pr.RDBLoad)
	}
	if len(pr.Bgsave) > 0 {
		printBgsave(w, vsRedis, pr.Bgsave)
	}
}

func printAOF(w io.Writer, peers []string, vsRedis bool, rs []aofResult) {
	fmt.Fprintln(w, "\nSET with appendonly yes (requests/s, redis-benchmark -t set; median over rounds; AOF MB = --dir growth during the run)")
	header := []string{"appendfsync", "P"}
	for _, p := range peers {
		header = append(header, p+" rps")
	}
	if vsRedis {
		header = append(header, "kioku/redis")
	}
	for _, p := range peers {
		header = append(header, p+" AOF MB")
	}
	table := [][]string{header}
	var fsyncs []string
	var pipes []int
	for _, r := range rs {
		if !slices.Contains(fsyncs, r.Fsync) {
			fsyncs = append(fsyncs, r.Fsync)
		}
		if !slices.Contains(pipes, r.Pipeline) {
			pipes = append(pipes, r.Pipeline)
		}
	}
	var silent []string
	for _, f := range fsyncs {
		for _, pl := range pipes {
			cells := []string{f, fmt.Sprint(pl)}
			rps := map[string]float64{}
			var sizes []string
			for _, p := range peers {
				i := slices.IndexFunc(rs, func(r aofResult) bool { return r.Fsync == f && r.Pipeline == pl && r.Peer == p })
				switch {
				case i < 0:
					cells, sizes = append(cells, "-"), append(sizes, "-")
				case len(rs[i].Samples) == 0:
					cells, sizes = append(cells, "ERR"), append(sizes, "-")
				default:
					rps[p] = rs[i].RPS
					cells = append(cells, fmt.Sprintf("%.0f", rs[i].RPS))
					sizes = append(sizes, fmt.Sprintf("%.1f", mb(rs[i].AOFBytes)))
					if rs[i].AOFBytes <= 0 && !slices.Contains(silent, p) {
						silent = append(silent, p)
					}
				}
			}
			if vsRedis {
				cells = append(cells, ratioCell(ratio(rps, peerKioku, peerRedis)))
			}
			table = append(table, append(cells, sizes...))
		}
	}
	printTable(w, table)
	for _, p := range silent {
		fmt.Fprintf(w, "WARNING: %s wrote no AOF data in at least one run: its numbers are not AOF numbers\n", p)
	}
}

func printRDBLoad(w io.Writer, peers []string, vsRedis bool, rep *rdbLoadReport) {
	fmt.Fprintf(w, "\nRDB load (%d keys, %.1f MB dump.rdb from %s; ready s = process start to PONG with full DBSIZE, logged = the server's own \"DB loaded from disk\"; medians over rounds)\n",
		rep.Keys, mb(rep.FileBytes), rep.MadeBy)
	if rep.Error != "" {
		fmt.Fprintf(w, "ERR: %s\n", firstLine(rep.Error))
		return
	}
	table := [][]string{{"peer", "ready s", "logged load s"}}
	secs := map[string]float64{}
	for _, r := range rep.Results {
		if len(r.Samples) == 0 {
			table = append(table, []string{r.Peer, "ERR", "-"})
			continue
		}
		secs[r.Peer] = r.Seconds
		logged := "-"
		if r.LogSeconds != nil {
			logged = fmt.Sprintf("%.3f", *r.LogSeconds)
		}
		table = append(table, []string{r.Peer, fmt.Sprintf("%.3f", r.Seconds), logged})
	}
	printTable(w, table)
	if vsRedis {
		fmt.Fprintf(w, "ready s kioku/redis: %s (above 1: Kioku takes longer)\n", ratioCell(ratio(secs, peerKioku, peerRedis)))
	}
}

func printBgsave(w io.Writer, vsRedis bool, rs []bgsaveResult) {
	fmt.Fprintf(w, "\nGET latency during BGSAVE (%d keys, %d connections, ms; baseline = %v without BGSAVE)\n",
		persistKeys, latencyConns, baselineTime)
	table := [][]string{{"peer", "phase", "GETs", "p50", "p99", "p99.9", "max"}}
	lat := func(l latencySummary) []string {
		return []string{fmt.Sprint(l.Requests), fmt.Sprintf("%.3f", l.P50), fmt.Sprintf("%.3f", l.P99),
			fmt.Sprintf("%.3f", l.P999), fmt.Sprintf("%.3f", l.Max)}
	}
	for _, r := range rs {
		if r.Baseline.Requests == 0 && r.During.Requests == 0 {
			table = append(table, []string{r.Peer, "ERR", "", "", "", "", ""})
			continue
		}
		table = append(table, append([]string{r.Peer, "baseline"}, lat(r.Baseline)...))
		table = append(table, append([]string{r.Peer, "bgsave"}, lat(r.During)...))
	}
	printTable(w, table)

	fmt.Fprintln(w, "\nBGSAVE (wall s = BGSAVE sent until rdb_bgsave_in_progress:0)")
	table = [][]string{{"peer", "wall s", "rdb_last_bgsave_time_sec", "BGSAVE reply ms", "fork ms", "dump MB"}}
	during := map[string]latencySummary{}
	for _, r := range rs {
		if r.Error != "" {
			table = append(table, []string{r.Peer, "ERR", "", "", "", ""})
			continue
		}
		during[r.Peer] = r.During
		table = append(table, []string{r.Peer, fmt.Sprintf("%.2f", r.WallSeconds), optInt(r.LastBgsaveTimeSec, 1),
			fmt.Sprintf("%.3f", r.ReplyMs), optInt(r.ForkUsec, 1000), fmt.Sprintf("%.1f", mb(r.RDBBytes))})
	}
	printTable(w, table)
	k, okK := during[peerKioku]
	rd, okR := during[peerRedis]
	if vsRedis && okK && okR {
		cell := func(a, b float64) string {
			return ratioCell(ratio(map[string]float64{peerKioku: a, peerRedis: b}, peerKioku, peerRedis))
		}
		fmt.Fprintf(w, "during BGSAVE kioku/redis: p50 %s, p99 %s, p99.9 %s, max %s (above 1: Kioku slower)\n",
			cell(k.P50, rd.P50), cell(k.P99, rd.P99), cell(k.P999, rd.P999), cell(k.Max, rd.Max))
	}
}

// optInt formats *v/div, or "-" when the server does not report it.
func optInt(v *int64, div float64) string {
	if v == nil {
		return "-"
	}
	if div == 1 {
		return strconv.FormatInt(*v, 10)
	}
	return fmt.Sprintf("%.3f", float64(*v)/div)
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
