package persistence

import (
	"bytes"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
)

// testdata/redis-7.0.15.rdb was saved by redis-server 7.0.15 (every type,
// compact and large encodings, TTLs, three databases, a stream with
// consumer groups); the golden file lists what it holds, checked against
// what that server answered (HGETALL, ZRANGE, XINFO, OBJECT ENCODING).
func TestLoadRedisFile(t *testing.T) {
	file, err := os.ReadFile("testdata/redis-7.0.15.rdb")
	must(t, err)
	golden, err := os.ReadFile("testdata/redis-7.0.15.golden")
	must(t, err)
	var lines []string
	aux := map[string]string{}
	err = LoadRDB(bytes.NewReader(file), RDBHandler{
		Aux: func(k, v string) error { aux[k] = v; return nil },
		Entry: func(it RDBItem) error {
			lines = append(lines, fmt.Sprintf("%d/%s expire=%d %s", it.DB, it.Key, it.Expire, describe(it.Str, it.Obj)))
			return nil
		},
	})
	must(t, err)
	slices.Sort(lines)
	if got := strings.Join(lines, "\n") + "\n"; got != string(golden) {
		t.Errorf("loaded:\n%s", got)
	}
	if aux["redis-ver"] != "7.0.15" || aux["redis-bits"] != "64" {
		t.Errorf("aux %v", aux)
	}
}
