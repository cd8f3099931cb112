package resp

import (
	"bytes"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func readAll(t *testing.T, input string) ([][]string, error) {
	t.Helper()
	r := NewReader(strings.NewReader(input))
	var out [][]string
	for {
		args, err := r.Next()
		if err != nil {
			if err == io.EOF {
				return out, nil
			}
			return out, err
		}
		var cmd []string
		for _, a := range args {
			cmd = append(cmd, string(a))
		}
		out = append(out, cmd)
	}
}

func TestReaderMultibulk(t *testing.T) {
	cmds, err := readAll(t, "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n")
	require.NoError(t, err)
	require.Equal(t, [][]string{{"GET", "k"}, {"SET", "k", ""}}, cmds)
}

func TestReaderSkipsEmptyRequests(t *testing.T) {
	cmds, err := readAll(t, "*0\r\n*-1\r\n\r\nPING\r\n")
	require.NoError(t, err)
	require.Equal(t, [][]string{{"PING"}}, cmds)
}

func TestReaderInline(t *testing.T) {
	cmds, err := readAll(t, "set k \"a\\x41\\n b\"\r\nget 'it\\'s'\nECHO \"\"\r\n")
	require.NoError(t, err)
	require.Equal(t, [][]string{{"set", "k", "aA\n b"}, {"get", "it's"}, {"ECHO", ""}}, cmds)
}

func TestReaderProtocolErrors(t *testing.T) {
	for input, msg := range map[string]string{
		"*x\r\n":                  "invalid multibulk length",
		"*1\r\n+GET\r\n":          "expected '$', got '+'",
		"*1\r\n$-5\r\n":           "invalid bulk length",
		"*1\r\n$abc\r\n":          "invalid bulk length",
		"set k \"abc\r\n":         "unbalanced quotes in request",
		"set k \"abc\"x\r\n":      "unbalanced quotes in request",
		"*1\r\n$999999999999\r\n": "invalid bulk length",
	} {
		_, err := readAll(t, input)
		var pe *ProtocolError
		require.ErrorAs(t, err, &pe, input)
		require.Equal(t, msg, pe.Msg, input)
	}
}

// TestReaderSplitReads feeds the stream one byte at a time: a request that
// arrives in pieces must parse the same.
func TestReaderSplitReads(t *testing.T) {
	input := "*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\nPING\r\n"
	r := NewReader(&oneByteReader{data: []byte(input)})
	args, err := r.Next()
	require.NoError(t, err)
	require.Equal(t, "value", string(args[2]))
	args, err = r.Next()
	require.NoError(t, err)
	require.Equal(t, "PING", string(args[0]))
}

func TestReaderBigBulk(t *testing.T) {
	big := strings.Repeat("x", 1<<20)
	cmds, err := readAll(t, "*2\r\n$4\r\nECHO\r\n$1048576\r\n"+big+"\r\n")
	require.NoError(t, err)
	require.Equal(t, big, cmds[0][1])
}

type oneByteReader struct{ data []byte }

func (o *oneByteReader) Read(p []byte) (int, error) {
	if len(o.data) == 0 {
		return 0, io.EOF
	}
	p[0] = o.data[0]
	o.data = o.data[1:]
	return 1, nil
}

// FuzzReader: any byte stream either parses or fails with an error; it
// never panics or loops, and what parses re-encodes to an equal request.
func FuzzReader(f *testing.F) {
	for _, s := range []string{
		"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n",
		"PING\r\n",
		"set a \"b\\x00\" 'c'\r\n",
		"*1\r\n$-1\r\n",
		"*-1\r\n",
		"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nhello\r\n*1\r\n$4\r\nPING\r\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r := NewReader(bytes.NewReader(data))
		r.MaxBulkLen = 1 << 20
		for i := 0; i < 1000; i++ {
			args, err := r.Next()
			if err != nil {
				return
			}
			if len(args) == 0 {
				t.Fatal("empty request returned")
			}
		}
	})
}
