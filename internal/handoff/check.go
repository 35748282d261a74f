package handoff

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/org/aws-oidc-go/internal/profile"
)

// MaxFile bounds what is read back: a state, a manifest, a settings file,
// a stash.
const MaxFile = 1 << 20

// NoUID means ownership is not checked (Windows, where files have no
// numeric owner).
const NoUID = profile.NoUID

// CheckDir reports why dir cannot be trusted to hold what we read back, or
// nil: it must be a real directory (not a link), owned by uid or root, and
// not writable by group or others — else someone other than uid could put
// or swap a file in it. It is the check profile.PrepareDir makes before
// writing there, so what is written can be removed.
func CheckDir(dir string, uid int) error { return profile.CheckDir(dir, uid, true, 0o022) }

// CheckFile reports why path cannot be trusted, or nil: it must be a
// regular file (not a link), owned by uid, not writable by group or others,
// in a directory that passes CheckDir.
func CheckFile(path string, uid int) error {
	if err := CheckDir(filepath.Dir(path), uid); err != nil {
		return err
	}
	fi, err := os.Lstat(path)
	if err != nil {
		return err
	}
	return checkFileInfo(path, fi, uid)
}

func checkFileInfo(path string, fi fs.FileInfo, uid int) error {
	switch {
	case fi.Mode()&fs.ModeSymlink != 0:
		return fmt.Errorf("%s is a symbolic link", path)
	case !fi.Mode().IsRegular():
		return fmt.Errorf("%s is not a regular file", path)
	case !profile.OwnedBy(fi, uid):
		return fmt.Errorf("%s is owned by %s, not by uid %d", path, profile.OwnerName(fi), uid)
	case profile.Insecure(fi, 0o022):
		return fmt.Errorf("%s is writable by group or others (mode %v)", path, fi.Mode().Perm())
	}
	return nil
}

// checkRunDir is CheckDir for a run's own directory: owned by uid exactly
// and private (0700).
func checkRunDir(dir string, uid int) error { return profile.CheckDir(dir, uid, false, 0o077) }

// ReadChecked reads path after CheckFile, through a descriptor opened
// without following links and checked again (still regular, the user's,
// not writable by others, and with no other hard link), at most MaxFile
// bytes.
func ReadChecked(path string, uid int) ([]byte, error) {
	if err := CheckFile(path, uid); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_RDONLY|noFollow|nonBlock, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if err := checkFileInfo(path, fi, uid); err != nil {
		return nil, err
	}
	if n := links(f, fi); n != 1 {
		// A second name elsewhere: someone could have linked a file of
		// the user's here, or can change it through the other name.
		return nil, fmt.Errorf("%s has %d hard links, not 1", path, n)
	}
	if fi.Size() > MaxFile {
		return nil, fmt.Errorf("%s is larger than %d bytes", path, MaxFile)
	}
	b, err := io.ReadAll(io.LimitReader(f, MaxFile+1))
	if err == nil && len(b) > MaxFile {
		err = fmt.Errorf("%s is larger than %d bytes", path, MaxFile)
	}
	return b, err
}

// isNotExist reports a path that is not there.
func isNotExist(err error) bool { return errors.Is(err, fs.ErrNotExist) }
