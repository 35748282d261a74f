package handoff

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestFinishIsThePostStepsWalk: the state the runner handed back is all
// the post step acts on; an unreadable one touches nothing; manifests
// are read only where the runner drops state and no state came, and only
// this run's.
func TestFinishIsThePostStepsWalk(t *testing.T) {
	t.Parallel()
	base := t.TempDir()
	r, err := Start(Options{Base: base, Key: "run/1/job/step", Manifest: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.SetEnv([]string{"AWS_REGION", "PATH"}); err != nil {
		t.Fatal(err)
	}
	dir, _, err := r.Dir()
	if err != nil {
		t.Fatal(err)
	}
	uid := Checks{UID: NoUID} // owners are TestRunDirIsCreatedNotFound's
	state, _ := Encode(r.State())
	manifests := Left{DropsState: true, Bases: []string{base}, Key: "run/1/job/step"}

	if f := Finish(ctx, Left{State: "{not json", DropsState: true, Bases: manifests.Bases, Key: manifests.Key}, uid); f.Unreadable == nil || f.States != 0 {
		t.Errorf("an unreadable state: %+v", f)
	}
	if f := Finish(ctx, Left{Bases: manifests.Bases, Key: manifests.Key}, uid); f.States != 0 {
		t.Errorf("a manifest was read where the runner keeps state: %+v", f)
	}
	other := manifests
	other.Key = "run/1/job/other-step"
	if f := Finish(ctx, other, uid); f.States != 0 {
		t.Errorf("another step's manifest was taken: %+v", f)
	}
	if _, err := os.Lstat(dir); err != nil {
		t.Fatalf("the run directory went before its own post step: %v", err)
	}

	if f := Finish(ctx, manifests, uid); f.States != 1 || f.From != "the cleanup manifest" || !slices.Equal(f.Blank, []string{"AWS_REGION"}) {
		t.Errorf("from the manifest: %+v", f)
	}
	if _, err := os.Lstat(dir); !os.IsNotExist(err) {
		t.Errorf("the verified run directory is still there: %v", err)
	}
	f := Finish(ctx, Left{State: state}, uid)
	if f.States != 1 || f.From != "the main step's state" || !slices.Equal(f.Blank, []string{"AWS_REGION"}) || len(f.Warnings) != 1 {
		t.Errorf("from the state: %+v", f)
	}
}

// TestManifestsOnlyInDirectoriesNamedAsStartNamesThem: a directory with
// the run prefix whose rest is not a token Start makes (the hex form of
// before rand.Text, a name someone chose) is not read, however well it
// verifies otherwise, and the warning names it.
func TestManifestsOnlyInDirectoriesNamedAsStartNamesThem(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"0123456789abcdef0123456789abcdef", "planted", "ABCDEFGHIJKLMNOPQRSTUVWXY", "abcdefghijklmnopqrstuvwxyz"} {
		base := t.TempDir()
		dir := filepath.Join(base, RunDirPrefix+name)
		os.Mkdir(dir, 0o700)
		m, _ := Encode(State{Key: "k", Dir: dir, Env: []string{"AWS_REGION"}})
		os.WriteFile(filepath.Join(dir, ManifestName), []byte(m), 0o600)
		states, warnings := Manifests([]string{base}, "k", NoUID)
		if len(states) != 0 || len(warnings) != 1 || !strings.Contains(warnings[0], dir) {
			t.Errorf("%s: states %+v, warnings %q", name, states, warnings)
		}
		// The same manifest in a directory named as Start names them is
		// read. A directory of its own, not a rename: on a file system
		// that ignores case (Windows) the last name differs only in case.
		base = t.TempDir()
		good := filepath.Join(base, RunDirPrefix+"ABCDEFGHIJKLMNOPQRSTUVWXYZ")
		os.Mkdir(good, 0o700)
		m, _ = Encode(State{Key: "k", Dir: good, Env: []string{"AWS_REGION"}})
		os.WriteFile(filepath.Join(good, ManifestName), []byte(m), 0o600)
		if states, warnings := Manifests([]string{base}, "k", NoUID); len(states) != 1 || len(warnings) != 0 {
			t.Errorf("%s, renamed: states %+v, warnings %q", name, states, warnings)
		}
	}
}
