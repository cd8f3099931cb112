package compat

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"sort"
	"strconv"
	"strings"
	"time"
)

// value is one parsed RESP2/RESP3 frame. The raw bytes are kept by the
// reader separately; value exists for matchers and readable messages.
type value struct {
	kind  byte     // the type byte: + - : $ * _ , # ! = ( % ~ >
	str   string   // payload of scalar types (bulk and verbatim include their bytes)
	null  bool     // $-1 or *-1 (RESP2 nulls); '_' is its own kind
	elems []*value // aggregates; maps and attributes hold k1,v1,k2,v2,...
	attr  *value   // an attribute frame ('|') that preceded this value
}

const (
	maxBulkLen      = 1 << 30
	maxAggregateLen = 1 << 24
)

var errProtocol = errors.New("protocol error")

// respReader reads exactly one complete reply at a time and records its
// raw bytes, so replies can be compared byte for byte.
type respReader struct {
	r   *bufio.Reader
	raw []byte
}

func (rr *respReader) line() (string, error) {
	s, err := rr.r.ReadString('\n')
	rr.raw = append(rr.raw, s...)
	if err != nil {
		return "", err
	}
	if len(s) < 2 || s[len(s)-2] != '\r' {
		return "", fmt.Errorf("%w: line without CRLF: %q", errProtocol, s)
	}
	return s[:len(s)-2], nil
}

func (rr *respReader) n(n int) ([]byte, error) {
	buf := make([]byte, n+2)
	k, err := io.ReadFull(rr.r, buf)
	rr.raw = append(rr.raw, buf[:k]...)
	if err != nil {
		return nil, err
	}
	if buf[n] != '\r' || buf[n+1] != '\n' {
		return nil, fmt.Errorf("%w: bulk payload not followed by CRLF", errProtocol)
	}
	return buf[:n], nil
}

// readReply reads one reply: a frame, with any attribute frames that
// precede it folded in (an attribute is part of the reply it annotates).
func (rr *respReader) readReply() (raw []byte, v *value, err error) {
	rr.raw = rr.raw[:0]
	v, err = rr.value()
	raw = append([]byte(nil), rr.raw...)
	return raw, v, err
}

func (rr *respReader) value() (*value, error) {
	l, err := rr.line()
	if err != nil {
		return nil, err
	}
	if l == "" {
		return nil, fmt.Errorf("%w: empty line", errProtocol)
	}
	kind, rest := l[0], l[1:]
	v := &value{kind: kind}
	switch kind {
	case '+', '-':
		v.str = rest
	case ':':
		if _, err := strconv.ParseInt(rest, 10, 64); err != nil {
			return nil, fmt.Errorf("%w: bad integer %q", errProtocol, rest)
		}
		v.str = rest
	case ',', '(':
		v.str = rest
	case '#':
		if rest != "t" && rest != "f" {
			return nil, fmt.Errorf("%w: bad boolean %q", errProtocol, rest)
		}
		v.str = rest
	case '_':
		if rest != "" {
			return nil, fmt.Errorf("%w: bad null %q", errProtocol, l)
		}
	case '$', '!', '=':
		if rest == "?" && kind == '$' {
			return v, rr.streamedString(v)
		}
		n, err := strconv.Atoi(rest)
		if err != nil || n < -1 || n > maxBulkLen {
			return nil, fmt.Errorf("%w: bad length %q", errProtocol, l)
		}
		if n == -1 {
			if kind != '$' {
				return nil, fmt.Errorf("%w: null %q", errProtocol, l)
			}
			v.null = true
			return v, nil
		}
		b, err := rr.n(n)
		if err != nil {
			return nil, err
		}
		if kind == '=' && (n < 4 || b[3] != ':') {
			return nil, fmt.Errorf("%w: verbatim string without format", errProtocol)
		}
		v.str = string(b)
	case '*', '~', '>', '%', '|':
		if rest == "?" {
			if err := rr.streamedAggregate(v); err != nil {
				return nil, err
			}
		} else {
			n, err := strconv.Atoi(rest)
			if err != nil || n < -1 || n > maxAggregateLen {
				return nil, fmt.Errorf("%w: bad length %q", errProtocol, l)
			}
			if n == -1 {
				if kind != '*' {
					return nil, fmt.Errorf("%w: null %q", errProtocol, l)
				}
				v.null = true
				return v, nil
			}
			if kind == '%' || kind == '|' {
				n *= 2
			}
			v.elems = make([]*value, 0, min(n, 1024))
			for i := 0; i < n; i++ {
				e, err := rr.value()
				if err != nil {
					return nil, err
				}
				v.elems = append(v.elems, e)
			}
		}
		if kind == '|' {
			// The attribute annotates the value that follows it.
			next, err := rr.value()
			if err != nil {
				return nil, err
			}
			if next.attr != nil {
				return nil, fmt.Errorf("%w: two attributes in a row", errProtocol)
			}
			next.attr = v
			return next, nil
		}
	default:
		return nil, fmt.Errorf("%w: unknown type byte %q", errProtocol, kind)
	}
	return v, nil
}

// streamedString reads the chunks of a RESP3 streamed string ($?).
func (rr *respReader) streamedString(v *value) error {
	var sb strings.Builder
	for {
		l, err := rr.line()
		if err != nil {
			return err
		}
		if len(l) < 2 || l[0] != ';' {
			return fmt.Errorf("%w: bad chunk header %q", errProtocol, l)
		}
		n, err := strconv.Atoi(l[1:])
		if err != nil || n < 0 || n > maxBulkLen {
			return fmt.Errorf("%w: bad chunk length %q", errProtocol, l)
		}
		if n == 0 {
			v.str = sb.String()
			return nil
		}
		b, err := rr.n(n)
		if err != nil {
			return err
		}
		sb.Write(b)
	}
}

// streamedAggregate reads the elements of a RESP3 streamed aggregate (*?)
// up to its end marker '.'.
func (rr *respReader) streamedAggregate(v *value) error {
	for {
		b, err := rr.r.Peek(1)
		if err != nil {
			return err
		}
		if b[0] == '.' {
			l, err := rr.line()
			if err != nil {
				return err
			}
			if l != "." {
				return fmt.Errorf("%w: bad end marker %q", errProtocol, l)
			}
			if (v.kind == '%' || v.kind == '|') && len(v.elems)%2 != 0 {
				return fmt.Errorf("%w: streamed map with odd element count", errProtocol)
			}
			return nil
		}
		if len(v.elems) >= maxAggregateLen {
			return fmt.Errorf("%w: streamed aggregate too long", errProtocol)
		}
		e, err := rr.value()
		if err != nil {
			return err
		}
		v.elems = append(v.elems, e)
	}
}

// encodeCommand writes args as a RESP array of bulk strings.
func encodeCommand(args []string) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	return b.Bytes()
}

// encode serializes v back to RESP; normalizers rewrite values and compare
// the encodings.
func encode(v *value) []byte {
	var b bytes.Buffer
	encodeTo(&b, v)
	return b.Bytes()
}

func encodeTo(b *bytes.Buffer, v *value) {
	if v.attr != nil {
		encodeTo(b, v.attr)
	}
	switch v.kind {
	case '+', '-', ':', ',', '(', '#':
		fmt.Fprintf(b, "%c%s\r\n", v.kind, v.str)
	case '_':
		b.WriteString("_\r\n")
	case '$', '!', '=':
		if v.null {
			fmt.Fprintf(b, "%c-1\r\n", v.kind)
			return
		}
		fmt.Fprintf(b, "%c%d\r\n%s\r\n", v.kind, len(v.str), v.str)
	default:
		if v.null {
			fmt.Fprintf(b, "%c-1\r\n", v.kind)
			return
		}
		n := len(v.elems)
		if v.kind == '%' || v.kind == '|' {
			n /= 2
		}
		fmt.Fprintf(b, "%c%d\r\n", v.kind, n)
		for _, e := range v.elems {
			encodeTo(b, e)
		}
	}
}

// format renders v compactly for messages: +OK, -ERR ..., :5, "bulk",
// $nil, [a, b], %{k: v}, ~{a}, >[push], |{attr} value.
func format(v *value) string {
	if v == nil {
		return "<none>"
	}
	var b strings.Builder
	formatTo(&b, v)
	return b.String()
}

func formatTo(b *strings.Builder, v *value) {
	if v.attr != nil {
		b.WriteString("|")
		formatTo(b, &value{kind: '%', elems: v.attr.elems})
		b.WriteString(" ")
	}
	switch v.kind {
	case '+', '-', ':', ',', '(', '#':
		b.WriteByte(v.kind)
		b.WriteString(v.str)
	case '_':
		b.WriteString("_null")
	case '$':
		if v.null {
			b.WriteString("$nil")
		} else {
			b.WriteString(strconv.Quote(v.str))
		}
	case '!', '=':
		b.WriteByte(v.kind)
		b.WriteString(strconv.Quote(v.str))
	default:
		if v.null {
			b.WriteString("*nil")
			return
		}
		open, closer := "[", "]"
		switch v.kind {
		case '%':
			open, closer = "%{", "}"
		case '~':
			open, closer = "~{", "}"
		case '>':
			open = ">["
		}
		b.WriteString(open)
		for i, e := range v.elems {
			if i > 0 {
				if v.kind == '%' && i%2 == 1 {
					b.WriteString(": ")
				} else {
					b.WriteString(", ")
				}
			}
			formatTo(b, e)
		}
		b.WriteString(closer)
	}
}

// respConn is a raw client connection: it writes commands and reads whole
// replies, nothing more (no pipelining bookkeeping, no protocol switching).
type respConn struct {
	addr    string
	c       net.Conn
	rr      *respReader
	timeout time.Duration
}

func dialResp(addr string) (*respConn, error) {
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return nil, err
	}
	return &respConn{
		addr:    addr,
		c:       c,
		rr:      &respReader{r: bufio.NewReaderSize(c, 64<<10)},
		timeout: 5 * time.Second,
	}, nil
}

func (c *respConn) Close() error { return c.c.Close() }

func (c *respConn) send(args ...string) error {
	return c.sendRaw(encodeCommand(args))
}

func (c *respConn) sendRaw(b []byte) error {
	_ = c.c.SetWriteDeadline(time.Now().Add(c.timeout))
	_, err := c.c.Write(b)
	return err
}

func (c *respConn) read() ([]byte, *value, error) {
	_ = c.c.SetReadDeadline(time.Now().Add(c.timeout))
	return c.rr.readReply()
}

// do sends one command and reads one reply.
func (c *respConn) do(args ...string) ([]byte, *value, error) {
	if err := c.send(args...); err != nil {
		return nil, nil, err
	}
	return c.read()
}

// splitArgs splits a command line the way redis-cli does: spaces separate
// arguments, double quotes group them and understand \xHH \n \r \t \" \\,
// single quotes group them literally (\' escapes a quote). "" is an empty
// argument.
func splitArgs(line string) ([]string, error) {
	var args []string
	i := 0
	for {
		for i < len(line) && line[i] == ' ' {
			i++
		}
		if i == len(line) {
			return args, nil
		}
		var cur []byte
		switch line[i] {
		case '"':
			i++
			for {
				if i >= len(line) {
					return nil, fmt.Errorf("unbalanced quotes in %q", line)
				}
				ch := line[i]
				if ch == '"' {
					i++
					break
				}
				if ch == '\\' && i+1 < len(line) {
					i++
					switch line[i] {
					case 'n':
						cur = append(cur, '\n')
					case 'r':
						cur = append(cur, '\r')
					case 't':
						cur = append(cur, '\t')
					case 'x':
						if i+2 >= len(line) {
							return nil, fmt.Errorf("bad \\x escape in %q", line)
						}
						n, err := strconv.ParseUint(line[i+1:i+3], 16, 8)
						if err != nil {
							return nil, fmt.Errorf("bad \\x escape in %q", line)
						}
						cur = append(cur, byte(n))
						i += 2
					default:
						cur = append(cur, line[i])
					}
					i++
					continue
				}
				cur = append(cur, ch)
				i++
			}
		case '\'':
			i++
			for {
				if i >= len(line) {
					return nil, fmt.Errorf("unbalanced quotes in %q", line)
				}
				ch := line[i]
				if ch == '\'' {
					i++
					break
				}
				if ch == '\\' && i+1 < len(line) && line[i+1] == '\'' {
					cur = append(cur, '\'')
					i += 2
					continue
				}
				cur = append(cur, ch)
				i++
			}
		default:
			for i < len(line) && line[i] != ' ' {
				cur = append(cur, line[i])
				i++
			}
		}
		if i < len(line) && line[i] != ' ' {
			return nil, fmt.Errorf("closing quote must be followed by a space in %q", line)
		}
		args = append(args, string(cur))
	}
}

// quoteArgs renders a command for messages, quoting what needs it.
func quoteArgs(args []string) string {
	parts := make([]string, len(args))
	for i, a := range args {
		if len(a) > 80 {
			a = a[:80] + fmt.Sprintf("...(%d bytes)", len(a))
		}
		if a == "" || strings.ContainsAny(a, " \"'\\") || strconv.Quote(a) != `"`+a+`"` {
			parts[i] = strconv.Quote(a)
		} else {
			parts[i] = a
		}
	}
	return strings.Join(parts, " ")
}

// sortValues orders values by their encoding; used by unordered matchers.
func sortValues(vs []*value) {
	sort.Slice(vs, func(i, j int) bool { return bytes.Compare(encode(vs[i]), encode(vs[j])) < 0 })
}
