package compat

import (
	"regexp"
	"testing"
)

// Differential cases for scripting (Redis's eval.c, script_lua.c): the
// conversions between Lua and RESP both ways under RESP2 and RESP3, the
// errors and where they say they happened, the sandbox, the bundled
// libraries and the SCRIPT commands.

// eval is an EVAL step whose script needs no quoting.
func eval(script string, numkeysAndArgs ...string) step {
	return cmdArgs(append([]string{"EVAL", script}, numkeysAndArgs...)...)
}

func scriptConversionCases() []dcase {
	return []dcase{
		tc("lua to resp scalars",
			eval("return 1", "0"), eval("return -3.99", "0"), eval("return 3.99", "0"),
			eval("return 'x'", "0"), eval("return true", "0"), eval("return false", "0"),
			eval("return nil", "0"), eval("return 1e300", "0"), eval("return 0/0", "0"),
			eval("return -1e300", "0"), eval("return ''", "0")),
		tc("lua to resp tables",
			eval("return {1,2,3.7,'x',true,false,nil,4}", "0"),
			eval("return {1,{2,{3}},{}}", "0"), eval("return {a=1}", "0"),
			eval("return {ok='fine'}", "0"), eval("return {err='boom'}", "0"),
			eval("return {err='My error'}", "0"), eval("return {err=''}", "0"),
			eval("return {ok=3}", "0"), eval("return {err=3}", "0"),
			eval("return {ok='a\\r\\nb'}", "0")),
		tc("error_reply and status_reply",
			eval("return redis.error_reply('my err')", "0"),
			eval("return redis.error_reply('-MY err')", "0"),
			eval("return redis.error_reply('')", "0"),
			eval("return redis.error_reply('x\\ny')", "0"),
			eval("return redis.error_reply(1)", "0"),
			eval("return redis.status_reply('fine')", "0"),
			eval("return redis.status_reply('')", "0"),
			eval("return redis.status_reply()", "0")),
		tc("keys and argv",
			eval("return {KEYS[1], KEYS[2], ARGV[1], ARGV[2], #KEYS, #ARGV}", "2", "k1", "k2", "a1", "a2"),
			eval("return {#KEYS, #ARGV}", "0"),
			eval("KEYS[1] = 'changed'; return KEYS[1]", "1", "k")),
		tc("redis to lua types",
			"SET s hello", "RPUSH l a b c", "HSET h f v", "SADD st m",
			eval("return redis.call('get', KEYS[1])", "1", "s"),
			eval("return redis.call('get', 'missing') == false", "0"),
			eval("return type(redis.call('get', 'missing'))", "0"),
			eval("return redis.call('lrange', 'l', 0, -1)", "0"),
			eval("return redis.call('incr', 'n')", "0"),
			eval("local r = redis.call('set', 'x', 'y'); return type(r) .. ':' .. r.ok", "0"),
			eval("return redis.call('set', 'x', 'y')", "0"),
			eval("return redis.call('ping')", "0"),
			eval("return redis.call('hgetall', 'h')", "0"),
			eval("return redis.call('smembers', 'st')", "0"),
			eval("return redis.call('blpop', 'nolist', 0)", "0"),
			eval("return redis.call('lpop', 'nolist', 2)", "0"),
			eval("return type(redis.call('lpop', 'nolist', 2))", "0")),
		tc("number arguments to redis.call",
			eval("redis.call('set', 'n', 3); return redis.call('get', 'n')", "0"),
			eval("redis.call('set', 'n', 0.1); return redis.call('get', 'n')", "0"),
			eval("redis.call('set', 'n', 1e20); return redis.call('get', 'n')", "0"),
			eval("redis.call('set', 'n', -2.5); return redis.call('get', 'n')", "0"),
			eval("return redis.call('incrby', 'c', 2.0)", "0")),
		tc("resp3 script replies",
			eval("redis.setresp(3); return redis.call('hgetall', 'h')", "0"),
			"HSET h f v",
			eval("redis.setresp(3); return redis.call('hgetall', 'h')", "0"),
			eval("redis.setresp(3); local r = redis.call('hgetall', 'h'); return r.map.f", "0"),
			"SADD st m",
			eval("redis.setresp(3); return redis.call('smembers', 'st')", "0"),
			eval("redis.setresp(3); local r = redis.call('smembers', 'st'); return tostring(r.set.m)", "0"),
			eval("redis.setresp(3); return redis.call('get', 'missing')", "0"),
			eval("redis.setresp(3); return type(redis.call('get', 'missing'))", "0"),
			eval("redis.setresp(3); return true", "0"),
			eval("redis.setresp(3); return false", "0"),
			"ZADD z 1.5 a",
			eval("redis.setresp(3); return redis.call('zscore', 'z', 'a')", "0"),
			eval("redis.setresp(3); return redis.call('zscore', 'z', 'a').double", "0"),
			eval("return {double=3.5}", "0"),
			eval("return {big_number='12345678901234567890'}", "0"),
			eval("return {map={a=1}}", "0"),
			eval("return {set={a=true}}", "0"),
			eval("return {verbatim_string={format='txt', string='hi'}}", "0"),
			eval("redis.setresp(3); return redis.call('exists', 'h')", "0")),
	}
}

func scriptErrorCases() []dcase {
	return []dcase{
		tc("runtime errors",
			eval("error('boom')", "0"), eval("error(nil)", "0"), eval("error()", "0"),
			eval("error({err='X bad'})", "0"), eval("error({err='x bad'})", "0"),
			eval("local a = 1\nerror('second line')", "0"),
			eval("error(12)", "0"), eval("error('lvl0', 0)", "0"),
			eval("local ok, e = pcall(error, {err='x'}); return {tostring(ok), type(e), e}", "0"),
			eval("local ok, e = pcall(error, 'x'); return {tostring(ok), type(e), e}", "0"),
			eval("return {pcall(function() return 1, 2 end)}", "0"),
			eval("local ok, e = xpcall(function() redis.call('incr','s') end, function(e) return e end); return {tostring(ok), type(e)}", "0")),
		tc("redis.call errors",
			"SET s str",
			eval("return redis.call('incr', 's')", "0"),
			eval("local a = 1\nreturn redis.call('incr', 's')", "0"),
			eval("return redis.pcall('incr', 's')", "0"),
			eval("local r = redis.pcall('incr', 's'); return type(r) .. ':' .. r.err", "0"),
			eval("return redis.call('nosuch')", "0"),
			eval("return redis.pcall('nosuch')", "0"),
			eval("return redis.call('incr', 'a', 'b')", "0"),
			eval("return redis.call()", "0"),
			eval("return redis.call(1)", "0"),
			eval("return redis.call('get', {})", "0"),
			eval("return redis.pcall('get', {})", "0"),
			eval("return redis.call('eval', 'return 1', 0)", "0"),
			eval("return redis.call('multi')", "0"),
			eval("return redis.call('subscribe', 'ch')", "0"),
			eval("return redis.call('config', 'nosuch')", "0"),
			eval("return redis.call('get', 'a', 'b')", "0"),
			eval("local ok, e = pcall(redis.call, 'incr', 's'); return {tostring(ok), e}", "0")),
		tc("numkeys",
			eval("return 1", "2", "a"), eval("return 1", "-1"), eval("return 1", "x"),
			cmd("EVAL")),
		tc("compile errors",
			eval("return (", "0").with(compileErrorMask()),
			eval("x x x", "0").with(compileErrorMask()),
			eval("return 1 +", "0").with(compileErrorMask())),
		tc("evalsha",
			"EVALSHA 0000000000000000000000000000000000000000 0",
			"EVALSHA abc 0",
			eval("return 'cached'", "0"),
			"EVALSHA 0c8ed8e2a43d0e0a0c2b2ae42d9e0a0ab12b1ff2 0",
			"SCRIPT LOAD \"return 'loaded'\"",
			"EVALSHA 8d3d51dbd6ccfe1c1b0bd8e3a2c0d36d7d0d19b1 0"),
		tc("redis api errors",
			eval("return redis.setresp(4)", "0"),
			eval("return redis.setresp()", "0"),
			eval("return redis.log(99, 'x')", "0"),
			eval("return redis.log(redis.LOG_WARNING)", "0"),
			eval("return redis.log(redis.LOG_DEBUG, 'debug line', 1)", "0"),
			eval("return redis.set_repl(99)", "0"),
			eval("return redis.set_repl()", "0"),
			eval("return redis.set_repl(redis.REPL_ALL)", "0"),
			eval("return redis.replicate_commands()", "0"),
			eval("return redis.sha1hex('')", "0"),
			eval("return redis.sha1hex(12)", "0"),
			eval("return redis.sha1hex()", "0"),
			eval("return {redis.REDIS_VERSION, redis.REDIS_VERSION_NUM, redis.LOG_DEBUG, redis.LOG_VERBOSE, redis.LOG_NOTICE, redis.LOG_WARNING, redis.REPL_ALL, redis.REPL_AOF, redis.REPL_SLAVE, redis.REPL_REPLICA, redis.REPL_NONE}", "0")),
	}
}

// compileErrorMask keeps what Kioku reproduces of a compile error (the
// prefix and the line) and masks the parser's wording, which is
// gopher-lua's, not Lua 5.1's.
func compileErrorMask() matcher {
	re := regexp.MustCompile(`(user_script:\d+:).*`)
	return matcher{"compile error up to the line", func(ref, got *value) bool {
		return ref.kind == got.kind && re.ReplaceAllString(ref.str, "$1") == re.ReplaceAllString(got.str, "$1")
	}}
}

func scriptSandboxCases() []dcase {
	return []dcase{
		tc("globals",
			eval("return x", "0"), eval("x = 1", "0"), eval("function f() end", "0"),
			eval("return _G.x", "0"), eval("return rawget(_G, 'x')", "0"),
			eval("local t = {}; t.x = 1; return t.x", "0"),
			eval("local function f() return y end; return f()", "0")),
		tc("readonly tables",
			eval("string.x = 1", "0"), eval("redis.call = 1", "0"), eval("math.pi = 3", "0"),
			eval("cjson.encode = nil", "0"), eval("_G.redis = nil", "0"),
			eval("setmetatable(_G, nil)", "0"), eval("rawset(_G, 'x', 1)", "0"),
			eval("return string.x", "0")),
		tc("removed libraries",
			eval("return os", "0"), eval("return io", "0"), eval("return require", "0"),
			eval("return loadfile", "0"), eval("return dofile", "0"), eval("return debug", "0"),
			eval("return package", "0"), eval("return module", "0")),
		tc("available libraries",
			eval("return {type(string.format), type(table.concat), type(math.floor), type(cjson.encode), type(bit.band), type(cmsgpack.pack), type(coroutine.create), type(loadstring), type(pcall), type(unpack)}", "0"),
			eval("return _VERSION", "0"),
			eval("return string.format('%d %s %5.2f', 42, 'x', 3.14159)", "0"),
			eval("return table.concat({'a','b','c'}, ',')", "0"),
			eval("return {math.floor(3.7), math.max(1, 5, 3), math.abs(-2)}", "0"),
			eval("return ('abc'):upper()", "0"),
			eval("return string.rep('ab', 3)", "0"),
			eval("local t = {3,1,2}; table.sort(t); return t", "0"),
			eval("return tostring(math.pi)", "0"),
			eval("return tostring(1/3)", "0"),
			eval("return tostring(1e15)", "0"),
			eval("return tonumber('0x10')", "0"),
			eval("return select('#', 1, 2, 3)", "0")),
	}
}

func scriptLibraryCases() []dcase {
	return []dcase{
		tc("cjson encode",
			eval("return cjson.encode({1,2,3,{a=1.5}, 'x/y', 1e100, 0.1})", "0"),
			eval("return cjson.encode({})", "0"),
			eval("return cjson.encode({[1]=1,[3]=3})", "0"),
			eval("return cjson.encode({[1]=1,[30]=3})", "0"),
			eval("return cjson.encode('\\1\\127\\128\"\\\\\\n\\t\\r\\b\\f')", "0"),
			eval("return cjson.encode(0/0)", "0"),
			eval("return cjson.encode({a={b={c=cjson.null}}})", "0"),
			eval("return cjson.encode(true)", "0"),
			eval("return cjson.encode(nil)", "0"),
			eval("return cjson.encode({[2.5]=1})", "0"),
			eval("return cjson.encode({f=function() end})", "0"),
			eval("return cjson.encode(-0.5)", "0"),
			eval("return cjson.encode(123456789012345)", "0")),
		tc("cjson decode",
			eval(`local t = cjson.decode('{"a":[1,2,{"b":null}],"c":"\\u00e9\\/","d":1.5e3,"e":true}'); return {t.a[1], t.a[3].b == cjson.null and 1 or 0, t.c, t.d, tostring(t.e)}`, "0"),
			eval(`return cjson.decode('[1,')`, "0"),
			eval(`return cjson.decode('')`, "0"),
			eval(`return cjson.decode('[1,2] x')`, "0"),
			eval(`return cjson.decode('{"a" 1}')`, "0"),
			eval(`return cjson.decode('{1:1}')`, "0"),
			eval(`return cjson.decode('[1 2]')`, "0"),
			eval(`return cjson.decode('"\\ud83d\\ude00"')`, "0"),
			eval(`return cjson.decode('[-1.5e2, 0, 3]')`, "0"),
			eval(`return cjson.decode('{"a":"b"}').a`, "0"),
			eval(`return cjson.encode(cjson.decode('[[],{}]'))`, "0")),
		tc("bit",
			eval("return {bit.tobit(0xffffffff), bit.tohex(255), bit.tohex(-1, -4), bit.band(0xff, 0x0f), bit.bor(1,2,4), bit.bxor(3,1), bit.lshift(1,31), bit.rshift(-1, 28), bit.arshift(-256, 4), bit.rol(0x12345678, 8), bit.ror(0x12345678, 8), bit.bnot(0), bit.bswap(0x12345678), bit.tohex(0x12345678, 4)}", "0"),
			eval("return {bit.tobit(2^32 + 5), bit.tobit(-1), bit.tobit(1.5), bit.tobit(2.5), bit.lshift(1, 33), bit.tohex(1, 12), bit.band(-1, 2^31)}", "0")),
		tc("cmsgpack",
			eval("return cmsgpack.pack({1,2,3}, 'abc', 1.5, -1, 300, -200, true, false, {a=1}, 2^40, 0.1, -2^40, 70000, string.rep('x', 40))", "0"),
			eval("return cmsgpack.pack({})", "0"),
			eval("return cmsgpack.pack({[1]=1,[3]=3})", "0"),
			eval("return {cmsgpack.unpack(cmsgpack.pack(1, 'two', {3, {4}}, -5, 2^40, true))}", "0"),
			eval("return cmsgpack.unpack(cmsgpack.pack({a='b'})).a", "0"),
			eval("return cmsgpack.unpack('\\205')", "0")),
		tc("sha1hex", eval("return redis.sha1hex('hello world')", "0")),
		tc("struct",
			eval("return struct.pack('>i', 1) .. struct.pack('<h', -2) .. struct.pack('bBhHlLT', -1, 255, -300, 65535, -5, 7, 9)", "0"),
			eval("return struct.pack('!4 b i d f', 1, 2, 1.5, 0.25)", "0"),
			eval("return struct.pack('i3 I1 i8 >I16', -2, 200, -3, 5)", "0"),
			eval("return struct.pack('c0 s x c3', 'hello', 'wor', 'ldx')", "0"),
			eval("return {struct.unpack('>ihb', struct.pack('>ihb', -70000, 300, -5))}", "0"),
			eval("return {struct.unpack('!4 b i', struct.pack('!4 b i', 7, -9))}", "0"),
			eval("return {struct.unpack('s c2', 'abc\\0xyz')}", "0"),
			eval("return {struct.unpack('b c0', '\\3abcdef')}", "0"),
			eval("return {struct.unpack('b', 'xyz', 2)}", "0"),
			eval("return {struct.unpack('>d', struct.pack('>d', 3.25)), struct.unpack('<f', struct.pack('<f', -0.5))}", "0"),
			eval("return {struct.size('!8 b d'), struct.size('i3 c5 x'), struct.size('>hhh'), struct.size('z')}", "0"),
			eval("return struct.pack('i33', 1)", "0"),
			eval("return struct.pack('!3 i', 1)", "0"),
			eval("return struct.unpack('i', 'ab')", "0"),
			eval("return struct.unpack('s', 'abc')", "0"),
			eval("return struct.unpack('c0', 'abc')", "0"),
			eval("return struct.size('s')", "0"),
			eval("return struct.pack('c5', 'ab')", "0"),
			eval("return struct.pack('q', 1)", "0"),
			eval("return struct.unpack('b', 'xyz', 5)", "0"),
			eval("return {struct.unpack('!8 b d', struct.pack('!8 b d', 1, 2.5))}", "0"),
			eval("return {struct.unpack('<i9 >I10', struct.pack('<i9 >I10', -7, 9))}", "0")),
	}
}

func scriptCommandCases() []dcase {
	return []dcase{
		tc("script load exists flush",
			"SCRIPT LOAD \"return 1\"",
			"SCRIPT EXISTS e0e1f9fabfc9d4800c877a703b823ac0578ff8db ffffffffffffffffffffffffffffffffffffffff",
			"SCRIPT EXISTS E0E1F9FABFC9D4800C877A703B823AC0578FF8DB",
			"EVALSHA e0e1f9fabfc9d4800c877a703b823ac0578ff8db 0",
			"EVALSHA E0E1F9FABFC9D4800C877A703B823AC0578FF8DB 0",
			"SCRIPT FLUSH",
			"SCRIPT EXISTS e0e1f9fabfc9d4800c877a703b823ac0578ff8db",
			"SCRIPT FLUSH ASYNC", "SCRIPT FLUSH SYNC", "SCRIPT FLUSH BAD",
			"SCRIPT LOAD \"return (\"",
			"SCRIPT KILL", "SCRIPT HELP", "SCRIPT NOSUCH", "SCRIPT"),
		tc("shebang flags",
			eval("#!lua flags=no-writes\nreturn redis.call('set','a','1')", "0"),
			eval("#!lua flags=no-writes\nreturn redis.call('get','a')", "0"),
			eval("#!lua\nreturn redis.call('set','a','1')", "0"),
			eval("#!lua flags=bogus\nreturn 1", "0"),
			eval("#!lua name=x\nreturn 1", "0"),
			eval("#!python\nreturn 1", "0"),
			eval("#!lua", "0"),
			eval("#!lua flags=allow-oom,allow-stale,no-cluster,allow-cross-slot-keys\nreturn 1", "0"),
			eval("#!lua flags=\nreturn 2", "0"),
			eval("#!lua\nerror('line two')", "0")),
		tc("eval_ro",
			cmdArgs("EVAL_RO", "return redis.call('set','a','1')", "0"),
			cmdArgs("EVAL_RO", "return redis.call('get','a')", "0"),
			cmdArgs("EVAL_RO", "#!lua\nreturn 1", "0"),
			cmdArgs("EVAL_RO", "#!lua flags=no-writes\nreturn 1", "0"),
			"SCRIPT LOAD \"return redis.call('set','a','1')\"",
			"EVALSHA_RO 7be1b8b3c6ec2d2e13f0ec4fe8d5e9f36c24d4f4 0"),
		tc("scripts write and notify like commands",
			eval("redis.call('set', KEYS[1], ARGV[1]); redis.call('expire', KEYS[1], 100); return redis.call('ttl', KEYS[1])", "1", "k", "v"),
			"GET k",
			eval("redis.call('select', 1); redis.call('set', 'in1', 'x'); return redis.call('get', 'in1')", "0"),
			"GET in1", "SELECT 1", "GET in1", "SELECT 0"),
		tc("script inside multi",
			"MULTI", eval("return redis.call('incr', 'm')", "0"), eval("return redis.call('blpop', 'l', 0)", "0"), "EXEC"),
		tc("watch broken by a script",
			"SET w 1", "WATCH w", cmdArgs("EVAL", "return redis.call('set', 'w', 2)", "0").byOther(),
			"MULTI", "GET w", "EXEC"),
	}
}

func TestDiffScripting(t *testing.T) {
	t.Parallel()
	var cases []dcase
	for _, group := range [][]dcase{
		scriptConversionCases(), scriptErrorCases(), scriptSandboxCases(),
		scriptLibraryCases(), scriptCommandCases(),
	} {
		for _, c := range group {
			cases = append(cases, c.need("eval"))
		}
	}
	diff(t, bothProtocols(cases))
}
