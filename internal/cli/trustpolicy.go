package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/org/aws-oidc-go/internal/trust"
)

const trustPolicyUsage = `Usage:
  aws-oidc-go trust-policy --account-id ID --repository OWNER/REPO
      (--branch B | --tag T | --environment E | --pull-request | --any-ref)
      [--audience A] [--issuer URL] [--partition P] [--job-workflow-ref REF]
      [--create-provider-command]
    Print a least-privilege trust policy for the role (JSON on stdout). With
    --create-provider-command, the command creating the OIDC provider goes to
    stderr first.

  aws-oidc-go trust-policy check POLICY.json
      (--claims CLAIMS.json | --repository OWNER/REPO --ref REF [--environment E]
       [--event-name N] [--job-workflow-ref REF])
      [--audience A] [--issuer URL] [--account-id ID]
    Evaluate the policy for sts:AssumeRoleWithWebIdentity with those claims and
    lint it. Exit 0 ALLOWED, 1 DENIED, 2 bad usage, 3 unreadable or unsupported
    policy (or claims file).

Examples:
  aws-oidc-go trust-policy --account-id 123456789012 --repository octo-org/octo-repo --branch main
  aws-oidc-go trust-policy check role-trust.json --repository octo-org/octo-repo --ref refs/heads/main --environment prod
`

func trustPolicy(p Process, args []string) int {
	if len(args) > 0 && args[0] == "check" {
		return trustPolicyCheck(p, args[1:])
	}
	fs := flag.NewFlagSet("trust-policy", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var o trust.Options
	var branch, tag string
	var providerCmd bool
	fs.StringVar(&o.AccountID, "account-id", "", "")
	fs.StringVar(&o.Context.Repository, "repository", "", "")
	fs.StringVar(&branch, "branch", "", "")
	fs.StringVar(&tag, "tag", "", "")
	fs.StringVar(&o.Context.Environment, "environment", "", "")
	fs.BoolVar(&o.Context.PullRequest, "pull-request", false, "")
	fs.BoolVar(&o.Context.AnyRef, "any-ref", false, "")
	fs.StringVar(&o.Audience, "audience", "", "")
	fs.StringVar(&o.Issuer, "issuer", "", "")
	fs.StringVar(&o.Partition, "partition", "", "")
	fs.StringVar(&o.Context.JobWorkflowRef, "job-workflow-ref", "", "")
	fs.BoolVar(&providerCmd, "create-provider-command", false, "")
	if err := fs.Parse(args); err != nil {
		return usageError(p, err)
	}
	if fs.NArg() > 0 {
		return usageError(p, fmt.Errorf("unexpected argument %q", fs.Arg(0)))
	}
	chosen := 0
	for _, set := range []bool{branch != "", tag != "", o.Context.Environment != "", o.Context.PullRequest, o.Context.AnyRef} {
		if set {
			chosen++
		}
	}
	if chosen != 1 {
		return usageError(p, errors.New("choose exactly one of --branch, --tag, --environment, --pull-request, --any-ref"))
	}
	switch {
	case branch != "":
		o.Context.Ref = "refs/heads/" + strings.TrimPrefix(branch, "refs/heads/")
	case tag != "":
		o.Context.Ref = "refs/tags/" + strings.TrimPrefix(tag, "refs/tags/")
	}
	if o.Context.AnyRef && o.Context.JobWorkflowRef != "" {
		return usageError(p, errors.New("--job-workflow-ref needs an exact context (--branch, --tag, --environment or --pull-request)"))
	}
	doc, err := trust.Generate(o)
	if err != nil {
		return usageError(p, err)
	}
	if providerCmd {
		fmt.Fprintf(p.Stderr, "# Once per account, create the OIDC provider:\n%s\n", trust.ProviderCommand(o.Issuer, o.Audience))
	}
	if o.Context.JobWorkflowRef != "" {
		fmt.Fprintf(p.Stderr, "# AWS tests only aud and sub, so the repository's subject must include job_workflow_ref:\n%s\n", trust.SubjectTemplateCommand(o.Context.Repository))
	}
	p.Stdout.Write(doc)
	return ExitOK
}

func trustPolicyCheck(p Process, args []string) int {
	var policyPath string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		policyPath, args = args[0], args[1:]
	}
	fs := flag.NewFlagSet("trust-policy check", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var claimsPath, eventName, audience, issuer, account string
	var c trust.Context
	fs.StringVar(&claimsPath, "claims", "", "")
	fs.StringVar(&c.Repository, "repository", "", "")
	fs.StringVar(&c.Ref, "ref", "", "")
	fs.StringVar(&c.Environment, "environment", "", "")
	fs.StringVar(&eventName, "event-name", "", "")
	fs.StringVar(&c.JobWorkflowRef, "job-workflow-ref", "", "")
	fs.StringVar(&audience, "audience", "", "")
	fs.StringVar(&issuer, "issuer", "", "")
	fs.StringVar(&account, "account-id", "", "")
	if err := fs.Parse(args); err != nil {
		return usageError(p, err)
	}
	if policyPath == "" && fs.NArg() == 1 {
		policyPath = fs.Arg(0)
	} else if fs.NArg() > 0 {
		return usageError(p, fmt.Errorf("unexpected argument %q", fs.Arg(0)))
	}
	if policyPath == "" {
		return usageError(p, errors.New("name the policy file: trust-policy check POLICY.json"))
	}
	raw, err := os.ReadFile(policyPath)
	if err != nil {
		fmt.Fprintf(p.Stderr, "aws-oidc-go: %v\n", err)
		return ExitUnreadable
	}
	policy, err := trust.Parse(raw)
	if err != nil {
		fmt.Fprintf(p.Stderr, "aws-oidc-go: %s: %v\n", policyPath, err)
		return ExitUnreadable
	}

	var claims map[string]any
	switch {
	case claimsPath != "" && (c.Repository != "" || c.Ref != ""):
		return usageError(p, errors.New("give either --claims or --repository/--ref, not both"))
	case claimsPath != "":
		b, err := os.ReadFile(claimsPath)
		if err != nil {
			fmt.Fprintf(p.Stderr, "aws-oidc-go: %v\n", err)
			return ExitUnreadable
		}
		if claims, err = trust.ParseClaims(b); err != nil {
			fmt.Fprintf(p.Stderr, "aws-oidc-go: %s: %v\n", claimsPath, err)
			return ExitUnreadable
		}
	case c.Repository != "" && c.Ref != "":
		c.PullRequest = eventName == "pull_request"
		claims = trust.ClaimsFor(c, audience, issuer, eventName)
	default:
		return usageError(p, errors.New("give --claims CLAIMS.json, or --repository and --ref"))
	}
	if audience != "" {
		claims["aud"] = audience
	}
	if issuer == "" {
		if iss, ok := claims["iss"].(string); ok && iss != "" {
			issuer = iss
		} else {
			issuer = trust.DefaultIssuer
		}
	}
	req := trust.RequestFor(issuer, account, claims)
	d := trust.Evaluate(policy, req)
	repo, _ := claims["repository"].(string)
	aud, _ := claims["aud"].(string)
	fmt.Fprint(p.Stdout, trust.Report(d, req, trust.Lint(policy, issuer, repo, aud)))
	if len(d.Unhandled) > 0 {
		return ExitUnreadable
	}
	if d.Allowed {
		return ExitOK
	}
	return ExitFailure
}

func usageError(p Process, err error) int {
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(p.Stdout, trustPolicyUsage)
		return ExitOK
	}
	fmt.Fprintf(p.Stderr, "aws-oidc-go: %v\n\n%s", err, trustPolicyUsage)
	return ExitUsage
}
