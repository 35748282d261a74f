package handoff

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/org/aws-oidc-go/internal/profile"
)

// TestPresetsMatchTheShim: the directory presets are defined once per side
// with the same names and bits — native/shim.js PRESETS and profile's
// PrivateDir, ClosedDir, StickyParent — and this keeps the two equal.
func TestPresetsMatchTheShim(t *testing.T) {
	t.Parallel()
	node, err := exec.LookPath("node")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("CI=true: node is needed to read native/shim.js's presets")
		}
		t.Skip("needs node to read native/shim.js's presets")
	}
	shim, _ := filepath.Abs(filepath.Join("..", "..", "native", "shim.js"))
	out, err := exec.Command(node, "-e", "process.stdout.write(JSON.stringify(require(process.argv[1]).PRESETS))", shim).Output()
	if err != nil {
		t.Fatalf("node: %v", err)
	}
	type preset struct {
		Name    string `json:"name"`
		Open    uint32 `json:"open"`
		Sticky  bool   `json:"sticky"`
		Trusted bool   `json:"trusted"`
	}
	var js map[string]preset
	if err := json.Unmarshal(out, &js); err != nil {
		t.Fatalf("%s: %v", out, err)
	}
	goSide := map[string]profile.Preset{"private": profile.PrivateDir, "closed": profile.ClosedDir, "stickyParent": profile.StickyParent}
	if len(js) != len(goSide) {
		t.Errorf("the shim has %d presets (%s), Go %d", len(js), out, len(goSide))
	}
	for key, g := range goSide {
		want := preset{g.Name, uint32(g.Open), g.Sticky, g.Trusted}
		if js[key] != want {
			t.Errorf("preset %s: the shim has %+v, Go %+v", key, js[key], want)
		}
	}
}

// TestPresetsOnRealDirectories: what each preset accepts and refuses, on
// directories of various owners and modes; the sticky bit counts for
// StickyParent only.
func TestPresetsOnRealDirectories(t *testing.T) {
	t.Parallel()
	if runtime.GOOS == "windows" {
		t.Skip("owners and modes: Unix only (Windows checks links and junctions; see profile.Preset.Check)")
	}
	chownable(t)
	const user, other = 1234, 65534
	base := t.TempDir()
	mk := func(name string, mode os.FileMode, uid int) string {
		d := filepath.Join(base, name)
		os.Mkdir(d, 0o700)
		os.Chmod(d, mode)
		os.Chown(d, uid, uid)
		return d
	}
	type want struct{ private, closed, sticky string } // "": accepted, else a part of the refusal
	cases := []struct {
		name  string
		mode  os.FileMode
		owner int
		want  want
	}{
		{"user 0700", 0o700, user, want{"", "", ""}},
		{"user 0755", 0o755, user, want{"open to group or others", "", ""}},
		{"root 0755", 0o755, 0, want{"owned by uid 0, not by uid 1234", "", ""}},
		{"other 0700", 0o700, other, want{"owned by uid 65534", "owned by uid 65534, not by uid 1234 or uid 0", "owned by uid 65534"}},
		{"root 0775", 0o775, 0, want{"owned by uid 0", "writable by group or others (mode", "writable by group or others without the sticky bit"}},
		{"root 0777", 0o777, 0, want{"owned by uid 0", "writable by group or others", "without the sticky bit"}},
		{"root 1777", 0o777 | os.ModeSticky, 0, want{"owned by uid 0", "writable by group or others (mode sticky", ""}},
		{"other 1777", 0o777 | os.ModeSticky, other, want{"owned by uid 65534", "owned by uid 65534", "owned by uid 65534"}},
	}
	for _, c := range cases {
		d := mk(c.name, c.mode, c.owner)
		fi, err := os.Lstat(d)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range []struct {
			preset profile.Preset
			want   string
		}{{profile.PrivateDir, c.want.private}, {profile.ClosedDir, c.want.closed}, {profile.StickyParent, c.want.sticky}} {
			err := p.preset.Check(d, fi, user, 0)
			switch {
			case p.want == "" && err != nil:
				t.Errorf("%s, %s: refused: %v", c.name, p.preset.Name, err)
			case p.want != "" && (err == nil || !strings.Contains(err.Error(), p.want)):
				t.Errorf("%s, %s: err = %v, want one saying %q", c.name, p.preset.Name, err, p.want)
			}
		}
	}
	link := filepath.Join(base, "link")
	os.Symlink(mk("target", 0o700, user), link)
	fi, _ := os.Lstat(link)
	if err := profile.StickyParent.Check(link, fi, user, 0); err == nil || !strings.Contains(err.Error(), "is a symbolic link") {
		t.Errorf("a link: err = %v", err)
	}
}

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
	chownable(t)
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
	chownable(t)
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

// chownable skips (or, with CI=true, fails) a test that chowns when not root.
func chownable(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		if os.Getenv("CI") == "true" {
			t.Fatal("CI=true: needs root to chown")
		}
		t.Skip("needs root to chown")
	}
}
