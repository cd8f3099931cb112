package server

import (
	"sync"
	"time"
)

// pauseState is CLIENT PAUSE: until the deadline (or CLIENT UNPAUSE),
// clients' commands wait before running: all of them, or in WRITE mode the
// ones that may change data. A waiting client holds no lock.
type pauseState struct {
	mu      sync.Mutex
	until   time.Time
	all     bool
	resumed chan struct{} // closed by stop or a new pause
}

func (p *pauseState) start(d time.Duration, all bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	until := time.Now().Add(d)
	// A second pause extends the deadline and can only widen the mode,
	// as in Redis.
	if p.active() {
		if until.Before(p.until) {
			until = p.until
		}
		all = all || p.all
		close(p.resumed)
	}
	p.until, p.all = until, all
	p.resumed = make(chan struct{})
}

func (p *pauseState) stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.resumed != nil && p.active() {
		close(p.resumed)
		p.resumed = nil
	}
	p.until = time.Time{}
}

// active reports whether a pause is in force; p.mu held.
func (p *pauseState) active() bool { return !p.until.IsZero() && time.Now().Before(p.until) }

// mayWrite reports whether running (or queuing) cmd may change data, for
// CLIENT PAUSE WRITE: a write or may-replicate command, or the EXEC of a
// transaction that holds one (Redis's is_may_replicate_command).
func (c *Client) mayWrite(cmd *Command) bool {
	return cmd.has(flagWrite|flagMayReplicate) || cmd.Name == "exec" && c.tx.writes
}

// wait holds a command while a pause applies to it; mayWrite is
// Client.mayWrite. CLIENT UNPAUSE and PAUSE themselves always run, so a
// paused server can be resumed.
func (p *pauseState) wait(cmd *Command, mayWrite bool) {
	if cmd.Name == "client|unpause" || cmd.Name == "client|pause" {
		return
	}
	for {
		p.mu.Lock()
		if !p.active() || !(p.all || mayWrite) {
			p.mu.Unlock()
			return
		}
		until, resumed := p.until, p.resumed
		p.mu.Unlock()
		t := time.NewTimer(time.Until(until))
		select {
		case <-t.C:
		case <-resumed:
		}
		t.Stop()
	}
}
