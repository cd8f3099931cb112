package lua

import (
	"bytes"
	"strings"
)

// Flags are a script's shebang flags ("#!lua flags=no-writes,...").
type Flags struct {
	// Compat: the script has no shebang. It may write, and Redis checks
	// its commands one by one as it always did.
	Compat         bool
	NoWrites       bool
	AllowOOM       bool
	AllowStale     bool
	NoCluster      bool
	AllowCrossSlot bool
}

// parseShebang reads the flags of body's "#!lua" line (Redis's
// evalExtractShebangFlags) and returns the length of that line, which
// is left out of the compiled code (its newline stays, so line numbers
// keep counting from the shebang).
func parseShebang(body []byte) (Flags, int, error) {
	if !bytes.HasPrefix(body, []byte("#!")) {
		return Flags{Compat: true}, 0, nil
	}
	end := bytes.IndexByte(body, '\n')
	if end < 0 {
		return Flags{}, 0, scriptError("ERR Invalid script shebang")
	}
	parts := strings.Fields(string(body[:end]))
	if len(parts) == 0 {
		return Flags{}, 0, scriptError("ERR Invalid engine in script shebang")
	}
	if parts[0] != "#!lua" {
		return Flags{}, 0, scriptError("ERR Unexpected engine in script shebang: " + parts[0])
	}
	var f Flags
	for _, opt := range parts[1:] {
		list, ok := strings.CutPrefix(opt, "flags=")
		if !ok {
			return Flags{}, 0, scriptError("ERR Unknown lua shebang option: " + opt)
		}
		if err := f.set(list); err != nil {
			return Flags{}, 0, err
		}
	}
	return f, end, nil
}

func (f *Flags) set(list string) error {
	if list == "" {
		return nil
	}
	for _, name := range strings.Split(list, ",") {
		if !f.setOne(name) {
			return scriptError("ERR Unexpected flag in script shebang: " + name)
		}
	}
	return nil
}

// flagNames are the flags in the order Redis lists them.
var flagNames = []string{"no-writes", "allow-oom", "allow-stale", "no-cluster", "allow-cross-slot-keys"}

// field returns the field of f holding the flag named name, or nil.
func (f *Flags) field(name string) *bool {
	switch name {
	case "no-writes":
		return &f.NoWrites
	case "allow-oom":
		return &f.AllowOOM
	case "allow-stale":
		return &f.AllowStale
	case "no-cluster":
		return &f.NoCluster
	case "allow-cross-slot-keys":
		return &f.AllowCrossSlot
	}
	return nil
}

// setOne sets the flag named name; it reports false for an unknown name.
func (f *Flags) setOne(name string) bool {
	p := f.field(name)
	if p != nil {
		*p = true
	}
	return p != nil
}

// Names lists the flags that are set, in Redis's order (FUNCTION LIST).
func (f Flags) Names() []string {
	var names []string
	for _, name := range flagNames {
		if *f.field(name) {
			names = append(names, name)
		}
	}
	return names
}
