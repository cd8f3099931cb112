package types

import (
	"encoding/binary"
	"math"
)

// zpack is the compact ("listpack") encoding of a small sorted set: its
// items in order in one byte slice, each as 8 bytes of score, the member's
// length as a uvarint, and the member. A set of ten short members costs
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
	score = math.Float64frombits(binary.LittleEndian.Uint64(p.buf[off:]))
	l, w := binary.Uvarint(p.buf[off+8:])
	start := off + 8 + w
	return score, p.buf[start : start+int(l)], start + int(l)
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
	var head [8 + binary.MaxVarintLen64]byte
	binary.LittleEndian.PutUint64(head[:], math.Float64bits(it.Score))
	hl := 8 + binary.PutUvarint(head[8:], uint64(len(it.Member)))
	size := hl + len(it.Member)
	p.buf = growBytes(p.buf, size)
	copy(p.buf[off+size:], p.buf[off:len(p.buf)-size])
	copy(p.buf[off:], head[:hl])
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
	var head [8 + binary.MaxVarintLen64]byte
	binary.LittleEndian.PutUint64(head[:], math.Float64bits(it.Score))
	hl := 8 + binary.PutUvarint(head[8:], uint64(len(it.Member)))
	p.buf = append(append(p.buf, head[:hl]...), it.Member...)
	p.n++
}
