//go:build !linux

package compat

import "syscall"

// serverProcAttr puts redis-server in its own process group.
func serverProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
