package persistence

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// The example manifest of Redis's aof.c.
const redisManifestExample = `file appendonly.aof.2.base.rdb seq 2 type b
file appendonly.aof.1.incr.aof seq 1 type h
file appendonly.aof.2.incr.aof seq 2 type h
file appendonly.aof.3.incr.aof seq 3 type h
file appendonly.aof.4.incr.aof seq 4 type i
file appendonly.aof.5.incr.aof seq 5 type i
`

func TestManifestParseRedisExample(t *testing.T) {
	m, err := ParseManifest(strings.NewReader(redisManifestExample))
	require.NoError(t, err)
	require.Equal(t, &AOFFile{Name: "appendonly.aof.2.base.rdb", Seq: 2, Type: AOFBase}, m.Base)
	require.Len(t, m.History, 3)
	require.Equal(t, []AOFFile{
		{Name: "appendonly.aof.4.incr.aof", Seq: 4, Type: AOFIncr},
		{Name: "appendonly.aof.5.incr.aof", Seq: 5, Type: AOFIncr},
	}, m.Incr)
	require.EqualValues(t, 2, m.BaseSeq)
	require.EqualValues(t, 5, m.IncrSeq)
	// Formatting gives back Redis's bytes: base, history, incremental.
	require.Equal(t, redisManifestExample, string(m.Bytes()))
	require.Equal(t, []string{"appendonly.aof.2.base.rdb", "appendonly.aof.4.incr.aof", "appendonly.aof.5.incr.aof"},
		names(m.Loaded()))
}

func names(files []AOFFile) []string {
	var out []string
	for _, f := range files {
		out = append(out, f.Name)
	}
	return out
}

func TestManifestParseAccepts(t *testing.T) {
	for name, text := range map[string]string{
		"comments":              "# a comment\nfile a.aof seq 1 type i\n# another\n",
		"keys in any order":     "seq 1 type i file a.aof\n",
		"keys in any case":      "FILE a.aof SEQ 1 TYPE i\n",
		"unknown keys ignored":  "file a.aof seq 1 type i future x\n",
		"surrounding blanks":    "  file a.aof seq 1 type i \t\r\n",
		"only comments":         "# nothing yet\n",
		"quoted name":           "file \"a b.aof\" seq 1 type i\n",
		"type first char wins":  "file a.aof seq 1 type incr\n",
		"history before base":   "file h.aof seq 1 type h\nfile b.rdb seq 2 type b\n",
		"several history files": "file h1 seq 1 type h\nfile h2 seq 1 type h\n",
	} {
		t.Run(name, func(t *testing.T) {
			_, err := ParseManifest(strings.NewReader(text))
			require.NoError(t, err)
		})
	}
	m, err := ParseManifest(strings.NewReader("file \"a b\\x01.aof\" seq 7 type i\n"))
	require.NoError(t, err)
	require.Equal(t, "a b\x01.aof", m.Incr[0].Name)
	require.Equal(t, "file \"a b\\x01.aof\" seq 7 type i\n", string(m.Bytes()))
}

func TestManifestParseRefuses(t *testing.T) {
	long := "file " + strings.Repeat("x", 1100) + " seq 1 type i\n"
	for _, tc := range []struct{ name, text, reason string }{
		{"empty file", "", errManifestEmpty},
		{"no final newline", "file a.aof seq 1 type i", errManifestLongLine},
		{"line too long", long, errManifestLongLine},
		{"blank line", "file a.aof seq 1 type i\n\n", errManifestFormat},
		{"too few fields", "file a.aof seq 1\n", errManifestFormat},
		{"odd field count", "file a.aof seq 1 type i x\n", errManifestFormat},
		{"unbalanced quote", "file \"a.aof seq 1 type i\n", errManifestFormat},
		{"missing name", "seq 1 type i x y\n", errManifestFormat},
		{"zero seq", "file a.aof seq 0 type i\n", errManifestFormat},
		{"bad seq", "file a.aof seq x type i\n", errManifestFormat},
		{"a path", "file dir/a.aof seq 1 type i\n", errManifestPath},
		{"a windows path", "file dir\\a.aof seq 1 type i\n", errManifestPath},
		{"two bases", "file a seq 1 type b\nfile b seq 2 type b\n", errManifestDupBase},
		{"decreasing incr", "file a seq 2 type i\nfile b seq 1 type i\n", errManifestNonMonoto},
		{"repeated incr", "file a seq 2 type i\nfile b seq 2 type i\n", errManifestNonMonoto},
		{"unknown type", "file a seq 1 type x\n", errManifestType},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseManifest(strings.NewReader(tc.text))
			var me *ManifestError
			require.ErrorAs(t, err, &me)
			require.Equal(t, tc.reason, me.Reason)
		})
	}
	_, err := ParseManifest(strings.NewReader("file a seq 1 type i\nfile a seq 1 type x\n"))
	var me *ManifestError
	require.ErrorAs(t, err, &me)
	require.Equal(t, 2, me.Line)
	require.Equal(t, "file a seq 1 type x", me.Text)
}

// TestManifestRewriteSequence follows the names Redis gives files through
// startup and two rewrites.
func TestManifestRewriteSequence(t *testing.T) {
	m := &Manifest{}
	require.Equal(t, "appendonly.aof.1.base.rdb", m.NewBase("appendonly.aof", true))
	require.Equal(t, "appendonly.aof.1.incr.aof", m.LastIncr("appendonly.aof"))
	require.Equal(t, "appendonly.aof.1.incr.aof", m.LastIncr("appendonly.aof"))
	// A rewrite opens the next incremental file first...
	require.Equal(t, "appendonly.aof.2.incr.aof", m.NewIncr("appendonly.aof"))
	// ... and when done installs the base and retires what it covers.
	require.Equal(t, "appendonly.aof.2.base.aof", m.NewBase("appendonly.aof", false))
	m.RetireIncr(true)
	require.Equal(t, "file appendonly.aof.2.base.aof seq 2 type b\n"+
		"file appendonly.aof.1.incr.aof seq 1 type h\n"+
		"file appendonly.aof.1.base.rdb seq 1 type h\n"+
		"file appendonly.aof.2.incr.aof seq 2 type i\n", string(m.Bytes()))
	c := m.Clone()
	c.History = nil
	require.Len(t, m.History, 2, "a clone is independent")
	// Several incremental files are retired oldest first, as Redis
	// lists them.
	r := &Manifest{}
	r.NewIncr("a")
	r.NewIncr("a")
	r.NewIncr("a")
	r.RetireIncr(true)
	require.Equal(t, []string{"a.1.incr.aof", "a.2.incr.aof"}, names(r.History))
	require.Equal(t, []string{"a.3.incr.aof"}, names(r.Incr))
	// Without a file being written (appendonly no), every incremental
	// file is retired.
	c.NewBase("appendonly.aof", true)
	c.RetireIncr(false)
	require.Empty(t, c.Incr)
	require.Equal(t, "appendonly.aof.3.base.rdb", c.Base.Name)
}

func TestManifestFileReplace(t *testing.T) {
	dir := t.TempDir()
	m, err := ReadManifestFile(dir, "appendonly.aof")
	require.NoError(t, err)
	require.Nil(t, m, "a missing manifest is no manifest")
	m = &Manifest{}
	m.NewBase("appendonly.aof", true)
	m.NewIncr("appendonly.aof")
	require.NoError(t, WriteManifestFile(dir, "appendonly.aof", m))
	got, err := ReadManifestFile(dir, "appendonly.aof")
	require.NoError(t, err)
	require.Equal(t, m.Bytes(), got.Bytes())
	ents, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Len(t, ents, 1, "the temporary file is renamed away")
	require.Equal(t, "appendonly.aof.manifest", ents[0].Name())

	require.NoError(t, os.WriteFile(filepath.Join(dir, "appendonly.aof.manifest"), []byte("file a seq 1 type z\n"), 0o644))
	_, err = ReadManifestFile(dir, "appendonly.aof")
	require.ErrorContains(t, err, errManifestType)
}
