package harness

import "syscall"

// childAttrs puts a server in its own process group (Close kills the
// group) and has the kernel kill it when this process dies however it
// dies — a test timeout, a panic, SIGKILL — so no server outlives its test.
func childAttrs() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
