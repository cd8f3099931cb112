package types

// Access to a stream's nodes for the RDB format, which stores each node as
// the listpack Redis keeps under one radix-tree key: the entries in order,
// deleted ones included, with the node's master fields.

// StreamRawEntry is one entry of a node, live or deleted.
type StreamRawEntry struct {
	ID      StreamID
	Deleted bool
	// SameFields reports an entry whose fields are the node's master
	// fields (Redis stores only its values); set when reading, ignored
	// when loading, where it is worked out again.
	SameFields bool
	FV         [][]byte // fields and values alternately
}

// StreamNodeView is a node as EachNode presents it.
type StreamNodeView struct {
	Master  StreamID // ID of the first entry ever added to the node
	Fields  []string // the master fields
	Live    int
	Deleted int
	n       *streamNode
}

// EachNode calls fn for every node in ID order until fn returns false.
func (s *Stream) EachNode(fn func(v StreamNodeView) bool) {
	for _, n := range s.nodes {
		v := StreamNodeView{Master: n.master, Fields: n.fields, Live: n.live, Deleted: n.deleted, n: n}
		if !fn(v) {
			return
		}
	}
}

// Entries calls fn for every entry of the node, deleted ones included, in
// order, until fn returns false. The entry's slices are views valid during
// the call.
func (v StreamNodeView) Entries(fn func(e *StreamRawEntry) bool) {
	var buf [16][]byte
	var e StreamRawEntry
	for off := 0; off < len(v.n.data); {
		ev := v.n.decode(off, buf[:0])
		e = StreamRawEntry{
			ID:         ev.id,
			Deleted:    ev.flags&entryDeleted != 0,
			SameFields: ev.flags&entrySameFields != 0,
			FV:         ev.fv,
		}
		if !fn(&e) {
			return
		}
		off = ev.next
	}
}

// LoadNode appends a node read from an RDB file: its master ID and fields
// and its entries, deleted ones included. The caller has checked that the
// IDs ascend, start at the master ID, and follow the previous node's, and
// that some entry is live. The bytes are copied.
func (s *Stream) LoadNode(master StreamID, fields [][]byte, entries []StreamRawEntry) {
	fv := make([][]byte, 2*len(fields))
	for i, f := range fields {
		fv[2*i] = f
	}
	n := newStreamNode(master, fv)
	for i := range entries {
		e := &entries[i]
		off := len(n.data)
		n.append(e.ID, e.FV)
		if e.Deleted {
			n.data[off] |= entryDeleted
			n.live--
			n.deleted++
		}
	}
	n.seal()
	s.nodes = append(s.nodes, n)
	s.lastValidKnown = false
}

// SetLoadedState sets what an RDB file records beside the nodes: the
// number of live entries, the last, first and greatest deleted IDs and
// the count of entries ever added.
func (s *Stream) SetLoadedState(length uint64, last, first, maxDeleted StreamID, entriesAdded uint64) {
	s.length = length
	s.lastID, s.firstID, s.maxDeletedID = last, first, maxDeleted
	s.entriesAdded = entriesAdded
	s.lastValidKnown = false
}
