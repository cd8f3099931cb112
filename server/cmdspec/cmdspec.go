// Package cmdspec is Kioku's command table: for every Redis 7.0 command and
// subcommand its arity, flags, ACL categories, key specs and docs, as
// declarative data generated from a real redis-server (commands.json, see
// internal/gen), plus the logic that reads it the way Redis does: finding a
// command's keys (COMMAND GETKEYS) and writing COMMAND INFO and COMMAND DOCS
// entries.
//
// The table is loaded from the embedded file on first use (about 1 ms),
// then read-only and safe for concurrent use. Specs and their slices are
// shared: callers must not modify them.
package cmdspec

// Spec describes one command or subcommand.
type Spec struct {
	// Name is lower case; a subcommand's is "container|sub", e.g. "config|get".
	Name string
	// Arity is Redis's: n means exactly n arguments (the name included),
	// -n at least n. A subcommand counts its container's name too.
	Arity int
	// Flags are the command flags as COMMAND INFO lists them ("write",
	// "readonly", "denyoom", "fast", "movablekeys", ...) followed by the
	// flags COMMAND INFO hides ("protected").
	Flags []string
	// FirstKey, LastKey and Step are COMMAND INFO's legacy key range.
	FirstKey, LastKey, Step int
	// ACLCategories are "@read", "@string", ... in Redis's order.
	ACLCategories []string
	// Tips are the command tips ("nondeterministic_output", ...).
	Tips []string
	// KeySpecs say where the keys are and how they are accessed.
	KeySpecs []KeySpec
	// Subcommands are sorted by name; nil for a plain command.
	Subcommands []*Spec
	// Parent is the container of a subcommand, nil otherwise.
	Parent *Spec
	// Doc is what COMMAND DOCS tells about the command.
	Doc Doc

	bits      Flag
	infoFlags []string // Flags without the hidden ones
	keyBits   keyFlag  // union of the key specs' flags
	keyInv    keyFlag  // flags missing from at least one key spec
	getKeys   getKeysFunc
	subs      map[string]*Spec
}

// KeySpec is one of a command's key specs (Redis 7.0 keySpec).
type KeySpec struct {
	// Notes explain unusual specs; usually empty.
	Notes string
	// Flags are "RO", "RW", "OW", "RM", "access", "update", "insert",
	// "delete", "not_key", "incomplete", "variable_flags".
	Flags       []string
	BeginSearch BeginSearch
	FindKeys    FindKeys

	bits keyFlag
}

// BeginSearch says where the search for the keys starts.
type BeginSearch struct {
	// Type is "index", "keyword" or "unknown".
	Type string
	// Index is the argument index (type "index").
	Index int
	// Keyword is searched for, case-insensitively (type "keyword"),
	// starting at argument StartFrom, or counting from the end when
	// StartFrom is negative.
	Keyword   string
	StartFrom int
}

// FindKeys says which arguments from the start are keys.
type FindKeys struct {
	// Type is "range", "keynum" or "unknown".
	Type string
	// Range: keys up to LastKey (relative to the start; negative counts
	// from the end), every KeyStep; when Limit > 0 and LastKey is -1 only
	// 1/Limit of the remaining arguments are keys (XREAD STREAMS).
	LastKey, Limit int
	// Keynum: the number of keys is the argument KeyNumIdx after the
	// start, and the keys begin FirstKey after the start.
	KeyNumIdx, FirstKey int
	// KeyStep is the distance between two keys (both types).
	KeyStep int
}

// Doc is a command's COMMAND DOCS entry.
type Doc struct {
	Summary    string
	Since      string
	Group      string
	Complexity string
	// DocFlags are "deprecated" and "syscmd".
	DocFlags        []string
	DeprecatedSince string
	ReplacedBy      string
	// History lists {version, change} pairs.
	History   [][2]string
	Arguments []Arg
}

// Arg is one argument in a command's docs.
type Arg struct {
	Name string
	// Type is "string", "integer", "double", "key", "pattern",
	// "unix-time", "pure-token", "oneof" or "block".
	Type string
	// KeySpecIndex is the key spec the argument belongs to (key arguments,
	// and SORT's BY and GET patterns), -1 when none.
	KeySpecIndex int
	// Token is the literal word that introduces the argument. HasToken
	// tells an empty token (MIGRATE's "" in place of the key) from none.
	Token           string
	HasToken        bool
	Summary         string
	Since           string
	DeprecatedSince string
	// Flags are "optional", "multiple" and "multiple_token".
	Flags []string
	// Arguments are the choices of a "oneof" or the parts of a "block".
	Arguments []Arg
}

// Flag is a command flag as a bit, for checks on the hot path.
type Flag uint32

// The command flags of Redis 7.0, in the order COMMAND INFO lists them.
const (
	FlagWrite Flag = 1 << iota
	FlagReadonly
	FlagDenyOOM
	FlagModule
	FlagAdmin
	FlagPubsub
	FlagNoscript
	FlagBlocking
	FlagLoading
	FlagStale
	FlagSkipMonitor
	FlagSkipSlowlog
	FlagAsking
	FlagFast
	FlagNoAuth
	FlagMayReplicate
	FlagNoMandatoryKeys
	FlagNoAsyncLoading
	FlagNoMulti
	FlagMovableKeys
	FlagAllowBusy
	// FlagProtected (DEBUG, MODULE LOAD/LOADEX/UNLOAD: refused unless
	// enable-debug-command / enable-module-command allow them) is not
	// listed by COMMAND INFO.
	FlagProtected
)

var flagNames = map[string]Flag{
	"write": FlagWrite, "readonly": FlagReadonly, "denyoom": FlagDenyOOM,
	"module": FlagModule, "admin": FlagAdmin, "pubsub": FlagPubsub,
	"noscript": FlagNoscript, "blocking": FlagBlocking, "loading": FlagLoading,
	"stale": FlagStale, "skip_monitor": FlagSkipMonitor,
	"skip_slowlog": FlagSkipSlowlog, "asking": FlagAsking, "fast": FlagFast,
	"no_auth": FlagNoAuth, "may_replicate": FlagMayReplicate,
	"no_mandatory_keys": FlagNoMandatoryKeys,
	"no_async_loading":  FlagNoAsyncLoading, "no_multi": FlagNoMulti,
	"movablekeys": FlagMovableKeys, "allow_busy": FlagAllowBusy,
	"protected": FlagProtected,
}

// keyFlag is a key-spec flag as a bit.
type keyFlag uint16

const (
	keyRO keyFlag = 1 << iota
	keyRW
	keyOW
	keyRM
	keyAccess
	keyUpdate
	keyInsert
	keyDelete
	keyNotKey
	keyIncomplete
	keyVariableFlags
)

var keyFlagNames = map[string]keyFlag{
	"RO": keyRO, "RW": keyRW, "OW": keyOW, "RM": keyRM, "access": keyAccess,
	"update": keyUpdate, "insert": keyInsert, "delete": keyDelete,
	"not_key": keyNotKey, "incomplete": keyIncomplete,
	"variable_flags": keyVariableFlags,
}

// Lookup returns the command or subcommand ("get", "config|get") with that
// name, or nil. The name is matched case-insensitively.
func Lookup(name string) *Spec {
	if s := table().byName[name]; s != nil {
		return s
	}
	return table().byName[lower(name)]
}

// LookupArgs resolves a request the way Redis's lookupCommand does: args[0]
// names a top-level command; when that command has subcommands and there
// is a second argument, args[1] must name one of them (nil otherwise).
// Both are matched case-insensitively, without allocating.
func LookupArgs(args [][]byte) *Spec {
	if len(args) == 0 {
		return nil
	}
	base := lookupIn(table().top, args[0])
	if base == nil || len(args) == 1 || base.subs == nil {
		return base
	}
	return lookupIn(base.subs, args[1])
}

// lookupIn finds name in m, whose keys are lower case.
func lookupIn(m map[string]*Spec, name []byte) *Spec {
	if s := m[string(name)]; s != nil {
		return s
	}
	var buf [32]byte
	if len(name) > len(buf) {
		return nil // no command name is that long
	}
	for i, c := range name {
		buf[i] = lowerASCII(c)
	}
	return m[string(buf[:len(name)])]
}

// Subcommand returns the subcommand named sub ("get" for "config|get",
// any case), or nil.
func (s *Spec) Subcommand(sub string) *Spec {
	if c := s.subs[sub]; c != nil {
		return c
	}
	return s.subs[lower(sub)]
}

// All returns the top-level commands sorted by name. The slice is shared:
// do not modify it.
func All() []*Spec { return table().all }

// HasFlag reports whether the command has the flag named f ("write",
// "movablekeys", "protected", ...).
func (s *Spec) HasFlag(f string) bool {
	b, ok := flagNames[f]
	return ok && s.bits&b != 0
}

// Is reports whether the command has all the flags in f.
func (s *Spec) Is(f Flag) bool { return s.bits&f == f }

// String returns the name, as Redis prints it in errors: "get",
// "config|get".
func (s *Spec) String() string { return s.Name }

func lower(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if c := b[j]; c >= 'A' && c <= 'Z' {
					b[j] = c + 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}
