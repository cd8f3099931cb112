package server

import (
	"crypto/subtle"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Connection commands: PING, ECHO, SELECT, QUIT, RESET, AUTH, HELLO, TIME
// and the CLIENT family.
func init() {
	register([]binding{
		{"ping", cmdPing, lockNone},
		{"echo", cmdEcho, lockNone},
		{"select", cmdSelect, lockNone},
		{"quit", cmdQuit, lockNone},
		{"reset", cmdReset, lockNone},
		{"auth", cmdAuth, lockNone},
		{"hello", cmdHello, lockNone},
		{"time", cmdTime, lockNone},
		{"client|id", cmdClientID, lockNone},
		{"client|setname", cmdClientSetName, lockNone},
		{"client|getname", cmdClientGetName, lockNone},
		{"client|info", cmdClientInfo, lockNone},
		{"client|list", cmdClientList, lockNone},
		{"client|setinfo", cmdClientSetInfo, lockNone},
		{"client|kill", cmdClientKill, lockNone},
		{"client|unblock", cmdClientUnblock, lockNone},
		{"client|reply", cmdClientReply, lockNone},
		{"client|no-evict", cmdClientNoEvict, lockNone},
		{"client|getredir", cmdClientGetRedir, lockNone},
		{"client|pause", cmdClientPause, lockNone},
		{"client|unpause", cmdClientUnpause, lockNone},
		{"client|help", cmdClientHelp, lockNone},
	})
}

func cmdPing(c *Client, args [][]byte) {
	if len(args) <= 2 && c.pubsubRestricted() {
		// A subscribed RESP2 client reads arrays only: Redis answers
		// ["pong", message or ""].
		c.w.Array(2)
		c.w.BulkString("pong")
		if len(args) == 2 {
			c.w.Bulk(args[1])
		} else {
			c.w.BulkString("")
		}
		return
	}
	switch len(args) {
	case 1:
		c.w.Status("PONG")
	case 2:
		c.w.Bulk(args[1])
	default:
		c.w.Error(wrongArgs("ping"))
	}
}

func cmdEcho(c *Client, args [][]byte) { c.w.Bulk(args[1]) }

func cmdSelect(c *Client, args [][]byte) {
	id, ok := parseInt(args[1])
	if !ok || id < -1<<31 || id > 1<<31-1 {
		c.w.Error(errNotInt)
		return
	}
	if id < 0 || id >= int64(c.srv.store.NumDBs()) {
		c.w.Error(errDBIndex)
		return
	}
	c.selectDB(c.srv.store.DB(int(id)))
	c.w.OK()
}

func cmdQuit(c *Client, args [][]byte) {
	c.w.OK()
	c.closeAfterReply = true
}

func cmdReset(c *Client, args [][]byte) {
	c.tx.reset()
	c.srv.watches.unwatchAll(c)
	c.srv.pubsub.hub.Drop(c)
	c.pubsubMode.Store(false)
	c.selectDB(c.srv.store.DB(0))
	c.w.SetProto(2)
	c.setName("")
	c.replyOff, c.skipNextReply = false, false
	c.setAuthed(c.srv.requirePass.Load() == nil)
	c.w.Status("RESET")
}

// checkPassword authenticates the default user (the only user until ACL
// users exist).
func (c *Client) checkPassword(user, pass []byte) bool {
	if string(user) != "default" {
		return false
	}
	want := c.srv.requirePass.Load()
	if want == nil {
		return true // the default user is "nopass"
	}
	return subtle.ConstantTimeCompare([]byte(*want), pass) == 1
}

func cmdAuth(c *Client, args [][]byte) {
	if len(args) > 3 {
		c.w.Error(errSyntax)
		return
	}
	user, pass := []byte("default"), args[1]
	if len(args) == 3 {
		user, pass = args[1], args[2]
	} else if c.srv.requirePass.Load() == nil {
		c.w.Error(errNoPassSet)
		return
	}
	if !c.checkPassword(user, pass) {
		c.w.Error(errWrongPass)
		return
	}
	c.setAuthed(true)
	c.setUser(string(user))
	c.w.OK()
}

func cmdHello(c *Client, args [][]byte) {
	proto := c.w.Proto()
	if len(args) >= 2 {
		v, ok := parseInt(args[1])
		if !ok {
			c.w.Error("ERR Protocol version is not an integer or out of range")
			return
		}
		if v < 2 || v > 3 {
			c.w.Error(errProtoVersion)
			return
		}
		proto = int(v)
	}
	var name []byte
	setName := false
	for i := 2; i < len(args); i++ {
		more := len(args) - i - 1
		switch opt := strings.ToLower(string(args[i])); {
		case opt == "auth" && more >= 2:
			if !c.checkPassword(args[i+1], args[i+2]) {
				c.w.Error(errWrongPass)
				return
			}
			c.setAuthed(true)
			c.setUser(string(args[i+1]))
			i += 2
		case opt == "setname" && more >= 1:
			name, setName = args[i+1], true
			if !validClientName(name) {
				c.w.Error(errClientName)
				return
			}
			i++
		default:
			c.w.Error(fmt.Sprintf("ERR Syntax error in HELLO option '%s'", args[i]))
			return
		}
	}
	if !c.authed {
		c.w.Error("NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time")
		return
	}
	if setName {
		c.setName(string(name))
	}
	c.w.SetProto(proto)
	c.w.Map(7)
	c.w.BulkString("server")
	c.w.BulkString("redis")
	c.w.BulkString("version")
	c.w.BulkString(RedisVersion)
	c.w.BulkString("proto")
	c.w.Int(int64(proto))
	c.w.BulkString("id")
	c.w.Int(c.id)
	c.w.BulkString("mode")
	c.w.BulkString("standalone")
	c.w.BulkString("role")
	c.w.BulkString("master")
	c.w.BulkString("modules")
	c.w.Array(0)
}

func cmdTime(c *Client, args [][]byte) {
	now := c.srv.clock.Now()
	c.w.Array(2)
	c.w.BulkInt(now.Unix())
	c.w.BulkInt(int64(now.Nanosecond() / 1000))
}

const errClientName = "ERR Client names cannot contain spaces, newlines or special characters."

// validClientName follows Redis: printable ASCII without spaces.
func validClientName(name []byte) bool {
	for _, ch := range name {
		if ch < '!' || ch > '~' {
			return false
		}
	}
	return true
}

func cmdClientID(c *Client, args [][]byte) { c.w.Int(c.id) }

func cmdClientSetName(c *Client, args [][]byte) {
	if !validClientName(args[2]) {
		c.w.Error(errClientName)
		return
	}
	c.setName(string(args[2]))
	c.w.OK()
}

// cmdClientSetInfo is Redis 7.2's CLIENT SETINFO, which go-redis and
// redis-py send on connect.
func cmdClientSetInfo(c *Client, args [][]byte) {
	val := string(args[3])
	for _, ch := range args[3] {
		if ch < '!' || ch > '~' {
			c.w.Error("ERR " + string(args[2]) + " cannot contain spaces, newlines or special characters.")
			return
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case eqFold(args[2], "lib-name"):
		c.libName = val
	case eqFold(args[2], "lib-ver"):
		c.libVer = val
	default:
		c.w.Error("ERR Unrecognized option '" + string(args[2]) + "'")
		return
	}
	c.w.OK()
}

func cmdClientGetName(c *Client, args [][]byte) {
	if n := c.getName(); n != "" {
		c.w.BulkString(n)
		return
	}
	c.w.Null()
}

func cmdClientInfo(c *Client, args [][]byte) {
	c.w.Verbatim("txt", c.infoLine(time.Now(), c.ownBuffers(args))+"\n")
}

func cmdClientList(c *Client, args [][]byte) {
	var filterIDs map[int64]bool
	typ := ""
	for i := 2; i < len(args); i++ {
		opt := strings.ToLower(string(args[i]))
		switch {
		case opt == "type" && i+1 < len(args):
			typ = strings.ToLower(string(args[i+1]))
			if typ != "normal" && typ != "master" && typ != "replica" && typ != "slave" && typ != "pubsub" {
				c.w.Error(fmt.Sprintf("ERR Unknown client type '%s'", args[i+1]))
				return
			}
			i++
		case opt == "id" && i+1 < len(args):
			filterIDs = map[int64]bool{}
			for i++; i < len(args); i++ {
				id, ok := parseInt(args[i])
				if !ok || id <= 0 {
					c.w.Error("ERR Invalid client ID")
					return
				}
				filterIDs[id] = true
			}
		default:
			c.w.Error(errSyntax)
			return
		}
	}
	var sb strings.Builder
	now := time.Now()
	for _, cl := range c.srv.clientList() {
		if filterIDs != nil && !filterIDs[cl.id] {
			continue
		}
		if typ != "" && typ != clientType(cl) {
			continue
		}
		var own clientBuffers
		if cl == c {
			own = c.ownBuffers(args)
		}
		sb.WriteString(cl.infoLine(now, own))
		sb.WriteByte('\n')
	}
	c.w.Verbatim("txt", sb.String())
}

// clientBuffers are the sizes of a client's input and pending output that
// only its own goroutine may read: the caller's, for its own line. Other
// clients are between commands (or in one, for a moment), where Redis
// shows them at zero too.
type clientBuffers struct {
	qbuf, argvMem, obl int64
}

// ownBuffers measures the calling client: its request (as its RESP
// encoding) and what follows it in the read buffer, its arguments, and
// the replies of its pipeline not written yet.
func (c *Client) ownBuffers(args [][]byte) clientBuffers {
	req := int64(len(strconv.Itoa(len(args))) + 3)
	for _, a := range args {
		req += int64(len(strconv.Itoa(len(a))) + 3 + len(a) + 2)
	}
	return clientBuffers{
		qbuf:    req + int64(c.rd.Buffered()),
		argvMem: int64(argsSize(args)),
		obl:     int64(c.w.Len()),
	}
}

// queuedOutput is the messages and replies waiting in a subscriber's queue
// (oll=, omem=), what client-output-buffer-limit measures. Another
// client's push field is safe to read once pubsubMode is seen set: the
// queue is created before the flag is stored.
func (c *Client) queuedOutput() (items, bytes int64) {
	if !c.pubsubMode.Load() {
		return 0, 0
	}
	q := c.push
	q.mu.Lock()
	defer q.mu.Unlock()
	return int64(len(q.items) + len(q.held)), q.queued + q.heldBytes + q.writing
}

// Sizes CLIENT LIST reports for the fixed part of a client: Redis's query
// buffer allocation, its reply buffer and the client structure.
const (
	clientQueryBufSize = 20474
	clientReplyBufSize = 16384
	clientBaseMem      = 20480
)

// infoLine is the client's CLIENT LIST / CLIENT INFO line with Redis 7.0's
// fields in Redis's order.
func (c *Client) infoLine(now time.Time, own clientBuffers) string {
	name := c.getName()
	lastCmd := "NULL"
	if cmd := c.lastCmd.Load(); cmd != nil {
		lastCmd = cmd.Name
	}
	flags := ""
	if c.pubsubMode.Load() {
		flags += "P"
	}
	multi := c.tx.shownQueued.Load() - 1
	if multi >= 0 {
		flags += "x"
	}
	if c.blocked.Load() {
		flags += "b"
	}
	if c.watchDirty.Load() {
		flags += "d"
	}
	if flags == "" {
		flags = "N"
	}
	sub, psub, ssub := c.srv.pubsub.hub.Counts(c)
	idle := now.Unix() - c.lastInteraction.Load()
	var b strings.Builder
	fmt.Fprintf(&b, "id=%d addr=%s laddr=%s fd=%d name=%s age=%d idle=%d flags=%s db=%d",
		c.id, c.addr, c.laddr, 8, name, int64(now.Sub(c.createdAt).Seconds()), idle, flags, c.shownDB.Load())
	multiMem := c.tx.shownMem.Load()
	oll, omem := c.queuedOutput()
	events := "r"
	if omem > 0 {
		events = "rw"
	}
	totMem := clientBaseMem + clientQueryBufSize + own.argvMem + multiMem + own.obl + omem
	fmt.Fprintf(&b, " sub=%d psub=%d ssub=%d multi=%d qbuf=%d qbuf-free=%d argv-mem=%d multi-mem=%d",
		sub, psub, ssub, multi, own.qbuf, max(clientQueryBufSize-own.qbuf, 0), own.argvMem, multiMem)
	fmt.Fprintf(&b, " rbs=%d rbp=%d obl=%d oll=%d omem=%d tot-mem=%d events=%s cmd=%s user=%s redir=-1 resp=%d",
		clientReplyBufSize, own.obl, own.obl, oll, omem, totMem, events, lastCmd, c.userName(), c.w.Proto())
	return b.String()
}

func cmdClientHelp(c *Client, args [][]byte) {
	lines := []string{
		"CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
		"GETNAME",
		"    Return the name of the current connection.",
		"ID",
		"    Return the ID of the current connection.",
		"INFO",
		"    Return information about the current client connection.",
		"LIST [options ...]",
		"    Return information about client connections. Options:",
		"    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
		"      Return clients of specified type.",
		"SETNAME <name>",
		"    Assign the name <name> to the current connection.",
		"HELP",
		"    Prints this help.",
	}
	c.w.Array(len(lines))
	for _, l := range lines {
		c.w.Status(l)
	}
}

func cmdClientUnblock(c *Client, args [][]byte) {
	id, ok := parseInt(args[2])
	if !ok {
		c.w.Error(errNotInt)
		return
	}
	withError := false
	if len(args) == 4 {
		switch {
		case eqFold(args[3], "timeout"):
		case eqFold(args[3], "error"):
			withError = true
		default:
			c.w.Error("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR")
			return
		}
	} else if len(args) > 4 {
		c.w.Error(errSyntax)
		return
	}
	target := c.srv.clientByID(id)
	if target != nil && target.unblock(withError) {
		c.w.Int(1)
		return
	}
	c.w.Int(0)
}

// killFilter is CLIENT KILL's new-style filter set.
type killFilter struct {
	id          int64
	typ         string
	user        string
	addr, laddr string
	skipMe      bool
}

func (f *killFilter) matches(self, cl *Client) bool {
	switch {
	case f.skipMe && cl == self,
		f.id != 0 && cl.id != f.id,
		f.typ != "" && f.typ != clientType(cl),
		f.user != "" && cl.userName() != f.user,
		f.addr != "" && cl.addr != f.addr,
		f.laddr != "" && cl.laddr != f.laddr:
		return false
	}
	return true
}

// clientType is the CLIENT LIST / KILL TYPE of a client.
func clientType(cl *Client) string {
	if cl.pubsubMode.Load() {
		return "pubsub"
	}
	return "normal"
}

func cmdClientKill(c *Client, args [][]byte) {
	if len(args) == 3 {
		// Old form: CLIENT KILL addr:port.
		for _, cl := range c.srv.clientList() {
			if cl.addr == string(args[2]) {
				c.killClient(cl)
				c.w.OK()
				return
			}
		}
		c.w.Error("ERR No such client")
		return
	}
	f, errMsg := parseKillFilter(args[2:])
	if errMsg != "" {
		c.w.Error(errMsg)
		return
	}
	killed := 0
	for _, cl := range c.srv.clientList() {
		if f.matches(c, cl) {
			c.killClient(cl)
			killed++
		}
	}
	c.w.Int(int64(killed))
}

// killClient closes cl; a client killing itself gets its reply first.
func (c *Client) killClient(cl *Client) {
	if cl == c {
		c.closeAfterReply = true
		return
	}
	cl.kill()
}

func parseKillFilter(args [][]byte) (killFilter, string) {
	f := killFilter{skipMe: true}
	if len(args)%2 != 0 {
		return f, errSyntax
	}
	for i := 0; i < len(args); i += 2 {
		val := string(args[i+1])
		switch {
		case eqFold(args[i], "id"):
			id, ok := parseInt(args[i+1])
			if !ok || id <= 0 {
				return f, "ERR client-id should be greater than 0"
			}
			f.id = id
		case eqFold(args[i], "type"):
			t := strings.ToLower(val)
			if t == "slave" {
				t = "replica"
			}
			if t != "normal" && t != "master" && t != "replica" && t != "pubsub" {
				return f, fmt.Sprintf("ERR Unknown client type '%s'", val)
			}
			f.typ = t
		case eqFold(args[i], "user"):
			if val != "default" {
				return f, fmt.Sprintf("ERR No such user '%s'", val)
			}
			f.user = val
		case eqFold(args[i], "addr"):
			f.addr = val
		case eqFold(args[i], "laddr"):
			f.laddr = val
		case eqFold(args[i], "skipme"):
			switch {
			case eqFold(args[i+1], "yes"):
				f.skipMe = true
			case eqFold(args[i+1], "no"):
				f.skipMe = false
			default:
				return f, errSyntax
			}
		default:
			return f, errSyntax
		}
	}
	return f, ""
}

// cmdClientReply is CLIENT REPLY ON|OFF|SKIP; only ON answers.
func cmdClientReply(c *Client, args [][]byte) {
	switch {
	case eqFold(args[2], "on"):
		c.replyOff, c.skipNextReply = false, false
		c.w.OK()
	case eqFold(args[2], "off"):
		c.replyOff = true
	case eqFold(args[2], "skip"):
		if !c.replyOff {
			c.skipNextReply = true
		}
	default:
		c.w.Error(errSyntax)
	}
}

// cmdClientNoEvict accepts the flag: Kioku does not evict clients.
func cmdClientNoEvict(c *Client, args [][]byte) {
	if !eqFold(args[2], "on") && !eqFold(args[2], "off") {
		c.w.Error(errSyntax)
		return
	}
	c.w.OK()
}

// cmdClientGetRedir answers -1: client-side caching redirection is not
// in use.
func cmdClientGetRedir(c *Client, args [][]byte) { c.w.Int(-1) }

func cmdClientPause(c *Client, args [][]byte) {
	ms, ok := parseInt(args[2])
	if !ok {
		c.w.Error("ERR timeout is not an integer or out of range")
		return
	}
	if ms < 0 {
		c.w.Error("ERR timeout is negative")
		return
	}
	all := true
	if len(args) == 4 {
		switch {
		case eqFold(args[3], "write"):
			all = false
		case eqFold(args[3], "all"):
		default:
			c.w.Error("ERR CLIENT PAUSE mode must be WRITE or ALL")
			return
		}
	} else if len(args) > 4 {
		c.w.Error(subcommandSyntaxError(args))
		return
	}
	c.srv.pause.start(time.Duration(ms)*time.Millisecond, all)
	c.w.OK()
}

func cmdClientUnpause(c *Client, args [][]byte) {
	c.srv.pause.stop()
	c.w.OK()
}
