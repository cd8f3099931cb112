package persistence

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/kioku-db/kioku/store"
	"github.com/kioku-db/kioku/types"
)

// writeFixtures writes the fixtures as a whole RDB file.
func writeFixtures(t testing.TB, fs []fixture, enc *EntryEncoder, checksum bool) []byte {
	t.Helper()
	var out bytes.Buffer
	w := NewRDBWriter(&out, checksum)
	must(t, w.WriteHeader([][2]string{{"redis-ver", "7.0.15"}, {"redis-bits", "64"}, {"ctime", "1700000000"}}))
	must(t, w.WriteFunction("#!lua name=lib\nredis.register_function('f', function() return 1 end)"))
	for db := 0; db < 16; db++ {
		var keys, expires int
		var buf []byte
		for _, f := range fs {
			if f.db != db {
				continue
			}
			keys++
			if f.e.Expire != 0 {
				expires++
			}
			buf = enc.AppendEntry(buf, f.e)
		}
		if keys == 0 {
			continue
		}
		must(t, w.WriteDBStart(db, keys, expires))
		must(t, w.WriteRaw(buf))
	}
	must(t, w.Finish())
	return out.Bytes()
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestRDBRoundTripEveryEncoding(t *testing.T) {
	fs := fixtures(t)
	for _, compress := range []bool{false, true} {
		t.Run(fmt.Sprint("compress=", compress), func(t *testing.T) {
			file := writeFixtures(t, fs, &EntryEncoder{Compress: compress}, true)
			var aux [][2]string
			var functions []string
			resized := map[int][2]int{}
			items := map[string]*RDBItem{}
			err := LoadRDB(bytes.NewReader(file), RDBHandler{
				Aux:      func(k, v string) error { aux = append(aux, [2]string{k, v}); return nil },
				Function: func(code string) error { functions = append(functions, code); return nil },
				ResizeDB: func(db, size, expires int) { resized[db] = [2]int{size, expires} },
				Entry: func(it RDBItem) error {
					items[fmt.Sprintf("%d/%s", it.DB, it.Key)] = &it
					return nil
				},
			})
			must(t, err)
			if want := [][2]string{{"redis-ver", "7.0.15"}, {"redis-bits", "64"}, {"ctime", "1700000000"}}; fmt.Sprint(aux) != fmt.Sprint(want) {
				t.Errorf("aux = %q", aux)
			}
			if len(functions) != 1 || !strings.HasPrefix(functions[0], "#!lua name=lib\n") {
				t.Errorf("functions = %q", functions)
			}
			if resized[0][1] != 1 || resized[1][0] != 1 {
				t.Errorf("resizedb = %v", resized)
			}
			if len(items) != len(fs) {
				t.Errorf("loaded %d keys, wrote %d", len(items), len(fs))
			}
			for _, f := range fs {
				it := items[fmt.Sprintf("%d/%s", f.db, f.key)]
				if it == nil {
					t.Errorf("%q missing", f.key)
					continue
				}
				if want, got := describe(f.e.Str, f.e.Obj), describe(it.Str, it.Obj); want != got {
					t.Errorf("%q:\nwrote  %.300s\nloaded %.300s", f.key, want, got)
				}
				if it.Expire != f.e.Expire || it.Idle != -1 || it.Freq != -1 {
					t.Errorf("%q: expire %d idle %d freq %d", f.key, it.Expire, it.Idle, it.Freq)
				}
			}
		})
	}
}

func TestDumpPayloadRoundTripEveryEncoding(t *testing.T) {
	for _, f := range fixtures(t) {
		for _, compress := range []bool{false, true} {
			p := DumpPayload(&EntryEncoder{Compress: compress}, f.e)
			str, obj, err := ParseDumpPayload(p)
			if err != nil {
				t.Fatalf("%q: %v", f.key, err)
			}
			if want, got := describe(f.e.Str, f.e.Obj), describe(str, obj); want != got {
				t.Errorf("%q:\ndumped   %.300s\nrestored %.300s", f.key, want, got)
			}
		}
	}
}

// Redis's DUMP of a few values, taken from redis-server 7.0.15 with
// rdbcompression on: the payloads must match byte for byte.
func TestDumpPayloadMatchesRedis(t *testing.T) {
	lim := types.HashLimits{MaxEntries: 512, MaxValue: 64}
	h := types.NewHash()
	h.SetPairs(bs("a", "1", "b", "hello", "c", "-5000", "d", strings.Repeat("x", 60), "e", "99999999999"), lim)
	z := types.NewZSet()
	for _, it := range []types.ZItem{{Score: 0.1, Member: "a"}, {Score: 1e17, Member: "b"}, {Score: 1e20, Member: "c"}, {Score: 3, Member: "d"}, {Score: -2.5, Member: "e"}} {
		z.Set(it.Member, it.Score)
	}
	s := types.NewSet()
	for _, m := range []string{"1", "5", "-3", "100000"} {
		s.Add(m, 512)
	}
	for _, tc := range []struct {
		e    *store.Entry
		want string
	}{
		{strEntry("k", "hello"), "\x00\x05hello\n\x00cr\xdfve4 \n"},
		{strEntry("k", "12"), "\x00\xc0\x0c\n\x00<*\xf8Q\\\x04\xbc\xd5"},
		{strEntry("k", "2147483648"), "\x00\n2147483648\n\x00\xe7\xb1)\xa3L\x1dv\xee"},
		{strEntry("k", strings.Repeat("a", 100)), "\x00\xc3\t@d\x01aa\xe0W\x00\x01aa\n\x00\xe8\xa3\xb5\a\xb0m\xf2q"},
		{objEntry("k", h), "\x10\xc36@k\x1fk\x00\x00\x00\n\x00\x81a\x02\x01\x01\x81b\x02\x85hello\x06\x81c\x02\xf1x\xec\x03\x81d\x02\xbc\x00x\xe02\x00\t=\x81e\x02\xf4\xff\xe7vH\x17 d\x01\t\xff\n\x00\xf3m\x04\xce\x95x\xbf\xb2"},
		{objEntry("k", z), "\x11\xc3;@D\x16D\x00\x00\x00\n\x00\x81e\x02\x84-2.5\x05\x81a\x02\x930.10\xe0\x05\x00\x1e1\x14\x81d\x02\x03\x01\x81b\x02\xf4\x00\x00\x8a]xEc\x01\t\x81c\x02\x851e+20\x06\xff\n\x00iYJT\x0bP\a\x93"},
		{objEntry("k", s), "\x0b\x18\x04\x00\x00\x00\x04\x00\x00\x00\xfd\xff\xff\xff\x01\x00\x00\x00\x05\x00\x00\x00\xa0\x86\x01\x00\n\x00<\nV\xae4\xa4\xd1\x86"},
	} {
		got := string(DumpPayload(&EntryEncoder{Compress: true}, tc.e))
		if got != tc.want {
			t.Errorf("%s:\n got %q\nwant %q", describe(tc.e.Str, tc.e.Obj), got, tc.want)
		}
	}
}

func TestStringEncodingEdges(t *testing.T) {
	for _, tc := range []struct {
		s    string
		size int // encoded bytes
	}{
		{"0", 2}, {"-128", 2}, {"127", 2}, {"128", 3}, {"-129", 3}, {"32767", 3}, {"-32768", 3},
		{"32768", 5}, {"-32769", 5}, {"2147483647", 5}, {"-2147483648", 5},
		{"2147483648", 11}, {"-2147483649", 12}, {"007", 4}, {"-0", 3}, {"+1", 3},
	} {
		b := appendRDBString(nil, []byte(tc.s), true)
		if len(b) != tc.size {
			t.Errorf("%q encodes in %d bytes (%q), want %d", tc.s, len(b), b, tc.size)
		}
	}
	// Compression only beyond 20 bytes, and only when it saves 4.
	if b := appendRDBString(nil, bytes.Repeat([]byte{'a'}, 20), true); b[0] != 20 {
		t.Errorf("20 bytes compressed: %q", b)
	}
	if b := appendRDBString(nil, bytes.Repeat([]byte{'a'}, 21), true); b[0] != 0xc3 {
		t.Errorf("21 bytes not compressed: %q", b)
	}
	if b := appendRDBString(nil, []byte("abcdefghijklmnopqrstuvwxyz"), true); b[0] != 26 {
		t.Errorf("incompressible string compressed: %q", b)
	}
}

func TestListpackEncodingsMatchRedis(t *testing.T) {
	// Element bytes for each integer and string encoding, as listpack.c
	// lays them out (encoding, data, back-length).
	for _, tc := range []struct {
		in   string
		want string
	}{
		{"0", "\x00\x01"}, {"127", "\x7f\x01"}, {"128", "\xc0\x80\x02"}, {"-1", "\xdf\xff\x02"},
		{"-4096", "\xd0\x00\x02"}, {"4095", "\xcf\xff\x02"}, {"4096", "\xf1\x00\x10\x03"},
		{"-32768", "\xf1\x00\x80\x03"}, {"32768", "\xf2\x00\x80\x00\x04"},
		{"-8388609", "\xf3\xff\xff\x7f\xff\x05"}, {"2147483648", "\xf4\x00\x00\x00\x80\x00\x00\x00\x00\x09"},
		{"a", "\x81a\x02"}, {"007", "\x83007\x04"},
	} {
		lp := listpackOf(tc.in)
		if got := string(lp[lpHeaderSize : len(lp)-1]); got != tc.want {
			t.Errorf("%q: %q, want %q", tc.in, got, tc.want)
		}
	}
	// String length and back-length boundaries round trip.
	for _, n := range []int{0, 63, 64, 125, 126, 127, 4095, 4096, 16380, 16381, 16383, 70000} {
		s := strings.Repeat("x", n)
		elems, err := listpackElems(listpackOf(s, "1", s))
		if err != nil || len(elems) != 3 || string(elems[0].str) != s || elems[1].num != 1 || string(elems[2].str) != s {
			t.Fatalf("length %d: %v", n, err)
		}
	}
	for _, v := range listpackBoundaryInts {
		elems, err := listpackElems(listpackOf(fmt.Sprint(v)))
		if err != nil || !elems[0].isInt || elems[0].num != v {
			t.Fatalf("%d: %v %+v", v, err, elems)
		}
	}
}

func TestScoreFormatting(t *testing.T) {
	for _, tc := range []struct {
		v    float64
		want string
	}{
		{0.1, "0.10000000000000001"}, {1e17, "100000000000000000"}, {1e20, "1e+20"},
		{-2.5, "-2.5"}, {3, "3"}, {1 << 62, "4611686018427387904"}, {1<<62 + 1024, "4.6116860184273889e+18"},
		{math.Inf(1), "inf"}, {math.Inf(-1), "-inf"}, {math.Copysign(0, -1), "0"},
	} {
		if got := string(appendScore(nil, tc.v)); got != tc.want {
			t.Errorf("%v: %q, want %q", tc.v, got, tc.want)
		}
	}
}

func TestLoadHoldsValuesToLimits(t *testing.T) {
	lim := types.HashLimits{MaxEntries: 512, MaxValue: 64}
	h := types.NewHash()
	for i := range 10 {
		h.Set([]byte(fmt.Sprint("f", i)), []byte("v"), lim)
	}
	z := types.NewZSet()
	for i := range 10 {
		z.Set(fmt.Sprint("m", i), float64(i))
	}
	s := types.NewSet()
	for i := range 10 {
		s.Add(fmt.Sprint(i), 512)
	}
	small := Limits{HashMaxListpackEntries: 5, HashMaxListpackValue: 64, SetMaxIntsetEntries: 5, ZSetMaxListpackEntries: 5, ZSetMaxListpackValue: 64}
	for _, tc := range []struct {
		e    *store.Entry
		lim  Limits
		want string
	}{
		{objEntry("h", h), small, "hashtable"},
		{objEntry("z", z), small, "skiplist"},
		{objEntry("s", s), small, "hashtable"},
		{objEntry("h", h), DefaultLimits(), "listpack"},
		{objEntry("z", z), DefaultLimits(), "listpack"},
		{objEntry("s", s), DefaultLimits(), "intset"},
	} {
		_, obj, err := ParseDumpPayloadLimits(DumpPayload(&EntryEncoder{}, tc.e), tc.lim)
		must(t, err)
		if got := obj.(interface{ Encoding() string }).Encoding(); got != tc.want {
			t.Errorf("%s with %+v: %s, want %s", tc.e.Key, tc.lim, got, tc.want)
		}
	}

	// A hashtable small enough becomes compact, as Redis converts it.
	big := Limits{HashMaxListpackEntries: 1, HashMaxListpackValue: 1, SetMaxIntsetEntries: 1, ZSetMaxListpackEntries: 1, ZSetMaxListpackValue: 1}
	for _, e := range []*store.Entry{objEntry("h", h), objEntry("z", z)} {
		_, obj, err := ParseDumpPayloadLimits(DumpPayload(&EntryEncoder{}, e), big)
		must(t, err)
		p := DumpPayload(&EntryEncoder{}, objEntry("x", obj))
		_, obj, err = ParseDumpPayload(p)
		must(t, err)
		if enc := obj.(interface{ Encoding() string }).Encoding(); enc != "listpack" {
			t.Errorf("%s reloaded as %s", e.Key, enc)
		}
	}
}

func TestLoadIdleFreqExpireOpcodes(t *testing.T) {
	e := strEntry("k", "v")
	e.Expire = 1700000000123
	for _, enc := range []*EntryEncoder{{SaveLRU: true, NowMs: 5000 * 1000}, {SaveLFU: true, NowMs: 1}} {
		file := writeFixtures(t, []fixture{{0, "k", e}}, enc, true)
		items, err := loadAll(t, file, nil)
		must(t, err)
		it := items["0/k"]
		if it == nil || it.Expire != e.Expire {
			t.Fatalf("loaded %+v", it)
		}
		if enc.SaveLRU && (it.Idle != 5000 || it.Freq != -1) {
			t.Errorf("LRU: idle %d freq %d", it.Idle, it.Freq)
		}
		if enc.SaveLFU && (it.Idle != -1 || it.Freq != 0) {
			t.Errorf("LFU: idle %d freq %d", it.Idle, it.Freq)
		}
	}
	// Seconds (EXPIRETIME), and an expire time of 0, which is not "none".
	file := rdbFile(9,
		[]byte{rdbOpExpireTime, 0x10, 0, 0, 0}, rawEntry(rdbTypeString, "a", rawString([]byte("1"))),
		[]byte{rdbOpExpireTimeMs, 0, 0, 0, 0, 0, 0, 0, 0}, rawEntry(rdbTypeString, "b", rawString([]byte("2"))),
		rawEntry(rdbTypeString, "c", rawString([]byte("3"))),
	)
	items, err := loadAll(t, file, nil)
	must(t, err)
	if items["0/a"].Expire != 16000 || items["0/b"].Expire != -1 || items["0/c"].Expire != 0 {
		t.Errorf("expires %d %d %d", items["0/a"].Expire, items["0/b"].Expire, items["0/c"].Expire)
	}
}

func TestLoadChecksum(t *testing.T) {
	fs := fixtures(t)[:5]
	file := writeFixtures(t, fs, &EntryEncoder{}, true)
	_, err := loadAll(t, file, nil)
	must(t, err)

	bad := bytes.Clone(file)
	bad[len(bad)-1] ^= 1
	_, err = loadAll(t, bad, nil)
	var ce *CorruptError
	if !errors.As(err, &ce) || !strings.Contains(ce.Reason, "CRC") {
		t.Errorf("bad checksum: %v", err)
	}

	// Without a checksum the trailer is zero and not checked.
	unchecked := writeFixtures(t, fs, &EntryEncoder{}, false)
	if !bytes.Equal(unchecked[len(unchecked)-8:], make([]byte, 8)) {
		t.Errorf("trailer %q", unchecked[len(unchecked)-8:])
	}
	items, err := loadAll(t, unchecked, nil)
	if err != nil || len(items) != len(fs) {
		t.Errorf("unchecked file: %d keys, %v", len(items), err)
	}
}

func TestLoadRejectsBadHeaders(t *testing.T) {
	for _, tc := range []string{"", "REDIS", "REDIX0010", "REDIS0012", "REDIS0000", "REDISabcd"} {
		_, err := loadAll(t, append([]byte(tc), rdbOpEOF, 0, 0, 0, 0, 0, 0, 0, 0), nil)
		var ce *CorruptError
		if !errors.As(err, &ce) {
			t.Errorf("%q: %v", tc, err)
		}
	}
	// Version 11 (Redis 7.2) is read: it only adds encodings read here.
	if _, err := loadAll(t, rdbFile(11), nil); err != nil {
		t.Errorf("version 11: %v", err)
	}
}

func TestLoadModuleDataIsAnError(t *testing.T) {
	for _, body := range [][]byte{
		{rdbOpModuleAux, 1, 2, 3},
		rawEntry(rdbTypeModule2, "k", []byte{0x81, 1, 2, 3, 4, 5, 6, 7, 8}),
	} {
		_, err := loadAll(t, rdbFile(10, body), nil)
		if !errors.Is(err, ErrModuleData) {
			t.Errorf("%q: %v", body, err)
		}
	}
}

func TestLoadHandlerErrorsStopTheLoad(t *testing.T) {
	file := writeFixtures(t, fixtures(t)[:3], &EntryEncoder{}, true)
	stop := errors.New("stop")
	n := 0
	err := LoadRDB(bytes.NewReader(file), RDBHandler{Entry: func(RDBItem) error { n++; return stop }})
	if err != stop || n != 1 {
		t.Errorf("err %v after %d entries", err, n)
	}
	err = LoadRDB(bytes.NewReader(file), RDBHandler{Aux: func(k, v string) error { return stop }, Entry: func(RDBItem) error { return nil }})
	if err != stop {
		t.Errorf("aux: %v", err)
	}
}

func TestRDBWriterLayout(t *testing.T) {
	var out bytes.Buffer
	w := NewRDBWriter(&out, true)
	must(t, w.WriteHeader([][2]string{{"redis-bits", "64"}}))
	must(t, w.WriteDBStart(0, 1, 0))
	must(t, w.WriteRaw((&EntryEncoder{}).AppendEntry(nil, strEntry("k", "v"))))
	must(t, w.Finish())
	body := "REDIS0010\xfa\x0aredis-bits\xc0\x40\xfe\x00\xfb\x01\x00\x00\x01k\x01v\xff"
	got := out.String()
	if got[:len(got)-8] != body {
		t.Fatalf("%q", got)
	}
	if binary.LittleEndian.Uint64([]byte(got[len(got)-8:])) != CRC64(0, []byte(body)) {
		t.Error("bad checksum")
	}
}
