package compat

import (
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// The seeds' Lua patterns in the forms the other seed files do not cover:
// the unique visit counter loaded once with SCRIPT LOAD and run by
// EVALSHA, and the token bucket holding its rate under concurrency.

func TestSeed000UniqueVisitCounterEvalSHA(t *testing.T) {
	t.Parallel()
	forEachProtocol(t, func(t *testing.T, e *seedEnv) {
		if !hasScripting(t, e) {
			t.Skip("EVAL not available")
		}
		sha := chk(t, e.rdb.ScriptLoad(ctx, uniqueCounterScript)).Val()
		if exists := chk(t, e.rdb.ScriptExists(ctx, sha)).Val(); len(exists) != 1 || !exists[0] {
			t.Fatalf("SCRIPT EXISTS %s = %v, want [true]", sha, exists)
		}
		visit := func(visitor string) string {
			res := chk(t, e.rdb.EvalSha(ctx, sha, []string{"unique:home"}, visitor, 86400)).Val()
			return fmt.Sprint(res)
		}
		wantEqual(t, "first visit", visit("v1"), "[1 1]")
		wantEqual(t, "second visitor", visit("v2"), "[1 2]")
		wantEqual(t, "repeat visit", visit("v1"), "[0 2]")
		wantTTL(t, "unique:home", chk(t, e.rdb.TTL(ctx, "unique:home")).Val(), 24*time.Hour)

		chk(t, e.rdb.ScriptFlush(ctx))
		err := e.rdb.EvalSha(ctx, sha, []string{"unique:home"}, "v3", 86400).Err()
		if err == nil || err.Error() != "NOSCRIPT No matching script. Please use EVAL." {
			t.Fatalf("EVALSHA after SCRIPT FLUSH: %v, want NOSCRIPT", err)
		}
	})
}

// TestSeed000TokenBucketConcurrent: 50 clients ask for a token at the same
// instant from a bucket of 5; exactly 5 get one. A second later one more
// token has been refilled.
func TestSeed000TokenBucketConcurrent(t *testing.T) {
	t.Parallel()
	forEachProtocol(t, func(t *testing.T, e *seedEnv) {
		if !hasScripting(t, e) {
			t.Skip("EVAL not available")
		}
		const capacity, rate, users = 5, 1, 50
		key := "ratelimit:tb:shared"
		now := 1700000000
		take := func(at int) bool {
			res, err := e.rdb.Eval(ctx, tokenBucketScript, []string{key}, capacity, rate, at, 1).Slice()
			if err != nil || len(res) != 2 {
				t.Errorf("token bucket script: %v %v", res, err)
				return false
			}
			return res[0].(int64) == 1
		}
		var allowed atomic.Int64
		var wg sync.WaitGroup
		for i := 0; i < users; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if take(now) {
					allowed.Add(1)
				}
			}()
		}
		wg.Wait()
		wantEqual(t, "allowed at one instant", allowed.Load(), int64(capacity))
		wantEqual(t, "a second later", take(now+1), true)
		wantEqual(t, "then empty again", take(now+1), false)
		wantEqual(t, "lastRefill", chk(t, e.rdb.HGet(ctx, key, "lastRefill")).Val(), strconv.Itoa(now+1))
	})
}
