//go:build unix

package action_test

import (
	"os"
	"syscall"
)

// lockAsAnother takes f's lock the way another process would: flock on a
// separate open file description conflicts with our own.
func lockAsAnother(f *os.File) error { return syscall.Flock(int(f.Fd()), syscall.LOCK_EX) }

// ownerUID is fi's numeric owner.
func ownerUID(fi os.FileInfo) int { return int(fi.Sys().(*syscall.Stat_t).Uid) }

// ownerGID is fi's numeric group.
func ownerGID(fi os.FileInfo) int { return int(fi.Sys().(*syscall.Stat_t).Gid) }

func mkfifo(p string) error { return syscall.Mkfifo(p, 0o600) }
