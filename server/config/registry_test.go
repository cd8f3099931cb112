package config

import (
	"errors"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestTableShape(t *testing.T) {
	visible, hiddenN, aliases := 0, 0, 0
	for _, p := range params {
		if p.has(hidden) {
			hiddenN++
		} else {
			visible++
		}
		if p.alias != "" {
			aliases++
		}
	}
	// redis-server 7.0.15 (Debian, TLS built in): CONFIG GET * lists 192
	// names, 19 of them aliases; 5 more parameters are hidden.
	assert.Equal(t, 173, visible)
	assert.Equal(t, 19, aliases)
	assert.Equal(t, 5, hiddenN)
	assert.Len(t, New().GetMatching([]string{"*"}), 192)
}

func TestDefaults(t *testing.T) {
	r := New()
	wd, _ := os.Getwd()
	for name, want := range map[string]string{
		"port":                                  "6379",
		"bind":                                  "* -::*",
		"save":                                  "3600 1 300 100 60 10000",
		"dir":                                   wd,
		"databases":                             "16",
		"maxmemory":                             "0",
		"repl-backlog-size":                     "1048576",
		"client-output-buffer-limit":            "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60",
		"oom-score-adj-values":                  "0 200 800",
		"unixsocketperm":                        "0",
		"notify-keyspace-events":                "",
		"replicaof":                             "",
		"slaveof":                               "",
		"latency-tracking-info-percentiles":     "50 99 99.9",
		"proc-title-template":                   "{title} {listen-addr} {server-mode}",
		"shutdown-on-sigint":                    "default",
		"maxmemory-policy":                      "noeviction",
		"lua-time-limit":                        "5000",
		"loading-process-events-interval-bytes": "2097152",
	} {
		got, ok := r.Get(name)
		assert.True(t, ok, name)
		assert.Equal(t, want, got, name)
	}
}

func TestDefaultsRoundTrip(t *testing.T) {
	// Every rendered default must be accepted back by CONFIG SET unchanged
	// (immutable ones through a config file line).
	r := New()
	for _, p := range params {
		v, _ := r.Get(p.name)
		if p.has(immutable) || p.has(protected) {
			if p.name == "replicaof" || p.name == "dir" {
				continue
			}
			require.NoError(t, r.LoadString(p.name+" "+Repr(v)), p.name)
		} else {
			require.NoError(t, r.Set([][2]string{{p.name, v}}), p.name)
		}
		got, _ := r.Get(p.name)
		assert.Equal(t, v, got, p.name)
	}
}

func TestGetNamesAndAliases(t *testing.T) {
	r := New()
	require.NoError(t, r.Set([][2]string{{"hash-max-ziplist-entries", "7"}}))
	for _, n := range []string{"hash-max-ziplist-entries", "HASH-MAX-LISTPACK-ENTRIES", "Hash-Max-Listpack-Entries"} {
		v, ok := r.Get(n)
		assert.True(t, ok)
		assert.Equal(t, "7", v)
	}
	_, ok := r.Get("no-such-thing")
	assert.False(t, ok)
	_, ok = r.Get("key-load-delay") // hidden, but found by exact name
	assert.True(t, ok)
}

func TestTypedAccessors(t *testing.T) {
	r := New()
	assert.Equal(t, int64(10), r.Int("hz"))
	assert.Equal(t, int64(16), r.Int("databases"))
	assert.False(t, r.Bool("appendonly"))
	assert.True(t, r.Bool("slave-read-only"))
	assert.Equal(t, "noeviction", r.String("maxmemory-policy"))
	assert.Equal(t, []string{"*", "-::*"}, r.List("bind"))

	require.NoError(t, r.Set([][2]string{
		{"maxmemory", "18446744073709551615"}, {"maxmemory-clients", "10%"},
		{"notify-keyspace-events", "KEA"}, {"maxmemory-policy", "allkeys-lfu"},
		{"client-output-buffer-limit", "replica 1mb 2mb 30"}, {"hz", "1000"},
	}))
	assert.Equal(t, uint64(18446744073709551615), r.Uint("maxmemory"))
	assert.Equal(t, int64(-10), r.Int("maxmemory-clients"))
	assert.Equal(t, int64(NotifyAll|NotifyKeyspace|NotifyKeyevent), r.Int("notify-keyspace-events"))
	assert.Equal(t, int64(5), r.Int("maxmemory-policy")) // position in the enum
	assert.Equal(t, int64(500), r.Int("hz"))             // capped like Redis
	hard, soft, secs, ok := r.OutputBufferLimit("slave")
	assert.True(t, ok)
	assert.Equal(t, []any{uint64(1 << 20), uint64(2 << 20), int64(30)}, []any{hard, soft, secs})
	_, _, _, ok = r.OutputBufferLimit("master")
	assert.False(t, ok)
	assert.True(t, r.Sensitive("requirepass"))
	assert.True(t, r.Sensitive("MASTERAUTH"))
	assert.False(t, r.Sensitive("tls-key-file-pass"))

	assert.Panics(t, func() { r.Int("no-such") })
	assert.Panics(t, func() { r.Int("dir") })
	assert.Panics(t, func() { r.Bool("port") })
	assert.Panics(t, func() { r.String("no-such") })
	assert.Panics(t, func() { r.OnApply("no-such", func(string) error { return nil }) })
}

func TestSetErrorTexts(t *testing.T) {
	r := New()
	cases := map[string][][2]string{
		"ERR Unknown option or number of arguments for CONFIG SET - 'foo'":                                                                            {{"foo", "1"}},
		"ERR CONFIG SET failed (possibly related to argument 'maxmemory') - argument must be a memory value":                                          {{"maxmemory", "1x"}},
		"ERR CONFIG SET failed (possibly related to argument 'databases') - can't set immutable config":                                               {{"databases", "2"}},
		"ERR CONFIG SET failed (possibly related to argument 'dir') - can't set protected config":                                                     {{"dir", "/"}},
		"ERR CONFIG SET failed (possibly related to argument 'MAXMEMORY') - duplicate parameter":                                                      {{"maxmemory", "1"}, {"MAXMEMORY", "2"}},
		"ERR CONFIG SET failed (possibly related to argument 'lua-time-limit') - argument couldn't be parsed into an integer":                         {{"LUA-TIME-LIMIT", "x"}},
		"ERR CONFIG SET failed (possibly related to argument 'hz') - argument must be between 0 and 2147483647 inclusive":                             {{"hz", "-1"}},
		"ERR CONFIG SET failed (possibly related to argument 'loglevel') - argument(s) must be one of the following: debug, verbose, notice, warning": {{"loglevel", "loud"}},
	}
	for want, pairs := range cases {
		err := r.Set(pairs)
		if assert.Error(t, err, want) {
			assert.Equal(t, want, err.Error())
		}
	}
}

func TestSetIsAtomic(t *testing.T) {
	r := New()
	err := r.Set([][2]string{{"maxmemory", "1mb"}, {"timeout", "5"}, {"hz", "abc"}})
	require.Error(t, err)
	assert.Equal(t, "0", r.String("maxmemory"))
	assert.Equal(t, "0", r.String("timeout"))
	require.NoError(t, r.Set([][2]string{{"maxmemory", "1mb"}, {"timeout", "5"}}))
	assert.Equal(t, "1048576", r.String("maxmemory"))
	assert.Equal(t, "5", r.String("timeout"))
}

func TestSetContext(t *testing.T) {
	r, err := ParseArgs([]string{"--enable-protected-configs", "local"})
	require.NoError(t, err)
	assert.EqualError(t, r.Set([][2]string{{"dbfilename", "x.rdb"}}),
		"ERR CONFIG SET failed (possibly related to argument 'dbfilename') - can't set protected config")
	require.NoError(t, r.SetWith([][2]string{{"dbfilename", "x.rdb"}}, SetContext{LocalClient: true}))
	assert.Equal(t, "x.rdb", r.String("dbfilename"))

	assert.Equal(t, ErrLoading, r.SetWith([][2]string{{"appendonly", "yes"}}, SetContext{Loading: true}))
	assert.NoError(t, r.SetWith([][2]string{{"maxmemory", "1"}}, SetContext{Loading: true}))
}

func TestOnApply(t *testing.T) {
	r := New()
	var calls []string
	r.OnApply("maxmemory", func(v string) error { calls = append(calls, "maxmemory="+v); return nil })
	r.OnApply("busy-reply-threshold", func(v string) error {
		calls = append(calls, "busy="+v)
		if v == "13" {
			return errors.New("refused by the server")
		}
		return nil
	})
	r.OnApply("timeout", func(v string) error {
		if v == "99" {
			return errors.New("")
		}
		return nil
	})

	require.NoError(t, r.Set([][2]string{{"maxmemory", "1kb"}, {"lua-time-limit", "7"}}))
	assert.Equal(t, []string{"maxmemory=1024", "busy=7"}, calls)

	calls = nil
	require.NoError(t, r.Set([][2]string{{"maxmemory", "1024"}})) // unchanged: no hook
	assert.Empty(t, calls)

	// A failing hook rolls back every change and re-applies old values.
	err := r.Set([][2]string{{"maxmemory", "2kb"}, {"lua-time-limit", "13"}})
	assert.EqualError(t, err, "ERR CONFIG SET failed (possibly related to argument 'lua-time-limit') - refused by the server")
	assert.Equal(t, "1024", r.String("maxmemory"))
	assert.Equal(t, "7", r.String("busy-reply-threshold"))
	assert.Equal(t, []string{"maxmemory=2048", "busy=13", "maxmemory=1024", "busy=7"}, calls)

	assert.EqualError(t, r.Set([][2]string{{"timeout", "99"}}),
		"ERR CONFIG SET failed (possibly related to argument 'timeout')")
	assert.Equal(t, "0", r.String("timeout"))

	calls = nil
	require.NoError(t, r.ApplyAll())
	assert.Equal(t, []string{"busy=7", "maxmemory=1024"}, sortedCopy(calls))
}

func sortedCopy(s []string) []string {
	c := append([]string(nil), s...)
	sort.Strings(c)
	return c
}

func TestGetMatchingSemantics(t *testing.T) {
	r := New()
	assert.Equal(t, [][2]string{{"MAXMEMORY", "0"}}, r.GetMatching([]string{"MAXMEMORY", "maxmemory"}))
	assert.Equal(t, [][2]string{{"slaveof", ""}, {"replicaof", ""}}, r.GetMatching([]string{"slaveof", "replicaof"}))
	got := r.GetMatching([]string{"*key-load*", "key-load-delay"})
	assert.Equal(t, [][2]string{{"key-load-delay", "0"}}, got) // hidden: exact name only
	assert.Empty(t, r.GetMatching([]string{"nope", "*nope*"}))
	names := map[string]bool{}
	for _, kv := range r.GetMatching([]string{"*", "*"}) {
		assert.False(t, names[kv[0]], kv[0])
		names[kv[0]] = true
	}
	assert.True(t, names["lua-time-limit"] && names["busy-reply-threshold"])
}

func TestConcurrentAccess(t *testing.T) {
	r := New()
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(2)
		go func() {
			defer wg.Done()
			for j := 0; j < 200; j++ {
				_ = r.Set([][2]string{{"maxmemory", "1mb"}, {"hz", "20"}})
				_ = r.Set([][2]string{{"maxmemory", "0"}, {"hz", "10"}})
			}
		}()
		go func() {
			defer wg.Done()
			for j := 0; j < 200; j++ {
				_ = r.GetMatching([]string{"max*"})
				_ = r.Int("hz")
			}
		}()
	}
	wg.Wait()
}

// --- loading ----------------------------------------------------------------

// memFS is an in-memory file system for loader tests and fuzzing.
type memFS map[string]string

func (m memFS) ReadFile(p string) ([]byte, error) {
	if s, ok := m[p]; ok {
		return []byte(s), nil
	}
	return nil, &fs.PathError{Op: "open", Path: p, Err: syscall.ENOENT}
}

func (m memFS) Glob(pattern string) ([]string, error) {
	var out []string
	for k := range m {
		if ok, _ := filepath.Match(pattern, k); ok {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out, nil
}

func (m memFS) ResolveDir(cur, p string) (string, error) {
	if p == "" || strings.Contains(p, "nonexistent") {
		return "", syscall.ENOENT
	}
	if !filepath.IsAbs(p) {
		p = filepath.Join(cur, p)
	}
	return filepath.Clean(p), nil
}

func (m memFS) TouchLog(p string) error {
	if strings.Contains(p, "nonexistent") {
		return syscall.ENOENT
	}
	return nil
}

func TestParseArgsBriefExample(t *testing.T) {
	_, err := ParseArgs([]string{"--port", "abc"})
	require.Error(t, err)
	assert.Equal(t, "\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line 2\n>>> 'port \"abc\"'\nargument couldn't be parsed into an integer\n", err.Error())
	var fe *FatalError
	require.ErrorAs(t, err, &fe)
	assert.Equal(t, 2, fe.Line)
}

func TestParseCommandLine(t *testing.T) {
	cases := []struct {
		args []string
		want commandLine
	}{
		{[]string{"--port", "6380"}, commandLine{options: `port "6380" `}},
		{[]string{"--port 6380", "--hz", "20"}, commandLine{options: "port 6380 \nhz \"20\" "}},
		{[]string{"a.conf", "--save"}, commandLine{file: "a.conf", hasFile: true, options: `save ""`}},
		{[]string{"--save", "--port", "1"}, commandLine{options: "save \"\"\nport \"1\" "}},
		{[]string{"--save", "60", "1", "-"}, commandLine{stdin: true, options: `save "60" "1" `}},
		{[]string{"-", "--requirepass", "--x"}, commandLine{stdin: true, options: `requirepass "--x" `}},
		{[]string{"--bind", "a\"b\n"}, commandLine{options: `bind "a\"b\n" `}},
		{[]string{"--port", "1", "-", "2"}, commandLine{options: `port "1" "-" "2" `}},
	}
	for _, c := range cases {
		assert.Equal(t, c.want, parseCommandLine(c.args), "%q", c.args)
	}
}

func TestLoadSaveSemantics(t *testing.T) {
	fsys := memFS{"/inc.conf": "save 6 6\n"}
	load := func(text string) string {
		r := New()
		require.NoError(t, r.LoadStringWith(text, LoadOptions{fs: fsys}))
		return r.String("save")
	}
	assert.Equal(t, "100 1 200 2", load("save 100 1\nsave 200 2\n"))
	assert.Equal(t, "300 3", load("save 100 1\nsave \"\"\nsave 300 3\n"))
	assert.Equal(t, "", load("save \"\"\n"))
	assert.Equal(t, "3600 1 300 100 60 10000", load("port 1\n"))
	assert.Equal(t, "10 1 20 2", load("save \"10 1 20 2\"\n"))
	// After an include ends Redis no longer considers itself "reading a
	// file", so each later save line replaces the previous ones.
	assert.Equal(t, "8 8", load("save 5 5\ninclude /inc.conf\nsave 7 7\nsave 8 8\n"))
}

func TestLoadDirectivesAndIncludes(t *testing.T) {
	fsys := memFS{
		"/etc/a.conf":     "include /etc/b.conf\nrename-command FLUSHALL \"\"\n",
		"/etc/b.conf":     "maxmemory 1mb\nmymod.opt 5\n",
		"/etc/conf.d/1":   "timeout 1\n",
		"/etc/conf.d/2":   "timeout 2\n",
		"/etc/bad.conf":   "port 1\nport x\n",
		"/etc/loop.conf":  "include /etc/loop.conf\n",
		"/etc/rename.txt": "rename-command NOPE x\n",
	}
	r := New()
	var seen []string
	opts := LoadOptions{fs: fsys, Directive: func(d Directive) error {
		seen = append(seen, d.Name)
		if d.Name == "rename-command" && d.Args[0] == "NOPE" {
			return errors.New("No such command in rename-command")
		}
		return nil
	}}
	require.NoError(t, r.LoadStringWith("include /etc/a.conf\ninclude /etc/conf.d/*\nuser bob on\nloadmodule /m.so a b\n", opts))
	assert.Equal(t, "1048576", r.String("maxmemory"))
	assert.Equal(t, "2", r.String("timeout"))
	assert.Equal(t, []string{"mymod.opt", "rename-command", "user", "loadmodule"}, seen)
	d := r.Directives()
	require.Len(t, d, 4)
	assert.Equal(t, Directive{Name: "rename-command", Args: []string{"FLUSHALL", ""}, File: "/etc/a.conf", Line: 2}, d[1])
	assert.Equal(t, Directive{Name: "loadmodule", Args: []string{"/m.so", "a", "b"}, Line: 4}, d[3])

	// Errors inside an include carry the included file's line numbers.
	err := r.LoadStringWith("port 5\ninclude /etc/bad.conf\n", opts)
	assert.EqualError(t, err, "\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line 2\n>>> 'port x'\nargument couldn't be parsed into an integer\n")
	assert.Equal(t, "6379", r.String("port"), "a failed load changes nothing")

	err = r.LoadStringWith("include /etc/rename.txt\n", opts)
	assert.EqualError(t, err, "\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line 1\n>>> 'rename-command NOPE x'\nNo such command in rename-command\n")

	err = r.LoadStringWith("include /etc/missing.conf\n", opts)
	assert.EqualError(t, err, "Fatal error, can't open config file '/etc/missing.conf': No such file or directory")
	var oe *OpenError
	assert.ErrorAs(t, err, &oe)

	err = r.LoadStringWith("include /etc/loop.conf\n", opts)
	assert.ErrorContains(t, err, "include nesting is too deep")

	err = r.LoadStringWith("logfile /nonexistent/x.log\n", opts)
	assert.EqualError(t, err, "\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nCan't open the log file: No such file or directory\n")
}

func TestLoadFileSetsConfigFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "k.conf")
	require.NoError(t, os.WriteFile(path, []byte("databases 4\nport 7000\n"), 0o644))
	r := New()
	require.NoError(t, r.LoadFile(path))
	assert.Equal(t, int64(4), r.Int("databases"))
	assert.Equal(t, path, r.ConfigFile())
	err := r.LoadFile(filepath.Join(dir, "missing.conf"))
	assert.EqualError(t, err, "Fatal error, can't open config file '"+filepath.Join(dir, "missing.conf")+"': No such file or directory")
}

func TestRewriteNewAndFailing(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "new.conf")
	r := New()
	require.NoError(t, r.Set([][2]string{{"maxmemory", "2gb"}, {"save", ""}, {"slave-read-only", "no"}}))
	require.NoError(t, r.Rewrite(path))
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	text := string(data)
	assert.True(t, strings.HasPrefix(text, rewriteSignature+"\n"), text)
	for _, line := range []string{"maxmemory 2gb", `save ""`, "replica-read-only no", "dir " + Repr(r.String("dir")), "latency-tracking-info-percentiles 50 99 99.9"} {
		assert.Contains(t, text, "\n"+line+"\n")
	}
	// Loading the rewritten file gives the same values back.
	r2 := New()
	require.NoError(t, r2.LoadFile(path))
	assert.Equal(t, r.GetMatching([]string{"*"}), r2.GetMatching([]string{"*"}))

	err = r.Rewrite(filepath.Join(dir, "no-such-dir", "x.conf"))
	assert.EqualError(t, err, "ERR Rewriting config file: No such file or directory")
}

func TestVersionAndUsage(t *testing.T) {
	line := VersionLine("0.3.1")
	assert.Regexp(t, `^Redis server v=7\.0\.15 sha=00000000:0 malloc=libc bits=64 build=[0-9a-f]+ kioku=0\.3\.1$`, line)
	assert.Equal(t, line, VersionLine("0.3.1"))
	assert.NotEqual(t, line, VersionLine("0.3.2"))
	assert.True(t, strings.HasPrefix(Usage, "Usage: ./redis-server [/path/to/redis.conf] [options] [-]\n"))
	assert.True(t, strings.HasSuffix(Usage, "       ./redis-server /etc/sentinel.conf --sentinel\n"))
}

func TestSplitArgs(t *testing.T) {
	cases := []struct {
		line string
		want []string
		ok   bool
	}{
		{"", []string{}, true},
		{"  \t ", []string{}, true},
		{"set a b", []string{"set", "a", "b"}, true},
		{`a "b c" 'd e'`, []string{"a", "b c", "d e"}, true},
		{`"\x41\x4a\n\t\r\b\a\z\\\""`, []string{"AJ\n\t\r\b\az\\\""}, true},
		{`"\x4g"`, []string{"x4g"}, true},
		{`'it\'s' '\n'`, []string{"it's", `\n`}, true},
		{`ab"cd"`, []string{"abcd"}, true},
		{`"ab"cd`, nil, false},
		{`"unterminated`, nil, false},
		{`'unterminated`, nil, false},
		{"a\x00b c", []string{"a"}, true},
		{"a\vb", []string{"a\vb"}, true},
		{`""`, []string{""}, true},
		{`"a" "`, nil, false},
	}
	for _, c := range cases {
		got, ok := SplitArgs(c.line)
		assert.Equal(t, c.ok, ok, "%q", c.line)
		if c.ok {
			assert.Equal(t, c.want, got, "%q", c.line)
		}
	}
	assert.Equal(t, `"a\"b\\c\n\x01\xff"`, Repr("a\"b\\c\n\x01\xff"))
}

func TestNumberParsers(t *testing.T) {
	for s, want := range map[string]uint64{"": 0, "0": 0, "1k": 1000, "1KB": 1024, "5b": 5, "2g": 2e9,
		"18446744073709551615": 18446744073709551615, "99999999999999999999": 18446744073709551615} {
		v, ok := memtoull(s)
		assert.True(t, ok, s)
		assert.Equal(t, want, v, s)
	}
	for _, s := range []string{"-1", "1x", " 1", "1.5k", "99999999999999999999k", "+1"} {
		_, ok := memtoull(s)
		assert.False(t, ok, s)
	}
	for _, s := range []string{"", "-", "+1", "01", "-0", " 1", "1 ", "9223372036854775808"} {
		_, ok := string2ll(s)
		assert.False(t, ok, s)
	}
	v, ok := string2ll("-9223372036854775808")
	assert.True(t, ok)
	assert.Equal(t, int64(-9223372036854775808), v)
	for s, want := range map[string]float64{"1e1": 10, ".5": 0.5, "0x10": 16, "inf": math.Inf(1), "-0": 0} {
		f, ok := string2d(s)
		assert.True(t, ok, s)
		assert.Equal(t, want, f, s)
	}
	for _, s := range []string{"nan", "1e400", "1e-400", " 1", "1_0", "", "x"} {
		_, ok := string2d(s)
		assert.False(t, ok, s)
	}
}
