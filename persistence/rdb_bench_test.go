package persistence

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/kioku-db/kioku/store"
	"github.com/kioku-db/kioku/types"
)

func benchEntries() []*store.Entry {
	var es []*store.Entry
	for i := range 10000 {
		es = append(es, strEntry(fmt.Sprint("key:", i), fmt.Sprintf("value-%d-%032d", i, i)))
	}
	l := types.NewList()
	for i := range 100000 {
		l.PushBack([]byte(fmt.Sprint("element-", i)))
	}
	es = append(es, objEntry("list", l))
	h := types.NewHash()
	for i := range 100000 {
		h.Set([]byte(fmt.Sprint("field-", i)), []byte(fmt.Sprint(i)), types.HashLimits{MaxEntries: 512, MaxValue: 64})
	}
	return append(es, objEntry("hash", h))
}

func BenchmarkAppendEntry(b *testing.B) {
	es := benchEntries()
	for _, compress := range []bool{false, true} {
		b.Run(fmt.Sprint("compress=", compress), func(b *testing.B) {
			enc := &EntryEncoder{Compress: compress}
			var buf []byte
			for b.Loop() {
				buf = buf[:0]
				for _, e := range es {
					buf = enc.AppendEntry(buf, e)
				}
			}
			b.SetBytes(int64(len(buf)))
		})
	}
}

func BenchmarkLoadRDB(b *testing.B) {
	var fs []fixture
	for _, e := range benchEntries() {
		fs = append(fs, fixture{0, e.Key, e})
	}
	file := writeFixtures(b, fs, &EntryEncoder{Compress: true}, true)
	b.SetBytes(int64(len(file)))
	for b.Loop() {
		must(b, LoadRDB(bytes.NewReader(file), RDBHandler{Entry: func(RDBItem) error { return nil }}))
	}
}
