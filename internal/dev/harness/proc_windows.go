package harness

import (
	"os"
	"syscall"
)

// childAttrs: nothing on Windows (no process groups as Close uses them on
// Unix, no parent-death signal); Close kills the server process itself.
func childAttrs() *syscall.SysProcAttr { return nil }

// killTree kills the server (its children, if any, are not reached).
func killTree(p *os.Process) { _ = p.Kill() }
