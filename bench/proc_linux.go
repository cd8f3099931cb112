package main

import "syscall"

// childProcAttr puts each child in its own process group (so one kill takes
// the whole tree) and asks the kernel to SIGKILL it if the harness dies
// without cleaning up, so no server is ever left orphaned.
func childProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
