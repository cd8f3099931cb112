package types

// ZSet is a sorted set: members ordered by score, ties by member bytes.
//
// Like Redis it has two encodings, chosen by the caller at Redis's
// thresholds (zset-max-listpack-entries / -value) so that OBJECT ENCODING
// answers the same:
//   - listpack: small sets, packed in one byte slice (zpack), walked for
//     every operation as Redis walks its listpack;
//   - skiplist: the order-statistic tree plus a member→score dict, so that
//     ZSCORE is O(1) and ranks are O(log n). (Redis's name for it; the order
//     is kept by a B+tree with counts, see zset_tree.go.)
//
// A listpack set stores a score of -0 as 0, because Redis's listpack stores
// an integral score as an integer.
type ZSet struct {
	pack zpack  // the listpack encoding, when big is nil
	big  *zskip // the skiplist encoding
}

type zskip struct {
	tree ztree
	dict *Dict[float64]
}

func newZSkip(n int) *zskip {
	return &zskip{tree: newZTree(zLeafMax), dict: NewDict[float64](n)}
}

// NewZSet returns an empty sorted set in the listpack encoding.
func NewZSet() *ZSet { return &ZSet{} }

// NewZSetSkiplist returns an empty sorted set in the skiplist encoding.
func NewZSetSkiplist() *ZSet { return &ZSet{big: newZSkip(0)} }

// TypeName is TYPE's answer.
func (z *ZSet) TypeName() string { return "zset" }

// Encoding is OBJECT ENCODING's answer.
func (z *ZSet) Encoding() string {
	if z.big == nil {
		return "listpack"
	}
	return "skiplist"
}

// IsListpack reports whether z is in the compact encoding.
func (z *ZSet) IsListpack() bool { return z.big == nil }

// Len is the number of members.
func (z *ZSet) Len() int {
	if z.big == nil {
		return z.pack.n
	}
	return z.big.tree.length
}

// ConvertToSkiplist switches a listpack set to the skiplist encoding; Redis
// never converts back on its own.
func (z *ZSet) ConvertToSkiplist() {
	if z.big != nil {
		return
	}
	big := newZSkip(z.pack.n)
	z.pack.ascend(0, func(it ZItem) bool {
		big.tree.insert(it)
		big.dict.Set(it.Member, it.Score)
		return true
	})
	z.big, z.pack = big, zpack{}
}

// ConvertToListpack switches a skiplist set to the listpack encoding (used
// for results small enough, as Redis's zsetConvertToListpackIfNeeded).
func (z *ZSet) ConvertToListpack() {
	if z.big == nil {
		return
	}
	big := z.big
	z.big = nil
	big.tree.ascend(0, func(it ZItem) bool {
		it.Score = listpackScore(it.Score)
		z.pack.append(it)
		return true
	})
}

func listpackScore(s float64) float64 {
	if s == 0 {
		return 0 // -0 is stored as the integer 0
	}
	return s
}

// Score returns member's score.
func (z *ZSet) Score(member string) (float64, bool) {
	if z.big != nil {
		return z.big.dict.Get(member)
	}
	_, _, s, ok := z.pack.find(member)
	return s, ok
}

// Set gives member the score, adding it if absent; added reports whether
// it was added. Redis keeps the old score when they compare equal (-0 and
// 0 included).
func (z *ZSet) Set(member string, score float64) (added bool) {
	if z.big == nil {
		score = listpackScore(score)
		off, _, old, exists := z.pack.find(member)
		if exists {
			if old == score {
				return false
			}
			z.pack.removeAt(off)
		}
		z.pack.insert(ZItem{score, member})
		return !exists
	}
	old, exists := z.big.dict.Get(member)
	if exists {
		if old == score {
			return false
		}
		z.big.tree.delete(ZItem{old, member})
		z.big.dict.Set(member, score)
	} else {
		z.big.dict.Set(member, score)
	}
	z.big.tree.insert(ZItem{score, member})
	return !exists
}

// Remove deletes member and reports whether it was present.
func (z *ZSet) Remove(member string) bool {
	if z.big == nil {
		off, _, _, ok := z.pack.find(member)
		if ok {
			z.pack.removeAt(off)
		}
		return ok
	}
	score, ok := z.big.dict.Get(member)
	if !ok {
		return false
	}
	z.big.tree.delete(ZItem{score, member})
	z.big.dict.Delete(member)
	return true
}

// Rank is member's 0-based rank in ascending order.
func (z *ZSet) Rank(member string) (int, bool) {
	if z.big == nil {
		_, r, _, ok := z.pack.find(member)
		return r, ok
	}
	score, ok := z.big.dict.Get(member)
	if !ok {
		return 0, false
	}
	it := ZItem{score, member}
	return z.big.tree.countBefore(func(x ZItem) bool { return zLess(x, it) }), true
}

// At is the item of rank r (0 <= r < Len).
func (z *ZSet) At(r int) ZItem {
	if z.big == nil {
		it, _ := z.pack.item(z.pack.offset(r))
		return it
	}
	n, i := z.big.tree.at(r)
	return n.items[i]
}

// Ascend calls fn for the items from rank r upwards until fn returns false.
func (z *ZSet) Ascend(r int, fn func(ZItem) bool) {
	if z.big == nil {
		z.pack.ascend(r, fn)
		return
	}
	z.big.tree.ascend(r, fn)
}

// Descend calls fn for the items from rank r downwards until fn returns
// false.
func (z *ZSet) Descend(r int, fn func(ZItem) bool) {
	if z.big == nil {
		z.pack.descend(r, fn)
		return
	}
	z.big.tree.descend(r, fn)
}

// CountBefore is the number of items for which before is true; before must
// hold for a prefix of the order (a score or lex lower bound) and must not
// keep the item it is given.
func (z *ZSet) CountBefore(before func(ZItem) bool) int {
	if z.big == nil {
		return z.pack.countBefore(before)
	}
	return z.big.tree.countBefore(before)
}

// RemoveRange deletes the items of ranks start..end (inclusive) and calls
// fn, if not nil, for each.
func (z *ZSet) RemoveRange(start, end int, fn func(ZItem)) {
	if z.big == nil {
		off := z.pack.offset(start)
		for r := start; r <= end; r++ {
			if fn != nil {
				it, _ := z.pack.item(off)
				fn(it)
			}
			z.pack.removeAt(off)
		}
		return
	}
	for r := start; r <= end; r++ {
		it := z.At(start)
		z.big.tree.delete(it)
		z.big.dict.Delete(it.Member)
		if fn != nil {
			fn(it)
		}
	}
}

// Clone returns an independent copy in the same encoding (COPY).
func (z *ZSet) Clone() any {
	if z.big == nil {
		return &ZSet{pack: zpack{buf: append([]byte(nil), z.pack.buf...), n: z.pack.n}}
	}
	c := &ZSet{big: newZSkip(z.Len())}
	z.big.tree.ascend(0, func(it ZItem) bool {
		c.big.tree.insert(it)
		c.big.dict.Set(it.Member, it.Score)
		return true
	})
	return c
}

// Scan visits a slice of the members from cursor and returns the next
// cursor (ZSCAN). A listpack set is visited whole and answers 0, as Redis
// does.
func (z *ZSet) Scan(cursor uint64, fn func(member string, score float64)) uint64 {
	if z.big == nil {
		z.pack.ascend(0, func(it ZItem) bool { fn(it.Member, it.Score); return true })
		return 0
	}
	return z.big.dict.Scan(cursor, fn)
}

// Random returns a random member with its score; rnd(n) must return a
// number in [0, n). The set must not be empty.
func (z *ZSet) Random(rnd func(n int) int) ZItem {
	if z.big == nil {
		return z.At(rnd(z.pack.n))
	}
	m, s := z.big.dict.Random(rnd)
	return ZItem{Score: s, Member: m}
}

// Less is the sorted-set order: by score, ties by member bytes.
func (a ZItem) Less(b ZItem) bool { return zLess(a, b) }
