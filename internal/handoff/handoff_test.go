package handoff

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/org/aws-oidc-go/internal/profile"
	"github.com/org/aws-oidc-go/internal/runner"

	"github.com/org/aws-oidc-go/internal/dev/harness"
)

var ctx = context.Background()

// TestRunDirIsCreatedNotFound: the run's directory is a fresh, private,
// unguessable directory handed to the runner's user, recorded before it
// exists; its files are created, never written through what is there.
func TestRunDirIsCreatedNotFound(t *testing.T) {
	t.Parallel()
	harness.NeedsRoot(t, "chown")
	base := t.TempDir()
	stateFile := filepath.Join(t.TempDir(), "state")
	records := runner.New(io.Discard, func(k string) string { return map[string]string{"GITHUB_STATE": stateFile}[k] }, true).Begin()
	recorded := 0
	r, _ := Start(Options{Base: base, Later: "/host/base", Owner: &profile.Owner{UID: 4242, GID: 4242}, Key: "k",
		Records: records,
		Hook: func(point string) error {
			// Called after each record, before the write it names.
			if s := lastState(t, stateFile); point == "dir" {
				recorded++
				if _, err := os.Lstat(s.Dir); s.Dir == "" || err == nil {
					t.Errorf("the directory %q existed before it was recorded, or was not recorded", s.Dir)
				}
			}
			return nil
		}})
	here, later, err := r.Dir()
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^aws-oidc-go-run-[A-Z2-7]{26}$`).MatchString(filepath.Base(here)) || later != filepath.Join("/host/base", filepath.Base(here)) {
		t.Errorf("dir %s, later %s", here, later)
	}
	if fi, _ := os.Lstat(here); fi.Mode().Perm() != 0o700 || uidOf(t, here) != 4242 {
		t.Errorf("dir mode %v owner %d", fi.Mode().Perm(), uidOf(t, here))
	}
	p, _, err := r.CreateFile("renewal.json", []byte("{}"), 0o600)
	if err != nil || uidOf(t, p) != 4242 {
		t.Fatalf("CreateFile: %v", err)
	}
	if got := lastState(t, stateFile); recorded != 1 || got.Dir != here || len(got.Files) != 1 || got.Key != "k" {
		t.Errorf("last record %+v (%d records of the directory)", got, recorded)
	}
	// A path that exists is never written through or replaced.
	victim := filepath.Join(t.TempDir(), "victim")
	os.WriteFile(victim, []byte("keep"), 0o600)
	os.Symlink(victim, filepath.Join(here, "aws-oidc-go"))
	if _, _, err := r.CreateFile("aws-oidc-go", []byte("binary"), 0o700); err == nil {
		t.Error("wrote over a planted link")
	}
	if b, _ := os.ReadFile(victim); string(b) != "keep" {
		t.Errorf("victim = %q", b)
	}
	for _, bad := range []string{"../x", ".hidden", ManifestName, "a/b"} {
		if _, _, err := r.CreateFile(bad, nil, 0o600); err == nil {
			t.Errorf("CreateFile(%q) accepted", bad)
		}
	}
	// A second run never gets the same directory.
	r2, _ := Start(Options{Base: base})
	if h2, _, _ := r2.Dir(); h2 == here {
		t.Error("two runs share a directory")
	}
}

// TestChecks: what is read back must be a regular file of the expected
// user, in a directory nobody else can change.
func TestChecks(t *testing.T) {
	t.Parallel()
	harness.NeedsRoot(t, "chown")
	uid := os.Geteuid()
	mk := func(t *testing.T, dirMode, mode os.FileMode, fileUID, dirUID int) string {
		d := filepath.Join(t.TempDir(), "d")
		os.Mkdir(d, dirMode)
		os.Chmod(d, dirMode)
		p := filepath.Join(d, "f")
		os.WriteFile(p, []byte("x"), mode)
		os.Chmod(p, mode)
		os.Lchown(p, fileUID, fileUID)
		os.Lchown(d, dirUID, dirUID)
		return p
	}
	for name, tc := range map[string]struct {
		path func(t *testing.T) string
		want string // "" = accepted
	}{
		"ours":              {func(t *testing.T) string { return mk(t, 0o700, 0o600, uid, uid) }, ""},
		"root's directory":  {func(t *testing.T) string { return mk(t, 0o755, 0o600, 4242, 0) }, ""},
		"other's file":      {func(t *testing.T) string { return mk(t, 0o700, 0o600, 12345, uid) }, "owned by uid 12345"},
		"other's directory": {func(t *testing.T) string { return mk(t, 0o700, 0o600, uid, 12345) }, "owned by uid 12345"},
		"group-writable":    {func(t *testing.T) string { return mk(t, 0o700, 0o660, uid, uid) }, "writable by group or others"},
		"open directory":    {func(t *testing.T) string { return mk(t, 0o777, 0o600, uid, uid) }, "writable by group or others"},
		"sticky directory":  {func(t *testing.T) string { return mk(t, 0o1777, 0o600, uid, uid) }, "writable by group or others"},
		"link": {func(t *testing.T) string {
			p := mk(t, 0o700, 0o600, uid, uid)
			l := p + ".l"
			os.Symlink(p, l)
			return l
		}, "symbolic link"},
		"linked directory": {func(t *testing.T) string {
			p := mk(t, 0o700, 0o600, uid, uid)
			l := filepath.Dir(p) + ".l"
			os.Symlink(filepath.Dir(p), l)
			return filepath.Join(l, "f")
		}, "symbolic link"},
		"not a regular file": {func(t *testing.T) string {
			p := mk(t, 0o700, 0o600, uid, uid)
			os.Remove(p)
			os.Mkdir(p, 0o700)
			return p
		}, "not a regular file"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			p := tc.path(t)
			checkUID := uid
			if name == "root's directory" {
				checkUID = 4242
			}
			_, err := ReadChecked(p, checkUID)
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("refused: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

// TestCleanupLeavesWhatChangedAlone: a section edited since it was
// written, a stash outside the run directory and a variable this action
// never exports are left alone, each with a warning.
func TestCleanupLeavesWhatChangedAlone(t *testing.T) {
	t.Parallel()
	uid := os.Geteuid()
	base := t.TempDir()
	files := profile.Files{Credentials: filepath.Join(base, "credentials"), Config: filepath.Join(base, "config")}
	r, _ := Start(Options{Base: base})
	if err := r.WriteProfile(ctx, files, profile.Entry{Name: "ci", Region: "eu-west-1", AccessKeyID: "AKIAIOSFODNN7EXAMPLE", SecretAccessKey: "s"}, false); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(files.Credentials)
	edited := strings.Replace(string(b), "aws_secret_access_key = s", "aws_secret_access_key = s2", 1)
	os.WriteFile(files.Credentials, []byte(edited), 0o600)
	s := r.State()
	s.Env = []string{"AWS_REGION", "PATH"}
	s.Profiles = append(s.Profiles, profile.Written{Path: files.Config, Section: "x", Digest: "00", Stash: "/etc/passwd"})
	rep := Cleanup(ctx, s, Checks{UID: uid})
	if got, _ := os.ReadFile(files.Credentials); string(got) != edited {
		t.Errorf("an edited section was touched: %q", got)
	}
	if _, err := os.Stat(files.Config); err == nil {
		t.Error("the config section that verified was not removed")
	}
	all := strings.Join(rep.Warnings, "\n")
	for _, want := range []string{"changed since", "PATH", "/etc/passwd"} {
		if !strings.Contains(all, want) {
			t.Errorf("no warning about %s:\n%s", want, all)
		}
	}
	if strings.Join(rep.Blank, ",") != "AWS_REGION" {
		t.Errorf("blank %v", rep.Blank)
	}
}

// lastState is the last State recorded in the GITHUB_STATE file path.
func lastState(t *testing.T, path string) State {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	v, ok := strings.CutPrefix(lines[len(lines)-1], StateKey+"=")
	if !ok {
		t.Fatalf("last line %q is not a record", lines[len(lines)-1])
	}
	s, err := ParseState([]byte(v))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestSaveAndUndoOwnTheRecords: the handoff writes its own GITHUB_STATE
// lines — a record before each write, the final State into the export's
// transaction — and a failed step's Undo takes its records back once the
// files are gone; without Records nothing is written there.
func TestSaveAndUndoOwnTheRecords(t *testing.T) {
	t.Parallel()
	stateFile := filepath.Join(t.TempDir(), "state")
	wf := runner.New(io.Discard, func(k string) string { return map[string]string{"GITHUB_STATE": stateFile}[k] }, true)
	r, err := Start(Options{Base: t.TempDir(), Records: wf.Begin()})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Save(wf.Begin()); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stateFile); !os.IsNotExist(err) {
		t.Errorf("an empty State was saved: %v", err)
	}
	if _, _, err := r.CreateFile("renewal.json", []byte("{}"), 0o600); err != nil {
		t.Fatal(err)
	}
	tx := wf.Begin()
	if err := r.Save(tx); err != nil {
		t.Fatal(err)
	}
	if s := lastState(t, stateFile); s.Dir == "" || len(s.Files) != 1 {
		t.Errorf("saved %+v", s)
	}
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	if err := r.Undo(ctx); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(stateFile); err != nil || len(b) != 0 {
		t.Errorf("after Undo GITHUB_STATE holds %q (%v)", b, err)
	}
	if _, err := os.Lstat(r.State().Dir); !os.IsNotExist(err) {
		t.Errorf("the run's directory is still there: %v", err)
	}

	// No Records: no state, not even the final one.
	r2, _ := Start(Options{Base: t.TempDir()})
	r2.CreateFile("renewal.json", []byte("{}"), 0o600)
	if err := r2.Save(wf.Begin()); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(stateFile); len(b) != 0 {
		t.Errorf("a run without Records saved %q", b)
	}
}
