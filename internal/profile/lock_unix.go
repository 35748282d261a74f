//go:build unix

package profile

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"

	"github.com/org/aws-oidc-go/internal/filesafe"
)

// lock takes an exclusive advisory lock on path's lock file (path + ".lock"
// beside it, left in place: removing a lock file races with the next
// writer) and returns its release. It gives up when ctx is done (the
// action's timeout, SIGTERM). A lock file we create is 0600 and handed to
// owner; an existing one is only opened for reading, never through a link,
// and must be a regular file.
func lock(ctx context.Context, path string, owner *Owner) (func(), error) {
	name := path + ".lock"
	f, err := os.OpenFile(name, os.O_RDONLY|os.O_CREATE|os.O_EXCL|filesafe.NoFollow, 0o600)
	switch {
	case err == nil:
		switch {
		case owner != nil:
			if err := f.Chown(owner.UID, owner.GID); err != nil {
				f.Close()
				return nil, fmt.Errorf("locking %s: handing %s to the runner's user: %w", path, name, err)
			}
		case ownerOfDir(path) != nil:
			// The directory's owner, so that a root post step leaves no
			// root-owned lock file; a user who cannot chown keeps it.
			o := ownerOfDir(path)
			_ = f.Chown(o.UID, o.GID)
		}
	case errors.Is(err, fs.ErrExist):
		f, err = os.OpenFile(name, os.O_RDONLY|filesafe.NoFollow|filesafe.NonBlock, 0)
		if err != nil {
			return nil, fmt.Errorf("locking %s: %w", path, err)
		}
		if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
			f.Close()
			return nil, fmt.Errorf("locking %s: %s is not a regular file", path, name)
		}
	default:
		return nil, fmt.Errorf("locking %s: %w", path, err)
	}
	err = pollLock(ctx, path, name, f, func() (bool, error) {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return true, nil
		}
		if errors.Is(err, syscall.EWOULDBLOCK) || errors.Is(err, syscall.EINTR) {
			return false, nil
		}
		return false, err
	})
	if err != nil {
		return nil, err
	}
	return func() {
		syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}

// ownerOfDir is the owner of the directory holding path: who a lock file
// created there by a root post step is handed to.
func ownerOfDir(path string) *Owner {
	fi, err := os.Stat(filepath.Dir(path))
	if err != nil {
		return nil
	}
	return filesafe.OwnerOf(fi)
}
