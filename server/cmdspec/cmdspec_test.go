package cmdspec

import (
	"sort"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func bargs(args ...string) [][]byte {
	out := make([][]byte, len(args))
	for i, a := range args {
		out[i] = []byte(a)
	}
	return out
}

func TestLookup(t *testing.T) {
	get := Lookup("get")
	require.NotNil(t, get)
	assert.Equal(t, 2, get.Arity)
	assert.Equal(t, []string{"readonly", "fast"}, get.Flags)
	assert.Equal(t, []string{"@read", "@string", "@fast"}, get.ACLCategories)
	assert.Equal(t, 1, get.FirstKey)
	assert.Same(t, get, Lookup("GET"))
	assert.Nil(t, Lookup("nosuch"))

	cg := Lookup("config|get")
	require.NotNil(t, cg)
	assert.Same(t, Lookup("config"), cg.Parent)
	assert.Same(t, cg, Lookup("CONFIG|GET"))
	assert.Same(t, cg, Lookup("config").Subcommand("GET"))
	assert.Nil(t, Lookup("get").Parent)
}

func TestLookupArgs(t *testing.T) {
	assert.Same(t, Lookup("get"), LookupArgs(bargs("GeT", "k")))
	assert.Same(t, Lookup("config|get"), LookupArgs(bargs("CONFIG", "Get", "x")))
	assert.Same(t, Lookup("config"), LookupArgs(bargs("config")))
	assert.Nil(t, LookupArgs(bargs("config", "nosuch")))
	assert.Nil(t, LookupArgs(bargs("config|get", "x")), "only top-level names")
	assert.Nil(t, LookupArgs(nil))
	assert.Nil(t, LookupArgs(bargs("averyveryveryveryverylongcommandname")))
}

func TestAll(t *testing.T) {
	all := All()
	require.Len(t, all, 240) // COMMAND COUNT of Redis 7.0.15
	assert.True(t, sort.SliceIsSorted(all, func(i, j int) bool { return all[i].Name < all[j].Name }))
	subs := 0
	for _, s := range all {
		assert.Nil(t, s.Parent)
		assert.True(t, sort.SliceIsSorted(s.Subcommands, func(i, j int) bool {
			return s.Subcommands[i].Name < s.Subcommands[j].Name
		}))
		for _, sub := range s.Subcommands {
			assert.Same(t, s, sub.Parent)
			subs++
		}
	}
	assert.Equal(t, 126, subs)
}

func TestFlags(t *testing.T) {
	set := Lookup("set")
	assert.True(t, set.HasFlag("write"))
	assert.True(t, set.HasFlag("denyoom"))
	assert.False(t, set.HasFlag("readonly"))
	assert.False(t, set.HasFlag("nosuchflag"))
	assert.True(t, set.Is(FlagWrite|FlagDenyOOM))
	assert.False(t, set.Is(FlagWrite|FlagFast))
	assert.True(t, Lookup("sort").HasFlag("movablekeys"))
	assert.True(t, Lookup("multi").Is(FlagNoscript))
	assert.True(t, Lookup("auth").Is(FlagNoAuth))

	var protected []string
	for _, name := range allNames() {
		if Lookup(name).HasFlag("protected") {
			protected = append(protected, name)
		}
	}
	assert.Equal(t, []string{"debug", "module|load", "module|loadex", "module|unload"}, protected)
}

func TestKeySpecFields(t *testing.T) {
	ks := Lookup("migrate").KeySpecs[1]
	assert.Equal(t, BeginSearch{Type: "keyword", Keyword: "KEYS", StartFrom: -2}, ks.BeginSearch)
	assert.Equal(t, FindKeys{Type: "range", LastKey: -1, KeyStep: 1}, ks.FindKeys)
	assert.Equal(t, []string{"RW", "access", "delete", "incomplete"}, ks.Flags)

	ks = Lookup("eval").KeySpecs[0]
	assert.Equal(t, FindKeys{Type: "keynum", KeyNumIdx: 0, FirstKey: 1, KeyStep: 1}, ks.FindKeys)
	assert.NotEmpty(t, Lookup("sort").KeySpecs[1].Notes)

	doc := Lookup("georadius").Doc
	assert.Equal(t, "6.2.0", doc.DeprecatedSince)
	assert.Equal(t, []string{"deprecated"}, doc.DocFlags)
	assert.Equal(t, "key", doc.Arguments[0].Name)
	assert.Equal(t, 0, doc.Arguments[0].KeySpecIndex)
	assert.Equal(t, -1, doc.Arguments[1].KeySpecIndex)
}
