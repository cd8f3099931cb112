package pubsub

import (
	"fmt"
	"sort"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

type delivery struct {
	sub, pattern string
	byPattern    bool
}

func publish(h *Hub[string], kind Kind, channel string) (int, []delivery) {
	var got []delivery
	n := h.Publish(kind, []byte(channel), func(s, p string, byPattern bool) {
		got = append(got, delivery{s, p, byPattern})
	})
	return n, got
}

func TestConfirmationCounts(t *testing.T) {
	h := NewHub[string]()
	require.Equal(t, 1, h.Subscribe("c", Channel, "a"))
	require.Equal(t, 1, h.Subscribe("c", Channel, "a"), "subscribing twice changes nothing")
	require.Equal(t, 2, h.Subscribe("c", Pattern, "a*"), "patterns count with channels")
	require.Equal(t, 1, h.Subscribe("c", Shard, "s"), "shard channels count apart")
	require.Equal(t, 2, h.Unsubscribe("c", Channel, "nope"))
	require.Equal(t, 1, h.Unsubscribe("c", Channel, "a"))
	require.Equal(t, 0, h.Unsubscribe("c", Shard, "s"))
	require.Equal(t, 0, h.Unsubscribe("c", Pattern, "a*"))
	require.Equal(t, 0, h.Unsubscribe("other", Channel, "a"))
	require.True(t, h.Empty())
}

func TestPublishReceivers(t *testing.T) {
	h := NewHub[string]()
	h.Subscribe("x", Channel, "news")
	h.Subscribe("x", Pattern, "n*")
	h.Subscribe("y", Pattern, "n*")
	h.Subscribe("y", Pattern, "*s")
	h.Subscribe("z", Shard, "news")

	n, got := publish(h, Channel, "news")
	require.Equal(t, 4, n, "a channel and a matching pattern each count")
	require.Equal(t, delivery{"x", "", false}, got[0], "channel subscribers come first")
	sort.Slice(got[1:3], func(i, j int) bool { return got[1+i].sub < got[1+j].sub })
	require.Equal(t, []delivery{{"x", "n*", true}, {"y", "n*", true}, {"y", "*s", true}}, got[1:])

	n, got = publish(h, Shard, "news")
	require.Equal(t, 1, n, "shard channels ignore patterns")
	require.Equal(t, []delivery{{"z", "", false}}, got)

	n, _ = publish(h, Channel, "other")
	require.Zero(t, n)

	// The empty pattern matches the empty channel only.
	h.Subscribe("e", Pattern, "")
	n, got = publish(h, Channel, "")
	require.Equal(t, 1, n)
	require.Equal(t, []delivery{{"e", "", true}}, got)
}

func TestUnsubscribeAllInOrder(t *testing.T) {
	h := NewHub[string]()
	for _, ch := range []string{"c", "a", "b"} {
		h.Subscribe("s", Channel, ch)
	}
	h.Subscribe("s", Pattern, "p*")
	h.Unsubscribe("s", Channel, "a")
	h.Subscribe("s", Channel, "a")
	var got []string
	removed, count := h.UnsubscribeAll("s", Channel, func(name string, count int) {
		got = append(got, fmt.Sprintf("%s %d", name, count))
	})
	require.Equal(t, []string{"c 3", "b 2", "a 1"}, got)
	require.Equal(t, 3, removed)
	require.Equal(t, 1, count)

	removed, count = h.UnsubscribeAll("s", Channel, nil)
	require.Zero(t, removed)
	require.Equal(t, 1, count, "nothing left of the kind: the count is still the patterns'")
	removed, count = h.UnsubscribeAll("nobody", Shard, nil)
	require.Zero(t, removed+count)
}

func TestIntrospection(t *testing.T) {
	h := NewHub[string]()
	h.Subscribe("x", Channel, "a")
	h.Subscribe("y", Channel, "a")
	h.Subscribe("y", Channel, "b")
	h.Subscribe("x", Pattern, "p*")
	h.Subscribe("y", Pattern, "p*")
	h.Subscribe("y", Shard, "s")

	require.ElementsMatch(t, []string{"a", "b"}, h.Names(Channel, "", false))
	require.Equal(t, []string{"b"}, h.Names(Channel, "b*", true))
	require.Empty(t, h.Names(Channel, "", true))
	require.Equal(t, []string{"s"}, h.Names(Shard, "", false))
	require.Equal(t, 2, h.NumSub(Channel, []byte("a")))
	require.Equal(t, 0, h.NumSub(Shard, []byte("a")))
	require.Equal(t, 1, h.Len(Pattern), "a pattern counts once however many subscribe")
	ch, pat, shard := h.Counts("y")
	require.Equal(t, [3]int{2, 1, 1}, [3]int{ch, pat, shard})

	// Dropping a subscriber forgets the names nobody else listens to.
	h.Drop("y")
	require.Equal(t, []string{"a"}, h.Names(Channel, "", false))
	require.Empty(t, h.Names(Shard, "", false))
	require.Equal(t, 1, h.Len(Pattern))
	h.Drop("x")
	require.True(t, h.Empty())
	require.Zero(t, h.Len(Pattern)+h.Len(Channel))
	require.Empty(t, h.patterns)
	require.Empty(t, h.subs)
}

// TestConcurrentUse runs subscribers and publishers together under -race.
func TestConcurrentUse(t *testing.T) {
	h := NewHub[int]()
	var wg sync.WaitGroup
	for s := 0; s < 8; s++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				name := fmt.Sprint("ch", i%5)
				h.Subscribe(s, Kind(i%3), name)
				if i%2 == 0 {
					h.Unsubscribe(s, Kind(i%3), name)
				}
			}
			h.Drop(s)
		}()
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				h.Publish(Kind(i%2)*Shard, []byte(fmt.Sprint("ch", i%5)), func(int, string, bool) {})
				h.Names(Channel, "ch*", true)
			}
		}()
	}
	wg.Wait()
	require.True(t, h.Empty())
}
