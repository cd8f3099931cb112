package lua

import (
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
