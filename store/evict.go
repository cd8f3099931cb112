package store

import (
	"math"
	"math/rand/v2"
	"sync"
)

// Eviction under maxmemory, Redis's evict.c: sample a few keys, keep the
// best candidates seen so far in a small pool, delete the best, repeat
// until the dataset fits.

// EvictionPolicy is a maxmemory-policy.
type EvictionPolicy uint8

// The maxmemory-policy values.
const (
	NoEviction EvictionPolicy = iota
	AllKeysLRU
	VolatileLRU
	AllKeysLFU
	VolatileLFU
	AllKeysRandom
	VolatileRandom
	VolatileTTL
)

var policyNames = map[string]EvictionPolicy{
	"noeviction": NoEviction, "allkeys-lru": AllKeysLRU, "volatile-lru": VolatileLRU,
	"allkeys-lfu": AllKeysLFU, "volatile-lfu": VolatileLFU, "allkeys-random": AllKeysRandom,
	"volatile-random": VolatileRandom, "volatile-ttl": VolatileTTL,
}

// ParseEvictionPolicy maps a maxmemory-policy name (lower case, as CONFIG
// GET shows it) to its policy; unknown names are noeviction.
func ParseEvictionPolicy(name string) EvictionPolicy { return policyNames[name] }

// volatile policies only evict keys that carry a TTL.
func (p EvictionPolicy) volatile() bool {
	return p == VolatileLRU || p == VolatileLFU || p == VolatileRandom || p == VolatileTTL
}

func (p EvictionPolicy) random() bool { return p == AllKeysRandom || p == VolatileRandom }

// evictionPoolSize is EVPOOL_SIZE.
const evictionPoolSize = 16

// poolEntry is a candidate: the higher its score (idle time, inverse
// frequency, or how soon it expires), the better a victim.
type poolEntry struct {
	score uint64
	db    *DB
	key   string
}

// evictor is the store's eviction state. Its mutex makes one client
// evict at a time; the others, also over the limit, wait and then find
// the work done.
type evictor struct {
	mu     sync.Mutex
	pool   []poolEntry // ascending by score: the best candidate last
	policy EvictionPolicy
	nextDB int // round robin of the random policies
}

// EvictOptions says how far and how to evict.
type EvictOptions struct {
	// Target: evict until DatasetBytes is at most this.
	Target  int64
	Policy  EvictionPolicy
	Samples int // maxmemory-samples
}

// Evict deletes keys chosen by the policy until the dataset fits the
// target. It reports how many keys it deleted and whether the dataset
// fits; it does not fit when the policy forbids eviction or no key is
// left to evict. Call it holding no keyspace lock.
func (s *Store) Evict(o EvictOptions) (evicted int, fits bool) {
	s.evictor.mu.Lock()
	defer s.evictor.mu.Unlock()
	if o.Policy != s.evictor.policy {
		// Scores of another policy do not compare with this one's.
		s.evictor.pool, s.evictor.policy = s.evictor.pool[:0], o.Policy
	}
	for s.DatasetBytes() > o.Target {
		if o.Policy == NoEviction || !s.evictOne(o) {
			return evicted, false
		}
		evicted++
	}
	return evicted, true
}

// evictOne deletes one key chosen by the policy; false when none is left.
// Like Redis it samples again before every eviction, so the pool always
// holds the best candidates seen, not the leftovers of one sample.
func (s *Store) evictOne(o EvictOptions) bool {
	if o.Policy.random() {
		return s.evictRandom(o.Policy)
	}
	for s.populateEvictionPool(o) {
		for len(s.evictor.pool) > 0 {
			best := s.evictor.pool[len(s.evictor.pool)-1]
			s.evictor.pool = s.evictor.pool[:len(s.evictor.pool)-1]
			// The candidate may be gone (or have lost its TTL) since it
			// was sampled: then try the next best.
			if best.db.evictKey(best.key, o.Policy.volatile()) {
				return true
			}
		}
	}
	return false
}

// populateEvictionPool samples each database with keys (Redis's
// evictionPoolPopulate) and reports whether any key was seen.
func (s *Store) populateEvictionPool(o EvictOptions) bool {
	seen := false
	now := s.Clock.NowMs()
	for _, db := range s.dbs {
		if db.sample(o, func(sh *shard, e *Entry) {
			s.evictor.offer(poolEntry{s.evictionScore(e, o.Policy, now), db, e.Key})
		}) {
			seen = true
		}
	}
	return seen
}

// evictionScore is Redis's idle figure: higher is evicted first.
func (s *Store) evictionScore(e *Entry, p EvictionPolicy, now int64) uint64 {
	switch p {
	case VolatileTTL:
		return math.MaxUint64 - uint64(e.Expire)
	case AllKeysLFU, VolatileLFU:
		return 255 - uint64(LFUDecay(e.AccessClock(), now, s.accessPolicy().DecayTime))
	}
	return uint64(IdleMs(e.AccessClock(), now))
}

// offer inserts a candidate in the pool, sorted, dropping the worst when
// full; a key already pooled only has its score refreshed.
func (ev *evictor) offer(c poolEntry) {
	for i := range ev.pool {
		if ev.pool[i].db == c.db && ev.pool[i].key == c.key {
			ev.pool = append(ev.pool[:i], ev.pool[i+1:]...)
			break
		}
	}
	if len(ev.pool) == evictionPoolSize {
		if c.score <= ev.pool[0].score {
			return
		}
		ev.pool = append(ev.pool[:0], ev.pool[1:]...)
	}
	i := len(ev.pool)
	for i > 0 && ev.pool[i-1].score > c.score {
		i--
	}
	ev.pool = append(ev.pool, poolEntry{})
	copy(ev.pool[i+1:], ev.pool[i:])
	ev.pool[i] = c
}

// sample passes up to Samples random entries of one shard of db to fn,
// with the shard locked: any key, or for volatile policies keys with a
// TTL. Shards are tried from a random one until one has such keys; it
// reports whether any had.
func (db *DB) sample(o EvictOptions, fn func(*shard, *Entry)) bool {
	start := rand.IntN(numShards)
	for i := 0; i < numShards; i++ {
		sh := &db.shards[(start+i)%numShards]
		// The accounting counter tells an empty shard without its lock.
		if sh.used.Load() == 0 {
			continue
		}
		found := false
		db.withShard(sh, func() { found = sampleShard(sh, o, fn) })
		if found {
			return true
		}
	}
	return false
}

// sampleShard is sample for one shard. Shard locked.
func sampleShard(sh *shard, o EvictOptions, fn func(*shard, *Entry)) bool {
	samples := max(o.Samples, 1)
	for i := 0; i < samples; i++ {
		var e *Entry
		if o.Policy.volatile() {
			if len(sh.ttl) == 0 {
				return i > 0
			}
			e = sh.ttl[rand.IntN(len(sh.ttl))]
		} else if e = sh.dict.randomEntry(rand.IntN); e == nil {
			return i > 0
		}
		fn(sh, e)
	}
	return true
}

// evictRandom deletes a random key of the next database that has one
// (Redis's allkeys-random / volatile-random).
func (s *Store) evictRandom(p EvictionPolicy) bool {
	o := EvictOptions{Policy: p, Samples: 1}
	for range s.dbs {
		s.evictor.nextDB = (s.evictor.nextDB + 1) % len(s.dbs)
		db := s.dbs[s.evictor.nextDB]
		if db.sample(o, func(sh *shard, e *Entry) { db.evictEntry(sh, e) }) {
			return true
		}
	}
	return false
}

// withShard runs fn holding sh as a keyed command would.
func (db *DB) withShard(sh *shard, fn func()) {
	db.store.world.RLock()
	defer db.store.world.RUnlock()
	sh.mu.Lock()
	defer sh.mu.Unlock()
	fn()
}

// evictKey evicts key if it still exists (and, when volatile, still has
// a TTL).
func (db *DB) evictKey(key string, volatile bool) bool {
	sh, h := db.shardFor(key)
	evicted := false
	db.withShard(sh, func() {
		e := sh.dict.get(key, h)
		if e != nil && (!volatile || e.Expire != 0) {
			db.evictEntry(sh, e)
			evicted = true
		}
	})
	return evicted
}

// evictEntry deletes an entry for eviction, in Redis's order: delete,
// signal the modified key (WATCH, blocked clients), announce "evicted".
// Shard locked.
func (db *DB) evictEntry(sh *shard, e *Entry) {
	db.unlink(sh, e.Key, uint64(e.hash))
	db.store.EvictedKeys.Add(1)
	db.signal(e.Key)
	if f := db.store.Hooks.Evicted; f != nil {
		f(db, e.Key)
	}
}
