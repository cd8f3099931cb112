// Package lua runs Redis scripts on gopher-lua: the sandbox Redis 7.0 gives
// a script (its libraries, the redis.* API, protected globals), the script
// cache by SHA1, the function libraries of FUNCTION and FCALL
// (functions.go), and the conversions between Lua values and RESP replies.
//
// The package knows nothing of the server. A script's redis.call goes to a
// Host, which runs the command and hands back its reply as RESP bytes; the
// engine turns those into Lua values, and the script's result into a reply
// written to a resp.Writer.
package lua

import (
	"crypto/sha1"
	"encoding/hex"
	"strings"
	"sync"
	"sync/atomic"

	glua "github.com/yuin/gopher-lua"

	"github.com/kioku-db/kioku/resp"
)

// Host runs the commands a script calls.
type Host interface {
	// Call runs one command for the script and returns its reply encoded
	// in RESP version proto (2 or 3). Refusals (unknown command, wrong
	// arity, a write from a read-only script, ...) are error replies.
	// args, like a request's arguments, belong to the engine and are
	// reused once Call returns; the reply is read before the next Call.
	Call(args [][]byte, proto int) []byte
	// Log writes a redis.log line at a Redis log level (LogDebug...).
	Log(level int, msg string)
}

// Log levels of redis.log, as Redis numbers them.
const (
	LogDebug = iota
	LogVerbose
	LogNotice
	LogWarning
)

// Script is a compiled script of the cache.
type Script struct {
	SHA   string
	Body  []byte
	Flags Flags
	fn    *glua.LFunction
}

// Engine is one Lua state and the scripts compiled into it. Scripts run one
// at a time (Run holds the engine); the server runs them under the
// keyspace's exclusive lock anyway.
type Engine struct {
	mu sync.Mutex
	L  *glua.LState
	// globals holds L's globals behind the protected global table (KEYS
	// and ARGV are set there on every run).
	globals *glua.LTable
	scripts map[string]*Script
	// chunk names the code in messages: "user_script" for EVAL,
	// "user_function" for functions.
	chunk string
	// sizes is the memory the cached bodies take, for INFO.
	size int

	// ctl orders Kill, from other goroutines, against the start and end of
	// runs: a kill reaches the run it was meant for or none.
	ctl    sync.Mutex
	kill   *killSwitch // L's context
	active bool        // a script runs (guarded by ctl)
	// running and killed are active and "the last run was killed" for
	// lock-free readers.
	running atomic.Bool
	killed  atomic.Bool

	run *runState // set while a script runs: &runBuf
	// runBuf, args and argBuf are reused by every run and redis.call:
	// scripts run one at a time, and allocating them per call showed in
	// EVALSHA profiles.
	runBuf runState
	args   [][]byte
	argBuf []byte
	argEnd []int
	// handler is errorHandler as a function of handlerState (the Lua
	// state is replaced by Flush).
	handler      *glua.LFunction
	handlerState *glua.LState
}

// runState is what the redis.* functions of one run need.
type runState struct {
	host  Host
	sha   string
	proto int // redis.setresp
}

// New returns an engine with Redis 7.0's scripting environment.
func New() *Engine {
	e := &Engine{scripts: map[string]*Script{}, chunk: scriptChunk}
	e.setState(newSandbox(e))
	return e
}

// setState makes L the engine's Lua state. e.mu is held, or e is new.
func (e *Engine) setState(L *glua.LState) {
	e.L = L
	e.globals = backingOf(L, L.G.Global)
	e.ctl.Lock()
	e.kill = newKillSwitch()
	e.ctl.Unlock()
	L.SetContext(e.kill)
}

// SHA1Hex is the script's name in the cache: the hex SHA1 of its body.
func SHA1Hex(body []byte) string {
	sum := sha1.Sum(body)
	return hex.EncodeToString(sum[:])
}

// Load compiles body into the cache (once per body) and returns it. The
// error is Redis's reply text.
func (e *Engine) Load(body []byte) (*Script, error) {
	sha := SHA1Hex(body)
	e.mu.Lock()
	defer e.mu.Unlock()
	if s := e.scripts[sha]; s != nil {
		return s, nil
	}
	flags, shebangLen, err := parseShebang(body)
	if err != nil {
		return nil, err
	}
	fn, err := e.compile(body[shebangLen:])
	if err != nil {
		return nil, err
	}
	if !assignsGlobal(fn.Proto) {
		// Reading a global through the protected table costs three
		// lookups (the empty table, its metatable, the contents behind
		// it). A script that never assigns one runs in the contents
		// directly: it cannot write there, since assigning a global is
		// the only way a script can reach its environment (there is no
		// getfenv, and getmetatable hides the contents), and its reads
		// of missing globals still fail as Redis's do.
		fn.Env = e.globals
	}
	s := &Script{SHA: sha, Body: append([]byte(nil), body...), Flags: flags, fn: fn}
	e.scripts[sha] = s
	e.size += len(body)
	return s, nil
}

// compile loads a chunk named as Redis names it ("@user_script"), running
// in the protected globals.
func (e *Engine) compile(code []byte) (*glua.LFunction, error) {
	fn, err := e.L.Load(strings.NewReader(string(code)), e.chunk)
	if err != nil {
		return nil, scriptError("ERR Error compiling script (new function): " + compileErrorText(err, code, e.chunk))
	}
	// gopher-lua builds Lua 5.0's "arg" table on every call of a vararg
	// function, the main chunk included, where no name can reach it (Lua
	// 5.1 does not build it there). Each run of a script would pay a
	// table and a map for nothing.
	fn.Proto.IsVarArg &^= glua.VarArgNeedsArg
	return fn, nil
}

// assignsGlobal reports whether a compiled chunk, or a function defined
// in it, assigns a global variable.
func assignsGlobal(p *glua.FunctionProto) bool {
	for _, inst := range p.Code {
		if int(inst>>26) == glua.OP_SETGLOBAL { // the opcode's 6 top bits
			return true
		}
	}
	for _, nested := range p.FunctionPrototypes {
		if assignsGlobal(nested) {
			return true
		}
	}
	return false
}

// Lookup returns the cached script with this SHA1 (any case), or nil.
func (e *Engine) Lookup(sha string) *Script {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.scripts[strings.ToLower(sha)]
}

// LookupBytes is Lookup for a request's argument, without copying it.
func (e *Engine) LookupBytes(sha []byte) *Script {
	var lower [40]byte
	if len(sha) != len(lower) {
		return nil // not a SHA1: no script has that name
	}
	for i, ch := range sha {
		if ch >= 'A' && ch <= 'Z' {
			ch += 'a' - 'A'
		}
		lower[i] = ch
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.scripts[string(lower[:])]
}

// Flush empties the script cache (SCRIPT FLUSH). Redis also starts a new
// Lua state, so nothing a script left behind survives.
func (e *Engine) Flush() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.scripts = map[string]*Script{}
	e.size = 0
	e.L.Close()
	e.setState(newSandbox(e))
}

// Stats reports the number of cached scripts and the bytes of their bodies.
func (e *Engine) Stats() (count, bytes int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.scripts), e.size
}

// Running reports whether a script is running now.
func (e *Engine) Running() bool { return e.running.Load() }

// Kill stops the running script at its next instruction (SCRIPT KILL). It
// reports false when none runs.
func (e *Engine) Kill() bool {
	e.ctl.Lock()
	defer e.ctl.Unlock()
	if !e.active {
		return false
	}
	e.killed.Store(true)
	e.kill.fire()
	return true
}

// scriptError is an error whose text is the reply Redis gives.
type scriptError string

func (e scriptError) Error() string { return string(e) }

// The names Redis gives the chunks of scripts and of function libraries:
// messages say "user_script:1:", debug info "@user_script".
const (
	scriptChunk   = "user_script"
	functionChunk = "user_function"
)

// writeError writes an error reply whose text is given in full: unlike
// resp.Writer.Error, no "ERR " is added, as Redis's script replies do.
func writeError(w *resp.Writer, msg string) {
	b := make([]byte, 0, len(msg)+3)
	b = append(b, '-')
	for i := 0; i < len(msg); i++ {
		ch := msg[i]
		if ch == '\r' || ch == '\n' {
			ch = ' '
		}
		b = append(b, ch)
	}
	w.Raw(append(b, '\r', '\n'))
}
