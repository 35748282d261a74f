//go:build unix && !linux

package harness

import (
	"os"
	"syscall"
)

// childAttrs: a process group, so Close kills the server with its children
// (no parent-death signal outside Linux).
func childAttrs() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setpgid: true} }

// killTree kills the server's process group: the server and its children.
func killTree(p *os.Process) { _ = syscall.Kill(-p.Pid, syscall.SIGKILL) }
