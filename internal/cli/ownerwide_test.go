package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestTrustPolicyCheckOwnerWide: check on the policy generate writes for
// --repository OWNER@OWNER_ID/* prints ALLOWED for a repository of the
// owner and exits 0, with a warning saying the role admits every
// repository of the owner, later ones too; the legacy OWNER/* (no id)
// keeps the error-level finding and exit 5.
func TestTrustPolicyCheckOwnerWide(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, tc := range []struct {
		repo, subFormat, run string
		exit                 int
		finding              string
	}{
		{"acme@5/*", "", "acme@5/anything@99", ExitOK, "warning [cross-repo-wildcard] statement 0: sub pattern \"repo:acme@5/*:ref:refs/heads/main\" admits every repository of acme (owner id 5), repositories created later included"},
		{"acme/*", "legacy", "acme/anything", ExitFindings, "error [cross-repo-wildcard] statement 0: sub pattern \"repo:acme/*:ref:refs/heads/main\" matches every repository of acme"},
	} {
		args := []string{"trust-policy", "generate", "--account-id", "123456789012", "--repository", tc.repo, "--branch", "main", "--environment", "prod", "--pull-request"}
		if tc.subFormat != "" {
			args = append(args, "--sub-format", tc.subFormat)
		}
		code, out, errOut := runCLI(args...)
		if code != ExitOK {
			t.Fatalf("generate %s: exit %d\n%s", tc.repo, code, errOut)
		}
		policy := filepath.Join(dir, strings.NewReplacer("/", "_", "*", "all").Replace(tc.repo)+".json")
		if err := os.WriteFile(policy, []byte(out), 0o600); err != nil {
			t.Fatal(err)
		}
		check := []string{"trust-policy", "check", policy, "--repository", tc.run, "--ref", "refs/heads/main"}
		if tc.subFormat == "" {
			check = append(check, "--sub-format", "immutable")
		}
		code, out, errOut = runCLI(check...)
		if code != tc.exit || !strings.HasPrefix(out, "ALLOWED") || !strings.Contains(out, tc.finding) {
			t.Errorf("check %s: exit %d, want %d, ALLOWED and %q\n%s%s", tc.repo, code, tc.exit, tc.finding, out, errOut)
		}
		if tc.exit == ExitOK && strings.Contains(out, "error [") {
			t.Errorf("check %s: an error-level finding\n%s", tc.repo, out)
		}
	}
}
