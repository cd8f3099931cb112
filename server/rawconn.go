package server

import (
	"io"
	"net"
	"os"
	"sync"
	"syscall"
)

// rawConn reads and writes a client's socket with raw system calls, still
// waiting for it through Go's network poller when it is not ready.
//
// The socket is non-blocking, so its reads and writes never wait in the
// kernel; what net.Conn adds around them is the runtime's bookkeeping for
// calls that might (entersyscall, exitsyscall), and that is not free with
// one processor: whenever the processor has gone idle between requests,
// the next system call entered that way wakes the runtime's monitor thread
// (sysmon) from its deep sleep, which then polls every 20 µs until the
// processor idles again. At -P 1 with 50 clients that was about a tenth of
// the server's CPU (a futex wake, and a nanosleep every 20 µs on a core
// the clients need). Raw calls leave the monitor asleep; it still wakes
// for timers, and from then on preempts long-running goroutines as usual.
type rawConn struct {
	net.Conn
	rc syscall.RawConn

	// The callbacks and their state are made once, so that a call
	// allocates nothing; each side has its own lock because a callback
	// reads its arguments from the struct.
	rmu    sync.Mutex
	rp     []byte
	rn     int
	rerr   error
	readFn func(fd uintptr) bool

	wmu     sync.Mutex
	wp      []byte
	wn      int
	werr    error
	writeFn func(fd uintptr) bool
}

// wrapRawConn returns nc's raw-call wrapper, or nc itself when it has no
// file descriptor or raw calls are not available.
func wrapRawConn(nc net.Conn) net.Conn {
	if !rawCallsAvailable {
		return nc
	}
	sc, ok := nc.(syscall.Conn)
	if !ok {
		return nc
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return nc
	}
	c := &rawConn{Conn: nc, rc: rc}
	c.readFn = c.readOnce
	c.writeFn = c.writeOnce
	return c
}

func (c *rawConn) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	c.rmu.Lock()
	defer c.rmu.Unlock()
	c.rp, c.rn, c.rerr = p, 0, nil
	err := c.rc.Read(c.readFn)
	n := c.rn
	if err == nil {
		err = c.rerr
	}
	c.rp, c.rerr = nil, nil
	if n == 0 && err == nil {
		return 0, io.EOF
	}
	return n, err
}

// readOnce is the poller's callback: false means "not ready, wait".
func (c *rawConn) readOnce(fd uintptr) bool {
	for {
		n, errno := rawRead(int(fd), c.rp)
		switch errno {
		case 0:
			c.rn = n
			return true
		case syscall.EINTR:
			continue
		case syscall.EAGAIN:
			return false
		default:
			c.rerr = os.NewSyscallError("read", errno)
			return true
		}
	}
}

func (c *rawConn) Write(p []byte) (int, error) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.wp, c.wn, c.werr = p, 0, nil
	err := c.rc.Write(c.writeFn)
	n := c.wn
	if err == nil {
		err = c.werr
	}
	c.wp, c.werr = nil, nil
	return n, err
}

// writeOnce writes until all is written, the socket is full (false: wait
// until it drains) or an error.
func (c *rawConn) writeOnce(fd uintptr) bool {
	for c.wn < len(c.wp) {
		n, errno := rawWrite(int(fd), c.wp[c.wn:])
		switch errno {
		case 0:
			c.wn += n
		case syscall.EINTR:
		case syscall.EAGAIN:
			return false
		default:
			c.werr = os.NewSyscallError("write", errno)
			return true
		}
	}
	return true
}
