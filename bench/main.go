// Command bench compares Kioku with a real redis-server and with miniredis
// in one run: throughput (via redis-benchmark), memory per key (via RSS),
// PUBLISH fan-out and, on request, persistence (AOF, RDB load, BGSAVE).
//
// Run it from the repository root:
//
//	go run ./bench
//	go run ./bench -only redis,miniredis -tests set,get -rounds 3 -json out.json
//
// See bench/README.md for what each number means.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// config holds everything the command line can change.
type config struct {
	peers          []string
	tests          []string
	pipelines      []int
	requests       int
	clients        int
	keyspace       int
	rounds         int
	keys           int
	valueSize      int
	measure        map[string]bool
	jsonPath       string
	runTimeout     time.Duration
	kiokuBin       string
	redisServer    string
	redisBenchmark string
	aofRequests    int
}

// defaultTests are the commands whose speed the issues track: strings
// first, then the collection types.
const defaultTests = "set,get,incr,mset,lpush,rpop,lrange_100,sadd,hset,spop"

func main() {
	// Hidden mode: this same binary serves miniredis in a child process so
	// that its RSS can be measured apart from the harness.
	if len(os.Args) > 1 && os.Args[1] == serveMiniredisArg {
		os.Exit(serveMiniredis(os.Args[2:]))
	}
	cfg, err := parseFlags(os.Args[1:])
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(2)
	}
	os.Exit(run(cfg))
}

func parseFlags(args []string) (*config, error) {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	only := fs.String("only", strings.Join(allPeers, ","), "comma list of peers to run: kioku,redis,miniredis")
	tests := fs.String("tests", defaultTests, "comma list of redis-benchmark tests (-t names)")
	pipes := fs.String("pipelines", "1,16", "comma list of pipeline depths (redis-benchmark -P)")
	measure := fs.String("measure", "throughput,memory,publish",
		"what to measure (comma list): throughput, memory, publish, persist (= "+strings.Join(persistTests, ", ")+"), or one of those")
	cfg := &config{}
	fs.IntVar(&cfg.requests, "n", 200000, "requests per redis-benchmark test")
	fs.IntVar(&cfg.clients, "c", 50, "parallel redis-benchmark connections")
	fs.IntVar(&cfg.keyspace, "r", 100000, "redis-benchmark random keyspace length")
	fs.IntVar(&cfg.rounds, "rounds", 1, "throughput rounds; peer order rotates each round, the median is reported")
	fs.IntVar(&cfg.keys, "keys", 1000000, "keys written for the memory measurement")
	fs.IntVar(&cfg.valueSize, "value-size", 32, "value size in bytes for the memory measurement")
	fs.IntVar(&cfg.aofRequests, "aof-n", 100000, "SET requests per redis-benchmark run in the aof_* measurements at -P 1 to 4 (deeper pipelines send P/4 times as many)")
	fs.StringVar(&cfg.jsonPath, "json", "", "also write results as JSON to this file")
	fs.DurationVar(&cfg.runTimeout, "timeout", 5*time.Minute, "time limit for one redis-benchmark run")
	fs.StringVar(&cfg.kiokuBin, "kioku-bin", "", "use this prebuilt kioku-server instead of building ./cmd/server")
	fs.StringVar(&cfg.redisServer, "redis-server", "/usr/bin/redis-server", "path to redis-server")
	fs.StringVar(&cfg.redisBenchmark, "redis-benchmark", "/usr/bin/redis-benchmark", "path to redis-benchmark")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments: %q", fs.Args())
	}
	return cfg, cfg.fill(*only, *tests, *pipes, *measure)
}

// fill turns the comma-list flags into validated config fields.
func (cfg *config) fill(only, tests, pipes, measure string) error {
	var err error
	if cfg.peers, err = parsePeers(only); err != nil {
		return err
	}
	if cfg.tests = splitList(tests); len(cfg.tests) == 0 {
		return fmt.Errorf("-tests is empty")
	}
	if cfg.pipelines, err = parseInts(pipes); err != nil {
		return fmt.Errorf("-pipelines: %v", err)
	}
	cfg.measure = map[string]bool{}
	for _, m := range splitList(measure) {
		switch {
		case m == "throughput" || m == "memory" || m == "publish":
			cfg.measure[m] = true
		case m == measurePersist:
			for _, t := range persistTests {
				cfg.measure[t] = true
			}
		case slices.Contains(persistTests, m):
			cfg.measure[m] = true
		default:
			return fmt.Errorf("-measure: unknown %q (want throughput, memory, publish, %s or one of %s)",
				m, measurePersist, strings.Join(persistTests, ", "))
		}
	}
	if len(cfg.measure) == 0 {
		return fmt.Errorf("-measure is empty")
	}
	if cfg.rounds < 1 || cfg.requests < 1 || cfg.clients < 1 || cfg.keys < 1 || cfg.valueSize < 1 || cfg.aofRequests < 1 {
		return fmt.Errorf("-rounds, -n, -c, -keys, -value-size and -aof-n must be positive")
	}
	return nil
}

func parsePeers(list string) ([]string, error) {
	var peers []string
	for _, name := range splitList(list) {
		if !isPeer(name) {
			return nil, fmt.Errorf("-only: unknown peer %q (want %s)", name, strings.Join(allPeers, ","))
		}
		peers = append(peers, name)
	}
	if len(peers) == 0 {
		return nil, fmt.Errorf("-only is empty")
	}
	return peers, nil
}

func splitList(s string) []string {
	var out []string
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}

func parseInts(s string) ([]int, error) {
	var out []int
	for _, part := range splitList(s) {
		n, err := strconv.Atoi(part)
		if err != nil || n < 1 {
			return nil, fmt.Errorf("bad value %q", part)
		}
		out = append(out, n)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("empty list")
	}
	return out, nil
}

// run does the whole benchmark and returns the process exit code. It never
// calls os.Exit itself so that deferred cleanup (killing servers, removing
// the temp dir) always happens.
func run(cfg *config) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	env, err := prepare(ctx, cfg)
	if err != nil {
		logf("FATAL: %v", err)
		return 1
	}
	defer env.cleanup()

	res := &results{Config: cfg.summary()}
	var failures []string
	if cfg.measure["throughput"] {
		failures = append(failures, measureThroughput(ctx, env, cfg, res)...)
	}
	if cfg.measure["memory"] && ctx.Err() == nil {
		failures = append(failures, measureMemory(ctx, env, cfg, res)...)
	}
	if cfg.measure["publish"] && ctx.Err() == nil {
		failures = append(failures, measurePublish(ctx, env, cfg, res)...)
	}
	if len(cfg.persistSelected()) > 0 && ctx.Err() == nil {
		failures = append(failures, measurePersistence(ctx, env, cfg, res)...)
	}
	if cfg.measure["throughput"] {
		res.buildThroughputRows(cfg)
	}
	printReport(os.Stdout, cfg.peers, res)
	if cfg.jsonPath != "" {
		if err := writeJSON(cfg.jsonPath, res); err != nil {
			failures = append(failures, err.Error())
		}
	}
	return finish(ctx, failures)
}

func finish(ctx context.Context, failures []string) int {
	if ctx.Err() != nil {
		logf("interrupted; servers stopped")
		return 130
	}
	if len(failures) == 0 {
		return 0
	}
	logf("FAILED: %d part(s) could not run:", len(failures))
	for _, f := range failures {
		logf("  - %s", f)
	}
	return 1
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "[bench %s] %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, args...))
}
