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
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	if err := rc.Control(func(fd uintptr) {
		for {
			serr = syscall.Fdatasync(int(fd))
			if serr != syscall.EINTR {
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
