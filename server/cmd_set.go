package server

import (
	"math"
	"math/rand/v2"
	"slices"
	"strconv"

	"github.com/kioku-db/kioku/server/config"
	"github.com/kioku-db/kioku/store"
	"github.com/kioku-db/kioku/types"
)

// The set family (Redis's t_set.c). The data structure is types.Set; this
// file parses arguments, picks the algorithms whose choice clients can see
// (the encoding a stored result ends up in, the shape of a reply) and
// writes the replies.

// Error replies of this family that errors.go does not define, spelled as
// Redis 7.0 spells them.
const (
	errNumKeysTooMany = "ERR Number of keys can't be greater than number of args"
	errLimitNegative  = "ERR LIMIT can't be negative"
)

func init() {
	register([]binding{
		{"sadd", cmdSAdd, lockKeys},
		{"srem", cmdSRem, lockKeys},
		{"smembers", cmdSMembers, lockKeys},
		{"sismember", cmdSIsMember, lockKeys},
		{"smismember", cmdSMIsMember, lockKeys},
		{"scard", cmdSCard, lockKeys},
		{"spop", cmdSPop, lockKeys},
		{"srandmember", cmdSRandMember, lockKeys},
		{"smove", cmdSMove, lockKeys},
		{"sinter", cmdSInter, lockKeys},
		{"sintercard", cmdSInterCard, lockKeys},
		{"sinterstore", cmdSInterStore, lockKeys},
		{"sunion", cmdSUnion, lockKeys},
		{"sunionstore", cmdSUnionStore, lockKeys},
		{"sdiff", cmdSDiff, lockKeys},
		{"sdiffstore", cmdSDiffStore, lockKeys},
		{"sscan", cmdSScan, lockKeys},
	})
	// SMOVE and the stores with an empty result fire their events
	// themselves.
	declareEvents(config.NotifySet, []keyEvent{
		{"sadd", "sadd"}, {"srem", "srem"}, {"spop", "spop"},
		{"sinterstore", "sinterstore"}, {"sunionstore", "sunionstore"}, {"sdiffstore", "sdiffstore"},
	})
}

// maxIntsetEntries is set-max-intset-entries, read per command so that
// CONFIG SET applies to the next write.
func (c *Client) maxIntsetEntries() int64 { return c.srv.cfg.Int("set-max-intset-entries") }

// asSet returns the set an entry holds; ok is false (and WRONGTYPE
// written) for another type. A missing key gives nil, true.
func asSet(c *Client, e *store.Entry) (s *types.Set, ok bool) {
	if e == nil {
		return nil, true
	}
	if s, ok = e.Obj.(*types.Set); !ok {
		c.w.Error(errWrongType)
	}
	return s, ok
}

// readSet looks a set up for a command that reads it (counted in
// keyspace_hits/misses, as Redis's lookupKeyRead).
func readSet(c *Client, key []byte) (*types.Set, bool) {
	return asSet(c, c.db.LookupRead(key, c.now))
}

// writeSet looks a set up for a command that may modify it.
func writeSet(c *Client, key []byte) (*types.Set, bool) {
	return asSet(c, c.db.Lookup(key, c.now))
}

// writeMember writes one member as a bulk string.
func writeMember(c *Client, m types.Member) {
	if n, ok := m.Int(); ok {
		c.w.BulkInt(n)
		return
	}
	c.w.BulkString(m.String())
}

// writeSetReply answers a whole set: a RESP3 set, or an array in RESP2.
func writeSetReply(c *Client, s *types.Set) {
	if s == nil {
		c.w.Set(0)
		return
	}
	c.w.Set(s.Len())
	s.Each(func(m types.Member) bool { writeMember(c, m); return true })
}

// afterRemoval deletes a set that became empty (Redis never keeps an empty
// collection) or signals the in-place change.
func afterRemoval(c *Client, key []byte, s *types.Set) {
	if s.Len() == 0 {
		c.db.Delete(key, c.now)
		return
	}
	c.db.Touched(key)
}

func cmdSAdd(c *Client, args [][]byte) {
	s, ok := writeSet(c, args[1])
	if !ok {
		return
	}
	created := s == nil
	if created {
		s = types.NewSet()
	}
	maxEntries := c.maxIntsetEntries()
	var added int64
	for _, m := range args[2:] {
		if s.Add(transient(m), maxEntries) {
			added++
		}
	}
	switch {
	case created:
		c.db.SetObject(args[1], s)
	case added > 0:
		c.db.Touched(args[1])
	}
	c.w.Int(added)
}

func cmdSRem(c *Client, args [][]byte) {
	s, ok := writeSet(c, args[1])
	if !ok {
		return
	}
	if s == nil {
		c.w.Int(0)
		return
	}
	var removed int64
	for _, m := range args[2:] {
		if s.Remove(transient(m)) {
			removed++
			if s.Len() == 0 {
				break // the rest cannot be members
			}
		}
	}
	if removed > 0 {
		afterRemoval(c, args[1], s)
	}
	c.w.Int(removed)
}

func cmdSMembers(c *Client, args [][]byte) {
	if s, ok := readSet(c, args[1]); ok {
		writeSetReply(c, s)
	}
}

func cmdSIsMember(c *Client, args [][]byte) {
	s, ok := readSet(c, args[1])
	if !ok {
		return
	}
	c.w.Int(boolInt(s != nil && s.Contains(transient(args[2]))))
}

func cmdSMIsMember(c *Client, args [][]byte) {
	s, ok := readSet(c, args[1])
	if !ok {
		return
	}
	c.w.Array(len(args) - 2)
	for _, m := range args[2:] {
		c.w.Int(boolInt(s != nil && s.Contains(transient(m))))
	}
}

func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

func cmdSCard(c *Client, args [][]byte) {
	s, ok := readSet(c, args[1])
	if !ok {
		return
	}
	if s == nil {
		c.w.Int(0)
		return
	}
	c.w.Int(int64(s.Len()))
}

func cmdSMove(c *Client, args [][]byte) {
	src, dst, member := args[1], args[2], args[3]
	srcSet, ok1 := asSetQuiet(c.db.Lookup(src, c.now))
	dstSet, ok2 := asSetQuiet(c.db.Lookup(dst, c.now))
	// Redis answers 0 for a missing source before looking at the
	// destination's type.
	if srcSet == nil && ok1 {
		c.w.Int(0)
		return
	}
	if !ok1 || !ok2 {
		c.w.Error(errWrongType)
		return
	}
	if srcSet == dstSet {
		c.w.Int(boolInt(srcSet.Contains(transient(member))))
		return
	}
	if !srcSet.Remove(transient(member)) {
		c.w.Int(0)
		return
	}
	afterRemoval(c, src, srcSet)
	c.notify(config.NotifySet, "srem", src)
	if srcSet.Len() == 0 {
		c.notify(config.NotifyGeneric, "del", src)
	}
	if dstSet == nil {
		dstSet = types.NewSet()
		dstSet.Add(transient(member), c.maxIntsetEntries())
		c.db.SetObject(dst, dstSet)
		c.notify(config.NotifySet, "sadd", dst)
	} else if dstSet.Add(transient(member), c.maxIntsetEntries()) {
		c.db.Touched(dst)
		c.notify(config.NotifySet, "sadd", dst)
	}
	c.w.Int(1)
}

// asSetQuiet is asSet without the error reply, for commands that check
// several keys before answering.
func asSetQuiet(e *store.Entry) (*types.Set, bool) {
	if e == nil {
		return nil, true
	}
	s, ok := e.Obj.(*types.Set)
	return s, ok
}

func cmdSPop(c *Client, args [][]byte) {
	switch len(args) {
	case 2:
		popOne(c, args[1])
	case 3:
		count, ok := parseInt(args[2])
		if !ok || count < 0 {
			c.w.Error(errNotIntOrRange)
			return
		}
		popCount(c, args[1], count)
	default:
		c.w.Error(errSyntax)
	}
}

func popOne(c *Client, key []byte) {
	s, ok := writeSet(c, key)
	if !ok {
		return
	}
	if s == nil {
		c.w.Null()
		return
	}
	writeMember(c, s.Pop())
	afterRemoval(c, key, s)
}

// popCount serves SPOP with a count. Which members leave is random, but
// how they are chosen shows in the encoding of what stays, so the cases
// follow Redis 7.0: popping everything deletes the key; popping few
// members removes them one by one (the set keeps its encoding); popping
// most of them moves the few that stay into a new set, which is an intset
// again when they allow it.
func popCount(c *Client, key []byte, count int64) {
	s, ok := writeSet(c, key)
	if !ok {
		return
	}
	if s == nil || count == 0 {
		c.w.Set(0)
		return
	}
	size := int64(s.Len())
	if count >= size {
		writeSetReply(c, s)
		c.db.Delete(key, c.now)
		return
	}
	remaining := size - count
	if remaining*5 > count {
		c.w.Set(int(count))
		for i := int64(0); i < count; i++ {
			writeMember(c, s.Pop())
		}
	} else {
		popped := keepRandomMembers(s, remaining, c.maxIntsetEntries())
		writeSetReply(c, popped)
	}
	c.db.Touched(key)
}

// keepRandomMembers moves n random members of s into a new set that takes
// s's place, and returns what was left behind (the members popped).
func keepRandomMembers(s *types.Set, n int64, maxIntsetEntries int64) *types.Set {
	kept := types.NewSet()
	for i := int64(0); i < n; i++ {
		kept.AddMember(s.Pop(), maxIntsetEntries)
	}
	popped := *s
	*s = *kept
	return &popped
}

func cmdSRandMember(c *Client, args [][]byte) {
	switch len(args) {
	case 2:
		randomOne(c, args[1])
	case 3:
		count, ok := parseInt(args[2])
		switch {
		case !ok:
			c.w.Error(errNotInt)
		case count == math.MinInt64:
			c.w.Error(errCountRange)
		default:
			randomCount(c, args[1], count)
		}
	default:
		c.w.Error(errSyntax)
	}
}

func randomOne(c *Client, key []byte) {
	s, ok := readSet(c, key)
	if !ok {
		return
	}
	if s == nil {
		c.w.Null()
		return
	}
	writeMember(c, s.Random())
}

// randomCount serves SRANDMEMBER with a count: a negative count draws with
// repetition, a positive one distinct members. Redis 7.0 answers an array
// in every case, even in RESP3.
func randomCount(c *Client, key []byte, count int64) {
	s, ok := readSet(c, key)
	if !ok {
		return
	}
	if s == nil || count == 0 {
		c.w.Array(0)
		return
	}
	if count < 0 || count == 1 {
		n := -count
		if count == 1 {
			n = 1
		}
		c.w.Array(int(n))
		for i := int64(0); i < n; i++ {
			writeMember(c, s.Random())
		}
		return
	}
	if count >= int64(s.Len()) {
		c.w.Array(s.Len())
		s.Each(func(m types.Member) bool { writeMember(c, m); return true })
		return
	}
	members := distinctRandomMembers(s, int(count))
	c.w.Array(len(members))
	for _, m := range members {
		writeMember(c, m)
	}
}

// distinctRandomMembers picks n distinct members, n below the set's size,
// uniformly. When n is a large part of the set, a partial shuffle of all
// members is cheapest; otherwise random draws are retried on repeats,
// which is rare.
func distinctRandomMembers(s *types.Set, n int) []types.Member {
	size := s.Len()
	if n*3 > size {
		all := make([]types.Member, 0, size)
		s.Each(func(m types.Member) bool { all = append(all, m); return true })
		for i := 0; i < n; i++ {
			j := i + rand.IntN(size-i)
			all[i], all[j] = all[j], all[i]
		}
		return all[:n]
	}
	picked := types.NewSet()
	out := make([]types.Member, 0, n)
	for len(out) < n {
		m := s.Random()
		if picked.AddMember(m, math.MaxInt64) {
			out = append(out, m)
		}
	}
	return out
}

// loadSets looks up the source sets of SINTER/SUNION/SDIFF and their STORE
// forms; a missing key is a nil set. Every key is type-checked before any
// work, as Redis 7.0 does, so a wrong type anywhere is WRONGTYPE even when
// an earlier key is missing.
func loadSets(c *Client, keys [][]byte, forWrite bool) ([]*types.Set, bool) {
	sets := make([]*types.Set, len(keys))
	for i, k := range keys {
		var s *types.Set
		var ok bool
		if forWrite {
			s, ok = writeSet(c, k)
		} else {
			s, ok = readSet(c, k)
		}
		if !ok {
			return nil, false
		}
		sets[i] = s
	}
	return sets, true
}

// storeSetResult replaces dst by result (deleting dst when result is
// empty) and answers the cardinality.
func storeSetResult(c *Client, dst []byte, result *types.Set) {
	if result.Len() == 0 {
		if c.db.Delete(dst, c.now) {
			c.notify(config.NotifyGeneric, "del", dst)
		}
		c.noDeclaredEvent()
		c.w.Int(0)
		return
	}
	c.db.SetObject(dst, result)
	c.w.Int(int64(result.Len()))
}

// bySize orders sets smallest first (missing ones count as empty), keeping
// the order of equal sizes, so intersection walks the smallest set.
func bySize(sets []*types.Set) {
	slices.SortStableFunc(sets, func(a, b *types.Set) int { return a.Len() - b.Len() })
}

// intersect calls fn for each member of the intersection of sets (none
// nil) until fn returns false, walking the smallest set and probing the
// others.
func intersect(sets []*types.Set, fn func(types.Member) bool) {
	bySize(sets)
	first := sets[0]
	first.Each(func(m types.Member) bool {
		for _, other := range sets[1:] {
			if other != first && !other.ContainsMember(m) {
				return true
			}
		}
		return fn(m)
	})
}

func hasMissing(sets []*types.Set) bool { return slices.Contains(sets, nil) }

func cmdSInter(c *Client, args [][]byte) {
	sets, ok := loadSets(c, args[1:], false)
	if !ok {
		return
	}
	if hasMissing(sets) {
		c.w.Set(0)
		return
	}
	var members []types.Member
	intersect(sets, func(m types.Member) bool { members = append(members, m); return true })
	c.w.Set(len(members))
	for _, m := range members {
		writeMember(c, m)
	}
}

func cmdSInterStore(c *Client, args [][]byte) {
	sets, ok := loadSets(c, args[2:], true)
	if !ok {
		return
	}
	result := types.NewSet()
	if !hasMissing(sets) {
		maxEntries := c.maxIntsetEntries()
		intersect(sets, func(m types.Member) bool { result.AddMember(m, maxEntries); return true })
	}
	storeSetResult(c, args[1], result)
}

// parseInterCardArgs reads SINTERCARD's numkeys and LIMIT (0: no limit).
func parseInterCardArgs(args [][]byte) (keys [][]byte, limit int64, errMsg string) {
	numKeys, ok := parseInt(args[1])
	if !ok || numKeys < 1 {
		return nil, 0, errNumKeys
	}
	if numKeys > int64(len(args)-2) {
		return nil, 0, errNumKeysTooMany
	}
	keys = args[2 : 2+numKeys]
	for i := 2 + int(numKeys); i < len(args); i++ {
		if !eqFold(args[i], "limit") || i+1 >= len(args) {
			return nil, 0, errSyntax
		}
		i++
		if limit, ok = parseInt(args[i]); !ok || limit < 0 {
			return nil, 0, errLimitNegative
		}
	}
	return keys, limit, ""
}

func cmdSInterCard(c *Client, args [][]byte) {
	keys, limit, errMsg := parseInterCardArgs(args)
	if errMsg != "" {
		c.w.Error(errMsg)
		return
	}
	sets, ok := loadSets(c, keys, false)
	if !ok {
		return
	}
	var n int64
	if !hasMissing(sets) {
		intersect(sets, func(types.Member) bool {
			n++
			return limit == 0 || n < limit
		})
	}
	c.w.Int(n)
}

func cmdSUnion(c *Client, args [][]byte) {
	if sets, ok := loadSets(c, args[1:], false); ok {
		writeSetReply(c, union(sets, c.maxIntsetEntries()))
	}
}

func cmdSUnionStore(c *Client, args [][]byte) {
	if sets, ok := loadSets(c, args[2:], true); ok {
		storeSetResult(c, args[1], union(sets, c.maxIntsetEntries()))
	}
}

// union builds the union of sets (nil ones are empty) with the usual
// encoding rules, so it is an intset when small and all integers.
func union(sets []*types.Set, maxIntsetEntries int64) *types.Set {
	result := types.NewSet()
	for _, s := range sets {
		if s != nil {
			s.Each(func(m types.Member) bool { result.AddMember(m, maxIntsetEntries); return true })
		}
	}
	return result
}

func cmdSDiff(c *Client, args [][]byte) {
	if sets, ok := loadSets(c, args[1:], false); ok {
		writeSetReply(c, difference(sets, c.maxIntsetEntries()))
	}
}

func cmdSDiffStore(c *Client, args [][]byte) {
	if sets, ok := loadSets(c, args[2:], true); ok {
		storeSetResult(c, args[1], difference(sets, c.maxIntsetEntries()))
	}
}

// difference builds the members of sets[0] in none of the others. Like
// Redis 7.0 it either keeps the members of the first set that no other set
// has, or copies the first set and removes the others' members, by the
// estimated work of each; the choice shows in the result's encoding (a
// copy that outgrew the intset stays a hash table when it shrinks back).
// A key named again as a later operand empties the result.
func difference(sets []*types.Set, maxIntsetEntries int64) *types.Set {
	result := types.NewSet()
	first := sets[0]
	if first == nil || slices.Contains(sets[1:], first) {
		return result
	}
	others := slices.DeleteFunc(slices.Clone(sets[1:]), func(s *types.Set) bool { return s == nil })
	if diffByProbing(first, others) {
		// Biggest first: a member is most likely found there.
		slices.SortStableFunc(others, func(a, b *types.Set) int { return b.Len() - a.Len() })
		first.Each(func(m types.Member) bool {
			if !anyContains(others, m) {
				result.AddMember(m, maxIntsetEntries)
			}
			return true
		})
		return result
	}
	first.Each(func(m types.Member) bool { result.AddMember(m, maxIntsetEntries); return true })
	for _, s := range others {
		s.Each(func(m types.Member) bool {
			result.RemoveMember(m)
			return result.Len() > 0
		})
	}
	return result
}

// diffByProbing is Redis's estimate: probing costs the first set's size per
// operand (halved, since it stops at the first hit), copying and removing
// costs every operand's size.
func diffByProbing(first *types.Set, others []*types.Set) bool {
	probe := int64(first.Len()) * int64(len(others)+1) / 2
	copyRemove := int64(first.Len())
	for _, s := range others {
		copyRemove += int64(s.Len())
	}
	return probe <= copyRemove
}

func anyContains(sets []*types.Set, m types.Member) bool {
	for _, s := range sets {
		if s.ContainsMember(m) {
			return true
		}
	}
	return false
}

// sscanOptions parses SSCAN's MATCH and COUNT in order, as Redis does: the
// first bad option is the error, a repeated option overrides, and TYPE
// (a SCAN-only option) is a syntax error.
func parseSScanOptions(args [][]byte) (count int64, pattern string, usePattern bool, errMsg string) {
	count = 10
	for i := 0; i < len(args); i += 2 {
		if i+1 >= len(args) {
			return 0, "", false, errSyntax
		}
		switch val := args[i+1]; {
		case eqFold(args[i], "count"):
			n, ok := parseInt(val)
			if !ok {
				return 0, "", false, errNotInt
			}
			if n < 1 {
				return 0, "", false, errSyntax
			}
			count = n
		case eqFold(args[i], "match"):
			pattern = string(val)
			usePattern = pattern != "*"
		default:
			return 0, "", false, errSyntax
		}
	}
	return count, pattern, usePattern, ""
}

// cmdSScan answers [next cursor, members]. The cursor is checked before the
// key and the options after it, in Redis's order. An intset is returned
// whole with cursor 0; a hash table is walked until COUNT members were
// visited (before MATCH filters them) or ten times COUNT buckets were.
func cmdSScan(c *Client, args [][]byte) {
	cursor, ok := parseScanCursor(args[2])
	if !ok {
		c.w.Error(errInvalidCursor)
		return
	}
	s, ok := readSet(c, args[1])
	if !ok {
		return
	}
	if s == nil {
		writeScanReply(c, 0, nil)
		return
	}
	count, pattern, usePattern, errMsg := parseSScanOptions(args[3:])
	if errMsg != "" {
		c.w.Error(errMsg)
		return
	}
	var visited []types.Member
	collect := func(m types.Member) { visited = append(visited, m) }
	if s.IsIntset() {
		cursor = s.Scan(0, collect)
	} else {
		for budget := count * 10; ; budget-- {
			cursor = s.Scan(cursor, collect)
			if cursor == 0 || budget <= 0 || int64(len(visited)) >= count {
				break
			}
		}
	}
	if usePattern {
		visited = slices.DeleteFunc(visited, func(m types.Member) bool {
			return !types.GlobMatch(pattern, m.String(), false)
		})
	}
	writeScanReply(c, cursor, visited)
}

func writeScanReply(c *Client, cursor uint64, members []types.Member) {
	c.w.Array(2)
	c.w.BulkString(strconv.FormatUint(cursor, 10))
	c.w.Array(len(members))
	for _, m := range members {
		writeMember(c, m)
	}
}
