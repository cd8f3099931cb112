package types

import (
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"
)

func intsetElements(s *IntSet) []int64 {
	out := make([]int64, s.Len())
	for i := range out {
		out[i] = s.At(i)
	}
	return out
}

func TestIntSetAddKeepsOrderAndDistinct(t *testing.T) {
	var s IntSet
	for _, v := range []int64{5, -3, 5, 0, 100, -3, 7} {
		s.Add(v)
	}
	want := []int64{-3, 0, 5, 7, 100}
	if got := intsetElements(&s); !slices.Equal(got, want) {
		t.Fatalf("elements = %v, want %v", got, want)
	}
	if s.Add(7) {
		t.Error("Add of a present element reported true")
	}
	if !s.Add(6) || s.At(3) != 6 {
		t.Errorf("Add(6) did not insert in order: %v", intsetElements(&s))
	}
}

func TestIntSetWidensOnceAndNeverShrinks(t *testing.T) {
	var s IntSet
	s.Add(1)
	if s.width() != 2 {
		t.Fatalf("width after 1 = %d, want 2", s.width())
	}
	s.Add(math.MaxInt16 + 1)
	if s.width() != 4 {
		t.Fatalf("width after 32768 = %d, want 4", s.width())
	}
	s.Add(math.MinInt32 - 1) // below every element: lands first
	if s.width() != 8 {
		t.Fatalf("width after -2147483649 = %d, want 8", s.width())
	}
	want := []int64{math.MinInt32 - 1, 1, math.MaxInt16 + 1}
	if got := intsetElements(&s); !slices.Equal(got, want) {
		t.Fatalf("elements after widening = %v, want %v", got, want)
	}
	s.Remove(math.MinInt32 - 1)
	s.Remove(math.MaxInt16 + 1)
	if s.width() != 8 || s.Len() != 1 || s.At(0) != 1 {
		t.Errorf("after removals: width %d, elements %v", s.width(), intsetElements(&s))
	}
}

func TestIntSetExtremes(t *testing.T) {
	var s IntSet
	for _, v := range []int64{math.MaxInt64, math.MinInt64, 0, -1, math.MaxInt32, math.MinInt16} {
		s.Add(v)
	}
	want := []int64{math.MinInt64, math.MinInt16, -1, 0, math.MaxInt32, math.MaxInt64}
	if got := intsetElements(&s); !slices.Equal(got, want) {
		t.Fatalf("elements = %v, want %v", got, want)
	}
	for _, v := range want {
		if !s.Contains(v) {
			t.Errorf("Contains(%d) = false", v)
		}
	}
	if s.Contains(1) || s.Contains(math.MaxInt64-1) {
		t.Error("Contains reported an absent element")
	}
}

func TestIntSetNarrowSetRejectsWideValues(t *testing.T) {
	var s IntSet
	s.Add(1)
	if s.Contains(1<<40) || s.Remove(1<<40) {
		t.Error("a value wider than the set was found")
	}
	var empty IntSet
	if empty.Contains(0) || empty.Remove(0) || empty.Len() != 0 {
		t.Error("the zero IntSet is not empty")
	}
}

// TestIntSetMatchesAModel runs random operations against a map and checks
// contents, order and answers after each one.
func TestIntSetMatchesAModel(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	values := func() int64 {
		switch r.IntN(4) {
		case 0:
			return int64(r.IntN(200) - 100)
		case 1:
			return int64(r.Int32())
		case 2:
			return r.Int64() - r.Int64()
		}
		return int64(r.IntN(70000) - 35000)
	}
	var s IntSet
	model := map[int64]bool{}
	for i := 0; i < 20000; i++ {
		v := values()
		switch r.IntN(3) {
		case 0, 1:
			if got, want := s.Add(v), !model[v]; got != want {
				t.Fatalf("op %d: Add(%d) = %v, want %v", i, v, got, want)
			}
			model[v] = true
		default:
			if got, want := s.Remove(v), model[v]; got != want {
				t.Fatalf("op %d: Remove(%d) = %v, want %v", i, v, got, want)
			}
			delete(model, v)
		}
		if s.Contains(v) != model[v] {
			t.Fatalf("op %d: Contains(%d) = %v", i, v, !model[v])
		}
	}
	var want []int64
	for v := range model {
		want = append(want, v)
	}
	slices.Sort(want)
	if got := intsetElements(&s); !slices.Equal(got, want) {
		t.Fatalf("final elements differ from the model: %d vs %d elements", len(got), len(want))
	}
}

func TestIntSetPopTakesEveryElementOnce(t *testing.T) {
	var s IntSet
	for i := int64(0); i < 100; i++ {
		s.Add(i * 1000)
	}
	seen := map[int64]bool{}
	for s.Len() > 0 {
		v := s.Pop()
		if seen[v] || v%1000 != 0 {
			t.Fatalf("Pop returned %d twice or never added", v)
		}
		seen[v] = true
	}
	if len(seen) != 100 {
		t.Fatalf("popped %d elements, want 100", len(seen))
	}
}

func TestIntSetRandomReachesEveryElement(t *testing.T) {
	var s IntSet
	for i := int64(1); i <= 5; i++ {
		s.Add(i)
	}
	seen := map[int64]int{}
	for i := 0; i < 1000; i++ {
		seen[s.Random()]++
	}
	for i := int64(1); i <= 5; i++ {
		if seen[i] < 100 { // expected 200 each
			t.Errorf("Random chose %d only %d times in 1000", i, seen[i])
		}
	}
}

func TestIntSetCloneIsIndependent(t *testing.T) {
	var s IntSet
	s.Add(1)
	s.Add(2)
	c := s.Clone()
	c.Add(3)
	s.Remove(1)
	if got := intsetElements(c); !slices.Equal(got, []int64{1, 2, 3}) {
		t.Errorf("clone = %v", got)
	}
	if got := intsetElements(&s); !slices.Equal(got, []int64{2}) {
		t.Errorf("original = %v", got)
	}
}

func TestParseSetInt(t *testing.T) {
	valid := map[string]int64{
		"0": 0, "1": 1, "-1": -1, "42": 42, "9223372036854775807": math.MaxInt64,
		"-9223372036854775808": math.MinInt64, "100000": 100000,
	}
	for s, want := range valid {
		if got, ok := ParseSetInt(s); !ok || got != want {
			t.Errorf("ParseSetInt(%q) = %d, %v; want %d", s, got, ok, want)
		}
	}
	for _, s := range []string{
		"", "-", "01", "-0", "+1", " 1", "1 ", "1.0", "0x1", "1e3", "9223372036854775808",
		"-9223372036854775809", "18446744073709551616", "99999999999999999999", "123456789012345678901",
		"1\x00", "abc", "--1", "-01",
	} {
		if v, ok := ParseSetInt(s); ok {
			t.Errorf("ParseSetInt(%q) = %d, want not an integer", s, v)
		}
	}
}

func BenchmarkIntSetAdd512(b *testing.B) {
	vals := make([]int64, 512)
	r := rand.New(rand.NewPCG(3, 4))
	for i := range vals {
		vals[i] = int64(r.IntN(1 << 20))
	}
	b.ReportAllocs()
	for b.Loop() {
		var s IntSet
		for _, v := range vals {
			s.Add(v)
		}
	}
}

func BenchmarkIntSetContains(b *testing.B) {
	var s IntSet
	for i := int64(0); i < 512; i++ {
		s.Add(i * 3)
	}
	b.ReportAllocs()
	i := int64(0)
	for b.Loop() {
		s.Contains(i % 1536)
		i++
	}
}

func BenchmarkParseSetInt(b *testing.B) {
	in := []string{"12345", "-9223372036854775808", "abc", "01"}
	for b.Loop() {
		for _, s := range in {
			ParseSetInt(s)
		}
	}
}

// TestIntSetBytesPerMember reports the memory the elements take, to
// compare with Redis (2, 4 or 8 bytes per member plus an 8-byte header,
// rounded up to jemalloc's size classes).
func TestIntSetBytesPerMember(t *testing.T) {
	for _, tc := range []struct {
		n    int
		base int64
	}{{512, 0}, {512, 1 << 20}, {512, 1 << 40}} {
		var s IntSet
		for i := 0; i < tc.n; i++ {
			s.Add(tc.base + int64(i))
		}
		t.Logf("%d members from %s: %.2f bytes/member (%d-byte elements)",
			tc.n, strconv.FormatInt(tc.base, 10), float64(s.Bytes())/float64(tc.n), s.width())
	}
}
