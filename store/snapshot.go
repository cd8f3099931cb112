package store

import "sync/atomic"

// A Snapshot is the keyspace frozen at one instant, for BGSAVE and AOF
// rewrites, taken while the server keeps serving.
//
// Redis forks and lets the kernel copy pages on write. Here the copy is
// per shard and made by encoding: when the snapshot begins (under the
// exclusive world lock, so no command is half done) every shard is marked
// pending. A pending shard is encoded into the snapshot's buffer either by
// the saver, when it reaches the shard, or by the first write to the shard
// before that (beforeWrite), holding the shard's lock either way. So every
// shard is encoded exactly as it was at the instant the snapshot began,
// and a write is wholly in the snapshot (it ran before) or wholly not.
// The cost of a write during a snapshot is at most one pass over its
// shard, 1/64 of a database.
//
// That pass encodes only the collections, which change in place. A string
// never does (a write replaces it), so for a string entry the pass copies
// the key, the value and the TTL, which share the strings' bytes, and the
// saver encodes the copies after letting go of the shard. With 1,000,000
// strings, encoding a shard under its lock held every GET to that shard
// for milliseconds: a BGSAVE's p99 GET latency was 11 ms against Redis's
// 0.7.
type Snapshot struct {
	store  *Store
	encode func(buf []byte, db *DB, e *Entry) []byte
	// slots[db][shard] holds the shard's encoded entries once encoded.
	slots [][numShards]snapSlot
	// Sizes and Expires are the key and TTL counts of each database at the
	// snapshot's instant (for RDB's RESIZEDB).
	Sizes, Expires []int
	// Dirty is the store's change counter at the snapshot's instant.
	Dirty  int64
	closed atomic.Bool
}

type snapSlot struct {
	buf  []byte       // the encoded collections
	strs []snapString // the strings, encoded by Shard
	done bool
}

// snapString is a string entry as it was at the snapshot's instant.
type snapString struct {
	key, val string
	expire   int64
	meta     uint32
}

// BeginSnapshot marks every shard pending. The caller holds the whole
// keyspace exclusively (Locks.All). encode appends one entry's encoding;
// it runs on the saver's goroutine or on a writer's, so it must be safe
// to call concurrently.
func (s *Store) BeginSnapshot(encode func(buf []byte, db *DB, e *Entry) []byte) *Snapshot {
	sn := &Snapshot{
		store:   s,
		encode:  encode,
		slots:   make([][numShards]snapSlot, len(s.dbs)),
		Sizes:   make([]int, len(s.dbs)),
		Expires: make([]int, len(s.dbs)),
		Dirty:   s.Dirty(),
	}
	for i, db := range s.dbs {
		sn.Sizes[i] = db.Size()
		sn.Expires[i] = db.ExpiresCount()
		for j := range db.shards {
			sh := &db.shards[j]
			sh.snap = sn
			sh.snapSlot = &sn.slots[i][j]
		}
	}
	return sn
}

// beforeWrite encodes a shard still pending in a snapshot before the
// caller changes it. The caller holds the shard (or the whole keyspace).
func (db *DB) beforeWrite(sh *shard) {
	if sh.snap != nil {
		sh.encodeForSnapshot(db)
	}
}

func (sh *shard) encodeForSnapshot(db *DB) {
	sn, slot := sh.snap, sh.snapSlot
	sh.snap, sh.snapSlot = nil, nil
	var buf []byte
	var strs []snapString
	sh.dict.each(func(e *Entry) bool {
		if e.Obj == nil {
			if strs == nil {
				strs = make([]snapString, 0, sh.dict.count)
			}
			strs = append(strs, snapString{key: e.Key, val: e.Str, expire: e.Expire, meta: e.meta})
		} else {
			buf = sn.encode(buf, db, e)
		}
		return true
	})
	slot.buf, slot.strs, slot.done = buf, strs, true
}

// Shard returns the encoding of shard i of database db as it was at the
// snapshot's instant, encoding it now if no write did, and forgets it.
// held says the caller already holds the whole keyspace exclusively;
// otherwise Shard takes the shard's lock itself.
func (sn *Snapshot) Shard(db, i int, held bool) []byte {
	d := sn.store.dbs[db]
	buf, strs := sn.takeShard(d, db, i, held)
	var e Entry
	for k := range strs {
		c := &strs[k]
		e = Entry{Key: c.key, Str: c.val, Expire: c.expire, meta: c.meta}
		buf = sn.encode(buf, d, &e)
	}
	return buf
}

// takeShard passes over shard i if no write did and takes what the pass
// left in its slot.
func (sn *Snapshot) takeShard(d *DB, db, i int, held bool) ([]byte, []snapString) {
	sh := &d.shards[i]
	if !held {
		sn.store.world.RLock()
		sh.mu.Lock()
		defer func() {
			sh.mu.Unlock()
			sn.store.world.RUnlock()
		}()
	}
	if sh.snap == sn {
		sh.encodeForSnapshot(d)
	}
	slot := &sn.slots[db][i]
	buf, strs := slot.buf, slot.strs
	slot.buf, slot.strs = nil, nil
	return buf, strs
}

// NumShards is the number of shards per database.
func (sn *Snapshot) NumShards() int { return numShards }

// Close releases the shards the snapshot has not visited (a save that
// failed or was abandoned), so writes stop encoding them. held as in
// Shard.
func (sn *Snapshot) Close(held bool) {
	if sn.closed.Swap(true) {
		return
	}
	if !held {
		sn.store.world.Lock()
		defer sn.store.world.Unlock()
	}
	for _, d := range sn.store.dbs {
		for j := range d.shards {
			if sh := &d.shards[j]; sh.snap == sn {
				sh.snap, sh.snapSlot = nil, nil
			}
		}
	}
	sn.slots = nil
}

// Dirty counts the writes made to the keyspace since the store was
// created (Redis's server.dirty): RDB save points and
// rdb_changes_since_last_save compare it with its value at the last save.
func (s *Store) Dirty() int64 {
	var n int64
	for _, db := range s.dbs {
		for i := range db.shards {
			n += db.shards[i].dirty.Load()
		}
	}
	return n
}

// Dirty counts the writes made under l since it was created. Comparing it
// before and after a command tells whether the command changed data.
func (l *Locks) Dirty() int64 { return l.dirty }
