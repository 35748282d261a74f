//go:build unix

package main

import (
	"os"
	"syscall"
)

// groupAttrs puts moto_server in a process group of its own, so that
// killGroup reaches whatever it started.
func groupAttrs() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setpgid: true} }

func killGroup(p *os.Process) { _ = syscall.Kill(-p.Pid, syscall.SIGKILL) }
