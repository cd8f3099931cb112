package cmdspec

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func BenchmarkLoad(b *testing.B) {
	for b.Loop() {
		if _, err := load(commandsJSON); err != nil {
			b.Fatal(err)
		}
	}
}

// TestFileIsJSON: the hand-written decoder must not hide a file that
// other tools (jq, encoding/json) cannot read.
func TestFileIsJSON(t *testing.T) {
	var entries []map[string]any
	require.NoError(t, json.Unmarshal([]byte(commandsJSON), &entries))
	assert.Len(t, entries, len(allNames()))
}

func TestDecoder(t *testing.T) {
	specs, err := decodeTable(` [ {"name":"x\"y\u00e9","arity":-2,"flags":["write"],"tips":[],
		"doc":{"summary":"a\nb","history":[["1.0.0","c"]],
		"arguments":[{"name":"k","type":"key","key_spec_index":0}]}} ] `)
	require.NoError(t, err)
	require.Len(t, specs, 1)
	s := specs[0]
	assert.Equal(t, "x\"yé", s.Name)
	assert.Equal(t, -2, s.Arity)
	assert.Equal(t, []string{"write"}, s.Flags)
	assert.Equal(t, "a\nb", s.Doc.Summary)
	assert.Equal(t, [][2]string{{"1.0.0", "c"}}, s.Doc.History)
	assert.Equal(t, 0, s.Doc.Arguments[0].KeySpecIndex)

	for _, bad := range []string{
		`[{"nosuchfield":1}]`, `[{"name":"x"}`, `[{"name":"x"}] x`, `[{"arity":"2"}]`,
		`[{"doc":{"history":[["a","b","c"]]}}]`,
	} {
		_, err := decodeTable(bad)
		assert.Error(t, err, bad)
	}
}
