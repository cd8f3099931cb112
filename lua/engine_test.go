package lua

import (
	"reflect"
	"strings"
	"testing"

	"github.com/kioku-db/kioku/resp"
)

// echoHost answers every call with a fixed reply and records the
// arguments, so the engine is tested without a server.
type echoHost struct {
	reply string
	got   [][]byte
}

func (h *echoHost) Call(args [][]byte, proto int) []byte {
	h.got = args
	return []byte(h.reply)
}

func (h *echoHost) Log(level int, msg string) {}

func run(t *testing.T, e *Engine, h Host, body string, keys ...string) string {
	t.Helper()
	s, err := e.Load([]byte(body))
	if err != nil {
		return "-" + err.Error()
	}
	w := resp.NewWriter()
	var k [][]byte
	for _, key := range keys {
		k = append(k, []byte(key))
	}
	e.Run(s, h, k, nil, w)
	return string(w.Buffer())
}

func TestRunConversions(t *testing.T) {
	e := New()
	h := &echoHost{reply: "*3\r\n:1\r\n$-1\r\n+OK\r\n"}
	for body, want := range map[string]string{
		"return 1.9":                                              ":1\r\n",
		"return {1, 'a', false, nil, 2}":                          "*3\r\n:1\r\n$1\r\na\r\n$-1\r\n",
		"local r = redis.call('x'); return r[1]":                  ":1\r\n",
		"local r = redis.call('x'); return type(r[2]) .. r[3].ok": "$9\r\nbooleanOK\r\n",
		"return {err='boom'}":                                     "-boom\r\n",
		"return x":                                                "-ERR user_script:1: Script attempted to access nonexistent global variable 'x' script: 03c387736bb5cc009ff35151572cee04677aa374, on @user_script:1.\r\n",
	} {
		if got := run(t, e, h, body); got != want {
			t.Errorf("%s: got %q, want %q", body, got, want)
		}
	}
}

func TestCallArguments(t *testing.T) {
	e := New()
	h := &echoHost{reply: "+OK\r\n"}
	run(t, e, h, "return redis.call('set', KEYS[1], 0.1, 3)", "k")
	want := []string{"set", "k", "0.10000000000000001", "3"}
	if len(h.got) != len(want) {
		t.Fatalf("args %q, want %q", h.got, want)
	}
	for i := range want {
		if string(h.got[i]) != want[i] {
			t.Fatalf("args %q, want %q", h.got, want)
		}
	}
}

func TestFlushForgetsScripts(t *testing.T) {
	e := New()
	s, err := e.Load([]byte("return 1"))
	if err != nil {
		t.Fatal(err)
	}
	if e.Lookup(s.SHA) == nil {
		t.Fatal("loaded script not found")
	}
	e.Flush()
	if e.Lookup(s.SHA) != nil {
		t.Fatal("script survived Flush")
	}
}

// recordingHost answers +OK and keeps a copy of every call's arguments:
// the engine reuses their memory once Call returns.
type recordingHost struct{ calls [][]string }

func (h *recordingHost) Call(args [][]byte, proto int) []byte {
	var call []string
	for _, a := range args {
		call = append(call, string(a))
	}
	h.calls = append(h.calls, call)
	// An argument's capacity ends at its length: appending to one must
	// not overwrite the next.
	if len(args) > 1 {
		_ = append(args[0], "XXXXXXXX"...)
		if string(args[1]) != call[1] {
			panic("append to an argument overwrote the next one")
		}
	}
	return []byte("+OK\r\n")
}

func (h *recordingHost) Log(level int, msg string) {}

func TestCallArgumentsPerCall(t *testing.T) {
	e := New()
	h := &recordingHost{}
	got := run(t, e, h, `
redis.call('hset', KEYS[1], 'f', 1.5)
redis.call('expire', KEYS[1], 10)
local r = redis.call('get', string.rep('k', 300))
return r.ok`, "key")
	if got != "$2\r\nOK\r\n" {
		t.Fatalf("reply %q", got)
	}
	want := [][]string{{"hset", "key", "f", "1.5"}, {"expire", "key", "10"}, {"get", strings.Repeat("k", 300)}}
	if !reflect.DeepEqual(h.calls, want) {
		t.Fatalf("calls %q, want %q", h.calls, want)
	}
}

// TestStatusTablesAreDistinct: every reply is a table of its own, which
// the script may change.
func TestStatusTablesAreDistinct(t *testing.T) {
	e := New()
	h := &echoHost{reply: "+OK\r\n"}
	got := run(t, e, h, `
local a = redis.call('x')
local b = redis.call('x')
a.ok = 'changed'
return {a.ok, b.ok, tostring(a == b)}`)
	if want := "*3\r\n$7\r\nchanged\r\n$2\r\nOK\r\n$5\r\nfalse\r\n"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}
