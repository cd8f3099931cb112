package compat

import (
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
)

// Differential cases for the list family: every non-blocking command in
// normal, edge and error cases, the blocking ones on empty keys (a 0.01s
// timeout) and on non-empty keys (answered at once), and a seeded random
// sequence of list commands compared reply by reply.

func listCases() []dcase {
	long := []string{"RPUSH", "long"}
	for i := 0; i < 600; i++ {
		long = append(long, strconv.Itoa(i%37))
	}
	big := strings.Repeat("B", 9000)
	return []dcase{
		tc("push pop",
			"LPUSH l a", "RPUSH l b c", "LPUSH l x y z", "LRANGE l 0 -1", "LPOP l", "RPOP l", "LPOP l 2", "RPOP l 1",
			"LPOP l 0", "RPOP l 0", "LLEN l", "LPOP l 10", "EXISTS l", "LPOP l", "LPOP l 0", "LPOP l 1", "RPOP l 5",
			"LPUSHX l a", "RPUSHX l a", "RPUSH l a", "LPUSHX l b c", "RPUSHX l d e", "LRANGE l 0 -1", "LLEN nokey",
			"TYPE l", "OBJECT ENCODING l"),
		tc("pop errors",
			"RPUSH l a b", "LPOP l -1", "LPOP l abc", "RPOP l 1.5", "LPOP l 1 2", "LPOP nokey -1", "LPOP nokey abc",
			"RPOP l 9223372036854775807", "LPOP l 9223372036854775808", "LPOP", "LPUSH l", "RPUSHX l", "LLEN"),
		tc("wrong type",
			"SET s v", "LPUSH s a", "RPUSH s a", "LPUSHX s a", "RPUSHX s a", "LPOP s", "RPOP s 0", "LLEN s",
			"LRANGE s 0 -1", "LRANGE s a b", "LINDEX s 0", "LINDEX s x", "LSET s 0 x", "LSET s x y", "LINSERT s BEFORE a b",
			"LINSERT s UP a b", "LREM s 0 a", "LREM s x a", "LTRIM s 0 1", "LTRIM s x 1", "LPOS s a", "LPOS s a RANK 0",
			"LMOVE s d LEFT LEFT", "RPOPLPUSH s d", "LMPOP 1 s LEFT", "BLPOP s 0.01", "BLMOVE s d LEFT LEFT 0.01",
			"BLMPOP 0.01 1 s LEFT", "RPUSH l a", "LMOVE l s LEFT LEFT", "RPOPLPUSH l s", "LRANGE l 0 -1",
			"LMOVE nokey s LEFT LEFT", "BLPOP nokey s 0", "BLPOP l s 0"),
		tc("lrange",
			"RPUSH l a b c d e", "LRANGE l 0 0", "LRANGE l 0 -1", "LRANGE l -1 -1", "LRANGE l -3 -2", "LRANGE l 2 1",
			"LRANGE l 5 10", "LRANGE l -100 100", "LRANGE l -100 -6", "LRANGE l 4 4", "LRANGE l 1 -5",
			"LRANGE l 0 9223372036854775807", "LRANGE l -9223372036854775808 0", "LRANGE nokey 0 -1", "LRANGE l a 1",
			"LRANGE l 0 b", "LRANGE l 1.0 2", "LRANGE nokey a b"),
		tc("lindex lset",
			"RPUSH l a b c", "LINDEX l 0", "LINDEX l -1", "LINDEX l 3", "LINDEX l -4", "LINDEX l x", "LINDEX nokey 0",
			"LINDEX nokey x", "LSET l 0 A", "LSET l -1 C", "LSET l 3 x", "LSET l -4 x", "LSET l x y", "LSET nokey 0 x",
			"LSET nokey x y", "LRANGE l 0 -1", "LINDEX l 9223372036854775807", "LINDEX l -9223372036854775808",
			`LSET l 1 ""`, "LINDEX l 1"),
		tc("linsert",
			"RPUSH l a b a", "LINSERT l BEFORE a x", "LINSERT l AFTER a y", "LINSERT l after b z", "LINSERT l before zz q",
			"LINSERT l UP a q", "LINSERT nokey BEFORE a q", "LINSERT nokey UP a q", "LRANGE l 0 -1", `LINSERT l BEFORE "" q`,
			`RPUSH l ""`, `LINSERT l BEFORE "" q`, "LRANGE l 0 -1"),
		tc("lrem",
			"RPUSH l a b a c a b a", "LREM l 1 a", "LRANGE l 0 -1", "LREM l -2 a", "LRANGE l 0 -1", "LREM l 0 b",
			"LRANGE l 0 -1", "LREM l 100 zz", "LREM l -100 a", "LRANGE l 0 -1", "LREM l 0 c", "EXISTS l", "LREM nokey 1 a",
			"LREM l x a", "LREM nokey x a", "RPUSH m x", "LREM m 9223372036854775807 x", "RPUSH m x",
			"LREM m -9223372036854775808 x", "EXISTS m"),
		tc("ltrim",
			"RPUSH l a b c d e f", "LTRIM l 1 -2", "LRANGE l 0 -1", "LTRIM l 0 100", "LRANGE l 0 -1", "LTRIM l -2 -1",
			"LRANGE l 0 -1", "LTRIM l 2 1", "EXISTS l", "LTRIM nokey 0 1", "LTRIM l a 1", "LTRIM nokey a b",
			"RPUSH l a b c", "LTRIM l -100 0", "LRANGE l 0 -1", "LTRIM l 5 10", "EXISTS l"),
		tc("lpos",
			"RPUSH l a b c 1 2 3 c c", "LPOS l c", "LPOS l c RANK 2", "LPOS l c RANK -1", "LPOS l c RANK -3",
			"LPOS l c RANK 4", "LPOS l c COUNT 0", "LPOS l c COUNT 2", "LPOS l c RANK -1 COUNT 2", "LPOS l c COUNT 0 MAXLEN 6",
			"LPOS l c MAXLEN 2", "LPOS l c MAXLEN 3", "LPOS l c RANK 2 MAXLEN 7", "LPOS l zz", "LPOS l zz COUNT 0",
			"LPOS nokey a", "LPOS nokey a COUNT 1", "LPOS l c RANK 0", "LPOS nokey c RANK 0", "LPOS l c COUNT -1",
			"LPOS l c COUNT x", "LPOS l c MAXLEN -1", "LPOS l c MAXLEN x", "LPOS l c RANK x", "LPOS l c RANK",
			"LPOS l c FOO 1", "LPOS l c count 1 rank 1 maxlen 0", "LPOS l c RANK -9223372036854775808",
			"LPOS l c RANK -9223372036854775808 COUNT 1", "LPOS l c RANK 9223372036854775807", "LPOS l c RANK -9223372036854775807",
			"LPOS l c RANK 1 RANK 2", "LPOS l c COUNT 9223372036854775807"),
		tc("lmove rpoplpush",
			"RPUSH src a b c", "RPOPLPUSH src dst", "LMOVE src dst LEFT RIGHT", "LMOVE src dst RIGHT LEFT", "EXISTS src",
			"LRANGE dst 0 -1", "LMOVE src dst LEFT LEFT", "RPOPLPUSH src dst", "LMOVE dst dst LEFT RIGHT", "LRANGE dst 0 -1",
			"LMOVE dst dst RIGHT LEFT", "LRANGE dst 0 -1", "LMOVE dst dst left left", "LMOVE dst dst UP LEFT",
			"LMOVE dst dst LEFT DOWN", "LMOVE nokey nokey UP LEFT", "RPUSH one x", "RPOPLPUSH one one", "LRANGE one 0 -1",
			"LMOVE one other RIGHT RIGHT", "EXISTS one", "LRANGE other 0 -1"),
		tc("lmpop",
			"RPUSH b 1 2 3 4", "LMPOP 2 a b LEFT", "LMPOP 2 a b RIGHT COUNT 2", "LMPOP 1 b LEFT COUNT 10", "EXISTS b",
			"LMPOP 2 a b LEFT", "LMPOP 0 a LEFT", "LMPOP -1 a LEFT", "LMPOP x a LEFT", "LMPOP 2 a LEFT", "LMPOP 1 a",
			"LMPOP 1 a UP", "LMPOP 1 a LEFT COUNT 0", "LMPOP 1 a LEFT COUNT -1", "LMPOP 1 a LEFT COUNT x",
			"LMPOP 1 a LEFT COUNT 1 COUNT 1", "LMPOP 1 a LEFT FOO", "LMPOP 1 a LEFT COUNT", "LMPOP 9223372036854775807 a LEFT",
			"RPUSH c x", "lmpop 3 a b c left count 5", "SET s v", "RPUSH d y", "LMPOP 2 d s LEFT", "LMPOP 2 s d LEFT",
			"LMPOP 2 nokey s LEFT"),
		tc("blocking on empty keys",
			"BLPOP a 0.01", "BRPOP a b 0.01", "BLMOVE a b LEFT RIGHT 0.01", "BRPOPLPUSH a b 0.01",
			"BLMPOP 0.01 2 a b LEFT", "BLMPOP 0.01 1 a RIGHT COUNT 3", "EXISTS a b", "BLPOP a 0.001", "BLPOP a 0.0001",
			"BLPOP a .01", "BLPOP a 1e-2", "BLPOP a 0x1p-7", "BLPOP a 1e-400"),
		tc("blocking on non-empty keys",
			"RPUSH b 1 2 3 4 5", "BLPOP a b 0", "BRPOP a b 0", "BLMOVE b c LEFT RIGHT 0", "BRPOPLPUSH b c 0",
			"BLMPOP 0 2 a b LEFT COUNT 5", "EXISTS b", "LRANGE c 0 -1", "BLMOVE c c RIGHT LEFT 0", "LRANGE c 0 -1",
			"BLPOP c c 1", "BLPOP c 0.5"),
		tc("blocking errors",
			"BLPOP a -1", "BLPOP a abc", "BLPOP a inf", "BLPOP a -inf", "BLPOP a 1e20", "BLPOP a nan", `BLPOP a ""`,
			`BLPOP a " 1"`, `BLPOP a "1 "`, "BLPOP a 1_0", "BLPOP a 0b1", "BLPOP a 0o7", "BLPOP a infinity",
			"BLPOP a 9223372036854776", "BLPOP a 9223372036854775807", "BLPOP a -9223372036854775808", "BRPOP a -0.5",
			"BLMOVE a b LEFT UP 0", "BLMOVE a b UP LEFT -1", "BLMOVE a b LEFT LEFT abc", "BRPOPLPUSH a b -1",
			"BLMPOP -1 1 a LEFT", "BLMPOP 0 0 a LEFT", "BLMPOP abc 1 a LEFT", "BLMPOP 0 1 a UP", "BLMPOP 0 2 a LEFT",
			"BLMPOP 0 1 a LEFT COUNT 0", "BLMPOP x 0 a LEFT", "BLMPOP x 1 a UP", "BLMPOP x 1 a LEFT COUNT 0", "BLMPOP 0 1 a LEFT COUNT 1 COUNT 2", "BLPOP a", "BLMPOP 0 1 a"),
		tc("blocking inside multi",
			"MULTI", "BLPOP a 0", "BRPOP a 0", "BLMOVE a b LEFT LEFT 0", "BRPOPLPUSH a b 0", "BLMPOP 0 1 a LEFT",
			"RPUSH a x", "BLPOP a 0", "EXEC"),
		tc("long list across nodes", cmdArgs(long...), "LLEN long", "LINDEX long 300", "LINDEX long -301",
			"LSET long 300 mid", "LINSERT long BEFORE mid before", "LRANGE long 295 305", "LPOS long 5 COUNT 0",
			"LPOS long 5 RANK -3 COUNT 4", "LREM long 10 7", "LREM long -5 9", "LREM long 0 36", "LLEN long",
			"LTRIM long 100 -100", "LLEN long", "LRANGE long 0 10", "LRANGE long -10 -1", "LPOP long 50", "RPOP long 50",
			"LLEN long", "LINDEX long 200"),
		tc("big and binary elements", cmdArgs("RPUSH", "b", big, "x", big), "LLEN b", cmdArgs("LPOS", "b", big, "COUNT", "0"),
			"LINDEX b 1", cmdArgs("LSET", "b", "1", big), cmdArgs("LREM", "b", "2", big), "LLEN b",
			cmdArgs("RPUSH", "bin", "\x00\xff", "a\r\nb", ""), "LRANGE bin 0 -1", cmdArgs("LPOS", "bin", "a\r\nb"),
			cmdArgs("LINSERT", "bin", "AFTER", "", "end"), "LRANGE bin 0 -1"),
		tc("keys commands on lists",
			"RPUSH l a b c", "COPY l l2", "LRANGE l2 0 -1", "RPUSH l2 d", "LLEN l", "RENAME l2 l3", "LRANGE l3 0 -1",
			"OBJECT ENCODING l3", "TYPE l3", "EXPIRE l3 100", "RPUSH l3 e", cmd("TTL l3").within(1), "DEL l3",
			"OBJECT ENCODING l"),
	}
}

func TestDiffList(t *testing.T) {
	t.Parallel()
	cases := bothProtocols(listCases())
	for i := range cases {
		cases[i] = cases[i].need("lpush")
	}
	diff(t, cases)
}

// listRandomGen produces list commands over a few keys, with elements
// drawn from a small set so that LREM, LPOS and LINSERT find matches.
type listRandomGen struct{ r *rand.Rand }

var (
	listRandKeys  = []string{"l0", "l1", "l2", "s"}
	listRandElems = []string{"a", "b", "c", "", "long-" + strings.Repeat("x", 60), "1", "-1"}
	listRandIdx   = []string{"0", "1", "2", "-1", "-2", "5", "-7", "100", "-100", "x"}
)

func (g *listRandomGen) pick(xs []string) string { return xs[g.r.IntN(len(xs))] }
func (g *listRandomGen) end() string             { return g.pick([]string{"LEFT", "RIGHT"}) }

func (g *listRandomGen) elems() []string {
	n := 1 + g.r.IntN(6)
	out := make([]string, n)
	for i := range out {
		out[i] = g.pick(listRandElems)
	}
	return out
}

func (g *listRandomGen) next() step {
	k := g.pick(listRandKeys)
	switch g.r.IntN(24) {
	case 0, 1, 2:
		return cmdArgs(append([]string{g.pick([]string{"LPUSH", "RPUSH"}), k}, g.elems()...)...)
	case 3:
		return cmdArgs(append([]string{g.pick([]string{"LPUSHX", "RPUSHX"}), k}, g.elems()...)...)
	case 4, 5:
		args := []string{g.pick([]string{"LPOP", "RPOP"}), k}
		if g.r.IntN(2) == 0 {
			args = append(args, strconv.Itoa(g.r.IntN(5)))
		}
		return cmdArgs(args...)
	case 6:
		return cmdArgs("LLEN", k)
	case 7, 8:
		return cmdArgs("LRANGE", k, g.pick(listRandIdx), g.pick(listRandIdx))
	case 9:
		return cmdArgs("LINDEX", k, g.pick(listRandIdx))
	case 10:
		return cmdArgs("LSET", k, g.pick(listRandIdx), g.pick(listRandElems))
	case 11:
		return cmdArgs("LINSERT", k, g.pick([]string{"BEFORE", "AFTER"}), g.pick(listRandElems), g.pick(listRandElems))
	case 12:
		return cmdArgs("LREM", k, strconv.Itoa(g.r.IntN(7)-3), g.pick(listRandElems))
	case 13:
		return cmdArgs("LTRIM", k, g.pick(listRandIdx), g.pick(listRandIdx))
	case 14:
		args := []string{"LPOS", k, g.pick(listRandElems)}
		if g.r.IntN(2) == 0 {
			args = append(args, "RANK", g.pick([]string{"1", "2", "-1", "-2", "0"}))
		}
		if g.r.IntN(2) == 0 {
			args = append(args, "COUNT", strconv.Itoa(g.r.IntN(3)))
		}
		if g.r.IntN(3) == 0 {
			args = append(args, "MAXLEN", strconv.Itoa(g.r.IntN(5)))
		}
		return cmdArgs(args...)
	case 15, 16:
		return cmdArgs("LMOVE", k, g.pick(listRandKeys), g.end(), g.end())
	case 17:
		return cmdArgs("RPOPLPUSH", k, g.pick(listRandKeys))
	case 18:
		args := []string{"LMPOP", "2", k, g.pick(listRandKeys), g.end()}
		if g.r.IntN(2) == 0 {
			args = append(args, "COUNT", strconv.Itoa(1+g.r.IntN(4)))
		}
		return cmdArgs(args...)
	case 19:
		return cmdArgs(g.pick([]string{"BLPOP", "BRPOP"}), k, g.pick(listRandKeys), "0.01")
	case 20:
		return cmdArgs("BLMOVE", k, g.pick(listRandKeys), g.end(), g.end(), "0.01")
	case 21:
		if g.r.IntN(4) == 0 {
			return cmdArgs("SET", "s", "string")
		}
		return cmdArgs("DEL", k)
	case 22:
		return cmdArgs("TYPE", k)
	default:
		return cmdArgs("BLMPOP", "0.01", "1", k, g.end(), "COUNT", strconv.Itoa(1+g.r.IntN(3)))
	}
}

// TestDiffListRandom replays seeded random list command sequences against
// both servers and stops each at its first mismatch, showing the commands
// that led there.
func TestDiffListRandom(t *testing.T) {
	t.Parallel()
	ref, sut := startPair(t)
	if !sut.hasCommand(t, "lpush") {
		t.Skip("the server under test has no list commands")
	}
	replayRandom(t, ref, sut, randomRun{steps: 500, salt: 0x6c697374,
		generator: func(r *rand.Rand) func() step { return (&listRandomGen{r: r}).next }})
}
