package types

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

// defaultLimits are Redis 7.0's defaults for hash-max-listpack-entries
// and hash-max-listpack-value.
var defaultLimits = HashLimits{MaxEntries: 512, MaxValue: 64}

func bs(s string) []byte { return []byte(s) }

// pairs lists a hash's pairs in Each order as "field=value".
func pairs(h *Hash) []string {
	var out []string
	h.Each(func(f, v []byte) bool {
		out = append(out, string(f)+"="+string(v))
		return true
	})
	return out
}

func TestHashBasics(t *testing.T) {
	for _, enc := range []string{"listpack", "hashtable"} {
		t.Run(enc, func(t *testing.T) {
			h := NewHash()
			lim := defaultLimits
			if enc == "hashtable" {
				lim.MaxEntries = 0
			}
			if h.TypeName() != "hash" || h.Len() != 0 {
				t.Fatal("new hash")
			}
			if !h.Set(bs("a"), bs("1"), lim) || h.Set(bs("a"), bs("2"), lim) || !h.Set(bs(""), bs(""), lim) {
				t.Fatal("Set must report new fields only")
			}
			if h.Encoding() != enc {
				t.Fatalf("encoding %s, want %s", h.Encoding(), enc)
			}
			if v, ok := h.Get(bs("a")); !ok || string(v) != "2" {
				t.Fatalf("Get(a) = %q, %v", v, ok)
			}
			if v, ok := h.Get(bs("")); !ok || len(v) != 0 {
				t.Fatalf(`Get("") = %q, %v`, v, ok)
			}
			if _, ok := h.Get(bs("zz")); ok || h.Has(bs("zz")) || !h.Has(bs("a")) {
				t.Fatal("Has/Get of a missing field")
			}
			if h.Len() != 2 || !h.Delete(bs("a")) || h.Delete(bs("a")) || h.Len() != 1 {
				t.Fatal("Delete")
			}
		})
	}
}

func TestHashListpackKeepsInsertionOrder(t *testing.T) {
	h := NewHash()
	for _, f := range []string{"c", "a", "b", "d"} {
		h.Set(bs(f), bs("v"+f), defaultLimits)
	}
	h.Set(bs("a"), bs("a much longer value than before"), defaultLimits) // in place
	h.Set(bs("b"), bs(""), defaultLimits)
	h.Delete(bs("c"))
	h.Set(bs("c"), bs("again"), defaultLimits)
	want := "a=a much longer value than before,b=,d=vd,c=again"
	if got := strings.Join(pairs(h), ","); got != want {
		t.Fatalf("order %s, want %s", got, want)
	}
}

func TestHashConversionThresholds(t *testing.T) {
	lim := HashLimits{MaxEntries: 4, MaxValue: 8}
	fill := func(n int) *Hash {
		h := NewHash()
		for i := 0; i < n; i++ {
			h.Set(bs("f"+strconv.Itoa(i)), bs("v"), lim)
		}
		return h
	}
	if enc := fill(4).Encoding(); enc != "listpack" {
		t.Fatalf("4 entries with max 4: %s", enc)
	}
	if enc := fill(5).Encoding(); enc != "hashtable" {
		t.Fatalf("5 entries with max 4: %s", enc)
	}
	for _, tc := range []struct {
		field, value string
		want         string
	}{
		{"12345678", "12345678", "listpack"},
		{"123456789", "v", "hashtable"},
		{"f", "123456789", "hashtable"},
	} {
		h := fill(1)
		h.Set(bs(tc.field), bs(tc.value), lim)
		if h.Encoding() != tc.want {
			t.Errorf("Set(%q, %q): %s, want %s", tc.field, tc.value, h.Encoding(), tc.want)
		}
	}
	// Never back: deleting down to one small pair keeps the hashtable.
	h := fill(6)
	for i := 1; i < 6; i++ {
		h.Delete(bs("f" + strconv.Itoa(i)))
	}
	if h.Encoding() != "hashtable" || h.Len() != 1 {
		t.Fatal("a hashtable must not convert back")
	}
	// With max entries 0 the first pair converts.
	z := NewHash()
	z.Set(bs("a"), bs("b"), HashLimits{MaxEntries: 0, MaxValue: 64})
	if z.Encoding() != "hashtable" {
		t.Fatal("max entries 0 keeps no listpack")
	}
	// Conversion keeps every pair.
	big := fill(4)
	big.Set(bs("f1"), bs("123456789"), lim)
	if got := strings.Join(sortedCopy(pairs(big)), ","); got != "f0=v,f1=123456789,f2=v,f3=v" {
		t.Fatalf("after conversion: %s", got)
	}
}

func sortedCopy(xs []string) []string {
	out := append([]string(nil), xs...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

// TestHashMatchesMap drives hashes and a Go map with the same random
// operations, in both encodings and through conversion, with binary and
// long values (multi-byte length prefixes).
func TestHashMatchesMap(t *testing.T) {
	for _, lim := range []HashLimits{
		{MaxEntries: 1 << 30, MaxValue: 1 << 30}, // listpack only
		{MaxEntries: 40, MaxValue: 200},          // converts along the way
		{MaxEntries: 0, MaxValue: 0},             // hashtable at once
	} {
		t.Run(fmt.Sprintf("%+v", lim), func(t *testing.T) {
			r := rand.New(rand.NewPCG(7, 8))
			h := NewHash()
			m := map[string]string{}
			for i := 0; i < 20000; i++ {
				f := strconv.Itoa(r.IntN(60))
				if r.IntN(7) == 0 {
					f = "\x00\xff" + f
				}
				if r.IntN(3) == 0 {
					_, had := m[f]
					delete(m, f)
					if h.Delete(bs(f)) != had {
						t.Fatalf("Delete(%q) disagrees", f)
					}
				} else {
					v := strings.Repeat("x", r.IntN(300))
					_, had := m[f]
					m[f] = v
					if h.Set(bs(f), bs(v), lim) == had {
						t.Fatalf("Set(%q) disagrees", f)
					}
				}
				if h.Len() != len(m) {
					t.Fatalf("Len %d, map %d", h.Len(), len(m))
				}
			}
			for f, v := range m {
				if got, ok := h.Get(bs(f)); !ok || string(got) != v {
					t.Fatalf("Get(%q) wrong", f)
				}
			}
			n := 0
			h.Each(func(f, v []byte) bool {
				if m[string(f)] != string(v) {
					t.Fatalf("Each gave %q", f)
				}
				n++
				return true
			})
			if n != len(m) {
				t.Fatalf("Each visited %d of %d", n, len(m))
			}
		})
	}
}

func TestHashSetPairs(t *testing.T) {
	h := NewHash()
	if added := h.SetPairs([][]byte{bs("a"), bs("1"), bs("b"), bs("2"), bs("a"), bs("3")}, defaultLimits); added != 2 {
		t.Fatalf("SetPairs added %d, want 2", added)
	}
	// Sized for every pair given (a repeated field leaves its room unused).
	if got := strings.Join(pairs(h), ","); got != "a=3,b=2" || cap(h.lp) != 12 {
		t.Fatalf("SetPairs: %s, %d bytes of room for %d", got, cap(h.lp), len(h.lp))
	}
	if h.SetPairs([][]byte{bs("c"), bs("4")}, defaultLimits) != 1 || h.Len() != 3 {
		t.Fatal("SetPairs on an existing hash")
	}
	big := NewHash()
	var many [][]byte
	for i := 0; i < 5; i++ {
		many = append(many, bs(strconv.Itoa(i)), bs("v"))
	}
	if big.SetPairs(many, HashLimits{MaxEntries: 4, MaxValue: 64}) != 5 || big.Encoding() != "hashtable" {
		t.Fatal("SetPairs past the entry limit converts")
	}
}

func TestHashScan(t *testing.T) {
	h := NewHash()
	for i := 0; i < 10; i++ {
		h.Set(bs(strconv.Itoa(i)), bs("v"), defaultLimits)
	}
	n := 0
	if next := h.Scan(12345, func(f, v []byte) { n++ }); next != 0 || n != 10 {
		t.Fatalf("listpack scan: cursor %d after %d pairs, want 0 after 10", next, n)
	}
	for i := 10; i < 1000; i++ {
		h.Set(bs(strconv.Itoa(i)), bs("v"), defaultLimits)
	}
	seen := map[string]bool{}
	calls := 0
	for cur := uint64(0); ; calls++ {
		cur = h.Scan(cur, func(f, v []byte) { seen[string(f)] = true })
		if cur == 0 {
			break
		}
	}
	if len(seen) != 1000 || calls < 100 {
		t.Fatalf("hashtable scan saw %d fields in %d calls", len(seen), calls)
	}
}

func TestHashRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	if _, _, ok := NewHash().Random(r.IntN); ok {
		t.Fatal("Random of an empty hash")
	}
	for _, size := range []int{5, 300} {
		h := NewHash()
		for i := 0; i < size; i++ {
			h.Set(bs(strconv.Itoa(i)), bs("v"+strconv.Itoa(i)), defaultLimits)
		}
		t.Run(h.Encoding(), func(t *testing.T) {
			f, v, ok := h.Random(r.IntN)
			if !ok || "v"+string(f) != string(v) {
				t.Fatalf("Random gave %q=%q", f, v)
			}
			n := 0
			h.RandomPairs(1000, r.IntN, func(f, v []byte) {
				if "v"+string(f) != string(v) {
					t.Fatalf("RandomPairs gave %q=%q", f, v)
				}
				n++
			})
			if n != 1000 {
				t.Fatalf("RandomPairs gave %d pairs", n)
			}
			for _, want := range []int{1, size / 10, size / 2, size - 1, size, size + 5} {
				seen := map[string]bool{}
				var order []string
				h.RandomDistinct(want, r.IntN, func(f, v []byte) {
					if seen[string(f)] {
						t.Fatalf("RandomDistinct(%d) repeated %q", want, f)
					}
					seen[string(f)] = true
					order = append(order, string(f)+"="+string(v))
				})
				if len(seen) != min(want, size) {
					t.Fatalf("RandomDistinct(%d) gave %d", want, len(seen))
				}
				if want >= size && strings.Join(order, ",") != strings.Join(pairs(h), ",") {
					t.Fatalf("RandomDistinct(%d) of %d must be the whole hash in order", want, size)
				}
			}
		})
	}
}

func TestHashCloneIsDeep(t *testing.T) {
	for _, lim := range []HashLimits{defaultLimits, {MaxEntries: 0, MaxValue: 64}} {
		h := NewHash()
		h.Set(bs("a"), bs("1"), lim)
		h.Set(bs("b"), bs("2"), lim)
		c := h.Clone().(*Hash)
		h.Set(bs("a"), bs("changed"), lim)
		h.Delete(bs("b"))
		h.Set(bs("c"), bs("3"), lim)
		if got := strings.Join(sortedCopy(pairs(c)), ","); got != "a=1,b=2" || c.Encoding() != h.Encoding() {
			t.Fatalf("%s clone changed with the original: %s", h.Encoding(), got)
		}
	}
}

// TestHashPackedPairs covers the hashtable's one-allocation pairs: empty
// fields and values, values whose length takes several bytes, and
// replacing a value with one of another length.
func TestHashPackedPairs(t *testing.T) {
	lim := HashLimits{MaxEntries: 0, MaxValue: 1 << 20}
	h := NewHash()
	long := strings.Repeat("v", 70000) // a three-byte length
	for _, tc := range [][2]string{{"", ""}, {"", "x"}, {"f", ""}, {"f", long}, {"g", "short"}, {"f", "back"}} {
		h.Set(bs(tc[0]), bs(tc[1]), lim)
		if v, ok := h.Get(bs(tc[0])); !ok || string(v) != tc[1] {
			t.Fatalf("after Set(%q, %d bytes): Get gave %d bytes, %v", tc[0], len(tc[1]), len(v), ok)
		}
	}
	if got := strings.Join(sortedCopy(pairs(h)), ","); got != "=x,f=back,g=short" || h.Encoding() != "hashtable" {
		t.Fatalf("pairs %s in %s", got, h.Encoding())
	}
}

func TestHashViewsAreCapped(t *testing.T) {
	h := NewHash()
	h.Set(bs("a"), bs("1"), defaultLimits)
	h.Set(bs("b"), bs("2"), defaultLimits)
	v, _ := h.Get(bs("a"))
	_ = append(v, 'X') // must not write over the next entry
	if got, _ := h.Get(bs("b")); !bytes.Equal(got, bs("2")) {
		t.Fatal("appending to a view overwrote the hash")
	}
}

// benchHash builds a hash of n fields "field:i" -> "value:i".
func benchHash(n int, lim HashLimits) (*Hash, [][]byte) {
	h := NewHash()
	fields := make([][]byte, n)
	for i := range fields {
		fields[i] = bs("field:" + strconv.Itoa(i))
		h.Set(fields[i], bs("value:"+strconv.Itoa(i)), lim)
	}
	return h, fields
}

func BenchmarkHashGet(b *testing.B) {
	for _, tc := range []struct {
		name string
		n    int
		lim  HashLimits
	}{
		{"listpack/8", 8, defaultLimits},
		{"listpack/128", 128, defaultLimits},
		{"hashtable/128", 128, HashLimits{}},
		{"hashtable/65536", 1 << 16, HashLimits{}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			h, fields := benchHash(tc.n, tc.lim)
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				if _, ok := h.Get(fields[i%len(fields)]); !ok {
					b.Fatal("missing")
				}
			}
		})
	}
}

func BenchmarkHashSetExisting(b *testing.B) {
	for _, tc := range []struct {
		name string
		lim  HashLimits
	}{{"listpack", defaultLimits}, {"hashtable", HashLimits{}}} {
		b.Run(tc.name, func(b *testing.B) {
			h, fields := benchHash(100, tc.lim)
			vals := [][]byte{[]byte("short"), []byte("a somewhat longer value")}
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				h.Set(fields[i%len(fields)], vals[i&1], tc.lim)
			}
		})
	}
}

// BenchmarkHashBuild builds hashes of 10 fields, the typical object hash
// (a user profile, a session).
func BenchmarkHashBuild(b *testing.B) {
	fields := make([][]byte, 10)
	for i := range fields {
		fields[i] = []byte("field:" + strconv.Itoa(i))
	}
	val := []byte("value")
	b.ReportAllocs()
	for b.Loop() {
		h := NewHash()
		for _, f := range fields {
			h.Set(f, val, defaultLimits)
		}
	}
}

// TestHashBytesPerField measures the heap cost of a field (10-byte field
// names and values) and guards it: 10-field hashes in the listpack, set
// one HSET per field or all in one HSET, and one hash of a million fields
// in the hashtable. Redis 7.0 takes about 33 bytes per field for the
// first (used_memory, key overhead included) and 72 for the last.
func TestHashBytesPerField(t *testing.T) {
	if testing.Short() {
		t.Skip("measures memory")
	}
	for _, tc := range []struct {
		name           string
		hashes, fields int
		oneCall        bool
		limit          float64
	}{
		{"listpack, field by field", 100000, 10, false, 34},
		{"listpack, one HSET", 100000, 10, true, 30},
		{"hashtable", 1, 1000000, false, 68},
	} {
		before := heapInUse()
		hs := make([]*Hash, tc.hashes)
		for i := range hs {
			hs[i] = NewHash()
			var pairs [][]byte
			for j := 0; j < tc.fields; j++ {
				f, v := fmt.Appendf(nil, "field%05d", j), fmt.Appendf(nil, "value%05d", j%100000)
				if tc.oneCall {
					pairs = append(pairs, f, v)
				} else {
					hs[i].Set(f, v, defaultLimits)
				}
			}
			hs[i].SetPairs(pairs, defaultLimits)
		}
		perField := float64(heapInUse()-before) / float64(tc.hashes*tc.fields)
		t.Logf("%-26s %6.2f bytes/field (%s)", tc.name, perField, hs[0].Encoding())
		if perField > tc.limit {
			t.Errorf("%s: %.2f bytes per field, over %.0f", tc.name, perField, tc.limit)
		}
		runtime.KeepAlive(hs)
	}
}

func heapInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}
