package store

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestSetLookupDelete(t *testing.T) {
	s := New(2, nil)
	db := s.DB(0)
	db.SetString([]byte("a"), "1", 0, false)
	require.Equal(t, "1", db.Lookup([]byte("a"), 0).Str)
	require.Nil(t, s.DB(1).Lookup([]byte("a"), 0))
	require.True(t, db.Delete([]byte("a"), 0))
	require.False(t, db.Delete([]byte("a"), 0))
	require.Equal(t, 0, db.Size())
}

func TestLazyExpiry(t *testing.T) {
	s := New(1, nil)
	db := s.DB(0)
	db.SetString([]byte("k"), "v", 1000, false)
	require.NotNil(t, db.Lookup([]byte("k"), 999))
	require.Nil(t, db.Lookup([]byte("k"), 1000))
	require.Equal(t, 0, db.Size())
	require.Equal(t, 0, db.ExpiresCount())
	require.EqualValues(t, 1, s.ExpiredKeys.Load())
}

func TestKeepTTLAndPersist(t *testing.T) {
	s := New(1, nil)
	db := s.DB(0)
	at := s.Clock.NowMs() + 5000
	e := db.SetString([]byte("k"), "v", at, false)
	require.Equal(t, 1, db.ExpiresCount())
	db.SetString([]byte("k"), "w", 0, true)
	require.EqualValues(t, at, e.Expire)
	db.SetString([]byte("k"), "x", 0, false)
	require.EqualValues(t, 0, e.Expire)
	require.Equal(t, 0, db.ExpiresCount())
}

func TestActiveExpiryReclaimsUntouchedKeys(t *testing.T) {
	clock := NewClock()
	s := New(1, clock)
	db := s.DB(0)
	now := clock.NowMs()
	for i := 0; i < 5000; i++ {
		db.SetString([]byte(fmt.Sprint("k", i)), "v", now+10, false)
	}
	for i := 0; i < 100; i++ {
		db.SetString([]byte(fmt.Sprint("p", i)), "v", 0, false)
	}
	clock.Advance(time.Second)
	for i := 0; i < 1000 && db.ExpiresCount() > 0; i++ {
		s.ActiveExpireCycle(100 * time.Millisecond)
	}
	require.Equal(t, 0, db.ExpiresCount())
	require.Equal(t, 100, db.Size())
}

// TestScanSeesEveryStableKey: keys present for the whole scan are returned
// at least once while other keys are added and deleted (tables grow and
// shrink between calls).
func TestScanSeesEveryStableKey(t *testing.T) {
	s := New(1, nil)
	db := s.DB(0)
	const stable = 3000
	for i := 0; i < stable; i++ {
		db.SetString([]byte(fmt.Sprint("stable:", i)), "v", 0, false)
	}
	seen := map[string]bool{}
	var cursor uint64
	churn := 0
	for {
		cursor = db.Scan(cursor, 10, func(e *Entry) { seen[e.Key] = true })
		// Grow, then shrink, the tables between calls.
		for j := 0; j < 50; j++ {
			db.SetString([]byte(fmt.Sprint("churn:", churn)), "v", 0, false)
			churn++
		}
		if churn%2000 == 0 {
			for j := 0; j < churn; j++ {
				db.Delete([]byte(fmt.Sprint("churn:", j)), 0)
			}
		}
		if cursor == 0 {
			break
		}
	}
	for i := 0; i < stable; i++ {
		require.True(t, seen[fmt.Sprint("stable:", i)], "stable:%d missed", i)
	}
}

// TestKeepTTLOnExpiredKey: an expired key is absent, so KEEPTTL on it must
// not resurrect its old deadline.
func TestKeepTTLOnExpiredKey(t *testing.T) {
	s := New(1, nil)
	db := s.DB(0)
	db.SetString([]byte("k"), "v", s.Clock.NowMs()-1, false)
	e := db.SetString([]byte("k"), "w", 0, true)
	require.EqualValues(t, 0, e.Expire)
	require.Equal(t, 0, db.ExpiresCount())
}

func TestAccessClockLRUAndLFU(t *testing.T) {
	clock := NewClock()
	s := New(1, clock)
	db := s.DB(0)
	db.SetString([]byte("k"), "v", 0, false)
	clock.Advance(10 * time.Second)
	e := db.Peek([]byte("k"))
	require.InDelta(t, 10000, IdleMs(e.AccessClock(), clock.NowMs()), 1000)
	db.Lookup([]byte("k"), clock.NowMs())
	require.InDelta(t, 0, IdleMs(e.AccessClock(), clock.NowMs()), 1000)

	s.SetAccessPolicy(AccessPolicy{LFU: true, LogFactor: 10, DecayTime: 1})
	db.SetString([]byte("f"), "v", 0, false)
	f := db.Peek([]byte("f"))
	require.EqualValues(t, lfuInitVal, LFUDecay(f.AccessClock(), clock.NowMs(), 1))
	for i := 0; i < 1000; i++ {
		db.Lookup([]byte("f"), clock.NowMs())
	}
	hot := LFUDecay(f.AccessClock(), clock.NowMs(), 1)
	require.Greater(t, hot, int64(lfuInitVal))
	clock.Advance(3 * time.Minute)
	require.EqualValues(t, hot-3, LFUDecay(f.AccessClock(), clock.NowMs(), 1))
}

func TestRandomKeySkipsExpired(t *testing.T) {
	s := New(1, nil)
	db := s.DB(0)
	db.SetString([]byte("dead"), "v", 1, false)
	db.SetString([]byte("live"), "v", 0, false)
	for i := 0; i < 20; i++ {
		k, ok := db.RandomKey(100)
		require.True(t, ok)
		require.Equal(t, "live", k)
	}
}

func TestRenameKeepsTTL(t *testing.T) {
	s := New(1, nil)
	db := s.DB(0)
	db.SetString([]byte("a"), "1", 500, false)
	db.SetString([]byte("b"), "2", 0, false)
	require.True(t, db.Rename([]byte("a"), []byte("b"), 0))
	e := db.Lookup([]byte("b"), 0)
	require.Equal(t, "1", e.Str)
	require.EqualValues(t, 500, e.Expire)
	require.Nil(t, db.Lookup([]byte("a"), 0))
	require.Equal(t, 1, db.ExpiresCount())
}

func BenchmarkLookup(b *testing.B) {
	s := New(1, nil)
	db := s.DB(0)
	keys := make([][]byte, 100000)
	for i := range keys {
		keys[i] = []byte(fmt.Sprintf("key:%012d", i))
		db.SetString(keys[i], "value", 0, false)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		db.Lookup(keys[i%len(keys)], 0)
	}
}
