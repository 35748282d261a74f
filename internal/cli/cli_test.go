package cli

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/org/aws-oidc-go/internal/action"
	"github.com/org/aws-oidc-go/internal/config"
)

func TestReportInputErrorsOnePerLine(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	Report(&out, errors.Join(
		&config.InputError{Input: "aws-region", Problem: "is required", Allowed: "a region"},
		&config.InputError{Input: "audience", Problem: "contains a line break"},
	), fixedToken)
	want := "::error::input aws-region: is required; allowed: a region\n" +
		"::error::input audience: contains a line break\n" +
		"::error::2 input problem(s); nothing was requested or exported\n"
	if diff := cmp.Diff(want, out.String()); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestReportFailureIsOneAnnotationThatCannotInject(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	Report(&out, &action.Failure{Err: errors.New("AccessDenied: branch\n::set-output name=x::y"), Advice: []string{"fix it", "::stop-commands::z"}}, fixedToken)
	got := out.String()
	if strings.Count(got, "\n") != 1 || !strings.HasPrefix(got, "::error::AccessDenied: branch%0A::set-output") || !strings.Contains(got, "%0Afix it%0A") {
		t.Errorf("annotation = %q", got)
	}
}

func TestMainUsage(t *testing.T) {
	t.Parallel()
	var out, errOut bytes.Buffer
	if code := Main(context.Background(), Process{Args: []string{"--nope"}, Getenv: func(string) string { return "" }, Stdout: &out, Stderr: &errOut}); code != ExitUsage {
		t.Errorf("exit = %d, want %d", code, ExitUsage)
	}
	if !strings.Contains(errOut.String(), "flag provided but not defined: -nope") {
		t.Errorf("stderr = %q", errOut.String())
	}
	errOut.Reset()
	if code := Main(context.Background(), Process{Args: []string{"nope"}, Getenv: func(string) string { return "" }, Stdout: &out, Stderr: &errOut}); code != ExitUsage || !strings.Contains(errOut.String(), `unknown command "nope"`) {
		t.Errorf("unknown command: exit %d, %q", code, errOut.String())
	}
	out.Reset()
	if code := Main(context.Background(), Process{Getenv: func(string) string { return "" }, Stdout: &out, Stderr: &errOut}); code != ExitFailure {
		t.Errorf("exit without inputs = %d, want %d", code, ExitFailure)
	}
	if !strings.Contains(out.String(), "::error::input role-to-assume: is required") {
		t.Errorf("stdout = %q", out.String())
	}
}

func fixedToken() string { return "resume-token-for-tests" }
