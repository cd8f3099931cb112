package types

import "bytes"

// List is Redis's list: a quicklist-like sequence of nodes, each a packed
// run of up to listNodeMaxItems elements stored back to back in one byte
// buffer (like a listpack), with an array of 16-bit boundaries.
//
// Why this shape:
//   - pushes and pops at either end touch one node and are O(1)
//     amortised: nodes keep slack at the end they grow towards;
//   - an index is found by walking node counts from the nearer end and then
//     indexing the node, so LINDEX/LSET in the middle of a million elements
//     read a few thousand small structs, not a million;
//   - elements are not separate Go strings: a node is two allocations,
//     the garbage collector sees two pointers per node instead of one per
//     element, and a small element costs its bytes plus two.
//
// Elements longer than listNodeMaxBytes get a node of their own ("plain",
// as Redis 7.2 does), so boundaries always fit 16 bits.
//
// Slices returned by the accessors point into the list: they are valid
// until the list is next modified. Push copies its argument, even when it
// aliases the list's own storage (LMOVE on one list).
type List struct {
	nodes nodeDeque
	n     int
}

const (
	listNodeMaxItems = 128
	listNodeMaxBytes = 8 << 10
)

// NewList returns an empty list.
func NewList() *List { return &List{} }

// TypeName is what TYPE answers.
func (l *List) TypeName() string { return "list" }

// Encoding is what OBJECT ENCODING answers: Redis 7.0 encodes every list,
// however small, as a quicklist.
func (l *List) Encoding() string { return "quicklist" }

// Len is the number of elements.
func (l *List) Len() int { return l.n }

// Clone returns a deep copy (COPY).
func (l *List) Clone() any {
	c := &List{n: l.n}
	c.nodes.buf = make([]listNode, l.nodes.len())
	for i := range c.nodes.buf {
		c.nodes.buf[i] = l.nodes.at(i).clone()
	}
	return c
}

// PushFront adds v at the head (LPUSH).
func (l *List) PushFront(v []byte) {
	if l.n > 0 {
		if head := l.nodes.at(0); head.canAdd(len(v)) {
			head.pushFront(v)
			l.n++
			return
		}
		l.nodes.pushFront(l.nextNode(l.nodes.at(0), v, true))
		l.n++
		return
	}
	l.nodes.pushFront(newListNode(v))
	l.n++
}

// PushBack adds v at the tail (RPUSH).
func (l *List) PushBack(v []byte) {
	if l.n > 0 {
		if tail := l.nodes.at(l.nodes.len() - 1); tail.canAdd(len(v)) {
			tail.pushBack(v)
			l.n++
			return
		}
		l.nodes.pushBack(l.nextNode(l.nodes.at(l.nodes.len()-1), v, false))
		l.n++
		return
	}
	l.nodes.pushBack(newListNode(v))
	l.n++
}

// nextNode starts a node beyond a full end node. The list is evidently
// growing at that end, so the new node gets room for as much as the full
// one holds, and the full one gives back its unused room.
func (l *List) nextNode(full *listNode, v []byte, atFront bool) listNode {
	if full.plain() || len(v) > listNodeMaxBytes {
		return newListNode(v)
	}
	room := max(full.liveBytes()-len(v), 0)
	full.shrinkToFit()
	nd := listNode{data: make([]byte, len(v)+room), b: make([]uint16, listNodeMaxItems+1), count: 1}
	if atFront {
		at := room
		copy(nd.data[at:], v)
		nd.s = listNodeMaxItems - 1
		nd.b[nd.s], nd.b[nd.s+1] = uint16(at), uint16(at+len(v))
	} else {
		copy(nd.data, v)
		nd.b[1] = uint16(len(v))
	}
	return nd
}

// PopFront removes and returns the head; nil when the list is empty.
func (l *List) PopFront() []byte {
	if l.n == 0 {
		return nil
	}
	head := l.nodes.at(0)
	v := head.elem(0)
	head.dropFront(1)
	if head.count == 0 {
		l.nodes.removeAt(0)
	}
	l.n--
	return v
}

// PopBack removes and returns the tail; nil when the list is empty.
func (l *List) PopBack() []byte {
	if l.n == 0 {
		return nil
	}
	last := l.nodes.len() - 1
	tail := l.nodes.at(last)
	v := tail.elem(int(tail.count) - 1)
	tail.truncate(int(tail.count) - 1)
	if tail.count == 0 {
		l.nodes.removeAt(last)
	}
	l.n--
	return v
}

// Index returns element i (0 is the head); i must be in [0, Len).
func (l *List) Index(i int) []byte {
	ni, ei := l.locate(i)
	return l.nodes.at(ni).elem(ei)
}

// Set replaces element i; i must be in [0, Len).
func (l *List) Set(i int, v []byte) {
	ni, ei := l.locate(i)
	nd := l.nodes.at(ni)
	if !nd.plain() && len(v) <= listNodeMaxBytes && nd.liveBytes()-len(nd.elem(ei))+len(v) <= listNodeMaxBytes {
		nd.replace(ei, v)
		return
	}
	l.Remove(i)
	l.Insert(i, v)
}

// Insert puts v before element i, so that it becomes element i; i must be
// in [0, Len].
func (l *List) Insert(i int, v []byte) {
	switch i {
	case 0:
		l.PushFront(v)
		return
	case l.n:
		l.PushBack(v)
		return
	}
	ni, ei := l.locate(i)
	nd := l.nodes.at(ni)
	switch {
	case nd.canAdd(len(v)):
		nd.insert(ei, v)
	case ei == 0 && ni > 0 && l.nodes.at(ni-1).canAdd(len(v)):
		l.nodes.at(ni - 1).pushBack(v)
	case ei == 0:
		l.nodes.insertAt(ni, newListNode(v))
	default:
		// Split at the insertion point; v joins whichever side has room,
		// or gets a node of its own between them.
		l.nodes.insertAt(ni+1, nd.split(ei))
		left, right := l.nodes.at(ni), l.nodes.at(ni+1)
		switch {
		case left.canAdd(len(v)):
			left.pushBack(v)
		case right.canAdd(len(v)):
			right.pushFront(v)
		default:
			l.nodes.insertAt(ni+1, newListNode(v))
		}
	}
	l.n++
}

// Remove deletes element i; i must be in [0, Len).
func (l *List) Remove(i int) {
	ni, ei := l.locate(i)
	nd := l.nodes.at(ni)
	nd.remove(ei)
	l.n--
	if nd.count == 0 {
		l.nodes.removeAt(ni)
		return
	}
	l.mergeAround(ni)
}

// TrimFront removes the first k elements (LTRIM); k ≤ Len.
func (l *List) TrimFront(k int) {
	for k > 0 {
		head := l.nodes.at(0)
		c := int(head.count)
		if k < c {
			head.dropFront(k)
			l.n -= k
			return
		}
		l.nodes.removeAt(0)
		l.n -= c
		k -= c
	}
}

// TrimBack removes the last k elements (LTRIM); k ≤ Len.
func (l *List) TrimBack(k int) {
	for k > 0 {
		last := l.nodes.len() - 1
		tail := l.nodes.at(last)
		c := int(tail.count)
		if k < c {
			tail.truncate(c - k)
			l.n -= k
			return
		}
		l.nodes.removeAt(last)
		l.n -= c
		k -= c
	}
}

// Range calls fn with the elements from start to stop inclusive, head to
// tail; both must be in [0, Len) with start ≤ stop.
func (l *List) Range(start, stop int, fn func(v []byte)) {
	ni, ei := l.locate(start)
	left := stop - start + 1
	for ; left > 0; ni++ {
		nd := l.nodes.at(ni)
		for ; ei < int(nd.count) && left > 0; ei++ {
			fn(nd.elem(ei))
			left--
		}
		ei = 0
	}
}

// Each calls fn with every element and its index, from the head, or from
// the tail when fromTail, until fn returns false.
func (l *List) Each(fromTail bool, fn func(i int, v []byte) bool) {
	if !fromTail {
		i := 0
		for ni := 0; ni < l.nodes.len(); ni++ {
			nd := l.nodes.at(ni)
			for ei := 0; ei < int(nd.count); ei++ {
				if !fn(i, nd.elem(ei)) {
					return
				}
				i++
			}
		}
		return
	}
	i := l.n - 1
	for ni := l.nodes.len() - 1; ni >= 0; ni-- {
		nd := l.nodes.at(ni)
		for ei := int(nd.count) - 1; ei >= 0; ei-- {
			if !fn(i, nd.elem(ei)) {
				return
			}
			i--
		}
	}
}

// IndexOf returns the index of the first element equal to v, or -1.
func (l *List) IndexOf(v []byte) int {
	found := -1
	l.Each(false, func(i int, e []byte) bool {
		if bytes.Equal(e, v) {
			found = i
			return false
		}
		return true
	})
	return found
}

// RemoveEqual deletes elements equal to v (LREM): the first count from the
// head when count > 0, the last -count from the tail when count < 0, all
// when count is 0. It returns how many it removed.
func (l *List) RemoveEqual(v []byte, count int) int {
	limit, fromTail := count, false
	if count < 0 {
		limit, fromTail = -count, true
	}
	removed := 0
	var marks [listNodeMaxItems]bool
	for k := 0; k < l.nodes.len() && (limit == 0 || removed < limit); {
		ni := k
		if fromTail {
			ni = l.nodes.len() - 1 - k
		}
		nd := l.nodes.at(ni)
		want := 0
		if limit != 0 {
			want = limit - removed
		}
		n := nd.markEqual(v, want, fromTail, &marks)
		if n == 0 {
			k++
			continue
		}
		nd.removeMarked(&marks)
		removed += n
		l.n -= n
		if nd.count == 0 {
			l.nodes.removeAt(ni)
			continue // the next node moved into this position
		}
		if l.mergeAround(ni) {
			// The node at the next position to visit now holds unvisited
			// elements, possibly behind visited ones that no longer match.
			continue
		}
		k++
	}
	return removed
}

// locate finds the node and the offset in it of element i, walking from
// the nearer end.
func (l *List) locate(i int) (node, offset int) {
	if i < l.n/2 {
		for ni := 0; ; ni++ {
			c := int(l.nodes.at(ni).count)
			if i < c {
				return ni, i
			}
			i -= c
		}
	}
	j := l.n - 1 - i // distance from the tail
	for ni := l.nodes.len() - 1; ; ni-- {
		c := int(l.nodes.at(ni).count)
		if j < c {
			return ni, c - 1 - j
		}
		j -= c
	}
}

// mergeAround joins node ni with a neighbour when both are small, so that
// deletions in the middle do not leave a trail of tiny nodes that would
// slow every walk. It reports whether ni absorbed its right neighbour or
// was absorbed by its left one (either way, ni changed).
func (l *List) mergeAround(ni int) bool {
	if ni+1 < l.nodes.len() && l.nodes.at(ni).canAbsorb(l.nodes.at(ni+1)) {
		l.nodes.at(ni).absorb(l.nodes.at(ni + 1))
		l.nodes.removeAt(ni + 1)
		return true
	}
	if ni > 0 && l.nodes.at(ni-1).canAbsorb(l.nodes.at(ni)) {
		l.nodes.at(ni - 1).absorb(l.nodes.at(ni))
		l.nodes.removeAt(ni)
		return true
	}
	return false
}

// listNode is a packed run of elements. Element i of a packed node is
// data[b[s+i]:b[s+i+1]]; slack before b[s] and after the last boundary
// lets the node grow at either end without moving its contents. A plain
// node (b == nil) holds exactly one element, all of data.
type listNode struct {
	data  []byte
	b     []uint16
	s     uint16 // index in b of the first boundary
	count uint16
}

func newListNode(v []byte) listNode {
	data := append([]byte(nil), v...)
	if len(v) > listNodeMaxBytes {
		return listNode{data: data, count: 1}
	}
	return listNode{data: data, b: []uint16{0, uint16(len(v))}, count: 1}
}

func (n *listNode) plain() bool { return n.b == nil }

func (n *listNode) elem(i int) []byte {
	if n.b == nil {
		return n.data
	}
	j := int(n.s) + i
	return n.data[n.b[j]:n.b[j+1]]
}

func (n *listNode) start() int { return int(n.b[n.s]) }
func (n *listNode) end() int   { return int(n.b[int(n.s)+int(n.count)]) }

func (n *listNode) liveBytes() int {
	if n.b == nil {
		return len(n.data)
	}
	return n.end() - n.start()
}

// canAdd reports whether a packed element of size sz fits in this node.
func (n *listNode) canAdd(sz int) bool {
	return n.b != nil && sz <= listNodeMaxBytes && n.count < listNodeMaxItems &&
		n.liveBytes()+sz <= listNodeMaxBytes
}

// canAbsorb reports whether n and its right neighbour r are small enough
// to become one node.
func (n *listNode) canAbsorb(r *listNode) bool {
	if n.b == nil || r.b == nil {
		return false
	}
	total := int(n.count) + int(r.count)
	return total <= listNodeMaxItems/2 && n.liveBytes()+r.liveBytes() <= listNodeMaxBytes
}

func (n *listNode) absorb(r *listNode) {
	n.ensureBack(r.liveBytes(), int(r.count))
	for i := 0; i < int(r.count); i++ {
		n.pushBack(r.elem(i))
	}
}

func (n *listNode) clone() listNode {
	c := listNode{data: append([]byte(nil), n.data...), s: n.s, count: n.count}
	if n.b != nil {
		c.b = append([]uint16(nil), n.b...)
	}
	return c
}

// slackGrowth is the extra room a node gets when it must grow: as much
// as it holds, so growing by appends is amortised O(1).
func slackGrowth(have, floor int) int { return max(have, floor) }

// ensureBack makes room for nbytes more bytes and nb more boundaries at
// the tail end.
func (n *listNode) ensureBack(nbytes, nb int) {
	top := int(n.s) + int(n.count) // index of the last boundary
	if len(n.data)-n.end() >= nbytes && len(n.b)-top-1 >= nb {
		return
	}
	live, cnt := n.liveBytes(), int(n.count)
	n.relayout(min(n.start(), live), nbytes+slackGrowth(live, 16),
		min(int(n.s), cnt), nb+slackGrowth(cnt, 4))
}

// ensureFront makes room for nbytes more bytes and one boundary at the
// head end.
func (n *listNode) ensureFront(nbytes int) {
	if n.start() >= nbytes && n.s >= 1 {
		return
	}
	live, cnt := n.liveBytes(), int(n.count)
	top := int(n.s) + cnt
	n.relayout(nbytes+slackGrowth(live, 16), min(len(n.data)-n.end(), live),
		1+slackGrowth(cnt, 4), min(len(n.b)-top-1, cnt))
}

// relayout copies the node into new buffers with the given slack on each
// side.
func (n *listNode) relayout(frontBytes, backBytes, frontB, backB int) {
	start, cnt := n.start(), int(n.count)
	live := n.end() - start
	data := make([]byte, frontBytes+live+backBytes)
	copy(data[frontBytes:], n.data[start:start+live])
	b := make([]uint16, frontB+cnt+1+backB)
	shift := frontBytes - start
	for i := 0; i <= cnt; i++ {
		b[frontB+i] = uint16(int(n.b[int(n.s)+i]) + shift)
	}
	n.data, n.b, n.s = data, b, uint16(frontB)
}

// shrinkToFit drops the slack of a node the list has stopped growing.
func (n *listNode) shrinkToFit() {
	if n.b == nil {
		return
	}
	// A little slack is not worth a copy.
	if len(n.data) > n.liveBytes()+n.liveBytes()/8 || len(n.b) > int(n.count)+1+int(n.count)/8 {
		n.relayout(0, 0, 0, 0)
	}
}

func (n *listNode) pushBack(v []byte) {
	n.ensureBack(len(v), 1)
	end := n.end()
	copy(n.data[end:], v)
	n.b[int(n.s)+int(n.count)+1] = uint16(end + len(v))
	n.count++
}

func (n *listNode) pushFront(v []byte) {
	n.ensureFront(len(v))
	at := n.start() - len(v)
	copy(n.data[at:], v)
	n.s--
	n.b[n.s] = uint16(at)
	n.count++
}

func (n *listNode) dropFront(k int) {
	if n.b == nil {
		n.data, n.count = nil, 0
		return
	}
	n.s += uint16(k)
	n.count -= uint16(k)
}

func (n *listNode) truncate(k int) {
	if n.b == nil {
		if k == 0 {
			n.data, n.count = nil, 0
		}
		return
	}
	n.count = uint16(k)
}

// insert puts v before element i of a packed node, moving what follows.
func (n *listNode) insert(i int, v []byte) {
	n.ensureBack(len(v), 1)
	j := int(n.s) + i
	top := int(n.s) + int(n.count)
	at, end := int(n.b[j]), n.end()
	copy(n.data[at+len(v):end+len(v)], n.data[at:end])
	copy(n.data[at:], v)
	copy(n.b[j+1:top+2], n.b[j:top+1])
	for k := j + 1; k <= top+1; k++ {
		n.b[k] += uint16(len(v))
	}
	n.count++
}

// remove deletes element i, moving what follows.
func (n *listNode) remove(i int) {
	switch {
	case n.b == nil:
		n.data, n.count = nil, 0
		return
	case i == 0:
		n.dropFront(1)
		return
	case i == int(n.count)-1:
		n.truncate(i)
		return
	}
	j := int(n.s) + i
	top := int(n.s) + int(n.count)
	at, next, end := int(n.b[j]), int(n.b[j+1]), n.end()
	gap := next - at
	copy(n.data[at:], n.data[next:end])
	copy(n.b[j+1:top], n.b[j+2:top+1])
	for k := j + 1; k < top; k++ {
		n.b[k] -= uint16(gap)
	}
	n.count--
}

// replace sets element i of a packed node to v; the caller checked that
// the node stays within its byte limit.
func (n *listNode) replace(i int, v []byte) {
	old := len(n.elem(i))
	if grow := len(v) - old; grow > 0 {
		n.ensureBack(grow, 0)
	}
	j := int(n.s) + i
	top := int(n.s) + int(n.count)
	at, next, end := int(n.b[j]), int(n.b[j+1]), n.end()
	delta := len(v) - old
	copy(n.data[next+delta:end+delta], n.data[next:end])
	copy(n.data[at:], v)
	for k := j + 1; k <= top; k++ {
		n.b[k] = uint16(int(n.b[k]) + delta)
	}
}

// split keeps the elements before i in n and returns a new node with the
// rest. n must be packed and 0 < i < count.
func (n *listNode) split(i int) listNode {
	j := int(n.s) + i
	top := int(n.s) + int(n.count)
	from, end := int(n.b[j]), n.end()
	r := listNode{data: append([]byte(nil), n.data[from:end]...), count: uint16(top - j)}
	r.b = make([]uint16, top-j+1)
	for k := j; k <= top; k++ {
		r.b[k-j] = uint16(int(n.b[k]) - from)
	}
	n.count = uint16(i)
	return r
}

// markEqual marks up to limit (0: no limit) elements equal to v, scanning
// from the head or the tail, and returns how many it marked.
func (n *listNode) markEqual(v []byte, limit int, fromTail bool, marks *[listNodeMaxItems]bool) int {
	cnt := int(n.count)
	found := 0
	for k := 0; k < cnt; k++ {
		i := k
		if fromTail {
			i = cnt - 1 - k
		}
		marks[i] = (limit == 0 || found < limit) && bytes.Equal(n.elem(i), v)
		if marks[i] {
			found++
		}
	}
	return found
}

// removeMarked deletes the marked elements in one pass, moving the kept
// ones down.
func (n *listNode) removeMarked(marks *[listNodeMaxItems]bool) {
	if n.b == nil {
		if marks[0] {
			n.data, n.count = nil, 0
		}
		return
	}
	cnt := int(n.count)
	w, wb := n.start(), int(n.s)
	for i := 0; i < cnt; i++ {
		lo, hi := int(n.b[int(n.s)+i]), int(n.b[int(n.s)+i+1])
		if marks[i] {
			continue
		}
		copy(n.data[w:], n.data[lo:hi])
		n.b[wb] = uint16(w)
		w += hi - lo
		wb++
	}
	n.b[wb] = uint16(w)
	n.count = uint16(wb - int(n.s))
}

// nodeDeque is a slice of nodes with room at the front, so nodes are
// added and removed at both ends in amortised O(1).
type nodeDeque struct {
	buf []listNode
	off int // live nodes are buf[off:]
}

func (d *nodeDeque) len() int              { return len(d.buf) - d.off }
func (d *nodeDeque) at(i int) *listNode    { return &d.buf[d.off+i] }
func (d *nodeDeque) live() []listNode      { return d.buf[d.off:] }
func (d *nodeDeque) pushBack(nd listNode)  { d.insertAt(d.len(), nd) }
func (d *nodeDeque) pushFront(nd listNode) { d.insertAt(0, nd) }

func (d *nodeDeque) insertAt(i int, nd listNode) {
	n := d.len()
	if i == 0 && d.off > 0 {
		d.off--
		d.buf[d.off] = nd
		return
	}
	if i == 0 {
		d.makeFrontRoom()
		d.off--
		d.buf[d.off] = nd
		return
	}
	if len(d.buf) == cap(d.buf) && d.off >= n/2 && d.off > 0 {
		// Mostly dead room at the front (a queue): reuse it.
		copy(d.buf, d.live())
		clear(d.buf[n:])
		d.buf, d.off = d.buf[:n], 0
	}
	d.buf = append(d.buf, listNode{})
	pos := d.off + i
	copy(d.buf[pos+1:], d.buf[pos:len(d.buf)-1])
	d.buf[pos] = nd
}

// makeFrontRoom moves the nodes to the back of the array when it has
// room there (a list used as a queue from the head), and otherwise copies
// them into a new array with room for as many nodes again in front.
func (d *nodeDeque) makeFrontRoom() {
	n := d.len()
	if spare := cap(d.buf) - len(d.buf); spare > 0 && spare >= n/2 {
		d.buf = d.buf[:cap(d.buf)]
		copy(d.buf[spare:], d.buf[:n])
		clear(d.buf[:spare])
		d.off = spare
		return
	}
	room := max(n, 4)
	nb := make([]listNode, room+n)
	copy(nb[room:], d.live())
	d.buf, d.off = nb, room
}

func (d *nodeDeque) removeAt(i int) {
	if i == 0 {
		d.buf[d.off] = listNode{}
		d.off++
		if d.off == len(d.buf) {
			d.buf, d.off = d.buf[:0], 0
		}
		return
	}
	pos := d.off + i
	copy(d.buf[pos:], d.buf[pos+1:])
	d.buf[len(d.buf)-1] = listNode{}
	d.buf = d.buf[:len(d.buf)-1]
}
