package server

import (
	"fmt"
	"sort"
	"strings"
	"sync/atomic"

	"github.com/kioku-db/kioku/server/cmdspec"
)

// The command table. What a command is (arity, flags, keys, ACL categories,
// docs) is data in cmdspec, Redis's own command descriptions; the family
// files (cmd_*.go) bind a handler to each name they implement. COMMAND, the
// arity and flag checks, the key locking and INFO commandstats all read the
// resulting table.

// handlerFunc runs one command. The locks the command needs are held; the
// reply goes to c.w.
type handlerFunc func(c *Client, args [][]byte)

// lockKind says which part of the keyspace a command holds while it runs.
type lockKind uint8

const (
	// lockKeys: the shards of the keys named by the command's key specs
	// (nothing when it names no key).
	lockKeys lockKind = iota
	// lockAll: the whole keyspace, for commands that read or write keys
	// the key specs do not name (KEYS, SCAN, FLUSHALL, EXEC, EVAL, ...).
	lockAll
	// lockNone: commands that do not touch the keyspace.
	lockNone
)

// binding is one entry of a family's command list.
type binding struct {
	name    string // lower case; "client|id" for a subcommand
	handler handlerFunc
	lock    lockKind
}

type cmdFlag uint32

const (
	flagWrite cmdFlag = 1 << iota
	flagReadonly
	flagDenyOOM
	flagAdmin
	flagPubSub
	flagNoScript
	flagBlocking
	flagLoading
	flagStale
	flagFast
	flagNoAuth
	flagNoMulti
	flagMovableKeys
	flagAllowBusy
	flagMayReplicate
)

var flagNames = map[string]cmdFlag{
	"write": flagWrite, "readonly": flagReadonly, "denyoom": flagDenyOOM,
	"admin": flagAdmin, "pubsub": flagPubSub, "noscript": flagNoScript,
	"blocking": flagBlocking, "loading": flagLoading, "stale": flagStale,
	"fast": flagFast, "no_auth": flagNoAuth, "no_multi": flagNoMulti,
	"movablekeys": flagMovableKeys, "allow_busy": flagAllowBusy,
	"may_replicate": flagMayReplicate,
}

// Command is a resolved table entry.
type Command struct {
	Name    string // "get", "config|get"
	Spec    *cmdspec.Spec
	Parent  *Command
	subs    map[string]*Command
	handler handlerFunc
	lock    lockKind
	flags   cmdFlag

	// staticKeys is set when the key positions follow first/last/step.
	staticKeys        bool
	first, last, step int
	// idx indexes the per-server statistics (Server.cmdStats): several
	// servers in one process share the table but not the counters.
	idx int

	// event (of class eventClass) is the keyspace event the command fires
	// on each key it writes, "" for none (declareEvents, notify.go).
	event      string
	eventClass int64
}

// commandStats are INFO commandstats' counters for one command.
type commandStats struct {
	calls, usec, failed, rejected atomic.Int64
}

func (cmd *Command) has(f cmdFlag) bool { return cmd.flags&f != 0 }

// commandTable maps lower-case names to commands.
type commandTable struct {
	byName map[string]*Command
	count  int // commands and subcommands, for stats indexes
}

var table = commandTable{byName: map[string]*Command{}}

// register adds a family's commands; called from the families' init.
func register(family []binding) {
	for _, b := range family {
		table.add(b)
	}
}

func (t *commandTable) add(b binding) {
	spec := cmdspec.Lookup(b.name)
	if spec == nil {
		panic(fmt.Sprintf("command %q has no spec", b.name))
	}
	cmd := t.newCommand(spec, b.handler, b.lock)
	parent, sub, isSub := strings.Cut(b.name, "|")
	if !isSub {
		if old := t.byName[b.name]; old != nil {
			cmd.subs = old.subs // a container bound after its subcommands
		}
		t.byName[b.name] = cmd
		return
	}
	pc := t.byName[parent]
	if pc == nil {
		pc = t.newCommand(cmdspec.Lookup(parent), nil, lockNone)
		t.byName[parent] = pc
	}
	if pc.subs == nil {
		pc.subs = map[string]*Command{}
	}
	cmd.Parent = pc
	pc.subs[sub] = cmd
}

func (t *commandTable) newCommand(spec *cmdspec.Spec, h handlerFunc, lock lockKind) *Command {
	cmd := &Command{Name: spec.Name, Spec: spec, handler: h, lock: lock, idx: t.count}
	t.count++
	for _, f := range spec.Flags {
		cmd.flags |= flagNames[f]
	}
	cmd.first, cmd.last, cmd.step = spec.FirstKey, spec.LastKey, spec.Step
	cmd.staticKeys = !cmd.has(flagMovableKeys)
	return cmd
}

// lookup finds a command by name in any case without allocating.
func (t *commandTable) lookup(name []byte) *Command {
	if cmd, ok := t.byName[string(name)]; ok {
		return cmd
	}
	var buf [32]byte
	if len(name) > len(buf) {
		return nil
	}
	for i, ch := range name {
		if ch >= 'A' && ch <= 'Z' {
			ch += 'a' - 'A'
		}
		buf[i] = ch
	}
	return t.byName[string(buf[:len(name)])]
}

// find returns the command or subcommand ("client|kill") bound to a
// lower-case name, or nil.
func (t *commandTable) find(name string) *Command {
	parent, sub, isSub := strings.Cut(name, "|")
	cmd := t.byName[parent]
	if cmd == nil || !isSub {
		return cmd
	}
	return cmd.subs[sub]
}

// subcommand finds a container's subcommand in any case.
func (cmd *Command) subcommand(name []byte) *Command {
	if sub, ok := cmd.subs[string(name)]; ok {
		return sub
	}
	return cmd.subs[strings.ToLower(string(name))]
}

// all returns the top-level commands sorted by name.
func (t *commandTable) all() []*Command {
	out := make([]*Command, 0, len(t.byName))
	for _, c := range t.byName {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// implemented reports whether a command or subcommand has a handler.
func (t *commandTable) implemented(name string) bool {
	parent, sub, isSub := strings.Cut(name, "|")
	cmd := t.byName[parent]
	if cmd == nil {
		return false
	}
	if isSub {
		s := cmd.subs[sub]
		return s != nil && s.handler != nil
	}
	return cmd.handler != nil || len(cmd.subs) > 0
}

// keyArgs returns the keys of a call, reusing buf. ok is false when the key
// specs cannot find them (a bad numkeys): the caller then locks everything
// and lets the handler report the error.
func (cmd *Command) keyArgs(args [][]byte, buf [][]byte) (keys [][]byte, ok bool) {
	if cmd.staticKeys {
		if cmd.first <= 0 {
			return buf[:0], true
		}
		last := cmd.last
		if last < 0 {
			last += len(args)
		}
		if cmd.first == last && cmd.first < len(args) {
			return args[cmd.first : cmd.first+1], true
		}
		keys = buf[:0]
		for i := cmd.first; i <= last && i < len(args); i += cmd.step {
			keys = append(keys, args[i])
		}
		return keys, true
	}
	pos, err := cmd.Spec.KeyPositions(args)
	if err != nil {
		return nil, false
	}
	keys = buf[:0]
	for _, p := range pos {
		keys = append(keys, args[p])
	}
	return keys, true
}
