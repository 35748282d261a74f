package filesafe

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// TestCheckFileInfo: a regular file of the user's that only it can write
// passes; a link, a directory, another user's file and a group-writable
// one are refused, each saying why.
func TestCheckFileInfo(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	uid := os.Geteuid()
	mk := func(name string, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
		return p
	}
	check := func(p string) error {
		fi, err := os.Lstat(p)
		if err != nil {
			t.Fatal(err)
		}
		return CheckFileInfo(p, fi, uid)
	}
	if err := check(mk("ok", 0o600)); err != nil {
		t.Errorf("a private file: %v", err)
	}
	if err := check(dir); err == nil || !strings.Contains(err.Error(), "is not a regular file") {
		t.Errorf("a directory: err = %v", err)
	}
	if runtime.GOOS == "windows" {
		return // no numeric owners, modes that say nothing; links need privileges
	}
	link := filepath.Join(dir, "link")
	if err := os.Symlink(mk("target", 0o600), link); err != nil {
		t.Fatal(err)
	}
	if err := check(link); err == nil || !strings.Contains(err.Error(), "is a symbolic link") {
		t.Errorf("a link: err = %v", err)
	}
	if err := check(mk("group", 0o620)); err == nil || !strings.Contains(err.Error(), "writable by group or others") {
		t.Errorf("group-writable: err = %v", err)
	}
	if err := CheckFileInfo("x", mustLstat(t, mk("any", 0o600)), uid+1); err == nil || !strings.Contains(err.Error(), "is owned by uid") {
		t.Errorf("another user's: err = %v", err)
	}
}

func mustLstat(t *testing.T, p string) os.FileInfo {
	t.Helper()
	fi, err := os.Lstat(p)
	if err != nil {
		t.Fatal(err)
	}
	return fi
}
