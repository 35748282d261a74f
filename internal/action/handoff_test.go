package action_test

// Regression tests: what outlives the step is ours alone.
// Each plays an attacker against the post step, the profile writer or the
// binary copy, using only action.Run, action.Post and the file system.

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/org/aws-oidc-go/internal/action"
	"github.com/org/aws-oidc-go/internal/dev/harness"
	"github.com/org/aws-oidc-go/internal/exchange"
	"github.com/org/aws-oidc-go/internal/hostpath"
)

// lastState is STATE_cleanup as the runner would hand it: the last value
// of the name in GITHUB_STATE.
func lastState(s *step) string {
	v := ""
	for _, l := range strings.Split(s.read("GITHUB_STATE"), "\n") {
		if x, ok := strings.CutPrefix(l, action.StateKey+"="); ok {
			v = x
		}
	}
	return v
}

// post runs the post step with the main step's environment plus extra,
// and returns its log.
func (s *step) post(t *testing.T, extra map[string]string, mounts hostpath.Mounts) string {
	t.Helper()
	env := map[string]string{}
	for k, v := range s.env {
		env[k] = v
	}
	for k, v := range extra {
		env[k] = v
	}
	var out bytes.Buffer
	if err := action.Post(context.Background(), action.Env{Workflow: true, Getenv: func(k string) string { return env[k] }, Log: &out,
		Mounts: func() (hostpath.Mounts, error) { return mounts, nil }}); err != nil {
		t.Fatal(err)
	}
	return out.String()
}

func readFile(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		return "<" + err.Error() + ">"
	}
	return string(b)
}

func lchown(t *testing.T, p string, uid int) {
	t.Helper()
	harness.UnixOnly(t, "numeric owners")
	if err := os.Lchown(p, uid, uid); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("chown %s: %v (the test needs root)", p, err)
		}
		t.Skipf("chown %s: %v (needs root)", p, err)
	}
}

// plantManifests leaves, in dir, manifests of every format this action
// has used, for the run key of s, claiming the victim files and PATH.
func plantManifests(t *testing.T, s *step, dir string, victims ...string) {
	t.Helper()
	var profiles []string
	for _, v := range victims {
		profiles = append(profiles, `{"path":"`+v+`","created":true}`, `{"path":"`+v+`","section":"victim","created":true,"digest":"00"}`)
	}
	old := `{"env":["PATH","GITHUB_TOKEN","AWS_REGION"],"profiles":[` + strings.Join(profiles, ",") + `]}`
	key := strings.Join([]string{s.env["GITHUB_RUN_ID"], s.env["GITHUB_RUN_ATTEMPT"], s.env["GITHUB_JOB"], s.env["GITHUB_ACTION"]}, "-")
	os.MkdirAll(dir, 0o700)
	os.WriteFile(filepath.Join(dir, "aws-oidc-go-manifest-"+key+".json"), []byte(old), 0o600)
	run := filepath.Join(dir, "aws-oidc-go-run-PLANTEDPLANTEDPLANTEDAAAAA")
	os.Mkdir(run, 0o700)
	planted := `{"v":1,"key":"` + strings.ReplaceAll(key, "-", "/") + `","dir":"` + run + `","env":["PATH","GITHUB_TOKEN","AWS_REGION"],"files":["../precious"],"profiles":[` +
		strings.ReplaceAll(strings.Join(profiles, ","), `"created":true}`, `"created":true,"digest":"00"}`) + `]}`
	os.WriteFile(filepath.Join(run, "manifest.json"), []byte(planted), 0o600)
}

// TestPostStepIgnoresAPlantedManifest: with no state
// from the runner, the post step used to obey whatever manifest it found
// beside the profile: delete any file it named, cut sections from the
// user's files, blank PATH. On GitHub's runner it now acts on STATE_
// alone; under act (which drops the state) only on a manifest in a run
// directory that verifies, and even then only on what verifies.
func TestPostStepIgnoresAPlantedManifest(t *testing.T) {
	t.Parallel()
	for _, runner := range []string{"GitHub", "act", "act, another user's directory"} {
		t.Run(runner, func(t *testing.T) {
			t.Parallel()
			s := newStep(t)
			s.env["GITHUB_RUN_ID"], s.env["GITHUB_RUN_ATTEMPT"], s.env["GITHUB_JOB"], s.env["GITHUB_ACTION"] = "9", "1", "deploy", "creds"
			awsDir := filepath.Join(s.env["HOME"], ".aws")
			precious := filepath.Join(s.env["HOME"], "precious")
			creds := filepath.Join(awsDir, "credentials")
			os.MkdirAll(awsDir, 0o700)
			os.WriteFile(precious, []byte("keep me\n"), 0o600)
			os.WriteFile(creds, []byte("[victim]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\n"), 0o600)
			plantManifests(t, s, awsDir, precious, creds)
			extra := map[string]string{}
			if runner != "GitHub" {
				extra["ACT"] = "true"
			}
			if runner == "act, another user's directory" {
				lchown(t, filepath.Join(awsDir, "aws-oidc-go-run-PLANTEDPLANTEDPLANTEDAAAAA"), 12345)
			}
			log := s.post(t, extra, hostpath.Mounts{})
			if got := readFile(t, precious); got != "keep me\n" {
				t.Errorf("a file the manifest named: %q", got)
			}
			if got := readFile(t, creds); got != "[victim]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\n" {
				t.Errorf("the user's credentials: %q", got)
			}
			if env := s.read("GITHUB_ENV"); strings.Contains(env, "PATH") || strings.Contains(env, "GITHUB_TOKEN") {
				t.Errorf("the post step blanked %q", env)
			}
			if runner == "GitHub" && !strings.Contains(log, "Nothing to clean up") {
				t.Errorf("log:\n%s", log)
			}
			if runner != "GitHub" && !strings.Contains(log, "::warning::") {
				t.Errorf("what did not verify was not named:\n%s", log)
			}
		})
	}
}

// findStash returns the stash of section in dir, wherever this action
// has kept it.
func findStash(t *testing.T, dir, base, section string) string {
	t.Helper()
	for _, pat := range []string{filepath.Join(dir, base+".aws-oidc-go-stash-"+section), filepath.Join(dir, "aws-oidc-go-run-*", "stash-"+base+"-"+section)} {
		if m, _ := filepath.Glob(pat); len(m) == 1 {
			return m[0]
		}
	}
	t.Fatalf("no stash of [%s] of %s in %s", section, base, dir)
	return ""
}

// TestPathsSwappedBetweenMainAndPost: the post step
// followed what it found at the recorded paths: a stash swapped for a link
// had the link's target copied into the credentials file; an AWS
// directory swapped for a link had another directory's files cut.
func TestPathsSwappedBetweenMainAndPost(t *testing.T) {
	t.Parallel()
	setup := func(t *testing.T) (*step, string) {
		s := newStep(t)
		dir := filepath.Join(s.dir, "aws")
		s.env["AWS_SHARED_CREDENTIALS_FILE"] = filepath.Join(dir, "credentials")
		s.env["AWS_CONFIG_FILE"] = filepath.Join(dir, "config")
		s.env["INPUT_AWS-PROFILE"] = "ci"
		return s, dir
	}
	t.Run("the stash becomes a link", func(t *testing.T) {
		t.Parallel()
		s, dir := setup(t)
		s.env["INPUT_OVERWRITE-AWS-PROFILE"] = "true"
		os.MkdirAll(dir, 0o700)
		mine := "[ci]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\n"
		os.WriteFile(filepath.Join(dir, "credentials"), []byte(mine), 0o600)
		if err := s.run(); err != nil {
			t.Fatal(err)
		}
		secret := filepath.Join(s.dir, "secret")
		os.WriteFile(secret, []byte("[ci]\naws_secret_access_key = STOLEN\n"), 0o600)
		stash := findStash(t, dir, "credentials", "ci")
		os.Remove(stash)
		os.Symlink(secret, stash)
		log := s.post(t, map[string]string{"STATE_cleanup": lastState(s)}, hostpath.Mounts{})
		if got := readFile(t, filepath.Join(dir, "credentials")); strings.Contains(got, "STOLEN") {
			t.Errorf("the link's target was copied into the credentials file:\n%s", got)
		}
		if !strings.Contains(log, "::warning::") {
			t.Errorf("the refused stash was not named:\n%s", log)
		}
	})
	t.Run("the AWS directory becomes a link", func(t *testing.T) {
		t.Parallel()
		s, dir := setup(t)
		if err := s.run(); err != nil {
			t.Fatal(err)
		}
		other := filepath.Join(s.dir, "other")
		os.MkdirAll(other, 0o700)
		os.WriteFile(filepath.Join(other, "credentials"), []byte("[ci]\nx = 1\n"), 0o600)
		os.WriteFile(filepath.Join(other, "config"), []byte("[profile ci]\nregion = eu-west-1\n"), 0o600)
		os.Rename(dir, dir+".moved")
		os.Symlink(other, dir)
		log := s.post(t, map[string]string{"STATE_cleanup": lastState(s)}, hostpath.Mounts{})
		if got := readFile(t, filepath.Join(other, "credentials")); got != "[ci]\nx = 1\n" {
			t.Errorf("another directory's credentials: %q", got)
		}
		if got := readFile(t, filepath.Join(other, "config")); got != "[profile ci]\nregion = eu-west-1\n" {
			t.Errorf("another directory's config: %q", got)
		}
		if !strings.Contains(log, "::warning::") {
			t.Errorf("the link was not named:\n%s", log)
		}
	})
	t.Run("a planted link where the binary is copied", func(t *testing.T) {
		t.Parallel()
		harness.UnixOnly(t, "a container action: containers run Linux")
		s, dir := setup(t)
		s.env["INPUT_REFRESH"] = "true"
		os.MkdirAll(filepath.Join(dir, "bin"), 0o700)
		victim := filepath.Join(s.dir, "victim")
		os.WriteFile(victim, []byte("precious\n"), 0o644)
		os.Symlink(victim, filepath.Join(dir, "bin", "aws-oidc-go"))
		exe := filepath.Join(s.dir, "exe")
		os.WriteFile(exe, []byte("#!the binary\n"), 0o755)
		var line string
		err := s.runWith(func(e *action.Env) {
			e.Executable = exe
			e.CredentialProcess = func(exe, settings string) string { line = exe + " " + settings; return line }
			// A container action: the binary is copied for the host.
			e.Mounts = func() (hostpath.Mounts, error) {
				return hostpath.Mounts{"/github/workspace": s.env["GITHUB_WORKSPACE"], s.dir: s.dir}, nil
			}
		})
		if err != nil {
			t.Fatalf("Run: %v\n%s", err, s.stdout.String())
		}
		if got := readFile(t, victim); got != "precious\n" {
			t.Errorf("the copy was written through the planted link: %q", got)
		}
		copied, _, _ := strings.Cut(line, " ")
		fi, err := os.Lstat(copied)
		if err != nil || !fi.Mode().IsRegular() || fi.Mode().Perm() != 0o700 || !strings.Contains(copied, "aws-oidc-go-run-") {
			t.Errorf("credential_process runs %s (%v, %v), want a 0700 file in the run's directory", copied, fi, err)
		}
	})
}

// holdLock takes path's lock file as another process would, until the
// test ends.
func holdLock(t *testing.T, path string) {
	t.Helper()
	os.MkdirAll(filepath.Dir(path), 0o700)
	f, err := os.OpenFile(path+".lock", os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	if err := lockAsAnother(f); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
}

// within fails the test when f does not return in d (it would hang).
func within(t *testing.T, d time.Duration, what string, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() { defer close(done); f() }()
	select {
	case <-done:
	case <-time.After(d):
		t.Fatalf("%s still running after %s: it hangs on the held lock", what, d)
	}
}

// TestHeldLockGivesWay: with another process holding
// credentials.lock, the main step ignored action-timeout-s and SIGTERM,
// and the post step hung at cleanup.
func TestHeldLockGivesWay(t *testing.T) {
	t.Parallel()
	setup := func(t *testing.T) (*step, string) {
		s := newStep(t)
		dir := filepath.Join(s.dir, "aws")
		s.env["AWS_SHARED_CREDENTIALS_FILE"] = filepath.Join(dir, "credentials")
		s.env["AWS_CONFIG_FILE"] = filepath.Join(dir, "config")
		s.env["INPUT_AWS-PROFILE"] = "ci"
		return s, dir
	}
	t.Run("action-timeout-s", func(t *testing.T) {
		t.Parallel()
		s, dir := setup(t)
		s.env["INPUT_ACTION-TIMEOUT-S"] = "1"
		holdLock(t, filepath.Join(dir, "credentials"))
		var err error
		within(t, 20*time.Second, "the main step", func() { err = s.run() })
		if err == nil || !strings.Contains(err.Error(), "action-timeout-s") {
			t.Errorf("err = %v", err)
		}
		s.assertNothingExported()
	})
	t.Run("SIGTERM", func(t *testing.T) {
		t.Parallel()
		s, dir := setup(t)
		holdLock(t, filepath.Join(dir, "credentials"))
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(300*time.Millisecond, cancel) // main.go cancels on SIGTERM
		var err error
		within(t, 20*time.Second, "the main step", func() {
			err = runStep(ctx, action.Env{Workflow: true, Getenv: func(k string) string { return s.env[k] }, Log: &s.stdout,
				NewSTS: s.runWithSTS(), Mounts: func() (hostpath.Mounts, error) { return hostpath.Mounts{}, nil }})
		})
		if err == nil {
			t.Error("the main step succeeded")
		}
	})
	t.Run("post step", func(t *testing.T) {
		t.Parallel()
		s, dir := setup(t)
		if err := s.run(); err != nil {
			t.Fatal(err)
		}
		state := lastState(s)
		before := readFile(t, filepath.Join(dir, "credentials"))
		holdLock(t, filepath.Join(dir, "credentials"))
		var log string
		within(t, 30*time.Second, "the post step", func() { log = s.post(t, map[string]string{"STATE_cleanup": state}, hostpath.Mounts{}) })
		if !strings.Contains(log, "::warning::") || !strings.Contains(log, "credentials") {
			t.Errorf("the post step did not say what it left:\n%s", log)
		}
		if got := readFile(t, filepath.Join(dir, "credentials")); got != before {
			t.Error("the locked file changed")
		}
	})
}

// TestFilesGoToTheRunnersUser: in the container (root)
// the lock files were root's, 0600, so a later step as the runner's user
// could not lock them; the post step's rewrites were left root-owned.
func TestFilesGoToTheRunnersUser(t *testing.T) {
	t.Parallel()
	harness.UnixOnly(t, "a root container handing files to the runner's uid")
	harness.NeedsRoot(t, "chown")
	s := newStep(t)
	dir := filepath.Join(s.dir, "aws")
	os.MkdirAll(dir, 0o700)
	os.Chown(dir, 1234, 1234)
	user := "[mine]\nx = 1\n"
	os.WriteFile(filepath.Join(dir, "credentials"), []byte(user), 0o600)
	os.Chown(filepath.Join(dir, "credentials"), 1234, 1234)
	s.env["AWS_SHARED_CREDENTIALS_FILE"] = filepath.Join(dir, "credentials")
	s.env["AWS_CONFIG_FILE"] = filepath.Join(dir, "config")
	s.env["INPUT_AWS-PROFILE"] = "ci"
	os.Chown(s.env["GITHUB_ENV"], 1234, 1234)
	if err := s.runWith(func(e *action.Env) { e.Root = true }); err != nil {
		t.Fatal(err)
	}
	owner := func(p string) int {
		fi, err := os.Lstat(p)
		if err != nil {
			return -1
		}
		return ownerUID(fi)
	}
	for _, p := range []string{"credentials.lock", "config.lock", "credentials", "config"} {
		if uid := owner(filepath.Join(dir, p)); uid != 1234 {
			t.Errorf("%s owned by uid %d after the main step, want the runner's 1234", p, uid)
		}
	}
	s.post(t, map[string]string{"STATE_cleanup": lastState(s)}, hostpath.Mounts{})
	if got := readFile(t, filepath.Join(dir, "credentials")); got != user {
		t.Errorf("credentials after the post step: %q", got)
	}
	if uid := owner(filepath.Join(dir, "credentials")); uid != 1234 {
		t.Errorf("the post step (root) left the credentials file owned by uid %d, want 1234", uid)
	}
}

// blockedOnFIFO reports whether a thread of this process waits to open a
// FIFO for writing (Linux).
func blockedOnFIFO() bool {
	tasks, _ := filepath.Glob("/proc/self/task/*/wchan")
	for _, w := range tasks {
		if b, _ := os.ReadFile(w); string(b) == "wait_for_partner" {
			return true
		}
	}
	return false
}

// TestKilledBeforeTheStateIsSavedLeavesNothing: the
// profile used to be written before anything recorded it, so a kill in
// between left credentials no post step would remove. GITHUB_STATE is a
// FIFO nobody reads: the main step blocks at its first record, which is
// where a kill would find it; what is on disk then must be nothing the
// post step cannot remove.
func TestKilledBeforeTheStateIsSavedLeavesNothing(t *testing.T) {
	t.Parallel()
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc")
	}
	s := newStep(t)
	dir := filepath.Join(s.dir, "aws")
	s.env["AWS_SHARED_CREDENTIALS_FILE"] = filepath.Join(dir, "credentials")
	s.env["AWS_CONFIG_FILE"] = filepath.Join(dir, "config")
	s.env["INPUT_AWS-PROFILE"] = "ci"
	fifo := filepath.Join(s.dir, "state.fifo")
	if err := mkfifo(fifo); err != nil {
		t.Fatal(err)
	}
	s.env["GITHUB_STATE"] = fifo
	done := make(chan error, 1)
	go func() { done <- s.run() }()
	deadline := time.Now().Add(20 * time.Second)
	for !blockedOnFIFO() {
		select {
		case err := <-done:
			t.Fatalf("the main step ended without writing GITHUB_STATE: %v", err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("the main step never reached GITHUB_STATE")
		}
		time.Sleep(5 * time.Millisecond)
	}
	// The kill: nothing reached the runner's state.
	var left []string
	filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err == nil && fi.Mode().IsRegular() {
			if b, _ := os.ReadFile(p); bytes.Contains(b, []byte("aws_secret_access_key")) {
				left = append(left, p)
			}
		}
		return nil
	})
	if len(left) > 0 {
		t.Errorf("a kill here leaves credentials that no state records: %v", left)
	}
	// Let the blocked step finish.
	r, err := os.Open(fifo)
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		b := make([]byte, 1<<16)
		for {
			if _, err := r.Read(b); err != nil {
				return
			}
		}
	}()
	<-done
	r.Close()
}

// runWithSTS is the fake STS factory runWith uses.
func (s *step) runWithSTS() action.STSFactory {
	return func(_ context.Context, _ exchange.ClientConfig, sg exchange.Signing) (exchange.API, error) {
		return fakeClient{s.sts, sg}, nil
	}
}

// TestKilledAtAnyPointLeavesNothingThePostStepCannotRemove: the main step is killed (its goroutine ends on the spot, no
// undo runs) at each point where it writes something that outlives it;
// the post step, given what the runner would give it (the last
// GITHUB_STATE record, or under act the manifest), must leave no
// credentials, no temporary file and no run directory behind, and the
// user's own section as it was.
func TestKilledAtAnyPointLeavesNothingThePostStepCannotRemove(t *testing.T) {
	t.Parallel()
	const mine = "# mine\n[ci]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\n\n[other]\nx = 1\n"
	const theirs = "[other]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\n"
	scenarios := map[string]func(s *step, dir string) func(*action.Env){
		"overwrite a section": func(s *step, dir string) func(*action.Env) {
			s.env["INPUT_OVERWRITE-AWS-PROFILE"] = "true"
			os.WriteFile(filepath.Join(dir, "credentials"), []byte(mine), 0o600)
			return func(*action.Env) {}
		},
		// No overwrite, no refresh, not under act: the run makes no
		// directory, and its token must still tie the temporary file to it
		// (issue 23, item 6).
		"a new section, no run directory": func(s *step, dir string) func(*action.Env) {
			os.WriteFile(filepath.Join(dir, "credentials"), []byte(theirs), 0o600)
			return func(*action.Env) {}
		},
		// refresh from the CLI copies the running image into the run's
		// directory too (issue 23, item 3).
		"refresh on the host": func(s *step, dir string) func(*action.Env) {
			s.env["INPUT_REFRESH"] = "true"
			image := filepath.Join(s.dir, "image")
			os.WriteFile(image, []byte("#!the running image\n"), 0o755)
			return func(e *action.Env) {
				e.Executable = filepath.Join(s.dir, "started-from")
				e.Image = func() (*os.File, error) { return os.Open(image) }
				e.CredentialProcess = func(exe, settings string) string { return exe + " credential-process --config " + settings }
			}
		},
		"refresh in a container under act": func(s *step, dir string) func(*action.Env) {
			s.env["INPUT_REFRESH"] = "true"
			s.env["ACT"] = "true"
			exe := filepath.Join(s.dir, "exe")
			os.WriteFile(exe, []byte("#!the binary\n"), 0o755)
			return func(e *action.Env) {
				e.Executable = exe
				e.CredentialProcess = func(exe, settings string) string { return exe + " credential-process --config " + settings }
				e.Mounts = s.containerMounts
			}
		},
	}
	for name, setup := range scenarios {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if strings.Contains(name, "container") {
				harness.UnixOnly(t, "a container action: containers run Linux")
			}
			for kill := 0; ; kill++ {
				s := newStep(t)
				dir := filepath.Join(s.dir, "aws")
				os.MkdirAll(dir, 0o700)
				s.env["AWS_SHARED_CREDENTIALS_FILE"] = filepath.Join(dir, "credentials")
				s.env["AWS_CONFIG_FILE"] = filepath.Join(dir, "config")
				s.env["INPUT_AWS-PROFILE"] = "ci"
				adjust := setup(s, dir)
				var points []string
				killed := false
				done := make(chan struct{})
				go func() {
					defer close(done)
					s.runWith(func(e *action.Env) {
						adjust(e)
						e.HandoffHook = func(point string) error {
							points = append(points, point)
							if len(points) == kill+1 {
								killed = true
								runtime.Goexit() // SIGKILL: nothing more runs, no undo
							}
							return nil
						}
					})
				}()
				<-done
				// What is there for the post step to remove: our sections
				// installed, and temporary files a kill left.
				sections, temps := 0, 0
				for _, f := range []string{"credentials", "config"} {
					b, _ := os.ReadFile(filepath.Join(dir, f))
					if bytes.Contains(b, []byte("[ci]")) && !bytes.Contains(b, []byte("# mine")) || bytes.Contains(b, []byte("[profile ci]")) {
						sections++
					}
				}
				if entries, _ := filepath.Glob(filepath.Join(dir, ".aws-oidc-go-tmp-*")); len(entries) > 0 {
					temps = len(entries)
				}
				extra := map[string]string{"STATE_cleanup": lastState(s)}
				mounts := hostpath.Mounts{}
				if s.env["ACT"] == "true" {
					extra["STATE_cleanup"] = "" // act drops it
					mounts, _ = s.containerMounts()
				}
				log := s.post(t, extra, mounts)
				where := "after the run"
				if killed {
					where = "killed at " + points[len(points)-1] + " (point " + string(rune('0'+kill)) + ")"
				}
				filepath.Walk(s.dir, func(p string, fi os.FileInfo, err error) error {
					if err != nil {
						return nil
					}
					base := filepath.Base(p)
					if strings.HasPrefix(base, "aws-oidc-go-run-") || strings.HasPrefix(base, ".aws-oidc-go-tmp-") {
						t.Errorf("%s: %s left behind\n%s", where, p, log)
					}
					if fi.Mode().IsRegular() {
						if b, _ := os.ReadFile(p); bytes.Contains(b, []byte("aws_secret_access_key")) || bytes.Contains(b, []byte("credential_process")) {
							t.Errorf("%s: %s still holds credentials\n%s", where, p, log)
						}
					}
					return nil
				})
				if name == "overwrite a section" {
					if got := readFile(t, filepath.Join(dir, "credentials")); got != mine {
						t.Errorf("%s: the user's credentials file is %q, want it as it was", where, got)
					}
				}
				if name == "a new section, no run directory" {
					if got := readFile(t, filepath.Join(dir, "credentials")); got != theirs {
						t.Errorf("%s: the user's credentials file is %q, want it as it was", where, got)
					}
					// The report says what was done, not what was recorded.
					want := fmt.Sprintf("removed %d profile file(s) and section(s)", sections)
					if temps > 0 {
						want += fmt.Sprintf("; removed %d temporary file(s) an interrupted write left beside the profile files", temps)
					}
					if !strings.Contains(log, want+"\n") {
						t.Errorf("%s: the post step does not say %q:\n%s", where, want, log)
					}
				}
				if strings.Contains(log, "::warning::") {
					t.Errorf("%s: the post step warned:\n%s", where, log)
				}
				if !killed {
					if kill < 3 {
						t.Fatalf("only %d kill points (%v)", kill, points)
					}
					t.Logf("killed at each of %v", points)
					return
				}
			}
		})
	}
}

// containerMounts is a container action's mount table in which the
// step's directory is shared with the host at the same path.
func (s *step) containerMounts() (hostpath.Mounts, error) {
	return hostpath.Mounts{"/github/workspace": s.env["GITHUB_WORKSPACE"], s.dir: s.dir}, nil
}
