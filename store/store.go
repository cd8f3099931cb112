// Package store is the keyspace: databases split into shards, each a hash
// table of entries with an index of the keys that carry a TTL.
//
// The store does not lock on its own: the server takes the locks a command
// needs (LockKeys for the shards of its keys, LockAll for commands that touch
// the whole keyspace) and then calls the DB methods, so a command that reads
// and writes several keys is atomic.
package store

import (
	"math/rand/v2"
	"sync"
	"sync/atomic"
)

// shardBits sets the number of shards per database. Commands on keys in
// different shards run in parallel.
const (
	shardBits = 6
	numShards = 1 << shardBits
)

// Entry is one key and its value. Strings live in Str; every other type is
// an object in Obj (a pointer to a types.* structure).
type Entry struct {
	Key    string
	Str    string
	Obj    any
	Expire int64 // unix milliseconds; 0 means no TTL
	next   *Entry
	hash   uint32 // the low half of the key's hash (dict.go)
	// charge is what a collection is charged (memory.go), in chargeUnit
	// bytes: kept here rather than in a map beside the table, which cost a
	// lookup on every write to a collection, the entry stays 80 bytes.
	charge uint32
	ttlPos int32  // 1-based index in the shard's ttl slice; 0 when none
	meta   uint32 // access clock in the low 24 bits, flags above
}

// StrEncoding says how OBJECT ENCODING describes a string, which depends on
// how Redis built it, not only on its bytes.
type StrEncoding uint32

const (
	// EncAuto: as tryObjectEncoding decides: int, embstr or raw by content.
	EncAuto StrEncoding = iota
	// EncRaw: built in place (APPEND, SETRANGE): always raw.
	EncRaw
	// EncNoInt: built from a number formatted as text (INCRBYFLOAT):
	// embstr or raw by length, never int.
	EncNoInt
)

const (
	encShift = 30
	lruMask  = 1<<24 - 1
)

// IsString reports whether the entry holds a string.
func (e *Entry) IsString() bool { return e.Obj == nil }

// StrEncoding reports the string's encoding hint.
func (e *Entry) StrEncoding() StrEncoding { return StrEncoding(e.meta >> encShift) }

// SetStrEncoding records how the string was built.
func (e *Entry) SetStrEncoding(enc StrEncoding) {
	e.meta = e.meta&(1<<encShift-1) | uint32(enc)<<encShift
}

// AccessClock is the 24-bit access time (seconds) used by OBJECT IDLETIME.
func (e *Entry) AccessClock() uint32 { return e.meta & lruMask }

func (e *Entry) setAccessClock(c uint32) { e.meta = e.meta&^lruMask | c&lruMask }

// SetAccessClock sets the access bits (RESTORE IDLETIME / FREQ, loading
// an RDB that recorded them).
func (e *Entry) SetAccessClock(c uint32) { e.setAccessClock(c) }

type shard struct {
	mu   sync.Mutex
	dict dict
	ttl  []*Entry // entries with an Expire, for active expiry sampling
	// keyspace_hits / keyspace_misses, counted per shard so that commands
	// on different shards do not contend on one counter.
	hits, misses atomic.Int64
	// holder is the lock set holding mu through Locks.Keys, so a write
	// can be recorded for the command that made it (Locks.RecordWrites).
	holder *Locks
	// used is the accounted size of the shard's keys (memory.go).
	used atomic.Int64
	// dirty counts the writes to the shard (Store.Dirty sums them).
	dirty atomic.Int64
	// snap is the snapshot this shard is pending in, and snapSlot where
	// its encoding goes (snapshot.go).
	snap     *Snapshot
	snapSlot *snapSlot
}

// DB is one numbered database.
type DB struct {
	ID     int
	store  *Store
	shards [numShards]shard
}

// Hooks are called by the store with the command's locks held.
type Hooks struct {
	// Modified is called for every key a write touches (WATCH, blocked
	// clients, client-side caching), expiry included.
	Modified func(db *DB, key string)
	// Expired is called when a key is deleted because its TTL passed,
	// lazily or by active expiry, before Modified.
	Expired func(db *DB, key string)
	// Added is called when a write creates a key that was absent (Redis's
	// dbAdd: the "new" keyspace event).
	Added func(db *DB, key string)
	// Missed is called when a read finds no key (the "keymiss" event).
	Missed func(db *DB, key []byte)
	// Evicted is called when maxmemory eviction deleted a key, after
	// Modified.
	Evicted func(db *DB, key string)
}

// Store holds the databases.
type Store struct {
	world sync.RWMutex
	// holder is the lock set holding world exclusively (Locks.All).
	holder *Locks
	dbs    []*DB
	Clock  *Clock
	Hooks  Hooks
	// access is the LRU/LFU mode of the entries' access bits.
	access atomic.Pointer[AccessPolicy]

	ExpiredKeys atomic.Int64
	EvictedKeys atomic.Int64
	// loading keeps keys whose TTL has passed (SetLoading).
	loading atomic.Bool

	// total is the accounted size of every key while trackTotal is set
	// (memory.go).
	trackTotal atomic.Bool
	total      atomic.Int64
	evictor    evictor
}

// New returns a store with n databases.
func New(n int, clock *Clock) *Store {
	if clock == nil {
		clock = NewClock()
	}
	s := &Store{Clock: clock}
	s.dbs = make([]*DB, n)
	for i := range s.dbs {
		s.dbs[i] = &DB{ID: i, store: s}
	}
	return s
}

// DB returns database i.
func (s *Store) DB(i int) *DB { return s.dbs[i] }

// NumDBs is the `databases` setting.
func (s *Store) NumDBs() int { return len(s.dbs) }

func shardOf(h uint64) int { return int(h >> (64 - shardBits)) }

func (db *DB) shardFor(key string) (*shard, uint64) {
	h := hashKey(key)
	return &db.shards[shardOf(h)], h
}

// Lookup returns the live entry for key, or nil. An entry whose TTL has
// passed is deleted here (lazy expiry).
func (db *DB) Lookup(key []byte, now int64) *Entry {
	sh, h := db.shardFor(string(key))
	// Callers of Lookup may change the entry in place.
	db.beforeWrite(sh)
	e := db.lookupIn(sh, key, h, now)
	if e != nil {
		db.touch(e, now)
	}
	return e
}

func (db *DB) lookupIn(sh *shard, key []byte, h uint64, now int64) *Entry {
	e := sh.dict.get(string(key), h)
	if e == nil {
		return nil
	}
	if e.Expire != 0 && e.Expire <= now && !db.store.loading.Load() {
		db.expire(sh, e, h)
		return nil
	}
	return e
}

// LookupRead is Lookup for a command that reads the key: it counts a
// keyspace hit or miss, as Redis's lookupKeyRead does.
func (db *DB) LookupRead(key []byte, now int64) *Entry {
	return db.lookupCounted(key, now, true)
}

// LookupReadNoTouch is LookupRead for commands that inspect a key without
// counting as an access to it (TYPE, TTL, EXISTS, OBJECT: Redis's
// LOOKUP_NOTOUCH): it expires the key when due and counts a keyspace hit
// or miss, but leaves the access clock, so OBJECT IDLETIME does not reset
// itself.
func (db *DB) LookupReadNoTouch(key []byte, now int64) *Entry {
	return db.lookupCounted(key, now, false)
}

// LookupReadQuiet is LookupReadNoTouch for OBJECT, whose misses Redis
// counts but does not announce as keymiss events (LOOKUP_NONOTIFY).
func (db *DB) LookupReadQuiet(key []byte, now int64) *Entry {
	sh, h := db.shardFor(string(key))
	e := db.lookupIn(sh, key, h, now)
	if e == nil {
		sh.misses.Add(1)
	} else {
		sh.hits.Add(1)
	}
	return e
}

func (db *DB) lookupCounted(key []byte, now int64, touch bool) *Entry {
	sh, h := db.shardFor(string(key))
	e := db.lookupIn(sh, key, h, now)
	switch {
	case e == nil:
		sh.misses.Add(1)
		if f := db.store.Hooks.Missed; f != nil {
			f(db, key)
		}
	case touch:
		sh.hits.Add(1)
		db.touch(e, now)
	default:
		sh.hits.Add(1)
	}
	return e
}

// HitsMisses sums the keyspace hits and misses of every database.
func (s *Store) HitsMisses() (hits, misses int64) {
	for _, db := range s.dbs {
		for i := range db.shards {
			hits += db.shards[i].hits.Load()
			misses += db.shards[i].misses.Load()
		}
	}
	return hits, misses
}

// ResetHitsMisses zeroes the counters (CONFIG RESETSTAT).
func (s *Store) ResetHitsMisses() {
	for _, db := range s.dbs {
		for i := range db.shards {
			db.shards[i].hits.Store(0)
			db.shards[i].misses.Store(0)
		}
	}
}

// Peek is Lookup without expiring: it sees an expired entry too.
func (db *DB) Peek(key []byte) *Entry {
	sh, h := db.shardFor(string(key))
	return sh.dict.get(string(key), h)
}

func (db *DB) expire(sh *shard, e *Entry, h uint64) {
	db.unlink(sh, e.Key, h)
	sh.dirty.Add(1)
	db.store.ExpiredKeys.Add(1)
	if f := db.store.Hooks.Expired; f != nil {
		f(db, e.Key)
	}
	db.signal(e.Key)
}

// signal runs the Modified hook.
func (db *DB) signal(key string) {
	if f := db.store.Hooks.Modified; f != nil {
		f(db, key)
	}
}

// wrote is signal for a command's own write to key (in shard sh): it is
// also recorded for the command when its lock set records writes.
// Expiry is not a write of the command and only signals.
func (db *DB) wrote(sh *shard, key string) {
	l := db.store.holder
	if l == nil {
		l = sh.holder
	}
	if l != nil {
		l.dirty++
		if l.recording {
			l.writes = append(l.writes, Write{DB: db, Key: key})
		}
	}
	sh.dirty.Add(1)
	db.signal(key)
}

// added runs the Added hook for a key the dictionary just gained.
func (db *DB) added(key string) {
	if f := db.store.Hooks.Added; f != nil {
		f(db, key)
	}
}

// Touched signals that the value of key changed in place (a command
// mutated an object it got from Lookup).
func (db *DB) Touched(key []byte) {
	sh, h := db.shardFor(string(key))
	if e := sh.dict.get(string(key), h); e != nil {
		db.store.recharge(sh, e)
	}
	db.wrote(sh, string(key))
}

// SetString stores a string value, replacing whatever key held. The TTL is
// cleared unless keepTTL (SET ... KEEPTTL), or set to expireAt when non-zero.
func (db *DB) SetString(key []byte, val string, expireAt int64, keepTTL bool) *Entry {
	return db.put(key, val, nil, expireAt, keepTTL)
}

// SetObject stores a non-string value, replacing whatever key held and
// clearing its TTL.
func (db *DB) SetObject(key []byte, obj any) *Entry {
	return db.put(key, "", obj, 0, false)
}

func (db *DB) put(key []byte, str string, obj any, expireAt int64, keepTTL bool) *Entry {
	sh, h := db.shardFor(string(key))
	db.beforeWrite(sh)
	now := db.store.Clock.NowMs()
	old := sh.dict.get(string(key), h)
	if old != nil && old.Expire != 0 && old.Expire <= now && !db.store.loading.Load() {
		// An expired key is absent: its TTL must not survive KEEPTTL.
		db.expire(sh, old, h)
		old = nil
	}
	if old != nil {
		// Overwrite in place: the key string and the entry are reused.
		was := sh.takeCharge(old)
		old.Str, old.Obj = str, obj
		old.SetStrEncoding(EncAuto)
		db.store.rechargeFrom(sh, old, was)
		if !keepTTL {
			sh.setExpire(old, expireAt)
		}
		db.stampNew(old, now)
		db.wrote(sh, old.Key)
		return old
	}
	e := &Entry{Key: string(key), Str: str, Obj: obj}
	db.stampNew(e, now)
	sh.dict.add(e, h)
	db.store.charge(sh, e)
	sh.setExpire(e, expireAt)
	db.added(e.Key)
	db.wrote(sh, e.Key)
	return e
}

// NumShards is how many shards each database has: keys of different
// shards can be changed in parallel.
const NumShards = numShards

// ShardOf returns the index of the shard that holds key.
func ShardOf(key string) int { return shardOf(hashKey(key)) }

// maxReservePerShard caps ReserveShard: the size comes from a file, which
// must not make the server allocate tables for keys it does not hold.
const maxReservePerShard = 1 << 15

// ReserveShard sizes shard i's table for about n of the database's keys
// in all (Redis's dictExpand on an RDB file's RESIZEDB): loading then
// skips the rehash of each doubling. The caller holds the shard.
func (db *DB) ReserveShard(i, n int) {
	db.shards[i].dict.reserve(min(n/numShards, maxReservePerShard))
}

// Load adds a key read from a dump (loading an RDB file), as Redis's
// dbAddRDBLoad: no hooks run and no write is recorded, since loading is
// not a command; now stamps the access bits. A key already present is
// replaced when replace (DEBUG RELOAD MERGE); otherwise Load changes
// nothing and reports false. The caller holds the key's shard.
func (db *DB) Load(key, str string, obj any, expireAt, now int64, replace bool) (*Entry, bool) {
	sh, h := db.shardFor(key)
	db.beforeWrite(sh)
	if sh.dict.get(key, h) != nil {
		if !replace {
			return nil, false
		}
		db.unlink(sh, key, h)
	}
	e := &Entry{Key: key, Str: str, Obj: obj}
	db.stampNew(e, now)
	sh.dict.add(e, h)
	db.store.charge(sh, e)
	sh.setExpire(e, expireAt)
	sh.dirty.Add(1)
	return e, true
}

// Delete removes key; it reports whether a live key was removed.
func (db *DB) Delete(key []byte, now int64) bool {
	if db.Lookup(key, now) == nil {
		return false
	}
	sh, h := db.shardFor(string(key))
	e := db.unlink(sh, string(key), h)
	db.wrote(sh, e.Key)
	return true
}

func (db *DB) unlink(sh *shard, key string, h uint64) *Entry {
	db.beforeWrite(sh)
	e := sh.dict.remove(key, h)
	if e != nil {
		db.store.uncharge(sh, e)
		sh.setExpire(e, 0)
	}
	return e
}

// SetExpire sets (at > 0) or clears (at == 0) the TTL of a live entry.
func (db *DB) SetExpire(e *Entry, at int64) {
	sh, _ := db.shardFor(e.Key)
	db.beforeWrite(sh)
	sh.setExpire(e, at)
	db.wrote(sh, e.Key)
}

func (sh *shard) setExpire(e *Entry, at int64) {
	e.Expire = at
	switch {
	case at != 0 && e.ttlPos == 0:
		sh.ttl = append(sh.ttl, e)
		e.ttlPos = int32(len(sh.ttl))
	case at == 0 && e.ttlPos != 0:
		i := int(e.ttlPos - 1)
		last := sh.ttl[len(sh.ttl)-1]
		sh.ttl[i] = last
		last.ttlPos = int32(i + 1)
		sh.ttl[len(sh.ttl)-1] = nil
		sh.ttl = sh.ttl[:len(sh.ttl)-1]
		e.ttlPos = 0
	}
}

// Rename moves the entry of src to dst (replacing dst), keeping its TTL.
func (db *DB) Rename(src, dst []byte, now int64) bool {
	e := db.Lookup(src, now)
	if e == nil {
		return false
	}
	if string(src) == string(dst) {
		return true
	}
	db.Delete(dst, now)
	expire := e.Expire
	sh, h := db.shardFor(e.Key)
	db.unlink(sh, e.Key, h)
	db.wrote(sh, e.Key)
	ne := &Entry{Key: string(dst), Str: e.Str, Obj: e.Obj, meta: e.meta}
	dsh, dh := db.shardFor(ne.Key)
	db.beforeWrite(dsh)
	dsh.dict.add(ne, dh)
	db.store.charge(dsh, ne)
	dsh.setExpire(ne, expire)
	db.added(ne.Key)
	db.wrote(dsh, ne.Key)
	return true
}

// Size counts the keys (expired but not yet reclaimed ones included, as
// Redis's DBSIZE does). Call with the keyspace locked.
func (db *DB) Size() int {
	n := 0
	for i := range db.shards {
		n += db.shards[i].dict.count
	}
	return n
}

// ExpiresCount counts the keys with a TTL.
func (db *DB) ExpiresCount() int {
	n := 0
	for i := range db.shards {
		n += len(db.shards[i].ttl)
	}
	return n
}

// Flush deletes every key. Call with the keyspace locked exclusively.
func (db *DB) Flush() {
	for i := range db.shards {
		sh := &db.shards[i]
		db.beforeWrite(sh)
		sh.dict.each(func(e *Entry) bool { db.wrote(sh, e.Key); return true })
		sh.dict = dict{}
		sh.ttl = nil
		db.store.clearCharges(sh)
	}
}

// Swap exchanges the contents of two databases (SWAPDB). Keyspace locked.
func (s *Store) Swap(a, b *DB) {
	for i := range a.shards {
		a.beforeWrite(&a.shards[i])
		b.beforeWrite(&b.shards[i])
		a.shards[i].dict, b.shards[i].dict = b.shards[i].dict, a.shards[i].dict
		a.shards[i].ttl, b.shards[i].ttl = b.shards[i].ttl, a.shards[i].ttl
		swapCharges(&a.shards[i], &b.shards[i])
	}
	// Every key of either database changed in both: as Redis does, signal
	// each under both database numbers (WATCH, blocked clients).
	for _, db := range []*DB{a, b} {
		for i := range db.shards {
			db.shards[i].dict.each(func(e *Entry) bool {
				a.signal(e.Key)
				b.signal(e.Key)
				return true
			})
		}
	}
}

// Scan visits part of the keyspace from cursor and returns the next cursor
// (0 at the end). The cursor's top bits are the shard, the rest the shard
// table's reverse-binary cursor. Keyspace locked.
func (db *DB) Scan(cursor uint64, count int, fn func(*Entry)) uint64 {
	const posBits = 64 - shardBits
	si := int(cursor >> posBits)
	pos := cursor & (1<<posBits - 1)
	visited := 0
	for si < numShards {
		sh := &db.shards[si]
		for {
			pos = sh.dict.scan(pos, func(e *Entry) { fn(e); visited++ })
			if pos == 0 || visited >= count {
				break
			}
		}
		if pos == 0 {
			si++
		}
		if visited >= count {
			break
		}
	}
	if si >= numShards {
		return 0
	}
	return uint64(si)<<posBits | pos
}

// Each visits every entry (expired ones included). Keyspace locked.
func (db *DB) Each(fn func(*Entry) bool) {
	for i := range db.shards {
		stop := false
		db.shards[i].dict.each(func(e *Entry) bool {
			if !fn(e) {
				stop = true
				return false
			}
			return true
		})
		if stop {
			return
		}
	}
}

// RandomKey returns a random live key, or "" and false. Keyspace locked.
func (db *DB) RandomKey(now int64) (string, bool) {
	total := db.Size()
	// Bound the tries: a database full of expired keys must not spin.
	for tries := 0; total > 0 && tries < 100; tries++ {
		n := rand.IntN(total)
		for i := range db.shards {
			sh := &db.shards[i]
			if n >= sh.dict.count {
				n -= sh.dict.count
				continue
			}
			e := sh.dict.randomEntry(rand.IntN)
			if e.Expire != 0 && e.Expire <= now && !db.store.loading.Load() {
				db.expire(sh, e, uint64(e.hash))
				total--
				break
			}
			return e.Key, true
		}
	}
	return "", false
}
