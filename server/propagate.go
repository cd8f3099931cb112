package server

import (
	"math"
	"strconv"
	"sync"

	"github.com/kioku-db/kioku/persistence"
	"github.com/kioku-db/kioku/store"
	"github.com/kioku-db/kioku/types"
)

// Propagation: what a command that changed data appends to the AOF
// (Redis's propagate / alsoPropagate / rewriteClientCommandVector).
//
// A command is written as it was sent when replaying it gives the same
// data; otherwise in a deterministic form computed from the state it left
// behind, read while it still holds its locks: relative TTLs become
// absolute (EXPIRE → PEXPIREAT, SET EX → SET PXAT, RESTORE ttl → ABSTTL),
// random or time-dependent effects become their result (SPOP → SREM,
// INCRBYFLOAT → SET KEEPTTL, XADD * → the ID given, approximate trimming
// → exact), consumer-group deliveries become the XCLAIMs that recreate
// them, and blocking commands their non-blocking form. Scripts and
// transactions are propagated by their effects: the write commands they
// ran, wrapped in MULTI/EXEC when there is more than one.
//
// The unit of propagation is what Redis calls an execution unit: a
// top-level command with everything it runs (EXEC's queue, a script's
// redis.call). Its operations are collected in the client's propState
// and appended to the AOF buffer in one piece when the top-level command
// ends, still under its keyspace locks, so the AOF orders writes to a key
// as they happened. A blocked client served later is a unit of its own,
// appended under the serving goroutine's locks.
//
// Whether a call wrote is the change of its lock set's write counter
// (store.Locks.Dirty, Redis's server.dirty delta). Consumer-group state
// changes without the store's write path, so those commands decide from
// their reply and the state they left.

// propState is a client's open execution unit.
type propState struct {
	depth int
	buf   []byte   // the unit's operations, encoded
	ops   []propOp // where each operation ends in buf, and its database
	// wait is the AOF offset the client's pending replies wait for
	// (appendfsync always: on disk; otherwise written); 0 when none.
	wait int64
	// args are the top-level command's arguments while it runs; a
	// blocking command keeps a copy in blockedArgs, because whoever
	// serves it later propagates its non-blocking form.
	args        [][]byte
	blockedArgs [][]byte
	blocked     bool
	// exclusive: this unit holds the whole keyspace and receives the
	// deletions of keys that expire while it runs.
	exclusive bool
	// pre is what a rule noted before its command ran.
	pre []bool
	// call is the call being propagated (kept here, not allocated).
	call propCall
}

type propOp struct {
	end int
	db  int
}

func (p *propState) reset() {
	p.buf, p.ops = p.buf[:0], p.ops[:0]
	if cap(p.buf) > 1<<20 {
		p.buf = nil // one huge unit does not pin its buffer
	}
}

// begin starts an operation of argc arguments; end closes it.
func (p *propState) begin(argc int) {
	p.buf = persistence.AppendArrayHeader(p.buf, argc)
}

func (p *propState) arg(b []byte) { p.buf = persistence.AppendBulk(p.buf, b) }
func (p *propState) str(s string) { p.buf = persistence.AppendBulkString(p.buf, s) }
func (p *propState) num(n int64)  { p.buf = persistence.AppendBulkInt(p.buf, n) }
func (p *propState) sid(id types.StreamID) {
	p.buf = persistence.AppendBulkID(p.buf, id)
}

func (p *propState) end(db int) { p.ops = append(p.ops, propOp{end: len(p.buf), db: db}) }

// command appends a whole operation.
func (p *propState) command(db int, args ...[]byte) {
	p.begin(len(args))
	for _, a := range args {
		p.arg(a)
	}
	p.end(db)
}

// raw appends an operation already encoded.
func (p *propState) raw(db int, b []byte) {
	p.buf = append(p.buf, b...)
	p.end(db)
}

// propBegin opens the propagation of a call; run calls it before the
// handler when the AOF is on. It always reports true.
func (s *Server) propBegin(c *Client, cmd *Command, args [][]byte) bool {
	p := &c.prop
	p.depth++
	if p.depth == 1 {
		p.args, p.blocked = args, false
	} else if !p.exclusive && c.locks.Exclusive() && s.aof.exclusive == nil {
		// A transaction or script: keys expiring while it runs are
		// deleted inside it, so their DEL belongs inside too.
		s.aof.exclusive, p.exclusive = c, true
	}
	if r := propRuleFor(cmd); r.pre != nil {
		p.call = propCall{s: s, p: p, db: c.db, args: args}
		r.pre(&p.call)
	}
	return true
}

// propEnd propagates a call that changed data and, at the end of the
// top-level command, appends its unit to the AOF.
func (s *Server) propEnd(c *Client, cmd *Command, args [][]byte, mark int, dirty int64) {
	p := &c.prop
	rule := propRuleFor(cmd)
	var reply []byte
	if buf := c.w.Buffer(); mark <= len(buf) {
		reply = buf[mark:]
	}
	pc := &p.call
	*pc = propCall{s: s, p: p, db: c.db, cmd: cmd, args: args, reply: reply}
	switch {
	case p.depth == 1 && p.blocked:
		// The command blocked: the serve propagated what it did.
		if rule.afterBlock != nil {
			rule.afterBlock(pc)
		}
	case rule.wants(cmd, reply, c.locks.Dirty() != dirty):
		if rule.emit != nil {
			rule.emit(pc)
		} else {
			p.command(c.db.ID, args...)
		}
	}
	p.depth--
	if p.depth > 0 {
		return
	}
	if len(p.ops) > 0 {
		if off := s.aofAppendUnit(p); off > p.wait {
			p.wait = off
		}
	}
	if off := s.aof.delOffset.Load(); off > p.wait {
		p.wait = off
	}
	p.reset()
	p.call = propCall{} // keeps nothing of the call alive
	if p.exclusive {
		s.aof.exclusive, p.exclusive = nil, false
	}
	p.args, p.blockedArgs, p.blocked = nil, nil, false
}

// propBlocked records that the running command is blocking: whoever
// serves it propagates it, from a copy of its arguments.
func (s *Server) propBlocked(c *Client) {
	p := &c.prop
	p.blocked = true
	p.blockedArgs = cloneArgs(p.args)
}

// serveAndPropagate runs a blocked client's serve function and appends
// what it did, in its non-blocking form, as a unit of its own while the
// serving goroutine still holds the keys (blocking.go's tryServe).
func (s *Server) serveAndPropagate(w *waiter, key []byte) bool {
	c, locks := w.c, &s.blocking.locks
	mark, dirty := c.w.Len(), locks.Dirty()
	answered := w.serve(c, key)
	changed := locks.Dirty() != dirty
	if !answered || !s.aof.on.Load() {
		return answered
	}
	p := &s.aof.served // one goroutine serves at a time
	rule := propRuleFor(c.cmd)
	pc := &p.call
	*pc = propCall{s: s, p: p, db: w.db, cmd: c.cmd, args: c.prop.blockedArgs, reply: c.w.Buffer()[mark:], served: key}
	switch {
	case pc.args == nil:
		// Blocked before the AOF was switched on: write the keys' state.
		if changed {
			pc.rebuild(w.lockKeys...)
		}
	case rule.wants(c.cmd, pc.reply, changed):
		if rule.emit != nil {
			rule.emit(pc)
		} else {
			p.command(w.db.ID, pc.args...)
		}
	}
	if len(p.ops) > 0 {
		if off := s.aofAppendUnit(p); off > c.prop.wait {
			c.prop.wait = off
		}
	}
	p.reset()
	p.call = propCall{}
	return answered
}

// propDeleted propagates the deletion of a key by expiry or eviction
// (store hooks, called under the locks of the key).
func (s *Server) propDeleted(db *store.DB, key string) {
	if !s.aof.on.Load() {
		return
	}
	if u := s.aof.exclusive; u != nil {
		// Inside a transaction or script, which holds the whole keyspace:
		// in its unit, in order.
		u.prop.begin(2)
		u.prop.str("DEL")
		u.prop.str(key)
		u.prop.end(db.ID)
		return
	}
	s.aofAppendDel(db.ID, key)
}

// propCall is one call being propagated.
type propCall struct {
	s     *Server
	p     *propState
	db    *store.DB
	cmd   *Command
	args  [][]byte
	reply []byte
	// served is the key a blocked client was served from.
	served []byte
}

// verbatim propagates the call as it was sent.
func (pc *propCall) verbatim() { pc.p.command(pc.db.ID, pc.args...) }

// rebuild propagates the state of keys: DEL and, for each key that
// exists, the commands that recreate it. It is always right and costs
// the size of the keys, so it serves only where nothing finer applies.
func (pc *propCall) rebuild(keys ...[]byte) {
	for _, k := range keys {
		pc.p.command(pc.db.ID, []byte("DEL"), k)
		if e := pc.db.Peek(k); e != nil {
			start := len(pc.p.buf)
			buf, ok := persistence.AppendKeyCommands(pc.p.buf, e.Key, e.Str, e.Obj, e.Expire)
			pc.p.buf = buf
			if ok && len(buf) > start {
				pc.p.end(pc.db.ID)
			}
		}
	}
}

// entry is the key's entry after the call, nil when gone.
func (pc *propCall) entry(key []byte) *store.Entry { return pc.db.Peek(key) }

func (pc *propCall) del(key []byte) { pc.p.command(pc.db.ID, []byte("DEL"), key) }

// propMode says which calls of a command are propagated.
type propMode uint8

const (
	// propDirty: write commands whose call changed data (the default).
	propDirty propMode = iota
	// propEffects: never the command itself (EXEC, scripts): the
	// commands it ran were propagated.
	propEffects
	// propForced: every call that did not fail, changed data or not
	// (FLUSHALL on an empty dataset is still written, as in Redis).
	propForced
	// propReplied: calls that did not fail, for commands that change
	// state the write counter does not see; the rule decides what to
	// write from the reply and the state.
	propReplied
	// propNonZero: calls answered neither an error nor 0.
	propNonZero
)

// propRule is how a command is propagated.
type propRule struct {
	mode propMode
	// emit writes the call's operations; nil writes it verbatim.
	emit func(pc *propCall)
	// pre notes state before the command runs (with its locks held).
	pre func(pc *propCall)
	// afterBlock runs at the end of a command that blocked.
	afterBlock func(pc *propCall)
}

func (r *propRule) wants(cmd *Command, reply []byte, changed bool) bool {
	failed := len(reply) > 0 && reply[0] == '-'
	switch r.mode {
	case propEffects:
		return false
	case propForced, propReplied:
		return !failed
	case propNonZero:
		return !failed && string(reply) != ":0\r\n"
	}
	return changed && cmd.has(flagWrite|flagMayReplicate)
}

var propRules = map[string]propRule{
	"exec":       {mode: propEffects},
	"eval":       {mode: propEffects},
	"evalsha":    {mode: propEffects},
	"eval_ro":    {mode: propEffects},
	"evalsha_ro": {mode: propEffects},
	"fcall":      {mode: propEffects},
	"fcall_ro":   {mode: propEffects},

	"flushall":         {mode: propForced},
	"flushdb":          {mode: propForced},
	"swapdb":           {mode: propForced},
	"function|load":    {mode: propForced},
	"function|delete":  {mode: propForced},
	"function|flush":   {mode: propForced},
	"function|restore": {mode: propForced},

	"expire":       {emit: emitExpire},
	"pexpire":      {emit: emitExpire},
	"expireat":     {emit: emitExpire},
	"pexpireat":    {emit: emitExpire},
	"set":          {emit: emitSet},
	"setex":        {emit: emitSetEx},
	"psetex":       {emit: emitSetEx},
	"getex":        {emit: emitGetEx},
	"getdel":       {emit: emitGetDel},
	"getset":       {emit: emitGetSet},
	"incrbyfloat":  {emit: emitIncrByFloat},
	"hincrbyfloat": {emit: emitHIncrByFloat},
	"spop":         {emit: emitSPop},
	"restore":      {emit: emitRestore},

	"blpop":      {emit: emitBPop},
	"brpop":      {emit: emitBPop},
	"blmove":     {emit: emitBLMove},
	"brpoplpush": {emit: emitBRPopLPush},
	"blmpop":     {emit: emitBMPop},
	"bzpopmin":   {emit: emitBPop},
	"bzpopmax":   {emit: emitBPop},
	"bzmpop":     {emit: emitBMPop},

	"xadd":                  {emit: emitXAdd},
	"xtrim":                 {emit: emitXTrim},
	"xreadgroup":            {mode: propReplied, emit: emitXReadGroup, pre: preXReadGroup, afterBlock: createdConsumers},
	"xclaim":                {mode: propReplied, emit: emitXClaim, pre: preXClaim},
	"xautoclaim":            {mode: propReplied, emit: emitXAutoClaim},
	"xack":                  {mode: propNonZero},
	"xsetid":                {mode: propReplied},
	"xgroup|create":         {mode: propReplied},
	"xgroup|setid":          {mode: propReplied},
	"xgroup|destroy":        {mode: propNonZero},
	"xgroup|createconsumer": {mode: propNonZero},
	"xgroup|delconsumer":    {mode: propReplied},
}

var (
	propRulesOnce sync.Once
	propRulesIdx  []propRule // by Command.idx
)

// propRuleFor returns cmd's rule (the zero rule, verbatim on write, when
// it has none).
func propRuleFor(cmd *Command) *propRule {
	propRulesOnce.Do(func() {
		propRulesIdx = make([]propRule, table.count)
		for name, r := range propRules {
			if cmd := table.find(name); cmd != nil {
				propRulesIdx[cmd.idx] = r
			}
		}
	})
	return &propRulesIdx[cmd.idx]
}

// --- keys and strings -------------------------------------------------

// emitExpire: any EXPIRE form becomes PEXPIREAT with the absolute time,
// or DEL when the time was in the past and the key is gone.
func emitExpire(pc *propCall) {
	key := pc.args[1]
	e := pc.entry(key)
	switch {
	case e == nil:
		pc.del(key)
	case e.Expire != 0:
		pc.p.begin(3)
		pc.p.str("PEXPIREAT")
		pc.p.arg(key)
		pc.p.num(e.Expire)
		pc.p.end(pc.db.ID)
	default:
		pc.verbatim()
	}
}

// emitSet: SET with EX, PX or EXAT becomes SET key value PXAT.
func emitSet(pc *propCall) {
	for _, a := range pc.args[3:] {
		if eqFold(a, "ex") || eqFold(a, "px") || eqFold(a, "exat") {
			setWithAbsoluteTTL(pc, pc.args[1], pc.args[2])
			return
		}
	}
	pc.verbatim()
}

// emitSetEx: SETEX and PSETEX become SET key value PXAT.
func emitSetEx(pc *propCall) { setWithAbsoluteTTL(pc, pc.args[1], pc.args[3]) }

func setWithAbsoluteTTL(pc *propCall, key, val []byte) {
	e := pc.entry(key)
	switch {
	case e == nil:
		pc.del(key)
	case e.Expire == 0:
		pc.verbatim()
	default:
		pc.p.begin(5)
		pc.p.str("SET")
		pc.p.arg(key)
		pc.p.arg(val)
		pc.p.str("PXAT")
		pc.p.num(e.Expire)
		pc.p.end(pc.db.ID)
	}
}

// emitGetEx: GETEX with a TTL becomes PEXPIREAT (DEL when it was past),
// with PERSIST becomes PERSIST.
func emitGetEx(pc *propCall) {
	key := pc.args[1]
	for _, a := range pc.args[2:] {
		if eqFold(a, "persist") {
			pc.p.command(pc.db.ID, []byte("PERSIST"), key)
			return
		}
	}
	emitExpire(pc)
}

func emitGetDel(pc *propCall) { pc.del(pc.args[1]) }

func emitGetSet(pc *propCall) {
	pc.p.command(pc.db.ID, []byte("SET"), pc.args[1], pc.args[2])
}

// emitIncrByFloat writes the resulting value, keeping the TTL, so that
// replaying does not depend on float formatting.
func emitIncrByFloat(pc *propCall) {
	key := pc.args[1]
	e := pc.entry(key)
	if e == nil || !e.IsString() {
		pc.rebuild(key)
		return
	}
	pc.p.begin(4)
	pc.p.str("SET")
	pc.p.arg(key)
	pc.p.str(e.Str)
	pc.p.str("KEEPTTL")
	pc.p.end(pc.db.ID)
}

func emitHIncrByFloat(pc *propCall) {
	key, field := pc.args[1], pc.args[2]
	if e := pc.entry(key); e != nil {
		if h, ok := e.Obj.(*types.Hash); ok {
			if v, ok := h.Get(field); ok {
				pc.p.command(pc.db.ID, []byte("HSET"), key, field, v)
				return
			}
		}
	}
	pc.rebuild(key)
}

// emitSPop: the members popped (read from the reply) are removed with
// SREM, or the key deleted when the set is gone.
func emitSPop(pc *propCall) {
	key := pc.args[1]
	v, _, ok := parseReply(pc.reply)
	if !ok {
		pc.rebuild(key)
		return
	}
	var members [][]byte
	switch {
	case v.isBulk():
		members = [][]byte{v.str}
	case v.isAggregate():
		for _, m := range v.elems {
			members = append(members, m.str)
		}
	}
	if len(members) == 0 {
		return
	}
	if len(pc.args) > 2 && pc.entry(key) == nil {
		pc.del(key)
		return
	}
	pc.p.begin(2 + len(members))
	pc.p.str("SREM")
	pc.p.arg(key)
	for _, m := range members {
		pc.p.arg(m)
	}
	pc.p.end(pc.db.ID)
}

// emitRestore: a relative TTL becomes absolute (ABSTTL).
func emitRestore(pc *propCall) {
	key := pc.args[1]
	e := pc.entry(key)
	if e == nil {
		pc.del(key)
		return
	}
	abs := false
	for _, a := range pc.args[4:] {
		if eqFold(a, "absttl") {
			abs = true
		}
	}
	if abs || e.Expire == 0 || string(pc.args[2]) == "0" {
		pc.verbatim()
		return
	}
	pc.p.begin(len(pc.args) + 1)
	for i, a := range pc.args {
		if i == 2 {
			pc.p.num(e.Expire)
		} else {
			pc.p.arg(a)
		}
	}
	pc.p.str("ABSTTL")
	pc.p.end(pc.db.ID)
}

// --- blocking commands ------------------------------------------------

// emitBPop: BLPOP, BRPOP, BZPOPMIN, BZPOPMAX become the pop of the key
// the reply names (the one served).
func emitBPop(pc *propCall) {
	v, _, ok := parseReply(pc.reply)
	if !ok || !v.isAggregate() || len(v.elems) == 0 || v.elems[0].str == nil {
		pc.rebuildBlockingKeys()
		return
	}
	pc.p.command(pc.db.ID, []byte(nonBlockingName(pc.cmd.Name)), v.elems[0].str)
}

func nonBlockingName(name string) string {
	switch name {
	case "blpop":
		return "LPOP"
	case "brpop":
		return "RPOP"
	case "bzpopmin":
		return "ZPOPMIN"
	case "bzpopmax":
		return "ZPOPMAX"
	}
	return name
}

func emitBLMove(pc *propCall) {
	a := pc.args
	pc.p.command(pc.db.ID, []byte("LMOVE"), a[1], a[2], a[3], a[4])
}

func emitBRPopLPush(pc *propCall) {
	pc.p.command(pc.db.ID, []byte("RPOPLPUSH"), pc.args[1], pc.args[2])
}

// emitBMPop: BLMPOP and BZMPOP become LPOP/RPOP or ZPOPMIN/ZPOPMAX of the
// key served with the number of elements it gave.
func emitBMPop(pc *propCall) {
	a := pc.args
	n, ok := parseInt(a[2])
	v, _, rok := parseReply(pc.reply)
	if !ok || n < 1 || 3+n >= int64(len(a)) || !rok || !v.isAggregate() || len(v.elems) != 2 {
		pc.rebuildBlockingKeys()
		return
	}
	where, key, popped := a[3+n], v.elems[0].str, len(v.elems[1].elems)
	var name string
	switch {
	case pc.cmd.Name == "blmpop" && eqFold(where, "left"):
		name = "LPOP"
	case pc.cmd.Name == "blmpop":
		name = "RPOP"
	case eqFold(where, "min"):
		name = "ZPOPMIN"
	default:
		name = "ZPOPMAX"
	}
	pc.p.begin(3)
	pc.p.str(name)
	pc.p.arg(key)
	pc.p.num(int64(popped))
	pc.p.end(pc.db.ID)
}

// rebuildBlockingKeys is the fallback for a pop whose reply cannot be
// read: the state of every key the command names.
func (pc *propCall) rebuildBlockingKeys() {
	keys, ok := pc.cmd.keyArgs(pc.args, nil)
	if !ok {
		pc.verbatim()
		return
	}
	pc.rebuild(keys...)
}

// --- streams ----------------------------------------------------------

func (pc *propCall) stream(key []byte) *types.Stream {
	if e := pc.entry(key); e != nil {
		if s, ok := e.Obj.(*types.Stream); ok {
			return s
		}
	}
	return nil
}

// trimClause locates XADD's or XTRIM's MAXLEN/MINID clause: the indexes
// of the strategy, the threshold and LIMIT (-1 when absent), and whether
// the trim is approximate ("~").
type trimClause struct {
	strategy, threshold, limit int
	approx, minID              bool
}

// emitXAdd writes the ID the entry got and, when trimming was
// approximate, the exact trim it amounted to (Redis 7's rewrite).
func emitXAdd(pc *propCall) {
	a := pc.args
	s := pc.stream(a[1])
	if s == nil {
		pc.verbatim()
		return
	}
	trim := trimClause{strategy: -1, limit: -1}
	i := 2
	for ; i < len(a); i++ {
		switch {
		case eqFold(a[i], "nomkstream"):
		case (eqFold(a[i], "maxlen") || eqFold(a[i], "minid")) && i+1 < len(a):
			trim.strategy, trim.minID = i, eqFold(a[i], "minid")
			if string(a[i+1]) == "~" || string(a[i+1]) == "=" {
				trim.approx = string(a[i+1]) == "~"
				i++
			}
			trim.threshold = i + 1
			i++
		case eqFold(a[i], "limit") && i+1 < len(a):
			trim.limit = i
			i++
		default:
			goto found
		}
	}
found:
	if i >= len(a) {
		pc.verbatim()
		return
	}
	writeTrimmed(pc, s, trim, i)
}

// writeTrimmed writes args with the trim clause made exact and, when
// idPos >= 0, the ID argument replaced by the stream's last ID.
func writeTrimmed(pc *propCall, s *types.Stream, trim trimClause, idPos int) {
	a := pc.args
	skip := func(j int) bool {
		if trim.limit >= 0 && trim.approx && (j == trim.limit || j == trim.limit+1) {
			return true
		}
		return false
	}
	n := 0
	for j := range a {
		if !skip(j) {
			n++
		}
	}
	pc.p.begin(n)
	for j := 0; j < len(a); j++ {
		switch {
		case skip(j):
		case j == idPos:
			pc.p.sid(s.LastID())
		case trim.approx && j == trim.strategy:
			pc.p.arg(a[j])
			pc.p.str("=")
			if trim.threshold == j+2 {
				j++ // the "~" that was there
			}
		case trim.approx && j == trim.threshold:
			if trim.minID {
				pc.p.sid(firstStreamID(s))
			} else {
				pc.p.num(int64(s.Len()))
			}
		default:
			pc.p.arg(a[j])
		}
	}
	pc.p.end(pc.db.ID)
}

// firstStreamID is the first entry's ID; an empty stream gives the
// largest ID (Redis's streamGetEdgeID), which trims nothing more.
func firstStreamID(s *types.Stream) types.StreamID {
	first := types.StreamID{Ms: math.MaxUint64, Seq: math.MaxUint64}
	s.Range(types.StreamID{}, first, false, func(id types.StreamID, _ [][]byte) bool {
		first = id
		return false
	})
	return first
}

// emitXTrim makes approximate trimming exact.
func emitXTrim(pc *propCall) {
	a := pc.args
	s := pc.stream(a[1])
	if s == nil || len(a) < 4 {
		pc.verbatim()
		return
	}
	trim := trimClause{strategy: 2, limit: -1, minID: eqFold(a[2], "minid")}
	trim.threshold = 3
	if string(a[3]) == "~" || string(a[3]) == "=" {
		trim.approx, trim.threshold = string(a[3]) == "~", 4
	}
	for j := trim.threshold + 1; j+1 < len(a); j++ {
		if eqFold(a[j], "limit") {
			trim.limit = j
		}
	}
	if !trim.approx {
		pc.verbatim()
		return
	}
	writeTrimmed(pc, s, trim, -1)
}

// xreadGroupArgs are XREADGROUP's group, consumer, NOACK and streams.
type xreadGroupArgs struct {
	group, consumer []byte
	noack           bool
	keys, ids       [][]byte
}

func parseXReadGroupArgs(a [][]byte) (x xreadGroupArgs, ok bool) {
	for i := 1; i < len(a); i++ {
		switch {
		case eqFold(a[i], "group") && i+2 < len(a):
			x.group, x.consumer = a[i+1], a[i+2]
			i += 2
		case eqFold(a[i], "noack"):
			x.noack = true
		case (eqFold(a[i], "count") || eqFold(a[i], "block")) && i+1 < len(a):
			i++
		case eqFold(a[i], "streams"):
			rest := a[i+1:]
			if len(rest) == 0 || len(rest)%2 != 0 || x.group == nil {
				return x, false
			}
			x.keys, x.ids = rest[:len(rest)/2], rest[len(rest)/2:]
			return x, true
		}
	}
	return x, false
}

// preXReadGroup notes which streams already have the consumer, so that
// one the call creates is propagated even when nothing was delivered.
func preXReadGroup(pc *propCall) {
	pc.p.pre = pc.p.pre[:0]
	x, ok := parseXReadGroupArgs(pc.args)
	if !ok {
		return
	}
	for _, k := range x.keys {
		pc.p.pre = append(pc.p.pre, pc.hasConsumer(k, x.group, x.consumer))
	}
}

func (pc *propCall) hasConsumer(key, group, consumer []byte) bool {
	if s := pc.stream(key); s != nil {
		if g := s.Group(string(group)); g != nil {
			return g.Consumer(string(consumer)) != nil
		}
	}
	return false
}

// createdConsumers propagates the consumers the call created
// (XGROUP CREATECONSUMER).
func createdConsumers(pc *propCall) { createdConsumersExcept(pc, nil) }

// createdConsumersExcept is createdConsumers but for the streams marked
// in done, whose XCLAIMs recreate the consumer.
func createdConsumersExcept(pc *propCall, done []bool) {
	x, ok := parseXReadGroupArgs(pc.args)
	if !ok || len(pc.p.pre) != len(x.keys) {
		return
	}
	for i, k := range x.keys {
		if pc.p.pre[i] || (done != nil && done[i]) || !pc.hasConsumer(k, x.group, x.consumer) {
			continue
		}
		pc.p.command(pc.db.ID, []byte("XGROUP"), []byte("CREATECONSUMER"), k, x.group, x.consumer)
	}
}

// emitXReadGroup writes each delivered entry as the XCLAIM that makes it
// pending for the consumer with its delivery time and count (Redis's
// streamPropagateXCLAIM), and after new entries the group's last ID and
// read counter (XGROUP SETID ... ENTRIESREAD), so the group's lag
// survives a reload.
func emitXReadGroup(pc *propCall) {
	x, ok := parseXReadGroupArgs(pc.args)
	if !ok {
		return
	}
	v, _, _ := parseReply(pc.reply)
	claimed := make([]bool, len(x.keys))
	for i, key := range x.keys {
		s := pc.stream(key)
		if s == nil {
			continue
		}
		g := s.Group(string(x.group))
		if g == nil {
			continue
		}
		entries := replyStreamEntries(v, key)
		if len(entries) == 0 {
			continue
		}
		for _, ent := range entries {
			id, ok := entryID(ent)
			if !ok || x.noack {
				continue
			}
			e := g.Pending(id)
			if e == nil || e.Consumer == nil || e.Consumer.Name != string(x.consumer) {
				continue
			}
			pc.p.raw(pc.db.ID, persistence.AppendXClaim(nil, string(key), g.Name, e.Consumer.Name, e, &g.LastID))
			claimed[i] = true
		}
		if string(x.ids[i]) == ">" {
			pc.p.begin(7)
			pc.p.str("XGROUP")
			pc.p.str("SETID")
			pc.p.arg(key)
			pc.p.arg(x.group)
			pc.p.sid(g.LastID)
			pc.p.str("ENTRIESREAD")
			pc.p.num(g.EntriesRead)
			pc.p.end(pc.db.ID)
		}
	}
	createdConsumersExcept(pc, claimed)
}

// replyStreamEntries finds key's entries in an XREADGROUP reply: an
// array of [key, entries] pairs (RESP2) or a map (RESP3).
func replyStreamEntries(v replyValue, key []byte) []replyValue {
	if v.kind == '%' {
		for i := 0; i+1 < len(v.elems); i += 2 {
			if string(v.elems[i].str) == string(key) {
				return v.elems[i+1].elems
			}
		}
		return nil
	}
	for _, pair := range v.elems {
		if len(pair.elems) == 2 && string(pair.elems[0].str) == string(key) {
			return pair.elems[1].elems
		}
	}
	return nil
}

// entryID reads the ID of a reply entry: [id, fields] or a bare ID.
func entryID(v replyValue) (types.StreamID, bool) {
	if v.isAggregate() {
		if len(v.elems) == 0 {
			return types.StreamID{}, false
		}
		v = v.elems[0]
	}
	id, _, ok := parseStreamID(v.str, 0, true, false)
	return id, ok
}

// xclaimIDs are XCLAIM's ID arguments: from args[5] up to the first that
// is not an ID.
func xclaimIDs(a [][]byte) []types.StreamID {
	var ids []types.StreamID
	for j := 5; j < len(a); j++ {
		id, _, ok := parseStreamID(a[j], 0, true, false)
		if !ok {
			break
		}
		ids = append(ids, id)
	}
	return ids
}

// preXClaim notes which IDs were pending: one that no longer is after
// the call had its message deleted, and is acknowledged in the AOF.
func preXClaim(pc *propCall) {
	pc.p.pre = pc.p.pre[:0]
	if len(pc.args) < 6 {
		return
	}
	var g *types.StreamGroup
	if s := pc.stream(pc.args[1]); s != nil {
		g = s.Group(string(pc.args[2]))
	}
	for _, id := range xclaimIDs(pc.args) {
		pc.p.pre = append(pc.p.pre, g != nil && g.Pending(id) != nil)
	}
}

func emitXClaim(pc *propCall) {
	a := pc.args
	s := pc.stream(a[1])
	if s == nil {
		return
	}
	g := s.Group(string(a[2]))
	if g == nil {
		return
	}
	ids := xclaimIDs(a)
	lastID := false
	for j := 5 + len(ids); j < len(a); j++ {
		if eqFold(a[j], "lastid") {
			lastID = true
		}
	}
	v, _, _ := parseReply(pc.reply)
	claims := 0
	for _, ent := range v.elems {
		id, ok := entryID(ent)
		if !ok {
			continue
		}
		if e := g.Pending(id); e != nil && e.Consumer != nil {
			pc.p.raw(pc.db.ID, persistence.AppendXClaim(nil, string(a[1]), g.Name, e.Consumer.Name, e, &g.LastID))
			claims++
		}
	}
	var gone [][]byte
	for i, id := range ids {
		if i < len(pc.p.pre) && pc.p.pre[i] && g.Pending(id) == nil {
			gone = append(gone, []byte(id.String()))
		}
	}
	if len(gone) > 0 {
		pc.p.command(pc.db.ID, append([][]byte{[]byte("XACK"), a[1], a[2]}, gone...)...)
	}
	if lastID && claims == 0 {
		pc.p.begin(7)
		pc.p.str("XGROUP")
		pc.p.str("SETID")
		pc.p.arg(a[1])
		pc.p.arg(a[2])
		pc.p.sid(g.LastID)
		pc.p.str("ENTRIESREAD")
		pc.p.num(g.EntriesRead)
		pc.p.end(pc.db.ID)
	}
}

// emitXAutoClaim writes the claimed entries as XCLAIMs and the entries
// dropped because their message was deleted as XACK.
func emitXAutoClaim(pc *propCall) {
	a := pc.args
	s := pc.stream(a[1])
	if s == nil {
		return
	}
	g := s.Group(string(a[2]))
	if g == nil {
		return
	}
	v, _, ok := parseReply(pc.reply)
	if !ok || len(v.elems) < 2 {
		return
	}
	for _, ent := range v.elems[1].elems {
		id, ok := entryID(ent)
		if !ok {
			continue
		}
		if e := g.Pending(id); e != nil && e.Consumer != nil {
			pc.p.raw(pc.db.ID, persistence.AppendXClaim(nil, string(a[1]), g.Name, e.Consumer.Name, e, nil))
		}
	}
	if len(v.elems) > 2 && len(v.elems[2].elems) > 0 {
		pc.p.begin(3 + len(v.elems[2].elems))
		pc.p.str("XACK")
		pc.p.arg(a[1])
		pc.p.arg(a[2])
		for _, id := range v.elems[2].elems {
			pc.p.arg(id.str)
		}
		pc.p.end(pc.db.ID)
	}
}

// --- replies ----------------------------------------------------------

// replyValue is a parsed reply, for the rules that read what a command
// answered (the members SPOP popped, the entries XREADGROUP delivered).
type replyValue struct {
	kind  byte // the RESP type byte
	str   []byte
	elems []replyValue // arrays, sets, pushes; maps as key, value, ...
	null  bool
}

func (v replyValue) isBulk() bool { return (v.kind == '$' || v.kind == '+') && !v.null }
func (v replyValue) isAggregate() bool {
	return (v.kind == '*' || v.kind == '~' || v.kind == '%' || v.kind == '>') && !v.null
}

// parseReply parses one RESP2/RESP3 value from b.
func parseReply(b []byte) (replyValue, int, bool) {
	return parseReplyDepth(b, 0)
}

func parseReplyDepth(b []byte, depth int) (replyValue, int, bool) {
	if len(b) < 3 || depth > 32 {
		return replyValue{}, 0, false
	}
	line := indexCRLF(b)
	if line < 0 {
		return replyValue{}, 0, false
	}
	v := replyValue{kind: b[0]}
	head, rest := b[1:line], line+2
	switch v.kind {
	case '+', '-', ':', ',', '(', '#':
		v.str = head
		return v, rest, true
	case '_':
		v.null = true
		return v, rest, true
	case '$', '=', '!':
		n, err := strconv.Atoi(string(head))
		if err != nil {
			return v, 0, false
		}
		if n < 0 {
			v.null = true
			return v, rest, true
		}
		if rest+n+2 > len(b) {
			return v, 0, false
		}
		v.str = b[rest : rest+n]
		if v.kind == '=' && len(v.str) >= 4 {
			v.str = v.str[4:] // "txt:"
		}
		return v, rest + n + 2, true
	case '*', '~', '%', '>', '|':
		n, err := strconv.Atoi(string(head))
		if err != nil {
			return v, 0, false
		}
		if n < 0 {
			v.null = true
			return v, rest, true
		}
		if v.kind == '%' || v.kind == '|' {
			n *= 2
		}
		if n > len(b) {
			return v, 0, false
		}
		v.elems = make([]replyValue, 0, n)
		for i := 0; i < n; i++ {
			e, used, ok := parseReplyDepth(b[rest:], depth+1)
			if !ok {
				return v, 0, false
			}
			rest += used
			v.elems = append(v.elems, e)
		}
		if v.kind == '|' {
			// An attribute precedes the value it describes.
			next, used, ok := parseReplyDepth(b[rest:], depth+1)
			return next, rest + used, ok
		}
		return v, rest, true
	}
	return v, 0, false
}

func indexCRLF(b []byte) int {
	for i := 0; i+1 < len(b); i++ {
		if b[i] == '\r' && b[i+1] == '\n' {
			return i
		}
	}
	return -1
}
