package cmdspec

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kioku-db/kioku/resp"
	"github.com/kioku-db/kioku/server/cmdspec/internal/respval"
)

// sampleCommands have no subcommands, so Redis's reply has a fixed order
// and the bytes compare as they are. Together they cover every key spec
// shape: index/range, keyword, keynum, unknown, notes, not_key,
// incomplete, variable_flags, and tips.
var sampleCommands = []string{
	"get", "set", "mset", "zunionstore", "xread", "xreadgroup", "sort",
	"sort_ro", "migrate", "georadius", "eval", "blmpop", "spublish", "keys",
	"bitfield", "lcs", "ping", "debug", "client|kill", "object|encoding",
}

// assertSameBytes compares two replies and shows where they part (the
// replies are too long for a full diff).
func assertSameBytes(t *testing.T, want, got []byte, what string) {
	t.Helper()
	if string(want) == string(got) {
		return
	}
	i := 0
	for i < len(want) && i < len(got) && want[i] == got[i] {
		i++
	}
	from := max(0, i-80)
	t.Errorf("%s: replies differ at byte %d:\nredis: %q\nours:  %q", what, i,
		want[from:min(len(want), i+80)], got[from:min(len(got), i+80)])
}

func infoReply(proto int, names []string) []byte {
	w := resp.NewWriter()
	w.SetProto(proto)
	w.Array(len(names))
	for _, n := range names {
		Lookup(n).WriteInfo(w, nil)
	}
	return w.Buffer()
}

func docsReply(proto int, names []string) []byte {
	w := resp.NewWriter()
	w.SetProto(proto)
	w.Map(len(names))
	for _, n := range names {
		w.BulkString(n)
		Lookup(n).WriteDocs(w)
	}
	return w.Buffer()
}

func TestInfoBytesMatchRedis(t *testing.T) {
	for _, proto := range []int{2, 3} {
		t.Run(fmt.Sprint("RESP", proto), func(t *testing.T) {
			c := dialRedis(t, proto)
			_, raw := c.doRaw(append([]string{"COMMAND", "INFO"}, sampleCommands...)...)
			assertSameBytes(t, raw, infoReply(proto, sampleCommands), "COMMAND INFO")
		})
	}
}

func TestDocsBytesMatchRedis(t *testing.T) {
	for _, proto := range []int{2, 3} {
		t.Run(fmt.Sprint("RESP", proto), func(t *testing.T) {
			c := dialRedis(t, proto)
			_, raw := c.doRaw(append([]string{"COMMAND", "DOCS"}, sampleCommands...)...)
			assertSameBytes(t, raw, docsReply(proto, sampleCommands), "COMMAND DOCS")
		})
	}
}

// allNames lists every command and subcommand in the table.
func allNames() []string {
	var names []string
	for _, s := range All() {
		names = append(names, s.Name)
		for _, sub := range s.Subcommands {
			names = append(names, sub.Name)
		}
	}
	return names
}

// TestAllInfoMatchesRedis compares every entry. Redis lists subcommands in
// the order of a hash table seeded at random on each start, so both
// replies get their subcommands sorted before the bytes are compared.
func TestAllInfoMatchesRedis(t *testing.T) {
	names := allNames()
	for _, proto := range []int{2, 3} {
		t.Run(fmt.Sprint("RESP", proto), func(t *testing.T) {
			c := dialRedis(t, proto)
			want := c.do(append([]string{"COMMAND", "INFO"}, names...)...)
			got, err := respval.Parse(infoReply(proto, names))
			require.NoError(t, err)
			require.Len(t, got.Elems, len(want.Elems))
			for i, name := range names {
				w, g := want.Elems[i], got.Elems[i]
				sortInfoSubcommands(&w)
				assertSameBytes(t, w.Encode(nil), g.Encode(nil), name)
			}
		})
	}
}

func sortInfoSubcommands(v *respval.Value) {
	subs := &v.Elems[9]
	subs.SortElems(func(e respval.Value) string { return e.Elems[0].Str })
}

func TestAllDocsMatchRedis(t *testing.T) {
	names := allNames()
	for _, proto := range []int{2, 3} {
		t.Run(fmt.Sprint("RESP", proto), func(t *testing.T) {
			c := dialRedis(t, proto)
			want := c.do(append([]string{"COMMAND", "DOCS"}, names...)...)
			got, err := respval.Parse(docsReply(proto, names))
			require.NoError(t, err)
			wp, gp := want.Pairs(), got.Pairs()
			require.Len(t, gp, len(wp))
			for i := range wp {
				require.Equal(t, wp[i][0].Str, gp[i][0].Str)
				w := wp[i][1]
				sortDocSubcommands(&w)
				assertSameBytes(t, w.Encode(nil), gp[i][1].Encode(nil), wp[i][0].Str)
			}
		})
	}
}

func sortDocSubcommands(doc *respval.Value) {
	for i := 0; i+1 < len(doc.Elems); i += 2 {
		if doc.Elems[i].Str == "subcommands" {
			doc.Elems[i+1].SortPairs()
		}
	}
}

// TestCommandCountMatchesRedis checks that the table has exactly Redis's
// commands and subcommands.
func TestCommandCountMatchesRedis(t *testing.T) {
	c := dialRedis(t, 3)
	n, err := c.do("COMMAND", "COUNT").Int()
	require.NoError(t, err)
	assert.Equal(t, n, len(All()))
	list := c.do("COMMAND", "LIST").Strings()
	assert.ElementsMatch(t, list, allNames())
}

func TestWriteInfoInclude(t *testing.T) {
	w := resp.NewWriter()
	w.SetProto(3)
	Lookup("object").WriteInfo(w, func(name string) bool { return name == "object|encoding" })
	v, err := respval.Parse(w.Buffer())
	require.NoError(t, err)
	subs := v.Elems[9]
	assert.Equal(t, byte('*'), subs.Kind)
	require.Len(t, subs.Elems, 1)
	assert.Equal(t, "object|encoding", subs.Elems[0].Elems[0].Str)

	// Nothing included: still an array, unlike a plain command's empty set.
	w = resp.NewWriter()
	w.SetProto(3)
	Lookup("object").WriteInfo(w, func(string) bool { return false })
	assert.True(t, strings.HasSuffix(string(w.Buffer()), "*0\r\n"))
	w = resp.NewWriter()
	w.SetProto(3)
	Lookup("get").WriteInfo(w, func(string) bool { return false })
	assert.True(t, strings.HasSuffix(string(w.Buffer()), "~0\r\n"))
}

// TestHiddenFlagsNotWritten: COMMAND INFO never shows "protected".
func TestHiddenFlagsNotWritten(t *testing.T) {
	s := Lookup("debug")
	require.True(t, s.Is(FlagProtected))
	w := resp.NewWriter()
	s.WriteInfo(w, nil)
	assert.NotContains(t, string(w.Buffer()), "protected")
}
