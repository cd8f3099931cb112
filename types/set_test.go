package types

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"strconv"
	"testing"
	"unsafe"
)

func setMembers(s *Set) []string {
	var out []string
	s.Each(func(m Member) bool { out = append(out, m.String()); return true })
	return out
}

func TestSetStartsAsIntsetAndConverts(t *testing.T) {
	s := NewSet()
	if s.Encoding() != "intset" || s.TypeName() != "set" || s.Len() != 0 {
		t.Fatalf("new set: %s %s %d", s.Encoding(), s.TypeName(), s.Len())
	}
	for _, m := range []string{"3", "1", "2", "1"} {
		s.Add(m, 512)
	}
	if s.Encoding() != "intset" || s.Len() != 3 {
		t.Fatalf("after integers: %s, %d members", s.Encoding(), s.Len())
	}
	if got := setMembers(s); !slices.Equal(got, []string{"1", "2", "3"}) {
		t.Errorf("intset members = %v, want ascending", got)
	}
	if !s.Add("x", 512) || s.Encoding() != "hashtable" {
		t.Fatalf("a non-integer did not convert: %s", s.Encoding())
	}
	got := setMembers(s)
	slices.Sort(got)
	if !slices.Equal(got, []string{"1", "2", "3", "x"}) {
		t.Errorf("members after conversion = %v", got)
	}
	s.Remove("x")
	if s.Encoding() != "hashtable" {
		t.Error("a hash table converted back")
	}
}

func TestSetConvertsBeyondMaxEntries(t *testing.T) {
	s := NewSet()
	for i := 0; i < 4; i++ {
		s.Add(strconv.Itoa(i), 4)
	}
	if s.Encoding() != "intset" {
		t.Fatalf("4 members with a limit of 4: %s", s.Encoding())
	}
	if s.Add("2", 4) || s.Encoding() != "intset" {
		t.Fatal("adding a present member changed the set")
	}
	s.Add("4", 4)
	if s.Encoding() != "hashtable" || s.Len() != 5 {
		t.Fatalf("5 members with a limit of 4: %s, %d", s.Encoding(), s.Len())
	}
	z := NewSet()
	z.Add("1", 0)
	if z.Encoding() != "hashtable" {
		t.Errorf("limit 0: %s, want hashtable", z.Encoding())
	}
}

// TestSetIntegerLookingStrings checks that only string2ll integers are
// stored as numbers, so every other string comes back byte for byte.
func TestSetIntegerLookingStrings(t *testing.T) {
	for _, m := range []string{"01", "-0", "+1", " 1", "1.0", "9223372036854775808", ""} {
		s := NewSet()
		s.Add(m, 512)
		if s.Encoding() != "hashtable" || !s.Contains(m) || setMembers(s)[0] != m {
			t.Errorf("%q: encoding %s, members %q", m, s.Encoding(), setMembers(s))
		}
	}
	s := NewSet()
	s.Add("1", 512)
	if s.Contains("01") || s.Contains("+1") || !s.Contains("1") {
		t.Error("intset lookup accepted a non-canonical integer")
	}
	s.Add("01", 512)
	if !s.Contains("1") || !s.Contains("01") || s.Len() != 2 {
		t.Error("1 and 01 are different members")
	}
}

// TestSetAddCopiesTheArgument passes a member the way the server does, as
// a string viewing a buffer that is reused after the call.
func TestSetAddCopiesTheArgument(t *testing.T) {
	s := NewSet()
	s.Add("x", 512) // a hash table, where members are stored as strings
	buf := []byte("hello")
	s.Add(unsafe.String(&buf[0], len(buf)), 512)
	copy(buf, "HELLO")
	if !s.Contains("hello") || s.Contains("HELLO") {
		t.Error("the set kept a view of the caller's buffer")
	}
}

func TestSetMembersAcrossEncodings(t *testing.T) {
	ints := NewSet()
	for _, m := range []string{"1", "2", "3"} {
		ints.Add(m, 512)
	}
	hash := NewSet()
	for _, m := range []string{"2", "3", "x"} {
		hash.Add(m, 512)
	}
	var both []string
	ints.Each(func(m Member) bool {
		if hash.ContainsMember(m) {
			both = append(both, m.String())
		}
		return true
	})
	if !slices.Equal(both, []string{"2", "3"}) {
		t.Errorf("intset members found in the hash table: %v", both)
	}
	hash.Each(func(m Member) bool {
		if ints.ContainsMember(m) != (m.String() != "x") {
			t.Errorf("ContainsMember(%q) on the intset is wrong", m.String())
		}
		return true
	})
	if !hash.RemoveMember(IntMember(2)) || hash.Contains("2") {
		t.Error("RemoveMember of an integer from a hash table failed")
	}
	dst := NewSet()
	dst.AddMember(IntMember(7), 512)
	dst.AddMember(StringMember("8"), 512)
	if dst.Encoding() != "intset" || !slices.Equal(setMembers(dst), []string{"7", "8"}) {
		t.Errorf("AddMember into an intset: %s %v", dst.Encoding(), setMembers(dst))
	}
	dst.AddMember(StringMember("y"), 512)
	dst.AddMember(IntMember(9), 512)
	if !dst.Contains("9") || !dst.Contains("y") || dst.Len() != 4 {
		t.Errorf("AddMember into a hash table: %v", setMembers(dst))
	}
}

func TestSetPopAndRandom(t *testing.T) {
	for _, members := range [][]string{{"1", "2", "3", "4"}, {"a", "b", "c", "d"}} {
		s := NewSet()
		for _, m := range members {
			s.Add(m, 512)
		}
		for i := 0; i < 50; i++ {
			if r := s.Random().String(); !slices.Contains(members, r) {
				t.Fatalf("Random() = %q", r)
			}
		}
		var popped []string
		for s.Len() > 0 {
			popped = append(popped, s.Pop().String())
		}
		slices.Sort(popped)
		if !slices.Equal(popped, members) {
			t.Errorf("%s: popped %v", s.Encoding(), popped)
		}
	}
}

func TestSetScanVisitsEverything(t *testing.T) {
	s := NewSet()
	for i := 0; i < 1000; i++ {
		s.Add(fmt.Sprintf("m%d", i), 512)
	}
	seen := map[string]bool{}
	cursor := uint64(0)
	for {
		cursor = s.Scan(cursor, func(m Member) { seen[m.String()] = true })
		if cursor == 0 {
			break
		}
	}
	if len(seen) != 1000 {
		t.Errorf("scan saw %d members, want 1000", len(seen))
	}
	ints := NewSet()
	ints.Add("5", 512)
	ints.Add("4", 512)
	var got []string
	if next := ints.Scan(99, func(m Member) { got = append(got, m.String()) }); next != 0 ||
		!slices.Equal(got, []string{"4", "5"}) {
		t.Errorf("intset scan = %v, next %d", got, next)
	}
}

func TestSetCloneIsIndependent(t *testing.T) {
	for _, first := range []string{"1", "a"} {
		s := NewSet()
		s.Add(first, 512)
		c := s.Clone().(*Set)
		c.Add("2", 512)
		s.Remove(first)
		if c.Len() != 2 || s.Len() != 0 || c.Encoding() != s.Encoding() {
			t.Errorf("clone of %s: clone %v, original %v", s.Encoding(), setMembers(c), setMembers(s))
		}
	}
}

// TestSetModel runs random operations on both encodings against a map.
func TestSetModel(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	pool := []string{"0", "1", "2", "-5", "70000", "01", "a", "b", "", "9223372036854775807", "9223372036854775808"}
	for _, limit := range []int64{512, 3} {
		s := NewSet()
		model := map[string]bool{}
		for i := 0; i < 5000; i++ {
			m := pool[r.IntN(len(pool))]
			if r.IntN(3) == 0 {
				if s.Remove(m) != model[m] {
					t.Fatalf("limit %d op %d: Remove(%q) disagrees", limit, i, m)
				}
				delete(model, m)
			} else {
				if s.Add(m, limit) != !model[m] {
					t.Fatalf("limit %d op %d: Add(%q) disagrees", limit, i, m)
				}
				model[m] = true
			}
			if s.Len() != len(model) || s.Contains(m) != model[m] {
				t.Fatalf("limit %d op %d: Len %d / %d", limit, i, s.Len(), len(model))
			}
		}
	}
}

func BenchmarkSetAddHashtable(b *testing.B) {
	keys := make([]string, 1024)
	for i := range keys {
		keys[i] = "member:" + strconv.Itoa(i)
	}
	b.ReportAllocs()
	for b.Loop() {
		s := NewSet()
		for _, k := range keys {
			s.Add(k, 512)
		}
	}
}

func BenchmarkSetContainsHashtable(b *testing.B) {
	s := NewSet()
	for i := 0; i < 1024; i++ {
		s.Add("member:"+strconv.Itoa(i), 512)
	}
	probe := []string{"member:17", "member:1000", "absent"}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		s.Contains(probe[i%3])
		i++
	}
}

func BenchmarkSetContainsIntset(b *testing.B) {
	s := NewSet()
	for i := 0; i < 512; i++ {
		s.Add(strconv.Itoa(i*7), 512)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		s.Contains("1400")
		i++
	}
}

// BenchmarkSetIntersectMixed probes a hash table with intset members, the
// SINTER path that formats numbers on the stack.
func BenchmarkSetIntersectMixed(b *testing.B) {
	ints, hash := NewSet(), NewSet()
	for i := 0; i < 512; i++ {
		ints.Add(strconv.Itoa(i), 512)
		hash.Add(strconv.Itoa(i*2), 100)
	}
	b.ReportAllocs()
	for b.Loop() {
		n := 0
		ints.Each(func(m Member) bool {
			if hash.ContainsMember(m) {
				n++
			}
			return true
		})
	}
}

// TestSetBytesPerMember logs the heap a set takes per member (keys and
// store entries excluded), to compare with Redis's used_memory growth per
// member for the same sets. Run with -v to see the numbers.
func TestSetBytesPerMember(t *testing.T) {
	if testing.Short() {
		t.Skip("measures memory")
	}
	for _, tc := range []struct {
		name    string
		sets    int
		members int
		limit   int64
		member  func(i int) string
	}{
		{"intset 512 small ints", 200, 512, 512, func(i int) string { return strconv.Itoa(i) }},
		{"intset 5 small ints", 20000, 5, 512, func(i int) string { return strconv.Itoa(i) }},
		{"hashtable 1000 'member:N'", 100, 1000, 512, func(i int) string { return "member:" + strconv.Itoa(i) }},
		{"hashtable 100000 'member:N'", 1, 100000, 512, func(i int) string { return "member:" + strconv.Itoa(i) }},
		{"hashtable 1000 ints", 100, 1000, 512, func(i int) string { return strconv.Itoa(i) }},
	} {
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		sets := make([]*Set, tc.sets)
		for i := range sets {
			sets[i] = NewSet()
			for j := 0; j < tc.members; j++ {
				sets[i].Add(tc.member(j), tc.limit)
			}
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		perMember := float64(after.HeapAlloc-before.HeapAlloc) / float64(tc.sets*tc.members)
		t.Logf("%-28s %8.2f bytes/member (%s)", tc.name, perMember, sets[0].Encoding())
		runtime.KeepAlive(sets)
	}
}
