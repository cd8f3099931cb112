package server

import (
	"math"
	"sync"

	"github.com/kioku-db/kioku/resp"
	"github.com/kioku-db/kioku/server/config"
	"github.com/kioku-db/kioku/store"
	"github.com/kioku-db/kioku/types"
)

// The stream family (Redis's t_stream.c): appending, ranges, trimming and
// deletion here; reading and blocking in cmd_stream_read.go, consumer
// groups in cmd_stream_group.go, XINFO in cmd_stream_info.go. The data
// structure is types.Stream. Arguments are checked in Redis's order, so a
// command with several problems reports the error Redis reports.

// Error replies of the stream family, spelled as Redis 7.0 spells them.
const (
	errStreamID            = "ERR Invalid stream ID specified as stream command argument"
	errXAddZeroID          = "ERR The ID specified in XADD must be greater than 0-0"
	errXAddIDTooSmall      = "ERR The ID specified in XADD is equal or smaller than the target stream top item"
	errStreamExhausted     = "ERR The stream has exhausted the last possible ID, unable to add more items"
	errStreamTooLarge      = "ERR Elements are too large to be stored"
	errMaxLenNegative      = "ERR The MAXLEN argument must be >= 0."
	errLimitNegativeStream = "ERR The LIMIT argument must be >= 0."
	errMaxLenAndMinID      = "ERR syntax error, MAXLEN and MINID options at the same time are not compatible"
	errLimitNoStrategy     = "ERR syntax error, LIMIT cannot be used without specifying a trimming strategy"
	errLimitNoApprox       = "ERR syntax error, LIMIT cannot be used without the special ~ option"
	errXTrimNoStrategy     = "ERR syntax error, XTRIM must be called with a trimming strategy"
	errInvalidStartID      = "ERR invalid start ID for the interval"
	errInvalidEndID        = "ERR invalid end ID for the interval"
	errXSetIDTooSmall      = "ERR The ID specified in XSETID is smaller than the target stream top item"
	errXSetIDBelowGivenDel = "ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id"
	errXSetIDEntriesAdded  = "ERR The entries_added specified in XSETID is smaller than the target stream length"
	errEntriesAddedNeg     = "ERR entries_added must be positive"
)

func init() {
	register([]binding{
		{"xadd", cmdXAdd, lockKeys},
		{"xrange", cmdXRange, lockKeys},
		{"xrevrange", cmdXRevRange, lockKeys},
		{"xlen", cmdXLen, lockKeys},
		{"xdel", cmdXDel, lockKeys},
		{"xtrim", cmdXTrim, lockKeys},
		{"xsetid", cmdXSetID, lockKeys},
	})
	// XADD, XSETID and the group commands fire their events themselves:
	// theirs depend on what happened, or change no key in the store.
	declareEvents(config.NotifyStream, []keyEvent{{"xdel", "xdel"}, {"xtrim", "xtrim"}})
}

// consumerFor returns a group's consumer, created if missing (which fires
// xgroup-createconsumer, as Redis's streamCreateConsumer does), marked as
// seen now.
func consumerFor(c *Client, g *types.StreamGroup, key []byte, name string) *types.StreamConsumer {
	cons, created := g.ConsumerFor(name, c.now)
	if created {
		c.notify(config.NotifyStream, "xgroup-createconsumer", key)
	}
	return cons
}

// asStream returns the stream an entry holds; ok is false (and WRONGTYPE
// written) for another type. A missing key gives nil, true.
func asStream(c *Client, e *store.Entry) (s *types.Stream, ok bool) {
	if e == nil {
		return nil, true
	}
	if s, ok = e.Obj.(*types.Stream); !ok {
		c.w.Error(errWrongType)
	}
	return s, ok
}

// readStream looks a stream up for a command that reads it.
func readStream(c *Client, key []byte) (*types.Stream, bool) {
	return asStream(c, c.db.LookupRead(key, c.now))
}

// writeStream looks a stream up for a command that may modify it.
func writeStream(c *Client, key []byte) (*types.Stream, bool) {
	return asStream(c, c.db.Lookup(key, c.now))
}

// nodeLimits are stream-node-max-bytes and stream-node-max-entries, read
// per command so that CONFIG SET applies to the next XADD.
func (c *Client) nodeLimits() types.NodeLimits {
	return types.NodeLimits{
		MaxBytes:   c.srv.cfg.Int("stream-node-max-bytes"),
		MaxEntries: c.srv.cfg.Int("stream-node-max-entries"),
	}
}

// parseStreamID parses "ms-seq", "ms" (seq = missingSeq), and unless
// strict "-" and "+", as Redis's streamGenericParseIDOrReply. With
// allowAutoSeq, "ms-*" is accepted and seqGiven reports whether the
// sequence was given.
func parseStreamID(arg []byte, missingSeq uint64, strict, allowAutoSeq bool) (id types.StreamID, seqGiven, ok bool) {
	if len(arg) > 127 {
		return id, false, false
	}
	arg = cString(arg)
	if len(arg) == 1 && (arg[0] == '-' || arg[0] == '+') {
		if strict {
			return id, false, false
		}
		if arg[0] == '+' {
			return types.MaxStreamID, true, true
		}
		return id, true, true
	}
	msPart, seqPart, hasSeq := cutByte(arg, '-')
	ms, ok := parseULL(msPart)
	if !ok {
		return id, false, false
	}
	seq := missingSeq
	seqGiven = true
	if hasSeq {
		if allowAutoSeq && len(seqPart) == 1 && seqPart[0] == '*' {
			seq, seqGiven = 0, false
		} else if seq, ok = parseULL(seqPart); !ok {
			return id, false, false
		}
	}
	return types.StreamID{Ms: ms, Seq: seq}, seqGiven, true
}

func cutByte(b []byte, sep byte) (before, after []byte, found bool) {
	for i, ch := range b {
		if ch == sep {
			return b[:i], b[i+1:], true
		}
	}
	return b, nil, false
}

// parseULL is Redis's string2ull: a strict integer that is not negative,
// or failing that what strtoull accepts (leading spaces, a sign, leading
// zeros; a minus negates modulo 2^64), the whole argument consumed.
func parseULL(b []byte) (uint64, bool) {
	if n, ok := parseInt(b); ok {
		return uint64(n), n >= 0
	}
	i := 0
	for i < len(b) && (b[i] == ' ' || b[i] >= '\t' && b[i] <= '\r') {
		i++
	}
	neg := false
	if i < len(b) && (b[i] == '+' || b[i] == '-') {
		neg = b[i] == '-'
		i++
	}
	if i == len(b) {
		return 0, false
	}
	var v uint64
	for ; i < len(b); i++ {
		ch := b[i]
		if ch < '0' || ch > '9' {
			return 0, false
		}
		if v > (math.MaxUint64-uint64(ch-'0'))/10 {
			return 0, false // ERANGE
		}
		v = v*10 + uint64(ch-'0')
	}
	if neg {
		v = -v
	}
	return v, true
}

// parseIntervalID parses a range bound: "(" makes it exclusive (and
// strict), as streamParseIntervalIDOrReply.
func parseIntervalID(arg []byte, missingSeq uint64) (id types.StreamID, exclusive, ok bool) {
	if len(arg) > 1 && arg[0] == '(' {
		id, _, ok = parseStreamID(arg[1:], missingSeq, true, false)
		return id, true, ok
	}
	id, _, ok = parseStreamID(arg, missingSeq, false, false)
	return id, false, ok
}

// parseRangeStart parses an interval's start, moving past an exclusive
// bound; it writes the error itself.
func parseRangeStart(c *Client, arg []byte) (types.StreamID, bool) {
	id, excl, ok := parseIntervalID(arg, 0)
	if !ok {
		c.w.Error(errStreamID)
		return id, false
	}
	if excl {
		if id, ok = id.Next(); !ok {
			c.w.Error(errInvalidStartID)
			return id, false
		}
	}
	return id, true
}

// parseRangeEnd is parseRangeStart for the end of an interval.
func parseRangeEnd(c *Client, arg []byte) (types.StreamID, bool) {
	id, excl, ok := parseIntervalID(arg, math.MaxUint64)
	if !ok {
		c.w.Error(errStreamID)
		return id, false
	}
	if excl {
		if id, ok = id.Prev(); !ok {
			c.w.Error(errInvalidEndID)
			return id, false
		}
	}
	return id, true
}

// strictID parses an ID that may not be "-" or "+" (XDEL, XACK, ...),
// writing the error itself.
func strictID(c *Client, arg []byte) (types.StreamID, bool) {
	id, _, ok := parseStreamID(arg, 0, true, false)
	if !ok {
		c.w.Error(errStreamID)
	}
	return id, ok
}

func writeStreamID(w *resp.Writer, id types.StreamID) {
	var buf [48]byte
	w.Bulk(id.AppendTo(buf[:0]))
}

// writeEntry writes one entry: its ID and its fields and values.
func writeEntry(w *resp.Writer, id types.StreamID, fv [][]byte) {
	w.Array(2)
	writeStreamID(w, id)
	w.Array(len(fv))
	for _, b := range fv {
		w.Bulk(b)
	}
}

// scratchWriters hold replies whose length is known only once written
// (ranges cut short by deleted entries, claims that skip some IDs).
var scratchWriters = sync.Pool{New: func() any { return resp.NewWriter() }}

// writeCounted writes an array of the elements fill writes, returning
// their number: they go to a scratch writer first, so that the header
// can carry the count.
func writeCounted(c *Client, fill func(w *resp.Writer) int) int {
	w := scratchWriters.Get().(*resp.Writer)
	w.Reset()
	w.SetProto(c.w.Proto())
	w.Limit = c.w.Limit
	n := fill(w)
	c.w.Array(n)
	c.w.Raw(w.Buffer())
	w.Reset()
	scratchWriters.Put(w)
	return n
}

// writeRange writes the entries from start to end (count 0: all).
func writeRange(c *Client, s *types.Stream, start, end types.StreamID, count int64, rev bool) {
	writeCounted(c, func(w *resp.Writer) int {
		n := int64(0)
		if s != nil {
			s.Range(start, end, rev, func(id types.StreamID, fv [][]byte) bool {
				writeEntry(w, id, fv)
				n++
				return count == 0 || n < count
			})
		}
		return int(n)
	})
}

// addTrimArgs are XADD's and XTRIM's options.
type addTrimArgs struct {
	trim       types.TrimSpec
	hasTrim    bool
	limitGiven bool
	noMkStream bool
	id         types.StreamID
	idGiven    bool // an explicit ID (else *)
	seqGiven   bool // ms-seq rather than ms-*
}

// parseAddTrimArgs parses the options of XADD (xadd) or XTRIM from
// argument 2, as streamParseAddOrTrimArgsOrReply; it returns the position
// of XADD's ID (or the end), or -1 after writing an error.
func parseAddTrimArgs(c *Client, args [][]byte, xadd bool) (a addTrimArgs, idPos int) {
	i := 2
	for ; i < len(args); i++ {
		more := len(args) - 1 - i
		opt := args[i]
		switch {
		case xadd && len(opt) == 1 && opt[0] == '*':
			return a.finish(c, i, xadd)
		case eqFold(opt, "maxlen") && more > 0, eqFold(opt, "minid") && more > 0:
			if a.hasTrim {
				c.w.Error(errMaxLenAndMinID)
				return a, -1
			}
			if i = a.parseStrategy(c, args, i, more); i < 0 {
				return a, -1
			}
		case eqFold(opt, "limit") && more > 0:
			n, ok := parseInt(args[i+1])
			if !ok {
				c.w.Error(errNotInt)
				return a, -1
			}
			if n < 0 {
				c.w.Error(errLimitNegativeStream)
				return a, -1
			}
			a.trim.Limit, a.limitGiven = n, true
			i++
		case xadd && eqFold(opt, "nomkstream"):
			a.noMkStream = true
		case xadd:
			id, seqGiven, ok := parseStreamID(opt, 0, true, true)
			if !ok {
				c.w.Error(errStreamID)
				return a, -1
			}
			a.id, a.seqGiven, a.idGiven = id, seqGiven, true
			return a.finish(c, i, xadd)
		default:
			c.w.Error(errSyntax)
			return a, -1
		}
	}
	return a.finish(c, i, xadd)
}

// parseStrategy parses MAXLEN or MINID at i with its optional = or ~ and
// returns the position of its last argument, or -1 after an error.
func (a *addTrimArgs) parseStrategy(c *Client, args [][]byte, i, more int) int {
	a.trim.ByMinID = eqFold(args[i], "minid")
	a.trim.Approx = false
	if next := args[i+1]; more >= 2 && len(next) == 1 && (next[0] == '~' || next[0] == '=') {
		a.trim.Approx = next[0] == '~'
		i++
	}
	arg := args[i+1]
	if a.trim.ByMinID {
		id, ok := strictID(c, arg)
		if !ok {
			return -1
		}
		a.trim.MinID = id
	} else {
		n, ok := parseInt(arg)
		if !ok {
			c.w.Error(errNotInt)
			return -1
		}
		if n < 0 {
			c.w.Error(errMaxLenNegative)
			return -1
		}
		a.trim.MaxLen = uint64(n)
	}
	a.hasTrim = true
	return i + 1
}

// finish applies the checks Redis makes once the options are read, and
// the default LIMIT of approximate trimming.
func (a addTrimArgs) finish(c *Client, idPos int, xadd bool) (addTrimArgs, int) {
	switch {
	case a.trim.Limit != 0 && !a.hasTrim:
		c.w.Error(errLimitNoStrategy)
		return a, -1
	case !xadd && !a.hasTrim:
		c.w.Error(errXTrimNoStrategy)
		return a, -1
	case a.limitGiven && !a.trim.Approx:
		c.w.Error(errLimitNoApprox)
		return a, -1
	case !a.limitGiven && a.trim.Approx:
		a.trim.Limit = 100 * c.srv.cfg.Int("stream-node-max-entries")
		if a.trim.Limit <= 0 || a.trim.Limit > 1000000 {
			a.trim.Limit = 10000
		}
	}
	return a, idPos
}

func cmdXAdd(c *Client, args [][]byte) {
	a, idPos := parseAddTrimArgs(c, args, true)
	if idPos < 0 {
		return
	}
	fields := args[min(idPos+1, len(args)):]
	if len(fields) < 2 || len(fields)%2 == 1 {
		c.w.Error(wrongArgs("xadd"))
		return
	}
	if a.idGiven && a.seqGiven && a.id.IsZero() {
		c.w.Error(errXAddZeroID)
		return
	}
	s, ok := writeStream(c, args[1])
	if !ok {
		return
	}
	created := s == nil
	if created {
		if a.noMkStream {
			c.w.Null()
			return
		}
		s = types.NewStream()
	}
	id, errMsg := xaddID(c, s, a)
	if errMsg == "" {
		if err := s.Add(id, fields, c.nodeLimits()); err != nil {
			errMsg = errXAddIDTooSmall
		}
	}
	if errMsg != "" {
		c.w.Error(errMsg)
		return
	}
	writeStreamID(c.w, id)
	c.notify(config.NotifyStream, "xadd", args[1])
	if a.hasTrim && s.Trim(a.trim) > 0 {
		c.notify(config.NotifyStream, "xtrim", args[1])
	}
	if created {
		c.db.SetObject(args[1], s)
	} else {
		c.db.Touched(args[1])
	}
}

// xaddID is the ID of the entry XADD adds, or the error reply.
func xaddID(c *Client, s *types.Stream, a addTrimArgs) (types.StreamID, string) {
	if s.LastID() == types.MaxStreamID {
		return types.StreamID{}, errStreamExhausted
	}
	switch {
	case !a.idGiven:
		id, _ := s.AutoID(uint64(max(c.now, 0)))
		return id, ""
	case !a.seqGiven:
		id, err := s.IDForMs(a.id.Ms)
		if err != nil {
			return id, errStreamTooLarge
		}
		return id, ""
	}
	return a.id, ""
}

func cmdXRange(c *Client, args [][]byte)    { xrange(c, args, false) }
func cmdXRevRange(c *Client, args [][]byte) { xrange(c, args, true) }

// xrange serves XRANGE key start end and XREVRANGE key end start.
func xrange(c *Client, args [][]byte, rev bool) {
	startArg, endArg := args[2], args[3]
	if rev {
		startArg, endArg = endArg, startArg
	}
	start, ok := parseRangeStart(c, startArg)
	if !ok {
		return
	}
	end, ok := parseRangeEnd(c, endArg)
	if !ok {
		return
	}
	count := int64(-1)
	for j := 4; j < len(args); j++ {
		if !eqFold(args[j], "count") || j+1 >= len(args) {
			c.w.Error(errSyntax)
			return
		}
		n, ok := parseInt(args[j+1])
		if !ok {
			c.w.Error(errNotInt)
			return
		}
		count = max(n, 0)
		j++
	}
	e := c.db.LookupRead(args[1], c.now)
	if e == nil {
		c.w.Array(0)
		return
	}
	s, ok := asStream(c, e)
	if !ok {
		return
	}
	if count == 0 {
		c.w.NullArray()
		return
	}
	writeRange(c, s, start, end, max(count, 0), rev)
}

func cmdXLen(c *Client, args [][]byte) {
	s, ok := readStream(c, args[1])
	if !ok {
		return
	}
	if s == nil {
		c.w.Int(0)
		return
	}
	c.w.Int(int64(s.Len()))
}

func cmdXDel(c *Client, args [][]byte) {
	s, ok := writeStream(c, args[1])
	if !ok {
		return
	}
	if s == nil {
		c.w.Int(0)
		return
	}
	ids, ok := parseStrictIDs(c, args[2:])
	if !ok {
		return
	}
	var deleted int64
	for _, id := range ids {
		if s.Delete(id) {
			deleted++
		}
	}
	if deleted > 0 {
		c.db.Touched(args[1])
	}
	c.w.Int(deleted)
}

// parseStrictIDs parses every ID before the command acts, so that a bad
// one leaves nothing half done.
func parseStrictIDs(c *Client, args [][]byte) ([]types.StreamID, bool) {
	ids := make([]types.StreamID, len(args))
	for i, a := range args {
		id, ok := strictID(c, a)
		if !ok {
			return nil, false
		}
		ids[i] = id
	}
	return ids, true
}

func cmdXTrim(c *Client, args [][]byte) {
	a, idPos := parseAddTrimArgs(c, args, false)
	if idPos < 0 {
		return
	}
	s, ok := writeStream(c, args[1])
	if !ok {
		return
	}
	if s == nil {
		c.w.Int(0)
		return
	}
	deleted := s.Trim(a.trim)
	if deleted > 0 {
		c.db.Touched(args[1])
	}
	c.w.Int(deleted)
}

func cmdXSetID(c *Client, args [][]byte) {
	id, ok := strictID(c, args[2])
	if !ok {
		return
	}
	entriesAdded := int64(-1)
	var maxDeleted types.StreamID
	for i := 3; i < len(args); i += 2 {
		more := len(args) - 1 - i
		switch {
		case eqFold(args[i], "entriesadded") && more > 0:
			n, ok := parseInt(args[i+1])
			if !ok {
				c.w.Error(errNotInt)
				return
			}
			if n < 0 {
				c.w.Error(errEntriesAddedNeg)
				return
			}
			entriesAdded = n
		case eqFold(args[i], "maxdeletedid") && more > 0:
			if maxDeleted, ok = strictID(c, args[i+1]); !ok {
				return
			}
			if id.Less(maxDeleted) {
				c.w.Error(errXSetIDBelowGivenDel)
				return
			}
		default:
			c.w.Error(errSyntax)
			return
		}
	}
	s, ok := writeStream(c, args[1])
	if !ok {
		return
	}
	if s == nil {
		c.w.Error(errNoSuchKey)
		return
	}
	if errMsg := checkXSetID(s, id, entriesAdded); errMsg != "" {
		c.w.Error(errMsg)
		return
	}
	s.SetMeta(id, entriesAdded, maxDeleted)
	c.w.OK()
	c.notify(config.NotifyStream, "xsetid", args[1])
}

// checkXSetID refuses a last ID or counter that would contradict the
// stream's content.
func checkXSetID(s *types.Stream, id types.StreamID, entriesAdded int64) string {
	if s.Len() == 0 {
		return ""
	}
	if id.Less(s.LastValidID()) {
		return errXSetIDTooSmall
	}
	if entriesAdded != -1 && s.Len() > uint64(entriesAdded) {
		return errXSetIDEntriesAdded
	}
	return ""
}
