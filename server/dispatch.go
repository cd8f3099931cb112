package server

import (
	"fmt"
	"runtime/debug"
	"strings"
	"sync/atomic"
	"time"

	"github.com/kioku-db/kioku/resp"
)

type serverStats struct {
	commands      atomic.Int64
	totalConns    atomic.Int64
	rejectedConns atomic.Int64
	netInput      atomic.Int64
	netOutput     atomic.Int64
	errorReplies  atomic.Int64
	expiredBase   atomic.Int64 // expired_keys at the last CONFIG RESETSTAT
	peak          atomic.Int64
	opsRate       rateMeter
}

// execute runs one request from a client: resolve the command, check arity
// and authentication, queue it inside MULTI, or call it under the locks it
// needs.
func (s *Server) execute(c *Client, args [][]byte) {
	// CLIENT REPLY OFF / SKIP: the command runs, its reply is dropped.
	skip := c.skipNextReply
	c.skipNextReply = false
	if skip || c.replyOff {
		mark := c.w.Len()
		defer func() {
			if skip || c.replyOff {
				c.w.Truncate(mark)
			}
		}()
	}
	s.dispatch(c, args)
}

func (s *Server) dispatch(c *Client, args [][]byte) {
	cmd, errMsg := resolveCommand(args)
	switch {
	case cmd == nil:
	case !c.authed && !cmd.has(flagNoAuth):
		errMsg = errNoAuth
	case s.refuseForMemory(c, cmd): // evicts as maxmemory-policy allows (evict.go)
		errMsg = errOOM
	case s.aofRefusal(c, cmd) != "": // LOADING, MISCONF (aof.go)
		errMsg = s.aofRefusal(c, cmd)
	case c.pubsubRestricted() && !allowedInPubSub(cmd):
		errMsg = fmt.Sprintf(errInPubSubContext, cmd.Name)
	case s.scripting.busy.Load() && !cmd.has(flagAllowBusy): // cmd_script.go
		errMsg = s.scripting.busyError()
	case c.tx.active && cmd.has(flagNoMulti):
		errMsg = errNotInMulti
	case c.tx.active && !txControl(cmd):
		// Redis holds a paused command even when it is only queued.
		s.pause.wait(cmd, c.mayWrite(cmd))
		c.lastCmd.Store(cmd) // CLIENT LIST shows the last queued command, as Redis
		c.tx.enqueue(cmd, args)
		c.w.Status("QUEUED")
		return
	default:
		s.pause.wait(cmd, c.mayWrite(cmd))
		s.call(c, cmd, args)
		return
	}
	// A rejected command inside MULTI makes the transaction abort at EXEC.
	if c.tx.active {
		c.tx.aborted = true
	}
	if eqFold(args[0], "exec") {
		// Redis's execCommandAbort: a rejected EXEC (arity, NOAUTH,
		// subscribed context) discards the transaction.
		c.tx.reset()
		s.watches.unwatchAll(c)
		errMsg = "EXECABORT Transaction discarded because of: " + strings.TrimPrefix(errMsg, "ERR ")
	}
	s.reject(c, cmd, errMsg)
}

// resolveCommand looks up args[0] (and a container's subcommand) and checks
// the arity, answering Redis's error strings.
func resolveCommand(args [][]byte) (*Command, string) {
	cmd := table.lookup(args[0])
	if cmd == nil {
		return nil, unknownCommandError(args)
	}
	if len(cmd.subs) > 0 && len(args) >= 2 {
		sub := cmd.subcommand(args[1])
		if sub == nil {
			return nil, fmt.Sprintf("ERR unknown subcommand '%.128s'. Try %s HELP.",
				cString(args[1]), upper(cmd.Name))
		}
		cmd = sub
	}
	if !arityOK(cmd.Spec.Arity, len(args)) {
		return nil, wrongArgs(cmd.Name)
	}
	return cmd, ""
}

func arityOK(arity, n int) bool {
	if arity >= 0 {
		return n == arity
	}
	return n >= -arity
}

func unknownCommandError(args [][]byte) string {
	var b []byte
	for _, a := range args[1:] {
		if len(b) >= 128 {
			break
		}
		room := 128 - len(b)
		a = cString(a)
		b = append(b, '\'')
		if len(a) > room {
			a = a[:room]
		}
		b = append(b, a...)
		b = append(b, '\'', ' ')
	}
	return fmt.Sprintf("ERR unknown command '%.128s', with args beginning with: %s", cString(args[0]), b)
}

func (s *Server) reject(c *Client, cmd *Command, msg string) {
	if cmd != nil {
		s.cmdStats[cmd.idx].rejected.Add(1)
	}
	s.stats.errorReplies.Add(1)
	c.w.Error(msg)
}

// call runs cmd with the locks it needs, then serves the clients blocked
// on keys the command made ready.
func (s *Server) call(c *Client, cmd *Command, args [][]byte) {
	// One clock read serves the command's time, the client's idle time and
	// the duration statistics.
	start := time.Now()
	c.now = s.clock.At(start).UnixMilli()
	c.lastInteraction.Store(start.Unix())
	s.lockFor(c, cmd, args)
	for s.blocking.pending.Load() && s.handoffPendingFor(c, cmd, args) {
		// Clients blocked on these keys are about to be served: Redis
		// serves them before any other command runs, so this one waits
		// (with no lock held) rather than take what was pushed for them.
		c.locks.Release()
		s.serveReadyKeys()
		s.lockFor(c, cmd, args)
	}
	s.run(c, cmd, args, monoAt(start))
	if c.locks.Held() {
		c.locks.Release()
	}
	if s.blocking.pending.Load() {
		s.serveReadyKeys()
	}
}

// monoEpoch anchors the monotonic readings of command durations:
// time.Since(monoEpoch) reads one clock where time.Now reads two (wall
// and monotonic), and a script's commands are timed twice each.
var monoEpoch = time.Now()

// monoNow is the monotonic clock in nanoseconds.
func monoNow() int64 { return int64(time.Since(monoEpoch)) }

// monoAt is t on the monotonic clock of monoNow, with no clock read.
func monoAt(t time.Time) int64 { return int64(t.Sub(monoEpoch)) }

// callHeld runs a command of a transaction: the keyspace is already held,
// and the transaction's time (c.now) stays the same for all its commands.
func (s *Server) callHeld(c *Client, cmd *Command, args [][]byte) {
	s.run(c, cmd, args, monoNow())
}

// run calls the handler and records the command's statistics. A panic in
// a handler is answered as an error: bad input must never kill the server.
func (s *Server) run(c *Client, cmd *Command, args [][]byte, began int64) {
	c.cmd = cmd
	c.lastCmd.Store(cmd)
	mark := c.w.Len()
	prop := s.aof.on.Load() && s.propBegin(c, cmd, args) // AOF (propagate.go)
	dirty := c.locks.Dirty()
	events := s.beginCommandEvents(c, cmd)
	s.runHandler(c, cmd, args)
	if prop {
		s.propEnd(c, cmd, args, mark, dirty)
	}
	if events {
		s.endCommandEvents(c, cmd)
	}
	st := &s.cmdStats[cmd.idx]
	st.calls.Add(1)
	st.usec.Add((monoNow() - began) / 1000)
	s.stats.commands.Add(1)
	if buf := c.w.Buffer(); len(buf) > mark && buf[mark] == '-' {
		st.failed.Add(1)
		s.stats.errorReplies.Add(1)
	}
}

func (s *Server) runHandler(c *Client, cmd *Command, args [][]byte) {
	mark := c.w.Len()
	defer func() {
		if r := recover(); r == resp.ErrReplyTooLarge {
			c.w.Truncate(mark)
			c.w.Error(errReplyTooLarge)
		} else if r != nil {
			s.logf("panic in %s: %v\n%s", cmd.Name, r, debug.Stack())
			c.w.Error(fmt.Sprintf("ERR internal error in '%s' command", cmd.Name))
		}
	}()
	cmd.handler(c, args)
}

// lockFor takes the keyspace locks cmd needs for this call.
func (s *Server) lockFor(c *Client, cmd *Command, args [][]byte) {
	switch cmd.lock {
	case lockNone:
		return
	case lockAll:
		c.locks.All(s.store)
		return
	}
	keys, ok := cmd.keyArgs(args, c.keyBuf[:0])
	if !ok {
		c.locks.All(s.store)
		return
	}
	if len(keys) == 0 {
		return
	}
	c.locks.Keys(s.store, c.db, keys)
}

// handoffPendingFor reports whether a key of this call (with its locks
// held) was made ready for blocked clients that are not served yet.
func (s *Server) handoffPendingFor(c *Client, cmd *Command, args [][]byte) bool {
	if cmd.lock != lockKeys || !c.locks.Held() {
		return false
	}
	keys, ok := cmd.keyArgs(args, c.keyBuf[:0])
	return ok && len(keys) > 0 && s.blocking.handoffPending(c.db, keys)
}

func upper(s string) string {
	b := []byte(s)
	for i, ch := range b {
		if ch >= 'a' && ch <= 'z' {
			b[i] = ch - ('a' - 'A')
		}
	}
	return string(b)
}
