//go:build unix

package action_test

// refresh under the node action: credential_process runs for the rest of
// the job, so it must name a program nobody else can replace while the
// profile names it. Whatever RUNNER_TEMP and the shim's copy look like —
// open, another user's, hard-linked, reached through a link — the profile
// names the copy of the running image in the run's private directory
// beside the profile, never the shim's copy under RUNNER_TEMP.

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/org/aws-oidc-go/internal/action"

	"github.com/org/aws-oidc-go/internal/dev/harness"
)

func TestRefreshUnderTheNodeActionNamesItsOwnCopy(t *testing.T) {
	t.Parallel()
	harness.NeedsRoot(t, "give RUNNER_TEMP to another user (chown)")
	const nobody = 65534
	mkdir := func(t *testing.T, d string, mode os.FileMode, uid int) string {
		t.Helper()
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
		os.Chmod(d, mode)
		os.Chown(d, uid, uid)
		return d
	}
	// Each case lays out RUNNER_TEMP under dir and the shim's private copy
	// in it (mkdtemp, 0700), and says what the refusal must name ("": none).
	cases := map[string]func(t *testing.T, s *step, dir string) string{
		"runner temp 0755, this user's": func(t *testing.T, s *step, dir string) string {
			temp := mkdir(t, filepath.Join(dir, "_temp"), 0o755, 0)
			return copyIn(t, temp)
		},
		"runner temp 1777 (act's /tmp)": func(t *testing.T, s *step, dir string) string {
			temp := mkdir(t, filepath.Join(dir, "_temp"), 0o777|os.ModeSticky, 0)
			return copyIn(t, temp)
		},
		"runner temp 0777, not sticky": func(t *testing.T, s *step, dir string) string {
			temp := mkdir(t, filepath.Join(dir, "_temp"), 0o777, 0)
			return copyIn(t, temp)
		},
		"runner temp another user's": func(t *testing.T, s *step, dir string) string {
			temp := mkdir(t, filepath.Join(dir, "_temp"), 0o755, nobody)
			return copyIn(t, temp)
		},
		"runner temp the workspace owner's, as root (a container job)": func(t *testing.T, s *step, dir string) string {
			os.Chown(s.env["GITHUB_WORKSPACE"], nobody, nobody)
			temp := mkdir(t, filepath.Join(dir, "_temp"), 0o755, nobody)
			return copyIn(t, temp)
		},
		"the private directory sticky and open": func(t *testing.T, s *step, dir string) string {
			temp := mkdir(t, filepath.Join(dir, "_temp"), 0o755, 0)
			exe := copyIn(t, temp)
			os.Chmod(filepath.Dir(exe), 0o777|os.ModeSticky)
			return exe
		},
		"the copy writable by others": func(t *testing.T, s *step, dir string) string {
			exe := copyIn(t, mkdir(t, filepath.Join(dir, "_temp"), 0o755, 0))
			os.Chmod(exe, 0o777)
			return exe
		},
		"the copy hard-linked": func(t *testing.T, s *step, dir string) string {
			exe := copyIn(t, mkdir(t, filepath.Join(dir, "_temp"), 0o755, 0))
			if err := os.Link(exe, filepath.Join(dir, "other-name")); err != nil {
				t.Fatal(err)
			}
			return exe
		},
		"named through a link in an open directory: the real path is checked and named": func(t *testing.T, s *step, dir string) string {
			exe := copyIn(t, mkdir(t, filepath.Join(dir, "_temp"), 0o755, 0))
			open := mkdir(t, filepath.Join(dir, "open"), 0o777, 0)
			link := filepath.Join(open, "aws-oidc-go")
			os.Symlink(exe, link)
			return link
		},
	}
	for name, layout := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s := newStep(t)
			dir := filepath.Join(s.dir, "runner")
			mkdir(t, dir, 0o755, 0)
			aws := filepath.Join(s.dir, "home", ".aws")
			s.env["AWS_SHARED_CREDENTIALS_FILE"] = filepath.Join(aws, "credentials")
			s.env["AWS_CONFIG_FILE"] = filepath.Join(aws, "config")
			s.env["INPUT_AWS-PROFILE"] = "ci"
			s.env["INPUT_REFRESH"] = "true"
			exe := layout(t, s, dir)
			var ran string
			err := s.runWith(func(e *action.Env) {
				e.UID = os.Geteuid()
				e.Executable = exe
				e.CredentialProcess = func(exe, settings string) string { ran = exe; return exe + " credential-process --config " + settings }
			})
			if err != nil {
				t.Fatalf("Run: %v\n%s", err, s.stdout.String())
			}
			if strings.HasPrefix(ran, dir) || ran == exe {
				t.Fatalf("credential_process runs %q, the shim's copy under RUNNER_TEMP, which another user may replace", ran)
			}
			run := filepath.Dir(ran)
			if filepath.Dir(run) != aws || !strings.HasPrefix(filepath.Base(run), "aws-oidc-go-run-") {
				t.Fatalf("credential_process runs %q, want a file in the run's private directory under %s", ran, aws)
			}
			fi, err := os.Lstat(ran)
			if err != nil || !fi.Mode().IsRegular() || fi.Mode().Perm() != 0o700 {
				t.Fatalf("the copy %s: %v, mode %v; want a regular file, 0700", ran, err, fi.Mode())
			}
			if di, err := os.Lstat(run); err != nil || di.Mode().Perm() != 0o700 {
				t.Fatalf("the run directory %s: %v; want 0700", run, err)
			}
		})
	}
}

// copyIn makes the shim's private directory in temp (0700) with the copy
// of the binary in it (0700), as native/shim.js does.
func copyIn(t *testing.T, temp string) string {
	t.Helper()
	d, err := os.MkdirTemp(temp, "aws-oidc-go-native-")
	if err != nil {
		t.Fatal(err)
	}
	exe := filepath.Join(d, "aws-oidc-go_linux_amd64")
	if err := os.WriteFile(exe, []byte("#!the binary\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	return exe
}
