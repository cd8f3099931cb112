package persistence

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"
)

// Damaged input must give an error, never a panic, and the loader must
// never hand over a value it did not read whole. The fuzz targets run
// their seeds (testdata/fuzz) as normal tests; go test -fuzz explores.

// smallFixtures are the fixtures whose value encodes in under 1.5 KB, so
// that a file of them can be cut at every byte.
func smallFixtures(t testing.TB) []fixture {
	var small []fixture
	for _, f := range fixtures(t) {
		if len(DumpPayload(&EntryEncoder{}, f.e)) < 1500 {
			small = append(small, f)
		}
	}
	return small
}

func TestLoadTruncatedAtEveryByte(t *testing.T) {
	fs := smallFixtures(t)
	want := map[string]string{}
	for _, f := range fs {
		want[f.key] = describe(f.e.Str, f.e.Obj)
	}
	file := writeFixtures(t, fs, &EntryEncoder{Compress: true}, true)
	for cut := range len(file) {
		n := 0
		err := LoadRDB(bytes.NewReader(file[:cut]), RDBHandler{Entry: func(it RDBItem) error {
			n++
			if got := describe(it.Str, it.Obj); got != want[it.Key] {
				t.Fatalf("cut at %d: %q loaded as %.200s", cut, it.Key, got)
			}
			return nil
		}})
		var ce *CorruptError
		if !errors.As(err, &ce) {
			t.Fatalf("cut at %d: %v", cut, err)
		}
		if n > len(fs) {
			t.Fatalf("cut at %d: %d entries", cut, n)
		}
	}
}

func TestLoadDamagedBytes(t *testing.T) {
	// Without a checksum the damage reaches the decoders.
	file := writeFixtures(t, smallFixtures(t), &EntryEncoder{Compress: true}, false)
	masks := []byte{0x01, 0x80, 0xff}
	damaged := bytes.Clone(file)
	for i := range len(file) {
		damaged[i] ^= masks[i%len(masks)]
		// Whatever loads must be usable: walking it must not fail.
		_ = LoadRDB(bytes.NewReader(damaged), RDBHandler{Entry: func(it RDBItem) error {
			describe(it.Str, it.Obj)
			return nil
		}})
		damaged[i] = file[i]
	}
}

// A value cut short reads on into the payload's footer, as in Redis, so
// it may parse; whatever parses must be a sound value.
func TestDumpPayloadTruncatedBodies(t *testing.T) {
	for _, f := range smallFixtures(t) {
		p := DumpPayload(&EntryEncoder{Compress: true}, f.e)
		body := p[:len(p)-10]
		for cut := range len(body) {
			if str, obj, err := ParseDumpPayload(sealPayload(body[:cut])); err == nil {
				checkRoundTrip(t, str, obj)
			}
		}
	}
}

// sealPayload adds the version and checksum to a payload body.
func sealPayload(body []byte) []byte {
	p := append(bytes.Clone(body), byte(RDBVersion), 0)
	return binary.LittleEndian.AppendUint64(p, CRC64(0, p))
}

// checkLoad loads data, which may be anything, and checks every value it
// yields: it must encode and decode back to the same thing.
func checkLoad(t *testing.T, data []byte) {
	t.Helper()
	err := LoadRDB(bytes.NewReader(data), RDBHandler{Entry: func(it RDBItem) error {
		checkRoundTrip(t, it.Str, it.Obj)
		return nil
	}})
	if err != nil && err.Error() == "" {
		t.Fatal("empty error")
	}
}

func checkRoundTrip(t *testing.T, str string, obj any) {
	t.Helper()
	e := strEntry("k", str)
	e.Obj = obj
	want := describe(str, obj)
	for _, compress := range []bool{false, true} {
		s2, o2, err := ParseDumpPayload(DumpPayload(&EntryEncoder{Compress: compress}, e))
		if err != nil {
			t.Fatalf("%.200s: re-encoded value does not load: %v", want, err)
		}
		if got := describe(s2, o2); got != want {
			t.Fatalf("round trip changed the value:\n%.300s\n%.300s", want, got)
		}
	}
}

func FuzzLoadRDB(f *testing.F) {
	// Small files of a few keys each: the fuzzer minimises every input it
	// finds interesting, which is slow on large ones.
	small := smallFixtures(f)
	for i := 0; i < len(small); i += 4 {
		f.Add(writeFixtures(f, small[i:min(i+4, len(small))], &EntryEncoder{Compress: i%8 == 0}, i%8 == 0))
	}
	f.Add(rdbFile(9,
		rawEntry(rdbTypeListZiplist, "l", rawString(buildZiplist("a", int64(300), "b"))),
		rawEntry(rdbTypeHashZipmap, "h", rawString(buildZipmap(1, "f", "v"))),
		rawEntry(rdbTypeZSetZiplist, "z", rawString(buildZiplist("m", "1.5"))),
		rawEntry(rdbTypeSetListpack, "s", rawString(listpackOf("1", "x"))),
	))
	f.Add(rdbFile(10, rawEntry(rdbTypeStreamListpacks2, "s", streamBlob(fixtureStream(f), rdbTypeStreamListpacks2))))
	f.Fuzz(func(t *testing.T, data []byte) {
		checkLoad(t, data)
	})
}

func FuzzParseDumpPayload(f *testing.F) {
	for _, fx := range smallFixtures(f) {
		p := DumpPayload(&EntryEncoder{Compress: true}, fx.e)
		f.Add(p[:len(p)-10])
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		// As given, almost always refused for its checksum; sealed, the
		// body reaches the decoder.
		if _, _, err := ParseDumpPayload(body); err == nil && len(body) < 10 {
			t.Fatal("a payload shorter than its footer parsed")
		}
		str, obj, err := ParseDumpPayload(sealPayload(body))
		if err != nil {
			if errors.Is(err, ErrDumpPayload) {
				t.Fatalf("sealed payload refused: %v", err)
			}
			return
		}
		checkRoundTrip(t, str, obj)
	})
}
