package persistence

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/kioku-db/kioku/store"
	"github.com/kioku-db/kioku/types"
)

// Helpers of the RDB tests: a rendering of values for comparison, a set of
// keys covering every type and encoding, and builders for the old compact
// encodings Redis no longer writes.

// describe renders a value with its encoding in a form that compares
// equal exactly when two values hold the same data the same way: ordered
// where the order is observable (lists, compact hashes, sorted sets,
// streams), sorted where it is not (hashtables).
func describe(str string, obj any) string {
	var b strings.Builder
	switch v := obj.(type) {
	case nil:
		fmt.Fprintf(&b, "string %q", str)
	case *types.List:
		fmt.Fprintf(&b, "list %d [", v.Len())
		v.Each(false, func(_ int, e []byte) bool {
			fmt.Fprintf(&b, "%q ", e)
			return true
		})
		b.WriteString("]")
	case *types.Set:
		var members []string
		v.Each(func(m types.Member) bool {
			members = append(members, m.String())
			return true
		})
		if !v.IsIntset() {
			slices.Sort(members)
		}
		fmt.Fprintf(&b, "set %s %q", v.Encoding(), members)
		if width, _, ok := v.IntsetContents(); ok {
			fmt.Fprintf(&b, " width %d", width)
		}
	case *types.ZSet:
		fmt.Fprintf(&b, "zset %s [", v.Encoding())
		v.Ascend(0, func(it types.ZItem) bool {
			fmt.Fprintf(&b, "%q:%s ", it.Member, scoreText(it.Score))
			return true
		})
		b.WriteString("]")
	case *types.Hash:
		var pairs []string
		v.Each(func(f, val []byte) bool {
			pairs = append(pairs, fmt.Sprintf("%q=%q", f, val))
			return true
		})
		if v.Encoding() != "listpack" {
			slices.Sort(pairs)
		}
		fmt.Fprintf(&b, "hash %s %s", v.Encoding(), strings.Join(pairs, " "))
	case *types.Stream:
		describeStream(&b, v)
	default:
		fmt.Fprintf(&b, "unknown %T", obj)
	}
	return b.String()
}

func scoreText(f float64) string {
	if f == 0 && math.Signbit(f) {
		return "-0"
	}
	return strconv.FormatFloat(f, 'g', -1, 64)
}

func describeStream(b *strings.Builder, s *types.Stream) {
	fmt.Fprintf(b, "stream len %d last %v first %v maxdel %v added %d\n", s.Len(), s.LastID(), s.FirstID(), s.MaxDeletedID(), s.EntriesAdded())
	s.EachNode(func(n types.StreamNodeView) bool {
		fmt.Fprintf(b, " node %v fields %q live %d deleted %d\n", n.Master, n.Fields, n.Live, n.Deleted)
		n.Entries(func(e *types.StreamRawEntry) bool {
			fmt.Fprintf(b, "  %v del=%v same=%v %q\n", e.ID, e.Deleted, e.SameFields, e.FV)
			return true
		})
		return true
	})
	for _, g := range s.Groups() {
		fmt.Fprintf(b, " group %q last %v read %d\n", g.Name, g.LastID, g.EntriesRead)
		g.EachPending(types.StreamID{}, func(p *types.PendingEntry) bool {
			fmt.Fprintf(b, "  pel %v %q at %d count %d\n", p.ID, p.Consumer.Name, p.DeliveryTime, p.DeliveryCount)
			return true
		})
		for _, c := range g.Consumers() {
			fmt.Fprintf(b, "  consumer %q seen %d:", c.Name, c.SeenTime)
			c.EachPending(types.StreamID{}, func(p *types.PendingEntry) bool {
				fmt.Fprintf(b, " %v", p.ID)
				return true
			})
			b.WriteString("\n")
		}
	}
}

// fixture is a key of the test dataset.
type fixture struct {
	db  int
	key string
	e   *store.Entry
}

func strEntry(key, val string) *store.Entry { return &store.Entry{Key: key, Str: val} }
func objEntry(key string, obj any) *store.Entry {
	return &store.Entry{Key: key, Obj: obj}
}

func bs(ss ...string) [][]byte {
	out := make([][]byte, len(ss))
	for i, s := range ss {
		out[i] = []byte(s)
	}
	return out
}

// listpackBoundaryInts are integers at the edges of the listpack's (and
// the RDB's) integer encodings.
var listpackBoundaryInts = []int64{
	0, 1, 12, 13, 127, 128, -1, -128, -129, 255, 256,
	4095, 4096, -4096, -4097, 32767, 32768, -32768, -32769,
	1<<23 - 1, 1 << 23, -1 << 23, -1<<23 - 1,
	math.MaxInt32, math.MaxInt32 + 1, math.MinInt32, math.MinInt32 - 1,
	1<<53 + 1, math.MaxInt64, math.MinInt64,
}

// fixtures builds a dataset with every type in every encoding, edge cases
// included.
func fixtures(t testing.TB) []fixture {
	rnd := rand.New(rand.NewPCG(1, 2))
	random := make([]byte, 100<<10)
	for i := range random {
		random[i] = byte(rnd.Uint32())
	}
	var fs []fixture
	add := func(db int, e *store.Entry) { fs = append(fs, fixture{db, e.Key, e}) }

	// Strings: integers at the RDB integer encodings' edges, almost
	// integers, binary data, and the compression threshold.
	for i, v := range []string{"", "a", "0", "-0", "007", "+1", " 1", "1 ", "127", "128", "-128", "-129",
		"32767", "32768", "-32768", "-32769", "2147483647", "2147483648", "-2147483648", "-2147483649",
		"12345678901", "9223372036854775807", "9223372036854775808", "-9223372036854775808",
		"\x00\xff\r\n", strings.Repeat("a", 20), strings.Repeat("a", 21), strings.Repeat("ab", 40),
		strings.Repeat("hello world ", 10000), string(random), "3.14"} {
		add(0, strEntry(fmt.Sprintf("str:%d", i), v))
	}
	add(0, strEntry("", "empty key"))
	add(0, strEntry("\x00binary\xffkey", "v"))
	add(0, strEntry(strings.Repeat("long key ", 10), "compressible key"))
	add(0, strEntry("12", "integer key"))
	ttl := strEntry("with-ttl", "v")
	ttl.Expire = 4102444800000 // 2100-01-01
	add(0, ttl)

	// Lists.
	small := types.NewList()
	for _, v := range []string{"a", "1", "-5", "", "hello", "1234567890123"} {
		small.PushBack([]byte(v))
	}
	add(0, objEntry("list:small", small))
	ints := types.NewList()
	for _, v := range listpackBoundaryInts {
		ints.PushBack(strconv.AppendInt(nil, v, 10))
	}
	add(0, objEntry("list:ints", ints))
	big := types.NewList()
	for i := range 1000 {
		big.PushBack([]byte(fmt.Sprint("element-", i)))
	}
	add(0, objEntry("list:1000", big))
	sized := types.NewList()
	for _, n := range []int{63, 64, 127, 128, 4095, 4096, 8000, 9000, 16383, 16384, 70000} {
		sized.PushBack(bytes.Repeat([]byte{'x'}, n))
		sized.PushBack(random[:n])
	}
	add(1, objEntry("list:sized", sized))

	// Sets.
	intset := types.NewSet()
	for _, v := range []string{"5", "-3", "1", "100"} {
		intset.Add(v, 512)
	}
	add(0, objEntry("set:int16", intset))
	wide := types.NewSet()
	for _, v := range []string{"1", "70000", "-5"} {
		wide.Add(v, 512)
	}
	add(0, objEntry("set:int32", wide))
	widest := types.NewSet()
	for _, v := range []string{"1", "9223372036854775807", "-9223372036854775808"} {
		widest.Add(v, 512)
	}
	add(0, objEntry("set:int64", widest))
	shrunk := types.NewSet() // keeps its 8-byte width after the wide member goes
	shrunk.Add("1", 512)
	shrunk.Add("2", 512)
	shrunk.Add("4294967296", 512)
	shrunk.Remove("4294967296")
	add(0, objEntry("set:width-kept", shrunk))
	strSet := types.NewSet()
	for _, v := range []string{"a", "b", "1", "", "\x00"} {
		strSet.Add(v, 512)
	}
	add(0, objEntry("set:strings", strSet))
	bigInts := types.NewSet()
	for i := range 600 {
		bigInts.Add(strconv.Itoa(i*7), 512)
	}
	add(2, objEntry("set:big-ints", bigInts))

	// Sorted sets.
	zsmall := types.NewZSet()
	for i, s := range []float64{0.1, 1e17, 1e20, math.Inf(-1), math.Inf(1), -2.5, 3, 1 << 62, 1<<62 + 1024, -1 << 62, 4611686018427387904 * 2, 5e-324} {
		zsmall.Set(fmt.Sprint("m", i), s)
	}
	zsmall.Set("12", 7)
	add(0, objEntry("zset:listpack", zsmall))
	zbig := types.NewZSetSkiplist()
	for i := range 200 {
		zbig.Set(fmt.Sprint("member:", i), float64(i%17)/3)
	}
	zbig.Set("negzero", math.Copysign(0, -1))
	zbig.Set("inf", math.Inf(1))
	add(0, objEntry("zset:skiplist", zbig))

	// Hashes.
	lim := types.HashLimits{MaxEntries: 512, MaxValue: 64}
	hsmall := types.NewHash()
	for i, v := range listpackBoundaryInts {
		hsmall.Set([]byte(fmt.Sprint("f", i)), strconv.AppendInt(nil, v, 10), lim)
	}
	hsmall.Set([]byte("s63"), bytes.Repeat([]byte{'s'}, 63), lim)
	hsmall.Set([]byte("s64"), bytes.Repeat([]byte{'s'}, 64), lim)
	hsmall.Set([]byte(""), []byte(""), lim)
	add(0, objEntry("hash:listpack", hsmall))
	hbig := types.NewHash()
	for i := range 600 {
		hbig.Set([]byte(fmt.Sprint("field:", i)), []byte(fmt.Sprint(i)), lim)
	}
	add(0, objEntry("hash:hashtable", hbig))
	hlong := types.NewHash()
	hlong.Set([]byte("a"), []byte("1"), lim)
	hlong.Set([]byte("long"), bytes.Repeat([]byte{'v'}, 5000), lim)
	add(3, objEntry("hash:long-value", hlong))

	// Streams.
	add(0, objEntry("stream:groups", fixtureStream(t)))
	empty := types.NewStream()
	nl := types.NodeLimits{MaxBytes: 4096, MaxEntries: 100}
	if err := empty.Add(types.StreamID{Ms: 5, Seq: 1}, bs("f", "v"), nl); err != nil {
		t.Fatal(err)
	}
	empty.Delete(types.StreamID{Ms: 5, Seq: 1})
	add(0, objEntry("stream:emptied", empty))
	return fs
}

// fixtureStream is a stream of several nodes with deleted entries, entries
// with and without the master fields, and consumer groups with pending
// entries.
func fixtureStream(t testing.TB) *types.Stream {
	s := types.NewStream()
	nl := types.NodeLimits{MaxBytes: 4096, MaxEntries: 10}
	for i := 1; i <= 35; i++ {
		f := bs("name", fmt.Sprint("n", i), "count", fmt.Sprint(i))
		switch i % 7 {
		case 3:
			f = bs("other", "x")
		case 5:
			f = bs("name", "", "count", "-12", "extra", strings.Repeat("z", 100))
		}
		if err := s.Add(types.StreamID{Ms: 1700000000000 + uint64(i/3), Seq: uint64(i)}, f, nl); err != nil {
			t.Fatal(err)
		}
	}
	for _, seq := range []uint64{1, 2, 17, 35} {
		s.Delete(types.StreamID{Ms: 1700000000000 + seq/3, Seq: seq})
	}
	g, _ := s.CreateGroup("workers", types.StreamID{}, 0)
	alice, _ := g.CreateConsumer("alice", 1700000001000)
	bob, _ := g.CreateConsumer("bob", 1700000002000)
	g.CreateConsumer("idle", 1700000003000)
	n := 0
	s.ReadNew(g, alice, 5, false, 1700000004000, func(types.StreamID, [][]byte) { n++ })
	s.ReadNew(g, bob, 3, false, 1700000005000, func(types.StreamID, [][]byte) { n++ })
	if p := g.Pending(types.StreamID{Ms: 1700000000001, Seq: 4}); p != nil {
		p.DeliveryCount = 7
	}
	g2, _ := s.CreateGroup("unknown-lag", types.StreamID{Ms: 1700000000005, Seq: 16}, -1)
	_ = g2
	s.CreateGroup("\x00binary", types.MaxStreamID, 0)
	return s
}

// rdbFile wraps body (opcodes and entries) as an RDB file of version ver
// with a valid checksum.
func rdbFile(ver int, body ...[]byte) []byte {
	b := fmt.Appendf(nil, "REDIS%04d", ver)
	for _, p := range body {
		b = append(b, p...)
	}
	b = append(b, rdbOpEOF)
	return binary.LittleEndian.AppendUint64(b, CRC64(0, b))
}

// rawString encodes s as a plain RDB string (length and bytes).
func rawString(s []byte) []byte { return append(appendLen(nil, uint64(len(s))), s...) }

// rawEntry encodes a key of type typ with an already encoded value.
func rawEntry(typ byte, key string, value ...[]byte) []byte {
	b := append([]byte{typ}, rawString([]byte(key))...)
	for _, v := range value {
		b = append(b, v...)
	}
	return b
}

// buildZiplist lays out elements (string or int64) as a ziplist.
func buildZiplist(elems ...any) []byte {
	zl := make([]byte, ziplistHeaderSize)
	prev, tail := 0, ziplistHeaderSize
	for _, e := range elems {
		start := len(zl)
		tail = start
		if prev < 254 {
			zl = append(zl, byte(prev))
		} else {
			zl = append(zl, 0xfe)
			zl = binary.LittleEndian.AppendUint32(zl, uint32(prev))
		}
		switch v := e.(type) {
		case string:
			switch n := len(v); {
			case n < 64:
				zl = append(zl, byte(n))
			case n < 16384:
				zl = append(zl, 0x40|byte(n>>8), byte(n))
			default:
				zl = append(zl, 0x80)
				zl = binary.BigEndian.AppendUint32(zl, uint32(n))
			}
			zl = append(zl, v...)
		case int64:
			switch {
			case v >= 0 && v <= 12:
				zl = append(zl, 0xf1+byte(v))
			case v >= math.MinInt8 && v <= math.MaxInt8:
				zl = append(zl, 0xfe, byte(v))
			case v >= math.MinInt16 && v <= math.MaxInt16:
				zl = append(zl, 0xc0, byte(v), byte(v>>8))
			case v >= -1<<23 && v < 1<<23:
				zl = append(zl, 0xf0, byte(v), byte(v>>8), byte(v>>16))
			case v >= math.MinInt32 && v <= math.MaxInt32:
				zl = append(zl, 0xd0)
				zl = binary.LittleEndian.AppendUint32(zl, uint32(v))
			default:
				zl = append(zl, 0xe0)
				zl = binary.LittleEndian.AppendUint64(zl, uint64(v))
			}
		}
		prev = len(zl) - start
	}
	zl = append(zl, 0xff)
	binary.LittleEndian.PutUint32(zl, uint32(len(zl)))
	binary.LittleEndian.PutUint32(zl[4:], uint32(tail))
	binary.LittleEndian.PutUint16(zl[8:], uint16(min(len(elems), 0xffff)))
	return zl
}

// buildZipmap lays out field, value pairs as a zipmap, with free bytes
// after each value.
func buildZipmap(free int, pairs ...string) []byte {
	zm := []byte{byte(min(len(pairs)/2, 254))}
	appendZMLen := func(n int) {
		if n < 254 {
			zm = append(zm, byte(n))
			return
		}
		zm = append(zm, 254)
		zm = binary.LittleEndian.AppendUint32(zm, uint32(n))
	}
	for i := 0; i < len(pairs); i += 2 {
		appendZMLen(len(pairs[i]))
		zm = append(zm, pairs[i]...)
		appendZMLen(len(pairs[i+1]))
		zm = append(zm, byte(free))
		zm = append(zm, pairs[i+1]...)
		zm = append(zm, make([]byte, free)...)
	}
	return append(zm, 0xff)
}

// listpackOf builds a listpack of the given strings.
func listpackOf(elems ...string) []byte {
	var lp listpackBuilder
	lp.reset()
	for _, e := range elems {
		lp.appendString([]byte(e))
	}
	return append([]byte(nil), lp.finish()...)
}

// loadAll loads an RDB file and returns its entries keyed "db/key".
func loadAll(t testing.TB, file []byte, lim *Limits) (map[string]*RDBItem, error) {
	t.Helper()
	items := map[string]*RDBItem{}
	err := LoadRDB(bytes.NewReader(file), RDBHandler{
		Limits: lim,
		Entry: func(it RDBItem) error {
			items[fmt.Sprintf("%d/%s", it.DB, it.Key)] = &it
			return nil
		},
	})
	return items, err
}
