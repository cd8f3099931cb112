package store

import "slices"

// Locks is what one command holds on the keyspace. A client keeps one and
// reuses it, so taking locks allocates nothing on the hot path.
//
// Order rule: the world lock first (shared for keyed commands, exclusive
// for whole-keyspace ones), then shard locks in (database, shard) order, so
// two commands never wait on each other in a cycle.
type Locks struct {
	store *Store
	mode  lockMode
	held  []*shard
	order []shardRef

	// recording makes the store note each write made under these locks
	// (RecordWrites), for the command's keyspace notifications.
	recording bool
	writes    []Write
	// dirty counts the writes made under these locks (Dirty).
	dirty int64
}

// Write is a key a command wrote: set, changed in place, deleted or given
// a TTL. Expiry is not a write.
type Write struct {
	DB  *DB
	Key string
}

// RecordWrites starts recording the writes made under l, forgetting the
// previous record. Recording survives Release and retaking the locks.
func (l *Locks) RecordWrites() {
	clear(l.writes)
	l.writes = l.writes[:0]
	l.recording = true
}

// StopRecording ends the record and returns it, in the order the writes
// happened, a key once per write. The slice is valid until the next
// RecordWrites.
func (l *Locks) StopRecording() []Write {
	l.recording = false
	return l.writes
}

type lockMode uint8

const (
	lockNone lockMode = iota
	lockShared
	lockExclusive
)

type shardRef struct{ db, shard int }

func compareShardRef(a, b shardRef) int {
	if a.db != b.db {
		return a.db - b.db
	}
	return a.shard - b.shard
}

// All takes the whole keyspace exclusively.
func (l *Locks) All(s *Store) {
	s.world.Lock()
	l.store, l.mode = s, lockExclusive
	s.holder = l
}

// Keys locks the shards of keys in db.
func (l *Locks) Keys(s *Store, db *DB, keys [][]byte) {
	s.world.RLock()
	l.store, l.mode = s, lockShared
	if len(keys) == 1 {
		sh := &db.shards[shardOf(hashKey(string(keys[0])))]
		sh.mu.Lock()
		sh.holder = l
		l.held = append(l.held[:0], sh)
		return
	}
	l.order = l.order[:0]
	for _, k := range keys {
		l.order = append(l.order, shardRef{db.ID, shardOf(hashKey(string(k)))})
	}
	l.lockOrdered()
}

// KeysIn locks one key in each of two databases (MOVE, COPY ... DB).
func (l *Locks) KeysIn(s *Store, a *DB, ka []byte, b *DB, kb []byte) {
	s.world.RLock()
	l.store, l.mode = s, lockShared
	l.order = append(l.order[:0],
		shardRef{a.ID, shardOf(hashKey(string(ka)))},
		shardRef{b.ID, shardOf(hashKey(string(kb)))})
	l.lockOrdered()
}

func (l *Locks) lockOrdered() {
	slices.SortFunc(l.order, compareShardRef)
	l.held = l.held[:0]
	for i, r := range l.order {
		if i > 0 && r == l.order[i-1] {
			continue
		}
		sh := &l.store.dbs[r.db].shards[r.shard]
		sh.mu.Lock()
		sh.holder = l
		l.held = append(l.held, sh)
	}
}

// Held reports whether any lock is held.
func (l *Locks) Held() bool { return l.mode != lockNone }

// Exclusive reports whether the whole keyspace is held.
func (l *Locks) Exclusive() bool { return l.mode == lockExclusive }

// Release drops everything held, in reverse order.
func (l *Locks) Release() {
	for i := len(l.held) - 1; i >= 0; i-- {
		l.held[i].holder = nil
		l.held[i].mu.Unlock()
		l.held[i] = nil
	}
	l.held = l.held[:0]
	switch l.mode {
	case lockShared:
		l.store.world.RUnlock()
	case lockExclusive:
		l.store.holder = nil
		l.store.world.Unlock()
	}
	l.mode = lockNone
}
