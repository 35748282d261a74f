//go:build unix

package e2e

import (
	"os"
	"syscall"
)

// ownerUID is fi's numeric owner.
func ownerUID(fi os.FileInfo) int { return int(fi.Sys().(*syscall.Stat_t).Uid) }
