package compat

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Keyspace notifications compared with real Redis. Each case has, per
// server, a subscriber (PSUBSCRIBE __key*__:* after CONFIG SET
// notify-keyspace-events) and an actor that runs the case's commands. After
// each command the actor publishes a marker on a channel the subscriber
// also listens to, and the subscriber reads everything up to the marker:
// the events that command caused, in order. Each command's reply and its
// events are compared exactly.
//
// Lines of a case: a command run by the actor; "&CMD" sends CMD from a
// third client without reading its reply (a blocking command), then waits
// for it to block; "&" reads that client's reply (and the events since the
// previous step); "sleep MS" waits, then collects the events meanwhile
// (expiry); "~CMD" runs CMD but compares only its events (a random reply).

// ncase is one keyspace-notification case.
type ncase struct {
	name   string
	events string   // notify-keyspace-events, "KEA" unless set
	setup  []string // run before notifications are enabled
	lines  []string
	resp3  bool // the subscriber speaks RESP3 (push frames)
}

func nc(name string, lines ...string) ncase { return ncase{name: name, events: "KEA", lines: lines} }

func (c ncase) flags(f string) ncase { c.events = f; return c }

func (c ncase) given(lines ...string) ncase { c.setup = lines; return c }

func (c ncase) subscriberResp3() ncase { c.resp3 = true; return c }

const notifyMarker = "__notify_case_marker__"

// notifySide is one server's three connections for a case.
type notifySide struct {
	name                        string
	sub, actor, blocker, marker *respConn
}

func openNotifySide(t *testing.T, tg *target, c ncase) *notifySide {
	t.Helper()
	s := &notifySide{name: tg.name}
	for _, p := range []**respConn{&s.sub, &s.actor, &s.blocker, &s.marker} {
		conn, err := dialResp(tg.addr)
		if err != nil {
			t.Fatalf("%s: %v", tg.name, err)
		}
		t.Cleanup(func() { conn.Close() })
		*p = conn
	}
	must := func(conn *respConn, args ...string) {
		if _, v, err := conn.do(args...); err != nil || v.kind == '-' {
			t.Fatalf("%s: setup %q: %v %v", tg.name, args, err, v)
		}
	}
	must(s.actor, "FLUSHALL")
	must(s.actor, "CONFIG", "SET", "notify-keyspace-events", "")
	for _, l := range c.setup {
		must(s.actor, mustSplit(l)...)
	}
	must(s.actor, "CONFIG", "SET", "notify-keyspace-events", c.events)
	if c.resp3 {
		must(s.sub, "HELLO", "3")
	}
	must(s.sub, "PSUBSCRIBE", "__key*__:*")
	must(s.sub, "SUBSCRIBE", notifyMarker)
	return s
}

func mustSplit(line string) []string {
	args, err := splitArgs(line)
	if err != nil {
		panic(err)
	}
	return args
}

// step runs one line and returns what it produced: the reply, if any,
// then the events, one per line.
func (s *notifySide) step(i int, line string) (string, error) {
	var out strings.Builder
	switch {
	case strings.HasPrefix(line, "sleep "):
		ms, _ := strconv.Atoi(strings.TrimPrefix(line, "sleep "))
		time.Sleep(time.Duration(ms) * time.Millisecond)
	case line == "&":
		_, v, err := s.blocker.read()
		if err != nil {
			return "", fmt.Errorf("blocked client's reply: %w", err)
		}
		fmt.Fprintf(&out, "reply %s\n", format(v))
	case strings.HasPrefix(line, "&"):
		if err := s.blocker.send(mustSplit(line[1:])...); err != nil {
			return "", err
		}
		// Time for the command to block (or to answer at once).
		time.Sleep(100 * time.Millisecond)
	case strings.HasPrefix(line, "~"):
		if _, _, err := s.actor.do(mustSplit(line[1:])...); err != nil {
			return "", err
		}
	default:
		_, v, err := s.actor.do(mustSplit(line)...)
		if err != nil {
			return "", err
		}
		fmt.Fprintf(&out, "reply %s\n", format(v))
	}
	events, err := s.eventsUntilMarker(i)
	out.WriteString(events)
	return out.String(), err
}

// eventsUntilMarker publishes marker i (from a connection of its own: the
// actor may be inside MULTI) and reads the subscriber's messages up to it.
func (s *notifySide) eventsUntilMarker(i int) (string, error) {
	marker := strconv.Itoa(i)
	if _, _, err := s.marker.do("PUBLISH", notifyMarker, marker); err != nil {
		return "", err
	}
	var out strings.Builder
	for {
		_, v, err := s.sub.read()
		if err != nil {
			return out.String(), fmt.Errorf("subscriber: %w", err)
		}
		if len(v.elems) == 3 && v.elems[1].str == notifyMarker && v.elems[2].str == marker {
			return out.String(), nil
		}
		fmt.Fprintf(&out, "event %s\n", format(v))
	}
}

func runNotifyCases(t *testing.T, cases []ncase) {
	t.Helper()
	ref, sut := startPair(t)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := openNotifySide(t, ref, c)
			g := openNotifySide(t, sut, c)
			for i, line := range c.lines {
				want, err := r.step(i, line)
				if err != nil {
					t.Fatalf("step %d %q: %s: %v", i+1, line, ref.name, err)
				}
				got, err := g.step(i, line)
				if err != nil {
					t.Fatalf("step %d %q: %s: %v\n%s", i+1, line, sut.name, err, got)
				}
				if want != got {
					t.Errorf("step %d %q:\n%s:\n%s%s:\n%s", i+1, line, ref.name, want, sut.name, got)
				}
			}
		})
	}
}

func TestDiffNotify(t *testing.T) {
	var cases []ncase
	for _, group := range [][]ncase{
		notifyStringCases(), notifyKeysCases(), notifyHashCases(),
		notifyListCases(), notifySetCases(), notifyZSetCases(), notifyTxCases(),
		notifyClassCases(), notifyExpiryCases(), notifyNewCases(),
	} {
		cases = append(cases, group...)
	}
	runNotifyCases(t, cases)
}

func notifyStringCases() []ncase {
	return []ncase{
		nc("set variants",
			"SET k v", "SET k v2", "SET k v3 EX 100", "SET k v4 PX 100000", "SET k v5 KEEPTTL",
			"SET k v6 EXAT 9999999999", "SET k v7 PXAT 9999999999000", "SET k v NX", "SET n v XX",
			"SET k v8 XX GET", "SET k2 v NX GET", "SET k 1 EX 0", "SET k 1 EX abc", "SET k v GET EX 50"),
		nc("setnx setex psetex getset",
			"SETNX a 1", "SETNX a 2", "SETEX b 100 v", "SETEX b 0 v", "PSETEX c 100000 v",
			"GETSET a 3", "GETSET z 3", "GETSET k"),
		nc("mset msetnx", "MSET a 1 b 2 a 3", "MSETNX a 1 c 2", "MSETNX c 1 d 2 c 3", "MSET x"),
		nc("incr decr family",
			"INCR i", "INCRBY i 5", "DECR i", "DECRBY i 3", "INCRBY i -1", "INCRBYFLOAT f 1.5",
			"INCRBYFLOAT f -0.5", "SET s abc", "INCR s", "INCRBYFLOAT s 1", "INCRBY i abc"),
		nc("append setrange",
			"APPEND a x", "APPEND a y", "SETRANGE b 3 x", "SETRANGE b 0 y", "SETRANGE c 0 \"\"",
			"SETRANGE b 0 \"\"", "SETRANGE a -1 x"),
		nc("getdel getex reads",
			"SET a 1", "GETDEL a", "GETDEL a", "SET b 1", "GETEX b", "GETEX b EX 100", "GETEX b PX 1000000",
			"GETEX b EXAT 9999999999", "GETEX b PERSIST", "GETEX b PERSIST", "GETEX nokey EX 10",
			"GET b", "GET nokey", "MGET b nokey", "STRLEN b", "GETRANGE b 0 -1", "LCS b nokey",
			"SUBSTR b 0 1", "GETEX b EX 0").flags("KEAm"),
		nc("wrong type writes", "LPUSH l a", "SET l x NX", "APPEND l x", "INCR l", "GETDEL l", "GETEX l EX 10"),
	}
}

func notifyKeysCases() []ncase {
	return []ncase{
		nc("del unlink exists touch",
			"SET a 1", "SET b 1", "DEL a b c", "DEL a", "SET a 1", "UNLINK a nokey", "SET t 1",
			"EXISTS t nokey", "TOUCH t nokey", "TYPE t", "TYPE nokey").flags("KEAm"),
		nc("expire family",
			"SET a 1", "EXPIRE a 100", "PEXPIRE a 100000", "EXPIREAT a 9999999999", "PEXPIREAT a 9999999999000",
			"EXPIRE a 100 NX", "EXPIRE a 200 XX", "EXPIRE a 50 GT", "EXPIRE a 50 LT", "EXPIRE nokey 10",
			"TTL a", "PTTL nokey", "EXPIRETIME a", "PEXPIRETIME nokey", "PERSIST a", "PERSIST a", "PERSIST nokey",
			"EXPIRE a 0", "SET b 1", "PEXPIRE b -5", "SET c 1", "EXPIREAT c 1"),
		nc("rename",
			"SET a 1", "RENAME a b", "RENAME b b", "RENAME nokey x", "SET c 1", "RENAME b c",
			"RENAMENX c d", "SET e 1", "RENAMENX d e", "RENAMENX d d", "SET f 1 EX 100", "RENAME f g", "TTL g"),
		nc("move copy",
			"SET a 1", "MOVE a 1", "MOVE a 1", "SET a 2", "SELECT 1", "MOVE a 0", "SELECT 0", "MOVE a 1",
			"SET s 1", "COPY s d", "COPY s d", "COPY s d REPLACE", "COPY s s2 DB 1", "COPY s s2 DB 1 REPLACE",
			"COPY nokey d", "HSET h f v", "COPY h h2", "SELECT 1", "SET m 1", "MOVE m 0", "SELECT 0"),
		nc("flush swapdb select randomkey keys scan",
			"SET a 1", "SELECT 1", "SET b 1", "SELECT 0", "SWAPDB 0 1", "FLUSHDB", "SET c 1",
			"FLUSHALL", "SET c 1", "RANDOMKEY", "KEYS *", "SCAN 0", "DBSIZE", "OBJECT ENCODING c",
			"OBJECT ENCODING nokey", "OBJECT FREQ nokey").flags("KEAm"),
	}
}

func notifyHashCases() []ncase {
	return []ncase{
		nc("hash writes",
			"HSET h a 1 b 2", "HSET h a 1", "HMSET h c 3", "HSETNX h a 1", "HSETNX h d 4",
			"HINCRBY h n 5", "HINCRBYFLOAT h f 1.5", "HINCRBY h a x", "HDEL h a zz", "HDEL h zz",
			"HDEL h b c d n f", "HDEL nokey a", "HSET h2 a 1", "HDEL h2 a"),
		nc("hash reads",
			"HSET h a 1", "HGET h a", "HGET nokey a", "HMGET nokey a", "HGETALL nokey", "HKEYS h",
			"HVALS nokey", "HLEN nokey", "HEXISTS nokey a", "HSTRLEN nokey a", "HSCAN nokey 0",
			"HRANDFIELD nokey", "HRANDFIELD h", "SET s 1", "HSET s a 1", "HGET s a").flags("KEAm"),
	}
}

func notifyListCases() []ncase {
	return []ncase{
		nc("push pop",
			"LPUSH l a b", "RPUSH l c", "LPUSHX l d", "RPUSHX l e", "LPUSHX nokey a", "RPUSHX nokey a",
			"LPOP l", "RPOP l", "LPOP l 2", "LPOP l 0", "LPOP l 5", "LPOP l", "RPOP nokey", "RPOP nokey 2",
			"RPUSH l2 a", "RPOP l2", "RPUSH l3 a b", "RPOP l3 5"),
		nc("list edits",
			"RPUSH l a b c a", "LINSERT l BEFORE b x", "LINSERT l AFTER zz y", "LINSERT nokey BEFORE a b",
			"LSET l 0 z", "LSET l 99 z", "LREM l 0 a", "LREM l 0 nothing", "LTRIM l 0 1", "LTRIM l 0 -1",
			"LTRIM l 5 10", "LTRIM nokey 0 1", "RPUSH m a", "LREM m 1 a"),
		nc("list reads",
			"RPUSH l a b", "LRANGE l 0 -1", "LRANGE nokey 0 -1", "LLEN nokey", "LINDEX nokey 0",
			"LPOS nokey a", "LPOS l b").flags("KEAm"),
		nc("lmove rpoplpush",
			"RPUSH a 1 2 3", "LMOVE a b LEFT RIGHT", "LMOVE a b RIGHT LEFT", "RPOPLPUSH a a",
			"RPOPLPUSH a c", "LMOVE nokey b LEFT LEFT", "RPUSH d 1", "LMOVE d d LEFT RIGHT",
			"LMOVE d e LEFT LEFT", "SET s x", "RPUSH f 1", "LMOVE f s LEFT LEFT"),
		nc("lmpop",
			"RPUSH a 1 2 3", "LMPOP 2 nokey a LEFT", "LMPOP 1 a RIGHT COUNT 5", "LMPOP 1 a LEFT"),
		nc("blocking commands answered at once",
			"RPUSH a 1 2", "BLPOP a 0", "BRPOP a 0", "RPUSH b 1 2", "BLMOVE b c LEFT RIGHT 0",
			"BRPOPLPUSH b c 0", "RPUSH d 1 2 3", "BLMPOP 0 1 d RIGHT COUNT 2", "BLMPOP 0 1 d LEFT COUNT 2",
			"BLPOP nokey 0.01"),
		nc("blocking commands served later",
			"&BLPOP q 0", "LPUSH q a b", "&", "&BRPOP q2 0", "RPUSH q2 a", "&",
			"&BLMOVE q3 dst LEFT RIGHT 0", "RPUSH q3 x y", "&", "&BRPOPLPUSH q4 dst 0", "LPUSH q4 z", "&",
			"&BLMPOP 0 2 q5 q6 LEFT COUNT 5", "RPUSH q6 a b", "&", "&BLPOP q7 0", "MULTI", "RPUSH q7 a",
			"RPUSH q7 b", "EXEC", "&", "&BLPOP q8 0", "RPUSH src a", "LMOVE src q8 LEFT LEFT", "&"),
	}
}

func notifySetCases() []ncase {
	return []ncase{
		nc("set writes",
			"SADD s a b c", "SADD s a", "SREM s a zz", "SREM s zz", "SREM nokey a", "SADD t x",
			"SREM t x", "SADD u 1 2 3", "SPOP u 0", "SPOP u 3", "SPOP u", "SADD v 1", "SPOP v", "SPOP nokey",
			"SADD w 1 2", "~SPOP w 1", "~SPOP w 5", "SADD x 1 2 3", "~SPOP x", "~SPOP x 1"),
		nc("smove",
			"SADD a 1 2", "SMOVE a b 1", "SMOVE a b 9", "SMOVE a b 2", "SADD b 3", "SMOVE b b 3",
			"SMOVE nokey b 1", "SADD c 1", "SMOVE c d 1"),
		nc("set stores",
			"SADD a 1 2 3", "SADD b 2 3 4", "SINTERSTORE d a b", "SUNIONSTORE d a b", "SDIFFSTORE d a b",
			"SINTERSTORE d a nokey", "SINTERSTORE d a nokey", "SUNIONSTORE e nokey", "SDIFFSTORE a a a",
			"SET str x", "SUNIONSTORE d a str", "SADD e 1", "SDIFFSTORE e nokey a"),
		nc("set reads",
			"SADD s 1", "SMEMBERS nokey", "SISMEMBER nokey a", "SMISMEMBER nokey a", "SCARD nokey",
			"SRANDMEMBER nokey", "SINTER s nokey", "SUNION nokey s", "SDIFF nokey s", "SINTERCARD 2 s nokey",
			"SSCAN nokey 0").flags("KEAm"),
	}
}

func notifyZSetCases() []ncase {
	return []ncase{
		nc("zset writes",
			"ZADD z 1 a 2 b 3 c", "ZADD z 1 a", "ZADD z XX 5 zz", "ZADD z INCR 1 a", "ZADD z NX INCR 1 a",
			"ZINCRBY z 2 b", "ZINCRBY z 0 b", "ZADD z GT 0 a", "ZREM z a zz", "ZREM z zz", "ZREM nokey a",
			"ZADD y 1 a", "ZREM y a", "ZADD w 1 a 2 b 3 c 4 d", "ZREMRANGEBYRANK w 0 0", "ZREMRANGEBYRANK w 9 10",
			"ZREMRANGEBYSCORE w 2 2", "ZREMRANGEBYSCORE w 100 200", "ZREMRANGEBYLEX w - +", "ZADD v 0 a 0 b",
			"ZREMRANGEBYLEX v [a [a", "ZREMRANGEBYRANK v 0 -1"),
		nc("zset pops",
			"ZADD z 1 a 2 b 3 c 4 d", "ZPOPMIN z", "ZPOPMAX z 0", "ZPOPMAX z", "ZPOPMIN z 5", "ZPOPMIN nokey",
			"ZADD a 1 x 2 y", "ZMPOP 2 nokey a MAX", "ZMPOP 1 a MIN COUNT 3", "ZADD b 1 x", "BZPOPMIN b 0",
			"ZADD c 1 x 2 y", "BZPOPMAX c 0", "BZMPOP 0 1 c MIN", "BZPOPMIN nokey 0.01"),
		nc("zset pops served later",
			"&BZPOPMIN q 0", "ZADD q 1 a 2 b", "&", "&BZPOPMAX q2 0", "ZADD q2 1 a", "&",
			"&BZMPOP 0 2 q3 q4 MAX COUNT 5", "ZADD q4 1 a 2 b", "&"),
		nc("zset stores",
			"ZADD a 1 x 2 y", "ZADD b 2 y 3 z", "ZUNIONSTORE d 2 a b", "ZINTERSTORE d 2 a b", "ZDIFFSTORE d 2 a b",
			"ZINTERSTORE d 2 a nokey", "ZINTERSTORE d 2 a nokey", "ZRANGESTORE e a 0 -1", "ZRANGESTORE e a 5 6",
			"ZRANGESTORE e a 5 6", "ZDIFFSTORE a a a"),
		nc("zset reads",
			"ZADD z 1 a", "ZRANGE nokey 0 -1", "ZSCORE nokey a", "ZCARD nokey", "ZRANK nokey a", "ZCOUNT nokey 0 1",
			"ZUNION 2 z nokey", "ZSCAN nokey 0", "ZRANDMEMBER nokey").flags("KEAm"),
	}
}

// Where keys are created ("new", class n): every way a key comes to be.
func notifyNewCases() []ncase {
	return []ncase{
		nc("new keys",
			"SET a 1", "SET a 2", "SETNX b 1", "MSET c 1 a 3", "INCR d", "APPEND e x", "SETRANGE f 1 x",
			"HSET h f v", "HSET h g v", "LPUSH l x", "RPUSHX nokey x", "SADD s m", "RENAME a a2", "SET a 1",
			"RENAME a a2", "MOVE b 1", "COPY c c2", "COPY c c2 REPLACE", "COPY c c3 DB 1", "LMOVE l l2 LEFT LEFT",
			"SMOVE s s2 m", "SADD t 1", "SINTERSTORE t2 t t", "SINTERSTORE t2 t t", "SUNIONSTORE t3 t",
			"SET x 1 EX 100", "GETSET y 1", "INCRBYFLOAT z 1", "HINCRBY h2 f 1", "PEXPIRE x 1", "sleep 20",
			"SET x 2").flags("KEAn").given("DEBUG SET-ACTIVE-EXPIRE 0"),
		nc("new sorted sets",
			"ZADD z 1 a", "ZADD z 2 b", "ZADD nz XX 1 a", "ZINCRBY z2 1 a", "ZUNIONSTORE z3 1 z", "ZUNIONSTORE z3 1 z",
			"ZRANGESTORE z4 z 0 0", "ZINTERSTORE z5 2 z nokey", "BZPOPMIN z 0").flags("KEAn"),
	}
}

func notifyTxCases() []ncase {
	return []ncase{
		nc("exec runs the events",
			"MULTI", "SET a 1", "LPUSH l x", "INCR a", "SADD s m", "DEL a l", "GET nokey", "EXEC"),
		nc("exec with a failing command",
			"SET a x", "MULTI", "INCR a", "SET b 1", "EXPIRE b 100", "EXEC"),
		nc("discard and aborted exec fire nothing",
			"MULTI", "SET a 1", "DISCARD", "MULTI", "SET a 1", "NOSUCH", "EXEC"),
		nc("watch dirty exec fires nothing",
			"SET w 1", "WATCH w", "SET w 2", "MULTI", "SET a 1", "EXEC"),
	}
}

// Every class letter alone and in some combinations, over one command of
// each family.
func notifyClassCases() []ncase {
	everything := []string{
		"SET s 1", "SET s 2 EX 100", "INCR n", "GET nokey", "LPUSH l a", "LPOP l", "SADD set a",
		"SREM set a", "HSET h f v", "HDEL h f", "DEL s", "SET e 1 PX 1", "sleep 50", "GET e",
		"RENAME n n2", "EXPIRE n2 100", "PERSIST n2",
	}
	var cases []ncase
	for _, f := range []string{"KA", "EA", "Kg", "E$", "Kl", "Ks", "Kh", "Kz", "Kx", "Ke", "Kt", "Km",
		"Kd", "Kn", "Em", "En", "KEA", "KEAm", "KEAn", "KEAmn", "g$", "A", "K", "E", "Kgx", "El$h", "KEs", ""} {
		cases = append(cases, nc("classes "+f, everything...).flags(f).given("DEBUG SET-ACTIVE-EXPIRE 0"))
	}
	cases = append(cases, nc("RESP3 subscriber", everything...).flags("KEAmn").
		given("DEBUG SET-ACTIVE-EXPIRE 0").subscriberResp3())
	return cases
}

func notifyExpiryCases() []ncase {
	return []ncase{
		nc("lazy expiry",
			"SET a 1 PX 20", "RPUSH l x", "PEXPIRE l 20", "SADD s m", "PEXPIRE s 20", "sleep 50",
			"GET a", "LPUSH l y", "SREM s m", "SET b 1 PX 1", "sleep 20", "SET b 2", "SET c 1 PX 1",
			"sleep 20", "EXISTS c").flags("KEAmn").given("DEBUG SET-ACTIVE-EXPIRE 0"),
		nc("active expiry of untouched keys",
			"SET a 1 PX 100", "sleep 1500").flags("KEA"),
		nc("active expiry of an untouched hash",
			"HSET h f v", "PEXPIRE h 100", "sleep 1500").flags("KEA"),
	}
}
