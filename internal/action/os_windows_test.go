//go:build windows

package action_test

import (
	"errors"
	"os"

	"golang.org/x/sys/windows"
)

// lockAsAnother takes f's lock the way another process would: LockFileEx
// on the first byte, as the action's own lock (a lock of another handle
// conflicts with ours).
func lockAsAnother(f *os.File) error {
	return windows.LockFileEx(windows.Handle(f.Fd()), windows.LOCKFILE_EXCLUSIVE_LOCK, 0, 1, 0, new(windows.Overlapped))
}

// ownerUID: Windows files have no numeric owner (tests that check one
// skip there first).
func ownerUID(os.FileInfo) int { return -1 }

func ownerGID(os.FileInfo) int { return -1 }

func mkfifo(string) error { return errors.New("no named pipes in the file system on Windows") }
