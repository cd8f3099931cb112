package lua

import (
	"runtime/metrics"

	glua "github.com/yuin/gopher-lua"
)

// The sandbox, as Redis 7.0 builds it (script_lua.c, eval.c): the base
// library without loadfile/dofile, string, table, math, coroutine, cjson,
// bit, cmsgpack, struct and redis; no os, io, require or debug. The global
// table and every library table are read-only, and reading a global that
// does not exist is an error.
//
// Redis makes tables read-only inside its patched Lua VM. gopher-lua has no
// such flag, so a protected table is kept empty and its contents live in a
// hidden backing table reached through __index: every assignment then goes
// to __newindex, which refuses it. rawset and setmetatable are wrapped to
// refuse protected tables too. (pairs/next over a library table therefore
// see nothing, unlike Redis.)

const (
	errReadonlyTable = "Attempt to modify a readonly table"
	errNoGlobal      = "Script attempted to access nonexistent global variable '%s'"
)

// removedGlobals are what gopher-lua's base library has and Redis's lacks.
// Without getfenv no script can reach the environment it runs in, which
// Engine.Load relies on.
var removedGlobals = []string{
	"dofile", "loadfile", "require", "module", "_printregs", "_GOPHER_LUA_VERSION",
	"getfenv", "setfenv", "newproxy", "print",
}

func newSandbox(e *Engine) *glua.LState {
	L := glua.NewState(glua.Options{SkipOpenLibs: true})
	for _, lib := range []struct {
		name string
		open glua.LGFunction
	}{
		{glua.BaseLibName, glua.OpenBase},
		{glua.TabLibName, glua.OpenTable},
		{glua.StringLibName, glua.OpenString},
		{glua.MathLibName, glua.OpenMath},
		{glua.CoroutineLibName, glua.OpenCoroutine},
	} {
		L.Push(L.NewFunction(lib.open))
		L.Push(glua.LString(lib.name))
		L.Call(1, 0)
	}
	g := L.G.Global
	for _, name := range removedGlobals {
		g.RawSetString(name, glua.LNil)
	}
	g.RawSetString("_VERSION", glua.LString("Lua 5.1"))
	g.RawSetString("tostring", L.NewFunction(luaToString))
	g.RawSetString("rawset", L.NewFunction(protectedRawSet))
	g.RawSetString("error", L.NewFunction(luaError))
	g.RawSetString("pcall", L.NewFunction(luaPCall))
	g.RawSetString("setmetatable", L.NewFunction(protectedSetMetatable))
	g.RawSetString("collectgarbage", L.NewFunction(luaCollectGarbage))
	g.RawSetString("gcinfo", L.NewFunction(luaGCInfo))
	g.RawSetString("__redis__err__handler", L.NewFunction(e.errorHandler))
	g.RawSetString("redis", newRedisModule(L, e))
	g.RawSetString("cjson", newCJSONModule(L))
	g.RawSetString("bit", newBitModule(L))
	g.RawSetString("cmsgpack", newMsgpackModule(L))
	g.RawSetString("struct", newStructModule(L))
	for _, lib := range []string{"string", "table", "math", "coroutine", "redis", "cjson", "bit", "cmsgpack", "struct"} {
		if t, ok := g.RawGetString(lib).(*glua.LTable); ok {
			protectTable(L, t, nil)
		}
	}
	// Strings find their methods through the string table, which is now
	// empty: give them a metatable pointing at its contents.
	strings := g.RawGetString("string").(*glua.LTable)
	strMeta := L.NewTable()
	strMeta.RawSetString("__index", backingOf(L, strings))
	L.SetMetatable(glua.LString(""), strMeta)
	missing := L.NewFunction(missingGlobal)
	protectTable(L, g, missing)
	backingOf(L, g).RawSetString("getmetatable", L.NewFunction(protectedGetMetatable(L, strings, missing)))
	return L
}

// protectedGetMetatable is getmetatable hiding the real metatables of
// protected tables and strings, whose __index leads to the contents
// behind the protection: a script changing them would change every
// later script's environment. Like Redis, it shows a library table
// without a metatable, and _G and strings with a read-only one whose
// __index is the missing-global error or the string library.
func protectedGetMetatable(L *glua.LState, strings *glua.LTable, missing *glua.LFunction) glua.LGFunction {
	globalsMeta := L.NewTable()
	globalsMeta.RawSetString("__index", missing)
	protectTable(L, globalsMeta, nil)
	stringMeta := L.NewTable()
	stringMeta.RawSetString("__index", strings)
	protectTable(L, stringMeta, nil)
	return func(L *glua.LState) int {
		switch v := L.CheckAny(1).(type) {
		case *glua.LTable:
			switch {
			case v == L.G.Global:
				L.Push(globalsMeta)
			case isProtected(L, v):
				L.Push(glua.LNil)
			default:
				L.Push(L.GetMetatable(v))
			}
		case glua.LString:
			L.Push(stringMeta)
		default:
			L.Push(L.GetMetatable(v))
		}
		return 1
	}
}

// protectTable moves t's contents into a hidden backing table and makes t
// refuse writes. onMissing, when set, is called for keys the backing table
// lacks (the global table's error).
func protectTable(L *glua.LState, t *glua.LTable, onMissing *glua.LFunction) {
	backing := L.NewTable()
	var keys []glua.LValue
	t.ForEach(func(k, v glua.LValue) {
		backing.RawSet(k, v)
		keys = append(keys, k)
	})
	for _, k := range keys {
		t.RawSet(k, glua.LNil)
	}
	if onMissing != nil {
		missing := L.NewTable()
		missing.RawSetString("__index", onMissing)
		L.SetMetatable(backing, missing)
	}
	mt := L.NewTable()
	mt.RawSetString("__index", backing)
	mt.RawSetString("__newindex", L.NewFunction(refuseWrite))
	mt.RawSetString(protectedMark, glua.LTrue)
	L.SetMetatable(t, mt)
}

// protectedMark flags the metatable of a protected table.
const protectedMark = "__redis_readonly"

func isProtected(L *glua.LState, v glua.LValue) bool {
	t, ok := v.(*glua.LTable)
	if !ok {
		return false
	}
	mt, ok := L.GetMetatable(t).(*glua.LTable)
	return ok && mt.RawGetString(protectedMark) == glua.LTrue
}

// backingOf returns the table holding a protected table's contents.
func backingOf(L *glua.LState, t *glua.LTable) *glua.LTable {
	mt := L.GetMetatable(t).(*glua.LTable)
	return mt.RawGetString("__index").(*glua.LTable)
}

func refuseWrite(L *glua.LState) int {
	L.RaiseError(errReadonlyTable)
	return 0
}

func missingGlobal(L *glua.LState) int {
	L.RaiseError(errNoGlobal, L.ToStringMeta(L.Get(2)).String())
	return 0
}

func protectedRawSet(L *glua.LState) int {
	t := L.CheckTable(1)
	if isProtected(L, t) {
		L.Error(glua.LString(errReadonlyTable), 0)
	}
	L.RawSet(t, L.CheckAny(2), L.CheckAny(3))
	L.Push(t)
	return 1
}

// protectedSetMetatable is setmetatable refusing protected tables, with
// Redis's message, which carries no position (the VM raises it inside the
// C function).
func protectedSetMetatable(L *glua.LState) int {
	if isProtected(L, L.Get(1)) {
		L.Error(glua.LString(errReadonlyTable), 0)
	}
	L.CheckTypes(2, glua.LTNil, glua.LTTable)
	obj := L.Get(1)
	if obj == glua.LNil {
		L.RaiseError("cannot set metatable to a nil object.")
	}
	if m, ok := L.GetMetatable(obj).(*glua.LTable); ok && m.RawGetString("__metatable") != glua.LNil {
		L.RaiseError("cannot change a protected metatable")
	}
	L.SetMetatable(obj, L.Get(2))
	L.SetTop(1)
	return 1
}

// luaToString is tostring with Lua's own number format ("%.14g").
func luaToString(L *glua.LState) int {
	v := L.CheckAny(1)
	if n, ok := v.(glua.LNumber); ok {
		L.Push(glua.LString(formatNumber(float64(n))))
		return 1
	}
	L.Push(L.ToStringMeta(v))
	return 1
}

// luaError is Lua 5.1's error: a string or number message gets the
// position of the caller at level; error() raises nil.
func luaError(L *glua.LState) int {
	obj := L.Get(1)
	if n, ok := obj.(glua.LNumber); ok {
		obj = glua.LString(formatNumber(float64(n)))
	}
	level := L.OptInt(2, 1)
	if level == 1 && callerIsGo(L) {
		level = 0 // luaL_where finds no line in a C caller (pcall(error, "x"))
	}
	L.Error(obj, level)
	return 0
}

func callerIsGo(L *glua.LState) bool {
	dbg, ok := L.GetStack(1)
	if !ok {
		return false
	}
	if _, err := L.GetInfo("S", dbg, glua.LNil); err != nil {
		return false
	}
	return dbg.What == "G"
}

// luaPCall is Redis 7.0's pcall: an error table (what redis.call raises)
// reaches the script as its message string.
func luaPCall(L *glua.LState) int {
	L.CheckAny(1)
	err := L.PCall(L.GetTop()-1, glua.MultRet, nil)
	if err == nil {
		L.Insert(glua.LTrue, 1)
		return L.GetTop()
	}
	obj := glua.LValue(glua.LString(err.Error()))
	if apiErr, ok := err.(*glua.ApiError); ok {
		obj = apiErr.Object
	}
	if t, ok := obj.(*glua.LTable); ok {
		if msg, ok := t.RawGetString("err").(glua.LString); ok {
			obj = msg
		}
	}
	L.SetTop(0)
	L.Push(glua.LFalse)
	L.Push(obj)
	return 2
}

// luaCollectGarbage is Lua 5.1's collectgarbage. gopher-lua's runs a full
// collection of the Go heap, that is of the whole server, for any option:
// scripts share that heap, so there is nothing of their own to collect,
// and "count" reports the heap in use.
func luaCollectGarbage(L *glua.LState) int {
	switch opt := L.OptString(1, "collect"); opt {
	case "collect", "stop", "restart":
		L.Push(glua.LNumber(0))
	case "count":
		L.Push(glua.LNumber(float64(heapBytes()) / 1024))
	case "step":
		L.Push(glua.LFalse)
	case "setpause", "setstepmul":
		L.Push(glua.LNumber(200)) // the previous value: Lua's default
	default:
		L.RaiseError("bad argument #1 to 'collectgarbage' (invalid option '%s')", opt)
	}
	return 1
}

// luaGCInfo is Lua 5.1's gcinfo: the memory in use in whole kilobytes.
func luaGCInfo(L *glua.LState) int {
	L.Push(glua.LNumber(heapBytes() / 1024))
	return 1
}

// heapBytes reads the bytes of live and not yet swept heap objects
// without stopping the world, as runtime.ReadMemStats would.
func heapBytes() uint64 {
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(sample)
	if sample[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return sample[0].Value.Uint64()
}
