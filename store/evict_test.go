package store

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
)

func fill(db *DB, n int, ttl func(i int) int64) {
	for i := 0; i < n; i++ {
		db.SetString([]byte(fmt.Sprint("key:", i)), "value", ttl(i), false)
	}
}

func TestEvictReachesTarget(t *testing.T) {
	for _, p := range []EvictionPolicy{AllKeysLRU, AllKeysLFU, AllKeysRandom} {
		s := New(2, nil)
		s.TrackDatasetTotal(true)
		fill(s.DB(0), 500, func(int) int64 { return 0 })
		fill(s.DB(1), 500, func(int) int64 { return 0 })
		target := s.DatasetBytes() / 2
		evicted, fits := s.Evict(EvictOptions{Target: target, Policy: p, Samples: 5})
		require.True(t, fits, "policy %d", p)
		require.LessOrEqual(t, s.DatasetBytes(), target)
		require.Greater(t, s.DatasetBytes(), target-200, "evicts no more than needed")
		require.EqualValues(t, evicted, s.EvictedKeys.Load())
		require.Equal(t, 1000-evicted, s.DB(0).Size()+s.DB(1).Size())
		requireAccounted(t, s)
	}
}

func TestVolatileEvictsOnlyKeysWithTTL(t *testing.T) {
	for _, p := range []EvictionPolicy{VolatileLRU, VolatileLFU, VolatileRandom, VolatileTTL} {
		s := New(1, nil)
		s.TrackDatasetTotal(true)
		db := s.DB(0)
		far := s.Clock.NowMs() + 3600_000
		fill(db, 400, func(i int) int64 {
			if i%2 == 0 {
				return far
			}
			return 0
		})
		evicted, fits := s.Evict(EvictOptions{Target: 0, Policy: p, Samples: 5})
		require.False(t, fits, "persistent keys remain")
		require.Equal(t, 200, evicted)
		require.Equal(t, 200, db.Size())
		require.Zero(t, db.ExpiresCount())
	}
}

func TestNoEvictionNeverDeletes(t *testing.T) {
	s := New(1, nil)
	fill(s.DB(0), 10, func(int) int64 { return 0 })
	evicted, fits := s.Evict(EvictOptions{Target: 0, Policy: NoEviction, Samples: 5})
	require.False(t, fits)
	require.Zero(t, evicted)
	require.Equal(t, 10, s.DB(0).Size())
}

func TestEvictionPoolKeepsBestCandidates(t *testing.T) {
	var ev evictor
	for i := 0; i < 40; i++ {
		ev.offer(poolEntry{score: uint64(i * 7 % 40), key: fmt.Sprint(i)})
	}
	ev.offer(poolEntry{score: 100, key: "0"}) // a pooled key is re-scored, not duplicated
	require.Len(t, ev.pool, evictionPoolSize)
	for i := 1; i < len(ev.pool); i++ {
		require.LessOrEqual(t, ev.pool[i-1].score, ev.pool[i].score)
	}
	require.Equal(t, "0", ev.pool[len(ev.pool)-1].key)
	require.EqualValues(t, 25, ev.pool[0].score) // 24 .. 39 and 100 kept, the lowest dropped
}

func TestParseEvictionPolicy(t *testing.T) {
	require.Equal(t, VolatileTTL, ParseEvictionPolicy("volatile-ttl"))
	require.Equal(t, NoEviction, ParseEvictionPolicy("noeviction"))
	require.True(t, VolatileLFU.volatile())
	require.False(t, AllKeysRandom.volatile())
}
