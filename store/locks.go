package store

import (
	"slices"
	"sync"
)

// Locks is what one command holds on the keyspace. A client keeps one and
// reuses it, so taking locks allocates nothing on the hot path.
//
// Order rule: the world lock first (shared for keyed commands, exclusive
// for whole-keyspace ones), then shard locks in (database, shard) order, so
// two commands never wait on each other in a cycle.
type Locks struct {
	store *Store
	mode  lockMode
	held  []*sync.Mutex
	order []shardRef
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
}

// Keys locks the shards of keys in db.
func (l *Locks) Keys(s *Store, db *DB, keys [][]byte) {
	s.world.RLock()
	l.store, l.mode = s, lockShared
	if len(keys) == 1 {
		sh := &db.shards[shardOf(hashKey(string(keys[0])))]
		sh.mu.Lock()
		l.held = append(l.held[:0], &sh.mu)
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
		mu := &l.store.dbs[r.db].shards[r.shard].mu
		mu.Lock()
		l.held = append(l.held, mu)
	}
}

// Held reports whether any lock is held.
func (l *Locks) Held() bool { return l.mode != lockNone }

// Exclusive reports whether the whole keyspace is held.
func (l *Locks) Exclusive() bool { return l.mode == lockExclusive }

// Release drops everything held, in reverse order.
func (l *Locks) Release() {
	for i := len(l.held) - 1; i >= 0; i-- {
		l.held[i].Unlock()
	}
	l.held = l.held[:0]
	switch l.mode {
	case lockShared:
		l.store.world.RUnlock()
	case lockExclusive:
		l.store.world.Unlock()
	}
	l.mode = lockNone
}
