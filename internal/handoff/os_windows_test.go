//go:build windows

package handoff

import "testing"

// uidOf: Windows files have no numeric owner; needRoot skips first.
func uidOf(t *testing.T, _ string) int {
	t.Helper()
	t.Fatal("no numeric owners on Windows")
	return -1
}

// needRoot: the tests that hand files to another uid assert Unix ownership
// and modes; Windows has neither (its protection is the profile
// directory's ACL, tested on its own).
func needRoot(t *testing.T) {
	t.Helper()
	t.Skip("Unix owners and modes: Windows files have no numeric owner to chown to")
}
