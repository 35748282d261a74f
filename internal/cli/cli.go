// Package cli is the command line: it dispatches the action's entrypoints
// and subcommands and turns errors into workflow annotations and exit codes.
// Only main reads the process; everything here arrives as arguments.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/sethvargo/go-githubactions"

	"github.com/org/aws-oidc-go/internal/action"
	"github.com/org/aws-oidc-go/internal/config"
	"github.com/org/aws-oidc-go/internal/version"
)

// Exit codes.
const (
	ExitOK      = 0
	ExitFailure = 1 // the action failed: bad input, token, STS, export
	ExitUsage   = 2 // the command line itself was wrong
)

// Process is what the command takes from the operating system.
type Process struct {
	Args   []string // without the program name
	Getenv func(string) string
	Stdout io.Writer
	Stderr io.Writer
}

const usage = `aws-oidc-go — trade a GitHub Actions OIDC token for short-lived AWS credentials.

Usage:
  aws-oidc-go            run as the GitHub Action's main step (inputs from INPUT_* variables)
  aws-oidc-go --version  print the version
  aws-oidc-go --help     print this help

As an action:
  permissions: { id-token: write, contents: read }
  steps:
    - uses: org/aws-oidc-go@v1
      with:
        role-to-assume: arn:aws:iam::123456789012:role/deploy
        aws-region: eu-west-1
    - run: aws sts get-caller-identity
`

// Main runs the command and returns the process exit code.
func Main(ctx context.Context, p Process) int {
	if len(p.Args) > 0 {
		switch p.Args[0] {
		case "--version", "-version", "version":
			fmt.Fprintf(p.Stdout, "aws-oidc-go %s\n", version.String())
			return ExitOK
		case "--help", "-help", "-h", "help":
			fmt.Fprint(p.Stdout, usage)
			return ExitOK
		default:
			fmt.Fprintf(p.Stderr, "aws-oidc-go: unknown argument %q\n\n%s", p.Args[0], usage)
			return ExitUsage
		}
	}
	err := action.Run(ctx, action.Env{
		Getenv:     p.Getenv,
		Stdout:     p.Stdout,
		HTTPClient: tokenClient(),
	})
	if err == nil {
		return ExitOK
	}
	Report(p.Stdout, err)
	return ExitFailure
}

// Report prints err as ::error:: annotations: one per input problem, or one
// with the failure and its advice.
func Report(w io.Writer, err error) {
	gha := githubactions.New(githubactions.WithWriter(w), githubactions.WithGetenv(func(string) string { return "" }))
	var ie *config.InputError
	if errors.As(err, &ie) {
		if joined, ok := err.(interface{ Unwrap() []error }); ok {
			errs := joined.Unwrap()
			for _, e := range errs {
				gha.Errorf("%s", e.Error())
			}
			gha.Errorf("%d input problem(s); nothing was requested or exported", len(errs))
			return
		}
	}
	msg := err.Error()
	var f *action.Failure
	if errors.As(err, &f) && len(f.Advice) > 0 {
		msg += "\n" + strings.Join(f.Advice, "\n")
	}
	// Errorf escapes line breaks, so the whole message is one annotation and
	// nothing in it can start another workflow command.
	gha.Errorf("%s", msg)
}

// tokenClient is the HTTP client for GitHub's token service. Deadlines come
// from the context of each attempt; this timeout is only a backstop.
func tokenClient() *http.Client {
	return &http.Client{Timeout: 30 * time.Second}
}
