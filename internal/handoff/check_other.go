//go:build !unix

package handoff

// Windows: no O_NOFOLLOW (links are refused by the Lstat checks), no
// numeric owners, and modes that say nothing (see the package doc).
const (
	noFollow = 0
	nonBlock = 0
)

func FileOwner(string) (uid, gid int, ok bool) { return NoUID, NoUID, false }
