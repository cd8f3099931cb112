package persistence

import (
	"bufio"
	"math"
	"strconv"

	"github.com/kioku-db/kioku/types"
)

// Writing an AOF: commands as RESP arrays of bulk strings, the form
// Redis's catAppendOnlyGenericCommand writes and every loader reads.

// AppendArrayHeader appends "*<n>\r\n".
func AppendArrayHeader(dst []byte, n int) []byte {
	dst = append(dst, '*')
	dst = strconv.AppendInt(dst, int64(n), 10)
	return append(dst, '\r', '\n')
}

// AppendBulk appends one argument.
func AppendBulk(dst, b []byte) []byte {
	dst = append(dst, '$')
	dst = strconv.AppendInt(dst, int64(len(b)), 10)
	dst = append(dst, '\r', '\n')
	dst = append(dst, b...)
	return append(dst, '\r', '\n')
}

// AppendBulkString appends one argument given as a string.
func AppendBulkString(dst []byte, s string) []byte {
	dst = append(dst, '$')
	dst = strconv.AppendInt(dst, int64(len(s)), 10)
	dst = append(dst, '\r', '\n')
	dst = append(dst, s...)
	return append(dst, '\r', '\n')
}

// AppendBulkInt appends an integer argument.
func AppendBulkInt(dst []byte, n int64) []byte {
	var tmp [20]byte
	return AppendBulk(dst, strconv.AppendInt(tmp[:0], n, 10))
}

// AppendBulkID appends a stream ID argument.
func AppendBulkID(dst []byte, id types.StreamID) []byte {
	var tmp [41]byte
	return AppendBulk(dst, id.AppendTo(tmp[:0]))
}

// AppendBulkDouble appends a score so that parsing it gives the same
// double back (the shortest such form; infinities as Redis spells them).
func AppendBulkDouble(dst []byte, f float64) []byte {
	var tmp [32]byte
	var b []byte
	switch {
	case math.IsInf(f, 1):
		b = append(tmp[:0], "inf"...)
	case math.IsInf(f, -1):
		b = append(tmp[:0], "-inf"...)
	default:
		b = strconv.AppendFloat(tmp[:0], f, 'g', -1, 64)
	}
	return AppendBulk(dst, b)
}

// AppendCommand appends a whole command.
func AppendCommand(dst []byte, args ...[]byte) []byte {
	dst = AppendArrayHeader(dst, len(args))
	for _, a := range args {
		dst = AppendBulk(dst, a)
	}
	return dst
}

// AppendCommandStrings is AppendCommand for string arguments.
func AppendCommandStrings(dst []byte, args ...string) []byte {
	dst = AppendArrayHeader(dst, len(args))
	for _, a := range args {
		dst = AppendBulkString(dst, a)
	}
	return dst
}

// AppendSelect appends SELECT db.
func AppendSelect(dst []byte, db int) []byte {
	dst = append(dst, "*2\r\n$6\r\nSELECT\r\n"...)
	return AppendBulkInt(dst, int64(db))
}

// AppendTimestamp appends the "#TS:<unix>" annotation of
// aof-timestamp-enabled.
func AppendTimestamp(dst []byte, unix int64) []byte {
	dst = append(dst, "#TS:"...)
	dst = strconv.AppendInt(dst, unix, 10)
	return append(dst, '\r', '\n')
}

// aofItemsPerCommand is how many elements one rebuilding command carries
// (Redis's AOF_REWRITE_ITEMS_PER_CMD).
const aofItemsPerCommand = 64

// AppendKeyCommands appends the commands that rebuild one key from
// nothing, as an AOF rewrite without RDB preamble writes it: SET, RPUSH,
// SADD, ZADD, HMSET in batches, a stream's entries, its IDs and its
// consumer groups; then PEXPIREAT when the key has a TTL. obj is nil for
// a string (str), else a *types.List, *types.Set, *types.ZSet,
// *types.Hash or *types.Stream; other values append nothing and report
// false.
func AppendKeyCommands(dst []byte, key, str string, obj any, expire int64) ([]byte, bool) {
	switch v := obj.(type) {
	case nil:
		dst = AppendArrayHeader(dst, 3)
		dst = append(dst, "$3\r\nSET\r\n"...)
		dst = AppendBulkString(dst, key)
		dst = AppendBulkString(dst, str)
	case *types.List:
		dst = appendListCommands(dst, key, v)
	case *types.Set:
		dst = appendSetCommands(dst, key, v)
	case *types.ZSet:
		dst = appendZSetCommands(dst, key, v)
	case *types.Hash:
		dst = appendHashCommands(dst, key, v)
	case *types.Stream:
		dst = appendStreamCommands(dst, key, v)
	default:
		return dst, false
	}
	if expire != 0 {
		dst = append(dst, "*3\r\n$9\r\nPEXPIREAT\r\n"...)
		dst = AppendBulkString(dst, key)
		dst = AppendBulkInt(dst, expire)
	}
	return dst, true
}

// batchHeader starts a command of at most aofItemsPerCommand items of
// width arguments each, left items remaining.
func batchHeader(dst []byte, name, key string, left, width int) []byte {
	n := min(left, aofItemsPerCommand)
	dst = AppendArrayHeader(dst, 2+n*width)
	dst = AppendBulkString(dst, name)
	return AppendBulkString(dst, key)
}

func appendListCommands(dst []byte, key string, l *types.List) []byte {
	left, count := l.Len(), 0
	l.Each(false, func(_ int, v []byte) bool {
		if count == 0 {
			dst = batchHeader(dst, "RPUSH", key, left, 1)
		}
		dst = AppendBulk(dst, v)
		left--
		if count++; count == aofItemsPerCommand {
			count = 0
		}
		return true
	})
	return dst
}

func appendSetCommands(dst []byte, key string, s *types.Set) []byte {
	left, count := s.Len(), 0
	s.Each(func(m types.Member) bool {
		if count == 0 {
			dst = batchHeader(dst, "SADD", key, left, 1)
		}
		if n, ok := m.Int(); ok {
			dst = AppendBulkInt(dst, n)
		} else {
			dst = AppendBulkString(dst, m.String())
		}
		left--
		if count++; count == aofItemsPerCommand {
			count = 0
		}
		return true
	})
	return dst
}

func appendZSetCommands(dst []byte, key string, z *types.ZSet) []byte {
	left, count := z.Len(), 0
	z.Ascend(0, func(it types.ZItem) bool {
		if count == 0 {
			dst = batchHeader(dst, "ZADD", key, left, 2)
		}
		dst = AppendBulkDouble(dst, it.Score)
		dst = AppendBulkString(dst, it.Member)
		left--
		if count++; count == aofItemsPerCommand {
			count = 0
		}
		return true
	})
	return dst
}

func appendHashCommands(dst []byte, key string, h *types.Hash) []byte {
	left, count := h.Len(), 0
	h.Each(func(f, v []byte) bool {
		if count == 0 {
			dst = batchHeader(dst, "HMSET", key, left, 2)
		}
		dst = AppendBulk(dst, f)
		dst = AppendBulk(dst, v)
		left--
		if count++; count == aofItemsPerCommand {
			count = 0
		}
		return true
	})
	return dst
}

// appendStreamCommands rebuilds a stream as Redis's rewriteStreamObject
// does: XADD per entry (an empty stream by adding and trimming one),
// XSETID for the last ID and counters, then each group with XGROUP
// CREATE, its idle consumers with XGROUP CREATECONSUMER and its pending
// entries with XCLAIM ... FORCE.
func appendStreamCommands(dst []byte, key string, s *types.Stream) []byte {
	if s.Len() > 0 {
		max := types.StreamID{Ms: math.MaxUint64, Seq: math.MaxUint64}
		s.Range(types.StreamID{}, max, false, func(id types.StreamID, fv [][]byte) bool {
			dst = AppendArrayHeader(dst, 3+len(fv))
			dst = append(dst, "$4\r\nXADD\r\n"...)
			dst = AppendBulkString(dst, key)
			dst = AppendBulkID(dst, id)
			for _, b := range fv {
				dst = AppendBulk(dst, b)
			}
			return true
		})
	} else {
		dst = AppendCommandStrings(dst, "XADD", key, "MAXLEN", "0", "0-1", "x", "y")
	}
	dst = AppendArrayHeader(dst, 7)
	dst = append(dst, "$6\r\nXSETID\r\n"...)
	dst = AppendBulkString(dst, key)
	dst = AppendBulkID(dst, s.LastID())
	dst = AppendBulkString(dst, "ENTRIESADDED")
	dst = AppendBulkInt(dst, int64(s.EntriesAdded()))
	dst = AppendBulkString(dst, "MAXDELETEDID")
	dst = AppendBulkID(dst, s.MaxDeletedID())
	for _, g := range s.Groups() {
		dst = AppendArrayHeader(dst, 7)
		dst = append(dst, "$6\r\nXGROUP\r\n$6\r\nCREATE\r\n"...)
		dst = AppendBulkString(dst, key)
		dst = AppendBulkString(dst, g.Name)
		dst = AppendBulkID(dst, g.LastID)
		dst = AppendBulkString(dst, "ENTRIESREAD")
		dst = AppendBulkInt(dst, g.EntriesRead)
		for _, c := range g.Consumers() {
			if c.PendingCount() == 0 {
				dst = AppendArrayHeader(dst, 5)
				dst = append(dst, "$6\r\nXGROUP\r\n$14\r\nCREATECONSUMER\r\n"...)
				dst = AppendBulkString(dst, key)
				dst = AppendBulkString(dst, g.Name)
				dst = AppendBulkString(dst, c.Name)
				continue
			}
			c.EachPending(types.StreamID{}, func(e *types.PendingEntry) bool {
				dst = AppendXClaim(dst, key, g.Name, c.Name, e, nil)
				return true
			})
		}
	}
	return dst
}

// AppendXClaim appends the XCLAIM that gives a pending entry to its
// consumer with its delivery time and count, whatever the state before
// (Redis's streamPropagateXCLAIM): XCLAIM key group consumer 0 id TIME t
// RETRYCOUNT n FORCE JUSTID [LASTID id].
func AppendXClaim(dst []byte, key, group, consumer string, e *types.PendingEntry, lastID *types.StreamID) []byte {
	n := 12
	if lastID != nil {
		n = 14
	}
	dst = AppendArrayHeader(dst, n)
	dst = append(dst, "$6\r\nXCLAIM\r\n"...)
	dst = AppendBulkString(dst, key)
	dst = AppendBulkString(dst, group)
	dst = AppendBulkString(dst, consumer)
	dst = append(dst, "$1\r\n0\r\n"...)
	dst = AppendBulkID(dst, e.ID)
	dst = append(dst, "$4\r\nTIME\r\n"...)
	dst = AppendBulkInt(dst, e.DeliveryTime)
	dst = append(dst, "$10\r\nRETRYCOUNT\r\n"...)
	dst = AppendBulkInt(dst, e.DeliveryCount)
	dst = append(dst, "$5\r\nFORCE\r\n$6\r\nJUSTID\r\n"...)
	if lastID != nil {
		dst = append(dst, "$6\r\nLASTID\r\n"...)
		dst = AppendBulkID(dst, *lastID)
	}
	return dst
}

// AOFRewriter writes the commands of an AOF base without RDB preamble
// (aof-use-rdb-preamble no) from the items an RDB stream yields.
type AOFRewriter struct {
	w   *bufio.Writer
	buf []byte
	db  int
}

// NewAOFRewriter writes to w.
func NewAOFRewriter(w *bufio.Writer) *AOFRewriter { return &AOFRewriter{w: w, db: -1} }

// Timestamp writes the "#TS:" annotation a rewrite starts with when
// aof-timestamp-enabled is set.
func (r *AOFRewriter) Timestamp(unix int64) error {
	_, err := r.w.Write(AppendTimestamp(r.buf[:0], unix))
	return err
}

// Function writes FUNCTION LOAD for a library.
func (r *AOFRewriter) Function(code string) error {
	r.buf = AppendCommandStrings(r.buf[:0], "FUNCTION", "LOAD", code)
	_, err := r.w.Write(r.buf)
	return err
}

// Item writes the commands for one key, preceded by SELECT when its
// database differs from the previous key's.
func (r *AOFRewriter) Item(it RDBItem) error {
	r.buf = r.buf[:0]
	if it.DB != r.db {
		r.buf = AppendSelect(r.buf, it.DB)
		r.db = it.DB
	}
	r.buf, _ = AppendKeyCommands(r.buf, it.Key, it.Str, it.Obj, it.Expire)
	_, err := r.w.Write(r.buf)
	if cap(r.buf) > 1<<20 {
		r.buf = nil // a huge key does not pin its buffer
	}
	return err
}
