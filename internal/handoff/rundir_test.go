package handoff

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// TestCleanupRemovesTheRunDirectoryItHadOpen: the run directory is removed
// once emptied, after its os.Root is closed: Windows opens a Root without
// FILE_SHARE_DELETE, so removing the directory while the Root is open
// fails with a sharing violation (and the post step used to leave an empty
// directory in %USERPROFILE%\.aws on every refresh run). On Linux the
// removal is made to fail the way Windows does while this process has the
// directory open; on Windows the real removal is the test. When removing
// fails anyway, the warning says why, not an empty list of leftovers. Not
// parallel: it sets the package's removal hook.
func TestCleanupRemovesTheRunDirectoryItHadOpen(t *testing.T) {
	t.Cleanup(func() { removeDir = os.Remove }) // on every OS: the tests after this one remove for real
	switch runtime.GOOS {
	case "windows":
	case "linux":
		removeDir = func(p string) error {
			if openHere(t, p) {
				return &fs.PathError{Op: "remove", Path: p, Err: errSharingViolation}
			}
			return os.Remove(p)
		}
	default:
		t.Skip("telling an open directory needs /proc/self/fd (Linux) or Windows' own sharing rules")
	}
	r, _ := Start(Options{Base: t.TempDir(), Manifest: true})
	here, _, err := r.CreateFile("renewal.json", []byte("{}"), 0o600)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Dir(here)
	rep := Cleanup(ctx, r.State(), Checks{UID: os.Geteuid()})
	if _, err := os.Lstat(dir); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the run directory %s is still there (%v); warnings %q", dir, err, rep.Warnings)
	}
	if len(rep.Warnings) > 0 {
		t.Errorf("warnings %q", rep.Warnings)
	}

	// A removal that fails for another reason: the warning names it.
	removeDir = func(p string) error { return &fs.PathError{Op: "remove", Path: p, Err: fs.ErrPermission} }
	r, _ = Start(Options{Base: t.TempDir(), Manifest: true})
	if _, _, err := r.CreateFile("renewal.json", []byte("{}"), 0o600); err != nil {
		t.Fatal(err)
	}
	rep = Cleanup(ctx, r.State(), Checks{UID: os.Geteuid()})
	all := strings.Join(rep.Warnings, "\n")
	if !strings.Contains(all, fs.ErrPermission.Error()) || strings.Contains(all, "holds") {
		t.Errorf("warnings %q, want one naming the removal's error", rep.Warnings)
	}
}

var errSharingViolation = errors.New("the process cannot access the file because it is being used by another process (a sharing violation)")

// openHere reports whether this process has dir open (Linux: /proc/self/fd).
func openHere(t *testing.T, dir string) bool {
	t.Helper()
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatalf("listing this process's descriptors: %v", err)
	}
	for _, fd := range fds {
		if target, err := os.Readlink(filepath.Join("/proc/self/fd", fd.Name())); err == nil && target == dir {
			return true
		}
	}
	return false
}
