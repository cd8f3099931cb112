package store

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/kioku-db/kioku/types"
)

func encodeForTest(buf []byte, db *DB, e *Entry) []byte {
	return fmt.Appendf(buf, "%d:%s=%s;", db.ID, e.Key, e.Str)
}

func snapshotContents(t *testing.T, sn *Snapshot, held bool) []string {
	t.Helper()
	var all []string
	for db := range sn.Sizes {
		for i := 0; i < sn.NumShards(); i++ {
			for _, kv := range strings.Split(string(sn.Shard(db, i, held)), ";") {
				if kv != "" {
					all = append(all, kv)
				}
			}
		}
	}
	sort.Strings(all)
	return all
}

func fillForSnapshot(s *Store, n int) []string {
	var want []string
	for db := 0; db < 2; db++ {
		for i := 0; i < n; i++ {
			k, v := fmt.Sprintf("k%d", i), fmt.Sprintf("v%d", i)
			s.DB(db).SetString([]byte(k), v, 0, false)
			want = append(want, fmt.Sprintf("%d:%s=%s", db, k, v))
		}
	}
	sort.Strings(want)
	return want
}

// TestSnapshotIsPointInTime changes every kind of way after the snapshot
// began and before the saver reached the shards: the snapshot still holds
// the data of its instant.
func TestSnapshotIsPointInTime(t *testing.T) {
	s := New(2, nil)
	want := fillForSnapshot(s, 2000)
	var l Locks
	l.All(s)
	sn := s.BeginSnapshot(encodeForTest)
	l.Release()
	if sn.Sizes[0] != 2000 || sn.Sizes[1] != 2000 {
		t.Fatalf("sizes %v", sn.Sizes)
	}
	before := s.Dirty()
	db := s.DB(0)
	for i := 0; i < 500; i++ {
		k := []byte(fmt.Sprintf("k%d", i))
		l.Keys(s, db, [][]byte{k})
		switch i % 4 {
		case 0:
			db.SetString(k, "changed", 0, false)
		case 1:
			db.Delete(k, 0)
		case 2:
			db.SetString([]byte(fmt.Sprintf("new%d", i)), "x", 0, false)
		case 3:
			e := db.Lookup(k, 0)
			e.Str = "in place"
			db.Touched(k)
		}
		l.Release()
	}
	l.All(s)
	s.DB(1).Flush()
	l.Release()
	if s.Dirty() == before {
		t.Fatal("writes were not counted as dirty")
	}
	got := snapshotContents(t, sn, false)
	sn.Close(false)
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("snapshot has %d entries, want %d", len(got), len(want))
	}
	// Once closed, writes no longer encode shards.
	l.Keys(s, db, [][]byte{[]byte("k1")})
	db.SetString([]byte("k1"), "again", 0, false)
	l.Release()
}

// TestSnapshotConcurrentWriters runs writers while the saver reads the
// snapshot (with -race this checks the locking).
func TestSnapshotConcurrentWriters(t *testing.T) {
	s := New(2, nil)
	want := fillForSnapshot(s, 3000)
	var l Locks
	l.All(s)
	sn := s.BeginSnapshot(encodeForTest)
	l.Release()
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			var l Locks
			for i := 0; i < 3000; i++ {
				k := []byte(fmt.Sprintf("k%d", (i*7+w)%3000))
				db := s.DB(i % 2)
				l.Keys(s, db, [][]byte{k})
				db.SetString(k, "w", 0, false)
				l.Release()
			}
		}(w)
	}
	got := snapshotContents(t, sn, false)
	wg.Wait()
	sn.Close(false)
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("snapshot differs from its instant: %d entries, want %d", len(got), len(want))
	}
}

// TestSnapshotHeld reads a snapshot while holding the keyspace (SAVE and
// DEBUG RELOAD block everyone).
func TestSnapshotHeld(t *testing.T) {
	s := New(2, nil)
	want := fillForSnapshot(s, 100)
	var l Locks
	l.All(s)
	sn := s.BeginSnapshot(encodeForTest)
	got := snapshotContents(t, sn, true)
	sn.Close(true)
	l.Release()
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatal("held snapshot differs")
	}
}

// TestSnapshotCollectionsChangedInPlace: collections, which commands change
// in place, are in the snapshot as they were at its instant, beside
// strings that the saver encodes after the shard was let go.
func TestSnapshotCollectionsChangedInPlace(t *testing.T) {
	s := New(1, nil)
	db := s.DB(0)
	limits := types.HashLimits{MaxEntries: 128, MaxValue: 64}
	var want []string
	for i := 0; i < 500; i++ {
		h := types.NewHash()
		h.Set([]byte("f"), []byte("before"), limits)
		db.SetObject([]byte(fmt.Sprint("h", i)), h)
		db.SetString([]byte(fmt.Sprint("s", i)), "before", 0, false)
		want = append(want, fmt.Sprintf("h%d=hash:before", i), fmt.Sprintf("s%d=before", i))
	}
	sort.Strings(want)
	encode := func(buf []byte, _ *DB, e *Entry) []byte {
		if h, ok := e.Obj.(*types.Hash); ok {
			v, _ := h.Get([]byte("f"))
			return fmt.Appendf(buf, "%s=hash:%s;", e.Key, v)
		}
		return fmt.Appendf(buf, "%s=%s;", e.Key, e.Str)
	}
	var l Locks
	l.All(s)
	sn := s.BeginSnapshot(encode)
	l.Release()
	for i := 0; i < 500; i += 2 { // half the shards' worth of writes
		hk, sk := []byte(fmt.Sprint("h", i)), []byte(fmt.Sprint("s", i))
		l.Keys(s, db, [][]byte{hk, sk})
		db.Lookup(hk, 0).Obj.(*types.Hash).Set([]byte("f"), []byte("after"), limits)
		db.Touched(hk)
		db.SetString(sk, "after", 0, false)
		l.Release()
	}
	var got []string
	for i := 0; i < sn.NumShards(); i++ {
		for _, kv := range strings.Split(string(sn.Shard(0, i, false)), ";") {
			if kv != "" {
				got = append(got, kv)
			}
		}
	}
	sn.Close(false)
	sort.Strings(got)
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("snapshot differs from its instant:\n got %d entries, e.g. %q\nwant %d", len(got), got[:4], len(want))
	}
}
