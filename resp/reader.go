package resp

import (
	"bytes"
	"errors"
	"io"
)

// ProtocolError is a malformed request. The connection answers
// "-ERR Protocol error: <msg>" and closes, as Redis does.
type ProtocolError struct{ Msg string }

func (e *ProtocolError) Error() string { return "Protocol error: " + e.Msg }

// Limits from Redis's networking.c.
const (
	inlineMaxSize     = 64 * 1024 // PROTO_INLINE_MAX_SIZE
	maxMultibulkCount = 1<<31 - 1
	bigArgThreshold   = 32 * 1024 // PROTO_MBULK_BIG_ARG
)

// Reader parses client requests (multibulk and inline) from a stream.
// Returned arguments point into the reader's buffer and stay valid only until
// the next call to Next, so the command path allocates nothing per request.
type Reader struct {
	rd   io.Reader
	buf  []byte
	r, w int
	args [][]byte

	// MaxBulkLen is proto-max-bulk-len.
	MaxBulkLen int64
	// Unauthenticated limits requests before AUTH as Redis does (at most
	// 10 arguments of at most 16 KiB), so an unauthenticated peer cannot
	// make the server buffer large requests.
	Unauthenticated bool
	// BeforeBlock is called before the reader blocks on the network; the
	// connection flushes its replies there, so a pipeline gets one write.
	BeforeBlock func() error
}

// NewReader returns a reader with Redis's default limits.
func NewReader(rd io.Reader) *Reader {
	return &Reader{rd: rd, buf: make([]byte, 16*1024), MaxBulkLen: 512 << 20}
}

// Buffered reports whether unparsed bytes are waiting in the buffer.
func (r *Reader) Buffered() int { return r.w - r.r }

var errIncomplete = errors.New("incomplete")

// Next returns the next command's arguments. Empty requests (a blank inline
// line, "*0") are skipped as Redis skips them.
func (r *Reader) Next() ([][]byte, error) {
	for {
		if r.r < r.w {
			args, n, err := r.parse(r.buf[r.r:r.w])
			if err == nil {
				r.r += n
				if len(args) == 0 {
					continue
				}
				return args, nil
			}
			if err != errIncomplete {
				return nil, err
			}
		}
		if err := r.fill(); err != nil {
			return nil, err
		}
	}
}

// ReadMore reads whatever bytes arrive into the buffer without parsing
// them, for a connection that waits on something else (a blocked client
// watching for a disconnect). It must not run concurrently with Next.
func (r *Reader) ReadMore() error {
	return r.read(false)
}

// fill reads more bytes, compacting or growing the buffer first.
func (r *Reader) fill() error { return r.read(true) }

func (r *Reader) read(flushFirst bool) error {
	if r.r == r.w {
		r.r, r.w = 0, 0
		if len(r.buf) > 64*1024 {
			// A big request grew the buffer; do not keep it for an idle client.
			r.buf = make([]byte, 16*1024)
		}
	} else if r.r > 0 {
		r.w = copy(r.buf, r.buf[r.r:r.w])
		r.r = 0
	}
	if r.w == len(r.buf) {
		nb := make([]byte, 2*len(r.buf))
		copy(nb, r.buf[:r.w])
		r.buf = nb
	}
	if flushFirst && r.BeforeBlock != nil {
		if err := r.BeforeBlock(); err != nil {
			return err
		}
	}
	n, err := r.rd.Read(r.buf[r.w:])
	r.w += n
	if n > 0 {
		return nil
	}
	if err == nil {
		err = io.ErrNoProgress
	}
	return err
}

// parse decodes one request from b, returning the arguments and the number
// of bytes consumed, or errIncomplete.
func (r *Reader) parse(b []byte) ([][]byte, int, error) {
	if b[0] == '*' {
		return r.parseMultibulk(b)
	}
	return r.parseInline(b)
}

func (r *Reader) parseMultibulk(b []byte) ([][]byte, int, error) {
	nl := indexCRLF(b, 1)
	if nl < 0 {
		if len(b) > inlineMaxSize {
			return nil, 0, &ProtocolError{"too big mbulk count string"}
		}
		return nil, 0, errIncomplete
	}
	count, ok := parseInt(b[1:nl])
	if !ok || count > maxMultibulkCount {
		return nil, 0, &ProtocolError{"invalid multibulk length"}
	}
	if r.Unauthenticated && count > 10 {
		return nil, 0, &ProtocolError{"unauthenticated multibulk length"}
	}
	pos := nl + 2
	if count <= 0 {
		return r.args[:0], pos, nil
	}
	args := r.args[:0]
	for i := int64(0); i < count; i++ {
		if pos >= len(b) {
			return nil, 0, errIncomplete
		}
		if b[pos] != '$' {
			return nil, 0, &ProtocolError{"expected '$', got '" + string(b[pos]) + "'"}
		}
		nl = indexCRLF(b, pos+1)
		if nl < 0 {
			if len(b)-pos > inlineMaxSize {
				return nil, 0, &ProtocolError{"too big bulk count string"}
			}
			return nil, 0, errIncomplete
		}
		size, ok := parseInt(b[pos+1 : nl])
		if !ok || size < 0 || size > r.MaxBulkLen {
			return nil, 0, &ProtocolError{"invalid bulk length"}
		}
		if r.Unauthenticated && size > 16384 {
			return nil, 0, &ProtocolError{"unauthenticated bulk length"}
		}
		start := nl + 2
		end := start + int(size)
		if end+2 > len(b) {
			r.reserve(end + 2)
			return nil, 0, errIncomplete
		}
		// Redis does not check the terminator's bytes; it skips two.
		args = append(args, b[start:end:end])
		pos = end + 2
	}
	r.args = args
	return args, pos, nil
}

// reserve makes room for a request of n bytes so a big bulk string is read
// in as few system calls as possible.
func (r *Reader) reserve(n int) {
	if n <= len(r.buf) || n < bigArgThreshold {
		return
	}
	nb := make([]byte, n+r.r)
	copy(nb, r.buf[:r.w])
	r.buf = nb
}

func (r *Reader) parseInline(b []byte) ([][]byte, int, error) {
	nl := -1
	for i, c := range b {
		if c == '\n' {
			nl = i
			break
		}
	}
	if nl < 0 {
		if len(b) > inlineMaxSize {
			return nil, 0, &ProtocolError{"too big inline request"}
		}
		return nil, 0, errIncomplete
	}
	line := b[:nl]
	if len(line) > 0 && line[len(line)-1] == '\r' {
		line = line[:len(line)-1]
	}
	args, ok := SplitArgs(line, r.args[:0])
	if !ok {
		return nil, 0, &ProtocolError{"unbalanced quotes in request"}
	}
	r.args = args
	return args, nl + 1, nil
}

func indexCRLF(b []byte, from int) int {
	for i := from; i+1 < len(b); i++ {
		if b[i] == '\r' && b[i+1] == '\n' {
			return i
		}
	}
	return -1
}

// parseInt parses a strict base-10 integer the way Redis's string2ll does.
func parseInt(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 20 {
		return 0, false
	}
	neg := false
	if b[0] == '-' {
		neg = true
		b = b[1:]
		if len(b) == 0 {
			return 0, false
		}
	}
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
		if n < 0 {
			return 0, false
		}
	}
	if neg {
		n = -n
	}
	return n, true
}

// SplitArgs splits a line into arguments exactly like Redis's
// sdssplitargs, which parses both inline commands and config files: blanks
// separate arguments; "double quotes" understand \n \r \t \b \a, \xHH
// and \<any> escapes; 'single quotes' only \'; a closing quote must be
// followed by a blank or the end. ok is false for unbalanced quotes. Like
// the C code it stops at a NUL byte.
func SplitArgs(line []byte, dst [][]byte) (args [][]byte, ok bool) {
	if i := bytes.IndexByte(line, 0); i >= 0 {
		line = line[:i]
	}
	at := func(i int) byte { // C string access: NUL past the end
		if i < len(line) {
			return line[i]
		}
		return 0
	}
	p := 0
	for {
		for p < len(line) && isSpace(line[p]) {
			p++
		}
		if p >= len(line) {
			return dst, true
		}
		cur := []byte{}
		inq, insq, done := false, false, false
		for !done {
			c := at(p)
			switch {
			case inq:
				switch {
				case c == '\\' && at(p+1) == 'x' && isHex(at(p+2)) && isHex(at(p+3)):
					cur = append(cur, hexVal(at(p+2))<<4|hexVal(at(p+3)))
					p += 3
				case c == '\\' && at(p+1) != 0:
					p++
					cur = append(cur, unescape(at(p)))
				case c == '"':
					if n := at(p + 1); n != 0 && !isSpace(n) {
						return nil, false
					}
					done = true
				case c == 0:
					return nil, false
				default:
					cur = append(cur, c)
				}
			case insq:
				switch {
				case c == '\\' && at(p+1) == '\'':
					p++
					cur = append(cur, '\'')
				case c == '\'':
					if n := at(p + 1); n != 0 && !isSpace(n) {
						return nil, false
					}
					done = true
				case c == 0:
					return nil, false
				default:
					cur = append(cur, c)
				}
			default:
				switch c {
				case ' ', '\n', '\r', '\t', 0:
					done = true
				case '"':
					inq = true
				case '\'':
					insq = true
				default:
					cur = append(cur, c)
				}
			}
			if p < len(line) {
				p++
			}
		}
		dst = append(dst, cur)
	}
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\v' || c == '\f'
}

func isHex(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

func hexVal(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	default:
		return c - 'A' + 10
	}
}

func unescape(c byte) byte {
	switch c {
	case 'n':
		return '\n'
	case 'r':
		return '\r'
	case 't':
		return '\t'
	case 'b':
		return '\b'
	case 'a':
		return '\a'
	}
	return c
}
