package compat

import (
	"context"
	"encoding/binary"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/kioku-db/kioku/persistence"
)

// DUMP and RESTORE against redis-server: payloads compared byte for byte
// where Redis's encoding is deterministic (strings, intsets, listpacks,
// lists filled from the tail, streams without consumers), RESTORE's
// errors and options, and every type and encoding carried from one server
// to the other in both directions.

// sealedPayload adds the RDB version and the CRC64 to a payload body, as
// DUMP does, so that RESTORE looks at the body.
func sealedPayload(body string, version uint16) string {
	p := binary.LittleEndian.AppendUint16([]byte(body), version)
	return string(binary.LittleEndian.AppendUint64(p, persistence.CRC64(0, p)))
}

// helloPayload is Redis's DUMP of the string "hello".
const helloPayload = "\x00\x05hello\n\x00cr\xdfve4 \n"

func dumpCases() []dcase {
	strs := []string{"hello", "", "0", "-1", "127", "128", "-129", "32767", "32768", "-32769", "2147483647",
		"2147483648", "-2147483648", "-2147483649", "12345678901", "007", "-0", "+5", "3.14", "\x00\xff\r\n",
		strings.Repeat("a", 20), strings.Repeat("a", 21), strings.Repeat("abc", 100), strings.Repeat("hello world ", 2000),
		"the quick brown fox jumps over the lazy dog the quick brown fox"}
	var setStrs, dumpStrs []step
	for i, s := range strs {
		setStrs = append(setStrs, cmdArgs("SET", fmt.Sprint("s", i), s))
		dumpStrs = append(dumpStrs, cmdArgs("DUMP", fmt.Sprint("s", i)))
	}
	var bigList []step
	for i := 0; i < 1000; i += 100 {
		args := []string{"RPUSH", "biglist"}
		for j := i; j < i+100; j++ {
			args = append(args, fmt.Sprint("element-", j))
		}
		bigList = append(bigList, cmdArgs(args...))
	}
	var sizedList []step
	for _, n := range []int{10, 63, 64, 200, 4000, 4096, 9000} {
		sizedList = append(sizedList, cmdArgs("RPUSH", "sized", strings.Repeat("x", n)), cmdArgs("RPUSH", "sized", fmt.Sprint(n)))
	}
	var bigHash []step
	for i := 0; i < 100; i++ {
		bigHash = append(bigHash, cmd(fmt.Sprintf("HSET h f%d %d", i, i*1000-50000)))
	}
	badType := sealedPayload("\x08\x01a", 10)
	badBody := sealedPayload("\x00\x05hel", 10)
	newer := sealedPayload("\x00\x05hello", 11)
	older := sealedPayload("\x00\x05hello", 9)
	emptyList := sealedPayload("\x12\x00", 10)
	badListpack := sealedPayload("\x10\x0a\x0a\x00\x00\x00\x01\x00\x81a\x02\xfe", 10)
	return []dcase{
		tc("dump strings", setStrs, dumpStrs, "DUMP nokey", "SET n 5", "INCR n", "DUMP n", "APPEND r abc", "DUMP r",
			"SET f 1.5", "INCRBYFLOAT f 1", "DUMP f", cmdArgs("SET", "\x00", "v"), cmdArgs("DUMP", "\x00")),
		tc("dump intsets", "SADD a 1 2 3", "DUMP a", "SADD b -5 70000", "DUMP b", "SADD c 1 9223372036854775807 -9223372036854775808",
			"DUMP c", "SADD d 1 2 4294967296", "SREM d 4294967296", "DUMP d", "SADD e 0", "DUMP e"),
		tc("dump listpack hashes", "HSET h a 1 b hello c -5000 d 99999999999 e 3.5", "DUMP h", "HSET h a 2", "DUMP h",
			"HDEL h b", "DUMP h", "HSET h2 f "+strings.Repeat("v", 64), "DUMP h2", bigHash, "DUMP h",
			"HINCRBY counters x 5", "HINCRBYFLOAT counters y 1.5", "DUMP counters"),
		tc("dump listpack zsets", "ZADD z 0.1 a 1e17 b 1e20 c 3 d -2.5 e", "DUMP z", "ZADD z inf p -inf n", "DUMP z",
			"ZADD z2 4611686018427387904 a 4611686018427387905 b 9007199254740993 c 1.5e300 d 5e-324 e", "DUMP z2",
			"ZADD z3 0 a", "ZINCRBY z3 0.1 a", "DUMP z3", "ZADD z4 -0 a", "DUMP z4"),
		tc("dump lists", "RPUSH l a 1 -2 hello 100000 ''", "DUMP l", "LPUSH l2 x y z", "DUMP l2", "RPUSH l3 1 2 3",
			"LREM l3 0 2", "DUMP l3", bigList, "DUMP biglist", sizedList, "DUMP sized"),
		tc("dump streams", "XADD st 1-1 name a count 1", "XADD st 1-2 name b count 2", "XADD st 2-0 other x",
			"XADD st 3-0 name c count 3", "DUMP st", "XDEL st 1-2", "DUMP st", "XGROUP CREATE st g 0", "DUMP st",
			"XTRIM st MAXLEN 1", "DUMP st", "XDEL st 3-0", "DUMP st", "XADD st2 MAXLEN 0 5-5 f v", "DUMP st2"),
		tc("restore", "SET k v", "DUMP k", cmdArgs("RESTORE", "k", "0", helloPayload), cmdArgs("RESTORE", "k", "0", helloPayload, "REPLACE"),
			"GET k", "OBJECT ENCODING k", "TTL k", cmdArgs("RESTORE", "k2", "100000", helloPayload), cmd("PTTL k2").within(100),
			cmdArgs("RESTORE", "k3", "4102444800000", helloPayload, "ABSTTL"), "PEXPIRETIME k3",
			cmdArgs("RESTORE", "k4", "1", helloPayload, "ABSTTL"), "EXISTS k4",
			"SET k5 x", cmdArgs("RESTORE", "k5", "1", helloPayload, "ABSTTL", "REPLACE"), "EXISTS k5",
			cmdArgs("RESTORE", "k6", "0", helloPayload, "replace", "absttl"), "GET k6",
			cmdArgs("RESTORE", "k7", "0", older), "GET k7", "DBSIZE"),
		tc("restore errors", "SET k v",
			cmdArgs("RESTORE", "k", "0", helloPayload), cmdArgs("RESTORE", "k", "-1", helloPayload),
			cmdArgs("RESTORE", "n", "-1", helloPayload), cmdArgs("RESTORE", "n", "abc", helloPayload),
			cmdArgs("RESTORE", "n", "1.5", helloPayload), cmdArgs("RESTORE", "n", "0", "garbage"),
			cmdArgs("RESTORE", "n", "0", ""), cmdArgs("RESTORE", "n", "0", helloPayload[:len(helloPayload)-1]+"x"),
			cmdArgs("RESTORE", "n", "0", newer), cmdArgs("RESTORE", "n", "0", badType), cmdArgs("RESTORE", "n", "0", badBody),
			cmdArgs("RESTORE", "n", "0", emptyList), cmdArgs("RESTORE", "n", "0", badListpack),
			cmdArgs("RESTORE", "n", "0", helloPayload, "FOO"), cmdArgs("RESTORE", "n", "0", helloPayload, "IDLETIME"),
			cmdArgs("RESTORE", "n", "0", helloPayload, "IDLETIME", "-1"), cmdArgs("RESTORE", "n", "0", helloPayload, "IDLETIME", "x"),
			cmdArgs("RESTORE", "n", "0", helloPayload, "FREQ", "256"), cmdArgs("RESTORE", "n", "0", helloPayload, "FREQ", "-1"),
			cmdArgs("RESTORE", "n", "0", helloPayload, "FREQ", "1.5"), cmdArgs("RESTORE", "n", "0", helloPayload, "FREQ"),
			cmdArgs("RESTORE", "n", "0", helloPayload, "IDLETIME", "5", "FREQ", "5"),
			cmdArgs("RESTORE", "n", "0", helloPayload, "FREQ", "5", "IDLETIME", "5"),
			cmdArgs("RESTORE", "k", "-1", "garbage", "FOO"), cmdArgs("RESTORE", "k", "x", "garbage", "REPLACE"),
			"RESTORE n 0", "RESTORE n", "DUMP", "DUMP a b", "EXISTS n", "DBSIZE"),
		tc("restore idletime and freq", cmdArgs("RESTORE", "a", "0", helloPayload, "IDLETIME", "1000"),
			cmdArgs("RESTORE", "b", "0", helloPayload, "FREQ", "100"), cmdArgs("RESTORE", "c", "0", helloPayload, "IDLETIME", "0", "REPLACE"),
			cmdArgs("RESTORE", "d", "0", helloPayload, "FREQ", "0", "ABSTTL"), "GET a", "GET b", "DBSIZE"),
	}
}

func TestDiffDump(t *testing.T) {
	t.Parallel()
	diff(t, bothProtocols(dumpCases()))
}

// ---------------------------------------------------------------------------
// Every type and encoding, carried between the servers.

// dumpDataset fills a server with every type in every encoding, in
// several databases, with TTLs. Stream IDs are explicit, so both servers
// hold the same entries.
func dumpDataset() [][]string {
	c := [][]string{{"FLUSHALL"}}
	add := func(args ...string) { c = append(c, args) }
	add("SET", "s:plain", "hello")
	add("SET", "s:int", "12345")
	add("SET", "s:neg", "-7")
	add("SET", "s:bigint", "2147483648")
	add("SET", "s:float", "3.14")
	add("SET", "s:empty", "")
	add("SET", "s:lzf", strings.Repeat("abc", 300))
	add("SET", "s:big", strings.Repeat("hello world ", 20000))
	add("SET", "s:binary", "\x00\xff\r\n")
	add("SET", "s:ttl", "v", "PX", "100000000")
	add("APPEND", "s:raw", "abc")
	add("SET", "\x00binary\xffkey", "v")

	add("RPUSH", "l:small", "a", "1", "-2", "", "hello", "100000")
	for i := 0; i < 1000; i += 100 {
		args := []string{"RPUSH", "l:quicklist"}
		for j := i; j < i+100; j++ {
			args = append(args, fmt.Sprint("element-", j))
		}
		add(args...)
	}
	for i := 0; i < 300; i++ {
		add("LPUSH", "l:lpushed", fmt.Sprint("v", i))
	}
	for _, n := range []int{100, 5000, 10000, 20000} {
		add("RPUSH", "l:sized", strings.Repeat("x", n), strconv.Itoa(n))
	}

	add("SADD", "set:int16", "1", "2", "3", "-5")
	add("SADD", "set:int64", "1", "9223372036854775807")
	add("SADD", "set:strings", "a", "b", "c", "1")
	for i := 0; i < 600; i += 100 {
		args := []string{"SADD", "set:big"}
		for j := i; j < i+100; j++ {
			args = append(args, strconv.Itoa(j*3))
		}
		add(args...)
	}

	add("HSET", "h:listpack", "a", "1", "b", "two", "c", "-300", "d", "99999999999", "e", "")
	for i := 0; i < 600; i++ {
		add("HSET", "h:hashtable", fmt.Sprint("field:", i), strconv.Itoa(i))
	}
	add("HSET", "h:longvalue", "f", strings.Repeat("v", 100), "g", "1")

	add("ZADD", "z:listpack", "1", "a", "2.5", "b", "-3", "c", "1e20", "d", "inf", "e", "0.1", "f")
	for i := 0; i < 200; i++ {
		add("ZADD", "z:skiplist", strconv.FormatFloat(float64(i)/7, 'g', -1, 64), fmt.Sprint("member:", i))
	}
	add("ZADD", "z:longmember", "1", strings.Repeat("m", 100), "2", "short")

	add("XADD", "x:small", "1-1", "f", "v")
	for i := 1; i <= 250; i++ {
		f := []string{"name", fmt.Sprint("n", i), "count", strconv.Itoa(i)}
		if i%7 == 3 {
			f = []string{"other", "x"}
		}
		add(append([]string{"XADD", "x:groups", fmt.Sprintf("%d-%d", 1000+i/3, i)}, f...)...)
	}
	add("XDEL", "x:groups", "1000-1", "1000-2", "1005-17", "1083-250")
	add("XGROUP", "CREATE", "x:groups", "workers", "0")
	add("XREADGROUP", "GROUP", "workers", "alice", "COUNT", "5", "STREAMS", "x:groups", ">")
	add("XREADGROUP", "GROUP", "workers", "bob", "COUNT", "3", "STREAMS", "x:groups", ">")
	add("XCLAIM", "x:groups", "workers", "bob", "0", "1001-4")
	add("XACK", "x:groups", "workers", "1001-5")
	add("XGROUP", "CREATECONSUMER", "x:groups", "workers", "idle")
	add("XGROUP", "CREATE", "x:groups", "tail", "$")
	add("XGROUP", "CREATE", "x:groups", "counted", "1010-30", "ENTRIESREAD", "25")
	add("XADD", "x:emptied", "5-1", "f", "v")
	add("XDEL", "x:emptied", "5-1")
	add("XADD", "x:trimmed", "1-1", "a", "1")
	add("XADD", "x:trimmed", "2-1", "a", "2")
	add("XADD", "x:trimmed", "3-1", "a", "3")
	add("XTRIM", "x:trimmed", "MAXLEN", "1")

	add("SELECT", "1")
	add("SET", "db1:key", "one")
	add("HSET", "db1:hash", "f", "v")
	add("PEXPIRE", "db1:hash", "200000000")
	add("SELECT", "3")
	add("RPUSH", "db3:list", "x", "y")
	add("SADD", "db3:set", "a")
	add("SELECT", "0")
	return c
}

// datasetDBs are the databases dumpDataset writes.
var datasetDBs = []int{0, 1, 3}

func goRedisClient(t testing.TB, tg *target, db int) *redis.Client {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: tg.addr, Protocol: 2, DB: db, MaxRetries: -1, DisableIdentity: true})
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// fillDataset runs dumpDataset on a server, on one connection.
func fillDataset(t testing.TB, tg *target) {
	t.Helper()
	c, err := dialResp(tg.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, args := range dumpDataset() {
		_, v, err := c.do(args...)
		if err != nil || v.kind == '-' {
			t.Fatalf("%s: %q: %v %v", tg.name, args, err, v)
		}
	}
}

// keyContents renders a key's value from a server's replies: type, the
// absolute expire time, and the data, in order where the order is
// observable; with encoding, OBJECT ENCODING too.
func keyContents(t testing.TB, c *redis.Client, key string, encoding bool) string {
	t.Helper()
	ctx := context.Background()
	do := func(args ...any) any {
		v, err := c.Do(ctx, args...).Result()
		if err != nil && err != redis.Nil {
			t.Fatalf("%v: %v", args, err)
		}
		return v
	}
	typ := do("TYPE", key).(string)
	out := fmt.Sprintf("%s expire=%v", typ, do("PEXPIRETIME", key))
	enc := do("OBJECT", "ENCODING", key)
	if encoding {
		out += fmt.Sprintf(" encoding=%v", enc)
	}
	var v any
	switch typ {
	case "string":
		v = do("GET", key)
	case "list":
		v = do("LRANGE", key, 0, -1)
	case "set":
		m := do("SMEMBERS", key).([]any)
		slices.SortFunc(m, func(a, b any) int { return strings.Compare(a.(string), b.(string)) })
		v = m
	case "hash":
		flat := do("HGETALL", key).([]any)
		var pairs []string
		for i := 0; i+1 < len(flat); i += 2 {
			pairs = append(pairs, fmt.Sprintf("%q=%q", flat[i], flat[i+1]))
		}
		if enc != "listpack" {
			slices.Sort(pairs)
		}
		v = pairs
	case "zset":
		v = do("ZRANGE", key, 0, -1, "WITHSCORES")
	case "stream":
		v = do("XINFO", "STREAM", key, "FULL", "COUNT", 0)
	case "none":
		v = nil
	default:
		t.Fatalf("%q: type %s", key, typ)
	}
	return out + " " + quoteValue(v)
}

// quoteValue prints a reply with its strings quoted, so that binary data
// and empty strings stay visible.
func quoteValue(v any) string {
	switch x := v.(type) {
	case string:
		return strconv.Quote(x)
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = quoteValue(e)
		}
		return "[" + strings.Join(parts, " ") + "]"
	case []string:
		return "[" + strings.Join(x, " ") + "]"
	}
	return fmt.Sprint(v)
}

// datasetKeys lists the keys of a database of the dataset.
func datasetKeys(t testing.TB, c *redis.Client) []string {
	t.Helper()
	keys, err := c.Keys(context.Background(), "*").Result()
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(keys)
	return keys
}

// carry dumps every key of from and restores it into to under prefix+key,
// with the same expire time, and into from itself under prefix+key too.
func carry(t *testing.T, from, to *redis.Client, prefix string) {
	t.Helper()
	ctx := context.Background()
	for _, key := range datasetKeys(t, from) {
		if strings.HasPrefix(key, "<") {
			continue
		}
		payload, err := from.Dump(ctx, key).Result()
		if err != nil {
			t.Fatalf("DUMP %q: %v", key, err)
		}
		at, err := from.Do(ctx, "PEXPIRETIME", key).Int64()
		if err != nil {
			t.Fatal(err)
		}
		ttl := "0"
		if at > 0 {
			ttl = strconv.FormatInt(at, 10)
		}
		for _, c := range []*redis.Client{to, from} {
			if err := c.Do(ctx, "RESTORE", prefix+key, ttl, payload, "ABSTTL").Err(); err != nil {
				t.Fatalf("RESTORE %q: %v", key, err)
			}
		}
	}
}

// TestDumpRestoreBetweenServers carries every key from redis-server to
// Kioku and from Kioku to redis-server. The restored value holds the data
// of the original, and a payload restored on either server gives the
// same value in the same encoding.
func TestDumpRestoreBetweenServers(t *testing.T) {
	t.Parallel()
	ref, sut := startPair(t)
	fillDataset(t, ref)
	fillDataset(t, sut)
	for _, db := range datasetDBs {
		rc, kc := goRedisClient(t, ref, db), goRedisClient(t, sut, db)
		carry(t, rc, kc, "<from-redis>")
		carry(t, kc, rc, "<from-kioku>")
		t.Logf("db %d: %d keys carried each way", db, len(datasetKeys(t, rc))/3)
		for _, dir := range []struct {
			name       string
			orig, dest *redis.Client
			prefix     string
		}{{"redis to kioku", rc, kc, "<from-redis>"}, {"kioku to redis", kc, rc, "<from-kioku>"}} {
			for _, key := range datasetKeys(t, dir.orig) {
				if strings.HasPrefix(key, "<") {
					continue
				}
				want := keyContents(t, dir.orig, key, false)
				if got := keyContents(t, dir.dest, dir.prefix+key, false); got != want {
					t.Errorf("db %d %s %q:\norig     %.400s\nrestored %.400s", db, dir.name, key, want, got)
				}
				// The same payload restored on both servers.
				onOrig := keyContents(t, dir.orig, dir.prefix+key, true)
				if got := keyContents(t, dir.dest, dir.prefix+key, true); got != onOrig {
					t.Errorf("db %d %s %q restored differently:\n%s %.400s\n%s %.400s", db, dir.name, key,
						"same server ", onOrig, "other server", got)
				}
			}
		}
	}
}
