package types

import (
	"encoding/binary"
	"math"
)

// zpack is the compact ("listpack") encoding of a small sorted set: its
// items in order in one byte slice, each as its score (see appendScore),
// the member's length as a uvarint, and the member. A set of ten short members costs
// one allocation of about a hundred bytes, where items with strings of
// their own would cost ten allocations and several hundred bytes. Every
// operation walks the entries, as Redis walks its listpack: the encoding
// only holds up to zset-max-listpack-entries (128 by default).
//
// Members handed out are copies: the slice moves when the set changes.
type zpack struct {
	buf []byte
	n   int
}

// entry decodes the entry at off and returns the offset of the next one.
func (p *zpack) entry(off int) (score float64, member []byte, next int) {
	score, off = readScore(p.buf, off)
	l, w := binary.Uvarint(p.buf[off:])
	start := off + w
	return score, p.buf[start : start+int(l)], start + int(l)
}

// maxPackedInt bounds the scores stored as integers: every integer up to
// 2^53 is exact in a float64.
const maxPackedInt = 1 << 53

// appendScore writes a score as Redis's listpack would keep it small: an
// integral score as a zigzag varint shifted left by one (low bit 0), any
// other as a 1 byte followed by the 8 bytes of the float.
func appendScore(dst []byte, s float64) []byte {
	if s == math.Trunc(s) && s >= -maxPackedInt && s <= maxPackedInt {
		i := int64(s)
		return binary.AppendUvarint(dst, uint64((i<<1)^(i>>63))<<1)
	}
	dst = append(dst, 1)
	return binary.LittleEndian.AppendUint64(dst, math.Float64bits(s))
}

func readScore(b []byte, off int) (float64, int) {
	h, w := binary.Uvarint(b[off:])
	if h&1 == 0 {
		z := h >> 1
		return float64(int64(z>>1) ^ -int64(z&1)), off + w
	}
	return math.Float64frombits(binary.LittleEndian.Uint64(b[off+1:])), off + 9
}

// appendZEntry encodes one item.
func appendZEntry(dst []byte, it ZItem) []byte {
	dst = appendScore(dst, it.Score)
	dst = binary.AppendUvarint(dst, uint64(len(it.Member)))
	return append(dst, it.Member...)
}

func (p *zpack) item(off int) (ZItem, int) {
	s, m, next := p.entry(off)
	return ZItem{Score: s, Member: string(m)}, next
}

// offset is the offset of the entry of rank r (len(buf) for r == n).
func (p *zpack) offset(r int) int {
	off := 0
	for ; r > 0; r-- {
		_, _, off = p.entry(off)
	}
	return off
}

// find locates member: its offset, rank and score.
func (p *zpack) find(member string) (off, rank int, score float64, ok bool) {
	for off < len(p.buf) {
		s, m, next := p.entry(off)
		if string(m) == member {
			return off, rank, s, true
		}
		off, rank = next, rank+1
	}
	return 0, 0, 0, false
}

// insert adds it (absent) in order and returns its rank.
func (p *zpack) insert(it ZItem) int {
	off, rank := 0, 0
	for off < len(p.buf) {
		s, m, next := p.entry(off)
		if !(s < it.Score || (s == it.Score && viewString(m) < it.Member)) {
			break
		}
		off, rank = next, rank+1
	}
	var buf [9 + binary.MaxVarintLen64]byte
	head := binary.AppendUvarint(appendScore(buf[:0], it.Score), uint64(len(it.Member)))
	hl := len(head)
	size := hl + len(it.Member)
	p.buf = growBytes(p.buf, size)
	copy(p.buf[off+size:], p.buf[off:len(p.buf)-size])
	copy(p.buf[off:], head)
	copy(p.buf[off+hl:], it.Member)
	p.n++
	return rank
}

// growBytes extends b by n bytes, growing the allocation by a quarter at a
// time rather than doubling it (a small set's bytes are its whole cost).
func growBytes(b []byte, n int) []byte {
	if len(b)+n <= cap(b) {
		return b[:len(b)+n]
	}
	nb := make([]byte, len(b)+n, len(b)+n+(len(b)+n)/4)
	copy(nb, b)
	return nb
}

// removeAt deletes the entry at off.
func (p *zpack) removeAt(off int) {
	_, _, next := p.entry(off)
	p.buf = append(p.buf[:off], p.buf[next:]...)
	p.n--
}

// ascend calls fn for the items from rank r upwards while fn returns true.
func (p *zpack) ascend(r int, fn func(ZItem) bool) {
	if r < 0 || r >= p.n {
		return
	}
	for off := p.offset(r); off < len(p.buf); {
		it, next := p.item(off)
		if !fn(it) {
			return
		}
		off = next
	}
}

// descend calls fn for the items from rank r downwards while fn returns
// true. Entries are only readable forwards, so the offsets up to r are
// gathered first.
func (p *zpack) descend(r int, fn func(ZItem) bool) {
	if r < 0 || r >= p.n {
		return
	}
	var small [128]int
	offs := small[:0]
	for off, i := 0, 0; i <= r; i++ {
		offs = append(offs, off)
		_, _, off = p.entry(off)
	}
	for i := len(offs) - 1; i >= 0; i-- {
		it, _ := p.item(offs[i])
		if !fn(it) {
			return
		}
	}
}

// countBefore is the number of leading items for which before is true.
func (p *zpack) countBefore(before func(ZItem) bool) int {
	n := 0
	for off := 0; off < len(p.buf); n++ {
		s, m, next := p.entry(off)
		if !before(ZItem{Score: s, Member: viewString(m)}) {
			break
		}
		off = next
	}
	return n
}

// items returns copies of every item, in order.
func (p *zpack) items() []ZItem {
	out := make([]ZItem, 0, p.n)
	p.ascend(0, func(it ZItem) bool { out = append(out, it); return true })
	return out
}

// append adds it after the last entry (it must sort last).
func (p *zpack) append(it ZItem) {
	p.buf = appendZEntry(p.buf, it)
	p.n++
}
