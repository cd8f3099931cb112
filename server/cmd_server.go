package server

import (
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/kioku-db/kioku/persistence"
	"github.com/kioku-db/kioku/server/cmdspec"
	"github.com/kioku-db/kioku/types"
)

// Server commands: COMMAND, CONFIG, DBSIZE, DEBUG.
// INFO lives in info.go.
func init() {
	register([]binding{
		{"command", cmdCommand, lockNone},
		{"command|count", cmdCommandCount, lockNone},
		{"command|info", cmdCommandInfo, lockNone},
		{"command|list", cmdCommandList, lockNone},
		{"command|getkeys", cmdCommandGetKeys, lockNone},
		{"command|docs", cmdCommandDocs, lockNone},
		{"command|help", cmdCommandHelp, lockNone},
		{"config|get", cmdConfigGet, lockNone},
		{"config|set", cmdConfigSet, lockNone},
		{"config|resetstat", cmdConfigResetStat, lockNone},
		{"config|help", cmdConfigHelp, lockNone},
		{"dbsize", cmdDBSize, lockAll},
		{"shutdown", cmdShutdown, lockNone},
		{"debug", cmdDebug, lockNone},
	})
}

func cmdCommand(c *Client, args [][]byte) {
	all := table.all()
	c.w.Array(len(all))
	for _, cmd := range all {
		cmd.Spec.WriteInfo(c.w, table.implemented)
	}
}

func cmdCommandCount(c *Client, args [][]byte) { c.w.Int(int64(len(table.all()))) }

func cmdCommandInfo(c *Client, args [][]byte) {
	if len(args) == 2 {
		cmdCommand(c, args)
		return
	}
	c.w.Array(len(args) - 2)
	for _, name := range args[2:] {
		cmd := lookupFullName(name)
		if cmd == nil {
			c.w.Null()
			continue
		}
		cmd.Spec.WriteInfo(c.w, table.implemented)
	}
}

// lookupFullName finds "get" or "config|get" (any case).
func lookupFullName(name []byte) *Command {
	parent, sub, isSub := strings.Cut(strings.ToLower(string(name)), "|")
	cmd := table.lookup([]byte(parent))
	if cmd == nil || !isSub {
		return cmd
	}
	return cmd.subs[sub]
}

func cmdCommandList(c *Client, args [][]byte) {
	var match func(cmd *Command) bool
	if len(args) > 2 {
		if len(args) != 5 || !eqFold(args[2], "filterby") {
			c.w.Error(errSyntax)
			return
		}
		val := string(args[4])
		switch {
		case eqFold(args[3], "module"):
			match = func(*Command) bool { return false }
		case eqFold(args[3], "aclcat"):
			match = func(cmd *Command) bool { return hasCategory(cmd, val) }
		case eqFold(args[3], "pattern"):
			match = func(cmd *Command) bool { return types.GlobMatch(val, cmd.Name, true) }
		default:
			c.w.Error(errSyntax)
			return
		}
	}
	var names []string
	for _, cmd := range table.all() {
		for _, x := range append([]*Command{cmd}, sortedSubs(cmd)...) {
			if x.handler == nil && len(x.subs) == 0 {
				continue
			}
			if match == nil || match(x) {
				names = append(names, x.Name)
			}
		}
	}
	c.w.StringArray(names)
}

func hasCategory(cmd *Command, cat string) bool {
	for _, k := range cmd.Spec.ACLCategories {
		if strings.EqualFold(strings.TrimPrefix(k, "@"), cat) {
			return true
		}
	}
	return false
}

func sortedSubs(cmd *Command) []*Command {
	out := make([]*Command, 0, len(cmd.subs))
	for _, s := range cmd.subs {
		out = append(out, s)
	}
	sortCommands(out)
	return out
}

func cmdCommandGetKeys(c *Client, args [][]byte) {
	call := args[2:]
	cmd, _ := resolveCommand(call)
	if cmd == nil {
		if table.lookup(call[0]) == nil {
			c.w.Error("ERR Invalid command specified")
		} else {
			c.w.Error("ERR Invalid number of arguments specified for command")
		}
		return
	}
	pos, err := cmd.Spec.KeyPositions(call)
	if (err != nil || len(pos) == 0) && hasSpecFlag(cmd, "no_mandatory_keys") {
		c.w.Array(0) // EVAL, FCALL: keys are optional, none is no error
		return
	}
	if err != nil {
		c.w.Error(err.Error())
		return
	}
	if len(pos) == 0 {
		c.w.Error(cmdspec.ErrNoKeyArgs.Error())
		return
	}
	c.w.Array(len(pos))
	for _, p := range pos {
		c.w.Bulk(call[p])
	}
}

func hasSpecFlag(cmd *Command, flag string) bool {
	for _, f := range cmd.Spec.Flags {
		if f == flag {
			return true
		}
	}
	return false
}

func cmdCommandDocs(c *Client, args [][]byte) {
	var cmds []*Command
	if len(args) == 2 {
		cmds = table.all()
	} else {
		for _, name := range args[2:] {
			if cmd := lookupFullName(name); cmd != nil {
				cmds = append(cmds, cmd)
			}
		}
	}
	c.w.Map(len(cmds))
	for _, cmd := range cmds {
		c.w.BulkString(cmd.Name)
		cmd.Spec.WriteDocs(c.w)
	}
}

func cmdCommandHelp(c *Client, args [][]byte) {
	writeHelp(c, "COMMAND",
		"(no subcommand)",
		"    Return details about all Redis commands.",
		"COUNT",
		"    Return the total number of commands in this Redis server.",
		"LIST",
		"    Return a list of all commands in this Redis server.",
		"INFO [<command-name> ...]",
		"    Return details about multiple Redis commands.",
		"    If no command names are given, documentation details for all",
		"    commands are returned.",
		"DOCS [<command-name> ...]",
		"    Return documentation details about multiple Redis commands.",
		"    If no command names are given, documentation details for all",
		"    commands are returned.",
		"GETKEYS <full-command>",
		"    Return the keys from a full Redis command.",
		"GETKEYSANDFLAGS <full-command>",
		"    Return the keys and the access flags from a full Redis command.",
	)
}

// writeHelp answers a HELP subcommand the way Redis's addReplyHelp does.
func writeHelp(c *Client, container string, lines ...string) {
	c.w.Array(len(lines) + 3)
	c.w.Status(container + " <subcommand> [<arg> [value] [opt] ...]. Subcommands are:")
	for _, l := range lines {
		c.w.Status(l)
	}
	c.w.Status("HELP")
	c.w.Status("    Prints this help.")
}

func cmdConfigGet(c *Client, args [][]byte) {
	patterns := make([]string, 0, len(args)-2)
	for _, a := range args[2:] {
		patterns = append(patterns, string(a))
	}
	pairs := c.srv.cfg.GetMatching(patterns)
	c.w.Map(len(pairs))
	for _, p := range pairs {
		c.w.BulkString(p[0])
		c.w.BulkString(p[1])
	}
}

func cmdConfigSet(c *Client, args [][]byte) {
	if len(args)%2 != 0 {
		c.w.Error(errSyntax) // arity covers "CONFIG SET name"
		return
	}
	pairs := make([][2]string, 0, (len(args)-2)/2)
	for i := 2; i+1 < len(args); i += 2 {
		pairs = append(pairs, [2]string{string(args[i]), string(args[i+1])})
	}
	if err := c.srv.cfg.Set(pairs); err != nil {
		c.w.Error(err.Error())
		return
	}
	c.w.OK()
}

func cmdConfigResetStat(c *Client, args [][]byte) {
	c.srv.resetStats()
	c.w.OK()
}

func cmdConfigHelp(c *Client, args [][]byte) {
	writeHelp(c, "CONFIG",
		"GET <pattern>",
		"    Return parameters matching the glob-like <pattern> and their values.",
		"SET <directive> <value>",
		"    Set the configuration <directive> to <value>.",
		"RESETSTAT",
		"    Reset statistics reported by the INFO command.",
		"REWRITE",
		"    Rewrite the configuration file.",
	)
}

func cmdDBSize(c *Client, args [][]byte) { c.w.Int(int64(c.db.Size())) }

// debugAllowed applies enable-debug-command: "yes", or "local" for
// loopback and unix-socket connections.
func (c *Client) debugAllowed() bool {
	switch c.srv.cfg.String("enable-debug-command") {
	case "yes":
		return true
	case "local":
		return isLocalAddr(c.addr)
	}
	return false
}

// isLocalAddr reports whether a peer address is loopback (or a unix
// socket, which has no port).
func isLocalAddr(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func cmdDebug(c *Client, args [][]byte) {
	if !c.debugAllowed() {
		c.w.Error(errDebugDisabled)
		return
	}
	sub := strings.ToLower(string(args[1]))
	switch {
	case sub == "sleep" && len(args) == 3:
		f, ok := parseFloat(args[2])
		if !ok {
			c.w.Error(errNotFloat)
			return
		}
		time.Sleep(time.Duration(f * float64(time.Second)))
		c.w.OK()
	case sub == "set-active-expire" && len(args) == 3:
		c.srv.setActiveExpire(string(args[2]) != "0")
		c.w.OK()
	case sub == "log" && len(args) == 3:
		c.srv.logf("DEBUG LOG: %s", args[2])
		c.w.OK()
	case sub == "protocol" && len(args) == 3:
		debugProtocol(c, strings.ToLower(string(args[2])))
	case sub == "object" && len(args) == 3:
		debugObject(c, args[2])
	case sub == "reload":
		debugReload(c, args)
	case sub == "loadaof" && len(args) == 2:
		unlock := c.lockAllNow()
		msg := c.srv.loadAOFHeld()
		unlock()
		if msg != "" {
			c.w.Error(msg)
		} else {
			c.w.OK()
		}
	case sub == "populate" && len(args) >= 3 && len(args) <= 5:
		debugPopulate(c, args)
	case sub == "digest" && len(args) == 2:
		debugDigest(c)
	case sub == "digest-value":
		debugDigestValue(c, args[2:])
	case sub == "help":
		writeHelp(c, "DEBUG",
			"DIGEST",
			"    Output a hex signature representing the current DB content.",
			"DIGEST-VALUE <key> [<key> ...]",
			"    Output a hex signature of the values of all the specified keys.",
			"LOADAOF",
			"    Flush the AOF buffers on disk and reload the AOF in memory.",
			"LOG <message>",
			"    Write <message> to the server log.",
			"OBJECT <key>",
			"    Show low level info about `key` and associated value.",
			"POPULATE <count> [<prefix>] [<size>]",
			"    Create <count> string keys named key:<num>. If <prefix> is specified then",
			"    it is used instead of the 'key' prefix. These are not propagated to",
			"    replicas. Cluster slots are not respected so keys not belonging to the",
			"    current node can be created in cluster mode.",
			"PROTOCOL <type>",
			"    Reply with a test value of the specified type. <type> can be: string,",
			"    integer, double, bignum, null, array, set, map, attrib, push, verbatim,",
			"    true, false.",
			"RELOAD [option ...]",
			"    Save the RDB on disk and reload it back to memory. Valid <option> values:",
			"    * MERGE: conflicting keys will be loaded from RDB.",
			"    * NOFLUSH: the existing database will not be removed before load, but",
			"      conflicting keys will generate an exception and kill the server.",
			"    * NOSAVE: the database will be loaded from an existing RDB file.",
			"    Examples:",
			"    * DEBUG RELOAD: verify that the server is able to persist, flush and reload",
			"      the database.",
			"    * DEBUG RELOAD NOSAVE: replace the current database with the contents of an",
			"      existing RDB file.",
			"    * DEBUG RELOAD NOSAVE NOFLUSH MERGE: add the contents of an existing RDB",
			"      file to the database.",
			"SET-ACTIVE-EXPIRE <0|1>",
			"    Setting it to 0 disables expiring keys in background when they are not",
			"    accessed (otherwise the Redis behavior). Setting it to 1 reenables back the",
			"    default.",
			"SLEEP <seconds>",
			"    Stop the server for <seconds>. Decimals allowed.",
		)
	default:
		// DEBUG's subcommands are not in the command table; it answers
		// like Redis's addReplySubcommandSyntaxError.
		c.w.Error(subcommandSyntaxError(args))
	}
}

func debugObject(c *Client, key []byte) {
	unlock := c.lockKeysNow(key)
	defer unlock()
	e := c.db.Lookup(key, c.now)
	if e == nil {
		c.w.Error(errNoSuchKey)
		return
	}
	c.w.Status(fmt.Sprintf("Value at:%p refcount:1 encoding:%s serializedlength:%d lru:%d lru_seconds_idle:%d",
		e, objectEncoding(c, e), len(e.Str), e.AccessClock(), 0))
}

func debugProtocol(c *Client, typ string) {
	w := c.w
	switch typ {
	case "string":
		w.BulkString("Hello World")
	case "integer":
		w.Int(12345)
	case "double":
		w.Double(3.141)
	case "bignum":
		w.BigNumber("1234567999999999999999999999999999999")
	case "null":
		w.Null()
	case "array":
		w.Array(3)
		for j := int64(0); j < 3; j++ {
			w.Int(j)
		}
	case "set":
		w.Set(3)
		for j := int64(0); j < 3; j++ {
			w.Int(j)
		}
	case "map":
		w.Map(3)
		for j := int64(0); j < 3; j++ {
			w.Int(j)
			w.Bool(j == 1)
		}
	case "attrib":
		if w.Attribute(1) {
			w.BulkString("key-popularity")
			w.Array(2)
			w.BulkString("key:123")
			w.Int(90)
		}
		w.BulkString("Some real reply following the attribute")
	case "push":
		if w.Proto() < 3 {
			w.Error("ERR RESP2 is not supported by this command")
			return
		}
		w.Push(2)
		w.BulkString("server-cpu-usage")
		w.Int(42)
		w.BulkString("Some real reply following the push reply")
	case "true":
		w.Bool(true)
	case "false":
		w.Bool(false)
	case "verbatim":
		w.Verbatim("txt", "This is a verbatim\nstring")
	default:
		w.Error("ERR Wrong protocol type name. Please use one of the following: string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|true|false")
	}
}

// lockKeysNow locks keys for a handler bound with lockNone whose keys are
// not in its key specs (DEBUG OBJECT).
func (c *Client) lockKeysNow(keys ...[]byte) func() {
	if c.locks.Held() {
		return func() {}
	}
	c.locks.Keys(c.srv.store, c.db, keys)
	return c.locks.Release
}

// cmdShutdown stops the server: SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE]
// [ABORT]. It saves when asked or when save points are set; a failed save
// keeps the server running unless FORCE. On success the connection closes
// without a reply, as in Redis.
func cmdShutdown(c *Client, args [][]byte) {
	var save, nosave, force, abort bool
	for _, a := range args[1:] {
		switch {
		case eqFold(a, "nosave"):
			nosave = true
		case eqFold(a, "save"):
			save = true
		case eqFold(a, "now"):
		case eqFold(a, "force"):
			force = true
		case eqFold(a, "abort"):
			abort = true
		default:
			c.w.Error(errSyntax)
			return
		}
	}
	if (save && nosave) || (abort && len(args) > 2) {
		c.w.Error(errSyntax)
		return
	}
	if abort {
		c.w.Error("ERR No shutdown in progress.")
		return
	}
	c.srv.logf("User requested shutdown...")
	if err := c.srv.prepareForShutdown(save, nosave, force, c.locks.Exclusive()); err != nil {
		c.w.Error("ERR Errors trying to SHUTDOWN. Check logs.")
		return
	}
	c.srv.shutdownAsync()
	c.closeAfterReply = true
}

// lockAllNow takes the whole keyspace for a handler bound with lockNone
// (DEBUG RELOAD, DEBUG DIGEST), unless the caller holds it (EXEC).
func (c *Client) lockAllNow() func() {
	if c.locks.Held() {
		return func() {}
	}
	c.locks.All(c.srv.store)
	return c.locks.Release
}

func debugReload(c *Client, args [][]byte) {
	var nosave, noflush, merge bool
	for _, a := range args[2:] {
		switch {
		case eqFold(a, "nosave"):
			nosave = true
		case eqFold(a, "noflush"):
			noflush = true
		case eqFold(a, "merge"):
			merge = true
		default:
			c.w.Error("ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.")
			return
		}
	}
	unlock := c.lockAllNow()
	defer unlock()
	if msg := c.srv.reloadHeld(nosave, noflush, merge); msg != "" {
		c.w.Error(msg)
		return
	}
	c.w.OK()
}

func debugDigest(c *Client) {
	unlock := c.lockAllNow()
	defer unlock()
	c.w.Status(persistence.DatasetDigest(c.srv.store).Hex())
}

// debugDigestValue digests keys as they are stored, logically expired
// ones included, as Redis does.
func debugDigestValue(c *Client, keys [][]byte) {
	c.w.Array(len(keys))
	for _, k := range keys {
		unlock := c.lockKeysNow(k)
		var d persistence.Digest
		if e := c.db.Peek(k); e != nil {
			d = persistence.ValueDigest(e)
		}
		unlock()
		c.w.Status(d.Hex())
	}
}

// debugPopulate is DEBUG POPULATE count [prefix] [size]: string keys
// prefix:N holding "value:N" (cut or zero-padded to size), skipping keys
// that exist.
func debugPopulate(c *Client, args [][]byte) {
	count, ok := parseInt(args[2])
	if !ok || count < 0 {
		c.w.Error("ERR value is out of range, must be positive")
		return
	}
	prefix, size := "key", int64(0)
	if len(args) >= 4 {
		prefix = string(args[3])
	}
	if len(args) == 5 {
		if size, ok = parseInt(args[4]); !ok || size < 0 {
			c.w.Error("ERR value is out of range, must be positive")
			return
		}
	}
	unlock := c.lockAllNow()
	defer unlock()
	for i := int64(0); i < count; i++ {
		key := []byte(prefix + ":" + strconv.FormatInt(i, 10))
		if c.db.Lookup(key, c.now) != nil {
			continue
		}
		val := "value:" + strconv.FormatInt(i, 10)
		if size > 0 {
			b := make([]byte, size)
			copy(b, val)
			val = string(b)
		}
		c.db.SetString(key, val, 0, false)
	}
	c.w.OK()
}
