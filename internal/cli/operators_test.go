package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCheckUnimplementedOperator (issue 22, item 13): trust-policy check
// on a policy whose Deny uses an operator the checker does not implement
// prints UNDECIDED naming it (it printed ALLOWED), and on an Allow
// conditioned only on IpAddress 0.0.0.0/0 the same (it printed DENIED);
// exit 3, an unsupported policy.
func TestCheckUnimplementedOperator(t *testing.T) {
	t.Parallel()
	fed := `{"Federated": "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"}`
	for name, c := range map[string]struct{ policy, operator string }{
		"deny-not-ip-address": {`{"Version": "2012-10-17", "Statement": [
		  {"Effect": "Allow", "Principal": ` + fed + `, "Action": "sts:AssumeRoleWithWebIdentity", "Condition": {"StringEquals": {"token.actions.githubusercontent.com:sub": "repo:octo-org/octo-repo:ref:refs/heads/main"}}},
		  {"Effect": "Deny", "Principal": "*", "Action": "sts:AssumeRoleWithWebIdentity", "Condition": {"NotIpAddress": {"aws:SourceIp": "10.0.0.0/8"}}}]}`, "NotIpAddress"},
		"allow-ip-address-only": {`{"Version": "2012-10-17", "Statement": [
		  {"Effect": "Allow", "Principal": ` + fed + `, "Action": "sts:AssumeRoleWithWebIdentity", "Condition": {"IpAddress": {"aws:SourceIp": "0.0.0.0/0"}}}]}`, "IpAddress"},
	} {
		path := filepath.Join(t.TempDir(), name+".json")
		if err := os.WriteFile(path, []byte(c.policy), 0o600); err != nil {
			t.Fatal(err)
		}
		code, stdout, stderr := run([]string{"trust-policy", "check", path, "--repository", "octo-org/octo-repo", "--ref", "refs/heads/main"}, nil)
		if code != ExitUnreadable || !strings.HasPrefix(stdout, "UNDECIDED: operator "+c.operator+" (on aws:SourceIp) is not implemented") {
			t.Errorf("%s: exit %d, want %d\n%s%s", name, code, ExitUnreadable, stdout, stderr)
		}
	}
}
