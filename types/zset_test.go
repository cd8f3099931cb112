package types

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
)

// checkTree verifies the tree's invariants: counts match, keys separate
// the children, leaves are linked in order, nodes respect their bounds.
func checkTree(t *testing.T, tr *ztree) []ZItem {
	t.Helper()
	var walk func(n *znode, lo, hi *ZItem, root bool) int
	var leaves []*znode
	walk = func(n *znode, lo, hi *ZItem, root bool) int {
		if n.leaf() {
			for i, it := range n.items {
				require.False(t, i > 0 && !zLess(n.items[i-1], it), "leaf out of order")
				require.False(t, lo != nil && zLess(it, *lo), "item below its lower key")
				require.False(t, hi != nil && !zLess(it, *hi), "item not below its upper key")
			}
			require.True(t, root || len(n.items) >= tr.leafMin(), "leaf underfull: %d", len(n.items))
			require.LessOrEqual(t, len(n.items), tr.leafMax)
			leaves = append(leaves, n)
			return len(n.items)
		}
		require.Len(t, n.in.keys, len(n.in.kids)-1)
		require.Len(t, n.in.counts, len(n.in.kids))
		require.True(t, root || len(n.in.kids) >= tr.innerMin(), "inner underfull")
		require.True(t, len(n.in.kids) >= 2, "inner with one child")
		require.LessOrEqual(t, len(n.in.kids), tr.innerMax)
		total := 0
		for i, k := range n.in.kids {
			l, h := lo, hi
			if i > 0 {
				l = &n.in.keys[i-1]
			}
			if i < len(n.in.keys) {
				h = &n.in.keys[i]
			}
			got := walk(k, l, h, false)
			require.Equal(t, n.in.counts[i], got, "count of child %d", i)
			total += got
		}
		return total
	}
	require.Equal(t, tr.length, walk(tr.root, nil, nil, true))
	var all []ZItem
	var prev *znode
	for i, l := range leaves {
		require.Same(t, prev, l.prev, "leaf %d prev link", i)
		if prev != nil {
			require.Same(t, l, prev.next)
		}
		all = append(all, l.items...)
		prev = l
	}
	if prev != nil {
		require.Nil(t, prev.next)
	}
	return all
}

// contents checks z's structure and returns its items in order.
func contents(t *testing.T, z *ZSet) []ZItem {
	t.Helper()
	if z.big == nil {
		items := z.pack.items()
		require.Len(t, items, z.pack.n)
		return items
	}
	require.Equal(t, z.big.tree.length, z.big.dict.Len())
	return checkTree(t, &z.big.tree)
}

// TestZSetAgainstModel: random adds, score changes, removals and range
// removals keep the set equal to a sorted slice, with ranks, At, counts and
// iteration agreeing, in both encodings.
func TestZSetAgainstModel(t *testing.T) {
	for _, skiplist := range []bool{false, true} {
		t.Run(fmt.Sprint("skiplist=", skiplist), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(1, 2))
			z := NewZSet()
			if skiplist {
				z = NewZSetSkiplist()
			}
			model := map[string]float64{}
			n := 3000
			if !skiplist {
				n = 300
			}
			for step := 0; step < 20000; step++ {
				m := fmt.Sprint("m", rng.IntN(n))
				switch op := rng.IntN(10); {
				case op < 6:
					score := float64(rng.IntN(50))
					_, had := model[m]
					require.Equal(t, !had, z.Set(m, score))
					model[m] = score
				case op < 9:
					_, had := model[m]
					require.Equal(t, had, z.Remove(m))
					delete(model, m)
				default:
					if z.Len() == 0 {
						continue
					}
					start := rng.IntN(z.Len())
					end := min(z.Len()-1, start+rng.IntN(40))
					z.RemoveRange(start, end, func(it ZItem) { delete(model, it.Member) })
				}
				if step%500 == 0 || step == 19999 {
					compareModel(t, z, model)
				}
			}
		})
	}
}

func compareModel(t *testing.T, z *ZSet, model map[string]float64) {
	t.Helper()
	want := make([]ZItem, 0, len(model))
	for m, s := range model {
		want = append(want, ZItem{s, m})
	}
	slices.SortFunc(want, func(a, b ZItem) int {
		if zLess(a, b) {
			return -1
		}
		return 1
	})
	got := contents(t, z)
	require.Equal(t, len(want), z.Len())
	if len(want) == 0 {
		return
	}
	require.Equal(t, want, got)
	for r, it := range want {
		if r%7 != 0 {
			continue
		}
		rank, ok := z.Rank(it.Member)
		require.True(t, ok)
		require.Equal(t, r, rank)
		require.Equal(t, it, z.At(r))
		s, ok := z.Score(it.Member)
		require.True(t, ok)
		require.Equal(t, it.Score, s)
	}
	var asc, desc []ZItem
	start := len(want) / 3
	z.Ascend(start, func(it ZItem) bool { asc = append(asc, it); return true })
	require.Equal(t, want[start:], asc)
	z.Descend(start, func(it ZItem) bool { desc = append(desc, it); return true })
	slices.Reverse(desc)
	require.Equal(t, want[:start+1], desc)
	bound := 25.0
	wantBefore := 0
	for _, it := range want {
		if it.Score < bound {
			wantBefore++
		}
	}
	require.Equal(t, wantBefore, z.CountBefore(func(it ZItem) bool { return it.Score < bound }))
}

func TestZSetConversionsAndClone(t *testing.T) {
	z := NewZSet()
	for i := range 200 {
		z.Set(fmt.Sprint("m", i), float64(i%17))
	}
	z.Set("negzero", -0.0)
	s, _ := z.Score("negzero")
	require.False(t, s < 0 || 1/s < 0, "a listpack stores -0 as 0")
	require.Equal(t, "listpack", z.Encoding())
	before := contents(t, z)
	z.ConvertToSkiplist()
	require.Equal(t, "skiplist", z.Encoding())
	require.Equal(t, before, contents(t, z))
	c := z.Clone().(*ZSet)
	c.Remove("m3")
	_, ok := z.Score("m3")
	require.True(t, ok, "the clone is independent")
	require.Equal(t, before, contents(t, z))
	z.ConvertToListpack()
	require.Equal(t, "listpack", z.Encoding())
	require.Equal(t, before, contents(t, z))
	require.Equal(t, "zset", z.TypeName())
}

func BenchmarkZSetRank1M(b *testing.B) {
	z := NewZSetSkiplist()
	for i := range 1_000_000 {
		z.Set(fmt.Sprint("member:", i), float64(i%100000))
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		z.Rank(fmt.Sprint("member:", i%1_000_000))
	}
}

func BenchmarkZSetAdd(b *testing.B) {
	z := NewZSetSkiplist()
	rng := rand.New(rand.NewPCG(1, 1))
	for i := 0; i < b.N; i++ {
		z.Set(fmt.Sprint("m", rng.IntN(1_000_000)), float64(rng.IntN(1000)))
	}
}

// TestZSetDeepTree grows a deep tree (small node bounds make many levels
// from few items), then shrinks it by random deletions and rank-range
// removals, checking the invariants: splits, rotations and merges of inner
// nodes at every level.
func TestZSetDeepTree(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	z := NewZSetSkiplist()
	z.big.tree.leafMax, z.big.tree.innerMax = 8, 4
	model := map[string]float64{}
	for i := range 30_000 {
		m := fmt.Sprint("k", i)
		s := float64(rng.IntN(1000))
		z.Set(m, s)
		model[m] = s
	}
	depth := 0
	for n := z.big.tree.root; !n.leaf(); n = n.in.kids[0] {
		depth++
	}
	require.Greater(t, depth, 5, "a deep tree")
	compareModel(t, z, model)
	members := make([]string, 0, len(model))
	for m := range model {
		members = append(members, m)
	}
	for i, m := range members[:28_000] {
		require.True(t, z.Remove(m))
		delete(model, m)
		if i%7_000 == 0 {
			compareModel(t, z, model)
		}
	}
	compareModel(t, z, model)
	z.RemoveRange(100, 1_500, func(it ZItem) { delete(model, it.Member) })
	compareModel(t, z, model)
}

func TestZPackScores(t *testing.T) {
	var p zpack
	scores := []float64{0, 1, -1, 2.5, -2.5, 1 << 53, -(1 << 53), 1<<53 + 2, 1e300, math.Inf(1), math.Inf(-1),
		math.SmallestNonzeroFloat64, 123456789, -987654321, math.MaxInt64, math.MinInt64}
	for i, s := range scores {
		p.insert(ZItem{Score: s, Member: fmt.Sprint("m", i)})
	}
	got := map[string]float64{}
	p.ascend(0, func(it ZItem) bool { got[it.Member] = it.Score; return true })
	for i, s := range scores {
		require.Equal(t, s, got[fmt.Sprint("m", i)], "score %v", s)
	}
	var small zpack
	small.append(ZItem{Score: 7, Member: "ab"})
	require.Len(t, small.buf, 4, "an integral score takes one byte here, not eight")
}
