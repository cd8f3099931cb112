package persistence

import (
	"encoding/binary"
	"errors"

	"github.com/kioku-db/kioku/types"
)

// Streams, as Redis 7.0 writes them (RDB_TYPE_STREAM_LISTPACKS_2): the
// nodes, each its 16-byte master ID and its listpack; the length, the
// last, first and greatest deleted IDs and the entries-added counter; then
// the consumer groups with their read counter, global PEL (ID, delivery
// time, delivery count) and consumers (name, seen time, owned IDs).
//
// A node's listpack (t_stream.c) opens with the master entry: the live
// and deleted counts, the master field count, the fields, and a 0. Each
// entry follows as its flags, ms and seq differences from the master ID,
// then either the field count and fields and values, or with the
// same-fields flag only the values, and last the number of listpack
// elements the entry took, so the node can be walked backwards.

const (
	streamFlagDeleted    = 1 << 0
	streamFlagSameFields = 1 << 1
)

func (enc *EntryEncoder) appendStream(buf []byte, s *types.Stream) []byte {
	buf = appendLen(buf, uint64(s.NodeCount()))
	var lp listpackBuilder
	s.EachNode(func(n types.StreamNodeView) bool {
		key := streamIDBytes(n.Master)
		buf = enc.appendString(buf, key[:])
		buf = enc.appendString(buf, streamNodeListpack(&lp, n))
		return true
	})
	buf = appendLen(buf, s.Len())
	buf = appendStreamID(buf, s.LastID())
	buf = appendStreamID(buf, s.FirstID())
	buf = appendStreamID(buf, s.MaxDeletedID())
	buf = appendLen(buf, s.EntriesAdded())

	groups := s.Groups()
	buf = appendLen(buf, uint64(len(groups)))
	for _, g := range groups {
		buf = enc.appendString(buf, viewBytes(g.Name))
		buf = appendStreamID(buf, g.LastID)
		buf = appendLen(buf, uint64(g.EntriesRead)) // -1 (unknown) as Redis writes it
		buf = appendLen(buf, uint64(g.PendingCount()))
		g.EachPending(types.StreamID{}, func(p *types.PendingEntry) bool {
			id := streamIDBytes(p.ID)
			buf = append(buf, id[:]...)
			buf = binary.LittleEndian.AppendUint64(buf, uint64(p.DeliveryTime))
			buf = appendLen(buf, uint64(p.DeliveryCount))
			return true
		})
		consumers := g.Consumers()
		buf = appendLen(buf, uint64(len(consumers)))
		for _, c := range consumers {
			buf = enc.appendString(buf, viewBytes(c.Name))
			buf = binary.LittleEndian.AppendUint64(buf, uint64(c.SeenTime))
			buf = appendLen(buf, uint64(c.PendingCount()))
			c.EachPending(types.StreamID{}, func(p *types.PendingEntry) bool {
				id := streamIDBytes(p.ID)
				buf = append(buf, id[:]...)
				return true
			})
		}
	}
	return buf
}

func appendStreamID(b []byte, id types.StreamID) []byte {
	return appendLen(appendLen(b, id.Ms), id.Seq)
}

// streamIDBytes is the radix-tree key form of an ID: 128 bits big endian.
func streamIDBytes(id types.StreamID) [16]byte {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], id.Ms)
	binary.BigEndian.PutUint64(b[8:], id.Seq)
	return b
}

// streamNodeListpack lays out one node as Redis's listpack.
func streamNodeListpack(lp *listpackBuilder, n types.StreamNodeView) []byte {
	lp.reset()
	lp.appendInt(int64(n.Live))
	lp.appendInt(int64(n.Deleted))
	lp.appendInt(int64(len(n.Fields)))
	for _, f := range n.Fields {
		lp.appendString(viewBytes(f))
	}
	lp.appendInt(0)
	n.Entries(func(e *types.StreamRawEntry) bool {
		flags := int64(0)
		if e.Deleted {
			flags |= streamFlagDeleted
		}
		if e.SameFields {
			flags |= streamFlagSameFields
		}
		numFields := int64(len(e.FV) / 2)
		lp.appendInt(flags)
		lp.appendInt(int64(e.ID.Ms - n.Master.Ms))
		lp.appendInt(int64(e.ID.Seq - n.Master.Seq))
		if !e.SameFields {
			lp.appendInt(numFields)
		}
		for i, b := range e.FV {
			if !e.SameFields || i%2 == 1 {
				lp.appendString(b)
			}
		}
		count := numFields + 3
		if !e.SameFields {
			count += numFields + 1
		}
		lp.appendInt(count)
		return true
	})
	return lp.finish()
}

// readStream reads a stream of any of the three layouts: 15 (Redis 5),
// 19 (7.0: first and greatest deleted IDs, entries added, group read
// counters) and 21 (7.2: a consumer's active time, which 7.0 does not
// keep).
func (d *rdbReader) readStream(typ byte) (any, error) {
	s := types.NewStream()
	nodes, err := d.readCount()
	if err != nil {
		return nil, err
	}
	var last types.StreamID // the greatest entry ID so far
	haveLast := false
	var live uint64
	for ; nodes > 0; nodes-- {
		key, err := d.readString()
		if err != nil {
			return nil, err
		}
		if len(key) != 16 {
			return nil, d.corrupt("stream node key entry is not the size of a stream ID")
		}
		master := types.StreamID{Ms: binary.BigEndian.Uint64(key), Seq: binary.BigEndian.Uint64(key[8:])}
		lp, err := d.readString()
		if err != nil {
			return nil, err
		}
		node, err := parseStreamNode(master, lp)
		if err != nil {
			return nil, d.corrupt("stream listpack integrity check failed: %v", err)
		}
		if len(node.entries) == 0 {
			return nil, d.corrupt("empty listpack inside stream")
		}
		if haveLast && !last.Less(master) {
			return nil, d.corrupt("stream node IDs out of order")
		}
		last, haveLast = node.entries[len(node.entries)-1].ID, true
		if node.live == 0 {
			continue // nothing left to read in it: Kioku drops such nodes
		}
		live += uint64(node.live)
		s.LoadNode(master, node.fields, node.entries)
	}
	length, err := d.readCount()
	if err != nil {
		return nil, err
	}
	lastID, err := d.readStreamID()
	if err != nil {
		return nil, err
	}
	var first, maxDeleted types.StreamID
	added := length
	if typ == rdbTypeStreamListpacks {
		s.Range(types.StreamID{}, types.MaxStreamID, false, func(id types.StreamID, _ [][]byte) bool {
			first = id
			return false
		})
	} else {
		if first, err = d.readStreamID(); err != nil {
			return nil, err
		}
		if maxDeleted, err = d.readStreamID(); err != nil {
			return nil, err
		}
		if added, err = d.readCount(); err != nil {
			return nil, err
		}
	}
	if length != live {
		return nil, d.corrupt("stream length %d inconsistent with its %d entries", length, live)
	}
	if lastID.Less(last) {
		return nil, d.corrupt("stream last ID below its last entry")
	}
	s.SetLoadedState(length, lastID, first, maxDeleted, added)
	if err := d.readStreamGroups(s, typ); err != nil {
		return nil, err
	}
	return s, nil
}

func (d *rdbReader) readStreamID() (types.StreamID, error) {
	ms, err := d.readCount()
	if err != nil {
		return types.StreamID{}, err
	}
	seq, err := d.readCount()
	return types.StreamID{Ms: ms, Seq: seq}, err
}

func (d *rdbReader) readRawStreamID() (types.StreamID, error) {
	var b [16]byte
	if err := d.readFull(b[:]); err != nil {
		return types.StreamID{}, err
	}
	return types.StreamID{Ms: binary.BigEndian.Uint64(b[:]), Seq: binary.BigEndian.Uint64(b[8:])}, nil
}

func (d *rdbReader) readStreamGroups(s *types.Stream, typ byte) error {
	n, err := d.readCount()
	if err != nil {
		return err
	}
	for ; n > 0; n-- {
		name, err := d.readKeep()
		if err != nil {
			return err
		}
		lastID, err := d.readStreamID()
		if err != nil {
			return err
		}
		var read int64
		if typ == rdbTypeStreamListpacks {
			read = s.EstimateDistance(lastID)
		} else {
			r, err := d.readCount()
			if err != nil {
				return err
			}
			read = int64(r) // Redis writes -1 (unknown) as 2^64-1
		}
		g, ok := s.CreateGroup(name, lastID, read)
		if !ok {
			return d.corrupt("duplicated consumer group name %q", name)
		}
		pel, err := d.readCount()
		if err != nil {
			return err
		}
		for ; pel > 0; pel-- {
			id, err := d.readRawStreamID()
			if err != nil {
				return err
			}
			at, err := d.readMillis()
			if err != nil {
				return err
			}
			count, err := d.readCount()
			if err != nil {
				return err
			}
			if g.Pending(id) != nil {
				return d.corrupt("duplicated global PEL entry loading stream consumer group")
			}
			g.AddOrphanPending(id, at).DeliveryCount = int64(count)
		}
		consumers, err := d.readCount()
		if err != nil {
			return err
		}
		for ; consumers > 0; consumers-- {
			if err := d.readStreamConsumer(g, typ); err != nil {
				return err
			}
		}
		orphan := false
		g.EachPending(types.StreamID{}, func(e *types.PendingEntry) bool {
			orphan = e.Consumer == nil
			return !orphan
		})
		if orphan {
			return d.corrupt("stream CG PEL entry without consumer")
		}
	}
	return nil
}

func (d *rdbReader) readStreamConsumer(g *types.StreamGroup, typ byte) error {
	name, err := d.readKeep()
	if err != nil {
		return err
	}
	seen, err := d.readMillis()
	if err != nil {
		return err
	}
	if typ == rdbTypeStreamListpacks3 {
		if _, err := d.readMillis(); err != nil { // active time
			return err
		}
	}
	c, ok := g.CreateConsumer(name, seen)
	if !ok {
		return d.corrupt("duplicate stream consumer detected")
	}
	n, err := d.readCount()
	if err != nil {
		return err
	}
	for ; n > 0; n-- {
		id, err := d.readRawStreamID()
		if err != nil {
			return err
		}
		e := g.Pending(id)
		if e == nil {
			return d.corrupt("consumer entry not found in group global PEL")
		}
		if e.Consumer != nil {
			return d.corrupt("duplicated consumer PEL entry loading a stream consumer group")
		}
		g.Transfer(e, c)
	}
	return nil
}

// streamNode is a node read from its listpack.
type streamNode struct {
	fields  [][]byte
	entries []types.StreamRawEntry
	live    int
}

// parseStreamNode decodes and checks a node's listpack: the master entry's
// counts against the entries, each entry's element count, flags, and IDs
// ascending from the master ID.
func parseStreamNode(master types.StreamID, lp []byte) (*streamNode, error) {
	it, err := newLPIter(lp)
	if err != nil {
		return nil, err
	}
	bad := errors.New("malformed stream node")
	nextInt := func() (int64, error) {
		e, ok, err := it.next()
		switch {
		case err != nil:
			return 0, err
		case !ok || !e.isInt:
			return 0, bad
		}
		return e.num, nil
	}
	nextBytes := func() ([]byte, error) {
		e, ok, err := it.next()
		switch {
		case err != nil:
			return nil, err
		case !ok:
			return nil, bad
		}
		return e.bytes(), nil
	}
	count, err := nextInt()
	if err != nil {
		return nil, err
	}
	deleted, err := nextInt()
	if err != nil {
		return nil, err
	}
	nf, err := nextInt()
	if err != nil {
		return nil, err
	}
	if count < 0 || deleted < 0 || nf < 0 || nf > int64(len(lp)) {
		return nil, bad
	}
	n := &streamNode{fields: make([][]byte, nf)}
	for i := range n.fields {
		if n.fields[i], err = nextBytes(); err != nil {
			return nil, err
		}
	}
	if zero, err := nextInt(); err != nil || zero != 0 {
		return nil, bad
	}
	prev, dels := types.StreamID{}, 0
	for {
		if it.p == len(lp)-1 {
			if _, ok, err := it.next(); err != nil || ok {
				return nil, bad
			}
			break
		}
		flags, err := nextInt()
		if err != nil {
			return nil, err
		}
		if flags < 0 || flags > streamFlagDeleted|streamFlagSameFields {
			return nil, bad
		}
		msDiff, err := nextInt()
		if err != nil {
			return nil, err
		}
		seqDiff, err := nextInt()
		if err != nil {
			return nil, err
		}
		id := types.StreamID{Ms: master.Ms + uint64(msDiff), Seq: master.Seq + uint64(seqDiff)}
		if id.Less(master) || len(n.entries) > 0 && !prev.Less(id) {
			return nil, bad
		}
		prev = id
		e := types.StreamRawEntry{ID: id, Deleted: flags&streamFlagDeleted != 0}
		same := flags&streamFlagSameFields != 0
		entryFields := nf
		if !same {
			if entryFields, err = nextInt(); err != nil {
				return nil, err
			}
			if entryFields < 0 || entryFields > int64(len(lp)) {
				return nil, bad
			}
		}
		e.FV = make([][]byte, 2*entryFields)
		for i := range entryFields {
			if same {
				e.FV[2*i] = n.fields[i]
			} else if e.FV[2*i], err = nextBytes(); err != nil {
				return nil, err
			}
			if e.FV[2*i+1], err = nextBytes(); err != nil {
				return nil, err
			}
		}
		want := entryFields + 3
		if !same {
			want += entryFields + 1
		}
		if lpCount, err := nextInt(); err != nil || lpCount != want {
			return nil, bad
		}
		if e.Deleted {
			dels++
		} else {
			n.live++
		}
		n.entries = append(n.entries, e)
	}
	if int64(n.live) != count || int64(dels) != deleted {
		return nil, bad
	}
	return n, nil
}
