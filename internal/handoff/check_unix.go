//go:build unix

package handoff

import (
	"io/fs"
	"os"
	"strconv"
	"syscall"
)

const (
	noFollow = syscall.O_NOFOLLOW
	nonBlock = syscall.O_NONBLOCK
)

func ownedBy(fi fs.FileInfo, uid int) bool {
	if uid == NoUID {
		return true
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	return ok && int(st.Uid) == uid
}

func ownerName(fi fs.FileInfo) string {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return "uid " + strconv.Itoa(int(st.Uid))
	}
	return "an unknown owner"
}

// insecure reports permission bits of mask set on fi.
func insecure(fi fs.FileInfo, mask fs.FileMode) bool { return fi.Mode().Perm()&mask != 0 }

// FileOwner returns the owner of path (following links: the runner's
// file-command files), or ok false.
func FileOwner(path string) (uid, gid int, ok bool) {
	fi, err := os.Stat(path)
	if err != nil {
		return 0, 0, false
	}
	st, isStat := fi.Sys().(*syscall.Stat_t)
	if !isStat {
		return 0, 0, false
	}
	return int(st.Uid), int(st.Gid), true
}
