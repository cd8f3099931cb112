package config

import "strings"

// params is every configuration parameter redis-server 7.0.15 knows (the
// Debian build, which includes TLS), with Redis's types, bounds, defaults
// and flags. Parameters whose behaviour Kioku does not implement yet are
// still validated and stored, so CONFIG GET/SET and config files behave as
// in Redis. Order is irrelevant to clients; it is kept close to Redis's
// table to ease review.
var params = []*param{
	// Booleans.
	boolP("rdbchecksum", "", immutable, true),
	boolP("daemonize", "", immutable, false),
	boolP("io-threads-do-reads", "", immutable, false),
	boolP("always-show-logo", "", immutable, false),
	boolP("protected-mode", "", 0, true),
	boolP("rdbcompression", "", 0, true),
	boolP("rdb-del-sync-files", "", 0, false),
	boolP("activerehashing", "", 0, true),
	boolP("stop-writes-on-bgsave-error", "", 0, true),
	boolP("set-proc-title", "", immutable, true),
	boolP("dynamic-hz", "", 0, true),
	boolP("lazyfree-lazy-eviction", "", 0, false),
	boolP("lazyfree-lazy-expire", "", 0, false),
	boolP("lazyfree-lazy-server-del", "", 0, false),
	boolP("lazyfree-lazy-user-del", "", 0, false),
	boolP("lazyfree-lazy-user-flush", "", 0, false),
	boolP("repl-disable-tcp-nodelay", "", 0, false),
	boolP("repl-diskless-sync", "", 0, true),
	boolP("aof-rewrite-incremental-fsync", "", 0, true),
	boolP("no-appendfsync-on-rewrite", "", 0, false),
	boolP("cluster-require-full-coverage", "", 0, true),
	boolP("rdb-save-incremental-fsync", "", 0, true),
	boolP("aof-load-truncated", "", 0, true),
	boolP("aof-use-rdb-preamble", "", 0, true),
	boolP("aof-timestamp-enabled", "", 0, false),
	boolP("cluster-replica-no-failover", "cluster-slave-no-failover", 0, false),
	boolP("replica-lazy-flush", "slave-lazy-flush", 0, false),
	boolP("replica-serve-stale-data", "slave-serve-stale-data", 0, true),
	boolP("replica-read-only", "slave-read-only", 0, true),
	boolP("replica-ignore-maxmemory", "slave-ignore-maxmemory", 0, true),
	boolP("jemalloc-bg-thread", "", 0, true),
	// Kioku, like the reference Debian build (system jemalloc), has no
	// active defragmentation, so enabling it is refused the same way.
	boolP("activedefrag", "", 0, false).validate(func(v int64) string {
		if v != 0 {
			return "Active defragmentation cannot be enabled: it requires a Redis server compiled with a modified Jemalloc like the one shipped by default with the Redis source distribution"
		}
		return ""
	}),
	boolP("syslog-enabled", "", immutable, false),
	boolP("cluster-enabled", "", immutable, false),
	boolP("appendonly", "", denyLoading, false),
	boolP("cluster-allow-reads-when-down", "", 0, false),
	boolP("cluster-allow-pubsubshard-when-down", "", 0, true),
	boolP("crash-log-enabled", "", 0, true),
	boolP("crash-memcheck-enabled", "", 0, true),
	boolP("use-exit-on-panic", "", hidden, false),
	boolP("disable-thp", "", immutable, true),
	boolP("cluster-allow-replica-migration", "", 0, true),
	boolP("replica-announced", "", 0, true),
	boolP("latency-tracking", "", 0, true),
	boolP("aof-disable-auto-gc", "", 0, false),
	boolP("replica-ignore-disk-write-errors", "", 0, false),
	boolP("tls-cluster", "", 0, false),
	boolP("tls-replication", "", 0, false),
	boolP("tls-prefer-server-ciphers", "", 0, false),
	boolP("tls-session-caching", "", 0, true),

	// Strings. emptyNull marks Redis's EMPTY_STRING_IS_NULL strings, which
	// CONFIG REWRITE omits when empty.
	strP("aclfile", immutable, "", false),
	strP("unixsocket", immutable, "", true),
	strP("pidfile", immutable, "", true),
	strP("replica-announce-ip", 0, "", true).aliased("slave-announce-ip"),
	strP("masteruser", sensitive, "", true),
	strP("cluster-announce-ip", 0, "", true),
	strP("cluster-config-file", immutable, "nodes.conf", false),
	strP("cluster-announce-hostname", 0, "", true).check(validHostname),
	strP("syslog-ident", immutable, "redis", false),
	strP("dbfilename", protected, "dump.rdb", false).check(func(s string) string {
		if !isBaseName(s) {
			return "dbfilename can't be a path, just a filename"
		}
		return ""
	}),
	strP("appendfilename", immutable, "appendonly.aof", false).check(func(s string) string {
		switch {
		case s == "":
			return "appendfilename can't be empty"
		case !isBaseName(s):
			return "appendfilename can't be a path, just a filename"
		}
		return ""
	}),
	strP("appenddirname", immutable, "appendonlydir", false).check(func(s string) string {
		switch {
		case s == "":
			return "appenddirname can't be empty"
		case !isBaseName(s):
			return "appenddirname can't be a path, just a dirname"
		}
		return ""
	}),
	strP("server_cpulist", immutable, "", true),
	strP("bio_cpulist", immutable, "", true),
	strP("aof_rewrite_cpulist", immutable, "", true),
	strP("bgsave_cpulist", immutable, "", true),
	strP("ignore-warnings", 0, "", false),
	strP("proc-title-template", 0, "{title} {listen-addr} {server-mode}", false).check(func(s string) string {
		if !validProcTitleTemplate(s) {
			return "template format is invalid or contains unknown variables"
		}
		return ""
	}),
	strP("bind-source-addr", 0, "", true),
	strP("logfile", immutable, "", false),
	strP("masterauth", sensitive, "", true),
	strP("requirepass", sensitive, "", true),
	strP("tls-cert-file", 0, "", true),
	strP("tls-key-file", 0, "", true),
	strP("tls-key-file-pass", 0, "", true),
	strP("tls-client-cert-file", 0, "", true),
	strP("tls-client-key-file", 0, "", true),
	strP("tls-client-key-file-pass", 0, "", true),
	strP("tls-dh-params-file", 0, "", true),
	strP("tls-ca-cert-file", 0, "", true),
	strP("tls-ca-cert-dir", 0, "", true),
	strP("tls-protocols", 0, "", true),
	strP("tls-ciphers", 0, "", true),
	strP("tls-ciphersuites", 0, "", true),

	// Enums.
	enumP("supervised", immutable, "no", names("upstart", "systemd", "auto", "no")),
	enumP("syslog-facility", immutable, "local0", names("user", "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7")),
	enumP("repl-diskless-load", denyLoading, "disabled", names("disabled", "on-empty-db", "swapdb")),
	enumP("loglevel", 0, "notice", names("debug", "verbose", "notice", "warning")),
	enumP("maxmemory-policy", 0, "noeviction", names("volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl", "allkeys-lru", "allkeys-lfu", "allkeys-random", "noeviction")),
	enumP("appendfsync", 0, "everysec", names("everysec", "always", "no")),
	// "relative" is a synonym of "yes" and is shown as "yes".
	enumP("oom-score-adj", 0, "no", []enumItem{{"no", 0}, {"yes", 1}, {"relative", 1}, {"absolute", 2}}),
	enumP("acl-pubsub-default", 0, "resetchannels", names("allchannels", "resetchannels")),
	enumP("sanitize-dump-payload", 0, "no", names("no", "yes", "clients")),
	enumP("enable-protected-configs", immutable, "no", names("no", "yes", "local")),
	enumP("enable-debug-command", immutable, "no", names("no", "yes", "local")),
	enumP("enable-module-command", immutable, "no", names("no", "yes", "local")),
	enumP("cluster-preferred-endpoint-type", 0, "ip", names("ip", "hostname", "unknown-endpoint")),
	enumP("propagation-error-behavior", 0, "ignore", names("ignore", "panic", "panic-on-replicas")),
	shutdownP("shutdown-on-sigint"),
	shutdownP("shutdown-on-sigterm"),
	enumP("tls-auth-clients", 0, "yes", names("no", "yes", "optional")),

	// Integers: C int.
	intP("databases", immutable, 1, intMax, 16, 0),
	intP("port", 0, 0, 65535, 6379, 0),
	intP("io-threads", immutable, 1, 128, 1, 0),
	intP("auto-aof-rewrite-percentage", 0, 0, intMax, 100, 0),
	intP("cluster-replica-validity-factor", 0, 0, intMax, 10, 0).aliased("cluster-slave-validity-factor"),
	intP("list-max-listpack-size", 0, intMin, intMax, -2, 0).aliased("list-max-ziplist-size"),
	intP("tcp-keepalive", 0, 0, intMax, 300, 0),
	intP("cluster-migration-barrier", 0, 0, intMax, 1, 0),
	intP("active-defrag-cycle-min", 0, 1, 99, 1, 0),
	intP("active-defrag-cycle-max", 0, 1, 99, 25, 0),
	intP("active-defrag-threshold-lower", 0, 0, 1000, 10, 0),
	intP("active-defrag-threshold-upper", 0, 0, 1000, 100, 0),
	intP("lfu-log-factor", 0, 0, intMax, 10, 0),
	intP("lfu-decay-time", 0, 0, intMax, 1, 0),
	intP("replica-priority", 0, 0, intMax, 100, 0).aliased("slave-priority"),
	intP("repl-diskless-sync-delay", 0, 0, intMax, 5, 0),
	intP("maxmemory-samples", 0, 1, intMax, 5, 0),
	intP("maxmemory-eviction-tenacity", 0, 0, 100, 10, 0),
	intP("timeout", 0, 0, intMax, 0, 0),
	intP("replica-announce-port", 0, 0, 65535, 0, 0).aliased("slave-announce-port"),
	intP("tcp-backlog", immutable, 0, intMax, 511, 0),
	intP("cluster-port", immutable, 0, 65535, 0, 0),
	intP("cluster-announce-bus-port", 0, 0, 65535, 0, 0),
	intP("cluster-announce-port", 0, 0, 65535, 0, 0),
	intP("cluster-announce-tls-port", 0, 0, 65535, 0, 0),
	intP("repl-timeout", 0, 1, intMax, 60, 0),
	intP("repl-ping-replica-period", 0, 1, intMax, 10, 0).aliased("repl-ping-slave-period"),
	intP("list-compress-depth", 0, 0, intMax, 0, 0),
	intP("rdb-key-save-delay", hidden, intMin, intMax, 0, 0),
	intP("key-load-delay", hidden, intMin, intMax, 0, 0),
	intP("active-expire-effort", 0, 1, 10, 1, 0),
	// hz accepts any int but the server caps it to 1..500 (CONFIG_MIN_HZ,
	// CONFIG_MAX_HZ), which CONFIG GET then shows.
	intP("hz", 0, 0, intMax, 10, 0).clamp(clampHz),
	intP("min-replicas-to-write", 0, 0, intMax, 0, 0).aliased("min-slaves-to-write"),
	intP("min-replicas-max-lag", 0, 0, intMax, 10, 0).aliased("min-slaves-max-lag"),
	intP("watchdog-period", hidden, 0, intMax, 0, 0),
	intP("shutdown-timeout", 0, 0, intMax, 10, 0),
	intP("repl-diskless-sync-max-replicas", 0, 0, intMax, 0, 0),
	intP("tls-port", 0, 0, 65535, 0, 0),
	intP("tls-session-cache-size", 0, 0, intMax, 20*1024, 0),
	intP("tls-session-cache-timeout", 0, 0, intMax, 300, 0),

	// Unsigned int.
	intP("maxclients", 0, 1, uintMax, 10000, unsigned),
	intP("unixsocketperm", immutable, 0, 0o777, 0, unsigned|octal),
	intP("socket-mark-id", immutable, 0, uintMax, 0, unsigned),

	// Unsigned long (checked as signed by Redis).
	intP("active-defrag-max-scan-fields", 0, 1, longMax, 1000, 0),
	intP("slowlog-max-len", 0, 0, longMax, 128, 0),
	intP("acllog-max-len", 0, 0, longMax, 128, 0),

	// Long long.
	intP("busy-reply-threshold", 0, 0, longMax, 5000, 0).aliased("lua-time-limit"),
	intP("cluster-node-timeout", 0, 0, llongMax, 15000, 0),
	intP("slowlog-log-slower-than", 0, -1, llongMax, 10000, 0),
	intP("latency-monitor-threshold", 0, 0, llongMax, 0, 0),
	intP("proto-max-bulk-len", 0, 1024*1024, longMax, 512*1024*1024, memory),
	intP("stream-node-max-entries", 0, 0, llongMax, 100, 0),
	// The backlog is never smaller than 16kb once applied at run time
	// (CONFIG_REPL_BACKLOG_MIN_SIZE); a config file value is kept as is.
	intP("repl-backlog-size", 0, 1, llongMax, 1024*1024, memory).clamp(func(v int64) int64 { return max(v, 16*1024) }),

	// Unsigned long long.
	intP("maxmemory", 0, 0, ullongMax, 0, memory|unsigned),
	intP("cluster-link-sendbuf-limit", 0, 0, ullongMax, 0, memory|unsigned),

	// size_t.
	intP("hash-max-listpack-entries", 0, 0, longMax, 512, unsigned).aliased("hash-max-ziplist-entries"),
	intP("set-max-intset-entries", 0, 0, longMax, 512, unsigned),
	intP("zset-max-listpack-entries", 0, 0, longMax, 128, unsigned).aliased("zset-max-ziplist-entries"),
	intP("active-defrag-ignore-bytes", 0, 1, llongMax, 100<<20, memory|unsigned),
	intP("hash-max-listpack-value", 0, 0, longMax, 64, memory|unsigned).aliased("hash-max-ziplist-value"),
	intP("stream-node-max-bytes", 0, 0, longMax, 4096, memory|unsigned),
	intP("zset-max-listpack-value", 0, 0, longMax, 64, memory|unsigned).aliased("zset-max-ziplist-value"),
	intP("hll-sparse-max-bytes", 0, 0, longMax, 3000, memory|unsigned),
	intP("tracking-table-max-keys", 0, 0, longMax, 1000000, unsigned),
	intP("client-query-buffer-limit", 0, 1024*1024, longMax, 1024*1024*1024, memory|unsigned),

	// ssize_t, time_t, off_t.
	intP("maxmemory-clients", 0, -100, longMax, 0, memory|percent),
	intP("repl-backlog-ttl", 0, 0, longMax, 60*60, 0),
	intP("auto-aof-rewrite-min-size", 0, 0, llongMax, 64*1024*1024, memory),
	intP("loading-process-events-interval-bytes", hidden, 1024, intMax, 2*1024*1024, 0),

	// Special syntax.
	specialP("dir", protected|denyLoading, "", setDir),
	specialP("save", multiArg, "3600 1 300 100 60 10000", setSave),
	specialP("client-output-buffer-limit", multiArg,
		"normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60", setObuf),
	specialP("oom-score-adj-values", multiArg, "0 200 800", setOOMValues),
	specialP("notify-keyspace-events", 0, "", setNotify),
	specialP("bind", multiArg|alwaysApply, "* -::*", setBind),
	specialP("replicaof", immutable|multiArg, "", setReplicaOf).aliased("slaveof"),
	specialP("latency-tracking-info-percentiles", multiArg, "50 99 99.9", setPercentiles),
}

// --- table constructors ------------------------------------------------------

func boolP(name, alias string, f flag, def bool) *param {
	return &param{name: name, alias: alias, flags: f, kind: kindBool, def: boolValue(def).s}
}

func intP(name string, f flag, min, max, def int64, nf numFlag) *param {
	p := &param{name: name, flags: f, kind: kindNum, min: min, max: max, num: nf}
	p.def = p.numValue(def).s
	return p
}

func enumP(name string, f flag, def string, items []enumItem) *param {
	return &param{name: name, flags: f, kind: kindEnum, def: def, enum: items}
}

// shutdownP builds shutdown-on-sigint/sigterm: flags that combine
// ("nosave now"), where save and nosave exclude each other.
func shutdownP(name string) *param {
	const save, nosave = 1, 2
	return &param{
		name: name, flags: multiArg, kind: kindEnum, def: "default", bitflags: true,
		enum: []enumItem{{"default", 0}, {"save", save}, {"nosave", nosave}, {"now", 4}, {"force", 8}},
		checkNum: func(v int64) string {
			if v&save != 0 && v&nosave != 0 {
				return "shutdown options SAVE and NOSAVE can't be used simultaneously"
			}
			return ""
		},
	}
}

func strP(name string, f flag, def string, emptyNull bool) *param {
	return &param{name: name, flags: f, kind: kindString, def: def, emptyNull: emptyNull}
}

func specialP(name string, f flag, def string, set func([]string, value, *setState) (value, string)) *param {
	return &param{name: name, flags: f, kind: kindSpecial, def: def, special: &special{set: set}}
}

// names builds an enum whose values are the positions of the names.
func names(n ...string) []enumItem {
	out := make([]enumItem, len(n))
	for i, s := range n {
		out[i] = enumItem{s, int64(i)}
	}
	return out
}

func (p *param) aliased(alias string) *param { p.alias = alias; return p }

func (p *param) validate(fn func(int64) string) *param { p.checkNum = fn; return p }

func (p *param) check(fn func(string) string) *param { p.checkStr = fn; return p }

func (p *param) clamp(fn func(int64) int64) *param { p.runtimeClamp = fn; return p }

// --- validators --------------------------------------------------------------

// clampHz caps hz to the range the server actually runs at.
func clampHz(v int64) int64 { return min(max(v, 1), 500) }

// isBaseName is Redis's pathIsBaseName: no '/' and no '\'.
func isBaseName(s string) bool { return !strings.ContainsAny(s, "/\\") }

// validHostname accepts what cluster-announce-hostname may hold.
func validHostname(s string) string {
	if len(s) >= 256 {
		return "Hostnames must be less than 256 characters"
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.') {
			return "Hostnames may only contain alphanumeric characters, hyphens or dots"
		}
	}
	return ""
}

// procTitleVars are the variables proc-title-template may use.
var procTitleVars = map[string]bool{
	"title": true, "listen-addr": true, "server-mode": true, "port": true,
	"tls-port": true, "unixsocket": true, "config-file": true,
}

// emptyTitleVars expand to nothing while validating on a standalone server
// without a unix socket: the title is validated empty, server-mode is empty
// outside cluster mode and unixsocket is unset by default.
var emptyTitleVars = map[string]bool{"title": true, "server-mode": true, "unixsocket": true}

// validProcTitleTemplate follows Redis: "{{" is a literal brace, every
// "{name}" must be known, and the template must not expand to blanks only
// when the title itself is empty.
func validProcTitleTemplate(t string) bool {
	var out strings.Builder
	for len(t) > 0 {
		i := strings.IndexByte(t, '{')
		if i < 0 {
			out.WriteString(t)
			break
		}
		out.WriteString(t[:i])
		t = t[i+1:]
		if t == "" {
			return false
		}
		if t[0] == '{' {
			out.WriteByte('{')
			t = t[1:]
			continue
		}
		j := strings.IndexByte(t, '}')
		if j < 0 || !procTitleVars[t[:j]] {
			return false
		}
		if !emptyTitleVars[t[:j]] {
			out.WriteString("x") // expands to something non-blank
		}
		t = t[j+1:]
	}
	return strings.Trim(out.String(), " ") != ""
}
