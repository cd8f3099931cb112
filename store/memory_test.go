package store

import (
	"fmt"
	"testing"

	"github.com/kioku-db/kioku/types"
	"github.com/stretchr/testify/require"
)

// recount is what the shards' counters must add up to: every live
// entry's current charge.
func recount(s *Store) int64 {
	var n int64
	for _, db := range s.dbs {
		for i := range db.shards {
			sh := &db.shards[i]
			sh.dict.each(func(e *Entry) bool {
				n += sh.charged(e)
				return true
			})
		}
	}
	return n
}

func requireAccounted(t *testing.T, s *Store) {
	t.Helper()
	require.Equal(t, recount(s), s.sumShards())
	require.Equal(t, s.sumShards(), s.DatasetBytes())
}

func TestAccountingFollowsWrites(t *testing.T) {
	s := New(2, nil)
	s.TrackDatasetTotal(true)
	db, other := s.DB(0), s.DB(1)
	for i := 0; i < 200; i++ {
		db.SetString([]byte(fmt.Sprint("k", i)), fmt.Sprint(i), 0, false)
	}
	requireAccounted(t, s)
	require.Positive(t, s.DatasetBytes())

	// Overwrites, a string replaced by a collection and back, in-place
	// growth signalled by Touched.
	db.SetString([]byte("k1"), string(make([]byte, 1000)), 0, false)
	h := types.NewHash()
	h.Set([]byte("f"), []byte("v"), types.HashLimits{MaxEntries: 128, MaxValue: 64})
	db.SetObject([]byte("k2"), h)
	before := s.DatasetBytes()
	for i := 0; i < 500; i++ {
		h.Set([]byte(fmt.Sprint("field", i)), []byte("value"), types.HashLimits{MaxEntries: 128, MaxValue: 64})
	}
	db.Touched([]byte("k2"))
	require.Greater(t, s.DatasetBytes(), before+500*10)
	requireAccounted(t, s)
	db.SetString([]byte("k2"), "small", 0, false)
	requireAccounted(t, s)

	// A collection renamed, moved, replaced and deleted keeps its charge
	// with its entry.
	db.SetObject([]byte("coll"), h)
	db.Rename([]byte("coll"), []byte("coll2"), 0)
	requireAccounted(t, s)
	require.True(t, db.MoveTo(other, []byte("coll2"), 0))
	requireAccounted(t, s)
	other.SetObject([]byte("coll2"), types.NewHash())
	requireAccounted(t, s)
	other.Delete([]byte("coll2"), 0)
	requireAccounted(t, s)

	// Deletes, expiry, renames, moves, swaps and flushes.
	db.Delete([]byte("k3"), 0)
	db.SetString([]byte("ttl"), "v", 1000, false)
	require.Nil(t, db.Lookup([]byte("ttl"), 2000))
	db.Rename([]byte("k4"), []byte("renamed"), 0)
	db.Rename([]byte("k5"), []byte("k6"), 0)
	require.True(t, db.MoveTo(other, []byte("k7"), 0))
	requireAccounted(t, s)
	s.Swap(db, other)
	requireAccounted(t, s)
	require.Equal(t, s.sumShards(), db.usedBytes()+other.usedBytes())
	other.Flush()
	requireAccounted(t, s)
	require.Zero(t, other.usedBytes())
	db.Flush()
	require.Zero(t, s.DatasetBytes())
}

func TestTrackingTotalSumsOnceTurnedOn(t *testing.T) {
	s := New(1, nil)
	db := s.DB(0)
	db.SetString([]byte("a"), "1", 0, false)
	s.TrackDatasetTotal(true)
	require.Equal(t, s.sumShards(), s.total.Load())
	s.TrackDatasetTotal(false)
	db.SetString([]byte("b"), "2", 0, false)
	require.Equal(t, s.sumShards(), s.DatasetBytes())
	s.TrackDatasetTotal(true)
	require.Equal(t, s.sumShards(), s.total.Load())
}

func TestObjectSizeGrowsWithElements(t *testing.T) {
	small, big := types.NewList(), types.NewList()
	small.PushBack([]byte("x"))
	for i := 0; i < 1000; i++ {
		big.PushBack([]byte("0123456789"))
	}
	require.Less(t, ObjectSize(small, 5), ObjectSize(big, 5))
	require.Greater(t, ObjectSize(big, 5), int64(1000*10))
	set := types.NewSet()
	for i := 0; i < 100; i++ {
		set.Add(fmt.Sprint(i), 512)
	}
	require.Greater(t, ObjectSize(set, 0), int64(100*2))
	z := types.NewZSet()
	z.Set("member", 1)
	require.Positive(t, ObjectSize(z, 5))
}

func TestMemoryUsageFindsUnreclaimedExpiredKeys(t *testing.T) {
	s := New(1, nil)
	db := s.DB(0)
	_, ok := db.MemoryUsage([]byte("nokey"), 5)
	require.False(t, ok)
	db.SetString([]byte("k"), "v", 1, false) // long expired, not reclaimed
	n, ok := db.MemoryUsage([]byte("k"), 5)
	require.True(t, ok)
	require.Equal(t, stringEntrySize(db.Peek([]byte("k"))), n)
}

func TestAllocBytesRoundsToSizeClasses(t *testing.T) {
	for _, c := range []struct{ n, want int }{
		{0, 0}, {1, 8}, {8, 8}, {9, 16}, {17, 32}, {512, 512}, {513, 576}, {1000, 1024}, {40000, 40960},
	} {
		require.EqualValues(t, c.want, allocBytes(c.n), "allocBytes(%d)", c.n)
	}
}
