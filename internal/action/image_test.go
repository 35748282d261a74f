package action

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestOpenImageUnknownPath: where there is no running image to read (no
// /proc/self/exe) and the system could not say where this program is,
// refresh fails naming why (os.Executable's error, kept by main), instead
// of dropping it; where the image is there the path only names it.
func TestOpenImageUnknownPath(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	missing := filepath.Join(dir, "exe")
	why := errors.New("readlink /proc/self/exe: no such file or directory")

	r := &mainStep{env: Env{ExecutableErr: why}}
	_, _, err := r.openImageAt(missing)
	if err == nil || !errors.Is(err, why) || !strings.Contains(err.Error(), "cannot find this program's own path: there is no "+missing) {
		t.Errorf("unknown path: %v", err)
	}

	r = &mainStep{env: Env{}}
	if _, _, err := r.openImageAt(missing); err == nil || err.Error() != "cannot find this program's own path" {
		t.Errorf("unknown path, no reason given: %v", err)
	}

	image := filepath.Join(dir, "image")
	if err := os.WriteFile(image, []byte("program"), 0o700); err != nil {
		t.Fatal(err)
	}
	r = &mainStep{env: Env{ExecutableErr: why}}
	f, name, err := r.openImageAt(image)
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	if name != image+" (the running image, "+image+")" {
		t.Errorf("the running image is named %q", name)
	}
}
