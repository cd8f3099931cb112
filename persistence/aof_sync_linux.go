//go:build linux

package persistence

import (
	"io"
	"os"
	"syscall"
	"unsafe"
)

// SyncData flushes a file's data to disk with fdatasync, as Redis's
// redis_fsync does on Linux: an append-only file needs its bytes and
// size durable, not its timestamps, and skipping those saves a journal
// write per sync.
func SyncData(f *os.File) error {
	return fdatasync(f, func(fd uintptr) error { return syscall.Fdatasync(int(fd)) })
}

// SyncDataInline is SyncData without telling the Go scheduler that the
// goroutine is in a system call: its processor waits out the fdatasync
// instead of being handed to another thread, which with GOMAXPROCS=1 is
// Redis's single thread waiting for its fsync. Only for a caller that
// would wait for the sync anyway and that nothing else must wait on for
// long: the collector's stop-the-world waits for it too.
func SyncDataInline(f *os.File) error {
	return fdatasync(f, func(fd uintptr) error {
		if _, _, e := syscall.RawSyscall(syscall.SYS_FDATASYNC, fd, 0, 0); e != 0 {
			return e
		}
		return nil
	})
}

// WriteInline writes p to f as f.Write does, without telling the Go
// scheduler that the goroutine is in a system call (see SyncDataInline):
// entering a call the scheduler's way wakes its monitor thread whenever
// the processor idled before, which a server writing its append-only
// file between requests pays again and again. The processor waits out a
// write the kernel holds up, as Redis's thread does.
func WriteInline(f *os.File, p []byte) (int, error) {
	rc, err := f.SyscallConn()
	if err != nil {
		return 0, err
	}
	n := 0
	var werr error
	if err := rc.Control(func(fd uintptr) {
		for n < len(p) {
			m, _, e := syscall.RawSyscall(syscall.SYS_WRITE, fd, uintptr(unsafe.Pointer(&p[n])), uintptr(len(p)-n))
			switch {
			case e == syscall.EINTR:
			case e != 0:
				werr = e
				return
			case m == 0:
				werr = io.ErrShortWrite
				return
			default:
				n += int(m)
			}
		}
	}); err != nil {
		// Control fails only on a closed file; f.Write says so this way.
		return 0, &os.PathError{Op: "write", Path: f.Name(), Err: os.ErrClosed}
	}
	if werr != nil {
		return n, &os.PathError{Op: "write", Path: f.Name(), Err: werr}
	}
	return n, nil
}

// fdatasync runs sync on f's descriptor, again after EINTR.
func fdatasync(f *os.File, sync func(fd uintptr) error) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	if err := rc.Control(func(fd uintptr) {
		for {
			if serr = sync(fd); serr != syscall.EINTR {
				return
			}
		}
	}); err != nil {
		return err
	}
	if serr != nil {
		return &os.PathError{Op: "fdatasync", Path: f.Name(), Err: serr}
	}
	return nil
}
