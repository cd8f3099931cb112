package types

import (
	"math/rand/v2"
	"strconv"
	"testing"
	"unsafe"
)

func TestDictSetGetDelete(t *testing.T) {
	var d Dict[int]
	if _, ok := d.Get("missing"); ok || d.Len() != 0 || d.Delete("missing") {
		t.Fatal("zero dict is not empty")
	}
	if !d.Set("a", 1) || d.Set("a", 2) {
		t.Fatal("Set must report new keys only")
	}
	if v, ok := d.Get("a"); !ok || v != 2 {
		t.Fatalf("Get(a) = %d, %v; want 2, true", v, ok)
	}
	if !d.Set("", 3) || !d.Has("") {
		t.Fatal("the empty key is a key")
	}
	if d.Len() != 2 {
		t.Fatalf("Len = %d, want 2", d.Len())
	}
	if !d.Delete("a") || d.Delete("a") || d.Has("a") || d.Len() != 1 {
		t.Fatal("Delete must remove once")
	}
}

func TestDictPutReplacesKey(t *testing.T) {
	var d Dict[int]
	first := string([]byte("key"))
	if !d.Put(first, 1) {
		t.Fatal("Put of a new key")
	}
	second := string([]byte("key"))
	if d.Put(second, 2) {
		t.Fatal("Put of an existing key")
	}
	d.Each(func(k string, v int) bool {
		if v != 2 || unsafe.StringData(k) != unsafe.StringData(second) {
			t.Fatal("Put must keep the new key string and value")
		}
		return true
	})
	d.Set(string([]byte("key")), 3)
	d.Each(func(k string, v int) bool {
		if v != 3 || unsafe.StringData(k) != unsafe.StringData(second) {
			t.Fatal("Set must keep the stored key string")
		}
		return true
	})
}

// TestDictMatchesMap drives a dict and a Go map with the same random
// operations, through growth and shrinking.
func TestDictMatchesMap(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	d := NewDict[int](0)
	m := map[string]int{}
	for i := 0; i < 200000; i++ {
		k := strconv.Itoa(r.IntN(5000))
		switch {
		case i%100000 > 60000: // a long deleting phase makes tables shrink
			if d.Delete(k) != (func() bool { _, ok := m[k]; delete(m, k); return ok })() {
				t.Fatalf("Delete(%s) disagrees with the map", k)
			}
		default:
			_, had := m[k]
			m[k] = i
			if d.Set(k, i) == had {
				t.Fatalf("Set(%s) new=%v, map had=%v", k, !had, had)
			}
		}
		if d.Len() != len(m) {
			t.Fatalf("Len = %d, map has %d", d.Len(), len(m))
		}
	}
	for k, v := range m {
		if got, ok := d.Get(k); !ok || got != v {
			t.Fatalf("Get(%s) = %d, %v; want %d", k, got, ok, v)
		}
	}
	n := 0
	for k, v := range d.Each {
		if m[k] != v {
			t.Fatalf("Each gave %s=%d, want %d", k, v, m[k])
		}
		n++
	}
	if n != len(m) {
		t.Fatalf("Each visited %d, want %d", n, len(m))
	}
}

func TestDictTableSizes(t *testing.T) {
	d := NewDict[struct{}](0)
	for i := 0; i < 1000; i++ {
		d.Set(strconv.Itoa(i), struct{}{})
	}
	if len(d.table) != 1024 {
		t.Fatalf("table of 1000 elements has %d buckets, want 1024", len(d.table))
	}
	for i := 0; i < 995; i++ {
		d.Delete(strconv.Itoa(i))
	}
	// Each time the fill drops below 10% the table shrinks to the smallest
	// power of two that holds the rest: 1024 -> 128 (at 102) -> 16 (at 12).
	if len(d.table) != 16 {
		t.Fatalf("table of 5 elements has %d buckets, want 16", len(d.table))
	}
	if got := len(NewDict[int](100).table); got != 128 {
		t.Fatalf("NewDict(100) has %d buckets, want 128", got)
	}
}

func TestDictEachStops(t *testing.T) {
	d := NewDict[int](0)
	for i := 0; i < 100; i++ {
		d.Set(strconv.Itoa(i), i)
	}
	n := 0
	d.Each(func(string, int) bool { n++; return n < 10 })
	if n != 10 {
		t.Fatalf("Each went on after false: %d calls", n)
	}
}

// scanAllWhile runs a full scan, calling between before each step (after
// the first) to change the dict, and returns how often each key was seen.
func scanAllWhile(d *Dict[int], between func(step int)) map[string]int {
	seen := map[string]int{}
	cursor := uint64(0)
	for step := 0; ; step++ {
		if step > 0 {
			between(step)
		}
		cursor = d.Scan(cursor, func(k string, _ int) { seen[k]++ })
		if cursor == 0 {
			return seen
		}
	}
}

func TestDictScanVisitsEverything(t *testing.T) {
	d := NewDict[int](0)
	for i := 0; i < 1000; i++ {
		d.Set(strconv.Itoa(i), i)
	}
	seen := scanAllWhile(d, func(int) {})
	for i := 0; i < 1000; i++ {
		if seen[strconv.Itoa(i)] != 1 {
			t.Fatalf("key %d seen %d times in a stable table", i, seen[strconv.Itoa(i)])
		}
	}
	var empty Dict[int]
	if empty.Scan(0, func(string, int) { t.Fatal("empty dict visited") }) != 0 {
		t.Fatal("empty dict scan must end at once")
	}
}

// TestDictScanSurvivesResizes checks SCAN's guarantee: elements present
// for the whole scan are returned even when the table grows or shrinks
// between calls.
func TestDictScanSurvivesResizes(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(d *Dict[int], step int)
	}{
		{"grow", func(d *Dict[int], step int) {
			if step > 60 {
				return // a table that grows forever is never fully scanned
			}
			for j := 0; j < 50; j++ {
				d.Set("new"+strconv.Itoa(step*50+j), 0)
			}
		}},
		{"shrink", func(d *Dict[int], step int) {
			for j := 0; j < 40; j++ {
				d.Delete("tmp" + strconv.Itoa(step*40+j))
			}
		}},
		{"grow then shrink", func(d *Dict[int], step int) {
			if step < 5 {
				for j := 0; j < 2000; j++ {
					d.Set("new"+strconv.Itoa(step*2000+j), 0)
				}
				return
			}
			for j := 0; j < 2000; j++ {
				d.Delete("new" + strconv.Itoa((step-5)*2000+j))
				d.Delete("tmp" + strconv.Itoa((step-5)*2000+j))
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := NewDict[int](0)
			for i := 0; i < 300; i++ {
				d.Set("stable"+strconv.Itoa(i), i)
			}
			for i := 0; i < 4000; i++ {
				d.Set("tmp"+strconv.Itoa(i), i)
			}
			seen := scanAllWhile(d, func(step int) { tc.change(d, step) })
			for i := 0; i < 300; i++ {
				if seen["stable"+strconv.Itoa(i)] == 0 {
					t.Fatalf("stable%d was never returned", i)
				}
			}
		})
	}
}

func TestDictRandom(t *testing.T) {
	var empty Dict[int]
	if k, v := empty.Random(rand.IntN); k != "" || v != 0 {
		t.Fatal("Random of an empty dict must return zero values")
	}
	d := NewDict[int](0)
	const n = 20
	for i := 0; i < n; i++ {
		d.Set(strconv.Itoa(i), i)
	}
	r := rand.New(rand.NewPCG(3, 4))
	counts := map[string]int{}
	for i := 0; i < 20000; i++ {
		k, v := d.Random(r.IntN)
		if strconv.Itoa(v) != k {
			t.Fatalf("Random returned %s=%d", k, v)
		}
		counts[k]++
	}
	// Roughly fair: every element drawn, none hugely favoured. As with
	// Redis's dictGetRandomKey, a bucket is drawn first, then a member of
	// its chain: one in a chain of four comes up about a third as often,
	// and where chains form depends on the process's hash seed.
	for i := 0; i < n; i++ {
		if c := counts[strconv.Itoa(i)]; c < 20000/n/6 || c > 20000/n*6 {
			t.Fatalf("element %d drawn %d times of 20000", i, c)
		}
	}
}

func TestDictClone(t *testing.T) {
	d := NewDict[int](0)
	for i := 0; i < 100; i++ {
		d.Set(strconv.Itoa(i), i)
	}
	c := d.Clone()
	d.Set("0", -1)
	d.Delete("1")
	if v, _ := c.Get("0"); v != 0 || !c.Has("1") || c.Len() != 100 {
		t.Fatal("clone changed with the original")
	}
	// The same table size gives the same scan order.
	var a, b []string
	for cur := uint64(0); ; {
		cur = c.Scan(cur, func(k string, _ int) { a = append(a, k) })
		if cur == 0 {
			break
		}
	}
	c2 := c.Clone()
	for cur := uint64(0); ; {
		cur = c2.Scan(cur, func(k string, _ int) { b = append(b, k) })
		if cur == 0 {
			break
		}
	}
	if len(a) != len(b) {
		t.Fatalf("clone scan lengths differ: %d vs %d", len(a), len(b))
	}
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("clone scan order differs at %d", i)
		}
	}
	var zero Dict[int]
	if zero.Clone().Len() != 0 {
		t.Fatal("clone of the zero dict")
	}
}

func benchKeys(n int) []string {
	keys := make([]string, n)
	for i := range keys {
		keys[i] = "field:" + strconv.Itoa(i)
	}
	return keys
}

func BenchmarkDictSet(b *testing.B) {
	keys := benchKeys(1 << 16)
	b.ReportAllocs()
	d := NewDict[string](0)
	for i := 0; b.Loop(); i++ {
		if i&(len(keys)-1) == 0 {
			d = NewDict[string](0)
		}
		d.Set(keys[i&(len(keys)-1)], "v")
	}
}

func BenchmarkDictGet(b *testing.B) {
	keys := benchKeys(1 << 16)
	d := NewDict[string](0)
	for _, k := range keys {
		d.Set(k, "v")
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if _, ok := d.Get(keys[i&(len(keys)-1)]); !ok {
			b.Fatal("missing")
		}
	}
}

func BenchmarkGoMapGet(b *testing.B) {
	keys := benchKeys(1 << 16)
	m := map[string]string{}
	for _, k := range keys {
		m[k] = "v"
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if _, ok := m[keys[i&(len(keys)-1)]]; !ok {
			b.Fatal("missing")
		}
	}
}

func BenchmarkDictScan(b *testing.B) {
	d := NewDict[string](0)
	for _, k := range benchKeys(1 << 16) {
		d.Set(k, "v")
	}
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		for cur := uint64(0); ; {
			cur = d.Scan(cur, func(string, string) { n++ })
			if cur == 0 {
				break
			}
		}
	}
}

func BenchmarkDictRandom(b *testing.B) {
	d := NewDict[string](0)
	for _, k := range benchKeys(1 << 16) {
		d.Set(k, "v")
	}
	r := rand.New(rand.NewPCG(1, 1))
	b.ReportAllocs()
	for b.Loop() {
		d.Random(r.IntN)
	}
}
