package persistence

import (
	"encoding/binary"
	"errors"
)

// The encodings Redis 7.0 no longer writes but still loads: the ziplist
// (lists, hashes and sorted sets before 7.0, and the nodes of quicklists
// before 7.0) and the zipmap (hashes before 2.6).

var (
	errZiplist = errors.New("ziplist integrity check failed")
	errZipmap  = errors.New("zipmap integrity check failed")
)

// A ziplist (ziplist.c): total bytes and the offset of the last entry (32
// bits each), the entry count (16 bits, 65535 when unknown), the entries,
// and 0xFF. Each entry starts with the previous entry's size (1 byte, or
// 0xFE and 4 bytes), then its encoding: a string of 6, 14 or 32-bit
// length, or an integer of 8, 16, 24, 32 or 64 bits, or 0..12 held in the
// encoding byte itself.
const ziplistHeaderSize = 10

// ziplistElems validates a ziplist and returns its entries.
func ziplistElems(zl []byte) ([]lpElem, error) {
	n := len(zl)
	if n < ziplistHeaderSize+1 || int(binary.LittleEndian.Uint32(zl)) != n || zl[n-1] != 0xff {
		return nil, errZiplist
	}
	tail := int(binary.LittleEndian.Uint32(zl[4:]))
	want := int(binary.LittleEndian.Uint16(zl[8:]))
	var elems []lpElem
	p, prevSize, last := ziplistHeaderSize, 0, ziplistHeaderSize
	end := n - 1
	for p < end {
		start := p
		// The previous entry's size.
		var prev int
		if zl[p] < 0xfe {
			prev = int(zl[p])
			p++
		} else if zl[p] == 0xfe {
			if p+5 > end {
				return nil, errZiplist
			}
			prev = int(binary.LittleEndian.Uint32(zl[p+1:]))
			p += 5
		} else {
			return nil, errZiplist
		}
		if prev != prevSize || p >= end {
			return nil, errZiplist
		}
		b := zl[p]
		var e lpElem
		var hdr, data int
		switch b >> 6 {
		case 0:
			hdr, data = 1, int(b&0x3f)
		case 1:
			if p+2 > end {
				return nil, errZiplist
			}
			hdr, data = 2, int(b&0x3f)<<8|int(zl[p+1])
		case 2:
			if b != 0x80 || p+5 > end {
				return nil, errZiplist
			}
			l := binary.BigEndian.Uint32(zl[p+1:])
			if uint64(l) > uint64(end) {
				return nil, errZiplist
			}
			hdr, data = 5, int(l)
		default:
			e.isInt, hdr = true, 1
			switch {
			case b == 0xc0:
				data = 2
			case b == 0xd0:
				data = 4
			case b == 0xe0:
				data = 8
			case b == 0xf0:
				data = 3
			case b == 0xfe:
				data = 1
			case b >= 0xf1 && b <= 0xfd:
				e.num = int64(b&0x0f) - 1
			default:
				return nil, errZiplist
			}
		}
		if p+hdr+data > end {
			return nil, errZiplist
		}
		body := zl[p+hdr : p+hdr+data : p+hdr+data]
		if e.isInt && data > 0 {
			var u uint64
			for i := data - 1; i >= 0; i-- {
				u = u<<8 | uint64(body[i])
			}
			shift := 64 - 8*uint(data)
			e.num = int64(u<<shift) >> shift
		} else if !e.isInt {
			e.str = body
		}
		p += hdr + data
		prevSize = p - start
		last = start
		elems = append(elems, e)
	}
	if p != end || tail != last || want != 0xffff && want != len(elems) {
		return nil, errZiplist
	}
	return elems, nil
}

// A zipmap (zipmap.c): a count byte (254 or more: unknown), then for each
// pair the field's length (1 byte, or 254 and 4 bytes), the field, the
// value's length, a byte of spare room, the value and the spare room; and
// 0xFF.
func zipmapPairs(zm []byte) ([][2][]byte, error) {
	if len(zm) < 2 || zm[len(zm)-1] != 0xff {
		return nil, errZipmap
	}
	end := len(zm) - 1
	readLen := func(p int) (l, next int, ok bool) {
		if p >= end {
			return 0, 0, false
		}
		if zm[p] < 254 {
			return int(zm[p]), p + 1, true
		}
		if zm[p] > 254 || p+5 > end {
			return 0, 0, false
		}
		return int(binary.LittleEndian.Uint32(zm[p+1:])), p + 5, true
	}
	var pairs [][2][]byte
	p := 1
	for p < end {
		kl, q, ok := readLen(p)
		if !ok || q+kl > end || kl < 0 {
			return nil, errZipmap
		}
		key := zm[q : q+kl : q+kl]
		vl, q2, ok := readLen(q + kl)
		if !ok || q2 >= end {
			return nil, errZipmap
		}
		free := int(zm[q2])
		vs := q2 + 1
		if vl < 0 || vs+vl+free > end {
			return nil, errZipmap
		}
		pairs = append(pairs, [2][]byte{key, zm[vs : vs+vl : vs+vl]})
		p = vs + vl + free
	}
	if len(pairs) == 0 || zm[0] < 254 && int(zm[0]) != len(pairs) {
		return nil, errZipmap
	}
	return pairs, nil
}
