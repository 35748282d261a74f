//go:build !unix

package token

// openFlags: Windows has no fifos in the file system and FilePath already
// refused links; nothing to add.
func openFlags(bool) int { return 0 }
