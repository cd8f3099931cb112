package main

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"runtime"
	"slices"
	"strings"
)

// results collects raw samples while measuring; rows are derived at the end.
type results struct {
	Config     map[string]any  `json:"config"`
	Throughput []throughputRow `json:"throughput"`
	Memory     []memoryResult  `json:"memory"`
	Publish    []publishResult `json:"publish,omitempty"`
	Persist    *persistResults `json:"persist,omitempty"`

	samples map[sampleKey][]float64
	names   map[string][]string // requested test -> CSV row names, first seen first
	errs    map[failKey]string
}

type sampleKey struct {
	test, name string
	pipeline   int
	peer       string
}

type failKey struct {
	test     string
	pipeline int
	peer     string
}

// throughputRow is one line of the throughput table.
type throughputRow struct {
	Test             string               `json:"test"` // the -t name asked for
	Name             string               `json:"name"` // the name redis-benchmark printed
	Pipeline         int                  `json:"pipeline"`
	RPS              map[string]float64   `json:"rps"`     // median over rounds, by peer
	Samples          map[string][]float64 `json:"samples"` // every round, by peer
	Errors           map[string]string    `json:"errors,omitempty"`
	KiokuVsRedis     *float64             `json:"kioku_vs_redis,omitempty"`
	KiokuVsMiniredis *float64             `json:"kioku_vs_miniredis,omitempty"`
}

func (cfg *config) summary() map[string]any {
	return map[string]any{
		"peers": cfg.peers, "tests": cfg.tests, "pipelines": cfg.pipelines,
		"requests": cfg.requests, "clients": cfg.clients, "keyspace": cfg.keyspace,
		"rounds": cfg.rounds, "keys": cfg.keys, "value_size": cfg.valueSize,
		"measure": slices.Sorted(maps.Keys(cfg.measure)), "aof_requests": cfg.aofRequests,
		"cpus": runtime.NumCPU(),
	}
}

func (r *results) addSample(test, name string, pipeline int, peer string, rps float64) {
	if r.samples == nil {
		r.samples, r.names = map[sampleKey][]float64{}, map[string][]string{}
	}
	if !slices.Contains(r.names[test], name) {
		r.names[test] = append(r.names[test], name)
	}
	k := sampleKey{test, name, pipeline, peer}
	r.samples[k] = append(r.samples[k], rps)
}

func (r *results) failThroughput(tests []string, pipelines []int, peer, why string) {
	if r.errs == nil {
		r.errs = map[failKey]string{}
	}
	for _, t := range tests {
		for _, p := range pipelines {
			r.errs[failKey{t, p, peer}] = why
		}
	}
}

// buildThroughputRows orders rows by test (as asked), then by the rows
// redis-benchmark printed for it, then by pipeline depth.
func (r *results) buildThroughputRows(cfg *config) {
	r.Throughput = nil
	for _, test := range cfg.tests {
		names := r.names[test]
		if len(names) == 0 {
			names = []string{test} // every peer failed: still show the row
		}
		for _, name := range names {
			for _, p := range cfg.pipelines {
				r.Throughput = append(r.Throughput, r.row(cfg.peers, test, name, p))
			}
		}
	}
}

func (r *results) row(peers []string, test, name string, pipeline int) throughputRow {
	row := throughputRow{Test: test, Name: name, Pipeline: pipeline,
		RPS: map[string]float64{}, Samples: map[string][]float64{}, Errors: map[string]string{}}
	for _, peer := range peers {
		if s := r.samples[sampleKey{test, name, pipeline, peer}]; len(s) > 0 {
			row.Samples[peer], row.RPS[peer] = s, median(s)
		}
		if e, ok := r.errs[failKey{test, pipeline, peer}]; ok {
			row.Errors[peer] = e
		}
	}
	row.KiokuVsRedis = ratio(row.RPS, peerKioku, peerRedis)
	row.KiokuVsMiniredis = ratio(row.RPS, peerKioku, peerMiniredis)
	return row
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// ratio is m[a]/m[b], or nil when either is missing or b is zero.
func ratio(m map[string]float64, a, b string) *float64 {
	x, okA := m[a]
	y, okB := m[b]
	if !okA || !okB || y == 0 {
		return nil
	}
	v := x / y
	return &v
}

func printReport(w io.Writer, peers []string, res *results) {
	if len(res.Throughput) > 0 {
		printThroughput(w, peers, res.Throughput)
	}
	if len(res.Memory) > 0 {
		printMemory(w, peers, res.Memory)
	}
	if len(res.Publish) > 0 {
		printPublish(w, peers, res.Publish)
	}
	if res.Persist != nil {
		printPersist(w, peers, res.Persist)
	}
}

func printThroughput(w io.Writer, peers []string, rows []throughputRow) {
	fmt.Fprintln(w, "\nThroughput (requests/s, redis-benchmark; median over rounds)")
	vs := ratioPeers(peers)
	header := []string{"test", "P"}
	for _, p := range peers {
		header = append(header, p+" rps")
	}
	for _, p := range vs {
		header = append(header, "kioku/"+p)
	}
	table := [][]string{header}
	for _, row := range rows {
		cells := []string{row.Name, fmt.Sprint(row.Pipeline)}
		for _, p := range peers {
			cells = append(cells, rpsCell(row, p))
		}
		for _, p := range vs {
			cells = append(cells, ratioCell(ratio(row.RPS, peerKioku, p)))
		}
		table = append(table, cells)
	}
	printTable(w, table)
}

// ratioPeers are the peers Kioku is compared with: only those that ran, and
// only if Kioku ran too.
func ratioPeers(peers []string) []string {
	if !slices.Contains(peers, peerKioku) {
		return nil
	}
	var out []string
	for _, p := range []string{peerRedis, peerMiniredis} {
		if slices.Contains(peers, p) {
			out = append(out, p)
		}
	}
	return out
}

// printTable left-aligns the first column (names) and right-aligns the rest
// (numbers), two spaces apart.
func printTable(w io.Writer, rows [][]string) {
	var widths []int
	for _, r := range rows {
		for i, c := range r {
			if i >= len(widths) {
				widths = append(widths, 0)
			}
			widths[i] = max(widths[i], len(c))
		}
	}
	for _, r := range rows {
		var b strings.Builder
		for i, c := range r {
			if i == 0 {
				fmt.Fprintf(&b, "%-*s", widths[i], c)
			} else {
				fmt.Fprintf(&b, "  %*s", widths[i], c)
			}
		}
		fmt.Fprintln(w, strings.TrimRight(b.String(), " "))
	}
}

func rpsCell(row throughputRow, peer string) string {
	if v, ok := row.RPS[peer]; ok {
		return fmt.Sprintf("%.0f", v)
	}
	if _, failed := row.Errors[peer]; failed {
		return "ERR"
	}
	return "-"
}

func ratioCell(r *float64) string {
	if r == nil {
		return "-"
	}
	return fmt.Sprintf("%.2fx", *r)
}

func printMemory(w io.Writer, peers []string, ms []memoryResult) {
	fmt.Fprintf(w, "\nMemory (%d keys, %d-byte values; bytes/key = RSS growth / keys)\n", ms[0].Keys, ms[0].ValueSize)
	table := [][]string{{"peer", "RSS before MB", "RSS after MB", "bytes/key", "used_memory MB", "DBSIZE"}}
	perKey := map[string]float64{}
	for _, m := range ms {
		if m.Error != "" {
			table = append(table, []string{m.Peer, "ERR", "", "", "", ""})
			continue
		}
		perKey[m.Peer] = m.BytesPerKey
		table = append(table, []string{m.Peer, fmt.Sprintf("%.1f", mb(m.RSSBefore)), fmt.Sprintf("%.1f", mb(m.RSSAfter)),
			fmt.Sprintf("%.1f", m.BytesPerKey), usedMemoryCell(m.UsedMemory), fmt.Sprint(m.DBSize)})
	}
	printTable(w, table)
	for _, p := range ratioPeers(peers) {
		fmt.Fprintf(w, "bytes/key kioku/%s: %s\n", p, ratioCell(ratio(perKey, peerKioku, p)))
	}
}

func mb(b int64) float64 { return float64(b) / 1e6 }

func usedMemoryCell(v *int64) string {
	if v == nil {
		return "n/a"
	}
	return fmt.Sprintf("%.1f", mb(*v))
}

func writeJSON(path string, res *results) error {
	data, err := json.MarshalIndent(res, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(path, append(data, '\n'), 0o644); err != nil {
		return fmt.Errorf("writing -json %s: %v", path, err)
	}
	logf("wrote %s", path)
	return nil
}
