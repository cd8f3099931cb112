package lua

import (
	"math"
	"strconv"
	"strings"

	glua "github.com/yuin/gopher-lua"
)

// The redis table of Redis 7.0 (script_lua.c).

const (
	redisVersion    = "7.0.15"
	redisVersionNum = 0x07000f

	errNoArgs       = "Please specify at least one argument for this redis lib call"
	errBadArgType   = "Lua redis lib command arguments must be strings or integers"
	errWrongArgs    = "wrong number of arguments"
	errWrongArgType = "wrong number or type of arguments"
	errLogArgs      = "redis.log() requires two arguments or more."
	errLogLevelType = "First argument must be a number"
	errLogLevel     = "Invalid debug level."
	errSetRespArgs  = "redis.setresp() requires one argument."
	errRespVersion  = "RESP version must be 2 or 3."
	errSetReplArgs  = "redis.set_repl() requires two arguments."
	errReplFlags    = "Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE."
)

// Replication targets of redis.set_repl.
const (
	replNone = 0
	replAOF  = 1
	replRepl = 2
	replAll  = replAOF | replRepl
)

func newRedisModule(L *glua.LState, e *Engine) *glua.LTable {
	t := L.NewTable()
	funcs := map[string]glua.LGFunction{
		"call":               func(L *glua.LState) int { return e.redisCall(L, true) },
		"pcall":              func(L *glua.LState) int { return e.redisCall(L, false) },
		"error_reply":        redisErrorReply,
		"status_reply":       redisStatusReply,
		"sha1hex":            redisSHA1Hex,
		"log":                e.redisLog,
		"setresp":            e.redisSetResp,
		"set_repl":           redisSetRepl,
		"replicate_commands": redisReplicateCommands,
		"breakpoint":         func(L *glua.LState) int { L.Push(glua.LFalse); return 1 },
		"debug":              func(L *glua.LState) int { return 0 },
	}
	for name, fn := range funcs {
		t.RawSetString(name, L.NewFunction(fn))
	}
	t.RawSetString("REDIS_VERSION", glua.LString(redisVersion))
	t.RawSetString("REDIS_VERSION_NUM", glua.LNumber(redisVersionNum))
	for name, v := range map[string]int{
		"LOG_DEBUG": LogDebug, "LOG_VERBOSE": LogVerbose, "LOG_NOTICE": LogNotice, "LOG_WARNING": LogWarning,
		"REPL_NONE": replNone, "REPL_AOF": replAOF, "REPL_SLAVE": replRepl, "REPL_REPLICA": replRepl, "REPL_ALL": replAll,
	} {
		t.RawSetString(name, glua.LNumber(v))
	}
	return t
}

// errorTable builds the error table Redis's luaPushErrorBuff builds: a
// message "-CODE text" keeps its code, any other gets "ERR ".
func errorTable(L *glua.LState, msg string) *glua.LTable {
	code, text := "ERR", msg
	if strings.HasPrefix(msg, "-") {
		if before, after, found := strings.Cut(msg[1:], " "); found {
			code, text = before, after
		} else {
			text = msg[1:]
		}
	}
	return fieldTable(L, "err", glua.LString(code+" "+strings.TrimRight(text, "\r\n")))
}

// raise throws an error table, as Redis's luaError does.
func raise(L *glua.LState, msg string) {
	L.Error(errorTable(L, msg), 0)
}

// redisCall is redis.call (raise) and redis.pcall.
func (e *Engine) redisCall(L *glua.LState, raiseErrors bool) int {
	args, problem := e.commandArgs(L)
	if problem != "" {
		return e.callFailed(L, raiseErrors, errorTable(L, problem))
	}
	run := e.run
	reply := run.host.Call(args, run.proto)
	v, _ := parseReply(L, reply)
	if t, ok := v.(*glua.LTable); ok && len(reply) > 0 && reply[0] == '-' {
		return e.callFailed(L, raiseErrors, t)
	}
	L.Push(v)
	return 1
}

func (e *Engine) callFailed(L *glua.LState, raiseErrors bool, errTable *glua.LTable) int {
	if raiseErrors {
		L.Error(errTable, 0)
	}
	L.Push(errTable)
	return 1
}

// commandArgs converts redis.call's arguments: strings as they are,
// numbers as "%.17g" (Redis avoids Lua's lossy "%.14g" here). They are
// copied into the engine's reused buffer, as a request's arguments sit in
// the connection's read buffer: no allocation per call.
func (e *Engine) commandArgs(L *glua.LState) ([][]byte, string) {
	n := L.GetTop()
	if n == 0 {
		return nil, errNoArgs
	}
	buf, ends := e.argBuf[:0], e.argEnd[:0]
	for i := 1; i <= n; i++ {
		switch v := L.Get(i).(type) {
		case glua.LString:
			buf = append(buf, v...)
		case glua.LNumber:
			buf = appendCommandNumber(buf, float64(v))
		default:
			return nil, errBadArgType
		}
		ends = append(ends, len(buf))
	}
	// Sliced once buf has stopped growing; the capacity of each ends at
	// its length, so appending to one cannot overwrite the next.
	args, start := e.args[:0], 0
	for _, end := range ends {
		args = append(args, buf[start:end:end])
		start = end
	}
	e.args, e.argBuf, e.argEnd = args, buf, ends
	if cap(buf) > maxKeptArgBytes {
		e.argBuf = nil // one huge call must not pin its size for good
	}
	return args, ""
}

// maxKeptArgBytes bounds the argument buffer kept between calls.
const maxKeptArgBytes = 1 << 20

func appendCommandNumber(dst []byte, f float64) []byte {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return appendNumber(dst, f)
	}
	return strconv.AppendFloat(dst, f, 'g', 17, 64)
}

func redisErrorReply(L *glua.LState) int {
	s, ok := L.Get(1).(glua.LString)
	if L.GetTop() != 1 || !ok {
		L.Push(errorTable(L, errWrongArgType))
		return 1
	}
	msg := string(s)
	if !strings.HasPrefix(msg, "-") {
		msg = "-" + msg
	}
	L.Push(errorTable(L, msg))
	return 1
}

func redisStatusReply(L *glua.LState) int {
	s, ok := L.Get(1).(glua.LString)
	if L.GetTop() != 1 || !ok {
		L.Push(errorTable(L, errWrongArgType))
		return 1
	}
	L.Push(fieldTable(L, "ok", s))
	return 1
}

func redisSHA1Hex(L *glua.LState) int {
	if L.GetTop() != 1 {
		raise(L, errWrongArgs)
	}
	s, _ := luaString(L.Get(1))
	L.Push(glua.LString(SHA1Hex([]byte(s))))
	return 1
}

// luaString is lua_tolstring: strings, and numbers in "%.14g".
func luaString(v glua.LValue) (string, bool) {
	switch v := v.(type) {
	case glua.LString:
		return string(v), true
	case glua.LNumber:
		return formatNumber(float64(v)), true
	}
	return "", false
}

func (e *Engine) redisLog(L *glua.LState) int {
	n := L.GetTop()
	if n < 2 {
		raise(L, errLogArgs)
	}
	level, ok := L.Get(1).(glua.LNumber)
	if !ok {
		raise(L, errLogLevelType)
	}
	if level < LogDebug || level > LogWarning {
		raise(L, errLogLevel)
	}
	var b strings.Builder
	for i := 2; i <= n; i++ {
		if s, ok := luaString(L.Get(i)); ok {
			if i != 2 {
				b.WriteByte(' ')
			}
			b.WriteString(s)
		}
	}
	e.run.host.Log(int(level), b.String())
	return 0
}

func (e *Engine) redisSetResp(L *glua.LState) int {
	if L.GetTop() != 1 {
		raise(L, errSetRespArgs)
	}
	v := L.CheckNumber(1)
	if v != 2 && v != 3 {
		raise(L, errRespVersion)
	}
	e.run.proto = int(v)
	return 0
}

// redisSetRepl validates its flags; Kioku has no replicas, and scripts
// always propagate their effects, so there is nothing to store.
func redisSetRepl(L *glua.LState) int {
	if L.GetTop() != 1 {
		raise(L, errSetReplArgs)
	}
	flags := L.CheckNumber(1)
	if flags < replNone || flags > replAll || flags != glua.LNumber(int(flags)) {
		raise(L, errReplFlags)
	}
	return 0
}

// redisReplicateCommands is a no-op that answers true, as in Redis 7.0
// where effects replication is the only mode.
func redisReplicateCommands(L *glua.LState) int {
	L.Push(glua.LTrue)
	return 1
}
