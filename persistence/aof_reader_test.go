package persistence

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func readAll(t testing.TB, data []byte) ([][]string, error) {
	t.Helper()
	rd := NewAOFReader(bufio.NewReaderSize(bytes.NewReader(data), 16), 0)
	var out [][]string
	for {
		args, err := rd.Next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		cmd := make([]string, len(args))
		for i, a := range args {
			cmd[i] = string(a)
		}
		out = append(out, cmd)
	}
}

func sampleAOF() []byte {
	var b []byte
	b = AppendSelect(b, 0)
	b = AppendTimestamp(b, 1700000000)
	b = AppendCommandStrings(b, "SET", "k", "v\r\nwith crlf")
	b = AppendCommandStrings(b, "RPUSH", "l", "", "x")
	b = AppendCommand(b, []byte("SET"), []byte("bin"), []byte{0, 1, 2, '\n'})
	return b
}

func TestAOFReaderReadsCommands(t *testing.T) {
	cmds, err := readAll(t, sampleAOF())
	require.NoError(t, err)
	require.Equal(t, [][]string{
		{"SELECT", "0"},
		{"SET", "k", "v\r\nwith crlf"},
		{"RPUSH", "l", "", "x"},
		{"SET", "bin", "\x00\x01\x02\n"},
	}, cmds)
	// An annotation left unfinished at the end is skipped, as Redis does.
	cmds, err = readAll(t, append(AppendCommandStrings(nil, "PING"), "#TS:17"...))
	require.NoError(t, err)
	require.Len(t, cmds, 1)
}

// TestAOFReaderTruncatedAtEveryOffset cuts a file at every byte: the
// whole commands before the cut are read, then the cut is reported as a
// truncation (never as corruption, never a panic) at the offset where
// the torn command starts.
func TestAOFReaderTruncatedAtEveryOffset(t *testing.T) {
	full := sampleAOF()
	whole, err := readAll(t, full)
	require.NoError(t, err)
	ends := commandEnds(t, full)
	for cut := 0; cut < len(full); cut++ {
		cmds, err := readAll(t, full[:cut])
		complete := 0
		for complete < len(ends) && ends[complete] <= int64(cut) {
			complete++
		}
		if cut == 0 || isEnd(ends, int64(cut)) || annotationOnly(full, ends, cut) {
			require.NoError(t, err, "cut at %d", cut)
			continue
		}
		var ae *AOFError
		require.ErrorAs(t, err, &ae, "cut at %d", cut)
		require.Equal(t, AOFTruncated, ae.Kind, "cut at %d: %v", cut, err)
		if len(cmds) > 0 {
			require.Equal(t, whole[:len(cmds)], cmds)
		}
		start := int64(0)
		if complete > 0 {
			start = ends[complete-1]
		}
		if !annotationBetween(full, start) {
			require.Equal(t, start, ae.Offset, "cut at %d", cut)
		}
	}
}

// commandEnds lists the offsets just after each command.
func commandEnds(t *testing.T, data []byte) []int64 {
	rd := NewAOFReader(bufio.NewReader(bytes.NewReader(data)), 0)
	var ends []int64
	for {
		_, err := rd.Next()
		if err == io.EOF {
			return ends
		}
		require.NoError(t, err)
		ends = append(ends, rd.Offset())
	}
}

func isEnd(ends []int64, off int64) bool {
	for _, e := range ends {
		if e == off {
			return true
		}
	}
	return false
}

// annotationOnly: the cut falls inside the annotation line, which the
// reader skips even unfinished.
func annotationOnly(full []byte, ends []int64, cut int) bool {
	ts := bytes.Index(full, []byte("#TS:"))
	return cut > ts && cut <= ts+len("#TS:1700000000\r\n") && int64(ts) == ends[0]
}

func annotationBetween(full []byte, start int64) bool {
	return bytes.HasPrefix(full[start:], []byte("#"))
}

func TestAOFReaderRefusesCorruption(t *testing.T) {
	good := AppendCommandStrings(nil, "SET", "a", "1")
	for _, tc := range []struct {
		name string
		data string
		pos  int64
	}{
		{"garbage between commands", string(good) + "hello\r\n" + string(good), int64(len(good))},
		{"bad count", string(good) + "*x\r\n", int64(len(good))},
		{"zero count", string(good) + "*0\r\n", int64(len(good))},
		{"negative count", "*-1\r\n", 0},
		{"missing $", "*1\r\n+SET\r\n", 4},
		{"negative length", "*1\r\n$-3\r\n", 4},
		{"bad length", "*1\r\n$3x\r\nSET\r\n", 4},
		{"length too short", "*1\r\n$2\r\nSET\r\n", 10},
		{"blank line", "\r\n", 0},
		{"header too long", "*" + strings.Repeat("1", 2000) + "\r\n", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := readAll(t, []byte(tc.data))
			var ae *AOFError
			require.ErrorAs(t, err, &ae)
			require.Equal(t, AOFBadFormat, ae.Kind, "%v", err)
			require.Equal(t, tc.pos, ae.Pos, "%v", err)
		})
	}
}

// TestAOFReaderHugeLengthAtEnd: a corrupt length larger than the file is
// read as a truncation without allocating it.
func TestAOFReaderHugeLengthAtEnd(t *testing.T) {
	_, err := readAll(t, []byte("*1\r\n$999999999999\r\nabc"))
	var ae *AOFError
	require.ErrorAs(t, err, &ae)
	require.Equal(t, AOFTruncated, ae.Kind)
}

func TestAOFReaderOffsetsAfterPreamble(t *testing.T) {
	data := AppendCommandStrings(nil, "PING")
	rd := NewAOFReader(bufio.NewReader(bytes.NewReader(data)), 100)
	_, err := rd.Next()
	require.NoError(t, err)
	require.EqualValues(t, 100+len(data), rd.Offset())
	_, err = rd.Next()
	require.True(t, errors.Is(err, io.EOF))
	require.True(t, HasRDBPreamble(bufio.NewReader(strings.NewReader("REDIS0010..."))))
	require.False(t, HasRDBPreamble(bufio.NewReader(strings.NewReader("*1\r\n"))))
}

func FuzzAOFReader(f *testing.F) {
	f.Add(sampleAOF())
	f.Add([]byte("*1\r\n$999999999999\r\nabc"))
	f.Add([]byte("#TS:1\r\n*2\r\n$3\r\nDEL\r\n$1\r\nk\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		cmds, err := readAll(t, data)
		var ae *AOFError
		if err != nil && !errors.As(err, &ae) {
			t.Fatalf("unexpected error type %T: %v", err, err)
		}
		// What was read re-encodes to a prefix of the input's commands.
		for _, c := range cmds {
			if len(c) == 0 {
				t.Fatal("a command without arguments")
			}
		}
	})
}
