// Package cli is the command line: it dispatches the action's entrypoints
// and subcommands and turns errors into workflow annotations and exit codes.
// Only main reads the process; everything here arrives as arguments.
package cli

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/sethvargo/go-githubactions"

	"github.com/org/aws-oidc-go/internal/action"
	"github.com/org/aws-oidc-go/internal/config"
	"github.com/org/aws-oidc-go/internal/export"
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
	Name       string   // argv[0]; "aws-oidc-go-post" runs the post step
	Executable string   // this program's absolute path
	Args       []string // without the program name
	Root       bool     // running as root
	Getenv     func(string) string
	Stdout     io.Writer
	Stderr     io.Writer
}

const usage = `aws-oidc-go — trade a GitHub Actions OIDC token for short-lived AWS credentials.

Usage:
  aws-oidc-go            run as the GitHub Action's main step (inputs from INPUT_* variables)
  aws-oidc-go --role-to-assume ARN --aws-region R [--INPUT-NAME VALUE ...] [--format env|json]
                         the same from the command line (runners without Docker): every input
                         is a flag of the same name; inside Actions it writes GITHUB_ENV like
                         the action, --format prints the credentials to stdout instead
  aws-oidc-go credential-process --role-to-assume ARN --aws-region R [...]
                         print AWS credential_process JSON, asking GitHub for a fresh token
                         each time (what refresh: true puts in an AWS profile)
  aws-oidc-go post       the post step: blank the exported variables, remove written profiles
                         (state from STATE_cleanup; skipped with AWS_SKIP_CLEANUP_STEP=true)
  aws-oidc-go trust-policy ...        print a least-privilege trust policy for a repository
  aws-oidc-go trust-policy check ...  evaluate and lint a trust policy offline
                         (aws-oidc-go trust-policy --help for both)
  aws-oidc-go --version  print the version
  aws-oidc-go --help     print this help

Examples:
  # a run: step on a macOS, Windows or Kubernetes runner
  aws-oidc-go --role-to-assume arn:aws:iam::123456789012:role/deploy --aws-region eu-west-1
  # credentials into this shell only
  eval "$(aws-oidc-go --role-to-assume arn:aws:iam::123456789012:role/deploy --aws-region eu-west-1 --format env)"
  # credentials that renew themselves in long jobs
  aws-oidc-go --role-to-assume arn:aws:iam::123456789012:role/deploy --aws-region eu-west-1 --refresh

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
	env := action.Env{Getenv: p.Getenv, Stdout: p.Stdout, Root: p.Root, Executable: p.Executable}
	if filepath.Base(p.Name) == PostName {
		p.Args = append([]string{"post"}, p.Args...)
	}
	if len(p.Args) > 0 {
		switch p.Args[0] {
		case "post":
			_ = action.Post(ctx, env)
			return ExitOK
		case "trust-policy":
			return trustPolicy(p, p.Args[1:])
		case "credential-process":
			return credentialProcess(ctx, p, env, p.Args[1:])
		case "--version", "-version", "version":
			fmt.Fprintf(p.Stdout, "aws-oidc-go %s\n", version.String())
			return ExitOK
		case "--help", "-help", "-h", "help":
			fmt.Fprint(p.Stdout, usage)
			return ExitOK
		default:
			if !strings.HasPrefix(p.Args[0], "-") {
				fmt.Fprintf(p.Stderr, "aws-oidc-go: unknown command %q\n\n%s", p.Args[0], usage)
				return ExitUsage
			}
			var format string
			values, err := parseInputs("aws-oidc-go", p.Args, func(fs *flag.FlagSet) {
				fs.StringVar(&format, "format", "", "")
			})
			if err != nil {
				fmt.Fprintf(p.Stderr, "aws-oidc-go: %v\n\n%s", err, usage)
				return ExitUsage
			}
			switch format {
			case "", action.FormatEnv, action.FormatJSON:
			default:
				fmt.Fprintf(p.Stderr, "aws-oidc-go: --format %q: want env or json\n", format)
				return ExitUsage
			}
			env.Getenv = overlay(values, p.Getenv)
			if format != "" {
				// stdout carries only the credentials; the log goes to stderr.
				env.Format, env.Result, env.Stdout = format, p.Stdout, p.Stderr
			}
			return runMain(ctx, env, env.Stdout)
		}
	}
	return runMain(ctx, env, p.Stdout)
}

func runMain(ctx context.Context, env action.Env, log io.Writer) int {
	if err := action.Run(ctx, env); err != nil {
		Report(log, err, randomToken)
		return ExitFailure
	}
	return ExitOK
}

// credentialProcess prints the credential_process JSON on stdout and
// nothing else there; errors go to stderr, where the SDKs show them.
func credentialProcess(ctx context.Context, p Process, env action.Env, args []string) int {
	values, err := parseInputs("credential-process", args, nil)
	if err != nil {
		fmt.Fprintf(p.Stderr, "aws-oidc-go credential-process: %v\n", err)
		return ExitUsage
	}
	env.Getenv = overlay(values, p.Getenv)
	env.Format, env.Result, env.Stdout, env.NoMask = action.FormatCredentialProcess, p.Stdout, io.Discard, true
	if err := action.Run(ctx, env); err != nil {
		msg := err.Error()
		var f *action.Failure
		if errors.As(err, &f) && len(f.Advice) > 0 {
			msg += "\n" + strings.Join(f.Advice, "\n")
		}
		fmt.Fprintf(p.Stderr, "aws-oidc-go credential-process: %s\n", msg)
		return ExitFailure
	}
	return ExitOK
}

// Report prints err as ::error:: annotations: one per input problem, or one
// with the failure and its advice. A failure's details (claims, which hold
// user-controlled text) are printed first between ::stop-commands:: and the
// resume token stop returns, so nothing in them acts as a workflow command.
func Report(w io.Writer, err error, stop func() string) {
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
	if errors.As(err, &f) && len(f.Details) > 0 {
		tok := stop()
		fmt.Fprintf(w, "::stop-commands::%s\n", tok)
		for _, line := range f.Details {
			fmt.Fprintln(w, export.OneLine(line))
		}
		fmt.Fprintf(w, "::%s::\n", tok)
	}
	if f != nil && len(f.Advice) > 0 {
		msg += "\n" + strings.Join(f.Advice, "\n")
	}
	// Errorf escapes line breaks, so the whole message is one annotation and
	// nothing in it can start another workflow command.
	gha.Errorf("%s", msg)
}

// randomToken returns an unguessable token to resume workflow commands.
func randomToken() string {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}

// PostName is the name the image gives the binary for action.yml's
// post-entrypoint (a second link to the same file).
const PostName = "aws-oidc-go-post"
