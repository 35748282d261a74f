package e2e

// The acceptance suite under an independent runner: nektos/act (whose code
// also runs the Forgejo and Gitea runners) runs real workflow files from
// testdata/workflows/ with the action's real image. .ci/run installs act
// and the job image (scripts/act-up) and sets AWS_OIDC_GO_ACT_JOB_IMAGE;
// without them the tests skip, except under CI=true.

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/org/aws-oidc-go/internal/harness"
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
	img := image(t)
	jobImage := os.Getenv("AWS_OIDC_GO_ACT_JOB_IMAGE")
	if jobImage == "" {
		harness.Require(t, errors.New("AWS_OIDC_GO_ACT_JOB_IMAGE is not set (scripts/act-up builds the job image and installs act)"))
	}
	act, err := exec.LookPath("act")
	if err != nil {
		if p := filepath.Join(os.Getenv("HOME"), "go", "bin", "act"); fileExists(p) {
			act = p
		} else {
			harness.Require(t, errors.New("act is not installed (scripts/act-up installs it)"))
		}
	}
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
	return w
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

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
	args := []string{"push", "-W", filepath.Join(wfDir, workflow),
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
	cmd.Dir = ws
	cmd.Env = append(os.Environ(), "HOME="+w.t.TempDir())
	out, err := cmd.CombinedOutput()
	return actRun{Output: string(out), Err: err, Dir: ws}
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
