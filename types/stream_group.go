package types

import (
	"slices"
	"strings"
)

// Consumer groups. A group remembers the last ID it delivered, how many
// entries it has read (for the lag), its consumers, and its pending
// entries list (PEL): every entry delivered and not yet acknowledged, with
// its owner, last delivery time and delivery count. Each consumer keeps
// the part of the PEL it owns; an entry stays pending, through claims
// moving it between consumers, until XACK.

// StreamGroup is one consumer group.
type StreamGroup struct {
	Name   string
	LastID StreamID // last-delivered-id
	// EntriesRead is the group's logical read counter; -1 when unknown.
	EntriesRead int64
	pel         pendingList
	consumers   map[string]*StreamConsumer
}

// StreamConsumer is one consumer of a group.
type StreamConsumer struct {
	Name     string
	SeenTime int64 // unix ms of its last read or claim
	pel      pendingList
}

// PendingEntry is a delivered, unacknowledged entry (Redis's NACK).
type PendingEntry struct {
	ID            StreamID
	Consumer      *StreamConsumer // nil only while XCLAIM FORCE creates it
	DeliveryTime  int64           // unix ms
	DeliveryCount int64
}

// pendingList is a PEL ordered by ID: a map for lookups and a sorted
// slice for ranges. Removal only deletes from the map; the slice keeps a
// stale pointer (an element is live while the map maps its ID to it) until
// stale ones outnumber live ones and the next add compacts it (never
// during a walk, which may remove entries). Entries are mostly
// added in ID order (new deliveries) and acknowledged oldest first, so
// both are cheap.
type pendingList struct {
	byID  map[StreamID]*PendingEntry
	order []*PendingEntry
}

func (l *pendingList) len() int { return len(l.byID) }

func (l *pendingList) get(id StreamID) *PendingEntry { return l.byID[id] }

func (l *pendingList) live(e *PendingEntry) bool { return l.byID[e.ID] == e }

func (l *pendingList) add(e *PendingEntry) {
	if l.byID == nil {
		l.byID = map[StreamID]*PendingEntry{}
	}
	l.byID[e.ID] = e
	if len(l.order) > 32 && len(l.order) > 2*len(l.byID) {
		l.compact()
	}
	n := len(l.order)
	if n == 0 || l.order[n-1].ID.Less(e.ID) {
		l.order = append(l.order, e)
		return
	}
	i, _ := slices.BinarySearchFunc(l.order, e.ID, comparePending)
	for j := i; j < n && l.order[j].ID == e.ID; j++ {
		if l.order[j] == e {
			return // still in the slice from before a removal
		}
	}
	l.order = slices.Insert(l.order, i, e)
}

func comparePending(e *PendingEntry, id StreamID) int { return e.ID.Compare(id) }

func (l *pendingList) remove(id StreamID) {
	delete(l.byID, id)
	if len(l.byID) == 0 {
		l.order = l.order[:0]
	}
}

func (l *pendingList) compact() {
	live := l.order[:0]
	for _, e := range l.order {
		if l.live(e) && (len(live) == 0 || live[len(live)-1] != e) {
			live = append(live, e)
		}
	}
	clear(l.order[len(live):])
	l.order = live
}

// each calls fn for the live entries with ID >= start in order, until fn
// returns false. fn may remove the entry it is given.
func (l *pendingList) each(start StreamID, fn func(e *PendingEntry) bool) {
	i, _ := slices.BinarySearchFunc(l.order, start, comparePending)
	var prev *PendingEntry
	for ; i < len(l.order); i++ {
		e := l.order[i]
		if e == prev || !l.live(e) {
			continue
		}
		prev = e
		if !fn(e) {
			return
		}
	}
}

// first and last are the smallest and greatest pending IDs.
func (l *pendingList) first() (id StreamID) {
	l.each(StreamID{}, func(e *PendingEntry) bool { id = e.ID; return false })
	return id
}

func (l *pendingList) last() StreamID {
	for i := len(l.order) - 1; i >= 0; i-- {
		if l.live(l.order[i]) {
			return l.order[i].ID
		}
	}
	return StreamID{}
}

// CreateGroup adds a group; ok is false when the name is taken.
func (s *Stream) CreateGroup(name string, last StreamID, entriesRead int64) (g *StreamGroup, ok bool) {
	if _, taken := s.groups[name]; taken {
		return nil, false
	}
	if s.groups == nil {
		s.groups = map[string]*StreamGroup{}
	}
	g = &StreamGroup{Name: name, LastID: last, EntriesRead: entriesRead, consumers: map[string]*StreamConsumer{}}
	s.groups[name] = g
	return g, true
}

// Group finds a group by name.
func (s *Stream) Group(name string) *StreamGroup { return s.groups[name] }

// DestroyGroup deletes a group, reporting whether it existed.
func (s *Stream) DestroyGroup(name string) bool {
	if _, ok := s.groups[name]; !ok {
		return false
	}
	delete(s.groups, name)
	return true
}

// GroupCount is the number of groups.
func (s *Stream) GroupCount() int { return len(s.groups) }

// Groups lists the groups by name, in Redis's (byte) order.
func (s *Stream) Groups() []*StreamGroup {
	out := make([]*StreamGroup, 0, len(s.groups))
	for _, g := range s.groups {
		out = append(out, g)
	}
	slices.SortFunc(out, func(a, b *StreamGroup) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// Consumer finds a consumer by name.
func (g *StreamGroup) Consumer(name string) *StreamConsumer { return g.consumers[name] }

// CreateConsumer adds a consumer seen at now; ok is false when it exists.
func (g *StreamGroup) CreateConsumer(name string, now int64) (c *StreamConsumer, ok bool) {
	if _, taken := g.consumers[name]; taken {
		return nil, false
	}
	c = &StreamConsumer{Name: name, SeenTime: now}
	g.consumers[name] = c
	return c, true
}

// ConsumerFor returns the named consumer, created if missing (created
// says so), marked as seen at now.
func (g *StreamGroup) ConsumerFor(name string, now int64) (c *StreamConsumer, created bool) {
	c = g.consumers[name]
	if c == nil {
		c, created = g.CreateConsumer(name, now)
	}
	c.SeenTime = now
	return c, created
}

// DeleteConsumer removes a consumer and its pending entries (they are no
// longer pending for the group either); it returns how many it had.
func (g *StreamGroup) DeleteConsumer(name string) (pending int, ok bool) {
	c := g.consumers[name]
	if c == nil {
		return 0, false
	}
	pending = c.pel.len()
	c.pel.each(StreamID{}, func(e *PendingEntry) bool {
		g.pel.remove(e.ID)
		return true
	})
	delete(g.consumers, name)
	return pending, true
}

// ConsumerCount is the number of consumers.
func (g *StreamGroup) ConsumerCount() int { return len(g.consumers) }

// Consumers lists the consumers by name.
func (g *StreamGroup) Consumers() []*StreamConsumer {
	out := make([]*StreamConsumer, 0, len(g.consumers))
	for _, c := range g.consumers {
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b *StreamConsumer) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// PendingCount is the size of the group's PEL.
func (g *StreamGroup) PendingCount() int { return g.pel.len() }

// PendingBounds are the smallest and greatest pending IDs.
func (g *StreamGroup) PendingBounds() (first, last StreamID) { return g.pel.first(), g.pel.last() }

// Pending finds a pending entry.
func (g *StreamGroup) Pending(id StreamID) *PendingEntry { return g.pel.get(id) }

// EachPending walks the group's PEL from start in ID order until fn
// returns false. fn may acknowledge or claim the entry it is given.
func (g *StreamGroup) EachPending(start StreamID, fn func(e *PendingEntry) bool) {
	g.pel.each(start, fn)
}

// PendingCount is the size of the consumer's PEL.
func (c *StreamConsumer) PendingCount() int { return c.pel.len() }

// EachPending walks the consumer's PEL from start in ID order.
func (c *StreamConsumer) EachPending(start StreamID, fn func(e *PendingEntry) bool) {
	c.pel.each(start, fn)
}

// Ack removes id from the PEL, reporting whether it was pending.
func (g *StreamGroup) Ack(id StreamID) bool {
	e := g.pel.get(id)
	if e == nil {
		return false
	}
	g.pel.remove(id)
	if e.Consumer != nil {
		e.Consumer.pel.remove(id)
	}
	return true
}

// Deliver records the delivery of id to c at now, as XREADGROUP does: a
// new pending entry, or an existing one (after XGROUP SETID moved the
// group back) given to c with its count reset to 1.
func (g *StreamGroup) Deliver(id StreamID, c *StreamConsumer, now int64) {
	e := g.pel.get(id)
	if e == nil {
		e = &PendingEntry{ID: id, Consumer: c, DeliveryTime: now, DeliveryCount: 1}
		g.pel.add(e)
		c.pel.add(e)
		return
	}
	g.Transfer(e, c)
	e.DeliveryTime, e.DeliveryCount = now, 1
}

// Transfer makes c the owner of a pending entry.
func (g *StreamGroup) Transfer(e *PendingEntry, c *StreamConsumer) {
	if e.Consumer == c {
		return
	}
	if e.Consumer != nil {
		e.Consumer.pel.remove(e.ID)
	}
	e.Consumer = c
	c.pel.add(e)
}

// AddOrphanPending creates a pending entry with no owner yet (XCLAIM
// FORCE), delivered once at now; the caller transfers it.
func (g *StreamGroup) AddOrphanPending(id StreamID, now int64) *PendingEntry {
	e := &PendingEntry{ID: id, DeliveryTime: now, DeliveryCount: 1}
	g.pel.add(e)
	return e
}

// ReadNew delivers the entries after the group's last ID to c, at most
// count of them (0: all), calling fn for each: XREADGROUP with ">". The
// group's last ID and read counter advance as Redis advances them; with
// noack nothing becomes pending.
func (s *Stream) ReadNew(g *StreamGroup, c *StreamConsumer, count int, noack bool, now int64, fn func(id StreamID, fv [][]byte)) int {
	start, ok := g.LastID.Next()
	if !ok {
		return 0
	}
	n := 0
	s.Range(start, MaxStreamID, false, func(id StreamID, fv [][]byte) bool {
		s.advanceGroup(g, id)
		fn(id, fv)
		if !noack {
			g.Deliver(id, c, now)
		}
		n++
		return count == 0 || n < count
	})
	return n
}

// advanceGroup moves the group's last ID to id, keeping its read counter
// exact while no deleted entry lies ahead, estimating it otherwise.
func (s *Stream) advanceGroup(g *StreamGroup, id StreamID) {
	if !g.LastID.Less(id) {
		return
	}
	if g.EntriesRead != -1 && !s.rangeHasTombstones(id, MaxStreamID) {
		g.EntriesRead++
	} else if s.entriesAdded > 0 {
		g.EntriesRead = s.EstimateDistance(id)
	}
	g.LastID = id
}

// rangeHasTombstones reports whether entries in [start, end] may have
// been deleted.
func (s *Stream) rangeHasTombstones(start, end StreamID) bool {
	if s.length == 0 || s.maxDeletedID.IsZero() || s.maxDeletedID.Less(s.firstID) {
		return false
	}
	return !s.maxDeletedID.Less(start) && !end.Less(s.maxDeletedID)
}

// EstimateDistance is the logical read counter of id (its distance from
// the first entry ever added) when it can be known, -1 otherwise.
func (s *Stream) EstimateDistance(id StreamID) int64 {
	if s.entriesAdded == 0 {
		return 0
	}
	added := int64(s.entriesAdded)
	if s.length == 0 && !s.lastID.Less(id) {
		return added
	}
	switch id.Compare(s.lastID) {
	case 0:
		return added
	case 1:
		return -1
	}
	if s.maxDeletedID.IsZero() || s.maxDeletedID.Less(s.firstID) {
		switch id.Compare(s.firstID) {
		case -1:
			return added - int64(s.length)
		case 0:
			return added - int64(s.length) + 1
		}
	}
	return -1
}

// Lag is how many entries the group has yet to read; ok is false when it
// cannot be known (deleted entries ahead of it).
func (s *Stream) Lag(g *StreamGroup) (lag int64, ok bool) {
	added := int64(s.entriesAdded)
	if added == 0 {
		return 0, true
	}
	if g.EntriesRead != -1 && !s.rangeHasTombstones(g.LastID, MaxStreamID) {
		return added - g.EntriesRead, true
	}
	if read := s.EstimateDistance(g.LastID); read != -1 {
		return added - read, true
	}
	return 0, false
}

// clone copies a group with its consumers and PEL.
func (g *StreamGroup) clone() *StreamGroup {
	ng := &StreamGroup{Name: g.Name, LastID: g.LastID, EntriesRead: g.EntriesRead,
		consumers: make(map[string]*StreamConsumer, len(g.consumers))}
	for name, c := range g.consumers {
		ng.consumers[name] = &StreamConsumer{Name: c.Name, SeenTime: c.SeenTime}
	}
	g.pel.each(StreamID{}, func(e *PendingEntry) bool {
		ne := *e
		ng.pel.add(&ne)
		if e.Consumer != nil {
			ne.Consumer = ng.consumers[e.Consumer.Name]
			ne.Consumer.pel.add(&ne)
		}
		return true
	})
	return ng
}
