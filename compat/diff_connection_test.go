package compat

import (
	"strings"
	"testing"
)

// arity builds one case per command line, each expected to fail on its
// argument count (or, for the over-long ones, on syntax).
func arityCases(prefix string, lines ...string) []dcase {
	var out []dcase
	for _, l := range lines {
		out = append(out, tc(prefix+" "+l, l))
	}
	return out
}

// otherFamilyArity are arity errors of commands outside the string, key and
// connection families: skipped while Kioku lacks the command.
func otherFamilyArity() []dcase {
	lines := []string{
		"LPUSH k", "RPUSH", "LPOP", "LRANGE k 0", "LLEN", "LTRIM k 0", "BLPOP k",
		"HSET k f", "HGET k", "HGETALL", "HINCRBY k f", "HMSET k f",
		"SADD k", "SMEMBERS", "SISMEMBER k", "SINTER", "SRANDMEMBER",
		"ZADD k 1", "ZRANGE k 0", "ZREVRANGE k 0", "ZCARD", "ZINCRBY k 1", "ZREMRANGEBYSCORE k 0",
		"XADD k *", "XREAD", "XGROUP", "XREADGROUP GROUP g c",
		"PUBLISH ch", "SUBSCRIBE", "PSUBSCRIBE",
		"EVAL", "EVALSHA sha", "SCRIPT", "MULTI x", "WATCH",
		"PFADD", "SETBIT k 1", "GETBIT k",
	}
	var out []dcase
	for _, l := range lines {
		name := strings.Fields(l)[0]
		out = append(out, tc("other-family arity "+l, l).need(name))
	}
	return out
}

func connectionCases() []dcase {
	cases := []dcase{
		tc("ping", "PING", "ping", "PING hello", `PING ""`, `PING "a\x00b"`, "PING a b"),
		tc("echo", "ECHO hi", `ECHO ""`, `ECHO "\x00\xff\r\n"`, "ECHO", "ECHO a b"),
		tc("select",
			"SELECT 1", "SET k db1", "GET k", "SELECT 0", "GET k", "SELECT 15", "GET k",
			"SELECT 16", "SELECT -1", "SELECT abc", "SELECT 1.5", `SELECT ""`, "SELECT 00001", "GET k",
			"SELECT 9223372036854775808", "SELECT", "SELECT 1 2"),
		tc("dbsize", "DBSIZE", "SET a 1", "SET b 2", "DBSIZE", "SELECT 3", "DBSIZE", "DBSIZE x"),
		// HELLO: every field but the connection id must match.
		tc("hello 2", cmd("HELLO 2").without("id"), "PING", "GET nokey"),
		tc("hello 3", cmd("HELLO 3").without("id"), "PING", "GET nokey", "MGET a b"),
		tc("hello no args", cmd("HELLO").without("id"), cmd("HELLO 3").without("id"), cmd("HELLO").without("id")),
		tc("hello 3 then 2", cmd("HELLO 3").without("id"), cmd("HELLO 2").without("id"), "GET nokey"),
		tc("hello errors",
			"HELLO 4", "HELLO 1", "HELLO 0", "HELLO -1", "HELLO abc", `HELLO ""`, "HELLO 3.0",
			"HELLO 3 AUTH", "HELLO 3 AUTH default", "HELLO 3 SETNAME", "HELLO 3 FOO",
			`HELLO 2 SETNAME "a b"`, "HELLO 3 SETNAME x y", "GET nokey"),
		tc("hello setname", cmd("HELLO 3 SETNAME myconn").without("id"), "CLIENT GETNAME",
			cmd("HELLO 2 SETNAME other").without("id"), "CLIENT GETNAME"),
		tc("hello auth without password", cmd("HELLO 3 AUTH default anything").without("id"),
			"HELLO 3 AUTH nouser anything"),
		tc("auth without password",
			"AUTH foo", "AUTH default foo", "AUTH nouser foo", "AUTH a b c", "AUTH", "PING"),
		tc("client id and names",
			cmd("CLIENT ID").shape(), "CLIENT GETNAME", "CLIENT SETNAME myname", "CLIENT GETNAME",
			`CLIENT SETNAME ""`, "CLIENT GETNAME", `CLIENT SETNAME "a b"`, `CLIENT SETNAME "a\nb"`,
			"CLIENT SETNAME", "CLIENT SETNAME a b", "CLIENT FOO", "CLIENT", "CLIENT ID x"),
		tc("unknown command",
			"FOO", "FOO a b", "foo a b c", `FOO ""`, `"" a`,
			`"foo\r\nbar" x`, `FOO "a\nb"`,
			cmdArgs("FOO", strings.Repeat("x", 200)), cmdArgs("FOO", "a", strings.Repeat("y", 150), "z"),
			cmdArgs(strings.Repeat("Z", 200)),
			"GET\x00 k", "PING"),
		tc("unknown subcommand",
			"OBJECT foo", "OBJECT foo bar", "CONFIG foo", "CLIENT nosuch", "COMMAND nosuch",
			"OBJECT", "CONFIG", "COMMAND INFOX"),
		tc("subcommand arity",
			"OBJECT ENCODING", "OBJECT ENCODING a b", "OBJECT FREQ", "OBJECT IDLETIME", "OBJECT REFCOUNT",
			"CONFIG GET", "CONFIG SET maxmemory", "CONFIG SET", "COMMAND GETKEYS", "COMMAND COUNT x",
			"CLIENT GETNAME x", "CLIENT SETNAME"),
		tc("time", cmd("TIME").timeReply(), "TIME x"),
		tc("command count", cmd("COMMAND COUNT").shape()),
		tc("command info",
			"COMMAND INFO get", "COMMAND INFO set", "COMMAND INFO GET SET", "COMMAND INFO nosuch",
			"COMMAND INFO get nosuch incr", "COMMAND INFO getex", "COMMAND INFO mset", "COMMAND INFO del",
			"COMMAND INFO expire", "COMMAND INFO lcs", "COMMAND INFO ping", "COMMAND INFO object|encoding",
			"COMMAND INFO config|get"),
		tc("command getkeys",
			"COMMAND GETKEYS GET a", "COMMAND GETKEYS SET a b", "COMMAND GETKEYS set a b EX 10",
			"COMMAND GETKEYS MSET a 1 b 2", "COMMAND GETKEYS MSET a 1 b", "COMMAND GETKEYS MGET a b c",
			"COMMAND GETKEYS DEL a b", "COMMAND GETKEYS RENAME a b", "COMMAND GETKEYS COPY a b DB 1",
			"COMMAND GETKEYS LCS a b", "COMMAND GETKEYS PING", "COMMAND GETKEYS GET",
			"COMMAND GETKEYS nosuch a", "COMMAND GETKEYS SET", "COMMAND GETKEYS OBJECT ENCODING k",
			"COMMAND GETKEYS SCAN 0"),
		tc("command getkeys eval", `COMMAND GETKEYS EVAL "return 1" 2 a b`, `COMMAND GETKEYS EVAL "return 1" 0`,
			`COMMAND GETKEYS EVAL "return 1" 3 a b`).need("eval"),
		tc("config get",
			"CONFIG GET maxmemory", "CONFIG GET maxmemory-policy", "CONFIG GET databases",
			"CONFIG GET appendonly", "CONFIG GET timeout", "CONFIG GET nosuch", "CONFIG GET MAXMEMORY",
			cmd("CONFIG GET maxmemory*").unorderedPairs(), cmd("CONFIG GET maxmemory databases").unorderedPairs(),
			cmd("CONFIG GET maxmemory maxmemory").unorderedPairs(), "CONFIG GET proto-max-bulk-len",
			"CONFIG GET hz", "CONFIG GET lfu-log-factor", "CONFIG GET notify-keyspace-events"),
		tc("config set",
			"CONFIG SET maxmemory abc", "CONFIG SET maxmemory -1", "CONFIG SET nosuch 1", "CONFIG SET databases 5",
			"CONFIG SET maxmemory-policy nosuch", "CONFIG SET timeout -1", "CONFIG SET timeout abc",
			"CONFIG SET appendonly maybe", "CONFIG SET maxmemory 10 maxmemory 20", "CONFIG SET maxmemory 10 nosuch 1",
			"CONFIG SET hz abc", "CONFIG GET maxmemory",
			"CONFIG SET maxmemory 100mb", "CONFIG GET maxmemory", "CONFIG SET maxmemory 1GB", "CONFIG GET maxmemory",
			"CONFIG SET maxmemory 0", "CONFIG GET maxmemory",
			"CONFIG SET maxmemory-policy ALLKEYS-LRU", "CONFIG GET maxmemory-policy",
			"CONFIG SET maxmemory-policy noeviction", "CONFIG GET maxmemory-policy"),
		tc("object encoding",
			"SET i 123", "OBJECT ENCODING i", "SET n -5", "OBJECT ENCODING n",
			"SET e abc", "OBJECT ENCODING e", cmdArgs("SET", "e44", strings.Repeat("e", 44)), "OBJECT ENCODING e44",
			cmdArgs("SET", "r45", strings.Repeat("r", 45)), "OBJECT ENCODING r45",
			"SET big 12345678901234567890", "OBJECT ENCODING big", "SET neg0 -0", "OBJECT ENCODING neg0",
			"SET lead 007", "OBJECT ENCODING lead", "SET f 1.5", "OBJECT ENCODING f",
			"OBJECT ENCODING nokey", "object encoding i", "OBJECT encoding e"),
		tc("info keyspace", "INFO keyspace", "SET a 1", "SET b 2 EX 1000", "SELECT 2", "SET c 3",
			cmd("INFO keyspace").masked(avgTTL), cmd("INFO KEYSPACE").masked(avgTTL), "INFO nosuchsection"),
		tc("info server", cmd("INFO").contains("# Server\r\n", "redis_version:7.0.15\r\n", "# Keyspace\r\n"),
			cmd("INFO server").contains("# Server\r\n", "redis_version:7.0.15\r\n", "redis_mode:standalone\r\n")),
		tc("quit", "PING", cmd("QUIT").thenClosed()),
		tc("inline commands",
			rawStep("PING\r\n", 1), rawStep("ping hello\r\n", 1), rawStep("ECHO hi\r\n", 1),
			rawStep("SET \"a b\" 'c d'\r\n", 1), rawStep("GET \"a b\"\r\n", 1), rawStep("GET \"\\x41\\n\"\r\n", 1),
			rawStep("\r\nPING\r\n", 1), rawStep("\nPING\n", 1), rawStep("   \r\nPING\r\n", 1),
			rawStep("SET k v\r\nGET k\r\nDEL k\r\n", 3), rawStep("FOO bar\r\n", 1), rawStep("$3\r\n", 1),
			rawStep("*0\r\nPING\r\n", 1), rawStep("*-1\r\nPING\r\n", 1)),
		tc("pipelined commands",
			rawStep("*1\r\n$4\r\nPING\r\n*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n*2\r\n$3\r\nGET\r\n$1\r\nk\r\n", 3),
			rawStep("*2\r\n$3\r\nGET\r\n$1\r\nk\r\nPING\r\n*1\r\n$4\r\nPING\r\n", 3),
			rawStep("*1\r\n$0\r\n\r\n", 1)),
		tc("inline unbalanced quotes", rawStep("SET \"a b\r\n", 1).thenClosed()),
		tc("protocol error bulk length", rawStep("*1\r\n$abc\r\n", 1).thenClosed()),
		tc("protocol error negative bulk length", rawStep("*1\r\n$-5\r\n", 1).thenClosed()),
		tc("protocol error huge bulk length", rawStep("*1\r\n$536870913\r\n", 1).thenClosed()),
		tc("protocol error multibulk length", rawStep("*abc\r\n", 1).thenClosed()),
		tc("protocol error huge multibulk length", rawStep("*2147483648\r\n", 1).thenClosed()),
		tc("protocol error expected dollar", rawStep("*1\r\n+PING\r\n", 1).thenClosed()),
		tc("protocol error after a good command", rawStep("PING\r\n*1\r\n$x\r\n", 2).thenClosed()),
		tc("reset", "SELECT 2", "SET k v", cmd("HELLO 3").without("id"), "RESET", "GET k", "HELLO 3 AUTH"),
	}

	// DEBUG PROTOCOL exercises every reply type.
	for _, typ := range []string{"string", "integer", "double", "bignum", "null", "array", "set", "map",
		"attrib", "verbatim", "true", "false", "nosuch"} {
		cases = append(cases, tc("debug protocol "+typ, "DEBUG PROTOCOL "+typ))
	}
	cases = append(cases,
		tc("debug protocol push resp2", "DEBUG PROTOCOL push").proto2only(),
		tc("debug protocol push", cmd("DEBUG PROTOCOL push").frames(2), "PING").proto3(),
		tc("debug protocol arity", "DEBUG PROTOCOL", "DEBUG PROTOCOL a b"),
	)

	cases = append(cases, arityCases("arity",
		"GET", "GET a b", "SET a", "SETNX a", "SETNX a b c", "SETEX a 10", "PSETEX a 10", "GETSET a",
		"GETDEL", "GETDEL a b", "GETEX", "MGET", "MSET", "MSET a", "MSET a b c", "MSETNX", "MSETNX a",
		"MSETNX a b c", "INCR", "INCR a b", "DECR", "INCRBY a", "DECRBY a", "INCRBYFLOAT a",
		"INCRBYFLOAT a 1 2", "APPEND a", "STRLEN", "STRLEN a b", "GETRANGE a 0", "SUBSTR a 0",
		"SETRANGE a 0", "LCS a", "DEL", "UNLINK", "EXISTS", "TYPE", "TYPE a b", "RENAME a", "RENAMENX a",
		"KEYS", "KEYS a b", "SCAN", "RANDOMKEY x", "TOUCH", "COPY a", "MOVE a", "MOVE a 1 2", "SWAPDB 0",
		"SWAPDB 0 1 2", "EXPIRE a", "PEXPIRE a", "EXPIREAT a", "PEXPIREAT a", "TTL", "TTL a b", "PTTL",
		"EXPIRETIME", "PEXPIRETIME", "PERSIST", "PERSIST a b", "OBJECT", "DBSIZE 1", "AUTH", "ECHO",
		"SELECT", "get", "Set a", "FLUSHALL a b", "FLUSHDB a b")...)
	cases = append(cases, otherFamilyArity()...)
	return bothProtocols(cases)
}

func TestDiffConnection(t *testing.T) {
	t.Parallel()
	diff(t, connectionCases())
}

// TestDiffAuth runs both servers with requirepass.
func TestDiffAuth(t *testing.T) {
	t.Parallel()
	none := []string{}
	cases := []dcase{
		tc("noauth", "GET k", "SET k v", "PING", "SELECT 1", "DBSIZE", "FOO", "GET", "ECHO x",
			"HELLO 3", "HELLO 2", "HELLO").withPrelude(none...),
		tc("auth wrong then right", "AUTH wrong", "AUTH default wrong", "AUTH nouser secret", "AUTH a b c",
			"AUTH", "GET k", "AUTH secret", "GET k", "SET k v", "GET k", "AUTH wrong", "GET k",
			"AUTH default secret", "FLUSHALL").withPrelude(none...),
		tc("hello auth", "HELLO 3 AUTH default wrong", "HELLO 3 AUTH nouser secret", "GET k",
			cmd("HELLO 3 AUTH default secret").without("id"), "GET k", "HELLO 3 AUTH default",
			cmd("HELLO 2 AUTH default secret SETNAME c1").without("id"), "CLIENT GETNAME").withPrelude(none...),
		tc("hello auth resp2 error reply", "HELLO 2 AUTH default wrong", "HELLO 4 AUTH default secret",
			"GET k").withPrelude(none...),
		tc("quit unauthenticated", cmd("QUIT").thenClosed()).withPrelude(none...),
		tc("unauthenticated multibulk length", rawStep("*11\r\n", 1).thenClosed()).withPrelude(none...),
		tc("unauthenticated bulk length", rawStep("*2\r\n$16385\r\n", 1).thenClosed()).withPrelude(none...),
		tc("unauthenticated small lengths", rawStep("*10\r\n$4\r\nAUTH\r\n", 0), rawStep(strings.Repeat("$1\r\nx\r\n", 9), 1),
			rawStep("*2\r\n$4\r\nECHO\r\n$16384\r\n"+strings.Repeat("y", 16384)+"\r\n", 1)).withPrelude(none...),
		tc("authenticated lengths", "AUTH secret", rawStep("*11\r\n$4\r\nMGET\r\n"+strings.Repeat("$1\r\nk\r\n", 10), 1),
			rawStep("*2\r\n$4\r\nECHO\r\n$16385\r\n"+strings.Repeat("z", 16385)+"\r\n", 1)).withPrelude(none...),
	}
	diff(t, cases, opt("requirepass", "secret"))
}
