package compat

import (
	"bytes"
	"testing"
)

// Publish/subscribe compared with real Redis: confirmations, messages
// delivered to the subscribing connection after another client publishes
// (a byOther PUBLISH, then a received step on the subscriber), the RESP2
// subscribed context, PUBSUB introspection and errors.

// received reads n frames the server pushed on the case's connection,
// sending nothing (the messages of a PUBLISH run by the other client).
func received(n int) step {
	return step{args: []string{"<read>"}, raw: []byte{}, nframes: n}
}

// anyOrder compares the replies of an UNSUBSCRIBE (or PUNSUBSCRIBE,
// SUNSUBSCRIBE) without arguments from several subscriptions: Redis
// walks its client dictionary in hash order, so the names may come in any
// order, while the counts still go down one by one.
func (s step) anyOrder() step {
	return s.with(matcher{"confirmations in any order, counts in sequence", func(ref, got *value) bool {
		if len(ref.elems) != len(got.elems) {
			return false
		}
		names := func(v *value) *value {
			out := &value{kind: '*'}
			for _, f := range v.elems {
				if len(f.elems) != 3 {
					return v
				}
				out.elems = append(out.elems, &value{kind: f.kind, elems: f.elems[:2]})
			}
			return sortedCopy(out)
		}
		counts := func(v *value) []byte {
			var b []byte
			for _, f := range v.elems {
				if len(f.elems) == 3 {
					b = append(b, encode(f.elems[2])...)
				}
			}
			return b
		}
		return bytes.Equal(encode(names(ref)), encode(names(got))) && bytes.Equal(counts(ref), counts(got))
	}})
}

func pubsubCases() []dcase {
	return []dcase{
		tc("subscribe and unsubscribe",
			"SUBSCRIBE a", cmd("SUBSCRIBE b a").frames(2), "UNSUBSCRIBE a", "UNSUBSCRIBE x",
			"UNSUBSCRIBE", "UNSUBSCRIBE", "PING"),
		tc("unsubscribe from nothing",
			"UNSUBSCRIBE", "PUNSUBSCRIBE", "SUNSUBSCRIBE", "UNSUBSCRIBE x", "PUNSUBSCRIBE x*",
			"SUNSUBSCRIBE x", "GET x"),
		tc("psubscribe",
			cmd("PSUBSCRIBE a* b?").frames(2), "PUNSUBSCRIBE b?", "PUNSUBSCRIBE b?", "PUNSUBSCRIBE", "PUNSUBSCRIBE"),
		tc("counts across kinds",
			"SUBSCRIBE c", "PSUBSCRIBE p*", "SSUBSCRIBE s", "SSUBSCRIBE t", "SUBSCRIBE d",
			"UNSUBSCRIBE c", "SUNSUBSCRIBE s", "PUNSUBSCRIBE", "UNSUBSCRIBE", "SUNSUBSCRIBE",
			"UNSUBSCRIBE", "GET x"),
		tc("unsubscribe all of several",
			cmd("SUBSCRIBE a b c").frames(3), cmd("UNSUBSCRIBE").frames(3).anyOrder(),
			cmd("PSUBSCRIBE x* y* z*").frames(3), cmd("PUNSUBSCRIBE").frames(3).anyOrder(),
			cmd("SSUBSCRIBE s1 s2").frames(2), cmd("SUNSUBSCRIBE").frames(2).anyOrder(), "PING"),
		tc("subscribe binary and empty names",
			`SUBSCRIBE "a\x00b\r\n"`, `SUBSCRIBE ""`, `PSUBSCRIBE ""`,
			cmd(`PUBLISH "a\x00b\r\n" "m\x00\r\n"`).byOther(), received(1),
			cmd(`PUBLISH "" empty`).byOther(), received(2),
			cmd("UNSUBSCRIBE").frames(2).anyOrder(), "PUNSUBSCRIBE"),
		tc("message delivery",
			"SUBSCRIBE ch", cmd("PUBLISH ch hello").byOther(), received(1),
			cmd("PUBLISH other x").byOther(),
			cmd("PSUBSCRIBE c* z*").frames(2), cmd("PUBLISH ch two").byOther(), received(2),
			cmd("PUBLISH cat three").byOther(), received(1),
			cmd("PUBLISH ch").byOther(), "UNSUBSCRIBE ch", cmd("PUBLISH ch four").byOther(), received(1),
			"PUNSUBSCRIBE", cmd("PUBLISH ch five").byOther(), "PING"),
		tc("pattern syntax",
			"PSUBSCRIBE h[ae]llo", "PSUBSCRIBE h?llo*", `PSUBSCRIBE "h\\*"`,
			// Two patterns match: Redis walks its pattern dictionary in
			// hash order, so the two pmessages come in either order.
			cmd("PUBLISH hallo 1").byOther(), received(2).sorted(),
			cmd("PUBLISH hxllo 2").byOther(), received(1),
			cmd("PUBLISH h* 3").byOther(), received(1),
			cmd("PUBLISH hz 4").byOther(), "PUNSUBSCRIBE h?llo*", cmd("PUBLISH hello 5").byOther(), received(1)),
		tc("shard channels",
			"SSUBSCRIBE s", cmd("SPUBLISH s m").byOther(), received(1),
			cmd("PUBLISH s m").byOther(), "PSUBSCRIBE *", cmd("SPUBLISH s n").byOther(), received(1),
			"SUBSCRIBE s", cmd("PUBLISH s o").byOther(), received(2), "SUNSUBSCRIBE s",
			cmd("SPUBLISH s p").byOther(), cmd("PUBSUB NUMSUB s").byOther(), cmd("PUBSUB SHARDNUMSUB s").byOther(),
			"UNSUBSCRIBE", "PUNSUBSCRIBE"),
		tc("subscribed context",
			"SUBSCRIBE a", "GET x", "SET x 1", "PING", "PING hi", `PING ""`, "PING a b", "ECHO x",
			"SELECT 1", "PUBSUB NUMSUB a", "SPUBLISH a x", "DBSIZE", "NOSUCH x", "GET", "SUBSCRIBE",
			"PSUBSCRIBE p", "SSUBSCRIBE s", "UNSUBSCRIBE a", "PING", "PUNSUBSCRIBE", "PING",
			"SUNSUBSCRIBE", "PING", "GET x"),
		// RESP3 only: the publisher's own message comes before its reply.
		tc("publish to oneself", "SUBSCRIBE a", cmd("PUBLISH a x").frames(2), "UNSUBSCRIBE").proto3(),
		tc("subscribed context multi",
			"SUBSCRIBE a", "MULTI", "PING", "EXEC", "DISCARD", "UNSUBSCRIBE", "MULTI", "SUBSCRIBE b",
			"PING", "EXEC", "PING", cmd("PUBLISH b in").byOther(), received(1), "UNSUBSCRIBE"),
		tc("subscribe inside multi",
			"MULTI", "SUBSCRIBE q", "SSUBSCRIBE s", "PSUBSCRIBE p*", "PING", "EXEC", "PING",
			cmd("PUBLISH q m").byOther(), received(1), cmd("PUBLISH px m").byOther(), received(1),
			"UNSUBSCRIBE", "PUNSUBSCRIBE"),
		tc("reset leaves subscribed mode",
			"SUBSCRIBE a", "PSUBSCRIBE b*", "SSUBSCRIBE s", "RESET", "GET x", "PING",
			cmd("PUBLISH a x").byOther(), cmd("PUBLISH bb x").byOther(), cmd("SPUBLISH s x").byOther(),
			"UNSUBSCRIBE"),
		tc("quit while subscribed", "SUBSCRIBE a", cmd("QUIT").thenClosed()),
		tc("publish and pubsub errors",
			"PUBLISH", "PUBLISH ch", "PUBLISH ch a b", "SPUBLISH", "SPUBLISH s", "SPUBLISH s a b",
			"SUBSCRIBE", "PSUBSCRIBE", "SSUBSCRIBE",
			"PUBSUB", "PUBSUB FOO", "pubsub foo", "PUBSUB NUMPAT x", "PUBSUB CHANNELS a b",
			"pubsub channels a b", "PUBSUB SHARDCHANNELS a b", "PUBSUB HELP x", "PUBSUB HELP", "pubsub help",
			"PUBLISH nobody x", "SPUBLISH nobody x"),
	}
}

// pubsubIntrospectionCases look at subscriptions the second client holds
// (in RESP2) from the case's connection (in the case's protocol). Each
// ends with the second client leaving, so nothing lingers into the next
// case, whose counts would otherwise depend on how fast a closed
// connection is noticed.
func pubsubIntrospectionCases() []dcase {
	return []dcase{
		tc("pubsub introspection",
			"PUBSUB CHANNELS", "PUBSUB NUMPAT", "PUBSUB SHARDCHANNELS", "PUBSUB NUMSUB", "PUBSUB SHARDNUMSUB",
			cmd("SUBSCRIBE news").byOther(), cmd("PSUBSCRIBE n* x*").byOther().frames(2),
			cmd("SSUBSCRIBE s1").byOther(),
			"PUBSUB CHANNELS", "PUBSUB CHANNELS n*", "PUBSUB CHANNELS z*", `PUBSUB CHANNELS ""`,
			"PUBSUB NUMSUB news n* nothing", "PUBSUB NUMSUB", "PUBSUB NUMPAT",
			"PUBSUB SHARDCHANNELS", "PUBSUB SHARDCHANNELS s?", "PUBSUB SHARDNUMSUB s1 news",
			"PUBLISH news x", received(2).byOther(), "SPUBLISH s1 x", received(1).byOther(),
			cmd("SUBSCRIBE other").byOther(), cmd("PUBSUB CHANNELS").sorted(),
			"SUBSCRIBE news", "PUBSUB NUMSUB news", "UNSUBSCRIBE news",
			cmd("UNSUBSCRIBE").byOther().frames(2).anyOrder(), cmd("PUNSUBSCRIBE").byOther().frames(2).anyOrder(),
			cmd("SUNSUBSCRIBE").byOther(),
			"PUBSUB CHANNELS", "PUBSUB NUMPAT", "PUBSUB SHARDCHANNELS", "PUBSUB NUMSUB news"),
		tc("pubsub counts patterns once",
			"PSUBSCRIBE a*", cmd("PSUBSCRIBE a*").byOther(), cmd("PSUBSCRIBE b*").byOther(),
			cmd("PUBSUB NUMPAT").byOther(), "PUBSUB NUMPAT",
			cmd("PUNSUBSCRIBE b*").byOther(), cmd("PUBSUB NUMPAT").byOther(),
			cmd("PUNSUBSCRIBE").byOther(), cmd("PUBSUB NUMPAT").byOther(), "PUNSUBSCRIBE", "PUBSUB NUMPAT"),
	}
}

func TestDiffPubSub(t *testing.T) {
	t.Parallel()
	diff(t, bothProtocols(pubsubCases()))
}

func TestDiffPubSubIntrospection(t *testing.T) {
	t.Parallel()
	diff(t, bothProtocols(pubsubIntrospectionCases()))
}
