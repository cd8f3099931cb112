package cmdspec

import (
	_ "embed"
	"fmt"
	"sort"
	"strings"
	"sync"
)

//go:embed commands.json
var commandsJSON string

// newerJSON holds commands from Redis releases after 7.0 that clients send
// unconditionally (go-redis and redis-py send CLIENT SETINFO on connect).
// The generator does not touch it.
//
//go:embed newer.json
var newerJSON string

// withNewer is cleared by this package's tests, which compare the table
// with a real Redis 7.0.
var withNewer = true

// tables is the loaded command table.
type tables struct {
	all    []*Spec          // top-level commands, sorted
	top    map[string]*Spec // top-level commands by name
	byName map[string]*Spec // commands and "container|sub" subcommands
}

// table loads commands.json on first use; a broken file is a build
// defect, so it panics.
var table = sync.OnceValue(func() *tables {
	t, err := load(commandsJSON)
	if err == nil && withNewer {
		err = t.addNewer(newerJSON)
	}
	if err != nil {
		panic("cmdspec: " + err.Error())
	}
	return t
})

func load(data string) (*tables, error) {
	specs, err := decodeTable(data)
	if err != nil {
		return nil, err
	}
	t := &tables{top: map[string]*Spec{}, byName: make(map[string]*Spec, len(specs))}
	for _, s := range specs {
		if err := s.resolve(); err != nil {
			return nil, fmt.Errorf("%s: %w", s.Name, err)
		}
		if err := t.add(s); err != nil {
			return nil, err
		}
	}
	return t, nil
}

// addNewer adds specs from newer.json, keeping subcommands sorted.
func (t *tables) addNewer(data string) error {
	specs, err := decodeTable(data)
	if err != nil {
		return err
	}
	for _, s := range specs {
		if err := s.resolve(); err != nil {
			return fmt.Errorf("%s: %w", s.Name, err)
		}
		if err := t.add(s); err != nil {
			return err
		}
		if s.Parent != nil {
			subs := s.Parent.Subcommands
			sort.Slice(subs, func(i, j int) bool { return subs[i].Name < subs[j].Name })
		}
	}
	return nil
}

// add links a spec into the table; a subcommand's container comes first
// in the file.
func (t *tables) add(s *Spec) error {
	if t.byName[s.Name] != nil {
		return fmt.Errorf("%s listed twice", s.Name)
	}
	t.byName[s.Name] = s
	container, sub, ok := strings.Cut(s.Name, "|")
	if !ok {
		t.top[s.Name] = s
		t.all = append(t.all, s)
		return nil
	}
	p := t.top[container]
	if p == nil {
		return fmt.Errorf("%s: no container", s.Name)
	}
	s.Parent = p
	p.Subcommands = append(p.Subcommands, s)
	if p.subs == nil {
		p.subs = map[string]*Spec{}
	}
	p.subs[sub] = s
	return nil
}

// resolve turns the names in a decoded spec into bits and checks them.
func (s *Spec) resolve() error {
	s.getKeys = getKeysProcs[s.Name]
	for _, f := range s.Flags {
		b, ok := flagNames[f]
		if !ok {
			return fmt.Errorf("unknown flag %q", f)
		}
		s.bits |= b
	}
	for i := range s.KeySpecs {
		ks := &s.KeySpecs[i]
		if err := ks.resolve(); err != nil {
			return err
		}
		s.keyBits |= ks.bits
		s.keyInv |= ^ks.bits
	}
	return nil
}

func (ks *KeySpec) resolve() error {
	for _, f := range ks.Flags {
		b, ok := keyFlagNames[f]
		if !ok {
			return fmt.Errorf("unknown key spec flag %q", f)
		}
		ks.bits |= b
	}
	switch ks.BeginSearch.Type {
	case "index", "keyword", "unknown":
	default:
		return fmt.Errorf("unknown begin_search type %q", ks.BeginSearch.Type)
	}
	switch ks.FindKeys.Type {
	case "range", "keynum", "unknown":
	default:
		return fmt.Errorf("unknown find_keys type %q", ks.FindKeys.Type)
	}
	return nil
}
