package cli

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/org/aws-oidc-go/internal/action"
	"github.com/org/aws-oidc-go/internal/config"
	"github.com/org/aws-oidc-go/internal/inputs"
	"github.com/org/aws-oidc-go/internal/runner"

	"github.com/org/aws-oidc-go/internal/dev/harness"
)

func TestReportInputErrorsOnePerLine(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	action.Report(runner.NewLog(&out, true), errors.Join(
		&config.InputError{Input: "aws-region", Problem: "is required", Allowed: "a region"},
		&config.InputError{Input: "audience", Problem: "contains a line break"},
	), fixedToken)
	want := "::error::input aws-region: is required; allowed: a region\n" +
		"::error::input audience: contains a line break\n" +
		"::error::2 problem(s); nothing was requested or exported\n"
	if diff := cmp.Diff(want, out.String()); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestReportFailureIsOneAnnotationThatCannotInject(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	action.Report(runner.NewLog(&out, true), &action.Failure{Err: errors.New("AccessDenied: branch\n::set-output name=x::y"), Advice: []string{"fix it", "::stop-commands::z"}}, fixedToken)
	got := out.String()
	if strings.Count(got, "\n") != 1 || !strings.HasPrefix(got, "::error::AccessDenied: branch%0A::set-output") || !strings.Contains(got, "%0Afix it%0A") {
		t.Errorf("annotation = %q", got)
	}
}

// TestReportOffActionsIsPlainText: off Actions no workflow command is
// printed, and an error with advice reads as plain lines.
func TestReportOffActionsIsPlainText(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	action.Report(runner.NewLog(&out, false), &action.Failure{Err: errors.New("AccessDenied"), Advice: []string{"fix the trust policy"}, Details: []string{"claims:", "  sub  repo:o/r:ref:refs/heads/main"}}, fixedToken)
	want := "claims:\n  sub  repo:o/r:ref:refs/heads/main\nerror: AccessDenied\n  fix the trust policy\n"
	if diff := cmp.Diff(want, out.String()); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func run(args []string, env map[string]string) (code int, stdout, stderr string) {
	var out, errOut bytes.Buffer
	code = Main(context.Background(), Process{Args: args, Getenv: func(k string) string { return env[k] }, Stdout: &out, Stderr: &errOut})
	return code, out.String(), errOut.String()
}

func TestMainUsage(t *testing.T) {
	t.Parallel()
	code, _, stderr := run([]string{"--role-to-asume", "x"}, nil)
	if code != ExitUsage {
		t.Errorf("exit = %d, want %d", code, ExitUsage)
	}
	want := "aws-oidc-go: unknown flag --role-to-asume (did you mean --role-to-assume?)\n" + usageLine + "\n"
	if diff := cmp.Diff(want, stderr); diff != "" {
		t.Errorf("unknown flag (-want +got):\n%s", diff)
	}
	if code, _, stderr := run([]string{"nope"}, nil); code != ExitUsage || !strings.Contains(stderr, `unknown command "nope"`) || strings.Count(stderr, "\n") != 2 {
		t.Errorf("unknown command: exit %d, %q", code, stderr)
	}
	code, stdout, _ := run(nil, map[string]string{"GITHUB_ACTIONS": "true"})
	if code != ExitFailure || !strings.Contains(stdout, "::error::input role-to-assume: is required") {
		t.Errorf("exit without inputs = %d, stdout %q", code, stdout)
	}
	// Off Actions: the same problem as plain text.
	code, stdout, _ = run(nil, nil)
	if code != ExitFailure || !strings.Contains(stdout, "error: input role-to-assume: is required") || strings.HasPrefix(stdout, "::") || strings.Contains(stdout, "\n::") {
		t.Errorf("off Actions: exit %d, stdout %q", code, stdout)
	}
}

func TestParseInputs(t *testing.T) {
	t.Parallel()
	var format string
	got, err := parseInputs([]string{
		"--role-to-assume", "arn:aws:iam::123456789012:role/r", "--aws-region=eu-west-1",
		"--disable-retry", "false", "--output-credentials", "--mask-aws-account-id=TRUE",
		"--managed-session-policies", "arn:aws:iam::aws:policy/A", "--managed-session-policies=arn:aws:iam::aws:policy/B",
		"-format", "json",
	}, extraFlag{"format", &format})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		inputs.RoleToAssume: "arn:aws:iam::123456789012:role/r", inputs.AWSRegion: "eu-west-1",
		inputs.DisableRetry: "false", inputs.OutputCredentials: "true", inputs.MaskAWSAccountID: "TRUE",
		inputs.ManagedSessionPolicies: "arn:aws:iam::aws:policy/A\narn:aws:iam::aws:policy/B",
	}
	if diff := cmp.Diff(want, got); diff != "" || format != "json" {
		t.Errorf("(-want +got):\n%s\nformat %q", diff, format)
	}
	for _, bad := range [][]string{{"--aws-region"}, {"positional"}, {"--", "x"}, {"--formt", "env"}} {
		if _, err := parseInputs(bad, extraFlag{"format", &format}); err == nil {
			t.Errorf("parseInputs(%q) accepted", bad)
		}
	}
	if _, err := parseInputs([]string{"--formt", "env"}, extraFlag{"format", &format}); err == nil || !strings.Contains(err.Error(), "did you mean --format?") {
		t.Errorf("extra flag suggestion: %v", err)
	}
}

func TestHelpListsEveryInputWithItsHelp(t *testing.T) {
	t.Parallel()
	_, stdout, _ := run([]string{"--help"}, nil)
	for _, in := range inputs.All {
		if !strings.Contains(stdout, "--"+in.Name) {
			t.Errorf("--help does not list --%s", in.Name)
		}
	}
	for _, g := range inputs.Groups {
		if !strings.Contains(stdout, string(g)+":") {
			t.Errorf("--help has no group %q", g)
		}
	}
	if !strings.Contains(stdout, "[default sts.amazonaws.com]") {
		t.Error("--help does not show defaults")
	}
}

// TestReadSettingsRefusesWhatOthersCanChange: credential-process used to
// obey a settings file owned by another user, or a 0600 file in a
// directory anyone can replace it in: such a file names
// the token file that is read and the endpoint it is sent to.
func TestReadSettingsRefusesWhatOthersCanChange(t *testing.T) {
	t.Parallel()
	uid := os.Geteuid()
	good := `{"v":1,"role-to-assume":"arn:aws:iam::123456789012:role/r","aws-region":"eu-west-1","audience":"sts.amazonaws.com","role-session-name":"renew","role-duration-seconds":3600,"inline-session-policy":"{\"a\":\"` + "`" + `x\"}","retry-max-attempts":3}`
	write := func(t *testing.T, dirMode, mode os.FileMode, body string) string {
		dir := filepath.Join(t.TempDir(), "run")
		os.Mkdir(dir, dirMode)
		os.Chmod(dir, dirMode)
		p := filepath.Join(dir, "renewal.json")
		os.WriteFile(p, []byte(body), mode)
		os.Chmod(p, mode)
		return p
	}
	p := write(t, 0o700, 0o600, good)
	c, err := readSettings(p, uid)
	if err != nil || c.InlinePolicy != "{\"a\":\"`x\"}" || c.MaxAttempts != 3 || c.RoleARN != "arn:aws:iam::123456789012:role/r" {
		t.Fatalf("readSettings = %+v, %v", c, err)
	}
	for name, tc := range map[string]struct {
		path func(t *testing.T) string
		why  string
	}{
		"unknown field":              {func(t *testing.T) string { return write(t, 0o700, 0o600, `{"v":1,"role-to-asume":"x"}`) }, "unknown field"},
		"not an object":              {func(t *testing.T) string { return write(t, 0o700, 0o600, `[]`) }, "not renewal settings"},
		"group-writable file":        {func(t *testing.T) string { return write(t, 0o700, 0o620, good) }, "writable by group or others"},
		"world-writable directory":   {func(t *testing.T) string { return write(t, 0o777, 0o600, good) }, "writable by group or others"},
		"sticky /tmp-like directory": {func(t *testing.T) string { return write(t, 0o1777, 0o600, good) }, "writable by group or others"},
		"another user's file": {func(t *testing.T) string {
			p := write(t, 0o700, 0o600, good)
			chown(t, p, 12345)
			return p
		}, "owned by uid 12345"},
		"another user's directory": {func(t *testing.T) string {
			p := write(t, 0o700, 0o600, good)
			chown(t, filepath.Dir(p), 12345)
			return p
		}, "owned by uid 12345"},
		"a link to a good file": {func(t *testing.T) string {
			p := write(t, 0o700, 0o600, good)
			l := filepath.Join(filepath.Dir(p), "link.json")
			harness.Symlink(t, p, l)
			return l
		}, "symbolic link"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			switch {
			case name == "a link to a good file":
			case strings.Contains(tc.why, "writable") || strings.Contains(tc.why, "owned"):
				harness.UnixOnly(t, "modes and numeric owners")
			}
			p := tc.path(t)
			_, err := readSettings(p, uid)
			if err == nil || !strings.Contains(err.Error(), tc.why) || !strings.Contains(err.Error(), filepath.Dir(p)) {
				t.Errorf("err = %v, want a refusal naming the file and %q", err, tc.why)
			}
		})
	}
}

// chown hands p to uid, or fails the test where that takes root.
func chown(t *testing.T, p string, uid int) {
	t.Helper()
	if err := os.Lchown(p, uid, uid); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("chown %s: %v (the test needs root)", p, err)
		}
		t.Skipf("chown %s: %v (needs root)", p, err)
	}
}

func fixedToken() string { return "resume-token-for-tests" }
