package e2e

import (
	"encoding/json"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/org/aws-oidc-go/internal/dev/harness"
)

// cliEnv is a run: step's environment on a runner without Docker.
func cliEnv(t *testing.T, gh *harness.TokenService, stsURL string, inActions bool) []string {
	home := t.TempDir()
	env := []string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + home,
		"AWS_CONFIG_FILE=" + filepath.Join(home, "config"), "AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(home, "credentials"),
		"AWS_EC2_METADATA_DISABLED=true", "AWS_ENDPOINT_URL=" + stsURL,
		"ACTIONS_ID_TOKEN_REQUEST_URL=" + gh.RequestURL, "ACTIONS_ID_TOKEN_REQUEST_TOKEN=" + gh.RequestToken,
	}
	if inActions {
		env = append(env, "GITHUB_ACTIONS=true", "GITHUB_ENV="+filepath.Join(home, "set_env"), "GITHUB_OUTPUT="+filepath.Join(home, "set_output"))
	}
	return env
}

func runCLI(t *testing.T, env []string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = env
	var out, errOut strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return out.String(), errOut.String(), code
}

func TestCLIFormatEnvThenAWSCLI(t *testing.T) {
	t.Parallel()
	harness.RequireTool(t, "aws")
	moto := harness.SharedMoto(t)
	gh := harness.NewTokenService()
	defer gh.Close()
	env := cliEnv(t, gh, moto.URL, false)
	stdout, stderr, code := runCLI(t, env, "--role-to-assume", "arn:aws:iam::123456789012:role/deploy", "--aws-region", "eu-west-1",
		"--role-session-name", "cli", "--format", "env")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, harness.Redact(stderr))
	}
	if !strings.HasPrefix(stdout, "export AWS_ACCESS_KEY_ID=") || strings.Contains(stdout, "::") {
		t.Errorf("stdout is not pure shell exports:\n%s", harness.Redact(stderr+stdout))
	}
	// eval it in a shell and run the AWS CLI there, as a run: step would.
	script := `eval "$STDOUT" && aws sts get-caller-identity --query Arn --output text`
	cmd := exec.Command("sh", "-c", script)
	cmd.Env = append(env, "STDOUT="+stdout)
	out, err := cmd.CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "arn:aws:sts::123456789012:assumed-role/deploy/cli" {
		t.Errorf("after eval: %v %s", err, out)
	}
	// Off Actions (a terminal): no workflow command at all — an
	// ::add-mask:: line would show the secret it means to hide.
	if strings.HasPrefix(stderr, "::") || strings.Contains(stderr, "\n::") {
		t.Errorf("off Actions the log holds workflow commands:\n%s", harness.Redact(stderr))
	}
	var creds []string
	for _, line := range strings.Split(stdout, "\n") {
		if k, v, ok := strings.Cut(line, "="); ok && strings.Contains(k, "_KEY") || strings.Contains(k, "TOKEN") {
			creds = append(creds, strings.Trim(v, "'"))
		}
	}
	leakCheck(t, gh, stderr, creds...)

	// Inside Actions the masks go to stderr, where the runner reads
	// workflow commands too.
	stdout, stderr, code = runCLI(t, cliEnv(t, gh, moto.URL, true), "--role-to-assume", "arn:aws:iam::123456789012:role/deploy", "--aws-region", "eu-west-1", "--format", "env")
	if code != 0 || len(harness.Masks(stderr)) < 3 {
		t.Errorf("inside Actions: exit %d, expected the JWT and credentials masked on stderr", code)
	}
	leakCheck(t, gh, stderr, harness.Masks(stderr)...)
	_ = stdout
}

// TestEveryEntryPointRequestsTheDefaultAudience: the action, the CLI,
// credential-process and a refresh profile's credential_process all ask
// GitHub for a token with the documented default audience (before, the
// CLI and credential-process asked with none, and real STS answered
// "Incorrect token audience").
func TestEveryEntryPointRequestsTheDefaultAudience(t *testing.T) {
	t.Parallel()
	harness.RequireTool(t, "aws")
	moto := harness.SharedMoto(t)
	gh := harness.NewTokenService()
	defer gh.Close()
	role := []string{"--role-to-assume", "arn:aws:iam::123456789012:role/deploy", "--aws-region", "eu-west-1"}
	if _, stderr, code := runCLI(t, cliEnv(t, gh, moto.URL, false), append(role, "--format", "json")...); code != 0 {
		t.Fatalf("cli: exit %d %s", code, harness.Redact(stderr))
	}
	if _, stderr, code := runCLI(t, cliEnv(t, gh, moto.URL, false), append([]string{"credential-process"}, role...)...); code != 0 {
		t.Fatalf("credential-process: exit %d %s", code, harness.Redact(stderr))
	}
	env := cliEnv(t, gh, moto.URL, true)
	if _, stderr, code := runCLI(t, env, append(role, "--refresh")...); code != 0 {
		t.Fatalf("refresh: exit %d %s", code, harness.Redact(stderr))
	}
	vars := envFileVars(t, env)
	cmd := exec.Command("aws", "sts", "get-caller-identity")
	cmd.Env = append(env, "AWS_PROFILE="+vars["AWS_PROFILE"], "AWS_CONFIG_FILE="+vars["AWS_CONFIG_FILE"])
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("credential_process through the AWS CLI: %v %s", err, out)
	}
	s := newStep(t, gh, moto.URL)
	if s.run(); s.exitCode != 0 {
		t.Fatalf("action: exit %d %s", s.exitCode, harness.Redact(s.stdout.String()))
	}
	reqs := gh.Requests()
	if len(reqs) != 5 {
		t.Errorf("%d token requests, want 5 (cli, credential-process, refresh, its credential_process, action)", len(reqs))
	}
	for i, r := range reqs {
		if r.Audience != "sts.amazonaws.com" {
			t.Errorf("token request %d asked for audience %q, want sts.amazonaws.com", i, r.Audience)
		}
	}
}

func envFileVars(t *testing.T, env []string) map[string]string {
	t.Helper()
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "GITHUB_ENV="); ok {
			b, _ := os.ReadFile(v)
			vars, err := ParseFileCommand(string(b))
			if err != nil {
				t.Fatal(err)
			}
			return vars
		}
	}
	t.Fatal("no GITHUB_ENV")
	return nil
}

func TestCLIFormatJSONAndInActions(t *testing.T) {
	t.Parallel()
	moto := harness.SharedMoto(t)
	gh := harness.NewTokenService()
	defer gh.Close()
	env := cliEnv(t, gh, moto.URL, false)
	stdout, stderr, code := runCLI(t, env, "--role-to-assume=arn:aws:iam::123456789012:role/deploy", "--aws-region=eu-west-1", "--format=json", "--mask-aws-account-id")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, harness.Redact(stderr))
	}
	var res struct{ AccessKeyId, SecretAccessKey, SessionToken, Expiration, Region, AccountId, Arn string }
	if err := json.Unmarshal([]byte(stdout), &res); err != nil || res.AccessKeyId == "" || res.AccountId != "123456789012" || res.Region != "eu-west-1" {
		t.Errorf("json = %+v, %v", res, err)
	}
	if _, err := time.Parse(time.RFC3339, res.Expiration); err != nil {
		t.Errorf("Expiration %q: %v", res.Expiration, err)
	}

	// Inside Actions, without --format, it writes GITHUB_ENV like the container.
	env = cliEnv(t, gh, moto.URL, true)
	stdout, stderr, code = runCLI(t, env, "--role-to-assume", "arn:aws:iam::123456789012:role/deploy", "--aws-region", "eu-west-1")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, harness.Redact(stdout+stderr))
	}
	var envFile string
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "GITHUB_ENV="); ok {
			envFile = v
		}
	}
	b, _ := os.ReadFile(envFile)
	vars, err := ParseFileCommand(string(b))
	if err != nil || vars["AWS_SESSION_TOKEN"] == "" {
		t.Errorf("GITHUB_ENV: %v, %v", keys(vars), err)
	}

	// Outside Actions without --format there is nowhere to put them.
	_, _, code = runCLI(t, cliEnv(t, gh, moto.URL, false), "--role-to-assume", "arn:aws:iam::123456789012:role/deploy", "--aws-region", "eu-west-1")
	if code != 1 {
		t.Errorf("outside Actions without --format: exit %d, want 1", code)
	}
	// Bad flags are usage errors.
	if _, errOut, code := runCLI(t, env, "--no-such-input", "x"); code != 2 || !strings.Contains(errOut, "unknown flag --no-such-input") {
		t.Errorf("unknown flag: exit %d, %q", code, errOut)
	}
}

func TestCredentialProcess(t *testing.T) {
	t.Parallel()
	moto := harness.SharedMoto(t)
	gh := harness.NewTokenService()
	defer gh.Close()
	env := cliEnv(t, gh, moto.URL, true)
	stdout, stderr, code := runCLI(t, env, "credential-process", "--role-to-assume", "arn:aws:iam::123456789012:role/deploy", "--aws-region", "eu-west-1")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var cp map[string]any
	if err := json.Unmarshal([]byte(stdout), &cp); err != nil {
		t.Fatalf("stdout is not JSON: %v", err)
	}
	if cp["Version"] != float64(1) || cp["AccessKeyId"] == "" || cp["SecretAccessKey"] == "" || cp["SessionToken"] == "" {
		t.Errorf("credential_process JSON lacks fields: %v", keys(toStrings(cp)))
	}
	if _, err := time.Parse(time.RFC3339, cp["Expiration"].(string)); err != nil {
		t.Errorf("Expiration: %v", err)
	}
	if strings.Contains(stderr, "::add-mask::") || stderr != "" {
		t.Errorf("credential-process wrote to stderr: %q", harness.Redact(stderr))
	}
	// Failures go to stderr with the reason, exit 1, nothing on stdout.
	stdout, stderr, code = runCLI(t, env, "credential-process", "--role-to-assume", "deploy", "--aws-region", "eu-west-1")
	if code != 1 || stdout != "" || !strings.Contains(stderr, "bare role name") {
		t.Errorf("bad input: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
}

// TestRefreshProfileWithAWSCLI is the long-job feature: the profile's
// credential_process runs this binary, which asks GitHub for a fresh token.
func TestRefreshProfileWithAWSCLI(t *testing.T) {
	t.Parallel()
	moto := harness.SharedMoto(t)
	gh := harness.NewTokenService()
	defer gh.Close()
	env := cliEnv(t, gh, moto.URL, true)
	_, stderr, code := runCLI(t, env, "--role-to-assume", "arn:aws:iam::123456789012:role/deploy", "--aws-region", "eu-west-1",
		"--refresh", "--role-session-name", "renewing")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, harness.Redact(stderr))
	}
	var envFile string
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "GITHUB_ENV="); ok {
			envFile = v
		}
	}
	b, _ := os.ReadFile(envFile)
	vars, _ := ParseFileCommand(string(b))
	if vars["AWS_PROFILE"] != "aws-oidc-go" || vars["AWS_ACCESS_KEY_ID"] != "" {
		t.Fatalf("exports: AWS_PROFILE=%q, key id set=%v", vars["AWS_PROFILE"], vars["AWS_ACCESS_KEY_ID"] != "")
	}
	cfgFile := vars["AWS_CONFIG_FILE"]
	cfg, _ := os.ReadFile(cfgFile)
	settings := settingsFile(t, string(cfg), filepath.Dir(cfgFile))
	if fi, err := os.Stat(settings); err != nil || (runtime.GOOS != "windows" && fi.Mode().Perm() != 0o600) { // modes say nothing on Windows
		t.Errorf("renewal settings %s: %v (want mode 0600)", settings, err)
	}
	before := len(gh.Requests())

	// The next step: the AWS CLI resolves credentials through the profile.
	harness.RequireTool(t, "aws")
	next := append([]string{}, env...)
	for k, v := range vars {
		next = append(next, k+"="+v)
	}
	cmd := exec.Command("aws", "sts", "get-caller-identity", "--query", "Arn", "--output", "text")
	cmd.Env = next
	out, err := cmd.CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "arn:aws:sts::123456789012:assumed-role/deploy/renewing" {
		t.Fatalf("aws with the refresh profile: %v\n%s", err, out)
	}
	if after := len(gh.Requests()); after != before+1 {
		t.Errorf("token requests %d → %d; credential_process must ask GitHub for a fresh token", before, after)
	}
}

// settingsFile returns the renewal settings file the config's
// credential_process line names, checking that it is this binary's copy
// (checkedCopy) reading a file in the same run's private directory beside
// the profile.
func settingsFile(t *testing.T, cfg, dir string) string {
	t.Helper()
	for _, l := range strings.Split(cfg, "\n") {
		if rest, ok := strings.CutPrefix(l, "credential_process = "); ok {
			exe, p, _ := strings.Cut(rest, " credential-process --config ")
			checkedCopy(t, exe, dir)
			if m, _ := filepath.Match(filepath.Join(dir, "aws-oidc-go-run-*", "renewal.json"), p); !m || filepath.Dir(p) != filepath.Dir(exe) {
				t.Errorf("settings file %s is not in the run directory of %s under %s", p, exe, dir)
			}
			return p
		}
	}
	t.Fatalf("config file has no credential_process line of this binary:\n%s", cfg)
	return ""
}

func toStrings(m map[string]any) map[string]string {
	out := map[string]string{}
	for k, v := range m {
		out[k], _ = v.(string)
	}
	return out
}

// TestRefreshSettingsSurviveAnyValue: an inline policy with a backtick
// used to make the credential_process line unusable, and the proxy
// password landed in the AWS config file and in process arguments. The
// renewal settings file keeps every value; argv and the config hold none.
func TestRefreshSettingsSurviveAnyValue(t *testing.T) {
	t.Parallel()
	harness.RequireTool(t, "aws")
	moto := harness.SharedMoto(t)
	gh := harness.NewTokenService()
	defer gh.Close()
	env := cliEnv(t, gh, moto.URL, true)
	policy := `{"Version":"2012-10-17","Statement":[{"Sid":"a` + "`" + `b'c\"d","Effect":"Allow","Action":"s3:*","Resource":"*"}]}`
	const password = "s3cr`t'pw$(x)"
	_, stderr, code := runCLI(t, append(env, "NO_PROXY=127.0.0.1"), "--role-to-assume", "arn:aws:iam::123456789012:role/deploy", "--aws-region", "eu-west-1",
		"--refresh", "--inline-session-policy", policy, "--http-proxy", "http://ci:"+url.QueryEscape(password)+"@proxy.test.invalid:3128", "--no-proxy", "127.0.0.1")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, harness.Redact(stderr))
	}
	vars := envFileVars(t, env)
	cfg, _ := os.ReadFile(vars["AWS_CONFIG_FILE"])
	settingsFile := settingsFile(t, string(cfg), filepath.Dir(vars["AWS_CONFIG_FILE"]))
	for _, secret := range []string{password, url.QueryEscape(password)} {
		if strings.Contains(string(cfg), secret) {
			t.Errorf("the AWS config file holds the proxy password:\n%s", cfg)
		}
	}
	b, err := os.ReadFile(settingsFile)
	if err != nil {
		t.Fatal(err)
	}
	var settings map[string]any
	if err := json.Unmarshal(b, &settings); err != nil {
		t.Fatal(err)
	}
	if settings["inline-session-policy"] != policy {
		t.Errorf("policy in the settings = %q, want %q", settings["inline-session-policy"], policy)
	}
	// The line the SDKs run holds the program and the settings path only.
	line := ""
	for _, l := range strings.Split(string(cfg), "\n") {
		if v, ok := strings.CutPrefix(l, "credential_process = "); ok {
			line = v
		}
	}
	if line != filepath.Join(filepath.Dir(settingsFile), "aws-oidc-go")+" credential-process --config "+settingsFile {
		t.Errorf("credential_process = %q", line)
	}
	// And it works: the AWS CLI renews through it with the policy intact.
	cmd := exec.Command("aws", "sts", "get-caller-identity", "--query", "Arn", "--output", "text")
	cmd.Env = append(env, "AWS_PROFILE="+vars["AWS_PROFILE"], "AWS_CONFIG_FILE="+vars["AWS_CONFIG_FILE"])
	if out, err := cmd.CombinedOutput(); err != nil || !strings.Contains(string(out), "assumed-role/deploy") {
		t.Errorf("credential_process through the AWS CLI: %v %s", err, out)
	}
}
