package e2e

// The acceptance suite under an independent runner: nektos/act (whose code
// also runs the Forgejo and Gitea runners) runs real workflow files from
// testdata/workflows/ with the action's real image. .ci/run installs act
// and the job image (scripts/act-up) and sets AWS_OIDC_GO_ACT_JOB_IMAGE;
// without them the tests skip, except under CI=true.

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/org/aws-oidc-go/internal/dev/harness"
)

// actRun is one `act` run of one workflow file.
type actRun struct {
	Output string // act's whole output (stdout and stderr)
	Err    error  // act's exit status
	Dir    string // the bound workspace
}

// actWorld is what every act run in a test shares: the image, the action
// checkout act maps `uses: org/aws-oidc-go@v1` to, the fake token service
// and STS (moto, through a recording fault proxy).
type actWorld struct {
	t        testing.TB
	act      string
	jobImage string
	action   string // a checkout of this repository whose action.yml runs the local image
	gh       *harness.TokenService
	sts      *harness.Proxy
}

func newActWorld(t testing.TB) *actWorld {
	t.Helper()
	act, err := actPrerequisites(os.Getenv, exec.LookPath, fileExists)
	harness.Require(t, err)
	img := image(t)
	jobImage := os.Getenv("AWS_OIDC_GO_ACT_JOB_IMAGE")
	moto := harness.SharedMoto(t)
	w := &actWorld{t: t, act: act, jobImage: jobImage, gh: harness.NewTokenService(), sts: harness.NewProxy(moto.URL)}
	t.Cleanup(w.gh.Close)
	t.Cleanup(w.sts.Close)
	// The action as the release commit publishes it: action.yml naming a
	// prebuilt image instead of the Dockerfile.
	w.action = t.TempDir()
	b, err := os.ReadFile(filepath.Join(repoRoot(), "action.yml"))
	if err != nil {
		t.Fatal(err)
	}
	pinned := strings.Replace(string(b), "image: Dockerfile", "image: docker://"+img, 1)
	if pinned == string(b) {
		t.Fatal("action.yml has no `image: Dockerfile` to pin")
	}
	os.WriteFile(filepath.Join(w.action, "action.yml"), []byte(pinned), 0o644)
	// act keeps one volume, act-toolcache, for every run on the machine
	// (success or failure); remove it again if this suite created it.
	toolcache.once.Do(func() { toolcache.existed = exec.Command("docker", "volume", "inspect", "act-toolcache").Run() == nil })
	if !toolcache.existed {
		t.Cleanup(func() { _ = exec.Command("docker", "volume", "rm", "act-toolcache").Run() }) // fails while in use: fine
	}
	return w
}

var toolcache struct {
	once    sync.Once
	existed bool
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

// actPrerequisites finds act and names, in one message, everything the act
// suite lacks: the action's image, act and its job image, each with the
// command that makes it and the variable to set.
func actPrerequisites(getenv func(string) string, lookPath func(string) (string, error), exists func(string) bool) (string, error) {
	var missing []string
	if getenv("AWS_OIDC_GO_IMAGE") == "" {
		missing = append(missing, "the action's image in AWS_OIDC_GO_IMAGE (`make image`, then AWS_OIDC_GO_IMAGE=aws-oidc-go:test)")
	}
	act, err := lookPath("act")
	if err != nil {
		act = ""
		if p := filepath.Join(getenv("HOME"), "go", "bin", "act"); exists(p) {
			act = p
		}
	}
	jobImage := getenv("AWS_OIDC_GO_ACT_JOB_IMAGE") != ""
	switch {
	case act == "" && !jobImage:
		missing = append(missing, "act and its job image in AWS_OIDC_GO_ACT_JOB_IMAGE (scripts/act-up installs act and builds the job image: AWS_OIDC_GO_ACT_JOB_IMAGE=$(scripts/act-up | tail -n 1))")
	case act == "":
		missing = append(missing, "act (scripts/act-up installs it)")
	case !jobImage:
		missing = append(missing, "act's job image in AWS_OIDC_GO_ACT_JOB_IMAGE (AWS_OIDC_GO_ACT_JOB_IMAGE=$(scripts/act-up | tail -n 1))")
	}
	if len(missing) > 0 {
		return "", errors.New("the act suite needs " + strings.Join(missing, "; and "))
	}
	return act, nil
}

// run runs one workflow under act in a fresh bound workspace; env adds or
// overrides variables act hands the steps.
func (w *actWorld) run(workflow string, env map[string]string, extra ...string) actRun {
	w.t.Helper()
	ws := w.t.TempDir()
	wfDir := filepath.Join(ws, ".github", "workflows")
	os.MkdirAll(wfDir, 0o755)
	b, err := os.ReadFile(filepath.Join(repoRoot(), "testdata", "workflows", workflow))
	if err != nil {
		w.t.Fatal(err)
	}
	// A workflow name of its own for this run: act names the job's
	// container and volumes after it (act-<workflow>-<job>-<hash>), so runs
	// elsewhere on the machine cannot collide with this one and what it
	// leaves behind can be told apart.
	name := uniqueWorkflowName(workflow)
	if loc := workflowName.FindIndex(b); loc != nil {
		b = append(append(append([]byte(nil), b[:loc[0]]...), "name: "+name+"\n"...), b[loc[1]:]...)
	} else {
		b = append([]byte("name: "+name+"\n"), b...)
	}
	os.WriteFile(filepath.Join(wfDir, workflow), b, 0o644)
	// A repository, as act expects (it reads the ref and sha from git).
	for _, g := range [][]string{{"init", "-q", "-b", "main"}, {"add", "."}, {"-c", "user.name=ci", "-c", "user.email=ci@example.invalid", "commit", "-q", "-m", "workflow"}} {
		c := exec.Command("git", g...)
		c.Dir = ws
		if out, err := c.CombinedOutput(); err != nil {
			w.t.Fatalf("git %v: %v %s", g, err, out)
		}
	}
	vars := map[string]string{
		"ACTIONS_ID_TOKEN_REQUEST_URL":   w.gh.RequestURL,
		"ACTIONS_ID_TOKEN_REQUEST_TOKEN": w.gh.RequestToken,
		"AWS_ENDPOINT_URL_STS":           w.sts.URL,
		"AWS_EC2_METADATA_DISABLED":      "true",
	}
	for k, v := range env {
		vars[k] = v
	}
	// --rm: without it act keeps a failed job's container (still running)
	// and its -env volume.
	args := []string{"push", "-W", filepath.Join(wfDir, workflow), "--rm",
		"-P", "ubuntu-latest=" + w.jobImage, "--pull=false", "-b",
		"--local-repository", "org/aws-oidc-go@v1=" + w.action,
		"--action-offline-mode", "--no-cache-server", "--container-daemon-socket", "-"}
	for k, v := range vars {
		args = append(args, "--env", k+"="+v)
	}
	args = append(args, extra...)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, w.act, args...)
	// On the timeout act is stopped as Ctrl-C would, so that it removes
	// the job's container (it allows itself a minute for that).
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 90 * time.Second
	cmd.Dir = ws
	cmd.Env = append(os.Environ(), "HOME="+w.t.TempDir())
	out, err := cmd.CombinedOutput()
	w.assertNothingLeft(name)
	return actRun{Output: string(out), Err: err, Dir: ws}
}

// workflowName is a workflow's top-level name line.
var workflowName = regexp.MustCompile(`(?m)^name:[^\n]*\n`)

// uniqueWorkflowName is the workflow file's base name and a random suffix.
func uniqueWorkflowName(file string) string {
	var r [4]byte
	rand.Read(r[:])
	return strings.TrimSuffix(file, filepath.Ext(file)) + "-" + hex.EncodeToString(r[:])
}

// assertNothingLeft: once act has exited, no container or volume of the
// run of workflow name is left, whether the job passed or failed. What is
// found is reported and removed.
func (w *actWorld) assertNothingLeft(name string) {
	w.t.Helper()
	prefix := "act-" + regexp.MustCompile(`[^a-zA-Z0-9]`).ReplaceAllString(name, "-") + "-"
	for _, kind := range []struct{ list, rm []string }{
		{[]string{"ps", "-a", "--format", "{{.Names}}"}, []string{"rm", "-f"}},
		{[]string{"volume", "ls", "--format", "{{.Name}}"}, []string{"volume", "rm", "-f"}},
	} {
		out, err := exec.Command("docker", kind.list...).Output()
		if err != nil {
			w.t.Errorf("docker %s: %v", strings.Join(kind.list, " "), err)
			continue
		}
		for _, n := range strings.Fields(string(out)) {
			if strings.HasPrefix(n, prefix) {
				w.t.Errorf("act left %s behind (docker %s)", n, strings.Join(kind.list[:len(kind.list)-2], " "))
				_ = exec.Command("docker", append(kind.rm, n)...).Run()
			}
		}
	}
}

// assertNoSecrets: no request token, JWT or credential in act's output.
func (w *actWorld) assertNoSecrets(r actRun, creds ...string) {
	w.t.Helper()
	harness.AssertNoLeaks(w.t, []harness.Output{{Name: "act output", Text: r.Output}},
		append([]string{w.gh.RequestToken}, w.gh.Issued()...), creds)
}

// stepTime matches act's own timing of a finished step: stage, name, time.
var stepTime = regexp.MustCompile(`(?:✅|❌)\s+(?:Success|Failure) - (Main|Post|Pre) (.+?) \[([0-9.]+(?:ns|µs|ms|s|m[0-9.]+s))\]`)

// stepLines returns the lines act printed for the step whose "Run" header
// contains name, up to the next step.
func stepLines(out, name string) string {
	var b strings.Builder
	in := false
	for _, line := range strings.Split(out, "\n") {
		if strings.Contains(line, "⭐ Run ") {
			in = strings.Contains(line, name)
		}
		if in {
			b.WriteString(line + "\n")
		}
	}
	return b.String()
}

// TestAct runs the workflows of testdata/workflows under act and checks
// each from act's output and the files it leaves.
func TestAct(t *testing.T) {
	t.Parallel()
	w := newActWorld(t)
	denied := harness.NewProxy(strings.TrimSuffix(w.sts.URL, "/"))
	defer denied.Close()
	denied.Faults().Always(harness.FaultAccessDenied)

	t.Run("quick start: the next step sees the role; secrets never show", func(t *testing.T) {
		r := w.run("quickstart.yml", nil)
		if r.Err != nil {
			t.Fatalf("act: %v\n%s", r.Err, r.Output)
		}
		if next := stepLines(r.Output, "Main aws-caller-identity"); !strings.Contains(next, "| arn:aws:sts::123456789012:assumed-role/deploy/GitHubActions") {
			t.Errorf("the next step does not see the assumed role:\n%s", next)
		}
		b, err := os.ReadFile(filepath.Join(r.Dir, "secrets.txt"))
		creds := strings.Fields(string(b))
		if err != nil || len(creds) != 3 {
			t.Fatalf("the test step's secrets file: %v, %d values", err, len(creds))
		}
		w.assertNoSecrets(r, creds...)
		post := stepLines(r.Output, "Post org/aws-oidc-go@v1")
		if !strings.Contains(post, "Cleaned up from the cleanup manifest: blanked AWS_REGION, AWS_DEFAULT_REGION, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN") ||
			!strings.Contains(post, "::set-env:: AWS_SECRET_ACCESS_KEY=\n") {
			t.Errorf("the post step did not blank the variables:\n%s", post)
		}
	})
	t.Run("outputs through steps.<id>.outputs", func(t *testing.T) {
		r := w.run("outputs.yml", nil)
		if r.Err != nil {
			t.Fatalf("act: %v\n%s", r.Err, r.Output)
		}
		if !strings.Contains(r.Output, "| account=123456789012 arn=arn:aws:sts::123456789012:assumed-role/deploy/GitHubActions") {
			t.Errorf("outputs not seen by the next step:\n%s", r.Output)
		}
		w.assertNoSecrets(r)
	})
	t.Run("two roles through two profiles; the post step removes the files", func(t *testing.T) {
		r := w.run("profiles.yml", nil)
		if r.Err != nil {
			t.Fatalf("act: %v\n%s", r.Err, r.Output)
		}
		next := stepLines(r.Output, "Main AWS_PROFILE=deploy")
		if !strings.Contains(next, "| arn:aws:sts::123456789012:assumed-role/deploy/GitHubActions") || !strings.Contains(next, "| arn:aws:sts::123456789012:assumed-role/other/GitHubActions") {
			t.Errorf("the profiles do not reach the next step:\n%s", next)
		}
		if !strings.Contains(r.Output, "Wrote profile other to /var/run/act/aws-oidc-go/credentials") {
			t.Errorf("the profile did not go to act's shared volume:\n%s", r.Output)
		}
		if n := strings.Count(r.Output, "Cleaned up from the cleanup manifest"); n != 2 || !strings.Contains(r.Output, "removed 2 profile file(s) and section(s)") {
			t.Errorf("%d post steps cleaned up from the manifest:\n%s", n, r.Output)
		}
		w.assertNoSecrets(r)
	})
	t.Run("refresh: credential_process renews in a later step", func(t *testing.T) {
		before := len(w.gh.Requests())
		r := w.run("refresh.yml", nil)
		if r.Err != nil {
			t.Fatalf("act: %v\n%s", r.Err, r.Output)
		}
		if next := stepLines(r.Output, "Main aws-caller-identity"); !strings.Contains(next, "| arn:aws:sts::123456789012:assumed-role/deploy/renewing") {
			t.Errorf("the next step did not renew through the profile:\n%s", next)
		}
		if n := len(w.gh.Requests()) - before; n != 2 {
			t.Errorf("%d token requests, want 2 (the step, then credential_process)", n)
		}
		if !strings.Contains(r.Output, "removed 3 profile file(s) and section(s)") {
			t.Errorf("the post step did not remove the profile, settings and binary:\n%s", stepLines(r.Output, "Post org/aws-oidc-go@v1"))
		}
		w.assertNoSecrets(r)
	})
	t.Run("role chaining", func(t *testing.T) {
		r := w.run("chaining.yml", nil)
		if r.Err != nil {
			t.Fatalf("act: %v\n%s", r.Err, r.Output)
		}
		if next := stepLines(r.Output, "Main aws-caller-identity"); !strings.Contains(next, "| arn:aws:sts::123456789012:assumed-role/chained/GitHubActions") {
			t.Errorf("the next step is not the chained role:\n%s", next)
		}
		w.assertNoSecrets(r)
	})
	t.Run("a denied role: the diagnosis annotation, nothing exported", func(t *testing.T) {
		r := w.run("denied.yml", map[string]string{"AWS_ENDPOINT_URL_STS": denied.URL})
		if r.Err == nil {
			t.Fatalf("act succeeded:\n%s", r.Output)
		}
		main := stepLines(r.Output, "Main org/aws-oidc-go@v1")
		for _, want := range []string{"AccessDenied", "Likeliest cause", "Condition keys STS evaluated for this run", "❌  Failure - Main org/aws-oidc-go@v1"} {
			if !strings.Contains(main, want) {
				t.Errorf("the failed step does not show %q:\n%s", want, main)
			}
		}
		if !strings.Contains(r.Output, "| exported key=none region=none") {
			t.Errorf("a failed step exported something:\n%s", r.Output)
		}
		w.assertNoSecrets(r)
	})
	t.Run("mask-aws-account-id", func(t *testing.T) {
		r := w.run("mask.yml", nil)
		if r.Err != nil {
			t.Fatalf("act: %v\n%s", r.Err, r.Output)
		}
		// Summaries are not masked: act prints ours, which must not hold it either.
		if strings.Contains(r.Output, "123456789012") {
			t.Errorf("the account id shows in act's output:\n%s", r.Output)
		}
		if !strings.Contains(r.Output, "| arn:aws:sts::***:assumed-role/deploy/GitHubActions") {
			t.Errorf("the next step's ARN is not masked:\n%s", r.Output)
		}
		w.assertNoSecrets(r)
	})
}

// incumbentDir is the incumbent's released bundle beside this checkout
// (../shared/incumbent in CI), or "".
func incumbentDir() string {
	dirs, _ := filepath.Glob(filepath.Join(repoRoot(), "..", "shared", "incumbent", "configure-aws-credentials-*"))
	if len(dirs) == 0 {
		return ""
	}
	return dirs[len(dirs)-1]
}

// BenchmarkActStep measures the step users wait for: act's own timing of
// our step (the container action and the node action, native/, from a
// staged release), the incumbent's and an empty container action's, alternating
// seven times each in one job (testdata/workflows/timing.yml), and prints
// the medians (make act-timings: -bench ActStep -benchtime 1x).
func BenchmarkActStep(b *testing.B) {
	for b.Loop() {
		actStepTimings(b)
	}
}

func actStepTimings(t testing.TB) {
	w := newNativeWorld(t)
	incumbent := incumbentDir()
	if incumbent == "" {
		harness.Require(t, errors.New("the incumbent's bundle is not at ../shared/incumbent"))
	}
	empty := t.TempDir()
	os.WriteFile(filepath.Join(empty, "action.yml"), []byte("name: empty\ndescription: does nothing\nruns:\n  using: docker\n  image: docker://aws-oidc-go/empty-action:local\n  post-entrypoint: /bin/true\n"), 0o644)
	r := w.run("timing.yml", nil,
		"--local-repository", "aws-actions/configure-aws-credentials@v6="+incumbent,
		"--local-repository", "org/empty-action@v1="+empty)
	if r.Err != nil {
		t.Fatalf("act: %v\n%s", r.Err, r.Output)
	}
	w.assertNoSecrets(r)
	times := map[string][]time.Duration{}
	for _, m := range stepTime.FindAllStringSubmatch(r.Output, -1) {
		d, err := time.ParseDuration(m[3])
		if err != nil {
			continue
		}
		name := m[2]
		switch {
		case strings.Contains(name, "org/aws-oidc-go/native"), name == "native":
			name = "native"
		case strings.Contains(name, "org/aws-oidc-go"), name == "ours":
			name = "ours"
		case strings.Contains(name, "configure-aws-credentials"), name == "incumbent":
			name = "incumbent"
		case strings.Contains(name, "empty"):
			name = "empty container action"
		default:
			continue
		}
		times[m[1]+" "+name] = append(times[m[1]+" "+name], d)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "step under %s (act's own step timings, %d alternating runs each, one job)\n", actVersion(w.act), 7)
	fmt.Fprintf(&b, "%-8s %-24s %8s %8s %8s %s\n", "stage", "action", "min", "median", "max", "runs")
	for _, stage := range []string{"Main", "Post"} {
		for _, name := range []string{"ours", "native", "incumbent", "empty container action"} {
			ds := times[stage+" "+name]
			if len(ds) == 0 {
				t.Errorf("no %s timings for %s in act's output", stage, name)
				continue
			}
			slices.Sort(ds)
			fmt.Fprintf(&b, "%-8s %-24s %8s %8s %8s %d\n", stage, name, ms(ds[0]), ms(ds[len(ds)/2]), ms(ds[len(ds)-1]), len(ds))
		}
	}
	fmt.Print(b.String())
}

func ms(d time.Duration) string { return fmt.Sprintf("%.0f ms", float64(d.Microseconds())/1000) }

func actVersion(act string) string {
	out, _ := exec.Command(act, "--version").Output()
	return strings.TrimSpace(string(out))
}

// TestActPrerequisites: the act suite's skip notice names everything that
// is missing, with how to make it — not only `make image` (before, it named
// the image and stopped there, so act and its job image came as surprises
// one run later).
func TestActPrerequisites(t *testing.T) {
	t.Parallel()
	harness.UnixOnly(t, "Unix paths of the act suite, which needs Docker on Linux")
	noAct := func(string) (string, error) { return "", exec.ErrNotFound }
	hasAct := func(string) (string, error) { return "/usr/local/bin/act", nil }
	never := func(string) bool { return false }
	env := func(kv ...string) func(string) string {
		return func(k string) string {
			for i := 0; i+1 < len(kv); i += 2 {
				if kv[i] == k {
					return kv[i+1]
				}
			}
			return ""
		}
	}
	cases := []struct {
		name     string
		getenv   func(string) string
		lookPath func(string) (string, error)
		exists   func(string) bool
		want     []string // in the message; none: no error
		act      string
	}{
		{"nothing", env(), noAct, never, []string{"AWS_OIDC_GO_IMAGE", "make image", "aws-oidc-go:test", "act and its job image", "AWS_OIDC_GO_ACT_JOB_IMAGE", "scripts/act-up"}, ""},
		{"image only", env("AWS_OIDC_GO_IMAGE", "x"), noAct, never, []string{"act and its job image", "AWS_OIDC_GO_ACT_JOB_IMAGE", "scripts/act-up"}, ""},
		{"no job image", env("AWS_OIDC_GO_IMAGE", "x"), hasAct, never, []string{"AWS_OIDC_GO_ACT_JOB_IMAGE=$(scripts/act-up | tail -n 1)"}, ""},
		{"no image", env("AWS_OIDC_GO_ACT_JOB_IMAGE", "j"), hasAct, never, []string{"AWS_OIDC_GO_IMAGE=aws-oidc-go:test"}, ""},
		{"act in ~/go/bin", env("AWS_OIDC_GO_IMAGE", "x", "AWS_OIDC_GO_ACT_JOB_IMAGE", "j", "HOME", "/h"), noAct, func(p string) bool { return p == "/h/go/bin/act" }, nil, "/h/go/bin/act"},
		{"everything", env("AWS_OIDC_GO_IMAGE", "x", "AWS_OIDC_GO_ACT_JOB_IMAGE", "j"), hasAct, never, nil, "/usr/local/bin/act"},
	}
	for _, tc := range cases {
		act, err := actPrerequisites(tc.getenv, tc.lookPath, tc.exists)
		if tc.want == nil {
			if err != nil || act != tc.act {
				t.Errorf("%s: (%q, %v), want %q", tc.name, act, err, tc.act)
			}
			continue
		}
		if err == nil {
			t.Errorf("%s: no error", tc.name)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: %q does not name %q", tc.name, err, w)
			}
		}
	}
}
