package filesafe

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// TestLinksCountsEveryName: a second hard link shows in Links, on Unix and
// on NTFS alike.
func TestLinksCountsEveryName(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	a := filepath.Join(dir, "a")
	if err := os.WriteFile(a, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	count := func() uint64 {
		f, err := os.Open(a)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		fi, err := f.Stat()
		if err != nil {
			t.Fatal(err)
		}
		return Links(f, fi)
	}
	if n := count(); n != 1 {
		t.Errorf("one name: Links = %d, want 1", n)
	}
	if err := os.Link(a, filepath.Join(dir, "b")); err != nil {
		t.Fatal(err)
	}
	if n := count(); n != 2 {
		t.Errorf("two names: Links = %d, want 2", n)
	}
}

// TestNoFollowRefusesALink: opened with NoFollow, a symbolic link as the
// last component is refused (Unix; Windows relies on the Lstat checks).
func TestNoFollowRefusesALink(t *testing.T) {
	t.Parallel()
	if runtime.GOOS == "windows" {
		if NoFollow != 0 || NonBlock != 0 {
			t.Errorf("Windows: NoFollow %d, NonBlock %d, want 0", NoFollow, NonBlock)
		}
		return
	}
	dir := t.TempDir()
	target := filepath.Join(dir, "target")
	if err := os.WriteFile(target, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	if f, err := os.OpenFile(link, os.O_RDONLY|NoFollow|NonBlock, 0); err == nil {
		f.Close()
		t.Error("a link opened with NoFollow")
	}
	f, err := os.OpenFile(target, os.O_RDONLY|NoFollow|NonBlock, 0)
	if err != nil {
		t.Fatalf("the file itself: %v", err)
	}
	f.Close()
}
