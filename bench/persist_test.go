package main

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestHistogramBuckets(t *testing.T) {
	// Every value lands in a bucket whose upper bound is at or above it and
	// at most 1/32 above it; buckets are contiguous.
	for _, v := range []int64{0, 1, 31, 32, 33, 63, 64, 65, 127, 128, 1000, 999_999, 1 << 40, 1<<63 - 1} {
		i := histIndex(v)
		if i < 0 || i >= histBuckets {
			t.Fatalf("histIndex(%d) = %d, out of range", v, i)
		}
		up := histUpper(i)
		if up < v || float64(up-v) > float64(v)/histSub {
			t.Errorf("value %d: bucket %d upper bound %d", v, i, up)
		}
		if i > 0 && histUpper(i-1) >= v {
			t.Errorf("value %d: previous bucket %d also covers it (upper %d)", v, i-1, histUpper(i-1))
		}
	}
	for i := 1; i < histIndex(1<<63-1); i++ {
		if histIndex(histUpper(i-1)+1) != i {
			t.Fatalf("bucket %d does not start right after bucket %d", i, i-1)
		}
	}
}

func TestHistogramQuantiles(t *testing.T) {
	var h histogram
	if h.quantile(0.5) != 0 || h.summary().Requests != 0 {
		t.Fatal("empty histogram is not zero")
	}
	// 1000 samples of 1..1000 µs.
	for i := 1; i <= 1000; i++ {
		h.record(time.Duration(i) * time.Microsecond)
	}
	near := func(got time.Duration, want time.Duration) bool {
		return got >= want && float64(got-want) <= float64(want)/histSub
	}
	for q, want := range map[float64]time.Duration{
		0.5: 500 * time.Microsecond, 0.99: 990 * time.Microsecond, 0.999: 999 * time.Microsecond,
	} {
		if got := h.quantile(q); !near(got, want) {
			t.Errorf("quantile(%v) = %v, want about %v", q, got, want)
		}
	}
	if got := h.quantile(1); got != time.Millisecond {
		t.Errorf("quantile(1) = %v, want the exact max 1ms", got)
	}
	var other histogram
	other.record(250 * time.Millisecond)
	h.merge(&other)
	s := h.summary()
	if s.Requests != 1001 || s.Max != 250 {
		t.Errorf("after merge: %+v", s)
	}
	if got := h.quantile(0.5); !near(got, 501*time.Microsecond) {
		t.Errorf("after merge: p50 %v", got)
	}
}

func TestParseLoadedSeconds(t *testing.T) {
	redisLog := "16344:M 23 Nov 2026 15:32:26.361 * Loading RDB produced by version 7.0.15\n" +
		"16344:M 23 Nov 2026 15:32:27.156 * Done loading RDB, keys loaded: 1000000, keys expired: 0.\n" +
		"16344:M 23 Nov 2026 15:32:27.156 * DB loaded from disk: 0.795 seconds\n" +
		"16344:M 23 Nov 2026 15:32:27.156 * Ready to accept connections\n"
	kiokuLog := "Done loading RDB, keys loaded: 1000000, keys expired: 0.\nDB loaded from disk: 10.292 seconds\n"
	for log, want := range map[string]float64{redisLog: 0.795, kiokuLog: 10.292} {
		got := parseLoadedSeconds(log)
		if got == nil || *got != want {
			t.Errorf("parseLoadedSeconds = %v, want %v", got, want)
		}
	}
	for _, log := range []string{"", "Ready to accept connections\n", "DB loaded from disk: soon seconds\n", "DB loaded from disk: 1.5"} {
		if got := parseLoadedSeconds(log); got != nil {
			t.Errorf("%q: got %v, want nil", log, *got)
		}
	}
}

func TestInfoString(t *testing.T) {
	info := "# Persistence\r\nloading:0\r\nrdb_bgsave_in_progress:1\r\nrdb_last_bgsave_status:ok\r\n"
	if v, ok := infoString(info, "rdb_last_bgsave_status"); !ok || v != "ok" {
		t.Errorf("rdb_last_bgsave_status = %q, %v", v, ok)
	}
	if v, ok := infoField(info, "rdb_bgsave_in_progress"); !ok || v != 1 {
		t.Errorf("rdb_bgsave_in_progress = %d, %v", v, ok)
	}
	if _, ok := infoString(info, "aof_enabled"); ok {
		t.Error("found a field that is not there")
	}
}

func TestServerArgsOptions(t *testing.T) {
	e := &env{redisServer: "redis-server", kiokuBin: "kioku-server", self: "bench"}
	got := e.serverArgs(peerRedis, 7000, option{"dir", "/d"}, option{"appendonly", "yes"}, option{"appendfsync", "always"})
	want := []string{"redis-server", "--port", "7000", "--bind", "127.0.0.1", "--save", "", "--daemonize", "no",
		"--dir", "/d", "--appendonly", "yes", "--appendfsync", "always"}
	if !slices.Equal(got, want) {
		t.Errorf("redis args\n got %q\nwant %q", got, want)
	}
	got = e.serverArgs(peerKioku, 7001)
	want = []string{"kioku-server", "--port", "7001", "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"}
	if !slices.Equal(got, want) {
		t.Errorf("kioku args\n got %q\nwant %q", got, want)
	}
	if got := e.serverArgs(peerMiniredis, 7002, option{"dir", "/d"}); slices.Contains(got, "--dir") {
		t.Errorf("miniredis got options: %q", got)
	}
}

func TestMeasureFlag(t *testing.T) {
	cfg, err := parseFlags([]string{"-measure", "memory,persist"})
	if err != nil {
		t.Fatal(err)
	}
	if !cfg.measure["memory"] || !slices.Equal(cfg.persistSelected(), persistTests) {
		t.Errorf("measure = %v, persist tests %v", cfg.measure, cfg.persistSelected())
	}
	cfg, err = parseFlags([]string{"-measure", "bgsave_get_latency,aof_always"})
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.persistSelected(); !slices.Equal(got, []string{testAOFAlways, testBgsaveLatency}) {
		t.Errorf("persistSelected = %v", got)
	}
	if cfg.measure["throughput"] {
		t.Error("throughput selected without being asked for")
	}
	for _, bad := range []string{"aof", "persist,nope", ","} {
		if _, err := parseFlags([]string{"-measure", bad}); err == nil {
			t.Errorf("-measure %q: want error", bad)
		}
	}
	if got := persistPeers([]string{peerMiniredis, peerRedis, peerKioku}); !slices.Equal(got, []string{peerRedis, peerKioku}) {
		t.Errorf("persistPeers = %v", got)
	}
}

func TestDirSize(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "a"), make([]byte, 100), 0o644)
	os.Mkdir(filepath.Join(dir, "appendonlydir"), 0o755)
	os.WriteFile(filepath.Join(dir, "appendonlydir", "b"), make([]byte, 23), 0o644)
	if got := dirSize(dir); got != 123 {
		t.Errorf("dirSize = %d, want 123", got)
	}
}

func TestPrintPersist(t *testing.T) {
	fork := int64(12000)
	secs := int64(1)
	logged := 0.8
	pr := &persistResults{
		AOF: []aofResult{
			{Fsync: "always", Pipeline: 1, Peer: peerKioku, RPS: 8000, Samples: []float64{8000}, AOFBytes: 0},
			{Fsync: "always", Pipeline: 1, Peer: peerRedis, RPS: 4000, Samples: []float64{4000}, AOFBytes: 5e6},
		},
		RDBLoad: &rdbLoadReport{Keys: persistKeys, FileBytes: 24e6, MadeBy: "test", Results: []rdbLoadResult{
			{Peer: peerKioku, Seconds: 2, Samples: []float64{2}},
			{Peer: peerRedis, Seconds: 1, Samples: []float64{1}, LogSeconds: &logged},
		}},
		Bgsave: []bgsaveResult{
			{Peer: peerKioku, Baseline: latencySummary{Requests: 10, P50: 0.1, P99: 0.2, P999: 0.3, Max: 0.4},
				During: latencySummary{Requests: 10, P50: 0.2, P99: 0.4, P999: 0.6, Max: 0.8}},
			{Peer: peerRedis, Baseline: latencySummary{Requests: 10, P50: 0.1, P99: 0.2, P999: 0.3, Max: 0.4},
				During: latencySummary{Requests: 10, P50: 0.1, P99: 0.2, P999: 0.3, Max: 16}, LastBgsaveTimeSec: &secs, ForkUsec: &fork},
		},
	}
	var b bytes.Buffer
	printPersist(&b, []string{peerKioku, peerRedis, peerMiniredis}, pr)
	out := b.String()
	for _, want := range []string{
		"always       1       8000       4000        2.00x           0.0           5.0",
		"WARNING: kioku wrote no AOF data",
		"ready s kioku/redis: 2.00x",
		"redis    1.000          0.800",
		"during BGSAVE kioku/redis: p50 2.00x, p99 2.00x, p99.9 2.00x, max 0.05x",
		"12.000",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "miniredis") {
		t.Errorf("report mentions miniredis:\n%s", out)
	}
}

func TestAOFRunRequestsScaleWithPipeline(t *testing.T) {
	for _, c := range []struct{ n, p, want int }{
		{100000, 1, 100000}, {100000, 4, 100000}, {100000, 16, 400000}, {1000, 64, 16000},
	} {
		if got := aofRunRequests(c.n, c.p); got != c.want {
			t.Errorf("aofRunRequests(%d, %d) = %d, want %d", c.n, c.p, got, c.want)
		}
	}
}
