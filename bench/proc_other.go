//go:build !linux

package main

import "syscall"

// childProcAttr puts each child in its own process group so one kill takes
// the whole tree. Outside Linux there is no Pdeathsig, and no /proc for RSS:
// the harness is meant for Linux.
func childProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
