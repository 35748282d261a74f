package harness

import (
	"os"
	"syscall"
)

// childAttrs puts a server in its own process group (Close kills the
// group) and has the kernel kill it when this process dies however it
// dies — a test timeout, a panic, SIGKILL — so no server outlives its test.
func childAttrs() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

// killTree kills the server's process group: the server and its children.
func killTree(p *os.Process) { _ = syscall.Kill(-p.Pid, syscall.SIGKILL) }
