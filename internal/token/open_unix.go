//go:build unix

package token

import "syscall"

// openFlags opens without blocking (a fifo cannot hang the read) and, unless
// follow, refuses a symbolic link as the last component.
func openFlags(follow bool) int {
	if follow {
		return syscall.O_NONBLOCK
	}
	return syscall.O_NONBLOCK | syscall.O_NOFOLLOW
}
