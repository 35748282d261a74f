package harness

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestIncumbent: "none" leaves it out; a path given must exist (the
// error names the flag); a missing bundle or node is an error under
// CI=true and a notice otherwise. Not parallel: it changes directory.
func TestIncumbent(t *testing.T) {
	env := func(ci string) func(string) string { return func(string) string { return ci } }
	var notice strings.Builder
	if argv, err := Incumbent("-x", "none", env("true"), &notice); argv != nil || err != nil {
		t.Errorf("none: %q, %v", argv, err)
	}
	bundle := filepath.Join(t.TempDir(), "index.js")
	os.WriteFile(bundle, nil, 0o644)
	_, nodeErr := exec.LookPath("node")
	argv, err := Incumbent("-x", bundle, env(""), &notice)
	switch {
	case nodeErr == nil && (err != nil || len(argv) != 2 || argv[1] != bundle):
		t.Errorf("a bundle: %q, %v", argv, err)
	case nodeErr != nil && (argv != nil || !strings.Contains(notice.String(), "node is not installed")):
		t.Errorf("no node: %q, %v, %q", argv, err, notice.String())
	}
	if nodeErr == nil {
		if _, err := Incumbent("-x", bundle+".gone", env(""), &notice); err == nil || !strings.HasPrefix(err.Error(), "-x: ") {
			t.Errorf("a missing path: %v", err)
		}
	}
	// From a directory with no ../shared/incumbent: CI=true fails, else a notice.
	t.Chdir(t.TempDir())
	if _, err := Incumbent("-x", "", env("true"), &notice); err == nil || !strings.Contains(err.Error(), "-x none") {
		t.Errorf("CI=true without the bundle: %v", err)
	}
	notice.Reset()
	if argv, err := Incumbent("-x", "", env(""), &notice); argv != nil || err != nil || !strings.Contains(notice.String(), "not compared") {
		t.Errorf("without the bundle: %q, %v, %q", argv, err, notice.String())
	}
}

// TestTail keeps the last Max bytes, and shows the last line redacted.
func TestTail(t *testing.T) {
	t.Parallel()
	tl := &Tail{Max: 8}
	tl.Write([]byte("0123456789"))
	tl.Write([]byte("ab"))
	if got := tl.String(); got != "456789ab" {
		t.Errorf("kept %q", got)
	}
	out := &Tail{}
	out.Write([]byte("::add-mask::s3cret\nfirst\nfailed with s3cret\n\n"))
	if got := out.LastLine(); got != "failed with ***" {
		t.Errorf("last line %q", got)
	}
}
