package main

import (
	"bufio"
	"slices"
	"strings"
	"testing"
)

// Captured from redis-benchmark 7.0.15 -t set,get,incr,mset -q --csv.
const benchmarkCSV = `"test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"
"SET","36231.89","0.733","0.240","0.695","0.935","1.807","4.823"
"GET","39525.69","0.649","0.248","0.671","0.815","0.895","1.775"
"INCR","36764.70","0.692","0.080","0.679","0.839","1.031","3.527"
"MSET (10 keys)","35149.38","0.771","0.248","0.727","1.087","1.783","4.607"
`

func TestParseBenchmarkCSV(t *testing.T) {
	rows, err := parseBenchmarkCSV(benchmarkCSV)
	if err != nil {
		t.Fatal(err)
	}
	want := []benchRow{{"SET", 36231.89}, {"GET", 39525.69}, {"INCR", 36764.70}, {"MSET (10 keys)", 35149.38}}
	if !slices.Equal(rows, want) {
		t.Fatalf("got %v, want %v", rows, want)
	}
}

func TestParseBenchmarkCSVIgnoresWarningsAndProgress(t *testing.T) {
	out := "WARNING: Could not fetch server CONFIG\n" +
		`"test","rps"` + "\n" +
		"LPUSH: rps=1234.0 (overall: 1000.0) avg_msec=0.1\r" + `"LPUSH","35714.29"` + "\n" +
		`"LRANGE_100 (first 100 elements)","30303.03"` + "\n"
	rows, err := parseBenchmarkCSV(out)
	if err != nil {
		t.Fatal(err)
	}
	want := []benchRow{{"LPUSH", 35714.29}, {"LRANGE_100 (first 100 elements)", 30303.03}}
	if !slices.Equal(rows, want) {
		t.Fatalf("got %v, want %v", rows, want)
	}
}

func TestParseBenchmarkCSVErrors(t *testing.T) {
	header := `"test","rps","avg_latency_ms"` + "\n"
	cases := map[string]string{
		"empty output":           "",
		"header only (bad -t)":   header,
		"no rps column":          `"test","avg"` + "\n" + `"SET","1"` + "\n",
		"rps not a number":       header + `"SET","fast","0.1"` + "\n",
		"row shorter than rps":   header + `"SET"` + "\n",
		"unterminated CSV quote": header + `"SET,"1","0.1"` + "\n",
	}
	for name, out := range cases {
		if rows, err := parseBenchmarkCSV(out); err == nil {
			t.Errorf("%s: want error, got rows %v", name, rows)
		}
	}
}

func TestParseVmRSS(t *testing.T) {
	status := "Name:\tredis-server\nVmPeak:\t  100000 kB\nVmHWM:\t    9000 kB\nVmRSS:\t    8192 kB\nRssAnon:\t    4096 kB\n"
	got, err := parseVmRSS(status)
	if err != nil {
		t.Fatal(err)
	}
	if got != 8192*1024 {
		t.Fatalf("got %d bytes, want %d", got, 8192*1024)
	}
}

func TestParseVmRSSErrors(t *testing.T) {
	for _, status := range []string{
		"Name:\tkthreadd\nState:\tS (sleeping)\n", // kernel threads have no VmRSS
		"VmRSS:\t    8192 MB\n",
		"VmRSS:\t    lots kB\n",
	} {
		if got, err := parseVmRSS(status); err == nil {
			t.Errorf("%q: want error, got %d", status, got)
		}
	}
}

func TestInfoField(t *testing.T) {
	info := "# Memory\r\nused_memory:1048576\r\nused_memory_human:1.00M\r\nused_memory_rss:2000000\r\n"
	if v, ok := infoField(info, "used_memory"); !ok || v != 1048576 {
		t.Fatalf("used_memory = %d, %v", v, ok)
	}
	if _, ok := infoField(info, "maxmemory"); ok {
		t.Fatal("found a field that is not there")
	}
}

func TestRESPRoundTrip(t *testing.T) {
	if got := string(appendCommand(nil, "SET", "k", "")); got != "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n" {
		t.Fatalf("appendCommand = %q", got)
	}
	in := "+OK\r\n-ERR no\r\n:42\r\n$5\r\nhello\r\n$-1\r\n*2\r\n:1\r\n$1\r\nx\r\n"
	r := bufio.NewReader(strings.NewReader(in))
	want := []string{"OK", "ERR no", "42", "hello", "", "array(2)"}
	for _, w := range want {
		got, err := readReply(r)
		if err != nil || got.String() != w {
			t.Fatalf("readReply = %q, %v; want %q", got.String(), err, w)
		}
	}
}

func TestMedianAndRotate(t *testing.T) {
	if m := median([]float64{3, 1, 2}); m != 2 {
		t.Errorf("median odd = %v", m)
	}
	if m := median([]float64{4, 1, 3, 2}); m != 2.5 {
		t.Errorf("median even = %v", m)
	}
	if got := rotate([]string{"a", "b", "c"}, 1); !slices.Equal(got, []string{"b", "c", "a"}) {
		t.Errorf("rotate = %v", got)
	}
}
