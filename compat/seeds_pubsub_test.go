package compat

// The pub/sub and transaction patterns of the seed articles (shared/seeds/):
// chat rooms with a capped history, per-user notifications by pattern, the
// points transfer with WATCH/MULTI/EXEC (000, ioredis), and fan-out to many
// subscribers and sharded pub/sub (003), through go-redis v9 in RESP2 and
// RESP3.

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

type chatMessage struct {
	RoomID    string `json:"roomId"`
	UserID    string `json:"userId"`
	Content   string `json:"content"`
	Timestamp int64  `json:"timestamp"`
}

// publishChatMessage is the seed's publishChatMessage: PUBLISH, then the
// history list capped at 200. It returns PUBLISH's receiver count.
func publishChatMessage(t testing.TB, rdb *redis.Client, m chatMessage) int64 {
	data, _ := json.Marshal(m)
	n := chk(t, rdb.Publish(ctx, "chat:room:"+m.RoomID, data)).Val()
	chk(t, rdb.LPush(ctx, "history:room:"+m.RoomID, data))
	chk(t, rdb.LTrim(ctx, "history:room:"+m.RoomID, 0, 199))
	return n
}

// nextMessage waits for one pushed message.
func nextMessage(t testing.TB, ch <-chan *redis.Message) *redis.Message {
	t.Helper()
	select {
	case m := <-ch:
		return m
	case <-time.After(20 * time.Second):
		t.Fatal("no message arrived")
		return nil
	}
}

func subscriberClient(t *testing.T, e *seedEnv) *redis.Client {
	r := redis.NewClient(&redis.Options{Addr: e.tg.addr, Protocol: e.proto})
	t.Cleanup(func() { _ = r.Close() })
	return r
}

// ---------------------------------------------------------------------------
// Seed 000, "Pub/Sub — リアルタイム通知".

func TestSeed000ChatRooms(t *testing.T) {
	t.Parallel()
	forEachProtocol(t, func(t *testing.T, e *seedEnv) {
		sub := subscriberClient(t, e).Subscribe(ctx, "chat:room:a", "chat:room:b")
		defer sub.Close()
		if _, err := sub.Receive(ctx); err != nil { // the first confirmation
			t.Fatal(err)
		}
		if _, err := sub.Receive(ctx); err != nil {
			t.Fatal(err)
		}
		msgs := sub.Channel()
		for i := 0; i < 250; i++ {
			room := []string{"a", "b", "c"}[i%3]
			n := publishChatMessage(t, e.rdb, chatMessage{RoomID: room, UserID: "u" + strconv.Itoa(i), Content: fmt.Sprint("hello ", i), Timestamp: int64(i)})
			want := int64(1)
			if room == "c" {
				want = 0
			}
			wantEqual(t, "receivers of room "+room, n, want)
		}
		// Every message of rooms a and b arrives, in publishing order.
		next := map[string]int{"chat:room:a": 0, "chat:room:b": 1}
		for i := 0; i < 167; i++ {
			m := nextMessage(t, msgs)
			var cm chatMessage
			if err := json.Unmarshal([]byte(m.Payload), &cm); err != nil {
				t.Fatal(err)
			}
			wantEqual(t, "message order in "+m.Channel, cm.Timestamp, int64(next[m.Channel]))
			next[m.Channel] += 3
		}
		// The history keeps the newest 200 of each room.
		wantEqual(t, "history of a", chk(t, e.rdb.LLen(ctx, "history:room:a")).Val(), int64(84))
		for i := 250; i < 700; i++ {
			publishChatMessage(t, e.rdb, chatMessage{RoomID: "a", Timestamp: int64(i)})
			nextMessage(t, msgs)
		}
		wantEqual(t, "history capped", chk(t, e.rdb.LLen(ctx, "history:room:a")).Val(), int64(200))
		var newest chatMessage
		_ = json.Unmarshal([]byte(chk(t, e.rdb.LIndex(ctx, "history:room:a", 0)).Val()), &newest)
		wantEqual(t, "newest first", newest.Timestamp, int64(699))
		// Leaving room a: PUBLISH there reaches nobody, room b still works.
		if err := sub.Unsubscribe(ctx, "chat:room:a"); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(20 * time.Second)
		for chk(t, e.rdb.PubSubNumSub(ctx, "chat:room:a")).Val()["chat:room:a"] != 0 {
			if time.Now().After(deadline) {
				t.Fatal("UNSUBSCRIBE never took effect")
			}
			time.Sleep(time.Millisecond)
		}
		wantEqual(t, "after leaving", publishChatMessage(t, e.rdb, chatMessage{RoomID: "a"}), int64(0))
		wantEqual(t, "the other room", publishChatMessage(t, e.rdb, chatMessage{RoomID: "b", Timestamp: 1000}), int64(1))
		wantEqual(t, "its message", nextMessage(t, msgs).Channel, "chat:room:b")
	})
}

func TestSeed000UserNotificationsByPattern(t *testing.T) {
	t.Parallel()
	forEachProtocol(t, func(t *testing.T, e *seedEnv) {
		sub := subscriberClient(t, e).PSubscribe(ctx, "notify:user:42:*")
		defer sub.Close()
		if _, err := sub.Receive(ctx); err != nil {
			t.Fatal(err)
		}
		msgs := sub.Channel()
		payload := func(kind string) string { b, _ := json.Marshal(map[string]string{"type": kind}); return string(b) }
		wantEqual(t, "order", chk(t, e.rdb.Publish(ctx, "notify:user:42:order", payload("order"))).Val(), int64(1))
		wantEqual(t, "someone else's", chk(t, e.rdb.Publish(ctx, "notify:user:7:order", payload("order"))).Val(), int64(0))
		wantEqual(t, "like", chk(t, e.rdb.Publish(ctx, "notify:user:42:like", payload("like"))).Val(), int64(1))
		for _, want := range []string{"notify:user:42:order", "notify:user:42:like"} {
			m := nextMessage(t, msgs)
			wantEqual(t, "pattern", m.Pattern, "notify:user:42:*")
			wantEqual(t, "channel", m.Channel, want)
		}
		if err := sub.PUnsubscribe(ctx, "notify:user:42:*"); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(20 * time.Second)
		for chk(t, e.rdb.PubSubNumPat(ctx)).Val() != 0 {
			if time.Now().After(deadline) {
				t.Fatal("PUNSUBSCRIBE never took effect")
			}
			time.Sleep(time.Millisecond)
		}
		wantEqual(t, "after PUNSUBSCRIBE", chk(t, e.rdb.Publish(ctx, "notify:user:42:order", "x")).Val(), int64(0))
	})
}

// ---------------------------------------------------------------------------
// Seed 000, "MULTI/EXEC — アトミックトランザクション": transferPoints.

var errInsufficientPoints = errors.New("insufficient points")

// transferPoints is the seed's function: WATCH the source, check its
// balance, then DECRBY / INCRBY / LPUSH in MULTI; false when EXEC aborted.
func transferPoints(rdb *redis.Client, from, to string, amount int64) (bool, error) {
	fromKey, toKey := "points:"+from, "points:"+to
	committed := false
	err := rdb.Watch(ctx, func(tx *redis.Tx) error {
		balance, err := tx.Get(ctx, fromKey).Int64()
		if err != nil && err != redis.Nil {
			return err
		}
		if balance < amount {
			return errInsufficientPoints
		}
		entry, _ := json.Marshal(map[string]any{"from": from, "to": to, "amount": amount})
		_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.DecrBy(ctx, fromKey, amount)
			p.IncrBy(ctx, toKey, amount)
			p.LPush(ctx, "transfer:log", entry)
			return nil
		})
		if err == nil {
			committed = true
		}
		return err
	}, fromKey)
	if err == redis.TxFailedErr {
		return false, nil
	}
	return committed, err
}

func TestSeed000TransferPoints(t *testing.T) {
	t.Parallel()
	forEachProtocol(t, func(t *testing.T, e *seedEnv) {
		const users, initial = 5, 1000
		for u := 0; u < users; u++ {
			chk(t, e.rdb.Set(ctx, fmt.Sprint("points:u", u), initial, 0))
		}
		ok, err := transferPoints(e.rdb, "u0", "u1", initial+1)
		if err != errInsufficientPoints || ok {
			t.Fatalf("overdraft: %v %v", ok, err)
		}
		var committed, aborted atomic.Int64
		var wg sync.WaitGroup
		for g := 0; g < 8; g++ {
			wg.Add(1)
			go func(g int) {
				defer wg.Done()
				r := rand.New(rand.NewPCG(uint64(g), 9))
				for i := 0; i < 60; i++ {
					from, to := r.IntN(users), r.IntN(users)
					for to == from {
						to = r.IntN(users)
					}
					for { // a conflicting transfer retries
						ok, err := transferPoints(e.rdb, fmt.Sprint("u", from), fmt.Sprint("u", to), int64(1+r.IntN(50)))
						if err == errInsufficientPoints {
							break
						}
						if err != nil {
							t.Error(err)
							return
						}
						if ok {
							committed.Add(1)
							break
						}
						aborted.Add(1)
					}
				}
			}(g)
		}
		wg.Wait()
		total := int64(0)
		for u := 0; u < users; u++ {
			b := chk(t, e.rdb.Get(ctx, fmt.Sprint("points:u", u))).Val()
			n, _ := strconv.ParseInt(b, 10, 64)
			if n < 0 {
				t.Errorf("u%d went negative: %d", u, n)
			}
			total += n
		}
		wantEqual(t, "total points", total, int64(users*initial))
		wantEqual(t, "log entries", chk(t, e.rdb.LLen(ctx, "transfer:log")).Val(), committed.Load())
		t.Logf("%d transfers committed, %d aborted by a concurrent change and retried", committed.Load(), aborted.Load())
	})
}

// ---------------------------------------------------------------------------
// Seed 003, Pub/Sub fan-out and sharded pub/sub (the chat delivery article).

func TestSeed003PubSubFanOut(t *testing.T) {
	t.Parallel()
	forEachProtocol(t, func(t *testing.T, e *seedEnv) {
		const subscribers, messages = 40, 200
		var chans []<-chan *redis.Message
		for i := 0; i < subscribers; i++ {
			sub := subscriberClient(t, e).Subscribe(ctx, "oa:chat")
			t.Cleanup(func() { _ = sub.Close() })
			if _, err := sub.Receive(ctx); err != nil {
				t.Fatal(err)
			}
			chans = append(chans, sub.Channel(redis.WithChannelSize(messages)))
		}
		for i := 0; i < messages; i++ {
			wantEqual(t, "receivers", chk(t, e.rdb.Publish(ctx, "oa:chat", strconv.Itoa(i))).Val(), int64(subscribers))
		}
		for s, ch := range chans {
			for i := 0; i < messages; i++ {
				if m := nextMessage(t, ch); m.Payload != strconv.Itoa(i) {
					t.Fatalf("subscriber %d got %q, want %d", s, m.Payload, i)
				}
			}
		}
	})
}

func TestSeed003ShardedPubSub(t *testing.T) {
	t.Parallel()
	forEachProtocol(t, func(t *testing.T, e *seedEnv) {
		sub := subscriberClient(t, e).SSubscribe(ctx, "oa:{42}:chat")
		defer sub.Close()
		if _, err := sub.Receive(ctx); err != nil {
			t.Fatal(err)
		}
		msgs := sub.Channel()
		wantEqual(t, "SPUBLISH receivers", chk(t, e.rdb.SPublish(ctx, "oa:{42}:chat", "hi")).Val(), int64(1))
		wantEqual(t, "plain PUBLISH does not reach a shard channel",
			chk(t, e.rdb.Publish(ctx, "oa:{42}:chat", "x")).Val(), int64(0))
		m := nextMessage(t, msgs)
		wantEqual(t, "channel", m.Channel, "oa:{42}:chat")
		wantEqual(t, "payload", m.Payload, "hi")
		wantEqual(t, "PUBSUB SHARDNUMSUB", chk(t, e.rdb.PubSubShardNumSub(ctx, "oa:{42}:chat")).Val()["oa:{42}:chat"], int64(1))
		if err := sub.SUnsubscribe(ctx, "oa:{42}:chat"); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(20 * time.Second)
		for len(chk(t, e.rdb.PubSubShardChannels(ctx, "*")).Val()) != 0 {
			if time.Now().After(deadline) {
				t.Fatal("SUNSUBSCRIBE never took effect")
			}
			time.Sleep(time.Millisecond)
		}
		wantEqual(t, "after SUNSUBSCRIBE", chk(t, e.rdb.SPublish(ctx, "oa:{42}:chat", "x")).Val(), int64(0))
	})
}
