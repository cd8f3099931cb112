package server

import (
	"flag"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

var updateReadme = flag.Bool("update", false, "rewrite the README's command list")

// TestREADMECommandList keeps the README's list of supported commands equal
// to the command table.
func TestREADMECommandList(t *testing.T) {
	const path = "../README.md"
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	const begin, end = "<!-- commands:begin -->\n", "<!-- commands:end -->"
	text := string(raw)
	i, j := strings.Index(text, begin), strings.Index(text, end)
	require.True(t, i >= 0 && j > i, "README lacks the command list markers")
	list := commandListMarkdown()
	if *updateReadme {
		updated := text[:i+len(begin)] + list + text[j:]
		require.NoError(t, os.WriteFile(path, []byte(updated), 0o644))
		return
	}
	require.Equal(t, list, text[i+len(begin):j],
		"README's command list is stale: go test ./server -run TestREADMECommandList -update")
}

// commandListMarkdown lists implemented commands grouped as Redis groups
// them in its docs.
func commandListMarkdown() string {
	groups := map[string][]string{}
	var order []string
	for _, cmd := range table.all() {
		names := []string{}
		if cmd.handler != nil {
			names = append(names, strings.ToUpper(cmd.Name))
		}
		for _, sub := range sortedSubs(cmd) {
			if sub.handler != nil {
				names = append(names, strings.ToUpper(strings.ReplaceAll(sub.Name, "|", " ")))
			}
		}
		if len(names) == 0 {
			continue
		}
		g := cmd.Spec.Doc.Group
		if _, ok := groups[g]; !ok {
			order = append(order, g)
		}
		groups[g] = append(groups[g], names...)
	}
	var b strings.Builder
	sort.Strings(order)
	for _, g := range order {
		b.WriteString("- **" + g + "**: " + strings.Join(groups[g], ", ") + "\n")
	}
	return b.String()
}
