package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/org/aws-oidc-go/internal/trust"
)

const trustPolicyUsage = `Usage:
  aws-oidc-go trust-policy --account-id ID --repository OWNER/REPO
      (--branch B | --tag T | --environment E | --pull-request | --any-ref)
      [--repository-id ID --owner-id ID] [--sub-format legacy|immutable|both]
      [--job-workflow-ref REF] [--workflow W] [--actor A] [--actor-id ID] [--enterprise-id ID]
      [--audience A] [--issuer URL] [--partition P] [--create-provider-command]
    Print the tightest trust policy the facts allow (JSON on stdout) and, on
    stderr, one line of what it pins and what it leaves open. With the ids it
    pins repository_id (rename-proof) and accepts both sub forms (legacy and
    immutable) unless --sub-format says otherwise; each other flag becomes its
    own condition key. With --create-provider-command, the command creating
    the OIDC provider goes to stderr first.

  aws-oidc-go trust-policy check POLICY.json
      (--claims CLAIMS.json | --repository OWNER/REPO --ref REF [--environment E]
       [--event-name N] [--repository-id ID] [--owner-id ID] [--sub-format legacy|immutable]
       [--actor A] [--actor-id ID] [--workflow W] [--job-workflow-ref REF] [--enterprise-id ID])
      [--audience A] [--issuer URL] [--account-id ID]
    Evaluate the policy for sts:AssumeRoleWithWebIdentity as STS does (the
    condition keys it evaluates since 2026: aud, sub, actor, actor_id,
    job_workflow_ref, repository, repository_id, workflow, ref, environment,
    enterprise_id) and lint it. From flags, a key the flags leave unknown makes
    the verdict UNDECIDED, naming the flags that decide it.
    Exit 0 ALLOWED, 1 DENIED, 2 bad usage, 3 unreadable or unsupported policy
    (or claims file), 4 UNDECIDED, 5 ALLOWED but with error-level findings.

Examples:
  aws-oidc-go trust-policy --account-id 123456789012 --repository octo-org/octo-repo --branch main \
      --repository-id 123456789 --owner-id 65432
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
	fs.StringVar(&o.RepositoryID, "repository-id", "", "")
	fs.StringVar(&o.OwnerID, "owner-id", "", "")
	fs.StringVar(&o.SubFormat, "sub-format", "", "")
	fs.StringVar(&o.Workflow, "workflow", "", "")
	fs.StringVar(&o.Actor, "actor", "", "")
	fs.StringVar(&o.ActorID, "actor-id", "", "")
	fs.StringVar(&o.EnterpriseID, "enterprise-id", "", "")
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
	doc, err := trust.Generate(o)
	if err != nil {
		return usageError(p, err)
	}
	if providerCmd {
		fmt.Fprintf(p.Stderr, "# Once per account, create the OIDC provider:\n%s\n", trust.ProviderCommand(o.Issuer, o.Audience))
	}
	fmt.Fprintln(p.Stderr, o.Summary())
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
	var claimsPath, account string
	var f trust.Facts
	fs.StringVar(&claimsPath, "claims", "", "")
	for name, dst := range map[string]*string{
		"repository": &f.Repository, "ref": &f.Ref, "environment": &f.Environment, "event-name": &f.EventName,
		"repository-id": &f.RepositoryID, "owner-id": &f.OwnerID, "sub-format": &f.SubFormat, "actor": &f.Actor,
		"actor-id": &f.ActorID, "workflow": &f.Workflow, "job-workflow-ref": &f.JobWorkflowRef, "enterprise-id": &f.EnterpriseID,
		"audience": &f.Audience, "issuer": &f.Issuer,
	} {
		fs.StringVar(dst, name, "", "")
	}
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
	raw, err := readBounded(policyPath, "policy", trust.MaxPolicyBytes)
	if err != nil {
		fmt.Fprintf(p.Stderr, "aws-oidc-go: %v\n", err)
		return ExitUnreadable
	}
	policy, err := trust.Parse(raw)
	if err != nil {
		fmt.Fprintf(p.Stderr, "aws-oidc-go: %s: %v\n", policyPath, err)
		return ExitUnreadable
	}

	audience, issuer := f.Audience, f.Issuer
	var claims map[string]any
	var unknown map[string]string
	switch {
	case claimsPath != "" && (f.Repository != "" || f.Ref != ""):
		return usageError(p, errors.New("give either --claims or --repository/--ref, not both"))
	case claimsPath != "":
		b, err := readBounded(claimsPath, "claims", trust.MaxClaimsBytes)
		if err != nil {
			fmt.Fprintf(p.Stderr, "aws-oidc-go: %v\n", err)
			return ExitUnreadable
		}
		if claims, err = trust.ParseClaims(b); err != nil {
			fmt.Fprintf(p.Stderr, "aws-oidc-go: %s: %v\n", claimsPath, err)
			return ExitUnreadable
		}
	case f.Repository != "" && f.Ref != "":
		var err error
		if claims, unknown, err = trust.ClaimsFor(f); err != nil {
			return usageError(p, err)
		}
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
	for k, v := range unknown {
		req.Unknown[k] = v
	}
	d := trust.Evaluate(policy, req)
	lc := trust.LintContext{Issuer: issuer}
	lc.Repository, _ = claims["repository"].(string)
	lc.Audience, _ = claims["aud"].(string)
	lc.RepositoryID, _ = claims["repository_id"].(string)
	if claimsPath != "" {
		lc.Subject, _ = claims["sub"].(string) // a real token's subject form
	}
	findings := trust.Lint(policy, lc)
	fmt.Fprint(p.Stdout, trust.Report(d, req, findings))
	return checkExit(d, findings)
}

// checkExit maps a check's outcome to its exit code.
func checkExit(d trust.Decision, findings []trust.Finding) int {
	switch {
	case len(d.Unhandled) > 0:
		return ExitUnreadable
	case d.Verdict == trust.Denied:
		return ExitFailure
	case d.Verdict == trust.Undecided:
		return ExitUndecided
	}
	for _, f := range findings {
		if f.Level == trust.Error {
			return ExitFindings
		}
	}
	return ExitOK
}

func usageError(p Process, err error) int {
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(p.Stdout, trustPolicyUsage)
		return ExitOK
	}
	fmt.Fprintf(p.Stderr, "aws-oidc-go: %v\n\n%s", err, trustPolicyUsage)
	return ExitUsage
}
