package compat

import (
	"strings"
	"testing"
	"time"
)

// TestHarnessDetectsDifferences compares two real redis-servers that are
// configured differently: the harness must flag the replies that differ,
// with both replies in the message, and accept the ones that don't.
func TestHarnessDetectsDifferences(t *testing.T) {
	t.Parallel()
	a := startRedis(t)
	b := startRedis(t, opt("databases", "8"))
	b.name = "other"
	s := openSession(t, a, b)
	s.setup(t, "FLUSHALL")

	same := []step{cmd("PING"), cmd("SET k v"), cmd("GET k"), cmd("SET t v EX 100"), cmd("TTL t").within(1),
		cmd("CLIENT ID").shape(), scanAll("SCAN 0 COUNT 1"), cmd("KEYS *").sorted(), cmd("TIME").timeReply(),
		cmd("HELLO 2").without("id")}
	for _, st := range same {
		if ok, detail, _ := s.compare(st); !ok {
			t.Errorf("%s: unexpected mismatch: %s", quoteArgs(st.args), detail)
		}
	}
	differ := []struct {
		st   step
		want []string
	}{
		{cmd("SELECT 10"), []string{"SELECT 10", "redis: +OK", "other: -ERR DB index is out of range"}},
		{cmd("CONFIG GET databases"), []string{`"16"`, `"8"`, "byte for byte"}},
		{cmd("SELECT 0"), nil}, // same again
		{cmd("TTL t").within(0), []string{"integer within ±0"}},
		{cmd("GET k").shape(), nil},
		{cmd("GET k"), []string{"GET k", `redis: "v"`, `other: "other"`}},
	}
	// Make TTL t differ by a few seconds on one side.
	if _, _, err := s.sc.do("EXPIRE", "t", "90"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.sc.do("SET", "k", "other"); err != nil {
		t.Fatal(err)
	}
	for _, d := range differ {
		ok, detail, fatal := s.compare(d.st)
		if fatal {
			t.Fatalf("%s: connection failed: %s", quoteArgs(d.st.args), detail)
		}
		if d.want == nil {
			if !ok {
				t.Errorf("%s: unexpected mismatch: %s", quoteArgs(d.st.args), detail)
			}
			continue
		}
		if ok {
			t.Errorf("%s: difference not detected", quoteArgs(d.st.args))
			continue
		}
		for _, w := range d.want {
			if !strings.Contains(detail, w) {
				t.Errorf("%s: message lacks %q:\n%s", quoteArgs(d.st.args), w, detail)
			}
		}
	}
}

// TestHarnessBrokenConnection: a server that closes the connection is
// reported as such, not as a hang.
func TestHarnessBrokenConnection(t *testing.T) {
	t.Parallel()
	a := startRedis(t)
	b := startRedis(t)
	s := openSession(t, a, b)
	s.sc.timeout = 2 * time.Second
	if _, _, err := s.sc.do("CLIENT", "KILL", "SKIPME", "no"); err != nil {
		t.Fatal(err)
	}
	ok, detail, fatal := s.compare(cmd("PING"))
	if ok || !fatal {
		t.Fatalf("closed connection not reported: ok=%v fatal=%v %s", ok, fatal, detail)
	}
	if !strings.Contains(detail, "EOF") && !strings.Contains(detail, "reset") {
		t.Errorf("message does not say the connection ended: %s", detail)
	}
}

func TestMatchers(t *testing.T) {
	t.Parallel()
	parse := func(raw string) *value {
		rr := &respReader{r: bufioReader(raw)}
		_, v, err := rr.readReply()
		if err != nil {
			t.Fatalf("%q: %v", raw, err)
		}
		return v
	}
	cases := []struct {
		st       step
		ref, got string
		want     bool
	}{
		{cmd("X").within(1), ":100\r\n", ":99\r\n", true},
		{cmd("X").within(1), ":100\r\n", ":98\r\n", false},
		{cmd("X").within(1), "-ERR a\r\n", ":100\r\n", false},
		{cmd("X").within(1), "-ERR a\r\n", "-ERR a\r\n", true},
		{cmd("X").shape(), "$1\r\na\r\n", "$1\r\nb\r\n", true},
		{cmd("X").shape(), "$1\r\na\r\n", "$-1\r\n", false},
		{cmd("X").shape(), "-ERR a\r\n", "-ERR b\r\n", false},
		{cmd("X").sorted(), "*2\r\n$1\r\na\r\n$1\r\nb\r\n", "*2\r\n$1\r\nb\r\n$1\r\na\r\n", true},
		{cmd("X").sorted(), "*2\r\n$1\r\na\r\n$1\r\nb\r\n", "*2\r\n$1\r\nb\r\n$1\r\nb\r\n", false},
		{cmd("X").sorted(), "*1\r\n$1\r\na\r\n", "~1\r\n$1\r\na\r\n", false},
		{cmd("X").unorderedPairs(), "%2\r\n+a\r\n:1\r\n+b\r\n:2\r\n", "%2\r\n+b\r\n:2\r\n+a\r\n:1\r\n", true},
		{cmd("X").unorderedPairs(), "%2\r\n+a\r\n:1\r\n+b\r\n:2\r\n", "%2\r\n+b\r\n:1\r\n+a\r\n:2\r\n", false},
		{cmd("X").without("id"), "%2\r\n+id\r\n:1\r\n+v\r\n:2\r\n", "%2\r\n+id\r\n:7\r\n+v\r\n:2\r\n", true},
		{cmd("X").without("id"), "%2\r\n+id\r\n:1\r\n+v\r\n:2\r\n", "%2\r\n+id\r\n:1\r\n+v\r\n:3\r\n", false},
		{cmd("X").masked(avgTTL), "$10\r\navg_ttl=12\r\n", "$9\r\navg_ttl=0\r\n", true},
		{cmd("X").masked(avgTTL), "$10\r\navg_ttl=12\r\n", "$8\r\navg_tt=0\r\n", false},
		{cmd("X").timeReply(), "*2\r\n$10\r\n1700000000\r\n$1\r\n5\r\n", "*2\r\n$10\r\n1700000001\r\n$6\r\n999999\r\n", true},
		{cmd("X").timeReply(), "*2\r\n$10\r\n1700000000\r\n$1\r\n5\r\n", "*2\r\n$10\r\n1700000009\r\n$1\r\n5\r\n", false},
		{cmd("X").scanShape(), "*2\r\n$1\r\n0\r\n*0\r\n", "*2\r\n$2\r\n17\r\n*1\r\n$1\r\na\r\n", true},
		{cmd("X").scanShape(), "*2\r\n$1\r\n0\r\n*0\r\n", "*2\r\n:0\r\n*0\r\n", false},
	}
	for _, c := range cases {
		if got := c.st.m.match(parse(c.ref), parse(c.got)); got != c.want {
			t.Errorf("%s: %q vs %q = %v, want %v", c.st.m.name, c.ref, c.got, got, c.want)
		}
	}
}
