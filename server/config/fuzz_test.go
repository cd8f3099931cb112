package config

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

// The seed corpora live in testdata/fuzz/<FuzzName>/; `go test` replays
// them, `go test -fuzz FuzzName` explores from them.

// FuzzSplitArgs checks that the line splitter never panics and that every
// argument it produces survives quoting with Repr and splitting again.
func FuzzSplitArgs(f *testing.F) {
	f.Fuzz(func(t *testing.T, line string) {
		args, ok := SplitArgs(line)
		if !ok {
			return
		}
		quoted := make([]string, len(args))
		for i, a := range args {
			quoted[i] = Repr(a)
		}
		back, ok := SplitArgs(strings.Join(quoted, " "))
		if !ok || !slices.Equal(back, args) {
			t.Fatalf("SplitArgs(%q) = %q, but re-splitting its Repr gives %q (ok=%v)", line, args, back, ok)
		}
	})
}

// fuzzFS keeps the loader off the real disk: includes read these files,
// log files are never created.
var fuzzFS = memFS{
	"/a.conf":    "maxmemory 1mb\ninclude /b.conf\n",
	"/b.conf":    "save 1 1\nsave 2 2\n",
	"/loop.conf": "include /loop.conf\n",
}

// FuzzLoadString feeds arbitrary config text to the loader: it must never
// panic, fail only with the documented error types, and every accepted
// scalar value must load back unchanged from its own config line.
func FuzzLoadString(f *testing.F) {
	defaults := New()
	f.Fuzz(func(t *testing.T, content string) {
		r := New()
		err := r.LoadStringWith(content, LoadOptions{fs: fuzzFS})
		if err != nil {
			var fe *FatalError
			var oe *OpenError
			if !errors.As(err, &fe) && !errors.As(err, &oe) {
				t.Fatalf("unexpected error %T: %v", err, err)
			}
			return
		}
		for _, p := range params {
			v, def := r.String(p.name), defaults.String(p.name)
			if v == def || (p.kind == kindSpecial && p.name != "notify-keyspace-events") {
				continue
			}
			r2 := New()
			if err := r2.LoadStringWith(p.name+" "+Repr(v), LoadOptions{fs: fuzzFS}); err != nil {
				t.Fatalf("%s %q does not load back: %v", p.name, v, err)
			}
			if got := r2.String(p.name); got != v {
				t.Fatalf("%s: loaded %q back as %q", p.name, v, got)
			}
		}
	})
}

// FuzzParseArgs runs arbitrary command lines (arguments separated by
// newlines) through ParseArgs.
func FuzzParseArgs(f *testing.F) {
	f.Fuzz(func(t *testing.T, argv string, stdin string) {
		args := strings.Split(argv, "\n")
		_, err := ParseArgsWith(args, LoadOptions{Stdin: strings.NewReader(stdin), fs: fuzzFS})
		if err != nil {
			var fe *FatalError
			var oe *OpenError
			if !errors.As(err, &fe) && !errors.As(err, &oe) {
				t.Fatalf("unexpected error %T: %v", err, err)
			}
		}
	})
}
