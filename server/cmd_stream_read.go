package server

import (
	"fmt"
	"time"

	"github.com/kioku-db/kioku/resp"
	"github.com/kioku-db/kioku/store"
	"github.com/kioku-db/kioku/types"
)

// XREAD and XREADGROUP, blocking included. A blocked reader is served
// when a write to one of its streams lets it read something: for XREAD
// an entry after the ID it asked for ($ is resolved when it blocks), for
// XREADGROUP an entry after its group's last delivered ID at the time it
// is served. A blocked XREADGROUP whose stream or group disappears is
// answered with Redis 7.0's errors.

const (
	errXReadUnbalanced    = "ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified."
	errXReadTimeoutNotInt = "ERR timeout is not an integer or out of range"
	errXReadGroupOnly     = "ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead."
	errXReadNoAckOnly     = "ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead."
	errXReadGroupMissing  = "ERR Missing GROUP option for XREADGROUP"
	errXReadGTOnlyGroup   = "ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option."
	errXReadGroupDollar   = "ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would just return an empty result set."
	errUnblockedNoStream  = "UNBLOCKED the stream key no longer exists"
	errUnblockedNoGroup   = "NOGROUP the consumer group this client was blocked on no longer exists"
)

// xreadBlockedDefaultCount is how many entries a blocked reader without
// COUNT receives per stream, as in Redis.
const xreadBlockedDefaultCount = 1000

func init() {
	register([]binding{
		{"xread", cmdXRead, lockKeys},
		{"xreadgroup", cmdXReadGroup, lockKeys},
	})
}

// xreadArgs is a parsed XREAD or XREADGROUP.
type xreadArgs struct {
	isGroup         bool   // XREADGROUP
	group, consumer string // its GROUP option
	groupGiven      bool
	noack           bool
	count           int64
	block           bool
	timeout         time.Duration
	keys            [][]byte
	ids             []types.StreamID // MaxStreamID stands for ">"
}

func cmdXRead(c *Client, args [][]byte)      { xread(c, args, false) }
func cmdXReadGroup(c *Client, args [][]byte) { xread(c, args, true) }

// parseXRead parses the options, as xreadCommand; ok is false after an
// error reply.
func parseXRead(c *Client, args [][]byte, isGroup bool) (r xreadArgs, idArgs [][]byte, ok bool) {
	r.isGroup = isGroup
	streamsAt := 0
	for i := 1; i < len(args) && streamsAt == 0; i++ {
		more := len(args) - 1 - i
		switch opt := args[i]; {
		case eqFold(opt, "block") && more > 0:
			i++
			ms, ok := parseInt(args[i])
			if !ok {
				c.w.Error(errXReadTimeoutNotInt)
				return r, nil, false
			}
			if ms < 0 {
				c.w.Error(errTimeoutNeg)
				return r, nil, false
			}
			r.block, r.timeout = true, time.Duration(min(ms, int64(time.Duration(1<<62)/time.Millisecond)))*time.Millisecond
		case eqFold(opt, "count") && more > 0:
			i++
			n, ok := parseInt(args[i])
			if !ok {
				c.w.Error(errNotInt)
				return r, nil, false
			}
			r.count = max(n, 0)
		case eqFold(opt, "streams") && more > 0:
			streamsAt = i + 1
			if (len(args)-streamsAt)%2 != 0 {
				c.w.Error(errXReadUnbalanced)
				return r, nil, false
			}
		case eqFold(opt, "group") && more >= 2:
			if !isGroup {
				c.w.Error(errXReadGroupOnly)
				return r, nil, false
			}
			r.group, r.consumer, r.groupGiven = string(args[i+1]), string(args[i+2]), true
			i += 2
		case eqFold(opt, "noack"):
			if !isGroup {
				c.w.Error(errXReadNoAckOnly)
				return r, nil, false
			}
			r.noack = true
		default:
			c.w.Error(errSyntax)
			return r, nil, false
		}
	}
	if streamsAt == 0 {
		c.w.Error(errSyntax)
		return r, nil, false
	}
	if isGroup && !r.groupGiven {
		c.w.Error(errXReadGroupMissing)
		return r, nil, false
	}
	n := (len(args) - streamsAt) / 2
	r.keys = args[streamsAt : streamsAt+n]
	return r, args[streamsAt+n:], true
}

func noGroupForRead(key []byte, group string) string {
	return fmt.Sprintf("NOGROUP No such key '%s' or consumer group '%s' in XREADGROUP with GROUP option",
		cString(key), cString([]byte(group)))
}

// resolveIDs checks the streams (and groups) and turns the ID arguments
// into IDs, as xreadCommand does before serving anything.
func resolveIDs(c *Client, r *xreadArgs, idArgs [][]byte, isGroup bool) bool {
	r.ids = make([]types.StreamID, len(idArgs))
	for i, arg := range idArgs {
		s, ok := readStream(c, r.keys[i])
		if !ok {
			return false
		}
		if isGroup && (s == nil || s.Group(r.group) == nil) {
			c.w.Error(noGroupForRead(r.keys[i], r.group))
			return false
		}
		switch a := cString(arg); {
		case len(a) == 1 && a[0] == '$':
			if isGroup {
				c.w.Error(errXReadGroupDollar)
				return false
			}
			if s != nil {
				r.ids[i] = s.LastID()
			}
		case len(a) == 1 && a[0] == '>':
			if !isGroup {
				c.w.Error(errXReadGTOnlyGroup)
				return false
			}
			r.ids[i] = types.MaxStreamID
		default:
			if r.ids[i], ok = strictID(c, arg); !ok {
				return false
			}
		}
	}
	return true
}

func xread(c *Client, args [][]byte, isGroup bool) {
	r, idArgs, ok := parseXRead(c, args, isGroup)
	if !ok || !resolveIDs(c, &r, idArgs, isGroup) {
		return
	}
	if served := serveXReadNow(c, &r); served {
		return
	}
	if !r.block || c.noBlock {
		c.w.NullArray()
		return
	}
	blockXRead(c, r)
}

// readPlan is what one stream contributes to a synchronous answer.
type readPlan struct {
	i        int // index in the arguments
	s        *types.Stream
	g        *types.StreamGroup
	consumer *types.StreamConsumer
	after    types.StreamID
	history  bool // XREADGROUP with an ID: the consumer's own PEL
}

// serveXReadNow answers from the streams that have something to read,
// reporting whether it answered.
func serveXReadNow(c *Client, r *xreadArgs) bool {
	var plans []readPlan
	for i, key := range r.keys {
		s := asStreamQuiet(c.db.LookupRead(key, c.now))
		if s == nil {
			continue
		}
		p := readPlan{i: i, s: s, after: r.ids[i]}
		if plan, ok := planRead(c, r, p); ok {
			plans = append(plans, plan)
		}
	}
	if len(plans) == 0 {
		return false
	}
	streamsHeader(c, len(plans))
	for _, p := range plans {
		writeStreamRead(c, r, p, r.keys[p.i], r.count)
	}
	return true
}

// planRead decides whether a stream can be served now; for XREADGROUP it
// also creates the consumer, or marks it seen, when it is served (Redis
// 7.0 does not create a consumer that reads nothing).
func planRead(c *Client, r *xreadArgs, p readPlan) (readPlan, bool) {
	if !r.isGroup {
		return p, p.s.Len() > 0 && p.after.Less(p.s.LastValidID())
	}
	p.g = p.s.Group(r.group)
	if p.after != types.MaxStreamID {
		p.history = true
	} else {
		p.after = p.g.LastID
		if p.s.Len() == 0 || !p.after.Less(p.s.LastValidID()) {
			return p, false
		}
	}
	p.consumer = consumerFor(c, p.g, r.keys[p.i], r.consumer)
	return p, true
}

// asStreamQuiet is the stream an entry holds, nil for a missing key or
// another type.
func asStreamQuiet(e *store.Entry) *types.Stream {
	if e == nil {
		return nil
	}
	s, _ := e.Obj.(*types.Stream)
	return s
}

// streamsHeader starts an answer about n streams: an array of pairs in
// RESP2, a map in RESP3.
func streamsHeader(c *Client, n int) {
	if c.w.Proto() == 2 {
		c.w.Array(n)
		return
	}
	c.w.Map(n)
}

// writeStreamRead writes one stream's part of the answer: its name and
// the entries read (RESP2 wraps the pair in an array; RESP3's map does
// not).
func writeStreamRead(c *Client, r *xreadArgs, p readPlan, key []byte, count int64) {
	if c.w.Proto() == 2 {
		c.w.Array(2)
	}
	c.w.Bulk(key)
	start, _ := p.after.Next()
	switch {
	case p.history:
		writeHistory(c, p, start, count)
	case p.g != nil:
		writeCounted(c, func(w *resp.Writer) int {
			return p.s.ReadNew(p.g, p.consumer, int(count), r.noack, c.now, func(id types.StreamID, fv [][]byte) {
				writeEntry(w, id, fv)
			})
		})
	default:
		writeRange(c, p.s, start, types.MaxStreamID, count, false)
	}
}

// writeHistory answers XREADGROUP with an ID: the consumer's pending
// entries after it, each delivered once more; an entry deleted since it
// was delivered comes with a null body.
func writeHistory(c *Client, p readPlan, start types.StreamID, count int64) {
	writeCounted(c, func(w *resp.Writer) int {
		n := int64(0)
		p.consumer.EachPending(start, func(e *types.PendingEntry) bool {
			if fv, ok := p.s.Get(e.ID); ok {
				writeEntry(w, e.ID, fv)
				e.DeliveryTime = c.now
				e.DeliveryCount++
			} else {
				w.Array(2)
				writeStreamID(w, e.ID)
				w.NullArray()
			}
			n++
			return count == 0 || n < count
		})
		return int(n)
	})
}

// blockXRead parks the client until one of its streams can serve it.
func blockXRead(c *Client, r xreadArgs) {
	keys := make([][]byte, len(r.keys))
	after := make(map[string]types.StreamID, len(r.keys))
	for i, k := range r.keys {
		keys[i] = []byte(string(k))
		if _, seen := after[string(k)]; !seen {
			after[string(k)] = r.ids[i] // the first occurrence counts, as in Redis
		}
	}
	r.keys = nil // the arguments do not outlive the block
	count := r.count
	if count == 0 {
		count = xreadBlockedDefaultCount
	}
	c.blockOn(blockSpec{
		keys:    keys,
		timeout: r.timeout,
		serve: func(c *Client, key []byte) bool {
			return serveBlockedXRead(c, &r, key, after[string(key)], count)
		},
		onTimeout: (*Client).replyNullArray,
	})
}

// serveBlockedXRead answers a blocked reader from key when it has
// something after the reader's ID (for a group, after the group's last
// delivered ID now), or with an error when its group reading cannot go
// on.
func serveBlockedXRead(c *Client, r *xreadArgs, key []byte, after types.StreamID, count int64) bool {
	s := asStreamQuiet(c.db.Lookup(key, c.now))
	p := readPlan{s: s, after: after}
	if r.isGroup {
		if errMsg := groupStillThere(s, r.group); errMsg != "" {
			if !c.beginServe() {
				return false
			}
			c.w.Error(errMsg)
			return true
		}
		p.g = s.Group(r.group)
		p.after = p.g.LastID
	}
	if s == nil || !p.after.Less(s.LastID()) || !c.beginServe() {
		return false
	}
	if p.g != nil {
		p.consumer = consumerFor(c, p.g, key, r.consumer)
	}
	streamsHeader(c, 1)
	writeStreamRead(c, r, p, key, count)
	return true
}

func groupStillThere(s *types.Stream, group string) string {
	switch {
	case s == nil:
		return errUnblockedNoStream
	case s.Group(group) == nil:
		return errUnblockedNoGroup
	}
	return ""
}
