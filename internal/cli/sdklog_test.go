package cli

import (
	"strings"
	"testing"
)

// TestSDKLogsNothing: every path that loads the SDK's configuration and
// lets its default credential chain reach the instance metadata service
// — the action with use-existing-credentials and with force-skip-oidc
// (exchange.LoadAWSConfig), audit, setup and check --role (setup.AWS) —
// runs in a process of its own against an instance metadata service that
// refuses the IMDSv2 token, the SDK's "falling back to IMDSv1" case: the
// process's real stdout and stderr hold no line of the SDK's own logger
// (on the runner's log a line of it starting with :: would even be a
// workflow command).
func TestSDKLogsNothing(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{"--aws-region", "us-east-1", "--use-existing-credentials", "true", "--retry-max-attempts", "1", "--format", "json"},
		{"--aws-region", "us-east-1", "--role-to-assume", "arn:aws:iam::123456789012:role/deploy", "--force-skip-oidc", "true", "--retry-max-attempts", "1", "--format", "json"},
		{"audit"},
		{"setup", "--repository", testRepo, "--branch", "main", "--repository-id", testRepoID, "--owner-id", testOwnerID},
		{"trust-policy", "check", "--role", "deploy", "--repository", testRepo, "--ref", "refs/heads/main", "--repository-id", testRepoID},
	} {
		imds := newFakeIMDS(t)
		code, stdout, stderr := runChild(t, childAWSEnv(t, imds.URL), args...)
		if code == ExitOK {
			t.Errorf("%v: exit 0 without credentials", args)
		}
		for _, line := range strings.Split(stdout+stderr, "\n") {
			// The SDK's standard logger writes "SDK <date> <time> LEVEL ...".
			if strings.HasPrefix(line, "SDK ") || strings.Contains(line, "IMDSv1") || strings.Contains(line, "WARN") {
				t.Errorf("%v: a line of the SDK's logger: %q\n%s%s", args, line, stdout, stderr)
			}
		}
		if got := imds.requests(); len(got) == 0 || got[0] != "PUT /latest/api/token" {
			t.Errorf("%v: the fake instance metadata service saw %v: the path did not consult it", args, got)
		}
	}
}
