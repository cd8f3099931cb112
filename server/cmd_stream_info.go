package server

import (
	"github.com/kioku-db/kioku/types"
)

// XINFO STREAM, GROUPS, CONSUMERS and HELP, with Redis 7.0's fields in its
// order: maps in RESP3, flat arrays of pairs in RESP2.

func init() {
	register([]binding{
		{"xinfo|stream", cmdXInfoStream, lockKeys},
		{"xinfo|groups", cmdXInfoGroups, lockKeys},
		{"xinfo|consumers", cmdXInfoConsumers, lockKeys},
		{"xinfo|help", cmdXInfoHelp, lockNone},
	})
}

// xinfoStream finds the stream of an XINFO subcommand.
func xinfoStream(c *Client, key []byte) (*types.Stream, bool) {
	s, ok := readStream(c, key)
	if ok && s == nil {
		c.w.Error(errNoSuchKey)
		return nil, false
	}
	return s, ok
}

func cmdXInfoStream(c *Client, args [][]byte) {
	s, ok := xinfoStream(c, args[2])
	if !ok {
		return
	}
	full, count, ok := parseXInfoStreamOptions(c, args[3:], args)
	if !ok {
		return
	}
	if full {
		writeStreamInfoFull(c, s, count)
		return
	}
	writeStreamInfo(c, s)
}

func parseXInfoStreamOptions(c *Client, opts, args [][]byte) (full bool, count int64, ok bool) {
	count = 10
	switch {
	case len(opts) == 0:
		return false, count, true
	case len(opts) != 1 && len(opts) != 3, !eqFold(opts[0], "full"), len(opts) == 3 && !eqFold(opts[1], "count"):
		c.w.Error(subcommandSyntaxError(args))
		return false, 0, false
	case len(opts) == 3:
		n, ok := parseInt(opts[2])
		if !ok {
			c.w.Error(errNotInt)
			return false, 0, false
		}
		if n >= 0 {
			count = n
		}
	}
	return true, count, true
}

// writeStreamHeader writes the fields both forms of XINFO STREAM start
// with.
func writeStreamHeader(c *Client, s *types.Stream) {
	c.w.BulkString("length")
	c.w.Int(int64(s.Len()))
	c.w.BulkString("radix-tree-keys")
	c.w.Int(int64(s.NodeCount()))
	c.w.BulkString("radix-tree-nodes")
	c.w.Int(int64(s.RadixTreeNodes()))
	c.w.BulkString("last-generated-id")
	writeStreamID(c.w, s.LastID())
	c.w.BulkString("max-deleted-entry-id")
	writeStreamID(c.w, s.MaxDeletedID())
	c.w.BulkString("entries-added")
	c.w.Int(int64(s.EntriesAdded()))
	c.w.BulkString("recorded-first-entry-id")
	writeStreamID(c.w, s.FirstID())
}

func writeStreamInfo(c *Client, s *types.Stream) {
	c.w.Map(10)
	writeStreamHeader(c, s)
	c.w.BulkString("groups")
	c.w.Int(int64(s.GroupCount()))
	c.w.BulkString("first-entry")
	writeEdgeEntry(c, s, false)
	c.w.BulkString("last-entry")
	writeEdgeEntry(c, s, true)
}

// writeEdgeEntry writes the first or last entry, or a null.
func writeEdgeEntry(c *Client, s *types.Stream, last bool) {
	found := false
	s.Range(types.StreamID{}, types.MaxStreamID, last, func(id types.StreamID, fv [][]byte) bool {
		writeEntry(c.w, id, fv)
		found = true
		return false
	})
	if !found {
		c.w.Null()
	}
}

func writeStreamInfoFull(c *Client, s *types.Stream, count int64) {
	c.w.Map(9)
	writeStreamHeader(c, s)
	c.w.BulkString("entries")
	writeRange(c, s, types.StreamID{}, types.MaxStreamID, count, false)
	c.w.BulkString("groups")
	groups := s.Groups()
	c.w.Array(len(groups))
	for _, g := range groups {
		writeGroupFull(c, s, g, count)
	}
}

func writeGroupFull(c *Client, s *types.Stream, g *types.StreamGroup, count int64) {
	c.w.Map(7)
	c.w.BulkString("name")
	c.w.BulkString(g.Name)
	c.w.BulkString("last-delivered-id")
	writeStreamID(c.w, g.LastID)
	writeReadCounters(c, s, g)
	c.w.BulkString("pel-count")
	c.w.Int(int64(g.PendingCount()))
	c.w.BulkString("pending")
	c.w.Array(limitedCount(g.PendingCount(), count))
	n := int64(0)
	g.EachPending(types.StreamID{}, func(e *types.PendingEntry) bool {
		if count != 0 && n == count {
			return false
		}
		n++
		c.w.Array(4)
		writeStreamID(c.w, e.ID)
		c.w.BulkString(e.Consumer.Name)
		c.w.Int(e.DeliveryTime)
		c.w.Int(e.DeliveryCount)
		return true
	})
	c.w.BulkString("consumers")
	consumers := g.Consumers()
	c.w.Array(len(consumers))
	for _, cons := range consumers {
		writeConsumerFull(c, cons, count)
	}
}

func writeConsumerFull(c *Client, cons *types.StreamConsumer, count int64) {
	c.w.Map(4)
	c.w.BulkString("name")
	c.w.BulkString(cons.Name)
	c.w.BulkString("seen-time")
	c.w.Int(cons.SeenTime)
	c.w.BulkString("pel-count")
	c.w.Int(int64(cons.PendingCount()))
	c.w.BulkString("pending")
	c.w.Array(limitedCount(cons.PendingCount(), count))
	n := int64(0)
	cons.EachPending(types.StreamID{}, func(e *types.PendingEntry) bool {
		if count != 0 && n == count {
			return false
		}
		n++
		c.w.Array(3)
		writeStreamID(c.w, e.ID)
		c.w.Int(e.DeliveryTime)
		c.w.Int(e.DeliveryCount)
		return true
	})
}

// limitedCount is min(n, count), count 0 meaning no limit.
func limitedCount(n int, count int64) int {
	if count == 0 || int64(n) < count {
		return n
	}
	return int(count)
}

// writeReadCounters writes entries-read and lag, null when unknown.
func writeReadCounters(c *Client, s *types.Stream, g *types.StreamGroup) {
	c.w.BulkString("entries-read")
	if g.EntriesRead != -1 {
		c.w.Int(g.EntriesRead)
	} else {
		c.w.Null()
	}
	c.w.BulkString("lag")
	if lag, ok := s.Lag(g); ok {
		c.w.Int(lag)
	} else {
		c.w.Null()
	}
}

func cmdXInfoGroups(c *Client, args [][]byte) {
	s, ok := xinfoStream(c, args[2])
	if !ok {
		return
	}
	groups := s.Groups()
	c.w.Array(len(groups))
	for _, g := range groups {
		c.w.Map(6)
		c.w.BulkString("name")
		c.w.BulkString(g.Name)
		c.w.BulkString("consumers")
		c.w.Int(int64(g.ConsumerCount()))
		c.w.BulkString("pending")
		c.w.Int(int64(g.PendingCount()))
		c.w.BulkString("last-delivered-id")
		writeStreamID(c.w, g.LastID)
		writeReadCounters(c, s, g)
	}
}

func cmdXInfoConsumers(c *Client, args [][]byte) {
	s, ok := xinfoStream(c, args[2])
	if !ok {
		return
	}
	g := s.Group(string(args[3]))
	if g == nil {
		c.w.Error(noSuchGroup(args[2], args[3]))
		return
	}
	consumers := g.Consumers()
	c.w.Array(len(consumers))
	for _, cons := range consumers {
		c.w.Map(3)
		c.w.BulkString("name")
		c.w.BulkString(cons.Name)
		c.w.BulkString("pending")
		c.w.Int(int64(cons.PendingCount()))
		c.w.BulkString("idle")
		c.w.Int(max(c.now-cons.SeenTime, 0))
	}
}

func cmdXInfoHelp(c *Client, args [][]byte) {
	writeHelp(c, "XINFO",
		"CONSUMERS <key> <groupname>",
		"    Show consumers of <groupname>.",
		"GROUPS <key>",
		"    Show the stream consumer groups.",
		"STREAM <key> [FULL [COUNT <count>]",
		"    Show information about the stream.",
	)
}
