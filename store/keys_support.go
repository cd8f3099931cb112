package store

// Helpers for the keys family (server/cmd_keys.go).

// LookupReadNoTouch is LookupRead for commands that inspect a key without
// counting as an access to it (TYPE, TTL, EXISTS, OBJECT: Redis's
// LOOKUP_NOTOUCH). It expires the key when due and counts a keyspace hit or
// miss, but never updates the access clock, so OBJECT IDLETIME does not
// reset itself.
func (db *DB) LookupReadNoTouch(key []byte, now int64) *Entry {
	sh, h := db.shardFor(string(key))
	e := db.lookupIn(sh, key, h, now)
	if e == nil {
		sh.misses.Add(1)
	} else {
		sh.hits.Add(1)
	}
	return e
}

// MoveTo moves the live entry of key from db to dst (MOVE). It reports
// false, changing nothing, when db lacks the key or dst already holds it.
// The entry itself moves: value, TTL, string encoding and access clock
// stay as they were, as Redis moves the same object.
func (db *DB) MoveTo(dst *DB, key []byte, now int64) bool {
	e := db.Lookup(key, now)
	if e == nil || dst.Lookup(key, now) != nil {
		return false
	}
	expire := e.Expire
	sh, h := db.shardFor(e.Key)
	db.unlink(sh, e.Key, h)
	db.modified(e.Key)
	// The hash seed is global, so the key falls in the same shard index.
	dsh := &dst.shards[shardOf(h)]
	dsh.dict.add(e, h)
	dsh.setExpire(e, expire)
	dst.modified(e.Key)
	return true
}
