package types

import (
	"encoding/binary"
	"errors"
	"math"
	"slices"
	"strconv"
)

// Stream is a Redis stream: an append-only log of entries ordered by ID,
// each a list of field-value pairs, plus consumer groups (stream_group.go).
//
// Entries live in nodes holding a run of consecutive entries packed into
// one byte slice, as Redis packs them into listpacks under a radix tree:
// each node keeps the fields of its first entry (the "master" fields) and
// an entry with the same fields stores only its values; IDs are stored as
// deltas from the node's first ID. Deleting an entry only flags it; a node
// goes away when its last live entry does.
//
// Nodes are cut where Redis cuts its listpacks (stream-node-max-entries,
// stream-node-max-bytes, measured in listpack bytes): approximate trimming
// (MAXLEN ~, MINID ~, LIMIT) removes whole nodes only, so the same node
// boundaries give the same results as Redis.
//
// Field and value slices handed to callbacks are views into the stream,
// valid until it is next modified.
type Stream struct {
	nodes        []*streamNode // ordered by master ID
	length       uint64
	lastID       StreamID // last ID ever generated (or set by XSETID)
	firstID      StreamID // ID of the first live entry, 0-0 when empty
	maxDeletedID StreamID // greatest ID deleted by XDEL
	entriesAdded uint64
	groups       map[string]*StreamGroup // nil until a group is created
	// lastValid caches the ID of the last live entry when lastValidKnown:
	// XREAD asks for it on every call, and a node is only readable
	// forwards.
	lastValid      StreamID
	lastValidKnown bool
}

// StreamID is an entry ID: milliseconds and a sequence number.
type StreamID struct{ Ms, Seq uint64 }

// MaxStreamID is the greatest ID ("+").
var MaxStreamID = StreamID{math.MaxUint64, math.MaxUint64}

// Errors of Add.
var (
	ErrStreamIDTooSmall = errors.New("stream: ID equal or smaller than the top item")
	ErrStreamExhausted  = errors.New("stream: last possible ID reached")
	// ErrStreamSeqOverflow is an ms-* ID whose sequence cannot grow.
	ErrStreamSeqOverflow = errors.New("stream: sequence overflow")
)

// Compare returns -1, 0 or 1 as a is smaller than, equal to or greater
// than b.
func (a StreamID) Compare(b StreamID) int {
	switch {
	case a.Ms < b.Ms:
		return -1
	case a.Ms > b.Ms:
		return 1
	case a.Seq < b.Seq:
		return -1
	case a.Seq > b.Seq:
		return 1
	}
	return 0
}

// Less reports a < b.
func (a StreamID) Less(b StreamID) bool { return a.Compare(b) < 0 }

// IsZero reports 0-0.
func (a StreamID) IsZero() bool { return a.Ms == 0 && a.Seq == 0 }

// Next is the following ID; ok is false for the greatest ID.
func (a StreamID) Next() (next StreamID, ok bool) {
	switch {
	case a.Seq != math.MaxUint64:
		return StreamID{a.Ms, a.Seq + 1}, true
	case a.Ms != math.MaxUint64:
		return StreamID{a.Ms + 1, 0}, true
	}
	return StreamID{}, false
}

// Prev is the preceding ID; ok is false for 0-0.
func (a StreamID) Prev() (prev StreamID, ok bool) {
	switch {
	case a.Seq != 0:
		return StreamID{a.Ms, a.Seq - 1}, true
	case a.Ms != 0:
		return StreamID{a.Ms - 1, math.MaxUint64}, true
	}
	return StreamID{}, false
}

// AppendTo appends the "ms-seq" form.
func (a StreamID) AppendTo(b []byte) []byte {
	b = strconv.AppendUint(b, a.Ms, 10)
	b = append(b, '-')
	return strconv.AppendUint(b, a.Seq, 10)
}

func (a StreamID) String() string { return string(a.AppendTo(nil)) }

// Entry flags, as in Redis's listpack entries.
const (
	entryDeleted    = 1 << 0
	entrySameFields = 1 << 1
)

// streamNode is a run of entries, Redis's listpack under one radix key.
type streamNode struct {
	master StreamID // ID of the first entry ever added to the node
	fields []string // fields of the first entry
	// data holds the entries: flags byte, uvarint ms delta, varint seq
	// delta, then (unless entrySameFields) uvarint field count and
	// field/value pairs, or only the values; strings as uvarint length and
	// bytes.
	data          []byte
	live, deleted int
	// lpBase is the size Redis's listpack would have, without its live
	// and deleted counters (their size varies with their values).
	lpBase int
}

// lpBytes is the size of the node as a Redis listpack.
func (n *streamNode) lpBytes() int {
	return n.lpBase + lpIntSize(int64(n.live)) + lpIntSize(int64(n.deleted))
}

// NewStream returns an empty stream.
func NewStream() *Stream { return &Stream{} }

// TypeName is TYPE's answer.
func (s *Stream) TypeName() string { return "stream" }

// Encoding is OBJECT ENCODING's answer.
func (s *Stream) Encoding() string { return "stream" }

// Len is the number of live entries (XLEN).
func (s *Stream) Len() uint64 { return s.length }

// LastID is the last generated ID (last-generated-id).
func (s *Stream) LastID() StreamID { return s.lastID }

// FirstID is the ID of the first entry (recorded-first-entry-id).
func (s *Stream) FirstID() StreamID { return s.firstID }

// MaxDeletedID is the greatest ID deleted with XDEL.
func (s *Stream) MaxDeletedID() StreamID { return s.maxDeletedID }

// EntriesAdded counts every entry ever added.
func (s *Stream) EntriesAdded() uint64 { return s.entriesAdded }

// NodeCount is the number of nodes (radix-tree-keys).
func (s *Stream) NodeCount() int { return len(s.nodes) }

// SetMeta implements XSETID once validated: the last ID, and when given
// the entries-added counter and the greatest deleted ID.
func (s *Stream) SetMeta(last StreamID, entriesAdded int64, maxDeleted StreamID) {
	s.lastID = last
	if entriesAdded >= 0 {
		s.entriesAdded = uint64(entriesAdded)
	}
	if !maxDeleted.IsZero() {
		s.maxDeletedID = maxDeleted
	}
}

// AutoID is the ID XADD * gives at time nowMs: the clock's millisecond,
// or the last ID's successor when the clock has not moved past it (time
// going back never makes IDs go back). ok is false once the last possible
// ID was used.
func (s *Stream) AutoID(nowMs uint64) (id StreamID, ok bool) {
	if nowMs > s.lastID.Ms {
		return StreamID{nowMs, 0}, true
	}
	return s.lastID.Next()
}

// IDForMs is the ID XADD ms-* gives: sequence 0, or the successor of the
// last ID within the same millisecond.
func (s *Stream) IDForMs(ms uint64) (StreamID, error) {
	if ms != s.lastID.Ms {
		return StreamID{ms, 0}, nil
	}
	if s.lastID.Seq == math.MaxUint64 {
		return StreamID{}, ErrStreamSeqOverflow
	}
	return StreamID{ms, s.lastID.Seq + 1}, nil
}

// NodeLimits are stream-node-max-bytes and stream-node-max-entries.
type NodeLimits struct {
	MaxBytes   int64 // 0: no limit (up to 1 GiB, as Redis)
	MaxEntries int64 // 0: no limit
}

const streamListpackMaxSize = 1 << 30

// Add appends an entry with the given ID, which must be greater than the
// last ID. fv holds fields and values alternately; they are copied.
func (s *Stream) Add(id StreamID, fv [][]byte, lim NodeLimits) error {
	if !s.lastID.Less(id) {
		return ErrStreamIDTooSmall
	}
	total := 0
	for _, b := range fv {
		total += len(b)
	}
	n := s.tailNodeFor(total, lim)
	if n == nil {
		n = newStreamNode(id, fv)
		s.nodes = append(s.nodes, n)
	}
	n.append(id, fv)
	s.length++
	s.entriesAdded++
	s.lastID = id
	s.lastValid, s.lastValidKnown = id, true
	if s.length == 1 {
		s.firstID = id
	}
	return nil
}

// tailNodeFor returns the last node when a new entry of total field and
// value bytes still fits in it, by Redis's rules; nil when a new node
// must start.
func (s *Stream) tailNodeFor(total int, lim NodeLimits) *streamNode {
	if len(s.nodes) == 0 {
		return nil
	}
	n := s.nodes[len(s.nodes)-1]
	maxBytes := lim.MaxBytes
	if maxBytes <= 0 || maxBytes > streamListpackMaxSize {
		maxBytes = streamListpackMaxSize
	}
	if int64(n.lpBytes()+total) >= maxBytes {
		n.seal()
		return nil
	}
	if lim.MaxEntries > 0 && int64(n.live+n.deleted) >= lim.MaxEntries {
		n.seal()
		return nil
	}
	return n
}

func newStreamNode(id StreamID, fv [][]byte) *streamNode {
	n := &streamNode{master: id, fields: make([]string, len(fv)/2)}
	// Listpack header and end byte, the field count, the fields and the
	// master entry's terminating zero.
	n.lpBase = 7 + lpIntSize(int64(len(n.fields))) + lpIntSize(0)
	for i := range n.fields {
		n.fields[i] = string(fv[2*i])
		n.lpBase += lpStringSize(fv[2*i])
	}
	return n
}

// seal gives back the spare capacity of a node that will not grow again.
func (n *streamNode) seal() {
	if cap(n.data) > len(n.data) {
		n.data = slices.Clip(append([]byte(nil), n.data...))
	}
}

func (n *streamNode) sameFields(fv [][]byte) bool {
	if len(fv)/2 != len(n.fields) {
		return false
	}
	for i, f := range n.fields {
		if string(fv[2*i]) != f {
			return false
		}
	}
	return true
}

func (n *streamNode) append(id StreamID, fv [][]byte) {
	flags := byte(0)
	same := n.sameFields(fv)
	if same {
		flags = entrySameFields
	}
	msDelta := id.Ms - n.master.Ms
	seqDelta := int64(id.Seq - n.master.Seq)
	d := append(n.data, flags)
	d = binary.AppendUvarint(d, msDelta)
	d = binary.AppendVarint(d, seqDelta)
	lp := lpIntSize(int64(flags)) + lpIntSize(int64(msDelta)) + lpIntSize(seqDelta)
	parts := 3 + len(fv)/2
	if !same {
		d = binary.AppendUvarint(d, uint64(len(fv)/2))
		lp += lpIntSize(int64(len(fv) / 2))
		parts += 1 + len(fv)/2
	}
	for i, b := range fv {
		if !same || i%2 == 1 {
			d = binary.AppendUvarint(d, uint64(len(b)))
			d = append(d, b...)
			lp += lpStringSize(b)
		}
	}
	n.data = d
	n.lpBase += lp + lpIntSize(int64(parts))
	n.live++
}

// entryView is a decoded entry.
type entryView struct {
	id    StreamID
	flags byte
	fv    [][]byte // fields and values, views into the node
	next  int      // offset of the following entry
}

// decode reads the entry at off, reusing buf for the field/value views.
func (n *streamNode) decode(off int, buf [][]byte) entryView {
	d := n.data
	e := entryView{flags: d[off]}
	off++
	ms, k := binary.Uvarint(d[off:])
	off += k
	seq, k := binary.Varint(d[off:])
	off += k
	e.id = StreamID{n.master.Ms + ms, n.master.Seq + uint64(seq)}
	fv := buf[:0]
	if e.flags&entrySameFields != 0 {
		for _, f := range n.fields {
			var v []byte
			v, off = readLenPrefixed(d, off)
			fv = append(fv, viewBytes(f), v)
		}
	} else {
		nf, k := binary.Uvarint(d[off:])
		off += k
		for i := uint64(0); i < 2*nf; i++ {
			var b []byte
			b, off = readLenPrefixed(d, off)
			fv = append(fv, b)
		}
	}
	e.fv, e.next = fv, off
	return e
}

// skip returns the ID and flags of the entry at off and where the next
// one starts, without building views.
func (n *streamNode) skip(off int) (id StreamID, flags byte, next int) {
	d := n.data
	flags = d[off]
	off++
	ms, k := binary.Uvarint(d[off:])
	off += k
	seq, k := binary.Varint(d[off:])
	off += k
	id = StreamID{n.master.Ms + ms, n.master.Seq + uint64(seq)}
	count := uint64(len(n.fields))
	if flags&entrySameFields == 0 {
		nf, k := binary.Uvarint(d[off:])
		off += k
		count = 2 * nf
	}
	for i := uint64(0); i < count; i++ {
		l, k := binary.Uvarint(d[off:])
		off += k + int(l)
	}
	return id, flags, off
}

func readLenPrefixed(d []byte, off int) ([]byte, int) {
	l, k := binary.Uvarint(d[off:])
	off += k
	return d[off : off+int(l) : off+int(l)], off + int(l)
}

// offsets lists where each entry of the node starts, for walking it
// backwards.
func (n *streamNode) offsets(buf []int) []int {
	buf = buf[:0]
	for off := 0; off < len(n.data); {
		buf = append(buf, off)
		_, _, off = n.skip(off)
	}
	return buf
}

// nodeFor is the index of the node that would hold id: the last node
// whose first ID is not greater than id (0 when id precedes them all).
func (s *Stream) nodeFor(id StreamID) int {
	i, found := slices.BinarySearchFunc(s.nodes, id, func(n *streamNode, id StreamID) int {
		return n.master.Compare(id)
	})
	if found || i == 0 {
		return i
	}
	return i - 1
}

// Range calls fn for every live entry with start <= ID <= end, in
// ascending order or, with rev, descending, until fn returns false.
func (s *Stream) Range(start, end StreamID, rev bool, fn func(id StreamID, fv [][]byte) bool) {
	if len(s.nodes) == 0 || end.Less(start) {
		return
	}
	if rev {
		s.rangeRev(start, end, fn)
		return
	}
	var buf [16][]byte
	for i := s.nodeFor(start); i < len(s.nodes); i++ {
		n := s.nodes[i]
		for off := 0; off < len(n.data); {
			id, flags, next := n.skip(off)
			if end.Less(id) {
				return
			}
			if flags&entryDeleted == 0 && !id.Less(start) {
				if !fn(id, n.decode(off, buf[:0]).fv) {
					return
				}
			}
			off = next
		}
	}
}

func (s *Stream) rangeRev(start, end StreamID, fn func(id StreamID, fv [][]byte) bool) {
	var buf [16][]byte
	var offs []int
	for i := s.nodeFor(end); i >= 0; i-- {
		n := s.nodes[i]
		offs = n.offsets(offs)
		for j := len(offs) - 1; j >= 0; j-- {
			id, flags, _ := n.skip(offs[j])
			if id.Less(start) {
				return
			}
			if flags&entryDeleted == 0 && !end.Less(id) {
				if !fn(id, n.decode(offs[j], buf[:0]).fv) {
					return
				}
			}
		}
	}
}

// Get returns the fields and values of the live entry id. It walks only
// the node that can hold id, without Range's scratch buffer (reading a
// consumer's pending entries calls it once per entry).
func (s *Stream) Get(id StreamID) (fv [][]byte, ok bool) {
	if len(s.nodes) == 0 {
		return nil, false
	}
	n := s.nodes[s.nodeFor(id)]
	for off := 0; off < len(n.data); {
		eid, flags, next := n.skip(off)
		switch {
		case id.Less(eid):
			return nil, false
		case eid == id:
			if flags&entryDeleted != 0 {
				return nil, false
			}
			return n.decode(off, make([][]byte, 0, 2*max(len(n.fields), 1))).fv, true
		}
		off = next
	}
	return nil, false
}

// Exists reports whether id is a live entry.
func (s *Stream) Exists(id StreamID) bool {
	_, ok := s.Get(id)
	return ok
}

// LastValidID is the ID of the last live entry (0-0 when empty).
func (s *Stream) LastValidID() StreamID {
	if s.lastValidKnown {
		return s.lastValid
	}
	var last StreamID
	s.Range(StreamID{}, MaxStreamID, true, func(id StreamID, _ [][]byte) bool {
		last = id
		return false
	})
	s.lastValid, s.lastValidKnown = last, true
	return last
}

// firstValidID is the ID of the first live entry (0-0 when empty).
func (s *Stream) firstValidID() StreamID {
	var first StreamID
	s.Range(StreamID{}, MaxStreamID, false, func(id StreamID, _ [][]byte) bool {
		first = id
		return false
	})
	return first
}

// Delete removes the live entry id (XDEL), reporting whether it existed.
func (s *Stream) Delete(id StreamID) bool {
	if len(s.nodes) == 0 {
		return false
	}
	i := s.nodeFor(id)
	n := s.nodes[i]
	for off := 0; off < len(n.data); {
		eid, flags, next := n.skip(off)
		if cmp := eid.Compare(id); cmp > 0 {
			return false
		} else if cmp == 0 {
			if flags&entryDeleted != 0 {
				return false
			}
			s.markDeleted(i, off)
			s.afterDelete(id)
			return true
		}
		off = next
	}
	return false
}

// markDeleted flags the entry at off of node i, dropping the node when no
// live entry is left in it.
func (s *Stream) markDeleted(i, off int) {
	n := s.nodes[i]
	n.data[off] |= entryDeleted
	n.live--
	n.deleted++
	s.length--
	if n.live == 0 {
		s.nodes = slices.Delete(s.nodes, i, i+1)
	}
}

func (s *Stream) afterDelete(id StreamID) {
	if s.maxDeletedID.Less(id) {
		s.maxDeletedID = id
	}
	if id == s.lastValid {
		s.lastValidKnown = false
	}
	switch {
	case s.length == 0:
		s.firstID = StreamID{}
	case id == s.firstID:
		s.firstID = s.firstValidID()
	}
}

// TrimSpec says how to trim (XTRIM, XADD's MAXLEN / MINID).
type TrimSpec struct {
	ByMinID bool     // MINID instead of MAXLEN
	MaxLen  uint64   // MAXLEN: keep at most this many entries
	MinID   StreamID // MINID: drop entries below this ID
	Approx  bool     // ~: remove whole nodes only
	Limit   int64    // most entries removed; 0 = no limit
}

// Trim removes entries from the head as spec says and returns how many,
// with Redis's algorithm: whole nodes while they are entirely beyond the
// bound (and within the limit), then, unless approximate, the first
// entries of the next node one by one.
func (s *Stream) Trim(spec TrimSpec) int64 {
	s.lastValidKnown = false // trimming may empty the stream
	var removed int64
	for len(s.nodes) > 0 {
		if !spec.ByMinID && s.length <= spec.MaxLen {
			break
		}
		n := s.nodes[0]
		live := int64(n.live)
		if spec.Limit > 0 && removed+live > spec.Limit {
			break
		}
		if s.wholeNodeTrimmable(n, spec) {
			s.nodes = slices.Delete(s.nodes, 0, 1)
			s.length -= uint64(live)
			removed += live
			continue
		}
		if !spec.Approx {
			removed += s.trimInNode(spec)
		}
		break
	}
	if s.length == 0 {
		s.firstID = StreamID{}
	} else if removed > 0 {
		s.firstID = s.firstValidID()
	}
	return removed
}

func (s *Stream) wholeNodeTrimmable(n *streamNode, spec TrimSpec) bool {
	if !spec.ByMinID {
		return s.length-uint64(n.live) >= spec.MaxLen
	}
	var last StreamID
	for off := 0; off < len(n.data); {
		last, _, off = n.skip(off)
	}
	return last.Less(spec.MinID)
}

// trimInNode flags the first entries of the first node as deleted, as
// exact trimming does, and returns how many.
func (s *Stream) trimInNode(spec TrimSpec) int64 {
	n := s.nodes[0]
	var removed int64
	for off := 0; off < len(n.data); {
		id, flags, next := n.skip(off)
		if spec.ByMinID && !id.Less(spec.MinID) || !spec.ByMinID && s.length <= spec.MaxLen {
			break
		}
		if flags&entryDeleted == 0 {
			n.data[off] |= entryDeleted
			n.live--
			n.deleted++
			s.length--
			removed++
		}
		off = next
	}
	return removed
}

// Clone returns an independent copy, consumer groups included (COPY).
func (s *Stream) Clone() any {
	c := *s
	c.nodes = make([]*streamNode, len(s.nodes))
	for i, n := range s.nodes {
		nn := *n
		nn.data = slices.Clone(n.data)
		nn.fields = slices.Clone(n.fields)
		c.nodes[i] = &nn
	}
	c.groups = nil
	for name, g := range s.groups {
		if c.groups == nil {
			c.groups = make(map[string]*StreamGroup, len(s.groups))
		}
		c.groups[name] = g.clone()
	}
	return &c
}

// RadixTreeNodes is the node count Redis's radix tree would have with one
// key per stream node (XINFO STREAM radix-tree-nodes): the nodes of a
// compressed trie of the 16-byte big-endian first IDs.
func (s *Stream) RadixTreeNodes() int {
	if len(s.nodes) == 0 {
		return 1 // the empty root
	}
	keys := make([][16]byte, len(s.nodes))
	for i, n := range s.nodes {
		binary.BigEndian.PutUint64(keys[i][:8], n.master.Ms)
		binary.BigEndian.PutUint64(keys[i][8:], n.master.Seq)
	}
	return raxNodes(keys, 0)
}

// raxNodes counts the trie nodes below depth for sorted keys sharing
// their first depth bytes: a compressed node for a common run, a branching
// node where they part, and an empty node for each key's end.
func raxNodes(keys [][16]byte, depth int) int {
	if depth == 16 {
		return 1
	}
	common := depth
	first, last := keys[0], keys[len(keys)-1]
	for common < 16 && first[common] == last[common] {
		common++
	}
	if common > depth {
		return 1 + raxNodes(keys, common)
	}
	total := 1
	for i := 0; i < len(keys); {
		j := i + 1
		for j < len(keys) && keys[j][depth] == keys[i][depth] {
			j++
		}
		total += raxNodes(keys[i:j], depth+1)
		i = j
	}
	return total
}
