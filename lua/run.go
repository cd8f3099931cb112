package lua

import (
	"bytes"
	"fmt"
	"math"
	"regexp"
	"strings"

	glua "github.com/yuin/gopher-lua"

	"github.com/kioku-db/kioku/resp"
)

var (
	posInf = math.Inf(1)
	negInf = math.Inf(-1)
)

const errKilled = "Script killed by user with SCRIPT KILL..."

// Run runs a cached script with its KEYS and ARGV and writes its result,
// or its error as Redis reports it, to w.
func (e *Engine) Run(s *Script, host Host, keys, argv [][]byte, w *resp.Writer) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.globals.RawSetString("KEYS", stringArray(e.L, keys))
	e.globals.RawSetString("ARGV", stringArray(e.L, argv))
	e.call(host, s.SHA, w, s.fn)
}

// call runs fn with args under SCRIPT KILL, and writes its result or its
// error to w. name is the script's SHA1 or the function's name, as error
// messages give it. e.mu is held.
func (e *Engine) call(host Host, name string, w *resp.Writer, fn *glua.LFunction, args ...glua.LValue) {
	L := e.L
	e.runBuf = runState{host: host, sha: name, proto: 2}
	e.run = &e.runBuf
	e.begin()
	defer e.end()

	L.Push(fn)
	for _, a := range args {
		L.Push(a)
	}
	if e.handler == nil || e.handlerState != L {
		e.handler, e.handlerState = L.NewFunction(e.errorHandler), L
	}
	err := L.PCall(len(args), 1, e.handler)
	if err != nil {
		writeError(w, e.runErrorText(err, name))
		return
	}
	result := L.Get(-1)
	L.Pop(1)
	writeReply(w, result, e.run.proto)
}

// begin marks a run started, for Kill.
func (e *Engine) begin() {
	e.ctl.Lock()
	e.killed.Store(false)
	e.active = true
	e.running.Store(true)
	e.ctl.Unlock()
}

// end marks the run over. A kill switch that fired, or that coroutines
// derived contexts from, is cancelled and replaced, as the per-run
// context it stands for would be.
func (e *Engine) end() {
	e.ctl.Lock()
	e.active = false
	e.running.Store(false)
	if e.kill.used.Load() {
		e.kill.fire()
		e.kill = newKillSwitch()
		e.L.SetContext(e.kill)
	}
	e.ctl.Unlock()
	e.run = nil
}

// WasKilled reports whether the last run ended by SCRIPT KILL.
func (e *Engine) WasKilled() bool { return e.killed.Load() }

// stringArray is KEYS or ARGV. The strings share one copy of the bytes,
// one allocation instead of one per item; it is never written again.
func stringArray(L *glua.LState, items [][]byte) *glua.LTable {
	t := L.CreateTable(len(items), 0)
	total := 0
	for _, it := range items {
		total += len(it)
	}
	buf := make([]byte, 0, total)
	for i, it := range items {
		start := len(buf)
		buf = append(buf, it...)
		t.RawSetInt(i+1, glua.LString(bytesString(buf[start:])))
	}
	return t
}

// errorHandler is Redis's __redis__err__handler: a string error becomes
// {err="ERR "..msg}, and the table gets the script line the error came
// from.
func (e *Engine) errorHandler(L *glua.LState) int {
	errv := L.Get(1)
	t, ok := errv.(*glua.LTable)
	if e.killed.Load() {
		t, ok = errorTable(L, errKilled), true
	}
	if !ok {
		msg := "nil"
		if errv != glua.LNil {
			msg = L.ToStringMeta(errv).String()
		}
		t = fieldTable(L, "err", glua.LString("ERR "+msg))
	}
	if line, found := scriptLine(L); found {
		t.RawSetString("source", glua.LString("@"+e.chunk))
		t.RawSetString("line", glua.LNumber(line))
	}
	L.Push(t)
	return 1
}

// scriptLine finds the line of the innermost script frame.
func scriptLine(L *glua.LState) (int, bool) {
	for level := 0; ; level++ {
		dbg, ok := L.GetStack(level)
		if !ok {
			return 0, false
		}
		if _, err := L.GetInfo("Sl", dbg, glua.LNil); err != nil {
			continue
		}
		if dbg.What != "G" && dbg.CurrentLine > 0 {
			return dbg.CurrentLine, true
		}
	}
}

// runErrorText is the reply to a script that raised an error: the error
// table's message, then where it happened.
func (e *Engine) runErrorText(err error, sha string) string {
	apiErr, ok := err.(*glua.ApiError)
	if !ok {
		return "ERR " + err.Error()
	}
	t, ok := apiErr.Object.(*glua.LTable)
	if !ok {
		return fmt.Sprintf("ERR Error running script (call to f_%s): %s", sha, apiErr.Object.String())
	}
	msg, _ := t.RawGetString("err").(glua.LString)
	source, hasSource := t.RawGetString("source").(glua.LString)
	line, hasLine := t.RawGetString("line").(glua.LNumber)
	if hasSource && hasLine {
		return fmt.Sprintf("%s script: %s, on %s:%d.", msg, sha, source, int(line))
	}
	return string(msg)
}

// gopher-lua reports "user_script line:3(column:5) near 'x':   syntax
// error"; Redis (Lua 5.1) "user_script:3: ... near 'x'". The line is
// kept, the wording is gopher-lua's.
var compileErrorRE = regexp.MustCompile(`line:(\d+)\(column:\d+\) near '(.*)':\s*(.*)`)

func compileErrorText(err error, code []byte, chunk string) string {
	text := err.Error()
	if apiErr, ok := err.(*glua.ApiError); ok && apiErr.Cause != nil {
		text = apiErr.Cause.Error()
	}
	text = strings.TrimSpace(text)
	if strings.HasPrefix(text, chunk+" at EOF:") {
		lines := bytes.Count(code, []byte("\n")) + 1
		return fmt.Sprintf("%s:%d: unexpected symbol near '<eof>'", chunk, lines)
	}
	if m := compileErrorRE.FindStringSubmatch(text); m != nil {
		near, what := m[2], m[3]
		if near == "EOF" {
			near = "<eof>"
		}
		if what == "syntax error" {
			what = "unexpected symbol"
		}
		return fmt.Sprintf("%s:%s: %s near '%s'", chunk, m[1], what, near)
	}
	return text
}
