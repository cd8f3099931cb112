package server

import (
	"runtime"
	"runtime/debug"
	"strconv"

	"github.com/kioku-db/kioku/store"
)

// MEMORY: USAGE answers from the same per-key estimate the maxmemory
// accounting charges (store/size.go); STATS and DOCTOR read the figures
// INFO memory prints.

func init() {
	register([]binding{
		{"memory|usage", cmdMemoryUsage, lockKeys},
		{"memory|stats", cmdMemoryStats, lockAll},
		{"memory|doctor", cmdMemoryDoctor, lockNone},
		{"memory|purge", cmdMemoryPurge, lockNone},
		{"memory|malloc-stats", cmdMemoryMallocStats, lockNone},
		{"memory|help", cmdMemoryHelp, lockNone},
	})
}

const (
	memoryDoctorEmpty = "Hi Sam, this instance is empty or is using very little memory, my issues detector can't be used in these conditions. Please, leave for your mission on Earth and fill it with some data. The new Sam and I will be back to our programming as soon as I finished rebooting.\n"
	memoryDoctorFine  = "Hi Sam, I can't find any memory issue in your instance. I can only account for what occurs on this base.\n"
	mallocStatsNone   = "Stats not supported for the current allocator"
	// doctorMinDataset is below what MEMORY DOCTOR judges (Redis: 5 MB
	// allocated in all; here the dataset, the baseline being the Go
	// runtime's).
	doctorMinDataset = 5 << 20
)

// cmdMemoryUsage is MEMORY USAGE key [SAMPLES count]: the options are
// checked before the key is looked up, as Redis does.
func cmdMemoryUsage(c *Client, args [][]byte) {
	samples := store.DefaultSizeSamples
	for i := 3; i < len(args); i++ {
		if !eqFold(args[i], "samples") || i+1 >= len(args) {
			c.w.Error(errSyntax)
			return
		}
		n, ok := parseInt(args[i+1])
		if !ok {
			c.w.Error(errNotInt)
			return
		}
		if n < 0 {
			c.w.Error(errSyntax)
			return
		}
		samples = int(min(n, int64(^uint(0)>>1))) // 0: every element
		i++
	}
	size, ok := c.db.MemoryUsage(args[2], samples)
	if !ok {
		c.w.Null()
		return
	}
	c.w.Int(size)
}

// cmdMemoryStats is MEMORY STATS with Redis's field names; the allocator
// figures are the Go runtime's.
func cmdMemoryStats(c *Client, _ [][]byte) {
	s := c.srv
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	m := s.memoryFigures(&ms)
	allocated, active := int64(ms.HeapAlloc), int64(ms.HeapInuse)
	fields := []statField{
		{"peak.allocated", m.peak}, {"total.allocated", m.used}, {"startup.allocated", m.startup},
		{"replication.backlog", 0}, {"clients.slaves", 0}, {"clients.normal", 0},
		{"cluster.links", 0}, {"aof.buffer", 0}, {"lua.caches", 0}, {"functions.caches", 0},
		{"overhead.total", m.startup},
	}
	keys := int64(0)
	for i := 0; i < s.store.NumDBs(); i++ {
		if n := s.store.DB(i).Size(); n > 0 {
			keys += int64(n)
			// Redis's per-table overheads; the entries here are part of
			// each key's accounted size.
			fields = append(fields, statField{"db." + strconv.Itoa(i), []statField{
				{"overhead.hashtable.main", 0}, {"overhead.hashtable.expires", 0}}})
		}
	}
	perKey := int64(0)
	if keys > 0 {
		perKey = m.dataset / keys
	}
	fields = append(fields,
		statField{"keys.count", keys}, statField{"keys.bytes-per-key", perKey},
		statField{"dataset.bytes", m.dataset},
		statField{"dataset.percentage", ratio(m.dataset, m.used-m.startup) * 100},
		statField{"peak.percentage", ratio(m.used, m.peak) * 100},
		statField{"allocator.allocated", allocated}, statField{"allocator.active", active},
		statField{"allocator.resident", m.rss},
		statField{"allocator-fragmentation.ratio", ratio(active, allocated)},
		statField{"allocator-fragmentation.bytes", active - allocated},
		statField{"allocator-rss.ratio", ratio(m.rss, active)},
		statField{"allocator-rss.bytes", m.rss - active},
		statField{"rss-overhead.ratio", 1.0}, statField{"rss-overhead.bytes", 0},
		statField{"fragmentation", ratio(m.rss, m.used)},
		statField{"fragmentation.bytes", m.rss - m.used})
	writeStatFields(c, fields)
}

// statField is one MEMORY STATS field: an integer, a float64 or nested
// fields.
type statField struct {
	name  string
	value any
}

func writeStatFields(c *Client, fields []statField) {
	c.w.Map(len(fields))
	for _, f := range fields {
		c.w.BulkString(f.name)
		switch v := f.value.(type) {
		case int:
			c.w.Int(int64(v))
		case int64:
			c.w.Int(v)
		case float64:
			c.w.Double(v)
		case []statField:
			writeStatFields(c, v)
		}
	}
}

func cmdMemoryDoctor(c *Client, _ [][]byte) {
	if c.srv.store.DatasetBytes() < doctorMinDataset {
		c.w.Verbatim("txt", memoryDoctorEmpty)
		return
	}
	c.w.Verbatim("txt", memoryDoctorFine)
}

// cmdMemoryPurge returns freed memory to the system, as Redis asks
// jemalloc to purge its dirty pages.
func cmdMemoryPurge(c *Client, _ [][]byte) {
	debug.FreeOSMemory()
	c.w.OK()
}

func cmdMemoryMallocStats(c *Client, _ [][]byte) {
	c.w.Verbatim("txt", mallocStatsNone)
}

func cmdMemoryHelp(c *Client, _ [][]byte) {
	writeHelp(c, "MEMORY",
		"DOCTOR",
		"    Return memory problems reports.",
		"MALLOC-STATS",
		"    Return internal statistics report from the memory allocator.",
		"PURGE",
		"    Attempt to purge dirty pages for reclamation by the allocator.",
		"STATS",
		"    Return information about the memory usage of the server.",
		"USAGE <key> [SAMPLES <count>]",
		"    Return memory in bytes used by <key> and its value. Nested values are",
		"    sampled up to <count> times (default: 5, 0 means sample all).",
	)
}
