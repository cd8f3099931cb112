// Package resp encodes replies in RESP2 and RESP3 and parses client requests.
//
// One call site writes the right form for the client's protocol: a handler
// calls Map, Set, Double, Bool or Null and the Writer emits the RESP3 type or
// its RESP2 fallback, exactly as Redis does.
package resp

import (
	"errors"
	"math"
	"strconv"
	"strings"
	"sync/atomic"
)

// Writer appends replies to a buffer. It never fails: the connection decides
// when to flush the buffer to the network.
type Writer struct {
	buf []byte
	// proto is atomic because other connections read it (CLIENT LIST's
	// resp=); a plain load on the platforms Go runs on.
	proto atomic.Int32
	// Limit, when positive, bounds the pending bytes: a reply that grows
	// past it panics with ErrReplyTooLarge, which unwinds the command that
	// is writing it (SRANDMEMBER with a huge negative count would
	// otherwise fill all memory). The connection turns it into an error.
	Limit int
}

// ErrReplyTooLarge is the panic value of a reply that outgrew Limit.
var ErrReplyTooLarge = errors.New("reply too large")

// NewWriter returns a writer speaking RESP2, the protocol every connection
// starts with.
func NewWriter() *Writer {
	w := &Writer{buf: make([]byte, 0, 4096)}
	w.proto.Store(2)
	return w
}

// Proto reports the protocol version (2 or 3).
func (w *Writer) Proto() int { return int(w.proto.Load()) }

// SetProto switches the protocol for the following replies.
func (w *Writer) SetProto(p int) { w.proto.Store(int32(p)) }

// Buffer returns the pending bytes. They stay valid until the next Reset.
func (w *Writer) Buffer() []byte { return w.buf }

// Len reports how many bytes are pending.
func (w *Writer) Len() int { return len(w.buf) }

// Reset forgets the pending bytes, keeping the allocation unless it grew
// very large (a huge reply should not pin memory for the connection's life).
func (w *Writer) Reset() {
	if cap(w.buf) > 1<<20 {
		w.buf = make([]byte, 0, 4096)
		return
	}
	w.buf = w.buf[:0]
}

// Truncate drops everything written after byte n (used to undo a partial
// reply, e.g. when CLIENT REPLY OFF is in force).
func (w *Writer) Truncate(n int) { w.buf = w.buf[:n] }

// Raw appends already-encoded protocol bytes.
func (w *Writer) Raw(b []byte) { w.buf = append(w.buf, b...) }

// OK writes +OK.
func (w *Writer) OK() { w.buf = append(w.buf, "+OK\r\n"...) }

// Status writes a simple string.
func (w *Writer) Status(s string) {
	w.buf = append(w.buf, '+')
	w.buf = appendSanitized(w.buf, s)
	w.buf = append(w.buf, '\r', '\n')
}

// Error writes an error reply. msg carries its own code ("ERR ...",
// "WRONGTYPE ..."); a message without one gets "ERR " like Redis's
// addReplyError. Newlines are replaced by spaces so the reply stays one
// protocol line, as Redis does.
func (w *Writer) Error(msg string) {
	w.buf = append(w.buf, '-')
	if msg == "" || !hasErrorCode(msg) {
		w.buf = append(w.buf, "ERR "...)
	}
	w.buf = appendSanitized(w.buf, msg)
	w.buf = append(w.buf, '\r', '\n')
}

// hasErrorCode reports whether msg starts with an upper-case error code
// followed by a space, e.g. "ERR", "WRONGTYPE", "NOSCRIPT".
func hasErrorCode(msg string) bool {
	i := strings.IndexByte(msg, ' ')
	if i <= 0 {
		i = len(msg)
	}
	for _, c := range msg[:i] {
		if c < 'A' || c > 'Z' {
			if c == '-' || c == '_' || (c >= '0' && c <= '9') {
				continue
			}
			return false
		}
	}
	return true
}

func appendSanitized(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '\r' || c == '\n' {
			c = ' '
		}
		dst = append(dst, c)
	}
	return dst
}

// Int writes an integer.
func (w *Writer) Int(n int64) {
	w.checkLimit()
	w.buf = append(w.buf, ':')
	w.buf = strconv.AppendInt(w.buf, n, 10)
	w.buf = append(w.buf, '\r', '\n')
}

// Bulk writes a binary-safe bulk string.
func (w *Writer) Bulk(b []byte) {
	w.checkLimit()
	w.buf = appendHeader(w.buf, '$', len(b))
	w.buf = append(w.buf, b...)
	w.buf = append(w.buf, '\r', '\n')
}

// BulkString writes a bulk string.
func (w *Writer) BulkString(s string) {
	w.checkLimit()
	w.buf = appendHeader(w.buf, '$', len(s))
	w.buf = append(w.buf, s...)
	w.buf = append(w.buf, '\r', '\n')
}

// BulkInt writes an integer formatted as a bulk string.
func (w *Writer) BulkInt(n int64) {
	var tmp [24]byte
	w.Bulk(strconv.AppendInt(tmp[:0], n, 10))
}

// Null writes the null bulk string ($-1 in RESP2, _ in RESP3).
func (w *Writer) Null() {
	if w.proto.Load() == 3 {
		w.buf = append(w.buf, "_\r\n"...)
		return
	}
	w.buf = append(w.buf, "$-1\r\n"...)
}

// NullArray writes the null array (*-1 in RESP2, _ in RESP3).
func (w *Writer) NullArray() {
	if w.proto.Load() == 3 {
		w.buf = append(w.buf, "_\r\n"...)
		return
	}
	w.buf = append(w.buf, "*-1\r\n"...)
}

// Array writes an array header of n elements.
func (w *Writer) Array(n int) {
	w.checkLimit()
	w.buf = appendHeader(w.buf, '*', n)
}

// Map writes a map header of n key/value pairs (a flat array of 2n in RESP2).
func (w *Writer) Map(n int) {
	if w.proto.Load() == 3 {
		w.buf = appendHeader(w.buf, '%', n)
		return
	}
	w.buf = appendHeader(w.buf, '*', 2*n)
}

// Set writes a set header of n elements (an array in RESP2).
func (w *Writer) Set(n int) {
	if w.proto.Load() == 3 {
		w.buf = appendHeader(w.buf, '~', n)
		return
	}
	w.buf = appendHeader(w.buf, '*', n)
}

// Push writes a push header of n elements (an array in RESP2).
func (w *Writer) Push(n int) {
	if w.proto.Load() == 3 {
		w.buf = appendHeader(w.buf, '>', n)
		return
	}
	w.buf = appendHeader(w.buf, '*', n)
}

// Attribute writes a RESP3 attribute header of n pairs. RESP2 has no
// attributes: nothing is written and the caller must skip the pairs.
func (w *Writer) Attribute(n int) bool {
	if w.proto.Load() != 3 {
		return false
	}
	w.buf = appendHeader(w.buf, '|', n)
	return true
}

// Bool writes a boolean (#t/#f in RESP3, :1/:0 in RESP2).
func (w *Writer) Bool(b bool) {
	if w.proto.Load() == 3 {
		if b {
			w.buf = append(w.buf, "#t\r\n"...)
		} else {
			w.buf = append(w.buf, "#f\r\n"...)
		}
		return
	}
	if b {
		w.buf = append(w.buf, ":1\r\n"...)
	} else {
		w.buf = append(w.buf, ":0\r\n"...)
	}
}

// Double writes a double the way Redis 7.0's addReplyDouble does: "%.17g"
// (inf and -inf spelled out), as a RESP3 double or a RESP2 bulk string.
func (w *Writer) Double(f float64) {
	var tmp [32]byte
	b := AppendDouble(tmp[:0], f)
	if w.proto.Load() == 3 {
		w.buf = append(w.buf, ',')
		w.buf = append(w.buf, b...)
		w.buf = append(w.buf, '\r', '\n')
		return
	}
	w.Bulk(b)
}

// AppendDouble formats f like C's printf("%.17g"), with Redis's spelling of
// infinities and NaN.
func AppendDouble(dst []byte, f float64) []byte {
	switch {
	case math.IsInf(f, 1):
		return append(dst, "inf"...)
	case math.IsInf(f, -1):
		return append(dst, "-inf"...)
	case math.IsNaN(f):
		return append(dst, "nan"...)
	}
	return strconv.AppendFloat(dst, f, 'g', 17, 64)
}

// Verbatim writes a verbatim string with a three-letter format ("txt",
// "mkd"); RESP2 clients get a plain bulk string.
func (w *Writer) Verbatim(format, s string) {
	if w.proto.Load() == 3 {
		w.buf = appendHeader(w.buf, '=', len(s)+4)
		w.buf = append(w.buf, format...)
		w.buf = append(w.buf, ':')
		w.buf = append(w.buf, s...)
		w.buf = append(w.buf, '\r', '\n')
		return
	}
	w.BulkString(s)
}

// BigNumber writes a big number (RESP3) or a bulk string (RESP2).
func (w *Writer) BigNumber(s string) {
	if w.proto.Load() == 3 {
		w.buf = append(w.buf, '(')
		w.buf = append(w.buf, s...)
		w.buf = append(w.buf, '\r', '\n')
		return
	}
	w.BulkString(s)
}

// StringArray writes an array of bulk strings.
func (w *Writer) StringArray(items []string) {
	w.Array(len(items))
	for _, s := range items {
		w.BulkString(s)
	}
}

func (w *Writer) checkLimit() {
	if w.Limit > 0 && len(w.buf) > w.Limit {
		panic(ErrReplyTooLarge)
	}
}

func appendHeader(dst []byte, prefix byte, n int) []byte {
	dst = append(dst, prefix)
	if n >= 0 && n < 10 {
		dst = append(dst, byte('0'+n))
	} else {
		dst = strconv.AppendInt(dst, int64(n), 10)
	}
	return append(dst, '\r', '\n')
}
