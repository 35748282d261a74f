package e2e

// The acceptance suite under an independent runner: nektos/act (whose code
// also runs the Forgejo and Gitea runners) runs real workflow files from
// testdata/workflows/ with the action's real image. .ci/run installs act
// and the job image (scripts/act-up) and sets AWS_OIDC_GO_ACT_JOB_IMAGE;
// without them the tests skip, except under CI=true.

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
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
	t        *testing.T
	act      string
	jobImage string
	action   string // a checkout of this repository whose action.yml runs the local image
	gh       *harness.TokenService
	sts      *harness.Proxy
}

func newActWorld(t *testing.T) *actWorld {
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

// stepTimes returns act's own timing of each finished step, by step name.
var stepTime = regexp.MustCompile(`(?:✅|❌)\s+(?:Success|Failure) - (Main|Post|Pre) (.+?) \[([0-9.]+(?:ms|s|µs|m[0-9.]+s)?)\]`)

func TestActQuickStart(t *testing.T) {
	t.Parallel()
	w := newActWorld(t)
	r := w.run("quickstart.yml", nil)
	if r.Err != nil {
		t.Fatalf("act: %v\n%s", r.Err, harness.Redact(r.Output))
	}
	if !strings.Contains(r.Output, "arn:aws:sts::123456789012:assumed-role/deploy/GitHubActions") {
		t.Errorf("the next step does not see the assumed role:\n%s", r.Output)
	}
	b, err := os.ReadFile(filepath.Join(r.Dir, "secrets.txt"))
	if err != nil {
		t.Fatalf("the test step wrote no secrets file: %v", err)
	}
	creds := strings.Fields(string(b))
	if len(creds) != 3 {
		t.Fatalf("secrets.txt has %d values", len(creds))
	}
	w.assertNoSecrets(r, creds...)
	t.Logf("act output:\n%s", r.Output)
}
