package cli

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/org/aws-oidc-go/internal/dev/harness"
	"github.com/org/aws-oidc-go/internal/trust"
)

// A policy or claims file over its limit is refused before it is read
// whole, naming the file and the limit, with the exit code of an
// unreadable file — even when it is valid JSON that would pass.
func TestTrustPolicyCheckFileLimits(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	pad := func(b []byte, n int) []byte { return append(b, strings.Repeat(" ", n-len(b))...) }
	policy, err := os.ReadFile(harness.Testdata("golden", "policy-branch.json"))
	if err != nil {
		t.Fatal(err)
	}
	claims := []byte(`{"iss":"https://token.actions.githubusercontent.com","aud":"sts.amazonaws.com","sub":"repo:octo-org/octo-repo:ref:refs/heads/main","repository":"octo-org/octo-repo"}`)
	atLimit := write("at-limit.json", pad(append([]byte{}, policy...), trust.MaxPolicyBytes))
	overLimit := write("over-limit.json", pad(append([]byte{}, policy...), trust.MaxPolicyBytes+1))
	huge := write("huge.json", pad(append([]byte{}, policy...), 15<<20))
	claimsAt := write("claims-at.json", pad(append([]byte{}, claims...), trust.MaxClaimsBytes))
	claimsOver := write("claims-over.json", pad(append([]byte{}, claims...), trust.MaxClaimsBytes+1))
	for _, tc := range []struct {
		args       []string
		code       int
		wantStderr []string
	}{
		{[]string{atLimit, "--claims", claimsAt}, ExitOK, nil},
		{[]string{overLimit, "--claims", claimsAt}, ExitUnreadable, []string{overLimit, "policy file", strconv.Itoa(trust.MaxPolicyBytes)}},
		{[]string{huge, "--repository", "octo-org/octo-repo", "--ref", "refs/heads/main"}, ExitUnreadable, []string{huge, strconv.Itoa(trust.MaxPolicyBytes)}},
		{[]string{atLimit, "--claims", claimsOver}, ExitUnreadable, []string{claimsOver, "claims file", strconv.Itoa(trust.MaxClaimsBytes)}},
	} {
		code, out, errOut := runCLI(append([]string{"trust-policy", "check"}, tc.args...)...)
		if code != tc.code {
			t.Errorf("%v: exit %d, want %d\n%s%s", tc.args, code, tc.code, out, errOut)
		}
		for _, w := range tc.wantStderr {
			if !strings.Contains(errOut, w) {
				t.Errorf("%v: stderr does not name %q:\n%s", tc.args, w, errOut)
			}
		}
	}
}

// Within the limits, a policy and claims built to make the matcher work
// hardest are stopped by the comparison budget: exit 3, UNSUPPORTED.
func TestTrustPolicyCheckComparisonBudget(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	pattern := "*" + strings.Repeat("a", 1000) + "b"
	var values []string
	for len(values)*(len(pattern)+3) < trust.MaxPolicyBytes-1000 {
		values = append(values, `"`+pattern+`"`)
	}
	policy := filepath.Join(dir, "policy.json")
	os.WriteFile(policy, []byte(`{"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
		"Principal": {"Federated": "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"},
		"Action": "sts:AssumeRoleWithWebIdentity",
		"Condition": {"StringLike": {"token.actions.githubusercontent.com:sub": [`+strings.Join(values, ",")+`]}}}]}`), 0o644)
	claims := filepath.Join(dir, "claims.json")
	os.WriteFile(claims, []byte(`{"aud": "sts.amazonaws.com", "sub": "`+strings.Repeat("a", trust.MaxClaimsBytes-100)+`"}`), 0o644)
	code, out, errOut := runCLI("trust-policy", "check", policy, "--claims", claims)
	if code != ExitUnreadable || !strings.HasPrefix(out, "UNSUPPORTED: ") {
		t.Errorf("exit %d\n%s%s", code, out, errOut)
	}
}

// Fact flags are checked whichever way the claims come: with --claims, --audience and --issuer went into the
// request unchecked. The length is checked before the UTF-8, so a huge
// invalid argument is not quoted back whole.
func TestTrustPolicyCheckFactFlagsAreChecked(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	claims := filepath.Join(dir, "claims.json")
	if err := os.WriteFile(claims, []byte(`{"iss":"https://token.actions.githubusercontent.com","aud":"sts.amazonaws.com","sub":"repo:octo-org/octo-repo:ref:refs/heads/main","repository":"octo-org/octo-repo"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	policy := harness.Testdata("golden", "policy-branch.json")
	huge := strings.Repeat("\xff", 1<<20)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--claims", claims, "--audience", "sts.amazonaws.com\xff"}, "--audience"},
		{[]string{"--claims", claims, "--issuer", "https://token.actions.githubusercontent.com\xfe"}, "--issuer"},
		{[]string{"--claims", claims, "--audience", strings.Repeat("a", trust.MaxFactBytes+1)}, "--audience is 4097 bytes long"},
		{[]string{"--claims", claims, "--audience", huge}, "--audience is 1048576 bytes long"},
		{[]string{"--repository", huge, "--ref", "refs/heads/main"}, "--repository is 1048576 bytes long"},
	} {
		code, out, errOut := runCLI(append([]string{"trust-policy", "check", policy}, tc.args...)...)
		if code != ExitUsage || !strings.Contains(errOut, tc.want) || out != "" {
			t.Errorf("%.60q: exit %d, want %d naming %q\n%.300s%.300s", tc.args, code, ExitUsage, tc.want, out, errOut)
		}
		if len(errOut) > 8<<10 {
			t.Errorf("%.60q: %d bytes on stderr: the argument is quoted back", tc.args, len(errOut))
		}
	}
}
