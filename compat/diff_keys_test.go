package compat

import (
	"fmt"
	"strings"
	"testing"
)

// globKeys are the keys the glob cases match against.
var globKeys = []string{
	"hello", "hallo", "hxllo", "hllo", "heeeello", "h*llo", "h?llo", "h[a]llo", `h\llo`, "h-llo", "h^llo",
	"a", "b", "c", "ab", "abc", "aXbXc", "", " ", "foo:1", "foo:2", "foo:bar:1", "[", "]", "*", "?", `\`,
	"\x00", "\xff", "é",
}

func globSetup() []step {
	var steps []step
	for i, k := range globKeys {
		steps = append(steps, cmdArgs("SET", k, fmt.Sprint(i)))
	}
	return steps
}

func keysCases() []dcase {
	globs := []string{
		"*", "h?llo", "h*llo", "h[ae]llo", "h[^e]llo", "h[a-b]llo", "h[b-a]llo", `h\*llo`, `h\?llo`, `h\[a\]llo`,
		`h\\llo`, "h[-]llo", "h[a-]llo", "h[]llo", "h[", "h[a", `h\`, `\`, "[", "[[]", "[]]", `[\]]`, "*]", "a*b*c",
		"**", "***c", "?", "??", "", " ", "foo:*", "foo:?", "foo:*:1", "*:1", "h[!e]llo", "[^a]", "[a-c]",
		"[c-a]", "\x00", "\xff", "?llo", "h*", "*o", "H*", "[*]", "[?]", "[\\\\]", "h[^]llo", "h[^a-z]llo",
		"h*l*l*o", "*e*e*e*", "\xc3?", "\xc3\xa9", "nomatch",
	}
	var keysSteps []step
	for _, g := range globs {
		keysSteps = append(keysSteps, cmdArgs("KEYS", g).sorted())
	}
	var scanSteps []step
	for _, g := range globs {
		scanSteps = append(scanSteps, scanAll(fmt.Sprintf("SCAN 0 MATCH %q COUNT 3", g)))
	}

	many := []step{}
	for i := 0; i < 300; i++ {
		many = append(many, cmd(fmt.Sprintf("SET key:%d %d", i, i)))
	}

	return []dcase{
		tc("del unlink",
			"DEL nokey", "SET a 1", "SET b 2", "SET c 3", "DEL a", "EXISTS a", "DEL b c nokey", "DEL a a",
			"SET a 1", "DEL a a", "SET u 1", "UNLINK u", "UNLINK u", "SET u1 1", "SET u2 2", "UNLINK u1 u2 u3",
			"DBSIZE", `SET "" 1`, `DEL ""`),
		tc("exists", "EXISTS a", "SET a 1", "EXISTS a", "EXISTS a a a", "EXISTS a b", "SET b 1", "EXISTS a b nokey b",
			"EXISTS A"),
		tc("type", "TYPE nokey", "SET s v", "TYPE s", "SET n 1", "TYPE n", `SET e ""`, "TYPE e"),
		tc("rename",
			"RENAME nokey x", "SET a 1", "RENAME a b", "EXISTS a", "GET b", "RENAME b b", "GET b", "RENAME nokey nokey",
			"SET c 3", "RENAME b c", "GET c", "EXISTS b", "SET t v EX 100", "RENAME t t2", cmd("TTL t2").within(1),
			"SET d v", "RENAME d t2", "TTL t2", "SET e v EX 100", "SET f v", "RENAME f e", "TTL e",
			`RENAME e ""`, `GET ""`, `RENAME "" "\x00"`, `GET "\x00"`),
		tc("renamenx",
			"RENAMENX nokey x", "SET a 1", "SET b 2", "RENAMENX a b", "GET a", "GET b", "RENAMENX a c", "EXISTS a",
			"GET c", "RENAMENX c c", "RENAMENX nokey nokey", "SET t v EX 100", "RENAMENX t t2", cmd("TTL t2").within(1)),
		tc("keys globs", globSetup(), keysSteps),
		tc("scan globs", globSetup(), scanSteps),
		tc("keys and scan with many keys", many,
			cmd("KEYS key:1*").sorted(), cmd("KEYS key:?").sorted(), cmd("KEYS key:[12]?").sorted(),
			scanAll("SCAN 0"), scanAll("SCAN 0 COUNT 1"), scanAll("SCAN 0 COUNT 1000"), scanAll("SCAN 0 MATCH key:2* COUNT 7"),
			scanAll("SCAN 0 match KEY:* count 10"), "DBSIZE"),
		tc("scan single call", "SCAN 0", "SET a 1", "SCAN 0 COUNT 100", "SCAN 0 MATCH a", "SCAN 0 MATCH b COUNT 100"),
		tc("scan type",
			"SET s v", "SET n 1", scanAll("SCAN 0 TYPE string"), scanAll("SCAN 0 TYPE STRING"), scanAll("SCAN 0 TYPE list"),
			scanAll("SCAN 0 TYPE nosuch"), scanAll("SCAN 0 TYPE string MATCH s*"), scanAll("SCAN 0 MATCH n TYPE string COUNT 5")),
		tc("scan errors",
			"SCAN abc", "SCAN -1", "SCAN 1.5", `SCAN ""`, "SCAN 18446744073709551616", "SCAN 0 COUNT 0", "SCAN 0 COUNT -1",
			"SCAN 0 COUNT abc", "SCAN 0 COUNT", "SCAN 0 MATCH", "SCAN 0 TYPE", "SCAN 0 FOO", "SCAN 0 FOO bar",
			"SCAN 0 COUNT 10 MATCH", "SCAN 0 MATCH a MATCH b", "SCAN 0 COUNT 9223372036854775808"),
		tc("scan huge cursor", "SET a 1", cmd("SCAN 18446744073709551615").scanShape(), cmd("SCAN 9999999").scanShape()),
		tc("randomkey",
			"RANDOMKEY", "SET a 1", "RANDOMKEY", "SET b 2", cmd("RANDOMKEY").shape(), "DEL a b", "RANDOMKEY",
			`SET "\x00" x`, "RANDOMKEY", "SET e v EXAT 1", `DEL "\x00"`, "RANDOMKEY"),
		tc("touch", "TOUCH nokey", "SET a 1", "SET b 2", "TOUCH a b nokey", "TOUCH a a", "GET a"),
		tc("copy",
			"COPY nokey dst", "SET src v", "COPY src dst", "GET dst", "COPY src dst", "SET src v2", "COPY src dst REPLACE",
			"GET dst", "COPY src src", "COPY src src REPLACE", "COPY src dst DB 1", "SELECT 1", "GET dst", "SELECT 0",
			"COPY src dst DB 1", "COPY src dst DB 1 REPLACE", "COPY src dst DB 16", "COPY src dst DB -1", "COPY src dst DB abc",
			"COPY src dst DB", "COPY src dst FOO", "COPY src dst REPLACE REPLACE", "COPY src src DB 1", "COPY src src DB 0",
			"SET t v EX 100", "COPY t t2", cmd("TTL t2").within(1), "SET n 123", "COPY n n2", "OBJECT ENCODING n2",
			"COPY nokey dst DB 16", "copy src dst2 replace db 2", "SELECT 2", "GET dst2"),
		tc("move",
			"MOVE nokey 1", "SET a 1", "MOVE a 1", "EXISTS a", "SELECT 1", "GET a", "SELECT 0", "SET a 2", "MOVE a 1",
			"GET a", "MOVE a 0", "MOVE a 16", "MOVE a -1", "MOVE a abc", "SET t v EX 100", "MOVE t 2", "SELECT 2",
			cmd("TTL t").within(1), "MOVE t 2", "MOVE nokey 99"),
		tc("swapdb",
			"SET a db0", "SELECT 1", "SET a db1", "SET b only1", "SWAPDB 0 1", "GET a", "GET b", "SELECT 0", "GET a",
			"GET b", "SWAPDB 0 0", "GET a", "SWAPDB 0 16", "SWAPDB -1 0", "SWAPDB abc 0", "SWAPDB 0 abc", "SWAPDB 1 0",
			"GET a", "DBSIZE", "SELECT 1", "DBSIZE"),
		tc("flushdb flushall",
			"SET a 1", "SELECT 1", "SET b 2", "FLUSHDB", "DBSIZE", "SELECT 0", "DBSIZE", "SET c 3", "FLUSHDB ASYNC",
			"DBSIZE", "SET c 3", "FLUSHDB SYNC", "DBSIZE", "SET d 4", "SELECT 1", "SET e 5", "FLUSHALL", "DBSIZE", "SELECT 0",
			"DBSIZE", "SET f 1", "FLUSHALL ASYNC", "DBSIZE", "SET f 1", "FLUSHALL SYNC", "DBSIZE", "FLUSHALL FOO",
			"FLUSHDB FOO", "flushall async", "flushdb sync"),
		tc("expire basic",
			"EXPIRE nokey 100", "SET a 1", "EXPIRE a 100", cmd("TTL a").within(1), cmd("PTTL a").within(1000),
			"PEXPIRE a 50000", cmd("TTL a").within(1), "EXPIREAT a 4102444800", "EXPIRETIME a", "PEXPIRETIME a",
			"PEXPIREAT a 4102444800123", "PEXPIRETIME a", "EXPIRETIME a", "PERSIST a", "TTL a", "PERSIST a", "PERSIST nokey",
			"TTL nokey", "PTTL nokey", "EXPIRETIME nokey", "PEXPIRETIME nokey", "EXPIRETIME a", "PEXPIRETIME a", "PTTL a"),
		tc("expire in the past deletes",
			"SET a 1", "EXPIRE a -1", "EXISTS a", "SET a 1", "EXPIRE a 0", "EXISTS a", "SET a 1", "PEXPIRE a 0", "EXISTS a",
			"SET a 1", "PEXPIRE a -100", "EXISTS a", "SET a 1", "EXPIREAT a 1", "EXISTS a", "SET a 1", "PEXPIREAT a 0",
			"EXISTS a", "SET a 1", "EXPIREAT a -5", "EXISTS a", "DBSIZE", "SET a 1", "EXPIRE a -9223372036854775808",
			"EXISTS a"),
		tc("expire errors",
			"SET a 1", "EXPIRE a abc", "EXPIRE a 1.5", `EXPIRE a ""`, "EXPIRE a 9223372036854775807",
			"EXPIRE a 9223372036854775", "EXPIRE a 9223372036854776", "PEXPIRE a 9223372036854775807",
			"EXPIREAT a 9223372036854775807", "PEXPIREAT a 9223372036854775807", "EXPIRE a 9223372036854775808",
			"EXPIRE a -9223372036854775809", "EXPIRE nokey abc", "EXPIRE nokey 9223372036854775807", cmd("TTL a").within(1),
			"PEXPIRE a 9223372036854775806", "PEXPIREAT a 9223372036854775806", cmd("TTL a").within(1)),
		tc("expire options",
			"SET a 1", "EXPIRE a 100 XX", "TTL a", "EXPIRE a 100 NX", cmd("TTL a").within(1), "EXPIRE a 200 NX",
			cmd("TTL a").within(1), "EXPIRE a 200 XX", cmd("TTL a").within(1), "EXPIRE a 100 GT", cmd("TTL a").within(1),
			"EXPIRE a 300 GT", cmd("TTL a").within(1), "EXPIRE a 400 LT", cmd("TTL a").within(1), "EXPIRE a 100 LT",
			cmd("TTL a").within(1), "PERSIST a", "EXPIRE a 100 GT", "TTL a", "EXPIRE a 100 LT", cmd("TTL a").within(1),
			"PERSIST a", "PEXPIRE a 100000 lt", cmd("TTL a").within(1), "PEXPIRE a 200000 gt", cmd("TTL a").within(1),
			"EXPIREAT a 4102444800 GT", "EXPIRETIME a", "PEXPIREAT a 4102444800000 LT", "PEXPIREAT a 4102444799999 LT",
			"PEXPIRETIME a", "EXPIRE nokey 100 NX", "EXPIRE nokey 100 XX", "EXPIRE a -1 GT", "EXISTS a",
			"SET a 1", "EXPIRE a -1 LT", "EXISTS a", "SET a 1 EX 100", "EXPIRE a -1 XX", "EXISTS a",
			"SET a 1", "EXPIRE a -1 XX", "EXISTS a", "EXPIRE a -1 NX", "EXISTS a"),
		tc("expire option errors",
			"SET a 1", "EXPIRE a 100 NX XX", "EXPIRE a 100 XX NX", "EXPIRE a 100 GT LT", "EXPIRE a 100 LT GT",
			"EXPIRE a 100 NX GT", "EXPIRE a 100 NX LT", "EXPIRE a 100 XX GT", "EXPIRE a 100 FOO", "EXPIRE a 100 NX NX",
			"EXPIRE a 50 GT GT", "EXPIRE a 100 XX LT GT", "PEXPIRE a 100 NX XX", "EXPIREAT a 100 GT LT",
			"PEXPIREAT a 100 FOO", "EXPIRE a abc NX XX", "EXPIRE a 100 nx xx", "EXPIRE a 100 NX FOO", "EXPIRE nokey 100 FOO",
			"TTL a"),
		tc("ttl pttl", "TTL nokey", "PTTL nokey", "SET a 1", "TTL a", "PTTL a", "SET b 1 PX 1500", cmd("TTL b").within(1),
			cmd("PTTL b").within(1000), "SET c 1 PX 500", cmd("TTL c").within(1), "SET d 1 PX 100001", cmd("TTL d").within(1)),
		tc("expiretime", "EXPIRETIME nokey", "PEXPIRETIME nokey", "SET a 1", "EXPIRETIME a", "PEXPIRETIME a",
			"SET b 1 PXAT 4102444800499", "EXPIRETIME b", "SET b 1 PXAT 4102444800500", "EXPIRETIME b",
			"SET b 1 PXAT 4102444800501", "EXPIRETIME b"),
		tc("persist", "PERSIST nokey", "SET a 1", "PERSIST a", "SET a 1 EX 100", "PERSIST a", "TTL a", "PERSIST a",
			"SET b 1 PX 100000", "PERSIST b", "PTTL b"),
		tc("object",
			"OBJECT ENCODING nokey", "OBJECT REFCOUNT nokey", "OBJECT IDLETIME nokey", "OBJECT FREQ nokey",
			"SET a 1", "SET b hello", cmdArgs("SET", "c", strings.Repeat("c", 100)), "OBJECT ENCODING a", "OBJECT ENCODING b",
			"OBJECT ENCODING c", "OBJECT REFCOUNT a", "OBJECT REFCOUNT b", "OBJECT REFCOUNT c", "SET big 10000",
			"OBJECT REFCOUNT big", "SET neg -1", "OBJECT REFCOUNT neg", "OBJECT ENCODING neg",
			cmd("OBJECT IDLETIME a").within(1), "OBJECT FREQ a", "OBJECT HELP", "object help", "OBJECT HELP x"),
		// A new key starts at LFU_INIT_VAL (5) and its first access always
		// increments it; later increments are probabilistic. Small integer
		// values are shared objects in Redis, whose counter reads 0.
		tc("object freq with lfu",
			"CONFIG SET maxmemory-policy allkeys-lfu", "OBJECT FREQ nokey", "SET b hello", "OBJECT FREQ b", "GET b",
			"OBJECT FREQ b", "GET b", cmd("OBJECT FREQ b").within(1), "OBJECT IDLETIME b", "SET a 1", "OBJECT FREQ a",
			"CONFIG SET maxmemory-policy noeviction", "OBJECT FREQ b"),
		tc("dbsize after deletes and expiry", "SET a 1", "SET b 2 EX 100", "DBSIZE", "DEL a", "DBSIZE",
			"SET c 1", "EXPIRE c -1", "DBSIZE", cmd("INFO keyspace").masked(avgTTL)),
	}
}

// wrongTypeKeyCases need a non-string key (a list via LPUSH).
func wrongTypeKeyCases() []dcase {
	cases := []dcase{
		tc("key commands on a list",
			"LPUSH l a b", "TYPE l", "EXISTS l", "OBJECT ENCODING l", "RENAME l l2", "TYPE l2", "COPY l2 l3", "TYPE l3",
			"EXPIRE l3 100", cmd("TTL l3").within(1), "MOVE l3 1", "SELECT 1", "TYPE l3", "SELECT 0", "SET s v",
			"RENAME s l2", "TYPE l2", "LPUSH l4 x", "RENAMENX l4 l2", "TYPE l4", "DEL l4", "UNLINK l2", "DBSIZE"),
		tc("keys and scan with types",
			"LPUSH l a", "SET s v", "SET n 1", scanAll("SCAN 0 TYPE list"), scanAll("SCAN 0 TYPE string"),
			scanAll("SCAN 0 TYPE LIST"), cmd("KEYS *").sorted(), "OBJECT REFCOUNT l"),
	}
	for i := range cases {
		cases[i] = cases[i].need("lpush")
	}
	return cases
}

func TestDiffKeys(t *testing.T) {
	t.Parallel()
	diff(t, bothProtocols(append(keysCases(), wrongTypeKeyCases()...)))
}
