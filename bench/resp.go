package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"
)

// A tiny RESP2 client: PING, SET, DBSIZE and INFO are all the harness needs.
// It is hand-written rather than go-redis so that the harness depends on no
// connection handshake (HELLO, CLIENT SETINFO) that a young server may not
// implement yet, and so that pipelining is plain byte appends.

// ioTimeout bounds one request or one pipelined batch, so a server that stops
// answering fails the measurement instead of hanging the harness.
const ioTimeout = 60 * time.Second

type respConn struct {
	conn      net.Conn
	r         *bufio.Reader
	w         *bufio.Writer
	stopWatch func() bool
}

// reply is one decoded RESP2 value.
type reply struct {
	kind  byte // '+', '-', ':', '$', '*'
	str   string
	num   int64
	null  bool
	elems []reply
}

func (r reply) String() string {
	switch r.kind {
	case ':':
		return strconv.FormatInt(r.num, 10)
	case '*':
		return fmt.Sprintf("array(%d)", len(r.elems))
	default:
		return r.str
	}
}

// dialRESP connects; cancelling ctx closes the connection, which unblocks
// any read in progress (this is how SIGINT interrupts the memory fill).
func dialRESP(ctx context.Context, addr string) (*respConn, error) {
	d := net.Dialer{Timeout: 2 * time.Second}
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	c := &respConn{conn: conn, r: bufio.NewReaderSize(conn, 64<<10), w: bufio.NewWriterSize(conn, 64<<10)}
	c.stopWatch = context.AfterFunc(ctx, func() { conn.Close() })
	return c, nil
}

func (c *respConn) close() {
	c.stopWatch()
	c.conn.Close()
}

// do sends one command and returns its reply; an error reply becomes an error.
func (c *respConn) do(args ...string) (reply, error) {
	c.conn.SetDeadline(time.Now().Add(ioTimeout))
	if _, err := c.w.Write(appendCommand(nil, args...)); err != nil {
		return reply{}, err
	}
	if err := c.w.Flush(); err != nil {
		return reply{}, err
	}
	return c.readReplyOK()
}

// pipeline sends pre-encoded commands in one write and reads count replies,
// failing on the first error reply.
func (c *respConn) pipeline(encoded []byte, count int) error {
	c.conn.SetDeadline(time.Now().Add(ioTimeout))
	if _, err := c.w.Write(encoded); err != nil {
		return err
	}
	if err := c.w.Flush(); err != nil {
		return err
	}
	for i := 0; i < count; i++ {
		if _, err := c.readReplyOK(); err != nil {
			return err
		}
	}
	return nil
}

func (c *respConn) readReplyOK() (reply, error) {
	r, err := readReply(c.r)
	if err != nil {
		return r, err
	}
	if r.kind == '-' {
		return r, fmt.Errorf("server error: %s", r.str)
	}
	return r, nil
}

// appendCommand encodes args as a RESP array of bulk strings onto buf.
func appendCommand(buf []byte, args ...string) []byte {
	buf = append(buf, '*')
	buf = strconv.AppendInt(buf, int64(len(args)), 10)
	buf = append(buf, '\r', '\n')
	for _, a := range args {
		buf = append(buf, '$')
		buf = strconv.AppendInt(buf, int64(len(a)), 10)
		buf = append(buf, '\r', '\n')
		buf = append(buf, a...)
		buf = append(buf, '\r', '\n')
	}
	return buf
}

func readReply(r *bufio.Reader) (reply, error) {
	line, err := r.ReadString('\n')
	if err != nil {
		return reply{}, err
	}
	if len(line) < 3 || !strings.HasSuffix(line, "\r\n") {
		return reply{}, fmt.Errorf("malformed RESP line %q", line)
	}
	kind, body := line[0], line[1:len(line)-2]
	switch kind {
	case '+', '-':
		return reply{kind: kind, str: body}, nil
	case ':':
		n, err := strconv.ParseInt(body, 10, 64)
		return reply{kind: kind, num: n}, err
	case '$':
		return readBulk(r, body)
	case '*':
		return readArray(r, body)
	}
	return reply{}, fmt.Errorf("unsupported RESP type %q", kind)
}

func readBulk(r *bufio.Reader, lenText string) (reply, error) {
	n, err := strconv.Atoi(lenText)
	if err != nil {
		return reply{}, fmt.Errorf("bad bulk length %q", lenText)
	}
	if n < 0 {
		return reply{kind: '$', null: true}, nil
	}
	buf := make([]byte, n+2)
	if _, err := io.ReadFull(r, buf); err != nil {
		return reply{}, err
	}
	if buf[n] != '\r' || buf[n+1] != '\n' {
		return reply{}, errors.New("bulk string not terminated by CRLF")
	}
	return reply{kind: '$', str: string(buf[:n])}, nil
}

func readArray(r *bufio.Reader, lenText string) (reply, error) {
	n, err := strconv.Atoi(lenText)
	if err != nil {
		return reply{}, fmt.Errorf("bad array length %q", lenText)
	}
	out := reply{kind: '*', null: n < 0}
	for i := 0; i < n; i++ {
		e, err := readReply(r)
		if err != nil {
			return reply{}, err
		}
		out.elems = append(out.elems, e)
	}
	return out, nil
}
