//go:build linux

package persistence

import (
	"os"
	"syscall"
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
