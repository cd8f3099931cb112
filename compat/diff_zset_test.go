package compat

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// Differential cases for the sorted-set family (Redis's t_zset.c).
//
// A sorted set answers in its order (score, then member) on both servers,
// so replies are compared byte for byte. Exceptions, explicitly: random
// commands (ZRANDMEMBER) carry the shape matcher unless the count takes the
// whole set; ZSCAN of a skiplist set walks a hash table whose order
// depends on each server's hash seed, so it is compared by iteration.

// scoredRange is "s1 m1 s2 m2 ..." for n members with the given scores.
func scoredRange(n int, score func(i int) string) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%s m%03d", score(i), i)
	}
	return b.String()
}

func zsetBasicCases() []dcase {
	return []dcase{
		tc("zadd options",
			"ZADD z 1 a 2 b 3 c", "ZADD z 1 a", "ZADD z 5 a", "ZRANGE z 0 -1 WITHSCORES", "ZADD z CH 5 a 6 b 7 d",
			"ZADD z NX 10 a 11 e", "ZADD z XX 10 a 11 f", "ZADD z XX CH 20 a 21 g", "ZADD z GT 1 a", "ZADD z GT CH 30 a",
			"ZADD z LT CH 40 b 1 c", "ZADD z LT GT 1 a", "ZADD z NX XX 1 a", "ZADD z NX GT 1 a", "ZADD z NX LT 1 a",
			"ZADD z XX GT CH 100 a 100 zz", "ZADD z", "ZADD z 1", "ZADD z 1 a 2", "ZADD z NX", "ZADD z abc a",
			"ZADD z 1 a abc b", "ZADD z nan a", "ZADD z INCR 1 a 2 b", "ZRANGE z 0 -1 WITHSCORES", "ZCARD z",
			"ZADD nokey XX 1 a", "EXISTS nokey", "ZADD nokey XX INCR 1 a", "ZADD z ch nx gt 1 q", "ZADD z Ch 1 q 1 q"),
		tc("zadd incr and zincrby",
			"ZADD z INCR 1 a", "ZADD z INCR 2.5 a", "ZINCRBY z 1 a", "ZINCRBY z -10 b", "ZADD z NX INCR 1 a",
			"ZADD z XX INCR 1 nosuch", "ZADD z GT INCR -1 a", "ZADD z LT INCR -1 a", "ZADD z GT INCR 1 a",
			"ZADD z INCR inf a", "ZADD z INCR -inf a", "ZINCRBY z +inf b", "ZINCRBY z -inf b", "ZINCRBY z abc a",
			"ZINCRBY z nan a", "ZINCRBY z 1", "ZINCRBY z nx a", "ZINCRBY z 0.1 c", "ZINCRBY z 0.2 c", "ZSCORE z c",
			"ZINCRBY z 1e308 d", "ZINCRBY z 1e308 d", "ZRANGE z 0 -1 WITHSCORES", "SET str x", "ZINCRBY str 1 a",
			"ZADD z INCR 0 a", "ZADD z XX INCR 0 a"),
		tc("score parsing",
			"ZADD z 0x10 a", "ZADD z 0x1p3 b", "ZADD z 1e400 c", "ZADD z 1e-400 c", "ZADD z 1e-320 c",
			`ZADD z " 1" d`, `ZADD z "1 " d`, `ZADD z "" d`, "ZADD z 1_0 d", "ZADD z infinity e", "ZADD z -Infinity f",
			"ZADD z +inf g", "ZADD z .5 h", "ZADD z 5. i", "ZADD z 1e j", "ZADD z 0x k", "ZADD z -0 l", "ZADD z -0.0 m",
			"ZADD z 12345678901234567890 n", "ZADD z 4.5e15 o", "ZADD z 1e17 p", "ZADD z 0.1 q", "ZADD z -1.5e-7 r",
			"ZADD z 1.7976931348623157e308 s", "ZRANGE z 0 -1 WITHSCORES", "ZSCAN z 0", "ZSCORE z l", "ZSCORE z m",
			"ZMSCORE z a b nosuch q", "ZMSCORE nokey a", "ZSCORE nokey a", "ZSCORE z nosuch"),
		tc("negative zero in both encodings",
			"ZADD lp -0.0 a", "ZSCORE lp a", "ZADD lp XX INCR -0.0 a", "ZINCRBY newkey -0.0 m", "ZSCORE newkey m",
			"CONFIG SET zset-max-listpack-entries 0", "ZADD sk -0.0 a 0 b", "OBJECT ENCODING sk", "ZSCORE sk a",
			"ZRANGE sk 0 -1 WITHSCORES", "ZADD sk 0 a", "ZSCORE sk a", "ZADD one -0.0 a", "ZSCAN one 0",
			"CONFIG SET zset-max-listpack-entries 128", "ZRANGESTORE d sk 0 -1", "OBJECT ENCODING d",
			"ZRANGE d 0 -1 WITHSCORES", "ZUNION 1 sk WITHSCORES", "ZUNIONSTORE d2 1 sk", "ZRANGE d2 0 -1 WITHSCORES"),
		tc("zrem zcard",
			"ZREM nokey a", "ZADD z 1 a 2 b 3 c", "ZREM z a nosuch", "ZREM z a", "ZCARD z", "ZREM z b c b",
			"EXISTS z", "ZCARD z", "ZCARD nokey", "SET str v", "ZREM str a", "ZCARD str"),
		tc("zrank zrevrank",
			"ZADD z 1 a 2 b 2 c 3 d", "ZRANK z a", "ZRANK z c", "ZREVRANK z a", "ZREVRANK z d", "ZRANK z nosuch",
			"ZRANK nokey a", "ZREVRANK nokey a", "ZRANK z a withscore"),
		tc("ties ordered by member bytes",
			`ZADD z 1 b 1 a 1 "" 1 B 1 "\x00" 1 "\xff" 1 ab 1 "a\x00"`, "ZRANGE z 0 -1", "ZRANK z ab",
			"ZRANGEBYLEX z - +", "ZRANGEBYLEX z [a (b", "ZREVRANGEBYLEX z + -", `ZRANGEBYLEX z "(a" +`),
		tc("zrange by rank",
			"ZADD z 1 a 2 b 3 c 4 d 5 e", "ZRANGE z 0 -1", "ZRANGE z 1 2 WITHSCORES", "ZRANGE z -2 -1",
			"ZRANGE z -100 100", "ZRANGE z 3 1", "ZRANGE z 5 10", "ZRANGE z 0 0 REV", "ZRANGE z 0 -1 REV WITHSCORES",
			"ZREVRANGE z 0 1", "ZREVRANGE z 0 -1 WITHSCORES", "ZREVRANGE z 0 1 REV", "ZRANGE z a b", "ZRANGE z 0 1 LIMIT 0 1",
			"ZRANGE z 0 1 LIMIT 0 -1", "ZRANGE z 0 1 LIMIT 0 -2", "ZRANGE z 0 1 LIMIT", "ZRANGE z 0 1 LIMIT 0",
			"ZRANGE z 0 1 foo", "ZRANGE nokey 0 -1", "ZRANGE z -9223372036854775808 9223372036854775807",
			"ZRANGE z 0 9223372036854775808", "ZRANGE z 0 -1 withscores withscores", "ZRANGE z 0 -1 REV REV"),
		tc("zrange by score",
			"ZADD z 1 a 2 b 3 c 4 d 5 e 5 f", "ZRANGE z 2 4 BYSCORE", "ZRANGE z (2 4 BYSCORE WITHSCORES",
			"ZRANGE z 2 (4 BYSCORE", "ZRANGE z (2 (4 BYSCORE", "ZRANGE z -inf +inf BYSCORE", "ZRANGE z 4 2 BYSCORE",
			"ZRANGE z 4 2 BYSCORE REV", "ZRANGE z (4 (2 BYSCORE REV WITHSCORES", "ZRANGE z +inf -inf BYSCORE REV LIMIT 1 2",
			"ZRANGE z -inf +inf BYSCORE LIMIT 2 2", "ZRANGE z -inf +inf BYSCORE LIMIT 2 -1", "ZRANGE z -inf +inf BYSCORE LIMIT -1 2",
			"ZRANGE z -inf +inf BYSCORE LIMIT 6 1", "ZRANGE z -inf +inf BYSCORE LIMIT 5 1", "ZRANGE z -inf +inf BYSCORE LIMIT 0 0",
			"ZRANGE z -inf +inf BYSCORE LIMIT 0 -5", "ZRANGE z 5 5 BYSCORE", "ZRANGE z (5 5 BYSCORE", "ZRANGE z 5 (5 BYSCORE",
			"ZRANGEBYSCORE z 2 4", "ZRANGEBYSCORE z 2 4 WITHSCORES LIMIT 1 1", "ZRANGEBYSCORE z 2 4 LIMIT 1 1 WITHSCORES",
			"ZREVRANGEBYSCORE z 4 2", "ZREVRANGEBYSCORE z 2 4", "ZREVRANGEBYSCORE z +inf -inf WITHSCORES LIMIT 0 3",
			"ZRANGEBYSCORE z abc 4", "ZRANGEBYSCORE z 1 nan", "ZRANGEBYSCORE z (nan 4", `ZRANGEBYSCORE z "" "("`,
			`ZRANGEBYSCORE z "(" +inf`, `ZRANGEBYSCORE z " 1" 1e400`, `ZRANGEBYSCORE z "1 " 5`, "ZRANGEBYSCORE z 0x2 0x3",
			"ZRANGEBYSCORE z -inf (Infinity", "ZRANGEBYSCORE z 2 4 REV", "ZRANGEBYSCORE z 2 4 BYLEX", "ZRANGEBYSCORE z 2 4 LIMIT 1",
			"ZRANGEBYSCORE z 2 4 LIMIT a 1", "ZRANGEBYSCORE nokey 1 2", "ZRANGE z 1 2 BYSCORE BYLEX", "ZRANGE z 1 2 BYSCORE BYSCORE"),
		tc("zrange by lex",
			"ZADD z 0 a 0 b 0 c 0 d 0 e 0 ff", "ZRANGE z [b [d BYLEX", "ZRANGE z (b (d BYLEX", "ZRANGE z - + BYLEX",
			"ZRANGE z + - BYLEX", "ZRANGE z + - BYLEX REV", "ZRANGE z [d [b BYLEX REV", "ZRANGE z - + BYLEX LIMIT 1 2",
			"ZRANGE z + - BYLEX REV LIMIT 1 2", "ZRANGE z - + BYLEX WITHSCORES", "ZRANGE z b d BYLEX", "ZRANGE z [f + BYLEX",
			"ZRANGEBYLEX z [b +", "ZRANGEBYLEX z - (c", "ZREVRANGEBYLEX z + [c", "ZREVRANGEBYLEX z (c -",
			"ZRANGEBYLEX z [a [a", "ZRANGEBYLEX z (a [a", "ZRANGEBYLEX z [ [", "ZRANGEBYLEX z ( +", "ZRANGEBYLEX z - +  LIMIT 0 2",
			"ZRANGEBYLEX z - + WITHSCORES", "ZRANGEBYLEX z -- +", "ZRANGEBYLEX z - ++", "ZRANGEBYLEX nokey - +",
			"ZLEXCOUNT z - +", "ZLEXCOUNT z [b (e", "ZLEXCOUNT z + -", "ZLEXCOUNT z a b", "ZLEXCOUNT nokey - +"),
		tc("zcount",
			"ZADD z 1 a 2 b 3 c 4 d", "ZCOUNT z 2 3", "ZCOUNT z (2 3", "ZCOUNT z -inf +inf", "ZCOUNT z 5 1",
			"ZCOUNT z abc 1", "ZCOUNT nokey 1 2", "ZCOUNT z (1 (2", "ZCOUNT z 4 4", "ZCOUNT z (4 4"),
		tc("zrangestore",
			"ZADD src 1 a 2 b 3 c 4 d", "ZRANGESTORE dst src 0 1", "ZRANGE dst 0 -1 WITHSCORES", "OBJECT ENCODING dst",
			"ZRANGESTORE dst src 2 3 BYSCORE", "ZRANGE dst 0 -1 WITHSCORES", "ZRANGESTORE dst src (4 -inf BYSCORE REV LIMIT 0 2",
			"ZRANGE dst 0 -1 WITHSCORES", "ZRANGESTORE dst src [b [c BYLEX", "ZRANGESTORE dst src 5 10", "EXISTS dst",
			"ZRANGESTORE dst nokey 0 -1", "SET str x", "ZRANGESTORE str src 0 0", "TYPE str", "ZRANGESTORE dst src 0 -1 WITHSCORES",
			"ZRANGESTORE dst str 0 -1", "ZRANGESTORE src src 1 2", "ZRANGE src 0 -1 WITHSCORES", "SET str2 x EX 100",
			"ZRANGESTORE str2 src 0 -1", "TTL str2", "ZRANGESTORE dst src 0 -1 LIMIT 0 1"),
		tc("zremrangeby",
			"ZADD z 1 a 2 b 3 c 4 d 5 e", "ZREMRANGEBYRANK z 0 1", "ZRANGE z 0 -1", "ZREMRANGEBYRANK z -1 -1",
			"ZREMRANGEBYRANK z 5 10", "ZREMRANGEBYRANK z 1 0", "ZREMRANGEBYRANK z a 1", "ZREMRANGEBYSCORE z (3 +inf",
			"ZRANGE z 0 -1", "ZREMRANGEBYSCORE z abc 1", "ZREMRANGEBYSCORE z -inf +inf", "EXISTS z",
			"ZADD l 0 a 0 b 0 c 0 d", "ZREMRANGEBYLEX l [b (d", "ZRANGE l 0 -1", "ZREMRANGEBYLEX l a b", "ZREMRANGEBYLEX l - +",
			"EXISTS l", "ZREMRANGEBYRANK nokey 0 -1", "ZREMRANGEBYSCORE nokey 0 1", "ZREMRANGEBYLEX nokey - +",
			"ZADD r 1 a 2 b", "ZREMRANGEBYRANK r -100 100", "EXISTS r"),
		tc("zpopmin zpopmax",
			"ZADD z 1 a 2 b 3 c 4 d 5 e", "ZPOPMIN z", "ZPOPMAX z", "ZPOPMIN z 2", "ZPOPMAX z 0", "ZPOPMIN z -1",
			"ZPOPMIN z abc", "ZPOPMIN z 1 2", "ZPOPMAX z 10", "EXISTS z", "ZPOPMIN nokey", "ZPOPMIN nokey 0",
			"ZPOPMIN nokey 5", "ZADD y 1 a", "ZPOPMAX y 1", "EXISTS y", "SET str x", "ZPOPMIN str", "ZPOPMIN str 0"),
		tc("zmpop",
			"ZADD a 1 x 2 y 3 z", "ZADD b 5 q", "ZMPOP 2 nokey a MIN", "ZMPOP 2 a b MAX COUNT 2", "ZMPOP 1 a MIN COUNT 10",
			"EXISTS a", "ZMPOP 2 a b MIN", "ZMPOP 2 a b MIN", "ZMPOP 0 a MIN", "ZMPOP -1 a MIN", "ZMPOP abc a MIN",
			"ZMPOP 3 a b MIN", "ZMPOP 1 a LEFT", "ZMPOP 1 a MIN COUNT 0", "ZMPOP 1 a MIN COUNT -1", "ZMPOP 1 a MIN COUNT",
			"ZMPOP 1 a MIN COUNT 1 COUNT 2", "ZMPOP 1 a MIN FOO", "SET str v", "ZMPOP 2 str a MIN", "ZMPOP 2 nokey str MAX",
			"ZMPOP 1 a", "ZMPOP 2 a MIN"),
		tc("bzpop and bzmpop without blocking",
			"ZADD z 1 a 2 b 3 c", "BZPOPMIN z 0", "BZPOPMAX nokey z 0", "BZMPOP 0 1 z MIN COUNT 5", "EXISTS z",
			"BZPOPMIN z abc", "BZPOPMIN z -1", "BZMPOP x 0 z MIN", "BZMPOP x 1 z MIN", "BZMPOP 0 1 z FOO",
			"SET str x", "BZPOPMIN str 0", "BZMPOP 0 1 str MIN", "MULTI", "BZPOPMIN nokey 0", "BZMPOP 0 1 nokey MIN", "EXEC"),
		tc("zrandmember",
			"ZRANDMEMBER nokey", "ZRANDMEMBER nokey 5", "ZRANDMEMBER nokey 5 WITHSCORES", "ZADD z 1 a 2 b 3 c",
			"ZRANDMEMBER z 0", "ZRANDMEMBER z 3", "ZRANDMEMBER z 5 WITHSCORES", "ZRANDMEMBER z 9223372036854775807",
			cmd("ZRANDMEMBER z").shape(), cmd("ZRANDMEMBER z -5").shape(), cmd("ZRANDMEMBER z -5 WITHSCORES").shape(),
			cmd("ZRANDMEMBER z 2 WITHSCORES").shape(), cmd("ZRANDMEMBER z 1").shape(), "ZRANDMEMBER z abc",
			"ZRANDMEMBER z 1 FOO", "ZRANDMEMBER z 1 WITHSCORES x", "ZRANDMEMBER z 9223372036854775807 WITHSCORES",
			"ZRANDMEMBER z -9223372036854775808", "ZRANDMEMBER z -4611686018427387904 WITHSCORES",
			"ZRANDMEMBER z 4611686018427387903 withscores", "SET str x", "ZRANDMEMBER str", "ZRANDMEMBER str 1"),
		tc("zunion zinter zdiff",
			"ZADD a 1 x 2 y 3 z", "ZADD b 10 y 20 z 30 w", "SADD s y w v", "ZUNION 2 a b", "ZUNION 2 a b WITHSCORES",
			"ZINTER 2 a b WITHSCORES", "ZDIFF 2 a b WITHSCORES", "ZDIFF 2 b a", "ZUNION 3 a b s WITHSCORES",
			"ZINTER 2 s b WITHSCORES", "ZDIFF 2 s a WITHSCORES", "ZUNION 2 a b WEIGHTS 2 3 WITHSCORES",
			"ZUNION 2 a b AGGREGATE MIN WITHSCORES", "ZUNION 2 a b AGGREGATE max WITHSCORES",
			"ZINTER 2 a b WEIGHTS 1 -1 AGGREGATE MAX WITHSCORES", "ZUNION 2 a b WEIGHTS 1", "ZUNION 2 a b WEIGHTS 1 x",
			"ZUNION 2 a b WEIGHTS 1 nan", "ZUNION 2 a b AGGREGATE avg", "ZUNION 2 a b AGGREGATE", "ZDIFF 2 a b WEIGHTS 1 2",
			"ZDIFF 2 a b AGGREGATE SUM", "ZUNION 0 a", "ZUNION -1 a", "ZUNION x a", "ZUNION 3 a b", "ZINTER 2 a nokey",
			"ZDIFF 2 nokey a", "ZUNION 2 nokey nokey2", "SET str v", "ZUNION 2 a str", "ZUNION 2 str a FOO", "ZUNION 1 a FOO",
			"ZINTER 2 a a WITHSCORES", "ZUNION 2 a a WEIGHTS 1 2 WITHSCORES", "ZUNION 1 a WITHSCORES WITHSCORES",
			"ZADD i 1 p", "ZADD j inf p", "ZADD k -inf p", "ZUNION 2 j k WITHSCORES", "ZUNION 2 j i WEIGHTS 0 1 WITHSCORES",
			"ZINTER 2 j k WITHSCORES", "ZINTER 2 j k AGGREGATE MIN WITHSCORES", "ZINTER 2 i j WEIGHTS 1 0 WITHSCORES"),
		tc("store forms and zintercard",
			"ZADD a 1 x 2 y 3 z", "ZADD b 10 y 20 z 30 w", "ZUNIONSTORE d 2 a b", "ZRANGE d 0 -1 WITHSCORES",
			"OBJECT ENCODING d", "ZINTERSTORE d 2 a b WEIGHTS 2 2", "ZRANGE d 0 -1 WITHSCORES", "ZDIFFSTORE d 2 a b",
			"ZRANGE d 0 -1 WITHSCORES", "ZINTERSTORE d 2 a nokey", "EXISTS d", "ZUNIONSTORE d 2 a b WITHSCORES",
			"ZUNIONSTORE d 0 a", "SET str x", "ZUNIONSTORE str 1 a", "TYPE str", "ZDIFFSTORE a 2 a b", "ZRANGE a 0 -1",
			"ZINTERCARD 2 a b", "ZINTERCARD 2 b a LIMIT 1", "ZINTERCARD 2 a b LIMIT 0", "ZINTERCARD 1 b LIMIT 2",
			"ZINTERCARD 0 a", "ZINTERCARD 1 a LIMIT -1", "ZINTERCARD 1 a LIMIT x", "ZINTERCARD 1 a WITHSCORES",
			"ZINTERCARD 1 a WEIGHTS 1", "ZINTERCARD 2 a str", "ZINTERCARD 3 a b", "SADD s x y", "ZINTERCARD 2 s b",
			"ZUNIONSTORE d 1 s", "ZRANGE d 0 -1 WITHSCORES", "OBJECT ENCODING d", "ZINTERCARD 1 nokey"),
		tc("wrong type",
			"SET str x", "ZADD str 1 a", "ZSCORE str a", "ZMSCORE str a", "ZRANK str a", "ZRANGE str 0 -1",
			"ZRANGEBYSCORE str 0 1", "ZRANGEBYLEX str - +", "ZCOUNT str 0 1", "ZLEXCOUNT str - +", "ZREMRANGEBYRANK str 0 1",
			"ZREMRANGEBYSCORE str 0 1", "ZREMRANGEBYLEX str - +", "ZSCAN str 0", "ZSCAN str x", "ZRANGE str a b",
			"ZCOUNT str a b", "ZADD z 1 a", "GET z", "LPUSH z x", "SADD z x", "TYPE z", "OBJECT ENCODING z"),
		tc("arity",
			"ZADD", "ZADD z", "ZINCRBY z 1", "ZREM z", "ZCARD", "ZSCORE z", "ZMSCORE z", "ZRANK z", "ZRANGE z 0",
			"ZRANGESTORE d z 0", "ZRANGEBYSCORE z 0", "ZRANGEBYLEX z -", "ZCOUNT z 0", "ZPOPMIN", "ZMPOP 1",
			"BZPOPMIN z", "BZMPOP 0 1", "ZRANDMEMBER", "ZUNION", "ZUNION 1", "ZUNIONSTORE d", "ZINTERCARD 1",
			"ZSCAN z", "ZREMRANGEBYRANK z 0", "ZREVRANGE z 0"),
		tc("zscan listpack",
			"ZADD z 1 a 2.5 b 1e17 c -0 d inf e 1e20 f", "ZSCAN z 0", "ZSCAN z 0 COUNT 1", "ZSCAN z 0 MATCH [ab]",
			"ZSCAN z 0 COUNT 0", "ZSCAN z abc", "ZSCAN z 0 FOO 1", "ZSCAN z 0 TYPE zset", "ZSCAN nokey 0", "ZSCAN z 10"),
		tc("copy and type",
			"ZADD z 1 a 2 b", "COPY z z2", "ZADD z2 3 c", "ZRANGE z 0 -1", "ZRANGE z2 0 -1", "TYPE z2", "OBJECT ENCODING z2",
			"RENAME z z3", "ZRANGE z3 0 -1 WITHSCORES", "DEL z3", "EXISTS z3"),
	}
}

// zsetEncodingCases run with zset-max-listpack-entries 4 and
// zset-max-listpack-value 8.
func zsetEncodingCases() []dcase {
	return []dcase{
		tc("listpack to skiplist by count",
			"ZADD z 1 a 2 b 3 c 4 d", "OBJECT ENCODING z", "ZADD z 5 e", "OBJECT ENCODING z", "ZREM z a b c d",
			"OBJECT ENCODING z", "ZADD y 1 a 2 a 3 a 4 a 5 a", "OBJECT ENCODING y", "ZADD x 1 a 2 b 3 c 4 d 5 e",
			"OBJECT ENCODING x", "ZRANGE x 0 -1 WITHSCORES"),
		tc("listpack to skiplist by length",
			"ZADD z 1 short", "ZADD z 2 muchlonger", "OBJECT ENCODING z", "ZADD y 1 muchlonger", "OBJECT ENCODING y",
			"ZADD w 1 abcdefgh", "OBJECT ENCODING w", "ZADD w 1 abcdefghi", "OBJECT ENCODING w",
			"ZADD v 1 a", "ZINCRBY v 1 muchlonger", "OBJECT ENCODING v"),
		tc("results pick their encoding",
			"ZADD big 1 a 2 b 3 c 4 d 5 e", "ZRANGESTORE d big 0 3", "OBJECT ENCODING d", "ZRANGESTORE d big 0 4",
			"OBJECT ENCODING d", "ZUNIONSTORE d 1 big", "OBJECT ENCODING d", "ZINTERSTORE d 2 big big", "OBJECT ENCODING d",
			"ZADD l 1 a 2 b", "ZUNIONSTORE d 1 l", "OBJECT ENCODING d", "ZADD long 1 muchlonger", "ZUNIONSTORE d 2 l long",
			"OBJECT ENCODING d", "ZRANGESTORE d big 0 1 BYSCORE", "OBJECT ENCODING d", "COPY big cp", "OBJECT ENCODING cp",
			"ZDIFFSTORE d 2 big l", "OBJECT ENCODING d", "ZRANGE d 0 -1 WITHSCORES"),
		tc("skiplist ranges",
			"ZADD z "+scoredRange(40, func(i int) string { return fmt.Sprint(i % 7) }), "OBJECT ENCODING z",
			"ZRANGE z 0 -1 WITHSCORES", "ZRANGE z 5 30 REV", "ZRANGEBYSCORE z (2 5 LIMIT 3 7", "ZREVRANGEBYSCORE z 5 (2 LIMIT 2 4",
			"ZCOUNT z 2 4", "ZRANK z m013", "ZREVRANK z m013", "ZREMRANGEBYRANK z 10 20", "ZRANGE z 0 -1",
			"ZREMRANGEBYSCORE z 3 3", "ZCARD z", "ZPOPMIN z 3", "ZPOPMAX z 3", "ZRANGE z 0 -1 WITHSCORES",
			"ZRANDMEMBER z 100 WITHSCORES"),
	}
}

func TestDiffZSet(t *testing.T) {
	t.Parallel()
	diff(t, bothProtocols(zsetBasicCases()))
}

func TestDiffZSetEncodings(t *testing.T) {
	t.Parallel()
	diff(t, bothProtocols(zsetEncodingCases()), opt("zset-max-listpack-entries", "4"), opt("zset-max-listpack-value", "8"))
}

// zsetRandomGen draws sorted-set commands over a few keys and members, with
// scores from a small set so that ties, bounds and encodings all get
// exercised.
type zsetRandomGen struct{ r *rand.Rand }

func (g *zsetRandomGen) key() string    { return []string{"z1", "z2", "z3", "s1"}[g.r.IntN(4)] }
func (g *zsetRandomGen) member() string { return fmt.Sprint("m", g.r.IntN(30)) }

func (g *zsetRandomGen) score() string {
	return []string{"0", "1", "2", "-1", "1.5", "inf", "-inf", "3", "10", "0.1"}[g.r.IntN(10)]
}

func (g *zsetRandomGen) bound() string {
	b := g.score()
	if g.r.IntN(3) == 0 {
		b = "(" + b
	}
	return b
}

func (g *zsetRandomGen) lexBound() string {
	switch g.r.IntN(6) {
	case 0:
		return "-"
	case 1:
		return "+"
	case 2:
		return "(" + g.member()
	}
	return "[" + g.member()
}

func (g *zsetRandomGen) index() string { return fmt.Sprint(g.r.IntN(24) - 12) }

func (g *zsetRandomGen) next() step {
	k := g.key()
	switch g.r.IntN(24) {
	case 0, 1, 2:
		opts := []string{"", "NX ", "XX ", "GT ", "LT ", "CH ", "XX CH ", "GT CH "}[g.r.IntN(8)]
		return cmd(fmt.Sprintf("ZADD %s %s%s %s %s %s", k, opts, g.score(), g.member(), g.score(), g.member()))
	case 3:
		return cmd(fmt.Sprintf("ZINCRBY %s %s %s", k, g.score(), g.member()))
	case 4:
		return cmd(fmt.Sprintf("ZREM %s %s %s", k, g.member(), g.member()))
	case 5:
		return cmd(fmt.Sprintf("ZRANGE %s %s %s WITHSCORES", k, g.index(), g.index()))
	case 6:
		return cmd(fmt.Sprintf("ZRANGE %s %s %s BYSCORE LIMIT %d %d WITHSCORES", k, g.bound(), g.bound(), g.r.IntN(4), g.r.IntN(6)-1))
	case 7:
		return cmd(fmt.Sprintf("ZREVRANGEBYSCORE %s %s %s WITHSCORES", k, g.bound(), g.bound()))
	case 8:
		return cmd(fmt.Sprintf("ZCOUNT %s %s %s", k, g.bound(), g.bound()))
	case 9:
		return cmd(fmt.Sprintf("ZRANK %s %s", k, g.member()))
	case 10:
		return cmd(fmt.Sprintf("ZREVRANK %s %s", k, g.member()))
	case 11:
		return cmd(fmt.Sprintf("ZREMRANGEBYRANK %s %s %s", k, g.index(), g.index()))
	case 12:
		return cmd(fmt.Sprintf("ZREMRANGEBYSCORE %s %s %s", k, g.bound(), g.bound()))
	case 13:
		return cmd(fmt.Sprintf("ZPOP%s %s %d", []string{"MIN", "MAX"}[g.r.IntN(2)], k, g.r.IntN(3)))
	case 14:
		return cmd(fmt.Sprintf("ZUNIONSTORE %s 2 %s %s WEIGHTS %s 2 AGGREGATE %s", g.key(), k, g.key(), g.score(),
			[]string{"SUM", "MIN", "MAX"}[g.r.IntN(3)]))
	case 15:
		return cmd(fmt.Sprintf("ZINTER 2 %s %s WITHSCORES", k, g.key()))
	case 16:
		return cmd(fmt.Sprintf("ZDIFFSTORE %s 2 %s %s", g.key(), k, g.key()))
	case 17:
		return cmd(fmt.Sprintf("ZRANGESTORE %s %s %s %s", g.key(), k, g.index(), g.index()))
	case 18:
		return cmd(fmt.Sprintf("ZMSCORE %s %s %s", k, g.member(), g.member()))
	case 19:
		return cmd(fmt.Sprintf("ZCARD %s", k))
	case 20:
		return cmd(fmt.Sprintf("SADD s1 %s", g.member()))
	case 21:
		return cmd(fmt.Sprintf("ZMPOP 2 %s %s %s COUNT %d", k, g.key(), []string{"MIN", "MAX"}[g.r.IntN(2)], 1+g.r.IntN(3)))
	case 22:
		return cmd("OBJECT ENCODING " + k)
	}
	return cmd(fmt.Sprintf("ZINTERCARD 2 %s %s", k, g.key()))
}

// TestDiffZSetRandom replays seeded random sequences of sorted-set commands
// on both servers, reply by reply; small listpack limits make the sets
// change encoding along the way.
func TestDiffZSetRandom(t *testing.T) {
	t.Parallel()
	ref, sut := startPair(t)
	replayRandom(t, ref, sut, randomRun{steps: 800, salt: 0x25e725e725e725e7,
		prelude:   []string{"CONFIG SET zset-max-listpack-entries 8"},
		generator: func(r *rand.Rand) func() step { return (&zsetRandomGen{r: r}).next }})
}

// TestDiffZSetScanIteration walks skiplist sets with ZSCAN at small COUNTs
// on both servers: cursors come from each server's hash function, so what
// must match is the member/score pairs a full iteration returns.
func TestDiffZSetScanIteration(t *testing.T) {
	t.Parallel()
	ref, sut := startPair(t)
	s := openSession(t, ref, sut)
	s.setup(t, "FLUSHALL", "ZADD z "+scoredRange(300, func(i int) string { return fmt.Sprint(float64(i) / 8) }),
		"ZADD z -0.0 neg 1e17 big inf top")
	for _, q := range [][]string{
		{"z"}, {"z", "COUNT", "1"}, {"z", "COUNT", "7"}, {"z", "COUNT", "9223372036854775807"}, {"z", "MATCH", "m1*", "COUNT", "3"}, {"z", "MATCH", "[nbt]*"}, {"nokey"},
	} {
		want, err1 := zscanAll(s.rc, q[0], q[1:])
		got, err2 := zscanAll(s.sc, q[0], q[1:])
		if err1 != nil || err2 != nil {
			t.Fatalf("ZSCAN %v: %v / %v", q, err1, err2)
		}
		if want != got {
			t.Errorf("ZSCAN %v iterated:\n\tredis: %s\n\tkioku: %s", q, want, got)
		}
	}
}

// zscanAll iterates ZSCAN key from cursor 0 to the end and returns the
// sorted, deduplicated "member score" pairs.
func zscanAll(c *respConn, key string, opts []string) (string, error) {
	seen := map[string]bool{}
	cursor := "0"
	for i := 0; i < 100000; i++ {
		_, v, err := c.do(append([]string{"ZSCAN", key, cursor}, opts...)...)
		if err != nil {
			return "", err
		}
		if v.kind != '*' || len(v.elems) != 2 || len(v.elems[1].elems)%2 != 0 {
			return "", fmt.Errorf("malformed ZSCAN reply %s", format(v))
		}
		pairs := v.elems[1].elems
		for j := 0; j < len(pairs); j += 2 {
			seen[pairs[j].str+" "+pairs[j+1].str] = true
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
	return "", fmt.Errorf("ZSCAN did not finish")
}
