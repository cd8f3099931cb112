package server

import (
	"fmt"
	"math"

	"github.com/kioku-db/kioku/resp"
	"github.com/kioku-db/kioku/server/config"
	"github.com/kioku-db/kioku/types"
)

// Consumer groups: XGROUP, XACK, XPENDING, XCLAIM, XAUTOCLAIM. A message
// read through a group stays pending until acknowledged; XCLAIM and
// XAUTOCLAIM hand the messages of a consumer that went away to another.

const (
	errXGroupNeedsKey   = "ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically."
	errBusyGroup        = "BUSYGROUP Consumer Group name already exists"
	errEntriesReadRange = "ERR value for ENTRIESREAD must be positive or -1"
	errXClaimMinIdle    = "ERR Invalid min-idle-time argument for XCLAIM"
	errXClaimIdle       = "ERR Invalid IDLE option argument for XCLAIM"
	errXClaimTime       = "ERR Invalid TIME option argument for XCLAIM"
	errXClaimRetryCount = "ERR Invalid RETRYCOUNT option argument for XCLAIM"
	errXAutoClaimIdle   = "ERR Invalid min-idle-time argument for XAUTOCLAIM"
	errXAutoClaimCount  = "ERR COUNT must be > 0"
	errXAutoClaimMemory = "ERR Insufficient memory, failed allocating transient memory, COUNT too high."
)

// xautoclaimAttemptsFactor bounds the PEL entries XAUTOCLAIM looks at to
// ten times its COUNT, as in Redis.
const xautoclaimAttemptsFactor = 10

// xautoclaimMaxCount is the largest COUNT served: Redis's allocation of
// 16 bytes per counted ID fails beyond a few terabytes.
const xautoclaimMaxCount = 1 << 38

func init() {
	register([]binding{
		{"xgroup|create", cmdXGroupCreate, lockKeys},
		{"xgroup|setid", cmdXGroupSetID, lockKeys},
		{"xgroup|destroy", cmdXGroupDestroy, lockKeys},
		{"xgroup|createconsumer", cmdXGroupCreateConsumer, lockKeys},
		{"xgroup|delconsumer", cmdXGroupDelConsumer, lockKeys},
		{"xgroup|help", cmdXGroupHelp, lockNone},
		{"xack", cmdXAck, lockKeys},
		{"xpending", cmdXPending, lockKeys},
		{"xclaim", cmdXClaim, lockKeys},
		{"xautoclaim", cmdXAutoClaim, lockKeys},
	})
}

func noSuchGroup(key []byte, group []byte) string {
	return fmt.Sprintf("NOGROUP No such consumer group '%s' for key name '%s'", cString(group), cString(key))
}

func noKeyOrGroup(key []byte, group []byte) string {
	return fmt.Sprintf("NOGROUP No such key '%s' or consumer group '%s'", cString(key), cString(group))
}

// xgroupOptions are CREATE's and SETID's trailing options.
type xgroupOptions struct {
	mkStream    bool
	entriesRead int64
}

// parseXGroupOptions reads MKSTREAM (CREATE only) and ENTRIESREAD.
func parseXGroupOptions(c *Client, args [][]byte, create bool) (o xgroupOptions, ok bool) {
	o.entriesRead = -1
	for i := 5; i < len(args); i++ {
		switch {
		case create && eqFold(args[i], "mkstream"):
			o.mkStream = true
		case eqFold(args[i], "entriesread") && i+1 < len(args):
			n, ok := parseInt(args[i+1])
			if !ok {
				c.w.Error(errNotInt)
				return o, false
			}
			if n < -1 {
				c.w.Error(errEntriesReadRange)
				return o, false
			}
			o.entriesRead = n
			i++
		default:
			c.w.Error(subcommandSyntaxError(args))
			return o, false
		}
	}
	return o, true
}

// xgroupTarget finds the stream of an XGROUP subcommand and, when needs
// says so, its group, answering the errors Redis answers.
func xgroupTarget(c *Client, args [][]byte, mayCreate, needsGroup bool) (s *types.Stream, g *types.StreamGroup, ok bool) {
	if s, ok = writeStream(c, args[2]); !ok {
		return nil, nil, false
	}
	if s == nil {
		if mayCreate {
			return nil, nil, true
		}
		c.w.Error(errXGroupNeedsKey)
		return nil, nil, false
	}
	g = s.Group(string(args[3]))
	if g == nil && needsGroup {
		c.w.Error(noSuchGroup(args[2], args[3]))
		return nil, nil, false
	}
	return s, g, true
}

func cmdXGroupCreate(c *Client, args [][]byte) {
	o, ok := parseXGroupOptions(c, args, true)
	if !ok {
		return
	}
	s, _, ok := xgroupTarget(c, args, o.mkStream, false)
	if !ok {
		return
	}
	if len(args) > 8 {
		c.w.Error(subcommandSyntaxError(args))
		return
	}
	var id types.StreamID
	if a := cString(args[4]); len(a) == 1 && a[0] == '$' {
		if s != nil {
			id = s.LastID()
		}
	} else if id, ok = strictID(c, args[4]); !ok {
		return
	}
	created := s == nil
	if created {
		s = types.NewStream()
	}
	if _, ok := s.CreateGroup(string(args[3]), id, o.entriesRead); !ok {
		c.w.Error(errBusyGroup)
		return
	}
	if created {
		c.db.SetObject(args[2], s)
	}
	c.w.OK()
	c.notify(config.NotifyStream, "xgroup-create", args[2])
}

func cmdXGroupSetID(c *Client, args [][]byte) {
	o, ok := parseXGroupOptions(c, args, false)
	if !ok {
		return
	}
	s, g, ok := xgroupTarget(c, args, false, true)
	if !ok {
		return
	}
	if len(args) != 5 && len(args) != 7 {
		c.w.Error(subcommandSyntaxError(args))
		return
	}
	id := s.LastID()
	if a := cString(args[4]); len(a) != 1 || a[0] != '$' {
		var ok bool
		if id, _, ok = parseStreamID(args[4], 0, false, false); !ok {
			c.w.Error(errStreamID)
			return
		}
	}
	g.LastID, g.EntriesRead = id, o.entriesRead
	c.w.OK()
	c.notify(config.NotifyStream, "xgroup-setid", args[2])
}

func cmdXGroupDestroy(c *Client, args [][]byte) {
	s, g, ok := xgroupTarget(c, args, false, false)
	if !ok {
		return
	}
	if g == nil {
		c.w.Int(0)
		return
	}
	s.DestroyGroup(g.Name)
	c.w.Int(1)
	c.notify(config.NotifyStream, "xgroup-destroy", args[2])
	// Readers blocked on the group must learn it is gone; like Redis
	// (signalKeyAsReady without signalModifiedKey) this wakes them without
	// breaking a WATCH on the key.
	c.srv.keyModified(c.db, string(args[2]))
}

func cmdXGroupCreateConsumer(c *Client, args [][]byte) {
	_, g, ok := xgroupTarget(c, args, false, true)
	if !ok {
		return
	}
	_, created := g.CreateConsumer(string(args[4]), c.now)
	c.w.Int(boolInt(created))
	if created {
		c.notify(config.NotifyStream, "xgroup-createconsumer", args[2])
	}
}

func cmdXGroupDelConsumer(c *Client, args [][]byte) {
	_, g, ok := xgroupTarget(c, args, false, true)
	if !ok {
		return
	}
	pending, deleted := g.DeleteConsumer(string(args[4]))
	c.w.Int(int64(pending))
	if deleted {
		c.notify(config.NotifyStream, "xgroup-delconsumer", args[2])
	}
}

func cmdXGroupHelp(c *Client, args [][]byte) {
	writeHelp(c, "XGROUP",
		"CREATE <key> <groupname> <id|$> [option]",
		"    Create a new consumer group. Options are:",
		"    * MKSTREAM",
		"      Create the empty stream if it does not exist.",
		"    * ENTRIESREAD entries_read",
		"      Set the group's entries_read counter (internal use).",
		"CREATECONSUMER <key> <groupname> <consumer>",
		"    Create a new consumer in the specified group.",
		"DELCONSUMER <key> <groupname> <consumer>",
		"    Remove the specified consumer.",
		"DESTROY <key> <groupname>",
		"    Remove the specified group.",
		"SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
		"    Set the current group ID and entries_read counter.",
	)
}

// lookupGroup finds key's stream and its group for XACK and friends;
// s or g is nil when missing. ok is false after WRONGTYPE.
func lookupGroup(c *Client, key, group []byte) (s *types.Stream, g *types.StreamGroup, ok bool) {
	if s, ok = readStream(c, key); !ok || s == nil {
		return s, nil, ok
	}
	return s, s.Group(string(group)), true
}

func cmdXAck(c *Client, args [][]byte) {
	_, g, ok := lookupGroup(c, args[1], args[2])
	if !ok {
		return
	}
	if g == nil {
		c.w.Int(0)
		return
	}
	ids, ok := parseStrictIDs(c, args[3:])
	if !ok {
		return
	}
	var acked int64
	for _, id := range ids {
		if g.Ack(id) {
			acked++
		}
	}
	c.w.Int(acked)
}

// xpendingRange is the extended form of XPENDING.
type xpendingRange struct {
	minIdle    int64
	start, end types.StreamID
	count      int64
	consumer   []byte // nil: every consumer
}

func parseXPendingRange(c *Client, args [][]byte) (r xpendingRange, ok bool) {
	at := 3
	if eqFold(args[3], "idle") {
		if r.minIdle, ok = parseInt(args[4]); !ok {
			c.w.Error(errNotInt)
			return r, false
		}
		if len(args) < 8 {
			c.w.Error(errSyntax)
			return r, false
		}
		at += 2
	}
	if r.count, ok = parseInt(args[at+2]); !ok {
		c.w.Error(errNotInt)
		return r, false
	}
	r.count = max(r.count, 0)
	if r.start, ok = parseRangeStart(c, args[at]); !ok {
		return r, false
	}
	if r.end, ok = parseRangeEnd(c, args[at+1]); !ok {
		return r, false
	}
	if at+3 < len(args) {
		r.consumer = args[at+3]
	}
	return r, true
}

func cmdXPending(c *Client, args [][]byte) {
	if len(args) != 3 && (len(args) < 6 || len(args) > 9) {
		c.w.Error(errSyntax)
		return
	}
	var r xpendingRange
	if len(args) >= 6 {
		var ok bool
		if r, ok = parseXPendingRange(c, args); !ok {
			return
		}
	}
	_, g, ok := lookupGroup(c, args[1], args[2])
	if !ok {
		return
	}
	if g == nil {
		c.w.Error(noKeyOrGroup(args[1], args[2]))
		return
	}
	if len(args) == 3 {
		writePendingSummary(c, g)
		return
	}
	writePendingRange(c, g, r)
}

// writePendingSummary answers XPENDING key group: the count, the smallest
// and greatest IDs, and the count per consumer.
func writePendingSummary(c *Client, g *types.StreamGroup) {
	c.w.Array(4)
	c.w.Int(int64(g.PendingCount()))
	if g.PendingCount() == 0 {
		c.w.Null()
		c.w.Null()
		c.w.NullArray()
		return
	}
	first, last := g.PendingBounds()
	writeStreamID(c.w, first)
	writeStreamID(c.w, last)
	writeCounted(c, func(w *resp.Writer) int {
		n := 0
		for _, cons := range g.Consumers() {
			if cons.PendingCount() == 0 {
				continue
			}
			w.Array(2)
			w.BulkString(cons.Name)
			w.BulkInt(int64(cons.PendingCount()))
			n++
		}
		return n
	})
}

// writePendingRange answers the extended form: one line per pending
// entry in the range, idle for at least minIdle.
func writePendingRange(c *Client, g *types.StreamGroup, r xpendingRange) {
	each := g.EachPending
	if r.consumer != nil {
		cons := g.Consumer(string(r.consumer))
		if cons == nil {
			c.w.Array(0)
			return
		}
		each = cons.EachPending
	}
	count := r.count
	writeCounted(c, func(w *resp.Writer) int {
		n := 0
		each(r.start, func(e *types.PendingEntry) bool {
			if count == 0 || r.end.Less(e.ID) {
				return false
			}
			idle := c.now - e.DeliveryTime
			if r.minIdle != 0 && idle < r.minIdle {
				return true
			}
			count--
			n++
			w.Array(4)
			writeStreamID(w, e.ID)
			w.BulkString(e.Consumer.Name)
			w.Int(max(idle, 0))
			w.Int(e.DeliveryCount)
			return true
		})
		return n
	})
}

// xclaimOptions are XCLAIM's trailing options.
type xclaimOptions struct {
	deliveryTime int64 // -1: now
	retryCount   int64 // -1: increment
	force        bool
	justID       bool
	lastID       types.StreamID
}

// parseXClaimOptions reads the options after the IDs, from args[j].
func parseXClaimOptions(c *Client, args [][]byte, j int) (o xclaimOptions, ok bool) {
	o.deliveryTime, o.retryCount = -1, -1
	for ; j < len(args); j++ {
		more := len(args) - 1 - j
		opt := args[j]
		switch {
		case eqFold(opt, "force"):
			o.force = true
		case eqFold(opt, "justid"):
			o.justID = true
		case eqFold(opt, "idle") && more > 0:
			j++
			n, ok := parseInt(args[j])
			if !ok {
				c.w.Error(errXClaimIdle)
				return o, false
			}
			o.deliveryTime = c.now - n
		case eqFold(opt, "time") && more > 0:
			j++
			if o.deliveryTime, ok = parseInt(args[j]); !ok {
				c.w.Error(errXClaimTime)
				return o, false
			}
		case eqFold(opt, "retrycount") && more > 0:
			j++
			if o.retryCount, ok = parseInt(args[j]); !ok {
				c.w.Error(errXClaimRetryCount)
				return o, false
			}
		case eqFold(opt, "lastid") && more > 0:
			j++
			if o.lastID, ok = strictID(c, args[j]); !ok {
				return o, false
			}
		default:
			c.w.Error(fmt.Sprintf("ERR Unrecognized XCLAIM option '%s'", cString(opt)))
			return o, false
		}
	}
	// A time in the future or before the epoch is taken as now rather
	// than refused: clients compute it from clocks that may disagree.
	if o.deliveryTime < 0 || o.deliveryTime > c.now {
		o.deliveryTime = c.now
	}
	return o, true
}

func cmdXClaim(c *Client, args [][]byte) {
	s, g, ok := lookupGroup(c, args[1], args[2])
	if !ok {
		return
	}
	if g == nil {
		c.w.Error(noKeyOrGroup(args[1], args[2]))
		return
	}
	minIdle, ok := parseInt(args[4])
	if !ok {
		c.w.Error(errXClaimMinIdle)
		return
	}
	minIdle = max(minIdle, 0)
	var ids []types.StreamID
	j := 5
	for ; j < len(args); j++ {
		id, _, ok := parseStreamID(args[j], 0, true, false)
		if !ok {
			break
		}
		ids = append(ids, id)
	}
	o, ok := parseXClaimOptions(c, args, j)
	if !ok {
		return
	}
	if g.LastID.Less(o.lastID) {
		g.LastID = o.lastID
	}
	claimer := claimerFor(c, g, args[1], string(args[3]))
	writeCounted(c, func(w *resp.Writer) int {
		n := 0
		for _, id := range ids {
			if claimOne(c, s, g, claimer, id, minIdle, o, w) {
				n++
			}
		}
		return n
	})
}

// claimerFor returns a function giving the claiming consumer, created (or
// marked seen) the first time an entry is actually claimed, as Redis 7.0
// does.
func claimerFor(c *Client, g *types.StreamGroup, key []byte, name string) func() *types.StreamConsumer {
	var cons *types.StreamConsumer
	return func() *types.StreamConsumer {
		if cons == nil {
			cons = consumerFor(c, g, key, name)
		}
		return cons
	}
}

// claimOne applies XCLAIM to one ID and writes its reply line when it is
// claimed. A pending entry whose message was deleted leaves the PEL.
func claimOne(c *Client, s *types.Stream, g *types.StreamGroup, claimer func() *types.StreamConsumer,
	id types.StreamID, minIdle int64, o xclaimOptions, w *resp.Writer) bool {
	e := g.Pending(id)
	fv, exists := s.Get(id)
	if !exists {
		if e != nil {
			g.Ack(id)
		}
		return false
	}
	if e == nil {
		if !o.force {
			return false
		}
		e = g.AddOrphanPending(id, c.now)
	} else if minIdle > 0 && c.now-e.DeliveryTime < minIdle {
		return false
	}
	g.Transfer(e, claimer())
	e.DeliveryTime = o.deliveryTime
	switch {
	case o.retryCount >= 0:
		e.DeliveryCount = o.retryCount
	case !o.justID:
		e.DeliveryCount++
	}
	if o.justID {
		writeStreamID(w, id)
	} else {
		writeEntry(w, id, fv)
	}
	return true
}

func cmdXAutoClaim(c *Client, args [][]byte) {
	minIdle, ok := parseInt(args[4])
	if !ok {
		c.w.Error(errXAutoClaimIdle)
		return
	}
	minIdle = max(minIdle, 0)
	start, ok := parseRangeStart(c, args[5])
	if !ok {
		return
	}
	count, justID, ok := parseXAutoClaimOptions(c, args)
	if !ok {
		return
	}
	s, g, ok := lookupGroup(c, args[1], args[2])
	if !ok {
		return
	}
	if g == nil {
		c.w.Error(noKeyOrGroup(args[1], args[2]))
		return
	}
	if count > xautoclaimMaxCount {
		// Redis allocates room for count deleted IDs up front and refuses
		// a count whose allocation fails.
		c.w.Error(errXAutoClaimMemory)
		return
	}
	autoClaim(c, s, g, args[1], string(args[3]), minIdle, start, count, justID)
}

func parseXAutoClaimOptions(c *Client, args [][]byte) (count int64, justID, ok bool) {
	count = 100
	for j := 6; j < len(args); j++ {
		switch {
		case eqFold(args[j], "count") && j+1 < len(args):
			n, ok := parseInt(args[j+1])
			if !ok || n < 1 || n > math.MaxInt64/16 {
				c.w.Error(errXAutoClaimCount)
				return 0, false, false
			}
			count = n
			j++
		case eqFold(args[j], "justid"):
			justID = true
		default:
			c.w.Error(errSyntax)
			return 0, false, false
		}
	}
	return count, justID, true
}

// autoClaim walks the PEL from start, claiming entries idle for at least
// minIdle, dropping those whose message was deleted, looking at no more
// than ten times count entries. The reply is the cursor to continue from
// (0-0 at the end), the claimed entries, and the deleted IDs.
func autoClaim(c *Client, s *types.Stream, g *types.StreamGroup, key []byte, name string, minIdle int64,
	start types.StreamID, count int64, justID bool) {
	claimer := claimerFor(c, g, key, name)
	attempts := count * xautoclaimAttemptsFactor
	var deleted []types.StreamID
	var next types.StreamID
	c.w.Array(3)
	body := scratchWriters.Get().(*resp.Writer)
	body.Reset()
	body.SetProto(c.w.Proto())
	body.Limit = c.w.Limit
	claimed := 0
	g.EachPending(start, func(e *types.PendingEntry) bool {
		if attempts == 0 || count == 0 {
			next = e.ID
			return false
		}
		attempts--
		fv, exists := s.Get(e.ID)
		switch {
		case !exists:
			deleted = append(deleted, e.ID)
			g.Ack(e.ID)
			count--
		case minIdle > 0 && c.now-e.DeliveryTime < minIdle:
		default:
			g.Transfer(e, claimer())
			e.DeliveryTime = c.now
			if !justID {
				e.DeliveryCount++
				writeEntry(body, e.ID, fv)
			} else {
				writeStreamID(body, e.ID)
			}
			claimed++
			count--
		}
		return true
	})
	writeStreamID(c.w, next)
	c.w.Array(claimed)
	c.w.Raw(body.Buffer())
	body.Reset()
	scratchWriters.Put(body)
	c.w.Array(len(deleted))
	for _, id := range deleted {
		writeStreamID(c.w, id)
	}
}
