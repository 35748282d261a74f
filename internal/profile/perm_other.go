//go:build !unix

package profile

import "io/fs"

// noFollow: Windows has no O_NOFOLLOW; the Lstat checks stand alone.
const noFollow = 0

// ownerOf: files keep the ACL they inherit from their directory.
func ownerOf(fs.FileInfo) *Owner { return nil }

// OwnedBy: no numeric owners on Windows.
func OwnedBy(fs.FileInfo, int) bool { return true }

// OwnerName: no numeric owners on Windows.
func OwnerName(fs.FileInfo) string { return "its owner" }

// Insecure: Go reports 0666/0777 for every file on Windows, which says
// nothing about who may write it (see docs/profiles.md).
func Insecure(fs.FileInfo, fs.FileMode) bool { return false }
