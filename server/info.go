package server

import (
	"fmt"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/kioku-db/kioku/pubsub"
	"github.com/kioku-db/kioku/store"
)

// INFO: the sections and fields Redis 7.0 prints that clients and tools
// read. Each section is a function; "default" prints the default ones,
// "all" adds commandstats and errorstats, "everything" is all.

func init() {
	register([]binding{{"info", cmdInfo, lockNone}})
}

type infoSection struct {
	name     string
	inDefult bool
	write    func(s *Server, b *strings.Builder)
}

var infoSections = []infoSection{
	{"server", true, (*Server).infoServer},
	{"clients", true, (*Server).infoClients},
	{"memory", true, (*Server).infoMemory},
	{"persistence", true, (*Server).infoPersistence},
	{"stats", true, (*Server).infoStats},
	{"replication", true, (*Server).infoReplication},
	{"cpu", true, (*Server).infoCPU},
	{"modules", true, func(*Server, *strings.Builder) {}},
	{"commandstats", false, (*Server).infoCommandStats},
	{"errorstats", true, func(*Server, *strings.Builder) {}},
	{"cluster", true, (*Server).infoCluster},
	{"keyspace", true, (*Server).infoKeyspace},
}

func cmdInfo(c *Client, args [][]byte) {
	want := map[string]bool{}
	for _, a := range args[1:] {
		want[strings.ToLower(string(a))] = true
	}
	all := want["all"] || want["everything"]
	def := len(args) == 1 || want["default"]
	var b strings.Builder
	for _, sec := range infoSections {
		if !(all || want[sec.name] || (def && sec.inDefult)) {
			continue
		}
		if b.Len() > 0 {
			b.WriteString("\r\n")
		}
		title := strings.ToUpper(sec.name[:1]) + sec.name[1:]
		fmt.Fprintf(&b, "# %s\r\n", title)
		sec.write(c.srv, &b)
	}
	c.w.Verbatim("txt", b.String())
}

func field(b *strings.Builder, name string, value any) {
	fmt.Fprintf(b, "%s:%v\r\n", name, value)
}

func (s *Server) infoServer(b *strings.Builder) {
	up := time.Since(s.startTime)
	now := s.clock.Now()
	exe, _ := os.Executable()
	field(b, "redis_version", RedisVersion)
	field(b, "redis_git_sha1", "00000000")
	field(b, "redis_git_dirty", 0)
	field(b, "redis_build_id", "0")
	field(b, "redis_mode", "standalone")
	field(b, "kioku_version", KiokuVersion)
	field(b, "os", runtime.GOOS+" "+runtime.GOARCH)
	field(b, "arch_bits", strconv.IntSize)
	field(b, "monotonic_clock", "POSIX clock_gettime")
	field(b, "multiplexing_api", "epoll")
	field(b, "atomicvar_api", "c11-builtin")
	field(b, "go_version", runtime.Version())
	field(b, "process_id", pid)
	field(b, "process_supervised", "no")
	field(b, "run_id", s.runID())
	field(b, "tcp_port", s.port())
	field(b, "server_time_usec", now.UnixMicro())
	field(b, "uptime_in_seconds", int64(up.Seconds()))
	field(b, "uptime_in_days", int64(up.Hours()/24))
	field(b, "hz", s.cfg.Int("hz"))
	field(b, "configured_hz", s.cfg.Int("hz"))
	field(b, "lru_clock", uint32(now.Unix())&(1<<24-1))
	field(b, "executable", exe)
	field(b, "config_file", "")
	field(b, "io_threads_active", 0)
}

func (s *Server) runID() string {
	return fmt.Sprintf("%040x", uint64(s.startTime.UnixNano())^uint64(pid)<<32)
}

func (s *Server) port() string {
	addr := s.Addr()
	if i := strings.LastIndexByte(addr, ':'); i >= 0 {
		return addr[i+1:]
	}
	return "0"
}

func (s *Server) infoClients(b *strings.Builder) {
	// A killed client is gone at once in Redis (freeClient); here its
	// goroutine may still be winding down, so closed clients count as gone.
	connected, blocked := 0, 0
	for _, c := range s.clientList() {
		if c.closed.Load() {
			continue
		}
		connected++
		if c.blocked.Load() {
			blocked++
		}
	}
	field(b, "connected_clients", connected)
	field(b, "cluster_connections", 0)
	field(b, "maxclients", s.cfg.Int("maxclients"))
	field(b, "client_recent_max_input_buffer", 0)
	field(b, "client_recent_max_output_buffer", 0)
	field(b, "blocked_clients", blocked)
	field(b, "tracking_clients", 0)
	field(b, "clients_in_timeout_table", blocked)
}

// infoMemory reports the accounted figures maxmemory acts on as Redis's
// used_memory family (the startup baseline plus the keys' estimated
// sizes, see evict.go), and the Go runtime's own figures as the
// allocator_* and rss fields.
func (s *Server) infoMemory(b *strings.Builder) {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	m := s.memoryFigures(&ms)
	maxmem := s.cfg.Int("maxmemory")
	field(b, "used_memory", m.used)
	field(b, "used_memory_human", humanBytes(m.used))
	field(b, "used_memory_rss", m.rss)
	field(b, "used_memory_rss_human", humanBytes(m.rss))
	field(b, "used_memory_peak", m.peak)
	field(b, "used_memory_peak_human", humanBytes(m.peak))
	field(b, "used_memory_peak_perc", percent(m.used, m.peak))
	field(b, "used_memory_overhead", m.startup)
	field(b, "used_memory_startup", m.startup)
	field(b, "used_memory_dataset", m.dataset)
	field(b, "used_memory_dataset_perc", percent(m.dataset, m.used-m.startup))
	field(b, "allocator_allocated", ms.HeapAlloc)
	field(b, "allocator_active", ms.HeapInuse)
	field(b, "allocator_resident", m.rss)
	field(b, "total_system_memory", 0)
	field(b, "maxmemory", maxmem)
	field(b, "maxmemory_human", humanBytes(maxmem))
	field(b, "maxmemory_policy", s.cfg.String("maxmemory-policy"))
	field(b, "mem_fragmentation_ratio", fmt.Sprintf("%.2f", ratio(m.rss, m.used)))
	field(b, "mem_not_counted_for_evict", 0)
	field(b, "mem_allocator", "go")
	field(b, "gc_cycles", ms.NumGC)
}

// memoryFigures are the numbers INFO memory and MEMORY STATS share.
type memoryFigures struct {
	used, peak, startup, dataset, rss int64
}

func (s *Server) memoryFigures(ms *runtime.MemStats) memoryFigures {
	m := memoryFigures{startup: s.mem.baseline, dataset: s.store.DatasetBytes()}
	m.used = m.startup + m.dataset
	m.peak = s.stats.peakMemory(m.used)
	m.rss = int64(ms.Sys - ms.HeapReleased)
	return m
}

// percent formats part/whole as Redis's "%.2f%%".
func percent(part, whole int64) string {
	return fmt.Sprintf("%.2f%%", ratio(part, whole)*100)
}

func ratio(a, b int64) float64 {
	if b <= 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// humanBytes formats like Redis's bytesToHuman.
func humanBytes(n int64) string {
	f := float64(n)
	switch {
	case n < 1024:
		return fmt.Sprintf("%dB", n)
	case n < 1024*1024:
		return fmt.Sprintf("%.2fK", f/1024)
	case n < 1024*1024*1024:
		return fmt.Sprintf("%.2fM", f/(1024*1024))
	case n < 1024*1024*1024*1024:
		return fmt.Sprintf("%.2fG", f/(1024*1024*1024))
	}
	return fmt.Sprintf("%.2fT", f/(1024*1024*1024*1024))
}

func (s *Server) infoPersistence(b *strings.Builder) {
	s.infoRDB(b) // rdb.go
	s.aofInfo(b) // aof.go
}

func (s *Server) infoStats(b *strings.Builder) {
	st := &s.stats
	hits, misses := s.store.HitsMisses()
	field(b, "total_connections_received", st.totalConns.Load())
	field(b, "total_commands_processed", st.commands.Load())
	field(b, "instantaneous_ops_per_sec", st.opsRate.perSecond())
	field(b, "total_net_input_bytes", st.netInput.Load())
	field(b, "total_net_output_bytes", st.netOutput.Load())
	field(b, "rejected_connections", st.rejectedConns.Load())
	field(b, "expired_keys", s.store.ExpiredKeys.Load()-st.expiredBase.Load())
	field(b, "evicted_keys", s.evictedKeys())
	field(b, "keyspace_hits", hits)
	field(b, "keyspace_misses", misses)
	field(b, "pubsub_channels", s.pubsub.hub.Len(pubsub.Channel))
	field(b, "pubsub_patterns", s.pubsub.hub.Len(pubsub.Pattern))
	field(b, "pubsubshard_channels", s.pubsub.hub.Len(pubsub.Shard))
	field(b, "total_error_replies", st.errorReplies.Load())
}

func (s *Server) infoReplication(b *strings.Builder) {
	field(b, "role", "master")
	field(b, "connected_slaves", 0)
	field(b, "master_replid", s.runID())
	field(b, "master_repl_offset", 0)
}

func (s *Server) infoCPU(b *strings.Builder) {
	u, sys := processCPU()
	field(b, "used_cpu_sys", fmt.Sprintf("%.6f", sys))
	field(b, "used_cpu_user", fmt.Sprintf("%.6f", u))
}

func (s *Server) infoCluster(b *strings.Builder) { field(b, "cluster_enabled", 0) }

func (s *Server) infoKeyspace(b *strings.Builder) {
	var l store.Locks
	l.All(s.store)
	defer l.Release()
	for i := 0; i < s.store.NumDBs(); i++ {
		db := s.store.DB(i)
		if n := db.Size(); n > 0 {
			fmt.Fprintf(b, "db%d:keys=%d,expires=%d,avg_ttl=0\r\n", i, n, db.ExpiresCount())
		}
	}
}

func (s *Server) infoCommandStats(b *strings.Builder) {
	var cmds []*Command
	for _, c := range table.all() {
		cmds = append(cmds, c)
		cmds = append(cmds, sortedSubs(c)...)
	}
	for _, c := range cmds {
		st := &s.cmdStats[c.idx]
		calls := st.calls.Load()
		if calls == 0 && st.rejected.Load() == 0 {
			continue
		}
		usec := st.usec.Load()
		per := 0.0
		if calls > 0 {
			per = float64(usec) / float64(calls)
		}
		fmt.Fprintf(b, "cmdstat_%s:calls=%d,usec=%d,usec_per_call=%.2f,rejected_calls=%d,failed_calls=%d\r\n",
			c.Name, calls, usec, per, st.rejected.Load(), st.failed.Load())
	}
}

func sortCommands(cmds []*Command) {
	sort.Slice(cmds, func(i, j int) bool { return cmds[i].Name < cmds[j].Name })
}

// resetStats implements CONFIG RESETSTAT.
func (s *Server) resetStats() {
	st := &s.stats
	st.commands.Store(0)
	st.totalConns.Store(0)
	st.rejectedConns.Store(0)
	s.store.ResetHitsMisses()
	st.errorReplies.Store(0)
	st.netInput.Store(0)
	st.netOutput.Store(0)
	st.expiredBase.Store(s.store.ExpiredKeys.Load())
	s.mem.evictedBase.Store(s.store.EvictedKeys.Load())
	for i := range s.cmdStats {
		st := &s.cmdStats[i]
		st.calls.Store(0)
		st.usec.Store(0)
		st.failed.Store(0)
		st.rejected.Store(0)
	}
}

// peakMemory records and returns the highest used memory seen.
func (st *serverStats) peakMemory(used int64) int64 {
	for {
		p := st.peak.Load()
		if used <= p || st.peak.CompareAndSwap(p, used) {
			return max(p, used)
		}
	}
}

// rateMeter is Redis's instantaneous metric: the average rate over the
// last 16 samples, each taken by the cron (STATS_METRIC_SAMPLES).
type rateMeter struct {
	mu        sync.Mutex
	samples   [16]int64 // per-second rates
	idx       int
	lastTime  time.Time
	lastValue int64
}

// sample records the counter's value now.
func (m *rateMeter) sample(value int64, now time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.lastTime.IsZero() {
		if dt := now.Sub(m.lastTime); dt > 0 {
			m.samples[m.idx] = (value - m.lastValue) * int64(time.Second) / int64(dt)
			m.idx = (m.idx + 1) % len(m.samples)
		}
	}
	m.lastTime, m.lastValue = now, value
}

func (m *rateMeter) perSecond() int64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	var sum int64
	for _, v := range m.samples {
		sum += v
	}
	return sum / int64(len(m.samples))
}

// setActiveExpire is DEBUG SET-ACTIVE-EXPIRE.
func (s *Server) setActiveExpire(on bool) { s.activeExpireDisabled.Store(!on) }

func (s *Server) activeExpireEnabled() bool { return !s.activeExpireDisabled.Load() }

// processCPU returns the user and system CPU seconds of the process.
func processCPU() (user, sys float64) {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0, 0
	}
	tv := func(t syscall.Timeval) float64 { return float64(t.Sec) + float64(t.Usec)/1e6 }
	return tv(ru.Utime), tv(ru.Stime)
}
