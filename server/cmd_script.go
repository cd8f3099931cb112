package server

import (
	"bytes"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kioku-db/kioku/lua"
	"github.com/kioku-db/kioku/resp"
	"github.com/kioku-db/kioku/store"
)

// Scripting: EVAL, EVALSHA, EVAL_RO, EVALSHA_RO and SCRIPT (Redis's
// eval.c and script.c). The Lua side (sandbox, conversions, cache) is the
// lua package; this file runs a script under the whole keyspace, as EXEC
// runs a transaction, and runs each redis.call through the same path as
// EXEC's queued commands (callHeld), with the reply captured in a scratch
// writer that the engine converts to Lua values.
func init() {
	register([]binding{
		{"eval", cmdEval, lockAll},
		{"evalsha", cmdEvalSHA, lockAll},
		{"eval_ro", cmdEvalRO, lockAll},
		{"evalsha_ro", cmdEvalSHARO, lockAll},
		{"script|load", cmdScriptLoad, lockNone},
		{"script|exists", cmdScriptExists, lockNone},
		{"script|flush", cmdScriptFlush, lockNone},
		{"script|kill", cmdScriptKill, lockNone},
		{"script|help", cmdScriptHelp, lockNone},
	})
}

const (
	errNoScript          = "NOSCRIPT No matching script. Please use EVAL."
	errNumKeysNegative   = "ERR Number of keys can't be negative"
	errUnknownScriptCmd  = "ERR Unknown Redis command called from script"
	errScriptArity       = "ERR Wrong number of args calling Redis command from script"
	errNoScriptCmd       = "ERR This Redis command is not allowed from script"
	errReadOnlyScript    = "ERR Write commands are not allowed from read-only scripts."
	errWriteFlagRO       = "ERR Can not execute a script with write flag using *_ro command."
	errScriptFlushOption = "ERR SCRIPT FLUSH only support SYNC|ASYNC option"
	errNotBusy           = "NOTBUSY No scripts in execution right now."
	errBusyScript        = "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE."
	errBusyFunction      = "BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE."
	errUnkillable        = "UNKILLABLE Sorry the script already executed write commands against the dataset. You can either wait the script termination or kill the server in a hard way using the SHUTDOWN NOSAVE command."
)

// scriptState is a server's scripting: the engines, made on first use,
// and what other clients need to know about the running script.
//
// Scripts run one at a time (they hold the whole keyspace), so the
// description of the running script, its host and the scratch writer are
// reused by every run: EVALSHA of a small script allocates nothing here.
type scriptState struct {
	once   sync.Once
	engine *lua.Engine
	// wrote: the running script has run a write command, so SCRIPT KILL
	// answers UNKILLABLE.
	wrote atomic.Bool
	// busy: the running script has run past busy-reply-threshold; other
	// clients' commands are answered BUSY (dispatch.go) until it ends.
	busy atomic.Bool
	// scratch receives the replies of redis.call (guarded by the keyspace
	// lock the script holds).
	scratch *resp.Writer
	// host is the scriptHost of the running script, commands its cache of
	// command names (same guard).
	host     scriptHost
	commands commandCache

	// The engine of FUNCTION and FCALL, made on first use.
	fnOnce    sync.Once
	functions *lua.Functions

	// mu guards what other goroutines read of the running script (run,
	// active) and the busy timer.
	mu     sync.Mutex
	active bool
	// run is the running script while active. Its command is the
	// client's own arguments, in the client's read buffer: readers copy
	// them under mu, and the run ends (under mu) before that buffer is
	// reused.
	run runningScript
	// threshold is busy-reply-threshold for the running script (0: none).
	threshold time.Duration
	// timer marks the server busy (onBusyTimer). It is made once and
	// re-armed only when it would fire too late for the run starting:
	// a timer per run (AfterFunc, Stop) showed in EVALSHA profiles.
	timer    *time.Timer
	armed    bool
	deadline time.Time // when the armed timer fires
}

// runningScript is what other clients may ask about the running script.
type runningScript struct {
	name     string   // the SHA1 of a script, the name of a function
	command  [][]byte // the EVAL or FCALL that runs it
	start    time.Time
	function bool
}

// running returns a copy of the running script's description, its
// command copied too; ok is false when none runs.
func (st *scriptState) running() (run runningScript, ok bool) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if !st.active {
		return runningScript{}, false
	}
	run = st.run
	run.command = cloneArgs(run.command)
	return run, true
}

// busyError is the reply to commands refused while a script runs too long;
// it names the KILL command that applies.
func (st *scriptState) busyError() string {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.active && st.run.function {
		return errBusyFunction
	}
	return errBusyScript
}

// callWriter is the scratch writer redis.call replies go to: one per
// server suffices, scripts run one at a time.
func (st *scriptState) callWriter() *resp.Writer {
	if st.scratch == nil {
		st.scratch = resp.NewWriter()
	}
	return st.scratch
}

func (s *Server) lua() *lua.Engine {
	s.scripting.once.Do(func() { s.scripting.engine = lua.New() })
	return s.scripting.engine
}

func cmdEval(c *Client, args [][]byte)      { evalGeneric(c, args, false, false) }
func cmdEvalSHA(c *Client, args [][]byte)   { evalGeneric(c, args, true, false) }
func cmdEvalRO(c *Client, args [][]byte)    { evalGeneric(c, args, false, true) }
func cmdEvalSHARO(c *Client, args [][]byte) { evalGeneric(c, args, true, true) }

func evalGeneric(c *Client, args [][]byte, bySHA, readOnly bool) {
	keys, argv, ok := scriptKeysAndArgs(c, args)
	if !ok {
		return
	}
	script := findScript(c, args[1], bySHA)
	if script == nil {
		return
	}
	if readOnly && !script.Flags.Compat && !script.Flags.NoWrites {
		c.w.Error(errWriteFlagRO)
		return
	}
	host := beginScript(c, script.SHA, args, false, readOnly || script.Flags.NoWrites)
	defer endScript(c, host)
	c.srv.lua().Run(script, host, keys, argv, c.w)
}

// scriptKeysAndArgs splits EVAL's arguments after numkeys.
func scriptKeysAndArgs(c *Client, args [][]byte) (keys, argv [][]byte, ok bool) {
	n, ok := parseInt(args[2])
	switch {
	case !ok:
		c.w.Error(errNotInt)
	case n > int64(len(args)-3):
		c.w.Error(errNumKeysTooMany)
	case n < 0:
		c.w.Error(errNumKeysNegative)
	default:
		return args[3 : 3+n], args[3+n:], true
	}
	return nil, nil, false
}

// findScript compiles EVAL's body (cached by its SHA1) or finds EVALSHA's.
func findScript(c *Client, bodyOrSHA []byte, bySHA bool) *lua.Script {
	if bySHA {
		s := c.srv.lua().LookupBytes(bodyOrSHA)
		if s == nil {
			c.w.Error(errNoScript)
		}
		return s
	}
	s, err := c.srv.lua().Load(bodyOrSHA)
	if err != nil {
		c.w.Error(err.Error())
		return nil
	}
	return s
}

// beginScript prepares c, which holds the whole keyspace, to run a script
// or a function (name, run by command) and returns the host of its
// redis.call. Blocking commands answer at once (as inside EXEC); a SELECT
// inside the script does not outlive it, as in Redis. endScript, deferred,
// undoes it.
func beginScript(c *Client, name string, command [][]byte, function, readOnly bool) *scriptHost {
	st := &c.srv.scripting
	host := &st.host
	*host = scriptHost{c: c, readOnly: readOnly, w: st.callWriter(),
		db: c.db, cmd: c.cmd, noBlock: c.noBlock}
	host.w.Limit = c.w.Limit
	c.noBlock = true
	st.wrote.Store(false)
	threshold := time.Duration(c.srv.cfg.Int("busy-reply-threshold")) * time.Millisecond
	start := time.Now()
	st.mu.Lock()
	st.run = runningScript{name: name, command: command, start: start, function: function}
	st.active = true
	st.threshold = max(threshold, 0)
	if threshold > 0 && (!st.armed || st.deadline.After(start.Add(threshold))) {
		st.armBusyTimer(c.srv, threshold, start)
	}
	st.mu.Unlock()
	return host
}

func endScript(c *Client, host *scriptHost) {
	st := &c.srv.scripting
	st.mu.Lock()
	st.active = false
	st.run = runningScript{}
	st.busy.Store(false)
	st.mu.Unlock()
	c.db, c.cmd, c.noBlock = host.db, host.cmd, host.noBlock
	c.lastCmd.Store(host.cmd)
	host.c = nil
}

// armBusyTimer makes the timer fire after d. st.mu is held.
func (st *scriptState) armBusyTimer(s *Server, d time.Duration, now time.Time) {
	if st.timer == nil {
		st.timer = time.AfterFunc(d, func() { st.onBusyTimer(s) })
	} else {
		st.timer.Reset(d)
	}
	st.armed, st.deadline = true, now.Add(d)
}

// onBusyTimer marks the server busy once the running script has run for
// busy-reply-threshold. Redis notices from a hook every 100,000 Lua
// instructions; a timer is exact and costs the script nothing. The timer
// outlives the runs: whatever script it finds running, it either marks
// busy or re-arms for the rest of that script's threshold.
func (st *scriptState) onBusyTimer(s *Server) {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.armed = false
	if !st.active || st.threshold <= 0 || st.busy.Load() {
		return
	}
	now := time.Now()
	if left := st.threshold - now.Sub(st.run.start); left > 0 {
		st.armBusyTimer(s, left, now)
		return
	}
	st.busy.Store(true)
	s.logf("Slow script detected: still in execution after %d milliseconds. You can try killing the script using the SCRIPT KILL command.", st.threshold.Milliseconds())
}

// cloneArgs copies a command's arguments, which belong to the client's
// read buffer, for other clients to read.
func cloneArgs(args [][]byte) [][]byte {
	out := make([][]byte, len(args))
	for i, a := range args {
		out[i] = append([]byte(nil), a...)
	}
	return out
}

// scriptHost runs a script's redis.call for its client.
type scriptHost struct {
	c        *Client
	readOnly bool
	w        *resp.Writer // the replies of calls, one at a time
	// What the script's client had before the script, restored by
	// endScript.
	db      *store.DB
	cmd     *Command
	noBlock bool
}

func (h *scriptHost) Call(args [][]byte, proto int) []byte {
	h.w.Reset()
	h.w.SetProto(proto)
	cmd, problem := h.check(args)
	if problem != "" {
		h.w.Error(problem)
		return h.w.Buffer()
	}
	if cmd.has(flagWrite) {
		h.c.srv.scripting.wrote.Store(true)
	}
	c := h.c
	saved := c.w
	c.w = h.w
	defer h.restoreWriter(saved)
	c.srv.callHeld(c, cmd, args)
	return h.w.Buffer()
}

func (h *scriptHost) restoreWriter(w *resp.Writer) { h.c.w = w }

// check resolves a command called from the script and applies Redis's
// script rules to it.
func (h *scriptHost) check(args [][]byte) (*Command, string) {
	cmd := h.c.srv.scripting.commands.lookup(args[0])
	if cmd == nil {
		return nil, errUnknownScriptCmd
	}
	if len(cmd.subs) > 0 && len(args) >= 2 {
		if cmd = cmd.subcommand(args[1]); cmd == nil {
			return nil, errUnknownScriptCmd
		}
	}
	switch {
	case cmd.handler == nil:
		return nil, errUnknownScriptCmd
	case !arityOK(cmd.Spec.Arity, len(args)):
		return nil, errScriptArity
	case cmd.has(flagNoScript):
		return nil, errNoScriptCmd
	case h.readOnly && cmd.has(flagWrite):
		return nil, errReadOnlyScript
	}
	return cmd, ""
}

// commandCache remembers the commands scripts called last, by the exact
// bytes of their names: a script calls the same few commands over and
// over, and resolving a name the table way (the name as given, then
// lower-cased: two map lookups for "HMGET") showed in EVALSHA profiles.
// Scripts run one at a time, so it needs no lock.
type commandCache struct {
	names [8][]byte
	cmds  [8]*Command
	next  int
}

func (cc *commandCache) lookup(name []byte) *Command {
	for i, cmd := range cc.cmds {
		if cmd != nil && bytes.Equal(cc.names[i], name) {
			return cmd
		}
	}
	cmd := table.lookup(name)
	if cmd != nil {
		i := cc.next
		cc.next = (i + 1) % len(cc.cmds)
		cc.names[i] = append(cc.names[i][:0], name...)
		cc.cmds[i] = cmd
	}
	return cmd
}

func (h *scriptHost) Log(level int, msg string) {
	if level >= lua.LogNotice {
		h.c.srv.logf("%s", msg)
	}
}

func cmdScriptLoad(c *Client, args [][]byte) {
	s, err := c.srv.lua().Load(args[2])
	if err != nil {
		c.w.Error(err.Error())
		return
	}
	c.w.BulkString(s.SHA)
}

func cmdScriptExists(c *Client, args [][]byte) {
	c.w.Array(len(args) - 2)
	for _, sha := range args[2:] {
		if c.srv.lua().Lookup(string(sha)) != nil {
			c.w.Int(1)
		} else {
			c.w.Int(0)
		}
	}
}

func cmdScriptFlush(c *Client, args [][]byte) {
	if len(args) > 3 || (len(args) == 3 && !eqFold(args[2], "async") && !eqFold(args[2], "sync")) {
		c.w.Error(errScriptFlushOption)
		return
	}
	c.srv.lua().Flush()
	c.w.OK()
}

func cmdScriptKill(c *Client, args [][]byte) { killScript(c, false) }

// killScript is SCRIPT KILL (function false) and FUNCTION KILL: each
// stops only its own kind, and neither a script that has written.
func killScript(c *Client, function bool) {
	st := &c.srv.scripting
	// Held while killing, so the kill reaches the script checked here: a
	// run ends under st.mu.
	st.mu.Lock()
	defer st.mu.Unlock()
	switch {
	case !st.active:
		c.w.Error(errNotBusy)
	case st.wrote.Load():
		c.w.Error(errUnkillable)
	case st.run.function != function:
		if st.run.function {
			c.w.Error(errBusyFunction)
		} else {
			c.w.Error(errBusyScript)
		}
	case function:
		c.srv.functions().Engine().Kill()
		c.w.OK()
	default:
		c.srv.lua().Kill()
		c.w.OK()
	}
}

func cmdScriptHelp(c *Client, args [][]byte) {
	writeHelp(c, "SCRIPT",
		"DEBUG (YES|SYNC|NO)",
		"    Set the debug mode for subsequent scripts executed.",
		"EXISTS <sha1> [<sha1> ...]",
		"    Return information about the existence of the scripts in the script cache.",
		"FLUSH [ASYNC|SYNC]",
		"    Flush the Lua scripts cache. Very dangerous on replicas.",
		"    When called without the optional mode argument, the behavior is determined by the",
		"    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
		"    * ASYNC: Asynchronously flush the scripts cache.",
		"    * SYNC: Synchronously flush the scripts cache.",
		"KILL",
		"    Kill the currently executing Lua script.",
		"LOAD <script>",
		"    Load a script into the scripts cache without executing it.",
	)
}
