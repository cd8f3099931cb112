package compat

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
)

// Differential cases for the set family (Redis's t_set.c).
//
// Normalisation, explicitly: a set's members come back in the order its
// encoding keeps them. An intset answers in ascending order on both
// servers, so replies from intsets are compared byte for byte. A hash
// table answers in its hash order, which in Redis depends on a hash seed
// chosen at random at startup, so replies drawn from hash tables carry the
// unorderedMembers matcher (the elements are sorted before comparing; the
// reply type, count and members must still match). Replies of random
// commands (SPOP, SRANDMEMBER) carry the shape matcher unless the count
// takes the whole set.

// unorderedMembers compares a set or array reply whose order comes from a
// hash table: sorted, then byte for byte.
func unorderedMembers(line string) step { return cmd(line).sorted() }

// sscanWhole compares an SSCAN reply whose member array comes from a hash
// table: the cursor byte for byte, the members sorted.
func sscanWhole(line string) step { return cmd(line).with(sscanUnordered) }

var sscanUnordered = matcher{"SSCAN reply, members unordered", func(ref, got *value) bool {
	norm := func(v *value) []byte {
		if v.kind != '*' || len(v.elems) != 2 {
			return encode(v)
		}
		c := *v
		c.elems = []*value{v.elems[0], sortedCopy(v.elems[1])}
		return encode(&c)
	}
	return bytes.Equal(norm(ref), norm(got))
}}

// intRange is "lo lo+1 ... hi" for command lines.
func intRange(lo, hi int) string {
	var b strings.Builder
	for i := lo; i <= hi; i++ {
		if i > lo {
			b.WriteByte(' ')
		}
		b.WriteString(strconv.Itoa(i))
	}
	return b.String()
}

func setBasicCases() []dcase {
	return []dcase{
		tc("sadd scard sismember",
			"SADD s a b c", "SADD s a d", "SADD s a", "SCARD s", "SCARD nokey", "SISMEMBER s a", "SISMEMBER s z",
			"SISMEMBER nokey a", "SMISMEMBER s a z b", "SMISMEMBER nokey a b", "SMISMEMBER s a", "TYPE s",
			"OBJECT ENCODING s", unorderedMembers("SMEMBERS s"), "SMEMBERS nokey", "sadd S x", "SCARD S",
			"SADD s a a a e e", "SCARD s"),
		tc("intset order and widths",
			"SADD s 5 -3 100000 1 70000 -2147483649 9223372036854775807 -9223372036854775808 0 32767 -32768 32768",
			"SMEMBERS s", "OBJECT ENCODING s", "SCARD s", "SISMEMBER s 100000", "SISMEMBER s 100001",
			"SISMEMBER s 01", "SISMEMBER s 9223372036854775808", "SISMEMBER s abc", "SMISMEMBER s 0 -0 5 +5",
			"SREM s 100000 -3 nosuch 9223372036854775807", "SMEMBERS s", "SADD s2 1 2 3", "SADD s2 2147483648",
			"SMEMBERS s2", "SREM s2 2147483648", "SMEMBERS s2", "OBJECT ENCODING s2", "SADD s2 -1", "SMEMBERS s2"),
		tc("integer-looking members stay strings",
			"SADD a 01", "OBJECT ENCODING a", "SADD b -0", "OBJECT ENCODING b", "SADD c 9223372036854775808",
			"OBJECT ENCODING c", "SADD d -9223372036854775809", "OBJECT ENCODING d", `SADD e "+1"`, "OBJECT ENCODING e",
			`SADD f " 1"`, "OBJECT ENCODING f", "SADD g 1.0", "OBJECT ENCODING g", `SADD h ""`, "OBJECT ENCODING h",
			"SADD i 9223372036854775807", "OBJECT ENCODING i", "SADD j -9223372036854775808", "OBJECT ENCODING j",
			"SADD k 0", "OBJECT ENCODING k", "SADD m 1 01 -0 1.0 0x1", unorderedMembers("SMEMBERS m"), "SCARD m",
			"SISMEMBER m 1", "SISMEMBER m 01", "SISMEMBER m 001", "SISMEMBER m 0", "SISMEMBER m -0",
			"SADD n 1 2 3", "SADD n 01", "OBJECT ENCODING n", unorderedMembers("SMEMBERS n"), "SISMEMBER n 1",
			"SISMEMBER n 01", "SREM n 1", "SISMEMBER n 1", "SCARD n", `SADD p "1\x00"`, "OBJECT ENCODING p"),
		tc("binary members",
			`SADD s "\x00" "\xff" "a\r\nb" "" " " "\x00\x00"`, unorderedMembers("SMEMBERS s"), "SCARD s",
			`SISMEMBER s "\x00"`, `SISMEMBER s ""`, `SISMEMBER s "\x00\x00\x00"`, `SREM s "\x00"`, `SISMEMBER s "\x00"`,
			cmdArgs("SADD", "big", strings.Repeat("x", 10000), allBytes()), cmdArgs("SISMEMBER", "big", allBytes()),
			unorderedMembers("SMEMBERS big"), `SADD "" a`, `SMEMBERS ""`, `SCARD ""`),
		tc("srem",
			"SREM nokey a", "SADD s 1 2 3", "SREM s 4", "SREM s 1 1 2", "SMEMBERS s", "SREM s 3 3", "EXISTS s",
			"SADD h a b c", "SREM h a z", "SREM h b c d", "EXISTS h", "SADD h2 x 1", "SREM h2 1", "OBJECT ENCODING h2",
			"SMEMBERS h2"),
		tc("smembers on intsets is ascending",
			"SADD s 10 9 8 7 6 5 4 3 2 1 -1 -10 1000000 -1000000", "SMEMBERS s", "SADD s 0", "SMEMBERS s"),
		tc("smove",
			"SMOVE nokey d 1", "SADD s 1 2 3", "SMOVE s d 1", "SMEMBERS s", "SMEMBERS d", "OBJECT ENCODING d",
			"SMOVE s s 2", "SMOVE s s 9", "SMOVE s d 9", "SET str x", "SMOVE s str 2", "SMOVE str s 2",
			"SMOVE nokey str 2", "SMOVE s str 9", "SMOVE str str x", "SMOVE s d 3", "SMOVE s d 2", "EXISTS s",
			"SMEMBERS d", "SMOVE d d2 abc", "EXISTS d2", "SADD d3 a", "SMOVE d d3 1", "OBJECT ENCODING d3",
			unorderedMembers("SMEMBERS d3"), "SADD e a", "SMOVE e f a", "OBJECT ENCODING f", "SADD g 1 2",
			"SADD h 2", "SMOVE g h 2", "SMEMBERS g", "SMEMBERS h", "SMOVE g h 1", "EXISTS g", "SMEMBERS h"),
		tc("spop",
			"SPOP nokey", "SPOP nokey 0", "SPOP nokey 5", "SADD s 7", "SPOP s", "EXISTS s", "SADD s a b c",
			"SPOP s 0", "SPOP s -1", "SPOP s abc", "SPOP s 1.5", `SPOP s ""`, "SPOP s 1 2", "SPOP s 9223372036854775808",
			"SPOP s -9223372036854775808", unorderedMembers("SPOP s 10"), "EXISTS s", "SADD s 3 1 2", "SPOP s 3",
			"EXISTS s", "SADD s a b c d e", cmd("SPOP s 2").shape(), "SCARD s", cmd("SPOP s").shape(), "SCARD s",
			cmd("SPOP s 1").shape(), "SCARD s", cmd("SPOP s 2").shape(), "EXISTS s", "SADD n 1 2 3 4 5",
			cmd("SPOP n 4").shape(), "SCARD n", "OBJECT ENCODING n", cmd("SPOP n 9223372036854775807").shape(), "EXISTS n"),
		tc("srandmember",
			"SRANDMEMBER nokey", "SRANDMEMBER nokey 5", "SRANDMEMBER nokey -5", "SRANDMEMBER nokey 0",
			"SADD s 1 2 3", "SRANDMEMBER s 0", "SRANDMEMBER s 3", "SRANDMEMBER s 5", "SRANDMEMBER s 9223372036854775807",
			cmd("SRANDMEMBER s -5").shape(), cmd("SRANDMEMBER s 2").shape(), cmd("SRANDMEMBER s 1").shape(),
			cmd("SRANDMEMBER s -1").shape(), cmd("SRANDMEMBER s").shape(), "SRANDMEMBER s abc", "SRANDMEMBER s 1.5",
			"SRANDMEMBER s -9223372036854775808", "SRANDMEMBER s 9223372036854775808", "SRANDMEMBER s -9223372036854775807a",
			"SRANDMEMBER s 1 2", "SRANDMEMBER nokey abc", "SCARD s", "SADD one x", "SRANDMEMBER one", "SRANDMEMBER one 1",
			"SRANDMEMBER one -3", "SADD h a b c d e f g h i j", unorderedMembers("SRANDMEMBER h 10"),
			unorderedMembers("SRANDMEMBER h 20"), cmd("SRANDMEMBER h 9").shape(), cmd("SRANDMEMBER h 5").shape(),
			cmd("SRANDMEMBER h 2").shape(), cmd("SRANDMEMBER h -30").shape(), "SCARD h"),
		tc("wrong type",
			"SET str x", "SADD s 1", "SADD str a", "SREM str a", "SMEMBERS str", "SISMEMBER str a", "SMISMEMBER str a",
			"SCARD str", "SPOP str", "SPOP str 1", "SPOP str 0", "SPOP str -1", "SRANDMEMBER str", "SRANDMEMBER str 1",
			"SRANDMEMBER str 0", "SRANDMEMBER str abc", "SSCAN str 0", "SSCAN str abc", "SSCAN str 0 COUNT 0",
			"SINTER str", "SINTER s str", "SINTER nokey str", "SINTER str nokey", "SINTERCARD 2 nokey str",
			"SINTERSTORE d nokey str", "SUNION s str", "SUNION nokey str", "SUNIONSTORE d s str", "SDIFF str s",
			"SDIFF nokey str", "SDIFF s str", "SDIFFSTORE d nokey str", "EXISTS d", "GET s", "INCR s", "APPEND s x",
			"STRLEN s", "TYPE s", "SADD str2 a", "SET str2 v", "TYPE str2", "GET str2"),
		tc("arity",
			"SADD", "SADD s", "SREM s", "SMEMBERS", "SMEMBERS a b", "SISMEMBER s", "SISMEMBER s a b", "SMISMEMBER s",
			"SCARD", "SCARD a b", "SPOP", "SRANDMEMBER", "SMOVE a b", "SMOVE a b c d", "SINTER", "SINTERSTORE d",
			"SUNION", "SUNIONSTORE d", "SDIFF", "SDIFFSTORE d", "SSCAN s", "SSCAN", "SINTERCARD", "SINTERCARD 1"),
		tc("sinter",
			"SADD a 1 2 3 4", "SADD b 2 3 4 5", "SADD c 3 4 5 6", "SINTER a b", "SINTER a b c", "SINTER a", "SINTER a a",
			"SINTER a nokey", "SINTER nokey a", "SINTER nokey", "SADD h x y 3 4", unorderedMembers("SINTER h a"),
			"SADD big 1 2 3 4 5 6 7 8 9 10", "SINTER big a", "SINTER a big", "SADD h2 a b c d", "SADD h3 c d e",
			unorderedMembers("SINTER h2 h3"), "SINTER h2 a", "SADD e 100", "SINTER a e", "SINTER a b c a b c"),
		tc("sintercard",
			"SADD s 1 2 3", "SADD t 2 3 4", "SINTERCARD 0 s", "SINTERCARD -1 s", "SINTERCARD abc s", "SINTERCARD 2 s",
			"SINTERCARD 1 s LIMIT", "SINTERCARD 1 s LIMIT -1", "SINTERCARD 1 s LIMIT abc", "SINTERCARD 1 s LIMIT 0",
			"SINTERCARD 1 s LIMIT 2", "SINTERCARD 1 s FOO 2", "SINTERCARD 1 s limit 1 LIMIT 2",
			"SINTERCARD 9223372036854775807 s", "SINTERCARD 9223372036854775808 s", "SINTERCARD 2 s nokey LIMIT 1",
			"SINTERCARD 1 nokey", "SINTERCARD 1 s s", "SINTERCARD 3 s s", "SINTERCARD 2 s t", "SINTERCARD 2 s t LIMIT 1",
			"SINTERCARD 2 s t LIMIT 5", "SINTERCARD 2 s s", "SINTERCARD 1 s LIMIT 1 FOO", "SINTERCARD 1 s LIMIT 1.5",
			"SINTERCARD 01 s", "SINTERCARD 1 s LIMIT 9223372036854775808"),
		tc("sinterstore",
			"SADD a 1 2 3", "SADD b 2 3 4", "SINTERSTORE d a b", "SMEMBERS d", "OBJECT ENCODING d", "SET d2 str",
			"SINTERSTORE d2 a b", "TYPE d2", "SADD d3 x", "EXPIRE d3 100", "SINTERSTORE d3 a b", "TTL d3",
			"SINTERSTORE d a nokey", "EXISTS d", "SADD d z", "SINTERSTORE d a", "SMEMBERS d", "SINTERSTORE a a b",
			"SMEMBERS a", "SADD h x y 2", "SINTERSTORE d4 h b", "OBJECT ENCODING d4", "SMEMBERS d4",
			"SADD h2 x y z", "SINTERSTORE d5 h h2", "OBJECT ENCODING d5", unorderedMembers("SMEMBERS d5"),
			"SINTERSTORE d5 h2 a", "EXISTS d5"),
		tc("sunion sunionstore",
			"SADD a 3 1 2", "SADD b 4 2 5", "SUNION a b", "SUNION a nokey", "SUNION nokey", "SUNION a a",
			"SUNIONSTORE d a b", "SMEMBERS d", "OBJECT ENCODING d", "SADD h x y", unorderedMembers("SUNION a h"),
			"SUNIONSTORE d2 a h", "OBJECT ENCODING d2", unorderedMembers("SMEMBERS d2"), "SUNIONSTORE d nokey",
			"EXISTS d", "SET str v", "SUNIONSTORE str a", "TYPE str", "SADD t x", "EXPIRE t 100", "SUNIONSTORE t t a",
			"TTL t", "SCARD t", "SUNIONSTORE a a", "SMEMBERS a"),
		tc("sdiff sdiffstore",
			"SADD a 1 2 3 4 5", "SADD b 2 4", "SADD c 5 6", "SDIFF a b", "SDIFF a b c", "SDIFF a", "SDIFF a a",
			"SDIFF a b a", "SDIFF nokey a", "SDIFF a nokey", "SDIFF b a", "SDIFFSTORE d a b c", "SMEMBERS d",
			"OBJECT ENCODING d", "SDIFFSTORE d b a", "EXISTS d", "SDIFFSTORE d a a", "EXISTS d", "SADD h x y 1",
			unorderedMembers("SDIFF h a"), "SDIFF a h", "SDIFFSTORE d2 h a", "OBJECT ENCODING d2",
			unorderedMembers("SMEMBERS d2"), "SDIFFSTORE d3 a h", "OBJECT ENCODING d3", "SMEMBERS d3",
			"SDIFFSTORE a a b", "SMEMBERS a", "SET str v", "SDIFFSTORE str a", "TYPE str"),
		tc("sscan",
			"SSCAN nokey 0", "SSCAN nokey 0 COUNT 0", "SSCAN nokey abc", "SADD s 3 1 2", "SSCAN s 0", "SSCAN s 5",
			"SSCAN s 0 COUNT 1", "SSCAN s 0 MATCH 1", "SSCAN s 0 MATCH [12] COUNT 1", "SSCAN s 0 COUNT 0",
			"SSCAN s 0 COUNT -1", "SSCAN s 0 COUNT abc", "SSCAN s 0 MATCH", "SSCAN s 0 TYPE string",
			"SSCAN s 0 COUNT 0 TYPE x", "SSCAN s 0 TYPE x COUNT 0", "SSCAN s 0 COUNT abc TYPE x", "SSCAN s 0 FOO bar",
			"SSCAN s abc", "SSCAN s -1", "SSCAN s 1.5", "SSCAN s 18446744073709551616", `SSCAN s ""`,
			"SSCAN s 0 match * count 100", "SADD h a b c", sscanWhole("SSCAN h 0"), sscanWhole("SSCAN h 0 COUNT 100"),
			sscanWhole("SSCAN h 0 MATCH a"), sscanWhole("SSCAN h 0 MATCH [ab] COUNT 100 MATCH c"),
			"SSCAN h 0 COUNT 0", "SSCAN h abc", cmd("SSCAN h 0 COUNT 1").with(matcher{"SSCAN partial: same shape",
				func(ref, got *value) bool { return ref.kind == got.kind && len(ref.elems) == len(got.elems) }})),
		tc("sets and the keys family",
			"SADD s 1 2 3", "TYPE s", "COPY s c", "SMEMBERS c", "OBJECT ENCODING c", "SADD c 4", "SMEMBERS s",
			"SMEMBERS c", "SADD h a b", "COPY h hc", "SADD hc c", "SCARD h", "SCARD hc", "OBJECT ENCODING hc",
			"RENAME s r", "SMEMBERS r", "EXPIRE r 100", cmd("TTL r").within(1), "SADD r 9", cmd("TTL r").within(1),
			"SREM r 1", cmd("TTL r").within(1), "DEL r", "EXISTS r", "SADD x 1", "MOVE x 1", "SELECT 1", "SMEMBERS x",
			"SELECT 0", scanAll("SCAN 0 TYPE set")),
		tc("watch sees set writes, not no-ops",
			"SADD w a", "WATCH w", cmd("SADD w a").byOther(), cmd("SREM w zz").byOther(), cmd("SPOP w 0").byOther(),
			cmd("SMOVE nokey w a").byOther(), "MULTI", "SADD w c", "EXEC",
			"WATCH w", cmd("SADD w b").byOther(), "MULTI", "SADD w d", "EXEC", "SISMEMBER w d",
			"WATCH w", cmd("SREM w b").byOther(), "MULTI", "SCARD w", "EXEC",
			"WATCH w", cmd("SPOP w 1").byOther().shape(), "MULTI", "SCARD w", "EXEC",
			"SADD src x", "WATCH w", cmd("SMOVE src w x").byOther(), "MULTI", "SCARD w", "EXEC",
			"SADD src2 w1", "SADD w w1", "WATCH src2", cmd("SMOVE src2 w w1").byOther(), "MULTI", "PING", "EXEC",
			"WATCH d", cmd("SINTERSTORE d nokey w").byOther(), "MULTI", "PING", "EXEC",
			"WATCH w", cmd("SUNIONSTORE w w").byOther(), "MULTI", "PING", "EXEC").need("watch"),
		tc("encoding conversion at 512",
			"SADD s "+intRange(1, 512), "OBJECT ENCODING s", "SCARD s", "SADD s 512", "OBJECT ENCODING s",
			"SADD s 513", "OBJECT ENCODING s", "SCARD s", "SREM s "+intRange(2, 513), "OBJECT ENCODING s", "SMEMBERS s",
			"SADD t "+intRange(1, 513), "OBJECT ENCODING t", "SADD u "+intRange(1, 511)+" x", "OBJECT ENCODING u",
			"SADD v "+intRange(-256, 255), "OBJECT ENCODING v", "SINTERSTORE w v v", "OBJECT ENCODING w",
			"SUNIONSTORE w2 v t", "OBJECT ENCODING w2", "SCARD w2", "SDIFFSTORE w3 t s", "OBJECT ENCODING w3",
			"SCARD w3", "SMEMBERS w3"),
	}
}

// setThresholdCases run with set-max-intset-entries 4, where the
// encoding-dependent choices (conversion, SPOP's rebuild, SDIFF's
// algorithm) are easy to reach.
func setThresholdCases() []dcase {
	return []dcase{
		tc("conversion at 4",
			"CONFIG GET set-max-intset-entries", "SADD s 1 2 3 4", "OBJECT ENCODING s", "SADD s 5", "OBJECT ENCODING s",
			"SREM s 5 4 3", "OBJECT ENCODING s", unorderedMembers("SMEMBERS s"), "SADD t 1 2 3 4 5", "OBJECT ENCODING t"),
		tc("store results at 4",
			"SADD a 1 2 3 4", "SADD b 3 4 5 6", "SUNIONSTORE u a b", "OBJECT ENCODING u", "SINTERSTORE i a b",
			"OBJECT ENCODING i", "SMEMBERS i", "SDIFFSTORE d a b", "OBJECT ENCODING d", "SMEMBERS d",
			unorderedMembers("SUNION a b"), "SUNION a a"),
		tc("sdiff algorithm shows in the encoding",
			// Copy-and-remove: the copy of n outgrows the intset.
			"SADD n 1 2 3 4 5 6", "SADD e1 1", "SADD e2 2", "SADD e3 3", "SDIFFSTORE r n e1 e2 e3", "OBJECT ENCODING r",
			unorderedMembers("SMEMBERS r"), "SDIFFSTORE r2 n e1 e2", "OBJECT ENCODING r2",
			"SDIFFSTORE r3 n e1 e2 e3 nokey nokey nokey", "OBJECT ENCODING r3",
			// Probing: only the survivors are added.
			"SADD big 1 2 3 4 5 6 7 8 9 10", "SADD sub 1 2 3 4 5 6 7", "SDIFFSTORE d4 big sub", "OBJECT ENCODING d4",
			"SMEMBERS d4", "SADD m "+intRange(1, 12), "SDIFFSTORE d8 m sub", "OBJECT ENCODING d8",
			"SDIFFSTORE d9 m sub big", "OBJECT ENCODING d9", "SMEMBERS d9", "SADD n2 1 2 3 4 5 a", "SADD f 1 2 3 4 5",
			"SDIFFSTORE r4 n2 f", "OBJECT ENCODING r4", "SDIFFSTORE r5 n2 f e1 e2 e3 e3 e3", "OBJECT ENCODING r5",
			"SMEMBERS r5", "SDIFFSTORE r6 big big", "EXISTS r6"),
		tc("spop rebuilds what stays",
			"SADD s "+intRange(1, 10), "OBJECT ENCODING s", cmd("SPOP s 9").shape(), "OBJECT ENCODING s", "SCARD s",
			"SADD t "+intRange(1, 10), cmd("SPOP t 8").shape(), "OBJECT ENCODING t", "SCARD t",
			"SADD u "+intRange(1, 30), cmd("SPOP u 25").shape(), "OBJECT ENCODING u", "SCARD u",
			"SADD w a b c d e f g", cmd("SPOP w 6").shape(), "OBJECT ENCODING w", "SADD v "+intRange(1, 10),
			"EXPIRE v 100", cmd("SPOP v 9").shape(), cmd("TTL v").within(1), "OBJECT ENCODING v"),
		tc("config set changes later writes only",
			"SADD s 1 2 3 4", "CONFIG SET set-max-intset-entries 2", "OBJECT ENCODING s", "SADD s 4",
			"OBJECT ENCODING s", "SADD s 5", "OBJECT ENCODING s", "CONFIG SET set-max-intset-entries 0", "SADD z 1",
			"OBJECT ENCODING z", "SADD z2 1 2", cmd("SPOP z2 1").shape(), "OBJECT ENCODING z2",
			"CONFIG SET set-max-intset-entries 100", "SADD y "+intRange(1, 100), "OBJECT ENCODING y", "SADD y 101",
			"OBJECT ENCODING y", "CONFIG SET set-max-intset-entries 4"),
	}
}

func TestDiffSet(t *testing.T) {
	t.Parallel()
	diff(t, bothProtocols(setBasicCases()))
}

func TestDiffSetSmallIntset(t *testing.T) {
	t.Parallel()
	diff(t, bothProtocols(setThresholdCases()), opt("set-max-intset-entries", "4"))
}

// TestDiffSetScanIteration walks hash-table sets with SSCAN at small
// COUNTs on both servers: cursors differ (they come from each server's
// hash function), so what must match is the set of members a full
// iteration returns, and each call's errors.
func TestDiffSetScanIteration(t *testing.T) {
	t.Parallel()
	ref, sut := startPair(t)
	s := openSession(t, ref, sut)
	s.setup(t, "FLUSHALL", "SADD h "+intRange(1, 300)+" x y z", "SADD k:a k:b k:c k:d x:1 x:2")
	for _, q := range [][]string{
		{"h"}, {"h", "COUNT", "1"}, {"h", "COUNT", "7"}, {"h", "MATCH", "1*", "COUNT", "3"},
		{"h", "MATCH", "[xyz]"}, {"k:a"}, {"k:a", "MATCH", "k:*", "COUNT", "1"}, {"nokey"},
	} {
		want, err1 := sscanAll(s.rc, q[0], q[1:])
		got, err2 := sscanAll(s.sc, q[0], q[1:])
		if err1 != nil || err2 != nil {
			t.Fatalf("SSCAN %v: %v / %v", q, err1, err2)
		}
		if want != got {
			t.Errorf("SSCAN %v iterated:\n\tredis: %s\n\tkioku: %s", q, want, got)
		}
	}
}

// sscanAll iterates SSCAN key from cursor 0 to the end and returns the
// sorted, deduplicated members.
func sscanAll(c *respConn, key string, opts []string) (string, error) {
	seen := map[string]bool{}
	cursor := "0"
	for i := 0; i < 100000; i++ {
		_, v, err := c.do(append([]string{"SSCAN", key, cursor}, opts...)...)
		if err != nil {
			return "", err
		}
		if v.kind != '*' || len(v.elems) != 2 {
			return "", fmt.Errorf("malformed SSCAN reply %s", format(v))
		}
		for _, m := range v.elems[1].elems {
			seen[m.str] = true
		}
		if cursor = v.elems[0].str; cursor == "0" {
			out := &value{kind: '*'}
			for m := range seen {
				out.elems = append(out.elems, &value{kind: '$', str: m})
			}
			sortValues(out.elems)
			return format(out), nil
		}
	}
	return "", fmt.Errorf("SSCAN did not finish")
}

// setRandomGen produces deterministic set commands over a few keys, so
// every command meets sets in both encodings, missing keys and a string.
type setRandomGen struct{ r *rand.Rand }

var (
	setRandKeys    = []string{"s0", "s1", "s2", "s3", "str"}
	setRandMembers = []string{
		"0", "1", "2", "3", "5", "8", "13", "-1", "100000", "9223372036854775807", "-9223372036854775808",
		"01", "-0", "9223372036854775808", "a", "b", "c", "", "\x00", "x y",
	}
)

func (g *setRandomGen) key() string { return setRandKeys[g.r.IntN(len(setRandKeys))] }

func (g *setRandomGen) keys(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = g.key()
	}
	return out
}

func (g *setRandomGen) members(n int) []string {
	out := make([]string, n)
	for i := range out {
		// Mostly small integers, so sets stay intsets for a while.
		if g.r.IntN(3) > 0 {
			out[i] = strconv.Itoa(g.r.IntN(12))
		} else {
			out[i] = setRandMembers[g.r.IntN(len(setRandMembers))]
		}
	}
	return out
}

func (g *setRandomGen) args(head []string, tail ...[]string) step {
	for _, t := range tail {
		head = append(head, t...)
	}
	return cmdArgs(head...)
}

// next returns a command whose reply is deterministic once unordered
// replies are sorted: SPOP only takes whole sets, SRANDMEMBER compares
// by shape (it does not write).
func (g *setRandomGen) next() step {
	k := g.key()
	switch g.r.IntN(28) {
	case 0, 1, 2, 3, 24, 25, 26, 27: // adds dominate, so sets grow past the small thresholds
		return g.args([]string{"SADD", k}, g.members(1+g.r.IntN(6)))
	case 4, 5:
		return g.args([]string{"SREM", k}, g.members(1+g.r.IntN(3)))
	case 6:
		return g.args([]string{"SISMEMBER", k}, g.members(1))
	case 7:
		return g.args([]string{"SMISMEMBER", k}, g.members(1+g.r.IntN(3)))
	case 8:
		return cmdArgs("SCARD", k)
	case 9:
		return cmdArgs("SMEMBERS", k).sorted()
	case 10:
		return g.args([]string{"SMOVE", k, g.key()}, g.members(1))
	case 11:
		return g.args([]string{"SINTER"}, g.keys(1+g.r.IntN(3))).sorted()
	case 12:
		return g.args([]string{"SUNION"}, g.keys(1+g.r.IntN(3))).sorted()
	case 13:
		return g.args([]string{"SDIFF"}, g.keys(1+g.r.IntN(3))).sorted()
	case 14:
		return g.args([]string{g.pickStore(), k}, g.keys(1+g.r.IntN(3)))
	case 15:
		n := 1 + g.r.IntN(3)
		return g.args([]string{"SINTERCARD", strconv.Itoa(n)}, g.keys(n), []string{"LIMIT", strconv.Itoa(g.r.IntN(4))})
	case 16:
		return cmdArgs("SRANDMEMBER", k, strconv.Itoa(g.r.IntN(10)-5)).shape()
	case 17:
		return cmdArgs("SPOP", k, "100").sorted()
	case 18:
		return cmdArgs("OBJECT", "ENCODING", k)
	case 19:
		return cmdArgs("SSCAN", k, "0", "COUNT", "1000").with(sscanUnordered)
	case 20:
		return cmdArgs("TYPE", k)
	case 21:
		return cmdArgs("SET", "str", "v")
	case 22:
		return cmdArgs("DEL", k)
	default:
		return cmdArgs("CONFIG", "SET", "set-max-intset-entries", []string{"4", "8", "512"}[g.r.IntN(3)])
	}
}

func (g *setRandomGen) pickStore() string {
	return []string{"SINTERSTORE", "SUNIONSTORE", "SDIFFSTORE"}[g.r.IntN(3)]
}

// TestDiffSetRandom replays seeded random sequences of set commands on both
// servers, reply by reply, stopping each at its first mismatch.
func TestDiffSetRandom(t *testing.T) {
	t.Parallel()
	ref, sut := startPair(t)
	replayRandom(t, ref, sut, randomRun{steps: 800, salt: 0x5e75e75e75e75e75,
		prelude:   []string{"CONFIG SET set-max-intset-entries 512"},
		generator: func(r *rand.Rand) func() step { return (&setRandomGen{r: r}).next }})
}
