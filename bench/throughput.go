package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// benchRow is one line of redis-benchmark --csv output.
type benchRow struct {
	Name string  // as redis-benchmark prints it, e.g. "MSET (10 keys)"
	RPS  float64 // requests per second
}

// measureThroughput runs redis-benchmark against each peer, one server at a
// time (there are only 2 cores: concurrent servers would steal from each
// other). Each round starts every peer fresh and rotates the peer order, so
// no peer always goes first on a cold or warm machine.
func measureThroughput(ctx context.Context, e *env, cfg *config, res *results) []string {
	var failures []string
	for round := 0; round < cfg.rounds && ctx.Err() == nil; round++ {
		for _, peer := range rotate(cfg.peers, round) {
			if ctx.Err() != nil {
				break
			}
			logf("throughput round %d/%d: %s", round+1, cfg.rounds, peer)
			failures = append(failures, benchPeer(ctx, e, cfg, peer, res)...)
		}
	}
	return failures
}

func rotate(list []string, by int) []string {
	n := len(list)
	out := make([]string, n)
	for i := range list {
		out[i] = list[(i+by)%n]
	}
	return out
}

// benchPeer starts one fresh server and runs every test at every pipeline
// depth against it. One redis-benchmark process per test, so a command the
// server rejects loses only that test.
func benchPeer(ctx context.Context, e *env, cfg *config, peer string, res *results) []string {
	s, err := startServer(ctx, e, peer)
	if err != nil {
		res.failThroughput(cfg.tests, cfg.pipelines, peer, "server did not start")
		return []string{err.Error()}
	}
	defer s.stop()
	var failures []string
	for _, p := range cfg.pipelines {
		for _, test := range cfg.tests {
			if ctx.Err() != nil {
				return failures
			}
			if err := prefill(ctx, s.port, test); err != nil {
				res.failThroughput([]string{test}, []int{p}, peer, err.Error())
				failures = append(failures, fmt.Sprintf("%s: filling for %s: %v", peer, test, err))
				continue
			}
			rows, err := runBenchmark(ctx, e, cfg, s.port, test, p)
			if ctx.Err() != nil {
				return failures // interrupted: not the server's fault
			}
			if err != nil {
				res.failThroughput([]string{test}, []int{p}, peer, err.Error())
				failures = append(failures, fmt.Sprintf("%s: redis-benchmark -t %s -P %d: %v", peer, test, p, err))
				if !s.alive() {
					return append(failures, fmt.Sprintf("%s: server died:\n%s", peer, s.logTail()))
				}
				continue
			}
			for _, row := range rows {
				res.addSample(test, row.Name, p, peer, row.RPS)
				logf("  %-9s P=%-3d %-32s %12.0f rps", peer, p, row.Name, row.RPS)
			}
		}
	}
	return failures
}

// runBenchmark runs one redis-benchmark test and parses its CSV.
func runBenchmark(ctx context.Context, e *env, cfg *config, port int, test string, pipeline int) ([]benchRow, error) {
	ctx, cancel := context.WithTimeout(ctx, cfg.runTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, e.redisBenchmark, benchmarkArgs(cfg, port, test, pipeline)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.SysProcAttr = childProcAttr()
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Run(); err != nil {
		if ctx.Err() == context.DeadlineExceeded {
			return nil, fmt.Errorf("timed out after %v (raise -timeout)", cfg.runTimeout)
		}
		return nil, fmt.Errorf("%v: %s", err, lastLine(stderr.String()))
	}
	rows, err := parseBenchmarkCSV(stdout.String())
	if err != nil {
		return nil, fmt.Errorf("%v; stderr: %s", err, lastLine(stderr.String()))
	}
	if _, ok := customTests[test]; ok && len(rows) == 1 {
		rows[0].Name = strings.ToUpper(test) // not the whole command line
	}
	return rows, nil
}

// customTests are tests that redis-benchmark 7.0 lacks as -t names; they run
// as an explicit command line instead (the same command that newer
// redis-benchmark versions use for them).
var customTests = map[string][]string{
	"xadd": {"XADD", "bench:stream", "*", "myfield", "__rand_int__"},
}

// testCommand is the explicit command line for a test, or nil for a built-in
// -t test. A test containing spaces is taken as a raw command line, so any
// command can be benchmarked: -tests 'set,HSET h __rand_int__ v'.
func testCommand(test string) []string {
	if cmd, ok := customTests[test]; ok {
		return cmd
	}
	if strings.Contains(test, " ") {
		return strings.Fields(test)
	}
	return nil
}

func benchmarkArgs(cfg *config, port int, test string, pipeline int) []string {
	args := []string{
		"-h", "127.0.0.1", "-p", strconv.Itoa(port),
		"-n", strconv.Itoa(cfg.requests),
		"-r", strconv.Itoa(cfg.keyspace),
		"-c", strconv.Itoa(cfg.clients),
		"-P", strconv.Itoa(pipeline),
		"-q", "--csv",
	}
	if cmd := testCommand(test); cmd != nil {
		return append(args, cmd...)
	}
	return append(args, "-t", test)
}

// parseBenchmarkCSV reads redis-benchmark 7 --csv output: a header line
// "test","rps","avg_latency_ms",... then one quoted row per test. Lines
// before the header (warnings) and carriage-return progress are ignored.
// Output with a header but no rows means redis-benchmark did not know the
// test name, which is an error here.
func parseBenchmarkCSV(out string) ([]benchRow, error) {
	testCol, rpsCol := -1, -1
	var rows []benchRow
	for _, line := range strings.Split(out, "\n") {
		if i := strings.LastIndexByte(line, '\r'); i >= 0 && i < len(line)-1 {
			line = line[i+1:] // keep only what was printed after the last progress update
		}
		line = strings.TrimSpace(line)
		if !strings.HasPrefix(line, `"`) {
			continue
		}
		fields, err := csv.NewReader(strings.NewReader(line)).Read()
		if err != nil {
			return nil, fmt.Errorf("bad CSV line %q: %v", line, err)
		}
		if testCol < 0 {
			if testCol, rpsCol = columnIndex(fields, "test"), columnIndex(fields, "rps"); testCol < 0 || rpsCol < 0 {
				return nil, fmt.Errorf("CSV header %q lacks \"test\" or \"rps\"", line)
			}
			continue
		}
		row, err := rowFromFields(fields, testCol, rpsCol)
		if err != nil {
			return nil, err
		}
		rows = append(rows, row)
	}
	if testCol < 0 {
		return nil, fmt.Errorf("no CSV header in redis-benchmark output %q", lastLine(out))
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("redis-benchmark printed no result (unknown test name?)")
	}
	return rows, nil
}

func rowFromFields(fields []string, testCol, rpsCol int) (benchRow, error) {
	if len(fields) <= testCol || len(fields) <= rpsCol {
		return benchRow{}, fmt.Errorf("short CSV row %q", fields)
	}
	rps, err := strconv.ParseFloat(fields[rpsCol], 64)
	if err != nil {
		return benchRow{}, fmt.Errorf("bad rps %q for %q", fields[rpsCol], fields[testCol])
	}
	return benchRow{Name: fields[testCol], RPS: rps}, nil
}

func columnIndex(header []string, name string) int {
	for i, h := range header {
		if h == name {
			return i
		}
	}
	return -1
}

// lastLine is the last non-empty line of s (after any '\r' progress), which
// is where redis-benchmark puts its error message.
func lastLine(s string) string {
	lines := strings.FieldsFunc(s, func(r rune) bool { return r == '\n' || r == '\r' })
	for i := len(lines) - 1; i >= 0; i-- {
		if l := strings.TrimSpace(lines[i]); l != "" {
			return l
		}
	}
	return "(no output)"
}
