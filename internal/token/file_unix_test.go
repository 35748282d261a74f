//go:build unix

package token

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The fifo and /dev/zero cases: Unix only.

func TestFilePathRefusesWhatIsNotARegularFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	big := filepath.Join(dir, "big")
	os.WriteFile(big, make([]byte, MaxFileSize+1), 0o600)
	for _, p := range []string{fifo, "/dev/zero", big, dir} {
		start := time.Now()
		if _, err := FilePath(p, dir); err == nil {
			t.Errorf("%s accepted", p)
		}
		if d := time.Since(start); d > time.Second {
			t.Errorf("%s took %s", p, d)
		}
	}
}

// TestReadFileIsBounded: whatever replaces the file between the check and
// a read (a fifo, a device, a huge file), the read neither hangs nor
// exhausts memory.
func TestReadFileIsBounded(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	big := filepath.Join(dir, "big")
	os.WriteFile(big, []byte(strings.Repeat("a", MaxFileSize+10)), 0o600)
	empty := filepath.Join(dir, "empty")
	os.WriteFile(empty, []byte(" \n"), 0o600)
	link := filepath.Join(dir, "link")
	os.Symlink(big, link)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	for _, p := range []string{fifo, "/dev/zero", big, empty, link} {
		start := time.Now()
		if _, err := ReadFile(ctx, p); err == nil {
			t.Errorf("%s read", p)
		}
		if d := time.Since(start); d > time.Second {
			t.Errorf("%s took %s", p, d)
		}
	}
	good := filepath.Join(dir, "good")
	os.WriteFile(good, []byte(jwt+"\n"), 0o600)
	if tok, err := ReadFile(ctx, good); err != nil || tok != jwt {
		t.Errorf("good file: %q, %v", tok, err)
	}
}
