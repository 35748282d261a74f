package cli

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/org/aws-oidc-go/internal/harness"
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
