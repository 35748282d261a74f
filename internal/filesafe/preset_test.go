package filesafe

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/org/aws-oidc-go/internal/dev/harness"
)

// TestPresetsMatchTheShim: the directory presets are defined once per side
// with the same names and bits — native/shim.js PRESETS and this package's
// PrivateDir, ClosedDir, StickyParent — and this keeps the two equal.
func TestPresetsMatchTheShim(t *testing.T) {
	t.Parallel()
	if runtime.GOOS == "windows" {
		t.Skip("the presets are POSIX modes, and under Wine no node runs beside the test: the Linux run compares them")
	}
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
	goSide := map[string]Preset{"private": PrivateDir, "closed": ClosedDir, "stickyParent": StickyParent}
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
		t.Skip("owners and modes: Unix only (Windows checks links and junctions; see Preset.Check)")
	}
	harness.NeedsRoot(t, "chown")
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
			preset Preset
			want   string
		}{{PrivateDir, c.want.private}, {ClosedDir, c.want.closed}, {StickyParent, c.want.sticky}} {
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
	if err := StickyParent.Check(link, fi, user, 0); err == nil || !strings.Contains(err.Error(), "is a symbolic link") {
		t.Errorf("a link: err = %v", err)
	}
}
