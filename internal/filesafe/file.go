package filesafe

import (
	"fmt"
	"io/fs"
)

// CheckFileInfo reports why the file at path (fi: what an Lstat of it, or
// a Stat of the descriptor opened with NoFollow, returned) cannot be
// trusted, or nil: it must be a regular file (not a link), owned by uid
// (NoUID: not checked), and not writable by group or others. Its
// directory is the caller's to check (ClosedDir).
func CheckFileInfo(path string, fi fs.FileInfo, uid int) error {
	switch {
	case fi.Mode()&fs.ModeSymlink != 0:
		return fmt.Errorf("%s is a symbolic link", path)
	case !fi.Mode().IsRegular():
		return fmt.Errorf("%s is not a regular file", path)
	case !OwnedBy(fi, uid):
		return fmt.Errorf("%s is owned by %s, not by uid %d", path, OwnerName(fi), uid)
	case Insecure(fi, 0o022):
		return fmt.Errorf("%s is writable by group or others (mode %v)", path, fi.Mode().Perm())
	}
	return nil
}
