package compat

import (
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// randomGen produces a reproducible sequence of string and key commands
// over a small key space, so commands keep hitting the same keys in every
// state (missing, integer, float, text, with and without TTL, other DB).
type randomGen struct {
	r *rand.Rand
}

var (
	randKeys   = []string{"k0", "k1", "k2", "k3", "k4", ""}
	randValues = []string{
		"0", "1", "-1", "42", "9223372036854775807", "-9223372036854775808", "3.14", "abc", "", "hello world",
		"\x00\xff", "007", "1e5", " 1", "10.5", strings.Repeat("long", 12), "mynewtext", "ohmytext",
	}
	randFloats = []string{"0.1", "0.2", "1.5", "-3", "1e3", "10.5", "0.3333", "abc", "inf", "-0", "5e-3", "1e308"}
	randInts   = []string{"1", "-1", "0", "10", "-100", "9223372036854775807", "-9223372036854775808", "abc", "1.5"}
)

func (g *randomGen) pick(xs []string) string { return xs[g.r.IntN(len(xs))] }
func (g *randomGen) key() string             { return g.pick(randKeys) }
func (g *randomGen) val() string             { return g.pick(randValues) }
func (g *randomGen) chance(p float64) bool   { return g.r.Float64() < p }

// ttlArgs returns an expiry option for SET/GETEX. Relative TTLs are long
// enough that nothing expires while the sequence runs; absolute ones are
// in 2100 (exact on both servers).
func (g *randomGen) ttlArgs() []string {
	switch g.r.IntN(4) {
	case 0:
		return []string{"EX", strconv.Itoa(100 + g.r.IntN(900))}
	case 1:
		return []string{"PX", strconv.Itoa(100000 + g.r.IntN(900000))}
	case 2:
		return []string{"EXAT", strconv.Itoa(4102444800 + g.r.IntN(1000))}
	default:
		return []string{"PXAT", strconv.Itoa(4102444800000 + g.r.IntN(1000000))}
	}
}

func (g *randomGen) next() step {
	k := g.key()
	switch g.r.IntN(44) {
	case 0, 1, 2:
		args := []string{"SET", k, g.val()}
		if g.chance(0.4) {
			args = append(args, g.ttlArgs()...)
		} else if g.chance(0.15) {
			args = append(args, "KEEPTTL")
		}
		if g.chance(0.2) {
			args = append(args, g.pick([]string{"NX", "XX"}))
		}
		if g.chance(0.2) {
			args = append(args, "GET")
		}
		if g.chance(0.03) {
			args = append(args, g.pick([]string{"NX", "EX", "KEEPTTL", "FOO", "PX 0"}))
		}
		return cmdArgs(args...)
	case 3, 4:
		return cmdArgs("GET", k)
	case 5:
		return cmdArgs("GETSET", k, g.val())
	case 6:
		return cmdArgs("GETDEL", k)
	case 7:
		args := []string{"GETEX", k}
		switch g.r.IntN(5) {
		case 0:
			args = append(args, g.ttlArgs()...)
		case 1:
			args = append(args, "PERSIST")
		case 2:
			args = append(args, g.pick([]string{"EXAT", "PXAT"}), "1") // in the past: deletes the key
		}
		return cmdArgs(args...)
	case 8:
		return cmdArgs("SETNX", k, g.val())
	case 9:
		if g.chance(0.5) {
			return cmdArgs("SETEX", k, strconv.Itoa(100+g.r.IntN(900)), g.val())
		}
		return cmdArgs("PSETEX", k, strconv.Itoa(100000+g.r.IntN(900000)), g.val())
	case 10:
		return cmdArgs("MGET", k, g.key(), g.key())
	case 11:
		return cmdArgs("MSET", k, g.val(), g.key(), g.val())
	case 12:
		return cmdArgs("MSETNX", k, g.val(), g.key(), g.val())
	case 13, 14:
		return cmdArgs(g.pick([]string{"INCR", "DECR"}), k)
	case 15:
		return cmdArgs(g.pick([]string{"INCRBY", "DECRBY"}), k, g.pick(randInts))
	case 16, 17:
		return cmdArgs("INCRBYFLOAT", k, g.pick(randFloats))
	case 18:
		return cmdArgs("APPEND", k, g.val())
	case 19:
		return cmdArgs("STRLEN", k)
	case 20:
		return cmdArgs(g.pick([]string{"GETRANGE", "SUBSTR"}), k, strconv.Itoa(g.r.IntN(30)-15), strconv.Itoa(g.r.IntN(30)-15))
	case 21:
		return cmdArgs("SETRANGE", k, strconv.Itoa(g.r.IntN(20)), g.val())
	case 22:
		args := []string{"LCS", k, g.key()}
		switch g.r.IntN(4) {
		case 0:
			args = append(args, "LEN")
		case 1:
			args = append(args, "IDX")
			if g.chance(0.5) {
				args = append(args, "MINMATCHLEN", strconv.Itoa(g.r.IntN(4)))
			}
			if g.chance(0.5) {
				args = append(args, "WITHMATCHLEN")
			}
		}
		return cmdArgs(args...)
	case 23:
		return cmdArgs(g.pick([]string{"DEL", "UNLINK"}), k, g.key())
	case 24:
		return cmdArgs("EXISTS", k, g.key())
	case 25:
		return cmdArgs("TYPE", k)
	case 26:
		return cmdArgs(g.pick([]string{"RENAME", "RENAMENX"}), k, g.key())
	case 27:
		args := []string{"COPY", k, g.key()}
		if g.chance(0.3) {
			args = append(args, "DB", strconv.Itoa(g.r.IntN(2)))
		}
		if g.chance(0.5) {
			args = append(args, "REPLACE")
		}
		return cmdArgs(args...)
	case 28:
		return cmdArgs("MOVE", k, strconv.Itoa(g.r.IntN(2)))
	case 29:
		return cmdArgs("SELECT", strconv.Itoa(g.r.IntN(2)))
	case 30:
		if g.chance(0.3) {
			return cmdArgs("SWAPDB", "0", "1")
		}
		return cmdArgs("DBSIZE")
	case 31, 32:
		var args []string
		switch g.r.IntN(4) {
		case 0:
			args = []string{"EXPIRE", k, strconv.Itoa(100 + g.r.IntN(900))}
		case 1:
			args = []string{"PEXPIRE", k, strconv.Itoa(100000 + g.r.IntN(900000))}
		case 2:
			args = []string{"EXPIREAT", k, strconv.Itoa(4102444800 + g.r.IntN(1000))}
		default:
			args = []string{"PEXPIREAT", k, strconv.Itoa(4102444800000 + g.r.IntN(1000000))}
		}
		if g.chance(0.05) {
			args[2] = "-1" // deletes the key
		}
		if g.chance(0.4) {
			args = append(args, g.pick([]string{"NX", "XX", "GT", "LT"}))
		}
		return cmdArgs(args...)
	case 33:
		return cmdArgs("TTL", k).within(1)
	case 34:
		return cmdArgs("PTTL", k).within(1000)
	case 35:
		return cmdArgs("EXPIRETIME", k).within(1)
	case 36:
		return cmdArgs("PEXPIRETIME", k).within(1000)
	case 37:
		return cmdArgs("PERSIST", k)
	case 38:
		return cmdArgs("OBJECT", "ENCODING", k)
	case 39:
		return cmdArgs("KEYS", g.pick([]string{"*", "k?", "k[0-2]", "*1*"})).sorted()
	case 40:
		return scanAll("SCAN 0 MATCH k* COUNT " + strconv.Itoa(1+g.r.IntN(5)))
	case 41:
		return cmdArgs("RANDOMKEY").shape()
	case 42:
		return cmdArgs("TOUCH", k, g.key())
	default:
		return cmdArgs("GETRANGE", k, "0", "-1")
	}
}

// randomSeeds are replayed on every run; COMPAT_SEEDS=1,2,3 replaces them
// and COMPAT_RANDOM_EXTRA=n adds n seeds from the clock (logged).
func randomSeeds(t *testing.T) []uint64 {
	seeds := []uint64{1, 2, 3, 4, 5, 6, 7, 8}
	if s := os.Getenv("COMPAT_SEEDS"); s != "" {
		seeds = nil
		for _, f := range strings.Split(s, ",") {
			n, err := strconv.ParseUint(strings.TrimSpace(f), 10, 64)
			if err != nil {
				t.Fatalf("COMPAT_SEEDS: %v", err)
			}
			seeds = append(seeds, n)
		}
	}
	if s := os.Getenv("COMPAT_RANDOM_EXTRA"); s != "" {
		n, _ := strconv.Atoi(s)
		for i := 0; i < n; i++ {
			seeds = append(seeds, uint64(time.Now().UnixNano())+uint64(i))
		}
	}
	return seeds
}

// TestDiffRandom replays seeded random command sequences against both
// servers and stops each sequence at its first mismatch, showing the
// commands that led there.
func TestDiffRandom(t *testing.T) {
	t.Parallel()
	ref, sut := startPair(t)
	replayRandom(t, ref, sut, randomRun{steps: 600, salt: 0x9e3779b97f4a7c15,
		generator: func(r *rand.Rand) func() step { return (&randomGen{r: r}).next }})
}

// randomRun is one family's random differential test.
type randomRun struct {
	steps int
	// salt is mixed into each seed, so families draw different sequences.
	salt uint64
	// prelude runs after FLUSHALL (and before HELLO 3 on even seeds).
	prelude []string
	// generator makes the command source of one sequence.
	generator func(r *rand.Rand) func() step
}

// replayRandom replays the seeded random sequences of run on both servers,
// reply by reply, stopping each at its first mismatch and showing the
// commands that led there. Even seeds speak RESP3. COMPAT_TRACE=1 logs
// every step.
func replayRandom(t *testing.T, ref, sut *target, run randomRun) {
	trace := os.Getenv("COMPAT_TRACE") != ""
	for _, seed := range randomSeeds(t) {
		resp3 := seed%2 == 0
		t.Run(fmt.Sprintf("seed=%d/resp3=%v", seed, resp3), func(t *testing.T) {
			next := run.generator(rand.New(rand.NewPCG(seed, seed^run.salt)))
			s := openSession(t, ref, sut)
			prelude := append([]string{"FLUSHALL"}, run.prelude...)
			if resp3 {
				prelude = append(prelude, "HELLO 3")
			}
			s.setup(t, prelude...)
			var history []string
			for i := 0; i < run.steps; i++ {
				st := next()
				history = append(history, quoteArgs(st.args))
				ok, detail, _ := s.compare(st)
				if trace {
					t.Logf("step %d: %s -> %s", i+1, quoteArgs(st.args), s.lastRef)
				}
				if !ok {
					from := max(0, len(history)-20)
					t.Errorf("seed %d step %d (rerun with COMPAT_SEEDS=%d): %s\n\tpreceding commands:\n\t\t%s",
						seed, i+1, seed, detail, strings.Join(history[from:len(history)-1], "\n\t\t"))
					return
				}
			}
		})
	}
}
