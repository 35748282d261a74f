package e2e

import (
	"bytes"
	"context"
	"debug/elf"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/org/aws-oidc-go/internal/dev/harness"
)

// image is the action's image built from the real Dockerfile (make image;
// .ci/run sets AWS_OIDC_GO_IMAGE). Without it the test is skipped, except
// under CI=true.
func image(t testing.TB) string {
	t.Helper()
	img := os.Getenv("AWS_OIDC_GO_IMAGE")
	if img == "" {
		harness.Require(t, errors.New("AWS_OIDC_GO_IMAGE is not set: build the image with `make image`, then set AWS_OIDC_GO_IMAGE=aws-oidc-go:test"))
	}
	harness.RequireTool(t, "docker")
	return img
}

// containerPaths maps the step's host directories to where the runner
// mounts them in a container action.
func (s *step) mounts() [][2]string {
	return [][2]string{
		{filepath.Join(s.dir, "workspace"), "/github/workspace"},
		{filepath.Join(s.dir, "_github_home"), "/github/home"},
		{filepath.Join(s.dir, "_github_workflow"), "/github/workflow"},
		{filepath.Join(s.dir, "_runner_file_commands"), "/github/file_commands"},
		{s.dir, "/github/runner_temp"},
	}
}

// runContainer runs the image as the runner runs a container action: every
// variable passed by name (-e NAME, values from docker's own environment,
// paths translated to the mounts), the /github mounts, --workdir
// /github/workspace. entrypoint "" is the image's; the post step passes
// /aws-oidc-go-post. extra adds variables (STATE_*).
func (s *step) runContainer(t *testing.T, img, entrypoint string, extra map[string]string) (stdout, stderr string, code int) {
	t.Helper()
	args := []string{"run", "--rm", "--network", "host", "--workdir", "/github/workspace"}
	if entrypoint != "" {
		args = append(args, "--entrypoint", entrypoint)
	}
	var env []string
	translate := func(v string) string {
		// Longest host prefix first: the runner temp holds the others.
		for _, m := range s.mounts() {
			if m[1] == "/github/runner_temp" {
				continue
			}
			if v == m[0] || strings.HasPrefix(v, m[0]+"/") {
				return m[1] + strings.TrimPrefix(v, m[0])
			}
		}
		if v == s.dir || strings.HasPrefix(v, s.dir+"/") {
			return "/github/runner_temp" + strings.TrimPrefix(v, s.dir)
		}
		return v
	}
	all := s.environ()
	for k, v := range extra {
		all = append(all, k+"="+v)
	}
	for _, kv := range all {
		k, v, _ := strings.Cut(kv, "=")
		args = append(args, "-e", k)
		env = append(env, k+"="+translate(v))
	}
	for _, m := range s.mounts() {
		args = append(args, "-v", m[0]+":"+m[1])
	}
	args = append(args, img)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "docker", args...)
	cmd.Env = append(env, "PATH="+os.Getenv("PATH"))
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("docker run: %v\n%s", err, errOut.String())
	}
	return out.String(), errOut.String(), code
}

// runnerUser makes the file-command files and the temp dir belong to a
// non-root user, as on a real runner, and returns its uid.
func (s *step) runnerUser(t *testing.T) int {
	const uid = 1001
	for _, p := range []string{s.dir, filepath.Join(s.dir, "_runner_file_commands")} {
		os.Chown(p, uid, uid)
	}
	entries, _ := os.ReadDir(filepath.Join(s.dir, "_runner_file_commands"))
	for _, e := range entries {
		os.Chown(filepath.Join(s.dir, "_runner_file_commands", e.Name()), uid, uid)
	}
	return uid
}

func TestImage(t *testing.T) {
	t.Parallel()
	img := image(t)
	moto := harness.SharedMoto(t)

	t.Run("size and version", func(t *testing.T) {
		t.Parallel()
		out, err := exec.Command("docker", "image", "inspect", "--format", "{{.Size}}", img).Output()
		if err != nil {
			t.Fatal(err)
		}
		size, _ := strconv.ParseInt(strings.TrimSpace(string(out)), 10, 64)
		t.Logf("image size: %.1f MB", float64(size)/1e6)
		// The budget: the binary (11.94 MB stripped at this writing; 11.30 MB
		// before the audit command and setup's plan checks, which added
		// 0.64 MB) plus the CA bundle, with room for one more command.
		if size > 13_000_000 {
			t.Errorf("image is %d bytes, over 13 MB", size)
		}
		if v := imageVersion(t, img); v == "" || v == "dev" {
			t.Errorf("the image's version %q is not stamped", v)
		}
	})

	t.Run("arm64 build", func(t *testing.T) {
		t.Parallel()
		arm := os.Getenv("AWS_OIDC_GO_IMAGE_ARM64")
		if arm == "" {
			harness.Require(t, errors.New("AWS_OIDC_GO_IMAGE_ARM64 is not set: build the image with `make image-arm64`, then set AWS_OIDC_GO_IMAGE_ARM64=aws-oidc-go:test-arm64"))
		}
		out, err := exec.Command("docker", "create", arm).Output()
		if err != nil {
			t.Fatal(err)
		}
		id := strings.TrimSpace(string(out))
		defer exec.Command("docker", "rm", id).Run()
		dst := filepath.Join(t.TempDir(), "aws-oidc-go")
		if out, err := exec.Command("docker", "cp", id+":/aws-oidc-go", dst).CombinedOutput(); err != nil {
			t.Fatalf("docker cp: %v %s", err, out)
		}
		f, err := elf.Open(dst)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if f.Machine != elf.EM_AARCH64 {
			t.Errorf("the arm64 image holds a %v binary", f.Machine)
		}
	})

	t.Run("main step, next step, post step", func(t *testing.T) {
		t.Parallel()
		s, proxy := proxiedStep(t, moto)
		s.runnerUser(t)
		s.with["role-session-name"] = "in-docker"
		stdout, stderr, code := s.runContainer(t, img, "", nil)
		if code != 0 {
			t.Fatalf("exit %d\n%s", code, harness.Redact(stdout+stderr))
		}
		exported := exportedVars(t, s, "set_env_1")
		for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"} {
			if !strings.Contains(stdout, "::add-mask::"+exported[k]+"\n") {
				t.Errorf("%s not masked", k)
			}
		}
		if out := exportedVars(t, s, "set_output_1"); out["authenticated-arn"] != "arn:aws:sts::123456789012:assumed-role/deploy/in-docker" {
			t.Errorf("outputs %v", out)
		}
		if ua := proxy.Requests()[0].Header.Get("User-Agent"); !strings.Contains(ua, "aws-oidc-go/"+imageVersion(t, img)+" ") {
			t.Errorf("User-Agent %q lacks the stamped version", ua)
		}
		if got := callerARN(t, s, exported); got != "arn:aws:sts::123456789012:assumed-role/deploy/in-docker" {
			t.Errorf("host-side next step is %s", got)
		}
		stepLeakCheck(t, s, stdout+stderr)

		state := exportedVars(t, s, "save_state_1")
		extra := map[string]string{}
		for k, v := range state {
			extra["STATE_"+k] = v
		}
		stdout, stderr, code = s.runContainer(t, img, "/aws-oidc-go-post", extra)
		if code != 0 || !strings.Contains(stdout, "Cleaned up") {
			t.Fatalf("post step: exit %d\n%s", code, stdout+stderr)
		}
		if after := exportedVars(t, s, "set_env_1"); after["AWS_SESSION_TOKEN"] != "" {
			t.Error("post step did not blank the credentials")
		}
	})

	t.Run("profile lands where host steps read it", func(t *testing.T) {
		t.Parallel()
		gh := harness.NewTokenService()
		defer gh.Close()
		s := newStep(t, gh, moto.URL)
		uid := s.runnerUser(t)
		s.with["aws-profile"] = "dev"
		s.with["output-env-credentials"] = "true"
		stdout, stderr, code := s.runContainer(t, img, "", nil)
		if code != 0 {
			t.Fatalf("exit %d\n%s", code, harness.Redact(stdout+stderr))
		}
		exported := exportedVars(t, s, "set_env_1")
		wantCreds := filepath.Join(s.dir, "aws-oidc-go", "credentials")
		if exported["AWS_SHARED_CREDENTIALS_FILE"] != wantCreds || exported["AWS_PROFILE"] != "dev" {
			t.Fatalf("exported AWS_SHARED_CREDENTIALS_FILE=%q AWS_PROFILE=%q; want the host path %s", exported["AWS_SHARED_CREDENTIALS_FILE"], exported["AWS_PROFILE"], wantCreds)
		}
		for _, p := range []string{filepath.Dir(wantCreds), wantCreds, exported["AWS_CONFIG_FILE"]} {
			fi, err := os.Stat(p)
			if err != nil {
				t.Fatal(err)
			}
			if got := ownerUID(fi); got != uid {
				t.Errorf("%s owned by uid %d, want the runner's %d", p, got, uid)
			}
		}
		if got := callerARN(t, s, exported); got != "arn:aws:sts::123456789012:assumed-role/deploy/GitHubActions" {
			t.Errorf("host-side next step with AWS_PROFILE is %s", got)
		}
		state := exportedVars(t, s, "save_state_1")
		if _, _, code := s.runContainer(t, img, "/aws-oidc-go-post", map[string]string{"STATE_cleanup": state["cleanup"]}); code != 0 {
			t.Fatalf("post step exit %d", code)
		}
		if _, err := os.Stat(wantCreds); !errors.Is(err, os.ErrNotExist) {
			t.Error("the post step left the credentials file")
		}
	})

	t.Run("refresh profile runs on the host", func(t *testing.T) {
		t.Parallel()
		gh := harness.NewTokenService()
		defer gh.Close()
		s := newStep(t, gh, moto.URL)
		// The host step below runs as this test's user (the AWS CLI is
		// installed for it only), so that is the runner's user here:
		// credential-process refuses settings owned by anyone else.
		s.with["refresh"] = "true"
		stdout, stderr, code := s.runContainer(t, img, "", nil)
		if code != 0 {
			t.Fatalf("exit %d\n%s", code, harness.Redact(stdout+stderr))
		}
		exported := exportedVars(t, s, "set_env_1")
		before := len(gh.Requests())
		next := map[string]string{
			"AWS_PROFILE": exported["AWS_PROFILE"], "AWS_CONFIG_FILE": exported["AWS_CONFIG_FILE"],
			"ACTIONS_ID_TOKEN_REQUEST_URL": gh.RequestURL, "ACTIONS_ID_TOKEN_REQUEST_TOKEN": gh.RequestToken,
			"AWS_ENDPOINT_URL_STS": moto.URL,
		}
		if got := callerARN(t, s, next); got != "arn:aws:sts::123456789012:assumed-role/deploy/GitHubActions" {
			t.Errorf("next step through credential_process is %s", got)
		}
		if len(gh.Requests()) != before+1 {
			t.Error("credential_process did not ask GitHub for a fresh token")
		}
	})

	// Go reads the first bundle file of its list (ca-certificates.crt
	// first) and then scans /etc/ssl/certs: a bundle under that name was
	// parsed twice. Under another name it is parsed once, by the scan, which
	// also keeps a user's SSL_CERT_FILE adding to the public roots.
	t.Run("the public roots are one file outside Go's bundle list", func(t *testing.T) {
		t.Parallel()
		out, err := exec.Command("docker", "create", img).Output()
		if err != nil {
			t.Fatal(err)
		}
		id := strings.TrimSpace(string(out))
		defer exec.Command("docker", "rm", id).Run()
		// /etc/ssl and /etc/pki hold every bundle file Go looks for.
		if out, err := exec.Command("docker", "cp", id+":/etc/pki", t.TempDir()).CombinedOutput(); err == nil {
			t.Errorf("the image has /etc/pki %s", out)
		}
		dst := filepath.Join(t.TempDir(), "ssl")
		if out, err := exec.Command("docker", "cp", id+":/etc/ssl", dst).CombinedOutput(); err != nil {
			t.Fatalf("docker cp: %v %s", err, out)
		}
		var files []string
		filepath.WalkDir(dst, func(p string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				rel, _ := filepath.Rel(dst, p)
				files = append(files, "/etc/ssl/"+rel)
			}
			return nil
		})
		if len(files) != 1 || files[0] != "/etc/ssl/certs/public-roots.pem" {
			t.Fatalf("the image's /etc/ssl holds %v, want /etc/ssl/certs/public-roots.pem alone", files)
		}
		b, err := os.ReadFile(filepath.Join(dst, "certs", "public-roots.pem"))
		if err != nil {
			t.Fatal(err)
		}
		if n := strings.Count(string(b), "-----BEGIN CERTIFICATE-----"); n < 100 {
			t.Errorf("the bundle holds %d certificates", n)
		}
	})

	t.Run("TLS: the image's bundle refuses an unknown CA; AWS_CA_BUNDLE and SSL_CERT_FILE add one", func(t *testing.T) {
		t.Parallel()
		gh := harness.NewTokenService()
		defer gh.Close()
		tlsSTS := harness.NewTLSProxy(moto.URL)
		defer tlsSTS.Close()
		tlsToken := harness.NewTLSProxy(strings.Split(gh.RequestURL, "/_apis")[0])
		defer tlsToken.Close()

		s := newStep(t, gh, tlsSTS.URL)
		s.with["retry-max-attempts"] = "3"
		stdout, stderr, code := s.runContainer(t, img, "", nil)
		if code != 1 || !strings.Contains(stdout, "certificate") {
			t.Errorf("unknown CA: exit %d, want a certificate error\n%s", code, harness.Redact(stdout+stderr))
		}
		if strings.Count(stdout, "retrying") != 0 {
			t.Error("a certificate failure was retried")
		}
		if got := s.fileCommand("set_env_1"); got != "" {
			t.Error("exported something after a TLS failure")
		}

		for _, variable := range []string{"AWS_CA_BUNDLE", "SSL_CERT_FILE"} {
			s := newStep(t, gh, tlsSTS.URL)
			ca, err := tlsSTS.WriteCA(filepath.Join(s.dir, "workspace"))
			if err != nil {
				t.Fatal(err)
			}
			s.env[variable] = ca
			if variable == "SSL_CERT_FILE" {
				// Both hops over TLS with the same test CA.
				s.env["ACTIONS_ID_TOKEN_REQUEST_URL"] = tlsToken.URL + "/_apis/token?api-version=2.0"
				tokenCA, _ := tlsToken.WriteCA(t.TempDir())
				b1, _ := os.ReadFile(ca)
				b2, _ := os.ReadFile(tokenCA)
				os.WriteFile(ca, append(b1, b2...), 0o644)
			}
			stdout, stderr, code := s.runContainer(t, img, "", nil)
			if code != 0 {
				t.Errorf("with %s: exit %d\n%s", variable, code, harness.Redact(stdout+stderr))
			}
		}
	})
}

// imageVersion is what the image's --version reports.
func imageVersion(t *testing.T, img string) string {
	out, err := exec.Command("docker", "run", "--rm", img, "--version").Output()
	if err != nil {
		t.Fatalf("--version: %v", err)
	}
	v, ok := strings.CutPrefix(strings.TrimSpace(string(out)), "aws-oidc-go ")
	if !ok {
		t.Fatalf("--version printed %q", out)
	}
	return v
}
