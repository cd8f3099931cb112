package store

// Helpers for the keys family (server/cmd_keys.go).

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
	db.wrote(sh, e.Key)
	// The hash seed is global, so the key falls in the same shard index.
	dsh := &dst.shards[shardOf(h)]
	dst.beforeWrite(dsh)
	dsh.dict.add(e, h)
	dst.store.charge(dsh, e)
	dsh.setExpire(e, expire)
	dst.added(e.Key)
	dst.wrote(dsh, e.Key)
	return true
}
