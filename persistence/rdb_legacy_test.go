package persistence

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/kioku-db/kioku/types"
)

// The encodings Redis 7.0 still loads but no longer writes, built by hand
// as older Redis versions (and 7.2, for the listpack set and the third
// stream layout) lay them out.

func concat(parts ...[]byte) []byte {
	var b []byte
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}

func lenBytes(n uint64) []byte { return appendLen(nil, n) }

func loadOne(t *testing.T, ver int, entry []byte) *RDBItem {
	t.Helper()
	items, err := loadAll(t, rdbFile(ver, entry), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 1 {
		t.Fatalf("%d items", len(items))
	}
	for _, it := range items {
		return it
	}
	return nil
}

func TestLoadLegacyLists(t *testing.T) {
	long := strings.Repeat("L", 300) // the next entry's previous length takes 5 bytes
	zl := buildZiplist("a", int64(0), int64(12), int64(13), int64(-100), int64(1000), int64(-1<<23), int64(1<<23-1),
		int64(math.MaxInt32), int64(math.MinInt64), long, "after", strings.Repeat("m", 20000))
	want := `list 13 ["a" "0" "12" "13" "-100" "1000" "-8388608" "8388607" "2147483647" "-9223372036854775808" "` + long + `" "after" "` + strings.Repeat("m", 20000) + `" ]`

	it := loadOne(t, 3, rawEntry(rdbTypeListZiplist, "l", rawString(zl)))
	if got := describe(it.Str, it.Obj); got != want {
		t.Errorf("ziplist list:\n%.200s", got)
	}

	// A quicklist of ziplists (Redis 3.2 to 6.2); an empty node is skipped.
	ql := concat(lenBytes(3), rawString(zl), rawString(buildZiplist()), rawString(buildZiplist("z", int64(7))))
	it = loadOne(t, 9, rawEntry(rdbTypeListQuicklist, "l", ql))
	want = strings.Replace(strings.TrimSuffix(want, "]"), "list 13", "list 15", 1) + `"z" "7" ]`
	if got := describe(it.Str, it.Obj); got != want {
		t.Errorf("quicklist:\n%.200s", got)
	}

	// A plain node beside packed ones (QUICKLIST_2).
	q2 := concat(lenBytes(2), lenBytes(quicklistPlain), rawString([]byte("plain\x00node")),
		lenBytes(quicklistPacked), rawString(listpackOf("x", "-1")))
	it = loadOne(t, 10, rawEntry(rdbTypeListQuicklist2, "l", q2))
	if got := describe(it.Str, it.Obj); got != `list 3 ["plain\x00node" "x" "-1" ]` {
		t.Errorf("quicklist 2: %s", got)
	}

	// The first list encoding: a length and strings.
	plain := concat(lenBytes(3), rawString([]byte("a")), appendEncodedInt(nil, -300), rawString([]byte("c")))
	it = loadOne(t, 1, rawEntry(rdbTypeList, "l", plain))
	if got := describe(it.Str, it.Obj); got != `list 3 ["a" "-300" "c" ]` {
		t.Errorf("plain list: %s", got)
	}
}

func TestLoadLegacySets(t *testing.T) {
	for _, tc := range []struct {
		name  string
		entry []byte
		want  string
	}{
		{"plain ints", rawEntry(rdbTypeSet, "s", lenBytes(3), rawString([]byte("3")), appendEncodedInt(nil, -1), rawString([]byte("70000"))),
			`set intset ["-1" "3" "70000"] width 4`},
		{"plain strings", rawEntry(rdbTypeSet, "s", lenBytes(2), rawString([]byte("1")), rawString([]byte("b"))),
			`set hashtable ["1" "b"]`},
		{"listpack (7.2)", rawEntry(rdbTypeSetListpack, "s", rawString(listpackOf("5", "-2"))),
			`set intset ["-2" "5"] width 2`},
		{"listpack strings (7.2)", rawEntry(rdbTypeSetListpack, "s", rawString(listpackOf("x", "5"))),
			`set hashtable ["5" "x"]`},
	} {
		it := loadOne(t, 11, tc.entry)
		if got := describe(it.Str, it.Obj); got != tc.want {
			t.Errorf("%s: %s", tc.name, got)
		}
	}
}

func TestLoadLegacySortedSets(t *testing.T) {
	// RDB_TYPE_ZSET: scores in text, with the special lengths of inf.
	textScores := concat(lenBytes(3),
		rawString([]byte("a")), []byte{4}, []byte("1.50"),
		rawString([]byte("b")), []byte{254},
		rawString([]byte("c")), []byte{255})
	it := loadOne(t, 6, rawEntry(rdbTypeZSet, "z", textScores))
	if got := describe(it.Str, it.Obj); got != `zset listpack ["c":-Inf "a":1.5 "b":+Inf ]` {
		t.Errorf("text scores: %s", got)
	}
	nan := concat(lenBytes(1), rawString([]byte("a")), []byte{253})
	if _, err := loadAll(t, rdbFile(6, rawEntry(rdbTypeZSet, "z", nan)), nil); err == nil {
		t.Error("NaN score loaded")
	}

	zl := buildZiplist("m1", "2.5", "m2", int64(-3), "12", int64(12))
	it = loadOne(t, 7, rawEntry(rdbTypeZSetZiplist, "z", rawString(zl)))
	if got := describe(it.Str, it.Obj); got != `zset listpack ["m2":-3 "m1":2.5 "12":12 ]` {
		t.Errorf("ziplist: %s", got)
	}
}

func TestLoadLegacyHashes(t *testing.T) {
	it := loadOne(t, 3, rawEntry(rdbTypeHashZipmap, "h", rawString(buildZipmap(2, "a", "1", strings.Repeat("f", 260), "long field", "c", ""))))
	want := `hash hashtable "a"="1" "c"="" "` + strings.Repeat("f", 260) + `"="long field"`
	if got := describe(it.Str, it.Obj); got != want {
		t.Errorf("zipmap:\n%s", got)
	}
	it = loadOne(t, 3, rawEntry(rdbTypeHashZipmap, "h", rawString(buildZipmap(0, "a", "1", "b", "2"))))
	if got := describe(it.Str, it.Obj); got != `hash listpack "a"="1" "b"="2"` {
		t.Errorf("small zipmap: %s", got)
	}

	zl := buildZiplist("f", int64(1), "g", "v", "7", int64(-7))
	it = loadOne(t, 7, rawEntry(rdbTypeHashZiplist, "h", rawString(zl)))
	if got := describe(it.Str, it.Obj); got != `hash listpack "f"="1" "g"="v" "7"="-7"` {
		t.Errorf("ziplist: %s", got)
	}
}

func TestLoadLegacyFunction(t *testing.T) {
	// Redis 7.0's release candidates stored name, engine, description and
	// code; the loader hands over code with the shebang Redis builds.
	body := concat([]byte{rdbOpFunctionPreGA}, rawString([]byte("mylib")), rawString([]byte("LUA")),
		lenBytes(1), rawString([]byte("a description")), rawString([]byte("redis.register_function('f', function() end)")))
	var code string
	err := LoadRDB(strings.NewReader(string(rdbFile(10, body))), RDBHandler{
		Function: func(c string) error { code = c; return nil },
		Entry:    func(RDBItem) error { return nil },
	})
	if err != nil || code != "#!LUA name=mylib\nredis.register_function('f', function() end)" {
		t.Errorf("%q %v", code, err)
	}
}

// streamBlob encodes s in a given stream layout: 15 without the 7.0
// metadata and read counters, 21 with an active time per consumer.
func streamBlob(s *types.Stream, typ byte) []byte {
	b := lenBytes(uint64(s.NodeCount()))
	var lp listpackBuilder
	s.EachNode(func(n types.StreamNodeView) bool {
		key := streamIDBytes(n.Master)
		b = append(b, rawString(key[:])...)
		b = append(b, rawString(streamNodeListpack(&lp, n))...)
		return true
	})
	b = appendLen(b, s.Len())
	b = appendStreamID(b, s.LastID())
	if typ != rdbTypeStreamListpacks {
		b = appendStreamID(b, s.FirstID())
		b = appendStreamID(b, s.MaxDeletedID())
		b = appendLen(b, s.EntriesAdded())
	}
	groups := s.Groups()
	b = appendLen(b, uint64(len(groups)))
	for _, g := range groups {
		b = append(b, rawString([]byte(g.Name))...)
		b = appendStreamID(b, g.LastID)
		if typ != rdbTypeStreamListpacks {
			b = appendLen(b, uint64(g.EntriesRead))
		}
		b = appendLen(b, uint64(g.PendingCount()))
		g.EachPending(types.StreamID{}, func(p *types.PendingEntry) bool {
			id := streamIDBytes(p.ID)
			b = append(b, id[:]...)
			b = binary.LittleEndian.AppendUint64(b, uint64(p.DeliveryTime))
			b = appendLen(b, uint64(p.DeliveryCount))
			return true
		})
		consumers := g.Consumers()
		b = appendLen(b, uint64(len(consumers)))
		for _, c := range consumers {
			b = append(b, rawString([]byte(c.Name))...)
			b = binary.LittleEndian.AppendUint64(b, uint64(c.SeenTime))
			if typ == rdbTypeStreamListpacks3 {
				b = binary.LittleEndian.AppendUint64(b, uint64(c.SeenTime+1))
			}
			b = appendLen(b, uint64(c.PendingCount()))
			c.EachPending(types.StreamID{}, func(p *types.PendingEntry) bool {
				id := streamIDBytes(p.ID)
				b = append(b, id[:]...)
				return true
			})
		}
	}
	return b
}

func TestLoadStreamLayouts(t *testing.T) {
	s := fixtureStream(t)
	want := describe("", s)

	// 7.2's layout differs only by the consumers' active time.
	it := loadOne(t, 11, rawEntry(rdbTypeStreamListpacks3, "s", streamBlob(s, rdbTypeStreamListpacks3)))
	if got := describe(it.Str, it.Obj); got != want {
		t.Errorf("layout 3:\n%s\nwant\n%s", got, want)
	}

	// Redis 5's layout: the first ID is found, entries added is the
	// length, nothing was deleted, and read counters are estimated.
	it = loadOne(t, 9, rawEntry(rdbTypeStreamListpacks, "s", streamBlob(s, rdbTypeStreamListpacks)))
	old := it.Obj.(*types.Stream)
	if old.FirstID() != s.FirstID() || old.EntriesAdded() != s.Len() || !old.MaxDeletedID().IsZero() {
		t.Errorf("layout 1: first %v added %d maxdel %v", old.FirstID(), old.EntriesAdded(), old.MaxDeletedID())
	}
	for _, g := range old.Groups() {
		if want := old.EstimateDistance(g.LastID); g.EntriesRead != want {
			t.Errorf("group %q read %d, want %d", g.Name, g.EntriesRead, want)
		}
	}
}

func TestLoadRejectsCorruptValues(t *testing.T) {
	goodLP := listpackOf("a", "1")
	badBacklen := append([]byte(nil), goodLP...)
	badBacklen[len(badBacklen)-2] = 9 // the last element's back-length
	badCount := append([]byte(nil), goodLP...)
	badCount[4] = 3
	zl := buildZiplist("a", "b")
	badPrev := append([]byte(nil), zl...)
	badPrev[ziplistHeaderSize+3] = 7 // the second entry's previous length
	intset := func(width, n uint32, vals ...int64) []byte {
		b := binary.LittleEndian.AppendUint32(nil, width)
		b = binary.LittleEndian.AppendUint32(b, n)
		for _, v := range vals {
			b = binary.LittleEndian.AppendUint16(b, uint16(v))
		}
		return b
	}
	s := fixtureStream(t)
	streamWithLength := func(length uint64) []byte {
		b := streamBlob(s, rdbTypeStreamListpacks2)
		// Rewrite the length right after the nodes: re-encode the tail.
		var head []byte
		head = lenBytes(uint64(s.NodeCount()))
		var lp listpackBuilder
		s.EachNode(func(n types.StreamNodeView) bool {
			key := streamIDBytes(n.Master)
			head = append(head, rawString(key[:])...)
			head = append(head, rawString(streamNodeListpack(&lp, n))...)
			return true
		})
		rest := b[len(head)+len(lenBytes(s.Len())):]
		return concat(head, lenBytes(length), rest)
	}
	for _, tc := range []struct {
		name  string
		entry []byte
	}{
		{"listpack back-length", rawEntry(rdbTypeHashListpack, "h", rawString(badBacklen))},
		{"listpack count", rawEntry(rdbTypeHashListpack, "h", rawString(badCount))},
		{"listpack odd hash", rawEntry(rdbTypeHashListpack, "h", rawString(listpackOf("a", "1", "b")))},
		{"listpack duplicate field", rawEntry(rdbTypeHashListpack, "h", rawString(listpackOf("a", "1", "a", "2")))},
		{"listpack duplicate member", rawEntry(rdbTypeZSetListpack, "z", rawString(listpackOf("a", "1", "a", "2")))},
		{"listpack bad score", rawEntry(rdbTypeZSetListpack, "z", rawString(listpackOf("a", "x")))},
		{"listpack truncated", rawEntry(rdbTypeHashListpack, "h", rawString(goodLP[:len(goodLP)-2]))},
		{"ziplist previous length", rawEntry(rdbTypeListZiplist, "l", rawString(badPrev))},
		{"ziplist truncated", rawEntry(rdbTypeListZiplist, "l", rawString(zl[:len(zl)-1]))},
		{"intset unsorted", rawEntry(rdbTypeSetIntset, "s", rawString(intset(2, 2, 5, 3)))},
		{"intset duplicate", rawEntry(rdbTypeSetIntset, "s", rawString(intset(2, 2, 5, 5)))},
		{"intset empty", rawEntry(rdbTypeSetIntset, "s", rawString(intset(2, 0)))},
		{"intset width", rawEntry(rdbTypeSetIntset, "s", rawString(intset(3, 1, 5)))},
		{"intset size", rawEntry(rdbTypeSetIntset, "s", rawString(intset(2, 3, 1, 2)))},
		{"set duplicate", rawEntry(rdbTypeSet, "s", lenBytes(2), rawString([]byte("a")), rawString([]byte("a")))},
		{"hash duplicate", rawEntry(rdbTypeHash, "h", lenBytes(2), rawString([]byte("a")), rawString([]byte("1")), rawString([]byte("a")), rawString([]byte("2")))},
		{"zset duplicate", rawEntry(rdbTypeZSet2, "z", lenBytes(2), rawString([]byte("a")), make([]byte, 8), rawString([]byte("a")), make([]byte, 8))},
		{"zipmap count", rawEntry(rdbTypeHashZipmap, "h", rawString(append([]byte{5}, buildZipmap(0, "a", "1")[1:]...)))},
		{"quicklist container", rawEntry(rdbTypeListQuicklist2, "l", lenBytes(1), lenBytes(3), rawString(goodLP))},
		{"quicklist empty node", rawEntry(rdbTypeListQuicklist2, "l", lenBytes(1), lenBytes(2), rawString(nil))},
		{"stream length", rawEntry(rdbTypeStreamListpacks2, "s", streamWithLength(s.Len()+1))},
		{"stream node key", rawEntry(rdbTypeStreamListpacks2, "s", lenBytes(1), rawString([]byte("short")), rawString(goodLP))},
		{"stream node listpack", rawEntry(rdbTypeStreamListpacks2, "s", lenBytes(1), rawString(make([]byte, 16)), rawString(goodLP))},
		{"lzf lengths", rawEntry(rdbTypeString, "k", []byte{0xc3}, lenBytes(2), lenBytes(1000), []byte{0, 'a'})},
		{"lzf data", rawEntry(rdbTypeString, "k", []byte{0xc3}, lenBytes(2), lenBytes(3), []byte{0x05, 'a'})},
		{"string encoding", rawEntry(rdbTypeString, "k", []byte{0xc4})},
		{"length encoding", rawEntry(rdbTypeString, "k", []byte{0x82})},
		{"huge string", rawEntry(rdbTypeString, "k", []byte{0x81, 0, 0, 1, 0, 0, 0, 0, 0}, []byte("abc"))},
		{"unknown type", rawEntry(8, "k")},
	} {
		_, err := loadAll(t, rdbFile(10, tc.entry), nil)
		var ce *CorruptError
		if !errors.As(err, &ce) {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
}

func TestLoadStreamGroupIntegrity(t *testing.T) {
	id := streamIDBytes(types.StreamID{Ms: 1, Seq: 1})
	group := func(pel, consumerPEL [][]byte) []byte {
		b := concat(lenBytes(0), lenBytes(0), lenBytes(1), lenBytes(1), lenBytes(0), lenBytes(0), lenBytes(0), lenBytes(0), lenBytes(0),
			lenBytes(1), rawString([]byte("g")), lenBytes(0), lenBytes(0), lenBytes(0), lenBytes(uint64(len(pel))))
		for _, p := range pel {
			b = append(b, p...)
			b = append(b, make([]byte, 8)...)
			b = append(b, lenBytes(1)...)
		}
		b = append(b, lenBytes(1)...)
		b = append(b, rawString([]byte("c"))...)
		b = append(b, make([]byte, 8)...)
		b = append(b, lenBytes(uint64(len(consumerPEL)))...)
		for _, p := range consumerPEL {
			b = append(b, p...)
		}
		return b
	}
	ok := group([][]byte{id[:]}, [][]byte{id[:]})
	if it := loadOne(t, 10, rawEntry(rdbTypeStreamListpacks2, "s", ok)); it.Obj.(*types.Stream).Group("g").PendingCount() != 1 {
		t.Error("pending entry lost")
	}
	for name, blob := range map[string][]byte{
		"orphan pending entry":   group([][]byte{id[:]}, nil),
		"unknown consumer entry": group(nil, [][]byte{id[:]}),
		"duplicate pending":      group([][]byte{id[:], id[:]}, [][]byte{id[:]}),
		"duplicate owner":        group([][]byte{id[:]}, [][]byte{id[:], id[:]}),
	} {
		_, err := loadAll(t, rdbFile(10, rawEntry(rdbTypeStreamListpacks2, "s", blob)), nil)
		var ce *CorruptError
		if !errors.As(err, &ce) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestLoadSkipsEmptyValues(t *testing.T) {
	file := rdbFile(10,
		rawEntry(rdbTypeList, "empty-list", lenBytes(0)),
		rawEntry(rdbTypeHashListpack, "empty-hash", rawString(listpackOf())),
		rawEntry(rdbTypeListQuicklist2, "empty-quicklist", lenBytes(1), lenBytes(2), rawString(listpackOf())),
		rawEntry(rdbTypeString, "kept", rawString([]byte("v"))),
	)
	items, err := loadAll(t, file, nil)
	if err != nil || len(items) != 1 || items["0/kept"] == nil {
		t.Errorf("%v %v", items, err)
	}
	// An empty value is not restorable.
	p := concat([]byte{rdbTypeList}, lenBytes(0))
	p = binary.LittleEndian.AppendUint16(p, RDBVersion)
	p = binary.LittleEndian.AppendUint64(p, CRC64(0, p))
	if _, _, err := ParseDumpPayload(p); err == nil || errors.Is(err, ErrDumpPayload) {
		t.Errorf("empty list payload: %v", err)
	}
}

func TestParseDumpPayloadChecks(t *testing.T) {
	good := DumpPayload(&EntryEncoder{}, strEntry("k", "value"))
	if s, _, err := ParseDumpPayload(good); err != nil || s != "value" {
		t.Fatalf("%q %v", s, err)
	}
	newer := append([]byte(nil), good...)
	binary.LittleEndian.PutUint16(newer[len(newer)-10:], RDBVersion+1)
	binary.LittleEndian.PutUint64(newer[len(newer)-8:], CRC64(0, newer[:len(newer)-8]))
	older := append([]byte(nil), good...)
	binary.LittleEndian.PutUint16(older[len(older)-10:], 9)
	binary.LittleEndian.PutUint64(older[len(older)-8:], CRC64(0, older[:len(older)-8]))
	if _, _, err := ParseDumpPayload(older); err != nil {
		t.Errorf("version 9: %v", err)
	}
	flipped := append([]byte(nil), good...)
	flipped[2] ^= 1
	for name, p := range map[string][]byte{"short": good[:9], "newer": newer, "flipped": flipped, "empty": nil} {
		if _, _, err := ParseDumpPayload(p); !errors.Is(err, ErrDumpPayload) {
			t.Errorf("%s: %v", name, err)
		}
	}
	// The value is read from the whole payload: a string running into
	// the footer takes its bytes, as Redis's RESTORE does.
	if s, _, err := ParseDumpPayload(sealPayload([]byte("\x00\x05hel"))); err != nil || s != "hel\n\x00" {
		t.Errorf("string into the footer: %q %v", s, err)
	}
	for i := range 20 {
		if _, _, err := ParseDumpPayload(fmt.Appendf(nil, "%d", i)); err == nil {
			t.Errorf("%d parsed", i)
		}
	}
}
