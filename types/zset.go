package types

import "math"

// ZSet is a sorted set: members ordered by score, ties by member bytes.
//
// Like Redis it has two encodings, chosen by the caller at Redis's
// thresholds (zset-max-listpack-entries / -value) so that OBJECT ENCODING
// answers the same:
//   - listpack: small sets, one sorted run of items; a member is found by
//     scanning it, as Redis scans its listpack;
//   - skiplist: the order-statistic tree plus a member→score map, so that
//     ZSCORE is O(1) and ranks are O(log n). (Redis's name for it; the order
//     is kept by a B+tree with counts, see zset_tree.go.)
//
// A listpack set stores a score of -0 as 0, because Redis stores listpack
// scores as text written by d2string, which prints -0 as "0".
type ZSet struct {
	tree ztree
	dict *Dict[float64] // nil in the listpack encoding
}

// NewZSet returns an empty sorted set in the listpack encoding.
func NewZSet() *ZSet { return &ZSet{tree: newZTree(math.MaxInt)} }

// NewZSetSkiplist returns an empty sorted set in the skiplist encoding.
func NewZSetSkiplist() *ZSet {
	return &ZSet{tree: newZTree(zLeafMax), dict: NewDict[float64](0)}
}

// TypeName is TYPE's answer.
func (z *ZSet) TypeName() string { return "zset" }

// Encoding is OBJECT ENCODING's answer.
func (z *ZSet) Encoding() string {
	if z.dict == nil {
		return "listpack"
	}
	return "skiplist"
}

// IsListpack reports whether z is in the compact encoding.
func (z *ZSet) IsListpack() bool { return z.dict == nil }

// Len is the number of members.
func (z *ZSet) Len() int { return z.tree.length }

// ConvertToSkiplist switches a listpack set to the skiplist encoding; Redis
// never converts back on its own.
func (z *ZSet) ConvertToSkiplist() {
	if z.dict != nil {
		return
	}
	old := z.tree.root.items
	z.tree = newZTree(zLeafMax)
	z.dict = NewDict[float64](len(old))
	for _, it := range old {
		z.tree.insert(it)
		z.dict.Set(it.Member, it.Score)
	}
}

// ConvertToListpack switches a skiplist set to the listpack encoding (used
// for results small enough, as Redis's zsetConvertToListpackIfNeeded).
func (z *ZSet) ConvertToListpack() {
	if z.dict == nil {
		return
	}
	items := make([]ZItem, 0, z.Len())
	z.tree.ascend(0, func(it ZItem) bool {
		items = append(items, ZItem{Score: listpackScore(it.Score), Member: it.Member})
		return true
	})
	z.tree = newZTree(math.MaxInt)
	z.tree.root.items = items
	z.tree.length = len(items)
	z.dict = nil
}

func listpackScore(s float64) float64 {
	if s == 0 {
		return 0 // -0 is written "0"
	}
	return s
}

// MaxMemberLen is the length of the longest member (to decide on the
// encoding of a copy).
func (z *ZSet) MaxMemberLen() int {
	longest := 0
	z.tree.ascend(0, func(it ZItem) bool {
		longest = max(longest, len(it.Member))
		return true
	})
	return longest
}

// Score returns member's score.
func (z *ZSet) Score(member string) (float64, bool) {
	if z.dict != nil {
		return z.dict.Get(member)
	}
	for _, it := range z.tree.root.items {
		if it.Member == member {
			return it.Score, true
		}
	}
	return 0, false
}

// Set gives member the score, adding it if absent; added reports whether
// it was added.
func (z *ZSet) Set(member string, score float64) (added bool) {
	if z.dict == nil {
		score = listpackScore(score)
	}
	old, exists := z.Score(member)
	if exists {
		if old == score { // Redis keeps the old score, -0 against 0 included
			return false
		}
		z.tree.delete(ZItem{old, member})
	}
	z.tree.insert(ZItem{score, member})
	if z.dict != nil {
		z.dict.Set(member, score)
	}
	return !exists
}

// Remove deletes member and reports whether it was present.
func (z *ZSet) Remove(member string) bool {
	score, ok := z.Score(member)
	if !ok {
		return false
	}
	z.tree.delete(ZItem{score, member})
	if z.dict != nil {
		z.dict.Delete(member)
	}
	return true
}

// Rank is member's 0-based rank in ascending order.
func (z *ZSet) Rank(member string) (int, bool) {
	score, ok := z.Score(member)
	if !ok {
		return 0, false
	}
	it := ZItem{score, member}
	return z.tree.countBefore(func(x ZItem) bool { return zLess(x, it) }), true
}

// At is the item of rank r (0 <= r < Len).
func (z *ZSet) At(r int) ZItem {
	n, i := z.tree.at(r)
	return n.items[i]
}

// Ascend calls fn for the items from rank r upwards until fn returns false.
func (z *ZSet) Ascend(r int, fn func(ZItem) bool) { z.tree.ascend(r, fn) }

// Descend calls fn for the items from rank r downwards until fn returns
// false.
func (z *ZSet) Descend(r int, fn func(ZItem) bool) { z.tree.descend(r, fn) }

// CountBefore is the number of items for which before is true; before must
// hold for a prefix of the order (a score or lex lower bound).
func (z *ZSet) CountBefore(before func(ZItem) bool) int { return z.tree.countBefore(before) }

// RemoveRange deletes the items of ranks start..end (inclusive) and calls
// fn, if not nil, for each.
func (z *ZSet) RemoveRange(start, end int, fn func(ZItem)) {
	for r := start; r <= end; r++ {
		it := z.At(start)
		z.tree.delete(it)
		if z.dict != nil {
			z.dict.Delete(it.Member)
		}
		if fn != nil {
			fn(it)
		}
	}
}

// Clone returns an independent copy in the same encoding (COPY).
func (z *ZSet) Clone() any {
	var c *ZSet
	if z.dict == nil {
		c = NewZSet()
		c.tree.root.items = append([]ZItem(nil), z.tree.root.items...)
		c.tree.length = z.Len()
		return c
	}
	c = NewZSetSkiplist()
	z.tree.ascend(0, func(it ZItem) bool {
		c.tree.insert(it)
		c.dict.Set(it.Member, it.Score)
		return true
	})
	return c
}

// Scan visits a slice of the members from cursor and returns the next
// cursor (ZSCAN). A listpack set is visited whole and answers 0, as Redis
// does.
func (z *ZSet) Scan(cursor uint64, fn func(member string, score float64)) uint64 {
	if z.dict == nil {
		for _, it := range z.tree.root.items {
			fn(it.Member, it.Score)
		}
		return 0
	}
	return z.dict.Scan(cursor, fn)
}

// Random returns a random member with its score; rnd(n) must return a
// number in [0, n). The set must not be empty.
func (z *ZSet) Random(rnd func(n int) int) ZItem {
	if z.dict == nil {
		return z.tree.root.items[rnd(z.Len())]
	}
	m, s := z.dict.Random(rnd)
	return ZItem{Score: s, Member: m}
}

// Less is the sorted-set order: by score, ties by member bytes.
func (a ZItem) Less(b ZItem) bool { return zLess(a, b) }
