package lua

import (
	"encoding/binary"
	"math"

	glua "github.com/yuin/gopher-lua"
)

// cmsgpack is lua-cmsgpack as Redis bundles it: pack(...) concatenates
// the encodings of its arguments, unpack(s) returns every value in s.
// Numbers equal to an integer are integers, other numbers float32 when
// that is exact, else float64; strings use str8/16/32; a table whose
// keys are exactly 1..n is an array, any other a map; nesting deeper than
// 16 tables encodes nil.

const msgpackMaxNesting = 16

func newMsgpackModule(L *glua.LState) *glua.LTable {
	t := L.NewTable()
	t.RawSetString("pack", L.NewFunction(msgpackPack))
	t.RawSetString("unpack", L.NewFunction(msgpackUnpack))
	return t
}

func msgpackPack(L *glua.LState) int {
	n := L.GetTop()
	if n == 0 {
		L.ArgError(0, "MessagePack pack needs input.")
	}
	var out []byte
	for i := 1; i <= n; i++ {
		out = msgpackAppend(out, L.Get(i), 0)
	}
	L.Push(glua.LString(out))
	return 1
}

func msgpackAppend(dst []byte, v glua.LValue, level int) []byte {
	switch v := v.(type) {
	case glua.LString:
		return msgpackAppendString(dst, string(v))
	case glua.LBool:
		if v {
			return append(dst, 0xc3)
		}
		return append(dst, 0xc2)
	case glua.LNumber:
		return msgpackAppendNumber(dst, float64(v))
	case *glua.LTable:
		if level >= msgpackMaxNesting {
			return append(dst, 0xc0)
		}
		return msgpackAppendTable(dst, v, level+1)
	}
	return append(dst, 0xc0)
}

func msgpackAppendString(dst []byte, s string) []byte {
	n := len(s)
	switch {
	case n < 32:
		dst = append(dst, 0xa0|byte(n))
	case n <= 0xff:
		dst = append(dst, 0xd9, byte(n))
	case n <= 0xffff:
		dst = binary.BigEndian.AppendUint16(append(dst, 0xda), uint16(n))
	default:
		dst = binary.BigEndian.AppendUint32(append(dst, 0xdb), uint32(n))
	}
	return append(dst, s...)
}

func msgpackAppendNumber(dst []byte, f float64) []byte {
	if !math.IsInf(f, 0) && f == math.Trunc(f) && f >= -9.2e18 && f <= 9.2e18 {
		return msgpackAppendInt(dst, int64(f))
	}
	if float64(float32(f)) == f || math.IsNaN(f) {
		return binary.BigEndian.AppendUint32(append(dst, 0xca), math.Float32bits(float32(f)))
	}
	return binary.BigEndian.AppendUint64(append(dst, 0xcb), math.Float64bits(f))
}

func msgpackAppendInt(dst []byte, n int64) []byte {
	be := binary.BigEndian
	if n >= 0 {
		switch {
		case n <= 127:
			return append(dst, byte(n))
		case n <= 0xff:
			return append(dst, 0xcc, byte(n))
		case n <= 0xffff:
			return be.AppendUint16(append(dst, 0xcd), uint16(n))
		case n <= 0xffffffff:
			return be.AppendUint32(append(dst, 0xce), uint32(n))
		}
		return be.AppendUint64(append(dst, 0xcf), uint64(n))
	}
	switch {
	case n >= -32:
		return append(dst, byte(int8(n)))
	case n >= -128:
		return append(dst, 0xd0, byte(int8(n)))
	case n >= -32768:
		return be.AppendUint16(append(dst, 0xd1), uint16(int16(n)))
	case n >= -2147483648:
		return be.AppendUint32(append(dst, 0xd2), uint32(int32(n)))
	}
	return be.AppendUint64(append(dst, 0xd3), uint64(n))
}

func msgpackAppendTable(dst []byte, t *glua.LTable, level int) []byte {
	if n, ok := msgpackArrayLen(t); ok {
		dst = msgpackAppendHeader(dst, n, 0x90, 0xdc, 0xdd)
		for i := 1; i <= n; i++ {
			dst = msgpackAppend(dst, t.RawGetInt(i), level)
		}
		return dst
	}
	var pairs []glua.LValue
	t.ForEach(func(k, v glua.LValue) { pairs = append(pairs, k, v) })
	dst = msgpackAppendHeader(dst, len(pairs)/2, 0x80, 0xde, 0xdf)
	for _, v := range pairs {
		dst = msgpackAppend(dst, v, level)
	}
	return dst
}

// msgpackArrayLen is table_is_an_array: every key a positive integer and
// as many keys as the largest.
func msgpackArrayLen(t *glua.LTable) (int, bool) {
	count, max, ok := 0, 0, true
	t.ForEach(func(k, _ glua.LValue) {
		n, isNum := k.(glua.LNumber)
		if !isNum || n <= 0 || float64(n) != math.Trunc(float64(n)) {
			ok = false
			return
		}
		count++
		if int(n) > max {
			max = int(n)
		}
	})
	return max, ok && max == count
}

func msgpackAppendHeader(dst []byte, n int, fix, b16, b32 byte) []byte {
	switch {
	case n <= 15:
		return append(dst, fix|byte(n))
	case n <= 0xffff:
		return binary.BigEndian.AppendUint16(append(dst, b16), uint16(n))
	}
	return binary.BigEndian.AppendUint32(append(dst, b32), uint32(n))
}

const (
	errMsgpackMissing = "Missing bytes in input."
	errMsgpackFormat  = "Bad data format in input."
)

func msgpackUnpack(L *glua.LState) int {
	s := []byte(L.CheckString(1))
	d := &msgpackDecoder{L: L, b: s}
	n := 0
	for d.pos < len(d.b) {
		L.Push(d.value())
		n++
	}
	return n
}

type msgpackDecoder struct {
	L   *glua.LState
	b   []byte
	pos int
}

func (d *msgpackDecoder) take(n int) []byte {
	if n < 0 || len(d.b)-d.pos < n {
		d.L.RaiseError(errMsgpackMissing)
	}
	out := d.b[d.pos : d.pos+n]
	d.pos += n
	return out
}

func (d *msgpackDecoder) uint(size int) uint64 {
	var v uint64
	for _, c := range d.take(size) {
		v = v<<8 | uint64(c)
	}
	return v
}

func (d *msgpackDecoder) value() glua.LValue {
	c := d.take(1)[0]
	switch {
	case c <= 0x7f:
		return glua.LNumber(c)
	case c >= 0xe0:
		return glua.LNumber(int8(c))
	case c&0xe0 == 0xa0:
		return glua.LString(d.take(int(c & 0x1f)))
	case c&0xf0 == 0x90:
		return d.array(int(c & 0x0f))
	case c&0xf0 == 0x80:
		return d.mapOf(int(c & 0x0f))
	}
	return d.typed(c)
}

func (d *msgpackDecoder) typed(c byte) glua.LValue {
	switch c {
	case 0xc0:
		return glua.LNil
	case 0xc2:
		return glua.LFalse
	case 0xc3:
		return glua.LTrue
	case 0xcc, 0xcd, 0xce, 0xcf:
		return glua.LNumber(d.uint(1 << (c - 0xcc)))
	case 0xd0:
		return glua.LNumber(int8(d.uint(1)))
	case 0xd1:
		return glua.LNumber(int16(d.uint(2)))
	case 0xd2:
		return glua.LNumber(int32(d.uint(4)))
	case 0xd3:
		return glua.LNumber(int64(d.uint(8)))
	case 0xca:
		return glua.LNumber(math.Float32frombits(uint32(d.uint(4))))
	case 0xcb:
		return glua.LNumber(math.Float64frombits(d.uint(8)))
	case 0xd9, 0xc4:
		return glua.LString(d.take(int(d.uint(1))))
	case 0xda, 0xc5:
		return glua.LString(d.take(int(d.uint(2))))
	case 0xdb, 0xc6:
		return glua.LString(d.take(int(d.uint(4))))
	case 0xdc:
		return d.array(int(d.uint(2)))
	case 0xdd:
		return d.array(int(d.uint(4)))
	case 0xde:
		return d.mapOf(int(d.uint(2)))
	case 0xdf:
		return d.mapOf(int(d.uint(4)))
	}
	d.L.RaiseError(errMsgpackFormat)
	return nil
}

func (d *msgpackDecoder) array(n int) glua.LValue {
	// NewTable would reserve a 32-entry map that an array never uses.
	t := d.L.CreateTable(0, 0)
	for i := 1; i <= n; i++ {
		t.RawSetInt(i, d.value())
	}
	return t
}

func (d *msgpackDecoder) mapOf(n int) glua.LValue {
	t := d.L.CreateTable(0, 8)
	for i := 0; i < n; i++ {
		k := d.value()
		v := d.value()
		if k != glua.LNil {
			t.RawSet(k, v)
		}
	}
	return t
}
