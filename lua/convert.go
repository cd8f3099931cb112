package lua

import (
	"bytes"
	"strconv"
	"unsafe"

	glua "github.com/yuin/gopher-lua"

	"github.com/kioku-db/kioku/resp"
)

// Conversions between RESP and Lua, Redis 7.0's rules (script_lua.c).
//
// RESP → Lua (what redis.call returns): integer → number, bulk → string,
// null bulk or null array (RESP2) → false, status → {ok=s}, error →
// {err=s}, array → table; under redis.setresp(3) also map → {map={...}},
// set → {set={member=true}}, null → nil, boolean → boolean, double →
// {double=n}, big number → {big_number=s}, verbatim → {verbatim_string=
// {format=f, string=s}}.

// parseReply converts one reply at the start of b and returns the bytes
// it took.
func parseReply(L *glua.LState, b []byte) (glua.LValue, int) {
	if len(b) < 3 {
		return glua.LNil, len(b)
	}
	eol := bytes.Index(b, []byte("\r\n"))
	if eol < 0 {
		return glua.LNil, len(b)
	}
	line, rest := b[1:eol], eol+2
	switch b[0] {
	case '+':
		return fieldTable(L, "ok", glua.LString(line)), rest
	case '-':
		return fieldTable(L, "err", glua.LString(line)), rest
	case ':':
		n, _ := strconv.ParseInt(string(line), 10, 64)
		return glua.LNumber(n), rest
	case '$':
		n, _ := strconv.Atoi(string(line))
		if n < 0 {
			return glua.LFalse, rest
		}
		return glua.LString(b[rest : rest+n]), rest + n + 2
	case '*', '>':
		return parseArray(L, b, line, rest)
	case '%':
		return parseMap(L, b, line, rest)
	case '~':
		return parseSet(L, b, line, rest)
	case '_':
		return glua.LNil, rest
	case '#':
		return glua.LBool(len(line) > 0 && line[0] == 't'), rest
	case ',':
		return fieldTable(L, "double", glua.LNumber(parseDouble(line))), rest
	case '(':
		return fieldTable(L, "big_number", glua.LString(line)), rest
	case '=':
		return parseVerbatim(L, b, line, rest)
	case '|':
		return parseAttribute(L, b, line, rest)
	}
	return glua.LNil, len(b)
}

// fieldTable is {field=v}. LState.NewTable would reserve 32 array slots
// and a 32-entry map, several kilobytes for every status or error reply.
func fieldTable(L *glua.LState, field string, v glua.LValue) *glua.LTable {
	t := L.CreateTable(0, 1)
	t.RawSetString(field, v)
	return t
}

// bytesString views b as a string. b must never be written again.
func bytesString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

func parseArray(L *glua.LState, b, line []byte, pos int) (glua.LValue, int) {
	n, _ := strconv.Atoi(string(line))
	if n < 0 {
		return glua.LFalse, pos
	}
	t := L.CreateTable(n, 0)
	for i := 1; i <= n; i++ {
		v, used := parseReply(L, b[pos:])
		pos += used
		t.RawSetInt(i, v)
	}
	return t, pos
}

func parseMap(L *glua.LState, b, line []byte, pos int) (glua.LValue, int) {
	n, _ := strconv.Atoi(string(line))
	m := L.CreateTable(0, n)
	for i := 0; i < n; i++ {
		k, used := parseReply(L, b[pos:])
		pos += used
		v, used := parseReply(L, b[pos:])
		pos += used
		if k != glua.LNil {
			m.RawSet(k, v)
		}
	}
	return fieldTable(L, "map", m), pos
}

func parseSet(L *glua.LState, b, line []byte, pos int) (glua.LValue, int) {
	n, _ := strconv.Atoi(string(line))
	s := L.CreateTable(0, n)
	for i := 0; i < n; i++ {
		k, used := parseReply(L, b[pos:])
		pos += used
		if k != glua.LNil {
			s.RawSet(k, glua.LTrue)
		}
	}
	return fieldTable(L, "set", s), pos
}

func parseVerbatim(L *glua.LState, b, line []byte, pos int) (glua.LValue, int) {
	n, _ := strconv.Atoi(string(line))
	body := b[pos : pos+n]
	v := L.CreateTable(0, 2)
	if len(body) >= 4 {
		v.RawSetString("format", glua.LString(body[:3]))
		v.RawSetString("string", glua.LString(body[4:]))
	}
	return fieldTable(L, "verbatim_string", v), pos + n + 2
}

// parseAttribute skips an attribute, as Redis does, and returns the
// reply it annotates.
func parseAttribute(L *glua.LState, b, line []byte, pos int) (glua.LValue, int) {
	n, _ := strconv.Atoi(string(line))
	for i := 0; i < 2*n; i++ {
		_, used := parseReply(L, b[pos:])
		pos += used
	}
	v, used := parseReply(L, b[pos:])
	return v, pos + used
}

func parseDouble(b []byte) float64 {
	switch string(b) {
	case "inf":
		return posInf
	case "-inf":
		return negInf
	}
	f, _ := strconv.ParseFloat(string(b), 64)
	return f
}

// Lua → RESP (a script's result): string → bulk, number → integer
// (truncated), true → 1 (RESP2 scripts) or a boolean (RESP3 scripts),
// false and nil → null, {err=s} → error, {ok=s} → status, {double=n},
// {big_number=s}, {map=t}, {set=t}, {verbatim_string=t}, any other
// table → array up to its first nil.

// writeReply writes v for a client; scriptProto is the script's
// redis.setresp.
func writeReply(w *resp.Writer, v glua.LValue, scriptProto int) {
	switch v := v.(type) {
	case glua.LString:
		w.BulkString(string(v))
	case glua.LNumber:
		w.Int(toInteger(float64(v)))
	case glua.LBool:
		writeBool(w, bool(v), scriptProto)
	case *glua.LTable:
		writeTable(w, v, scriptProto)
	default:
		w.Null()
	}
}

func writeBool(w *resp.Writer, b bool, scriptProto int) {
	switch {
	case scriptProto == 3:
		w.Bool(b)
	case b:
		w.Int(1)
	default:
		w.Null()
	}
}

func writeTable(w *resp.Writer, t *glua.LTable, scriptProto int) {
	if s, ok := t.RawGetString("err").(glua.LString); ok {
		writeError(w, string(s))
		return
	}
	if s, ok := t.RawGetString("ok").(glua.LString); ok {
		w.Status(string(s))
		return
	}
	if n, ok := t.RawGetString("double").(glua.LNumber); ok {
		w.Double(float64(n))
		return
	}
	if s, ok := t.RawGetString("big_number").(glua.LString); ok {
		w.BigNumber(string(s))
		return
	}
	if m, ok := t.RawGetString("map").(*glua.LTable); ok {
		writeMap(w, m, scriptProto)
		return
	}
	if s, ok := t.RawGetString("set").(*glua.LTable); ok {
		writeSet(w, s, scriptProto)
		return
	}
	if v, ok := t.RawGetString("verbatim_string").(*glua.LTable); ok {
		format, fok := v.RawGetString("format").(glua.LString)
		s, sok := v.RawGetString("string").(glua.LString)
		if fok && sok {
			w.Verbatim(string(format), string(s))
			return
		}
	}
	writeArray(w, t, scriptProto)
}

func writeArray(w *resp.Writer, t *glua.LTable, scriptProto int) {
	n := 0
	for t.RawGetInt(n+1) != glua.LNil {
		n++
	}
	w.Array(n)
	for i := 1; i <= n; i++ {
		writeReply(w, t.RawGetInt(i), scriptProto)
	}
}

func writeMap(w *resp.Writer, m *glua.LTable, scriptProto int) {
	var pairs []glua.LValue
	m.ForEach(func(k, v glua.LValue) { pairs = append(pairs, k, v) })
	w.Map(len(pairs) / 2)
	for _, v := range pairs {
		writeReply(w, v, scriptProto)
	}
}

func writeSet(w *resp.Writer, s *glua.LTable, scriptProto int) {
	var members []glua.LValue
	s.ForEach(func(k, _ glua.LValue) { members = append(members, k) })
	w.Set(len(members))
	for _, k := range members {
		writeReply(w, k, scriptProto)
	}
}
