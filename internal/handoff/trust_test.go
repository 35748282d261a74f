package handoff

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/org/aws-oidc-go/internal/dev/harness"
)

// TestTrustedOwners: the user and root; as root, the workspace's owner too.
func TestTrustedOwners(t *testing.T) {
	t.Parallel()
	if got := TrustedOwners(1001, "/nonexistent"); len(got) != 2 || got[0] != 1001 || got[1] != 0 {
		t.Errorf("TrustedOwners(1001) = %v, want [1001 0]", got)
	}
	if got := TrustedOwners(NoUID, ""); len(got) != 1 || got[0] != NoUID {
		t.Errorf("TrustedOwners(NoUID) = %v", got)
	}
	if got := TrustedOwners(0, "/nonexistent"); len(got) != 1 || got[0] != 0 {
		t.Errorf("TrustedOwners(0) without a workspace = %v, want [0]", got)
	}
	if runtime.GOOS == "windows" {
		return
	}
	harness.NeedsRoot(t, "chown")
	ws := filepath.Join(t.TempDir(), "ws")
	os.Mkdir(ws, 0o755)
	os.Chown(ws, 65534, 65534)
	if got := TrustedOwners(0, ws); len(got) != 2 || got[0] != 0 || got[1] != 65534 {
		t.Errorf("TrustedOwners(0, a workspace of uid 65534) = %v, want [0 65534]", got)
	}
}

// TestCheckExecutableWalksToTheRoot: a directory far above the binary that
// another user can write (or owns) is refused, naming it; a sticky one is
// not; the binary's own directory must be closed.
func TestCheckExecutableWalksToTheRoot(t *testing.T) {
	t.Parallel()
	if runtime.GOOS == "windows" {
		t.Skip("owners and modes: Unix only")
	}
	harness.NeedsRoot(t, "chown")
	owners := TrustedOwners(0, "")
	layout := func(modes ...os.FileMode) (string, []string) {
		d := t.TempDir()
		var dirs []string
		for i, m := range modes {
			d = filepath.Join(d, string(rune('a'+i)))
			os.Mkdir(d, 0o700)
			os.Chmod(d, m)
			dirs = append(dirs, d)
		}
		exe := filepath.Join(d, "aws-oidc-go")
		os.WriteFile(exe, []byte("#!bin\n"), 0o755)
		return exe, dirs
	}
	exe, _ := layout(0o755, 0o777|os.ModeSticky, 0o755, 0o700)
	if got, err := CheckExecutable(exe, owners); err != nil || got != exe {
		t.Errorf("sticky far above: %q, %v", got, err)
	}
	exe, dirs := layout(0o777, 0o755, 0o755, 0o700)
	if _, err := CheckExecutable(exe, owners); err == nil || !strings.Contains(err.Error(), dirs[0]+" is writable by group or others without the sticky bit") {
		t.Errorf("open far above: %v", err)
	}
	exe, dirs = layout(0o755, 0o755, 0o700)
	os.Chown(dirs[0], 65534, 65534)
	if _, err := CheckExecutable(exe, owners); err == nil || !strings.Contains(err.Error(), dirs[0]+" is owned by uid 65534") {
		t.Errorf("another user's far above: %v", err)
	}
	exe, dirs = layout(0o755, 0o777|os.ModeSticky)
	if _, err := CheckExecutable(exe, owners); err == nil || !strings.Contains(err.Error(), dirs[1]+" is writable by group or others (mode sticky") {
		t.Errorf("the binary directly in a sticky directory: %v", err)
	}
	exe, _ = layout(0o755)
	os.Chown(exe, 65534, 65534)
	if _, err := CheckExecutable(exe, owners); err == nil || !strings.Contains(err.Error(), exe+" is owned by uid 65534") {
		t.Errorf("another user's binary: %v", err)
	}
	if _, err := CheckExecutable("aws-oidc-go", owners); err == nil || !strings.Contains(err.Error(), "not an absolute path") {
		t.Errorf("a relative path: %v", err)
	}
}
