package handoff

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/org/aws-oidc-go/internal/dev/harness"
	"github.com/org/aws-oidc-go/internal/profile"
)

// TestNoCredentialsWhereThePostStepCannotRemoveThem: what the main step may
// write into, the post step may remove from. A sticky world-writable
// directory (AWS_SHARED_CREDENTIALS_FILE=/tmp/creds) is refused before any
// key is written, since Cleanup's checks refuse it.
func TestNoCredentialsWhereThePostStepCannotRemoveThem(t *testing.T) {
	t.Parallel()
	harness.UnixOnly(t, "a sticky world-writable directory")
	dir := filepath.Join(t.TempDir(), "tmp")
	os.Mkdir(dir, 0o700)
	os.Chmod(dir, os.ModeSticky|0o777)
	r, _ := Start(Options{Base: t.TempDir()})
	files := profile.Files{Credentials: filepath.Join(dir, "credentials"), Config: filepath.Join(dir, "config")}
	err := r.WriteProfile(ctx, files, profile.Entry{Name: "p", Region: "eu-west-1", AccessKeyID: "AKIAIOSFODNN7EXAMPLE", SecretAccessKey: "s", SessionToken: "t"}, false)
	if err == nil || !strings.Contains(err.Error(), "writable by group or others") {
		rep := Cleanup(ctx, r.State(), Checks{UID: os.Geteuid()})
		t.Fatalf("wrote into a sticky world-writable directory (err %v); Cleanup warned %q", err, rep.Warnings)
	}
	for _, p := range []string{files.Credentials, files.Config} {
		if _, err := os.Lstat(p); err == nil {
			t.Errorf("%s was written", p)
		}
	}
	// And whatever PrepareDir accepts, CheckDir accepts: one check.
	ok := t.TempDir()
	if err := profile.PrepareDir(ok, nil); err != nil {
		t.Fatal(err)
	}
	if err := CheckDir(ok, os.Geteuid()); err != nil {
		t.Errorf("PrepareDir accepts %s, CheckDir refuses it: %v", ok, err)
	}
}

// TestCleanupNeverFollowsASwappedRunDirectory: whoever owns the directory
// the run directory is in can rename it and put a link to a directory of
// their choosing in its place between Cleanup's check and its removals;
// nothing in the link's target is removed. Not parallel: it sets the
// package's test hook.
func TestCleanupNeverFollowsASwappedRunDirectory(t *testing.T) {
	base := t.TempDir()
	victim := filepath.Join(t.TempDir(), "victim")
	os.Mkdir(victim, 0o700)
	harness.Symlink(t, victim, filepath.Join(t.TempDir(), "probe"))
	r, _ := Start(Options{Base: base, Manifest: true})
	here, _, err := r.CreateFile("renewal.json", []byte("{}"), 0o600)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Dir(here)
	token := strings.TrimPrefix(filepath.Base(dir), RunDirPrefix)
	planted := []string{"renewal.json", ManifestName, "." + token + "-9"}
	for _, n := range planted {
		os.WriteFile(filepath.Join(victim, n), []byte("keep"), 0o600)
	}
	afterCheck = func(d string) {
		if d == dir {
			os.Rename(dir, dir+".real")
			os.Symlink(victim, dir)
		}
	}
	defer func() { afterCheck = func(string) {} }()
	rep := Cleanup(ctx, r.State(), Checks{UID: os.Geteuid()})
	for _, n := range planted {
		if b, err := os.ReadFile(filepath.Join(victim, n)); err != nil || string(b) != "keep" {
			t.Errorf("%s in the link's target: %q, %v (removed through the swapped run directory)", n, b, err)
		}
	}
	if !strings.Contains(strings.Join(rep.Warnings, "\n"), "replaced") {
		t.Errorf("no warning about the swap: %q", rep.Warnings)
	}
}

// TestReadCheckedRefusesAHardLinkedFile: a settings file or stash with a
// second name is refused: its other name may be somewhere others can
// reach, or it may be a file of the user's linked in.
func TestReadCheckedRefusesAHardLinkedFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	p := filepath.Join(dir, "stash")
	os.WriteFile(p, []byte("x"), 0o600)
	if _, err := ReadChecked(p, os.Geteuid()); err != nil {
		t.Fatalf("one link refused: %v", err)
	}
	if err := os.Link(p, filepath.Join(dir, "other")); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadChecked(p, os.Geteuid()); err == nil || !strings.Contains(err.Error(), "2 hard links") {
		t.Errorf("err = %v, want a refusal naming the hard links", err)
	}
}
