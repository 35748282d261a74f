package action_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/org/aws-oidc-go/internal/dev/harness"
)

// allowedCommands are the workflow commands the action itself may issue;
// resumeCommands are the ::stop-commands:: block around a failure's details,
// with the action's unguessable 32-hex-digit token only.
var (
	allowedCommands = []string{"::add-mask::", "::error::", "::warning::", "::debug::"}
	resumeCommands  = regexp.MustCompile(`^::(stop-commands::)?[A-Z2-7]{26}(::)?$`)
)

// assertNoInjectedCommands fails t if any log line — read as the runner
// reads it, leading white space trimmed — is a workflow command the action
// did not mean to issue.
func assertNoInjectedCommands(t *testing.T, log string) {
	t.Helper()
	for _, line := range strings.Split(log, "\n") {
		l := strings.TrimLeft(line, " \t")
		if !strings.HasPrefix(l, "::") {
			continue
		}
		ok := resumeCommands.MatchString(l)
		for _, c := range allowedCommands {
			ok = ok || strings.HasPrefix(l, c)
		}
		if !ok {
			t.Errorf("injected workflow command: %q", harness.Redact(line))
		}
	}
}

// TestInjectionGuard feeds newlines, workflow commands and heredoc
// delimiters through inputs, token claims and STS answers: none may add a
// command, a variable or an output.
func TestInjectionGuard(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		prep    func(w *world)
		wantErr string // "" = the run succeeds
	}{
		{"newline in the region", func(w *world) { w.input("aws-region", "eu-west-1\nAWS_ACCESS_KEY_ID=evil") }, "input aws-region: contains a line break"},
		{"command in the session name", func(w *world) { w.input("role-session-name", "x\n::set-env name=PWNED::1") }, "input role-session-name: contains a line break"},
		{"heredoc delimiter in the audience", func(w *world) { w.input("audience", "a<<EOF\nPWNED=1\nEOF") }, "input audience: contains a line break"},
		{"workflow command mid-line in the audience", func(w *world) { w.input("audience", "::set-output name=pwned::1") }, ""},
		{"newline inside the inline policy", func(w *world) {
			w.input("inline-session-policy", "{\"Version\":\"2012-10-17\",\n\"Statement\":[]}\n::set-env name=PWNED::1")
		}, "input inline-session-policy: is not valid JSON"},
		{"command in a custom tag", func(w *world) {
			w.input("aws-access-key-id", exampleKeyID)
			w.input("aws-secret-access-key", exampleSecret)
			w.input("custom-tags", `{"k":"v\n::set-env name=PWNED::1"}`)
		}, "input custom-tags: the value of tag \"k\" is not valid"},
		{"line break in the token GitHub returns", func(w *world) {
			w.gh.Faults().Always(harness.Fault{Status: 200, Body: `{"count":1,"value":"a.b.c\n::set-env name=PWNED::1"}`})
			w.input("retry-max-attempts", "2")
		}, "not a compact JWT"},
		{"command in the ARN GetCallerIdentity returns", func(w *world) {
			w.input("role-to-assume", "")
			w.input("aws-access-key-id", exampleKeyID)
			w.input("aws-secret-access-key", exampleSecret)
			w.proxy.Faults().At(harness.STSIdentity("123456789012", "arn:aws:sts::123456789012:assumed-role/x/y\n::set-env name=PWNED::1"), 1)
			w.input("retry-max-attempts", "1")
		}, "no valid account id and ARN"},
		{"command in the AssumedRoleUser ARN STS returns", func(w *world) {
			w.proxy.Faults().At(harness.STSAnswer{ARN: "arn:aws:sts::123456789012:assumed-role/x/y\n::set-env name=PWNED::1"}.Fault(), 1)
		}, "no valid AssumedRoleUser ARN"},
		{"line break in the secret STS returns", func(w *world) {
			w.proxy.Faults().At(harness.STSCredentials("AssumeRoleWithWebIdentity", "ASIAEXAMPLEAAAAAAAAA", "secret\nPWNED=1", "tok"), 1)
		}, "no complete, well-formed credentials"},
		{"commands in claims", func(w *world) {
			w.gh.SetClaims(map[string]any{"environment": "prod\n::set-env name=PWNED::1", "job_workflow_ref": "::set-output name=pwned::1"})
			w.proxy.Faults().Always(harness.FaultAccessDenied)
		}, "AccessDenied"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			tc.prep(w)
			err := w.run()
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("Run: %v", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Fatalf("err = %v, want %q", err, tc.wantErr)
			}
			assertNoInjectedCommands(t, w.stdout.String())
			env, out := w.vars("set_env"), w.vars("set_output")
			for k := range env {
				switch k {
				case "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN":
				default:
					t.Errorf("unexpected variable %s exported", k)
				}
			}
			for k := range out {
				if k != "aws-account-id" && k != "authenticated-arn" {
					t.Errorf("unexpected output %s", k)
				}
			}
			for _, f := range []string{"set_env", "set_output"} {
				if strings.Contains(w.file(f), "PWNED") || strings.Contains(w.file(f), "pwned") {
					t.Errorf("%s carries injected text", f)
				}
			}
			if tc.wantErr != "" {
				w.assertNothingExported()
			}
			w.assertNoLeaks()
		})
	}
}
