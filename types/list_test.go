package types

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"runtime"
	"strconv"
	"testing"
)

// checkList verifies the list's structural invariants: no empty nodes,
// node limits, monotonic boundaries inside the buffers, and the total.
func checkList(t *testing.T, l *List) {
	t.Helper()
	total := 0
	for i := 0; i < l.nodes.len(); i++ {
		nd := l.nodes.at(i)
		if nd.count == 0 {
			t.Fatalf("node %d is empty", i)
		}
		total += int(nd.count)
		if nd.plain() {
			if nd.count != 1 || len(nd.data) <= listNodeMaxBytes {
				t.Fatalf("plain node %d: count %d, %d bytes", i, nd.count, len(nd.data))
			}
			continue
		}
		if nd.count > listNodeMaxItems || nd.liveBytes() > listNodeMaxBytes {
			t.Fatalf("node %d over its limits: %d elements, %d bytes", i, nd.count, nd.liveBytes())
		}
		if len(nd.data) > 1<<16-1 {
			t.Fatalf("node %d buffer of %d bytes overflows 16-bit boundaries", i, len(nd.data))
		}
		top := int(nd.s) + int(nd.count)
		if top >= len(nd.b) {
			t.Fatalf("node %d: boundaries out of the array", i)
		}
		for k := int(nd.s); k < top; k++ {
			if nd.b[k] > nd.b[k+1] {
				t.Fatalf("node %d: boundaries not monotonic", i)
			}
		}
		if nd.end() > len(nd.data) {
			t.Fatalf("node %d: end %d past buffer %d", i, nd.end(), len(nd.data))
		}
	}
	if total != l.n {
		t.Fatalf("nodes hold %d elements, list says %d", total, l.n)
	}
}

func listContents(l *List) [][]byte {
	var out [][]byte
	l.Each(false, func(_ int, v []byte) bool {
		out = append(out, append([]byte(nil), v...))
		return true
	})
	return out
}

func sameContents(t *testing.T, l *List, model [][]byte, step int, op string) {
	t.Helper()
	got := listContents(l)
	if len(got) != len(model) {
		t.Fatalf("step %d (%s): %d elements, model has %d", step, op, len(got), len(model))
	}
	for i := range got {
		if !bytes.Equal(got[i], model[i]) {
			t.Fatalf("step %d (%s): element %d = %q, model %q", step, op, i, got[i], model[i])
		}
	}
}

func randomValue(r *rand.Rand) []byte {
	switch r.IntN(20) {
	case 0:
		return nil
	case 1:
		return bytes.Repeat([]byte{byte('A' + r.IntN(26))}, listNodeMaxBytes+1+r.IntN(100)) // plain
	case 2:
		return bytes.Repeat([]byte{'m'}, 1000+r.IntN(3000))
	default:
		// Few distinct values so LREM and IndexOf find matches.
		return []byte("v" + strconv.Itoa(r.IntN(12)))
	}
}

// TestListModel runs random operations on a List and on a plain slice
// and compares them after every step.
func TestListModel(t *testing.T) {
	for seed := uint64(1); seed <= 4; seed++ {
		t.Run(fmt.Sprint("seed=", seed), func(t *testing.T) { runListModel(t, seed, 1500) })
	}
}

func runListModel(t *testing.T, seed uint64, steps int) {
	r := newRand(seed)
	l := NewList()
	var model [][]byte
	for step := 0; step < steps; step++ {
		op := applyRandomOp(t, r, l, &model)
		checkList(t, l)
		if step%11 == 0 || len(model) < 200 {
			sameContents(t, l, model, step, op)
		}
	}
	sameContents(t, l, model, steps, "end")
	c := l.Clone().(*List)
	l.PushBack([]byte("after clone"))
	sameContents(t, c, model, steps, "clone")
}

func applyRandomOp(t *testing.T, r *rand.Rand, l *List, model *[][]byte) string {
	m := *model
	n := len(m)
	defer func() { *model = m }()
	switch k := r.IntN(16); {
	case k < 3 || n < 50 && k < 6:
		bulk := 1 + r.IntN(200)
		for i := 0; i < bulk; i++ {
			v := randomValue(r)
			if r.IntN(2) == 0 {
				l.PushFront(v)
				m = append([][]byte{v}, m...)
			} else {
				l.PushBack(v)
				m = append(m, v)
			}
		}
		return "push"
	case k == 3 && n > 0:
		for i := r.IntN(20); i >= 0 && len(m) > 0; i-- {
			if !bytes.Equal(l.PopFront(), m[0]) {
				t.Fatal("PopFront differs")
			}
			m = m[1:]
		}
		return "popfront"
	case k == 4 && n > 0:
		for i := r.IntN(20); i >= 0 && len(m) > 0; i-- {
			if !bytes.Equal(l.PopBack(), m[len(m)-1]) {
				t.Fatal("PopBack differs")
			}
			m = m[:len(m)-1]
		}
		return "popback"
	case k == 5 && n > 0:
		i := r.IntN(n)
		if !bytes.Equal(l.Index(i), m[i]) {
			t.Fatalf("Index(%d) = %q, model %q", i, l.Index(i), m[i])
		}
		return "index"
	case k == 6 && n > 0:
		i, v := r.IntN(n), randomValue(r)
		l.Set(i, v)
		m[i] = v
		return "set"
	case k == 7 || k == 8:
		i, v := r.IntN(n+1), randomValue(r)
		l.Insert(i, v)
		m = append(m[:i], append([][]byte{v}, m[i:]...)...)
		return "insert"
	case k == 9 && n > 0:
		i := r.IntN(n)
		l.Remove(i)
		m = append(m[:i:i], m[i+1:]...)
		return "remove"
	case k == 10 && n > 0:
		front, back := r.IntN(n/4+1), r.IntN(n/4+1)
		if front+back > n {
			back = n - front
		}
		l.TrimFront(front)
		l.TrimBack(back)
		m = m[front : len(m)-back]
		return "trim"
	case k == 11 && n > 0:
		start := r.IntN(n)
		stop := start + r.IntN(n-start)
		i := start
		l.Range(start, stop, func(v []byte) {
			if !bytes.Equal(v, m[i]) {
				t.Fatalf("Range element %d = %q, model %q", i, v, m[i])
			}
			i++
		})
		if i != stop+1 {
			t.Fatalf("Range(%d, %d) visited %d", start, stop, i-start)
		}
		return "range"
	case k == 12:
		v, count := randomValue(r), r.IntN(7)-3
		got := l.RemoveEqual(v, count)
		want := modelRemoveEqual(&m, v, count)
		if got != want {
			t.Fatalf("RemoveEqual(%q, %d) = %d, model %d", v, count, got, want)
		}
		return "lrem"
	case k == 13:
		v := randomValue(r)
		want := -1
		for i := range m {
			if bytes.Equal(m[i], v) {
				want = i
				break
			}
		}
		if got := l.IndexOf(v); got != want {
			t.Fatalf("IndexOf(%q) = %d, model %d", v, got, want)
		}
		return "indexof"
	case k == 14 && n > 0:
		// LMOVE on one list: the popped slice aliases the list's storage.
		if r.IntN(2) == 0 {
			l.PushFront(l.PopBack())
			m = append([][]byte{m[n-1]}, m[:n-1]...)
		} else {
			l.PushBack(l.PopFront())
			m = append(m[1:], m[0])
		}
		return "rotate"
	default:
		i := n - 1
		l.Each(true, func(idx int, v []byte) bool {
			if idx != i || !bytes.Equal(v, m[i]) {
				t.Fatalf("Each from tail: index %d (want %d) = %q", idx, i, v)
			}
			i--
			return true
		})
		return "each-tail"
	}
}

func modelRemoveEqual(m *[][]byte, v []byte, count int) int {
	in := *m
	removed := 0
	keep := make([]bool, len(in))
	for i := range keep {
		keep[i] = true
	}
	for k := range in {
		i := k
		if count < 0 {
			i = len(in) - 1 - k
		}
		if bytes.Equal(in[i], v) && (count == 0 || removed < max(count, -count)) {
			keep[i] = false
			removed++
		}
	}
	out := in[:0:0]
	for i, e := range in {
		if keep[i] {
			out = append(out, e)
		}
	}
	*m = out
	return removed
}

func TestListBasics(t *testing.T) {
	l := NewList()
	if l.Encoding() != "quicklist" || l.TypeName() != "list" || l.Len() != 0 {
		t.Fatal("empty list identity")
	}
	if l.PopFront() != nil || l.PopBack() != nil {
		t.Fatal("pop on empty list")
	}
	for i := 0; i < 1000; i++ {
		l.PushBack([]byte(strconv.Itoa(i)))
	}
	checkList(t, l)
	if l.nodes.len() != 1000/listNodeMaxItems+1 {
		t.Fatalf("%d nodes for 1000 small elements", l.nodes.len())
	}
	if got := string(l.Index(500)); got != "500" {
		t.Fatalf("Index(500) = %s", got)
	}
	l.Set(500, []byte("five hundred"))
	l.Insert(500, []byte("before"))
	if string(l.Index(500)) != "before" || string(l.Index(501)) != "five hundred" || l.Len() != 1001 {
		t.Fatal("insert before a set element")
	}
	checkList(t, l)
}

func TestListEmptyElementsAndPlainNodes(t *testing.T) {
	l := NewList()
	big := bytes.Repeat([]byte("x"), 3*listNodeMaxBytes)
	l.PushBack(nil)
	l.PushBack(big)
	l.PushBack([]byte(""))
	l.PushFront(big)
	checkList(t, l)
	if l.Len() != 4 || len(l.Index(0)) != len(big) || len(l.Index(1)) != 0 || len(l.Index(3)) != 0 {
		t.Fatal("plain and empty elements")
	}
	l.Set(1, big)
	l.Set(0, []byte("small"))
	l.Insert(2, big)
	checkList(t, l)
	if string(l.Index(0)) != "small" || len(l.Index(1)) != len(big) || len(l.Index(2)) != len(big) {
		t.Fatal("set and insert with plain elements")
	}
	if n := l.RemoveEqual(big, 0); n != 3 {
		t.Fatalf("removed %d big elements, want 3", n)
	}
	checkList(t, l)
}

// TestListMiddleOperationsStayLocal checks that a million-element list is
// made of bounded nodes, so operations in the middle touch one node.
func TestListMiddleOperationsStayLocal(t *testing.T) {
	l := NewList()
	for i := 0; i < 1_000_000; i++ {
		l.PushBack([]byte("element"))
	}
	if got := l.nodes.len(); got > 1_000_000/listNodeMaxItems+1 {
		t.Fatalf("%d nodes", got)
	}
	for i := 0; i < 1000; i++ {
		l.Insert(500_000, []byte("x"))
	}
	checkList(t, l)
	if string(l.Index(500_000)) != "x" || string(l.Index(501_000)) != "element" {
		t.Fatal("middle inserts")
	}
}

func TestListCloneIsIndependent(t *testing.T) {
	l := NewList()
	for i := 0; i < 300; i++ {
		l.PushFront([]byte(strconv.Itoa(i)))
	}
	c := l.Clone().(*List)
	l.Set(0, []byte("changed"))
	l.PopBack()
	if string(c.Index(0)) != "299" || c.Len() != 300 {
		t.Fatal("clone shares storage")
	}
	checkList(t, c)
}

const benchListSize = 1_000_000

func newBenchList() *List {
	l := NewList()
	for i := 0; i < benchListSize; i++ {
		l.PushBack([]byte(strconv.Itoa(i)))
	}
	return l
}

func BenchmarkListIndexMiddle(b *testing.B) {
	l := newBenchList()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		_ = l.Index(benchListSize/2 + i%64)
	}
}

func BenchmarkListSetMiddle(b *testing.B) {
	l := newBenchList()
	v := []byte("123456")
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		l.Set(benchListSize/2+i%64, v)
	}
}

func BenchmarkListInsertMiddle(b *testing.B) {
	l := newBenchList()
	v := []byte("123456")
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		l.Insert(benchListSize/2, v)
	}
}

func BenchmarkListPushFrontPopBack(b *testing.B) {
	l := NewList()
	v := []byte("payload-16-bytes")
	for i := 0; i < 1000; i++ {
		l.PushFront(v)
	}
	b.ResetTimer()
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		l.PushFront(v)
		l.PopBack()
	}
}

func BenchmarkListPushBack(b *testing.B) {
	l := NewList()
	v := []byte("payload-16-bytes")
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		l.PushBack(v)
	}
}

// TestListBytesPerElement reports the heap cost of a million small
// elements (run with -v to see it).
func TestListBytesPerElement(t *testing.T) {
	if testing.Short() {
		t.Skip("allocates a million elements")
	}
	for _, size := range []int{8, 16, 64} {
		v := bytes.Repeat([]byte("e"), size)
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		l := NewList()
		for i := 0; i < benchListSize; i++ {
			if i%2 == 0 {
				l.PushBack(v)
			} else {
				l.PushFront(v)
			}
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		perElem := float64(after.HeapAlloc-before.HeapAlloc) / benchListSize
		t.Logf("%d-byte elements: %.1f bytes per element (%.1f overhead)", size, perElem, perElem-float64(size))
		runtime.KeepAlive(l)
	}
}

func newRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, seed*7919)) }
