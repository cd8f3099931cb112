package types

import "sort"

// An order-statistic B+tree of (score, member) items: the ordered part of a
// sorted set. Redis uses a skiplist whose links carry spans; this tree
// carries, in every inner node, the number of items under each child, so a
// rank (ZRANK), the item at a rank (ZRANGE by index) and the number of items
// before a bound (ZCOUNT) are found in one descent, O(log n). Items sit in
// leaves of up to zLeafMax items (a few cache lines, few pointers for the
// garbage collector to trace), and leaves are linked both ways so that a
// range is read without climbing back up.
//
// Invariant of an inner node: every item under kids[i] is less than
// keys[i], and keys[i] is at most every item under kids[i+1]. Deletions keep
// it without touching keys, so a key need not be an item still present.

// Node bounds of a sorted set's tree. A node is refilled or merged when a
// deletion takes it under a quarter of its bound.
const (
	zLeafMax  = 64
	zInnerMax = 64
)

// ZItem is one member of a sorted set with its score.
type ZItem struct {
	Score  float64
	Member string
}

// zLess is the sorted-set order: by score, ties by member bytes.
func zLess(a, b ZItem) bool {
	return a.Score < b.Score || (a.Score == b.Score && a.Member < b.Member)
}

// znode is a leaf (items, linked to its neighbours) or an inner node (in).
// The inner part sits behind a pointer so that a leaf, which every sorted
// set has and the small ones consist of, stays small.
type znode struct {
	items      []ZItem
	prev, next *znode
	in         *zinner
}

type zinner struct {
	kids   []*znode
	keys   []ZItem
	counts []int // counts[i]: items under kids[i]
}

func (n *znode) leaf() bool { return n.in == nil }

func (n *znode) size() int {
	if n.leaf() {
		return len(n.items)
	}
	total := 0
	for _, c := range n.in.counts {
		total += c
	}
	return total
}

// childFor is the index of the child whose range holds it.
func (n *znode) childFor(it ZItem) int {
	return sort.Search(len(n.in.keys), func(j int) bool { return zLess(it, n.in.keys[j]) })
}

// ztree is the tree. leafMax and innerMax bound the nodes; the compact
// (listpack) encoding sets leafMax to "unbounded" so that the whole set is
// one leaf. (Tests use small bounds to grow deep trees from few items.)
type ztree struct {
	root              *znode
	length            int
	leafMax, innerMax int
}

func newZTree(leafMax int) ztree {
	return ztree{root: &znode{}, leafMax: leafMax, innerMax: zInnerMax}
}

func (t *ztree) leafMin() int  { return t.leafMax / 4 }
func (t *ztree) innerMin() int { return max(2, t.innerMax/4) }

// insert adds it (which must not be present) and returns its rank.
func (t *ztree) insert(it ZItem) int {
	rank, right, sep := t.insertInto(t.root, it)
	if right != nil {
		left := t.root
		t.root = &znode{in: &zinner{
			kids:   []*znode{left, right},
			keys:   []ZItem{sep},
			counts: []int{left.size(), right.size()},
		}}
	}
	t.length++
	return rank
}

// insertInto inserts below n; when n splits it returns the new right
// sibling and the key that separates it from n.
func (t *ztree) insertInto(n *znode, it ZItem) (rank int, right *znode, sep ZItem) {
	if n.leaf() {
		i := sort.Search(len(n.items), func(j int) bool { return !zLess(n.items[j], it) })
		n.items = append(n.items, ZItem{})
		copy(n.items[i+1:], n.items[i:])
		n.items[i] = it
		if len(n.items) > t.leafMax {
			right, sep = splitLeaf(n)
		}
		return i, right, sep
	}
	i := n.childFor(it)
	r, kidRight, kidSep := t.insertInto(n.in.kids[i], it)
	rank = r
	for _, c := range n.in.counts[:i] {
		rank += c
	}
	n.in.counts[i]++
	if kidRight != nil {
		n.in.counts[i] = n.in.kids[i].size()
		n.in.kids = insertAt(n.in.kids, i+1, kidRight)
		n.in.keys = insertAt(n.in.keys, i, kidSep)
		n.in.counts = insertAt(n.in.counts, i+1, kidRight.size())
		if len(n.in.kids) > t.innerMax {
			right, sep = splitInner(n)
		}
	}
	return rank, right, sep
}

func insertAt[T any](s []T, i int, v T) []T {
	var zero T
	s = append(s, zero)
	copy(s[i+1:], s[i:])
	s[i] = v
	return s
}

func removeAt[T any](s []T, i int) []T {
	copy(s[i:], s[i+1:])
	var zero T
	s[len(s)-1] = zero
	return s[:len(s)-1]
}

func splitLeaf(n *znode) (*znode, ZItem) {
	h := len(n.items) / 2
	right := &znode{items: append(make([]ZItem, 0, len(n.items)), n.items[h:]...)}
	clear(n.items[h:])
	n.items = n.items[:h]
	right.next, right.prev = n.next, n
	if n.next != nil {
		n.next.prev = right
	}
	n.next = right
	return right, right.items[0]
}

func splitInner(n *znode) (*znode, ZItem) {
	h := len(n.in.kids) / 2
	right := &znode{in: &zinner{
		kids:   append([]*znode(nil), n.in.kids[h:]...),
		keys:   append([]ZItem(nil), n.in.keys[h:]...),
		counts: append([]int(nil), n.in.counts[h:]...),
	}}
	sep := n.in.keys[h-1]
	clear(n.in.kids[h:])
	clear(n.in.keys[h-1:])
	n.in.kids, n.in.keys, n.in.counts = n.in.kids[:h], n.in.keys[:h-1], n.in.counts[:h]
	return right, sep
}

// delete removes it and returns the rank it had; found is false when it is
// not in the tree.
func (t *ztree) delete(it ZItem) (rank int, found bool) {
	rank, found = t.deleteFrom(t.root, it)
	if !found {
		return 0, false
	}
	t.length--
	if !t.root.leaf() && len(t.root.in.kids) == 1 {
		t.root = t.root.in.kids[0]
	}
	return rank, true
}

func (t *ztree) deleteFrom(n *znode, it ZItem) (int, bool) {
	if n.leaf() {
		i := sort.Search(len(n.items), func(j int) bool { return !zLess(n.items[j], it) })
		if i == len(n.items) || n.items[i] != it {
			return 0, false
		}
		n.items = removeAt(n.items, i)
		return i, true
	}
	i := n.childFor(it)
	r, found := t.deleteFrom(n.in.kids[i], it)
	if !found {
		return 0, false
	}
	for _, c := range n.in.counts[:i] {
		r += c
	}
	n.in.counts[i]--
	t.rebalance(n, i)
	return r, true
}

// rebalance refills kids[i] of n when a deletion left it under its
// minimum, from a sibling that can spare items, or merges it with one.
func (t *ztree) rebalance(n *znode, i int) {
	kid := n.in.kids[i]
	if kid.leaf() && len(kid.items) >= t.leafMin() || !kid.leaf() && len(kid.in.kids) >= t.innerMin() {
		return
	}
	if len(n.in.kids) == 1 {
		return
	}
	l := i // merge or balance kids[l] and kids[l+1]
	if i == len(n.in.kids)-1 {
		l = i - 1
	}
	if kid.leaf() {
		t.balanceLeaves(n, l)
	} else {
		t.balanceInners(n, l)
	}
}

func (t *ztree) balanceLeaves(n *znode, l int) {
	a, b := n.in.kids[l], n.in.kids[l+1]
	total := len(a.items) + len(b.items)
	if total <= t.leafMax*3/4 {
		a.items = append(a.items, b.items...)
		a.next = b.next
		if b.next != nil {
			b.next.prev = a
		}
		n.in.counts[l] = len(a.items)
		n.in.kids = removeAt(n.in.kids, l+1)
		n.in.keys = removeAt(n.in.keys, l)
		n.in.counts = removeAt(n.in.counts, l+1)
		return
	}
	want := total / 2
	if len(a.items) < want { // move the head of b to the tail of a
		k := want - len(a.items)
		a.items = append(a.items, b.items[:k]...)
		rest := copy(b.items, b.items[k:])
		clear(b.items[rest:])
		b.items = b.items[:rest]
	} else { // move the tail of a to the head of b
		moved := a.items[want:]
		b.items = append(append(make([]ZItem, 0, len(moved)+len(b.items)), moved...), b.items...)
		clear(moved)
		a.items = a.items[:want]
	}
	n.in.keys[l] = b.items[0]
	n.in.counts[l], n.in.counts[l+1] = len(a.items), len(b.items)
}

func (t *ztree) balanceInners(n *znode, l int) {
	a, b := n.in.kids[l], n.in.kids[l+1]
	if len(a.in.kids)+len(b.in.kids) <= t.innerMax*3/4 {
		a.in.keys = append(append(a.in.keys, n.in.keys[l]), b.in.keys...)
		a.in.kids = append(a.in.kids, b.in.kids...)
		a.in.counts = append(a.in.counts, b.in.counts...)
		n.in.counts[l] += n.in.counts[l+1]
		n.in.kids = removeAt(n.in.kids, l+1)
		n.in.keys = removeAt(n.in.keys, l)
		n.in.counts = removeAt(n.in.counts, l+1)
		return
	}
	for len(a.in.kids) < len(b.in.kids)-1 { // rotate b's first child into a
		a.in.keys = append(a.in.keys, n.in.keys[l])
		a.in.kids = append(a.in.kids, b.in.kids[0])
		a.in.counts = append(a.in.counts, b.in.counts[0])
		n.in.counts[l] += b.in.counts[0]
		n.in.counts[l+1] -= b.in.counts[0]
		n.in.keys[l] = b.in.keys[0]
		b.in.kids, b.in.keys, b.in.counts = removeAt(b.in.kids, 0), removeAt(b.in.keys, 0), removeAt(b.in.counts, 0)
	}
	for len(b.in.kids) < len(a.in.kids)-1 { // rotate a's last child into b
		last := len(a.in.kids) - 1
		b.in.keys = insertAt(b.in.keys, 0, n.in.keys[l])
		b.in.kids = insertAt(b.in.kids, 0, a.in.kids[last])
		b.in.counts = insertAt(b.in.counts, 0, a.in.counts[last])
		n.in.counts[l] -= a.in.counts[last]
		n.in.counts[l+1] += a.in.counts[last]
		n.in.keys[l] = a.in.keys[last-1]
		a.in.kids, a.in.keys, a.in.counts = a.in.kids[:last], a.in.keys[:last-1], a.in.counts[:last]
	}
}

// at returns the leaf holding the item of rank r and its index there.
func (t *ztree) at(r int) (*znode, int) {
	n := t.root
	for !n.leaf() {
		i := 0
		for r >= n.in.counts[i] {
			r -= n.in.counts[i]
			i++
		}
		n = n.in.kids[i]
	}
	return n, r
}

// countBefore is the number of items for which before is true; before
// must be true for a prefix of the order and false after it (a lower
// bound).
func (t *ztree) countBefore(before func(ZItem) bool) int {
	n, rank := t.root, 0
	for !n.leaf() {
		i := sort.Search(len(n.in.keys), func(j int) bool { return !before(n.in.keys[j]) })
		for _, c := range n.in.counts[:i] {
			rank += c
		}
		n = n.in.kids[i]
	}
	return rank + sort.Search(len(n.items), func(j int) bool { return !before(n.items[j]) })
}

// ascend calls fn for the items from rank r upwards while fn returns true.
func (t *ztree) ascend(r int, fn func(ZItem) bool) {
	if r < 0 || r >= t.length {
		return
	}
	n, i := t.at(r)
	for ; n != nil; n, i = n.next, 0 {
		for ; i < len(n.items); i++ {
			if !fn(n.items[i]) {
				return
			}
		}
	}
}

// descend calls fn for the items from rank r downwards while fn returns
// true.
func (t *ztree) descend(r int, fn func(ZItem) bool) {
	if r < 0 || r >= t.length {
		return
	}
	n, i := t.at(r)
	for n != nil {
		for ; i >= 0; i-- {
			if !fn(n.items[i]) {
				return
			}
		}
		if n = n.prev; n != nil {
			i = len(n.items) - 1
		}
	}
}
