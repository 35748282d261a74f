//go:build windows

package e2e

// The node action (uses: org/aws-oidc-go/native@v1) end to end on Windows:
// native/main.js and native/post.js under Windows node.exe with
// RUNNER_OS=Windows, a Windows user profile and no HOME (stock Windows sets
// none), the windows/amd64 binary from a tool cache and from an https
// download the shim verifies, the fake token service and moto_server (under
// Wine: the real one on the Linux side, through the relay), and as the next
// step a Windows program on aws-sdk-go-v2 (internal/dev/harness/callerid).
// make test-windows runs it under Wine with C:\node\node.exe (scripts/wine-up
// installs it) and the next step prebuilt (AWS_OIDC_GO_CALLERID_EXE); on a
// real Windows machine node and go come from PATH.

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/org/aws-oidc-go/internal/dev/harness"
)

const winVersion = "v0.0.0-e2e"

// winNative is one Windows runner's world: the action checkout staged as a
// release, a tool cache, a download server, a user profile, the services.
type winNative struct {
	node     string
	callerID string
	action   string // the checkout's native directory
	cache    string // RUNNER_TOOL_CACHE
	root     string
	base     string // AWS_OIDC_GO_DOWNLOAD_URL
	caFile   string
	moto     *harness.Moto

	mu        sync.Mutex
	downloads int
}

// windowsNode is node.exe: NODE_EXE, else Wine's C:\node\node.exe (wine-up),
// else node on PATH. Missing: a skip, or a failure with CI=true.
func windowsNode(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("NODE_EXE"); p != "" {
		return p
	}
	if harness.UnderWine() {
		if _, err := os.Stat(`C:\node\node.exe`); err == nil {
			return `C:\node\node.exe`
		}
	} else if p, err := exec.LookPath("node"); err == nil {
		return p
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("no node.exe (NODE_EXE, C:\\node\\node.exe under Wine from scripts/wine-up, or node on PATH), and CI=true")
	}
	t.Skip("no node.exe: set NODE_EXE, or run make test-windows (scripts/wine-up installs C:\\node\\node.exe)")
	return ""
}

// callerIDExe is the next step's program: AWS_OIDC_GO_CALLERID_EXE (make
// test-windows builds it: a Windows process under Wine cannot run go), else
// built here.
func callerIDExe(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("AWS_OIDC_GO_CALLERID_EXE"); p != "" {
		return p
	}
	if harness.UnderWine() {
		t.Fatal("AWS_OIDC_GO_CALLERID_EXE is not set: under Wine the next step must be built beforehand (make test-windows does)")
	}
	out := filepath.Join(t.TempDir(), "aws-caller-identity.exe")
	build := exec.Command("go", "build", "-o", out, "./internal/dev/harness/callerid")
	build.Dir = repoRoot()
	if b, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the next step: %v\n%s", err, b)
	}
	return out
}

func newWinNative(t *testing.T) *winNative {
	t.Helper()
	w := &winNative{node: windowsNode(t), callerID: callerIDExe(t), moto: harness.SharedMoto(t)}
	root := t.TempDir()
	w.action = filepath.Join(root, "_actions", "org", "aws-oidc-go", "v1", "native")
	w.cache = filepath.Join(root, "hostedtoolcache")
	w.root = root
	for _, d := range []string{w.action, w.cache} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range []string{"action.yml", "main.js", "post.js", "shim.js"} {
		b, err := os.ReadFile(filepath.Join(repoRoot(), "native", f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(w.action, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	exe, err := os.ReadFile(binary)
	if err != nil {
		t.Fatalf("the windows binary: %v", err)
	}
	sum := sha256.Sum256(exe)
	os.WriteFile(filepath.Join(w.action, "VERSION"), []byte(winVersion+"\n"), 0o644)
	os.WriteFile(filepath.Join(w.action, "checksums.txt"), []byte(fmt.Sprintf(
		"%s  aws-oidc-go_windows_amd64.exe\n%s  aws-oidc-go_linux_amd64\n", hex.EncodeToString(sum[:]), strings.Repeat("0", 64))), 0o644)

	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(exe)
	zw.Close()
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/releases/"+winVersion+"/aws-oidc-go_windows_amd64.exe.gz" {
			http.NotFound(rw, r)
			return
		}
		w.mu.Lock()
		w.downloads++
		w.mu.Unlock()
		rw.Write(gz.Bytes())
	}))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{harness.CA().Leaf}}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	w.base = srv.URL + "/releases/" + winVersion
	if w.caFile, err = harness.CA().WriteFile(root); err != nil {
		t.Fatal(err)
	}
	return w
}

func (w *winNative) downloadCount() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.downloads
}

// windowsBase is what every Windows process needs from this one's
// environment (cmd.exe for credential_process, the system directories);
// nothing of the machine's AWS_*, HOME or CA settings.
func windowsBase() []string {
	keep := map[string]bool{"SYSTEMROOT": true, "WINDIR": true, "PATH": true, "PATHEXT": true, "COMSPEC": true,
		"SYSTEMDRIVE": true, "PROGRAMDATA": true, "ALLUSERSPROFILE": true, "TEMP": true, "TMP": true}
	var env []string
	for _, kv := range os.Environ() {
		if k, _, ok := strings.Cut(kv, "="); ok && keep[strings.ToUpper(k)] {
			env = append(env, kv)
		}
	}
	return env
}

// step is a step of the node action on this runner: the container step's
// environment (inputs, GITHUB_*, the token service) made Windows', with a
// user profile of its own (USERPROFILE) and no HOME.
func (w *winNative) step(t *testing.T, gh *harness.TokenService, with map[string]string) *step {
	t.Helper()
	s := newStep(t, gh, w.moto.URL)
	profile := filepath.Join(s.dir, "Users", "runneradmin")
	if err := os.MkdirAll(profile, 0o755); err != nil {
		t.Fatal(err)
	}
	for k, v := range with {
		s.with[k] = v
	}
	// A space, as in a self-hosted runner's work directory under a user's name.
	temp := filepath.Join(s.dir, "runner temp")
	if err := os.Mkdir(temp, 0o755); err != nil {
		t.Fatal(err)
	}
	s.env["HOME"] = "\x00unset"
	s.env["RUNNER_OS"] = "Windows"
	s.env["RUNNER_TEMP"] = temp
	s.env["USERPROFILE"] = profile
	s.env["RUNNER_TOOL_CACHE"] = w.cache
	s.env["AWS_OIDC_GO_DOWNLOAD_URL"] = w.base
	s.env["NODE_EXTRA_CA_CERTS"] = w.caFile
	return s
}

// runNode runs native/<script> under node.exe as the runner runs a node
// action's step, and returns what it printed.
func (w *winNative) runNode(t *testing.T, s *step, script string, extra ...string) (string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, w.node, filepath.Join(w.action, script))
	cmd.Env = append(append(windowsBase(), s.environ()...), extra...)
	cmd.Dir = filepath.Join(s.dir, "workspace")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return out.String(), ee.ExitCode()
	} else if err != nil {
		t.Fatalf("node %s: %v\n%s", script, err, out.String())
	}
	return out.String(), 0
}

// main runs the main step; it must succeed.
func (w *winNative) main(t *testing.T, s *step) string {
	t.Helper()
	out, code := w.runNode(t, s, "main.js")
	if code != 0 {
		t.Fatalf("main step: exit %d\n%s", code, harness.Redact(out))
	}
	return out
}

// post runs the post step with the main step's state; it must succeed.
func (w *winNative) post(t *testing.T, s *step) string {
	t.Helper()
	var state []string
	for k, v := range exportedVars(t, s, "save_state_1") {
		state = append(state, "STATE_"+k+"="+v)
	}
	out, code := w.runNode(t, s, "post.js", state...)
	if code != 0 {
		t.Fatalf("post step: exit %d\n%s", code, harness.Redact(out))
	}
	return out
}

// nextStep runs the aws-sdk-go-v2 program as a later step: the job's
// environment (the token service, STS's endpoint, the user profile) and
// what the action exported. It returns the ARN it printed.
func (w *winNative) nextStep(t *testing.T, s *step, exported map[string]string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, w.callerID)
	cmd.Env = append(windowsBase(), "USERPROFILE="+s.env["USERPROFILE"], "AWS_ENDPOINT_URL_STS="+w.moto.URL,
		"AWS_EC2_METADATA_DISABLED=true", "ACTIONS_ID_TOKEN_REQUEST_URL="+s.gh.RequestURL, "ACTIONS_ID_TOKEN_REQUEST_TOKEN="+s.gh.RequestToken)
	for k, v := range exported {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("the next step (aws-sdk-go-v2): %v\n%s%s", err, stdout.String(), harness.Redact(stderr.String()))
	}
	return strings.TrimSpace(stdout.String())
}

// snapshot is a directory tree as names and contents, to compare byte for byte.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	m := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) && p == dir {
				return filepath.SkipDir
			}
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if d.IsDir() {
			m[rel] = "(directory)"
			return nil
		}
		b, err := os.ReadFile(p)
		m[rel] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// sameTree compares two snapshots; locks names the empty lock files the
// profile writer leaves beside the files it locked (docs/profiles.md: left
// in place, as removing one races with the next writer), the only new
// entries allowed.
func sameTree(t *testing.T, what string, before, after map[string]string, locks ...string) {
	t.Helper()
	var diffs []string
	for k, v := range after {
		if b, ok := before[k]; !ok {
			if slices.Contains(locks, k) && v == "" {
				continue
			}
			diffs = append(diffs, "left behind: "+k)
		} else if b != v {
			diffs = append(diffs, "changed: "+k)
		}
	}
	for k := range before {
		if _, ok := after[k]; !ok {
			diffs = append(diffs, "gone: "+k)
		}
	}
	sort.Strings(diffs)
	if len(diffs) > 0 {
		t.Errorf("%s is not as it was before the main step:\n  %s", what, strings.Join(diffs, "\n  "))
	}
}

const deployARN = "arn:aws:sts::123456789012:assumed-role/deploy/GitHubActions"

func TestNativeActionWindows(t *testing.T) {
	w := newWinNative(t)
	awsDir := func(s *step) string { return filepath.Join(s.env["USERPROFILE"], ".aws") }
	locks := []string{"config.lock", "credentials.lock"}

	t.Run("quick start from an https download: the next step is the role; the post step blanks the variables and leaves RUNNER_TEMP as it was", func(t *testing.T) {
		gh := harness.NewTokenService()
		defer gh.Close()
		s := w.step(t, gh, nil)
		if err := os.RemoveAll(filepath.Join(w.cache, "aws-oidc-go")); err != nil {
			t.Fatal(err)
		}
		userAWS, temp := snapshot(t, awsDir(s)), snapshot(t, s.env["RUNNER_TEMP"])
		before := w.downloadCount()
		out := w.main(t, s)
		if n := w.downloadCount() - before; n != 1 {
			t.Errorf("%d downloads with an empty tool cache, want 1\n%s", n, harness.Redact(out))
		}
		if !strings.Contains(out, "aws-oidc-go_windows_amd64.exe "+winVersion+", sha256 ") || !strings.Contains(out, "from "+w.base+"/aws-oidc-go_windows_amd64.exe.gz") {
			t.Errorf("the shim does not say it verified the download:\n%s", harness.Redact(out))
		}
		cached := filepath.Join(w.cache, "aws-oidc-go", strings.TrimPrefix(winVersion, "v"), "x64", "aws-oidc-go_windows_amd64.exe")
		if _, err := os.Stat(cached); err != nil {
			t.Errorf("the download was not cached: %v", err)
		}
		exported := exportedVars(t, s, "set_env_1")
		if exported["AWS_ACCESS_KEY_ID"] == "" || exported["AWS_REGION"] != "eu-west-1" {
			t.Fatalf("exported %v", keys(exported))
		}
		if got := w.nextStep(t, s, exported); got != deployARN {
			t.Errorf("the next step is %q, want %s", got, deployARN)
		}
		stepLeakCheck(t, s, out)
		post := w.post(t, s)
		if !strings.Contains(post, "Cleaned up from the main step's state: blanked AWS_REGION, AWS_DEFAULT_REGION, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN") {
			t.Errorf("the post step did not blank the variables:\n%s", harness.Redact(post))
		}
		sameTree(t, "RUNNER_TEMP", temp, snapshot(t, s.env["RUNNER_TEMP"]))
		sameTree(t, `%USERPROFILE%\.aws`, userAWS, snapshot(t, awsDir(s)))
	})

	t.Run("aws-profile from the tool cache: %USERPROFILE%\\.aws with no HOME; the post step leaves the user's files byte for byte", func(t *testing.T) {
		gh := harness.NewTokenService()
		defer gh.Close()
		s := w.step(t, gh, map[string]string{"aws-profile": "prod", "output-env-credentials": "true"})
		awsDir := awsDir(s)
		userFiles(t, awsDir)
		w.fillCache(t)
		userAWS, temp := snapshot(t, awsDir), snapshot(t, s.env["RUNNER_TEMP"])
		before := w.downloadCount()
		out := w.main(t, s)
		if n := w.downloadCount() - before; n != 0 {
			t.Errorf("%d downloads with the binary in the tool cache, want 0", n)
		}
		if !strings.Contains(out, "from "+filepath.Join(w.cache, "aws-oidc-go")) {
			t.Errorf("the shim did not run the tool cache's binary:\n%s", harness.Redact(out))
		}
		if !strings.Contains(out, "Wrote profile prod to "+filepath.Join(awsDir, "credentials")) {
			t.Errorf("the profile did not go to %%USERPROFILE%%\\.aws:\n%s", harness.Redact(out))
		}
		exported := exportedVars(t, s, "set_env_1")
		if exported["AWS_PROFILE"] != "prod" || exported["AWS_ACCESS_KEY_ID"] != "" {
			t.Fatalf("exported %v; want AWS_PROFILE and no keys", keys(exported))
		}
		if got := w.nextStep(t, s, exported); got != deployARN {
			t.Errorf("the next step with AWS_PROFILE=prod is %q, want %s", got, deployARN)
		}
		stepLeakCheck(t, s, out)
		post := w.post(t, s)
		if !strings.Contains(post, "Cleaned up from the main step's state") {
			t.Errorf("the post step did not clean up:\n%s", harness.Redact(post))
		}
		sameTree(t, `%USERPROFILE%\.aws`, userAWS, snapshot(t, awsDir), locks...)
		sameTree(t, "RUNNER_TEMP", temp, snapshot(t, s.env["RUNNER_TEMP"]))
	})

	t.Run("refresh: credential_process renews twice, a fresh token each time; the post step leaves %USERPROFILE%\\.aws and RUNNER_TEMP as they were", func(t *testing.T) {
		gh := harness.NewTokenService()
		defer gh.Close()
		s := w.step(t, gh, map[string]string{"refresh": "true", "role-session-name": "renewing"})
		awsDir := awsDir(s)
		userFiles(t, awsDir)
		userAWS, temp := snapshot(t, awsDir), snapshot(t, s.env["RUNNER_TEMP"])
		out := w.main(t, s)
		exported := exportedVars(t, s, "set_env_1")
		if exported["AWS_PROFILE"] == "" {
			t.Fatalf("exported %v; want AWS_PROFILE\n%s", keys(exported), harness.Redact(out))
		}
		cfg, err := os.ReadFile(filepath.Join(awsDir, "config"))
		if err != nil {
			t.Fatal(err)
		}
		var line string
		for _, l := range strings.Split(strings.ReplaceAll(string(cfg), "\r\n", "\n"), "\n") {
			if v, ok := strings.CutPrefix(l, "credential_process = "); ok {
				line = v
			}
		}
		runDir := filepath.Join(awsDir, "aws-oidc-go-run-")
		if !strings.HasPrefix(line, runDir) || !strings.Contains(line, `\aws-oidc-go.exe credential-process --config `) {
			t.Errorf("credential_process = %q, want the binary's copy in the run directory under %s", line, awsDir)
		}
		want := "arn:aws:sts::123456789012:assumed-role/deploy/renewing"
		requests := len(gh.Requests())
		for i := 1; i <= 2; i++ {
			if got := w.nextStep(t, s, exported); got != want {
				t.Errorf("renewal %d: the next step is %q, want %s", i, got, want)
			}
			if n := len(gh.Requests()) - requests; n != i {
				t.Errorf("after renewal %d: %d token requests since the step, want %d (credential_process asks GitHub each time)", i, n, i)
			}
		}
		issued := gh.Issued()
		seen := map[string]bool{}
		for _, tok := range issued {
			seen[tok] = true
		}
		if len(issued) != 3 || len(seen) != 3 {
			t.Errorf("%d tokens issued, %d different; want 3 different (the step, then each renewal)", len(issued), len(seen))
		}
		stepLeakCheck(t, s, out)
		post := w.post(t, s)
		if !strings.Contains(post, "Cleaned up from the main step's state") || strings.Contains(post, "left the run directory") {
			t.Errorf("the post step did not clean up:\n%s", harness.Redact(post))
		}
		sameTree(t, `%USERPROFILE%\.aws`, userAWS, snapshot(t, awsDir), locks...)
		sameTree(t, "RUNNER_TEMP", temp, snapshot(t, s.env["RUNNER_TEMP"]))
	})

	t.Run("a tampered tool cache is refused: nothing runs, nothing is exported, no download", func(t *testing.T) {
		gh := harness.NewTokenService()
		defer gh.Close()
		s := w.step(t, gh, nil)
		cached := w.fillCache(t)
		f, err := os.OpenFile(cached, os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		f.WriteString("tampered")
		f.Close()
		temp := snapshot(t, s.env["RUNNER_TEMP"])
		before := w.downloadCount()
		out, code := w.runNode(t, s, "main.js")
		if code != 1 || !strings.Contains(out, "::error::aws-oidc-go/native: the cached binary "+cached+" does not match the release's digest: expected sha256 ") {
			t.Errorf("exit %d; want 1 and the refusal naming %s:\n%s", code, cached, harness.Redact(out))
		}
		if n := w.downloadCount() - before; n != 0 {
			t.Errorf("%d downloads after the refusal", n)
		}
		if len(gh.Requests()) != 0 {
			t.Errorf("%d token requests: the tampered binary ran", len(gh.Requests()))
		}
		if env := s.fileCommand("set_env_1"); env != "" {
			t.Errorf("GITHUB_ENV after the refusal: %q", env)
		}
		sameTree(t, "RUNNER_TEMP", temp, snapshot(t, s.env["RUNNER_TEMP"]))
	})
}

// userFiles gives the user shared files of their own in dir, with a
// profile of theirs (CRLF line ends in config, as Windows editors write).
func userFiles(t *testing.T, dir string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, text := range map[string]string{
		"config":      "[default]\r\nregion = us-east-2\r\n\r\n[profile mine]\r\noutput = json\r\n",
		"credentials": "[mine]\naws_access_key_id = " + exampleKeyID + "\naws_secret_access_key = " + exampleSecret + "\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

// fillCache puts the release's binary in the tool cache as
// @actions/tool-cache leaves it (the binary, then the .complete marker).
func (w *winNative) fillCache(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(w.cache, "aws-oidc-go", strings.TrimPrefix(winVersion, "v"), "x64")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	exe, err := os.ReadFile(binary)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "aws-oidc-go_windows_amd64.exe")
	if err := os.WriteFile(file, exe, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dir+".complete", nil, 0o644); err != nil {
		t.Fatal(err)
	}
	return file
}
