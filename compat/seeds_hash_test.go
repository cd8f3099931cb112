package compat

// The hash patterns of the seed articles (shared/seeds/), run through
// go-redis v9 in RESP2 and RESP3.

import (
	"fmt"
	"math"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// ---------------------------------------------------------------------------
// Seed 000 (ioredis), "1. Redisの基本データ型 / Hash — オブジェクトの格納".

func TestSeed000HashObject(t *testing.T) {
	t.Parallel()
	forEachProtocol(t, func(t *testing.T, e *seedEnv) {
		r := e.rdb
		createdAt := strconv.FormatInt(time.Now().UnixMilli(), 10)
		// redis.hset('user:1', { name, email, role, createdAt })
		user := map[string]any{"name": "Alice", "email": "alice@example.com", "role": "admin", "createdAt": createdAt}
		wantEqual(t, "HSET object", chk(t, r.HSet(ctx, "user:1", user)).Val(), int64(4))
		wantEqual(t, "HGET name", chk(t, r.HGet(ctx, "user:1", "name")).Val(), "Alice")

		got := chk(t, r.HGetAll(ctx, "user:1")).Val()
		want := map[string]string{"name": "Alice", "email": "alice@example.com", "role": "admin", "createdAt": createdAt}
		wantEqual(t, "HGETALL", fmt.Sprint(got), fmt.Sprint(want))

		// hsetnx('user:1', 'loginCount', '0'); hincrby('user:1', 'loginCount', 1)
		wantEqual(t, "HSETNX loginCount", chk(t, r.HSetNX(ctx, "user:1", "loginCount", "0")).Val(), true)
		wantEqual(t, "HSETNX again", chk(t, r.HSetNX(ctx, "user:1", "loginCount", "0")).Val(), false)
		wantEqual(t, "HINCRBY loginCount", chk(t, r.HIncrBy(ctx, "user:1", "loginCount", 1)).Val(), int64(1))
		wantEqual(t, "HINCRBY again", chk(t, r.HIncrBy(ctx, "user:1", "loginCount", 1)).Val(), int64(2))
		wantEqual(t, "HLEN", chk(t, r.HLen(ctx, "user:1")).Val(), int64(5))
		wantEqual(t, "TYPE", chk(t, r.Type(ctx, "user:1")).Val(), "hash")
	})
}

// Seed 000, "10. パイプラインとトランザクション": batchGetUsers pipelines one
// HGETALL per user; a missing user is an empty hash.
func TestSeed000BatchGetUsers(t *testing.T) {
	t.Parallel()
	forEachProtocol(t, func(t *testing.T, e *seedEnv) {
		r := e.rdb
		for _, id := range []string{"1", "2"} {
			chk(t, r.HSet(ctx, "user:"+id, "name", "user"+id, "id", id))
		}
		ids := []string{"1", "2", "3"}
		cmds := make([]*redis.MapStringStringCmd, len(ids))
		_, err := r.Pipelined(ctx, func(p redis.Pipeliner) error {
			for i, id := range ids {
				cmds[i] = p.HGetAll(ctx, "user:"+id)
			}
			return nil
		})
		if err != nil {
			t.Fatalf("pipeline: %v", err)
		}
		for i, id := range ids[:2] {
			wantEqual(t, "user "+id+" name", cmds[i].Val()["name"], "user"+id)
		}
		wantEqual(t, "missing user", len(cmds[2].Val()), 0)
	})
}

// Seed 000, "Token Bucket": the script keeps tokens and lastRefill in a
// hash (HMGET, HMSET, EXPIRE). Without scripting, the same steps run in a
// MULTI.
const tokenBucketScript = `
local key = KEYS[1]
local capacity = tonumber(ARGV[1])
local refillRate = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
local requested = tonumber(ARGV[4])

local data = redis.call('HMGET', key, 'tokens', 'lastRefill')
local tokens = tonumber(data[1]) or capacity
local lastRefill = tonumber(data[2]) or now

local elapsed = now - lastRefill
local newTokens = math.min(capacity, tokens + elapsed * refillRate)

if newTokens >= requested then
  redis.call('HMSET', key, 'tokens', newTokens - requested, 'lastRefill', now)
  redis.call('EXPIRE', key, math.ceil(capacity / refillRate) + 1)
  return {1, math.floor(newTokens - requested)}
else
  redis.call('HMSET', key, 'tokens', newTokens, 'lastRefill', now)
  redis.call('EXPIRE', key, math.ceil(capacity / refillRate) + 1)
  return {0, math.floor(newTokens)}
end
`

func TestSeed000TokenBucket(t *testing.T) {
	t.Parallel()
	forEachProtocol(t, func(t *testing.T, e *seedEnv) {
		const capacity, rate = 5.0, 1.0
		key := "ratelimit:tb:user:42"
		take := func(now float64) (allowed bool, remaining int64) {
			if hasScripting(t, e) {
				res, err := e.rdb.Eval(ctx, tokenBucketScript, []string{key}, capacity, rate, now, 1).Slice()
				if err != nil || len(res) != 2 {
					t.Fatalf("token bucket script: %v %v", res, err)
				}
				return res[0].(int64) == 1, res[1].(int64)
			}
			return tokenBucketWithoutScript(t, e.rdb, key, capacity, rate, now, 1)
		}
		t0 := 1700000000.0
		for i := 0; i < 5; i++ {
			if ok, left := take(t0); !ok || left != int64(4-i) {
				t.Fatalf("request %d: allowed=%v remaining=%d, want true, %d", i+1, ok, left, 4-i)
			}
		}
		if ok, _ := take(t0); ok {
			t.Fatal("a sixth request in the same second must be refused")
		}
		if ok, left := take(t0 + 2); !ok || left != 1 {
			t.Fatalf("after 2s: allowed=%v remaining=%d, want true, 1", ok, left)
		}
		wantTTL(t, key, chk(t, e.rdb.TTL(ctx, key)).Val(), 6*time.Second)
		vals := chk(t, e.rdb.HMGet(ctx, key, "tokens", "lastRefill")).Val()
		wantEqual(t, "tokens", vals[0], any("1"))
		wantEqual(t, "lastRefill", vals[1], any("1700000002"))
	})
}

// tokenBucketWithoutScript runs the script's steps with go-redis: HMGET,
// then HMSET and EXPIRE in a transaction. Numbers are written as Lua
// writes them to Redis ("%.14g").
func tokenBucketWithoutScript(t *testing.T, r *redis.Client, key string, capacity, rate, now, requested float64) (bool, int64) {
	vals := chk(t, r.HMGet(ctx, key, "tokens", "lastRefill")).Val()
	num := func(v any, def float64) float64 {
		if s, ok := v.(string); ok {
			if f, err := strconv.ParseFloat(s, 64); err == nil {
				return f
			}
		}
		return def
	}
	tokens, last := num(vals[0], capacity), num(vals[1], now)
	newTokens := math.Min(capacity, tokens+(now-last)*rate)
	allowed := newTokens >= requested
	if allowed {
		newTokens -= requested
	}
	lua := func(f float64) string { return strconv.FormatFloat(f, 'g', 14, 64) }
	_, err := r.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.HMSet(ctx, key, "tokens", lua(newTokens), "lastRefill", lua(now))
		p.Expire(ctx, key, time.Duration(math.Ceil(capacity/rate)+1)*time.Second)
		return nil
	})
	if err != nil {
		t.Fatalf("token bucket transaction: %v", err)
	}
	return allowed, int64(math.Floor(newTokens))
}

// ---------------------------------------------------------------------------
// Seed 002 (redis-py), user profiles: hmset(key, profile_data) and
// hgetall(key).

func TestSeed002UserProfile(t *testing.T) {
	t.Parallel()
	forEachProtocol(t, func(t *testing.T, e *seedEnv) {
		r := e.rdb
		key := "user:123:profile"
		profile := map[string]any{"name": "Jane Doe", "email": "jane@example.com", "age": "28", "location": "Tokyo"}
		wantEqual(t, "HMSET", chk(t, r.HMSet(ctx, key, profile)).Val(), true)
		got := chk(t, r.HGetAll(ctx, key)).Val()
		want := map[string]string{"name": "Jane Doe", "email": "jane@example.com", "age": "28", "location": "Tokyo"}
		wantEqual(t, "HGETALL profile", fmt.Sprint(got), fmt.Sprint(want))
		// update_user_profile again with one field changed and one added.
		chk(t, r.HMSet(ctx, key, map[string]any{"location": "Osaka", "plan": "pro"}))
		got = chk(t, r.HGetAll(ctx, key)).Val()
		wantEqual(t, "location", got["location"], "Osaka")
		wantEqual(t, "fields", len(got), 5)
		wantEqual(t, "missing profile", len(chk(t, r.HGetAll(ctx, "user:999:profile")).Val()), 0)
	})
}

// Seed 002, SessionManager: create_session (HSET + EXPIRE 24h),
// get_session (HGETALL, then HSET last_accessed + EXPIRE), and
// invalidate_session (DEL).
func TestSeed002SessionManager(t *testing.T) {
	t.Parallel()
	forEachProtocol(t, func(t *testing.T, e *seedEnv) {
		r := e.rdb
		const day = 24 * time.Hour
		sessionID := "k3yT0k3nUrlSafe_abcdefghijklmnopqrstuvwx"
		key := "session:" + sessionID
		created := "2026-11-23T10:00:00.000000"
		chk(t, r.HSet(ctx, key, map[string]any{"user_id": 12345, "created_at": created, "last_accessed": created}))
		wantEqual(t, "EXPIRE", chk(t, r.Expire(ctx, key, day)).Val(), true)

		getSession := func(now string) map[string]string {
			data := chk(t, r.HGetAll(ctx, key)).Val()
			if len(data) == 0 {
				return nil
			}
			chk(t, r.HSet(ctx, key, "last_accessed", now))
			chk(t, r.Expire(ctx, key, day))
			return data
		}

		e.tg.fastForward(23 * time.Hour)
		s := getSession("2026-11-24T09:00:00.000000")
		if s == nil || s["user_id"] != "12345" || s["last_accessed"] != created {
			t.Fatalf("get_session after 23h = %v", s)
		}
		wantTTL(t, key, chk(t, r.TTL(ctx, key)).Val(), day)
		wantEqual(t, "last_accessed", chk(t, r.HGet(ctx, key, "last_accessed")).Val(), "2026-11-24T09:00:00.000000")

		// Sliding expiry: 23 more hours is within the renewed day.
		e.tg.fastForward(23 * time.Hour)
		if getSession("2026-11-25T08:00:00.000000") == nil {
			t.Fatal("session expired despite being renewed")
		}
		wantEqual(t, "invalidate", chk(t, r.Del(ctx, key)).Val(), int64(1))
		if getSession("later") != nil {
			t.Fatal("an invalidated session must be gone")
		}
		wantEqual(t, "invalidate again", chk(t, r.Del(ctx, key)).Val(), int64(0))

		// A session left alone expires after its day.
		chk(t, r.HSet(ctx, "session:idle", "user_id", "7"))
		chk(t, r.Expire(ctx, "session:idle", day))
		e.tg.fastForward(day + time.Second)
		wantEqual(t, "idle session", len(chk(t, r.HGetAll(ctx, "session:idle")).Val()), 0)
	})
}
