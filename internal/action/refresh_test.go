package action_test

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/org/aws-oidc-go/internal/action"
)

// refreshWith makes s a refresh step whose image is a small file of the
// given mode, and returns the Env adjustment and the credential_process
// line it ends up with.
func refreshWith(t *testing.T, s *step, image string, mode os.FileMode) (func(*action.Env), *string) {
	t.Helper()
	s.env["INPUT_REFRESH"] = "true"
	if err := os.WriteFile(image, []byte("#!the running image\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	os.Chmod(image, mode)
	line := new(string)
	return func(e *action.Env) {
		e.Executable = filepath.Join(s.dir, "started-from", "aws-oidc-go") // the path, replaced since
		e.Image = func() (*os.File, error) { return os.Open(image) }
		e.CredentialProcess = func(exe, settings string) string {
			*line = exe + " credential-process --config " + settings
			return *line
		}
	}, line
}

// TestRefreshCopiesTheImageNotThePath (issue 23, item 3): what
// credential_process runs is a copy of the running image in the run's
// private directory, whatever the path the program was started from names
// now; an image group or others can write is refused, named, before
// anything is written.
func TestRefreshCopiesTheImageNotThePath(t *testing.T) {
	t.Parallel()
	if runtime.GOOS == "windows" {
		t.Skip("Unix behaviour: /proc/self/exe and group/other write bits; Windows names the copy .exe and protects it by the directory's ACL")
	}
	t.Run("copied", func(t *testing.T) {
		t.Parallel()
		s := newStep(t)
		adjust, line := refreshWith(t, s, filepath.Join(s.dir, "image"), 0o755)
		os.MkdirAll(filepath.Join(s.dir, "started-from"), 0o777)
		os.WriteFile(filepath.Join(s.dir, "started-from", "aws-oidc-go"), []byte("#!someone else's\n"), 0o755)
		if err := s.runWith(adjust); err != nil {
			t.Fatalf("Run: %v\n%s", err, s.stdout.String())
		}
		exe, _, _ := strings.Cut(*line, " ")
		if m, _ := filepath.Match(filepath.Join(s.dir, "home", ".aws", "aws-oidc-go-run-*", "aws-oidc-go"), exe); !m {
			t.Errorf("credential_process runs %s, want the copy in the run's directory", exe)
		}
		if got := readFile(t, exe); got != "#!the running image\n" {
			t.Errorf("the copy holds %q, want the running image", got)
		}
		if fi, err := os.Lstat(exe); err != nil || fi.Mode().Perm() != 0o700 {
			t.Errorf("the copy: %v %v, want 0700", fi, err)
		}
	})
	for name, mode := range map[string]os.FileMode{"writable by others": 0o757, "writable by group": 0o775} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s := newStep(t)
			image := filepath.Join(s.dir, "image")
			adjust, _ := refreshWith(t, s, image, mode)
			err := s.runWith(adjust)
			if err == nil || !strings.Contains(err.Error(), "started-from") || !strings.Contains(err.Error(), "writable by group or others") {
				t.Errorf("Run: %v, want a refusal naming the program and why", err)
			}
			if entries, _ := os.ReadDir(filepath.Join(s.dir, "home", ".aws")); len(entries) > 0 {
				t.Errorf("a refused step left %v in ~/.aws", entries)
			}
		})
	}
}

// TestConfigDirWithALineBreakInjectsNothing (issue 23, item 4): with
// AWS_CONFIG_FILE in a directory whose name carries a line break and a
// section, the credential_process line that names the settings under it
// used to add that section to the user's config (and the undo then refused
// to touch it). The step fails naming credential_process, the user's
// config is byte for byte as it was, and nothing of the run is left.
func TestConfigDirWithALineBreakInjectsNothing(t *testing.T) {
	t.Parallel()
	if runtime.GOOS == "windows" {
		t.Skip("Windows file names cannot hold line breaks; profile.CheckEntry's own tests cover the values")
	}
	for name, br := range map[string]string{"LF": "\n", "CR": "\r", "CRLF": "\r\n", "LS": "\u2028"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s := newStep(t)
			dir := filepath.Join(s.dir, "x"+br+"[profile evil]"+br+"credential_process = touch pwned"+br+"#")
			if err := os.Mkdir(dir, 0o700); err != nil {
				t.Fatal(err)
			}
			const mine = "[profile user]\nregion = us-east-1\n"
			cfg := filepath.Join(dir, "config")
			os.WriteFile(cfg, []byte(mine), 0o600)
			s.env["AWS_CONFIG_FILE"] = cfg
			s.env["AWS_SHARED_CREDENTIALS_FILE"] = filepath.Join(dir, "credentials")
			adjust, _ := refreshWith(t, s, filepath.Join(s.dir, "image"), 0o755)
			err := s.runWith(adjust)
			if err == nil || !strings.Contains(err.Error(), "credential_process has a") {
				t.Errorf("Run: %v, want the credential_process line refused", err)
			}
			if got := readFile(t, cfg); got != mine {
				t.Errorf("the user's config is %q, want it as it was", got)
			}
			log := s.post(t, map[string]string{"STATE_cleanup": lastState(s)}, nil)
			if strings.Contains(log, "::warning::") {
				t.Errorf("the post step warned:\n%s", log)
			}
			entries, _ := os.ReadDir(dir)
			for _, e := range entries {
				if e.Name() != "config" && e.Name() != "config.lock" {
					t.Errorf("%s left in the directory", e.Name())
				}
			}
			if got := readFile(t, cfg); got != mine {
				t.Errorf("after the post step the user's config is %q, want it as it was", got)
			}
		})
	}
}
