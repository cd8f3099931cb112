package compat

import (
	"path"
	"testing"
)

// Differential cases for functions (Redis's functions.c, function_lua.c):
// FUNCTION LOAD and its library header, redis.register_function in both
// forms, what a loading library may reach, FCALL / FCALL_RO with their
// flags, errors as they are reported from a function, and the FUNCTION
// LIST / DELETE / FLUSH / DUMP / RESTORE / STATS / KILL commands.
//
// Each case starts with no libraries (FLUSHALL leaves them). Cases listing
// several functions use libraries of one function each: Redis lists a
// library's functions in its hash table's order.

// fload is FUNCTION LOAD of code, which needs no quoting this way.
func fload(code string, replace ...bool) step {
	if len(replace) > 0 && replace[0] {
		return cmdArgs("FUNCTION", "LOAD", "REPLACE", code)
	}
	return cmdArgs("FUNCTION", "LOAD", code)
}

// lib is a library header and body.
func lib(name, body string) string { return "#!lua name=" + name + "\n" + body }

const (
	echoLib  = "redis.register_function('echo', function(keys, args) return {keys, args} end)"
	setLib   = "redis.register_function('setter', function(keys, args) return redis.call('set', keys[1], args[1]) end)"
	getLibRO = "redis.register_function{function_name='getter', callback=function(keys) return redis.call('get', keys[1]) end, flags={'no-writes'}, description='reads a key'}"
)

func functionLoadCases() []dcase {
	return []dcase{
		tc("library header",
			fload("return 1"), fload("#!lua"), fload("#!lua name=x"), fload("#!lua\nreturn 1"),
			fload("#!lua name=x\nreturn 1"), fload("#!lua name=x foo=bar\nreturn 1"),
			fload("#!lua name=x name=y\nreturn 1"), fload("#!lua NAME=x\n"+echoLib),
			fload("#!lua name=x-y\nreturn 1"), fload("#!lua name=\nreturn 1"),
			fload("#!luajit name=x\nreturn 1"), fload("#!LUA name=up\n"+echoLib),
			fload("#! name=x\nreturn 1")),
		tc("load, replace and collisions",
			fload(lib("one", echoLib)), fload(lib("one", echoLib)), fload(lib("one", echoLib), true),
			fload(lib("two", echoLib)), fload(lib("two", setLib)),
			fload(lib("one", "return +"), true), fload(lib("one", "return +")),
			cmdArgs("FUNCTION", "LOAD", "REPLACE", "REPLACE", lib("one", echoLib)),
			cmdArgs("FUNCTION", "LOAD", "FORCE", lib("one", echoLib)),
			"FUNCTION LOAD", "FCALL echo 0 a"),
		tc("compile and run errors while loading",
			fload(lib("x", "return +")), fload(lib("x", "\n\nreturn +")),
			fload(lib("x", "local s = string.format('%d', 1)")),
			fload(lib("x", "redis.call('ping')")), fload(lib("x", "redis.setresp(3)")),
			fload(lib("x", "x = 1")), fload(lib("x", "error('boom')")),
			fload(lib("x", "local v = redis.REDIS_VERSION_NUM .. redis.LOG_WARNING .. redis.REDIS_VERSION\n"+echoLib)),
			fload(lib("x", "redis.log(redis.LOG_DEBUG, 'loading')\n"+setLib)),
			fload(lib("y", "local a = 0\nwhile true do a = a + 1 end"))),
		tc("register_function arguments",
			fload(lib("x", "redis.register_function('g')")),
			fload(lib("x", "redis.register_function('g', 'h', 1)")),
			fload(lib("x", "redis.register_function()")),
			fload(lib("x", "redis.register_function({}, function() end)")),
			fload(lib("x", "redis.register_function('g', 1)")),
			fload(lib("x", "redis.register_function('g-1', function() end)")),
			fload(lib("x", "redis.register_function('', function() end)")),
			fload(lib("x", "redis.register_function('g', function() end)\nredis.register_function('g', function() end)")),
			fload(lib("gg", "redis.register_function('g', function() end)\nredis.register_function('G', function() end)")),
			fload(lib("x", "redis.register_function{function_name='g'}")),
			fload(lib("x", "redis.register_function{callback=function() end}")),
			fload(lib("x", "redis.register_function{function_name='g', callback=function() end, foo=1}")),
			fload(lib("x", "redis.register_function{function_name='g', callback=function() end, flags={'bad'}}")),
			fload(lib("x", "redis.register_function{function_name='g', callback=function() end, flags='no-writes'}")),
			fload(lib("x", "redis.register_function{function_name='g', callback=function() end, flags={1}}")),
			fload(lib("x", "redis.register_function{function_name={}, callback=function() end}")),
			fload(lib("x", "redis.register_function{function_name='g', callback='f'}")),
			fload(lib("x", "redis.register_function{function_name='g', callback=function() end, description={}}")),
			fload(lib("num", "redis.register_function(12, function() return 'twelve' end)")),
			"FCALL 12 0",
			fload(lib("caps", "redis.register_function{function_name='capsflags', callback=function() return 1 end, flags={'NO-WRITES'}}")),
			"FCALL_RO capsflags 0"),
	}
}

func functionCallCases() []dcase {
	return []dcase{
		tc("fcall keys and args",
			fload(lib("e", echoLib)),
			"FCALL echo 2 k1 k2 a1 a2", "FCALL echo 0", "FCALL ECHO 1 k", "FCALL echo 0 a b",
			"FCALL nope 0", "FCALL echo -1", "FCALL echo 3 a", "FCALL echo x", "FCALL nope x",
			"FCALL echo", "FCALL_RO echo 0"),
		tc("writes and read-only functions",
			fload(lib("w", setLib)), fload(lib("r", getLibRO)),
			"FCALL setter 1 k v", "FCALL getter 1 k", "FCALL_RO getter 1 k", "FCALL_RO setter 1 k v2",
			"GET k",
			fload(lib("bad", "redis.register_function{function_name='sneaky', callback=function(keys) return redis.call('set', keys[1], 'x') end, flags={'no-writes'}}")),
			"FCALL sneaky 1 k", "FCALL_RO sneaky 1 k", "GET k"),
		tc("errors raised from a function",
			fload(lib("errs", "redis.register_function('arith', function() return nil + 1 end)\n"+
				"redis.register_function('raise', function() error('my bad') end)\n"+
				"redis.register_function('raisetable', function() error({err='CUSTOM failure'}) end)\n"+
				"redis.register_function('wrongtype', function() return redis.call('incr', 'lst') end)\n"+
				"redis.register_function('pcalled', function() return redis.pcall('incr', 'lst') end)\n"+
				"redis.register_function('errreply', function() return redis.error_reply('MY reply') end)")),
			"RPUSH lst a",
			"FCALL raise 0", "FCALL raisetable 0", "FCALL wrongtype 0", "FCALL pcalled 0", "FCALL errreply 0"),
		tc("the sandbox seen by a function",
			fload(lib("sb", "redis.register_function('globals', function() return {type(string), type(cjson), type(cmsgpack), type(bit), type(redis.call)} end)\n"+
				"redis.register_function('noargv', function() return KEYS end)\n"+
				"redis.register_function('noos', function() return os end)\n"+
				"redis.register_function('setglobal', function() x = 1 end)\n"+
				"redis.register_function('sha', function(keys, args) return redis.sha1hex(args[1]) end)\n"+
				"redis.register_function('resp3', function() redis.setresp(3); return redis.call('hgetall', 'h') end)")),
			"HSET h f v",
			"FCALL globals 0", "FCALL noargv 0", "FCALL noos 0", "FCALL setglobal 0", "FCALL sha 0 abc",
			"FCALL resp3 0"),
		tc("functions and scripts are apart",
			fload(lib("apart", "redis.register_function('f', function() return 1 end)")),
			"SCRIPT FLUSH", "FCALL f 0", "EVAL \"return 1\" 0", "FUNCTION FLUSH", "FCALL f 0",
			"FLUSHALL", "FUNCTION LIST"),
		tc("fcall inside multi",
			fload(lib("m", setLib)), "MULTI", "FCALL setter 1 k v", "FCALL nope 0", "EXEC", "GET k"),
	}
}

func functionCommandCases() []dcase {
	return []dcase{
		tc("function list",
			"FUNCTION LIST",
			fload(lib("listed", getLibRO)),
			"FUNCTION LIST", "FUNCTION LIST WITHCODE", "FUNCTION LIST LIBRARYNAME list*",
			"FUNCTION LIST LIBRARYNAME LIST*", "FUNCTION LIST LIBRARYNAME nomatch",
			"FUNCTION LIST LIBRARYNAME listed WITHCODE", "FUNCTION LIST WITHCODE LIBRARYNAME listed",
			"FUNCTION LIST LIBRARYNAME", "FUNCTION LIST foo", "FUNCTION LIST WITHCODE WITHCODE",
			"FUNCTION LIST LIBRARYNAME a LIBRARYNAME b"),
		tc("function list flags and descriptions",
			fload(lib("flagged", "redis.register_function{function_name='all', callback=function() return 1 end, "+
				"flags={'allow-cross-slot-keys', 'no-cluster', 'allow-stale', 'allow-oom', 'no-writes'}, description=''}")),
			"FUNCTION LIST",
			fload(lib("plain", echoLib)),
			cmd("FUNCTION LIST").sorted()),
		tc("function delete",
			fload(lib("d", echoLib)), "FUNCTION DELETE nope", "FUNCTION DELETE D", "FUNCTION DELETE d",
			"FCALL echo 0", "FUNCTION DELETE d", "FUNCTION DELETE", "FUNCTION DELETE a b",
			fload(lib("d", echoLib))),
		tc("function flush",
			fload(lib("f1", echoLib)), "FUNCTION FLUSH", "FUNCTION LIST", fload(lib("f1", echoLib)),
			"FUNCTION FLUSH ASYNC", "FUNCTION FLUSH sync", "FUNCTION FLUSH foo", "FUNCTION FLUSH SYNC ASYNC",
			"FUNCTION LIST"),
		tc("function stats",
			"FUNCTION STATS", fload(lib("s1", echoLib)), fload(lib("s2", setLib)), "FUNCTION STATS",
			"FUNCTION STATS extra"),
		tc("function dump and restore",
			"FUNCTION DUMP",
			fload(lib("s", "redis.register_function('s1', function() return 1 end)")),
			"FUNCTION DUMP",
			"FUNCTION RESTORE abc", "FUNCTION RESTORE abcdefghijkl", "FUNCTION RESTORE x bogus",
			"FUNCTION RESTORE x FLUSH extra", "FUNCTION RESTORE"),
		tc("function help", "FUNCTION HELP", "FUNCTION NOPE", "FUNCTION"),
		tc("function kill with nothing running", "FUNCTION KILL", "SCRIPT KILL"),
	}
}

// functionDumpRoundTrip restores on each server the payload it dumped.
func functionDumpRoundTrip(t *testing.T, tg *target) {
	t.Helper()
	c, err := dialResp(tg.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	do := func(args ...string) *value {
		_, v, err := c.do(args...)
		if err != nil {
			t.Fatalf("%s %v: %v", tg.name, args, err)
		}
		return v
	}
	do("FUNCTION", "FLUSH")
	do("FUNCTION", "LOAD", lib("a", echoLib))
	do("FUNCTION", "LOAD", lib("b", "redis.register_function('long', function() return '"+longString+"' end)"))
	dump := do("FUNCTION", "DUMP")
	for _, step := range []struct {
		args []string
		want string
	}{
		{[]string{"FUNCTION", "RESTORE", string(dump.str)}, "ERR Library * already exists"},
		{[]string{"FUNCTION", "RESTORE", string(dump.str), "REPLACE"}, "OK"},
		{[]string{"FUNCTION", "FLUSH"}, "OK"},
		{[]string{"FUNCTION", "RESTORE", string(dump.str)}, "OK"},
		{[]string{"FCALL", "long", "0"}, longString},
		{[]string{"FUNCTION", "DELETE", "a"}, "OK"},
		{[]string{"FUNCTION", "LOAD", lib("c", "redis.register_function('echo', function() end)")}, "c"},
		{[]string{"FUNCTION", "RESTORE", string(dump.str), "APPEND"}, "ERR Library b already exists"},
		{[]string{"FUNCTION", "DELETE", "b"}, "OK"},
		{[]string{"FUNCTION", "RESTORE", string(dump.str), "append"}, "ERR Function echo already exists"},
		{[]string{"FUNCTION", "RESTORE", string(dump.str), "FLUSH"}, "OK"},
		{[]string{"FCALL", "echo", "1", "k"}, "k"},
	} {
		v := do(step.args...)
		got := string(v.str)
		if len(v.elems) > 0 {
			got = string(v.elems[0].elems[0].str)
		}
		if ok, _ := path.Match(step.want, got); !ok {
			t.Errorf("%s: %s %s = %q, want %q", tg.name, step.args[0], step.args[1], got, step.want)
		}
	}
}

const longString = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

func TestDiffFunctions(t *testing.T) {
	t.Parallel()
	var cases []dcase
	for _, group := range [][]dcase{functionLoadCases(), functionCallCases(), functionCommandCases()} {
		for _, c := range group {
			cases = append(cases, c.need("fcall").withPrelude("FLUSHALL", "FUNCTION FLUSH"))
		}
	}
	diff(t, bothProtocols(cases))
}

// TestFunctionDumpRestore runs the same DUMP / RESTORE sequence on Redis
// and on Kioku (the payloads differ: Redis compresses long code).
func TestFunctionDumpRestore(t *testing.T) {
	t.Parallel()
	ref, sut := startPair(t)
	functionDumpRoundTrip(t, ref)
	functionDumpRoundTrip(t, sut)
}
