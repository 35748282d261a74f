package harness

import (
	"os"
	"runtime"
	"testing"
)

// UnixOnly skips t on Windows, saying which Unix behaviour it asserts
// (mode bits, sticky directories, numeric owners, Unix paths, FIFOs...):
// Windows has its own rules, tested on their own.
func UnixOnly(t testing.TB, what string) {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skipf("Unix behaviour (%s): Windows has no such thing", what)
	}
}

// Symlink makes the symbolic link name → target for a test that a link
// must be refused, or skips t where no link can be made: Windows without
// SeCreateSymbolicLinkPrivilege (developer mode), or Wine, whose
// CreateSymbolicLinkW reports success and creates nothing (so the link is
// checked with Lstat after creating it).
func Symlink(t testing.TB, target, name string) {
	t.Helper()
	if err := os.Symlink(target, name); err != nil {
		if runtime.GOOS == "windows" {
			t.Skipf("cannot create a symbolic link here (needs developer mode or SeCreateSymbolicLinkPrivilege): %v", err)
		}
		t.Fatal(err)
	}
	if fi, err := os.Lstat(name); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		if UnderWine() {
			t.Skipf("Wine's CreateSymbolicLinkW reports success and creates no link (Lstat %s: %v)", name, err)
		}
		t.Fatalf("os.Symlink(%s) succeeded but %s is no link (%v)", target, name, err)
	}
}

// linuxOnlyUnderWine: the Linux programs a Windows process under Wine
// cannot start (Wine runs Windows programs only).
func linuxOnlyUnderWine(err error) bool { return err != nil && UnderWine() }

// NeedsTestCA skips t on Windows, where a TLS front with the test CA
// cannot be trusted by this process alone: Go verifies against the
// system's certificate store there and ignores SSL_CERT_FILE.
func NeedsTestCA(t testing.TB) {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("the test CA over TLS: Go ignores SSL_CERT_FILE on Windows (it verifies against the system store)")
	}
}

// NeedsRoot skips t unless this process is root (chown, mounts), saying
// what needs it; under CI=true, where the tests run as root, it fails
// instead.
func NeedsRoot(t testing.TB, what string) {
	t.Helper()
	UnixOnly(t, "a root process handing files to another uid")
	if os.Geteuid() == 0 {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("CI=true: needs root to %s", what)
	}
	t.Skipf("needs root to %s", what)
}
