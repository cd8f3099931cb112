package store

import "math"

// Memory accounting. Go's heap figures only fall after a garbage
// collection, so eviction cannot wait for them to drop: it would delete
// far more than needed. Instead every key is charged an estimate of its
// size (size.go) when it is written, and each shard sums the charges of
// its keys in an atomic counter, so INFO and the eviction check read it
// without locks.
//
// A string's charge follows from the entry itself (key and value lengths),
// so nothing is stored for it. A collection changes in place and its
// estimate samples elements that may since have changed, so the charge it
// was given is remembered in its entry (Entry.charge) and subtracted
// exactly when the key is rewritten or deleted.
//
// The charges always go to the shards' counters, which never contend.
// While maxmemory is set they also go to one store-wide counter
// (TrackDatasetTotal), so that the check made before every command is one
// atomic load rather than a sum over every shard of every database.

// chargeUnit is the granularity of a collection's charge: Entry.charge
// counts units, so 32 bits cover 32 GiB. entrySize rounds a collection's
// size up to it, so what is subtracted later is exactly what was added.
const chargeUnit = 8

// charged is what e is currently charged. Shard locked.
func (sh *shard) charged(e *Entry) int64 {
	if e.Obj == nil {
		return stringEntrySize(e)
	}
	return int64(e.charge) * chargeUnit
}

// charge adds e, just stored, to its shard's account.
func (s *Store) charge(sh *shard, e *Entry) { s.rechargeFrom(sh, e, 0) }

// uncharge removes e from its shard's account, before e is deleted.
func (s *Store) uncharge(sh *shard, e *Entry) { s.addUsed(sh, -sh.takeCharge(e)) }

// takeCharge forgets what e was charged and returns it, leaving the
// counters to the caller; call it before e's value is replaced.
func (sh *shard) takeCharge(e *Entry) int64 {
	size := sh.charged(e)
	e.charge = 0
	return size
}

// rechargeFrom charges e's current size in place of old, what it was
// charged before (takeCharge), in one update of the counters.
func (s *Store) rechargeFrom(sh *shard, e *Entry, old int64) {
	var size int64
	if e.Obj == nil {
		size = stringEntrySize(e)
	} else {
		units := min(entrySize(e, DefaultSizeSamples)/chargeUnit, math.MaxUint32)
		e.charge = uint32(units)
		size = units * chargeUnit
	}
	if size != old {
		s.addUsed(sh, size-old)
	}
}

// recharge re-estimates a collection changed in place.
func (s *Store) recharge(sh *shard, e *Entry) {
	if e.Obj == nil {
		return // strings are replaced through put, never changed in place
	}
	s.rechargeFrom(sh, e, int64(e.charge)*chargeUnit)
}

func (s *Store) addUsed(sh *shard, delta int64) {
	sh.used.Add(delta)
	if s.trackTotal.Load() {
		s.total.Add(delta)
	}
}

// clearCharges forgets every charge of a shard emptied at once (FLUSHDB).
func (s *Store) clearCharges(sh *shard) {
	s.addUsed(sh, -sh.used.Load())
}

// swapCharges exchanges the accounts of two shards whose tables were
// swapped (SWAPDB); the store's total does not change.
func swapCharges(a, b *shard) {
	ua, ub := a.used.Load(), b.used.Load()
	a.used.Store(ub)
	b.used.Store(ua)
}

// DatasetBytes is the accounted size of every key of every database.
func (s *Store) DatasetBytes() int64 {
	if s.trackTotal.Load() {
		return s.total.Load()
	}
	return s.sumShards()
}

func (s *Store) sumShards() int64 {
	var n int64
	for _, db := range s.dbs {
		n += db.usedBytes()
	}
	return n
}

// usedBytes is the accounted size of the database's keys.
func (db *DB) usedBytes() int64 {
	var n int64
	for i := range db.shards {
		n += db.shards[i].used.Load()
	}
	return n
}

// TrackingTotal reports whether DatasetBytes reads the store-wide counter.
func (s *Store) TrackingTotal() bool { return s.trackTotal.Load() }

// TrackDatasetTotal turns the store-wide counter on (summing the shards
// once) or off. Turning it on takes the whole keyspace: call it holding no
// keyspace lock.
func (s *Store) TrackDatasetTotal(on bool) {
	if !on {
		s.trackTotal.Store(false)
		return
	}
	if s.trackTotal.Load() {
		return
	}
	// Every charge is made under the world lock (shared), so holding it
	// exclusively stops them while the total is summed.
	s.world.Lock()
	defer s.world.Unlock()
	s.total.Store(s.sumShards())
	s.trackTotal.Store(true)
}

// MemoryUsage is MEMORY USAGE: the estimated size of key and its value,
// with up to samples elements of a collection sampled (non-positive: all),
// and false when there is no such key. Like Redis it finds a key whose
// TTL has passed but that was not yet reclaimed, and counts no access.
func (db *DB) MemoryUsage(key []byte, samples int) (int64, bool) {
	e := db.Peek(key)
	if e == nil {
		return 0, false
	}
	return entrySize(e, samples), true
}
