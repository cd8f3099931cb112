package lua

import (
	"encoding/hex"
	"strings"
	"testing"

	"github.com/kioku-db/kioku/resp"
)

func TestFunctionLoadAndCall(t *testing.T) {
	f := NewFunctions()
	h := &echoHost{reply: "+OK\r\n"}
	name, err := f.Load([]byte("#!lua name=lib\nredis.register_function('echo', function(keys, args) return {keys[1], args[1]} end)"), false, h)
	if err != nil || name != "lib" {
		t.Fatalf("Load = %q, %v", name, err)
	}
	fn := f.Lookup("ECHO")
	if fn == nil {
		t.Fatal("Lookup ignores case in Redis")
	}
	w := resp.NewWriter()
	f.Call(fn, h, [][]byte{[]byte("k")}, [][]byte{[]byte("a")}, w)
	if got := string(w.Buffer()); got != "*2\r\n$1\r\nk\r\n$1\r\na\r\n" {
		t.Fatalf("Call = %q", got)
	}
}

func TestFunctionLoadErrors(t *testing.T) {
	f := NewFunctions()
	h := &echoHost{}
	for code, want := range map[string]string{
		"return 1":                         errMissingMetadata,
		"#!lua name=x":                     errInvalidMetadata,
		"#!lua\nreturn 1":                  errNoLibraryName,
		"#!lua name=x\nreturn 1":           errNoFunctions,
		"#!lua name=x\nlocal s = string":   "ERR Error registering functions: ERR user_function:2: Script attempted to access nonexistent global variable 'string'",
		"#!lua name=x\nredis.call('ping')": "ERR Error registering functions: ERR user_function:2: Script attempted to access nonexistent global variable 'call'",
		"#!lua name=x\nwhile true do end":  "ERR Error registering functions: ERR FUNCTION LOAD timeout",
		"#!lua name=x\nredis.register_function{function_name='f', callback=function() end, flags={'bad'}}": "ERR Error registering functions: ERR unknown flag given",
	} {
		if _, err := f.Load([]byte(code), false, h); err == nil || err.Error() != want {
			t.Errorf("Load(%q) = %v, want %s", code, err, want)
		}
	}
}

// A payload real Redis 7.0 dumped: two libraries, the second one
// LZF-compressed.
const redisDump = "f5404323216c7561206e616d653d730a72656469732e72656769737465725f66756e6374696f6e28277331272c2066756e6374696f6e28292072657475726e203120656e6429f5c34049408b1f23216c7561206e616d653d6c6f6e670a72656469732e72656769737465725f660d756e6374696f6e28276c31272c20e0000e0a292072657475726e202761e03a00052720656e64290a00c6e766c006fd6d24"

func TestFunctionRestoreRedisPayload(t *testing.T) {
	payload, _ := hex.DecodeString(redisDump)
	f := NewFunctions()
	if err := f.Restore(payload, RestoreAppend, &echoHost{}); err != nil {
		t.Fatal(err)
	}
	libs := f.Libraries(nil)
	if len(libs) != 2 || libs[0].Name != "long" || libs[1].Name != "s" {
		t.Fatalf("libraries = %v", libs)
	}
	if want := "return '" + strings.Repeat("a", 68) + "'"; !strings.Contains(string(libs[0].Code), want) {
		t.Fatalf("decompressed code = %q", libs[0].Code)
	}
	again := NewFunctions()
	if err := again.Restore(f.Dump(), RestoreAppend, &echoHost{}); err != nil {
		t.Fatalf("restoring our own dump: %v", err)
	}
	if err := again.Restore(payload, RestoreAppend, &echoHost{}); err == nil || err.Error() != "ERR Library s already exists" {
		t.Fatalf("append over existing = %v", err)
	}
	payload[0] ^= 1
	if err := again.Restore(payload, RestoreReplace, &echoHost{}); err == nil || err.Error() != errPayload {
		t.Fatalf("bad checksum = %v", err)
	}
}

func TestRedisCRC64(t *testing.T) {
	if got := redisCRC64([]byte("123456789")); got != 0xe9c6d914c4b8d9ca {
		t.Fatalf("crc64 = %x", got)
	}
}
