package server

import (
	"fmt"

	"github.com/kioku-db/kioku/pubsub"
)

// Publish/subscribe: SUBSCRIBE, PSUBSCRIBE, SSUBSCRIBE, their UNSUBSCRIBE
// forms, PUBLISH, SPUBLISH and PUBSUB. The registry is the pubsub package;
// delivery to other connections is push.go.
func init() {
	register([]binding{
		{"subscribe", cmdSubscribe, lockNone},
		{"psubscribe", cmdPSubscribe, lockNone},
		{"ssubscribe", cmdSSubscribe, lockNone},
		{"unsubscribe", cmdUnsubscribe, lockNone},
		{"punsubscribe", cmdPUnsubscribe, lockNone},
		{"sunsubscribe", cmdSUnsubscribe, lockNone},
		{"publish", cmdPublish, lockNone},
		{"spublish", cmdSPublish, lockNone},
		{"pubsub|channels", cmdPubSubChannels, lockNone},
		{"pubsub|shardchannels", cmdPubSubShardChannels, lockNone},
		{"pubsub|numsub", cmdPubSubNumSub, lockNone},
		{"pubsub|shardnumsub", cmdPubSubShardNumSub, lockNone},
		{"pubsub|numpat", cmdPubSubNumPat, lockNone},
		{"pubsub|help", cmdPubSubHelp, lockNone},
	})
}

// The confirmation verbs of each kind.
var (
	subscribeVerb   = [...]string{pubsub.Channel: "subscribe", pubsub.Pattern: "psubscribe", pubsub.Shard: "ssubscribe"}
	unsubscribeVerb = [...]string{pubsub.Channel: "unsubscribe", pubsub.Pattern: "punsubscribe", pubsub.Shard: "sunsubscribe"}
)

// errInPubSubContext is Redis's answer to a command a RESP2 client cannot
// send while subscribed.
const errInPubSubContext = "ERR Can't execute '%s': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context"

// allowedInPubSub lists the commands a subscribed RESP2 client may send:
// anything else would be answered in the middle of its message stream.
func allowedInPubSub(cmd *Command) bool {
	switch cmd.Name {
	case "subscribe", "psubscribe", "ssubscribe", "unsubscribe", "punsubscribe", "sunsubscribe",
		"ping", "quit", "reset":
		return true
	}
	return false
}

// pubsubRestricted reports whether the client is in RESP2's subscribed
// context; a RESP3 client receives messages as push frames and may send
// anything.
func (c *Client) pubsubRestricted() bool {
	return c.pubsubMode.Load() && c.w.Proto() == 2
}

func cmdSubscribe(c *Client, args [][]byte)  { c.subscribe(pubsub.Channel, args[1:]) }
func cmdPSubscribe(c *Client, args [][]byte) { c.subscribe(pubsub.Pattern, args[1:]) }

// cmdSSubscribe differs from SUBSCRIBE inside EXEC: Redis refuses it
// there, as a client that "expects a reply per command" (its
// CLIENT_DENY_BLOCKING), while SUBSCRIBE is let through for backward
// compatibility.
func cmdSSubscribe(c *Client, args [][]byte) {
	if c.noBlock {
		c.w.Error("ERR SSUBSCRIBE isn't allowed for a DENY BLOCKING client")
		return
	}
	c.subscribe(pubsub.Shard, args[1:])
}

func cmdUnsubscribe(c *Client, args [][]byte)  { c.unsubscribe(pubsub.Channel, args[1:]) }
func cmdPUnsubscribe(c *Client, args [][]byte) { c.unsubscribe(pubsub.Pattern, args[1:]) }
func cmdSUnsubscribe(c *Client, args [][]byte) { c.unsubscribe(pubsub.Shard, args[1:]) }

// subscribe adds the subscriptions and confirms each with the running
// count. Messages published from the moment the first one is registered
// are held until the confirmations are out.
func (c *Client) subscribe(kind pubsub.Kind, names [][]byte) {
	c.startPush().holdMessages()
	hub := c.srv.pubsub.hub
	for _, name := range names {
		count := hub.Subscribe(c, kind, string(name))
		c.pubsubConfirm(subscribeVerb[kind], name, count)
	}
	c.pubsubMode.Store(true)
	c.flushPubSub()
}

// unsubscribe removes the named subscriptions, or all of the kind when
// none is named, confirming each; with nothing to remove it still answers
// once, with a null name.
func (c *Client) unsubscribe(kind pubsub.Kind, names [][]byte) {
	hub := c.srv.pubsub.hub
	verb := unsubscribeVerb[kind]
	if len(names) == 0 {
		removed, count := hub.UnsubscribeAll(c, kind, func(name string, count int) {
			c.pubsubConfirm(verb, []byte(name), count)
		})
		if removed == 0 {
			c.pubsubConfirm(verb, nil, count)
		}
	}
	for _, name := range names {
		count := hub.Unsubscribe(c, kind, string(name))
		c.pubsubConfirm(verb, name, count)
	}
	ch, pat, shard := hub.Counts(c)
	c.pubsubMode.Store(ch+pat+shard > 0)
	c.flushPubSub()
}

// pubsubConfirm writes a (un)subscription confirmation: a push frame in
// RESP3, an array in RESP2. A nil name is the null of "unsubscribed from
// nothing".
func (c *Client) pubsubConfirm(verb string, name []byte, count int) {
	c.w.Push(3)
	c.w.BulkString(verb)
	if name == nil {
		c.w.Null()
	} else {
		c.w.Bulk(name)
	}
	c.w.Int(int64(count))
}

// flushPubSub hands the confirmations to the queue at once, so that held
// messages do not wait for the end of a long pipeline, and a message held
// while a SUBSCRIBE was unconfirmed cannot follow a later UNSUBSCRIBE's
// confirmation. Inside EXEC the reply is not complete yet: the whole
// transaction's reply is flushed at its end.
func (c *Client) flushPubSub() {
	if !c.noBlock && c.push != nil {
		_ = c.flush()
	}
}

func cmdPublish(c *Client, args [][]byte) {
	c.w.Int(int64(c.srv.publish(pubsub.Channel, args[1], args[2])))
}

func cmdSPublish(c *Client, args [][]byte) {
	c.w.Int(int64(c.srv.publish(pubsub.Shard, args[1], args[2])))
}

func cmdPubSubChannels(c *Client, args [][]byte)      { c.pubsubNames(pubsub.Channel, args) }
func cmdPubSubShardChannels(c *Client, args [][]byte) { c.pubsubNames(pubsub.Shard, args) }

// pubsubNames answers PUBSUB CHANNELS / SHARDCHANNELS [pattern].
func (c *Client) pubsubNames(kind pubsub.Kind, args [][]byte) {
	if len(args) > 3 {
		c.w.Error(fmt.Sprintf("ERR unknown subcommand or wrong number of arguments for '%.128s'. Try PUBSUB HELP.", cString(args[1])))
		return
	}
	pattern, filter := "", len(args) == 3
	if filter {
		pattern = string(args[2])
	}
	names := c.srv.pubsub.hub.Names(kind, pattern, filter)
	c.w.Array(len(names))
	for _, n := range names {
		c.w.BulkString(n)
	}
}

func cmdPubSubNumSub(c *Client, args [][]byte)      { c.pubsubNumSub(pubsub.Channel, args[2:]) }
func cmdPubSubShardNumSub(c *Client, args [][]byte) { c.pubsubNumSub(pubsub.Shard, args[2:]) }

// pubsubNumSub answers NUMSUB / SHARDNUMSUB: a flat array of name, count
// pairs in both protocols, as Redis 7.0 does.
func (c *Client) pubsubNumSub(kind pubsub.Kind, names [][]byte) {
	c.w.Array(2 * len(names))
	for _, n := range names {
		c.w.Bulk(n)
		c.w.Int(int64(c.srv.pubsub.hub.NumSub(kind, n)))
	}
}

func cmdPubSubNumPat(c *Client, args [][]byte) {
	c.w.Int(int64(c.srv.pubsub.hub.Len(pubsub.Pattern)))
}

func cmdPubSubHelp(c *Client, args [][]byte) {
	writeHelp(c, "PUBSUB",
		"CHANNELS [<pattern>]",
		"    Return the currently active channels matching a <pattern> (default: '*').",
		"NUMPAT",
		"    Return number of subscriptions to patterns.",
		"NUMSUB [<channel> ...]",
		"    Return the number of subscribers for the specified channels, excluding",
		"    pattern subscriptions(default: no channels).",
		"SHARDCHANNELS [<pattern>]",
		"    Return the currently active shard level channels matching a <pattern> (default: '*').",
		"SHARDNUMSUB [<shardchannel> ...]",
		"    Return the number of subscribers for the specified shard level channel(s)",
	)
}
