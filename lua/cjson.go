package lua

import (
	"fmt"
	"math"
	"strconv"
	"unicode/utf8"

	glua "github.com/yuin/gopher-lua"
)

// cjson is lua-cjson 2.1.0 as Redis bundles it: numbers in "%.14g", "/"
// escaped, an empty table encoded as {}, tables whose keys are 1..n as
// arrays (holes as null while the array is not "excessively sparse"),
// JSON null decoded as cjson.null.

const (
	cjsonMaxDepth    = 1000
	cjsonSparseRatio = 2
	cjsonSparseSafe  = 10
)

type cjson struct {
	null glua.LValue
}

func newCJSONModule(L *glua.LState) *glua.LTable {
	j := &cjson{null: L.NewUserData()}
	t := L.NewTable()
	t.RawSetString("encode", L.NewFunction(j.encode))
	t.RawSetString("decode", L.NewFunction(j.decode))
	t.RawSetString("null", j.null)
	t.RawSetString("_NAME", glua.LString("cjson"))
	t.RawSetString("_VERSION", glua.LString("2.1.0"))
	// The configuration functions answer Redis's defaults; Kioku keeps
	// them fixed.
	for name, values := range map[string][]glua.LValue{
		"encode_sparse_array":     {glua.LFalse, glua.LNumber(cjsonSparseRatio), glua.LNumber(cjsonSparseSafe)},
		"encode_max_depth":        {glua.LNumber(cjsonMaxDepth)},
		"decode_max_depth":        {glua.LNumber(cjsonMaxDepth)},
		"encode_number_precision": {glua.LNumber(14)},
		"encode_keep_buffer":      {glua.LTrue},
		"encode_invalid_numbers":  {glua.LFalse},
		"decode_invalid_numbers":  {glua.LTrue},
	} {
		values := values
		t.RawSetString(name, L.NewFunction(func(L *glua.LState) int {
			for _, v := range values {
				L.Push(v)
			}
			return len(values)
		}))
	}
	return t
}

func (j *cjson) encode(L *glua.LState) int {
	if L.GetTop() != 1 {
		L.ArgError(1, "expected 1 argument")
	}
	out, err := j.appendValue(L, nil, L.Get(1), 0)
	if err != "" {
		L.RaiseError("%s", err)
	}
	L.Push(glua.LString(out))
	return 1
}

func (j *cjson) appendValue(L *glua.LState, dst []byte, v glua.LValue, depth int) ([]byte, string) {
	switch v := v.(type) {
	case glua.LString:
		return appendJSONString(dst, string(v)), ""
	case glua.LNumber:
		f := float64(v)
		if math.IsInf(f, 0) || math.IsNaN(f) {
			return nil, "Cannot serialise number: must not be NaN or Inf"
		}
		return appendNumber(dst, f), ""
	case glua.LBool:
		return strconv.AppendBool(dst, bool(v)), ""
	case *glua.LNilType:
		return append(dst, "null"...), ""
	case *glua.LTable:
		return j.appendTable(L, dst, v, depth+1)
	}
	if v == j.null {
		return append(dst, "null"...), ""
	}
	return nil, fmt.Sprintf("Cannot serialise %s: type not supported", v.Type().String())
}

func (j *cjson) appendTable(L *glua.LState, dst []byte, t *glua.LTable, depth int) ([]byte, string) {
	if depth > cjsonMaxDepth {
		return nil, fmt.Sprintf("Cannot serialise, excessive nesting (%d)", depth)
	}
	n, isArray := arrayLength(t)
	if isArray && n > 0 {
		return j.appendArray(L, dst, t, n, depth)
	}
	if n == -1 {
		return nil, "Cannot serialise table: excessively sparse array"
	}
	return j.appendObject(L, dst, t, depth)
}

// arrayLength is lua_array_length: the largest index when every key is a
// positive integer, -1 when such an array is too sparse to encode.
func arrayLength(t *glua.LTable) (int, bool) {
	max, items, isArray := 0, 0, true
	t.ForEach(func(k, _ glua.LValue) {
		n, ok := k.(glua.LNumber)
		if !ok || n < 1 || float64(n) != math.Floor(float64(n)) {
			isArray = false
			return
		}
		if int(n) > max {
			max = int(n)
		}
		items++
	})
	if !isArray {
		return 0, false
	}
	if max > items*cjsonSparseRatio && max > cjsonSparseSafe {
		return -1, false
	}
	return max, true
}

func (j *cjson) appendArray(L *glua.LState, dst []byte, t *glua.LTable, n, depth int) ([]byte, string) {
	dst = append(dst, '[')
	for i := 1; i <= n; i++ {
		if i > 1 {
			dst = append(dst, ',')
		}
		var err string
		if dst, err = j.appendValue(L, dst, t.RawGetInt(i), depth); err != "" {
			return nil, err
		}
	}
	return append(dst, ']'), ""
}

func (j *cjson) appendObject(L *glua.LState, dst []byte, t *glua.LTable, depth int) ([]byte, string) {
	dst = append(dst, '{')
	first := true
	var err string
	t.ForEach(func(k, v glua.LValue) {
		if err != "" {
			return
		}
		if !first {
			dst = append(dst, ',')
		}
		first = false
		switch k := k.(type) {
		case glua.LString:
			dst = appendJSONString(dst, string(k))
		case glua.LNumber:
			dst = append(appendNumber(append(dst, '"'), float64(k)), '"')
		default:
			err = fmt.Sprintf("Cannot serialise %s: table key must be a number or string", k.Type().String())
			return
		}
		dst = append(dst, ':')
		dst, err = j.appendValue(L, dst, v, depth)
	})
	if err != "" {
		return nil, err
	}
	return append(dst, '}'), ""
}

func appendJSONString(dst []byte, s string) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\' || c == '/':
			dst = append(dst, '\\', c)
		case c == '\b':
			dst = append(dst, '\\', 'b')
		case c == '\t':
			dst = append(dst, '\\', 't')
		case c == '\n':
			dst = append(dst, '\\', 'n')
		case c == '\f':
			dst = append(dst, '\\', 'f')
		case c == '\r':
			dst = append(dst, '\\', 'r')
		case c < 0x20 || c == 0x7f:
			dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&15])
		default:
			dst = append(dst, c)
		}
	}
	return append(dst, '"')
}

// Decoding follows lua-cjson's token reader so that errors read as its
// do: "Expected value but found T_END at character 4".

type jsonDecoder struct {
	L     *glua.LState
	j     *cjson
	s     string
	pos   int
	depth int
}

type jsonToken struct {
	kind  string // lua-cjson's token names: T_STRING, T_END, ...
	index int
	value glua.LValue
	err   string
}

func (j *cjson) decode(L *glua.LState) int {
	if L.GetTop() != 1 {
		L.ArgError(1, "expected 1 argument")
	}
	d := &jsonDecoder{L: L, j: j, s: L.CheckString(1)}
	tok := d.next()
	v := d.value(tok)
	if end := d.next(); end.kind != "T_END" {
		d.fail("the end", end)
	}
	L.Push(v)
	return 1
}

func (d *jsonDecoder) fail(expected string, tok jsonToken) {
	found := tok.kind
	if tok.kind == "T_ERROR" {
		found = tok.err
	}
	d.L.RaiseError("Expected %s but found %s at character %d", expected, found, tok.index+1)
}

func (d *jsonDecoder) value(tok jsonToken) glua.LValue {
	switch tok.kind {
	case "T_STRING", "T_NUMBER", "T_BOOLEAN", "T_NULL":
		return tok.value
	case "T_OBJ_BEGIN":
		return d.object()
	case "T_ARR_BEGIN":
		return d.array()
	}
	d.fail("value", tok)
	return nil
}

func (d *jsonDecoder) enter() {
	d.depth++
	if d.depth > cjsonMaxDepth {
		d.L.RaiseError("Found too many nested data structures (%d) at character %d", d.depth, d.pos)
	}
}

func (d *jsonDecoder) object() glua.LValue {
	d.enter()
	// NewTable would reserve 32 array slots and a 32-entry map per object.
	t := d.L.CreateTable(0, 8)
	tok := d.next()
	if tok.kind == "T_OBJ_END" {
		d.depth--
		return t
	}
	for {
		if tok.kind != "T_STRING" {
			d.fail("object key string", tok)
		}
		key := tok.value
		if colon := d.next(); colon.kind != "T_COLON" {
			d.fail("colon", colon)
		}
		t.RawSet(key, d.value(d.next()))
		tok = d.next()
		if tok.kind == "T_OBJ_END" {
			d.depth--
			return t
		}
		if tok.kind != "T_COMMA" {
			d.fail("comma or object end", tok)
		}
		tok = d.next()
	}
}

func (d *jsonDecoder) array() glua.LValue {
	d.enter()
	t := d.L.CreateTable(0, 0)
	tok := d.next()
	if tok.kind == "T_ARR_END" {
		d.depth--
		return t
	}
	for i := 1; ; i++ {
		t.RawSetInt(i, d.value(tok))
		tok = d.next()
		if tok.kind == "T_ARR_END" {
			d.depth--
			return t
		}
		if tok.kind != "T_COMMA" {
			d.fail("comma or array end", tok)
		}
		tok = d.next()
	}
}

func (d *jsonDecoder) next() jsonToken {
	for d.pos < len(d.s) && isJSONSpace(d.s[d.pos]) {
		d.pos++
	}
	tok := jsonToken{index: d.pos}
	if d.pos >= len(d.s) {
		tok.kind = "T_END"
		return tok
	}
	c := d.s[d.pos]
	if kind, ok := jsonPunct[c]; ok {
		d.pos++
		tok.kind = kind
		return tok
	}
	switch {
	case c == '"':
		return d.str(tok)
	case c == '-' || (c >= '0' && c <= '9'):
		return d.number(tok)
	}
	for _, lit := range []struct {
		text string
		val  glua.LValue
		kind string
	}{{"true", glua.LTrue, "T_BOOLEAN"}, {"false", glua.LFalse, "T_BOOLEAN"}, {"null", d.j.null, "T_NULL"}} {
		if len(d.s)-d.pos >= len(lit.text) && d.s[d.pos:d.pos+len(lit.text)] == lit.text {
			d.pos += len(lit.text)
			tok.kind, tok.value = lit.kind, lit.val
			return tok
		}
	}
	tok.kind, tok.err = "T_ERROR", "invalid token"
	return tok
}

var jsonPunct = map[byte]string{
	'{': "T_OBJ_BEGIN", '}': "T_OBJ_END", '[': "T_ARR_BEGIN", ']': "T_ARR_END",
	',': "T_COMMA", ':': "T_COLON",
}

func isJSONSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func (d *jsonDecoder) number(tok jsonToken) jsonToken {
	end := d.pos
	for end < len(d.s) && isNumberChar(d.s[end]) {
		end++
	}
	f, err := strconv.ParseFloat(d.s[d.pos:end], 64)
	if err != nil && !isRangeError(err) {
		tok.kind, tok.err = "T_ERROR", "invalid number"
		return tok
	}
	d.pos = end
	tok.kind, tok.value = "T_NUMBER", glua.LNumber(f)
	return tok
}

func isNumberChar(c byte) bool {
	return (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E'
}

func isRangeError(err error) bool {
	ne, ok := err.(*strconv.NumError)
	return ok && ne.Err == strconv.ErrRange
}

func (d *jsonDecoder) str(tok jsonToken) jsonToken {
	var out []byte
	i := d.pos + 1
	for {
		if i >= len(d.s) {
			tok.kind, tok.err = "T_ERROR", "unexpected end of string"
			return tok
		}
		c := d.s[i]
		if c == '"' {
			break
		}
		if c != '\\' {
			out = append(out, c)
			i++
			continue
		}
		if i+1 >= len(d.s) {
			tok.kind, tok.err = "T_ERROR", "unexpected end of string"
			return tok
		}
		var ok bool
		out, i, ok = appendEscape(out, d.s, i)
		if !ok {
			tok.kind, tok.err = "T_ERROR", "invalid escape code"
			return tok
		}
	}
	d.pos = i + 1
	tok.kind, tok.value = "T_STRING", glua.LString(out)
	return tok
}

// appendEscape decodes the escape at s[i] ('\\') and returns the index
// after it.
func appendEscape(out []byte, s string, i int) ([]byte, int, bool) {
	switch c := s[i+1]; c {
	case '"', '\\', '/':
		return append(out, c), i + 2, true
	case 'b':
		return append(out, '\b'), i + 2, true
	case 'f':
		return append(out, '\f'), i + 2, true
	case 'n':
		return append(out, '\n'), i + 2, true
	case 'r':
		return append(out, '\r'), i + 2, true
	case 't':
		return append(out, '\t'), i + 2, true
	case 'u':
		r, next, ok := decodeUnicodeEscape(s, i)
		if !ok {
			return out, i, false
		}
		return utf8.AppendRune(out, r), next, true
	}
	return out, i, false
}

func decodeUnicodeEscape(s string, i int) (rune, int, bool) {
	if i+6 > len(s) {
		return 0, i, false
	}
	v, err := strconv.ParseUint(s[i+2:i+6], 16, 16)
	if err != nil {
		return 0, i, false
	}
	r, next := rune(v), i+6
	if r >= 0xd800 && r < 0xdc00 {
		// A high surrogate must be followed by the low one.
		if next+6 > len(s) || s[next] != '\\' || s[next+1] != 'u' {
			return 0, i, false
		}
		lo, err := strconv.ParseUint(s[next+2:next+6], 16, 16)
		if err != nil || lo < 0xdc00 || lo > 0xdfff {
			return 0, i, false
		}
		r = (r-0xd800)<<10 + (rune(lo) - 0xdc00) + 0x10000
		next += 6
	}
	return r, next, true
}
