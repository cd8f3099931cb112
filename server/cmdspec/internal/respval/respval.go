// Package respval parses RESP2/RESP3 replies into a tree that keeps every
// type marker, and encodes the tree back to the exact bytes it came from.
//
// The generator uses it to read COMMAND INFO and COMMAND DOCS from a real
// redis-server; the tests use it to put two replies in a canonical order
// (Redis lists subcommands in hash order, which changes with every process)
// before comparing their bytes.
package respval

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
)

// Value is one reply. Kind is the type byte ('+', '-', ':', '$', '*', '%',
// '~', '_', ',', '#', '(', '=', '>'); Str holds the payload of a simple
// type or bulk string (a null bulk string has Null set); Elems holds the
// elements of an aggregate, a map's keys and values interleaved.
type Value struct {
	Kind  byte
	Str   string
	Null  bool
	Elems []Value
}

// Read parses one reply.
func Read(r *bufio.Reader) (Value, error) {
	line, err := readLine(r)
	if err != nil {
		return Value{}, err
	}
	if line == "" {
		return Value{}, errors.New("respval: empty line")
	}
	v := Value{Kind: line[0], Str: line[1:]}
	switch v.Kind {
	case '+', '-', ':', ',', '#', '(', '_':
		return v, nil
	case '$', '=', '!':
		return readBulk(r, v)
	case '*', '~', '>', '%', '|':
		return readAggregate(r, v)
	}
	return Value{}, fmt.Errorf("respval: unknown type %q", v.Kind)
}

func readLine(r *bufio.Reader) (string, error) {
	line, err := r.ReadString('\n')
	if err != nil {
		return "", err
	}
	if !strings.HasSuffix(line, "\r\n") {
		return "", errors.New("respval: line without CRLF")
	}
	return line[:len(line)-2], nil
}

func readBulk(r *bufio.Reader, v Value) (Value, error) {
	n, err := strconv.Atoi(v.Str)
	if err != nil {
		return Value{}, err
	}
	if n < 0 {
		return Value{Kind: v.Kind, Null: true}, nil
	}
	buf := make([]byte, n+2)
	if _, err := io.ReadFull(r, buf); err != nil {
		return Value{}, err
	}
	return Value{Kind: v.Kind, Str: string(buf[:n])}, nil
}

func readAggregate(r *bufio.Reader, v Value) (Value, error) {
	n, err := strconv.Atoi(v.Str)
	if err != nil {
		return Value{}, err
	}
	if n < 0 {
		return Value{Kind: v.Kind, Null: true}, nil
	}
	if v.Kind == '%' || v.Kind == '|' {
		n *= 2
	}
	out := Value{Kind: v.Kind, Elems: make([]Value, n)}
	for i := range out.Elems {
		if out.Elems[i], err = Read(r); err != nil {
			return Value{}, err
		}
	}
	return out, nil
}

// Parse parses exactly one reply from b.
func Parse(b []byte) (Value, error) {
	r := bufio.NewReader(strings.NewReader(string(b)))
	v, err := Read(r)
	if err != nil {
		return v, err
	}
	if _, err := r.ReadByte(); err != io.EOF {
		return v, errors.New("respval: trailing bytes")
	}
	return v, nil
}

// Encode appends the wire form of v.
func (v Value) Encode(dst []byte) []byte {
	dst = append(dst, v.Kind)
	switch v.Kind {
	case '$', '=', '!':
		if v.Null {
			return append(dst, "-1\r\n"...)
		}
		dst = strconv.AppendInt(dst, int64(len(v.Str)), 10)
		dst = append(dst, '\r', '\n')
		dst = append(dst, v.Str...)
	case '*', '~', '>', '%', '|':
		if v.Null {
			return append(dst, "-1\r\n"...)
		}
		n := len(v.Elems)
		if v.Kind == '%' || v.Kind == '|' {
			n /= 2
		}
		dst = strconv.AppendInt(dst, int64(n), 10)
		dst = append(dst, '\r', '\n')
		for _, e := range v.Elems {
			dst = e.Encode(dst)
		}
		return dst
	default:
		dst = append(dst, v.Str...)
	}
	return append(dst, '\r', '\n')
}

// IsAggregate reports whether v has elements.
func (v Value) IsAggregate() bool {
	switch v.Kind {
	case '*', '~', '>', '%', '|':
		return !v.Null
	}
	return false
}

// Pairs returns the key/value pairs of a map, or of a RESP2 flat array
// standing for one.
func (v Value) Pairs() [][2]Value {
	out := make([][2]Value, 0, len(v.Elems)/2)
	for i := 0; i+1 < len(v.Elems); i += 2 {
		out = append(out, [2]Value{v.Elems[i], v.Elems[i+1]})
	}
	return out
}

// Get returns the value for key in a map (or RESP2 flat array), and whether
// it was there.
func (v Value) Get(key string) (Value, bool) {
	for _, p := range v.Pairs() {
		if p[0].Str == key {
			return p[1], true
		}
	}
	return Value{}, false
}

// Strings returns the payloads of an aggregate's elements.
func (v Value) Strings() []string {
	out := make([]string, len(v.Elems))
	for i, e := range v.Elems {
		out[i] = e.Str
	}
	return out
}

// Int returns the payload of an integer reply.
func (v Value) Int() (int, error) {
	if v.Kind != ':' {
		return 0, fmt.Errorf("respval: %q is not an integer", v.Kind)
	}
	return strconv.Atoi(v.Str)
}

// SortElems sorts an array's elements by key(e), stably.
func (v *Value) SortElems(key func(Value) string) {
	sort.SliceStable(v.Elems, func(i, j int) bool { return key(v.Elems[i]) < key(v.Elems[j]) })
}

// SortPairs sorts a map's (or RESP2 flat array's) pairs by key.
func (v *Value) SortPairs() {
	p := v.Pairs()
	sort.SliceStable(p, func(i, j int) bool { return p[i][0].Str < p[j][0].Str })
	for i, kv := range p {
		v.Elems[2*i], v.Elems[2*i+1] = kv[0], kv[1]
	}
}
