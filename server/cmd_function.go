package server

import (
	"time"

	"github.com/kioku-db/kioku/lua"
	"github.com/kioku-db/kioku/types"
)

// Functions: FUNCTION LOAD / LIST / DELETE / FLUSH / DUMP / RESTORE /
// STATS / KILL / HELP, FCALL and FCALL_RO (Redis's functions.c). The
// libraries and their Lua state are the lua package's; a function runs
// like an EVAL script (runScript), with its keys and arguments as its two
// parameters.
//
// The commands that run library code or change the libraries hold the
// whole keyspace, so they wait for a running script instead of running
// beside it, as they would in Redis's single thread.
func init() {
	register([]binding{
		{"fcall", cmdFCall, lockAll},
		{"fcall_ro", cmdFCallRO, lockAll},
		{"function|load", cmdFunctionLoad, lockAll},
		{"function|list", cmdFunctionList, lockNone},
		{"function|delete", cmdFunctionDelete, lockAll},
		{"function|flush", cmdFunctionFlush, lockAll},
		{"function|dump", cmdFunctionDump, lockNone},
		{"function|restore", cmdFunctionRestore, lockAll},
		{"function|stats", cmdFunctionStats, lockNone},
		{"function|kill", cmdFunctionKill, lockNone},
		{"function|help", cmdFunctionHelp, lockNone},
	})
}

const (
	errFunctionNotFound   = "ERR Function not found"
	errBadNumKeys         = "ERR Bad number of keys provided"
	errFunctionFlushOpt   = "ERR FUNCTION FLUSH only supports SYNC|ASYNC option"
	errRestorePolicy      = "ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE."
	errNoLibraryNameGiven = "ERR library name argument was not given"
)

func (s *Server) functions() *lua.Functions {
	s.scripting.fnOnce.Do(func() { s.scripting.functions = lua.NewFunctions() })
	return s.scripting.functions
}

func cmdFCall(c *Client, args [][]byte)   { fcallGeneric(c, args, false) }
func cmdFCallRO(c *Client, args [][]byte) { fcallGeneric(c, args, true) }

// fcallGeneric checks in Redis's order: the function, the number of
// keys, then the flags against FCALL_RO.
func fcallGeneric(c *Client, args [][]byte, readOnly bool) {
	fn := c.srv.functions().Lookup(string(args[1]))
	if fn == nil {
		c.w.Error(errFunctionNotFound)
		return
	}
	n, ok := parseInt(args[2])
	switch {
	case !ok:
		c.w.Error(errBadNumKeys)
		return
	case n > int64(len(args)-3):
		c.w.Error(errNumKeysTooMany)
		return
	case n < 0:
		c.w.Error(errNumKeysNegative)
		return
	case readOnly && !fn.Flags.NoWrites:
		c.w.Error(errWriteFlagRO)
		return
	}
	keys, argv := args[3:3+n], args[3+n:]
	host := beginScript(c, fn.Name, args, true, readOnly || fn.Flags.NoWrites)
	defer endScript(c, host)
	c.srv.functions().Call(fn, host, keys, argv, c.w)
}

// cmdFunctionLoad: FUNCTION LOAD [REPLACE ...] code, options before the
// code as Redis parses them.
func cmdFunctionLoad(c *Client, args [][]byte) {
	replace := false
	for _, opt := range args[2 : len(args)-1] {
		if !eqFold(opt, "replace") {
			c.w.Error("ERR Unknown option given: " + string(opt))
			return
		}
		replace = true
	}
	name, err := c.srv.functions().Load(args[len(args)-1], replace, &scriptHost{c: c})
	if err != nil {
		c.w.Error(err.Error())
		return
	}
	c.w.BulkString(name)
}

func cmdFunctionList(c *Client, args [][]byte) {
	withCode, pattern, hasPattern := false, "", false
	for i := 2; i < len(args); i++ {
		switch {
		case !withCode && eqFold(args[i], "withcode"):
			withCode = true
		case !hasPattern && eqFold(args[i], "libraryname"):
			if i == len(args)-1 {
				c.w.Error(errNoLibraryNameGiven)
				return
			}
			i++
			pattern, hasPattern = string(args[i]), true
		default:
			c.w.Error("ERR Unknown argument " + string(args[i]))
			return
		}
	}
	var match func(string) bool
	if hasPattern {
		match = func(name string) bool { return types.GlobMatch(pattern, name, true) }
	}
	libs := c.srv.functions().Libraries(match)
	c.w.Array(len(libs))
	for _, lib := range libs {
		writeLibrary(c, lib, withCode)
	}
}

func writeLibrary(c *Client, lib *lua.Library, withCode bool) {
	if withCode {
		c.w.Map(4)
	} else {
		c.w.Map(3)
	}
	c.w.BulkString("library_name")
	c.w.BulkString(lib.Name)
	c.w.BulkString("engine")
	c.w.BulkString("LUA")
	c.w.BulkString("functions")
	c.w.Array(len(lib.Functions))
	for _, fn := range lib.Functions {
		c.w.Map(3)
		c.w.BulkString("name")
		c.w.BulkString(fn.Name)
		c.w.BulkString("description")
		if fn.HasDescription {
			c.w.BulkString(fn.Description)
		} else {
			c.w.Null()
		}
		c.w.BulkString("flags")
		flags := fn.Flags.Names()
		c.w.Set(len(flags))
		for _, f := range flags {
			c.w.Status(f)
		}
	}
	if withCode {
		c.w.BulkString("library_code")
		c.w.Bulk(lib.Code)
	}
}

func cmdFunctionDelete(c *Client, args [][]byte) {
	if err := c.srv.functions().Delete(string(args[2])); err != nil {
		c.w.Error(err.Error())
		return
	}
	c.w.OK()
}

func cmdFunctionFlush(c *Client, args [][]byte) {
	if len(args) > 3 {
		c.w.Error(subcommandSyntaxError(args))
		return
	}
	if len(args) == 3 && !eqFold(args[2], "async") && !eqFold(args[2], "sync") {
		c.w.Error(errFunctionFlushOpt)
		return
	}
	c.srv.functions().Flush()
	c.w.OK()
}

func cmdFunctionDump(c *Client, args [][]byte) {
	c.w.Bulk(c.srv.functions().Dump())
}

func cmdFunctionRestore(c *Client, args [][]byte) {
	if len(args) > 4 {
		c.w.Error(subcommandSyntaxError(args))
		return
	}
	policy := lua.RestoreAppend
	if len(args) == 4 {
		switch {
		case eqFold(args[3], "append"):
		case eqFold(args[3], "replace"):
			policy = lua.RestoreReplace
		case eqFold(args[3], "flush"):
			policy = lua.RestoreFlush
		default:
			c.w.Error(errRestorePolicy)
			return
		}
	}
	if err := c.srv.functions().Restore(args[2], policy, &scriptHost{c: c}); err != nil {
		c.w.Error(err.Error())
		return
	}
	c.w.OK()
}

func cmdFunctionStats(c *Client, args [][]byte) {
	c.w.Map(2)
	c.w.BulkString("running_script")
	if cur, ok := c.srv.scripting.running(); !ok {
		c.w.Null()
	} else {
		c.w.Map(3)
		c.w.BulkString("name")
		c.w.BulkString(cur.name)
		c.w.BulkString("command")
		c.w.Array(len(cur.command))
		for _, a := range cur.command {
			c.w.Bulk(a)
		}
		c.w.BulkString("duration_ms")
		c.w.Int(time.Since(cur.start).Milliseconds())
	}
	libs, fns := c.srv.functions().Counts()
	c.w.BulkString("engines")
	c.w.Map(1)
	c.w.BulkString("LUA")
	c.w.Map(2)
	c.w.BulkString("libraries_count")
	c.w.Int(int64(libs))
	c.w.BulkString("functions_count")
	c.w.Int(int64(fns))
}

func cmdFunctionKill(c *Client, args [][]byte) { killScript(c, true) }

func cmdFunctionHelp(c *Client, args [][]byte) {
	writeHelp(c, "FUNCTION",
		"LOAD [REPLACE] <FUNCTION CODE>",
		"    Create a new library with the given library name and code.",
		"DELETE <LIBRARY NAME>",
		"    Delete the given library.",
		"LIST [LIBRARYNAME PATTERN] [WITHCODE]",
		"    Return general information on all the libraries:",
		"    * Library name",
		"    * The engine used to run the Library",
		"    * Library description",
		"    * Functions list",
		"    * Library code (if WITHCODE is given)",
		"    It also possible to get only function that matches a pattern using LIBRARYNAME argument.",
		"STATS",
		"    Return information about the current function running:",
		"    * Function name",
		"    * Command used to run the function",
		"    * Duration in MS that the function is running",
		"    If no function is running, return nil",
		"    In addition, returns a list of available engines.",
		"KILL",
		"    Kill the current running function.",
		"FLUSH [ASYNC|SYNC]",
		"    Delete all the libraries.",
		"    When called without the optional mode argument, the behavior is determined by the",
		"    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
		"    * ASYNC: Asynchronously flush the libraries.",
		"    * SYNC: Synchronously flush the libraries.",
		"DUMP",
		"    Return a serialized payload representing the current libraries, can be restored using FUNCTION RESTORE command",
		"RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]",
		"    Restore the libraries represented by the given payload, it is possible to give a restore policy to",
		"    control how to handle existing libraries (default APPEND):",
		"    * FLUSH: delete all existing libraries.",
		"    * APPEND: appends the restored libraries to the existing libraries. On collision, abort.",
		"    * REPLACE: appends the restored libraries to the existing libraries, On collision, replace the old",
		"      libraries with the new libraries (notice that even on this option there is a chance of failure",
		"      in case of functions name collision with another library).",
	)
}
