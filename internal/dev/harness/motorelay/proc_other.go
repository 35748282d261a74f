//go:build !unix

package main

import (
	"os"
	"syscall"
)

// The relay runs on Linux; on Windows this program is only the stand-in.
func groupAttrs() *syscall.SysProcAttr { return nil }

func killGroup(p *os.Process) { _ = p.Kill() }
