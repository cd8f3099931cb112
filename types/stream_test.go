package types

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

var streamTestLimits = NodeLimits{MaxBytes: 4096, MaxEntries: 100}

func fv(pairs ...string) [][]byte {
	out := make([][]byte, len(pairs))
	for i, p := range pairs {
		out[i] = []byte(p)
	}
	return out
}

func addN(t testing.TB, s *Stream, from, n int) {
	for i := from; i < from+n; i++ {
		if err := s.Add(StreamID{uint64(i), 0}, fv("f", fmt.Sprint(i)), streamTestLimits); err != nil {
			t.Fatal(err)
		}
	}
}

func collect(s *Stream, start, end StreamID, rev bool) []string {
	var out []string
	s.Range(start, end, rev, func(id StreamID, x [][]byte) bool {
		out = append(out, fmt.Sprintf("%s:%s", id, x))
		return true
	})
	return out
}

func TestStreamIDOrderAndNeighbours(t *testing.T) {
	a, b := StreamID{1, math.MaxUint64}, StreamID{2, 0}
	if !a.Less(b) || b.Less(a) || a.Compare(a) != 0 {
		t.Fatal("order")
	}
	if n, ok := a.Next(); !ok || n != b {
		t.Fatalf("next of %s = %s", a, n)
	}
	if p, ok := b.Prev(); !ok || p != a {
		t.Fatalf("prev of %s = %s", b, p)
	}
	if _, ok := MaxStreamID.Next(); ok {
		t.Fatal("max has a successor")
	}
	if _, ok := (StreamID{}).Prev(); ok {
		t.Fatal("0-0 has a predecessor")
	}
}

func TestStreamAddAndRange(t *testing.T) {
	s := NewStream()
	addN(t, s, 1, 250)
	if s.Len() != 250 || s.NodeCount() != 3 {
		t.Fatalf("len %d nodes %d", s.Len(), s.NodeCount())
	}
	if err := s.Add(StreamID{250, 0}, fv("f", "v"), streamTestLimits); err != ErrStreamIDTooSmall {
		t.Fatalf("equal ID: %v", err)
	}
	got := collect(s, StreamID{99, 0}, StreamID{102, 0}, false)
	if fmt.Sprint(got) != "[99-0:[f 99] 100-0:[f 100] 101-0:[f 101] 102-0:[f 102]]" {
		t.Fatal(got)
	}
	got = collect(s, StreamID{199, 0}, StreamID{202, 0}, true)
	if fmt.Sprint(got) != "[202-0:[f 202] 201-0:[f 201] 200-0:[f 200] 199-0:[f 199]]" {
		t.Fatal(got)
	}
	// Entries with other fields than the node's first are stored whole.
	s.Add(StreamID{300, 1}, fv("a", "1", "b", ""), streamTestLimits)
	if fv, ok := s.Get(StreamID{300, 1}); !ok || fmt.Sprint(fv) != "[[97] [49] [98] []]" {
		t.Fatal(fv)
	}
}

func TestStreamDeleteAndTrim(t *testing.T) {
	s := NewStream()
	addN(t, s, 1, 250)
	if !s.Delete(StreamID{1, 0}) || s.Delete(StreamID{1, 0}) || s.FirstID() != (StreamID{2, 0}) {
		t.Fatal("delete first")
	}
	if s.MaxDeletedID() != (StreamID{1, 0}) {
		t.Fatal(s.MaxDeletedID())
	}
	// Approximate trimming removes whole nodes only, never too many.
	if n := s.Trim(TrimSpec{MaxLen: 151, Approx: true, Limit: 10000}); n != 0 {
		t.Fatalf("approximate trim removed %d", n)
	}
	if n := s.Trim(TrimSpec{MaxLen: 150, Approx: true, Limit: 10000}); n != 99 || s.Len() != 150 {
		t.Fatalf("removed %d, len %d", n, s.Len())
	}
	if n := s.Trim(TrimSpec{MaxLen: 120}); n != 30 || s.Len() != 120 || s.FirstID() != (StreamID{131, 0}) {
		t.Fatalf("removed %d, len %d, first %s", n, s.Len(), s.FirstID())
	}
	if n := s.Trim(TrimSpec{ByMinID: true, MinID: StreamID{240, 0}}); n != 109 || s.FirstID() != (StreamID{240, 0}) {
		t.Fatalf("removed %d, first %s", n, s.FirstID())
	}
	for i := 240; i <= 250; i++ {
		s.Delete(StreamID{uint64(i), 0})
	}
	if s.Len() != 0 || s.NodeCount() != 0 || !s.FirstID().IsZero() || s.LastID() != (StreamID{250, 0}) {
		t.Fatalf("len %d nodes %d first %s last %s", s.Len(), s.NodeCount(), s.FirstID(), s.LastID())
	}
}

func TestStreamAutoIDNeverGoesBack(t *testing.T) {
	s := NewStream()
	id, _ := s.AutoID(1000)
	s.Add(id, fv("f", "v"), streamTestLimits)
	id2, _ := s.AutoID(500) // the clock went back
	if id2 != (StreamID{1000, 1}) {
		t.Fatal(id2)
	}
	if _, err := (&Stream{lastID: StreamID{7, math.MaxUint64}}).IDForMs(7); err != ErrStreamSeqOverflow {
		t.Fatal(err)
	}
}

func TestStreamGroupsPendingAndClaims(t *testing.T) {
	s := NewStream()
	addN(t, s, 1, 10)
	g, _ := s.CreateGroup("g", StreamID{}, -1)
	a, _ := g.ConsumerFor("a", 100)
	b, _ := g.ConsumerFor("b", 100)
	if n := s.ReadNew(g, a, 4, false, 100, func(StreamID, [][]byte) {}); n != 4 {
		t.Fatal(n)
	}
	s.ReadNew(g, b, 0, false, 200, func(StreamID, [][]byte) {})
	if g.PendingCount() != 10 || a.PendingCount() != 4 || b.PendingCount() != 6 || g.EntriesRead != 10 {
		t.Fatalf("pending %d/%d/%d read %d", g.PendingCount(), a.PendingCount(), b.PendingCount(), g.EntriesRead)
	}
	if lag, ok := s.Lag(g); !ok || lag != 0 {
		t.Fatal(lag, ok)
	}
	g.Transfer(g.Pending(StreamID{1, 0}), b)
	if a.PendingCount() != 3 || b.PendingCount() != 7 {
		t.Fatal("transfer")
	}
	g.Transfer(g.Pending(StreamID{1, 0}), a) // back again: listed once
	var ids []string
	a.EachPending(StreamID{}, func(e *PendingEntry) bool { ids = append(ids, e.ID.String()); return true })
	if fmt.Sprint(ids) != "[1-0 2-0 3-0 4-0]" {
		t.Fatal(ids)
	}
	if !g.Ack(StreamID{2, 0}) || g.Ack(StreamID{2, 0}) || a.PendingCount() != 3 {
		t.Fatal("ack")
	}
	if n, ok := g.DeleteConsumer("b"); !ok || n != 6 || g.PendingCount() != 3 {
		t.Fatal("delete consumer", n)
	}
	c := s.Clone().(*Stream)
	c.Group("g").Ack(StreamID{1, 0})
	if g.PendingCount() != 3 || c.Group("g").PendingCount() != 2 {
		t.Fatal("clone shares its PEL")
	}
}

func TestPendingListStaysSortedUnderChurn(t *testing.T) {
	var l pendingList
	r := rand.New(rand.NewPCG(1, 2))
	live := map[StreamID]bool{}
	for i := 0; i < 5000; i++ {
		id := StreamID{uint64(r.IntN(300)), 0}
		if r.IntN(2) == 0 {
			if l.get(id) == nil {
				l.add(&PendingEntry{ID: id})
				live[id] = true
			}
		} else {
			l.remove(id)
			delete(live, id)
		}
	}
	var prev *StreamID
	n := 0
	l.each(StreamID{}, func(e *PendingEntry) bool {
		if prev != nil && !prev.Less(e.ID) {
			t.Fatalf("%s after %s", e.ID, prev)
		}
		p := e.ID
		prev = &p
		n++
		return true
	})
	if n != len(live) || l.len() != len(live) {
		t.Fatalf("walked %d, %d live", n, len(live))
	}
}

func TestRadixTreeNodes(t *testing.T) {
	s := NewStream()
	if s.RadixTreeNodes() != 1 {
		t.Fatal(s.RadixTreeNodes())
	}
	s.Add(StreamID{1, 1}, fv("a", "1"), streamTestLimits)
	if s.RadixTreeNodes() != 2 {
		t.Fatal(s.RadixTreeNodes())
	}
}

func BenchmarkStreamAdd(b *testing.B) {
	s := NewStream()
	args := fv("f", "v")
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		s.Add(StreamID{uint64(i + 1), 0}, args, streamTestLimits)
	}
}

func BenchmarkStreamRangeCount10(b *testing.B) {
	s := NewStream()
	addN(b, s, 1, 100000)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		n := 0
		s.Range(StreamID{}, MaxStreamID, false, func(StreamID, [][]byte) bool { n++; return n < 10 })
	}
}

func BenchmarkStreamRevRangeCount10(b *testing.B) {
	s := NewStream()
	addN(b, s, 1, 100000)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		n := 0
		s.Range(StreamID{}, MaxStreamID, true, func(StreamID, [][]byte) bool { n++; return n < 10 })
	}
}

// TestStreamLastValidIDFollowsChanges: the cached last live ID follows
// appends, deletion of the last entry and trimming.
func TestStreamLastValidIDFollowsChanges(t *testing.T) {
	s := &Stream{}
	for i := uint64(1); i <= 5; i++ {
		if err := s.Add(StreamID{Ms: i}, [][]byte{[]byte("f"), []byte("v")}, streamTestLimits); err != nil {
			t.Fatal(err)
		}
	}
	if got := s.LastValidID(); got != (StreamID{Ms: 5}) {
		t.Fatalf("last valid %v", got)
	}
	s.Delete(StreamID{Ms: 5})
	if got := s.LastValidID(); got != (StreamID{Ms: 4}) {
		t.Fatalf("after deleting the last entry: %v", got)
	}
	s.Delete(StreamID{Ms: 2})
	if got := s.LastValidID(); got != (StreamID{Ms: 4}) {
		t.Fatalf("after deleting a middle entry: %v", got)
	}
	s.Trim(TrimSpec{MaxLen: 0})
	if got := s.LastValidID(); got != (StreamID{}) {
		t.Fatalf("after trimming everything: %v", got)
	}
}
