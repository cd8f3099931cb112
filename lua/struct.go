package lua

import (
	"encoding/binary"
	"fmt"
	"math"
	"strings"

	glua "github.com/yuin/gopher-lua"
)

// struct is Roberto Ierusalimschy's struct library as Redis bundles it
// (struct.pack, struct.unpack, struct.size), with the sizes and alignment
// of the 64-bit Linux build Redis ships: short 2, int 4, long and size_t 8,
// native little endian, at most 8-byte alignment.
//
// Format: ">" big endian, "<" little endian, "![n]" alignment, "x"
// padding, "b/B" char, "h/H" short, "l/L" long, "T" size_t, "i/I[n]"
// integer of n bytes (4 by default, up to 32), "f" float, "d" double,
// "c[n]" n chars (0: the whole string when packing, the previous number
// when unpacking), "s" zero-terminated string, " " ignored.

const (
	structMaxIntSize = 32
	structMaxAlign   = 8
)

func newStructModule(L *glua.LState) *glua.LTable {
	t := L.NewTable()
	t.RawSetString("pack", L.NewFunction(structPack))
	t.RawSetString("unpack", L.NewFunction(structUnpack))
	t.RawSetString("size", L.NewFunction(structSize))
	return t
}

// structFormat walks a format string.
type structFormat struct {
	L      *glua.LState
	fn     string // "pack", "unpack" or "size", for argument errors
	fmt    string
	i      int
	little bool
	align  int
}

func newStructFormat(L *glua.LState, fn string) *structFormat {
	return &structFormat{L: L, fn: fn, fmt: L.CheckString(1), little: true, align: 1}
}

// argError raises luaL_argerror's message, which names the function in
// quotes ("bad argument #2 to 'unpack' (data string too short)").
func (f *structFormat) argError(n int, msg string) {
	f.L.RaiseError("bad argument #%d to '%s' (%s)", n, f.fn, msg)
}

func (f *structFormat) more() bool { return f.i < len(f.fmt) }

func (f *structFormat) next() byte {
	c := f.fmt[f.i]
	f.i++
	return c
}

// num reads an optional decimal size after an option.
func (f *structFormat) num(df int) int {
	if !f.more() || !isDigit(f.fmt[f.i]) {
		return df
	}
	n := 0
	for f.more() && isDigit(f.fmt[f.i]) {
		n = n*10 + int(f.fmt[f.i]-'0')
		f.i++
	}
	return n
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// size is the size of option opt (0 for options that take no room or
// whose size is not fixed), reading its number if it has one.
func (f *structFormat) size(opt byte) int {
	switch opt {
	case 'B', 'b', 'x':
		return 1
	case 'H', 'h':
		return 2
	case 'L', 'l', 'T', 'd':
		return 8
	case 'f':
		return 4
	case 'c':
		return f.num(1)
	case 'i', 'I':
		n := f.num(4)
		if n > structMaxIntSize {
			f.L.RaiseError("integral size %d is larger than limit of %d", n, structMaxIntSize)
		}
		return n
	}
	return 0
}

// padding is the number of bytes that align an item of size at offset.
func (f *structFormat) padding(offset int, opt byte, size int) int {
	if size == 0 || opt == 'c' {
		return 0
	}
	size = min(size, f.align)
	return (size - (offset & (size - 1))) & (size - 1)
}

// control applies an option that is not an item.
func (f *structFormat) control(opt byte) {
	switch opt {
	case ' ':
	case '>':
		f.little = false
	case '<':
		f.little = true
	case '!':
		a := f.num(structMaxAlign)
		if a <= 0 || a&(a-1) != 0 {
			f.L.RaiseError("alignment %d is not a power of 2", a)
		}
		f.align = a
	default:
		f.argError(1, fmt.Sprintf("invalid format option '%c'", opt))
	}
}

func isIntegerOption(opt byte) bool { return strings.IndexByte("bBhHlLTiI", opt) >= 0 }

func structPack(L *glua.LState) int {
	f := newStructFormat(L, "pack")
	var out []byte
	arg := 2
	for f.more() {
		opt := f.next()
		size := f.size(opt)
		for pad := f.padding(len(out), opt, size); pad > 0; pad-- {
			out = append(out, 0)
		}
		switch {
		case isIntegerOption(opt):
			out = appendStructInt(out, float64(L.CheckNumber(arg)), size, f.little)
			arg++
		case opt == 'x':
			out = append(out, 0)
		case opt == 'f':
			out = appendOrdered(out, uint64(math.Float32bits(float32(L.CheckNumber(arg)))), 4, f.little)
			arg++
		case opt == 'd':
			out = appendOrdered(out, math.Float64bits(float64(L.CheckNumber(arg))), 8, f.little)
			arg++
		case opt == 'c' || opt == 's':
			s := L.CheckString(arg)
			arg++
			if size == 0 {
				size = len(s)
			}
			if len(s) < size {
				f.argError(arg, "string too short")
			}
			out = append(out, s[:size]...)
			if opt == 's' {
				out = append(out, 0)
			}
		default:
			f.control(opt)
		}
	}
	L.Push(glua.LString(out))
	return 1
}

// appendStructInt writes a number as an integer of size bytes, as
// putinteger does: negative numbers through a signed long, the value kept
// in 64 bits (bytes past the eighth are zero).
func appendStructInt(out []byte, n float64, size int, little bool) []byte {
	var v uint64
	if n < 0 {
		v = uint64(int64(n))
	} else {
		v = uint64(n)
	}
	return appendOrdered(out, v, size, little)
}

func appendOrdered(out []byte, v uint64, size int, little bool) []byte {
	start := len(out)
	out = append(out, make([]byte, size)...)
	b := out[start:]
	for i := 0; i < size; i++ {
		byteVal := byte(v)
		if i >= 8 {
			byteVal = 0
		}
		if little {
			b[i] = byteVal
		} else {
			b[size-1-i] = byteVal
		}
		v >>= 8
	}
	return out
}

// readStructInt reads an integer of size bytes as getinteger does,
// sign-extending signed ones; the mask shift wraps at 64 as on x86.
func readStructInt(b []byte, little, signed bool) float64 {
	var v uint64
	size := len(b)
	for i := 0; i < size; i++ {
		c := b[i]
		if little {
			c = b[size-1-i]
		}
		v = v<<8 | uint64(c)
	}
	if !signed {
		return float64(v)
	}
	mask := ^uint64(0) << (uint(size*8-1) & 63)
	if v&mask != 0 {
		v |= mask
	}
	return float64(int64(v))
}

func structUnpack(L *glua.LState) int {
	f := newStructFormat(L, "unpack")
	data := L.CheckString(2)
	pos := L.OptInt(3, 1) - 1 // Redis's version does not check it apart
	var results []glua.LValue
	for f.more() {
		opt := f.next()
		size := f.size(opt)
		pos += f.padding(pos, opt, size)
		if pos < 0 || pos+size > len(data) {
			f.argError(2, "data string too short")
		}
		switch {
		case isIntegerOption(opt):
			signed := opt >= 'a' && opt <= 'z'
			results = append(results, glua.LNumber(readStructInt([]byte(data[pos:pos+size]), f.little, signed)))
		case opt == 'x':
		case opt == 'f':
			bits := uint32(orderedUint(data[pos:pos+4], f.little))
			results = append(results, glua.LNumber(math.Float32frombits(bits)))
		case opt == 'd':
			results = append(results, glua.LNumber(math.Float64frombits(orderedUint(data[pos:pos+8], f.little))))
		case opt == 'c':
			if size == 0 {
				n := len(results)
				prev, isNum := glua.LNil, false
				if n > 0 {
					prev = results[n-1]
					_, isNum = prev.(glua.LNumber)
				}
				if !isNum {
					L.RaiseError("format 'c0' needs a previous size")
				}
				size = int(prev.(glua.LNumber))
				results = results[:n-1]
				if size < 0 || size > len(data)-pos {
					f.argError(2, "data string too short")
				}
			}
			results = append(results, glua.LString(data[pos:pos+size]))
		case opt == 's':
			end := strings.IndexByte(data[pos:], 0)
			if end < 0 {
				L.RaiseError("unfinished string in data")
			}
			size = end + 1
			results = append(results, glua.LString(data[pos:pos+end]))
		default:
			f.control(opt)
		}
		pos += size
	}
	for _, v := range results {
		L.Push(v)
	}
	L.Push(glua.LNumber(pos + 1))
	return len(results) + 1
}

func orderedUint(s string, little bool) uint64 {
	b := []byte(s)
	if little {
		if len(b) == 4 {
			return uint64(binary.LittleEndian.Uint32(b))
		}
		return binary.LittleEndian.Uint64(b)
	}
	if len(b) == 4 {
		return uint64(binary.BigEndian.Uint32(b))
	}
	return binary.BigEndian.Uint64(b)
}

func structSize(L *glua.LState) int {
	f := newStructFormat(L, "size")
	pos := 0
	for f.more() {
		opt := f.next()
		size := f.size(opt)
		pos += f.padding(pos, opt, size)
		switch {
		case opt == 's':
			f.argError(1, "option 's' has no fixed size")
		case opt == 'c' && size == 0:
			f.argError(1, "option 'c0' has no fixed size")
		}
		if !isAlnum(opt) {
			f.control(opt)
		}
		pos += size
	}
	L.Push(glua.LNumber(pos))
	return 1
}

func isAlnum(c byte) bool {
	return isDigit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
}
