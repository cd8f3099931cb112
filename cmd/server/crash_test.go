package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"
)

// The crash test: a server with `appendfsync always` is killed with
// SIGKILL at a random moment while clients write; after a restart on the
// same directory every write that was acknowledged is there, and every
// transaction and script is all or nothing. KIOKU_CRASH_ROUNDS sets the
// number of kills (default 4).

var crashCtx = context.Background()

type crashServer struct {
	t    *testing.T
	dir  string
	port int
	args []string
	done chan error
	kill func()
}

func startCrashServer(t *testing.T, dir string, extra ...string) *crashServer {
	t.Helper()
	s := &crashServer{t: t, dir: dir, port: freePort(t)}
	s.args = append([]string{"--port", strconv.Itoa(s.port), "--bind", "127.0.0.1", "--dir", dir,
		"--save", "", "--appendonly", "yes"}, extra...)
	cmd := serverCmd(s.args...)
	if testing.Verbose() {
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	}
	require.NoError(t, cmd.Start())
	s.done = make(chan error, 1)
	go func() { s.done <- cmd.Wait() }()
	s.kill = func() { _ = cmd.Process.Kill(); <-s.done }
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port))
	require.Eventually(t, func() bool {
		select {
		case err := <-s.done:
			t.Fatalf("server exited while starting: %v", err)
		default:
		}
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
		}
		return err == nil
	}, 30*time.Second, 10*time.Millisecond)
	return s
}

func (s *crashServer) client() *redis.Client {
	return redis.NewClient(&redis.Options{
		Addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port)), PoolSize: 16,
		MaxRetries: -1, DialTimeout: time.Second, ReadTimeout: 5 * time.Second,
	})
}

// acked records what the server acknowledged, per writer.
type acked struct {
	mu       sync.Mutex
	counter  map[string]int64 // INCR key -> highest value acknowledged
	list     map[string]int   // LPUSH key -> elements acknowledged
	sets     map[string]string
	zset     map[string]float64
	stream   map[string]string // last XADD id acknowledged
	txns     map[string]int64  // tx:N pair counter acknowledged
	scripted map[string]int64
}

const crashScript = `
local n = redis.call('INCR', KEYS[1])
redis.call('SET', KEYS[2], n)
redis.call('RPUSH', KEYS[3], n)
return n`

func crashWriter(ctx context.Context, c *redis.Client, w int, a *acked) {
	id := strconv.Itoa(w)
	for i := 1; ctx.Err() == nil; i++ {
		var err error
		switch i % 7 {
		case 0:
			var n int64
			n, err = c.Incr(ctx, "ctr:"+id).Result()
			if err == nil {
				a.mu.Lock()
				a.counter["ctr:"+id] = n
				a.mu.Unlock()
			}
		case 1:
			v := "v" + strconv.Itoa(i)
			err = c.Set(ctx, "str:"+id, v, 0).Err()
			if err == nil {
				a.mu.Lock()
				a.sets["str:"+id] = v
				a.mu.Unlock()
			}
		case 2:
			var n int64
			n, err = c.LPush(ctx, "list:"+id, i).Result()
			if err == nil {
				a.mu.Lock()
				a.list["list:"+id] = int(n)
				a.mu.Unlock()
			}
		case 3:
			err = c.ZAdd(ctx, "z", redis.Z{Score: float64(i), Member: "m" + id}).Err()
			if err == nil {
				a.mu.Lock()
				a.zset["m"+id] = float64(i)
				a.mu.Unlock()
			}
		case 4:
			var xid string
			xid, err = c.XAdd(ctx, &redis.XAddArgs{Stream: "x:" + id, Values: []string{"i", strconv.Itoa(i)}}).Result()
			if err == nil {
				a.mu.Lock()
				a.stream["x:"+id] = xid
				a.mu.Unlock()
			}
		case 5:
			// A transaction writes the same number to two keys (in
			// different shards): after a crash both or neither.
			_, err = c.TxPipelined(ctx, func(p redis.Pipeliner) error {
				p.Set(ctx, "txa:"+id, i, 0)
				p.Set(ctx, "txb:"+id, i, 0)
				return nil
			})
			if err == nil {
				a.mu.Lock()
				a.txns[id] = int64(i)
				a.mu.Unlock()
			}
		case 6:
			var n int64
			n, err = c.Eval(ctx, crashScript, []string{"sc:" + id, "scv:" + id, "scl:" + id}).Int64()
			if err == nil {
				a.mu.Lock()
				a.scripted[id] = n
				a.mu.Unlock()
			}
		}
		if err != nil {
			return // the server died: nothing more is acknowledged
		}
	}
}

func TestCrashLosesNothingAcknowledged(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test in -short mode")
	}
	rounds := 4
	if v, err := strconv.Atoi(os.Getenv("KIOKU_CRASH_ROUNDS")); err == nil && v > 0 {
		rounds = v
	}
	dir := t.TempDir()
	a := &acked{counter: map[string]int64{}, list: map[string]int{}, sets: map[string]string{},
		zset: map[string]float64{}, stream: map[string]string{}, txns: map[string]int64{}, scripted: map[string]int64{}}
	for round := 0; round < rounds; round++ {
		s := startCrashServer(t, dir, "--appendfsync", "always")
		c := s.client()
		verifyAcked(t, c, a, round)
		ctx, cancel := context.WithCancel(crashCtx)
		var wg sync.WaitGroup
		for w := 0; w < 6; w++ {
			wg.Add(1)
			go func(w int) { defer wg.Done(); crashWriter(ctx, c, w, a) }(w)
		}
		// Every other round, a rewrite runs while the writers write.
		if round%2 == 1 {
			time.Sleep(50 * time.Millisecond)
			_ = c.BgRewriteAOF(crashCtx).Err()
		}
		time.Sleep(time.Duration(100+rand.IntN(400)) * time.Millisecond)
		s.kill()
		cancel()
		wg.Wait()
		c.Close()
	}
	s := startCrashServer(t, dir, "--appendfsync", "always")
	c := s.client()
	defer c.Close()
	verifyAcked(t, c, a, rounds)
	s.kill()
}

// verifyAcked checks that every acknowledged write survived. A write
// that was in flight at the kill may also be there (it reached the disk
// but its reply did not reach the client), so counters may be ahead of
// what was acknowledged, never behind.
func verifyAcked(t *testing.T, c *redis.Client, a *acked, round int) {
	t.Helper()
	a.mu.Lock()
	defer a.mu.Unlock()
	msg := func(what string) string { return fmt.Sprintf("round %d: %s", round, what) }
	for k, n := range a.counter {
		got, _ := c.Get(crashCtx, k).Int64()
		require.GreaterOrEqual(t, got, n, msg(k))
		a.counter[k] = got
	}
	for k, n := range a.list {
		got := c.LLen(crashCtx, k).Val()
		require.GreaterOrEqual(t, got, int64(n), msg(k))
		a.list[k] = int(got)
	}
	for k, v := range a.sets {
		got := c.Get(crashCtx, k).Val()
		if got != v { // a later SET may have landed unacknowledged
			require.NotEmpty(t, got, msg(k))
		}
		a.sets[k] = got
	}
	for m, score := range a.zset {
		got := c.ZScore(crashCtx, "z", m).Val()
		require.GreaterOrEqual(t, got, score, msg(m))
		a.zset[m] = got
	}
	for k, id := range a.stream {
		last := c.XRevRangeN(crashCtx, k, "+", "-", 1).Val()
		require.NotEmpty(t, last, msg(k))
		require.True(t, streamIDLess(id, last[0].ID), msg(k+" lost entry "+id))
		a.stream[k] = last[0].ID
	}
	for id, n := range a.txns {
		x, _ := c.Get(crashCtx, "txa:"+id).Int64()
		y, _ := c.Get(crashCtx, "txb:"+id).Int64()
		require.Equal(t, x, y, msg("transaction of writer "+id+" is half applied"))
		require.GreaterOrEqual(t, x, n, msg("transaction of writer "+id))
		a.txns[id] = x
	}
	for id, n := range a.scripted {
		ctr, _ := c.Get(crashCtx, "sc:"+id).Int64()
		val, _ := c.Get(crashCtx, "scv:"+id).Int64()
		l := c.LLen(crashCtx, "scl:"+id).Val()
		require.Equal(t, ctr, val, msg("script of writer "+id+" is half applied"))
		require.Equal(t, ctr, l, msg("script list of writer "+id))
		require.GreaterOrEqual(t, ctr, n, msg("script of writer "+id))
		a.scripted[id] = ctr
	}
}

// streamIDLess reports whether a <= b as stream IDs.
func streamIDLess(a, b string) bool {
	am, as := splitStreamID(a)
	bm, bs := splitStreamID(b)
	return am < bm || (am == bm && as <= bs)
}

func splitStreamID(id string) (uint64, uint64) {
	var ms, seq uint64
	fmt.Sscanf(id, "%d-%d", &ms, &seq)
	return ms, seq
}

// TestEverysecLossIsBounded kills a server running `appendfsync everysec`
// under a steady stream of INCRs and reports how many acknowledged writes
// were lost: about one second's worth at most.
func TestEverysecLossIsBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test in -short mode")
	}
	dir := t.TempDir()
	s := startCrashServer(t, dir, "--appendfsync", "everysec")
	c := s.client()
	var last atomic.Int64
	var lastAt atomic.Int64
	ctx, cancel := context.WithCancel(crashCtx)
	go func() {
		for ctx.Err() == nil {
			n, err := c.Incr(ctx, "ctr").Result()
			if err != nil {
				return
			}
			last.Store(n)
			lastAt.Store(time.Now().UnixNano())
		}
	}()
	time.Sleep(2500 * time.Millisecond)
	s.kill()
	cancel()
	c.Close()
	acked := last.Load()
	s = startCrashServer(t, dir, "--appendfsync", "everysec")
	c = s.client()
	defer c.Close()
	got, _ := c.Get(crashCtx, "ctr").Int64()
	rate := float64(acked) / 2.5
	lost := acked - got
	t.Logf("everysec: %d INCRs acknowledged, %d after restart: %d lost (%.2f s at %.0f/s)",
		acked, got, max(lost, 0), float64(max(lost, 0))/rate, rate)
	// Loss is reported, not asserted in time: only the data's own rule is
	// checked (what was loaded is a prefix of what was written).
	require.LessOrEqual(t, got, acked+1)
	s.kill()
}
