package persistence

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"slices"
)

// Reading an AOF: commands in RESP (*<argc> then $<len> bulk strings),
// with annotation lines starting with '#' (aof-timestamp-enabled's
// "#TS:<unix>") skipped, as Redis's loadSingleAppendOnlyFile reads them.
// Two ways a read can fail matter to the loader: the file ends inside a
// command (a write torn by a crash: aof-load-truncated may drop it) and
// bytes that are not a command at all (corruption: never loaded).

// AOFErrorKind says how a read failed.
type AOFErrorKind uint8

const (
	// AOFTruncated: the input ended inside a command.
	AOFTruncated AOFErrorKind = iota + 1
	// AOFBadFormat: the input is not a sequence of commands.
	AOFBadFormat
)

// AOFError is a command that could not be read.
type AOFError struct {
	Kind AOFErrorKind
	// Offset is where the command that could not be read starts; for a
	// format error, Pos is where the bad byte is.
	Offset, Pos int64
	Reason      string
}

func (e *AOFError) Error() string {
	if e.Kind == AOFTruncated {
		return fmt.Sprintf("unexpected end of file at offset %d (in the command starting at offset %d)", e.Pos, e.Offset)
	}
	return fmt.Sprintf("bad file format at offset %d (in the command starting at offset %d): %s", e.Pos, e.Offset, e.Reason)
}

// AOFMaxArgs bounds the arguments of one command, so that a corrupt
// count cannot make the loader allocate without end.
const AOFMaxArgs = 1 << 30

// aofLineMax is the longest header or annotation line (Redis's
// AOF_ANNOTATION_LINE_MAX_LEN).
const aofLineMax = 1024

// AOFReader reads the commands of an AOF.
type AOFReader struct {
	r   *bufio.Reader
	off int64 // bytes consumed
}

// NewAOFReader reads from r, whose first byte is at offset base (a
// legacy AOF's command tail follows its RDB preamble).
func NewAOFReader(r *bufio.Reader, base int64) *AOFReader {
	return &AOFReader{r: r, off: base}
}

// Offset is the offset just after the last command read: where the file
// may be truncated to drop what follows.
func (a *AOFReader) Offset() int64 { return a.off }

// Next returns the next command's arguments (freshly allocated), io.EOF
// at a clean end of input, or an *AOFError.
func (a *AOFReader) Next() ([][]byte, error) {
	for {
		start := a.off
		line, err := a.line()
		if err == io.EOF && len(line) == 0 {
			return nil, io.EOF
		}
		if err != nil && err != io.EOF {
			return nil, err
		}
		if line[0] == '#' {
			if err == io.EOF {
				return nil, io.EOF // Redis skips an unfinished annotation too
			}
			continue
		}
		if err == io.EOF && line[0] == '*' {
			return nil, a.truncated(start)
		}
		if line[0] != '*' {
			return nil, a.bad(start, start, "expected '*'")
		}
		argc, ok := parseHeaderInt(line[1:])
		if !ok {
			if err == io.EOF {
				return nil, a.truncated(start)
			}
			return nil, a.bad(start, start, "invalid argument count")
		}
		if argc < 1 || argc > AOFMaxArgs {
			return nil, a.bad(start, start, "invalid argument count")
		}
		if err == io.EOF {
			return nil, a.truncated(start)
		}
		args := make([][]byte, 0, min(argc, 1024))
		for j := int64(0); j < argc; j++ {
			pos := a.off
			line, err := a.line()
			if err == io.EOF {
				return nil, a.truncated(start)
			}
			if err != nil {
				return nil, err
			}
			if line[0] != '$' {
				return nil, a.bad(start, pos, "expected '$'")
			}
			n, ok := parseHeaderInt(line[1:])
			if !ok || n < 0 {
				return nil, a.bad(start, pos, "invalid bulk length")
			}
			arg, err := a.bulk(n)
			if err != nil {
				if err == io.EOF || err == io.ErrUnexpectedEOF {
					return nil, a.truncated(start)
				}
				return nil, err
			}
			pos = a.off
			crlf := make([]byte, 2)
			got, err := io.ReadFull(a.r, crlf)
			a.off += int64(got)
			if err != nil {
				if err == io.EOF || err == io.ErrUnexpectedEOF {
					return nil, a.truncated(start)
				}
				return nil, err
			}
			if crlf[0] != '\r' || crlf[1] != '\n' {
				return nil, a.bad(start, pos, "expected CRLF after a bulk string")
			}
			args = append(args, arg)
		}
		return args, nil
	}
}

func (a *AOFReader) truncated(start int64) error {
	return &AOFError{Kind: AOFTruncated, Offset: start, Pos: a.off}
}

func (a *AOFReader) bad(start, pos int64, reason string) error {
	return &AOFError{Kind: AOFBadFormat, Offset: start, Pos: pos, Reason: reason}
}

// line reads up to and including "\n" and returns it without the line
// ending. At the end of input it returns what there is with io.EOF. A
// line longer than aofLineMax is a format error.
func (a *AOFReader) line() ([]byte, error) {
	start := a.off
	var line []byte
	for {
		frag, err := a.r.ReadSlice('\n')
		a.off += int64(len(frag))
		line = append(line, frag...)
		if len(line) > aofLineMax {
			return nil, a.bad(start, start, "line too long")
		}
		switch {
		case err == nil:
			line = line[:len(line)-1]
			if n := len(line); n > 0 && line[n-1] == '\r' {
				line = line[:n-1]
			}
			if len(line) == 0 {
				return nil, a.bad(start, start, "empty line")
			}
			return line, nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case err == io.EOF:
			return line, io.EOF
		default:
			return nil, err
		}
	}
}

// bulk reads n bytes, growing its buffer as bytes arrive so a corrupt
// length costs no more memory than the file holds.
func (a *AOFReader) bulk(n int64) ([]byte, error) {
	const chunk = 1 << 20
	buf := make([]byte, 0, min(n, chunk))
	for int64(len(buf)) < n {
		want := int(min(n-int64(len(buf)), chunk))
		buf = slices.Grow(buf, want)
		got, err := io.ReadFull(a.r, buf[len(buf):len(buf)+want])
		buf = buf[:len(buf)+got]
		a.off += int64(got)
		if err != nil {
			return nil, err
		}
	}
	return buf, nil
}

// parseHeaderInt parses the decimal number of a "*" or "$" line.
func parseHeaderInt(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 19 {
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
	}
	if neg {
		n = -n
	}
	return n, true
}

// HasRDBPreamble reports whether a file starts like an RDB file: a base
// in RDB format, or a legacy AOF with an RDB preamble.
func HasRDBPreamble(r *bufio.Reader) bool {
	b, err := r.Peek(5)
	return err == nil && string(b) == "REDIS"
}
