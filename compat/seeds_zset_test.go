package compat

// The sorted-set usage patterns of the seed articles (shared/seeds/): a
// leaderboard, a sliding-window rate limiter, a batched activity pipeline
// (000, ioredis) and a delay queue claimed by concurrent consumers (001),
// through go-redis v9 in RESP2 and RESP3.

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// ---------------------------------------------------------------------------
// Seed 000, "Sorted Set — ランキングとスコアリング".

func TestSeed000Leaderboard(t *testing.T) {
	t.Parallel()
	forEachProtocol(t, func(t *testing.T, e *seedEnv) {
		r := e.rdb
		const key = "leaderboard:game"
		chk(t, r.ZAdd(ctx, key, redis.Z{Score: 9500, Member: "player:alice"}))
		chk(t, r.ZAdd(ctx, key, redis.Z{Score: 8200, Member: "player:bob"}))
		chk(t, r.ZAdd(ctx, key, redis.Z{Score: 7800, Member: "player:carol"}))
		for i := 0; i < 20; i++ {
			chk(t, r.ZAdd(ctx, key, redis.Z{Score: float64(100 * i), Member: fmt.Sprintf("player:%02d", i)}))
		}
		// const top10 = await redis.zrevrange('leaderboard:game', 0, 9, 'WITHSCORES')
		top := chk(t, r.ZRevRangeWithScores(ctx, key, 0, 9)).Val()
		wantEqual(t, "top 10 size", len(top), 10)
		wantEqual(t, "first", top[0].Member.(string), "player:alice")
		wantEqual(t, "first score", top[0].Score, 9500.0)
		wantEqual(t, "third", top[2].Member.(string), "player:carol")
		wantEqual(t, "tenth", top[9].Member.(string), "player:13")
		for i := 1; i < len(top); i++ {
			if top[i].Score > top[i-1].Score {
				t.Fatalf("not in descending order: %v", top)
			}
		}
		// const rank = await redis.zrevrank('leaderboard:game', 'player:alice') // => 0
		wantEqual(t, "alice's rank", chk(t, r.ZRevRank(ctx, key, "player:alice")).Val(), int64(0))
		wantEqual(t, "carol's rank", chk(t, r.ZRevRank(ctx, key, "player:carol")).Val(), int64(2))
		// await redis.zincrby('leaderboard:game', 500, 'player:bob')
		wantEqual(t, "bob's new score", chk(t, r.ZIncrBy(ctx, key, 500, "player:bob")).Val(), 8700.0)
		wantEqual(t, "bob still second", chk(t, r.ZRevRank(ctx, key, "player:bob")).Val(), int64(1))
		wantEqual(t, "bob overtakes alice", chk(t, r.ZIncrBy(ctx, key, 1000, "player:bob")).Val(), 9700.0)
		wantEqual(t, "bob's rank", chk(t, r.ZRevRank(ctx, key, "player:bob")).Val(), int64(0))
		if err := r.ZRevRank(ctx, key, "player:nobody").Err(); err != redis.Nil {
			t.Errorf("rank of a missing player: %v, want redis.Nil", err)
		}
	})
}

// TestSeed000LeaderboardConcurrentScores: many clients add points to the
// same players at once; every increment counts and the ranking is exact.
func TestSeed000LeaderboardConcurrentScores(t *testing.T) {
	t.Parallel()
	forEachProtocol(t, func(t *testing.T, e *seedEnv) {
		const players, rounds = 10, 200
		var wg sync.WaitGroup
		for g := 0; g < 8; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < rounds; i++ {
					p := i % players
					if err := e.rdb.ZIncrBy(ctx, "lb", float64(p+1), fmt.Sprint("p", p)).Err(); err != nil {
						t.Error(err)
						return
					}
				}
			}()
		}
		wg.Wait()
		got := chk(t, e.rdb.ZRevRangeWithScores(ctx, "lb", 0, -1)).Val()
		wantEqual(t, "players", len(got), players)
		for i, z := range got {
			p := players - 1 - i
			wantEqual(t, "member", z.Member.(string), fmt.Sprint("p", p))
			wantEqual(t, "score", z.Score, float64(8*(rounds/players)*(p+1)))
		}
	})
}

// ---------------------------------------------------------------------------
// Seed 000, "Sliding Window(精度重視)": ZREMRANGEBYSCORE, ZADD, ZCARD and
// EXPIRE in one round trip; a rejected request removes its own entry.

// slidingWindowRateLimit is the seed's limiter. atomic sends the four
// commands as MULTI/EXEC, so that concurrent requests each see a count that
// includes exactly the requests before them; the seed's plain pipeline is
// the same commands without MULTI. The seed removes a rejected entry by
// its score (now); with many requests in the same millisecond that would
// also remove admitted ones, so the rejected request removes its own
// member.
func slidingWindowRateLimit(t testing.TB, rdb *redis.Client, id string, limit int64, window time.Duration,
	now time.Time, atomic bool) rateLimitResult {
	key := "ratelimit:sw:" + id
	nowMs := now.UnixMilli()
	windowStart := nowMs - window.Milliseconds()
	member := fmt.Sprintf("%d-%v", nowMs, rand.Float64())
	var card *redis.IntCmd
	fill := func(p redis.Pipeliner) error {
		p.ZRemRangeByScore(ctx, key, "0", strconv.FormatInt(windowStart, 10))
		p.ZAdd(ctx, key, redis.Z{Score: float64(nowMs), Member: member})
		card = p.ZCard(ctx, key)
		p.Expire(ctx, key, window)
		return nil
	}
	var err error
	if atomic {
		_, err = rdb.TxPipelined(ctx, fill)
	} else {
		_, err = rdb.Pipelined(ctx, fill)
	}
	if err != nil {
		t.Fatalf("rate limit pipeline: %v", err)
	}
	count := card.Val()
	allowed := count <= limit
	if !allowed {
		chk(t, rdb.ZRem(ctx, key, member))
	}
	return rateLimitResult{allowed: allowed, remaining: max(0, limit-count)}
}

func TestSeed000SlidingWindowRateLimit(t *testing.T) {
	t.Parallel()
	forEachProtocol(t, func(t *testing.T, e *seedEnv) {
		const limit = 5
		window := time.Minute
		start := time.Now()
		for i := 0; i < limit; i++ {
			res := slidingWindowRateLimit(t, e.rdb, "u1", limit, window, start.Add(time.Duration(i)*time.Second), false)
			wantEqual(t, fmt.Sprint("request ", i+1, " allowed"), res.allowed, true)
			wantEqual(t, "remaining", res.remaining, int64(limit-i-1))
		}
		res := slidingWindowRateLimit(t, e.rdb, "u1", limit, window, start.Add(10*time.Second), false)
		wantEqual(t, "the 6th request in the window", res.allowed, false)
		wantEqual(t, "entries kept", chk(t, e.rdb.ZCard(ctx, "ratelimit:sw:u1")).Val(), int64(limit))
		wantTTL(t, "the window's key", chk(t, e.rdb.TTL(ctx, "ratelimit:sw:u1")).Val(), window)
		// 60.5 s after the first request, it (and only it) has left the window.
		res = slidingWindowRateLimit(t, e.rdb, "u1", limit, window, start.Add(window+500*time.Millisecond), false)
		wantEqual(t, "a slot freed by the sliding window", res.allowed, true)
		res = slidingWindowRateLimit(t, e.rdb, "u1", limit, window, start.Add(window+600*time.Millisecond), false)
		wantEqual(t, "but only one", res.allowed, false)
		wantEqual(t, "another user is independent",
			slidingWindowRateLimit(t, e.rdb, "u2", limit, window, start, false).allowed, true)
	})
}

// TestSeed000SlidingWindowRateLimitConcurrent: 16 clients fire 400
// requests at one limit within one window; exactly `limit` are admitted.
func TestSeed000SlidingWindowRateLimitConcurrent(t *testing.T) {
	t.Parallel()
	forEachProtocol(t, func(t *testing.T, e *seedEnv) {
		const limit, clients, perClient = 37, 16, 25
		now := time.Now()
		var admitted atomic.Int64
		var wg sync.WaitGroup
		for g := 0; g < clients; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < perClient; i++ {
					at := now.Add(time.Duration(rand.IntN(1000)) * time.Millisecond)
					if slidingWindowRateLimit(t, e.rdb, "hot", limit, time.Minute, at, true).allowed {
						admitted.Add(1)
					}
				}
			}()
		}
		wg.Wait()
		wantEqual(t, "admitted", admitted.Load(), int64(limit))
		wantEqual(t, "entries", chk(t, e.rdb.ZCard(ctx, "ratelimit:sw:hot")).Val(), int64(limit))
	})
}

// ---------------------------------------------------------------------------
// Seed 000, "パイプライン — 複数コマンドの一括送信": one round trip of
// INCR, INCR, ZADD, LPUSH, LTRIM and EXPIRE per tracked action.

func trackUserActivity(t testing.TB, rdb *redis.Client, userID, action string, now time.Time) {
	dateKey := now.Format("2006-01-02")
	entry, _ := json.Marshal(map[string]any{"action": action, "timestamp": now.UnixMilli()})
	_, err := rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		p.Incr(ctx, "stats:"+dateKey+":total")
		p.Incr(ctx, "stats:"+dateKey+":"+action)
		p.ZAdd(ctx, "activity:user:"+userID, redis.Z{Score: float64(now.UnixMilli()), Member: action})
		p.LPush(ctx, "log:"+userID, entry)
		p.LTrim(ctx, "log:"+userID, 0, 999)
		p.Expire(ctx, "stats:"+dateKey+":total", 90*24*time.Hour)
		return nil
	})
	if err != nil {
		t.Fatalf("activity pipeline: %v", err)
	}
}

func TestSeed000ActivityPipeline(t *testing.T) {
	t.Parallel()
	forEachProtocol(t, func(t *testing.T, e *seedEnv) {
		r := e.rdb
		now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
		actions := []string{"login", "view", "purchase", "view", "logout"}
		for i := 0; i < 1200; i++ {
			trackUserActivity(t, r, "42", actions[i%len(actions)], now.Add(time.Duration(i)*time.Millisecond))
		}
		wantEqual(t, "total", chk(t, r.Get(ctx, "stats:2026-11-23:total")).Val(), "1200")
		wantEqual(t, "views", chk(t, r.Get(ctx, "stats:2026-11-23:view")).Val(), "480")
		wantEqual(t, "log capped at 1000", chk(t, r.LLen(ctx, "log:42")).Val(), int64(1000))
		wantTTL(t, "total", chk(t, r.TTL(ctx, "stats:2026-11-23:total")).Val(), 90*24*time.Hour)
		// The activity set keeps each action once, scored by its last time.
		last := chk(t, r.ZRangeWithScores(ctx, "activity:user:42", 0, -1)).Val()
		wantEqual(t, "distinct actions", len(last), 4)
		wantEqual(t, "most recent", last[3].Member.(string), "logout")
		wantEqual(t, "its time", last[3].Score, float64(now.Add(1199*time.Millisecond).UnixMilli()))
	})
}

// ---------------------------------------------------------------------------
// Seed 001, the delay queue: ZADD with the due time as score; consumers
// read the earliest due task with ZRANGEBYSCORE key 0 now LIMIT 0 1 and
// claim it with ZREM (only the consumer whose ZREM answers 1 runs it).

type delayedTask struct {
	id  string
	due int64 // unix ms
}

func TestSeed001DelayQueue(t *testing.T) {
	t.Parallel()
	forEachProtocol(t, func(t *testing.T, e *seedEnv) {
		const key, tasks, consumers = "delay_queue", 300, 8
		start := time.Now().UnixMilli()
		due := make(map[string]int64, tasks)
		for i := 0; i < tasks; i++ {
			task := delayedTask{id: fmt.Sprintf("order:%d:%08x", i, rand.Uint32()), due: start + int64(rand.IntN(400))}
			due[task.id] = task.due
			chk(t, e.rdb.ZAdd(ctx, key, redis.Z{Score: float64(task.due), Member: task.id}))
		}
		var mu sync.Mutex
		handled := make(map[string]int)
		var wg sync.WaitGroup
		for c := 0; c < consumers; c++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				deadline := time.Now().Add(30 * time.Second)
				for time.Now().Before(deadline) {
					now := time.Now().UnixMilli()
					ids, err := e.rdb.ZRangeByScore(ctx, key, &redis.ZRangeBy{
						Min: "0", Max: strconv.FormatInt(now, 10), Offset: 0, Count: 1}).Result()
					if err != nil {
						t.Error(err)
						return
					}
					if len(ids) == 0 {
						if e.rdb.ZCard(ctx, key).Val() == 0 {
							return
						}
						time.Sleep(time.Millisecond)
						continue
					}
					claimed, err := e.rdb.ZRem(ctx, key, ids[0]).Result()
					if err != nil {
						t.Error(err)
						return
					}
					if claimed == 1 {
						if due[ids[0]] > now {
							t.Errorf("%s handled at %d, due %d", ids[0], now, due[ids[0]])
						}
						mu.Lock()
						handled[ids[0]]++
						mu.Unlock()
					}
				}
			}()
		}
		wg.Wait()
		wantEqual(t, "tasks handled", len(handled), tasks)
		for id, n := range handled {
			if n != 1 {
				t.Errorf("%s handled %d times", id, n)
			}
		}
		wantEqual(t, "queue drained", chk(t, e.rdb.Exists(ctx, key)).Val(), int64(0))
	})
}

// TestSeed001DelayQueueNotBeforeDue: a task scheduled in the future is not
// returned by the due-time query until its time has come.
func TestSeed001DelayQueueNotBeforeDue(t *testing.T) {
	t.Parallel()
	forEachProtocol(t, func(t *testing.T, e *seedEnv) {
		now := int64(1_700_000_000_000)
		chk(t, e.rdb.ZAdd(ctx, "dq", redis.Z{Score: float64(now + 5000), Member: "later"},
			redis.Z{Score: float64(now - 1), Member: "overdue"}, redis.Z{Score: float64(now), Member: "due-now"}))
		query := func(at int64) []string {
			return chk(t, e.rdb.ZRangeByScore(ctx, "dq", &redis.ZRangeBy{
				Min: "0", Max: strconv.FormatInt(at, 10), Offset: 0, Count: 1})).Val()
		}
		wantEqual(t, "earliest first", fmt.Sprint(query(now)), "[overdue]")
		chk(t, e.rdb.ZRem(ctx, "dq", "overdue"))
		wantEqual(t, "due exactly now", fmt.Sprint(query(now)), "[due-now]")
		chk(t, e.rdb.ZRem(ctx, "dq", "due-now"))
		wantEqual(t, "nothing due", fmt.Sprint(query(now+4999)), "[]")
		wantEqual(t, "due at its time", fmt.Sprint(query(now+5000)), "[later]")
		withScores := chk(t, e.rdb.ZRangeByScoreWithScores(ctx, "dq", &redis.ZRangeBy{
			Min: "0", Max: "+inf", Offset: 0, Count: 1})).Val()
		wantEqual(t, "WITHSCORES LIMIT 0 1", withScores[0].Score, float64(now+5000))
	})
}

// TestSeed001DelayQueueLua: the seed's Lua script claims the earliest due
// task atomically (ZRANGEBYSCORE ... LIMIT 0 1 then ZREM on the server).
func TestSeed001DelayQueueLua(t *testing.T) {
	t.Parallel()
	forEachProtocol(t, func(t *testing.T, e *seedEnv) {
		if !hasScripting(t, e) {
			t.Skip("no scripting: EVAL is not implemented")
		}
		const script = `local resultArray = redis.call('zrangebyscore', KEYS[1], 0, ARGV[1], 'limit' , 0, 1)
if #resultArray > 0 then
    if redis.call('zrem', KEYS[1], resultArray[1]) > 0 then
        return resultArray[1]
    else
        return ''
    end
else
    return ''
end`
		now := int64(1_700_000_000_000)
		for i := 0; i < 50; i++ {
			chk(t, e.rdb.ZAdd(ctx, "delay_queue", redis.Z{Score: float64(now - int64(i)), Member: fmt.Sprint("t", i)}))
		}
		chk(t, e.rdb.ZAdd(ctx, "delay_queue", redis.Z{Score: float64(now + 1000), Member: "future"}))
		var wg sync.WaitGroup
		var mu sync.Mutex
		got := map[string]int{}
		for c := 0; c < 8; c++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					v, err := e.rdb.Eval(ctx, script, []string{"delay_queue"}, now).Text()
					if err != nil {
						t.Error(err)
						return
					}
					if v == "" {
						return
					}
					mu.Lock()
					got[v]++
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		wantEqual(t, "claimed", len(got), 50)
		for id, n := range got {
			if n != 1 {
				t.Errorf("%s claimed %d times", id, n)
			}
		}
		wantEqual(t, "the future task stays", fmt.Sprint(chk(t, e.rdb.ZRange(ctx, "delay_queue", 0, -1)).Val()), "[future]")
	})
}
