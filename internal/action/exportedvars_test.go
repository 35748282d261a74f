package action_test

import (
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/org/aws-oidc-go/internal/action"
	"github.com/org/aws-oidc-go/internal/handoff"
)

// TestExportedVarsCoverWhatTheExportWrites ties handoff.ExportedVars — the
// only variables the post step may blank — to what the main step writes to
// GITHUB_ENV, under every combination of the inputs that choose variables:
// a variable added to the export but not to the list would fail here
// instead of outliving the job's post step.
func TestExportedVarsCoverWhatTheExportWrites(t *testing.T) {
	t.Parallel()
	combos := []map[string]string{
		{},
		{"INPUT_UNSET-CURRENT-CREDENTIALS": "true"},
		{"INPUT_OUTPUT-ENV-CREDENTIALS": "false"},
		{"INPUT_AWS-PROFILE": "deploy"},
		{"INPUT_AWS-PROFILE": "deploy", "INPUT_OUTPUT-ENV-CREDENTIALS": "true"},
		{"INPUT_AWS-PROFILE": "deploy", "AWS_SHARED_CREDENTIALS_FILE": "", "AWS_CONFIG_FILE": ""},
		{"INPUT_AWS-PROFILE": "deploy", "INPUT_REFRESH": "true"},
	}
	seen := map[string]bool{}
	for _, combo := range combos {
		s := newStep(t)
		for k, v := range combo {
			s.env[k] = v
		}
		if _, ok := combo["AWS_SHARED_CREDENTIALS_FILE"]; !ok && combo["INPUT_AWS-PROFILE"] != "" {
			s.env["AWS_SHARED_CREDENTIALS_FILE"] = s.dir + "/aws/credentials"
		}
		// refresh copies this program for credential_process: the test binary does here.
		if err := s.runWith(func(e *action.Env) {
			e.Executable, _ = os.Executable()
			e.CredentialProcess = func(exe, settings string) string { return exe + " " + settings }
		}); err != nil {
			t.Fatalf("%v: Run: %v", combo, err)
		}
		for _, line := range strings.Split(strings.TrimSpace(s.read("GITHUB_ENV")), "\n") {
			name, _, ok := strings.Cut(line, "=")
			if !ok {
				name, _, _ = strings.Cut(line, "<<") // a heredoc entry
			}
			if name == "" {
				continue
			}
			seen[name] = true
			if !slices.Contains(handoff.ExportedVars, name) {
				t.Errorf("%v: the main step exports %s, which handoff.ExportedVars does not list: the post step would leave it set", combo, name)
			}
		}
	}
	if len(seen) < 6 {
		t.Fatalf("the combinations exported only %v: the test no longer exercises the export", seen)
	}
}
