//go:build !unix

package filesafe

import "io/fs"

// OwnerOf: files keep the ACL they inherit from their directory; there is
// no numeric owner to keep or hand over.
func OwnerOf(fs.FileInfo) *Owner { return nil }

// OwnedBy: no numeric owners on Windows.
func OwnedBy(fs.FileInfo, int) bool { return true }

// OwnerName: no numeric owners on Windows.
func OwnerName(fs.FileInfo) string { return "its owner" }

// Insecure: Go reports 0666/0777 for every file on Windows, which says
// nothing about who may write it (see docs/profiles.md).
func Insecure(fs.FileInfo, fs.FileMode) bool { return false }
