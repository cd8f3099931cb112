package resp

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestWriterBothProtocols checks that one call site writes the RESP3 type
// or its RESP2 fallback.
func TestWriterBothProtocols(t *testing.T) {
	cases := []struct {
		name        string
		write       func(w *Writer)
		resp2, rsp3 string
	}{
		{"null", func(w *Writer) { w.Null() }, "$-1\r\n", "_\r\n"},
		{"null array", func(w *Writer) { w.NullArray() }, "*-1\r\n", "_\r\n"},
		{"map", func(w *Writer) { w.Map(1); w.BulkString("a"); w.Int(1) }, "*2\r\n$1\r\na\r\n:1\r\n", "%1\r\n$1\r\na\r\n:1\r\n"},
		{"set", func(w *Writer) { w.Set(1); w.BulkString("a") }, "*1\r\n$1\r\na\r\n", "~1\r\n$1\r\na\r\n"},
		{"push", func(w *Writer) { w.Push(1); w.BulkString("a") }, "*1\r\n$1\r\na\r\n", ">1\r\n$1\r\na\r\n"},
		{"double", func(w *Writer) { w.Double(1.5) }, "$3\r\n1.5\r\n", ",1.5\r\n"},
		{"double 17g", func(w *Writer) { w.Double(1.1) }, "$18\r\n1.1000000000000001\r\n", ",1.1000000000000001\r\n"},
		{"inf", func(w *Writer) { w.Double(math.Inf(1)) }, "$3\r\ninf\r\n", ",inf\r\n"},
		{"-inf", func(w *Writer) { w.Double(math.Inf(-1)) }, "$4\r\n-inf\r\n", ",-inf\r\n"},
		{"bool", func(w *Writer) { w.Bool(true); w.Bool(false) }, ":1\r\n:0\r\n", "#t\r\n#f\r\n"},
		{"verbatim", func(w *Writer) { w.Verbatim("txt", "hi") }, "$2\r\nhi\r\n", "=6\r\ntxt:hi\r\n"},
		{"bignum", func(w *Writer) { w.BigNumber("123") }, "$3\r\n123\r\n", "(123\r\n"},
		{"error code kept", func(w *Writer) { w.Error("WRONGTYPE x") }, "-WRONGTYPE x\r\n", "-WRONGTYPE x\r\n"},
		{"error gets ERR", func(w *Writer) { w.Error("bad thing") }, "-ERR bad thing\r\n", "-ERR bad thing\r\n"},
		{"error newline", func(w *Writer) { w.Error("ERR a\r\nb") }, "-ERR a  b\r\n", "-ERR a  b\r\n"},
		{"big array", func(w *Writer) { w.Array(12) }, "*12\r\n", "*12\r\n"},
	}
	for _, tc := range cases {
		for proto, want := range map[int]string{2: tc.resp2, 3: tc.rsp3} {
			w := NewWriter()
			w.SetProto(proto)
			tc.write(w)
			require.Equal(t, want, string(w.Buffer()), "%s RESP%d", tc.name, proto)
		}
	}
}
