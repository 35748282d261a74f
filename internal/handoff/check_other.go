//go:build !unix

package handoff

import "io/fs"

// Windows: no O_NOFOLLOW (links are refused by the Lstat checks), no
// numeric owners, and modes that say nothing (see the package doc).
const (
	noFollow = 0
	nonBlock = 0
)

func ownedBy(fs.FileInfo, int) bool            { return true }
func ownerName(fs.FileInfo) string             { return "its owner" }
func insecure(fs.FileInfo, fs.FileMode) bool   { return false }
func FileOwner(string) (uid, gid int, ok bool) { return NoUID, NoUID, false }
