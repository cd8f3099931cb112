package types

import (
	"math/rand/v2"
	"strconv"
	"strings"
	"unsafe"
)

// Set is an unordered collection of distinct strings with Redis 7.0's two
// encodings: an IntSet while every member is an integer (by string2ll's
// rules) and there are at most set-max-intset-entries of them, and a hash
// table of strings from then on. A set never converts back on its own: as
// in Redis, removing members leaves a hash table a hash table, so OBJECT
// ENCODING answers what Redis answers after the same commands.
//
// The threshold is a parameter of Add rather than a global, because it is a
// runtime setting (CONFIG SET set-max-intset-entries) the caller reads.
type Set struct {
	ints IntSet          // the members while the set is an intset
	dict *Dict[struct{}] // the members once converted; nil while an intset
}

// maxIntsetCap bounds set-max-intset-entries, as Redis does: an intset
// beyond a billion entries would outgrow its 32-bit length field there.
const maxIntsetCap = 1 << 30

// NewSet returns an empty set in the intset encoding.
func NewSet() *Set { return &Set{} }

// TypeName is TYPE's answer.
func (s *Set) TypeName() string { return "set" }

// Encoding is OBJECT ENCODING's answer.
func (s *Set) Encoding() string {
	if s.IsIntset() {
		return "intset"
	}
	return "hashtable"
}

// IsIntset reports whether the set is in the intset encoding.
func (s *Set) IsIntset() bool { return s.dict == nil }

// Len is the number of members (SCARD).
func (s *Set) Len() int {
	if s.IsIntset() {
		return s.ints.Len()
	}
	return s.dict.Len()
}

// Member is one member as the set holds it: a number for an intset, a
// string for a hash table. Passing members between sets in this form lets
// set algebra on intsets run without formatting or parsing numbers.
type Member struct {
	str   string
	num   int64
	isInt bool
}

// IntMember is the member whose string form is n in decimal.
func IntMember(n int64) Member { return Member{num: n, isInt: true} }

// StringMember is the member s, whatever it looks like.
func StringMember(s string) Member { return Member{str: s} }

// Int returns the member as a number when it is held as one.
func (m Member) Int() (int64, bool) { return m.num, m.isInt }

// String is the member's bytes.
func (m Member) String() string {
	if m.isInt {
		return strconv.FormatInt(m.num, 10)
	}
	return m.str
}

// asInt returns the member as an intset element, if it can be one.
func (m Member) asInt() (int64, bool) {
	if m.isInt {
		return m.num, true
	}
	return ParseSetInt(m.str)
}

// Add inserts member and reports whether it was absent. maxIntsetEntries
// is set-max-intset-entries: an intset that would grow beyond it, or that
// receives a non-integer, becomes a hash table. member is only read during
// the call (it may view a reused buffer): the set stores a copy.
func (s *Set) Add(member string, maxIntsetEntries int64) bool {
	return s.add(StringMember(member), maxIntsetEntries, true)
}

// AddMember is Add for a member taken from another set, whose string is
// immutable and shared instead of copied.
func (s *Set) AddMember(m Member, maxIntsetEntries int64) bool {
	return s.add(m, maxIntsetEntries, false)
}

func (s *Set) add(m Member, maxIntsetEntries int64, copyString bool) bool {
	if s.IsIntset() {
		if n, ok := m.asInt(); ok {
			if !s.ints.Add(n) {
				return false
			}
			if int64(s.ints.Len()) > min(maxIntsetEntries, maxIntsetCap) {
				s.convertToHashtable()
			}
			return true
		}
		s.convertToHashtable()
	}
	switch {
	case m.isInt:
		var buf [20]byte
		if key := formatIntTransient(&buf, m.num); !s.dict.Has(key) {
			return s.dict.Set(strings.Clone(key), struct{}{})
		}
		return false
	case copyString:
		// Copy only what is stored: most SADDs of known members copy nothing.
		if s.dict.Has(m.str) {
			return false
		}
		return s.dict.Set(strings.Clone(m.str), struct{}{})
	}
	return s.dict.Set(m.str, struct{}{})
}

// convertToHashtable moves the intset's members into a hash table, where
// they are strings from now on.
func (s *Set) convertToHashtable() {
	// Sized for one more: conversions happen while adding.
	d := NewDict[struct{}](s.ints.Len() + 1)
	for i, n := 0, s.ints.Len(); i < n; i++ {
		d.Set(strconv.FormatInt(s.ints.At(i), 10), struct{}{})
	}
	s.dict, s.ints = d, IntSet{}
}

// Remove deletes member and reports whether it was present. The member is
// only read during the call.
func (s *Set) Remove(member string) bool {
	return s.RemoveMember(StringMember(member))
}

// RemoveMember is Remove for a member taken from another set.
func (s *Set) RemoveMember(m Member) bool {
	if s.IsIntset() {
		n, ok := m.asInt()
		return ok && s.ints.Remove(n)
	}
	if m.isInt {
		var buf [20]byte
		return s.dict.Delete(formatIntTransient(&buf, m.num))
	}
	return s.dict.Delete(m.str)
}

// Contains reports whether member is in the set (SISMEMBER). The member is
// only read during the call.
func (s *Set) Contains(member string) bool {
	return s.ContainsMember(StringMember(member))
}

// ContainsMember is Contains for a member taken from another set.
func (s *Set) ContainsMember(m Member) bool {
	if s.IsIntset() {
		n, ok := m.asInt()
		return ok && s.ints.Contains(n)
	}
	if m.isInt {
		var buf [20]byte
		return s.dict.Has(formatIntTransient(&buf, m.num))
	}
	return s.dict.Has(m.str)
}

// formatIntTransient formats n into buf and returns it as a string that is
// valid only while buf is: for lookups, which do not keep their key, so an
// intset member can be looked up in a hash table without allocating.
func formatIntTransient(buf *[20]byte, n int64) string {
	b := strconv.AppendInt(buf[:0], n, 10)
	return unsafe.String(&b[0], len(b))
}

// Each calls fn for every member until fn returns false: an intset in
// ascending order (as Redis answers SMEMBERS), a hash table in table order.
func (s *Set) Each(fn func(Member) bool) {
	if s.IsIntset() {
		for i, n := 0, s.ints.Len(); i < n; i++ {
			if !fn(IntMember(s.ints.At(i))) {
				return
			}
		}
		return
	}
	s.dict.Each(func(key string, _ struct{}) bool { return fn(StringMember(key)) })
}

// Random returns a uniformly chosen member; the set must not be empty.
func (s *Set) Random() Member {
	if s.IsIntset() {
		return IntMember(s.ints.Random())
	}
	key, _ := s.dict.Random(rand.IntN)
	return StringMember(key)
}

// Pop removes and returns a uniformly chosen member; the set must not be
// empty.
func (s *Set) Pop() Member {
	if s.IsIntset() {
		return IntMember(s.ints.Pop())
	}
	key, _ := s.dict.Random(rand.IntN)
	s.dict.Delete(key)
	return StringMember(key)
}

// Scan visits part of a hash table from cursor with Redis's reverse-binary
// cursor and returns the next one (0 at the end). An intset has no cursor:
// Scan visits all of it and returns 0, as Redis's SSCAN does.
func (s *Set) Scan(cursor uint64, fn func(Member)) uint64 {
	if s.IsIntset() {
		s.Each(func(m Member) bool { fn(m); return true })
		return 0
	}
	return s.dict.Scan(cursor, func(key string, _ struct{}) { fn(StringMember(key)) })
}

// Clone returns an independent copy in the same encoding (COPY). Member
// strings are immutable and shared.
func (s *Set) Clone() any {
	if s.IsIntset() {
		return &Set{ints: *s.ints.Clone()}
	}
	return &Set{dict: s.dict.Clone()}
}
