//go:build !linux

package server

import "syscall"

// Elsewhere connections keep net.Conn's calls.
const rawCallsAvailable = false

func rawRead(int, []byte) (int, syscall.Errno)  { return 0, syscall.ENOSYS }
func rawWrite(int, []byte) (int, syscall.Errno) { return 0, syscall.ENOSYS }
