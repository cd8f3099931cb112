//go:build !redisonly

package compat

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kioku-db/kioku/persistence"
	"github.com/kioku-db/kioku/server/servertest"
	"github.com/kioku-db/kioku/store"
)

// RDB files between Kioku and redis-server: what redis-server saves,
// persistence.LoadRDB reads into the same values; what RDBWriter and
// EntryEncoder write from a Kioku store, redis-check-rdb accepts and
// redis-server loads into the same values. Both servers are filled with
// dumpDataset (diff_dump_test.go) and compared key by key through their
// replies (keyContents).

// startKiokuStore starts a Kioku server whose store the test reaches
// directly.
func startKiokuStore(t *testing.T) (*servertest.Server, *target) {
	t.Helper()
	s := servertest.Start(t)
	return s, &target{name: "kioku", addr: s.Addr(), fastForward: s.FastForward}
}

// compareServers compares every key of the dataset's databases on two
// servers; string encodings only when strings is set (a string's encoding
// records how it was built, which a file does not keep).
func compareServers(t *testing.T, want, got *target, strings bool) {
	t.Helper()
	ctx := context.Background()
	for _, db := range datasetDBs {
		wc, gc := goRedisClient(t, want, db), goRedisClient(t, got, db)
		wk, gk := datasetKeys(t, wc), datasetKeys(t, gc)
		if len(wk) != len(gk) {
			t.Errorf("db %d: %s has %d keys, %s %d", db, want.name, len(wk), got.name, len(gk))
		}
		for _, key := range wk {
			enc := strings || wc.Type(ctx, key).Val() != "string"
			w, g := keyContents(t, wc, key, enc), keyContents(t, gc, key, enc)
			if w != g {
				t.Errorf("db %d %q:\n%-6s %.400s\n%-6s %.400s", db, key, want.name, w, got.name, g)
			}
		}
	}
}

// TestRDBFromRedis loads what redis-server saves into a Kioku server's
// store, with LoadRDB, and compares the two servers key by key.
func TestRDBFromRedis(t *testing.T) {
	t.Parallel()
	for _, policy := range []string{"noeviction", "allkeys-lru", "allkeys-lfu"} {
		t.Run(policy, func(t *testing.T) {
			ref := startRedis(t, opt("maxmemory-policy", policy))
			fillDataset(t, ref)
			rc := goRedisClient(t, ref, 0)
			ctx := context.Background()
			// DEBUG RELOAD saves and loads back, so the encodings Redis
			// then holds are those of a loaded file.
			if err := rc.Do(ctx, "DEBUG", "RELOAD").Err(); err != nil {
				t.Fatal(err)
			}
			dir := rc.ConfigGet(ctx, "dir").Val()["dir"]
			file, err := os.ReadFile(filepath.Join(dir, "dump.rdb"))
			if err != nil {
				t.Fatal(err)
			}

			srv, sut := startKiokuStore(t)
			var locks store.Locks
			locks.All(srv.Store())
			var items []*persistence.RDBItem
			err = persistence.LoadRDB(bytes.NewReader(file), persistence.RDBHandler{
				Entry: func(it persistence.RDBItem) error {
					items = append(items, &it)
					db := srv.Store().DB(it.DB)
					if it.Obj == nil {
						db.SetString([]byte(it.Key), it.Str, it.Expire, false)
						return nil
					}
					e := db.SetObject([]byte(it.Key), it.Obj)
					if it.Expire != 0 {
						db.SetExpire(e, it.Expire)
					}
					return nil
				},
			})
			locks.Release()
			if err != nil {
				t.Fatal(err)
			}
			for _, it := range items {
				if (policy == "allkeys-lru") != (it.Idle >= 0) || (policy == "allkeys-lfu") != (it.Freq >= 0) {
					t.Fatalf("%q under %s: idle %d freq %d", it.Key, policy, it.Idle, it.Freq)
				}
			}
			compareServers(t, ref, sut, true)
		})
	}
}

// writeStoreRDB writes a Kioku store as an RDB file, as a snapshot does,
// with a function library.
func writeStoreRDB(t *testing.T, s *store.Store, path string, enc *persistence.EntryEncoder) {
	t.Helper()
	var out bytes.Buffer
	w := persistence.NewRDBWriter(&out, true)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(w.WriteHeader([][2]string{
		{"redis-ver", "7.0.15"}, {"redis-bits", "64"},
		{"ctime", strconv.FormatInt(time.Now().Unix(), 10)}, {"used-mem", "1000000"}, {"aof-base", "0"},
	}))
	must(w.WriteFunction("#!lua name=kioku_lib\nredis.register_function('kioku_fn', function(keys, args) return 42 end)"))
	var locks store.Locks
	locks.All(s)
	defer locks.Release()
	for i := 0; i < s.NumDBs(); i++ {
		db := s.DB(i)
		if db.Size() == 0 {
			continue
		}
		must(w.WriteDBStart(i, db.Size(), db.ExpiresCount()))
		var buf []byte
		db.Each(func(e *store.Entry) bool {
			buf = enc.AppendEntry(buf, e)
			return true
		})
		must(w.WriteRaw(buf))
	}
	must(w.Finish())
	must(os.WriteFile(path, out.Bytes(), 0o644))
}

// TestRDBToRedis writes a Kioku store with RDBWriter and EntryEncoder,
// checks the file with redis-check-rdb, starts redis-server on it and
// compares the two servers key by key.
func TestRDBToRedis(t *testing.T) {
	t.Parallel()
	check, err := exec.LookPath("redis-check-rdb")
	if err != nil {
		t.Skip("redis-check-rdb not available")
	}
	for _, compress := range []bool{true, false} {
		t.Run("compress="+strconv.FormatBool(compress), func(t *testing.T) {
			srv, sut := startKiokuStore(t)
			fillDataset(t, sut)
			dir := t.TempDir()
			path := filepath.Join(dir, "kioku.rdb")
			// Written as if 1000 s later, every key carries an idle time
			// of about 1000 s (RDB_OPCODE_IDLE).
			writeStoreRDB(t, srv.Store(), path, &persistence.EntryEncoder{
				Compress: compress, SaveLRU: true, NowMs: time.Now().UnixMilli() + 1000*1000,
			})
			out, err := exec.Command(check, path).CombinedOutput()
			if err != nil || !strings.Contains(string(out), "RDB looks OK") {
				t.Fatalf("redis-check-rdb: %v\n%s", err, out)
			}
			ref := startRedis(t, opt("dir", dir), opt("dbfilename", "kioku.rdb"))
			rc := goRedisClient(t, ref, 0)
			ctx := context.Background()
			// Before any command reads the key and resets its idle time.
			if idle := rc.ObjectIdleTime(ctx, "s:plain").Val(); idle < 999*time.Second || idle > 1100*time.Second {
				t.Errorf("idle time %v after loading, want about 1000s", idle)
			}
			compareServers(t, sut, ref, false)
			if v, err := rc.FCall(ctx, "kioku_fn", nil).Int(); err != nil || v != 42 {
				t.Errorf("function from the file: %v %v", v, err)
			}
		})
	}
}
