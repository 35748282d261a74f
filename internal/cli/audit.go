package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"

	"github.com/org/aws-oidc-go/internal/audit"
	"github.com/org/aws-oidc-go/internal/setup"
	"github.com/org/aws-oidc-go/internal/version"
)

// auditFlags are audit's flags.
var auditFlags = []cmdFlag{
	{Name: "profile", Arg: "NAME", Help: "The AWS profile to read IAM as. Default the SDK's credential chain; AWS_ENDPOINT_URL_IAM or AWS_ENDPOINT_URL are honoured."},
	{Name: "owner", Arg: "OWNER", Repeat: true, Help: "A GitHub owner (organisation or user) this account serves: a role admitting runs of another named owner is a finding (foreign-owner)."},
	{Name: "format", Arg: "text|json|sarif", Help: "text (default), json, or sarif: SARIF 2.1.0 for GitHub code scanning."},
	{Name: "fail-on", Arg: "critical|high|medium|low|none", Help: "Exit 5 when a finding is at or above this severity. Default high."},
	{Name: "undecided-as", Arg: "critical|high|medium|low|none", Help: "The severity an undecided finding counts as for --fail-on. Default high, so a policy variable cannot hide a critical."},
	{Name: "sarif-location", Arg: "PATH", Help: "With --format sarif: the repository file each result points at (code scanning needs one). Default " + audit.DefaultLocation + "."},
}

const auditLine = `  aws-oidc-go audit [--profile NAME] [--owner OWNER ...] [--format text|json|sarif]
      [--fail-on critical|high|medium|low|none]
`

const auditUsage = "Usage:\n" + auditLine + `    Which roles in this account can a workflow run someone else controls
    assume? Read-only (iam:ListOpenIDConnectProviders,
    iam:GetOpenIDConnectProvider, iam:ListRoles): every role with a statement
    that can admit a token from a GitHub Actions issuer is evaluated, Deny
    statements included, on runs made from its own patterns; each finding
    carries the run the checker ALLOWS and the fix. Severities: critical
    (anyone on GitHub.com), high (any repository of a named owner, a name
    only, a whole GHES or enterprise), medium (any writer of the repository),
    low (hygiene), undecided (named; counts as high).
    Exit 0 nothing at or above --fail-on, 5 findings at or above it, 3 IAM
    could not be read, 2 bad usage.

  Flags:
`

func auditHelp() string { return auditUsage + flagHelp(auditFlags) }

func auditUsageError(p Process, err error) int {
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(p.Stdout, auditHelp())
		return ExitOK
	}
	fmt.Fprintf(p.Stderr, "aws-oidc-go: %v\n\nUsage:\n%s(aws-oidc-go audit --help lists every flag)\n", err, auditLine)
	return ExitUsage
}

// runAudit is aws-oidc-go audit: flags in, audit.Run, the report out, the
// exit code from --fail-on.
func runAudit(ctx context.Context, p Process, args []string) int {
	f, pos, err := parseCmdFlags("audit", auditFlags, args)
	if err != nil {
		return auditUsageError(p, err)
	}
	if len(pos) > 0 {
		return auditUsageError(p, fmt.Errorf("unexpected argument %q", pos[0]))
	}
	failOn, undecidedAs := audit.High, audit.High
	if f.given("fail-on") {
		if failOn, err = audit.ParseSeverity("--fail-on", f.str("fail-on")); err != nil {
			return auditUsageError(p, err)
		}
	}
	if f.given("undecided-as") {
		if undecidedAs, err = audit.ParseSeverity("--undecided-as", f.str("undecided-as")); err != nil {
			return auditUsageError(p, err)
		}
	}
	out := audit.Output{Format: f.str("format"), Location: f.str("sarif-location"), Version: version.String()}
	switch out.Format {
	case "", audit.FormatText, audit.FormatJSON, audit.FormatSARIF:
	default:
		return auditUsageError(p, fmt.Errorf("--format %q: want text, json or sarif", out.Format))
	}
	if f.given("sarif-location") && out.Format != audit.FormatSARIF {
		return auditUsageError(p, errors.New("--sarif-location goes with --format sarif"))
	}
	if err := audit.CheckLocation(out.Location); err != nil {
		return auditUsageError(p, err)
	}
	for _, o := range f.list("owner") {
		if err := audit.CheckOwner(o); err != nil {
			return auditUsageError(p, err)
		}
	}
	iamc, _, _, err := setup.AWS{Profile: f.str("profile"), Getenv: p.Getenv}.Clients(ctx)
	if err != nil {
		fmt.Fprintf(p.Stderr, "aws-oidc-go audit: %v\n", err)
		return ExitUnreadable
	}
	rep, err := audit.Run(ctx, iamc, audit.Options{Owners: f.list("owner")})
	if err != nil {
		fmt.Fprintf(p.Stderr, "aws-oidc-go audit: %v\n", err)
		return ExitUnreadable
	}
	if err := rep.Write(p.Stdout, out); err != nil {
		fmt.Fprintf(p.Stderr, "aws-oidc-go audit: writing the report: %v\n", err)
		return ExitFailure
	}
	if rep.Fails(failOn, undecidedAs) {
		return ExitFindings
	}
	return ExitOK
}
