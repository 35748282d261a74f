//go:build !unix

package profile

// noFollow: Windows has no O_NOFOLLOW; the Lstat checks stand alone.
const noFollow = 0
