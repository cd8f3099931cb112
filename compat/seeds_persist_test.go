package compat

import (
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Persistence patterns of the seeds: 002's backup manager (SAVE, find the
// file through CONFIG GET dir, keep a compressed copy, restore it by
// restarting the server on it) and 001's delay queue surviving a restart.
// Each test restarts a server on its own directory, so it runs once, with
// a RESP2 client (the files do not depend on the protocol).

// restartable starts servers on one directory.
type restartable struct {
	t    *testing.T
	dir  string
	opts []option
}

func (r *restartable) start() (*target, *redis.Client) {
	tg := startKioku(r.t, append([]option{opt("dir", r.dir)}, r.opts...)...)
	rdb := redis.NewClient(&redis.Options{Addr: tg.addr, Protocol: 2})
	r.t.Cleanup(func() { _ = rdb.Close() })
	return tg, rdb
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	in, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.Create(to)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}

func gzipFile(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(path + ".gz")
	if err != nil {
		t.Fatal(err)
	}
	zw := gzip.NewWriter(f)
	zw.Write(data)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	os.Remove(path)
	return path + ".gz"
}

func gunzipFile(t *testing.T, gz, to string) {
	t.Helper()
	f, err := os.Open(gz)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	data, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestSeed002BackupManager is the RedisBackupManager of seed 002:
// create_backup runs SAVE, reads `dir` with CONFIG GET, copies dump.rdb
// and gzips the copy; restore_backup stops the server, puts the copy back
// as dump.rdb and starts the server again.
func TestSeed002BackupManager(t *testing.T) {
	t.Parallel()
	r := &restartable{t: t, dir: t.TempDir()}
	tg, rdb := r.start()
	for i := 0; i < 200; i++ {
		chk(t, rdb.HSet(ctx, fmt.Sprintf("user:%d", i), "name", fmt.Sprintf("user %d", i), "visits", i))
	}
	chk(t, rdb.Set(ctx, "session:abc", "alive", time.Hour))
	chk(t, rdb.RPush(ctx, "events", "login", "view", "logout"))
	chk(t, rdb.ZAdd(ctx, "leaderboard", redis.Z{Score: 10, Member: "alice"}, redis.Z{Score: 7, Member: "bob"}))
	chk(t, rdb.SAdd(ctx, "tags", "go", "redis"))
	chk(t, rdb.XAdd(ctx, &redis.XAddArgs{Stream: "audit", ID: "1-1", Values: []string{"who", "alice"}}))
	digestAtBackup := chk(t, rdb.Do(ctx, "DEBUG", "DIGEST")).Val()

	// create_backup
	chk(t, rdb.Save(ctx))
	dir := chk(t, rdb.ConfigGet(ctx, "dir")).Val()["dir"]
	backupDir := t.TempDir()
	backup := filepath.Join(backupDir, "redis_backup_"+time.Now().Format("20060102_150405")+".rdb")
	copyFile(t, filepath.Join(dir, "dump.rdb"), backup)
	backup = gzipFile(t, backup)

	// Life goes on after the backup.
	chk(t, rdb.Del(ctx, "user:1", "events"))
	chk(t, rdb.Set(ctx, "after-backup", "x", 0))
	chk(t, rdb.Save(ctx))

	// restore_backup
	plain := backup[:len(backup)-3]
	gunzipFile(t, backup, plain)
	_ = rdb.Shutdown(ctx).Err() // the connection closes without a reply
	tg.stop()
	copyFile(t, plain, filepath.Join(dir, "dump.rdb"))
	_, rdb = r.start()

	wantEqual(t, "digest after restore", chk(t, rdb.Do(ctx, "DEBUG", "DIGEST")).Val(), digestAtBackup)
	wantEqual(t, "user:1 restored", chk(t, rdb.HGet(ctx, "user:1", "name")).Val(), "user 1")
	wantEqual(t, "events restored", fmt.Sprint(chk(t, rdb.LRange(ctx, "events", 0, -1)).Val()), "[login view logout]")
	wantEqual(t, "later key gone", rdb.Exists(ctx, "after-backup").Val(), int64(0))
	if ttl := rdb.TTL(ctx, "session:abc").Val(); ttl <= 0 || ttl > time.Hour {
		t.Fatalf("session TTL after restore: %v", ttl)
	}
}

// TestSeed001DelayQueueSurvivesRestart: tasks scheduled in the delay
// queue before a restart (SHUTDOWN SAVE) are all still there with their
// due times, and are each handled once after it.
func TestSeed001DelayQueueSurvivesRestart(t *testing.T) {
	t.Parallel()
	r := &restartable{t: t, dir: t.TempDir()}
	tg, rdb := r.start()
	const key, tasks = "delay_queue", 500
	now := time.Now().UnixMilli()
	due := map[string]float64{}
	for i := 0; i < tasks; i++ {
		id := "order:" + strconv.Itoa(i)
		// Half are due already, half later (the queue must keep both).
		due[id] = float64(now - 1000 + int64(i%2)*3_600_000 + int64(i))
		chk(t, rdb.ZAdd(ctx, key, redis.Z{Score: due[id], Member: id}))
	}
	_ = rdb.ShutdownSave(ctx).Err()
	tg.stop()

	_, rdb = r.start()
	wantEqual(t, "tasks after restart", chk(t, rdb.ZCard(ctx, key)).Val(), int64(tasks))
	for id, score := range due {
		wantEqual(t, "due time of "+id, chk(t, rdb.ZScore(ctx, key, id)).Val(), score)
	}
	handled := 0
	for {
		ids := chk(t, rdb.ZRangeByScore(ctx, key, &redis.ZRangeBy{
			Min: "0", Max: strconv.FormatInt(time.Now().UnixMilli(), 10), Count: 1})).Val()
		if len(ids) == 0 {
			break
		}
		if chk(t, rdb.ZRem(ctx, key, ids[0])).Val() == 1 {
			handled++
		}
	}
	wantEqual(t, "due tasks handled after restart", handled, tasks/2)
	wantEqual(t, "future tasks still queued", chk(t, rdb.ZCard(ctx, key)).Val(), int64(tasks/2))
}
