package server

import (
	"math"
	"math/big"
	"strconv"

	"github.com/kioku-db/kioku/server/config"
	"github.com/kioku-db/kioku/store"
)

// The string family (Redis's t_string.c).
func init() {
	register([]binding{
		{"get", cmdGet, lockKeys},
		{"set", cmdSet, lockKeys},
		{"setnx", cmdSetNX, lockKeys},
		{"setex", cmdSetEX, lockKeys},
		{"psetex", cmdPSetEX, lockKeys},
		{"getset", cmdGetSet, lockKeys},
		{"getdel", cmdGetDel, lockKeys},
		{"getex", cmdGetEX, lockKeys},
		{"mget", cmdMGet, lockKeys},
		{"mset", cmdMSet, lockKeys},
		{"msetnx", cmdMSetNX, lockKeys},
		{"incr", cmdIncr, lockKeys},
		{"decr", cmdDecr, lockKeys},
		{"incrby", cmdIncrBy, lockKeys},
		{"decrby", cmdDecrBy, lockKeys},
		{"incrbyfloat", cmdIncrByFloat, lockKeys},
		{"append", cmdAppend, lockKeys},
		{"strlen", cmdStrlen, lockKeys},
		{"getrange", cmdGetRange, lockKeys},
		{"substr", cmdGetRange, lockKeys},
		{"setrange", cmdSetRange, lockKeys},
		{"lcs", cmdLCS, lockKeys},
	})
	// SET, SETEX, PSETEX, MSET, MSETNX and GETEX fire their events
	// themselves (setString, cmdGetEX).
	declareEvents(config.NotifyString, []keyEvent{
		{"setnx", "set"}, {"getset", "set"},
		{"incr", "incrby"}, {"incrby", "incrby"}, {"decr", "incrby"}, {"decrby", "incrby"},
		{"incrbyfloat", "incrbyfloat"}, {"append", "append"}, {"setrange", "setrange"},
	})
	declareEvents(config.NotifyGeneric, []keyEvent{{"getdel", "del"}})
}

// setString stores a string for SET, SETEX, PSETEX and MSET and fires
// Redis's events: set, then expire when it got a TTL.
func setString(c *Client, key []byte, val string, expireAt int64, keepTTL bool) {
	c.db.SetString(key, val, expireAt, keepTTL)
	c.notify(config.NotifyString, "set", key)
	if expireAt != 0 {
		c.notify(config.NotifyGeneric, "expire", key)
	}
}

// readString looks key up for reading: ok is false (and the reply written)
// when the key holds another type. A missing key gives e == nil, ok true.
func readString(c *Client, key []byte) (e *store.Entry, ok bool) {
	e = c.db.LookupRead(key, c.now)
	if e != nil && !e.IsString() {
		c.w.Error(errWrongType)
		return nil, false
	}
	return e, true
}

// writeString looks key up for modification, with the same contract.
func writeString(c *Client, key []byte) (e *store.Entry, ok bool) {
	e = c.db.Lookup(key, c.now)
	if e != nil && !e.IsString() {
		c.w.Error(errWrongType)
		return nil, false
	}
	return e, true
}

func replyStringOrNull(c *Client, e *store.Entry) {
	if e == nil {
		c.w.Null()
		return
	}
	c.w.BulkString(e.Str)
}

func cmdGet(c *Client, args [][]byte) {
	if e, ok := readString(c, args[1]); ok {
		replyStringOrNull(c, e)
	}
}

// setOptions are the parsed flags of SET and GETEX.
type setOptions struct {
	nx, xx, get, keepTTL, persist bool
	unit                          expireUnit
	expireArg                     []byte
}

type expireUnit uint8

const (
	expireNone expireUnit = iota
	expireEX              // relative seconds
	expirePX              // relative milliseconds
	expireEXAT            // absolute unix seconds
	expirePXAT            // absolute unix milliseconds
)

// parseSetOptions follows Redis's parseExtendedStringArgumentsOrReply:
// conflicting options are a syntax error, repeating one is not.
func parseSetOptions(args [][]byte, forGetEx bool) (setOptions, bool) {
	var o setOptions
	for j := 0; j < len(args); j++ {
		a := args[j]
		hasNext := j+1 < len(args)
		noExpire := o.unit == expireNone
		switch {
		case !forGetEx && eqFold(a, "nx") && !o.xx:
			o.nx = true
		case !forGetEx && eqFold(a, "xx") && !o.nx:
			o.xx = true
		case !forGetEx && eqFold(a, "get"):
			o.get = true
		case !forGetEx && eqFold(a, "keepttl") && noExpire:
			o.keepTTL = true
		case forGetEx && eqFold(a, "persist") && noExpire:
			o.persist = true
		case hasNext && !o.keepTTL && !o.persist:
			u := expireUnitOf(a)
			if u == expireNone || (o.unit != expireNone && o.unit != u) {
				return o, false
			}
			o.unit, o.expireArg = u, args[j+1]
			j++
		default:
			return o, false
		}
	}
	return o, true
}

func expireUnitOf(a []byte) expireUnit {
	switch {
	case eqFold(a, "ex"):
		return expireEX
	case eqFold(a, "px"):
		return expirePX
	case eqFold(a, "exat"):
		return expireEXAT
	case eqFold(a, "pxat"):
		return expirePXAT
	}
	return expireNone
}

// expireAtMs converts an expire argument into an absolute unix time in ms
// with Redis's getExpireMillisecondsOrReply checks.
func expireAtMs(c *Client, arg []byte, unit expireUnit) (int64, bool) {
	v, ok := parseInt(arg)
	if !ok {
		c.w.Error(errNotInt)
		return 0, false
	}
	seconds := unit == expireEX || unit == expireEXAT
	if v <= 0 || (seconds && v > math.MaxInt64/1000) {
		c.w.Error(invalidExpire(c.cmd.Name))
		return 0, false
	}
	if seconds {
		v *= 1000
	}
	if unit == expireEX || unit == expirePX {
		if v > math.MaxInt64-c.now {
			c.w.Error(invalidExpire(c.cmd.Name))
			return 0, false
		}
		v += c.now
	}
	return v, true
}

func cmdSet(c *Client, args [][]byte) {
	o, ok := parseSetOptions(args[3:], false)
	if !ok {
		c.w.Error(errSyntax)
		return
	}
	var at int64
	if o.unit != expireNone {
		if at, ok = expireAtMs(c, o.expireArg, o.unit); !ok {
			return
		}
	}
	if !o.get && !o.nx && !o.xx {
		// Plain SET: no need to look the old value up; SetString replaces
		// whatever is there in one table probe.
		setString(c, args[1], string(args[2]), at, o.keepTTL)
		c.w.OK()
		return
	}
	var old *store.Entry
	if o.get {
		if old, ok = readString(c, args[1]); !ok {
			return
		}
	} else {
		old = c.db.Lookup(args[1], c.now)
	}
	found := old != nil
	var oldVal string
	if found {
		oldVal = old.Str
	}
	if (o.nx && found) || (o.xx && !found) {
		if o.get {
			replyStringOrNull(c, old)
		} else {
			c.w.Null()
		}
		return
	}
	setString(c, args[1], string(args[2]), at, o.keepTTL)
	if !o.get {
		c.w.OK()
	} else if found {
		c.w.BulkString(oldVal)
	} else {
		c.w.Null()
	}
}

func cmdSetNX(c *Client, args [][]byte) {
	if c.db.Lookup(args[1], c.now) != nil {
		c.w.Int(0)
		return
	}
	c.db.SetString(args[1], string(args[2]), 0, false)
	c.w.Int(1)
}

func cmdSetEX(c *Client, args [][]byte)  { setWithExpire(c, args, expireEX) }
func cmdPSetEX(c *Client, args [][]byte) { setWithExpire(c, args, expirePX) }

func setWithExpire(c *Client, args [][]byte, unit expireUnit) {
	at, ok := expireAtMs(c, args[2], unit)
	if !ok {
		return
	}
	setString(c, args[1], string(args[3]), at, false)
	c.w.OK()
}

func cmdGetSet(c *Client, args [][]byte) {
	e, ok := readString(c, args[1])
	if !ok {
		return
	}
	replyStringOrNull(c, e)
	c.db.SetString(args[1], string(args[2]), 0, false)
}

func cmdGetDel(c *Client, args [][]byte) {
	e, ok := readString(c, args[1])
	if !ok {
		return
	}
	replyStringOrNull(c, e)
	if e != nil {
		c.db.Delete(args[1], c.now)
	}
}

func cmdGetEX(c *Client, args [][]byte) {
	o, ok := parseSetOptions(args[2:], true)
	if !ok {
		c.w.Error(errSyntax)
		return
	}
	e, ok := readString(c, args[1])
	if !ok {
		return
	}
	if e == nil {
		c.w.Null()
		return
	}
	var at int64
	if o.unit != expireNone {
		if at, ok = expireAtMs(c, o.expireArg, o.unit); !ok {
			return
		}
	}
	c.w.BulkString(e.Str)
	switch {
	case o.unit != expireNone && at <= c.now:
		// An absolute time already in the past deletes the key now.
		c.db.Delete(args[1], c.now)
		c.notify(config.NotifyGeneric, "del", args[1])
	case o.unit != expireNone:
		c.db.SetExpire(e, at)
		c.notify(config.NotifyGeneric, "expire", args[1])
	case o.persist && e.Expire != 0:
		c.db.SetExpire(e, 0)
		c.notify(config.NotifyGeneric, "persist", args[1])
	}
}

func cmdMGet(c *Client, args [][]byte) {
	c.w.Array(len(args) - 1)
	for _, k := range args[1:] {
		e := c.db.LookupRead(k, c.now)
		if e == nil || !e.IsString() {
			c.w.Null()
			continue
		}
		c.w.BulkString(e.Str)
	}
}

func cmdMSet(c *Client, args [][]byte) {
	if len(args)%2 == 0 {
		c.w.Error(wrongArgs(c.cmd.Name))
		return
	}
	for i := 1; i < len(args); i += 2 {
		setString(c, args[i], string(args[i+1]), 0, false)
	}
	c.w.OK()
}

func cmdMSetNX(c *Client, args [][]byte) {
	if len(args)%2 == 0 {
		c.w.Error(wrongArgs(c.cmd.Name))
		return
	}
	for i := 1; i < len(args); i += 2 {
		if c.db.Lookup(args[i], c.now) != nil {
			c.w.Int(0)
			return
		}
	}
	for i := 1; i < len(args); i += 2 {
		setString(c, args[i], string(args[i+1]), 0, false)
	}
	c.w.Int(1)
}

func cmdIncr(c *Client, args [][]byte) { incrBy(c, args[1], 1) }
func cmdDecr(c *Client, args [][]byte) { incrBy(c, args[1], -1) }

func cmdIncrBy(c *Client, args [][]byte) {
	n, ok := parseInt(args[2])
	if !ok {
		c.w.Error(errNotInt)
		return
	}
	incrBy(c, args[1], n)
}

func cmdDecrBy(c *Client, args [][]byte) {
	n, ok := parseInt(args[2])
	if !ok {
		c.w.Error(errNotInt)
		return
	}
	if n == math.MinInt64 {
		c.w.Error("ERR decrement would overflow")
		return
	}
	incrBy(c, args[1], -n)
}

// incrBy adds delta to the integer at key, keeping its TTL.
func incrBy(c *Client, key []byte, delta int64) {
	e, ok := writeString(c, key)
	if !ok {
		return
	}
	var cur int64
	if e != nil {
		if cur, ok = parseInt([]byte(e.Str)); !ok {
			c.w.Error(errNotInt)
			return
		}
	}
	if (delta < 0 && cur < 0 && delta < math.MinInt64-cur) ||
		(delta > 0 && cur > 0 && delta > math.MaxInt64-cur) {
		c.w.Error(errOverflow)
		return
	}
	cur += delta
	c.db.SetString(key, strconv.FormatInt(cur, 10), 0, true)
	c.w.Int(cur)
}

func cmdIncrByFloat(c *Client, args [][]byte) {
	e, ok := writeString(c, args[1])
	if !ok {
		return
	}
	cur := new(big.Float).SetPrec(longDoublePrec)
	if e != nil {
		if cur, ok = parseLongDouble([]byte(e.Str)); !ok {
			c.w.Error(errNotFloat)
			return
		}
	}
	incr, ok := parseLongDouble(args[2])
	if !ok {
		c.w.Error(errNotFloat)
		return
	}
	s, ok := longDoubleSum(cur, incr)
	if !ok {
		c.w.Error(errIncrFloatNaN)
		return
	}
	ne := c.db.SetString(args[1], s, 0, true)
	ne.SetStrEncoding(store.EncNoInt)
	c.w.BulkString(s)
}

func cmdAppend(c *Client, args [][]byte) {
	e, ok := writeString(c, args[1])
	if !ok {
		return
	}
	if e == nil {
		c.db.SetString(args[1], string(args[2]), 0, false)
		c.w.Int(int64(len(args[2])))
		return
	}
	if !c.checkStringLength(int64(len(e.Str)), int64(len(args[2]))) {
		return
	}
	ne := c.db.SetString(args[1], e.Str+string(args[2]), 0, true)
	ne.SetStrEncoding(store.EncRaw)
	c.w.Int(int64(len(ne.Str)))
}

// checkStringLength refuses results longer than proto-max-bulk-len.
func (c *Client) checkStringLength(size, add int64) bool {
	total := size + add
	if total > c.srv.cfg.Int("proto-max-bulk-len") || total < size || total < add {
		c.w.Error(errStringTooLong)
		return false
	}
	return true
}

func cmdStrlen(c *Client, args [][]byte) {
	e, ok := readString(c, args[1])
	if !ok {
		return
	}
	if e == nil {
		c.w.Int(0)
		return
	}
	c.w.Int(int64(len(e.Str)))
}

func cmdGetRange(c *Client, args [][]byte) {
	start, ok1 := parseInt(args[2])
	end, ok2 := parseInt(args[3])
	if !ok1 || !ok2 {
		c.w.Error(errNotInt)
		return
	}
	e, ok := readString(c, args[1])
	if !ok {
		return
	}
	if e == nil {
		c.w.BulkString("")
		return
	}
	c.w.BulkString(stringRange(e.Str, start, end))
}

// stringRange applies GETRANGE's index rules.
func stringRange(s string, start, end int64) string {
	n := int64(len(s))
	if start < 0 && end < 0 && start > end {
		return ""
	}
	if start < 0 {
		start += n
	}
	if end < 0 {
		end += n
	}
	start, end = max(start, 0), max(end, 0)
	if end >= n {
		end = n - 1
	}
	if start > end || n == 0 {
		return ""
	}
	return s[start : end+1]
}

func cmdSetRange(c *Client, args [][]byte) {
	offset, ok := parseInt(args[2])
	if !ok {
		c.w.Error(errNotInt)
		return
	}
	if offset < 0 {
		c.w.Error(errOffsetRange)
		return
	}
	value := args[3]
	e, ok := writeString(c, args[1])
	if !ok {
		return
	}
	if e == nil {
		if len(value) == 0 {
			c.w.Int(0)
			return
		}
		if !c.checkStringLength(offset, int64(len(value))) {
			return
		}
		buf := make([]byte, offset+int64(len(value)))
		copy(buf[offset:], value)
		ne := c.db.SetString(args[1], bytesToString(buf), 0, false)
		ne.SetStrEncoding(store.EncRaw)
		c.w.Int(int64(len(buf)))
		return
	}
	if len(value) == 0 {
		c.w.Int(int64(len(e.Str)))
		return
	}
	if !c.checkStringLength(offset, int64(len(value))) {
		return
	}
	size := max(int64(len(e.Str)), offset+int64(len(value)))
	buf := make([]byte, size)
	copy(buf, e.Str)
	copy(buf[offset:], value)
	ne := c.db.SetString(args[1], bytesToString(buf), 0, true)
	ne.SetStrEncoding(store.EncRaw)
	c.w.Int(size)
}

// objectEncoding answers OBJECT ENCODING for an entry.
func objectEncoding(c *Client, e *store.Entry) string {
	if !e.IsString() {
		if x, ok := e.Obj.(interface{ Encoding() string }); ok {
			return x.Encoding()
		}
		return "unknown"
	}
	switch e.StrEncoding() {
	case store.EncRaw:
		return "raw"
	case store.EncAuto:
		if _, ok := parseInt([]byte(e.Str)); ok {
			return "int"
		}
	}
	if len(e.Str) <= 44 {
		return "embstr"
	}
	return "raw"
}

func cmdLCS(c *Client, args [][]byte) {
	a, b, ok := lcsOperands(c, args[1], args[2])
	if !ok {
		return
	}
	var getIdx, getLen, withMatchLen bool
	var minMatchLen int64
	for j := 3; j < len(args); j++ {
		switch {
		case eqFold(args[j], "idx"):
			getIdx = true
		case eqFold(args[j], "len"):
			getLen = true
		case eqFold(args[j], "withmatchlen"):
			withMatchLen = true
		case eqFold(args[j], "minmatchlen") && j+1 < len(args):
			n, ok := parseInt(args[j+1])
			if !ok {
				c.w.Error(errNotInt)
				return
			}
			minMatchLen = max(n, 0)
			j++
		default:
			c.w.Error(errSyntax)
			return
		}
	}
	if getIdx && getLen {
		c.w.Error("ERR If you want both the length and indexes, please just use IDX.")
		return
	}
	if cells := int64(len(a)+1) * int64(len(b)+1) * 4; cells > c.srv.cfg.Int("proto-max-bulk-len") {
		c.w.Error("ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len")
		return
	}
	t := newLCSTable(a, b)
	switch {
	case getIdx:
		t.writeMatches(c, minMatchLen, withMatchLen)
	case getLen:
		c.w.Int(int64(t.at(len(a), len(b))))
	default:
		c.w.BulkString(t.walk(nil, 0))
	}
}

// lcsOperands reads the two keys; missing keys are empty strings.
func lcsOperands(c *Client, ka, kb []byte) (a, b string, ok bool) {
	ea := c.db.LookupRead(ka, c.now)
	eb := c.db.LookupRead(kb, c.now)
	if (ea != nil && !ea.IsString()) || (eb != nil && !eb.IsString()) {
		c.w.Error("ERR The specified keys must contain string values")
		return "", "", false
	}
	if ea != nil {
		a = ea.Str
	}
	if eb != nil {
		b = eb.Str
	}
	return a, b, true
}

// lcsTable is the dynamic-programming table of LCS lengths of prefixes.
type lcsTable struct {
	a, b  string
	cells []uint32
}

func newLCSTable(a, b string) *lcsTable {
	t := &lcsTable{a: a, b: b, cells: make([]uint32, (len(a)+1)*(len(b)+1))}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			if a[i-1] == b[j-1] {
				t.set(i, j, t.at(i-1, j-1)+1)
			} else {
				t.set(i, j, max(t.at(i-1, j), t.at(i, j-1)))
			}
		}
	}
	return t
}

func (t *lcsTable) at(i, j int) uint32     { return t.cells[j+i*(len(t.b)+1)] }
func (t *lcsTable) set(i, j int, v uint32) { t.cells[j+i*(len(t.b)+1)] = v }

// lcsRange is one matched run: a[aStart..aEnd] equals b[bStart..bEnd].
type lcsRange struct{ aStart, aEnd, bStart, bEnd int }

// walk backtracks from the end as Redis does, returning the LCS string and
// calling emit for each matched run longer than minLen (runs come out from
// the end of the strings backwards, Redis's order).
func (t *lcsTable) walk(emit func(lcsRange), minLen int64) string {
	a, b := t.a, t.b
	idx := int(t.at(len(a), len(b)))
	result := make([]byte, idx)
	none := len(a) // "no open range" marker, as Redis uses alen
	r := lcsRange{aStart: none}
	for i, j := len(a), len(b); i > 0 && j > 0; {
		emitRange := false
		if a[i-1] == b[j-1] {
			result[idx-1] = a[i-1]
			switch {
			case r.aStart == none:
				r = lcsRange{i - 1, i - 1, j - 1, j - 1}
			case r.aStart == i && r.bStart == j:
				r.aStart--
				r.bStart--
			default:
				emitRange = true
			}
			if r.aStart == 0 || r.bStart == 0 {
				emitRange = true
			}
			idx, i, j = idx-1, i-1, j-1
		} else {
			if t.at(i-1, j) > t.at(i, j-1) {
				i--
			} else {
				j--
			}
			if r.aStart != none {
				emitRange = true
			}
		}
		if emitRange {
			if n := int64(r.aEnd - r.aStart + 1); emit != nil && (minLen == 0 || n >= minLen) {
				emit(r)
			}
			r.aStart = none
		}
	}
	return string(result)
}

func (t *lcsTable) writeMatches(c *Client, minLen int64, withLen bool) {
	var ranges []lcsRange
	t.walk(func(r lcsRange) { ranges = append(ranges, r) }, minLen)
	c.w.Map(2)
	c.w.BulkString("matches")
	c.w.Array(len(ranges))
	for _, r := range ranges {
		if withLen {
			c.w.Array(3)
		} else {
			c.w.Array(2)
		}
		c.w.Array(2)
		c.w.Int(int64(r.aStart))
		c.w.Int(int64(r.aEnd))
		c.w.Array(2)
		c.w.Int(int64(r.bStart))
		c.w.Int(int64(r.bEnd))
		if withLen {
			c.w.Int(int64(r.aEnd - r.aStart + 1))
		}
	}
	c.w.BulkString("len")
	c.w.Int(int64(t.at(len(t.a), len(t.b))))
}
