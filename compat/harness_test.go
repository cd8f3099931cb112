package compat

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A matcher decides whether the server's reply is acceptable given the
// reference reply, for the few replies that legitimately differ. Every
// matcher is named, and shows up in messages, so exceptions stay visible.
type matcher struct {
	name  string
	match func(ref, got *value) bool
}

// step is one command of a case and how its reply is compared.
type step struct {
	args    []string
	m       *matcher // nil: byte for byte
	nframes int      // frames making up the reply (a push before the reply); 0 means 1, <0 none
	scanAll bool     // iterate SCAN from args[1] to the end and compare key sets
	raw     []byte   // sent as is instead of args (inline commands, pipelines, protocol errors)
	closes  bool     // the server must close the connection after the reply
	other   bool     // sent on a second connection (another client: WATCH, blocking)
}

// cmd parses a redis-cli style command line (see splitArgs).
func cmd(line string) step {
	args, err := splitArgs(line)
	if err != nil {
		panic(err)
	}
	return step{args: args}
}

// cmdArgs builds a step from literal arguments (binary data, long values).
func cmdArgs(args ...string) step { return step{args: args} }

// scanAll runs a full SCAN iteration on each server, starting from the
// cursor in the line, and compares the sorted set of returned keys (cursor
// values and batching are implementation details; duplicates are allowed
// by SCAN's contract and removed). Errors are compared byte for byte.
func scanAll(line string) step {
	s := cmd(line)
	s.scanAll = true
	return s
}

// rawStep sends data as is (inline commands, several commands in one
// write, malformed input) and reads frames replies; with frames 0 it reads
// nothing (the first part of a command split over two writes).
func rawStep(data string, frames int) step {
	if frames == 0 {
		frames = -1
	}
	return step{args: []string{"<raw>", data}, raw: []byte(data), nframes: frames}
}

// thenClosed expects the server to close the connection after its reply
// (protocol errors, QUIT).
func (s step) thenClosed() step { s.closes = true; return s }

// byOther sends the step from a second client of each server.
func (s step) byOther() step { s.other = true; return s }

func (s step) with(m matcher) step { s.m = &m; return s }

// frames makes the step read n frames (DEBUG PROTOCOL push sends a push
// frame before its reply).
func (s step) frames(n int) step { s.nframes = n; return s }

// within accepts integers differing by at most n (TTLs counting down).
func (s step) within(n int64) step {
	return s.with(matcher{fmt.Sprintf("integer within ±%d", n), func(ref, got *value) bool {
		if ref.kind != ':' || got.kind != ':' {
			return bytes.Equal(encode(ref), encode(got))
		}
		a, _ := strconv.ParseInt(ref.str, 10, 64)
		b, _ := strconv.ParseInt(got.str, 10, 64)
		return a-b <= n && b-a <= n
	}})
}

// withinFloat accepts numeric strings differing by at most d.
func (s step) withinFloat(d float64) step {
	return s.with(matcher{fmt.Sprintf("number within ±%g", d), func(ref, got *value) bool {
		if ref.kind != got.kind || ref.null || got.null {
			return bytes.Equal(encode(ref), encode(got))
		}
		a, err1 := strconv.ParseFloat(ref.str, 64)
		b, err2 := strconv.ParseFloat(got.str, 64)
		return err1 == nil && err2 == nil && math.Abs(a-b) <= d
	}})
}

// shape accepts replies of the same type and aggregate sizes, whatever
// their contents (random results, ids).
func (s step) shape() step { return s.with(matcher{"same shape", sameShape}) }

func sameShape(ref, got *value) bool {
	if ref.kind != got.kind || ref.null != got.null || len(ref.elems) != len(got.elems) {
		return false
	}
	if ref.kind == '-' { // errors are never random
		return ref.str == got.str
	}
	for i := range ref.elems {
		if !sameShape(ref.elems[i], got.elems[i]) {
			return false
		}
	}
	return true
}

// scanShape accepts any well-formed SCAN reply (a cursor and an array of
// keys): what an arbitrary cursor returns depends on the hash table.
func (s step) scanShape() step {
	return s.with(matcher{"any well-formed SCAN reply", func(ref, got *value) bool {
		wellFormed := func(v *value) bool {
			if v.kind != '*' || len(v.elems) != 2 || v.elems[0].kind != '$' || v.elems[1].kind != '*' {
				return false
			}
			if _, err := strconv.ParseUint(v.elems[0].str, 10, 64); err != nil {
				return false
			}
			for _, k := range v.elems[1].elems {
				if k.kind != '$' {
					return false
				}
			}
			return true
		}
		return wellFormed(ref) && wellFormed(got)
	}})
}

// sorted compares an unordered aggregate (KEYS) as a sorted list.
func (s step) sorted() step {
	return s.with(matcher{"unordered elements", func(ref, got *value) bool {
		return bytes.Equal(encode(sortedCopy(ref)), encode(sortedCopy(got)))
	}})
}

func sortedCopy(v *value) *value {
	c := *v
	c.elems = append([]*value(nil), v.elems...)
	sortValues(c.elems)
	return &c
}

// unorderedPairs compares a map (or a RESP2 flat array of pairs) whose
// order is unspecified (CONFIG GET with a glob).
func (s step) unorderedPairs() step {
	return s.with(matcher{"unordered pairs", func(ref, got *value) bool {
		return bytes.Equal(encode(sortedPairs(ref)), encode(sortedPairs(got)))
	}})
}

func sortedPairs(v *value) *value {
	if len(v.elems)%2 != 0 {
		return v
	}
	pairs := make([]*value, 0, len(v.elems)/2)
	for i := 0; i < len(v.elems); i += 2 {
		pairs = append(pairs, &value{kind: '*', elems: v.elems[i : i+2]})
	}
	sortValues(pairs)
	c := *v
	c.elems = nil
	for _, p := range pairs {
		c.elems = append(c.elems, p.elems...)
	}
	return &c
}

// without drops the named fields of a map reply (or RESP2 flat array of
// pairs) before comparing byte for byte (HELLO's id).
func (s step) without(fields ...string) step {
	return s.with(matcher{"exact except fields " + strings.Join(fields, ","), func(ref, got *value) bool {
		return bytes.Equal(encode(dropFields(ref, fields)), encode(dropFields(got, fields)))
	}})
}

func dropFields(v *value, fields []string) *value {
	if v.kind != '%' && v.kind != '*' || len(v.elems)%2 != 0 {
		return v
	}
	c := *v
	c.elems = nil
	for i := 0; i < len(v.elems); i += 2 {
		drop := false
		for _, f := range fields {
			if v.elems[i].str == f {
				drop = true
			}
		}
		if !drop {
			c.elems = append(c.elems, v.elems[i], v.elems[i+1])
		}
	}
	return &c
}

// contains accepts string replies of the same type that both contain every
// substring (INFO, whose values change all the time).
func (s step) contains(subs ...string) step {
	return s.with(matcher{"string containing " + strings.Join(subs, ","), func(ref, got *value) bool {
		if ref.kind != got.kind {
			return false
		}
		for _, sub := range subs {
			if !strings.Contains(ref.str, sub) || !strings.Contains(got.str, sub) {
				return false
			}
		}
		return true
	}})
}

// avgTTL is INFO keyspace's avg_ttl, an estimate the active expiry cycle
// updates whenever it happens to sample keys.
var avgTTL = regexp.MustCompile(`avg_ttl=[0-9]+`)

// masked compares string replies byte for byte after replacing what re
// matches in both (values that change on their own).
func (s step) masked(re *regexp.Regexp) step {
	return s.with(matcher{"exact except " + re.String(), func(ref, got *value) bool {
		mask := func(v *value) []byte {
			c := *v
			c.str = re.ReplaceAllString(v.str, "<masked>")
			return encode(&c)
		}
		return bytes.Equal(mask(ref), mask(got))
	}})
}

// timeReply accepts a TIME reply: two integer strings, seconds within ±2 of
// the reference, microseconds below 1e6.
func (s step) timeReply() step {
	return s.with(matcher{"TIME shape, seconds within ±2", func(ref, got *value) bool {
		if !sameShape(ref, got) || len(got.elems) != 2 {
			return false
		}
		rs, err1 := strconv.ParseInt(ref.elems[0].str, 10, 64)
		gs, err2 := strconv.ParseInt(got.elems[0].str, 10, 64)
		us, err3 := strconv.ParseInt(got.elems[1].str, 10, 64)
		return err1 == nil && err2 == nil && err3 == nil && rs-gs <= 2 && gs-rs <= 2 && us >= 0 && us < 1e6
	}})
}

// dcase is one differential case: a fresh connection to each server, the
// databases flushed, then its steps, each reply compared.
type dcase struct {
	name    string
	resp3   bool
	resp2   bool     // RESP2 only: bothProtocols leaves it alone
	needs   []string // commands the server under test must have; the case is skipped otherwise
	prelude []string // replaces the default prelude "FLUSHALL" (lines, replies not compared)
	steps   []step
}

// tc builds a case from command lines (strings) and steps.
func tc(name string, items ...any) dcase {
	c := dcase{name: name}
	for _, it := range items {
		switch x := it.(type) {
		case string:
			c.steps = append(c.steps, cmd(x))
		case step:
			c.steps = append(c.steps, x)
		case []step:
			c.steps = append(c.steps, x...)
		default:
			panic(fmt.Sprintf("tc %q: unexpected %T", name, it))
		}
	}
	return c
}

func (c dcase) need(cmds ...string) dcase { c.needs = append(c.needs, cmds...); return c }

func (c dcase) proto3() dcase { c.resp3 = true; return c }

func (c dcase) proto2only() dcase { c.resp2 = true; return c }

func (c dcase) withPrelude(lines ...string) dcase { c.prelude = lines; return c }

// bothProtocols returns every case twice: as written (RESP2) and after
// HELLO 3.
func bothProtocols(cases []dcase) []dcase {
	out := make([]dcase, 0, 2*len(cases))
	for _, c := range cases {
		out = append(out, c)
		if !c.resp3 && !c.resp2 {
			r3 := c
			r3.resp3 = true
			r3.name += "/resp3"
			out = append(out, r3)
		}
	}
	return out
}

// diff starts a reference redis-server and the server under test with the
// same options and runs the cases against both.
func diff(t *testing.T, cases []dcase, opts ...option) {
	t.Helper()
	ref, sut := startPair(t, opts...)
	runDiff(t, ref, sut, cases)
}

func runDiff(t *testing.T, ref, sut *target, cases []dcase) {
	t.Helper()
	failed := 0
	for _, c := range cases {
		if !t.Run(c.name, func(t *testing.T) { runCase(t, ref, sut, c) }) {
			failed++
		}
	}
	t.Logf("%d cases, %d failed", len(cases), failed)
}

// session is one connection per server, used in lockstep.
type session struct {
	ref, sut *target
	rc, sc   *respConn
	rc2, sc2 *respConn // second clients, dialed on first use
	lastRef  outcome   // the reference's last reply, for COMPAT_TRACE
}

// conns returns the connections a step runs on.
func (s *session) conns(st step) (ref, sut *respConn, err error) {
	if !st.other {
		return s.rc, s.sc, nil
	}
	if s.rc2 == nil {
		if s.rc2, err = dialResp(s.ref.addr); err != nil {
			return nil, nil, err
		}
		if s.sc2, err = dialResp(s.sut.addr); err != nil {
			s.rc2.Close()
			s.rc2 = nil
			return nil, nil, err
		}
	}
	return s.rc2, s.sc2, nil
}

// close closes every connection of the session.
func (s *session) close() {
	for _, c := range []*respConn{s.rc, s.sc, s.rc2, s.sc2} {
		if c != nil {
			c.Close()
		}
	}
}

func openSession(t testing.TB, ref, sut *target) *session {
	t.Helper()
	rc, err := dialResp(ref.addr)
	if err != nil {
		t.Fatalf("%s: %v", ref.name, err)
	}
	sc, err := dialResp(sut.addr)
	if err != nil {
		rc.Close()
		t.Fatalf("%s: %v", sut.name, err)
	}
	sess := &session{ref: ref, sut: sut, rc: rc, sc: sc}
	t.Cleanup(sess.close)
	return sess
}

// setup runs lines on both servers without comparing replies, failing on
// errors.
func (s *session) setup(t testing.TB, lines ...string) {
	t.Helper()
	for _, l := range lines {
		st := cmd(l)
		for _, side := range []struct {
			tg *target
			c  *respConn
		}{{s.ref, s.rc}, {s.sut, s.sc}} {
			_, v, err := side.c.do(st.args...)
			if err != nil {
				t.Fatalf("%s: setup %s: %v", side.tg.name, l, err)
			}
			if v.kind == '-' {
				t.Fatalf("%s: setup %s: %s", side.tg.name, l, v.str)
			}
		}
	}
}

func runCase(t *testing.T, ref, sut *target, c dcase) {
	for _, n := range c.needs {
		if !ref.hasCommand(t, n) {
			t.Fatalf("the reference server has no %s", n)
		}
		if !sut.hasCommand(t, n) {
			t.Skipf("skipped until %s has %s (COMMAND INFO %s is empty)", sut.name, strings.ToUpper(n), n)
		}
	}
	s := openSession(t, ref, sut)
	prelude := c.prelude
	if prelude == nil {
		prelude = []string{"FLUSHALL"}
	}
	if c.resp3 {
		prelude = append(append([]string(nil), prelude...), "HELLO 3")
	}
	s.setup(t, prelude...)
	mismatches := 0
	trace := os.Getenv("COMPAT_TRACE") != ""
	strict := os.Getenv("COMPAT_STRICT") != ""
	knownHit := map[string]bool{}
	for i, st := range c.steps {
		ok, detail, fatal := s.compare(st)
		if trace {
			t.Logf("step %d: %s -> %s", i+1, quoteArgs(st.args), s.lastRef)
		}
		if ok {
			continue
		}
		key := c.name + ": " + quoteArgs(st.args)
		if reason, known := knownIncompatibilities[key]; known && !strict && !fatal {
			knownHit[key] = true
			t.Logf("known incompatibility (%s), not failing: case %q step %d: %s", reason, c.name, i+1, detail)
			continue
		}
		mismatches++
		if mismatches <= 8 {
			t.Errorf("case %q step %d: %s", c.name, i+1, detail)
		}
		if fatal {
			t.Errorf("case %q aborted after a connection error", c.name)
			return
		}
	}
	if mismatches > 8 {
		t.Errorf("case %q: %d more mismatches not shown", c.name, mismatches-8)
	}
	for key := range knownIncompatibilities {
		if strings.HasPrefix(key, c.name+": ") && !knownHit[key] && !strict {
			t.Errorf("known incompatibility %q no longer reproduces: remove it from knownIncompatibilities", key)
		}
	}
}

// outcome is what one server answered to a step.
type outcome struct {
	raw []byte
	v   *value
	err error
}

func (o outcome) String() string {
	if o.err != nil {
		s := fmt.Sprintf("<%v>", o.err)
		if len(o.raw) > 0 {
			s += fmt.Sprintf(" after %s", truncate(strconv.Quote(string(o.raw)), 300))
		}
		return s
	}
	return truncate(format(o.v), 500)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + fmt.Sprintf("…(%d more bytes)", len(s)-n)
}

// compare runs st on both servers and reports whether the replies match,
// a readable explanation when they don't, and whether a connection broke.
func (s *session) compare(st step) (ok bool, detail string, fatal bool) {
	rc, sc, err := s.conns(st)
	if err != nil {
		return false, fmt.Sprintf("%s: second client: %v", quoteArgs(st.args), err), true
	}
	r := execStep(rc, st)
	g := execStep(sc, st)
	s.lastRef = r
	if r.err != nil {
		return false, fmt.Sprintf("%s\n\treference %s failed: %s", quoteArgs(st.args), s.ref.name, r), true
	}
	how := "byte for byte"
	if g.err == nil {
		if st.m == nil {
			ok = bytes.Equal(r.raw, g.raw)
		} else {
			how = st.m.name
			ok = st.m.match(r.v, g.v)
		}
		if ok {
			return true, "", false
		}
	}
	detail = fmt.Sprintf("%s  [compared %s]\n\t%-6s %s\n\t%-6s %s", quoteArgs(st.args), how, s.ref.name+":", r, s.sut.name+":", g)
	if g.err == nil && st.m == nil {
		if rf, gf := format(r.v), format(g.v); rf == gf || len(rf) > 200 || len(gf) > 200 {
			detail += firstDifference(r.raw, g.raw, s.ref.name, s.sut.name)
		}
	}
	return false, detail, g.err != nil
}

// firstDifference shows where two raw replies part, with some context,
// for replies too long (or too alike) to compare by eye.
func firstDifference(a, b []byte, aName, bName string) string {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	from := max(0, i-40)
	window := func(x []byte) string { return strconv.Quote(string(x[from:min(len(x), i+40)])) }
	return fmt.Sprintf("\n\tfirst difference at byte %d of the raw replies (%d and %d bytes):\n\t%-6s …%s…\n\t%-6s …%s…",
		i, len(a), len(b), aName+":", window(a), bName+":", window(b))
}

func execStep(c *respConn, st step) outcome {
	if st.scanAll {
		return execScanAll(c, st.args)
	}
	var err error
	if st.raw != nil {
		err = c.sendRaw(st.raw)
	} else {
		err = c.send(st.args...)
	}
	if err != nil {
		return outcome{err: err}
	}
	if st.nframes < 0 {
		return outcome{v: &value{kind: '+', str: "<nothing read>"}}
	}
	o := readFrames(c, max(st.nframes, 1))
	if st.closes && o.err == nil {
		o = expectClosed(c, o)
	}
	return o
}

func readFrames(c *respConn, n int) outcome {
	if n == 1 {
		raw, v, err := c.read()
		return outcome{raw, v, err}
	}
	var o outcome
	multi := &value{kind: '*'}
	for i := 0; i < n; i++ {
		raw, v, err := c.read()
		o.raw = append(o.raw, raw...)
		if err != nil {
			o.err = err
			return o
		}
		multi.elems = append(multi.elems, v)
	}
	o.v = multi
	return o
}

// expectClosed checks that nothing but the end of the connection follows,
// and records the answer in the outcome so both servers compare.
func expectClosed(c *respConn, o outcome) outcome {
	saved := c.timeout
	c.timeout = 2 * time.Second
	defer func() { c.timeout = saved }()
	raw, v, err := c.read()
	var note string
	switch {
	case err == nil:
		note = "<then " + format(v) + ">"
		o.raw = append(o.raw, raw...)
	case errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET):
		note = "<then connection closed>"
	case errors.Is(err, os.ErrDeadlineExceeded):
		note = "<then connection left open>"
	default:
		note = fmt.Sprintf("<then %v>", err)
	}
	o.raw = append(o.raw, note...)
	o.v = &value{kind: '*', elems: []*value{o.v, {kind: '+', str: note}}}
	return o
}

// execScanAll iterates SCAN (args[1] is the cursor) to the end and returns
// the sorted, deduplicated keys as one synthesized array reply.
func execScanAll(c *respConn, args []string) outcome {
	args = append([]string(nil), args...)
	seen := map[string]bool{}
	for iter := 0; ; iter++ {
		raw, v, err := c.do(args...)
		if err != nil {
			return outcome{raw, v, err}
		}
		if v.kind == '-' {
			return outcome{raw: raw, v: v}
		}
		if v.kind != '*' || len(v.elems) != 2 || v.elems[0].kind != '$' || v.elems[1].kind != '*' {
			return outcome{raw: raw, err: fmt.Errorf("malformed SCAN reply %s", format(v))}
		}
		if _, err := strconv.ParseUint(v.elems[0].str, 10, 64); err != nil {
			return outcome{raw: raw, err: fmt.Errorf("SCAN cursor %q is not an unsigned integer", v.elems[0].str)}
		}
		for _, k := range v.elems[1].elems {
			seen[k.str] = true
		}
		if v.elems[0].str == "0" {
			break
		}
		if iter > 100000 {
			return outcome{err: fmt.Errorf("SCAN did not finish after %d calls", iter)}
		}
		args[1] = v.elems[0].str
	}
	out := &value{kind: '*'}
	for k := range seen {
		out.elems = append(out.elems, &value{kind: '$', str: k})
	}
	sortValues(out.elems)
	return outcome{raw: encode(out), v: out}
}
