//go:build !unix

package handoff

import "io/fs"

// Windows: no O_NOFOLLOW (links are refused by the Lstat checks), no
// numeric owners, and modes that say nothing (see the package doc).
const (
	noFollow = 0
	nonBlock = 0
)

func FileOwner(string) (uid, gid int, ok bool) { return NoUID, NoUID, false }

// links: not checked on Windows.
func links(fs.FileInfo) uint64 { return 1 }
