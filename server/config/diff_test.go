package config

import (
	"maps"
	"math/rand"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// registryFor builds a registry from the same command line redis-server
// was started with.
func registryFor(t *testing.T, dir string, args []string) *Registry {
	t.Helper()
	wd, err := os.Getwd()
	require.NoError(t, err)
	require.NoError(t, os.Chdir(dir)) // relative paths resolve like redis-server's
	defer func() { require.NoError(t, os.Chdir(wd)) }()
	r, err := ParseArgs(args)
	require.NoError(t, err)
	return r
}

// compareAll checks that CONFIG GET * (and the hidden parameters by exact
// name) agree between redis-server and the registry, name for name.
func compareAll(t *testing.T, rc *redisConn, r *Registry) {
	t.Helper()
	want := rc.getAll(t, "*")
	got := map[string]string{}
	for _, kv := range r.GetMatching([]string{"*"}) {
		got[kv[0]] = kv[1]
	}
	assert.Equal(t, sortedKeys(want), sortedKeys(got), "parameter names differ")
	for name, v := range want {
		if g, ok := got[name]; ok {
			assert.Equal(t, v, g, "value of %s", name)
		}
	}
	for _, p := range params {
		if p.has(hidden) {
			w := rc.getAll(t, p.name)
			g, ok := r.Get(p.name)
			assert.True(t, ok)
			assert.Equal(t, w[p.name], g, "hidden %s", p.name)
		}
	}
}

func sortedKeys(m map[string]string) []string {
	k := slices.Collect(maps.Keys(m))
	sort.Strings(k)
	return k
}

func TestDefaultsMatchRedis(t *testing.T) {
	dir := t.TempDir()
	rc, args := startRedis(t, dir, "--dir", dir)
	compareAll(t, rc, registryFor(t, dir, args))
}

// TestConfigFileMatchesRedis loads the same config file, include and
// command-line options into both and compares every value.
func TestConfigFileMatchesRedis(t *testing.T) {
	dir := t.TempDir()
	inc := filepath.Join(dir, "inc.conf")
	require.NoError(t, os.WriteFile(inc, []byte("save 6 6\nmaxmemory 1gb\n"), 0o644))
	conf := filepath.Join(dir, "main.conf")
	require.NoError(t, os.WriteFile(conf, []byte(strings.Join([]string{
		"# comment",
		"   save 5 5   ",
		"SAVE 10 1",
		"include " + inc,
		"save 7 7",
		"hz 1000",
		`requirepass "p a\x41ss"`,
		"maxmemory-policy ALLKEYS-LRU",
		"client-output-buffer-limit replica 1mb 2kb 10 pubsub 1 2 3",
		"notify-keyspace-events KEx",
		"slave-read-only no",
		"hash-max-ziplist-entries 7",
		"list-max-ziplist-entries 100",
		"lua-time-limit 123",
		"latency-tracking-info-percentiles 1.5 99.99999",
		"oom-score-adj-values -5 +3 010",
		"shutdown-on-sigterm now nosave",
		"unixsocketperm 0700",
		"repl-backlog-size 1k",
		"maxmemory-clients 10%",
		"databases 3",
		"appendfilename 'x.aof'",
		"bind-source-addr ''",
		"replica-announce-ip 10.0.0.1",
		"slaveof 127.0.0.1 0010",
		"",
	}, "\n")), 0o644))
	rc, args := startRedis(t, dir, conf, "--dir", dir, "--save", "60", "100", "--maxmemory 2mb")
	r := registryFor(t, dir, args)
	// requirepass makes every other command need AUTH.
	_, err := rc.do(t, "AUTH", "p aAss")
	require.NoError(t, err)
	compareAll(t, rc, r)
	assert.Equal(t, conf, r.ConfigFile())
}

// probeValues are tried on every parameter; they cover each parser's
// corner cases (units, signs, blanks, overflow, percent, octal).
var probeValues = []string{
	"abc", "", "-1", "0", "1", "7", "yes", "no", "NO", "Yes", "1k", "1kb", "1KB", "1m", "1mb", "1g", "1gb", "1b", "1x",
	"1%", "100%", "101%", "-1%", "0%", "2147483647", "2147483648", "4294967295", "4294967296",
	"9223372036854775807", "9223372036854775808", "18446744073709551615", "18446744073709551616",
	"-9223372036854775808", "-9223372036854775809", " 1", "1 ", "+1", "01", "-0", "0777", "777", "8", "1.5",
}

// extraProbes are parameter-specific values on top of probeValues.
var extraProbes = map[string][]string{
	"save": {"100 1", "100 1 200", "0 1", "1 0", "1 -1", "+5 3", " 5 3", "5 3 ", "5  3", "5 4294967297",
		"5 99999999999999999999", "99999999999999999999 1", "1 2 3 4 5 6 7 8", "0x10 1", "010 1", "3600 1 300 100 60 10000"},
	"client-output-buffer-limit": {"normal 1 2 3", "replica 1mb 2k 10", "SLAVE 1gb 2KB 10", "master 1 2 3",
		"pubsub 1 2 -1", "pubsub 1 2 x", "pubsub -1 2 3", "normal 1 2 3 pubsub 4 5", "normal 1 2 3 normal 4 5 6",
		"pubsub 1 2 +3", "pubsub  1 2 3", "pubsub 1 2 99999999999999999999", "pubsub 1 2 4294967297",
		"Normal 0 0 0", "pubsub 1 2 3 ", "pubsub 1x 2 3", "pubsub 18446744073709551616 1 1"},
	"oom-score-adj-values": {"0 200 800", "0 200 9999", "0 200 x", "0 200 ", "-5 +3 010", "1 2", "1 2 3 4", "-2000 0 2000", "-2001 0 0"},
	"notify-keyspace-events": {"g$lshzxetd", "g$lshzxetdKEm", "AKE", "KEA", "nA", "Am", "mAK", "E", "x",
		"KExn", "AAA", "Ag", "eg$", "d", "q", "K E"},
	"latency-tracking-info-percentiles": {"50 99 99.9", "0 100", "99.99999", "1e1", "50.0", "99.9999999",
		"1.5 2.25", ".5", "inf", "-inf", "-0", "nan", "100.0", "12.3456789", "50  99", "50 ", "1e-400", "1e400",
		"0x10", "0x1p3", "100.0000001", "5e-7"},
	"shutdown-on-sigint": {"nosave now", "now nosave", "save nosave", "default", "default now", "force now save",
		"  now", "now  ", "NOW", "default default", "save save", "save bogus"},
	"proc-title-template": {"{title}", "{title} {port}", "x{", "x{{y", "x}y", "{unknown}", "{{}}", "  {title}  ",
		"{title}{listen-addr}{server-mode}{port}{tls-port}{unixsocket}{config-file}", "a{}b", "{title} }",
		"{server-mode}", "{unixsocket}", "{config-file}", "{TITLE} x"},
	"cluster-announce-hostname": {"a_b", strings.Repeat("x", 255), strings.Repeat("x", 256), "a.b-C9", "a b"},
	"oom-score-adj":             {"relative", "RELATIVE", "absolute", "yes"},
	"maxmemory-policy":          {"allkeys-lru", "VOLATILE-TTL", "allkeys"},
	"maxmemory-clients":         {"50%", "100%", "-5", "5%%", "%"},
	"hz":                        {"1000", "500", "501"},
	"repl-backlog-size":         {"16383", "16384", "20000"},
	"dbfilename":                {"a/b", "x.rdb"},
}

// skipProbe lists values the registry cannot judge because Redis's answer
// depends on the machine (binding ports, TLS setup, file limits) or would
// break the test connection.
func skipProbe(name, v string) bool {
	switch name {
	case "port", "tls-port", "bind", "requirepass", "watchdog-period":
		return true
	case "tls-cluster", "tls-replication":
		return strings.EqualFold(v, "yes")
	case "maxclients": // the OS file limit decides large values
		n, ok := string2ll(v)
		return ok && n > 1000
	case "appendonly": // starting AOF forks a rewrite; not a config question
		return strings.EqualFold(v, "yes")
	}
	return false
}

// TestConfigSetMatchesRedis sets every parameter (by name and alias) to
// every probe value on both sides and compares the reply and the value
// CONFIG GET shows afterwards.
func TestConfigSetMatchesRedis(t *testing.T) {
	dir := t.TempDir()
	rc, args := startRedis(t, dir, "--dir", dir)
	r := registryFor(t, dir, args)
	for _, e := range entries {
		name := e.name
		orig, _ := r.Get(name)
		values := append(slices.Clone(probeValues), extraProbes[e.p.name]...)
		for _, it := range e.p.enum {
			values = append(values, it.name, strings.ToUpper(it.name))
		}
		for _, v := range values {
			if skipProbe(e.p.name, v) {
				continue
			}
			_, werr := rc.do(t, "CONFIG", "SET", name, v)
			gerr := r.Set([][2]string{{name, v}})
			if werr == nil {
				if !assert.NoError(t, gerr, "CONFIG SET %s %q", name, v) {
					continue
				}
			} else if assert.Error(t, gerr, "CONFIG SET %s %q: redis said %v", name, v, werr) {
				assert.Equal(t, werr.Error(), gerr.Error(), "CONFIG SET %s %q", name, v)
			}
			want := rc.getAll(t, name)[name]
			got, _ := r.Get(name)
			assert.Equal(t, want, got, "CONFIG GET %s after setting %q", name, v)
			if werr == nil {
				_, err := rc.do(t, "CONFIG", "SET", name, orig)
				require.NoError(t, err, "restore %s", name)
				require.NoError(t, r.Set([][2]string{{name, orig}}), "restore %s", name)
			}
		}
	}
}

// TestConfigSetPairsMatchRedis compares multi-parameter CONFIG SET calls:
// which error wins, duplicate detection, aliases, atomic rollback.
func TestConfigSetPairsMatchRedis(t *testing.T) {
	dir := t.TempDir()
	rc, args := startRedis(t, dir, "--dir", dir)
	r := registryFor(t, dir, args)
	cases := [][]string{
		{"foo", "1"},
		{"FOO", "1", "bar", "2"},
		{"maxmemory", "1", "maxmemory", "2"},
		{"maxmemory", "1", "MAXMEMORY", "2"},
		{"slaveof", "1", "replicaof", "2"},
		{"lua-time-limit", "1", "busy-reply-threshold", "2"},
		{"lua-time-limit", "abc"},
		{"LUA-TIME-LIMIT", "abc"},
		{"MaxMemory", "abc"},
		{"databases", "1", "foo", "2"},
		{"foo", "1", "databases", "2"},
		{"maxmemory", "abc", "databases", "2"},
		{"databases", "1", "maxmemory", "abc"},
		{"maxmemory", "1", "maxmemory", "abc", "foo", "1"},
		{"maxmemory", "1", "maxmemory", "2", "databases", "1"},
		{"maxmemory", "1mb", "timeout", "abc"},
		{"maxmemory", "2mb", "timeout", "5", "hz", "abc"},
		{"dbfilename", "a/b", "foo", "1"},
		{"dir", "/tmp", "maxmemory", "x"},
		{"hash-max-ziplist-entries", "1", "hash-max-listpack-entries", "2"},
		{"hash-max-ziplist-entries", "1", "HASH-MAX-ZIPLIST-ENTRIES", "2"},
		{"maxmemory", "3mb", "timeout", "7"},
		{"maxmemory", "0", "timeout", "0"},
	}
	for _, c := range cases {
		_, werr := rc.do(t, append([]string{"CONFIG", "SET"}, c...)...)
		var pairs [][2]string
		for i := 0; i+1 < len(c); i += 2 {
			pairs = append(pairs, [2]string{c[i], c[i+1]})
		}
		gerr := r.Set(pairs)
		if werr == nil {
			assert.NoError(t, gerr, "%q", c)
		} else if assert.Error(t, gerr, "%q", c) {
			assert.Equal(t, werr.Error(), gerr.Error(), "%q", c)
		}
		for _, name := range []string{"maxmemory", "timeout", "hz", "hash-max-listpack-entries", "busy-reply-threshold"} {
			got, _ := r.Get(name)
			assert.Equal(t, rc.getAll(t, name)[name], got, "%s after %q", name, c)
		}
	}
}

// argCases are redis-server command lines that must be rejected; each is
// run against the real binary and through ParseArgs.
var argCases = []struct {
	args    []string
	stdin   string
	files   map[string]string
	noGuard bool // the last option has no value: it fails by itself
}{
	{args: []string{"--port", "abc"}},
	{args: []string{"--port"}, noGuard: true},
	{args: []string{"--port", "1", "2"}},
	{args: []string{"--foo", "bar"}},
	{args: []string{"--maxmemory", "1x"}},
	{args: []string{"--save", "0", "1"}},
	{args: []string{"--databases", "0"}},
	{args: []string{"--loglevel", "loud"}},
	{args: []string{"--hz", "abc", "--port", "abc"}},
	{args: []string{"--port", "70000"}},
	{args: []string{"--port 70000"}},
	{args: []string{"--requirepass", "--foo"}},
	{args: []string{"--save", "--foo", "1"}},
	{args: []string{"--save", "--port", "x"}},
	{args: []string{"-", "--port", "abc"}, stdin: "maxmemory 1mb\n"},
	{args: []string{"--port", "abc", "-"}, stdin: "port 1\nport 2\n"},
	{args: []string{"-"}, stdin: "port 1\nbogus\n"},
	{args: []string{"--shutdown-on-sigint", "save", "nosave"}},
	{args: []string{"--oom-score-adj-values", "1", "2"}},
	{args: []string{"--unixsocketperm", "999"}},
	{args: []string{"--unixsocketperm", "8"}},
	{args: []string{"--unixsocketperm", "1000"}},
	{args: []string{"--a.b"}, noGuard: true},
	{args: []string{"--list-max-ziplist-entries", "5", "--port", "abc"}},
	{args: []string{"--lua-replicate-commands", "yes", "--foo"}},
	{args: []string{"--bar", "x y", `a"b`, "q\x01\xff", `\`}},
	{args: []string{"--dbfilename", `a\b`}},
	{args: []string{"--appendfilename", ""}},
	{args: []string{"--appenddirname", "a/b"}},
	{args: []string{"--activedefrag", "yes"}},
	{args: []string{"--dir", "/nonexistent"}},
	{args: []string{"--dir", "/etc/passwd"}},
	{args: []string{"--maxmemory-clients", "101%"}},
	{args: []string{"--maxmemory-clients", "-1%"}},
	{args: []string{"--proc-title-template", "{x}"}},
	{args: []string{"--cluster-announce-hostname", "a_b"}},
	{args: []string{"--socket-mark-id", "-1"}},
	{args: []string{"--replicaof", "a"}},
	{args: []string{"--replicaof", "localhost", "99999"}},
	{args: []string{"--slaveof", "localhost", "-1"}},
	{args: []string{"--bind", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12", "13", "14", "15", "16", "17"}},
	{args: []string{"--logfile", "/nonexistent/x.log"}},
	{args: []string{"--cluster-enabled", "yes", "--replicaof", "127.0.0.1", "1"}},
	{args: []string{"--include"}, noGuard: true},
	{args: []string{"--include", "a", "b"}},
	{args: []string{"--user"}, noGuard: true},
	{args: []string{"--loadmodule"}, noGuard: true},
	{args: []string{"--notify-keyspace-events"}, noGuard: true},
	{args: []string{"--shutdown-on-sigint"}, noGuard: true},
	{args: []string{"--save", "5", "5", "--save", "x"}},
	{args: []string{"c.conf"}, files: map[string]string{"c.conf": "  # comment\n\n   port \"1\"x\n"}},
	{args: []string{"c.conf"}, files: map[string]string{"c.conf": "port \"1\n"}},
	{args: []string{"c.conf"}, files: map[string]string{"c.conf": "port '1'\\\n"}},
	{args: []string{"c.conf", "--port", "1"}, files: map[string]string{"c.conf": "foo\n"}},
	{args: []string{"c.conf", "--foo", "1"}, files: map[string]string{"c.conf": "port 1"}},
	{args: []string{"c.conf", "--foo", "1"}, files: map[string]string{"c.conf": "port 1\n"}},
	{args: []string{"c.conf"}, files: map[string]string{"c.conf": "port 1\r\n\r\nbar\r\n"}},
	{args: []string{"c.conf"}, files: map[string]string{"c.conf": "requirepass \"a\\x41\\n\\z\"\nfoo\n"}},
	{args: []string{"c.conf"}, files: map[string]string{"c.conf": "list-max-ziplist-entries 1 2\n"}},
	{args: []string{"c.conf"}, files: map[string]string{"c.conf": "PORT abc\n"}},
	{args: []string{"c.conf"}, files: map[string]string{"c.conf": "port\t 1 \n\v\fx\n"}},
	{args: []string{"c.conf"}, files: map[string]string{"c.conf": "replicaof no one\nfoo\n"}},
	{args: []string{"c.conf"}, files: map[string]string{"c.conf": "port 1\x00garbage\nfoo\n"}},
	{args: []string{"c.conf"}, files: map[string]string{"c.conf": "include inc.conf\nfoo\n", "inc.conf": "port 1\nbar\n"}},
	{args: []string{"c.conf"}, files: map[string]string{"c.conf": "include inc*.conf\n", "inc1.conf": "port 1\n", "inc2.conf": "bad2\n"}},
	{args: []string{"c.conf"}, files: map[string]string{"c.conf": "include nomatch*.conf\nbad\n"}},
	{args: []string{"c.conf"}, files: map[string]string{"c.conf": "save \"3600 1\"\n"}},
	{args: []string{"c.conf"}, files: map[string]string{"c.conf": "maxmemory \"1gb\" 2\n"}},
	{args: []string{"nonexist.conf"}},
	{args: []string{"c.conf"}, files: map[string]string{"c.conf": "include /nonexistent.conf\n"}},
}

// TestParseArgsMatchesRedis runs each rejected command line through the
// real redis-server and through ParseArgs: the FATAL text on stderr (or the
// "can't open" log line on stdout) and the exit status must match.
func TestParseArgsMatchesRedis(t *testing.T) {
	needRedis(t)
	for _, c := range argCases {
		dir := t.TempDir()
		for name, content := range c.files {
			require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644))
		}
		args := slices.Clone(c.args)
		last := args[len(args)-1]
		// A trailing bad directive guarantees redis-server never starts,
		// unless the case depends on what comes last; and a private port
		// keeps it off the default one should a case be accepted anyway.
		if !c.noGuard && last != "-" && !strings.EqualFold(last, "--save") {
			args = append(args, "--zzz-guard")
		}
		if args[0] != "-" {
			at := 0
			if c.files != nil || !strings.HasPrefix(args[0], "-") {
				at = 1
			}
			safety := []string{"--port", strconv.Itoa(freePort(t)), "--bind", "127.0.0.1"}
			args = slices.Insert(args, at, safety...)
		}
		stdout, stderr, code := runRedisArgs(t, dir, c.stdin, args...)
		assert.Equal(t, 1, code, "%q exit status", args)

		wd, _ := os.Getwd()
		require.NoError(t, os.Chdir(dir))
		_, err := ParseArgsWith(args, LoadOptions{Stdin: strings.NewReader(c.stdin)})
		require.NoError(t, os.Chdir(wd))
		if !assert.Error(t, err, "%q should fail", args) {
			continue
		}
		if oe, ok := err.(*OpenError); ok {
			assert.Contains(t, stdout, "# "+oe.Error()+"\n", "%q", args)
			continue
		}
		assert.Equal(t, stderr, err.Error(), "%q", args)
	}
}

// TestRewriteMatchesRedis loads the same file into redis-server and the
// registry, applies the same CONFIG SETs, rewrites both files and compares
// them: kept and replaced lines must be identical in place; appended lines
// (which Redis emits in hash order) must be the same set. Redis also
// rewrites its ACL users, which Kioku leaves alone, so "user" lines are
// ignored.
func TestRewriteMatchesRedis(t *testing.T) {
	dir := t.TempDir()
	original := strings.Join([]string{
		"# my config",
		"port 1",
		"save 100 1",
		"save 200 2",
		"save 300 3",
		"",
		"",
		"slave-read-only yes",
		"hash-max-ziplist-entries 9",
		"  maxmemory 1gb  ",
		"rename-command FLUSHALL \"\"",
		"include " + filepath.Join(dir, "empty.conf"),
		"requirepass secret",
		"notify-keyspace-events KEA",
		"client-output-buffer-limit pubsub 1mb 2mb 3",
		"",
	}, "\n")
	require.NoError(t, os.WriteFile(filepath.Join(dir, "empty.conf"), nil, 0o644))
	redisConf := filepath.Join(dir, "redis.conf")
	ourConf := filepath.Join(dir, "ours.conf")
	require.NoError(t, os.WriteFile(redisConf, []byte(original), 0o644))
	require.NoError(t, os.WriteFile(ourConf, []byte(original), 0o644))

	// rename-command of a real command is valid for redis-server; the
	// registry just records the directive.
	rc, args := startRedis(t, dir, redisConf, "--dir", dir)
	args[0] = ourConf
	r := registryFor(t, dir, args)
	_, err := rc.do(t, "AUTH", "secret")
	require.NoError(t, err)
	// Lines the parser would reject are commented out by REWRITE; add them
	// after startup.
	for _, f := range []string{redisConf, ourConf} {
		fh, err := os.OpenFile(f, os.O_APPEND|os.O_WRONLY, 0)
		require.NoError(t, err)
		_, err = fh.WriteString("no-such-option 1\nunbalanced \"quote\n")
		require.NoError(t, err)
		require.NoError(t, fh.Close())
	}

	sets := [][2]string{
		{"save", "100 1 400 4"},
		{"maxmemory", "3mb"},
		{"hz", "20"},
		{"appendfsync", "always"},
		{"replica-announce-ip", "10.1.2.3"},
		{"oom-score-adj-values", "1 2 3"},
		{"latency-tracking-info-percentiles", "50 99.5"},
		{"maxmemory-clients", "5%"},
		{"client-output-buffer-limit", "normal 1k 2kb 0"},
		{"slave-serve-stale-data", "no"},
		{"proto-max-bulk-len", "2gb"},
		{"requirepass", ""},
	}
	for _, kv := range sets {
		_, err := rc.do(t, "CONFIG", "SET", kv[0], kv[1])
		require.NoError(t, err, "%v", kv)
		require.NoError(t, r.Set([][2]string{kv}), "%v", kv)
	}
	_, err = rc.do(t, "CONFIG", "REWRITE")
	require.NoError(t, err)
	require.NoError(t, r.Rewrite(ourConf))

	want, err := os.ReadFile(redisConf)
	require.NoError(t, err)
	got, err := os.ReadFile(ourConf)
	require.NoError(t, err)
	wantHead, wantTail := splitRewrite(string(want), ourConf, redisConf)
	gotHead, gotTail := splitRewrite(string(got), "", "")
	assert.Equal(t, wantHead, gotHead, "rewritten lines in place")
	assert.Equal(t, wantTail, gotTail, "appended lines")
}

// splitRewrite separates the lines before the rewrite signature from the
// sorted appended ones, dropping ACL user lines and substituting the file
// name Redis rewrote for ours.
func splitRewrite(content, ours, theirs string) ([]string, []string) {
	if theirs != "" {
		content = strings.ReplaceAll(content, theirs, ours)
	}
	var head, tail []string
	inTail := false
	for _, l := range strings.Split(content, "\n") {
		if strings.HasPrefix(l, "user ") {
			continue
		}
		if l == rewriteSignature {
			inTail = true
			continue
		}
		if inTail {
			tail = append(tail, l)
		} else {
			head = append(head, l)
		}
	}
	sort.Strings(tail)
	return head, tail
}

// TestGetMatchingMatchesRedis compares CONFIG GET with several patterns:
// the names reported (exact spellings, aliases, dedup, hidden) and values.
func TestGetMatchingMatchesRedis(t *testing.T) {
	dir := t.TempDir()
	rc, args := startRedis(t, dir, "--dir", dir)
	r := registryFor(t, dir, args)
	cases := [][]string{
		{"MAXMEMORY"},
		{"maxmemory", "MAXMEMORY"},
		{"slaveof", "replicaof"},
		{"SLAVEOF", "slave*"},
		{"slaveo*", "SLAVEOF"},
		{"MAXMEM*"},
		{"*max*"},
		{"key-load-delay", "*key-load*"},
		{"*delay*"},
		{"[a-c]*"},
		{"*-??-*"},
		{"nonexistent", "*nomatch*"},
		{"S*", "s*"},
		{"*[^a-z-]*"},
		{"hash-max-*-entries", "HASH-MAX-ZIPLIST-ENTRIES"},
		{"\\*"},
		{"tls-*", "*file*"},
		{"*"},
	}
	for _, c := range cases {
		want := rc.getAll(t, c...)
		got := map[string]string{}
		for _, kv := range r.GetMatching(c) {
			_, dup := got[kv[0]]
			assert.False(t, dup, "%q reported twice for %q", kv[0], c)
			got[kv[0]] = kv[1]
		}
		assert.Equal(t, want, got, "CONFIG GET %q", c)
	}
}

// TestProtectedConfigsMatchRedis sets dir and dbfilename on a server that
// allows protected configs.
func TestProtectedConfigsMatchRedis(t *testing.T) {
	dir := t.TempDir()
	sub := filepath.Join(dir, "sub")
	require.NoError(t, os.Mkdir(sub, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "file"), nil, 0o644))
	rc, args := startRedis(t, dir, "--dir", dir, "--enable-protected-configs", "yes")
	r := registryFor(t, dir, args)
	for _, kv := range [][2]string{
		{"dir", "sub"}, {"dir", ".."}, {"dir", "nonexistent"}, {"dir", filepath.Join(dir, "file")},
		{"dir", ""}, {"dir", dir + "/./sub/../sub"}, {"dir", "/"}, {"dir", dir},
		{"dbfilename", "a/b"}, {"dbfilename", `a\b`}, {"dbfilename", ""}, {"dbfilename", "x.rdb"},
	} {
		_, werr := rc.do(t, "CONFIG", "SET", kv[0], kv[1])
		gerr := r.Set([][2]string{kv})
		if werr == nil {
			assert.NoError(t, gerr, "%v", kv)
		} else if assert.Error(t, gerr, "%v", kv) {
			assert.Equal(t, werr.Error(), gerr.Error(), "%v", kv)
		}
		got, _ := r.Get(kv[0])
		assert.Equal(t, rc.getAll(t, kv[0])[kv[0]], got, "%v", kv)
	}
}

// TestImmutableParseMatchesRedis feeds probe values for the immutable
// parameters (which CONFIG SET cannot reach) through the command line of
// both. Accepted values make both fail on the guard directive that follows.
func TestImmutableParseMatchesRedis(t *testing.T) {
	needRedis(t)
	dir := t.TempDir()
	values := []string{"abc", "-1", "0", "1", "128", "129", "8", "0777", "1k", "yes",
		"2147483648", "4294967295", "4294967296", ""}
	for _, p := range params {
		if !p.has(immutable) || p.kind == kindString || p.kind == kindSpecial {
			continue
		}
		vs := values
		switch p.kind {
		case kindBool:
			vs = []string{"yes", "NO", "1", ""}
		case kindEnum:
			vs = []string{"abc", "LOCAL", "systemd", "local7", ""}
		}
		for _, v := range vs {
			args := []string{"--port", strconv.Itoa(freePort(t)), "--bind", "127.0.0.1", "--" + p.name, v, "--zzz-guard"}
			_, stderr, code := runRedisArgs(t, dir, "", args...)
			assert.Equal(t, 1, code)
			_, err := ParseArgs(args)
			if assert.Error(t, err, "%q", args) {
				assert.Equal(t, stderr, err.Error(), "%q", args)
			}
		}
	}
}

// TestRandomGetPatternsMatchRedis compares CONFIG GET for random glob
// patterns over the parameter names, which exercises the case-insensitive
// matcher against Redis's.
func TestRandomGetPatternsMatchRedis(t *testing.T) {
	dir := t.TempDir()
	rc, args := startRedis(t, dir, "--dir", dir)
	r := registryFor(t, dir, args)
	rng := rand.New(rand.NewSource(1))
	const alphabet = "aeilmnorst-*?[]^\\AEMX"
	for i := 0; i < 300; i++ {
		b := make([]byte, 1+rng.Intn(7))
		for j := range b {
			b[j] = alphabet[rng.Intn(len(alphabet))]
		}
		pat := string(b)
		if !strings.ContainsAny(pat, "*?[") {
			pat += "*"
		}
		want := rc.getAll(t, pat)
		got := map[string]string{}
		for _, kv := range r.GetMatching([]string{pat}) {
			got[kv[0]] = kv[1]
		}
		assert.Equal(t, sortedKeys(want), sortedKeys(got), "CONFIG GET %q", pat)
	}
}
