package server

import (
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kioku-db/kioku/resp"
	"github.com/kioku-db/kioku/server/config"
	"github.com/kioku-db/kioku/store"
	"github.com/kioku-db/kioku/types"
)

// The sorted-set family (Redis's t_zset.c). The data structure is
// types.ZSet; this file parses arguments, keeps the encoding where Redis
// keeps it (listpack until zset-max-listpack-entries/-value are passed,
// skiplist after) and writes the replies.

// Error replies of this family, spelled as Redis 7.0 spells them.
const (
	errMinMaxNotFloat = "ERR min or max is not a float"
	errMinMaxNotLex   = "ERR min or max not valid string range item"
	errScoreNaN       = "ERR resulting score is not a number (NaN)"
	errZAddXXNX       = "ERR XX and NX options at the same time are not compatible"
	errZAddIncrPair   = "ERR INCR option supports a single increment-element pair"
	errLimitNeedsBy   = "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX"
	errWithScoresLex  = "ERR syntax error, WITHSCORES not supported in combination with BYLEX"
	errWeightNotFloat = "ERR weight value is not a float"
)

func init() {
	register([]binding{
		{"zadd", cmdZAdd, lockKeys},
		{"zincrby", cmdZIncrBy, lockKeys},
		{"zrem", cmdZRem, lockKeys},
		{"zcard", cmdZCard, lockKeys},
		{"zscore", cmdZScore, lockKeys},
		{"zmscore", cmdZMScore, lockKeys},
		{"zrank", cmdZRank, lockKeys},
		{"zrevrank", cmdZRevRank, lockKeys},
		{"zcount", cmdZCount, lockKeys},
		{"zlexcount", cmdZLexCount, lockKeys},
		{"zrange", cmdZRange, lockKeys},
		{"zrangestore", cmdZRangeStore, lockKeys},
		{"zrevrange", cmdZRevRange, lockKeys},
		{"zrangebyscore", cmdZRangeByScore, lockKeys},
		{"zrevrangebyscore", cmdZRevRangeByScore, lockKeys},
		{"zrangebylex", cmdZRangeByLex, lockKeys},
		{"zrevrangebylex", cmdZRevRangeByLex, lockKeys},
		{"zremrangebyrank", cmdZRemRangeByRank, lockKeys},
		{"zremrangebyscore", cmdZRemRangeByScore, lockKeys},
		{"zremrangebylex", cmdZRemRangeByLex, lockKeys},
		{"zpopmin", cmdZPopMin, lockKeys},
		{"zpopmax", cmdZPopMax, lockKeys},
		{"zmpop", cmdZMPop, lockKeys},
		{"bzpopmin", cmdBZPopMin, lockKeys},
		{"bzpopmax", cmdBZPopMax, lockKeys},
		{"bzmpop", cmdBZMPop, lockKeys},
		{"zrandmember", cmdZRandMember, lockKeys},
		{"zunion", cmdZUnion, lockKeys},
		{"zinter", cmdZInter, lockKeys},
		{"zdiff", cmdZDiff, lockKeys},
		{"zunionstore", cmdZUnionStore, lockKeys},
		{"zinterstore", cmdZInterStore, lockKeys},
		{"zdiffstore", cmdZDiffStore, lockKeys},
		{"zintercard", cmdZInterCard, lockKeys},
		{"zscan", cmdZScan, lockKeys},
	})
	// ZADD INCR, ZMPOP, pops served to blocked clients and stores with an
	// empty result fire their events themselves.
	declareEvents(config.NotifyZset, []keyEvent{
		{"zadd", "zadd"}, {"zincrby", "zincr"}, {"zrem", "zrem"},
		{"zremrangebyrank", "zremrangebyrank"}, {"zremrangebyscore", "zremrangebyscore"},
		{"zremrangebylex", "zremrangebylex"}, {"zpopmin", "zpopmin"}, {"zpopmax", "zpopmax"},
		{"bzpopmin", "zpopmin"}, {"bzpopmax", "zpopmax"},
		{"zrangestore", "zrangestore"}, {"zunionstore", "zunionstore"},
		{"zinterstore", "zinterstore"}, {"zdiffstore", "zdiffstore"},
	})
}

// zsetLimits are zset-max-listpack-entries and zset-max-listpack-value,
// read per command so that CONFIG SET applies to the next write.
func (c *Client) zsetLimits() (entries, value int64) {
	return c.srv.cfg.Int("zset-max-listpack-entries"), c.srv.cfg.Int("zset-max-listpack-value")
}

// asZSet returns the sorted set an entry holds; ok is false (and WRONGTYPE
// written) for another type. A missing key gives nil, true.
func asZSet(c *Client, e *store.Entry) (z *types.ZSet, ok bool) {
	if e == nil {
		return nil, true
	}
	if z, ok = e.Obj.(*types.ZSet); !ok {
		c.w.Error(errWrongType)
	}
	return z, ok
}

func readZSet(c *Client, key []byte) (*types.ZSet, bool) {
	return asZSet(c, c.db.LookupRead(key, c.now))
}

func writeZSet(c *Client, key []byte) (*types.ZSet, bool) {
	return asZSet(c, c.db.Lookup(key, c.now))
}

// zsetChanged deletes a sorted set that became empty or signals the
// in-place change.
func zsetChanged(c *Client, key []byte, z *types.ZSet) {
	if z.Len() == 0 {
		c.db.Delete(key, c.now)
		return
	}
	c.db.Touched(key)
}

// zsetAddMember adds a new member, switching a listpack to the skiplist
// encoding first when the member would pass a threshold (Redis's zsetAdd).
func zsetAddMember(c *Client, z *types.ZSet, member string, score float64) {
	if z.IsListpack() {
		entries, value := c.zsetLimits()
		if int64(z.Len())+1 > entries || int64(len(member)) > value {
			z.ConvertToSkiplist()
		}
	}
	z.Set(member, score)
}

// newResultZSet is an empty destination for a computed result with n
// members, the longest maxLen bytes, in the encoding Redis gives it.
func newResultZSet(c *Client, n, maxLen int) *types.ZSet {
	entries, value := c.zsetLimits()
	if int64(n) <= entries && int64(maxLen) <= value {
		return types.NewZSet()
	}
	return types.NewZSetSkiplist()
}

// storeZSetResult stores a computed result at dst (replacing whatever was
// there) and answers its size; an empty result deletes dst.
func storeZSetResult(c *Client, dst []byte, z *types.ZSet) {
	if z.Len() == 0 {
		if c.db.Delete(dst, c.now) {
			c.notify(config.NotifyGeneric, "del", dst)
		}
		c.noDeclaredEvent()
		c.w.Int(0)
		return
	}
	c.db.SetObject(dst, z)
	c.w.Int(int64(z.Len()))
}

// writeScored writes one member, and its score when withScores: in RESP3 a
// scored member is a [member, score] pair.
func writeScored(c *Client, it types.ZItem, withScores bool) {
	if withScores && c.w.Proto() == 3 {
		c.w.Array(2)
	}
	c.w.BulkString(it.Member)
	if withScores {
		c.w.Double(it.Score)
	}
}

// scoredArray writes the header of an array of n members: flat pairs in
// RESP2 with scores.
func scoredArray(c *Client, n int, withScores bool) {
	if withScores && c.w.Proto() == 2 {
		n *= 2
	}
	c.w.Array(n)
}

// ---- Scores and ranges

// parseScore parses a score or increment like Redis's string2d: strtod
// over the whole argument, no leading space, no NaN, no overflow, no
// underflow to zero.
func parseScore(b []byte) (float64, bool) {
	if len(b) == 0 || isSpaceByte(b[0]) {
		return 0, false
	}
	f, ok, rangeErr := strtod(b)
	if !ok || math.IsNaN(f) || rangeErr {
		return 0, false
	}
	return f, true
}

// strtod parses the whole of b as C's strtod would: leading white space,
// decimal or hexadecimal, "inf"/"infinity"/"nan" in any case. rangeErr is
// strtod's ERANGE for overflow (±inf) and underflow to zero.
func strtod(b []byte) (f float64, ok, rangeErr bool) {
	if len(b) == 0 {
		return 0, true, false // nothing parsed, and nothing left over
	}
	i := 0
	for i < len(b) && isSpaceByte(b[i]) {
		i++
	}
	s := string(b[i:])
	if s == "" {
		return 0, false, false
	}
	for j := 0; j < len(s); j++ {
		if s[j] == '_' {
			return 0, false, false
		}
	}
	body := s
	if body[0] == '+' || body[0] == '-' {
		body = body[1:]
	}
	hex := len(body) > 2 && body[0] == '0' && body[1]|0x20 == 'x'
	if hex && !containsByteFold(body, 'p') {
		s += "p0" // Go wants a binary exponent in a hexadecimal float
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		if ne, isNum := err.(*strconv.NumError); isNum && ne.Err == strconv.ErrRange {
			return f, true, true
		}
		return 0, false, false
	}
	if f == 0 && hasNonZeroMantissa(body, hex) {
		return f, true, true
	}
	return f, true, false
}

func containsByteFold(s string, lower byte) bool {
	for i := 0; i < len(s); i++ {
		if s[i]|0x20 == lower {
			return true
		}
	}
	return false
}

// hasNonZeroMantissa tells a number that underflowed to zero from a zero.
func hasNonZeroMantissa(body string, hex bool) bool {
	if hex {
		body = body[2:]
	}
	for i := 0; i < len(body); i++ {
		ch := body[i] | 0x20
		switch {
		case ch == 'e' && !hex, ch == 'p' && hex:
			return false
		case ch >= '1' && ch <= '9', hex && ch >= 'a' && ch <= 'f':
			return true
		}
	}
	return false
}

// scoreRange is a parsed min/max pair of scores (Redis's zrangespec).
type scoreRange struct {
	min, max     float64
	minEx, maxEx bool
}

// parseScoreBound parses "(1.5", "-inf", "+inf", "2" as zslParseRange
// does: strtod without range checks, so "(" alone is an exclusive 0.
func parseScoreBound(b []byte) (v float64, exclusive, ok bool) {
	if len(b) > 0 && b[0] == '(' {
		exclusive, b = true, b[1:]
	}
	v, ok, _ = strtod(b)
	return v, exclusive, ok && !math.IsNaN(v)
}

func parseScoreRange(minArg, maxArg []byte) (r scoreRange, ok bool) {
	var ok1, ok2 bool
	r.min, r.minEx, ok1 = parseScoreBound(minArg)
	r.max, r.maxEx, ok2 = parseScoreBound(maxArg)
	return r, ok1 && ok2
}

// belowMin is true for the items before the range (a prefix of the order).
func (r scoreRange) belowMin(it types.ZItem) bool {
	return it.Score < r.min || (r.minEx && it.Score == r.min)
}

// upToMax is true for the items not past the range's end (a prefix).
func (r scoreRange) upToMax(it types.ZItem) bool {
	return it.Score < r.max || (!r.maxEx && it.Score == r.max)
}

// lexRange is a parsed min/max pair of member bounds (zlexrangespec): "-"
// and "+" are the infinities, "[x" includes x, "(x" excludes it.
type lexRange struct {
	min, max       string
	minEx, maxEx   bool
	minInf, maxInf int // -1 for "-", +1 for "+", 0 for a member
}

func parseLexBound(b []byte) (v string, exclusive bool, inf int, ok bool) {
	switch {
	case len(b) == 1 && b[0] == '-':
		return "", false, -1, true
	case len(b) == 1 && b[0] == '+':
		return "", false, 1, true
	case len(b) > 0 && (b[0] == '(' || b[0] == '['):
		return string(b[1:]), b[0] == '(', 0, true
	}
	return "", false, 0, false
}

func parseLexRange(minArg, maxArg []byte) (r lexRange, ok bool) {
	var ok1, ok2 bool
	r.min, r.minEx, r.minInf, ok1 = parseLexBound(minArg)
	r.max, r.maxEx, r.maxInf, ok2 = parseLexBound(maxArg)
	return r, ok1 && ok2
}

func (r lexRange) belowMin(it types.ZItem) bool {
	switch r.minInf {
	case -1:
		return false
	case 1:
		return true
	}
	return it.Member < r.min || (r.minEx && it.Member == r.min)
}

func (r lexRange) upToMax(it types.ZItem) bool {
	switch r.maxInf {
	case -1:
		return false
	case 1:
		return true
	}
	return it.Member < r.max || (!r.maxEx && it.Member == r.max)
}

// boundedSpan is the rank span [lo, hi) of the items between two prefix
// predicates.
func boundedSpan(z *types.ZSet, belowMin, upToMax func(types.ZItem) bool) (lo, hi int) {
	lo = z.CountBefore(belowMin)
	hi = z.CountBefore(upToMax)
	return lo, max(lo, hi)
}

// ---- ZADD, ZINCRBY, ZREM, ZCARD, ZSCORE, ZMSCORE, ZRANK

// zaddFlags are ZADD's options.
type zaddFlags struct{ nx, xx, gt, lt, incr, ch bool }

// zaddOutcome is what zsetAdd did to one member.
type zaddOutcome uint8

const (
	zaddNop  zaddOutcome = iota // nothing done (NX, XX, GT, LT said no)
	zaddSame                    // processed, the score was already that
	zaddAdded
	zaddUpdated
	zaddNaN
)

func cmdZAdd(c *Client, args [][]byte)    { zaddCommand(c, args, zaddFlags{}) }
func cmdZIncrBy(c *Client, args [][]byte) { zaddCommand(c, args, zaddFlags{incr: true}) }

// zaddCommand serves ZADD and ZINCRBY (which Redis parses as ZADD INCR,
// options included). Every check runs before anything is written: the
// command applies fully or not at all.
func zaddCommand(c *Client, args [][]byte, f zaddFlags) {
	i := 2
	for ; i < len(args); i++ {
		switch a := args[i]; {
		case eqFold(a, "nx"):
			f.nx = true
		case eqFold(a, "xx"):
			f.xx = true
		case eqFold(a, "ch"):
			f.ch = true
		case eqFold(a, "incr"):
			f.incr = true
		case eqFold(a, "gt"):
			f.gt = true
		case eqFold(a, "lt"):
			f.lt = true
		default:
			goto pairs
		}
	}
pairs:
	rest := args[i:]
	switch {
	case len(rest) == 0 || len(rest)%2 != 0:
		c.w.Error(errSyntax)
		return
	case f.nx && f.xx:
		c.w.Error(errZAddXXNX)
		return
	case (f.gt && f.nx) || (f.lt && f.nx) || (f.gt && f.lt):
		c.w.Error(errGTLTNX)
		return
	case f.incr && len(rest) > 2:
		c.w.Error(errZAddIncrPair)
		return
	}
	scores := make([]float64, len(rest)/2)
	for j := range scores {
		s, ok := parseScore(rest[2*j])
		if !ok {
			c.w.Error(errNotFloat)
			return
		}
		scores[j] = s
	}
	z, ok := writeZSet(c, args[1])
	if !ok {
		return
	}
	if z == nil && f.xx {
		if f.incr {
			c.w.Null()
		} else {
			c.w.Int(0)
		}
		return
	}
	if z == nil {
		z = newZSetForAdd(c, rest[1])
		c.db.SetObject(args[1], z)
	}
	var added, updated, processed int64
	var score float64
	for j, s := range scores {
		out, newScore := zsetAdd(c, z, string(rest[2*j+1]), s, f)
		switch out {
		case zaddNaN:
			c.w.Error(errScoreNaN)
			return
		case zaddAdded:
			added++
		case zaddUpdated:
			updated++
		}
		if out != zaddNop {
			processed++
		}
		score = newScore
	}
	if added+updated > 0 {
		c.db.Touched(args[1])
		if f.incr {
			c.notify(config.NotifyZset, "zincr", args[1])
		}
	}
	switch {
	case f.incr && processed > 0:
		c.w.Double(score)
	case f.incr:
		c.w.Null()
	case f.ch:
		c.w.Int(added + updated)
	default:
		c.w.Int(added)
	}
}

// newZSetForAdd creates the set ZADD adds to, as Redis 7.0 chooses: a
// skiplist when listpacks are disabled or the first member is too long.
func newZSetForAdd(c *Client, firstMember []byte) *types.ZSet {
	entries, value := c.zsetLimits()
	if entries == 0 || int64(len(firstMember)) > value {
		return types.NewZSetSkiplist()
	}
	return types.NewZSet()
}

// zsetAdd applies one score/member pair under ZADD's options and returns
// what it did and the member's resulting score (Redis's zsetAdd).
func zsetAdd(c *Client, z *types.ZSet, member string, score float64, f zaddFlags) (zaddOutcome, float64) {
	cur, exists := z.Score(member)
	if !exists {
		if f.xx {
			return zaddNop, 0
		}
		zsetAddMember(c, z, member, score)
		return zaddAdded, score
	}
	if f.nx {
		return zaddNop, cur
	}
	if f.incr {
		score += cur
		if math.IsNaN(score) {
			return zaddNaN, 0
		}
	}
	if (f.lt && score >= cur) || (f.gt && score <= cur) {
		return zaddNop, cur
	}
	if score == cur {
		return zaddSame, score
	}
	z.Set(member, score)
	return zaddUpdated, score
}

func cmdZRem(c *Client, args [][]byte) {
	z, ok := writeZSet(c, args[1])
	if !ok {
		return
	}
	if z == nil {
		c.w.Int(0)
		return
	}
	var removed int64
	for _, m := range args[2:] {
		if z.Remove(string(m)) {
			removed++
			if z.Len() == 0 {
				break
			}
		}
	}
	if removed > 0 {
		zsetChanged(c, args[1], z)
	}
	c.w.Int(removed)
}

func cmdZCard(c *Client, args [][]byte) {
	z, ok := readZSet(c, args[1])
	if !ok {
		return
	}
	if z == nil {
		c.w.Int(0)
		return
	}
	c.w.Int(int64(z.Len()))
}

func cmdZScore(c *Client, args [][]byte) {
	z, ok := readZSet(c, args[1])
	if !ok {
		return
	}
	if z == nil {
		c.w.Null()
		return
	}
	if s, found := z.Score(string(args[2])); found {
		c.w.Double(s)
		return
	}
	c.w.Null()
}

func cmdZMScore(c *Client, args [][]byte) {
	z, ok := readZSet(c, args[1])
	if !ok {
		return
	}
	c.w.Array(len(args) - 2)
	for _, m := range args[2:] {
		if z != nil {
			if s, found := z.Score(string(m)); found {
				c.w.Double(s)
				continue
			}
		}
		c.w.Null()
	}
}

func cmdZRank(c *Client, args [][]byte)    { rankCommand(c, args, false) }
func cmdZRevRank(c *Client, args [][]byte) { rankCommand(c, args, true) }

func rankCommand(c *Client, args [][]byte, reverse bool) {
	z, ok := readZSet(c, args[1])
	if !ok {
		return
	}
	if z == nil {
		c.w.Null()
		return
	}
	r, found := z.Rank(string(args[2]))
	if !found {
		c.w.Null()
		return
	}
	if reverse {
		r = z.Len() - 1 - r
	}
	c.w.Int(int64(r))
}

func cmdZCount(c *Client, args [][]byte) {
	r, ok := parseScoreRange(args[2], args[3])
	if !ok {
		c.w.Error(errMinMaxNotFloat)
		return
	}
	countCommand(c, args[1], r.belowMin, r.upToMax)
}

func cmdZLexCount(c *Client, args [][]byte) {
	r, ok := parseLexRange(args[2], args[3])
	if !ok {
		c.w.Error(errMinMaxNotLex)
		return
	}
	countCommand(c, args[1], r.belowMin, r.upToMax)
}

func countCommand(c *Client, key []byte, belowMin, upToMax func(types.ZItem) bool) {
	z, ok := readZSet(c, key)
	if !ok {
		return
	}
	if z == nil {
		c.w.Int(0)
		return
	}
	lo, hi := boundedSpan(z, belowMin, upToMax)
	c.w.Int(int64(hi - lo))
}

// ---- ZRANGE and its older forms

type rangeKind uint8

const (
	rangeAuto rangeKind = iota
	rangeRank
	rangeScore
	rangeLex
)

// rangeRequest is a parsed ZRANGE (Redis's zrangeGenericCommand).
type rangeRequest struct {
	kind          rangeKind
	reverse       bool
	withScores    bool
	offset, limit int64 // limit -1: no limit
	limitGiven    bool
	start, end    int64
	score         scoreRange
	lex           lexRange
}

// parseRange parses "key min max [options]" starting at args[0] = key.
// kind and reverse are fixed by the older commands (ZRANGEBYSCORE, ...);
// store forbids WITHSCORES (ZRANGESTORE).
func parseRange(c *Client, args [][]byte, kind rangeKind, reverse, fixedDir, store bool) (rangeRequest, bool) {
	q := rangeRequest{kind: kind, reverse: reverse, limit: -1}
	for j := 3; j < len(args); j++ {
		left := len(args) - j - 1
		switch a := args[j]; {
		case !store && eqFold(a, "withscores"):
			q.withScores = true
		case eqFold(a, "limit") && left >= 2:
			off, ok1 := parseInt(args[j+1])
			lim, ok2 := parseInt(args[j+2])
			if !ok1 || !ok2 {
				c.w.Error(errNotInt)
				return q, false
			}
			q.offset, q.limit, q.limitGiven = off, lim, true
			j += 2
		case !fixedDir && !q.reverse && eqFold(a, "rev"):
			q.reverse = true
		case q.kind == rangeAuto && eqFold(a, "bylex"):
			q.kind = rangeLex
		case q.kind == rangeAuto && eqFold(a, "byscore"):
			q.kind = rangeScore
		default:
			c.w.Error(errSyntax)
			return q, false
		}
	}
	if q.kind == rangeAuto {
		q.kind = rangeRank
	}
	if q.limitGiven && q.limit != -1 && q.kind == rangeRank {
		c.w.Error(errLimitNeedsBy)
		return q, false
	}
	if q.withScores && q.kind == rangeLex {
		c.w.Error(errWithScoresLex)
		return q, false
	}
	minArg, maxArg := args[1], args[2]
	if q.reverse && q.kind != rangeRank {
		minArg, maxArg = maxArg, minArg // given as max, min
	}
	var ok bool
	switch q.kind {
	case rangeRank:
		var ok2 bool
		q.start, ok = parseInt(minArg)
		q.end, ok2 = parseInt(maxArg)
		if !ok || !ok2 {
			c.w.Error(errNotInt)
			return q, false
		}
	case rangeScore:
		if q.score, ok = parseScoreRange(minArg, maxArg); !ok {
			c.w.Error(errMinMaxNotFloat)
			return q, false
		}
	case rangeLex:
		if q.lex, ok = parseLexRange(minArg, maxArg); !ok {
			c.w.Error(errMinMaxNotLex)
			return q, false
		}
	}
	return q, true
}

// span resolves the request against z: the first rank to visit, the number
// of items, and the direction.
func (q rangeRequest) span(z *types.ZSet) (first, n int) {
	size := z.Len()
	if q.kind == rangeRank {
		lo, hi, empty := clampRange(q.start, q.end, size)
		if empty {
			return 0, 0
		}
		if q.reverse {
			return size - 1 - lo, hi - lo + 1
		}
		return lo, hi - lo + 1
	}
	if q.offset < 0 || (q.offset > 0 && q.offset >= int64(size)) {
		return 0, 0
	}
	var lo, hi int
	if q.kind == rangeScore {
		lo, hi = boundedSpan(z, q.score.belowMin, q.score.upToMax)
	} else {
		lo, hi = boundedSpan(z, q.lex.belowMin, q.lex.upToMax)
	}
	n = hi - lo - int(q.offset)
	if n <= 0 {
		return 0, 0
	}
	if q.limit >= 0 && int64(n) > q.limit {
		n = int(q.limit)
	}
	if q.reverse {
		return hi - 1 - int(q.offset), n
	}
	return lo + int(q.offset), n
}

// visitSpan calls fn for the n items from rank first, downwards when
// reverse. (A plain function, not a method value, so that the callbacks
// stay on the stack.)
func visitSpan(z *types.ZSet, reverse bool, first, n int, fn func(types.ZItem)) {
	if n == 0 {
		return
	}
	each := func(it types.ZItem) bool {
		fn(it)
		n--
		return n > 0
	}
	if reverse {
		z.Descend(first, each)
	} else {
		z.Ascend(first, each)
	}
}

func cmdZRange(c *Client, args [][]byte) { rangeCommand(c, args[1:], rangeAuto, false, false) }
func cmdZRevRange(c *Client, args [][]byte) {
	rangeCommand(c, args[1:], rangeRank, true, true)
}
func cmdZRangeByScore(c *Client, args [][]byte) {
	rangeCommand(c, args[1:], rangeScore, false, true)
}
func cmdZRevRangeByScore(c *Client, args [][]byte) {
	rangeCommand(c, args[1:], rangeScore, true, true)
}
func cmdZRangeByLex(c *Client, args [][]byte) { rangeCommand(c, args[1:], rangeLex, false, true) }
func cmdZRevRangeByLex(c *Client, args [][]byte) {
	rangeCommand(c, args[1:], rangeLex, true, true)
}

func rangeCommand(c *Client, args [][]byte, kind rangeKind, reverse, fixedDir bool) {
	q, ok := parseRange(c, args, kind, reverse, fixedDir, false)
	if !ok {
		return
	}
	z, ok := readZSet(c, args[0])
	if !ok {
		return
	}
	if z == nil {
		c.w.Array(0)
		return
	}
	first, n := q.span(z)
	withScores := q.withScores
	scoredArray(c, n, withScores)
	visitSpan(z, q.reverse, first, n, func(it types.ZItem) { writeScored(c, it, withScores) })
}

// cmdZRangeStore stores the range in a new sorted set; the source is read
// before the destination is written, and the same key may be both.
func cmdZRangeStore(c *Client, args [][]byte) {
	q, ok := parseRange(c, args[2:], rangeAuto, false, false, true)
	if !ok {
		return
	}
	z, ok := readZSet(c, args[2])
	if !ok {
		return
	}
	var items []types.ZItem
	maxLen := 0
	if z != nil {
		first, n := q.span(z)
		items = make([]types.ZItem, 0, n)
		visitSpan(z, q.reverse, first, n, func(it types.ZItem) {
			items = append(items, it)
			maxLen = max(maxLen, len(it.Member))
		})
	}
	storeZSetResult(c, args[1], buildZSet(c, items, maxLen))
}

// buildZSet makes a result set from items in the encoding Redis would end
// with.
func buildZSet(c *Client, items []types.ZItem, maxLen int) *types.ZSet {
	dst := newResultZSet(c, len(items), maxLen)
	for _, it := range items {
		dst.Set(it.Member, it.Score)
	}
	return dst
}

// ---- ZREMRANGEBY*

func cmdZRemRangeByRank(c *Client, args [][]byte) {
	start, ok1 := parseInt(args[2])
	end, ok2 := parseInt(args[3])
	if !ok1 || !ok2 {
		c.w.Error(errNotInt)
		return
	}
	remRangeCommand(c, args[1], func(z *types.ZSet) (int, int) {
		lo, hi, empty := clampRange(start, end, z.Len())
		if empty {
			return 0, 0
		}
		return lo, hi + 1
	})
}

func cmdZRemRangeByScore(c *Client, args [][]byte) {
	r, ok := parseScoreRange(args[2], args[3])
	if !ok {
		c.w.Error(errMinMaxNotFloat)
		return
	}
	remRangeCommand(c, args[1], func(z *types.ZSet) (int, int) { return boundedSpan(z, r.belowMin, r.upToMax) })
}

func cmdZRemRangeByLex(c *Client, args [][]byte) {
	r, ok := parseLexRange(args[2], args[3])
	if !ok {
		c.w.Error(errMinMaxNotLex)
		return
	}
	remRangeCommand(c, args[1], func(z *types.ZSet) (int, int) { return boundedSpan(z, r.belowMin, r.upToMax) })
}

// remRangeCommand removes the ranks [lo, hi) that span picks.
func remRangeCommand(c *Client, key []byte, span func(*types.ZSet) (lo, hi int)) {
	z, ok := writeZSet(c, key)
	if !ok {
		return
	}
	if z == nil {
		c.w.Int(0)
		return
	}
	lo, hi := span(z)
	if hi > lo {
		z.RemoveRange(lo, hi-1, nil)
		zsetChanged(c, key, z)
	}
	c.w.Int(int64(hi - lo))
}

// ---- ZPOPMIN, ZPOPMAX, ZMPOP and their blocking forms

// popShape is how a pop reply is laid out (Redis's emitkey and
// use_nested_array).
type popShape struct {
	withKey bool // [key, ...]: BZPOP*, ZMPOP, BZMPOP
	nested  bool // each member a [member, score] pair
}

// zsetPop pops up to count items (count -1: one, the plain form) from the
// low end (max false) or the high end of z at key, and answers them in
// shape (Redis's genericZpopCommand once the key is found).
func zsetPop(c *Client, key []byte, z *types.ZSet, maxEnd bool, count int64, shape popShape) {
	if count == -1 {
		count = 1
	}
	n := int(min(count, int64(z.Len())))
	switch {
	case shape.withKey && shape.nested:
		c.w.Array(2)
		c.w.Bulk(key)
		c.w.Array(n)
	case shape.withKey:
		c.w.Array(2*n + 1)
		c.w.Bulk(key)
	case shape.nested:
		c.w.Array(n)
	default:
		c.w.Array(2 * n)
	}
	for range n {
		r := 0
		if maxEnd {
			r = z.Len() - 1
		}
		it := z.At(r)
		z.RemoveRange(r, r, nil)
		if shape.nested {
			c.w.Array(2)
		}
		c.w.BulkString(it.Member)
		c.w.Double(it.Score)
	}
	event := "zpopmin"
	if maxEnd {
		event = "zpopmax"
	}
	c.notify(config.NotifyZset, event, key)
	zsetChanged(c, key, z)
	if z.Len() == 0 {
		c.notify(config.NotifyGeneric, "del", key)
	}
}

// firstZSet finds the first existing sorted set among keys, checking types
// in order; ok is false when a WRONGTYPE was answered.
func firstZSet(c *Client, keys [][]byte) (key []byte, z *types.ZSet, ok bool) {
	for _, k := range keys {
		z, ok := writeZSet(c, k)
		if !ok {
			return nil, nil, false
		}
		if z != nil {
			return k, z, true
		}
	}
	return nil, nil, true
}

func cmdZPopMin(c *Client, args [][]byte) { popCommand1(c, args, false) }
func cmdZPopMax(c *Client, args [][]byte) { popCommand1(c, args, true) }

func popCommand1(c *Client, args [][]byte, maxEnd bool) {
	if len(args) > 3 {
		c.w.Error(errSyntax)
		return
	}
	count := int64(-1)
	if len(args) == 3 {
		n, ok := parseInt(args[2])
		if !ok || n < 0 {
			c.w.Error(errNotIntOrRange)
			return
		}
		count = n
	}
	key, z, ok := firstZSet(c, args[1:2])
	if !ok {
		return
	}
	if z == nil || count == 0 {
		c.w.Array(0)
		return
	}
	zsetPop(c, key, z, maxEnd, count, popShape{nested: c.w.Proto() == 3 && count != -1})
}

// zmpopRequest is ZMPOP's (and BZMPOP's) parsed arguments.
type zmpopRequest struct {
	keys   [][]byte
	maxEnd bool
	count  int64
}

// parseZMPop parses "numkeys key... MIN|MAX [COUNT count]".
func parseZMPop(c *Client, args [][]byte) (zmpopRequest, bool) {
	var r zmpopRequest
	keys, count, ok := parseMultiPop(c, args, func(b []byte) bool {
		r.maxEnd = eqFold(b, "max")
		return r.maxEnd || eqFold(b, "min")
	})
	r.keys, r.count = keys, count
	return r, ok
}

func cmdZMPop(c *Client, args [][]byte) {
	r, ok := parseZMPop(c, args[1:])
	if !ok {
		return
	}
	key, z, ok := firstZSet(c, r.keys)
	if !ok {
		return
	}
	if z == nil {
		c.w.NullArray()
		return
	}
	zsetPop(c, key, z, r.maxEnd, r.count, popShape{withKey: true, nested: true})
}

func cmdBZPopMin(c *Client, args [][]byte) { blockingZPop(c, args, false) }
func cmdBZPopMax(c *Client, args [][]byte) { blockingZPop(c, args, true) }

func blockingZPop(c *Client, args [][]byte, maxEnd bool) {
	timeout, errMsg := parseBlockTimeout(args[len(args)-1])
	if errMsg != "" {
		c.w.Error(errMsg)
		return
	}
	blockingZSetPop(c, args[1:len(args)-1], timeout, maxEnd, -1, popShape{withKey: true})
}

func cmdBZMPop(c *Client, args [][]byte) {
	r, ok := parseZMPop(c, args[2:])
	if !ok {
		return
	}
	timeout, errMsg := parseBlockTimeout(args[1])
	if errMsg != "" {
		c.w.Error(errMsg)
		return
	}
	blockingZSetPop(c, r.keys, timeout, r.maxEnd, r.count, popShape{withKey: true, nested: true})
}

// blockingZSetPop pops from the first non-empty sorted set among keys, or
// blocks until one is written (Redis's blockingGenericZpopCommand).
func blockingZSetPop(c *Client, keys [][]byte, timeout time.Duration, maxEnd bool, count int64, shape popShape) {
	key, z, ok := firstZSet(c, keys)
	if !ok {
		return
	}
	if z != nil && (c.noBlock || !c.srv.blocking.handoffPending(c.db, keys)) {
		zsetPop(c, key, z, maxEnd, count, shape)
		return
	}
	if c.noBlock {
		c.w.NullArray()
		return
	}
	c.blockOn(blockSpec{
		keys: keys, timeout: timeout, behind: z != nil,
		serve: func(c *Client, key []byte) bool {
			e := c.db.Lookup(key, c.now)
			if e == nil {
				return false
			}
			z, _ := e.Obj.(*types.ZSet)
			if z == nil || !c.beginServe() {
				return false
			}
			zsetPop(c, key, z, maxEnd, count, shape)
			return true
		},
		onTimeout: (*Client).replyNullArray,
	})
}

// ---- ZRANDMEMBER

// cmdZRandMember answers one random member (no count) or an array: a
// positive count gives distinct members (the whole set, in descending
// order, when it asks for at least that many), a negative one that many with repeats.
func cmdZRandMember(c *Client, args [][]byte) {
	if len(args) == 2 {
		z, ok := readZSet(c, args[1])
		if !ok {
			return
		}
		if z == nil {
			c.w.Null()
			return
		}
		c.w.BulkString(z.Random(rand.IntN).Member)
		return
	}
	count, withScores, ok := parseRandomCount(c, args, "withscores")
	if !ok {
		return
	}
	z, ok := readZSet(c, args[1])
	if !ok {
		return
	}
	if z == nil || count == 0 {
		c.w.Array(0)
		return
	}
	if count < 0 || count == 1 {
		n := count
		if n < 0 {
			n = -n
		}
		scoredArray(c, int(n), withScores)
		for range n {
			writeScored(c, z.Random(rand.IntN), withScores)
		}
		return
	}
	if count >= int64(z.Len()) {
		// Redis answers the whole set from its highest member down.
		scoredArray(c, z.Len(), withScores)
		z.Descend(z.Len()-1, func(it types.ZItem) bool { writeScored(c, it, withScores); return true })
		return
	}
	ranks := rand.Perm(z.Len())[:count]
	scoredArray(c, int(count), withScores)
	for _, r := range ranks {
		writeScored(c, z.At(r), withScores)
	}
}

// ---- ZUNION, ZINTER, ZDIFF, their STORE forms, ZINTERCARD

type setOp uint8

const (
	opUnion setOp = iota
	opInter
	opDiff
)

// zsource is one input of a set operation: a sorted set or a plain set
// (whose members all score 1), weighted.
type zsource struct {
	z      *types.ZSet
	s      *types.Set
	weight float64
}

func (src zsource) len() int {
	switch {
	case src.z != nil:
		return src.z.Len()
	case src.s != nil:
		return src.s.Len()
	}
	return 0
}

func (src zsource) each(fn func(member string, score float64)) {
	switch {
	case src.z != nil:
		src.z.Ascend(0, func(it types.ZItem) bool { fn(it.Member, it.Score); return true })
	case src.s != nil:
		src.s.Each(func(m types.Member) bool { fn(m.String(), 1); return true })
	}
}

func (src zsource) find(member string) (float64, bool) {
	switch {
	case src.z != nil:
		return src.z.Score(member)
	case src.s != nil && src.s.Contains(member):
		return 1, true
	}
	return 0, false
}

// setOpRequest is a parsed ZUNION/ZINTER/ZDIFF family command.
type setOpRequest struct {
	op          setOp
	srcs        []zsource
	aggregate   string // "sum", "min" or "max"
	withScores  bool
	limit       int64 // ZINTERCARD; 0 = none
	cardinality bool
}

// parseSetOp parses "numkeys key... [options]" at args[numkeysAt] the way
// zunionInterDiffGenericCommand does: the keys are looked up and typed
// before the options are read. store is set for the STORE forms.
func parseSetOp(c *Client, args [][]byte, numkeysAt int, op setOp, store, cardinality bool) (setOpRequest, bool) {
	q := setOpRequest{op: op, aggregate: "sum", cardinality: cardinality}
	numkeys, ok := parseInt(args[numkeysAt])
	if !ok {
		c.w.Error(errNotInt)
		return q, false
	}
	if numkeys < 1 {
		c.w.Error("ERR at least 1 input key is needed for '" + c.cmd.Name + "' command")
		return q, false
	}
	if numkeys > int64(len(args)-numkeysAt-1) {
		c.w.Error(errSyntax)
		return q, false
	}
	keys := args[numkeysAt+1 : numkeysAt+1+int(numkeys)]
	q.srcs = make([]zsource, len(keys))
	for i, k := range keys {
		q.srcs[i].weight = 1
		e := c.db.LookupRead(k, c.now)
		if store {
			e = c.db.Lookup(k, c.now)
		}
		if e == nil {
			continue
		}
		switch o := e.Obj.(type) {
		case *types.ZSet:
			q.srcs[i].z = o
		case *types.Set:
			q.srcs[i].s = o
		default:
			c.w.Error(errWrongType)
			return q, false
		}
	}
	return q, parseSetOpOptions(c, &q, args[numkeysAt+1+int(numkeys):], store)
}

func parseSetOpOptions(c *Client, q *setOpRequest, opts [][]byte, store bool) bool {
	weighted := q.op != opDiff && !q.cardinality
	for j := 0; j < len(opts); {
		left := len(opts) - j
		switch a := opts[j]; {
		case weighted && left >= len(q.srcs)+1 && eqFold(a, "weights"):
			for i := range q.srcs {
				w, ok := parseScore(opts[j+1+i])
				if !ok {
					c.w.Error(errWeightNotFloat)
					return false
				}
				q.srcs[i].weight = w
			}
			j += 1 + len(q.srcs)
		case weighted && left >= 2 && eqFold(a, "aggregate"):
			switch v := opts[j+1]; {
			case eqFold(v, "sum"), eqFold(v, "min"), eqFold(v, "max"):
				q.aggregate = strings.ToLower(string(v))
			default:
				c.w.Error(errSyntax)
				return false
			}
			j += 2
		case !store && !q.cardinality && eqFold(a, "withscores"):
			q.withScores = true
			j++
		case q.cardinality && left >= 2 && eqFold(a, "limit"):
			n, ok := parseInt(opts[j+1])
			if !ok || n < 0 {
				c.w.Error("ERR LIMIT can't be negative")
				return false
			}
			q.limit = n
			j += 2
		default:
			c.w.Error(errSyntax)
			return false
		}
	}
	return true
}

// aggregateScore folds val into acc (Redis's zunionInterAggregate): a sum
// of +inf and -inf is 0, not NaN.
func aggregateScore(acc *float64, val float64, how string) {
	switch how {
	case "sum":
		*acc += val
		if math.IsNaN(*acc) {
			*acc = 0
		}
	case "min":
		if val < *acc {
			*acc = val
		}
	case "max":
		if val > *acc {
			*acc = val
		}
	}
}

// weighted multiplies a score by a weight; 0 × inf counts as 0.
func weighted(score, weight float64) float64 {
	v := score * weight
	if math.IsNaN(v) {
		return 0
	}
	return v
}

// run computes the operation: the members with their scores, unordered,
// or only their number for ZINTERCARD.
func (q setOpRequest) run() (items []types.ZItem, card int64) {
	srcs := q.srcs
	if q.op != opDiff {
		srcs = slices.Clone(srcs)
		slices.SortStableFunc(srcs, func(a, b zsource) int { return a.len() - b.len() })
	}
	switch q.op {
	case opInter:
		return q.intersect(srcs)
	case opUnion:
		acc := make(map[string]float64)
		var order []string
		for _, src := range srcs {
			src.each(func(m string, s float64) {
				v := weighted(s, src.weight)
				if cur, seen := acc[m]; seen {
					aggregateScore(&cur, v, q.aggregate)
					acc[m] = cur
					return
				}
				acc[m] = v
				order = append(order, m)
			})
		}
		items = make([]types.ZItem, 0, len(order))
		for _, m := range order {
			items = append(items, types.ZItem{Score: acc[m], Member: m})
		}
	case opDiff:
		srcs[0].each(func(m string, s float64) {
			for _, other := range srcs[1:] {
				if _, found := other.find(m); found {
					return
				}
			}
			items = append(items, types.ZItem{Score: s, Member: m})
		})
	}
	return items, int64(len(items))
}

func (q setOpRequest) intersect(srcs []zsource) (items []types.ZItem, card int64) {
	if srcs[0].len() == 0 {
		return nil, 0
	}
	done := false
	srcs[0].each(func(m string, s float64) {
		if done {
			return
		}
		score := weighted(s, srcs[0].weight)
		for _, other := range srcs[1:] {
			v, found := other.find(m)
			if !found {
				return
			}
			aggregateScore(&score, v*other.weight, q.aggregate)
		}
		card++
		if q.cardinality {
			done = q.limit > 0 && card >= q.limit
			return
		}
		items = append(items, types.ZItem{Score: score, Member: m})
	})
	return items, card
}

func cmdZUnion(c *Client, args [][]byte)      { setOpCommand(c, args, opUnion) }
func cmdZInter(c *Client, args [][]byte)      { setOpCommand(c, args, opInter) }
func cmdZDiff(c *Client, args [][]byte)       { setOpCommand(c, args, opDiff) }
func cmdZUnionStore(c *Client, args [][]byte) { setOpStoreCommand(c, args, opUnion) }
func cmdZInterStore(c *Client, args [][]byte) { setOpStoreCommand(c, args, opInter) }
func cmdZDiffStore(c *Client, args [][]byte)  { setOpStoreCommand(c, args, opDiff) }

func setOpCommand(c *Client, args [][]byte, op setOp) {
	q, ok := parseSetOp(c, args, 1, op, false, false)
	if !ok {
		return
	}
	items, _ := q.run()
	slices.SortFunc(items, compareZItems)
	scoredArray(c, len(items), q.withScores)
	for _, it := range items {
		writeScored(c, it, q.withScores)
	}
}

func compareZItems(a, b types.ZItem) int {
	switch {
	case a.Less(b):
		return -1
	case b.Less(a):
		return 1
	}
	return 0
}

func setOpStoreCommand(c *Client, args [][]byte, op setOp) {
	q, ok := parseSetOp(c, args, 2, op, true, false)
	if !ok {
		return
	}
	items, _ := q.run()
	maxLen := 0
	for _, it := range items {
		maxLen = max(maxLen, len(it.Member))
	}
	slices.SortFunc(items, compareZItems)
	storeZSetResult(c, args[1], buildZSet(c, items, maxLen))
}

func cmdZInterCard(c *Client, args [][]byte) {
	q, ok := parseSetOp(c, args, 1, opInter, false, true)
	if !ok {
		return
	}
	_, card := q.run()
	c.w.Int(card)
}

// ---- ZSCAN

func cmdZScan(c *Client, args [][]byte) {
	pairScanCommand(c, args, func() (pairScanner, bool) {
		z, ok := readZSet(c, args[1])
		if z == nil {
			return nil, ok
		}
		listpack := z.IsListpack()
		return func(cursor uint64, visit func(name, value []byte)) uint64 {
			return z.Scan(cursor, func(m string, s float64) { visit([]byte(m), scoreText(s, listpack)) })
		}, true
	})
}

// scoreText is a score as ZSCAN shows it. A listpack holds a score as an
// integer when it is one (Redis's double2ll: integral and within half the
// long long range) and as "%.17g" text otherwise; a skiplist score is
// printed "%.17g".
func scoreText(s float64, listpack bool) []byte {
	if listpack && s == math.Trunc(s) && s >= -math.MaxInt64/2 && s <= math.MaxInt64/2 {
		return strconv.AppendInt(nil, int64(s), 10)
	}
	return resp.AppendDouble(nil, s)
}
