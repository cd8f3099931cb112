package types

import (
	"encoding/binary"
	"slices"
	"unsafe"
)

// Hash is a Redis hash: a map of fields to values, both binary strings.
//
// Small hashes use a compact encoding ("listpack" in OBJECT ENCODING): every
// pair packed into one byte slice in insertion order, searched linearly,
// as Redis's listpack. One allocation with no pointers holds the whole
// hash, which costs a few bytes per field and nothing for the garbage
// collector to scan. A hash that outgrows the limits converts to a Dict
// ("hashtable") and never converts back, as in Redis. In the Dict each
// pair is a single allocation (see packPair).
//
// Methods returning []byte return read-only views into the hash: they must
// not be modified and are valid until the hash is next modified. Inputs are
// copied when stored; they must not be such views of the same hash.
type Hash struct {
	// lp holds the pairs while dict is nil: field, value, field, value...
	// each an entry of uvarint length followed by the bytes.
	lp      []byte
	lpPairs int
	// dict maps each field to its packed pair (packPair) once converted.
	dict *Dict[*byte]
}

// HashLimits are the thresholds of the compact encoding, Redis's
// hash-max-listpack-entries and hash-max-listpack-value.
type HashLimits struct {
	MaxEntries int // more pairs than this convert to a hashtable
	MaxValue   int // a field or value longer than this converts too
}

// NewHash returns an empty hash in the compact encoding.
func NewHash() *Hash { return &Hash{} }

// TypeName is TYPE's answer.
func (h *Hash) TypeName() string { return "hash" }

// Encoding is OBJECT ENCODING's answer.
func (h *Hash) Encoding() string {
	if h.dict != nil {
		return "hashtable"
	}
	return "listpack"
}

// Len reports the number of fields.
func (h *Hash) Len() int {
	if h.dict != nil {
		return h.dict.Len()
	}
	return h.lpPairs
}

// Get returns the value of field.
func (h *Hash) Get(field []byte) ([]byte, bool) {
	if h.dict != nil {
		v, ok := h.dict.Get(viewString(field))
		if !ok {
			return nil, false
		}
		return pairValue(v), true
	}
	p, ok := h.lpFind(field)
	if !ok {
		return nil, false
	}
	return p.value(h.lp), true
}

// Has reports whether field exists.
func (h *Hash) Has(field []byte) bool {
	if h.dict != nil {
		return h.dict.Has(viewString(field))
	}
	_, ok := h.lpFind(field)
	return ok
}

// Set stores value under field and reports whether the field is new. A
// field or value longer than lim.MaxValue, or more than lim.MaxEntries
// pairs, converts the hash to a hashtable first or after, as Redis's
// hashTypeSet does.
func (h *Hash) Set(field, value []byte, lim HashLimits) (added bool) {
	if h.dict == nil && (len(field) > lim.MaxValue || len(value) > lim.MaxValue) {
		h.convert()
	}
	if h.dict != nil {
		return h.dict.Put(packPair(field, value))
	}
	added = h.lpSet(field, value)
	if h.lpPairs > lim.MaxEntries {
		h.convert()
	}
	return added
}

// SetPairs stores field/value pairs given alternately (HSET's arguments)
// and counts the new fields. A new hash gets its compact encoding sized
// exactly for them at once.
func (h *Hash) SetPairs(pairs [][]byte, lim HashLimits) (added int) {
	if h.Len() == 0 && h.dict == nil && len(pairs)/2 <= lim.MaxEntries {
		size := 0
		for _, b := range pairs {
			if len(b) > lim.MaxValue {
				size = 0 // converts at once: no listpack to size
				break
			}
			size += entrySize(len(b))
		}
		h.lp = make([]byte, 0, size)
	}
	for i := 0; i+1 < len(pairs); i += 2 {
		if h.Set(pairs[i], pairs[i+1], lim) {
			added++
		}
	}
	return added
}

// Delete removes field and reports whether it existed.
func (h *Hash) Delete(field []byte) bool {
	if h.dict != nil {
		return h.dict.Delete(viewString(field))
	}
	p, ok := h.lpFind(field)
	if !ok {
		return false
	}
	h.lp = slices.Delete(h.lp, p.start, p.end)
	h.lpPairs--
	if cap(h.lp) > 64 && 4*len(h.lp) < cap(h.lp) {
		// Give back the room of deleted pairs, as a listpack shrinks.
		h.lp = slices.Clip(slices.Clone(h.lp))
	}
	return true
}

// Each calls fn for every pair until fn returns false: in insertion order
// in the compact encoding, in table order in a hashtable. fn must not
// modify the hash.
func (h *Hash) Each(fn func(field, value []byte) bool) {
	if h.dict != nil {
		h.dict.Each(func(f string, v *byte) bool { return fn(viewBytes(f), pairValue(v)) })
		return
	}
	for off := 0; off < len(h.lp); {
		p := lpPairAt(h.lp, off)
		if !fn(p.field(h.lp), p.value(h.lp)) {
			return
		}
		off = p.end
	}
}

// Scan is one step of HSCAN: it visits one bucket chain of a hashtable and
// returns the next cursor (0 at the end). A compact hash is visited whole
// in one call, whatever the cursor, and returns 0, as Redis does for a
// listpack.
func (h *Hash) Scan(cursor uint64, fn func(field, value []byte)) uint64 {
	if h.dict != nil {
		return h.dict.Scan(cursor, func(f string, v *byte) { fn(viewBytes(f), pairValue(v)) })
	}
	h.Each(func(f, v []byte) bool { fn(f, v); return true })
	return 0
}

// Random returns a random pair; ok is false for an empty hash. rnd(n)
// returns a number in [0, n).
func (h *Hash) Random(rnd func(n int) int) (field, value []byte, ok bool) {
	if h.Len() == 0 {
		return nil, nil, false
	}
	if h.dict != nil {
		f, v := h.dict.Random(rnd)
		return viewBytes(f), pairValue(v), true
	}
	p := h.lpPairAtIndex(rnd(h.lpPairs))
	return p.field(h.lp), p.value(h.lp), true
}

// RandomPairs calls fn n times with a random pair each time; pairs may
// repeat (HRANDFIELD with a negative count). fn must not modify the hash.
func (h *Hash) RandomPairs(n int, rnd func(int) int, fn func(field, value []byte)) {
	if h.Len() == 0 {
		return
	}
	if h.dict != nil {
		for ; n > 0; n-- {
			f, v := h.dict.Random(rnd)
			fn(viewBytes(f), pairValue(v))
		}
		return
	}
	// Index the pairs once so each draw is O(1) instead of a walk.
	pairs := h.lpIndex()
	for ; n > 0; n-- {
		p := pairs[rnd(len(pairs))]
		fn(p.field(h.lp), p.value(h.lp))
	}
}

// RandomDistinct calls fn for min(n, Len) different random pairs
// (HRANDFIELD with a positive count). When n covers the hash every pair is
// visited in Each's order, as Redis returns the whole hash then. fn must
// not modify the hash.
func (h *Hash) RandomDistinct(n int, rnd func(int) int, fn func(field, value []byte)) {
	size := h.Len()
	switch {
	case n <= 0 || size == 0:
		return
	case n >= size:
		h.Each(func(f, v []byte) bool { fn(f, v); return true })
	case h.dict == nil:
		pairs := h.lpIndex()
		partialShuffle(len(pairs), n, rnd, func(i, j int) { pairs[i], pairs[j] = pairs[j], pairs[i] })
		for _, p := range pairs[:n] {
			fn(p.field(h.lp), p.value(h.lp))
		}
	case n*3 > size:
		// Many of the elements: drawing until n distinct ones are found
		// would repeat a lot, so shuffle a copy instead (Redis's case 3).
		type kv struct {
			f string
			v *byte
		}
		all := make([]kv, 0, size)
		h.dict.Each(func(f string, v *byte) bool { all = append(all, kv{f, v}); return true })
		partialShuffle(len(all), n, rnd, func(i, j int) { all[i], all[j] = all[j], all[i] })
		for _, p := range all[:n] {
			fn(viewBytes(p.f), pairValue(p.v))
		}
	default:
		// Few of the elements: draw and skip repeats (Redis's case 4).
		picked := make(map[string]struct{}, n)
		for len(picked) < n {
			f, v := h.dict.Random(rnd)
			if _, dup := picked[f]; dup {
				continue
			}
			picked[f] = struct{}{}
			fn(viewBytes(f), pairValue(v))
		}
	}
}

// partialShuffle puts n uniformly chosen elements of a sequence of size
// elements in its first n positions (the first n steps of Fisher-Yates).
func partialShuffle(size, n int, rnd func(int) int, swap func(i, j int)) {
	for i := 0; i < n; i++ {
		swap(i, i+rnd(size-i))
	}
}

// Clone returns a deep copy (COPY).
func (h *Hash) Clone() any {
	c := &Hash{lpPairs: h.lpPairs}
	if h.dict != nil {
		// Packed pairs are never modified, so the copy can share them.
		c.dict = h.dict.Clone()
		return c
	}
	c.lp = slices.Clone(h.lp)
	return c
}

// convert moves the pairs into a hashtable.
func (h *Hash) convert() {
	d := NewDict[*byte](h.lpPairs)
	h.Each(func(f, v []byte) bool {
		d.insertNew(packPair(f, v))
		return true
	})
	h.dict, h.lp, h.lpPairs = d, nil, 0
}

// packPair puts a field and its value in one allocation: the field's
// bytes, then the value as a listpack entry (uvarint length and bytes).
// The dict's key is the field part and its value points at the length, so
// a pair costs a 32-byte entry and one allocation, where two strings in
// the entry would cost a 48-byte entry and two allocations.
func packPair(field, value []byte) (key string, val *byte) {
	buf := make([]byte, 0, len(field)+entrySize(len(value)))
	buf = append(buf, field...)
	buf = appendEntry(buf, value)
	return unsafe.String(unsafe.SliceData(buf), len(field)), &buf[len(field)]
}

// pairValue reads the value packPair stored at p, as a view.
func pairValue(p *byte) []byte {
	var n uint64
	for shift := uint(0); ; shift += 7 {
		b := *p
		n |= uint64(b&0x7f) << shift
		if b < 0x80 {
			break
		}
		p = (*byte)(unsafe.Add(unsafe.Pointer(p), 1))
	}
	if n == 0 {
		return nil // the length byte ends the allocation: point no further
	}
	return unsafe.Slice((*byte)(unsafe.Add(unsafe.Pointer(p), 1)), n)
}

// lpPair locates one pair in the packed slice by offsets.
type lpPair struct {
	start        int // the pair's first byte (the field's length)
	fStart, fEnd int // the field's bytes
	vStart, vEnd int // the value's bytes
	end          int // one past the pair; vEnd
	vLenAt       int // the value's length prefix
}

func (p lpPair) field(lp []byte) []byte { return lp[p.fStart:p.fEnd:p.fEnd] }
func (p lpPair) value(lp []byte) []byte { return lp[p.vStart:p.vEnd:p.vEnd] }

// lpPairAt decodes the pair starting at off.
func lpPairAt(lp []byte, off int) lpPair {
	p := lpPair{start: off}
	p.fStart, p.fEnd = lpEntryAt(lp, off)
	p.vLenAt = p.fEnd
	p.vStart, p.vEnd = lpEntryAt(lp, p.fEnd)
	p.end = p.vEnd
	return p
}

// lpEntryAt decodes the entry (length, bytes) at off and returns where its
// bytes start and end.
func lpEntryAt(lp []byte, off int) (start, end int) {
	if n := lp[off]; n < 0x80 { // short entries: one length byte, inlined
		return off + 1, off + 1 + int(n)
	}
	return lpLongEntryAt(lp, off)
}

func lpLongEntryAt(lp []byte, off int) (start, end int) {
	n, w := binary.Uvarint(lp[off:])
	return off + w, off + w + int(n)
}

// lpFind is the hot loop of the compact encoding: the one-byte length
// decoding is written out because the compiler does not inline lpEntryAt.
func (h *Hash) lpFind(field []byte) (lpPair, bool) {
	lp := h.lp
	for off := 0; off < len(lp); {
		fStart, fEnd := off+1, off+1+int(lp[off])
		if lp[off] >= 0x80 {
			fStart, fEnd = lpLongEntryAt(lp, off)
		}
		if string(lp[fStart:fEnd]) == string(field) {
			return lpPairAt(lp, off), true
		}
		off = fEnd + 1 + int(lp[fEnd])
		if lp[fEnd] >= 0x80 {
			_, off = lpLongEntryAt(lp, fEnd)
		}
	}
	return lpPair{}, false
}

func (h *Hash) lpPairAtIndex(i int) lpPair {
	off := 0
	for ; i > 0; i-- {
		_, fEnd := lpEntryAt(h.lp, off)
		_, off = lpEntryAt(h.lp, fEnd)
	}
	return lpPairAt(h.lp, off)
}

func (h *Hash) lpIndex() []lpPair {
	pairs := make([]lpPair, 0, h.lpPairs)
	for off := 0; off < len(h.lp); {
		p := lpPairAt(h.lp, off)
		pairs = append(pairs, p)
		off = p.end
	}
	return pairs
}

// lpSet replaces the value of an existing field in place, or appends the
// pair.
func (h *Hash) lpSet(field, value []byte) (added bool) {
	p, ok := h.lpFind(field)
	if !ok {
		h.lp = reserve(h.lp, entrySize(len(field))+entrySize(len(value)))
		h.lp = appendEntry(appendEntry(h.lp, field), value)
		h.lpPairs++
		return true
	}
	if p.vEnd-p.vStart == len(value) {
		copy(h.lp[p.vStart:p.vEnd], value)
		return false
	}
	var tmp [binary.MaxVarintLen64]byte
	hdr := binary.AppendUvarint(tmp[:0], uint64(len(value)))
	h.lp = resizeRange(h.lp, p.vLenAt, p.vEnd, len(hdr)+len(value))
	copy(h.lp[p.vLenAt:], hdr)
	copy(h.lp[p.vLenAt+len(hdr):], value)
	return false
}

// resizeRange makes lp[from:to] n bytes long, moving the bytes after it;
// the content of the range is left for the caller to fill.
func resizeRange(lp []byte, from, to, n int) []byte {
	delta := n - (to - from)
	switch {
	case delta > 0:
		lp = reserve(lp, delta)[:len(lp)+delta]
		copy(lp[to+delta:], lp[to:len(lp)-delta])
	case delta < 0:
		copy(lp[to+delta:], lp[to:])
		lp = lp[:len(lp)+delta]
	}
	return lp
}

func appendEntry(lp, b []byte) []byte {
	lp = reserve(lp, entrySize(len(b)))
	lp = binary.AppendUvarint(lp, uint64(len(b)))
	return append(lp, b...)
}

// reserve makes room for n more bytes, growing by an eighth rather than
// append's doubling: a small hash is mostly written once and read many
// times, and doubling would leave up to half of every listpack unused.
// Redis's listpack reallocates on every insert.
func reserve(lp []byte, n int) []byte {
	if cap(lp)-len(lp) >= n {
		return lp
	}
	grown := make([]byte, len(lp), len(lp)+n+len(lp)/8)
	copy(grown, lp)
	return grown
}

// entrySize is the packed size of an entry of n bytes.
func entrySize(n int) int {
	size := 1
	for v := uint64(n); v >= 0x80; v >>= 7 {
		size++
	}
	return size + n
}

// viewString looks at b as a string without copying, for lookups that do
// not keep it.
func viewString(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }

// viewBytes looks at s as bytes without copying; they must not be written.
func viewBytes(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }
