//go:build unix && !linux

package harness

import "syscall"

// childAttrs: a process group, so Close kills the server with its children
// (no parent-death signal outside Linux).
func childAttrs() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setpgid: true} }
