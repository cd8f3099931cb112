package persistence

import (
	"encoding/binary"
	"errors"
	"math"
)

// Redis's listpack (listpack.c): a 4-byte total size and a 2-byte element
// count (65535 once it no longer fits), the elements, and a 0xFF
// terminator. Each element is an encoding byte with its data, then its
// own size written backwards ("backlen") so the list can be walked from
// the tail. Strings that are canonical integers are stored as integers,
// in the narrowest of seven encodings.

const (
	lpHeaderSize    = 6
	lpEOF           = 0xff
	lpCountUnknown  = math.MaxUint16
	lpMaxSafetySize = 1 << 30 // LISTPACK_MAX_SAFETY_SIZE
)

// listpackBuilder appends elements to a listpack under construction.
type listpackBuilder struct {
	b []byte
	n int
}

func (lp *listpackBuilder) reset() {
	lp.b = append(lp.b[:0], 0, 0, 0, 0, 0, 0)
	lp.n = 0
}

// bytes is the size the listpack has once finished.
func (lp *listpackBuilder) bytes() int { return len(lp.b) + 1 }

// appendString adds s as lpAppend does: as an integer when it is one.
func (lp *listpackBuilder) appendString(s []byte) {
	if v, ok := parseCanonicalInt(s); ok {
		lp.appendInt(v)
		return
	}
	start := len(lp.b)
	switch n := len(s); {
	case n < 64:
		lp.b = append(lp.b, 0x80|byte(n))
	case n < 4096:
		lp.b = append(lp.b, 0xe0|byte(n>>8), byte(n))
	default:
		lp.b = append(lp.b, 0xf0)
		lp.b = binary.LittleEndian.AppendUint32(lp.b, uint32(n))
	}
	lp.b = append(lp.b, s...)
	lp.b = appendBacklen(lp.b, len(lp.b)-start)
	lp.n++
}

// appendInt adds v in the narrowest integer encoding.
func (lp *listpackBuilder) appendInt(v int64) {
	start := len(lp.b)
	switch {
	case v >= 0 && v <= 127:
		lp.b = append(lp.b, byte(v))
	case v >= -4096 && v <= 4095:
		u := uint64(v) & (1<<13 - 1)
		lp.b = append(lp.b, 0xc0|byte(u>>8), byte(u))
	case v >= math.MinInt16 && v <= math.MaxInt16:
		lp.b = append(lp.b, 0xf1, byte(v), byte(v>>8))
	case v >= -1<<23 && v <= 1<<23-1:
		lp.b = append(lp.b, 0xf2, byte(v), byte(v>>8), byte(v>>16))
	case v >= math.MinInt32 && v <= math.MaxInt32:
		lp.b = append(lp.b, 0xf3)
		lp.b = binary.LittleEndian.AppendUint32(lp.b, uint32(v))
	default:
		lp.b = append(lp.b, 0xf4)
		lp.b = binary.LittleEndian.AppendUint64(lp.b, uint64(v))
	}
	lp.b = appendBacklen(lp.b, len(lp.b)-start)
	lp.n++
}

// finish writes the terminator and the header and returns the listpack,
// which stays owned by the builder until the next reset.
func (lp *listpackBuilder) finish() []byte {
	lp.b = append(lp.b, lpEOF)
	binary.LittleEndian.PutUint32(lp.b[0:], uint32(len(lp.b)))
	binary.LittleEndian.PutUint16(lp.b[4:], uint16(min(lp.n, lpCountUnknown)))
	return lp.b
}

// appendBacklen appends an element's size l as lpEncodeBacklen does: seven
// bits a byte, most significant first, every byte but the first flagged,
// so that it reads back from its last byte.
func appendBacklen(b []byte, l int) []byte {
	switch {
	case l <= 127:
		return append(b, byte(l))
	case l < 16383:
		return append(b, byte(l>>7), byte(l&127)|128)
	case l < 2097151:
		return append(b, byte(l>>14), byte(l>>7&127)|128, byte(l&127)|128)
	case l < 268435455:
		return append(b, byte(l>>21), byte(l>>14&127)|128, byte(l>>7&127)|128, byte(l&127)|128)
	}
	return append(b, byte(l>>28), byte(l>>21&127)|128, byte(l>>14&127)|128, byte(l>>7&127)|128, byte(l&127)|128)
}

func backlenSize(l int) int {
	switch {
	case l <= 127:
		return 1
	case l < 16383:
		return 2
	case l < 2097151:
		return 3
	case l < 268435455:
		return 4
	}
	return 5
}

// parseCanonicalInt is lpStringToInt64 (and string2ll): the strings that
// are integers written the one way Redis writes them, so that converting
// back gives the same bytes.
func parseCanonicalInt(s []byte) (int64, bool) {
	n := len(s)
	if n == 0 || n > 20 {
		return 0, false
	}
	if n == 1 && s[0] == '0' {
		return 0, true
	}
	i, neg := 0, s[0] == '-'
	if neg {
		i = 1
	}
	if i == n || s[i] < '1' || s[i] > '9' {
		return 0, false
	}
	var v uint64
	for ; i < n; i++ {
		d := s[i] - '0'
		if d > 9 || v > (math.MaxUint64-9)/10 {
			return 0, false
		}
		v = v*10 + uint64(d)
	}
	if neg {
		if v > 1<<63 {
			return 0, false
		}
		return int64(-v), true
	}
	if v > math.MaxInt64 {
		return 0, false
	}
	return int64(v), true
}

// lpElem is one listpack (or ziplist) element: a string, viewing the
// encoded bytes, or an integer.
type lpElem struct {
	str   []byte
	num   int64
	isInt bool
}

// appendTo appends the element's bytes (an integer in decimal).
func (e lpElem) appendTo(b []byte) []byte {
	if e.isInt {
		return appendInt64(b, e.num)
	}
	return append(b, e.str...)
}

// bytes returns the element's bytes as a new slice.
func (e lpElem) bytes() []byte {
	if e.isInt {
		return appendInt64(nil, e.num)
	}
	return append([]byte(nil), e.str...)
}

func (e lpElem) String() string {
	if e.isInt {
		return string(appendInt64(nil, e.num))
	}
	return string(e.str)
}

// lpIter walks a listpack, validating each element as it goes: sizes
// within the buffer, known encodings, back-lengths matching, and, at the
// end, the count in the header.
type lpIter struct {
	lp    []byte
	p     int
	count int
	want  int // the header's count, lpCountUnknown when not kept
}

var (
	errLPHeader  = errors.New("listpack header inconsistent with its size")
	errLPEntry   = errors.New("listpack entry out of range or badly encoded")
	errLPCount   = errors.New("listpack element count inconsistent with its header")
	errLPBacklen = errors.New("listpack entry back-length inconsistent")
)

func newLPIter(lp []byte) (lpIter, error) {
	if len(lp) < lpHeaderSize+1 || int(binary.LittleEndian.Uint32(lp)) != len(lp) || lp[len(lp)-1] != lpEOF {
		return lpIter{}, errLPHeader
	}
	return lpIter{lp: lp, p: lpHeaderSize, want: int(binary.LittleEndian.Uint16(lp[4:]))}, nil
}

// next returns the next element; ok is false at the end, where the count
// is checked.
func (it *lpIter) next() (e lpElem, ok bool, err error) {
	lp, p := it.lp, it.p
	end := len(lp) - 1 // the terminator
	if p == end {
		if it.want != lpCountUnknown && it.want != it.count {
			return e, false, errLPCount
		}
		return e, false, nil
	}
	b := lp[p]
	var size int // encoding and data
	switch {
	case b&0x80 == 0:
		e, size = lpElem{num: int64(b), isInt: true}, 1
	case b&0xc0 == 0x80:
		n := int(b & 0x3f)
		size = 1 + n
		if p+size > end {
			return e, false, errLPEntry
		}
		e.str = lp[p+1 : p+size : p+size]
	case b&0xe0 == 0xc0:
		if p+2 > end {
			return e, false, errLPEntry
		}
		v := int64(b&0x1f)<<8 | int64(lp[p+1])
		if v >= 1<<12 {
			v -= 1 << 13
		}
		e, size = lpElem{num: v, isInt: true}, 2
	case b&0xf0 == 0xe0:
		if p+2 > end {
			return e, false, errLPEntry
		}
		n := int(b&0x0f)<<8 | int(lp[p+1])
		size = 2 + n
		if p+size > end {
			return e, false, errLPEntry
		}
		e.str = lp[p+2 : p+size : p+size]
	case b == 0xf0:
		if p+5 > end {
			return e, false, errLPEntry
		}
		n := uint64(binary.LittleEndian.Uint32(lp[p+1:]))
		if uint64(p)+5+n > uint64(end) {
			return e, false, errLPEntry
		}
		size = 5 + int(n)
		e.str = lp[p+5 : p+size : p+size]
	case b >= 0xf1 && b <= 0xf4:
		width := [...]int{2, 3, 4, 8}[b-0xf1]
		size = 1 + width
		if p+size > end {
			return e, false, errLPEntry
		}
		var u uint64
		for i := width - 1; i >= 0; i-- {
			u = u<<8 | uint64(lp[p+1+i])
		}
		shift := 64 - 8*uint(width)
		e = lpElem{num: int64(u<<shift) >> shift, isInt: true}
	default:
		return e, false, errLPEntry
	}
	bl := backlenSize(size)
	if p+size+bl > end {
		return e, false, errLPEntry
	}
	var want [5]byte
	if string(appendBacklen(want[:0], size)) != string(lp[p+size:p+size+bl]) {
		return e, false, errLPBacklen
	}
	it.p = p + size + bl
	it.count++
	return e, true, nil
}

// listpackElems validates lp and returns its elements.
func listpackElems(lp []byte) ([]lpElem, error) {
	it, err := newLPIter(lp)
	if err != nil {
		return nil, err
	}
	var elems []lpElem
	if it.want != lpCountUnknown {
		elems = make([]lpElem, 0, it.want)
	}
	for {
		e, ok, err := it.next()
		if err != nil {
			return nil, err
		}
		if !ok {
			return elems, nil
		}
		elems = append(elems, e)
	}
}

// lpElemSize is the size s takes as a listpack element.
func lpElemSize(s []byte) int {
	if v, ok := parseCanonicalInt(s); ok {
		return lpIntSize(v)
	}
	var enc int
	switch n := len(s); {
	case n < 64:
		enc = 1 + n
	case n < 4096:
		enc = 2 + n
	default:
		enc = 5 + n
	}
	return enc + backlenSize(enc)
}

func lpIntSize(v int64) int {
	switch {
	case v >= 0 && v <= 127:
		return 2
	case v >= -4096 && v <= 4095:
		return 3
	case v >= math.MinInt16 && v <= math.MaxInt16:
		return 4
	case v >= -1<<23 && v <= 1<<23-1:
		return 5
	case v >= math.MinInt32 && v <= math.MaxInt32:
		return 6
	}
	return 10
}
