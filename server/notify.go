package server

import (
	"fmt"

	"github.com/kioku-db/kioku/server/config"
	"github.com/kioku-db/kioku/store"
)

// Keyspace notifications (notify-keyspace-events), Redis's notify.c.
//
// Most commands fire one event, of one class, on each key they write:
// SADD fires "sadd" (class s) on its key, DEL fires "del" (class g) on
// each key it deleted. A family declares that as data, beside its bindings,
// and the dispatcher does the rest:
//
//	func init() {
//		register([]binding{{"sadd", cmdSAdd, lockKeys}, ...})
//		declareEvents(config.NotifySet, []keyEvent{
//			{"sadd", "sadd"}, {"srem", "srem"}, ...
//		})
//	}
//
// (declareEvents after register, in the same init.) While a command with a
// declared event runs, the store records the keys written under the
// command's locks (store.Locks.RecordWrites: set, changed in place,
// deleted, TTL changed; expiry is not a write). Once the handler returns,
// the dispatcher fires the declared event for each recorded key, once per
// key, in the order they were first written; and when a key of a type
// event (any class but g) is gone afterwards, "del" (class g) follows, as
// Redis does wherever a command empties a collection (HDEL, SREM, LPOP,
// LTRIM, ZREM, ...). A command that writes nothing fires nothing, so SADD
// of an existing member or a failed SET NX stay silent, as in Redis. A
// new command gets its events by being declared; there is nothing to call.
//
// A handler whose events are conditional or several (SET with EX fires
// set then expire, RENAME fires rename_from then rename_to, LMOVE fires a
// push on one key and a pop on another, SINTERSTORE with an empty result
// fires del, ZADD INCR fires zincr, ...) calls c.notify itself, in Redis's
// order, for every event of the call. Any c.notify during a call replaces
// the declared event for that call; c.noDeclaredEvent silences it without
// firing anything. Work done later on the client's behalf (a blocked
// client's serve function) has no dispatcher around it and always calls
// c.notify.
//
// Events the store raises fire when they happen, before the command's
// own, as in Redis: "expired" (class x, lazy and active expiry), "new"
// (class n, a write created a key), "keymiss" (class m, a read found no
// key), "evicted" (class e, maxmemory eviction before a command, see
// evict.go).

// keyEvent declares the event a command fires on each key it writes.
type keyEvent struct {
	command string // as bound: "set", "client|kill"
	event   string
}

// declareEvents gives each named command its default event, of class
// (one of the config.Notify* class bits).
func declareEvents(class int64, events []keyEvent) {
	for _, e := range events {
		cmd := table.find(e.command)
		if cmd == nil {
			panic(fmt.Sprintf("event %q declared for unbound command %q", e.event, e.command))
		}
		cmd.event, cmd.eventClass = e.event, class
	}
}

// notify publishes a keyspace notification for key in the client's current
// database (Redis's notifyKeyspaceEvent(type, event, key, c->db->id)) and
// replaces the running command's declared event for this call. class is
// one of the config.Notify* bits.
func (c *Client) notify(class int64, event string, key []byte) {
	c.notifiedExplicitly = true
	c.srv.notifyKeyspaceEvent(class, event, c.db.ID, key)
}

// notifyIn is notify for a key in another database (MOVE, COPY ... DB).
func (c *Client) notifyIn(db *store.DB, class int64, event string, key []byte) {
	c.notifiedExplicitly = true
	c.srv.notifyKeyspaceEvent(class, event, db.ID, key)
}

// noDeclaredEvent keeps the running command's declared event from firing
// for this call.
func (c *Client) noDeclaredEvent() { c.notifiedExplicitly = true }

// notifying reports whether a keyspace event could reach anyone now.
func (s *Server) notifying() bool {
	flags := s.pubsub.notify.Load()
	return flags&(config.NotifyKeyspace|config.NotifyKeyevent) != 0 && !s.pubsub.hub.Empty()
}

// beginCommandEvents prepares a call of cmd: when cmd declares an event
// and someone may listen, its writes are recorded. It reports whether
// endCommandEvents has events to fire.
func (s *Server) beginCommandEvents(c *Client, cmd *Command) bool {
	c.notifiedExplicitly = false
	if cmd.event == "" || !s.notifying() {
		return false
	}
	c.locks.RecordWrites()
	return true
}

// endCommandEvents fires cmd's declared event for the keys the call wrote,
// unless the handler spoke for itself.
func (s *Server) endCommandEvents(c *Client, cmd *Command) {
	writes := c.locks.StopRecording()
	if c.notifiedExplicitly {
		return
	}
	for i, w := range writes {
		if writtenBefore(writes[:i], w) {
			continue
		}
		key := []byte(w.Key)
		s.notifyKeyspaceEvent(cmd.eventClass, cmd.event, w.DB.ID, key)
		if cmd.eventClass != config.NotifyGeneric && w.DB.Peek(key) == nil {
			s.notifyKeyspaceEvent(config.NotifyGeneric, "del", w.DB.ID, key)
		}
	}
}

func writtenBefore(earlier []store.Write, w store.Write) bool {
	for _, e := range earlier {
		if e == w {
			return true
		}
	}
	return false
}

// initNotifyHooks connects the store's events to notifications.
func (s *Server) initNotifyHooks() {
	s.store.Hooks.Expired = func(db *store.DB, key string) {
		s.notifyStoreEvent(config.NotifyExpired, "expired", db, key)
	}
	s.store.Hooks.Added = func(db *store.DB, key string) {
		s.notifyStoreEvent(config.NotifyNew, "new", db, key)
	}
	s.store.Hooks.Missed = func(db *store.DB, key []byte) {
		s.notifyKeyspaceEvent(config.NotifyKeyMiss, "keymiss", db.ID, key)
	}
}

// notifyStoreEvent is notifyKeyspaceEvent for a key the store holds as a
// string: converted only when the class is enabled, so that expiring and
// adding keys cost one atomic load while notifications are off.
func (s *Server) notifyStoreEvent(class int64, event string, db *store.DB, key string) {
	if s.pubsub.notify.Load()&class != 0 {
		s.notifyKeyspaceEvent(class, event, db.ID, []byte(key))
	}
}
