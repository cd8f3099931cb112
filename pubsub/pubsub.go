// Package pubsub is the registry behind Redis's publish/subscribe: which
// subscriber listens to which channel, pattern or shard channel, and who
// receives a published message. It knows nothing of the protocol or of
// connections: the server delivers, this package only answers "to whom".
//
// A Hub answers what Redis answers with its dictionaries:
//   - SUBSCRIBE/PSUBSCRIBE confirmations count the subscriber's channels
//     plus patterns, SSUBSCRIBE's its shard channels;
//   - PUBLISH reaches the channel's subscribers, then the subscribers of
//     every pattern matching the channel, so a client listening to both a
//     channel and a matching pattern receives the message twice and is
//     counted twice; SPUBLISH ignores patterns;
//   - a channel or pattern without subscribers does not exist (PUBSUB
//     CHANNELS and NUMPAT do not see it).
//
// Unlike Redis, whose client dictionaries iterate in hash order, a
// subscriber's subscriptions are kept in the order they were made, so
// UNSUBSCRIBE without arguments answers in a stable order.
package pubsub

import (
	"slices"
	"sync"
	"sync/atomic"

	"github.com/kioku-db/kioku/types"
)

// Kind is one of the three namespaces of subscriptions.
type Kind uint8

const (
	Channel Kind = iota // SUBSCRIBE, PUBLISH
	Pattern             // PSUBSCRIBE
	Shard               // SSUBSCRIBE, SPUBLISH
	numKinds
)

// Hub holds every subscription of a server. S identifies a subscriber (the
// server's client). All methods are safe for concurrent use.
type Hub[S comparable] struct {
	mu sync.RWMutex
	// members maps a channel, pattern or shard channel to its subscribers.
	members [numKinds]map[string]map[S]struct{}
	// patterns lists the patterns with subscribers, oldest first: PUBLISH
	// matches the channel against each of them.
	patterns []string
	subs     map[S]*subscriptions
	// total counts every subscription, so a publish with nobody listening
	// (a keyspace notification on a quiet server) costs one atomic load.
	total atomic.Int64
}

// subscriptions is one subscriber's state, in the order it subscribed.
type subscriptions struct {
	names [numKinds]orderedSet
}

// NewHub returns an empty hub.
func NewHub[S comparable]() *Hub[S] {
	h := &Hub[S]{subs: map[S]*subscriptions{}}
	for k := range h.members {
		h.members[k] = map[string]map[S]struct{}{}
	}
	return h
}

// count is the number a confirmation of kind carries: channels plus
// patterns for Channel and Pattern, shard channels for Shard (Redis's
// clientSubscriptionsCount and clientShardSubscriptionsCount).
func (ss *subscriptions) count(kind Kind) int {
	if ss == nil {
		return 0
	}
	if kind == Shard {
		return ss.names[Shard].len()
	}
	return ss.names[Channel].len() + ss.names[Pattern].len()
}

// Subscribe adds s to name and returns the count its confirmation carries.
// Subscribing twice changes nothing (and still confirms, as Redis does).
func (h *Hub[S]) Subscribe(s S, kind Kind, name string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	ss := h.subs[s]
	if ss == nil {
		ss = &subscriptions{}
		h.subs[s] = ss
	}
	if ss.names[kind].add(name) {
		h.addMember(s, kind, name)
	}
	return ss.count(kind)
}

func (h *Hub[S]) addMember(s S, kind Kind, name string) {
	set := h.members[kind][name]
	if set == nil {
		set = map[S]struct{}{}
		h.members[kind][name] = set
		if kind == Pattern {
			h.patterns = append(h.patterns, name)
		}
	}
	set[s] = struct{}{}
	h.total.Add(1)
}

// Unsubscribe removes s from name and returns the count its confirmation
// carries. Unsubscribing from something not subscribed changes nothing.
func (h *Hub[S]) Unsubscribe(s S, kind Kind, name string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	ss := h.subs[s]
	if ss != nil && ss.names[kind].remove(name) {
		h.removeMember(s, kind, name)
		h.forgetIfEmpty(s, ss)
	}
	return ss.count(kind)
}

func (h *Hub[S]) removeMember(s S, kind Kind, name string) {
	set := h.members[kind][name]
	delete(set, s)
	h.total.Add(-1)
	if len(set) > 0 {
		return
	}
	// A channel nobody listens to is forgotten, so that PUBSUB CHANNELS
	// does not list it and subscribing to millions of names and leaving
	// costs nothing afterwards.
	delete(h.members[kind], name)
	if kind == Pattern {
		h.patterns = slices.DeleteFunc(h.patterns, func(p string) bool { return p == name })
	}
}

func (h *Hub[S]) forgetIfEmpty(s S, ss *subscriptions) {
	for k := range ss.names {
		if ss.names[k].len() > 0 {
			return
		}
	}
	delete(h.subs, s)
}

// UnsubscribeAll removes every subscription of s of one kind (UNSUBSCRIBE,
// PUNSUBSCRIBE or SUNSUBSCRIBE without arguments), calling confirm for
// each, oldest first, with the count after its removal. It returns how many
// there were and the count afterwards (what Redis confirms when there was
// nothing to remove).
func (h *Hub[S]) UnsubscribeAll(s S, kind Kind, confirm func(name string, count int)) (removed, count int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	ss := h.subs[s]
	if ss == nil {
		return 0, 0
	}
	names := ss.names[kind].list()
	for _, name := range names {
		ss.names[kind].remove(name)
		h.removeMember(s, kind, name)
		if confirm != nil {
			confirm(name, ss.count(kind))
		}
	}
	h.forgetIfEmpty(s, ss)
	return len(names), ss.count(kind)
}

// Drop removes every subscription of s, of every kind, without
// confirmations (a disconnect, RESET).
func (h *Hub[S]) Drop(s S) {
	h.mu.Lock()
	defer h.mu.Unlock()
	ss := h.subs[s]
	if ss == nil {
		return
	}
	for k := range ss.names {
		for _, name := range ss.names[k].list() {
			h.removeMember(s, Kind(k), name)
		}
	}
	delete(h.subs, s)
}

// Counts returns how many channels, patterns and shard channels s listens
// to (CLIENT LIST's sub, psub and ssub).
func (h *Hub[S]) Counts(s S) (channels, patterns, shard int) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	ss := h.subs[s]
	if ss == nil {
		return 0, 0, 0
	}
	return ss.names[Channel].len(), ss.names[Pattern].len(), ss.names[Shard].len()
}

// Publish finds the receivers of a message on channel: for Channel, the
// channel's subscribers and then those of each matching pattern (in the
// order the patterns were first subscribed); for Shard, the shard
// channel's subscribers. deliver is called once per receiver, with the
// pattern that matched when byPattern is set, and Publish returns the
// number of calls (PUBLISH's reply).
//
// deliver runs under the hub's read lock, so that a subscriber that has
// received its UNSUBSCRIBE confirmation gets no later message: it must not
// block, and must not call the hub.
func (h *Hub[S]) Publish(kind Kind, channel []byte, deliver func(s S, pattern string, byPattern bool)) int {
	if h.total.Load() == 0 {
		return 0
	}
	h.mu.RLock()
	defer h.mu.RUnlock()
	n := 0
	for s := range h.members[kind][string(channel)] {
		deliver(s, "", false)
		n++
	}
	if kind != Channel || len(h.patterns) == 0 {
		return n
	}
	ch := string(channel)
	for _, p := range h.patterns {
		if !types.GlobMatch(p, ch, false) {
			continue
		}
		for s := range h.members[Pattern][p] {
			deliver(s, p, true)
			n++
		}
	}
	return n
}

// Names lists the channels (kind Channel) or shard channels (Shard) that
// have subscribers, or with a pattern only those matching it (PUBSUB
// CHANNELS and SHARDCHANNELS). The order is unspecified, as in Redis.
func (h *Hub[S]) Names(kind Kind, pattern string, filter bool) []string {
	h.mu.RLock()
	defer h.mu.RUnlock()
	out := make([]string, 0, len(h.members[kind]))
	for name := range h.members[kind] {
		if !filter || types.GlobMatch(pattern, name, false) {
			out = append(out, name)
		}
	}
	return out
}

// NumSub is the number of subscribers of a channel or shard channel,
// patterns not included (PUBSUB NUMSUB and SHARDNUMSUB).
func (h *Hub[S]) NumSub(kind Kind, name []byte) int {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return len(h.members[kind][string(name)])
}

// Len is the number of distinct channels, patterns or shard channels with
// at least one subscriber (PUBSUB NUMPAT, INFO's pubsub_channels,
// pubsub_patterns and pubsubshard_channels).
func (h *Hub[S]) Len(kind Kind) int {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return len(h.members[kind])
}

// Empty reports whether nobody subscribes to anything, without locking:
// publishers of notifications skip building a message nobody receives.
func (h *Hub[S]) Empty() bool { return h.total.Load() == 0 }
