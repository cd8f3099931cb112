package compat

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
)

// Differential cases for the hash family (Redis's t_hash.c).
//
// Normalisation, explicitly: a listpack hash answers in insertion order on
// both servers, so its replies are compared byte for byte. A hashtable
// answers in its hash order, which in Redis depends on a hash seed chosen
// at random at startup, so replies drawn from hashtables carry a matcher:
// HGETALL compares its pairs unordered (unorderedPairs), HKEYS/HVALS their
// elements sorted, HSCAN its pairs unordered with the cursor byte for
// byte. The reply type, counts and contents must still match. HRANDFIELD
// replies that are random compare by shape; those that take the whole
// hash are deterministic and compared in full.

// hscanPairsUnordered compares an HSCAN reply whose pairs come from a
// hashtable: the cursor byte for byte, the field/value pairs in any order.
var hscanPairsUnordered = matcher{"HSCAN reply, pairs unordered", func(ref, got *value) bool {
	norm := func(v *value) []byte {
		if v.kind != '*' || len(v.elems) != 2 {
			return encode(v)
		}
		c := *v
		c.elems = []*value{v.elems[0], sortedPairs(v.elems[1])}
		return encode(&c)
	}
	return bytes.Equal(norm(ref), norm(got))
}}

func hscanWhole(line string) step { return cmd(line).with(hscanPairsUnordered) }

// randPairsUnordered compares an HRANDFIELD ... WITHVALUES reply that takes
// the whole hashtable: a flat array of pairs in RESP2, an array of
// two-element arrays in RESP3, in hash order.
func randPairsUnordered(line string) step {
	return cmd(line).with(matcher{"HRANDFIELD pairs unordered", func(ref, got *value) bool {
		norm := func(v *value) []byte {
			if len(v.elems) > 0 && v.elems[0].kind == '*' {
				return encode(sortedCopy(v))
			}
			return encode(sortedPairs(v))
		}
		return bytes.Equal(norm(ref), norm(got))
	}})
}

// hashFields is "f1 v1 f2 v2 ..." for n fields, for command lines.
func hashFields(prefix string, n int) string {
	var b strings.Builder
	for i := 1; i <= n; i++ {
		if i > 1 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%s%d v%d", prefix, i, i)
	}
	return b.String()
}

func hashBasicCases() []dcase {
	bin := allBytes()
	return []dcase{
		tc("hset hget",
			"HSET h a 1", "HGET h a", "HSET h a 2 b 3", "HGET h a", "HGET h b", "HGET h zz", "HGET nokey a",
			"HSET h a 2 a 3 c 4", "HGET h a", "HGETALL h", "HSET h c 4", "HLEN h", "TYPE h", "OBJECT ENCODING h",
			`HSET h "" ""`, `HGET h ""`, `HSET "" f v`, `HGETALL ""`, "hset h D 5", "HGETALL h"),
		tc("hmset", "HMSET h a 1 b 2", "HGETALL h", "HMSET h a 3", "HGET h a", "HMSET h c", "HMSET h c 1 d",
			"HGETALL h"),
		tc("hsetnx",
			"HSETNX h a 1", "HSETNX h a 2", "HGET h a", "HSETNX h b 3", "HGETALL h", `HSETNX h "" ""`, "HLEN h"),
		tc("hmget hlen hexists hstrlen",
			"HSET h a 1 b hello c ''", "HMGET h a b c zz a", "HMGET nokey a b", "HLEN h", "HLEN nokey", "HEXISTS h a",
			"HEXISTS h zz", "HEXISTS nokey a", "HSTRLEN h b", "HSTRLEN h c", "HSTRLEN h zz", "HSTRLEN nokey a",
			"HSET h n -12345", "HSTRLEN h n", "HSET h u \xe3\x81\x82", "HSTRLEN h u"),
		tc("hgetall hkeys hvals in insertion order",
			"HSET h z 1 a 2 m 3", "HGETALL h", "HKEYS h", "HVALS h", "HDEL h a", "HSET h a 4", "HGETALL h",
			"HKEYS h", "HVALS h", "HGETALL nokey", "HKEYS nokey", "HVALS nokey"),
		tc("hdel",
			"HSET h a 1 b 2 c 3", "HDEL h a", "HDEL h a", "HDEL h zz", "HDEL h b b c zz", "EXISTS h", "HDEL h a",
			"HDEL nokey a", "HSET h a 1 b 2", "EXPIRE h 100", "HDEL h a b", "TTL h", "EXISTS h"),
		tc("binary fields and values",
			cmdArgs("HSET", "h", bin, bin), cmdArgs("HGET", "h", bin), cmdArgs("HSTRLEN", "h", bin),
			cmdArgs("HEXISTS", "h", bin), `HSET h "\x00" "\r\n" "a\x00b" "\xff"`, `HGET h "\x00"`, `HGET h "a\x00b"`,
			`HMGET h "a\x00" "a\x00b"`, "OBJECT ENCODING h", cmdArgs("HDEL", "h", bin), cmd("HGETALL h").unorderedPairs(),
			cmdArgs("HSET", bin, "f", "v"), cmdArgs("HGETALL", bin)),
		tc("ttl kept by writes",
			"HSET h a 1", "EXPIRE h 100", "HSET h b 2", cmd("TTL h").within(1), "HINCRBY h c 1", cmd("TTL h").within(1),
			"HINCRBYFLOAT h d 1.5", "HSETNX h e 1", "HDEL h a", cmd("TTL h").within(1), "HGETALL h"),
		tc("generic commands on hashes",
			"HSET h a 1 b 2", "COPY h h2", "HSET h2 c 3", "HGETALL h", "HGETALL h2", "OBJECT ENCODING h2",
			"RENAME h2 h3", "HGETALL h3", "EXISTS h2", "TYPE h3", "MOVE h3 1", "SELECT 1", "HGETALL h3", "SELECT 0",
			"HSET big "+hashFields("f", 600), "COPY big big2", "HDEL big f1", "HLEN big2", "OBJECT ENCODING big2",
			"HEXISTS big2 f1", "DEL h big big2", "EXISTS h"),
		tc("keyspace hits and misses",
			"HSET h a 1", "CONFIG RESETSTAT", "HGET h a", "HGET nokey a", "HMGET nokey a", "HGETALL nokey",
			"HEXISTS nokey a", "HLEN nokey", "HSTRLEN nokey a", "HRANDFIELD nokey", "HSCAN nokey 0", "HKEYS nokey",
			"HVALS nokey", "HINCRBY nokey2 a 1", "HSETNX nokey3 a 1", "HDEL nokey4 a", "HMGET h a b",
			cmd("HRANDFIELD h 2").shape(), "HSCAN h 0", "HINCRBYFLOAT h a 1", "HSETNX h b 1", "HDEL h b",
			cmd("INFO stats").contains("keyspace_hits:4\r\n", "keyspace_misses:10\r\n")),
	}
}

func hashIncrCases() []dcase {
	return []dcase{
		tc("hincrby",
			"HINCRBY h a 1", "HINCRBY h a 10", "HINCRBY h a -20", "HINCRBY h a 0", "HGET h a", "HINCRBY h b -5",
			"HINCRBY nokey f 9223372036854775807", "HINCRBY nokey f 1", "HINCRBY nokey g -9223372036854775808",
			"HINCRBY nokey g -1", "HINCRBY nokey g 1", "HGETALL nokey", "OBJECT ENCODING h"),
		tc("hincrby errors",
			"HSET h s str f 1.5 sp ' 1' z 01 big 9223372036854775807 neg -9223372036854775808 e ''",
			"HINCRBY h s 1", "HINCRBY h f 1", "HINCRBY h sp 1", "HINCRBY h z 1", "HINCRBY h e 1", "HINCRBY h big 1",
			"HINCRBY h neg -1", "HINCRBY h big -1", "HINCRBY h neg 1", "HINCRBY h x abc", "HINCRBY h x 1.5",
			"HINCRBY h x 9223372036854775808", "HINCRBY h x +1", "HINCRBY h x ''", "HINCRBY h x 0x10",
			"HEXISTS h x", "HGETALL h"),
		tc("hincrbyfloat",
			"HINCRBYFLOAT h a 0.1", "HINCRBYFLOAT h a 0.2", "HINCRBYFLOAT h a -0.3", "HINCRBYFLOAT h b 10.5",
			"HINCRBYFLOAT h b 1e2", "HINCRBYFLOAT h b 1.5E1", "HINCRBYFLOAT h b .5", "HINCRBYFLOAT h b -1e-5",
			"HSET h i 7", "HINCRBYFLOAT h i 0.1", "HINCRBYFLOAT h i -0.1", "HSET h x 0x10", "HINCRBYFLOAT h x 1",
			"HINCRBYFLOAT h c 5.0e3", "HINCRBYFLOAT h c 0", "HINCRBYFLOAT h d 1e17", "HINCRBYFLOAT h d 0.3333333333333333",
			"HINCRBYFLOAT h e -0.0", "HGETALL h", "OBJECT ENCODING h"),
		tc("hincrbyfloat huge values and errors",
			"HINCRBYFLOAT h a 1e308", "HINCRBYFLOAT h a 1e308", "HSTRLEN h a", "OBJECT ENCODING h",
			"HINCRBYFLOAT h b 1e4932", "HINCRBYFLOAT h b 1e4932", "HINCRBYFLOAT h c 1e-4951",
			"HINCRBYFLOAT h x inf", "HINCRBYFLOAT h x -inf", "HINCRBYFLOAT h x +Infinity", "HINCRBYFLOAT h x nan",
			"HINCRBYFLOAT h x NaN", "HINCRBYFLOAT h x abc", "HINCRBYFLOAT h x ''", "HINCRBYFLOAT h x ' 1'",
			"HINCRBYFLOAT h x '1 '", "HINCRBYFLOAT h x 1,5", "HINCRBYFLOAT h x 1e4933", "EXISTS h x",
			"HSET h s str i inf n nan sp ' 1' e ''", "HINCRBYFLOAT h s 1", "HINCRBYFLOAT h i 1", "HINCRBYFLOAT h n 1",
			"HINCRBYFLOAT h sp 1", "HINCRBYFLOAT h e 1", "HINCRBYFLOAT nokey x inf", "EXISTS nokey",
			"HSET m f 1e4932", "HINCRBYFLOAT m f 1e4932", "HGET m f"),
	}
}

// hashErrorCases: wrong types, arity, and which error wins when several
// apply.
func hashErrorCases() []dcase {
	return []dcase{
		tc("wrongtype",
			"SET s x", "HSET s a 1", "HMSET s a 1", "HSETNX s a 1", "HGET s a", "HMGET s a", "HGETALL s", "HKEYS s",
			"HVALS s", "HDEL s a", "HLEN s", "HEXISTS s a", "HSTRLEN s a", "HINCRBY s a 1", "HINCRBYFLOAT s a 1",
			"HSCAN s 0", "HRANDFIELD s", "HRANDFIELD s 1", "HRANDFIELD s -1 WITHVALUES", "GET s",
			"HSET h a 1", "GET h", "INCR h", "LPUSH h x", "SADD h x", "TYPE h"),
		tc("errors that win over wrongtype",
			"SET s x", "HSET s a", "HSET s a 1 b", "HMSET s a 1 b", "HINCRBY s a x", "HINCRBYFLOAT s a x",
			"HINCRBYFLOAT s a inf", "HSCAN s x", "HRANDFIELD s x", "HRANDFIELD s 1 foo",
			"HRANDFIELD s 1 WITHVALUES x", "HRANDFIELD s -9223372036854775808", "HRANDFIELD s 4611686018427387904 WITHVALUES",
			"HSCAN s 0 foo", "HSCAN s 0 COUNT 0", "HRANDFIELD s 0"),
		tc("arity",
			"HSET", "HSET h", "HSET h a", "HSET h a 1 b", "HMSET h", "HMSET h a", "HMSET h a 1 b", "HSETNX h a",
			"HSETNX h a 1 2", "HGET h", "HGET h a b", "HMGET h", "HGETALL", "HGETALL h x", "HKEYS", "HVALS h x",
			"HDEL h", "HLEN", "HLEN h x", "HEXISTS h", "HSTRLEN h", "HINCRBY h a", "HINCRBY h a 1 2",
			"HINCRBYFLOAT h a", "HSCAN h", "HSCAN", "HRANDFIELD", "EXISTS h"),
	}
}

func hashScanCases() []dcase {
	return []dcase{
		tc("hscan listpack",
			"HSCAN nokey 0", "HSCAN nokey abc", "HSCAN nokey 0 FOO", "HSCAN nokey 0 COUNT 0",
			"HSET h a 1 b 2 c 3 ab 4", "HSCAN h 0", "HSCAN h 5", "HSCAN h 0 COUNT 1", "HSCAN h 0 MATCH a*",
			"HSCAN h 0 MATCH [bc] COUNT 1", "HSCAN h 0 match * count 100", "HSCAN h 0 MATCH zz", "HSCAN h -1",
			"HSCAN h 18446744073709551615", `HSCAN h ""`, "HSCAN h 0 MATCH a* MATCH b", `HSCAN h 0 MATCH ""`,
			`HSET h "" empty`, `HSCAN h 0 MATCH ""`, "HSCAN h 0 MATCH *", `HSCAN h 0 MATCH "\x00"`),
		tc("hscan options",
			"HSET h a 1", "HSCAN h 0 COUNT 0", "HSCAN h 0 COUNT -1", "HSCAN h 0 COUNT abc", "HSCAN h 0 COUNT",
			"HSCAN h 0 MATCH", "HSCAN h 0 TYPE string", "HSCAN h 0 NOVALUES", "HSCAN h 0 FOO bar",
			"HSCAN h 0 TYPE string COUNT abc", "HSCAN h 0 COUNT abc TYPE string", "HSCAN h abc", "HSCAN h 1.5",
			"HSCAN h 18446744073709551616", "HSCAN h ' 1'", "HSCAN h 0 COUNT 9223372036854775807",
			"HSCAN h 0 COUNT 9223372036854775808"),
		tc("hscan hashtable",
			"HSET h "+hashFields("f", 600), "OBJECT ENCODING h", hscanWhole("HSCAN h 0 COUNT 2000"),
			hscanWhole("HSCAN h 0 MATCH f1? COUNT 2000"), hscanWhole("HSCAN h 0 MATCH nothing COUNT 2000"),
			`HSET h "" empty`, hscanWhole(`HSCAN h 0 MATCH "" COUNT 2000`),
			"HSCAN h abc", "HSCAN h 0 COUNT 0", "HSCAN h 0 TYPE hash",
			cmd("HSCAN h 0").with(matcher{"HSCAN partial: same shape", func(ref, got *value) bool {
				// A partial batch: a non-zero cursor and at least COUNT/2 pairs.
				ok := func(v *value) bool {
					return v.kind == '*' && len(v.elems) == 2 && v.elems[0].str != "0" && len(v.elems[1].elems) >= 10
				}
				return ok(ref) && ok(got)
			}})),
	}
}

func hashRandFieldCases() []dcase {
	return []dcase{
		tc("hrandfield deterministic",
			"HRANDFIELD nokey", "HRANDFIELD nokey 5", "HRANDFIELD nokey -5 WITHVALUES", "HRANDFIELD nokey 0",
			"HSET h a 1 b 2 c 3", "HRANDFIELD h 0", "HRANDFIELD h 0 WITHVALUES", "HRANDFIELD h 3", "HRANDFIELD h 100",
			"HRANDFIELD h 100 WITHVALUES", "HRANDFIELD h 9223372036854775807", "HRANDFIELD h 3 withvalues",
			"HSET one f v", "HRANDFIELD one", "HRANDFIELD one -3", "HRANDFIELD one -3 WITHVALUES", "HRANDFIELD one 1",
			"HRANDFIELD one 1 WITHVALUES"),
		tc("hrandfield random",
			"HSET h "+hashFields("f", 10), cmd("HRANDFIELD h").shape(), cmd("HRANDFIELD h 3").shape(),
			cmd("HRANDFIELD h 9 WITHVALUES").shape(), cmd("HRANDFIELD h -20").shape(),
			cmd("HRANDFIELD h -20 WITHVALUES").shape(), cmd("HRANDFIELD h -1").shape(),
			"HSET big "+hashFields("f", 600), cmd("HRANDFIELD big").shape(), cmd("HRANDFIELD big 5").shape(),
			cmd("HRANDFIELD big 300 WITHVALUES").shape(), cmd("HRANDFIELD big 599").shape(),
			cmd("HRANDFIELD big -1000 WITHVALUES").shape(), cmd("HRANDFIELD big 600").sorted(),
			randPairsUnordered("HRANDFIELD big 1000 WITHVALUES")),
		tc("hrandfield errors",
			"HSET h a 1", "HRANDFIELD h x", "HRANDFIELD h 1.5", "HRANDFIELD h 1 foo", "HRANDFIELD h 1 WITHVALUES x",
			"HRANDFIELD h 1 WITHVALUES WITHVALUES", "HRANDFIELD h 9223372036854775808",
			"HRANDFIELD h -9223372036854775808", "HRANDFIELD h -9223372036854775808 WITHVALUES",
			"HRANDFIELD h 4611686018427387904 WITHVALUES", "HRANDFIELD h -4611686018427387904 WITHVALUES",
			"HRANDFIELD h 9223372036854775807 WITHVALUES", "HRANDFIELD nokey 1 foo", "HRANDFIELD nokey x"),
	}
}

// hashEncodingCases run with Redis's default thresholds (512 entries,
// 64-byte fields and values).
func hashEncodingCases() []dcase {
	long64, long65 := strings.Repeat("x", 64), strings.Repeat("x", 65)
	return []dcase{
		tc("entries threshold",
			cmd("CONFIG GET hash-max-listpack-*").unorderedPairs(), "HSET h "+hashFields("f", 512), "OBJECT ENCODING h", "HSET h f1 new",
			"OBJECT ENCODING h", "HSET h f513 v", "OBJECT ENCODING h", "HLEN h", "HDEL h "+strings.Repeat("f1 ", 3),
			"HLEN h", "HSET many "+hashFields("f", 513), "OBJECT ENCODING many", "HLEN many",
			unorderedKeys("HKEYS many"), unorderedKeys("HVALS many"), cmd("HGETALL many").unorderedPairs()),
		tc("value threshold",
			cmdArgs("HSET", "v", "f", long64), "OBJECT ENCODING v", cmdArgs("HSET", "v", "g", long65),
			"OBJECT ENCODING v", cmdArgs("HSET", "k", long64, "v"), "OBJECT ENCODING k",
			cmdArgs("HSET", "k2", long65, "v"), "OBJECT ENCODING k2", cmdArgs("HSET", "m", "a", "1", "b", long65),
			"OBJECT ENCODING m", cmdArgs("HSETNX", "n", "a", "1"), cmdArgs("HSETNX", "n", "a", long65),
			"OBJECT ENCODING n", cmdArgs("HSETNX", "n", "b", long65), "OBJECT ENCODING n",
			"HSET i a 1", cmdArgs("HINCRBY", "i", long65, "1"), "OBJECT ENCODING i",
			"HSET fl a 1", "HINCRBYFLOAT fl a 1e300", "OBJECT ENCODING fl", "HSTRLEN fl a",
			"HSET fl2 a 1", cmdArgs("HINCRBYFLOAT", "fl2", long65, "1.5"), "OBJECT ENCODING fl2",
			"HSET bad a 1", cmdArgs("HINCRBY", "bad", long65, "x"), "OBJECT ENCODING bad"),
		tc("hashtable never converts back",
			"HSET h "+hashFields("f", 513), "HDEL h "+hashFieldNames("f", 512),
			"HLEN h", "OBJECT ENCODING h", cmdArgs("HSET", "v", "a", strings.Repeat("y", 100)), "HSET v a b",
			"OBJECT ENCODING v", "HGETALL v"),
	}
}

// hashFieldNames is "f1 f2 ... fn" for command lines.
func hashFieldNames(prefix string, n int) string {
	names := make([]string, n)
	for i := range names {
		names[i] = prefix + strconv.Itoa(i+1)
	}
	return strings.Join(names, " ")
}

// unorderedKeys compares an array drawn from a hashtable sorted.
func unorderedKeys(line string) step { return cmd(line).sorted() }

// hashSmallThresholdCases run after CONFIG SET hash-max-listpack-entries 4
// (and value limits changed on the way), on both servers.
func hashSmallThresholdCases() []dcase {
	return []dcase{
		tc("config set entries 4",
			"CONFIG SET hash-max-listpack-entries 4", "HSET h a 1 b 2 c 3 d 4", "OBJECT ENCODING h", "HGETALL h",
			"HSET h e 5", "OBJECT ENCODING h", cmd("HGETALL h").unorderedPairs(), "HDEL h a b c d", "OBJECT ENCODING h",
			"HGETALL h", "HSET big a 1 b 2 c 3 d 4 e 5", "OBJECT ENCODING big", "HSETNX n a 1", "HSETNX n b 1",
			"HSETNX n c 1", "HSETNX n d 1", "OBJECT ENCODING n", "HSETNX n e 1", "OBJECT ENCODING n",
			"HINCRBY i a 1", "HINCRBY i b 1", "HINCRBY i c 1", "HINCRBY i d 1", "HINCRBY i e 1", "OBJECT ENCODING i",
			"HINCRBYFLOAT f a 1", "HINCRBYFLOAT f b 1", "HINCRBYFLOAT f c 1", "HINCRBYFLOAT f d 1",
			"HINCRBYFLOAT f e 1", "OBJECT ENCODING f", randPairsUnordered("HRANDFIELD big 5 WITHVALUES"),
			cmd("HRANDFIELD big 2").shape()),
		tc("config set entries 0 and value limits",
			"CONFIG SET hash-max-listpack-entries 0", "HSET z a 1", "OBJECT ENCODING z",
			"CONFIG SET hash-max-listpack-entries 512", "CONFIG SET hash-max-listpack-value 5", "HSET v a 12345",
			"OBJECT ENCODING v", "HSET v b 123456", "OBJECT ENCODING v", "HSET w 12345 a", "OBJECT ENCODING w",
			"HSET w2 123456 a", "OBJECT ENCODING w2", "HSET inc a 1", "HINCRBY inc a 100000", "OBJECT ENCODING inc",
			"HSET incf a 1", "HINCRBYFLOAT incf a 0.1", "OBJECT ENCODING incf", "HINCRBYFLOAT incf a 1000",
			"OBJECT ENCODING incf", "CONFIG SET hash-max-listpack-value 0", `HSET e "" ""`, "OBJECT ENCODING e",
			`HSET e a ""`, "OBJECT ENCODING e", "CONFIG SET hash-max-ziplist-entries 2", "HSET zl a 1 b 2",
			"OBJECT ENCODING zl", "HSET zl c 3", "OBJECT ENCODING zl", cmd("CONFIG GET hash-max-ziplist-*").unorderedPairs()),
	}
}

// hashWatchCases check that hash writes by another client break WATCH and
// that writes which change nothing do not.
func hashWatchCases() []dcase {
	return []dcase{
		tc("watch broken by hset",
			"HSET w a 1", "WATCH w", cmd("HSET w a 1").byOther(), "MULTI", "HGET w a", "EXEC"),
		tc("watch broken by hincrby",
			"HSET w a 1", "WATCH w", cmd("HINCRBY w a 1").byOther(), "MULTI", "HGET w a", "EXEC"),
		tc("watch broken by hdel of the last field",
			"HSET w a 1", "WATCH w", cmd("HDEL w a").byOther(), "MULTI", "EXISTS w", "EXEC"),
		tc("watch kept by hsetnx of an existing field",
			"HSET w a 1", "WATCH w", cmd("HSETNX w a 2").byOther(), "MULTI", "HGET w a", "EXEC"),
		tc("watch kept by hdel of a missing field",
			"HSET w a 1", "WATCH w", cmd("HDEL w zz").byOther(), "MULTI", "HGET w a", "EXEC"),
		tc("watch kept by a failed hincrby",
			"HSET w a x", "WATCH w", cmd("HINCRBY w a 1").byOther(), "MULTI", "HGET w a", "EXEC"),
		tc("hash commands inside multi",
			"MULTI", "HSET h a 1", "HINCRBY h a 2", "HINCRBYFLOAT h a 0.5", "HGETALL h", "HINCRBY h a 1", "EXEC"),
	}
}

func TestDiffHash(t *testing.T) {
	t.Parallel()
	var cases []dcase
	for _, group := range [][]dcase{
		hashBasicCases(), hashIncrCases(), hashErrorCases(), hashScanCases(), hashRandFieldCases(),
		hashEncodingCases(), hashWatchCases(),
	} {
		cases = append(cases, group...)
	}
	diff(t, bothProtocols(cases))
}

func TestDiffHashSmallThresholds(t *testing.T) {
	t.Parallel()
	diff(t, bothProtocols(hashSmallThresholdCases()))
}

// TestDiffHashScanIteration walks hashtable hashes with HSCAN at small
// COUNTs on both servers: cursors differ (they come from each server's
// hash function), so what must match is the set of pairs a full iteration
// returns.
func TestDiffHashScanIteration(t *testing.T) {
	t.Parallel()
	ref, sut := startPair(t)
	s := openSession(t, ref, sut)
	s.setup(t, "FLUSHALL", "HSET h "+hashFields("f", 700)+" x 1 y 2 z 3", "HSET small k:a 1 k:b 2 x:1 3")
	for _, q := range [][]string{
		{"h"}, {"h", "COUNT", "1"}, {"h", "COUNT", "7"}, {"h", "MATCH", "f1*", "COUNT", "3"},
		{"h", "MATCH", "[xyz]"}, {"small"}, {"small", "MATCH", "k:*", "COUNT", "1"}, {"nokey"},
	} {
		want, err1 := hscanAll(s.rc, q[0], q[1:])
		got, err2 := hscanAll(s.sc, q[0], q[1:])
		if err1 != nil || err2 != nil {
			t.Fatalf("HSCAN %v: %v / %v", q, err1, err2)
		}
		if want != got {
			t.Errorf("HSCAN %v iterated:\n\tredis: %s\n\tkioku: %s", q, want, got)
		}
	}
}

// hscanAll iterates HSCAN key from cursor 0 to the end and returns the
// sorted, deduplicated "field=value" pairs.
func hscanAll(c *respConn, key string, opts []string) (string, error) {
	seen := map[string]bool{}
	cursor := "0"
	for i := 0; i < 100000; i++ {
		_, v, err := c.do(append([]string{"HSCAN", key, cursor}, opts...)...)
		if err != nil {
			return "", err
		}
		if v.kind != '*' || len(v.elems) != 2 || len(v.elems[1].elems)%2 != 0 {
			return "", fmt.Errorf("malformed HSCAN reply %s", format(v))
		}
		pairs := v.elems[1].elems
		for j := 0; j < len(pairs); j += 2 {
			seen[pairs[j].str+"="+pairs[j+1].str] = true
		}
		if cursor = v.elems[0].str; cursor == "0" {
			out := &value{kind: '*'}
			for p := range seen {
				out.elems = append(out.elems, &value{kind: '$', str: p})
			}
			sortValues(out.elems)
			return format(out), nil
		}
	}
	return "", fmt.Errorf("HSCAN did not finish")
}

// hashRandomGen produces deterministic hash commands over a few keys, so
// every command meets hashes in both encodings, missing keys and a string.
type hashRandomGen struct{ r *rand.Rand }

var (
	hashRandKeys   = []string{"h0", "h1", "h2", "h3", "str"}
	hashRandFields = []string{"a", "b", "c", "d", "e", "f", "g", "n", "x", "", "\x00", "\xff\xfe", "field with space"}
	hashRandValues = []string{
		"0", "1", "-1", "42", "9223372036854775807", "-9223372036854775808", "3.14", "abc", "", "007", "1e5",
		" 1", "inf", "nan", "10.5", "\x00\xff", strings.Repeat("long", 20),
	}
	hashRandIncrs  = []string{"1", "-1", "0", "10", "-100", "9223372036854775807", "-9223372036854775808", "abc", "1.5"}
	hashRandFloats = []string{"0.1", "0.2", "1.5", "-3", "1e3", "10.5", "abc", "inf", "-0", "5e-3", "1e308", "nan"}
)

func (g *hashRandomGen) pick(xs []string) string { return xs[g.r.IntN(len(xs))] }

// fields returns n fields, sometimes numbered ones so hashes outgrow the
// small entry thresholds.
func (g *hashRandomGen) fields(n int) []string {
	out := make([]string, n)
	for i := range out {
		if g.r.IntN(3) == 0 {
			out[i] = "n" + strconv.Itoa(g.r.IntN(20))
		} else {
			out[i] = g.pick(hashRandFields)
		}
	}
	return out
}

func (g *hashRandomGen) pairs(n int) []string {
	var out []string
	for _, f := range g.fields(n) {
		out = append(out, f, g.pick(hashRandValues))
	}
	return out
}

// next returns a command whose reply is deterministic once replies from
// hashtables are normalised; HRANDFIELD compares by shape.
func (g *hashRandomGen) next() step {
	k := g.pick(hashRandKeys)
	switch g.r.IntN(30) {
	case 0, 1, 2, 3, 4, 5: // writes dominate, so hashes grow past the small thresholds
		return cmdArgs(append([]string{g.pick([]string{"HSET", "HSET", "HMSET"}), k}, g.pairs(1+g.r.IntN(4))...)...)
	case 6:
		return cmdArgs("HSETNX", k, g.fields(1)[0], g.pick(hashRandValues))
	case 7, 8:
		return cmdArgs(append([]string{"HDEL", k}, g.fields(1+g.r.IntN(3))...)...)
	case 9:
		return cmdArgs("HGET", k, g.fields(1)[0])
	case 10:
		return cmdArgs(append([]string{"HMGET", k}, g.fields(1+g.r.IntN(3))...)...)
	case 11:
		return cmdArgs("HLEN", k)
	case 12:
		return cmdArgs("HEXISTS", k, g.fields(1)[0])
	case 13:
		return cmdArgs("HSTRLEN", k, g.fields(1)[0])
	case 14, 15:
		return cmdArgs("HINCRBY", k, g.fields(1)[0], g.pick(hashRandIncrs))
	case 16, 17:
		return cmdArgs("HINCRBYFLOAT", k, g.fields(1)[0], g.pick(hashRandFloats))
	case 18:
		return cmdArgs("HGETALL", k).unorderedPairs()
	case 19:
		return cmdArgs(g.pick([]string{"HKEYS", "HVALS"}), k).sorted()
	case 20:
		return cmdArgs("HSCAN", k, "0", "COUNT", "1000").with(hscanPairsUnordered)
	case 21:
		args := []string{"HRANDFIELD", k}
		if g.r.IntN(4) > 0 {
			args = append(args, strconv.Itoa(g.r.IntN(14)-7))
			if g.r.IntN(2) == 0 {
				args = append(args, "WITHVALUES")
			}
		}
		return cmdArgs(args...).shape()
	case 22:
		return cmdArgs("OBJECT", "ENCODING", k)
	case 23:
		return cmdArgs("TYPE", k)
	case 24:
		return cmdArgs("SET", "str", g.pick(hashRandValues))
	case 25:
		return cmdArgs("DEL", k)
	case 26: // between hash keys only, so the string does not spread
		hashKeys := hashRandKeys[:4]
		return cmdArgs("COPY", g.pick(hashKeys), g.pick(hashKeys), "REPLACE")
	case 27:
		return cmdArgs("CONFIG", "SET", "hash-max-listpack-value", g.pick([]string{"8", "64"}))
	default:
		return cmdArgs("CONFIG", "SET", "hash-max-listpack-entries", g.pick([]string{"4", "8", "512"}))
	}
}

// TestDiffHashRandom replays seeded random sequences of hash commands on
// both servers, reply by reply, stopping each at its first mismatch.
func TestDiffHashRandom(t *testing.T) {
	t.Parallel()
	ref, sut := startPair(t)
	replayRandom(t, ref, sut, randomRun{steps: 800, salt: 0x4a5b6c7d8e9f0a1b,
		prelude:   []string{"CONFIG SET hash-max-listpack-entries 512", "CONFIG SET hash-max-listpack-value 64"},
		generator: func(r *rand.Rand) func() step { return (&hashRandomGen{r: r}).next }})
}
