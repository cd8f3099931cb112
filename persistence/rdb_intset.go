package persistence

import (
	"encoding/binary"
	"errors"
)

// Redis's intset blob (intset.c): the element width (2, 4 or 8) and the
// element count, each 32 bits little endian, then the elements, little
// endian, ascending.

var errIntset = errors.New("intset integrity check failed")

// intsetContents validates an intset blob and returns its width and
// elements.
func intsetContents(b []byte) (width int, elems []byte, err error) {
	if len(b) < 8 {
		return 0, nil, errIntset
	}
	w := binary.LittleEndian.Uint32(b)
	if w != 2 && w != 4 && w != 8 {
		return 0, nil, errIntset
	}
	width = int(w)
	n := uint64(binary.LittleEndian.Uint32(b[4:]))
	if n == 0 || 8+n*uint64(width) != uint64(len(b)) {
		return 0, nil, errIntset
	}
	elems = b[8:]
	prev := intsetAt(elems, width, 0)
	for i := 1; i < int(n); i++ {
		v := intsetAt(elems, width, i)
		if v <= prev {
			return 0, nil, errIntset
		}
		prev = v
	}
	return width, elems, nil
}

func intsetAt(elems []byte, width, i int) int64 {
	switch width {
	case 2:
		return int64(int16(binary.LittleEndian.Uint16(elems[2*i:])))
	case 4:
		return int64(int32(binary.LittleEndian.Uint32(elems[4*i:])))
	}
	return int64(binary.LittleEndian.Uint64(elems[8*i:]))
}
