package persistence

import (
	"errors"
	"sync"
)

// LZF, the compressor Redis uses for RDB strings (liblzf 3.6 as built by
// Redis: HLOG 16, VERY_FAST). The compressor follows liblzf step by step,
// because DUMP payloads are compared byte for byte with Redis's: a
// different (even better) choice of back-references would give different
// bytes for the same value.

const (
	lzfHashLog = 16
	lzfMaxLit  = 1 << 5
	lzfMaxOff  = 1 << 13
	lzfMaxRef  = 1<<8 + 1<<3
)

// lzfTable is the compressor's hash table of positions. liblzf stores
// pointers and treats "at or before the start of the input" as empty;
// here a slot holds base+position, and values at or below base are from
// an earlier input, so the table is not cleared between calls (clearing
// 256 KiB would cost more than compressing a short string).
type lzfTable struct {
	slot [1 << lzfHashLog]uint32
	base uint32
}

var lzfTables = sync.Pool{New: func() any { return new(lzfTable) }}

// reserve makes room for an input of n bytes and returns its base.
func (t *lzfTable) reserve(n int) uint32 {
	if uint64(t.base)+uint64(n)+1 >= 1<<32 {
		clear(t.slot[:])
		t.base = 0
	}
	base := t.base
	t.base += uint32(n) + 1
	return base
}

func lzfIndex(h uint32) uint32 {
	return (h>>(3*8-lzfHashLog) - h*5) & (1<<lzfHashLog - 1)
}

// lzfCompress compresses in into at most maxOut bytes, appended to dst.
// ok is false when the result would not fit, as lzf_compress returning 0.
func lzfCompress(dst, in []byte, maxOut int) (out []byte, ok bool) {
	inLen := len(in)
	if inLen < 3 || maxOut <= 0 || uint64(inLen) >= 1<<31 {
		return dst, false
	}
	start := len(dst)
	// One spare byte: a run header may be reserved one past the limit, as
	// Redis's buffer of outlen+1 allows.
	buf := growLen(dst, maxOut+1)
	o := buf[start:]
	outEnd := maxOut

	t := lzfTables.Get().(*lzfTable)
	defer lzfTables.Put(t)
	base := t.reserve(inLen)

	ip, op, lit := 0, 1, 0 // op starts past the first run's header
	hval := uint32(in[0])<<8 | uint32(in[1])
	for ip < inLen-2 {
		hval = hval<<8 | uint32(in[ip+2])
		slot := &t.slot[lzfIndex(hval)]
		stored := *slot
		*slot = base + uint32(ip)
		ref := int(stored) - int(base)
		if stored > base && ref < ip && ip-ref-1 < lzfMaxOff && ref > 0 &&
			in[ref+2] == in[ip+2] && in[ref] == in[ip] && in[ref+1] == in[ip+1] {
			off := ip - ref - 1
			length := 2
			maxLen := min(inLen-ip-length, lzfMaxRef)
			if op+3+1 >= outEnd {
				noLit := 0
				if lit == 0 {
					noLit = 1
				}
				if op-noLit+3+1 >= outEnd {
					return dst, false
				}
			}
			o[op-lit-1] = byte(lit - 1) // stop the run
			if lit == 0 {
				op-- // no literals: drop the run header
			}
			length = lzfMatchLength(in, ref, ip, length, maxLen)
			length -= 2
			ip++
			if length < 7 {
				o[op] = byte(off>>8 + length<<5)
				op++
			} else {
				o[op] = byte(off>>8 + 7<<5)
				o[op+1] = byte(length - 7)
				op += 2
			}
			o[op] = byte(off)
			op++
			lit = 0
			op++ // start a run
			ip += length + 1
			if ip >= inLen-2 {
				break
			}
			ip -= 2
			hval = uint32(in[ip])<<8 | uint32(in[ip+1])
			hval = hval<<8 | uint32(in[ip+2])
			t.slot[lzfIndex(hval)] = base + uint32(ip)
			ip++
			hval = hval<<8 | uint32(in[ip+2])
			t.slot[lzfIndex(hval)] = base + uint32(ip)
			ip++
			continue
		}
		if op >= outEnd {
			return dst, false
		}
		lit++
		o[op] = in[ip]
		op++
		ip++
		if lit == lzfMaxLit {
			o[op-lit-1] = byte(lit - 1)
			lit = 0
			op++
		}
	}
	if op+3 > outEnd {
		return dst, false
	}
	for ip < inLen {
		lit++
		o[op] = in[ip]
		op++
		ip++
		if lit == lzfMaxLit {
			o[op-lit-1] = byte(lit - 1)
			lit = 0
			op++
		}
	}
	o[op-lit-1] = byte(lit - 1)
	if lit == 0 {
		op--
	}
	return buf[:start+op], true
}

// lzfMatchLength extends a match of length bytes at ref and ip the way
// liblzf's loop does, including its unrolled first sixteen steps, which
// may run up to two bytes past maxLen near the end of the input.
func lzfMatchLength(in []byte, ref, ip, length, maxLen int) int {
	if maxLen > 16 {
		for range 16 {
			length++
			if in[ref+length] != in[ip+length] {
				return length
			}
		}
	}
	for {
		length++
		if !(length < maxLen && in[ref+length] == in[ip+length]) {
			return length
		}
	}
}

// growLen extends b by n bytes (their content unspecified).
func growLen(b []byte, n int) []byte {
	if cap(b)-len(b) >= n {
		return b[:len(b)+n]
	}
	nb := make([]byte, len(b)+n, 2*cap(b)+n)
	copy(nb, b)
	return nb
}

var errLZF = errors.New("invalid LZF compressed string")

// lzfDecompress expands in, which must produce exactly outLen bytes.
func lzfDecompress(in []byte, outLen int) ([]byte, error) {
	out := make([]byte, outLen)
	ip, op := 0, 0
	for ip < len(in) {
		ctrl := int(in[ip])
		ip++
		if ctrl < 1<<5 { // a run of ctrl+1 literal bytes
			n := ctrl + 1
			if op+n > outLen || ip+n > len(in) {
				return nil, errLZF
			}
			copy(out[op:], in[ip:ip+n])
			op += n
			ip += n
			continue
		}
		length := ctrl >> 5
		ref := op - (ctrl&0x1f)<<8 - 1
		if ip >= len(in) {
			return nil, errLZF
		}
		if length == 7 {
			length += int(in[ip])
			ip++
			if ip >= len(in) {
				return nil, errLZF
			}
		}
		ref -= int(in[ip])
		ip++
		length += 2
		if op+length > outLen || ref < 0 {
			return nil, errLZF
		}
		// Byte by byte: the reference may overlap what it produces.
		for i := range length {
			out[op+i] = out[ref+i]
		}
		op += length
	}
	if op != outLen {
		return nil, errLZF
	}
	return out, nil
}
