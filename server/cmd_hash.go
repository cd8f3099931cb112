package server

import (
	"math"
	"math/big"
	"math/rand/v2"
	"strconv"

	"github.com/kioku-db/kioku/server/config"
	"github.com/kioku-db/kioku/store"
	"github.com/kioku-db/kioku/types"
)

// The hash family (Redis's t_hash.c). The data structure is types.Hash;
// this file parses arguments, applies Redis's order of checks (which error
// wins when several apply) and writes the replies.

// Error replies of this family, spelled as Redis 7.0 spells them.
const (
	errHashNotInt      = "ERR hash value is not an integer"
	errHashNotFloat    = "ERR hash value is not a float"
	errIncrNaNOrInf    = "ERR value is NaN or Infinity"
	errValueOutOfRange = "ERR value is out of range"
)

func init() {
	register([]binding{
		{"hset", cmdHSet, lockKeys},
		{"hmset", cmdHMSet, lockKeys},
		{"hsetnx", cmdHSetNX, lockKeys},
		{"hget", cmdHGet, lockKeys},
		{"hmget", cmdHMGet, lockKeys},
		{"hgetall", cmdHGetAll, lockKeys},
		{"hkeys", cmdHKeys, lockKeys},
		{"hvals", cmdHVals, lockKeys},
		{"hdel", cmdHDel, lockKeys},
		{"hlen", cmdHLen, lockKeys},
		{"hexists", cmdHExists, lockKeys},
		{"hstrlen", cmdHStrlen, lockKeys},
		{"hincrby", cmdHIncrBy, lockKeys},
		{"hincrbyfloat", cmdHIncrByFloat, lockKeys},
		{"hscan", cmdHScan, lockKeys},
		{"hrandfield", cmdHRandField, lockKeys},
	})
	declareEvents(config.NotifyHash, []keyEvent{
		{"hset", "hset"}, {"hmset", "hset"}, {"hsetnx", "hset"}, {"hdel", "hdel"},
		{"hincrby", "hincrby"}, {"hincrbyfloat", "hincrbyfloat"},
	})
}

// hashLimits reads the compact encoding's thresholds per command, so that
// CONFIG SET applies to the next write.
func (c *Client) hashLimits() types.HashLimits {
	return types.HashLimits{
		MaxEntries: int(c.srv.cfg.Int("hash-max-listpack-entries")),
		MaxValue:   int(c.srv.cfg.Int("hash-max-listpack-value")),
	}
}

// asHash returns the hash an entry holds; ok is false (and WRONGTYPE
// written) for another type. A missing key gives nil, true.
func asHash(c *Client, e *store.Entry) (h *types.Hash, ok bool) {
	if e == nil {
		return nil, true
	}
	if h, ok = e.Obj.(*types.Hash); !ok {
		c.w.Error(errWrongType)
	}
	return h, ok
}

// readHash looks a hash up for a command that reads it (counted in
// keyspace_hits/misses, as Redis's lookupKeyRead).
func readHash(c *Client, key []byte) (*types.Hash, bool) {
	return asHash(c, c.db.LookupRead(key, c.now))
}

// writeHash looks a hash up for a command that may modify it.
func writeHash(c *Client, key []byte) (*types.Hash, bool) {
	return asHash(c, c.db.Lookup(key, c.now))
}

// storeHash makes a write visible: a new hash is stored under key (which
// signals the change), an existing one was changed in place and is
// signalled as touched.
func storeHash(c *Client, key []byte, h *types.Hash, created bool) {
	if created {
		c.db.SetObject(key, h)
		return
	}
	c.db.Touched(key)
}

func cmdHSet(c *Client, args [][]byte) {
	if added, ok := hashSetPairs(c, args); ok {
		c.w.Int(int64(added))
	}
}

// cmdHMSet is HSET answering OK, its form before Redis 4.
func cmdHMSet(c *Client, args [][]byte) {
	if _, ok := hashSetPairs(c, args); ok {
		c.w.OK()
	}
}

// hashSetPairs stores the field/value pairs of HSET and HMSET and counts
// the new fields. A field without a value is an arity error, checked
// before the key's type as in Redis.
func hashSetPairs(c *Client, args [][]byte) (added int, ok bool) {
	if len(args)%2 == 1 {
		c.w.Error(wrongArgs(c.cmd.Name))
		return 0, false
	}
	h, ok := writeHash(c, args[1])
	if !ok {
		return 0, false
	}
	created := h == nil
	if created {
		h = types.NewHash()
	}
	added = h.SetPairs(args[2:], c.hashLimits())
	storeHash(c, args[1], h, created)
	return added, true
}

func cmdHSetNX(c *Client, args [][]byte) {
	h, ok := writeHash(c, args[1])
	if !ok {
		return
	}
	if h != nil && h.Has(args[2]) {
		c.w.Int(0)
		return
	}
	created := h == nil
	if created {
		h = types.NewHash()
	}
	h.Set(args[2], args[3], c.hashLimits())
	storeHash(c, args[1], h, created)
	c.w.Int(1)
}

func cmdHGet(c *Client, args [][]byte) {
	h, ok := readHash(c, args[1])
	if !ok {
		return
	}
	writeHashValue(c, h, args[2])
}

// writeHashValue answers a field's value, or null for a missing field or
// hash.
func writeHashValue(c *Client, h *types.Hash, field []byte) {
	if h != nil {
		if v, found := h.Get(field); found {
			c.w.Bulk(v)
			return
		}
	}
	c.w.Null()
}

func cmdHMGet(c *Client, args [][]byte) {
	h, ok := readHash(c, args[1])
	if !ok {
		return
	}
	c.w.Array(len(args) - 2)
	for _, f := range args[2:] {
		writeHashValue(c, h, f)
	}
}

// Which parts of the pairs HGETALL, HKEYS and HVALS answer.
const (
	hashPartFields = 1 << iota
	hashPartValues
)

func cmdHGetAll(c *Client, args [][]byte) { writeHashPairs(c, args[1], hashPartFields|hashPartValues) }
func cmdHKeys(c *Client, args [][]byte)   { writeHashPairs(c, args[1], hashPartFields) }
func cmdHVals(c *Client, args [][]byte)   { writeHashPairs(c, args[1], hashPartValues) }

// writeHashPairs answers the whole hash: a map of fields to values (a flat
// array in RESP2), or an array of its fields or of its values.
func writeHashPairs(c *Client, key []byte, parts int) {
	h, ok := readHash(c, key)
	if !ok {
		return
	}
	n := 0
	if h != nil {
		n = h.Len()
	}
	if parts == hashPartFields|hashPartValues {
		c.w.Map(n)
	} else {
		c.w.Array(n)
	}
	if h == nil {
		return
	}
	h.Each(func(f, v []byte) bool {
		if parts&hashPartFields != 0 {
			c.w.Bulk(f)
		}
		if parts&hashPartValues != 0 {
			c.w.Bulk(v)
		}
		return true
	})
}

func cmdHDel(c *Client, args [][]byte) {
	h, ok := writeHash(c, args[1])
	if !ok {
		return
	}
	deleted := 0
	if h != nil {
		for _, f := range args[2:] {
			if h.Delete(f) {
				deleted++
			}
		}
	}
	if deleted > 0 {
		hashAfterRemoval(c, args[1], h)
	}
	c.w.Int(int64(deleted))
}

// hashAfterRemoval deletes a hash that became empty (Redis never keeps an
// empty collection) or signals the in-place change.
func hashAfterRemoval(c *Client, key []byte, h *types.Hash) {
	if h.Len() == 0 {
		c.db.Delete(key, c.now)
		return
	}
	c.db.Touched(key)
}

func cmdHLen(c *Client, args [][]byte) {
	h, ok := readHash(c, args[1])
	if !ok {
		return
	}
	if h == nil {
		c.w.Int(0)
		return
	}
	c.w.Int(int64(h.Len()))
}

func cmdHExists(c *Client, args [][]byte) {
	h, ok := readHash(c, args[1])
	if !ok {
		return
	}
	if h != nil && h.Has(args[2]) {
		c.w.Int(1)
		return
	}
	c.w.Int(0)
}

func cmdHStrlen(c *Client, args [][]byte) {
	h, ok := readHash(c, args[1])
	if !ok {
		return
	}
	var n int
	if h != nil {
		v, _ := h.Get(args[2])
		n = len(v)
	}
	c.w.Int(int64(n))
}

// cmdHIncrBy parses the increment before looking at the key, so a bad
// increment wins over WRONGTYPE, as in Redis.
func cmdHIncrBy(c *Client, args [][]byte) {
	incr, ok := parseInt(args[3])
	if !ok {
		c.w.Error(errNotInt)
		return
	}
	h, ok := writeHash(c, args[1])
	if !ok {
		return
	}
	var cur int64
	if h != nil {
		if v, found := h.Get(args[2]); found {
			if cur, ok = parseInt(v); !ok {
				c.w.Error(errHashNotInt)
				return
			}
		}
	}
	if (incr < 0 && cur < 0 && incr < math.MinInt64-cur) ||
		(incr > 0 && cur > 0 && incr > math.MaxInt64-cur) {
		c.w.Error(errOverflow)
		return
	}
	cur += incr
	var buf [20]byte
	hashSetField(c, args[1], h, args[2], strconv.AppendInt(buf[:0], cur, 10))
	c.w.Int(cur)
}

// hashSetField stores one field, creating the hash when h is nil.
func hashSetField(c *Client, key []byte, h *types.Hash, field, value []byte) {
	created := h == nil
	if created {
		h = types.NewHash()
	}
	h.Set(field, value, c.hashLimits())
	storeHash(c, key, h, created)
}

// cmdHIncrByFloat adds with Redis's long double arithmetic, as INCRBYFLOAT
// does. The increment is checked (parse, then NaN or infinity) before the
// key is looked at.
func cmdHIncrByFloat(c *Client, args [][]byte) {
	incr, ok := parseLongDouble(args[3])
	if !ok {
		c.w.Error(errNotFloat)
		return
	}
	if incr.IsInf() {
		c.w.Error(errIncrNaNOrInf)
		return
	}
	h, ok := writeHash(c, args[1])
	if !ok {
		return
	}
	cur := new(big.Float).SetPrec(longDoublePrec)
	if h != nil {
		if v, found := h.Get(args[2]); found {
			if cur, ok = parseLongDouble(v); !ok {
				c.w.Error(errHashNotFloat)
				return
			}
		}
	}
	// A stored "inf" parses; the sum is then infinite and refused here.
	s, ok := longDoubleSum(cur, incr)
	if !ok {
		c.w.Error(errIncrFloatNaN)
		return
	}
	hashSetField(c, args[1], h, args[2], []byte(s))
	c.w.BulkString(s)
}

func cmdHScan(c *Client, args [][]byte) {
	pairScanCommand(c, args, func() (pairScanner, bool) {
		h, ok := readHash(c, args[1])
		if h == nil {
			return nil, ok
		}
		return h.Scan, true
	})
}

// pairScanner visits the pairs (field and value, member and score) of the
// bucket at cursor and returns the next cursor.
type pairScanner func(cursor uint64, visit func(name, value []byte)) uint64

// pairScanCommand serves HSCAN and ZSCAN. It checks the cursor, then the
// key (open: a nil scanner for a missing key, ok false once WRONGTYPE was
// answered), then the options, in Redis's order: a missing key answers an
// empty scan whatever the options say.
func pairScanCommand(c *Client, args [][]byte, open func() (pairScanner, bool)) {
	cursor, ok := parseScanCursor(args[2])
	if !ok {
		c.w.Error(errInvalidCursor)
		return
	}
	scan, ok := open()
	if !ok {
		return
	}
	if scan == nil {
		writeHScanReply(c, 0, nil)
		return
	}
	opts, errMsg := parseHScanOptions(args[3:])
	if errMsg != "" {
		c.w.Error(errMsg)
		return
	}
	var found [][]byte // name, value, name, value...
	next := pairScanBatch(scan, cursor, opts.count, func(name, value []byte) {
		if !opts.usePattern || types.GlobMatch(opts.pattern, string(name), false) {
			found = append(found, name, value)
		}
	})
	writeHScanReply(c, next, found)
}

// parseHScanOptions reads COUNT and MATCH with SCAN's rules (the shared
// scanOptions); TYPE, valid for SCAN only, is a syntax error here.
func parseHScanOptions(args [][]byte) (opts scanOptions, errMsg string) {
	opts.count = 10
	for i := 0; i < len(args); i += 2 {
		if len(args)-i < 2 {
			return opts, errSyntax
		}
		switch val := args[i+1]; {
		case eqFold(args[i], "count"):
			n, ok := parseInt(val)
			if !ok {
				return opts, errNotInt
			}
			if n < 1 {
				return opts, errSyntax
			}
			opts.count = n
		case eqFold(args[i], "match"):
			// Only "*" matches everything; "" matches the empty field.
			opts.pattern = string(val)
			opts.usePattern = opts.pattern != "*"
		default:
			return opts, errSyntax
		}
	}
	return opts, ""
}

// pairScanBatch visits buckets from cursor as Redis's scanGenericCommand
// does: until count elements are collected, counting a name and its value
// as two, or ten times count buckets were visited. A compact collection is
// visited whole and answers cursor 0.
func pairScanBatch(scan pairScanner, cursor uint64, count int64, fn func(name, value []byte)) uint64 {
	collected := int64(0)
	visit := func(f, v []byte) { collected += 2; fn(f, v) }
	maxBuckets := int64(math.MaxInt64)
	if count <= math.MaxInt64/10 {
		maxBuckets = count * 10
	}
	for {
		cursor = scan(cursor, visit)
		if cursor == 0 || maxBuckets == 0 || collected >= count {
			return cursor
		}
		maxBuckets--
	}
}

func writeHScanReply(c *Client, cursor uint64, found [][]byte) {
	c.w.Array(2)
	var buf [20]byte
	c.w.Bulk(strconv.AppendUint(buf[:0], cursor, 10))
	c.w.Array(len(found))
	for _, b := range found {
		c.w.Bulk(b)
	}
}

// parseRandomCount reads HRANDFIELD's and ZRANDMEMBER's "key count
// [WITHVALUES|WITHSCORES]" in Redis's order of checks: the count, the
// option, then the count again when the reply doubles (twice as many
// replies must stay countable).
func parseRandomCount(c *Client, args [][]byte, option string) (count int64, with, ok bool) {
	count, ok = parseInt(args[2])
	if !ok {
		c.w.Error(errNotInt)
		return 0, false, false
	}
	if count == math.MinInt64 {
		c.w.Error(errCountRange)
		return 0, false, false
	}
	with = len(args) == 4
	if len(args) > 4 || (with && !eqFold(args[3], option)) {
		c.w.Error(errSyntax)
		return 0, false, false
	}
	if with && (count < -math.MaxInt64/2 || count > math.MaxInt64/2) {
		c.w.Error(errValueOutOfRange)
		return 0, false, false
	}
	return count, with, true
}

// cmdHRandField answers one random field (no count) or an array of them.
// A positive count answers distinct fields, at most the whole hash; a
// negative count answers that many, repeats allowed. The checks run in
// Redis's order: count, options, then the key.
func cmdHRandField(c *Client, args [][]byte) {
	if len(args) == 2 {
		hrandfieldOne(c, args[1])
		return
	}
	count, withValues, ok := parseRandomCount(c, args, "withvalues")
	if !ok {
		return
	}
	h, ok := readHash(c, args[1])
	if !ok {
		return
	}
	if h == nil || count == 0 {
		c.w.Array(0)
		return
	}
	if count < 0 {
		hrandfieldRepeating(c, h, -count, withValues)
		return
	}
	n := int(min(count, int64(h.Len())))
	writeRandFieldsHeader(c, n, withValues)
	h.RandomDistinct(n, rand.IntN, func(f, v []byte) { writeRandField(c, f, v, withValues) })
}

func hrandfieldOne(c *Client, key []byte) {
	h, ok := readHash(c, key)
	if !ok {
		return
	}
	if h == nil {
		c.w.Null()
		return
	}
	f, _, _ := h.Random(rand.IntN)
	c.w.Bulk(f)
}

// hrandfieldRepeating answers n random fields, repeats allowed. n can be
// far beyond what memory holds (HRANDFIELD key -9223372036854775807): the
// reply cap (resp.Writer.Limit) unwinds such a reply with an error.
func hrandfieldRepeating(c *Client, h *types.Hash, n int64, withValues bool) {
	writeRandFieldsHeader(c, int(n), withValues)
	const batch = 1024
	for n > 0 {
		k := min(n, batch)
		h.RandomPairs(int(k), rand.IntN, func(f, v []byte) { writeRandField(c, f, v, withValues) })
		n -= k
	}
}

// writeRandFieldsHeader opens a reply of n fields: with values, a flat
// array of pairs in RESP2 and an array of two-element arrays in RESP3 (as
// Redis 7.0 answers, not a map).
func writeRandFieldsHeader(c *Client, n int, withValues bool) {
	if withValues && c.w.Proto() == 2 {
		c.w.Array(2 * n)
		return
	}
	c.w.Array(n)
}

func writeRandField(c *Client, f, v []byte, withValues bool) {
	if !withValues {
		c.w.Bulk(f)
		return
	}
	if c.w.Proto() == 3 {
		c.w.Array(2)
	}
	c.w.Bulk(f)
	c.w.Bulk(v)
}
