//go:build windows

package e2e

import "os"

// ownerUID: Windows files have no numeric owner (the container tests that
// check one need Docker on Linux and skip first).
func ownerUID(os.FileInfo) int { return -1 }
