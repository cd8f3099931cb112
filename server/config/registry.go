// Package config holds every Redis 7.0 configuration parameter with Redis's
// names, aliases, types, bounds, defaults and error strings: CONFIG
// GET/SET/REWRITE and the redis-server command line and config file parser.
package config

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"

	"github.com/kioku-db/kioku/types"
)

// entry is a name CONFIG GET/SET answers to: a parameter under its own name
// or under its alias. Redis registers aliases as distinct entries, which is
// visible to clients (CONFIG GET * lists both, duplicates are per name).
type entry struct {
	p    *param
	name string
}

var (
	entries []*entry          // canonical names then aliases, in table order
	byName  map[string]*entry // lower-case name -> entry
)

func init() {
	byName = make(map[string]*entry, 2*len(params))
	for i, p := range params {
		p.idx = i
		add := func(name string) {
			if byName[name] != nil {
				panic("config: duplicate parameter " + name)
			}
			e := &entry{p: p, name: name}
			entries = append(entries, e)
			byName[name] = e
		}
		add(p.name)
		if p.alias != "" {
			add(p.alias)
		}
	}
}

// lookup finds a name case-insensitively; server code passes lower-case
// names, so the common case skips the lower-casing allocation.
func lookup(name string) *entry {
	if e := byName[name]; e != nil {
		return e
	}
	return byName[strings.ToLower(name)]
}

// mustLookup resolves a name used by server code; an unknown name is a
// programming error.
func mustLookup(name string) *param {
	e := lookup(name)
	if e == nil {
		panic("config: unknown parameter " + name)
	}
	return e.p
}

// Registry is the live configuration. All methods are safe for concurrent
// use: CONFIG GET runs under a read lock, and Set/Load calls are serialised
// so that OnApply hooks observe one change at a time.
type Registry struct {
	mu   sync.RWMutex
	vals []value // indexed by param.idx

	setMu      sync.Mutex // serialises Set, Load* and the hooks they run
	hooks      map[int][]func(string) error
	configFile string
	directives []Directive
}

// New returns a registry holding every parameter at its Redis default.
// dir defaults to the process's working directory, like Redis.
func New() *Registry {
	r := &Registry{vals: make([]value, len(params)), hooks: map[int][]func(string) error{}}
	st := &setState{fs: osFS{}}
	for _, p := range params {
		if p.name == "dir" {
			wd, _ := os.Getwd()
			r.vals[p.idx] = value{s: wd}
			continue
		}
		if p.name == "replicaof" { // the default is "no master", not a value
			continue
		}
		args := []string{p.def}
		if p.has(multiArg) {
			args = splitSpaces(p.def)
		}
		v, msg := p.set(args, value{}, st)
		if msg != "" {
			panic(fmt.Sprintf("config: default of %s rejected: %s", p.name, msg))
		}
		r.vals[p.idx] = v
	}
	return r
}

// Get returns the CONFIG GET rendering of a parameter, by canonical name or
// alias, case-insensitively. Hidden parameters are found too.
func (r *Registry) Get(name string) (string, bool) {
	e := lookup(name)
	if e == nil {
		return "", false
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.vals[e.p.idx].s, true
}

func (r *Registry) val(p *param) value {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.vals[p.idx]
}

// Int returns an integer, boolean (0/1) or enum parameter as a number, and
// the class bits of notify-keyspace-events. Percent values are negative,
// as in Redis ("10%" is -10); unsigned 64-bit values above MaxInt64 wrap
// (use Uint). It panics on unknown names and string parameters.
func (r *Registry) Int(name string) int64 {
	p := mustLookup(name)
	if p.kind == kindString || (p.kind == kindSpecial && p.name != "notify-keyspace-events") {
		panic("config: " + name + " is not numeric")
	}
	return r.val(p).n
}

// Uint returns an integer parameter as unsigned (maxmemory may be 2^64-1).
func (r *Registry) Uint(name string) uint64 { return uint64(r.Int(name)) }

// Bool returns a yes/no parameter. It panics on unknown or non-boolean
// names.
func (r *Registry) Bool(name string) bool {
	p := mustLookup(name)
	if p.kind != kindBool {
		panic("config: " + name + " is not a boolean")
	}
	return r.val(p).n != 0
}

// String returns any parameter as CONFIG GET shows it. It panics on
// unknown names.
func (r *Registry) String(name string) string { return r.val(mustLookup(name)).s }

// List returns a space-separated parameter (bind, save, ...) as fields.
func (r *Registry) List(name string) []string { return strings.Fields(r.String(name)) }

// OutputBufferLimit returns the client-output-buffer-limit of a client
// class ("normal", "replica"/"slave" or "pubsub"); ok is false for others.
func (r *Registry) OutputBufferLimit(class string) (hard, soft uint64, seconds int64, ok bool) {
	c := obufClass(class)
	if c < 0 {
		return 0, 0, 0, false
	}
	l := parseObuf(r.String("client-output-buffer-limit"))[c]
	return l.hard, l.soft, l.seconds, true
}

// Sensitive reports whether a parameter's value must be redacted from
// SLOWLOG and MONITOR (masterauth, masteruser, requirepass).
func (r *Registry) Sensitive(name string) bool {
	e := lookup(name)
	return e != nil && e.p.has(sensitive)
}

// ConfigFile is the absolute path of the config file the registry was
// loaded from, or "" (CONFIG REWRITE needs it).
func (r *Registry) ConfigFile() string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.configFile
}

// Directives returns the non-parameter lines read from config files and
// options (rename-command, user, loadmodule, module configs), in order.
func (r *Registry) Directives() []Directive {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return slices.Clone(r.directives)
}

// GetMatching implements CONFIG GET p1 [p2 ...]. A pattern without glob
// characters is an exact, case-insensitive lookup (hidden parameters
// included) reported under the spelling the client used; a glob pattern is
// matched case-insensitively against every name and alias. Each name is
// reported once. Redis returns its hash-table order; Kioku returns
// patterns in order and, within a glob, table order.
func (r *Registry) GetMatching(patterns []string) [][2]string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	seen := map[string]bool{}
	var out [][2]string
	for _, pat := range patterns {
		if !strings.ContainsAny(pat, "[*?") {
			key := strings.ToLower(pat)
			if e := byName[key]; e != nil && !seen[key] {
				seen[key] = true
				out = append(out, [2]string{pat, r.vals[e.p.idx].s})
			}
			continue
		}
		for _, e := range entries {
			if e.p.has(hidden) || seen[e.name] || !types.GlobMatch(pat, e.name, true) {
				continue
			}
			seen[e.name] = true
			out = append(out, [2]string{e.name, r.vals[e.p.idx].s})
		}
	}
	return out
}

// SetContext is what CONFIG SET knows about its caller beyond the pairs.
type SetContext struct {
	// LocalClient allows protected configs when enable-protected-configs
	// is "local" (the client connected over loopback or a unix socket).
	LocalClient bool
	// Loading makes appendonly, repl-diskless-load and dir answer LOADING.
	Loading bool
}

// ErrLoading is returned by Set while the dataset is being loaded.
var ErrLoading = errors.New("LOADING Redis is loading the dataset in memory")

// Set implements CONFIG SET k v [k v ...] for a remote client outside
// loading. See SetWith.
func (r *Registry) Set(pairs [][2]string) error { return r.SetWith(pairs, SetContext{}) }

// SetWith implements CONFIG SET: all pairs are validated and applied, or
// none is. Error texts are Redis's replies without the leading '-', e.g.
// "ERR CONFIG SET failed (possibly related to argument 'maxmemory') -
// argument must be a memory value". Hooks registered with OnApply run
// after every value was accepted; a hook error rolls everything back (the
// hooks of the other changed parameters are re-run with the old values)
// and is reported the way Redis reports apply failures. Hooks must not
// call Set, Load*, OnApply, ApplyAll or Rewrite.
func (r *Registry) SetWith(pairs [][2]string, ctx SetContext) error {
	r.setMu.Lock()
	defer r.setMu.Unlock()

	ents, err := r.resolveSet(pairs, ctx)
	if err != nil {
		return err
	}
	r.mu.RLock()
	old := slices.Clone(r.vals)
	r.mu.RUnlock()

	staged := slices.Clone(old)
	st := &setState{fs: osFS{}}
	for i, kv := range pairs {
		p := ents[i].p
		args := []string{kv[1]}
		if p.has(multiArg) {
			args = splitSpaces(kv[1])
		}
		v, msg := p.set(args, staged[p.idx], st)
		if msg != "" {
			return setFailed(ents[i].name, msg)
		}
		staged[p.idx] = v
	}

	// Values that changed, in argument order, with the name used to set
	// them (Redis names that one in apply errors).
	var changed []*entry
	for _, e := range ents {
		p := e.p
		if p.runtimeClamp != nil {
			staged[p.idx] = p.numValue(p.runtimeClamp(staged[p.idx].n))
		}
		if (staged[p.idx] != old[p.idx] || p.has(alwaysApply)) && !slices.ContainsFunc(changed, func(c *entry) bool { return c.p == p }) {
			changed = append(changed, e)
		}
	}

	r.mu.Lock()
	r.vals = staged
	r.mu.Unlock()
	for _, e := range changed {
		for _, fn := range r.hooks[e.p.idx] {
			if err := fn(staged[e.p.idx].s); err != nil {
				r.rollback(old, changed)
				if err.Error() == "" {
					return fmt.Errorf("ERR CONFIG SET failed (possibly related to argument '%s')", e.name)
				}
				return setFailed(e.name, err.Error())
			}
		}
	}
	return nil
}

// rollback restores old values and re-applies them, like Redis's
// restoreBackupConfig (apply errors during the restore are ignored).
func (r *Registry) rollback(old []value, changed []*entry) {
	r.mu.Lock()
	r.vals = old
	r.mu.Unlock()
	for _, e := range changed {
		for _, fn := range r.hooks[e.p.idx] {
			_ = fn(old[e.p.idx].s)
		}
	}
}

// resolveSet mirrors the first loop of Redis's configSetCommand: the first
// problem found decides the error, unknown names are reported with the
// dedicated message, and an alias is a different entry from its canonical
// name (so "lua-time-limit 1 busy-reply-threshold 2" is not a duplicate).
func (r *Registry) resolveSet(pairs [][2]string, ctx SetContext) ([]*entry, error) {
	ents := make([]*entry, len(pairs))
	var unknown, errName, errStr string
	invalid, haveUnknown, loading := false, false, false
	for i, kv := range pairs {
		e := lookup(kv[0])
		if e == nil {
			if !invalid {
				unknown, haveUnknown, invalid = kv[0], true, true
			}
			continue
		}
		if invalid {
			continue
		}
		p := e.p
		if p.has(immutable) || (p.has(protected) && !r.allowProtected(ctx)) {
			errStr = "can't set protected config"
			if p.has(immutable) {
				errStr = "can't set immutable config"
			}
			errName, invalid = kv[0], true
			continue
		}
		if ctx.Loading && p.has(denyLoading) {
			loading, invalid = true, true
			continue
		}
		if slices.Contains(ents[:i], e) {
			errStr, errName, invalid = "duplicate parameter", kv[0], true
			continue
		}
		ents[i] = e
	}
	switch {
	case !invalid:
		return ents, nil
	case loading:
		return nil, ErrLoading
	case haveUnknown:
		return nil, fmt.Errorf("ERR Unknown option or number of arguments for CONFIG SET - '%s'", unknown)
	}
	return nil, setFailed(errName, errStr)
}

func (r *Registry) allowProtected(ctx SetContext) bool {
	switch r.String("enable-protected-configs") {
	case "yes":
		return true
	case "local":
		return ctx.LocalClient
	}
	return false
}

func setFailed(name, msg string) error {
	return fmt.Errorf("ERR CONFIG SET failed (possibly related to argument '%s') - %s", name, msg)
}

// splitSpaces splits a multi-argument CONFIG SET value on single spaces
// like sdssplitlen: empty input gives no argument, doubled spaces give
// empty arguments (which the parameter then usually rejects).
func splitSpaces(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, " ")
}

// OnApply registers fn to run when CONFIG SET changes the parameter (by
// canonical name or alias) and from ApplyAll. fn receives the new value as
// CONFIG GET shows it; an error rolls the whole CONFIG SET back. It panics
// on unknown names.
func (r *Registry) OnApply(name string, fn func(value string) error) {
	p := mustLookup(name)
	r.setMu.Lock()
	defer r.setMu.Unlock()
	r.hooks[p.idx] = append(r.hooks[p.idx], fn)
}

// ApplyAll runs every registered hook once with the current value, in
// table order, so the server can apply startup values through the same
// code as CONFIG SET. It stops at the first error.
func (r *Registry) ApplyAll() error {
	r.setMu.Lock()
	defer r.setMu.Unlock()
	for _, p := range params {
		for _, fn := range r.hooks[p.idx] {
			if err := fn(r.val(p).s); err != nil {
				return fmt.Errorf("config: applying %s: %w", p.name, err)
			}
		}
	}
	return nil
}
