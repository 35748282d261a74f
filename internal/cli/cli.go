// Package cli is the command line: it dispatches the action's entrypoints
// and subcommands and turns errors into workflow annotations and exit codes.
// Only main reads the process; everything here arrives as arguments.
package cli

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/org/aws-oidc-go/internal/action"
	"github.com/org/aws-oidc-go/internal/runner"
	"github.com/org/aws-oidc-go/internal/version"
)

// Exit codes.
const (
	ExitOK         = 0
	ExitFailure    = 1 // the action failed: bad input, token, STS, export; trust-policy check: DENIED
	ExitUsage      = 2 // the command line itself was wrong
	ExitUnreadable = 3 // trust-policy check: the policy or claims file is unreadable or unsupported
	ExitUndecided  = 4 // trust-policy check: the verdict depends on facts not given
	ExitFindings   = 5 // trust-policy check: ALLOWED, but with error-level findings
)

// Process is what the command takes from the operating system.
type Process struct {
	Name       string   // argv[0]; "aws-oidc-go-post" runs the post step
	Executable string   // this program's absolute path; empty when unknown (ExecutableErr)
	Args       []string // without the program name
	Root       bool     // running as root
	UID        int      // the effective user id (-1 on Windows)
	Getenv     func(string) string
	Stdout     io.Writer
	Stderr     io.Writer

	// ExecutableErr is why Executable is empty: os.Executable's error.
	ExecutableErr error
}

const usage = `aws-oidc-go — trade a GitHub Actions OIDC token for short-lived AWS credentials.

Usage:
  aws-oidc-go            run as the GitHub Action's main step (inputs from INPUT_* variables)
  aws-oidc-go --role-to-assume ARN --aws-region R [--INPUT-NAME VALUE ...] [--format env|json]
                         the same from the command line (runners without Docker): every input
                         is a flag of the same name; inside Actions it writes GITHUB_ENV like
                         the action, --format prints the credentials to stdout instead
  aws-oidc-go credential-process [--config SETTINGS.json] [--INPUT-NAME VALUE ...]
                         print AWS credential_process JSON, asking GitHub for a fresh token
                         each time; refresh: true writes the settings file and puts
                         credential-process --config FILE in an AWS profile
  aws-oidc-go post       the post step: blank the exported variables, remove written profiles
                         (state from STATE_cleanup; skipped with AWS_SKIP_CLEANUP_STEP=true)
  aws-oidc-go setup --repository OWNER/REPO --branch B [--apply]
                         once per account: create the OIDC provider and the role (plan
                         first; aws-oidc-go setup --help)
  aws-oidc-go audit [--format text|json|sarif]
                         which roles in the account a stranger's workflow can assume,
                         read-only (aws-oidc-go audit --help)
  aws-oidc-go trust-policy generate ...  print a least-privilege trust policy for a repository
  aws-oidc-go trust-policy check ...     evaluate and lint a trust policy, from a file or a
                         live role (--role); aws-oidc-go trust-policy --help for both
  aws-oidc-go --version  print the version
  aws-oidc-go --help     print this help, with every input

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

const usageLine = "usage: aws-oidc-go [--INPUT-NAME VALUE ...] [--format env|json] | credential-process | post | setup | audit | trust-policy | --help"

// Main runs the command and returns the process exit code.
func Main(ctx context.Context, p Process) int {
	env := action.Env{
		Getenv: p.Getenv, Log: p.Stdout, Root: p.Root, Executable: p.Executable, UID: p.UID,
		ExecutableErr:     p.ExecutableErr,
		Workflow:          p.Getenv("GITHUB_ACTIONS") == "true",
		CredentialProcess: credentialProcessCommand,
	}
	if onHost(p.Getenv, p.Executable) {
		env.Mounts = noMounts
	}
	if filepath.Base(p.Name) == PostName {
		p.Args = append([]string{"post"}, p.Args...)
	}
	if len(p.Args) == 0 {
		return runMain(ctx, env, "", nil)
	}
	switch p.Args[0] {
	case "post":
		_ = action.Post(ctx, env)
		return ExitOK
	case "trust-policy":
		return trustPolicy(ctx, p, p.Args[1:])
	case "setup":
		return runSetup(ctx, p, p.Args[1:])
	case "audit":
		return runAudit(ctx, p, p.Args[1:])
	case "credential-process":
		return credentialProcess(ctx, p, env, p.Args[1:])
	case "--version", "-version", "version":
		fmt.Fprintf(p.Stdout, "aws-oidc-go %s\n", version.String())
		return ExitOK
	case "--help", "-help", "-h", "help":
		fmt.Fprint(p.Stdout, usage, "\nInputs (every one is also a flag of the same name):\n", inputsHelp())
		return ExitOK
	}
	if !strings.HasPrefix(p.Args[0], "-") {
		fmt.Fprintf(p.Stderr, "aws-oidc-go: unknown command %q\n%s\n", p.Args[0], usageLine)
		return ExitUsage
	}
	var format string
	values, err := parseInputs(p.Args, extraFlag{"format", &format})
	if err != nil {
		fmt.Fprintf(p.Stderr, "aws-oidc-go: %v\n%s\n", err, usageLine)
		return ExitUsage
	}
	switch format {
	case "", formatEnv, formatJSON:
	default:
		fmt.Fprintf(p.Stderr, "aws-oidc-go: --format %q: want env or json\n", format)
		return ExitUsage
	}
	env.Getenv = overlay(inputEnv(values), p.Getenv)
	if format != "" {
		// stdout carries only the credentials; the log goes to stderr.
		env.Print, env.Log = true, p.Stderr
	}
	return runMain(ctx, env, format, p.Stdout)
}

// runMain runs the main step; with a format it prints the credentials
// it got to out.
func runMain(ctx context.Context, env action.Env, format string, out io.Writer) int {
	res, err := action.Run(ctx, env)
	if err == nil && format != "" {
		err = printCredentials(out, format, res)
	}
	if err != nil {
		action.Report(runner.NewLog(env.Log, env.Workflow), err, nil)
		return ExitFailure
	}
	return ExitOK
}

// credentialProcess prints the credential_process JSON on stdout and
// nothing else there; the log and errors go to stderr as plain text (the
// SDKs show it; no workflow command may print a secret there).
func credentialProcess(ctx context.Context, p Process, env action.Env, args []string) int {
	var settingsFile string
	values, err := parseInputs(args, extraFlag{"config", &settingsFile})
	if err != nil {
		fmt.Fprintf(p.Stderr, "aws-oidc-go credential-process: %v\n", err)
		return ExitUsage
	}
	if settingsFile != "" {
		if len(values) > 0 {
			fmt.Fprintf(p.Stderr, "aws-oidc-go credential-process: --config takes no input flags (the settings file holds them all)\n")
			return ExitUsage
		}
		settings, err := readSettings(settingsFile, p.UID)
		if err != nil {
			fmt.Fprintf(p.Stderr, "aws-oidc-go credential-process: %v\n", err)
			return ExitUsage
		}
		env.Settings = settings
	}
	env.Getenv = overlay(inputEnv(values), p.Getenv)
	// The log is dropped; errors go to stderr as plain text.
	env.Print, env.Log, env.Workflow = true, io.Discard, false
	res, err := action.Run(ctx, env)
	if err == nil {
		err = printCredentials(p.Stdout, formatCredentialProcess, res)
	}
	if err != nil {
		action.Report(runner.NewLog(p.Stderr, false), err, nil)
		return ExitFailure
	}
	return ExitOK
}

// credentialProcessCommand is the credential_process line refresh writes.
func credentialProcessCommand(exe, settingsFile string) string {
	return commandLine(runtime.GOOS, exe, "credential-process", "--config", settingsFile)
}

// PostName is the name the image gives the binary for action.yml's
// post-entrypoint (a second link to the same file).
const PostName = "aws-oidc-go-post"
