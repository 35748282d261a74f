//go:build unix

package filesafe

import (
	"io/fs"
	"os"
	"syscall"
)

// Open flags: NoFollow refuses a symbolic link as the last component;
// NonBlock keeps a fifo from hanging the open or the read.
const (
	NoFollow = syscall.O_NOFOLLOW
	NonBlock = syscall.O_NONBLOCK
)

// Links is the count of hard links of the open file f (fi is its Stat).
func Links(_ *os.File, fi fs.FileInfo) uint64 {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return uint64(st.Nlink)
	}
	return 1
}
