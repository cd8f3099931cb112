//go:build linux

package compat

import "syscall"

// serverProcAttr puts redis-server in its own process group and has the
// kernel kill it if the test binary dies before t.Cleanup runs (a panic or
// a -timeout), so no server outlives the tests.
func serverProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
