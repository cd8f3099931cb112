package server

import (
	"os"
	"runtime"
	"syscall"
	"time"
)

// pollYield lets a goroutine step aside until the Go scheduler has run
// every goroutine that is ready and polled the network once: then every
// client whose request has arrived has been read and served.
//
// runtime.Gosched is not enough for that. A goroutine that yields goes to
// the global run queue, which the scheduler serves before it polls the
// network; a goroutine that keeps yielding can run again and again while
// requests wait unread in their sockets. pollYield instead makes a pipe
// readable and waits for it through the netpoller, so it is woken in the
// same poll as the clients' sockets, not before.
//
// The AOF's group commit uses it (aofAwait): with appendfsync always, the
// client that is to write and fsync for everybody waits first for the
// requests already on their way, as Redis's event loop reads all that is
// ready before it fsyncs once for all of them.
type pollYield struct {
	r, w     *os.File
	rc, wrc  syscall.RawConn
	signalFn func(fd uintptr) // signal, made once
	errno    syscall.Errno
}

// pollYieldTimeout bounds a wait that should end at the next poll.
const pollYieldTimeout = 10 * time.Millisecond

// newPollYield returns nil when the pipe cannot be made; wait then only
// yields.
func newPollYield() *pollYield {
	r, w, err := os.Pipe()
	if err != nil {
		return nil
	}
	rc, err := r.SyscallConn()
	if err == nil {
		var wrc syscall.RawConn
		if wrc, err = w.SyscallConn(); err == nil {
			y := &pollYield{r: r, w: w, rc: rc, wrc: wrc}
			y.signalFn = y.signal
			return y
		}
	}
	r.Close()
	w.Close()
	return nil
}

// signal writes a byte to the pipe, with a raw call where there are raw
// calls (rawconn.go).
func (y *pollYield) signal(fd uintptr) {
	if rawCallsAvailable {
		_, y.errno = rawWrite(int(fd), pollYieldByte)
		return
	}
	_, err := syscall.Write(int(fd), pollYieldByte)
	y.errno = 0
	if err != nil {
		y.errno = syscall.EIO
	}
}

var pollYieldByte = []byte{1}

// wait returns after the next network poll. One goroutine at a time.
func (y *pollYield) wait() {
	if y == nil {
		runtime.Gosched()
		return
	}
	_ = y.r.SetReadDeadline(time.Now().Add(pollYieldTimeout))
	armed := false
	err := y.rc.Read(func(fd uintptr) bool {
		if !armed {
			// The pipe is empty: this write is an edge the poller
			// reports at its next poll, which wakes this goroutine.
			armed = true
			if y.wrc.Control(y.signalFn) != nil || y.errno != 0 {
				return true
			}
			return false
		}
		drainPipe(int(fd))
		return true
	})
	if err != nil {
		// Timed out or closed: make sure the next wait starts empty.
		_ = y.rc.Control(func(fd uintptr) { drainPipe(int(fd)) })
	}
}

// drainPipe reads a non-blocking pipe until it is empty.
func drainPipe(fd int) {
	var buf [16]byte
	for {
		var n int
		if rawCallsAvailable {
			var errno syscall.Errno
			if n, errno = rawRead(fd, buf[:]); errno != 0 {
				return
			}
		} else {
			var err error
			if n, err = syscall.Read(fd, buf[:]); err != nil {
				return
			}
		}
		if n < len(buf) {
			return // a short read emptied it
		}
	}
}

func (y *pollYield) close() {
	if y != nil {
		y.r.Close()
		y.w.Close()
	}
}
