package types

import (
	"hash/maphash"
	"math/bits"
)

// Dict is a string-keyed chained hash table with power-of-two tables, the
// shape of Redis's dict.c. The large encodings of hashes and sets use it
// instead of a Go map for two reasons: HSCAN/SSCAN need a stateless cursor
// that survives resizes (Redis's reverse-binary cursor, which only works on
// a power-of-two chained table), and HRANDFIELD/SRANDMEMBER/SPOP need cheap
// random sampling. Go maps offer neither.
//
// A resize rehashes every element at once (Redis rehashes incrementally):
// one resize of a table with n elements costs O(n) in the command that
// triggers it. The zero value is an empty dict ready to use. A Dict is not
// safe for concurrent use.
type Dict[V any] struct {
	table []*dictEntry[V]
	count int
}

// dictEntry is one element. The value sits between the key and the link so
// that a zero-size V (a set's struct{}) adds no trailing padding.
type dictEntry[V any] struct {
	key  string
	val  V
	next *dictEntry[V]
}

// dictMinSize is the smallest table, as Redis's DICT_HT_INITIAL_SIZE.
const dictMinSize = 4

// dictMinFillPercent: a table less full than this shrinks, as Redis's
// HASHTABLE_MIN_FILL.
const dictMinFillPercent = 10

// dictSeed is per process: hash-flooding a table needs the seed.
var dictSeed = maphash.MakeSeed()

func dictHash(key string) uint64 { return maphash.String(dictSeed, key) }

// NewDict returns an empty dict with room for n elements before its first
// resize.
func NewDict[V any](n int) *Dict[V] {
	d := &Dict[V]{}
	if n > 0 {
		d.table = make([]*dictEntry[V], tableSizeFor(n))
	}
	return d
}

// tableSizeFor is the smallest power of two (at least dictMinSize) that
// holds n elements at a load factor of 1.
func tableSizeFor(n int) int {
	if n <= dictMinSize {
		return dictMinSize
	}
	return 1 << bits.Len(uint(n-1))
}

// Len reports the number of elements.
func (d *Dict[V]) Len() int { return d.count }

func (d *Dict[V]) bucket(key string) int {
	return int(dictHash(key) & uint64(len(d.table)-1))
}

func (d *Dict[V]) find(key string) *dictEntry[V] {
	if d.count == 0 {
		return nil
	}
	for e := d.table[d.bucket(key)]; e != nil; e = e.next {
		if e.key == key {
			return e
		}
	}
	return nil
}

// Get returns the value of key.
func (d *Dict[V]) Get(key string) (V, bool) {
	if e := d.find(key); e != nil {
		return e.val, true
	}
	var zero V
	return zero, false
}

// Has reports whether key is present.
func (d *Dict[V]) Has(key string) bool { return d.find(key) != nil }

// Set stores v under key and reports whether key is new. An existing key
// keeps its key string; only the value is replaced. The dict keeps key as
// given: pass a string that owns its bytes.
func (d *Dict[V]) Set(key string, v V) (added bool) {
	if e := d.find(key); e != nil {
		e.val = v
		return false
	}
	d.insertNew(key, v)
	return true
}

// Put is Set for values that live in the key's allocation: an existing
// entry takes this key string as well as v, so the old key's memory is
// released with the old value.
func (d *Dict[V]) Put(key string, v V) (added bool) {
	if e := d.find(key); e != nil {
		e.key, e.val = key, v
		return false
	}
	d.insertNew(key, v)
	return true
}

// insertNew adds a key known to be absent.
func (d *Dict[V]) insertNew(key string, v V) {
	if d.count >= len(d.table) {
		d.resize(max(dictMinSize, 2*len(d.table)))
	}
	i := d.bucket(key)
	d.table[i] = &dictEntry[V]{key: key, val: v, next: d.table[i]}
	d.count++
}

// Delete removes key and reports whether it was present. The table shrinks
// when it becomes mostly empty, as Redis resizes a hash or set after a
// deletion.
func (d *Dict[V]) Delete(key string) bool {
	if d.count == 0 {
		return false
	}
	for pp := &d.table[d.bucket(key)]; *pp != nil; pp = &(*pp).next {
		if e := *pp; e.key == key {
			*pp = e.next
			e.next = nil
			d.count--
			d.maybeShrink()
			return true
		}
	}
	return false
}

func (d *Dict[V]) maybeShrink() {
	if len(d.table) > dictMinSize && d.count*100/len(d.table) < dictMinFillPercent {
		d.resize(tableSizeFor(d.count))
	}
}

func (d *Dict[V]) resize(size int) {
	nt := make([]*dictEntry[V], size)
	mask := uint64(size - 1)
	for _, e := range d.table {
		for e != nil {
			next := e.next
			i := dictHash(e.key) & mask
			e.next = nt[i]
			nt[i] = e
			e = next
		}
	}
	d.table = nt
}

// Each calls fn for every element until fn returns false. fn must not
// modify the dict. The signature is that of iter.Seq2, so
// `for k, v := range d.Each` works.
func (d *Dict[V]) Each(fn func(key string, v V) bool) {
	if d.count == 0 {
		return
	}
	for _, e := range d.table {
		for ; e != nil; e = e.next {
			if !fn(e.key, e.val) {
				return
			}
		}
	}
}

// Scan visits the bucket chain at cursor and returns the next cursor, 0
// when the scan is complete. Start with cursor 0. The cursor increments its
// reversed bits, so every element present for the whole scan is visited at
// least once even when the table grows or shrinks between calls; an element
// may be visited more than once. fn must not modify the dict.
func (d *Dict[V]) Scan(cursor uint64, fn func(key string, v V)) uint64 {
	if d.count == 0 {
		return 0
	}
	mask := uint64(len(d.table) - 1)
	for e := d.table[cursor&mask]; e != nil; e = e.next {
		fn(e.key, e.val)
	}
	// Set the bits above the mask so that the increment of the reversed
	// cursor carries into the bits that index the table.
	cursor |= ^mask
	cursor = bits.Reverse64(cursor)
	cursor++
	return bits.Reverse64(cursor)
}

// Random returns a random element: a random non-empty bucket, then a random
// element of its chain (Redis's dictGetRandomKey). rnd(n) must return a
// number in [0, n). Elements in long chains are slightly less likely; with
// a load factor of at most 1 chains are short. An empty dict returns the
// zero values.
func (d *Dict[V]) Random(rnd func(n int) int) (string, V) {
	if d.count == 0 {
		var zero V
		return "", zero
	}
	var head *dictEntry[V]
	for head == nil {
		head = d.table[rnd(len(d.table))]
	}
	n := 0
	for e := head; e != nil; e = e.next {
		n++
	}
	e := head
	for i := rnd(n); i > 0; i-- {
		e = e.next
	}
	return e.key, e.val
}

// Clone returns a copy with the same elements and table size. Keys and
// values are copied as values: a V that points to shared data shares it.
func (d *Dict[V]) Clone() *Dict[V] {
	c := &Dict[V]{count: d.count}
	if d.table == nil {
		return c
	}
	c.table = make([]*dictEntry[V], len(d.table))
	for i, e := range d.table {
		// Rebuild each chain in its original order.
		tail := &c.table[i]
		for ; e != nil; e = e.next {
			ne := &dictEntry[V]{key: e.key, val: e.val}
			*tail = ne
			tail = &ne.next
		}
	}
	return c
}
