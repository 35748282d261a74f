//go:build !unix

package filesafe

// Open flags: Windows has no O_NOFOLLOW (links are refused by the Lstat
// checks, which stand alone) and no fifos in the file system.
const (
	NoFollow = 0
	NonBlock = 0
)
