package types

import (
	"encoding/binary"
	"math"
	"math/bits"
	"math/rand/v2"
)

// IntSet is a sorted array of distinct 64-bit integers, the small encoding
// of a set ("intset" in OBJECT ENCODING). Like Redis's intset.c it stores
// every element in the narrowest width (2, 4 or 8 bytes) that holds all of
// them, so a set of small numbers costs two bytes per member; adding a
// number that does not fit re-encodes the whole array once, and the width
// never shrinks. Lookups are binary searches; inserts and removals move the
// tail of the array, which is cheap at the sizes the encoding is used for
// (set-max-intset-entries, 512 by default).
//
// The zero value is an empty intset. The width lives in a header byte in
// front of the elements, as in Redis's intset, rather than in a field:
// that keeps a Set (an IntSet and a pointer) at 32 bytes, the size class
// below the next one up, which matters for the many small sets.
type IntSet struct {
	data []byte // width byte (2, 4 or 8), then little-endian elements ascending; nil until used
}

// widthFor is the narrowest element width able to hold v.
func widthFor(v int64) int {
	switch {
	case v >= math.MinInt16 && v <= math.MaxInt16:
		return 2
	case v >= math.MinInt32 && v <= math.MaxInt32:
		return 4
	}
	return 8
}

// width is the element width, 0 for an intset never used.
func (s *IntSet) width() int {
	if len(s.data) == 0 {
		return 0
	}
	return int(s.data[0])
}

// Len is the number of elements.
func (s *IntSet) Len() int {
	if len(s.data) == 0 {
		return 0
	}
	// A shift instead of a division: widths are powers of two, and Len is
	// on every lookup's path.
	return (len(s.data) - 1) >> bits.TrailingZeros8(s.data[0])
}

// At returns the i-th smallest element.
func (s *IntSet) At(i int) int64 { return readWidth(s.data[1:], int(s.data[0]), i) }

func readWidth(elems []byte, width, i int) int64 {
	switch width {
	case 2:
		return int64(int16(binary.LittleEndian.Uint16(elems[2*i:])))
	case 4:
		return int64(int32(binary.LittleEndian.Uint32(elems[4*i:])))
	}
	return int64(binary.LittleEndian.Uint64(elems[8*i:]))
}

func writeWidth(elems []byte, width, i int, v int64) {
	switch width {
	case 2:
		binary.LittleEndian.PutUint16(elems[2*i:], uint16(v))
	case 4:
		binary.LittleEndian.PutUint32(elems[4*i:], uint32(v))
	default:
		binary.LittleEndian.PutUint64(elems[8*i:], uint64(v))
	}
}

// search returns the position of v, or where it would be inserted. Each
// width has its own loop so that the probe is a plain load, not a switch.
func (s *IntSet) search(v int64) (pos int, found bool) {
	n := s.Len()
	if n == 0 {
		return 0, false
	}
	e := s.data[1:]
	switch s.data[0] {
	case 2:
		return searchSorted(n, v, func(i int) int64 { return int64(int16(binary.LittleEndian.Uint16(e[2*i:]))) })
	case 4:
		return searchSorted(n, v, func(i int) int64 { return int64(int32(binary.LittleEndian.Uint32(e[4*i:]))) })
	}
	return searchSorted(n, v, func(i int) int64 { return int64(binary.LittleEndian.Uint64(e[8*i:])) })
}

// searchSorted binary-searches n ascending elements read by at.
func searchSorted(n int, v int64, at func(int) int64) (pos int, found bool) {
	lo, hi := 0, n
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		x := at(mid)
		switch {
		case x < v:
			lo = mid + 1
		case x > v:
			hi = mid
		default:
			return mid, true
		}
	}
	return lo, false
}

// Contains reports whether v is an element.
func (s *IntSet) Contains(v int64) bool {
	if s.Len() == 0 || widthFor(v) > s.width() {
		return false // wider than every element: cannot be one of them
	}
	_, found := s.search(v)
	return found
}

// Add inserts v and reports whether it was absent.
func (s *IntSet) Add(v int64) bool {
	if w := widthFor(v); w > s.width() {
		s.widen(w)
	}
	pos, found := s.search(v)
	if found {
		return false
	}
	w, n := s.width(), s.Len()
	s.data = append(s.data, make([]byte, w)...)
	e := s.data[1:]
	copy(e[(pos+1)*w:], e[pos*w:n*w])
	writeWidth(e, w, pos, v)
	return true
}

// widen re-encodes every element with width w. Existing elements keep
// their order; the element that caused the widening is inserted by Add.
func (s *IntSet) widen(w int) {
	n := s.Len()
	data := make([]byte, 1+n*w, 1+(n+1)*w)
	data[0] = byte(w)
	for i := 0; i < n; i++ {
		writeWidth(data[1:], w, i, s.At(i))
	}
	s.data = data
}

// Remove deletes v and reports whether it was present.
func (s *IntSet) Remove(v int64) bool {
	if s.Len() == 0 || widthFor(v) > s.width() {
		return false
	}
	pos, found := s.search(v)
	if !found {
		return false
	}
	s.removeAt(pos)
	return true
}

func (s *IntSet) removeAt(pos int) {
	w, e := s.width(), s.data[1:]
	copy(e[pos*w:], e[(pos+1)*w:])
	s.data = s.data[:len(s.data)-w]
}

// Random returns a uniformly chosen element; the set must not be empty.
func (s *IntSet) Random() int64 { return s.At(rand.IntN(s.Len())) }

// Pop removes and returns a uniformly chosen element; the set must not be
// empty.
func (s *IntSet) Pop() int64 {
	pos := rand.IntN(s.Len())
	v := s.At(pos)
	s.removeAt(pos)
	return v
}

// Clone returns an independent copy.
func (s *IntSet) Clone() *IntSet {
	return &IntSet{data: append([]byte(nil), s.data...)}
}

// Bytes is the memory the elements occupy (header and capacity included).
func (s *IntSet) Bytes() int { return cap(s.data) }

// ParseSetInt parses s as a set stores integers: exactly the strings
// Redis's string2ll accepts (an optional '-', no '+', no leading zeros, no
// spaces, within int64), so "01", "-0", "+1" and "9223372036854775808"
// stay strings and the set answers them byte for byte as they were added.
func ParseSetInt(s string) (int64, bool) {
	n := len(s)
	if n == 0 || n > 20 {
		return 0, false
	}
	if s == "0" {
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
