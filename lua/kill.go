package lua

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// killSwitch is the context.Context the Lua state checks between
// instructions, so that SCRIPT KILL can stop any script. gopher-lua offers
// no other way to interrupt a running state.
//
// A context per run (context.WithCancel) costs three allocations and a
// channel on every EVALSHA, and switching the state's main loop on and off
// around each run gains nothing. So one switch stays set on the state
// across runs, and is replaced only once it has fired or once a coroutine
// derived a context from it: gopher-lua gives each coroutine a child
// context, which the end of the run must cancel (as cancelling the per-run
// context did) so that it cannot outlive the run.
type killSwitch struct {
	done chan struct{}
	// used: the switch fired or has derived contexts; it must not serve
	// another run.
	used atomic.Bool

	mu     sync.Mutex
	fired  bool
	afters []*afterFunc
}

type afterFunc struct{ f func() }

func newKillSwitch() *killSwitch { return &killSwitch{done: make(chan struct{})} }

func (k *killSwitch) Deadline() (time.Time, bool) { return time.Time{}, false }
func (k *killSwitch) Done() <-chan struct{}       { return k.done }
func (k *killSwitch) Value(any) any               { return nil }

func (k *killSwitch) Err() error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.fired {
		return context.Canceled
	}
	return nil
}

// AfterFunc lets context.WithCancel derive the coroutines' contexts from
// the switch without a goroutine per coroutine (the context package's
// afterFuncer).
func (k *killSwitch) AfterFunc(f func()) (stop func() bool) {
	k.used.Store(true)
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.fired {
		// The caller holds its own lock while it registers f.
		go f()
		return func() bool { return false }
	}
	a := &afterFunc{f: f}
	k.afters = append(k.afters, a)
	return func() bool {
		k.mu.Lock()
		defer k.mu.Unlock()
		registered := a.f != nil
		a.f = nil
		return registered
	}
}

// fire cancels the switch and every context derived from it.
func (k *killSwitch) fire() {
	k.used.Store(true)
	k.mu.Lock()
	if k.fired {
		k.mu.Unlock()
		return
	}
	k.fired = true
	close(k.done)
	var fs []func()
	for _, a := range k.afters {
		if a.f != nil {
			fs = append(fs, a.f)
			a.f = nil
		}
	}
	k.afters = nil
	k.mu.Unlock()
	for _, f := range fs {
		f()
	}
}
