package e2e

// The node action (uses: org/aws-oidc-go/native@v1) under act, from a
// staged release: `make stage-native` builds the binary with the release's
// build command into the action checkout's native/VERSION and
// native/checksums.txt, and a local https server (the test CA, trusted in
// the job container through NODE_EXTRA_CA_CERTS) serves the .gz assets at
// AWS_OIDC_GO_DOWNLOAD_URL, as github.com's release download would.

import (
	"crypto/tls"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/org/aws-oidc-go/internal/dev/harness"
)

// nativeWorld is an actWorld whose action checkout also holds the node
// action, staged as a release, and the server its binary is downloaded from.
type nativeWorld struct {
	*actWorld
	version string
	base    string // AWS_OIDC_GO_DOWNLOAD_URL
	caDir   string // mounted into the job container: the test CA
	caFile  string

	mu        sync.Mutex
	downloads []string
}

func newNativeWorld(t testing.TB) *nativeWorld {
	t.Helper()
	w := &nativeWorld{actWorld: newActWorld(t)}
	harness.RequireTool(t, "make")
	src := filepath.Join(repoRoot(), "native")
	dst := filepath.Join(w.action, "native")
	if err := os.MkdirAll(dst, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"action.yml", "main.js", "post.js", "shim.js"} {
		b, err := os.ReadFile(filepath.Join(src, f))
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(dst, f), b, 0o644)
	}
	// A version of its own: act's tool cache is a volume that outlives runs,
	// and a binary cached under another build's version would (rightly) be
	// refused.
	w.version = fmt.Sprintf("v0.0.0-e2e.%d", time.Now().UnixNano())
	t.Cleanup(func() {
		// This run's entry in act's tool cache volume, which outlives act.
		rm := exec.Command("docker", "run", "--rm", "-v", "act-toolcache:/tc", w.jobImage, "rm", "-rf", "/tc/aws-oidc-go/"+strings.TrimPrefix(w.version, "v"))
		if out, err := rm.CombinedOutput(); err != nil {
			t.Errorf("removing this run's tool cache entry: %v %s", err, out)
		}
	})
	assets := t.TempDir()
	mk := exec.Command("make", "-s", "stage-native", "VERSION="+w.version, "NATIVE_STAGE="+w.action, "NATIVE_ASSETS="+assets,
		"NATIVE_PLATFORMS=linux/"+runtime.GOARCH)
	mk.Dir = repoRoot()
	if out, err := mk.CombinedOutput(); err != nil {
		t.Fatalf("make stage-native: %v\n%s", err, out)
	}
	files := http.FileServer(http.Dir(assets))
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		w.mu.Lock()
		w.downloads = append(w.downloads, r.URL.Path)
		w.mu.Unlock()
		http.StripPrefix("/releases/"+w.version, files).ServeHTTP(rw, r)
	}))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{harness.CA().Leaf}}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	w.base = srv.URL + "/releases/" + w.version
	w.caDir = t.TempDir()
	var err error
	if w.caFile, err = harness.CA().WriteFile(w.caDir); err != nil {
		t.Fatal(err)
	}
	return w
}

// run runs a workflow with the download URL and the CA set, the CA's
// directory mounted into the job container.
func (w *nativeWorld) run(workflow string, env map[string]string, extra ...string) actRun {
	w.t.Helper()
	vars := map[string]string{"AWS_OIDC_GO_DOWNLOAD_URL": w.base, "NODE_EXTRA_CA_CERTS": w.caFile}
	for k, v := range env {
		vars[k] = v
	}
	return w.actWorld.run(workflow, vars, append([]string{"--container-options", "-v " + w.caDir + ":" + w.caDir + ":ro"}, extra...)...)
}

func (w *nativeWorld) downloadCount() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.downloads)
}

// TestActNative runs the node action's workflows under act and checks each
// from act's output and the files it leaves.
func TestActNative(t *testing.T) {
	t.Parallel()
	w := newNativeWorld(t)
	denied := harness.NewProxy(strings.TrimSuffix(w.sts.URL, "/"))
	defer denied.Close()
	denied.Faults().Always(harness.FaultAccessDenied)
	const action = "org/aws-oidc-go/native@v1"

	t.Run("quick start: the next step sees the role; secrets never show; the post step blanks them", func(t *testing.T) {
		r := w.run("native-quickstart.yml", nil)
		if r.Err != nil {
			t.Fatalf("act: %v\n%s", r.Err, r.Output)
		}
		if next := stepLines(r.Output, "Main aws-caller-identity"); !strings.Contains(next, "| arn:aws:sts::123456789012:assumed-role/deploy/GitHubActions") {
			t.Errorf("the next step does not see the assumed role:\n%s", next)
		}
		b, err := os.ReadFile(filepath.Join(r.Dir, "secrets.txt"))
		creds := strings.Fields(string(b))
		if err != nil || len(creds) != 3 {
			t.Fatalf("the test step's secrets file: %v, %d values\n%s", err, len(creds), r.Output)
		}
		w.assertNoSecrets(r, creds...)
		post := stepLines(r.Output, "Post "+action)
		if !strings.Contains(post, "Cleaned up from the main step's state: blanked AWS_REGION, AWS_DEFAULT_REGION, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN") ||
			!strings.Contains(post, "✅  Success - Post "+action) {
			t.Errorf("the post step did not blank the variables:\n%s", post)
		}
	})
	t.Run("outputs through steps.<id>.outputs", func(t *testing.T) {
		r := w.run("native-outputs.yml", nil)
		if r.Err != nil {
			t.Fatalf("act: %v\n%s", r.Err, r.Output)
		}
		if !strings.Contains(r.Output, "| account=123456789012 arn=arn:aws:sts::123456789012:assumed-role/deploy/GitHubActions") {
			t.Errorf("outputs not seen by the next step:\n%s", r.Output)
		}
		w.assertNoSecrets(r)
	})
	t.Run("two profiles; the post steps leave the user's files byte-identical; one download for four runs of the binary", func(t *testing.T) {
		before := w.downloadCount()
		r := w.run("native-profiles.yml", nil)
		if r.Err != nil {
			t.Fatalf("act: %v\n%s", r.Err, r.Output)
		}
		next := stepLines(r.Output, "Main AWS_PROFILE=deploy")
		if !strings.Contains(next, "| arn:aws:sts::123456789012:assumed-role/deploy/GitHubActions") || !strings.Contains(next, "| arn:aws:sts::123456789012:assumed-role/other/GitHubActions") {
			t.Errorf("the profiles do not reach the next step:\n%s", next)
		}
		if !strings.Contains(r.Output, "Wrote profile other to "+filepath.Join(r.Dir, "aws", "credentials")) {
			t.Errorf("the profile did not go to the files the job names:\n%s", r.Output)
		}
		for _, f := range []string{"config", "credentials"} {
			want, err1 := os.ReadFile(filepath.Join(r.Dir, "aws.before", f))
			got, err2 := os.ReadFile(filepath.Join(r.Dir, "aws", f))
			if err1 != nil || err2 != nil || string(got) != string(want) {
				t.Errorf("after the post steps aws/%s is %q (%v), want the user's own %q (%v)", f, got, err2, want, err1)
			}
		}
		if n := strings.Count(r.Output, "Cleaned up from the main step's state"); n != 2 {
			t.Errorf("%d post steps cleaned up from the main step's state, want 2:\n%s", n, r.Output)
		}
		if n := w.downloadCount() - before; n > 1 {
			t.Errorf("%d downloads for two main and two post steps: the tool cache was not used", n)
		}
		w.assertNoSecrets(r)
	})
	t.Run("refresh: the profile in HOME runs the verified copy; credential_process renews in a later step", func(t *testing.T) {
		before := len(w.gh.Requests())
		r := w.run("native-refresh.yml", nil)
		if r.Err != nil {
			t.Fatalf("act: %v\n%s", r.Err, r.Output)
		}
		if next := stepLines(r.Output, "Main aws-caller-identity"); !strings.Contains(next, "| arn:aws:sts::123456789012:assumed-role/deploy/renewing") {
			t.Errorf("the next step did not renew through the profile:\n%s", next)
		}
		if n := len(w.gh.Requests()) - before; n != 2 {
			t.Errorf("%d token requests, want 2 (the step, then credential_process)", n)
		}
		if strings.Contains(r.Output, "/var/run/act/aws-oidc-go") {
			t.Errorf("the binary took itself for a container action (act's volume):\n%s", r.Output)
		}
		// The binary runs the shim's verified copy and copies its running
		// image into the run's private directory beside the profile, which
		// the profile names for as long as it exists (issue 23, item 3);
		// never the tool cache's file or the shim's copy in RUNNER_TEMP.
		line := stepLines(r.Output, "Main echo \"config=")
		if !nativeRefreshCopy.MatchString(line) || strings.Contains(line, "hostedtoolcache") || strings.Contains(line, "aws-oidc-go-native-") {
			t.Errorf("credential_process does not run the copy in the run's directory:\n%s", line)
		}
		post := stepLines(r.Output, "Post "+action)
		if !strings.Contains(post, "Cleaned up from the main step's state") || !strings.Contains(post, "removed 3 profile file(s) and section(s)") {
			t.Errorf("the post step did not remove the profile and settings:\n%s", post)
		}
		w.assertNoSecrets(r)
	})
	t.Run("a denied role: the diagnosis annotation, nothing exported", func(t *testing.T) {
		r := w.run("native-denied.yml", map[string]string{"AWS_ENDPOINT_URL_STS": denied.URL})
		if r.Err == nil {
			t.Fatalf("act succeeded:\n%s", r.Output)
		}
		main := stepLines(r.Output, "Main "+action)
		for _, want := range []string{"AccessDenied", "Likeliest cause", "Condition keys STS evaluated for this run", "❌  Failure - Main " + action} {
			if !strings.Contains(main, want) {
				t.Errorf("the failed step does not show %q:\n%s", want, main)
			}
		}
		if !strings.Contains(r.Output, "| exported key=none region=none") {
			t.Errorf("a failed step exported something:\n%s", r.Output)
		}
		if post := stepLines(r.Output, "Post "+action); !strings.Contains(post, "✅  Success - Post "+action) {
			t.Errorf("the post step did not run after the failed main step:\n%s", post)
		}
		w.assertNoSecrets(r)
	})
	t.Run("a tampered tool cache is refused: nothing runs", func(t *testing.T) {
		if w.downloadCount() == 0 {
			t.Fatal("no download yet: the cache entry to tamper with was never written")
		}
		arch := map[string]string{"amd64": "x64", "arm64": "arm64"}[runtime.GOARCH]
		cached := fmt.Sprintf("/opt/hostedtoolcache/aws-oidc-go/%s/%s/aws-oidc-go_linux_%s", strings.TrimPrefix(w.version, "v"), arch, runtime.GOARCH)
		r := w.run("native-tampered.yml", map[string]string{"AWS_OIDC_GO_TEST_CACHED": cached})
		if r.Err == nil {
			t.Fatalf("act succeeded:\n%s", r.Output)
		}
		main := stepLines(r.Output, "Main "+action)
		if !strings.Contains(main, "the cached binary "+cached+" does not match the release's digest: expected sha256 ") || !strings.Contains(main, "refusing to run it") {
			t.Errorf("the step does not name the file and the digests:\n%s", main)
		}
		if strings.Contains(r.Output, "| tampered binary ran") {
			t.Errorf("the tampered binary ran:\n%s", r.Output)
		}
	})
}

// nativeRefreshCopy is the config line of native-refresh.yml when the
// profile runs the copy in the run's directory under HOME's .aws.
var nativeRefreshCopy = regexp.MustCompile(`\| config=credential_process = /\S*/\.aws/aws-oidc-go-run-[A-Z2-7]{26}/aws-oidc-go credential-process --config /\S*/\.aws/aws-oidc-go-run-[A-Z2-7]{26}/renewal\.json`)
