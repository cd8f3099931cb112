package compat

import (
	"bufio"
	"reflect"
	"strings"
	"testing"
)

// The reader must know where one reply ends for every RESP2/RESP3 type,
// nested, with attributes folded into the reply they annotate.
func TestRespReaderFrames(t *testing.T) {
	t.Parallel()
	frames := []struct {
		raw, formatted string
	}{
		{"+OK\r\n", "+OK"},
		{"-ERR bad thing\r\n", "-ERR bad thing"},
		{":-42\r\n", ":-42"},
		{"$3\r\nfoo\r\n", `"foo"`},
		{"$0\r\n\r\n", `""`},
		{"$4\r\na\r\nb\r\n", `"a\r\nb"`},
		{"$-1\r\n", "$nil"},
		{"*-1\r\n", "*nil"},
		{"*0\r\n", "[]"},
		{"*2\r\n$1\r\na\r\n*2\r\n:1\r\n*1\r\n+x\r\n", `["a", [:1, [+x]]]`},
		{"_\r\n", "_null"},
		{",3.141\r\n", ",3.141"},
		{",inf\r\n", ",inf"},
		{"#t\r\n", "#t"},
		{"(3492890328409238509324850943850943825024385\r\n", "(3492890328409238509324850943850943825024385"},
		{"!21\r\nSYNTAX invalid syntax\r\n", `!"SYNTAX invalid syntax"`},
		{"=15\r\ntxt:Some string\r\n", `="txt:Some string"`},
		{"%2\r\n+a\r\n:1\r\n+b\r\n~1\r\n:2\r\n", "%{+a: :1, +b: ~{:2}}"},
		{"~2\r\n+a\r\n_\r\n", "~{+a, _null}"},
		{">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$1\r\nx\r\n", `>["message", "ch", "x"]`},
		{"|1\r\n+key-popularity\r\n%1\r\n$1\r\na\r\n,0.19\r\n*1\r\n:2\r\n", `|%{+key-popularity: %{"a": ,0.19}} [:2]`},
		{"*1\r\n|1\r\n+ttl\r\n:3\r\n$1\r\nv\r\n", `[|%{+ttl: :3} "v"]`},
		{"$?\r\n;4\r\nHell\r\n;2\r\no!\r\n;0\r\n", `"Hello!"`},
		{"*?\r\n:1\r\n$1\r\na\r\n.\r\n", `[:1, "a"]`},
		{"%?\r\n+a\r\n:1\r\n.\r\n", "%{+a: :1}"},
	}
	var all strings.Builder
	for _, f := range frames {
		all.WriteString(f.raw)
	}
	all.WriteString("+trailing\r\n")
	rr := &respReader{r: bufio.NewReader(strings.NewReader(all.String()))}
	for _, f := range frames {
		raw, v, err := rr.readReply()
		if err != nil {
			t.Fatalf("%q: %v", f.raw, err)
		}
		if string(raw) != f.raw {
			t.Errorf("raw: got %q, want %q", raw, f.raw)
		}
		if got := format(v); got != f.formatted {
			t.Errorf("%q formatted as %s, want %s", f.raw, got, f.formatted)
		}
		if !strings.Contains(f.raw, "?") {
			if enc := string(encode(v)); enc != f.raw {
				t.Errorf("%q re-encoded as %q", f.raw, enc)
			}
		}
	}
	if _, v, err := rr.readReply(); err != nil || v.str != "trailing" {
		t.Fatalf("reader consumed past the last frame: %v %v", v, err)
	}
}

func TestRespReaderRejectsMalformed(t *testing.T) {
	t.Parallel()
	for _, raw := range []string{
		"?x\r\n", "+OK\n", ":abc\r\n", "$5\r\nabc\r\n", "$3\r\nabcd\r\n", "*1\r\n", "#x\r\n",
		"$-2\r\n", "%-1\r\n", "*99999999999\r\n", "\r\n", "=3\r\nabc\r\n",
	} {
		rr := &respReader{r: bufio.NewReader(strings.NewReader(raw))}
		if _, v, err := rr.readReply(); err == nil {
			t.Errorf("%q parsed as %s", raw, format(v))
		}
	}
}

func TestSplitArgs(t *testing.T) {
	t.Parallel()
	cases := map[string][]string{
		`SET k v`:                  {"SET", "k", "v"},
		`  SET   k  `:              {"SET", "k"},
		`SET "" "a b"`:             {"SET", "", "a b"},
		`SET "\x00\xff\n\r\t\"\\"`: {"SET", "\x00\xff\n\r\t\"\\"},
		`SET 'it\'s' '\x00'`:       {"SET", "it's", `\x00`},
		`KEYS h\*llo`:              {"KEYS", `h\*llo`},
	}
	for line, want := range cases {
		got, err := splitArgs(line)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("splitArgs(%s) = %q, %v; want %q", line, got, err, want)
		}
	}
	for _, bad := range []string{`SET "abc`, `SET "a"b`, `SET 'a`, `SET "\xZZ"`} {
		if got, err := splitArgs(bad); err == nil {
			t.Errorf("splitArgs(%s) = %q, want error", bad, got)
		}
	}
}

func bufioReader(s string) *bufio.Reader { return bufio.NewReader(strings.NewReader(s)) }
