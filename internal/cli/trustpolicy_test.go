package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/org/aws-oidc-go/internal/dev/harness"
)

func runCLI(args ...string) (code int, stdout, stderr string) {
	var out, errOut bytes.Buffer
	code = Main(context.Background(), Process{Args: args, Getenv: func(string) string { return "" }, Stdout: &out, Stderr: &errOut})
	return code, out.String(), errOut.String()
}

func TestTrustPolicyGenerate(t *testing.T) {
	t.Parallel()
	code, out, errOut := runCLI("trust-policy", "--account-id", "123456789012", "--repository", "octo-org/octo-repo", "--branch", "main", "--create-provider-command")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	want, _ := os.ReadFile(harness.Testdata("golden", "policy-branch.json"))
	if out != string(want) {
		t.Errorf("stdout differs from golden policy-branch.json:\n%s", out)
	}
	if !strings.Contains(errOut, "aws iam create-open-id-connect-provider --url https://token.actions.githubusercontent.com --client-id-list sts.amazonaws.com") {
		t.Errorf("stderr = %q", errOut)
	}
	code, _, errOut = runCLI("trust-policy", "--account-id", "123456789012", "--repository", "o/r", "--tag", "v1", "--job-workflow-ref", "o/p/.github/workflows/x.yml@refs/heads/main")
	if code != ExitOK || !strings.Contains(errOut, "# pins: aud sts.amazonaws.com; sub in the legacy form only repo:o/r:ref:refs/tags/v1; job_workflow_ref o/p/.github/workflows/x.yml@refs/heads/main; leaves open:") {
		t.Errorf("job-workflow-ref: exit %d, stderr %q", code, errOut)
	}
}

func TestTrustPolicyUsageErrors(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{"trust-policy", "--account-id", "123456789012", "--repository", "o/r"},
		{"trust-policy", "--account-id", "123456789012", "--repository", "o/r", "--branch", "a", "--any-ref"},
		{"trust-policy", "generate", "--account-id", "123456789012", "--repository", "o/r", "--tag", "b", "--tag"},
		{"trust-policy", "generate", "--account-id", "123456789012", "--repository", "o/r", "--tag", "b", "--account-id", "123456789012"},
		{"trust-policy", "--account-id", "x", "--repository", "o/r", "--branch", "a"},
		{"trust-policy", "--bogus"},
		{"trust-policy", "check"},
	} {
		code, _, errOut := runCLI(args...)
		if code != ExitUsage || !strings.Contains(errOut, "Usage:") || !strings.Contains(errOut, "--help lists every flag") {
			t.Errorf("%v: exit %d, stderr %q", args, code, errOut)
		}
	}
}

func TestTrustPolicyCheckExitCodes(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	policy := harness.Testdata("golden", "policy-branch.json")
	claims := filepath.Join(dir, "claims.json")
	os.WriteFile(claims, []byte(`{"iss":"https://token.actions.githubusercontent.com","aud":"sts.amazonaws.com","sub":"repo:octo-org/octo-repo:ref:refs/heads/main","repository":"octo-org/octo-repo"}`), 0o644)
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte(`{"Statement": "nope"`), 0o644)
	cases := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"trust-policy", "check", policy, "--claims", claims}, ExitOK, "ALLOWED by statement 0"},
		{[]string{"trust-policy", "check", "--repository", "octo-org/octo-repo", "--ref", "refs/heads/main", policy}, ExitOK, "ALLOWED"},
		{[]string{"trust-policy", "check", policy, "--repository", "octo-org/octo-repo", "--ref", "refs/heads/main", "--environment", "prod"}, ExitFailure, "DENIED"},
		{[]string{"trust-policy", "check", policy, "--repository", "octo-org/octo-repo", "--ref", "refs/pull/1/merge", "--event-name", "pull_request"}, ExitFailure, `"repo:octo-org/octo-repo:pull_request"`},
		{[]string{"trust-policy", "check", policy, "--repository", "octo-org/octo-repo", "--ref", "refs/heads/main", "--audience", "other"}, ExitFailure, "DENIED"},
		{[]string{"trust-policy", "check", bad, "--claims", claims}, ExitUnreadable, ""},
		{[]string{"trust-policy", "check", filepath.Join(dir, "missing.json"), "--claims", claims}, ExitUnreadable, ""},
		{[]string{"trust-policy", "check", policy, "--claims", bad}, ExitUnreadable, ""},
	}
	for _, tc := range cases {
		code, out, errOut := runCLI(tc.args...)
		if code != tc.code || !strings.Contains(out, tc.want) {
			t.Errorf("%v: exit %d (want %d)\n%s%s", tc.args[2:], code, tc.code, out, errOut)
		}
	}
}

func TestTrustPolicyHelp(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"trust-policy", "--help"}, {"trust-policy", "check", "-h"}} {
		code, out, _ := runCLI(args...)
		if code != ExitOK || !strings.Contains(out, "aws-oidc-go trust-policy check (POLICY.json | --role NAME_OR_ARN)") {
			t.Errorf("%v: exit %d, %q", args, code, out)
		}
	}
}

// TestTrustPolicyCheck2026 runs the cases the 2026 issue names through the
// command: the modern policy that used to be called broken, UNDECIDED from
// flags with the deciding flags named, and ALLOWED with an error-level
// finding.
func TestTrustPolicyCheck2026(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	corpus := func(name string) (policy, claims string) {
		b, err := os.ReadFile(harness.Testdata("trust-policies", name+".json"))
		if err != nil {
			t.Fatal(err)
		}
		var c struct {
			Policy json.RawMessage `json:"policy"`
			Claims json.RawMessage `json:"claims"`
		}
		json.Unmarshal(b, &c)
		policy, claims = filepath.Join(dir, name+"-policy.json"), filepath.Join(dir, name+"-claims.json")
		os.WriteFile(policy, c.Policy, 0o644)
		os.WriteFile(claims, c.Claims, 0o644)
		return policy, claims
	}
	modern, modernClaims := corpus("modern-environment-key")
	pinned, _ := corpus("immutable-sub-both-forms")
	forall, forallClaims := corpus("pitfall-forallvalues-allow")
	cases := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"trust-policy", "check", modern, "--claims", modernClaims}, ExitOK, "ALLOWED"},
		{[]string{"trust-policy", "check", modern, "--repository", "octo-org/octo-repo", "--ref", "refs/heads/main", "--environment", "prod"}, ExitUndecided, "decide it with --repository-id"},
		{[]string{"trust-policy", "check", modern, "--repository", "octo-org/octo-repo", "--ref", "refs/heads/main", "--environment", "prod", "--repository-id", "123456789"}, ExitOK, "ALLOWED"},
		{[]string{"trust-policy", "check", pinned, "--repository", "octo-org/octo-repo", "--ref", "refs/heads/main", "--repository-id", "123456789", "--owner-id", "65432", "--sub-format", "immutable"}, ExitOK, "ALLOWED"},
		{[]string{"trust-policy", "check", forall, "--claims", forallClaims}, ExitFindings, "error [forallvalues-allow]"},
		{[]string{"trust-policy", "check", pinned, "--repository", "octo-org/octo-repo", "--ref", "refs/heads/main", "--sub-format", "immutable"}, ExitUsage, ""},
	}
	for _, tc := range cases {
		code, out, errOut := runCLI(tc.args...)
		if code != tc.code || !strings.Contains(out, tc.want) {
			t.Errorf("%v: exit %d (want %d)\n%s%s", tc.args[2:], code, tc.code, out, errOut)
		}
	}
}

// TestTrustPolicySeveralRepositories: --repository repeats on generate
// (ids inline) and on check (one verdict per repository, the worst
// decides the exit); --repository-id with several is refused.
func TestTrustPolicySeveralRepositories(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	code, out, errOut := runCLI("trust-policy", "generate", "--account-id", "123456789012", "--repository", "octo@1/app@11",
		"--repository", "octo@1/web@12", "--repository", "acme@5/*", "--branch", "main")
	if code != ExitOK {
		t.Fatalf("generate: exit %d\n%s", code, errOut)
	}
	if !strings.Contains(errOut, "repository octo/web: repository_id 12") || !strings.Contains(errOut, "every repository of acme, those created later too") {
		t.Errorf("summary: %s", errOut)
	}
	policy := filepath.Join(dir, "p.json")
	if err := os.WriteFile(policy, []byte(out), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, _ = runCLI("trust-policy", "check", policy, "--repository", "octo@1/app@11", "--repository", "octo@1/web@12", "--repository", "acme@5/anything@99",
		"--ref", "refs/heads/main", "--sub-format", "immutable")
	// The lint's cross-repo-wildcard finding (an error) marks the
	// owner-wide statement: exit 5, every run ALLOWED.
	if code != ExitFindings || strings.Count(out, "\nALLOWED") != 3 {
		t.Errorf("check of the three runs: exit %d\n%s", code, out)
	}
	code, out, _ = runCLI("trust-policy", "check", policy, "--repository", "octo@1/app@11", "--repository", "octo@1/api@13",
		"--ref", "refs/heads/main", "--sub-format", "immutable")
	if code != ExitFailure || !strings.Contains(out, "Run of octo/api:\nDENIED") {
		t.Errorf("check with a repository the policy does not name: exit %d\n%s", code, out)
	}
	for _, args := range [][]string{
		{"generate", "--account-id", "123456789012", "--repository", "octo/app", "--repository", "octo/web", "--repository-id", "1", "--owner-id", "2", "--branch", "main"},
		{"check", policy, "--repository", "octo/app", "--repository", "octo/web", "--repository-id", "1", "--owner-id", "2", "--ref", "refs/heads/main"},
		{"check", policy, "--repository", "octo/*", "--ref", "refs/heads/main"},
		{"generate", "--account-id", "123456789012", "--repository", "acme/*", "--branch", "main"},
	} {
		if code, _, errOut := runCLI(append([]string{"trust-policy"}, args...)...); code != ExitUsage || !strings.Contains(errOut, "--repository") {
			t.Errorf("%v: exit %d, want %d naming --repository\n%s", args, code, ExitUsage, errOut)
		}
	}
	_, out, _ = runCLI("trust-policy", "check", policy, "--repository", "octo/app\n::warning::x", "--repository", "octo/web", "--ref", "refs/heads/main")
	if strings.Contains(out, "\n::warning") || !strings.Contains(out, `Run of octo/app\n::warning::x:`) {
		t.Errorf("a repository name breaks its line:\n%s", out)
	}
	for _, q := range []string{"100", "5000", "x"} {
		args := []string{"generate", "--account-id", "123456789012", "--repository", "octo/app", "--branch", "main", "--trust-policy-quota", q}
		if code, _, errOut := runCLI(append([]string{"trust-policy"}, args...)...); code != ExitUsage || !strings.Contains(errOut, "--trust-policy-quota") {
			t.Errorf("%v: exit %d, want %d naming --trust-policy-quota\n%s", args, code, ExitUsage, errOut)
		}
	}
}
