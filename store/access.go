package store

import "math/rand/v2"

// Access tracking for OBJECT IDLETIME / OBJECT FREQ and eviction.
// Like Redis, each entry keeps 24 bits: under LRU policies the access time
// in seconds; under LFU policies the access time in minutes (16 bits) and a
// logarithmic access counter (8 bits).

// AccessPolicy selects what the 24 access bits hold.
type AccessPolicy struct {
	LFU       bool
	LogFactor int64 // lfu-log-factor
	DecayTime int64 // lfu-decay-time, minutes per counter decrement
}

// lfuInitVal is LFU_INIT_VAL: new keys start with some credit so they are
// not evicted before they had a chance to be used.
const lfuInitVal = 5

// SetAccessPolicy switches between LRU and LFU tracking (maxmemory-policy).
func (s *Store) SetAccessPolicy(p AccessPolicy) { s.access.Store(&p) }

func (s *Store) accessPolicy() *AccessPolicy {
	if p := s.access.Load(); p != nil {
		return p
	}
	return &defaultAccess
}

var defaultAccess AccessPolicy

// touch records an access to e at now (unix ms).
func (db *DB) touch(e *Entry, now int64) {
	p := db.store.accessPolicy()
	if !p.LFU {
		e.setAccessClock(uint32(now / 1000))
		return
	}
	counter := LFUDecay(e.AccessClock(), now, p.DecayTime)
	counter = lfuLogIncr(counter, p.LogFactor)
	e.setAccessClock(lfuMinutes(now)<<8 | uint32(counter))
}

// stampNew initialises the access bits of a new value.
func (db *DB) stampNew(e *Entry, now int64) {
	if db.store.accessPolicy().LFU {
		e.setAccessClock(lfuMinutes(now)<<8 | lfuInitVal)
		return
	}
	e.setAccessClock(uint32(now / 1000))
}

func lfuMinutes(nowMs int64) uint32 { return uint32(nowMs/60000) & 0xffff }

// LFUDecay is Redis's LFUDecrAndReturn: the counter minus one for every
// decay period elapsed since the last access.
func LFUDecay(bits uint32, nowMs, decayTime int64) int64 {
	last := int64(bits >> 8)
	counter := int64(bits & 0xff)
	if decayTime <= 0 {
		return counter
	}
	now := int64(lfuMinutes(nowMs))
	elapsed := now - last
	if elapsed < 0 {
		elapsed += 65536 // the 16-bit minute clock wrapped
	}
	periods := elapsed / decayTime
	if periods > counter {
		return 0
	}
	return counter - periods
}

// lfuLogIncr is Redis's LFULogIncr: the higher the counter, the less likely
// an access increments it.
func lfuLogIncr(counter, logFactor int64) int64 {
	if counter >= 255 {
		return 255
	}
	base := max(counter-lfuInitVal, 0)
	p := 1.0 / float64(base*logFactor+1)
	if rand.Float64() < p {
		counter++
	}
	return counter
}

// IdleMs is how long ago (in ms) an entry was last accessed, from LRU bits
// at one-second resolution with the 24-bit clock's wraparound.
func IdleMs(bits uint32, nowMs int64) int64 {
	now := uint32(nowMs/1000) & lruMask
	if now >= bits {
		return int64(now-bits) * 1000
	}
	return int64(lruMask-bits+now) * 1000
}
