package server

import (
	"bytes"
	"math"
	"math/big"
	"time"

	"github.com/kioku-db/kioku/server/config"
	"github.com/kioku-db/kioku/store"
	"github.com/kioku-db/kioku/types"
)

// The list family (Redis's t_list.c): push and pop at both ends, index
// and range access, and the blocking pops and moves. Argument checks come
// in Redis's order, so a command with several problems reports the one
// Redis reports.

// Error replies of this family that errors.go does not define, spelled as
// Redis 7.0 spells them.
const (
	errIndexRange    = "ERR index out of range"
	errRankZero      = "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list"
	errCountNegative = "ERR COUNT can't be negative"
	errMaxLenNeg     = "ERR MAXLEN can't be negative"
	errNumKeys       = "ERR numkeys should be greater than 0"
	errCountPositive = "ERR count should be greater than 0"
)

func init() {
	register([]binding{
		{"lpush", cmdLPush, lockKeys},
		{"rpush", cmdRPush, lockKeys},
		{"lpushx", cmdLPushX, lockKeys},
		{"rpushx", cmdRPushX, lockKeys},
		{"lpop", cmdLPop, lockKeys},
		{"rpop", cmdRPop, lockKeys},
		{"llen", cmdLLen, lockKeys},
		{"lrange", cmdLRange, lockKeys},
		{"lindex", cmdLIndex, lockKeys},
		{"lset", cmdLSet, lockKeys},
		{"linsert", cmdLInsert, lockKeys},
		{"lrem", cmdLRem, lockKeys},
		{"ltrim", cmdLTrim, lockKeys},
		{"lpos", cmdLPos, lockKeys},
		{"lmove", cmdLMove, lockKeys},
		{"rpoplpush", cmdRPopLPush, lockKeys},
		{"lmpop", cmdLMPop, lockKeys},
		{"blpop", cmdBLPop, lockKeys},
		{"brpop", cmdBRPop, lockKeys},
		{"blmove", cmdBLMove, lockKeys},
		{"brpoplpush", cmdBRPopLPush, lockKeys},
		{"blmpop", cmdBLMPop, lockKeys},
	})
	// Pops and moves fire their events themselves (listPopped,
	// moveElement): a blocked client is served with no dispatcher around.
	declareEvents(config.NotifyList, []keyEvent{
		{"lpush", "lpush"}, {"rpush", "rpush"}, {"lpushx", "lpush"}, {"rpushx", "rpush"},
		{"linsert", "linsert"}, {"lset", "lset"}, {"lrem", "lrem"}, {"ltrim", "ltrim"},
	})
}

// listEnd is a side of a list: LEFT is the head.
type listEnd bool

const (
	listLeft  listEnd = false
	listRight listEnd = true
)

func parseListEnd(arg []byte) (listEnd, bool) {
	switch {
	case eqFold(arg, "left"):
		return listLeft, true
	case eqFold(arg, "right"):
		return listRight, true
	}
	return listLeft, false
}

func popEnd(l *types.List, end listEnd) []byte {
	if end == listLeft {
		return l.PopFront()
	}
	return l.PopBack()
}

func pushEnd(l *types.List, end listEnd, v []byte) {
	if end == listLeft {
		l.PushFront(v)
	} else {
		l.PushBack(v)
	}
}

// asList is the list an entry holds; nil for a missing key or another
// type.
func asList(e *store.Entry) *types.List {
	if e == nil {
		return nil
	}
	l, _ := e.Obj.(*types.List)
	return l
}

// getList finds the list at key. ok is false when key holds another type,
// after answering WRONGTYPE; l is nil for a missing key. read counts a
// keyspace hit or miss, as Redis's lookupKeyRead does.
func getList(c *Client, key []byte, read bool) (l *types.List, ok bool) {
	var e *store.Entry
	if read {
		e = c.db.LookupRead(key, c.now)
	} else {
		e = c.db.Lookup(key, c.now)
	}
	if e == nil {
		return nil, true
	}
	if l = asList(e); l == nil {
		c.w.Error(errWrongType)
		return nil, false
	}
	return l, true
}

// listPopped fires a pop's events (the pop, and del when the list became
// empty) and stores the change.
func listPopped(c *Client, key []byte, l *types.List, end listEnd) {
	c.notify(config.NotifyList, popEvent(end), key)
	if l.Len() == 0 {
		c.notify(config.NotifyGeneric, "del", key)
	}
	listChanged(c, key, l)
}

func popEvent(end listEnd) string {
	if end == listLeft {
		return "lpop"
	}
	return "rpop"
}

func pushEvent(end listEnd) string {
	if end == listLeft {
		return "lpush"
	}
	return "rpush"
}

// listChanged signals a change made in place, deleting the key when the
// list became empty: Redis never keeps an empty list.
func listChanged(c *Client, key []byte, l *types.List) {
	if l.Len() == 0 {
		c.db.Delete(key, c.now)
		return
	}
	c.db.Touched(key)
}

func cmdLPush(c *Client, args [][]byte)  { pushCommand(c, args, listLeft, false) }
func cmdRPush(c *Client, args [][]byte)  { pushCommand(c, args, listRight, false) }
func cmdLPushX(c *Client, args [][]byte) { pushCommand(c, args, listLeft, true) }
func cmdRPushX(c *Client, args [][]byte) { pushCommand(c, args, listRight, true) }

// pushCommand serves [LR]PUSH[X]: X variants only push to an existing list.
func pushCommand(c *Client, args [][]byte, end listEnd, onlyExisting bool) {
	key := args[1]
	l, ok := getList(c, key, false)
	if !ok {
		return
	}
	if l == nil {
		if onlyExisting {
			c.w.Int(0)
			return
		}
		l = types.NewList()
		for _, v := range args[2:] {
			pushEnd(l, end, v)
		}
		c.db.SetObject(key, l)
		c.w.Int(int64(l.Len()))
		return
	}
	for _, v := range args[2:] {
		pushEnd(l, end, v)
	}
	c.db.Touched(key)
	c.w.Int(int64(l.Len()))
}

func cmdLPop(c *Client, args [][]byte) { popCommand(c, args, listLeft) }
func cmdRPop(c *Client, args [][]byte) { popCommand(c, args, listRight) }

// popCommand serves LPOP and RPOP. With a count the reply is an array
// (null for a missing key, empty for a count of 0); without, one element.
func popCommand(c *Client, args [][]byte, end listEnd) {
	if len(args) > 3 {
		c.w.Error(wrongArgs(c.cmd.Name))
		return
	}
	hasCount := len(args) == 3
	var count int64
	if hasCount {
		n, ok := parseInt(args[2])
		if !ok || n < 0 {
			c.w.Error(errNotIntOrRange)
			return
		}
		count = n
	}
	l, ok := getList(c, args[1], false)
	switch {
	case !ok:
		return
	case l == nil && hasCount:
		c.w.NullArray()
		return
	case l == nil:
		c.w.Null()
		return
	case !hasCount:
		c.w.Bulk(popEnd(l, end))
	default:
		n := int(min(count, int64(l.Len())))
		c.w.Array(n)
		for i := 0; i < n; i++ {
			c.w.Bulk(popEnd(l, end))
		}
		if n == 0 {
			return
		}
	}
	listPopped(c, args[1], l, end)
}

func cmdLLen(c *Client, args [][]byte) {
	l, ok := getList(c, args[1], true)
	if !ok {
		return
	}
	if l == nil {
		c.w.Int(0)
		return
	}
	c.w.Int(int64(l.Len()))
}

// clampRange turns LRANGE/LTRIM indexes (negative from the end) into a
// range within [0, n); empty is true when nothing is selected.
func clampRange(start, stop int64, n int) (from, to int, empty bool) {
	ln := int64(n)
	if start < 0 {
		start += ln
	}
	if stop < 0 {
		stop += ln
	}
	if start < 0 {
		start = 0
	}
	if start > stop || start >= ln {
		return 0, 0, true
	}
	if stop >= ln {
		stop = ln - 1
	}
	return int(start), int(stop), false
}

func cmdLRange(c *Client, args [][]byte) {
	start, ok1 := parseInt(args[2])
	stop, ok2 := parseInt(args[3])
	if !ok1 || !ok2 {
		c.w.Error(errNotInt)
		return
	}
	l, ok := getList(c, args[1], true)
	if !ok {
		return
	}
	if l == nil {
		c.w.Array(0)
		return
	}
	from, to, empty := clampRange(start, stop, l.Len())
	if empty {
		c.w.Array(0)
		return
	}
	c.w.Array(to - from + 1)
	l.Range(from, to, c.w.Bulk)
}

// listIndex resolves a possibly negative index; ok is false out of range.
func listIndex(i int64, n int) (int, bool) {
	if i < 0 {
		i += int64(n)
	}
	if i < 0 || i >= int64(n) {
		return 0, false
	}
	return int(i), true
}

// cmdLIndex looks the key up before parsing the index, as Redis does: a
// missing key answers null whatever the index.
func cmdLIndex(c *Client, args [][]byte) {
	l, ok := getList(c, args[1], true)
	if !ok {
		return
	}
	if l == nil {
		c.w.Null()
		return
	}
	idx, ok := parseInt(args[2])
	if !ok {
		c.w.Error(errNotInt)
		return
	}
	i, in := listIndex(idx, l.Len())
	if !in {
		c.w.Null()
		return
	}
	c.w.Bulk(l.Index(i))
}

func cmdLSet(c *Client, args [][]byte) {
	l, ok := getList(c, args[1], false)
	if !ok {
		return
	}
	if l == nil {
		c.w.Error(errNoSuchKey)
		return
	}
	idx, ok := parseInt(args[2])
	if !ok {
		c.w.Error(errNotInt)
		return
	}
	i, in := listIndex(idx, l.Len())
	if !in {
		c.w.Error(errIndexRange)
		return
	}
	l.Set(i, args[3])
	c.db.Touched(args[1])
	c.w.OK()
}

func cmdLInsert(c *Client, args [][]byte) {
	var after bool
	switch {
	case eqFold(args[2], "before"):
	case eqFold(args[2], "after"):
		after = true
	default:
		c.w.Error(errSyntax)
		return
	}
	l, ok := getList(c, args[1], false)
	if !ok {
		return
	}
	if l == nil {
		c.w.Int(0)
		return
	}
	at := l.IndexOf(args[3])
	if at < 0 {
		c.w.Int(-1)
		return
	}
	if after {
		at++
	}
	l.Insert(at, args[4])
	c.db.Touched(args[1])
	c.w.Int(int64(l.Len()))
}

func cmdLRem(c *Client, args [][]byte) {
	count, ok := parseInt(args[2])
	if !ok {
		c.w.Error(errNotInt)
		return
	}
	l, ok := getList(c, args[1], false)
	if !ok {
		return
	}
	if l == nil {
		c.w.Int(0)
		return
	}
	// A count beyond the list's length removes every match.
	limit := int(max(min(count, math.MaxInt32), -math.MaxInt32))
	removed := l.RemoveEqual(args[3], limit)
	if removed > 0 {
		listChanged(c, args[1], l)
	}
	c.w.Int(int64(removed))
}

func cmdLTrim(c *Client, args [][]byte) {
	start, ok1 := parseInt(args[2])
	stop, ok2 := parseInt(args[3])
	if !ok1 || !ok2 {
		c.w.Error(errNotInt)
		return
	}
	l, ok := getList(c, args[1], false)
	if !ok {
		return
	}
	if l == nil {
		c.w.OK()
		return
	}
	n := l.Len()
	from, to, empty := clampRange(start, stop, n)
	if empty {
		l.TrimFront(n)
	} else {
		l.TrimBack(n - 1 - to)
		l.TrimFront(from)
	}
	listChanged(c, args[1], l)
	c.w.OK()
}

// lposOptions are LPOS's RANK, COUNT and MAXLEN; count is -1 without
// COUNT (a single index or null is answered).
type lposOptions struct {
	rank, count, maxlen int64
}

func parseLPosOptions(c *Client, args [][]byte) (lposOptions, bool) {
	o := lposOptions{rank: 1, count: -1}
	for j := 0; j < len(args); j++ {
		if j+1 >= len(args) {
			c.w.Error(errSyntax)
			return o, false
		}
		val := args[j+1]
		switch {
		case eqFold(args[j], "rank"):
			n, ok := parseInt(val)
			if !ok {
				c.w.Error(errNotInt)
				return o, false
			}
			if n == 0 {
				c.w.Error(errRankZero)
				return o, false
			}
			o.rank = n
		case eqFold(args[j], "count"):
			n, ok := parseInt(val)
			if !ok || n < 0 {
				c.w.Error(errCountNegative)
				return o, false
			}
			o.count = n
		case eqFold(args[j], "maxlen"):
			n, ok := parseInt(val)
			if !ok || n < 0 {
				c.w.Error(errMaxLenNeg)
				return o, false
			}
			o.maxlen = n
		default:
			c.w.Error(errSyntax)
			return o, false
		}
		j++
	}
	return o, true
}

func cmdLPos(c *Client, args [][]byte) {
	o, ok := parseLPosOptions(c, args[3:])
	if !ok {
		return
	}
	l, ok := getList(c, args[1], true)
	if !ok {
		return
	}
	if l == nil {
		if o.count == -1 {
			c.w.Null()
		} else {
			c.w.Array(0)
		}
		return
	}
	matches := lposFind(l, args[2], o)
	if o.count != -1 {
		c.w.Array(len(matches))
		for _, m := range matches {
			c.w.Int(int64(m))
		}
		return
	}
	if len(matches) == 0 {
		c.w.Null()
		return
	}
	c.w.Int(int64(matches[0]))
}

// lposFind is Redis's LPOS scan, with its integer arithmetic: a negative
// rank scans from the tail; the -LONG_MIN that stays negative is why RANK
// -9223372036854775808 matches from the first hit.
func lposFind(l *types.List, elem []byte, o lposOptions) []int {
	rank, fromTail := o.rank, false
	if rank < 0 {
		rank = -rank
		fromTail = true
	}
	var found []int
	var compared, matches int64
	l.Each(fromTail, func(i int, v []byte) bool {
		if o.maxlen != 0 && compared >= o.maxlen {
			return false
		}
		compared++
		if !bytes.Equal(v, elem) {
			return true
		}
		matches++
		if matches < rank {
			return true
		}
		found = append(found, i)
		if o.count == -1 {
			return false
		}
		return o.count == 0 || matches-rank+1 < o.count
	})
	return found
}

func cmdLMove(c *Client, args [][]byte) {
	from, ok1 := parseListEnd(args[3])
	to, ok2 := parseListEnd(args[4])
	if !ok1 || !ok2 {
		c.w.Error(errSyntax)
		return
	}
	moveCommand(c, args[1], args[2], from, to)
}

func cmdRPopLPush(c *Client, args [][]byte) {
	moveCommand(c, args[1], args[2], listRight, listLeft)
}

// moveCommand serves LMOVE and RPOPLPUSH: null for a missing source.
func moveCommand(c *Client, src, dst []byte, from, to listEnd) {
	l, ok := getList(c, src, false)
	if !ok {
		return
	}
	if l == nil {
		c.w.Null()
		return
	}
	if v, ok := moveElement(c, l, src, dst, from, to); ok {
		c.w.Bulk(v)
	}
}

// moveElement pops from the list l at src and pushes onto dst, creating
// it. It answers WRONGTYPE (moving nothing) when dst holds another type.
func moveElement(c *Client, l *types.List, src, dst []byte, from, to listEnd) ([]byte, bool) {
	de := c.db.Lookup(dst, c.now)
	if de != nil && asList(de) == nil {
		c.w.Error(errWrongType)
		return nil, false
	}
	v := popEnd(l, from)
	if dl := asList(de); dl != nil {
		if dl == l {
			v = append([]byte(nil), v...) // the popped bytes live in l
		}
		pushEnd(dl, to, v)
		c.db.Touched(dst)
	} else {
		nl := types.NewList()
		pushEnd(nl, to, v)
		c.db.SetObject(dst, nl)
	}
	// Redis's order: the push, then the pop (and del) on the source.
	c.notify(config.NotifyList, pushEvent(to), dst)
	if bytes.Equal(src, dst) {
		c.notify(config.NotifyList, popEvent(from), src)
	} else {
		listPopped(c, src, l, from)
	}
	return v, true
}

// mpopRequest is LMPOP's (and BLMPOP's) parsed arguments.
type mpopRequest struct {
	keys  [][]byte
	end   listEnd
	count int64
}

// parseMPop parses "numkeys key... LEFT|RIGHT [COUNT count]".
func parseMPop(c *Client, args [][]byte) (mpopRequest, bool) {
	var r mpopRequest
	keys, count, ok := parseMultiPop(c, args, func(b []byte) (ok bool) {
		r.end, ok = parseListEnd(b)
		return ok
	})
	r.keys, r.count = keys, count
	return r, ok
}

// parseMultiPop parses the "numkeys key... WHERE [COUNT count]" shape that
// LMPOP, BLMPOP, ZMPOP and BZMPOP share, with Redis's errors; where reads
// the direction (LEFT|RIGHT, MIN|MAX) and reports whether it is valid.
func parseMultiPop(c *Client, args [][]byte, where func([]byte) bool) (keys [][]byte, count int64, ok bool) {
	count = 1
	numkeys, ok := parseInt(args[0])
	if !ok || numkeys <= 0 {
		c.w.Error(errNumKeys)
		return nil, 0, false
	}
	if numkeys > int64(len(args)-2) {
		c.w.Error(errSyntax)
		return nil, 0, false
	}
	keys = args[1 : 1+numkeys]
	rest := args[1+numkeys:]
	if !where(rest[0]) {
		c.w.Error(errSyntax)
		return nil, 0, false
	}
	countSeen := false
	for j := 1; j < len(rest); j++ {
		if !eqFold(rest[j], "count") || countSeen || j+1 >= len(rest) {
			c.w.Error(errSyntax)
			return nil, 0, false
		}
		n, ok := parseInt(rest[j+1])
		if !ok || n <= 0 {
			c.w.Error(errCountPositive)
			return nil, 0, false
		}
		count, countSeen = n, true
		j++
	}
	return keys, count, true
}

func cmdLMPop(c *Client, args [][]byte) {
	r, ok := parseMPop(c, args[1:])
	if !ok {
		return
	}
	for _, key := range r.keys {
		l, ok := getList(c, key, false)
		if !ok {
			return
		}
		if l != nil {
			replyMPop(c, key, l, r)
			return
		}
	}
	c.w.NullArray()
}

// replyMPop pops up to r.count elements from the list at key and answers
// [key, [elements]].
func replyMPop(c *Client, key []byte, l *types.List, r mpopRequest) {
	n := int(min(r.count, int64(l.Len())))
	c.w.Array(2)
	c.w.Bulk(key)
	c.w.Array(n)
	for i := 0; i < n; i++ {
		c.w.Bulk(popEnd(l, r.end))
	}
	listPopped(c, key, l, r.end)
}

// parseBlockTimeout parses a blocking command's timeout in seconds the way
// Redis 7.0 does: a long double times 1000, rounded up to milliseconds,
// converted as x86 does (a value out of range becomes negative). 0 blocks
// for ever, and so do timeouts too far away to schedule.
func parseBlockTimeout(arg []byte) (time.Duration, string) {
	f, ok := parseLongDouble(arg)
	if !ok || hasIntegerPrefix(arg) {
		return 0, errTimeoutNotNum
	}
	if f.IsInf() {
		return 0, errTimeoutNeg
	}
	ms := new(big.Float).SetPrec(longDoublePrec).Mul(f, big.NewFloat(1000))
	whole, acc := ms.Int(nil) // truncated toward zero
	if acc == big.Below {
		whole.Add(whole, big.NewInt(1)) // ceil for positive fractions
	}
	if !whole.IsInt64() || whole.Sign() < 0 {
		return 0, errTimeoutNeg
	}
	n := whole.Int64()
	if n > math.MaxInt64/int64(time.Millisecond) {
		return 0, ""
	}
	return time.Duration(n) * time.Millisecond, ""
}

// hasIntegerPrefix reports a "0b" or "0o" prefix: Go's parser reads binary
// and octal numbers there, strtold does not.
func hasIntegerPrefix(arg []byte) bool {
	if len(arg) > 0 && (arg[0] == '+' || arg[0] == '-') {
		arg = arg[1:]
	}
	return len(arg) >= 2 && arg[0] == '0' && (arg[1]|0x20 == 'b' || arg[1]|0x20 == 'o')
}

// blockingListKeys answers the first non-empty list among keys with take,
// checking types in argument order; it reports whether it answered (an
// error included) and, when nothing was found, whether clients are being
// handed one of the keys right now (the caller must wait behind them).
func blockingListKeys(c *Client, keys [][]byte, take func(key []byte, l *types.List)) (answered, behind bool) {
	for _, key := range keys {
		l, ok := getList(c, key, false)
		if !ok {
			return true, false
		}
		if l == nil {
			continue
		}
		if !c.noBlock && c.srv.blocking.handoffPending(c.db, keys) {
			return false, true
		}
		take(key, l)
		return true, false
	}
	return false, false
}

func cmdBLPop(c *Client, args [][]byte) { blockingPop(c, args, listLeft) }
func cmdBRPop(c *Client, args [][]byte) { blockingPop(c, args, listRight) }

// blockingPop serves BLPOP and BRPOP.
func blockingPop(c *Client, args [][]byte, end listEnd) {
	timeout, errMsg := parseBlockTimeout(args[len(args)-1])
	if errMsg != "" {
		c.w.Error(errMsg)
		return
	}
	keys := args[1 : len(args)-1]
	take := func(key []byte, l *types.List) {
		c.w.Array(2)
		c.w.Bulk(key)
		c.w.Bulk(popEnd(l, end))
		listPopped(c, key, l, end)
	}
	answered, behind := blockingListKeys(c, keys, take)
	if answered {
		return
	}
	if c.noBlock {
		c.w.NullArray()
		return
	}
	c.blockOn(blockSpec{
		keys: keys, timeout: timeout, behind: behind,
		serve: func(c *Client, key []byte) bool {
			l := asList(c.db.Lookup(key, c.now))
			if l == nil || !c.beginServe() {
				return false
			}
			take(key, l)
			return true
		},
		onTimeout: (*Client).replyNullArray,
	})
}

func (c *Client) replyNullArray() { c.w.NullArray() }

func cmdBLMove(c *Client, args [][]byte) {
	from, ok1 := parseListEnd(args[3])
	to, ok2 := parseListEnd(args[4])
	if !ok1 || !ok2 {
		c.w.Error(errSyntax)
		return
	}
	blockingMove(c, args[1], args[2], from, to, args[5])
}

func cmdBRPopLPush(c *Client, args [][]byte) {
	blockingMove(c, args[1], args[2], listRight, listLeft, args[3])
}

// blockingMove serves BLMOVE and BRPOPLPUSH. A client woken to find the
// destination of another type is answered WRONGTYPE, as Redis 7.0 does,
// and the element stays where it was.
func blockingMove(c *Client, src, dst []byte, from, to listEnd, timeoutArg []byte) {
	timeout, errMsg := parseBlockTimeout(timeoutArg)
	if errMsg != "" {
		c.w.Error(errMsg)
		return
	}
	dstKey := append([]byte(nil), dst...) // args do not outlive the block
	take := func(key []byte, l *types.List) {
		if v, ok := moveElement(c, l, key, dstKey, from, to); ok {
			c.w.Bulk(v)
		}
	}
	answered, behind := blockingListKeys(c, [][]byte{src}, take)
	if answered {
		return
	}
	if c.noBlock {
		c.w.Null()
		return
	}
	c.blockOn(blockSpec{
		keys: [][]byte{src}, alsoLock: [][]byte{dstKey}, timeout: timeout, behind: behind,
		serve: func(c *Client, key []byte) bool {
			l := asList(c.db.Lookup(key, c.now))
			if l == nil || !c.beginServe() {
				return false
			}
			take(key, l)
			return true
		},
		onTimeout: (*Client).replyNullArray, // Redis 7.0 times out every list wait so
	})
}

// cmdBLMPop checks its arguments before its timeout, as Redis does.
func cmdBLMPop(c *Client, args [][]byte) {
	r, ok := parseMPop(c, args[2:])
	if !ok {
		return
	}
	timeout, errMsg := parseBlockTimeout(args[1])
	if errMsg != "" {
		c.w.Error(errMsg)
		return
	}
	take := func(key []byte, l *types.List) { replyMPop(c, key, l, r) }
	answered, behind := blockingListKeys(c, r.keys, take)
	if answered {
		return
	}
	if c.noBlock {
		c.w.NullArray()
		return
	}
	keys := r.keys
	r.keys = nil // the serve function must not keep the arguments
	c.blockOn(blockSpec{
		keys: keys, timeout: timeout, behind: behind,
		serve: func(c *Client, key []byte) bool {
			l := asList(c.db.Lookup(key, c.now))
			if l == nil || !c.beginServe() {
				return false
			}
			take(key, l)
			return true
		},
		onTimeout: (*Client).replyNullArray,
	})
}
