package compat

// The stream patterns of the seed articles (shared/seeds/), through
// go-redis v9 in RESP2 and RESP3: seed 000's order events (a message log
// read from the start, a consumer group whose two workers share the load
// and acknowledge, and a crashed worker's messages taken over), and seed
// 003's chat fan-out (a writer capping room streams with MAXLEN ~, readers
// blocked on several rooms each receiving every message of theirs in
// order).

import (
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// ---------------------------------------------------------------------------
// Seed 000 (ioredis), "Stream — 永続的なメッセージログ".

func TestSeed000StreamOrderEvents(t *testing.T) {
	t.Parallel()
	forEachProtocol(t, func(t *testing.T, e *seedEnv) {
		r := e.rdb
		// const id = await redis.xadd('events:orders', '*', 'orderId', '1001', 'amount', '5000');
		id := chk(t, r.XAdd(ctx, &redis.XAddArgs{Stream: "events:orders", Values: []any{"orderId", "1001", "amount", "5000"}})).Val()
		if _, _, ok := parseSeedID(id); !ok {
			t.Fatalf("XADD * returned %q", id)
		}
		// const messages = await redis.xread('COUNT', 10, 'STREAMS', 'events:orders', '0');
		streams := chk(t, r.XRead(ctx, &redis.XReadArgs{Streams: []string{"events:orders", "0"}, Count: 10})).Val()
		if len(streams) != 1 || len(streams[0].Messages) != 1 || streams[0].Messages[0].ID != id {
			t.Fatalf("XREAD = %+v", streams)
		}
		wantEqual(t, "orderId", streams[0].Messages[0].Values["orderId"], any("1001"))
		wantEqual(t, "amount", streams[0].Messages[0].Values["amount"], any("5000"))
	})
}

func parseSeedID(id string) (ms, seq uint64, ok bool) {
	var a, b uint64
	if _, err := fmt.Sscanf(id, "%d-%d", &a, &b); err != nil {
		return 0, 0, false
	}
	return a, b, true
}

func TestSeed000StreamConsumerGroup(t *testing.T) {
	t.Parallel()
	forEachProtocol(t, func(t *testing.T, e *seedEnv) {
		r := e.rdb
		// await redis.xgroup('CREATE', 'events:orders', 'order-processors', '$', 'MKSTREAM');
		wantEqual(t, "XGROUP CREATE", chk(t, r.XGroupCreateMkStream(ctx, "events:orders", "order-processors", "$")).Val(), "OK")
		err := r.XGroupCreateMkStream(ctx, "events:orders", "order-processors", "$").Err()
		if err == nil || err.Error() != "BUSYGROUP Consumer Group name already exists" {
			t.Fatalf("second XGROUP CREATE: %v", err)
		}
		var ids []string
		for i := 0; i < 20; i++ {
			ids = append(ids, chk(t, r.XAdd(ctx, &redis.XAddArgs{Stream: "events:orders",
				Values: []any{"orderId", strconv.Itoa(1000 + i), "amount", "5000"}})).Val())
		}
		// Two workers read with COUNT 10 and '>': every message goes to
		// exactly one of them.
		seen := map[string]string{}
		for _, worker := range []string{"worker-1", "worker-2"} {
			res := chk(t, r.XReadGroup(ctx, &redis.XReadGroupArgs{Group: "order-processors", Consumer: worker,
				Streams: []string{"events:orders", ">"}, Count: 10, Block: -1}))
			for _, m := range res.Val()[0].Messages {
				if prev, dup := seen[m.ID]; dup {
					t.Fatalf("%s delivered to %s and %s", m.ID, prev, worker)
				}
				seen[m.ID] = worker
			}
		}
		wantEqual(t, "messages delivered", len(seen), 20)
		// Nothing left for a third read.
		if err := r.XReadGroup(ctx, &redis.XReadGroupArgs{Group: "order-processors", Consumer: "worker-1",
			Streams: []string{"events:orders", ">"}, Count: 10, Block: -1}).Err(); err != redis.Nil {
			t.Fatalf("third read: %v", err)
		}
		pending := chk(t, r.XPending(ctx, "events:orders", "order-processors")).Val()
		wantEqual(t, "pending", pending.Count, int64(20))
		wantEqual(t, "lower", pending.Lower, ids[0])
		wantEqual(t, "higher", pending.Higher, ids[19])
		wantEqual(t, "worker-1 pending", pending.Consumers["worker-1"], int64(10))
		wantEqual(t, "worker-2 pending", pending.Consumers["worker-2"], int64(10))
		// worker-1 processes and acknowledges its messages.
		var mine []string
		for id, w := range seen {
			if w == "worker-1" {
				mine = append(mine, id)
			}
		}
		wantEqual(t, "XACK", chk(t, r.XAck(ctx, "events:orders", "order-processors", mine...)).Val(), int64(10))
		wantEqual(t, "XACK again", chk(t, r.XAck(ctx, "events:orders", "order-processors", mine...)).Val(), int64(0))
		pending = chk(t, r.XPending(ctx, "events:orders", "order-processors")).Val()
		wantEqual(t, "pending after XACK", pending.Count, int64(10))
		wantEqual(t, "worker-1 gone from pending", pending.Consumers["worker-1"], int64(0))
	})
}

func TestSeed000StreamCrashedWorker(t *testing.T) {
	t.Parallel()
	forEachProtocol(t, func(t *testing.T, e *seedEnv) {
		r := e.rdb
		chk(t, r.XGroupCreateMkStream(ctx, "events:orders", "order-processors", "$"))
		for i := 0; i < 5; i++ {
			chk(t, r.XAdd(ctx, &redis.XAddArgs{Stream: "events:orders", ID: fmt.Sprintf("%d-1", i+1),
				Values: []any{"orderId", strconv.Itoa(i)}}))
		}
		// worker-1 takes everything, then crashes before acknowledging.
		got := chk(t, r.XReadGroup(ctx, &redis.XReadGroupArgs{Group: "order-processors", Consumer: "worker-1",
			Streams: []string{"events:orders", ">"}, Count: 10, Block: -1})).Val()
		wantEqual(t, "worker-1 read", len(got[0].Messages), 5)
		// Too early: nothing has been idle for a minute.
		msgs, start := chk(t, r.XAutoClaim(ctx, &redis.XAutoClaimArgs{Stream: "events:orders", Group: "order-processors",
			Consumer: "worker-2", MinIdle: time.Minute, Start: "0-0", Count: 10})).Val()
		wantEqual(t, "claimed too early", len(msgs), 0)
		wantEqual(t, "cursor", start, "0-0")
		e.tg.fastForward(2 * time.Minute)
		// The list of what is stuck, with idle times and delivery counts.
		ext := chk(t, r.XPendingExt(ctx, &redis.XPendingExtArgs{Stream: "events:orders", Group: "order-processors",
			Idle: time.Minute, Start: "-", End: "+", Count: 10})).Val()
		wantEqual(t, "stuck", len(ext), 5)
		wantEqual(t, "owner", ext[0].Consumer, "worker-1")
		wantEqual(t, "deliveries", ext[0].RetryCount, int64(1))
		// worker-2 takes two over with XAUTOCLAIM, then the rest from the
		// cursor it was given.
		msgs, start = chk(t, r.XAutoClaim(ctx, &redis.XAutoClaimArgs{Stream: "events:orders", Group: "order-processors",
			Consumer: "worker-2", MinIdle: time.Minute, Start: "0-0", Count: 2})).Val()
		wantEqual(t, "first batch", len(msgs), 2)
		wantEqual(t, "first claimed", msgs[0].ID, "1-1")
		wantEqual(t, "cursor", start, "3-1")
		ids, start := chk(t, r.XAutoClaimJustID(ctx, &redis.XAutoClaimArgs{Stream: "events:orders",
			Group: "order-processors", Consumer: "worker-2", MinIdle: time.Minute, Start: start, Count: 10})).Val()
		wantEqual(t, "second batch", fmt.Sprint(ids), "[3-1 4-1 5-1]")
		wantEqual(t, "end of the PEL", start, "0-0")
		// XCLAIM moves one back explicitly, counting a delivery.
		claimed := chk(t, r.XClaim(ctx, &redis.XClaimArgs{Stream: "events:orders", Group: "order-processors",
			Consumer: "worker-3", MinIdle: 0, Messages: []string{"1-1"}})).Val()
		wantEqual(t, "XCLAIM", len(claimed), 1)
		ext = chk(t, r.XPendingExt(ctx, &redis.XPendingExtArgs{Stream: "events:orders", Group: "order-processors",
			Start: "-", End: "+", Count: 10})).Val()
		wantEqual(t, "1-1 owner", ext[0].Consumer, "worker-3")
		wantEqual(t, "1-1 deliveries", ext[0].RetryCount, int64(3))
		wantEqual(t, "2-1 owner", ext[1].Consumer, "worker-2")
		// Nothing was lost: acknowledging everything empties the PEL.
		chk(t, r.XAck(ctx, "events:orders", "order-processors", "1-1", "2-1", "3-1", "4-1", "5-1"))
		wantEqual(t, "pending at the end", chk(t, r.XPending(ctx, "events:orders", "order-processors")).Val().Count, int64(0))
		consumers := chk(t, r.XInfoConsumers(ctx, "events:orders", "order-processors")).Val()
		wantEqual(t, "consumers", len(consumers), 3)
	})
}

// ---------------------------------------------------------------------------
// Seed 003, "Redis Pub/Sub から Streams への移行": chat rooms as capped
// streams, readers blocked on several rooms at once.

func TestSeed003ChatFanOut(t *testing.T) {
	t.Parallel()
	forEachProtocol(t, func(t *testing.T, e *seedEnv) {
		rooms := []string{"room:1", "room:2", "room:3"}
		const perRoom = 30
		const readers = 6
		// Reader i follows rooms i%3 and (i+1)%3, from "$".
		results := make([]followResult, readers)
		var wg sync.WaitGroup
		for i := 0; i < readers; i++ {
			follow := []string{rooms[i%3], rooms[(i+1)%3]}
			rd := redis.NewClient(&redis.Options{Addr: e.tg.addr, Protocol: e.proto, ReadTimeout: -1})
			t.Cleanup(func() { _ = rd.Close() })
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				results[i] = followRooms(rd, follow, 2*perRoom)
			}(i)
		}
		waitForBlocked(t, e, readers)
		for n := 0; n < perRoom; n++ {
			for _, room := range rooms {
				chk(t, e.rdb.XAdd(ctx, &redis.XAddArgs{Stream: room, MaxLen: 1000, Approx: true,
					Values: []any{"from", "user", "text", fmt.Sprintf("%s #%d", room, n)}}))
			}
		}
		wg.Wait()
		for i, res := range results {
			if res.err != nil {
				t.Fatalf("reader %d: %v", i, res.err)
			}
			for _, room := range []string{rooms[i%3], rooms[(i+1)%3]} {
				texts := res.got[room]
				if len(texts) != perRoom {
					t.Fatalf("reader %d got %d messages of %s", i, len(texts), room)
				}
				for n, text := range texts {
					wantEqual(t, "message order", text, fmt.Sprintf("%s #%d", room, n))
				}
			}
		}
		// MAXLEN ~ keeps at least what was asked for.
		for _, room := range rooms {
			if n := chk(t, e.rdb.XLen(ctx, room)).Val(); n != perRoom {
				t.Fatalf("%s holds %d entries", room, n)
			}
		}
	})
}

// followResult is what one chat reader received, per room.
type followResult struct {
	got map[string][]string
	err error
}

// followRooms reads with XREAD BLOCK from several streams, starting at $
// and going on from the last ID received in each, until want messages.
func followRooms(rd *redis.Client, rooms []string, want int) followResult {
	last := map[string]string{}
	for _, room := range rooms {
		last[room] = "$"
	}
	got := map[string][]string{}
	total := 0
	for total < want {
		args := append([]string(nil), rooms...)
		for _, room := range rooms {
			args = append(args, last[room])
		}
		streams, err := rd.XRead(ctx, &redis.XReadArgs{Streams: args, Block: 0}).Result()
		if err != nil {
			return followResult{err: err}
		}
		for _, s := range streams {
			for _, m := range s.Messages {
				got[s.Stream] = append(got[s.Stream], m.Values["text"].(string))
				last[s.Stream] = m.ID
				total++
			}
		}
		// $ meant "after what the room held when I blocked": the rooms were
		// empty then, so a room not read yet is read from the start, or its
		// first messages written meanwhile would be skipped.
		for room, id := range last {
			if id == "$" {
				last[room] = "0-0"
			}
		}
	}
	return followResult{got: got}
}

// TestSeed003ChatTrimming checks the capped history: MAXLEN ~ never keeps
// fewer entries than asked, exact MAXLEN keeps exactly that many, and a
// reader joining late reads the recent history with XREVRANGE.
func TestSeed003ChatTrimming(t *testing.T) {
	t.Parallel()
	forEachProtocol(t, func(t *testing.T, e *seedEnv) {
		r := e.rdb
		for n := 0; n < 1000; n++ {
			chk(t, r.XAdd(ctx, &redis.XAddArgs{Stream: "room:big", MaxLen: 300, Approx: true, Values: []any{"n", n}}))
			chk(t, r.XAdd(ctx, &redis.XAddArgs{Stream: "room:exact", MaxLen: 300, Values: []any{"n", n}}))
		}
		if n := chk(t, r.XLen(ctx, "room:big")).Val(); n < 300 || n > 400 {
			t.Fatalf("MAXLEN ~ 300 kept %d entries", n)
		}
		wantEqual(t, "exact", chk(t, r.XLen(ctx, "room:exact")).Val(), int64(300))
		recent := chk(t, r.XRevRangeN(ctx, "room:exact", "+", "-", 20)).Val()
		wantEqual(t, "recent", len(recent), 20)
		wantEqual(t, "newest", recent[0].Values["n"], any("999"))
		wantEqual(t, "oldest of the page", recent[19].Values["n"], any("980"))
	})
}
