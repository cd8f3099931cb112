package cmdspec

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// The tests compare the table with Redis 7.0, which lacks newer.json's
// commands; the table loads lazily, after this init.
func init() { withNewer = false }

func TestNewerSpecsLoad(t *testing.T) {
	tb, err := load(commandsJSON)
	require.NoError(t, err)
	require.NoError(t, tb.addNewer(newerJSON))
	s := tb.byName["client|setinfo"]
	require.NotNil(t, s)
	require.Equal(t, 4, s.Arity)
	require.Same(t, tb.top["client"], s.Parent)
	subs := s.Parent.Subcommands
	for i := 1; i < len(subs); i++ {
		require.Less(t, subs[i-1].Name, subs[i].Name)
	}
}
