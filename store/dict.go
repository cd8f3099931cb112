package store

import (
	"hash/maphash"
	"math/bits"
)

// dict is a chained hash table of entries keyed by string, the shape of
// Redis's dict.c. We keep our own table instead of a Go map for two reasons:
// SCAN needs a cursor that survives resizes (Redis's reverse-binary cursor
// works only on power-of-two chained tables), and RANDOMKEY/active expiry
// need cheap random sampling. Tables are per shard and small, so a resize
// rehashes at once instead of incrementally.
type dict struct {
	table []*Entry
	count int
}

var hashSeed = maphash.MakeSeed()

func hashKey(key string) uint64 { return maphash.String(hashSeed, key) }

// An entry keeps the low 32 bits of its hash (Entry.hash): they pick its
// bucket in any table of up to 2^32 chains per shard, and still reject
// nearly every chain neighbour without a key comparison. The high bits
// pick the shard (shardOf).

func (d *dict) get(key string, h uint64) *Entry {
	if d.count == 0 {
		return nil
	}
	for e := d.table[h&uint64(len(d.table)-1)]; e != nil; e = e.next {
		// The stored hash rejects most chain neighbours without touching
		// their key bytes.
		if e.hash == uint32(h) && e.Key == key {
			return e
		}
	}
	return nil
}

// add inserts e, which must not be present.
func (d *dict) add(e *Entry, h uint64) {
	e.hash = uint32(h)
	if d.count >= len(d.table) {
		d.resize(max(4, 2*len(d.table)))
	}
	i := h & uint64(len(d.table)-1)
	e.next = d.table[i]
	d.table[i] = e
	d.count++
}

// remove unlinks the entry with key and returns it.
func (d *dict) remove(key string, h uint64) *Entry {
	if d.count == 0 {
		return nil
	}
	i := h & uint64(len(d.table)-1)
	var prev *Entry
	for e := d.table[i]; e != nil; e = e.next {
		if e.hash == uint32(h) && e.Key == key {
			if prev == nil {
				d.table[i] = e.next
			} else {
				prev.next = e.next
			}
			e.next = nil
			d.count--
			d.maybeShrink()
			return e
		}
		prev = e
	}
	return nil
}

// replace swaps old (present) for e in place.
func (d *dict) replace(old, e *Entry, h uint64) {
	i := h & uint64(len(d.table)-1)
	pp := &d.table[i]
	for *pp != old {
		pp = &(*pp).next
	}
	e.hash = uint32(h)
	e.next = old.next
	old.next = nil
	*pp = e
}

func (d *dict) maybeShrink() {
	// Shrink when less than 1/8 full, as Redis does (HASHTABLE_MIN_FILL).
	if len(d.table) > 4 && d.count*8 < len(d.table) {
		d.resize(max(4, 1<<bits.Len(uint(d.count))))
	}
}

// reserve grows the table to hold n entries without resizing again.
func (d *dict) reserve(n int) {
	if n > len(d.table) {
		d.resize(1 << bits.Len(uint(n-1)))
	}
}

func (d *dict) resize(size int) {
	nt := make([]*Entry, size)
	mask := uint64(size - 1)
	for _, e := range d.table {
		for e != nil {
			next := e.next
			i := uint64(e.hash) & mask
			e.next = nt[i]
			nt[i] = e
			e = next
		}
	}
	d.table = nt
}

// scan visits one bucket chain at cursor and returns the next cursor (0 when
// done). The cursor increments its reversed bits so that every key present
// for the whole scan is visited even when the table grows or shrinks between
// calls; a key may be visited twice.
func (d *dict) scan(cursor uint64, fn func(*Entry)) uint64 {
	if d.count == 0 {
		return 0
	}
	mask := uint64(len(d.table) - 1)
	for e := d.table[cursor&mask]; e != nil; e = e.next {
		fn(e)
	}
	cursor |= ^mask
	cursor = bits.Reverse64(cursor)
	cursor++
	cursor = bits.Reverse64(cursor)
	return cursor
}

// randomEntry picks a random entry, or nil when empty. Like Redis it picks a
// non-empty bucket, then an element of its chain.
func (d *dict) randomEntry(rnd func(n int) int) *Entry {
	if d.count == 0 {
		return nil
	}
	var e *Entry
	for e == nil {
		e = d.table[rnd(len(d.table))]
	}
	n := 0
	for x := e; x != nil; x = x.next {
		n++
	}
	for i := rnd(n); i > 0; i-- {
		e = e.next
	}
	return e
}

// each calls fn for every entry; fn must not modify the dict.
func (d *dict) each(fn func(*Entry) bool) {
	for _, e := range d.table {
		for ; e != nil; e = e.next {
			if !fn(e) {
				return
			}
		}
	}
}
