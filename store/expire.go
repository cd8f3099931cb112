package store

import (
	"math/rand/v2"
	"sync/atomic"
	"time"
)

// Clock is the server's single source of time. Tests move it with Advance
// or Set; real time keeps flowing from there.
type Clock struct {
	offset atomic.Int64 // nanoseconds added to the wall clock
}

// NewClock returns a clock reading real time.
func NewClock() *Clock { return &Clock{} }

// Now returns the current time.
func (c *Clock) Now() time.Time { return time.Now().Add(time.Duration(c.offset.Load())) }

// At converts a wall-clock reading into the clock's time.
func (c *Clock) At(wall time.Time) time.Time {
	return wall.Add(time.Duration(c.offset.Load()))
}

// NowMs returns the current unix time in milliseconds.
func (c *Clock) NowMs() int64 { return c.Now().UnixMilli() }

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) { c.offset.Add(int64(d)) }

// Set makes the clock read t now.
func (c *Clock) Set(t time.Time) { c.offset.Store(int64(t.Sub(time.Now()))) }

// Active expiry follows Redis's activeExpireCycle: sample keys that carry a
// TTL, delete the expired ones, and keep going on a shard while more than a
// quarter of the sample was expired, within a time budget per cycle.
const (
	expireSampleSize       = 20 // ACTIVE_EXPIRE_CYCLE_KEYS_PER_LOOP
	expireAcceptablePct    = 10 // stop sampling a shard below this stale share
	expireCycleBudgetShare = 25 // percent of a tick's time the cycle may use
)

// ActiveExpireCycle runs one cycle over every database and reports how many
// keys it deleted. period is the time between cycles (1/hz); the cycle uses
// at most a quarter of it, as Redis's slow cycle does.
func (s *Store) ActiveExpireCycle(period time.Duration) int {
	if s.loading.Load() {
		return 0
	}
	deadline := time.Now().Add(period * expireCycleBudgetShare / 100)
	deleted := 0
	for _, db := range s.dbs {
		for i := range db.shards {
			deleted += s.expireShard(db, i, deadline)
			if time.Now().After(deadline) {
				return deleted
			}
		}
	}
	return deleted
}

func (s *Store) expireShard(db *DB, i int, deadline time.Time) int {
	s.world.RLock()
	defer s.world.RUnlock()
	sh := &db.shards[i]
	sh.mu.Lock()
	defer sh.mu.Unlock()
	deleted := 0
	for len(sh.ttl) > 0 {
		now := s.Clock.NowMs()
		sampled, expired := 0, 0
		for sampled < expireSampleSize && len(sh.ttl) > 0 {
			e := sh.ttl[rand.IntN(len(sh.ttl))]
			sampled++
			if e.Expire <= now {
				db.expire(sh, e, uint64(e.hash))
				expired++
			}
		}
		deleted += expired
		if expired*100 <= sampled*expireAcceptablePct || time.Now().After(deadline) {
			break
		}
	}
	return deleted
}

// SetLoading keeps keys whose TTL has passed from being expired while a
// dataset loads, as Redis expires nothing while loading: an AOF replays
// writes made while such keys were alive (an INCR after the PEXPIREAT
// that set a TTL now past must find the key, and keep the TTL).
func (s *Store) SetLoading(on bool) { s.loading.Store(on) }
