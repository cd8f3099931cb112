package server

import (
	"bytes"
	"math"
	"strconv"
	"strings"

	"github.com/kioku-db/kioku/server/config"
	"github.com/kioku-db/kioku/store"
	"github.com/kioku-db/kioku/types"
)

// The keys family (Redis's "generic" group: db.c, expire.c, object.c):
// commands that work on keys whatever their type.

// Error replies of this family that errors.go does not define, spelled as
// Redis 7.0 spells them.
const (
	errExpireGTLT      = "ERR GT and LT options at the same time are not compatible"
	errIntRange        = "ERR value is out of range, value must between -2147483648 and 2147483647"
	errSwapFirstIndex  = "ERR invalid first DB index"
	errSwapSecondIndex = "ERR invalid second DB index"
	errFreqNotLFU      = "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust."
	errIdleUnderLFU    = "ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust."
	errCopyUnsupported = "ERR COPY is not supported for this type"
)

func init() {
	register([]binding{
		{"del", cmdDel, lockKeys},
		{"unlink", cmdDel, lockKeys},
		{"exists", cmdExists, lockKeys},
		{"type", cmdType, lockKeys},
		{"touch", cmdTouch, lockKeys},
		{"rename", cmdRename, lockKeys},
		{"renamenx", cmdRenameNX, lockKeys},
		{"keys", cmdKeys, lockAll},
		{"scan", cmdScan, lockAll},
		{"randomkey", cmdRandomKey, lockAll},
		// COPY ... DB and MOVE touch two databases: the whole keyspace is
		// the simple lock that covers both.
		{"copy", cmdCopy, lockAll},
		{"move", cmdMove, lockAll},
		{"swapdb", cmdSwapDB, lockAll},
		{"flushdb", cmdFlushDB, lockAll},
		{"flushall", cmdFlushAll, lockAll},
		{"expire", cmdExpire, lockKeys},
		{"pexpire", cmdPExpire, lockKeys},
		{"expireat", cmdExpireAt, lockKeys},
		{"pexpireat", cmdPExpireAt, lockKeys},
		{"ttl", cmdTTL, lockKeys},
		{"pttl", cmdPTTL, lockKeys},
		{"expiretime", cmdExpireTime, lockKeys},
		{"pexpiretime", cmdPExpireTime, lockKeys},
		{"persist", cmdPersist, lockKeys},
		{"object|encoding", cmdObjectEncoding, lockKeys},
		{"object|freq", cmdObjectFreq, lockKeys},
		{"object|idletime", cmdObjectIdleTime, lockKeys},
		{"object|refcount", cmdObjectRefCount, lockKeys},
		{"object|help", cmdObjectHelp, lockNone},
	})
	// RENAME, RENAMENX, MOVE and COPY fire their events themselves, and an
	// EXPIRE to a past deadline fires del. FLUSHDB, FLUSHALL and SWAPDB
	// fire nothing, as in Redis.
	declareEvents(config.NotifyGeneric, []keyEvent{
		{"del", "del"}, {"unlink", "del"},
		{"expire", "expire"}, {"pexpire", "expire"}, {"expireat", "expire"}, {"pexpireat", "expire"},
		{"persist", "persist"},
	})
}

// cmdDel serves DEL and UNLINK. UNLINK frees values in the background in
// Redis; here dropping the references is all either does, and the garbage
// collector frees the memory off the command path.
func cmdDel(c *Client, args [][]byte) {
	var n int64
	for _, key := range args[1:] {
		if c.db.Delete(key, c.now) {
			n++
		}
	}
	c.w.Int(n)
}

// cmdExists counts a key as often as it is named, as Redis does.
func cmdExists(c *Client, args [][]byte) {
	var n int64
	for _, key := range args[1:] {
		if c.db.LookupReadNoTouch(key, c.now) != nil {
			n++
		}
	}
	c.w.Int(n)
}

func cmdTouch(c *Client, args [][]byte) {
	var n int64
	for _, key := range args[1:] {
		if c.db.LookupRead(key, c.now) != nil {
			n++
		}
	}
	c.w.Int(n)
}

func cmdType(c *Client, args [][]byte) {
	c.w.Status(typeName(c.db.LookupReadNoTouch(args[1], c.now)))
}

// typeName is TYPE's answer for an entry (nil: a missing key). Types other
// than strings name themselves.
func typeName(e *store.Entry) string {
	switch {
	case e == nil:
		return "none"
	case e.IsString():
		return "string"
	}
	if t, ok := e.Obj.(interface{ TypeName() string }); ok {
		return t.TypeName()
	}
	return "unknown"
}

func cmdRename(c *Client, args [][]byte)   { renameKey(c, args[1], args[2], false) }
func cmdRenameNX(c *Client, args [][]byte) { renameKey(c, args[1], args[2], true) }

// renameKey serves RENAME and RENAMENX. Renaming a key to itself changes
// nothing but still requires the key to exist.
func renameKey(c *Client, src, dst []byte, nx bool) {
	if c.db.Lookup(src, c.now) == nil {
		c.w.Error(errNoSuchKey)
		return
	}
	if bytes.Equal(src, dst) || (nx && c.db.Lookup(dst, c.now) != nil) {
		if nx {
			c.w.Int(0)
		} else {
			c.w.OK()
		}
		return
	}
	c.db.Rename(src, dst, c.now)
	c.notify(config.NotifyGeneric, "rename_from", src)
	c.notify(config.NotifyGeneric, "rename_to", dst)
	if nx {
		c.w.Int(1)
	} else {
		c.w.OK()
	}
}

// isExpired reports whether an entry seen by iteration (which, unlike
// Lookup, does not expire anything) is past its TTL.
func isExpired(e *store.Entry, now int64) bool { return e.Expire != 0 && e.Expire <= now }

func cmdKeys(c *Client, args [][]byte) {
	pattern := string(args[1])
	all := pattern == "*"
	var keys []string
	c.db.Each(func(e *store.Entry) bool {
		if !isExpired(e, c.now) && (all || types.GlobMatch(pattern, e.Key, false)) {
			keys = append(keys, e.Key)
		}
		return true
	})
	c.w.StringArray(keys)
}

// scanOptions are SCAN's MATCH, COUNT and TYPE. A later repetition of an
// option overrides an earlier one.
type scanOptions struct {
	count      int64
	usePattern bool // MATCH given and not "*"
	pattern    string
	useType    bool // TYPE given
	typeName   []byte
}

// parseScanOptions parses the arguments after the cursor with Redis's rules
// (an option missing its value is a syntax error, COUNT must be positive).
func parseScanOptions(args [][]byte) (scanOptions, string) {
	opts := scanOptions{count: 10}
	for i := 0; i < len(args); i += 2 {
		if len(args)-i < 2 {
			return opts, errSyntax
		}
		opt, val := args[i], args[i+1]
		switch {
		case eqFold(opt, "count"):
			n, ok := parseInt(val)
			if !ok {
				return opts, errNotInt
			}
			if n < 1 {
				return opts, errSyntax
			}
			opts.count = n
		case eqFold(opt, "match"):
			opts.pattern = string(val)
			opts.usePattern = opts.pattern != "*"
		case eqFold(opt, "type"):
			opts.useType, opts.typeName = true, val
		default:
			return opts, errSyntax
		}
	}
	return opts, ""
}

// parseScanCursor reads a cursor as Redis does with strtoul: an optional
// sign (a '-' negates modulo 2^64, so "-1" is the largest cursor), decimal
// digits and nothing after them; a leading space, an overflow or a missing
// digit is invalid, and an empty string is cursor 0. The argument ends at a
// NUL byte, since C sees it as a C string.
func parseScanCursor(arg []byte) (uint64, bool) {
	if len(arg) > 0 && isSpaceByte(arg[0]) {
		return 0, false
	}
	if i := bytes.IndexByte(arg, 0); i >= 0 {
		arg = arg[:i]
	}
	if len(arg) == 0 {
		return 0, true
	}
	neg := arg[0] == '-'
	if arg[0] == '-' || arg[0] == '+' {
		arg = arg[1:]
	}
	if len(arg) == 0 {
		return 0, false
	}
	var v uint64
	for _, ch := range arg {
		if ch < '0' || ch > '9' {
			return 0, false
		}
		d := uint64(ch - '0')
		if v > (math.MaxUint64-d)/10 {
			return 0, false
		}
		v = v*10 + d
	}
	if neg {
		v = -v
	}
	return v, true
}

// cmdScan answers [next cursor, keys]. COUNT is how many entries to visit,
// not how many keys to return: MATCH and TYPE filter what was visited, as
// in Redis. Expired keys are deleted and never returned.
func cmdScan(c *Client, args [][]byte) {
	cursor, ok := parseScanCursor(args[1])
	if !ok {
		c.w.Error(errInvalidCursor)
		return
	}
	opts, errMsg := parseScanOptions(args[2:])
	if errMsg != "" {
		c.w.Error(errMsg)
		return
	}
	var visited []*store.Entry
	next := c.db.Scan(cursor, int(min(opts.count, math.MaxInt32)), func(e *store.Entry) {
		visited = append(visited, e)
	})
	keys := make([]string, 0, len(visited))
	for _, e := range visited {
		if isExpired(e, c.now) {
			c.db.Lookup([]byte(e.Key), c.now) // deletes it
			continue
		}
		if opts.usePattern && !types.GlobMatch(opts.pattern, e.Key, false) {
			continue
		}
		if opts.useType && !eqFold(opts.typeName, typeName(e)) {
			continue
		}
		keys = append(keys, e.Key)
	}
	c.w.Array(2)
	var buf [20]byte
	c.w.Bulk(strconv.AppendUint(buf[:0], next, 10))
	c.w.StringArray(keys)
}

func cmdRandomKey(c *Client, args [][]byte) {
	key, ok := c.db.RandomKey(c.now)
	if !ok {
		c.w.Null()
		return
	}
	c.w.BulkString(key)
}

// parseInt32 is Redis's getIntFromObjectOrReply: a strict integer within
// the C int range, answering its two distinct errors.
func parseInt32(arg []byte) (int, string) {
	n, ok := parseInt(arg)
	if !ok {
		return 0, errNotInt
	}
	if n < math.MinInt32 || n > math.MaxInt32 {
		return 0, errIntRange
	}
	return int(n), ""
}

// dbByIndex resolves a DB argument of MOVE and COPY.
func dbByIndex(c *Client, arg []byte) (*store.DB, string) {
	id, errMsg := parseInt32(arg)
	if errMsg != "" {
		return nil, errMsg
	}
	if id < 0 || id >= c.srv.store.NumDBs() {
		return nil, errDBIndex
	}
	return c.srv.store.DB(id), ""
}

func cmdMove(c *Client, args [][]byte) {
	dst, errMsg := dbByIndex(c, args[2])
	if errMsg != "" {
		c.w.Error(errMsg)
		return
	}
	if dst == c.db {
		c.w.Error(errSameObject)
		return
	}
	if c.db.MoveTo(dst, args[1], c.now) {
		c.notify(config.NotifyGeneric, "move_from", args[1])
		c.notifyIn(dst, config.NotifyGeneric, "move_to", args[1])
		c.w.Int(1)
	} else {
		c.w.Int(0)
	}
}

// cmdCopy serves COPY source destination [DB index] [REPLACE].
func cmdCopy(c *Client, args [][]byte) {
	src, dst := c.db, c.db
	replace := false
	for i := 3; i < len(args); i++ {
		switch {
		case eqFold(args[i], "replace"):
			replace = true
		case eqFold(args[i], "db") && i+1 < len(args):
			db, errMsg := dbByIndex(c, args[i+1])
			if errMsg != "" {
				c.w.Error(errMsg)
				return
			}
			dst = db
			i++
		default:
			c.w.Error(errSyntax)
			return
		}
	}
	key, newKey := args[1], args[2]
	if src == dst && bytes.Equal(key, newKey) {
		c.w.Error(errSameObject)
		return
	}
	e := src.LookupRead(key, c.now)
	if e == nil {
		c.w.Int(0)
		return
	}
	// Looked up even under REPLACE: an expired destination is expired
	// (and counted) here, not silently overwritten.
	if dst.Lookup(newKey, c.now) != nil {
		if !replace {
			c.w.Int(0)
			return
		}
		if !copyable(e) {
			c.w.Error(errCopyUnsupported)
			return
		}
		// Redis replaces by deleting and adding: the key is new again.
		dst.Delete(newKey, c.now)
	}
	if !copyEntry(e, dst, newKey) {
		c.w.Error(errCopyUnsupported)
		return
	}
	c.notifyIn(dst, config.NotifyGeneric, "copy_to", newKey)
	c.w.Int(1)
}

// copyable reports whether copyEntry can copy e.
func copyable(e *store.Entry) bool {
	_, ok := e.Obj.(interface{ Clone() any })
	return e.IsString() || ok
}

// copyEntry stores a deep copy of e under key in db, with e's TTL. Strings
// are immutable and shared; other values must be able to clone themselves,
// since the copy must not change when the original does. It reports false,
// storing nothing, for a value that cannot be cloned.
func copyEntry(e *store.Entry, db *store.DB, key []byte) bool {
	if e.IsString() {
		ne := db.SetString(key, e.Str, e.Expire, false)
		// Redis duplicates the object in its encoding (int, embstr, raw).
		ne.SetStrEncoding(e.StrEncoding())
		return true
	}
	cl, ok := e.Obj.(interface{ Clone() any })
	if !ok {
		return false
	}
	ne := db.SetObject(key, cl.Clone())
	if e.Expire != 0 {
		db.SetExpire(ne, e.Expire)
	}
	return true
}

// cmdSwapDB exchanges the contents of two databases; clients stay on the
// database number they selected and so see the other contents.
func cmdSwapDB(c *Client, args [][]byte) {
	id1, errMsg := parseInt32(args[1])
	if errMsg != "" {
		c.w.Error(errSwapFirstIndex)
		return
	}
	id2, errMsg := parseInt32(args[2])
	if errMsg != "" {
		c.w.Error(errSwapSecondIndex)
		return
	}
	n := c.srv.store.NumDBs()
	if id1 < 0 || id1 >= n || id2 < 0 || id2 >= n {
		c.w.Error(errDBIndex)
		return
	}
	if id1 != id2 {
		c.srv.store.Swap(c.srv.store.DB(id1), c.srv.store.DB(id2))
	}
	c.w.OK()
}

// flushModeOK checks FLUSHDB's and FLUSHALL's optional ASYNC|SYNC. Both
// modes drop the references at once and leave freeing to the garbage
// collector, which is what ASYNC promises and SYNC cannot tell apart.
func flushModeOK(args [][]byte) bool {
	switch len(args) {
	case 1:
		return true
	case 2:
		return eqFold(args[1], "async") || eqFold(args[1], "sync")
	}
	return false
}

func cmdFlushDB(c *Client, args [][]byte) {
	if !flushModeOK(args) {
		c.w.Error(errSyntax)
		return
	}
	c.db.Flush()
	c.w.OK()
}

func cmdFlushAll(c *Client, args [][]byte) {
	if !flushModeOK(args) {
		c.w.Error(errSyntax)
		return
	}
	for i := 0; i < c.srv.store.NumDBs(); i++ {
		c.srv.store.DB(i).Flush()
	}
	c.srv.afterFlushAll()
	c.w.OK()
}

// expireCond is the NX/XX/GT/LT condition of the EXPIRE commands.
type expireCond uint8

const (
	expireCondNX expireCond = 1 << iota // only when the key has no TTL
	expireCondXX                        // only when it has one
	expireCondGT                        // only to a later deadline
	expireCondLT                        // only to an earlier deadline
)

// parseExpireCond parses the options after the time. Unknown options are
// reported before the time is parsed, as Redis does.
func parseExpireCond(opts [][]byte) (expireCond, string) {
	var cond expireCond
	for _, o := range opts {
		switch {
		case eqFold(o, "nx"):
			cond |= expireCondNX
		case eqFold(o, "xx"):
			cond |= expireCondXX
		case eqFold(o, "gt"):
			cond |= expireCondGT
		case eqFold(o, "lt"):
			cond |= expireCondLT
		default:
			return 0, "ERR Unsupported option " + string(cString(o))
		}
	}
	if cond&expireCondNX != 0 && cond&(expireCondXX|expireCondGT|expireCondLT) != 0 {
		return 0, errNXXXGTLT
	}
	if cond&expireCondGT != 0 && cond&expireCondLT != 0 {
		return 0, errExpireGTLT
	}
	return cond, ""
}

// allows applies the condition to a key whose current deadline is current
// (0: no TTL, which GT and LT treat as an infinite deadline).
func (cond expireCond) allows(current, when int64) bool {
	switch {
	case cond&expireCondNX != 0 && current != 0:
		return false
	case cond&expireCondXX != 0 && current == 0:
		return false
	case cond&expireCondGT != 0 && (current == 0 || when <= current):
		return false
	case cond&expireCondLT != 0 && current != 0 && when >= current:
		return false
	}
	return true
}

// expireDeadline turns an EXPIRE argument into a unix-ms deadline: n is in
// seconds or milliseconds and relative to base (0 for the ...AT forms). ok
// is false when the conversion would overflow 64 bits; negative results
// are fine, they only mean "already expired".
func expireDeadline(n int64, seconds bool, base int64) (int64, bool) {
	if seconds {
		if n > math.MaxInt64/1000 || n < math.MinInt64/1000 {
			return 0, false
		}
		n *= 1000
	}
	if n > math.MaxInt64-base {
		return 0, false
	}
	return n + base, true
}

func cmdExpire(c *Client, args [][]byte)    { expireKey(c, args, "expire", true, true) }
func cmdPExpire(c *Client, args [][]byte)   { expireKey(c, args, "pexpire", false, true) }
func cmdExpireAt(c *Client, args [][]byte)  { expireKey(c, args, "expireat", true, false) }
func cmdPExpireAt(c *Client, args [][]byte) { expireKey(c, args, "pexpireat", false, false) }

// expireKey serves the four EXPIRE commands: key time [NX|XX|GT|LT]. A
// deadline already past deletes the key and still answers 1.
func expireKey(c *Client, args [][]byte, name string, seconds, relative bool) {
	cond, errMsg := parseExpireCond(args[3:])
	if errMsg != "" {
		c.w.Error(errMsg)
		return
	}
	n, ok := parseInt(args[2])
	if !ok {
		c.w.Error(errNotInt)
		return
	}
	var base int64
	if relative {
		base = c.now
	}
	when, ok := expireDeadline(n, seconds, base)
	if !ok {
		c.w.Error(invalidExpire(name))
		return
	}
	e := c.db.Lookup(args[1], c.now)
	if e == nil || !cond.allows(e.Expire, when) {
		c.w.Int(0)
		return
	}
	if when <= c.now {
		c.db.Delete(args[1], c.now)
		c.notify(config.NotifyGeneric, "del", args[1])
	} else {
		c.db.SetExpire(e, when)
	}
	c.w.Int(1)
}

func cmdTTL(c *Client, args [][]byte)         { replyTTL(c, args[1], false, false) }
func cmdPTTL(c *Client, args [][]byte)        { replyTTL(c, args[1], true, false) }
func cmdExpireTime(c *Client, args [][]byte)  { replyTTL(c, args[1], false, true) }
func cmdPExpireTime(c *Client, args [][]byte) { replyTTL(c, args[1], true, true) }

// replyTTL serves TTL, PTTL, EXPIRETIME and PEXPIRETIME: -2 for a missing
// key, -1 for a key without TTL.
func replyTTL(c *Client, key []byte, inMs, absolute bool) {
	e := c.db.LookupReadNoTouch(key, c.now)
	switch {
	case e == nil:
		c.w.Int(-2)
	case e.Expire == 0:
		c.w.Int(-1)
	default:
		c.w.Int(ttlValue(e.Expire, c.now, inMs, absolute))
	}
}

// ttlValue is the remaining time (or the deadline when absolute) of a key
// expiring at expire, never negative; seconds are rounded to the nearest.
func ttlValue(expire, now int64, inMs, absolute bool) int64 {
	t := expire
	if !absolute {
		t = max(expire-now, 0)
	}
	if inMs {
		return t
	}
	// Unsigned like Redis's build: t+500 may pass MaxInt64 for a deadline
	// near the maximum, and Redis answers the mathematically right value.
	return int64((uint64(t) + 500) / 1000)
}

func cmdPersist(c *Client, args [][]byte) {
	e := c.db.Lookup(args[1], c.now)
	if e == nil || e.Expire == 0 {
		c.w.Int(0)
		return
	}
	c.db.SetExpire(e, 0)
	c.w.Int(1)
}

// objectLookup finds the key of an OBJECT subcommand without counting as
// an access; a missing key answers null.
func objectLookup(c *Client, key []byte) *store.Entry {
	e := c.db.LookupReadQuiet(key, c.now)
	if e == nil {
		c.w.Null()
	}
	return e
}

func cmdObjectEncoding(c *Client, args [][]byte) {
	if e := objectLookup(c, args[2]); e != nil {
		c.w.BulkString(objectEncoding(c, e))
	}
}

func cmdObjectFreq(c *Client, args [][]byte) {
	e := objectLookup(c, args[2])
	if e == nil {
		return
	}
	if !isLFUPolicy(c.srv.cfg.String("maxmemory-policy")) {
		c.w.Error(errFreqNotLFU)
		return
	}
	if refCount(c, e) == sharedRefCount {
		// A shared integer object carries the access bits it was created
		// with at startup, under the default LRU policy; read as LFU data
		// they decay to 0, which is what Redis answers.
		c.w.Int(0)
		return
	}
	c.w.Int(store.LFUDecay(e.AccessClock(), c.now, c.srv.cfg.Int("lfu-decay-time")))
}

func cmdObjectIdleTime(c *Client, args [][]byte) {
	e := objectLookup(c, args[2])
	if e == nil {
		return
	}
	if isLFUPolicy(c.srv.cfg.String("maxmemory-policy")) {
		c.w.Error(errIdleUnderLFU)
		return
	}
	c.w.Int(store.IdleMs(e.AccessClock(), c.now) / 1000)
}

func cmdObjectRefCount(c *Client, args [][]byte) {
	if e := objectLookup(c, args[2]); e != nil {
		c.w.Int(refCount(c, e))
	}
}

func cmdObjectHelp(c *Client, args [][]byte) {
	writeHelp(c, "OBJECT",
		"ENCODING <key>",
		"    Return the kind of internal representation used in order to store the value",
		"    associated with a <key>.",
		"FREQ <key>",
		"    Return the access frequency index of the <key>. The returned integer is",
		"    proportional to the logarithm of the recent access frequency of the key.",
		"IDLETIME <key>",
		"    Return the idle time of the <key>, that is the approximated number of",
		"    seconds elapsed since the last access to the key.",
		"REFCOUNT <key>",
		"    Return the number of references of the value associated with the specified",
		"    <key>.",
	)
}

// isLFUPolicy reports whether the maxmemory policy tracks access frequency
// (the entry's access field then holds LFU data instead of an LRU clock).
func isLFUPolicy(policy string) bool { return strings.HasSuffix(policy, "-lfu") }

// isLRUPolicy reports whether the policy evicts by recency.
func isLRUPolicy(policy string) bool { return strings.HasSuffix(policy, "-lru") }

// lruClockMax is the largest value of Redis's 24-bit LRU clock (seconds).
const lruClockMax = 1<<24 - 1

// sharedIntegers is Redis's OBJ_SHARED_INTEGERS: integer strings below it
// are one shared object when memory policy allows.
const sharedIntegers = 10000

// sharedRefCount is the refcount Redis reports for a shared object.
const sharedRefCount = math.MaxInt32

// refCount answers OBJECT REFCOUNT. Redis stores small non-negative integer
// strings as shared objects unless an LRU or LFU maxmemory policy needs
// per-key access data; every other value is referenced once.
func refCount(c *Client, e *store.Entry) int64 {
	if !e.IsString() || objectEncoding(c, e) != "int" {
		return 1
	}
	policy := c.srv.cfg.String("maxmemory-policy")
	if c.srv.cfg.Int("maxmemory") != 0 && (isLRUPolicy(policy) || isLFUPolicy(policy)) {
		return 1
	}
	if v, ok := parseInt([]byte(e.Str)); ok && v >= 0 && v < sharedIntegers {
		return sharedRefCount
	}
	return 1
}
