package types

// Access to an intset's bytes for the RDB format, whose intset blob is
// Redis's header followed by exactly this layout.

// IntsetContents returns the element width (2, 4 or 8) and the elements,
// little endian and ascending, as a read-only view; ok is false when the
// set is a hash table. The width is the one the intset has reached, which
// never shrinks, as in Redis.
func (s *Set) IntsetContents() (width int, elems []byte, ok bool) {
	if !s.IsIntset() {
		return 0, nil, false
	}
	if len(s.ints.data) == 0 {
		return 2, nil, true
	}
	return int(s.ints.data[0]), s.ints.data[1:], true
}

// NewSetFromIntset builds an intset from elements of width bytes (2, 4 or
// 8), little endian and strictly ascending, which the caller has checked.
// The bytes are copied.
func NewSetFromIntset(width int, elems []byte) *Set {
	data := make([]byte, 1+len(elems))
	data[0] = byte(width)
	copy(data[1:], elems)
	return &Set{ints: IntSet{data: data}}
}
