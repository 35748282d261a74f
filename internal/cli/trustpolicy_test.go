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
