package persistence

import (
	"bufio"
	"bytes"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/kioku-db/kioku/types"
)

func TestAppendCommandEncoding(t *testing.T) {
	require.Equal(t, "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n", string(AppendCommandStrings(nil, "SET", "k", "")))
	require.Equal(t, "*2\r\n$6\r\nSELECT\r\n$2\r\n15\r\n", string(AppendSelect(nil, 15)))
	require.Equal(t, "$2\r\n-7\r\n", string(AppendBulkInt(nil, -7)))
	require.Equal(t, "$5\r\n1-234\r\n", string(AppendBulkID(nil, types.StreamID{Ms: 1, Seq: 234})))
	require.Equal(t, "#TS:42\r\n", string(AppendTimestamp(nil, 42)))
	for f, want := range map[float64]string{1.5: "1.5", 0.1: "0.1", math.Inf(1): "inf", math.Inf(-1): "-inf", 1e300: "1e+300", -0.0: "0"} {
		require.Equal(t, fmt.Sprintf("$%d\r\n%s\r\n", len(want), want), string(AppendBulkDouble(nil, f)))
	}
}

// TestAppendKeyCommands rebuilds one key of each type and reads the
// commands back: batches of 64 elements, a TTL as PEXPIREAT, a stream
// with its IDs, groups, consumers and pending entries.
func TestAppendKeyCommands(t *testing.T) {
	l := types.NewList()
	for i := 0; i < 130; i++ {
		l.PushBack([]byte(fmt.Sprint(i)))
	}
	s := types.NewSet()
	s.Add("a", 512)
	s.Add("7", 512)
	z := types.NewZSet()
	z.Set("m", 2.5)
	z.Set("n", math.Inf(-1))
	h := types.NewHash()
	h.Set([]byte("f"), []byte("v"), types.HashLimits{MaxEntries: 128, MaxValue: 64})
	st := types.NewStream()
	require.NoError(t, st.Add(types.StreamID{Ms: 1, Seq: 1}, [][]byte{[]byte("a"), []byte("1")}, types.NodeLimits{}))
	require.NoError(t, st.Add(types.StreamID{Ms: 2, Seq: 0}, [][]byte{[]byte("b"), []byte("2")}, types.NodeLimits{}))
	g, ok := st.CreateGroup("g", types.StreamID{Ms: 2}, 2)
	require.True(t, ok)
	busy, _ := g.ConsumerFor("busy", 10)
	g.Deliver(types.StreamID{Ms: 1, Seq: 1}, busy, 1234)
	g.ConsumerFor("idle", 10)

	var b []byte
	b, _ = AppendKeyCommands(b, "s", "val", nil, 99)
	b, _ = AppendKeyCommands(b, "l", "", l, 0)
	b, _ = AppendKeyCommands(b, "set", "", s, 0)
	b, _ = AppendKeyCommands(b, "z", "", z, 0)
	b, _ = AppendKeyCommands(b, "h", "", h, 0)
	b, _ = AppendKeyCommands(b, "x", "", st, 0)
	b, _ = AppendKeyCommands(b, "empty", "", types.NewStream(), 0)
	_, ok = AppendKeyCommands(nil, "other", "", 42, 0)
	require.False(t, ok)

	cmds, err := readAll(t, b)
	require.NoError(t, err)
	var got []string
	for _, c := range cmds {
		if c[0] == "RPUSH" {
			got = append(got, fmt.Sprintf("RPUSH %s (%d items from %s)", c[1], len(c)-2, c[2]))
			continue
		}
		if c[0] == "SADD" {
			// A hash-table set has no order: compare its members sorted.
			slices.Sort(c[2:])
		}
		got = append(got, strings.Join(c, " "))
	}
	require.Equal(t, []string{
		"SET s val",
		"PEXPIREAT s 99",
		"RPUSH l (64 items from 0)",
		"RPUSH l (64 items from 64)",
		"RPUSH l (2 items from 128)",
		"SADD set 7 a",
		"ZADD z -inf n 2.5 m",
		"HMSET h f v",
		"XADD x 1-1 a 1",
		"XADD x 2-0 b 2",
		"XSETID x 2-0 ENTRIESADDED 2 MAXDELETEDID 0-0",
		"XGROUP CREATE x g 2-0 ENTRIESREAD 2",
		"XCLAIM x g busy 0 1-1 TIME 1234 RETRYCOUNT 1 FORCE JUSTID",
		"XGROUP CREATECONSUMER x g idle",
		"XADD empty MAXLEN 0 0-1 x y",
		"XSETID empty 0-0 ENTRIESADDED 0 MAXDELETEDID 0-0",
	}, got)
}

func TestAOFRewriterItems(t *testing.T) {
	var out bytes.Buffer
	w := bufio.NewWriter(&out)
	rw := NewAOFRewriter(w)
	require.NoError(t, rw.Timestamp(5))
	require.NoError(t, rw.Function("#!lua name=lib\nredis.register_function('f', function() return 1 end)"))
	require.NoError(t, rw.Item(RDBItem{DB: 0, Key: "a", Str: "1"}))
	require.NoError(t, rw.Item(RDBItem{DB: 0, Key: "b", Str: "2"}))
	require.NoError(t, rw.Item(RDBItem{DB: 3, Key: "c", Str: "3", Expire: 7}))
	require.NoError(t, w.Flush())
	require.True(t, strings.HasPrefix(out.String(), "#TS:5\r\n"))
	cmds, err := readAll(t, out.Bytes())
	require.NoError(t, err)
	require.Equal(t, [][]string{
		{"FUNCTION", "LOAD", "#!lua name=lib\nredis.register_function('f', function() return 1 end)"},
		{"SELECT", "0"}, {"SET", "a", "1"}, {"SET", "b", "2"},
		{"SELECT", "3"}, {"SET", "c", "3"}, {"PEXPIREAT", "c", "7"},
	}, cmds)
}
