package lua

import (
	"math"
	"strings"

	glua "github.com/yuin/gopher-lua"
)

// bit is LuaBitOp 1.0.2, which Redis bundles: 32-bit operations on Lua
// numbers, results as signed 32-bit numbers.

func newBitModule(L *glua.LState) *glua.LTable {
	t := L.NewTable()
	for name, fn := range map[string]glua.LGFunction{
		"tobit":   bitToBit,
		"bnot":    bitNot,
		"band":    bitFold(func(a, b uint32) uint32 { return a & b }),
		"bor":     bitFold(func(a, b uint32) uint32 { return a | b }),
		"bxor":    bitFold(func(a, b uint32) uint32 { return a ^ b }),
		"lshift":  bitShift(func(x uint32, n uint) uint32 { return x << n }),
		"rshift":  bitShift(func(x uint32, n uint) uint32 { return x >> n }),
		"arshift": bitShift(func(x uint32, n uint) uint32 { return uint32(int32(x) >> n) }),
		"rol":     bitShift(func(x uint32, n uint) uint32 { return x<<n | x>>((32-n)&31) }),
		"ror":     bitShift(func(x uint32, n uint) uint32 { return x>>n | x<<((32-n)&31) }),
		"bswap":   bitSwap,
		"tohex":   bitToHex,
	} {
		t.RawSetString(name, L.NewFunction(fn))
	}
	return t
}

// bitArg converts argument i as LuaBitOp's barg does: adding 2^52+2^51
// rounds the number to an integer held in the low 32 bits of the double.
func bitArg(L *glua.LState, i int) uint32 {
	f := float64(L.CheckNumber(i))
	return uint32(math.Float64bits(f + 6755399441055744.0))
}

func pushBits(L *glua.LState, x uint32) int {
	L.Push(glua.LNumber(int32(x)))
	return 1
}

func bitToBit(L *glua.LState) int { return pushBits(L, bitArg(L, 1)) }

func bitNot(L *glua.LState) int { return pushBits(L, ^bitArg(L, 1)) }

func bitSwap(L *glua.LState) int {
	x := bitArg(L, 1)
	return pushBits(L, x>>24|(x>>8)&0xff00|(x&0xff00)<<8|x<<24)
}

func bitFold(op func(a, b uint32) uint32) glua.LGFunction {
	return func(L *glua.LState) int {
		x := bitArg(L, 1)
		for i := L.GetTop(); i > 1; i-- {
			x = op(x, bitArg(L, i))
		}
		return pushBits(L, x)
	}
}

func bitShift(op func(x uint32, n uint) uint32) glua.LGFunction {
	return func(L *glua.LState) int {
		x, n := bitArg(L, 1), uint(bitArg(L, 2)&31)
		return pushBits(L, op(x, n))
	}
}

func bitToHex(L *glua.LState) int {
	x := bitArg(L, 1)
	n := int32(8)
	if L.GetTop() >= 2 && L.Get(2) != glua.LNil {
		n = int32(bitArg(L, 2))
	}
	digits := "0123456789abcdef"
	if n < 0 {
		n = -n
		digits = strings.ToUpper(digits)
	}
	if n > 8 {
		n = 8
	}
	buf := make([]byte, n)
	for i := int(n) - 1; i >= 0; i-- {
		buf[i] = digits[x&15]
		x >>= 4
	}
	L.Push(glua.LString(buf))
	return 1
}
