package server

import (
	"bytes"
	"os"
	"testing"

	"github.com/kioku-db/kioku/server/config"
)

// BenchmarkLoadRDB loads the dump.rdb named by KIOKU_BENCH_RDB (for
// example one redis-server wrote after DEBUG POPULATE 1000000) into a
// fresh server per iteration.
func BenchmarkLoadRDB(b *testing.B) {
	path := os.Getenv("KIOKU_BENCH_RDB")
	if path == "" {
		b.Skip("KIOKU_BENCH_RDB names no dump.rdb")
	}
	data, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		b.StopTimer()
		reg := config.New()
		if err := reg.Set([][2]string{{"save", ""}}); err != nil {
			b.Fatal(err)
		}
		s, err := New(Config{Registry: reg})
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if err := s.loadRDBFrom(bytes.NewReader(data)); err != nil {
			b.Fatal(err)
		}
	}
}
