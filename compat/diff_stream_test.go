package compat

import (
	"fmt"
	"math/rand/v2"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Differential cases for the stream family: every command in normal, edge
// and error cases, with explicit IDs so that both servers hold the same
// entries. What depends on the clock (delivery times, idle times, IDs made
// by XADD *) is compared with a tolerance or by shape; everything else is
// compared byte for byte. Blocking reads run in scripts that wait until
// the reader is blocked before writing (TestDiffStreamBlocking), and a
// seeded random sequence of stream commands is compared reply by reply.

// times compares replies holding clock values: integers from 10^12 up
// (unix milliseconds) within 5 seconds, the value after an "idle" key and
// the idle column of XPENDING's extended lines within 1 second; all else
// exactly.
func (s step) times() step {
	return s.with(matcher{"exact except clock values", sameExceptTimes})
}

func sameExceptTimes(ref, got *value) bool {
	if ref.kind != got.kind || ref.null != got.null || len(ref.elems) != len(got.elems) {
		return false
	}
	if ref.kind == ':' {
		return ref.str == got.str || closeInts(ref.str, got.str, 1e12, 5000)
	}
	if len(ref.elems) == 0 {
		return ref.str == got.str
	}
	pendingLine := len(ref.elems) == 4 && ref.elems[1].kind == '$' && ref.elems[2].kind == ':' && ref.elems[3].kind == ':'
	for i := range ref.elems {
		r, g := ref.elems[i], got.elems[i]
		idle := i > 0 && ref.elems[i-1].str == "idle" || pendingLine && i == 2
		if idle && r.kind == ':' && g.kind == ':' && closeInts(r.str, g.str, 0, 1000) {
			continue
		}
		if !sameExceptTimes(r, g) {
			return false
		}
	}
	return true
}

// closeInts reports two integers at least from that differ by at most d.
func closeInts(a, b string, from, d int64) bool {
	x, err1 := strconv.ParseInt(a, 10, 64)
	y, err2 := strconv.ParseInt(b, 10, 64)
	return err1 == nil && err2 == nil && x >= from && y >= from && x-y <= d && y-x <= d
}

// generatedIDs compares replies whose IDs came from the clock (XADD *):
// every "ms-seq" bulk string is replaced by its sequence alone.
func (s step) generatedIDs() step {
	return s.with(matcher{"IDs compared by sequence", func(ref, got *value) bool {
		return format(maskIDs(ref)) == format(maskIDs(got))
	}})
}

var clockID = regexp.MustCompile(`^[0-9]{12,}-([0-9]+)$`)

func maskIDs(v *value) *value {
	c := *v
	if v.kind == '$' {
		c.str = clockID.ReplaceAllString(v.str, "<ms>-$1")
	}
	c.elems = nil
	for _, e := range v.elems {
		c.elems = append(c.elems, maskIDs(e))
	}
	return &c
}

// xaddMany returns commands adding n entries with IDs 1-0, 2-0, ... to key.
func xaddMany(key string, n int, from int) []step {
	out := make([]step, n)
	for i := range out {
		out[i] = cmdArgs("XADD", key, fmt.Sprintf("%d-0", from+i), "f", strconv.Itoa(from+i))
	}
	return out
}

func streamCases() []dcase {
	big := strings.Repeat("v", 3000)
	return []dcase{
		tc("xadd basics",
			"XADD s 1-1 a 1 b 2", "XADD s 1-2 a 3 b 4", "XADD s 2 c 5", "XADD s 2-* a 1", "XADD s 3-* a 1 b 2 c 3",
			"XLEN s", "XRANGE s - +", "TYPE s", "OBJECT ENCODING s", "XADD s NOMKSTREAM 4-0 x y",
			"XADD nokey NOMKSTREAM 1-0 a b", "EXISTS nokey", "XADD s MAXLEN 100 NOMKSTREAM 5-0 a b", `XADD s 6-0 "" ""`,
			`XADD s 7-0 a "a\x00b\r\n"`, "XRANGE s 5 +", cmd("XADD t * a 1").generatedIDs(), "XLEN t",
			"XADD s 18-0 f 1 f 2", "XRANGE s 18 18"),
		tc("xadd id rules",
			"XADD s 0-0 a 1", "XADD s 0 a 1", "EXISTS s", "XADD s 0-* a 1", "XADD s 0-* a 1", "XADD s 0-1 a 1",
			"XADD s 5-5 a 1", "XADD s 5-5 a 1", "XADD s 5-4 a 1", "XADD s 4-* a 1", "XADD s 5-* a 1",
			"XADD s 18446744073709551615-18446744073709551614 a 1", "XADD s 18446744073709551615-* a 1",
			"XADD s * a 1", "XADD s 18446744073709551615-* a 1", "XLEN s",
			"XADD t 5-18446744073709551615 a 1", "XADD t 5-* a 1", "XADD t 6-* a 1",
			"XADD u abc a 1", "XADD u 1-abc a 1", "XADD u -1 a 1", "XADD u 1- a 1", "XADD u -2-1 a 1",
			"XADD u 18446744073709551616 a 1", "XADD u 1-18446744073709551616 a 1", "XADD u 01-02 a 1",
			"XADD u +3-+4 a 1", `XADD u " 7-8" a 1`, "XADD u 9-* a 1", "XADD u 10-** a 1", "XADD u *-1 a 1",
			"XADD u + a 1", "XADD u - a 1", "XRANGE u - +", "EXISTS v", "XADD v 1-1 a"),
		tc("xadd option errors",
			"XADD s MAXLEN -1 1-0 a 1", "XADD s MAXLEN abc 1-0 a 1", "XADD s MAXLEN ~ abc 1-0 a 1",
			"XADD s MINID abc 1-0 a 1", "XADD s MINID + 1-0 a 1", "XADD s LIMIT 10 1-0 a 1",
			"XADD s MAXLEN 1 LIMIT 10 1-0 a 1", "XADD s MAXLEN = 1 LIMIT 10 1-0 a 1", "XADD s LIMIT 0 1-0 a 1",
			"XADD s MAXLEN 1 MINID 1 1-0 a 1", "XADD s MINID 1 MAXLEN 1 1-0 a 1", "XADD s MAXLEN ~ 1 LIMIT -1 1-0 a 1",
			"XADD s MAXLEN ~ 1 LIMIT abc 1-0 a 1", "XADD s MAXLEN", "XADD s MAXLEN 5 a 1", "XADD s 1-0 a",
			"XADD s NOMKSTREAM a b c", "XADD s FOO 1-0 a 1", "EXISTS s", "XADD s maxlen = 0 1-0 a 1", "XLEN s",
			"XADD s minid ~ 5 2-0 a 1", "XLEN s"),
		tc("trimming", xaddMany("s", 250, 1),
			"XLEN s", "XTRIM s MAXLEN ~ 200", "XLEN s", "XTRIM s MAXLEN ~ 200", "XTRIM s MAXLEN 200", "XLEN s",
			"XRANGE s - + COUNT 1", "XTRIM s MAXLEN ~ 20 LIMIT 100", "XLEN s", "XTRIM s MAXLEN ~ 20 LIMIT 200", "XLEN s",
			"XTRIM s MINID ~ 240", "XLEN s", "XTRIM s MINID 240", "XLEN s", "XRANGE s - + COUNT 2", "XTRIM s MINID = 245",
			"XTRIM s MAXLEN 0", "XLEN s", "EXISTS s", "XINFO STREAM s", "XTRIM s MAXLEN 0", "XTRIM nokey MAXLEN 0",
			"XTRIM s", "XTRIM s LIMIT 1", "XTRIM s LIMIT 0", "XTRIM s MAXLEN", "XTRIM s FOO 1", "XTRIM s MINID +",
			"XTRIM s MAXLEN 1 LIMIT 0", "XTRIM s MAXLEN ~ 1 LIMIT 0", "XTRIM s MAXLEN -1", "XTRIM s MINID 1 MAXLEN 1",
			"XTRIM s MAXLEN ~", "XTRIM s MAXLEN = 1 FOO"),
		tc("xadd trims", xaddMany("s", 150, 1),
			"XADD s MAXLEN ~ 100 151-0 f v", "XLEN s", "XADD s MAXLEN 100 152-0 f v", "XLEN s",
			"XADD s MINID ~ 120 153-0 f v", "XLEN s", "XADD s MINID 140 154-0 f v", "XLEN s", "XRANGE s - + COUNT 1",
			"XADD s MAXLEN ~ 10 LIMIT 5 155-0 f v", "XLEN s", "XINFO STREAM s"),
		tc("node boundaries by bytes",
			cmdArgs("XADD", "s", "1-0", "f", big), cmdArgs("XADD", "s", "2-0", "f", big), cmdArgs("XADD", "s", "3-0", "f", big),
			cmdArgs("XADD", "s", "4-0", "g", big, "h", "x"), "XADD s 5-0 f 12345", "XADD s 6-0 f -7",
			"XTRIM s MAXLEN ~ 4", "XLEN s", "XTRIM s MAXLEN ~ 1", "XLEN s", "XINFO STREAM s", "XRANGE s 5 6"),
		tc("xrange xrevrange",
			"XADD s 1-0 a 1", "XADD s 1-1 a 2", "XADD s 2-0 a 3", "XADD s 3-5 a 4", "XADD s 4-0 a 5",
			"XRANGE s - +", "XREVRANGE s + -", "XRANGE s 1 1", "XRANGE s 1-1 3", "XRANGE s (1-0 +", "XRANGE s - (2-0",
			"XREVRANGE s (4-0 (1-0", "XRANGE s (1 (3", "XRANGE s 3 1", "XREVRANGE s 1 3", "XRANGE s - + COUNT 2",
			"XREVRANGE s + - COUNT 2", "XRANGE s - + COUNT 0", "XRANGE s - + COUNT -1", "XRANGE s - + count 1 COUNT 3",
			"XRANGE s - + COUNT", "XRANGE s - + COUNT abc", "XRANGE s - + FOO 1", "XRANGE s (0-0 +", "XRANGE s - (0-0",
			"XRANGE s (18446744073709551615-18446744073709551615 +", "XREVRANGE s (0-0 -", "XRANGE s ( +", "XRANGE s (- +",
			"XRANGE s (+ +", "XRANGE s abc +", "XRANGE s - abc", "XRANGE nokey - +", "XRANGE nokey abc +",
			"XRANGE nokey - + COUNT 0", "XREVRANGE s 3-5 3-5", "XRANGE s 18446744073709551615 +",
			"XRANGE s 0-18446744073709551615 (1-1"),
		tc("xdel",
			"XADD s 1-0 a 1", "XADD s 2-0 a 2", "XADD s 3-0 a 3", "XADD s 4-0 a 4", "XDEL s 2-0", "XDEL s 2-0 9-0",
			"XRANGE s - +", "XDEL s 1-0", "XINFO STREAM s", "XDEL s 3 4", "XLEN s", "EXISTS s", "XINFO STREAM s",
			"XADD s 5-0 a 5", "XRANGE s - +", "XDEL s abc", "XDEL s -", "XDEL s 5-0 abc", "XLEN s", "XDEL nokey abc",
			"XDEL nokey 1-0"),
		tc("xread",
			"XADD a 1-0 f 1", "XADD a 2-0 f 2", "XADD b 1-0 g 1", "XREAD STREAMS a 0", "XREAD COUNT 1 STREAMS a b 0 0",
			"XREAD STREAMS a b 1-0 0-5", "XREAD STREAMS a b $ $", "XREAD STREAMS a nokey 2 0", "XREAD STREAMS nokey $",
			"XREAD COUNT 0 STREAMS a 0", "XREAD COUNT -5 STREAMS a 1", "XREAD BLOCK 10 STREAMS a $",
			"XREAD BLOCK 10 STREAMS a 0", "XREAD streams a a 1 0", "XREAD COUNT 1 STREAMS a", "XREAD STREAMS a +",
			"XREAD STREAMS a >", "XREAD GROUP g c STREAMS a 0", "XREAD NOACK STREAMS a 0", "XREAD BLOCK -1 STREAMS a 0",
			"XREAD BLOCK abc STREAMS a 0", "XREAD BLOCK 1.5 STREAMS a 0", "XREAD COUNT abc STREAMS a 0",
			"XREAD FOO STREAMS a 0", "XREAD COUNT 1", "XREAD COUNT 1 BLOCK 1 STREAMS", "XREAD STREAMS a abc",
			"XDEL a 2-0", "XREAD STREAMS a 1-0", "XREAD STREAMS a (1-0"),
		tc("xgroup",
			"XADD s 1-0 a 1", "XGROUP CREATE s g 0", "XGROUP CREATE s g 0", "XGROUP CREATE s g2 $", "XGROUP CREATE s g3 5-5",
			"XGROUP CREATE nokey g 0", "XGROUP CREATE nokey g $ MKSTREAM", "XLEN nokey", "XINFO GROUPS nokey",
			"XGROUP CREATE s g4 abc", "XGROUP CREATE s g4 -", "XGROUP CREATE s g4 0 ENTRIESREAD -2",
			"XGROUP CREATE s g4 0 ENTRIESREAD abc", "XGROUP CREATE s g4 0 FOO", "XGROUP CREATE s g4 0 MKSTREAM ENTRIESREAD 1 FOO",
			"XGROUP CREATE s g4 0 MKSTREAM MKSTREAM MKSTREAM MKSTREAM", "XGROUP CREATE s g4 0 ENTRIESREAD",
			"XGROUP CREATE s g5 0 ENTRIESREAD 1", "XGROUP CREATE s g6 0 entriesread -1 mkstream", "XINFO GROUPS s",
			"XGROUP SETID s nog 0", "XGROUP SETID s g 0 MKSTREAM", "XGROUP SETID s g +", "XGROUP SETID s g -",
			"XGROUP SETID s g $ ENTRIESREAD 7", "XGROUP SETID s g 1 ENTRIESREAD", "XGROUP SETID s g abc", "XINFO GROUPS s",
			"XGROUP SETID nokey2 g 0", "XGROUP DESTROY s nog", "XGROUP DESTROY s g2", "XGROUP DESTROY s g2",
			"XGROUP CREATECONSUMER s g c1", "XGROUP CREATECONSUMER s g c1", "XGROUP CREATECONSUMER s nog c1",
			"XGROUP CREATECONSUMER nokey2 g c1", "XGROUP DELCONSUMER s g c2", "XGROUP DELCONSUMER s g c1",
			"XGROUP DELCONSUMER s nog c1", "XGROUP FOO s g", "XGROUP FOO", "XGROUP CREATE s", "XGROUP DESTROY s g extra",
			"XGROUP CREATECONSUMER s g", "XGROUP HELP", "XGROUP help extra", "SET str x", "XGROUP CREATE str g 0",
			"XGROUP CREATECONSUMER str g c", "XGROUP CREATE str g 0 MKSTREAM", "XGROUP DESTROY nokey2 g",
			"XINFO GROUPS s"),
		tc("xreadgroup",
			"XADD s 1-0 a 1", "XADD s 2-0 a 2", "XADD s 3-0 a 3", "XGROUP CREATE s g 0",
			"XREADGROUP GROUP g c1 COUNT 1 STREAMS s >", "XREADGROUP GROUP g c2 COUNT 1 STREAMS s >",
			"XREADGROUP GROUP g c1 STREAMS s 0", "XREADGROUP GROUP g c1 STREAMS s 1-0", "XREADGROUP GROUP g c2 STREAMS s 0",
			"XREADGROUP GROUP g c3 NOACK STREAMS s >", "XREADGROUP GROUP g c3 STREAMS s 0", "XREADGROUP GROUP g c1 STREAMS s >",
			"XDEL s 1-0", "XREADGROUP GROUP g c1 STREAMS s 0", "XREADGROUP GROUP g c1 COUNT 0 STREAMS s 0",
			"XREADGROUP GROUP g c1 BLOCK 10 STREAMS s >", "XPENDING s g", "XADD s 4-0 a 4", "XADD t 1-0 b 1",
			"XGROUP CREATE t g $", "XADD t 2-0 b 2", "XREADGROUP GROUP g c1 STREAMS s t > >",
			"XREADGROUP GROUP g c1 STREAMS s t 0 0", "XINFO GROUPS s", "XINFO GROUPS t",
			"XREADGROUP GROUP g c1 STREAMS s $", "XREADGROUP GROUP g c1 STREAMS s +", "XREADGROUP GROUP g c1 STREAMS s abc",
			"XREADGROUP GROUP nog c1 STREAMS s >", "XREADGROUP GROUP g c1 STREAMS nokey >", "XREADGROUP STREAMS s 0",
			"XREADGROUP COUNT 1 STREAMS s 0 x y", "XREADGROUP GROUP g c1 STREAMS s", "XREADGROUP GROUP g c1 STREAMS s t >",
			"XREADGROUP GROUP g STREAMS s >", "XREADGROUP GROUP g c1 FOO STREAMS s >", "SET str x",
			"XREADGROUP GROUP g c1 STREAMS str >", "XREADGROUP GROUP g c1 STREAMS s str > >",
			"XREADGROUP GROUP g c9 STREAMS s 18446744073709551615-18446744073709551615", cmd("XINFO CONSUMERS s g").times()),
		tc("xack xpending",
			"XADD s 1-0 a 1", "XADD s 2-0 a 2", "XADD s 3-0 a 3", "XADD s 4-0 a 4", "XGROUP CREATE s g 0",
			"XPENDING s g", "XREADGROUP GROUP g c1 COUNT 2 STREAMS s >", "XREADGROUP GROUP g c2 STREAMS s >",
			"XPENDING s g", cmd("XPENDING s g - + 10").times(), cmd("XPENDING s g - + 2").times(),
			cmd("XPENDING s g IDLE 0 - + 10 c1").times(), cmd("XPENDING s g (1-0 (4 10").times(),
			cmd("XPENDING s g - + 10 c2 extra").times(), "XPENDING s g IDLE 100000 - + 10", "XPENDING s g - + 10 nobody",
			"XPENDING s g - + 0", "XPENDING s g - + -1", "XPENDING s g - +", "XPENDING s g IDLE", "XPENDING s g IDLE 10 - +",
			"XPENDING s g IDLE abc - + 10", "XPENDING s g - + abc", "XPENDING s g ( + 10", "XPENDING s g - (0-0 10",
			"XPENDING s g abc + 10", "XPENDING s nog", "XPENDING nokey g", "XPENDING s g a b c d e f g",
			"XACK s g 1-0", "XACK s g 1-0 2-0 2-0 9-0", "XACK s g abc", "XACK s g 3-0 abc", "XACK nokey g abc",
			"XACK s nog abc", "XPENDING s g", "XACK s g 3 4", "XPENDING s g", cmd("XINFO CONSUMERS s g").times(), "XINFO GROUPS s"),
		tc("xclaim",
			"XADD s 1-0 a 1", "XADD s 2-0 a 2", "XADD s 3-0 a 3", "XADD s 4-0 a 4", "XGROUP CREATE s g 0",
			"XREADGROUP GROUP g c1 STREAMS s >", "XCLAIM s g c2 0 1-0 JUSTID", "XCLAIM s g c3 1000000 1-0",
			cmd("XINFO CONSUMERS s g").times(), "XCLAIM s g c2 0 2-0 3-0", cmd("XPENDING s g - + 10").times(),
			"XCLAIM s g c2 0 2-0 RETRYCOUNT 7 JUSTID", cmd("XPENDING s g - + 10").times(),
			cmd("XCLAIM s g c1 0 2-0 IDLE 5000 JUSTID").times(), cmd("XPENDING s g - + 10").times(),
			"XCLAIM s g c1 4000 2-0", "XCLAIM s g c1 0 2-0 TIME 1 JUSTID", "XCLAIM s g c1 0 9-0 FORCE",
			"XDEL s 4-0", "XCLAIM s g c1 0 4-0 FORCE", "XCLAIM s g new 0 5-0 FORCE", "XREADGROUP GROUP g x STREAMS s 0",
			"XADD s 5-0 a 5", "XCLAIM s g forced 0 5-0 FORCE", cmd("XPENDING s g - + 10").times(),
			"XCLAIM s g c1 0 5-0 LASTID 9-9 JUSTID", "XINFO GROUPS s", "XCLAIM s g c1 0 1-0 LASTID 2-0 JUSTID",
			"XINFO GROUPS s", "XCLAIM s g c2 abc 1-0", "XCLAIM s g c2 0 abc", "XCLAIM s g c2 0 1-0 foo",
			"XCLAIM s g c2 0 1-0 IDLE abc", "XCLAIM s g c2 0 1-0 TIME abc", "XCLAIM s g c2 0 1-0 RETRYCOUNT abc",
			"XCLAIM s g c2 0 1-0 LASTID abc", "XCLAIM s g c2 0 1-0 IDLE", "XCLAIM s nog c 0 1-0", "XCLAIM nokey g c 0 1-0",
			"XCLAIM s g c2 -5 1-0 JUSTID", "XCLAIM s g c2 0 1-0 IDLE -5 JUSTID", "XCLAIM s g c2 0 1-0 1-0 JUSTID",
			cmd("XINFO CONSUMERS s g").times()),
		tc("xautoclaim",
			"XADD s 1-0 a 1", "XADD s 2-0 a 2", "XADD s 3-0 a 3", "XADD s 4-0 a 4", "XADD s 5-0 a 5",
			"XGROUP CREATE s g 0", "XREADGROUP GROUP g c1 STREAMS s >", "XAUTOCLAIM s g c2 0 0 COUNT 2",
			"XAUTOCLAIM s g c2 0 3-0 COUNT 1 JUSTID", cmd("XPENDING s g - + 10").times(), "XDEL s 4-0 5-0",
			"XAUTOCLAIM s g c3 10000000 0", "XAUTOCLAIM s g c3 10000000 0", cmd("XPENDING s g - + 10").times(),
			"XAUTOCLAIM s g c4 0 (1-0", "XAUTOCLAIM s g c4 0 0 COUNT 100", "XADD s 6-0 a 6", "XADD s 7-0 a 7",
			"XADD s 8-0 a 8", "XREADGROUP GROUP g c1 STREAMS s >", "XDEL s 6-0 7-0 8-0", "XAUTOCLAIM s g c5 0 0 COUNT 1",
			"XAUTOCLAIM s g c5 0 0 COUNT 2", cmd("XINFO CONSUMERS s g").times(), "XAUTOCLAIM s g c4 0 0 COUNT 0",
			"XAUTOCLAIM s g c4 0 0 COUNT abc", "XAUTOCLAIM s g c4 0 0 COUNT -1", "XAUTOCLAIM s g c4 abc 0",
			"XAUTOCLAIM s g c4 0 abc", "XAUTOCLAIM s g c4 0 0 foo", "XAUTOCLAIM s g c4 0 0 COUNT",
			"XAUTOCLAIM s g c4 0 (18446744073709551615-18446744073709551615", "XAUTOCLAIM s nog c4 0 0",
			"XAUTOCLAIM nokey g c4 0 0", "XAUTOCLAIM s g c4 0 0 COUNT 9223372036854775807",
			"XAUTOCLAIM s g c4 0 0 COUNT 576460752303423487", "XAUTOCLAIM s g c4 0 0 COUNT 576460752303423488",
			"XAUTOCLAIM s g c4 -1 0 JUSTID"),
		tc("xautoclaim attempts", xaddMany("s", 30, 1),
			"XGROUP CREATE s g 0", "XREADGROUP GROUP g c1 STREAMS s >", "XAUTOCLAIM s g c2 10000000 0 COUNT 1",
			"XAUTOCLAIM s g c2 10000000 11-0 COUNT 2", "XAUTOCLAIM s g c2 0 11-0 COUNT 2 JUSTID"),
		tc("xinfo",
			"XGROUP CREATE s g $ MKSTREAM", "XINFO STREAM s", "XINFO STREAM s FULL", "XADD s 1-0 a 1 b 2",
			"XADD s 2-0 a 3 b 4", "XADD s 3-0 c 5", "XREADGROUP GROUP g c1 COUNT 1 STREAMS s >", "XGROUP CREATE s g0 0",
			"XGROUP CREATECONSUMER s g0 zed", "XGROUP CREATECONSUMER s g0 abc", "XINFO STREAM s",
			cmd("XINFO STREAM s FULL").times(), cmd("XINFO STREAM s FULL COUNT 1").times(),
			cmd("XINFO STREAM s FULL COUNT 0").times(), cmd("XINFO STREAM s FULL COUNT -3").times(), "XINFO GROUPS s",
			cmd("XINFO CONSUMERS s g0").times(), cmd("XINFO CONSUMERS s g").times(), "XINFO CONSUMERS s nog",
			"XINFO STREAM nokey", "XINFO GROUPS nokey", "XINFO CONSUMERS nokey g", "XINFO FOO s", "XINFO STREAM s FOO",
			"XINFO STREAM s FULL COUNT", "XINFO STREAM s FULL COUNT abc", "XINFO STREAM s FULL FOO 1",
			"XINFO STREAM s FULL COUNT 1 x", "XINFO GROUPS s x", "XINFO HELP", "XINFO HELP x", "SET str x",
			"XINFO STREAM str", "XINFO GROUPS str", "XINFO CONSUMERS str g"),
		tc("xsetid",
			"XADD s 5-0 a 1", "XSETID s 1", "XSETID s 5-0", "XSETID s 10-0", "XINFO STREAM s", "XADD s 9-0 a 1",
			"XADD s 10-* a 1", "XSETID nokey 1", "XSETID s 20-0 ENTRIESADDED -1", "XSETID s 20-0 ENTRIESADDED 1",
			"XSETID s 20-0 ENTRIESADDED abc", "XSETID s 20-0 MAXDELETEDID 30-0", "XSETID s 20-0 MAXDELETEDID abc",
			"XSETID s 20-0 ENTRIESADDED 100 MAXDELETEDID 15-0", "XINFO STREAM s", "XSETID s 14-0", "XSETID s 20-0 FOO",
			"XSETID s 20-0 ENTRIESADDED", "XSETID s +", "XSETID s abc", "XDEL s 5-0 10-1", "XSETID s 0-1",
			"XINFO STREAM s", "XSETID s 20-1 MAXDELETEDID 0-0", "XINFO STREAM s", "SET str x", "XSETID str 1"),
		tc("lag and entries-read",
			"XADD s 1-0 a 1", "XADD s 2-0 a 2", "XADD s 3-0 a 3", "XADD s 4-0 a 4", "XADD s 5-0 a 5",
			"XGROUP CREATE s g1 0", "XGROUP CREATE s g2 $", "XGROUP CREATE s g3 2-0", "XGROUP CREATE s g4 0 ENTRIESREAD 3",
			"XINFO GROUPS s", "XREADGROUP GROUP g1 c COUNT 2 STREAMS s >", "XREADGROUP GROUP g3 c COUNT 1 STREAMS s >",
			"XINFO GROUPS s", "XDEL s 4-0", "XINFO GROUPS s", "XREADGROUP GROUP g1 c COUNT 1 STREAMS s >",
			"XINFO GROUPS s", "XREADGROUP GROUP g1 c STREAMS s >", "XINFO GROUPS s", "XTRIM s MAXLEN 1", "XINFO GROUPS s",
			"XADD s 6-0 a 6", "XINFO GROUPS s", "XDEL s 1-0", "XGROUP SETID s g2 0", "XINFO GROUPS s",
			"XREADGROUP GROUP g2 c STREAMS s >", "XINFO GROUPS s", "XTRIM s MAXLEN 0", "XINFO GROUPS s",
			"XGROUP SETID s g3 10-0 ENTRIESREAD 2", "XINFO GROUPS s", "XINFO STREAM s"),
		tc("wrong type",
			"SET s v", "XADD s 1-0 a 1", "XADD s NOMKSTREAM 1-0 a 1", "XADD s 0-0 a 1", "XRANGE s - +", "XRANGE s abc +",
			"XREVRANGE s + -", "XLEN s", "XDEL s 1-0", "XDEL s abc", "XTRIM s MAXLEN 1", "XREAD STREAMS s 0",
			"XREAD STREAMS s abc", "XREADGROUP GROUP g c STREAMS s >", "XACK s g 1-0", "XPENDING s g",
			"XPENDING s g - + 1", "XCLAIM s g c 0 1-0", "XAUTOCLAIM s g c 0 0", "XINFO STREAM s", "XSETID s 1-0",
			"XGROUP SETID s g 0", "XGROUP DESTROY s g", "XGROUP DELCONSUMER s g c", "XADD l 1-0 a 1",
			"LPUSH l x", "XREAD STREAMS l s 0 0"),
		tc("blocking inside multi",
			"MULTI", "XREAD BLOCK 0 STREAMS s $", "XGROUP CREATE s g $ MKSTREAM",
			"XREADGROUP GROUP g c BLOCK 0 STREAMS s >", "XADD s 1-0 a 1", "XREAD BLOCK 0 STREAMS s 0",
			"XREADGROUP GROUP g c BLOCK 0 STREAMS s >", "EXEC"),
		tc("keys commands on streams",
			"XADD s 1-0 a 1", "XADD s 2-0 a 2", "XGROUP CREATE s g 0", "XREADGROUP GROUP g c COUNT 1 STREAMS s >",
			"COPY s s2", "XRANGE s2 - +", "XADD s2 3-0 a 3", "XLEN s", "XINFO GROUPS s2", "XPENDING s2 g",
			"XACK s2 g 1-0", "XPENDING s g", "RENAME s2 s3", "XINFO STREAM s3", "TYPE s3", "OBJECT ENCODING s3",
			"EXPIRE s3 100", "XADD s3 4-0 a 4", cmd("TTL s3").within(1), "DEL s3", "EXISTS s3"),
		tc("empty stream survives",
			"XADD s 1-0 a 1", "XDEL s 1-0", "EXISTS s", "XLEN s", "XRANGE s - +", "XREVRANGE s + -", "XINFO STREAM s",
			"XADD s 1-0 a 1", "XADD s 2-0 a 1", "XTRIM s MAXLEN 0", "XINFO STREAM s", "XREAD STREAMS s 0",
			"XGROUP CREATE s g 0", "XREADGROUP GROUP g c STREAMS s >", "XAUTOCLAIM s g c 0 0"),
	}
}

func TestDiffStream(t *testing.T) {
	t.Parallel()
	cases := bothProtocols(streamCases())
	for i := range cases {
		cases[i] = cases[i].need("xadd")
	}
	diff(t, cases)
}

// TestDiffStreamNodeSize runs trimming with small nodes
// (stream-node-max-entries, stream-node-max-bytes): approximate trimming
// only removes whole nodes, so the node boundaries show in the replies.
func TestDiffStreamNodeSize(t *testing.T) {
	t.Parallel()
	many := xaddMany("s", 40, 1)
	cases := []dcase{
		tc("five per node", many,
			"XTRIM s MAXLEN ~ 33", "XLEN s", "XTRIM s MAXLEN ~ 31", "XLEN s", "XDEL s 11-0 12-0 13-0 14-0 15-0",
			"XINFO STREAM s", "XTRIM s MAXLEN ~ 20", "XLEN s", "XTRIM s MAXLEN ~ 1 LIMIT 7", "XLEN s",
			"XTRIM s MINID ~ 38", "XLEN s", "XRANGE s - +").need("xadd"),
		tc("bytes per node",
			"CONFIG SET stream-node-max-bytes 100", "XADD b 1-0 f aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
			"XADD b 2-0 f aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "XADD b 3-0 f 1", "XADD b 4-0 f 2",
			"XADD b 5-0 g 3 h 4", "XADD b 6-0 f 123456789", "XADD b 7-0 f -123456789012", "XADD b 8-0 f x",
			"XINFO STREAM b", "XTRIM b MAXLEN ~ 3", "XLEN b", "XTRIM b MAXLEN ~ 0", "XLEN b",
			"CONFIG SET stream-node-max-bytes 4096").need("xadd"),
	}
	diff(t, bothProtocols(cases), opt("stream-node-max-entries", "5"))
}

// streamRandomGen produces stream and consumer group commands over two
// streams with explicit, mostly increasing IDs, so both servers hold the
// same entries; a few IDs go backwards on purpose.
type streamRandomGen struct {
	r      *rand.Rand
	nextMs map[string]int // next ms per key
}

var (
	streamRandKeys      = []string{"s0", "s1"}
	streamRandGroups    = []string{"g0", "g1"}
	streamRandConsumers = []string{"c0", "c1", "c2"}
)

func (g *streamRandomGen) pick(xs []string) string { return xs[g.r.IntN(len(xs))] }

// pastID is an ID that may or may not be in the stream.
func (g *streamRandomGen) pastID(k string) string {
	return fmt.Sprintf("%d-%d", g.r.IntN(g.nextMs[k]+2), g.r.IntN(2))
}

func (g *streamRandomGen) next() step {
	k := g.pick(streamRandKeys)
	grp, cons := g.pick(streamRandGroups), g.pick(streamRandConsumers)
	switch g.r.IntN(20) {
	case 0, 1, 2, 3:
		return g.xadd(k)
	case 4:
		return cmdArgs("XDEL", k, g.pastID(k), g.pastID(k))
	case 5:
		return g.xtrim(k)
	case 6, 7:
		args := []string{"XREADGROUP", "GROUP", grp, cons}
		if g.r.IntN(2) == 0 {
			args = append(args, "COUNT", strconv.Itoa(1+g.r.IntN(4)))
		}
		if g.r.IntN(6) == 0 {
			args = append(args, "NOACK")
		}
		id := ">"
		if g.r.IntN(4) == 0 {
			id = "0"
		}
		return cmdArgs(append(args, "STREAMS", k, id)...)
	case 8, 9:
		return cmdArgs("XACK", k, grp, g.pastID(k), g.pastID(k))
	case 10:
		args := []string{"XCLAIM", k, grp, cons, "0", g.pastID(k), g.pastID(k)}
		if g.r.IntN(3) == 0 {
			args = append(args, "JUSTID")
		}
		if g.r.IntN(4) == 0 {
			args = append(args, "FORCE")
		}
		if g.r.IntN(5) == 0 {
			args = append(args, "RETRYCOUNT", strconv.Itoa(g.r.IntN(5)))
		}
		return cmdArgs(args...)
	case 11:
		args := []string{"XAUTOCLAIM", k, grp, cons, "0", g.pastID(k), "COUNT", strconv.Itoa(1 + g.r.IntN(3))}
		if g.r.IntN(3) == 0 {
			args = append(args, "JUSTID")
		}
		return cmdArgs(args...)
	case 12:
		return cmdArgs("XPENDING", k, grp)
	case 13:
		return cmdArgs("XPENDING", k, grp, "-", "+", "10", cons).times()
	case 14:
		return cmdArgs("XINFO", "GROUPS", k)
	case 15:
		return g.groupAdmin(k, grp, cons)
	case 16:
		return cmdArgs("XRANGE", k, g.pastID(k), "+", "COUNT", strconv.Itoa(1+g.r.IntN(5)))
	case 17:
		return cmdArgs("XREVRANGE", k, "+", g.pastID(k), "COUNT", strconv.Itoa(1+g.r.IntN(5)))
	case 18:
		return cmdArgs("XINFO", "STREAM", k, "FULL").times()
	default:
		return cmdArgs("XREAD", "COUNT", "3", "STREAMS", k, g.pastID(k))
	}
}

func (g *streamRandomGen) xadd(k string) step {
	args := []string{"XADD", k}
	if g.r.IntN(5) == 0 {
		args = append(args, "MAXLEN", g.pick([]string{"=", "~"}), strconv.Itoa(g.r.IntN(8)))
	}
	id := fmt.Sprintf("%d-%d", g.nextMs[k], g.r.IntN(3))
	switch g.r.IntN(8) {
	case 0:
		id = fmt.Sprintf("%d-*", g.nextMs[k])
	case 1:
		id = g.pastID(k) // usually refused
	}
	g.nextMs[k] += 1 + g.r.IntN(2)
	fields := []string{"f", strconv.Itoa(g.r.IntN(100))}
	if g.r.IntN(4) == 0 {
		fields = append(fields, "g", "x")
	}
	return cmdArgs(append(append(args, id), fields...)...)
}

func (g *streamRandomGen) xtrim(k string) step {
	if g.r.IntN(2) == 0 {
		return cmdArgs("XTRIM", k, "MAXLEN", g.pick([]string{"=", "~"}), strconv.Itoa(g.r.IntN(10)))
	}
	return cmdArgs("XTRIM", k, "MINID", g.pastID(k))
}

func (g *streamRandomGen) groupAdmin(k, grp, cons string) step {
	switch g.r.IntN(5) {
	case 0:
		return cmdArgs("XGROUP", "CREATE", k, grp, g.pick([]string{"0", "$"}), "MKSTREAM")
	case 1:
		return cmdArgs("XGROUP", "SETID", k, grp, g.pastID(k))
	case 2:
		return cmdArgs("XGROUP", "DELCONSUMER", k, grp, cons)
	case 3:
		return cmdArgs("XGROUP", "CREATECONSUMER", k, grp, cons)
	}
	return cmdArgs("XGROUP", "DESTROY", k, grp)
}

// TestDiffStreamRandom replays seeded random stream sequences against both
// servers, stopping each at its first mismatch.
func TestDiffStreamRandom(t *testing.T) {
	t.Parallel()
	ref, sut := startPair(t, opt("stream-node-max-entries", "4"))
	if !sut.hasCommand(t, "xadd") {
		t.Skip("the server under test has no stream commands")
	}
	replayRandom(t, ref, sut, randomRun{steps: 600, salt: 0x737472,
		prelude: []string{"XGROUP CREATE s0 g0 0 MKSTREAM", "XGROUP CREATE s1 g1 0 MKSTREAM"},
		generator: func(r *rand.Rand) func() step {
			return (&streamRandomGen{r: r, nextMs: map[string]int{"s0": 1, "s1": 1}}).next
		}})
}

// blockAction is one step of a blocking script: a command sent on one of
// three connections, whose reply is read now or later.
type blockAction struct {
	conn    int // 0, 1 or 2
	args    []string
	noRead  bool // send only: the reply comes after a later write
	read    bool // read a reply sent earlier (args unused)
	blocked int  // before sending, wait until this many clients are blocked
}

func send(conn int, line string) blockAction { return blockAction{conn: conn, args: splitLine(line)} }
func park(conn int, line string) blockAction {
	return blockAction{conn: conn, args: splitLine(line), noRead: true}
}
func replyOf(conn int) blockAction            { return blockAction{conn: conn, read: true} }
func (a blockAction) after(n int) blockAction { a.blocked = n; return a }

func splitLine(line string) []string {
	args, err := splitArgs(line)
	if err != nil {
		panic(err)
	}
	return args
}

// runBlockScript runs a script on one server and returns every reply read,
// in order, as text.
func runBlockScript(t *testing.T, tg *target, resp3 bool, script []blockAction) []string {
	t.Helper()
	var conns [3]*respConn
	for i := range conns {
		c, err := dialResp(tg.addr)
		if err != nil {
			t.Fatalf("%s: %v", tg.name, err)
		}
		defer c.Close()
		if resp3 {
			if _, _, err := c.do("HELLO", "3"); err != nil {
				t.Fatalf("%s: HELLO 3: %v", tg.name, err)
			}
		}
		conns[i] = c
	}
	if _, _, err := conns[0].do("FLUSHALL"); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, a := range script {
		if a.blocked > 0 {
			waitBlockedClients(t, conns[0], tg, a.blocked)
		}
		c := conns[a.conn]
		if !a.read {
			if err := c.send(a.args...); err != nil {
				t.Fatalf("%s: %v", tg.name, err)
			}
			if a.noRead {
				continue
			}
		}
		raw, _, err := c.read()
		if err != nil {
			t.Fatalf("%s: %s: %v", tg.name, quoteArgs(a.args), err)
		}
		out = append(out, strconv.Quote(string(raw)))
	}
	return out
}

var blockedClientsField = regexp.MustCompile(`blocked_clients:(\d+)`)

func waitBlockedClients(t *testing.T, c *respConn, tg *target, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		_, v, err := c.do("INFO", "clients")
		if err != nil {
			t.Fatal(err)
		}
		if m := blockedClientsField.FindStringSubmatch(v.str); m != nil && m[1] == strconv.Itoa(n) {
			return
		}
		time.Sleep(2 * time.Millisecond)
	}
	t.Fatalf("%s: never saw %d blocked clients", tg.name, n)
}

// TestDiffStreamBlocking compares blocking reads: the reader parks on the
// second connection, the first writes once it is blocked, then the
// reader's reply is read.
func TestDiffStreamBlocking(t *testing.T) {
	t.Parallel()
	ref, sut := startPair(t)
	if !sut.hasCommand(t, "xadd") {
		t.Skip("the server under test has no stream commands")
	}
	scripts := map[string][]blockAction{
		"xread $ woken by xadd": {
			send(0, "XADD s 1-0 a 1"), park(1, "XREAD BLOCK 0 STREAMS s $"), send(0, "XADD s 2-0 b 2").after(1),
			replyOf(1), send(0, "XLEN s")},
		"xread on missing keys": {
			park(1, "XREAD COUNT 5 BLOCK 0 STREAMS a b 0 $"), send(0, "XADD b 1-0 f v").after(1), replyOf(1)},
		"xread timeout": {
			park(1, "XREAD BLOCK 20 STREAMS s $"), replyOf(1), send(1, "PING")},
		"xread explicit id not yet reached": {
			park(1, "XREAD BLOCK 300 STREAMS s 5-0"), park(2, "XREAD BLOCK 0 STREAMS s $").after(1),
			send(0, "XADD s 3-0 f v").after(2), replyOf(2), replyOf(1)},
		"xread not woken by a string": {
			park(1, "XREAD BLOCK 0 STREAMS s 0"), send(0, "SET s x").after(1), send(0, "DEL s"),
			send(0, "XADD s 1-0 f v"), replyOf(1)},
		"xread blocked default count": func() []blockAction {
			a := []blockAction{park(1, "XREAD BLOCK 0 STREAMS s $"), send(0, "MULTI").after(1)}
			for i := 1; i <= 1003; i++ {
				a = append(a, send(0, fmt.Sprintf("XADD s %d-0 f v", i)))
			}
			return append(a, send(0, "EXEC"), replyOf(1))
		}(),
		"xreadgroup woken by xadd": {
			send(0, "XGROUP CREATE s g $ MKSTREAM"), park(1, "XREADGROUP GROUP g c BLOCK 0 STREAMS s >"),
			send(0, "XADD s 1-0 a 1").after(1), replyOf(1), send(0, "XPENDING s g"), send(0, "XINFO GROUPS s")},
		"xreadgroup noack count": {
			send(0, "XGROUP CREATE s g $ MKSTREAM"), park(1, "XREADGROUP GROUP g c COUNT 1 NOACK BLOCK 0 STREAMS s >"),
			send(0, "MULTI").after(1), send(0, "XADD s 1-0 a 1"), send(0, "XADD s 2-0 a 2"), send(0, "EXEC"),
			replyOf(1), send(0, "XPENDING s g"), send(0, "XINFO GROUPS s")},
		"xreadgroup stream deleted": {
			send(0, "XGROUP CREATE s g $ MKSTREAM"), park(1, "XREADGROUP GROUP g c BLOCK 0 STREAMS s >"),
			send(0, "DEL s").after(1), replyOf(1)},
		"xreadgroup group destroyed": {
			send(0, "XGROUP CREATE s g $ MKSTREAM"), park(1, "XREADGROUP GROUP g c BLOCK 0 STREAMS s >"),
			send(0, "XGROUP DESTROY s g").after(1), replyOf(1)},
		"xreadgroup two readers share the load": {
			send(0, "XGROUP CREATE s g $ MKSTREAM"), park(1, "XREADGROUP GROUP g c1 BLOCK 0 STREAMS s >"),
			send(0, "XADD s 1-0 a 1").after(1), replyOf(1), park(1, "XREADGROUP GROUP g c2 COUNT 1 BLOCK 0 STREAMS s >"),
			send(0, "XADD s 2-0 a 2").after(1), replyOf(1), send(0, "XPENDING s g")},
		"xreadgroup timing out": {
			send(0, "XGROUP CREATE s g $ MKSTREAM"), park(1, "XREADGROUP GROUP g c BLOCK 20 STREAMS s >"),
			replyOf(1), send(0, "XINFO GROUPS s")},
	}
	for name, script := range scripts {
		for _, resp3 := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/resp3=%v", name, resp3), func(t *testing.T) {
				want := runBlockScript(t, ref, resp3, script)
				got := runBlockScript(t, sut, resp3, script)
				if strings.Join(want, "\n") != strings.Join(got, "\n") {
					t.Errorf("replies differ\n\t%s: %s\n\t%s: %s", ref.name, strings.Join(want, " "), sut.name, strings.Join(got, " "))
				}
			})
		}
	}
}

// TestDiffStreamNotifications compares the keyspace events of the stream
// commands, read by a second client subscribed to every key event.
func TestDiffStreamNotifications(t *testing.T) {
	t.Parallel()
	ref, sut := startPair(t)
	if !sut.hasCommand(t, "xadd") {
		t.Skip("the server under test has no stream commands")
	}
	script := []blockAction{
		send(0, "CONFIG SET notify-keyspace-events KEA"), send(1, "PSUBSCRIBE __keyevent@0__:*"),
		send(0, "XADD s 1-0 a 1"), send(0, "XADD s MAXLEN 1 2-0 a 2"), send(0, "XADD nokey NOMKSTREAM 1-0 a 1"),
		send(0, "XGROUP CREATE s g 0"), send(0, "XREADGROUP GROUP g c STREAMS s >"),
		send(0, "XREADGROUP GROUP g c STREAMS s >"), send(0, "XGROUP CREATECONSUMER s g c2"),
		send(0, "XGROUP CREATECONSUMER s g c2"), send(0, "XGROUP DELCONSUMER s g c2"),
		send(0, "XGROUP DELCONSUMER s g c2"), send(0, "XCLAIM s g c3 0 2-0 JUSTID"), send(0, "XACK s g 2-0"),
		send(0, "XGROUP SETID s g 0"), send(0, "XDEL s 2-0"), send(0, "XDEL s 2-0"), send(0, "XSETID s 5-0"),
		send(0, "XTRIM s MAXLEN 0"), send(0, "XGROUP DESTROY s g"), send(0, "XGROUP CREATE t g $ MKSTREAM"),
		send(0, "DEL s t"),
	}
	for i := 0; i < 14; i++ {
		script = append(script, replyOf(1))
	}
	for _, resp3 := range []bool{false, true} {
		want := runBlockScript(t, ref, resp3, script)
		got := runBlockScript(t, sut, resp3, script)
		if strings.Join(want, "\n") != strings.Join(got, "\n") {
			t.Errorf("resp3=%v: replies differ\n\t%s: %s\n\t%s: %s", resp3, ref.name, strings.Join(want, " "), sut.name, strings.Join(got, " "))
		}
	}
}
