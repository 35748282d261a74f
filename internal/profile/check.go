package profile

import (
	"fmt"
	"io/fs"
	"os"
)

// NoUID means ownership is not checked (Windows, where files have no
// numeric owner; os.Geteuid returns it there).
const NoUID = -1

// Owner and mode checks, one vocabulary for what is written (PrepareDir)
// and what is read back (package handoff): OwnedBy, OwnerName, Insecure
// are per platform (lock_unix.go, lock_other.go).

// CheckDir reports why dir cannot be trusted to hold credentials we write
// or files we read back, or nil: it must be a real directory (not a link),
// owned by uid (or by root when rootOK), with none of the permission bits
// of open set — 0o022 for "nobody but its owner can put, swap or remove a
// file in it" (a sticky bit does not count: a sticky world-writable
// directory lets anyone plant a name before us), 0o077 for a private one.
// On Windows only the link and directory checks apply.
func CheckDir(dir string, uid int, rootOK bool, open fs.FileMode) error {
	fi, err := os.Lstat(dir)
	if err != nil {
		return err
	}
	return CheckDirInfo(dir, fi, uid, rootOK, open)
}

// CheckDirInfo is CheckDir on what an Lstat of dir returned.
func CheckDirInfo(dir string, fi fs.FileInfo, uid int, rootOK bool, open fs.FileMode) error {
	switch {
	case fi.Mode()&fs.ModeSymlink != 0:
		return fmt.Errorf("%s is a symbolic link", dir)
	case !fi.IsDir():
		return fmt.Errorf("%s is not a directory", dir)
	case fi.Mode()&fs.ModeIrregular != 0:
		// Windows reports a junction (mount point) so since Go 1.23.
		return fmt.Errorf("%s is not a plain directory (a junction or other reparse point)", dir)
	case !OwnedBy(fi, uid) && !(rootOK && OwnedBy(fi, 0)):
		return fmt.Errorf("%s is owned by %s, not by uid %d", dir, OwnerName(fi), uid)
	case Insecure(fi, open) && open&0o070 == 0o070:
		return fmt.Errorf("%s is open to group or others (mode %v)", dir, fi.Mode().Perm())
	case Insecure(fi, open):
		return fmt.Errorf("%s is writable by group or others (mode %v)", dir, fi.Mode().Perm())
	}
	return nil
}
