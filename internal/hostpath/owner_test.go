package hostpath

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/org/aws-oidc-go/internal/dev/harness"
)

// TestOwnerIsTheRunnersNonRootUser: a root step hands what it writes to
// the owner of GITHUB_ENV's file — unless that owner is root, or the step
// is not root, or the file is missing: then nothing is handed over.
func TestOwnerIsTheRunnersNonRootUser(t *testing.T) {
	t.Parallel()
	if runtime.GOOS == "windows" {
		if o := Owner(true, os.Args[0]); o != nil {
			t.Errorf("Windows: Owner = %+v, want nil (no numeric owners)", o)
		}
		return
	}
	harness.NeedsRoot(t, "chown")
	dir := t.TempDir()
	env := filepath.Join(dir, "set_env")
	if err := os.WriteFile(env, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(env, 4242, 4343); err != nil {
		t.Fatal(err)
	}
	if o := Owner(true, env); o == nil || o.UID != 4242 || o.GID != 4343 {
		t.Errorf("root, a user's file: Owner = %+v, want 4242:4343", o)
	}
	if o := Owner(false, env); o != nil {
		t.Errorf("not root: Owner = %+v, want nil", o)
	}
	if o := Owner(true, filepath.Join(dir, "missing")); o != nil {
		t.Errorf("a missing file: Owner = %+v, want nil", o)
	}
	if err := os.Chown(env, 0, 0); err != nil {
		t.Fatal(err)
	}
	if o := Owner(true, env); o != nil {
		t.Errorf("root's own file: Owner = %+v, want nil", o)
	}
}
