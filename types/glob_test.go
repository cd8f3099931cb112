package types

import (
	"bufio"
	"fmt"
	"io"
	"math/rand"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

type globCase struct {
	pattern, s string
	nocase     bool
	want       bool
}

// globCases were checked against redis-server 7.0.15 (KEYS with the
// pattern over a scratch keyspace, see TestGlobMatchAgainstRedis), which is
// why some entries document quirks rather than intuition.
var globCases = []globCase{
	{"", "", false, true},
	{"", "a", false, false},
	{"*", "", false, false}, // Redis: the empty string never enters the loop
	{"**", "", false, false},
	{"*", "anything", false, true},
	{"**", "x", false, true},
	{"a*", "a", false, true},
	{"a*", "abc", false, true},
	{"a**", "a", false, true},
	{"*a", "bca", false, true},
	{"*a", "bcab", false, false},
	{"a*b*c", "aXbYc", false, true},
	{"a*b*c", "aXbY", false, false},
	{"h?llo", "hello", false, true},
	{"h?llo", "hllo", false, false},
	{"?", "", false, false},
	{"??", "a", false, false},
	{"h[ae]llo", "hallo", false, true},
	{"h[ae]llo", "hillo", false, false},
	{"h[^e]llo", "hallo", false, true},
	{"h[^e]llo", "hello", false, false},
	{"h[a-b]llo", "hbllo", false, true},
	{"h[a-b]llo", "hcllo", false, false},
	{"h[b-a]llo", "hallo", false, true}, // reversed ranges are swapped
	{"[z-a]", "m", false, true},
	{"[a-]", "-", false, false},      // range from 'a' down to ']'
	{"[a-]", "^", false, true},       // ']'..'a' includes '^'
	{"[a-]]", "]", false, true},      // range ']'..'a', then literal ']'
	{"[]", "]", false, false},        // empty class then nothing left
	{"[]]", "]", false, false},       // "[]" is empty, then literal ']'
	{"[]a]", "a", false, false},      // "[]" is empty: no byte matches
	{"[^]a]", "x", false, false},     // "[^]" matches any, then "a]" left
	{"[^]a]", "xa]", false, true},    // same, consuming all
	{"[abc", "a", false, true},       // unterminated: set runs to the end
	{"[abc", "d", false, false},      //
	{"[abc", "ab", false, false},     // the class eats the whole pattern
	{"x[", "xa", false, false},       // empty unterminated class
	{"[^", "a", false, true},         // negated empty class
	{"[\\]]", "]", false, true},      // escaped ']' inside a class
	{"[\\-a]", "-", false, true},     //
	{"[\\", "\\", false, true},       // lone backslash at the end is literal
	{"\\*", "*", false, true},        //
	{"\\*", "a", false, false},       //
	{"\\", "\\", false, true},        // trailing backslash is literal
	{"a\\", "a\\", false, true},      //
	{"\\?x", "?x", false, true},      //
	{"*\\*", "ab*", false, true},     //
	{"HeLLo", "hello", true, true},   //
	{"HeLLo", "hello", false, false}, //
	{"[A-C]x", "bx", true, true},     //
	{"[a-c]x", "BX", true, true},     //
	{"[\\A]", "a", true, false},      // escaped bytes ignore nocase
	{"[A]", "a", true, true},         //
	{"\\A", "a", true, true},         // outside brackets nocase applies
	{"[^a-c]", "B", true, false},     //
	{"\xc3\xa9*", "\xc3\xa9t\xc3\xa9", false, true},
	{"[\x80-\xff]", "\x90", false, true}, // signed-char ranges
	{"[a-\xff]", "\x90", false, false},   // 'a'..-1 as signed chars: swapped, misses 0x90
	{"[a-\xff]", "\xff", false, true},    //
	{"[a-\xff]", "0", false, true},       // -1..'a' includes '0'
	{"*a*a*a*a*a*a*a*a*a*a*b", strings.Repeat("a", 60), false, false},
	{strings.Repeat("*a", 1000), strings.Repeat("a", 1000), false, true},
	{strings.Repeat("*a", 1001), strings.Repeat("a", 1001), false, false}, // nesting guard
}

func TestGlobMatchTable(t *testing.T) {
	for _, c := range globCases {
		if got := GlobMatch(c.pattern, c.s, c.nocase); got != c.want {
			t.Errorf("GlobMatch(%q, %q, %v) = %v, want %v", short(c.pattern), short(c.s), c.nocase, got, c.want)
		}
	}
}

func short(s string) string {
	if len(s) > 40 {
		return s[:20] + "..." + strconv.Itoa(len(s))
	}
	return s
}

// TestGlobMatchNoBlowup guards against exponential backtracking: each of
// these takes microseconds with the skip rule and years without it.
func TestGlobMatchNoBlowup(t *testing.T) {
	long := strings.Repeat("a", 20000)
	patterns := []string{
		"*a*a*a*a*a*a*b",
		strings.Repeat("*a", 200) + "b",
		strings.Repeat("*?", 300) + "b",
		strings.Repeat("*[a-z]", 300) + "x",
		strings.Repeat("a*", 500) + "b",
	}
	for _, p := range patterns {
		start := time.Now()
		if GlobMatch(p, long, false) {
			t.Errorf("pattern %q unexpectedly matched", short(p))
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("pattern %q took %v", short(p), d)
		}
	}
}

// naiveGlob is the matcher without the skip-longer rule and without the
// nesting guard: exponential, but the obvious reading of the semantics.
// The fuzz test checks that the fast version agrees with it.
func naiveGlob(p, s string, nocase bool) bool {
	for len(p) > 0 && len(s) > 0 {
		switch p[0] {
		case '*':
			for len(p) > 1 && p[1] == '*' {
				p = p[1:]
			}
			if len(p) == 1 {
				return true
			}
			for ; len(s) > 0; s = s[1:] {
				if naiveGlob(p[1:], s, nocase) {
					return true
				}
			}
			return false
		case '[':
			var ok bool
			if p, ok = matchClass(p[1:], s[0], nocase); !ok {
				return false
			}
		case '?':
			p = p[1:]
		default:
			if p[0] == '\\' && len(p) >= 2 {
				p = p[1:]
			}
			if !sameByte(p[0], s[0], nocase) {
				return false
			}
			p = p[1:]
		}
		s = s[1:]
		if len(s) == 0 {
			p = strings.TrimLeft(p, "*")
			break
		}
	}
	return len(p) == 0 && len(s) == 0
}

func FuzzGlobMatch(f *testing.F) {
	for _, c := range globCases {
		if len(c.pattern) < 64 && len(c.s) < 64 {
			f.Add(c.pattern, c.s, c.nocase)
		}
	}
	f.Add("*a*a*a*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false)
	f.Add("[[]*\\", "[x\\", true)
	f.Add("[^-\\]z-]", "-", false)
	f.Fuzz(func(t *testing.T, pattern, s string, nocase bool) {
		start := time.Now()
		got := GlobMatch(pattern, s, nocase)
		if d := time.Since(start); d > time.Second {
			t.Fatalf("GlobMatch(%q, %q) took %v", pattern, s, d)
		}
		// The naive matcher is exponential: only compare on small inputs,
		// where it is also below the nesting guard.
		if len(pattern) <= 16 && len(s) <= 16 {
			if want := naiveGlob(pattern, s, nocase); got != want {
				t.Fatalf("GlobMatch(%q, %q, %v) = %v, naive says %v", pattern, s, nocase, got, want)
			}
		}
	})
}

// TestGlobMatchAgainstRedis runs the table and a bounded batch of random
// patterns through KEYS on a scratch redis-server and compares the results
// key by key. It is skipped when no redis-server binary is installed.
func TestGlobMatchAgainstRedis(t *testing.T) {
	if testing.Short() {
		t.Skip("differential test against redis-server skipped in -short mode")
	}
	r := startRedis(t)

	// Table cases: one key per case, checked case-sensitively or not
	// according to the flag (KEYS is always case-sensitive, so nocase
	// cases are only compared through CONFIG-style folding below).
	for _, c := range globCases {
		if c.nocase || c.s == "" {
			continue
		}
		r.do(t, "FLUSHALL")
		r.do(t, "SET", c.s, "1")
		got := r.do(t, "KEYS", c.pattern).([]any)
		if redisMatched := len(got) == 1; redisMatched != c.want {
			t.Errorf("redis KEYS %q over %q = %v, table says %v", short(c.pattern), short(c.s), redisMatched, c.want)
		}
	}

	// Random differential: a small alphabet dense in special characters
	// so brackets, ranges, escapes and stars interact.
	rng := rand.New(rand.NewSource(7))
	const alphabet = "ab*?[]^-\\A\x80\xff"
	randString := func(max int) string {
		n := 1 + rng.Intn(max)
		b := make([]byte, n)
		for i := range b {
			b[i] = alphabet[rng.Intn(len(alphabet))]
		}
		return string(b)
	}
	r.do(t, "FLUSHALL")
	keys := map[string]bool{}
	for len(keys) < 150 {
		keys[randString(6)] = true
	}
	for k := range keys {
		r.do(t, "SET", k, "1")
	}
	for i := 0; i < 400; i++ {
		pat := randString(8)
		if pat == "*" { // KEYS short-circuits a lone "*" without matching
			continue
		}
		got := r.do(t, "KEYS", pat).([]any)
		redisSet := map[string]bool{}
		for _, k := range got {
			redisSet[k.(string)] = true
		}
		for k := range keys {
			if GlobMatch(pat, k, false) != redisSet[k] {
				t.Errorf("pattern %q key %q: GlobMatch=%v redis=%v", pat, k, !redisSet[k], redisSet[k])
			}
		}
	}
}

// --- a scratch redis-server and a minimal RESP2 client -----------------

type redisConn struct {
	c  net.Conn
	rd *bufio.Reader
}

func startRedis(t *testing.T) *redisConn {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Skip("redis-server not installed")
	}
	port := freePort(t)
	dir := t.TempDir()
	cmd := exec.Command(bin, "--port", strconv.Itoa(port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--dir", dir, "--loglevel", "warning")
	if err := cmd.Start(); err != nil {
		t.Fatalf("start redis-server: %v", err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	deadline := time.Now().Add(5 * time.Second)
	for {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			r := &redisConn{c: c, rd: bufio.NewReader(c)}
			t.Cleanup(func() { c.Close() })
			return r
		}
		if time.Now().After(deadline) {
			t.Fatalf("redis-server did not come up on %s: %v", addr, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// freePort asks the kernel for an unused loopback port.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func (r *redisConn) do(t *testing.T, args ...string) any {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	_ = r.c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := r.c.Write([]byte(b.String())); err != nil {
		t.Fatal(err)
	}
	v, err := readReply(r.rd)
	if err != nil {
		t.Fatal(err)
	}
	if e, ok := v.(error); ok {
		t.Fatalf("%v: %v", args, e)
	}
	return v
}

func readReply(rd *bufio.Reader) (any, error) {
	line, err := rd.ReadString('\n')
	if err != nil {
		return nil, err
	}
	line = strings.TrimSuffix(line, "\r\n")
	if line == "" {
		return nil, fmt.Errorf("empty reply line")
	}
	switch line[0] {
	case '+':
		return line[1:], nil
	case '-':
		return fmt.Errorf("%s", line[1:]), nil
	case ':':
		return strconv.ParseInt(line[1:], 10, 64)
	case '$':
		n, _ := strconv.Atoi(line[1:])
		if n < 0 {
			return nil, nil
		}
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(rd, buf); err != nil {
			return nil, err
		}
		return string(buf[:n]), nil
	case '*':
		n, _ := strconv.Atoi(line[1:])
		out := make([]any, 0, max(n, 0))
		for i := 0; i < n; i++ {
			v, err := readReply(rd)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	}
	return nil, fmt.Errorf("unexpected reply %q", line)
}
