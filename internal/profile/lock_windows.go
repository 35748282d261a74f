//go:build windows

package profile

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"golang.org/x/sys/windows"
)

// lock takes an exclusive lock (LockFileEx on the first byte) on path's
// lock file (path + ".lock" beside it, left in place, as on unix) and
// returns its release. It is tried without blocking and again every
// lockPoll until ctx is done (the action's timeout, SIGTERM). The lock
// file is never a link or anything but a regular file; it is only opened,
// never written. Windows releases the lock when the process dies.
func lock(ctx context.Context, path string, _ *Owner) (func(), error) {
	name := path + ".lock"
	if fi, err := os.Lstat(name); err == nil && !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("locking %s: %s is not a regular file", path, name)
	} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("locking %s: %w", path, err)
	}
	f, err := os.OpenFile(name, os.O_RDONLY|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("locking %s: %w", path, err)
	}
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("locking %s: %s is not a regular file", path, name)
	}
	h := windows.Handle(f.Fd())
	err = pollLock(ctx, path, name, f, func() (bool, error) {
		err := windows.LockFileEx(h, windows.LOCKFILE_EXCLUSIVE_LOCK|windows.LOCKFILE_FAIL_IMMEDIATELY, 0, 1, 0, new(windows.Overlapped))
		if err == nil {
			return true, nil
		}
		if errors.Is(err, windows.ERROR_LOCK_VIOLATION) || errors.Is(err, windows.ERROR_IO_PENDING) {
			return false, nil
		}
		return false, err
	})
	if err != nil {
		return nil, err
	}
	return func() {
		windows.UnlockFileEx(h, 0, 1, 0, new(windows.Overlapped))
		f.Close()
	}, nil
}
