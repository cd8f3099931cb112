package lua

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	glua "github.com/yuin/gopher-lua"

	"github.com/kioku-db/kioku/resp"
)

// Functions is the engine of FUNCTION and FCALL (Redis's functions.c and
// function_lua.c): a Lua state of its own, so functions never share
// globals with EVAL scripts, and the libraries loaded into it.
//
// A library's code runs once, at FUNCTION LOAD, and registers its
// functions with redis.register_function. While it runs, the globals
// resolve to a small API (redis.register_function, redis.log, the log
// levels and the version) and nothing else; afterwards the functions it
// registered see the same sandbox as EVAL scripts, with their keys and
// arguments passed as the two parameters instead of KEYS and ARGV.
type Functions struct {
	eng *Engine
	// loadGlobals is what the globals resolve to while a library loads.
	loadGlobals *glua.LTable
	// loading is the library whose code is running (register_function
	// adds to it); nil outside FUNCTION LOAD.
	loading *Library

	mu    sync.RWMutex // guards libs and funcs; eng.mu guards the Lua state
	libs  map[string]*Library
	funcs map[string]*Function // by lower-cased name: FCALL ignores case
}

// Library is a loaded library: its code, as given to FUNCTION LOAD, and
// the functions it registered, in their order of registration.
type Library struct {
	Name      string
	Code      []byte
	Functions []*Function
}

// Function is a function a library registered.
type Function struct {
	Name           string
	Description    string
	HasDescription bool
	Flags          Flags
	Library        *Library
	fn             *glua.LFunction
}

// loadTimeout bounds the run of a library's code (Redis's LOAD_TIMEOUT_MS).
const loadTimeout = 500 * time.Millisecond

// The errors of FUNCTION LOAD and of redis.register_function, as Redis
// words them.
const (
	errMissingMetadata   = "ERR Missing library metadata"
	errInvalidMetadata   = "ERR Invalid library metadata"
	errNameTwice         = "ERR Invalid metadata value, name argument was given multiple times"
	errNoLibraryName     = "ERR Library name was not given"
	errLibraryName       = "Library names can only contain letters, numbers, or underscores(_) and must be at least one character long"
	errNoFunctions       = "ERR No functions registered"
	errLoadTimeout       = "FUNCTION LOAD timeout"
	errLibraryNotFound   = "ERR Library not found"
	errRegisterOnlyLoad  = "redis.register_function can only be called on FUNCTION LOAD command"
	errRegisterArgCount  = "wrong number of arguments to redis.register_function"
	errRegisterNotTable  = "calling redis.register_function with a single argument is only applicable to Lua table (representing named arguments)."
	errRegisterKey       = "named argument key given to redis.register_function is not a string"
	errRegisterName      = "function_name argument given to redis.register_function must be a string"
	errRegisterDesc      = "description argument given to redis.register_function must be a string"
	errRegisterCallback  = "callback argument given to redis.register_function must be a function"
	errRegisterFlags     = "flags argument to redis.register_function must be a table representing function flags"
	errRegisterFlag      = "unknown flag given"
	errRegisterUnknown   = "unknown argument given to redis.register_function"
	errRegisterNoName    = "redis.register_function must get a function name argument"
	errRegisterNoFunc    = "redis.register_function must get a callback argument"
	errRegisterFirstArg  = "first argument to redis.register_function must be a string"
	errRegisterSecondArg = "second argument to redis.register_function must be a function"
	errFunctionTwice     = "Function already exists in the library"
)

// NewFunctions returns an engine with no libraries.
func NewFunctions() *Functions {
	e := &Engine{scripts: map[string]*Script{}, chunk: functionChunk}
	e.setState(newSandbox(e))
	f := &Functions{eng: e, libs: map[string]*Library{}, funcs: map[string]*Function{}}
	f.loadGlobals = f.newLoadGlobals(e.L)
	return f
}

// newLoadGlobals builds the globals of a loading library: only redis,
// with what register_function needs around it. Any other name is
// Redis's nonexistent-global error, inside redis too.
func (f *Functions) newLoadGlobals(L *glua.LState) *glua.LTable {
	api := L.NewTable()
	api.RawSetString("register_function", L.NewFunction(f.registerFunction))
	api.RawSetString("log", L.NewFunction(f.eng.redisLog))
	api.RawSetString("REDIS_VERSION", glua.LString(redisVersion))
	api.RawSetString("REDIS_VERSION_NUM", glua.LNumber(redisVersionNum))
	for name, v := range map[string]int{"LOG_DEBUG": LogDebug, "LOG_VERBOSE": LogVerbose, "LOG_NOTICE": LogNotice, "LOG_WARNING": LogWarning} {
		api.RawSetString(name, glua.LNumber(v))
	}
	missing := L.NewFunction(missingGlobal)
	protectTable(L, api, missing)
	globals := L.NewTable()
	globals.RawSetString("redis", api)
	mt := L.NewTable()
	mt.RawSetString("__index", missing)
	L.SetMetatable(globals, mt)
	return globals
}

// Engine is the Lua engine functions run in, for Running and Kill.
func (f *Functions) Engine() *Engine { return f.eng }

// Load loads a library from its code ("#!lua name=<lib>\n..."), replacing
// a library of the same name only when replace is set, and returns the
// library's name. host serves redis.log while the code runs. The error is
// Redis's reply text.
func (f *Functions) Load(code []byte, replace bool, host Host) (string, error) {
	name, _, err := parseLibraryHeader(code)
	if err != nil {
		return "", err
	}
	if !replace && f.exists(name) {
		return "", libraryExists(name)
	}
	lib, err := f.build(code, host)
	if err != nil {
		return "", err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.libs[lib.Name] != nil && !replace {
		return "", libraryExists(name)
	}
	if err := f.checkCollisions([]*Library{lib}, true); err != nil {
		return "", err
	}
	f.install(lib)
	return lib.Name, nil
}

func libraryExists(name string) error {
	return scriptError(fmt.Sprintf("ERR Library '%s' already exists", name))
}

func (f *Functions) exists(name string) bool {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return f.libs[name] != nil
}

// checkCollisions refuses libraries registering a function another
// library has (libraries the new ones replace excepted when replacing).
func (f *Functions) checkCollisions(libs []*Library, replacing bool) error {
	for _, lib := range libs {
		for _, fn := range lib.Functions {
			other := f.funcs[strings.ToLower(fn.Name)]
			if other != nil && !(replacing && other.Library.Name == lib.Name) {
				return scriptError(fmt.Sprintf("ERR Function %s already exists", fn.Name))
			}
		}
	}
	return nil
}

// install adds lib, in place of the library of its name if any. f.mu is
// held.
func (f *Functions) install(lib *Library) {
	f.unlink(f.libs[lib.Name])
	f.libs[lib.Name] = lib
	for _, fn := range lib.Functions {
		f.funcs[strings.ToLower(fn.Name)] = fn
	}
}

// unlink removes lib and its functions (nil is no library). f.mu is held.
func (f *Functions) unlink(lib *Library) {
	if lib == nil {
		return
	}
	delete(f.libs, lib.Name)
	for _, fn := range lib.Functions {
		delete(f.funcs, strings.ToLower(fn.Name))
	}
}

// build runs a library's code and returns the library with the functions
// it registered, without installing it.
func (f *Functions) build(code []byte, host Host) (*Library, error) {
	name, body, err := parseLibraryHeader(code)
	if err != nil {
		return nil, err
	}
	e := f.eng
	e.mu.Lock()
	defer e.mu.Unlock()
	chunk, cerr := e.L.Load(bytes.NewReader(body), e.chunk)
	if cerr != nil {
		return nil, scriptError("ERR Error compiling function: " + compileErrorText(cerr, body, e.chunk))
	}
	lib := &Library{Name: name, Code: append([]byte(nil), code...)}
	if msg := f.runLoader(chunk, lib, host); msg != "" {
		return nil, scriptError("ERR Error registering functions: " + msg)
	}
	if len(lib.Functions) == 0 {
		return nil, scriptError(errNoFunctions)
	}
	return lib, nil
}

// runLoader runs a library's compiled code with the load globals, within
// loadTimeout, and returns the error's message ("" when it ran).
func (f *Functions) runLoader(chunk *glua.LFunction, lib *Library, host Host) string {
	e, L := f.eng, f.eng.L
	mt := L.GetMetatable(L.G.Global).(*glua.LTable)
	runtimeGlobals := mt.RawGetString("__index")
	mt.RawSetString("__index", f.loadGlobals)
	ctx, cancel := context.WithTimeout(context.Background(), loadTimeout)
	L.SetContext(ctx)
	f.loading = lib
	e.runBuf = runState{host: host, proto: 2}
	e.run = &e.runBuf
	defer func() {
		e.run = nil
		f.loading = nil
		L.SetContext(e.kill)
		cancel()
		mt.RawSetString("__index", runtimeGlobals)
	}()
	L.Push(chunk)
	err := L.PCall(0, 0, nil)
	switch {
	case err == nil:
		return ""
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		return "ERR " + errLoadTimeout
	}
	return loadErrorText(err)
}

// loadErrorText is the message of an error raised by a library's code:
// an error table's text, or "ERR " and a string error.
func loadErrorText(err error) string {
	apiErr, ok := err.(*glua.ApiError)
	if !ok {
		return "ERR " + err.Error()
	}
	if t, ok := apiErr.Object.(*glua.LTable); ok {
		msg, _ := t.RawGetString("err").(glua.LString)
		return string(msg)
	}
	return "ERR " + apiErr.Object.String()
}

// parseLibraryHeader reads the "#!<engine> name=<lib>" line (Redis's
// functionExtractLibMetaData) and returns the library's name and its
// code from the end of that line on (so lines keep their numbers).
func parseLibraryHeader(code []byte) (string, []byte, error) {
	if !bytes.HasPrefix(code, []byte("#!")) {
		return "", nil, scriptError(errMissingMetadata)
	}
	end := bytes.IndexByte(code, '\n')
	if end < 0 {
		return "", nil, scriptError(errInvalidMetadata)
	}
	parts := strings.Fields(string(code[:end]))
	if len(parts) == 0 {
		return "", nil, scriptError(errInvalidMetadata)
	}
	engine := strings.TrimPrefix(parts[0], "#!")
	name, found := "", false
	for _, part := range parts[1:] {
		if len(part) < 5 || !strings.EqualFold(part[:5], "name=") {
			return "", nil, scriptError("ERR Invalid metadata value given: " + part)
		}
		if found {
			return "", nil, scriptError(errNameTwice)
		}
		name, found = part[5:], true
	}
	switch {
	case !found:
		return "", nil, scriptError(errNoLibraryName)
	case !validName(name):
		return "", nil, scriptError("ERR " + errLibraryName)
	case !strings.EqualFold(engine, "lua"):
		return "", nil, scriptError(fmt.Sprintf("ERR Engine '%s' not found", engine))
	}
	return name, code[end:], nil
}

// validName: letters, digits and underscores, at least one.
func validName(name string) bool {
	if name == "" {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// registerFunction is redis.register_function(name, callback) or
// redis.register_function{function_name=, callback=, flags=,
// description=}.
func (f *Functions) registerFunction(L *glua.LState) int {
	lib := f.loading
	if lib == nil {
		raise(L, errRegisterOnlyLoad)
	}
	fn, problem := readRegisterArgs(L)
	switch {
	case problem != "":
	case !validName(fn.Name):
		problem = errLibraryName // sic: Redis 7.0 says "Library names" here too
	case lib.function(fn.Name) != nil:
		problem = errFunctionTwice
	}
	if problem != "" {
		raise(L, problem)
	}
	fn.Library = lib
	lib.Functions = append(lib.Functions, fn)
	return 0
}

func (lib *Library) function(name string) *Function {
	for _, fn := range lib.Functions {
		if fn.Name == name {
			return fn
		}
	}
	return nil
}

func readRegisterArgs(L *glua.LState) (*Function, string) {
	switch L.GetTop() {
	case 1:
		t, ok := L.Get(1).(*glua.LTable)
		if !ok {
			return nil, errRegisterNotTable
		}
		return readNamedRegisterArgs(L, t)
	case 2:
		name, ok := luaString(L.Get(1))
		if !ok {
			return nil, errRegisterFirstArg
		}
		callback, ok := L.Get(2).(*glua.LFunction)
		if !ok {
			return nil, errRegisterSecondArg
		}
		return &Function{Name: name, fn: callback}, ""
	}
	return nil, errRegisterArgCount
}

func readNamedRegisterArgs(L *glua.LState, t *glua.LTable) (*Function, string) {
	fn := &Function{}
	problem := ""
	hasName := false
	t.ForEach(func(k, v glua.LValue) {
		if problem == "" {
			problem = fn.setNamedArg(k, v, &hasName)
		}
	})
	switch {
	case problem != "":
		return nil, problem
	case !hasName:
		return nil, errRegisterNoName
	case fn.fn == nil:
		return nil, errRegisterNoFunc
	}
	return fn, ""
}

// setNamedArg applies one named argument of register_function.
func (fn *Function) setNamedArg(k, v glua.LValue, hasName *bool) string {
	key, ok := luaString(k)
	if !ok {
		return errRegisterKey
	}
	switch strings.ToLower(key) {
	case "function_name":
		if fn.Name, ok = luaString(v); !ok {
			return errRegisterName
		}
		*hasName = true
	case "description":
		if fn.Description, ok = luaString(v); !ok {
			return errRegisterDesc
		}
		fn.HasDescription = true
	case "callback":
		if fn.fn, ok = v.(*glua.LFunction); !ok {
			return errRegisterCallback
		}
	case "flags":
		list, ok := v.(*glua.LTable)
		if !ok {
			return errRegisterFlags
		}
		if !readFunctionFlags(list, &fn.Flags) {
			return errRegisterFlag
		}
	default:
		return errRegisterUnknown
	}
	return ""
}

// readFunctionFlags reads a flags list, 1..n up to the first nil, names
// in any case.
func readFunctionFlags(list *glua.LTable, flags *Flags) bool {
	for i := 1; ; i++ {
		v := list.RawGetInt(i)
		if v == glua.LNil {
			return true
		}
		name, ok := luaString(v)
		if !ok || !flags.setOne(strings.ToLower(name)) {
			return false
		}
	}
}

// Lookup returns the function named name (in any case), or nil.
func (f *Functions) Lookup(name string) *Function {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return f.funcs[strings.ToLower(name)]
}

// Call runs fn with its keys and arguments and writes its result, or its
// error as Redis reports it, to w.
func (f *Functions) Call(fn *Function, host Host, keys, args [][]byte, w *resp.Writer) {
	e := f.eng
	e.mu.Lock()
	defer e.mu.Unlock()
	e.call(host, fn.Name, w, fn.fn, stringArray(e.L, keys), stringArray(e.L, args))
}

// Delete removes a library and its functions.
func (f *Functions) Delete(name string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	lib := f.libs[name]
	if lib == nil {
		return scriptError(errLibraryNotFound)
	}
	f.unlink(lib)
	return nil
}

// Flush removes every library.
func (f *Functions) Flush() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.libs = map[string]*Library{}
	f.funcs = map[string]*Function{}
}

// Libraries returns the libraries whose names match (all when match is
// nil), sorted by name.
func (f *Functions) Libraries(match func(name string) bool) []*Library {
	f.mu.RLock()
	defer f.mu.RUnlock()
	libs := make([]*Library, 0, len(f.libs))
	for _, lib := range f.libs {
		if match == nil || match(lib.Name) {
			libs = append(libs, lib)
		}
	}
	sort.Slice(libs, func(i, j int) bool { return libs[i].Name < libs[j].Name })
	return libs
}

// Counts reports the number of libraries and of functions.
func (f *Functions) Counts() (libraries, functions int) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return len(f.libs), len(f.funcs)
}
