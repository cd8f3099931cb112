package compat

// The list usage patterns of the seed articles (shared/seeds/): queues,
// blocking workers, capped timelines, a job queue with a processing list,
// and a Celery-style consumer, through go-redis v9 in RESP2 and RESP3.

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

var seedBlockedField = regexp.MustCompile(`blocked_clients:(\d+)`)

// waitForBlocked waits until n clients are blocked, so that a push that
// follows finds them waiting (no timing assumption).
func waitForBlocked(t *testing.T, e *seedEnv, n int) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		info := chk(t, e.rdb.Info(ctx, "clients")).Val()
		m := seedBlockedField.FindStringSubmatch(info)
		if m != nil && m[1] == strconv.Itoa(n) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("blocked_clients never reached %d: %s", n, info)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// worker is a client of its own running one blocking call.
type worker struct {
	done chan struct{}
	val  []string
	err  error
}

func startWorker(t *testing.T, e *seedEnv, call func(r *redis.Client) ([]string, error)) *worker {
	r := redis.NewClient(&redis.Options{Addr: e.tg.addr, Protocol: e.proto, ReadTimeout: -1})
	t.Cleanup(func() { _ = r.Close() })
	w := &worker{done: make(chan struct{})}
	go func() {
		defer close(w.done)
		w.val, w.err = call(r)
	}()
	return w
}

func (w *worker) wait(t *testing.T) ([]string, error) {
	t.Helper()
	select {
	case <-w.done:
		return w.val, w.err
	case <-time.After(20 * time.Second):
		t.Fatal("the worker was never woken")
		return nil, nil
	}
}

// ---------------------------------------------------------------------------
// Seed 000 (ioredis), "List — キューとスタック".

func TestSeed000ListQueue(t *testing.T) {
	t.Parallel()
	forEachProtocol(t, func(t *testing.T, e *seedEnv) {
		r := e.rdb
		alice, _ := json.Marshal(map[string]string{"to": "alice@example.com", "subject": "Welcome"})
		bob, _ := json.Marshal(map[string]string{"to": "bob@example.com", "subject": "Welcome"})
		wantEqual(t, "RPUSH alice", chk(t, r.RPush(ctx, "queue:emails", alice)).Val(), int64(1))
		wantEqual(t, "RPUSH bob", chk(t, r.RPush(ctx, "queue:emails", bob)).Val(), int64(2))
		// const job = await redis.lpop('queue:emails') — FIFO.
		wantEqual(t, "LPOP", chk(t, r.LPop(ctx, "queue:emails")).Val(), string(alice))
		// const [key, value] = await redis.blpop('queue:emails', 5)
		kv := chk(t, r.BLPop(ctx, 5*time.Second, "queue:emails")).Val()
		wantEqual(t, "BLPOP key", kv[0], "queue:emails")
		wantEqual(t, "BLPOP value", kv[1], string(bob))
		// On an empty queue the worker's BLPOP times out with nil.
		start := time.Now()
		if _, err := r.BLPop(ctx, 200*time.Millisecond, "queue:emails").Result(); err != redis.Nil {
			t.Errorf("BLPOP on an empty queue: err = %v, want redis.Nil", err)
		}
		if time.Since(start) < 150*time.Millisecond {
			t.Errorf("BLPOP returned before its timeout")
		}
		// A waiting worker gets the next job.
		w := startWorker(t, e, func(r *redis.Client) ([]string, error) {
			return r.BLPop(ctx, 5*time.Second, "queue:emails").Result()
		})
		waitForBlocked(t, e, 1)
		chk(t, r.RPush(ctx, "queue:emails", "job-3"))
		got, err := w.wait(t)
		if err != nil || len(got) != 2 || got[1] != "job-3" {
			t.Errorf("woken worker got %v, %v", got, err)
		}
	})
}

func TestSeed000ListTimeline(t *testing.T) {
	t.Parallel()
	forEachProtocol(t, func(t *testing.T, e *seedEnv) {
		r := e.rdb
		for i := 0; i < 150; i++ {
			event, _ := json.Marshal(map[string]int{"seq": i})
			chk(t, r.LPush(ctx, "timeline:user:1", event))
			wantEqual(t, "LTRIM", chk(t, r.LTrim(ctx, "timeline:user:1", 0, 99)).Val(), "OK")
		}
		wantEqual(t, "LLEN", chk(t, r.LLen(ctx, "timeline:user:1")).Val(), int64(100))
		newest := chk(t, r.LRange(ctx, "timeline:user:1", 0, 0)).Val()
		wantEqual(t, "newest", newest[0], `{"seq":149}`)
		wantEqual(t, "oldest kept", chk(t, r.LIndex(ctx, "timeline:user:1", -1)).Val(), `{"seq":50}`)
	})
}

// ---------------------------------------------------------------------------
// Seed 001 (Leapcell), "非同期メッセージキューの基本的な実装" and the
// blocking reads that replace polling.

func TestSeed001ListMessageQueue(t *testing.T) {
	t.Parallel()
	forEachProtocol(t, func(t *testing.T, e *seedEnv) {
		r := e.rdb
		wantEqual(t, "RPUSH", chk(t, r.RPush(ctx, "queue", "Leapcell_1", "Leapcell_2", "Leapcell_3")).Val(), int64(3))
		wantEqual(t, "LPOP", chk(t, r.LPop(ctx, "queue")).Val(), "Leapcell_1")
		wantEqual(t, "LLEN", chk(t, r.LLen(ctx, "queue")).Val(), int64(2))
		wantEqual(t, "RPOP", chk(t, r.RPop(ctx, "queue")).Val(), "Leapcell_3")
		wantEqual(t, "LPOP", chk(t, r.LPop(ctx, "queue")).Val(), "Leapcell_2")
		if _, err := r.LPop(ctx, "queue").Result(); err != redis.Nil {
			t.Errorf("LPOP on the empty queue: %v, want redis.Nil", err)
		}
	})
}

func TestSeed001BlockingWorkersWake(t *testing.T) {
	t.Parallel()
	forEachProtocol(t, func(t *testing.T, e *seedEnv) {
		left := startWorker(t, e, func(r *redis.Client) ([]string, error) {
			return r.BLPop(ctx, 0, "queue").Result()
		})
		waitForBlocked(t, e, 1)
		right := startWorker(t, e, func(r *redis.Client) ([]string, error) {
			return r.BRPop(ctx, 0, "queue").Result()
		})
		waitForBlocked(t, e, 2)
		// One push wakes both workers, in the order they started waiting.
		chk(t, e.rdb.RPush(ctx, "queue", "m1", "m2", "m3"))
		got1, err1 := left.wait(t)
		got2, err2 := right.wait(t)
		if err1 != nil || err2 != nil {
			t.Fatalf("workers: %v, %v", err1, err2)
		}
		wantEqual(t, "BLPOP worker", got1[1], "m1")
		wantEqual(t, "BRPOP worker", got2[1], "m3")
		wantEqual(t, "left in queue", chk(t, e.rdb.LLen(ctx, "queue")).Val(), int64(1))
	})
}

// ---------------------------------------------------------------------------
// Seed 002 (Python), "タスクキューの実装例" and the JobQueue class.

func TestSeed002TaskQueue(t *testing.T) {
	t.Parallel()
	forEachProtocol(t, func(t *testing.T, e *seedEnv) {
		r := e.rdb
		add := func(task map[string]any) {
			b, _ := json.Marshal(task)
			chk(t, r.LPush(ctx, "task:queue", b))
		}
		add(map[string]any{"id": 1, "type": "email", "recipient": "user@example.com"})
		add(map[string]any{"id": 2, "type": "notification", "user_id": 123})
		var order []float64
		for {
			raw, err := r.RPop(ctx, "task:queue").Result()
			if err == redis.Nil {
				break
			}
			var task map[string]any
			must(t, 0, json.Unmarshal([]byte(must(t, raw, err)), &task))
			order = append(order, task["id"].(float64))
		}
		if fmt.Sprint(order) != "[1 2]" {
			t.Errorf("tasks processed in order %v, want [1 2]", order)
		}
		// Metrics kept with LPUSH + LTRIM 0 1000.
		for i := 0; i < 1005; i++ {
			chk(t, r.LPush(ctx, "redis:metrics", strconv.Itoa(i)))
			chk(t, r.LTrim(ctx, "redis:metrics", 0, 1000))
		}
		wantEqual(t, "metrics kept", chk(t, r.LLen(ctx, "redis:metrics")).Val(), int64(1001))
	})
}

// seedJob is the JobQueue's JSON job.
type seedJob struct {
	ID       string         `json:"id"`
	Data     map[string]any `json:"data"`
	Status   string         `json:"status"`
	Attempts int            `json:"attempts"`
	Error    string         `json:"error,omitempty"`
}

// jobQueueStep is one turn of process_jobs: BRPOPLPUSH into the processing
// list, then LREM it on success, or push it back (or to the failed list
// after maxAttempts).
func jobQueueStep(t *testing.T, r *redis.Client, name string, maxAttempts int, fails func(seedJob) bool) bool {
	raw, err := r.BRPopLPush(ctx, name, name+":processing", time.Second).Result()
	if err == redis.Nil {
		return false
	}
	var job seedJob
	must(t, 0, json.Unmarshal([]byte(must(t, raw, err)), &job))
	job.Attempts++
	wantEqual(t, "LREM processing", chk(t, r.LRem(ctx, name+":processing", 1, raw)).Val(), int64(1))
	switch {
	case !fails(job):
	case job.Attempts >= maxAttempts:
		job.Status, job.Error = "failed", "boom"
		b, _ := json.Marshal(job)
		chk(t, r.LPush(ctx, name+":failed", b))
	default:
		b, _ := json.Marshal(job)
		chk(t, r.LPush(ctx, name, b))
	}
	return true
}

func TestSeed002JobQueue(t *testing.T) {
	t.Parallel()
	forEachProtocol(t, func(t *testing.T, e *seedEnv) {
		r := e.rdb
		for i, to := range []string{"ok@example.com", "bad@example.com", "ok2@example.com"} {
			b, _ := json.Marshal(seedJob{ID: fmt.Sprint("job", i), Data: map[string]any{"recipient": to}, Status: "pending"})
			chk(t, r.LPush(ctx, "email:queue", b))
		}
		failsForBad := func(j seedJob) bool { return j.Data["recipient"] == "bad@example.com" }
		turns := 0
		for jobQueueStep(t, r, "email:queue", 3, failsForBad) {
			turns++
		}
		wantEqual(t, "turns", turns, 5) // two successes, three attempts of the bad job
		wantEqual(t, "processing empty", chk(t, r.Exists(ctx, "email:queue:processing")).Val(), int64(0))
		failed := chk(t, r.LRange(ctx, "email:queue:failed", 0, -1)).Val()
		if len(failed) != 1 {
			t.Fatalf("failed list = %v", failed)
		}
		var job seedJob
		must(t, 0, json.Unmarshal([]byte(failed[0]), &job))
		wantEqual(t, "failed job", job.ID, "job1")
		wantEqual(t, "attempts", job.Attempts, 3)
		wantEqual(t, "status", job.Status, "failed")

		// A worker waiting in BRPOPLPUSH gets a job enqueued later, and
		// the job sits in the processing list until it is LREMed.
		w := startWorker(t, e, func(r *redis.Client) ([]string, error) {
			v, err := r.BRPopLPush(ctx, "email:queue", "email:queue:processing", 0).Result()
			return []string{v}, err
		})
		waitForBlocked(t, e, 1)
		chk(t, r.LPush(ctx, "email:queue", `{"id":"late"}`))
		got, err := w.wait(t)
		if err != nil || got[0] != `{"id":"late"}` {
			t.Fatalf("waiting worker got %v, %v", got, err)
		}
		wantEqual(t, "processing holds the job", chk(t, r.LRange(ctx, "email:queue:processing", 0, -1)).Val()[0], `{"id":"late"}`)
	})
}

// ---------------------------------------------------------------------------
// Seed 003, Celery with Redis as its broker: a worker consumes several
// queues with BRPOP, producers LPUSH.

func TestSeed003CeleryConsumer(t *testing.T) {
	t.Parallel()
	forEachProtocol(t, func(t *testing.T, e *seedEnv) {
		r := e.rdb
		queues := []string{"celery:high", "celery", "celery:low"}
		chk(t, r.LPush(ctx, "celery:low", "low-1"))
		chk(t, r.LPush(ctx, "celery", "default-1", "default-2"))
		// The first non-empty queue in the worker's order wins; within a
		// queue LPUSH + BRPOP is FIFO.
		var got []string
		for i := 0; i < 3; i++ {
			kv := chk(t, r.BRPop(ctx, time.Second, queues...)).Val()
			got = append(got, kv[0]+"="+kv[1])
		}
		want := "[celery=default-1 celery=default-2 celery:low=low-1]"
		if fmt.Sprint(got) != want {
			t.Errorf("consumed %v, want %v", got, want)
		}
		if _, err := r.BRPop(ctx, 100*time.Millisecond, queues...).Result(); err != redis.Nil {
			t.Errorf("BRPOP on empty queues: %v, want redis.Nil", err)
		}
		// An idle worker wakes on a task for any of its queues.
		w := startWorker(t, e, func(r *redis.Client) ([]string, error) {
			return r.BRPop(ctx, 0, queues...).Result()
		})
		waitForBlocked(t, e, 1)
		chk(t, r.LPush(ctx, "celery:low", "task"))
		kv, err := w.wait(t)
		if err != nil || fmt.Sprint(kv) != "[celery:low task]" {
			t.Errorf("woken worker got %v, %v", kv, err)
		}
	})
}
