//go:build unix

package filesafe

import (
	"io/fs"
	"strconv"
	"syscall"
)

// OwnerOf is the owner of a file (fi: what a Stat or Lstat returned), or
// nil when the platform does not say.
func OwnerOf(fi fs.FileInfo) *Owner {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return nil
	}
	return &Owner{UID: int(st.Uid), GID: int(st.Gid)}
}

// OwnedBy reports whether fi belongs to uid (always, for NoUID).
func OwnedBy(fi fs.FileInfo, uid int) bool {
	if uid == NoUID {
		return true
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	return ok && int(st.Uid) == uid
}

// OwnerName names fi's owner for an error.
func OwnerName(fi fs.FileInfo) string {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return "uid " + strconv.Itoa(int(st.Uid))
	}
	return "an unknown owner"
}

// Insecure reports permission bits of mask set on fi.
func Insecure(fi fs.FileInfo, mask fs.FileMode) bool { return fi.Mode().Perm()&mask != 0 }
