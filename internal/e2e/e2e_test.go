package e2e

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/org/aws-oidc-go/internal/cli"
	"github.com/org/aws-oidc-go/internal/dev/harness"
)

// nextStep runs the real AWS CLI with the environment a later workflow step
// would have: the job env plus what the action put in GITHUB_ENV.
func nextStep(t *testing.T, s *step, exported map[string]string, args ...string) (string, error) {
	t.Helper()
	awsCLI := harness.RequireTool(t, "aws")
	home := t.TempDir()
	env := []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + home,
		"AWS_CONFIG_FILE=" + filepath.Join(home, "config"),
		"AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(home, "credentials"),
		"AWS_EC2_METADATA_DISABLED=true",
		"AWS_ENDPOINT_URL=" + s.stsURL,
	}
	for k, v := range exported {
		env = append(env, k+"="+v)
	}
	cmd := exec.Command(awsCLI, args...)
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// leakCheck fails t if a token or credential shows up where it must not:
// in what the steps printed (outside ::add-mask:: lines), GITHUB_STATE or
// the step summary; tokens not even in GITHUB_ENV / GITHUB_OUTPUT. creds
// are the secret keys and session tokens the test knows of.
func leakCheck(t *testing.T, gh *harness.TokenService, printed string, creds ...string) {
	t.Helper()
	harness.AssertNoLeaks(t, []harness.Output{{Name: "printed output", Text: printed}},
		append([]string{gh.RequestToken}, gh.Issued()...), creds)
}

// stepLeakCheck is leakCheck over a step's output and its file commands.
func stepLeakCheck(t *testing.T, s *step, printed string) {
	t.Helper()
	env, _ := ParseFileCommand(s.fileCommand("set_env_1"))
	creds := []string{env["AWS_SECRET_ACCESS_KEY"], env["AWS_SESSION_TOKEN"]}
	harness.AssertNoLeaks(t, []harness.Output{
		{Name: "printed output", Text: printed},
		{Name: "GITHUB_ENV", Text: s.fileCommand("set_env_1"), CredentialsAllowed: true},
		{Name: "GITHUB_OUTPUT", Text: s.fileCommand("set_output_1"), CredentialsAllowed: true},
		{Name: "GITHUB_STATE", Text: s.fileCommand("save_state_1")},
		{Name: "GITHUB_STEP_SUMMARY", Text: s.fileCommand("step_summary_1")},
	}, append([]string{s.gh.RequestToken}, s.gh.Issued()...), creds)
}

func TestActionThenAWSCLI(t *testing.T) {
	t.Parallel()
	moto := harness.SharedMoto(t)
	cases := []struct {
		name string
		prep func(s *step, p *harness.Proxy)
	}{
		{"endpoint from AWS_ENDPOINT_URL_STS", func(*step, *harness.Proxy) {}},
		{"endpoint from the sts-endpoint input", func(s *step, p *harness.Proxy) {
			s.env["AWS_ENDPOINT_URL_STS"] = "http://127.0.0.1:1" // the input must win
			s.with["sts-endpoint"] = p.URL
		}},
		{"endpoint from AWS_ENDPOINT_URL", func(s *step, p *harness.Proxy) {
			s.env["AWS_ENDPOINT_URL_STS"] = "\x00unset"
			s.env["AWS_ENDPOINT_URL"] = p.URL
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s, proxy := proxiedStep(t, moto)
			tc.prep(s, proxy)
			s.run()
			if s.exitCode != 0 {
				t.Fatalf("exit %d\n%s", s.exitCode, s.log())
			}
			// What this checks is the endpoint: the call went through the
			// proxy. A retry (an attempt timing out on a loaded machine,
			// as under Wine in CI) goes there too, and is shown.
			switch n := proxy.Count("AssumeRoleWithWebIdentity"); {
			case n == 0:
				t.Errorf("STS saw no AssumeRoleWithWebIdentity call through the expected endpoint\n%s", s.log())
			case n > 1:
				t.Logf("%d AssumeRoleWithWebIdentity calls through the expected endpoint (retried):\n%s", n, s.log())
			}
			exported, err := ParseFileCommand(s.fileCommand("set_env_1"))
			if err != nil {
				t.Fatal(err)
			}
			names := make([]string, 0, len(exported))
			for k := range exported {
				names = append(names, k)
			}
			want := []string{"AWS_ACCESS_KEY_ID", "AWS_DEFAULT_REGION", "AWS_REGION", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"}
			if !sameSet(names, want) {
				t.Errorf("GITHUB_ENV sets %v, want %v", names, want)
			}
			outputs, err := ParseFileCommand(s.fileCommand("set_output_1"))
			if err != nil {
				t.Fatal(err)
			}
			if outputs["authenticated-arn"] != "arn:aws:sts::123456789012:assumed-role/deploy/GitHubActions" || outputs["aws-account-id"] != "123456789012" {
				t.Errorf("outputs = %v", outputs)
			}

			out, err := nextStep(t, s, exported, "sts", "get-caller-identity", "--output", "json")
			if err != nil {
				t.Fatalf("aws sts get-caller-identity: %v\n%s", err, harness.Redact(s.stdout.String()+out))
			}
			var id struct{ Account, Arn string }
			if err := json.Unmarshal([]byte(out), &id); err != nil {
				t.Fatalf("aws printed %q: %v", out, err)
			}
			if id.Arn != "arn:aws:sts::123456789012:assumed-role/deploy/GitHubActions" {
				t.Errorf("the next step is %q, want the assumed role", id.Arn)
			}
			stepLeakCheck(t, s, s.stdout.String()+s.stderr.String()+out)
			for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"} {
				if !strings.Contains(s.stdout.String(), "::add-mask::"+exported[k]+"\n") {
					t.Errorf("%s was not masked", k)
				}
			}
		})
	}
}

func TestActionFailuresExportNothing(t *testing.T) {
	t.Parallel()
	moto := harness.SharedMoto(t)
	cases := []struct {
		name  string
		prep  func(s *step, p *harness.Proxy)
		want  []string
		calls int // STS requests expected
	}{
		{"bad inputs, all reported", func(s *step, _ *harness.Proxy) {
			s.with["role-to-assume"] = "deploy"
			s.with["role-duration-seconds"] = "60"
			s.with["output-credentials"] = "yes"
		}, []string{
			"::error::input role-to-assume: \"deploy\" is a bare role name",
			"::error::input role-duration-seconds: 60 is out of range",
			"::error::input output-credentials: \"yes\" is not a boolean",
		}, 0},
		{"no id-token permission", func(s *step, _ *harness.Proxy) {
			s.env["ACTIONS_ID_TOKEN_REQUEST_TOKEN"] = "\x00unset"
			s.env["ACTIONS_ID_TOKEN_REQUEST_URL"] = "\x00unset"
		}, []string{"::error::the GitHub OIDC token service is not available", "id-token: write", "Dependabot"}, 0},
		{"access denied", func(_ *step, p *harness.Proxy) { p.Faults().Always(harness.FaultAccessDenied) },
			[]string{"::error::AssumeRoleWithWebIdentity: AccessDenied: Not authorized to perform sts:AssumeRoleWithWebIdentity (HTTP 403"}, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s, proxy := proxiedStep(t, moto)
			tc.prep(s, proxy)
			s.run()
			if s.exitCode != 1 {
				t.Errorf("exit code %d, want 1", s.exitCode)
			}
			for _, w := range tc.want {
				if !strings.Contains(s.stdout.String(), w) {
					t.Errorf("output lacks %q:\n%s", w, s.log())
				}
			}
			for _, f := range []string{"set_env_1", "set_output_1"} {
				if got := s.fileCommand(f); got != "" {
					t.Errorf("%s after a failure: %q", f, harness.Redact(got))
				}
			}
			if got := proxy.Count(""); got != tc.calls {
				t.Errorf("STS requests = %d, want %d", got, tc.calls)
			}
			stepLeakCheck(t, s, s.stdout.String()+s.stderr.String())
		})
	}
}

func TestVersionAndHelp(t *testing.T) {
	t.Parallel()
	out, err := exec.Command(binary, "--version").CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "aws-oidc-go v0.0.0-e2e" {
		t.Errorf("--version: %q %v", out, err)
	}
	out, err = exec.Command(binary, "--help").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "role-to-assume") {
		t.Errorf("--help: %q %v", out, err)
	}
	if err := exec.Command(binary, "--bogus").Run(); err == nil || err.(*exec.ExitError).ExitCode() != 2 {
		t.Errorf("unknown flag: %v, want exit 2", err)
	}
}

// TestActionYAMLOutputsAndRuns checks what internal/inputs does not
// generate: every output declared and described, and how the runner starts
// the action. (Inputs: internal/inputs' TestActionYAMLDeclaresTheTable.)
func TestActionYAMLOutputsAndRuns(t *testing.T) {
	t.Parallel()
	a := loadActionYAML(t)
	var outs []string
	for name, o := range a.Outputs {
		outs = append(outs, name)
		if o.Description == "" {
			t.Errorf("output %s has no description", name)
		}
	}
	want := []string{"aws-account-id", "authenticated-arn", "aws-access-key-id", "aws-secret-access-key", "aws-session-token", "aws-expiration"}
	if !sameSet(outs, want) {
		t.Errorf("outputs %v, want %v", outs, want)
	}
	if a.Runs.Using != "docker" {
		t.Errorf("runs.using = %q, want docker", a.Runs.Using)
	}
	if a.Runs.PostEntrypoint != "/"+cli.PostName {
		t.Errorf("runs.post-entrypoint = %q, want /%s", a.Runs.PostEntrypoint, cli.PostName)
	}
}

func sameSet(a, b []string) bool {
	m := map[string]int{}
	for _, x := range a {
		m[x]++
	}
	for _, x := range b {
		m[x]--
	}
	for _, n := range m {
		if n != 0 {
			return false
		}
	}
	return true
}
