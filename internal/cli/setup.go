package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"

	"github.com/org/aws-oidc-go/internal/setup"
	"github.com/org/aws-oidc-go/internal/trust"
)

// setupFlags are setup's flags.
var setupFlags = concat([]cmdFlag{
	{Name: "repository", Arg: "OWNER/REPO", Repeat: true, Help: "The repository whose workflows may assume the role (required). Repeat it for several (a statement each, each sub paired with its own repository_id; --role-name then required); OWNER/* is every repository of the owner, those created later too (immutable sub with the owner's id). Ids are looked up, or given inline: OWNER@OWNER_ID/REPO@REPO_ID, OWNER@OWNER_ID/*."},
}, runFlags, []cmdFlag{
	{Name: "role-name", Arg: "NAME", Help: "The role to create or bring in line. Default github-actions-OWNER-REPO."},
	{Name: "policy-arn", Arg: "ARN", Repeat: true, Help: "A managed permission policy to attach to the role (policies attached already stay)."},
	{Name: "max-session-duration", Arg: "SECONDS", Help: "The role's maximum session duration, 3600-43200. Default: a new role gets IAM's 3600, an existing one keeps its own."},
	{Name: "region", Arg: "REGION", Help: "The region for the printed workflow snippet (aws-region) and for STS. Default the AWS configuration's."},
	{Name: "profile", Arg: "NAME", Help: "The AWS profile to run as (it needs IAM permissions). Default the SDK's credential chain."},
}, idFlags, []cmdFlag{
	{Name: "apply", Help: "Carry out the plan. Without it setup only reads IAM and prints what it would do."},
	{Name: "replace-trust-policy", Help: "With --apply (or --format terraform|cloudformation): allow replacing an existing role's trust policy (the plan lists the runs gained and lost). Statements for other principals are kept."},
	{Name: "confirm-spelling", Help: "Confirm that --repository is spelled as GitHub spells it (case included), when GitHub's API was not asked (ids given, or the lookup failed) and the role names it otherwise in case."},
	{Name: "adopt-role", Help: "With --apply (or --format terraform|cloudformation): allow writing to an existing role setup did not make for this repository alone (one that trusts other principals or repositories, or has inline policies or attached policies not asked for); the plan lists them."},
	{Name: "format", Arg: "text|json|terraform|cloudformation", Help: "Print the plan as text (default), as JSON, or as infrastructure code: Terraform (aws_iam_openid_connect_provider, aws_iam_role) or a CloudFormation template (AWS::IAM::OIDCProvider, AWS::IAM::Role). Code is printed, never applied."},
})

const setupLine = `  aws-oidc-go setup --repository OWNER/REPO (--branch B | --tag T | --environment E | --pull-request ...)
      [--role-name NAME] [--policy-arn ARN ...] [--apply [--replace-trust-policy]] [flags]
`

const setupUsage = "Usage:\n" + setupLine + `    Create, once per account, the IAM OIDC provider for GitHub Actions (with the
    audience as a client id) and a role whose trust policy admits exactly the
    runs named: --branch, --tag and --environment repeat and combine with
    --pull-request. Run it on an administrator's machine: the SDK's default
    credential chain or --profile; AWS_ENDPOINT_URL_IAM / AWS_ENDPOINT_URL are
    honoured. The repository's ids come from --repository-id/--owner-id or
    from GitHub's API (GITHUB_API_URL, default https://api.github.com;
    GITHUB_TOKEN when set).
    Without --apply it prints the plan and changes nothing. With --apply it
    carries out exactly that plan; a second run plans nothing. An existing
    role's trust policy is replaced only with --replace-trust-policy. At the
    end: the workflow snippet, and the checker's verdict on the role for the
    runs it admits and for near misses.
    Exit 0 done (or planned), 1 an AWS or GitHub call failed, a plan was
    refused, or the role does not decide the sample runs as intended;
    2 bad usage.

  Flags:
`

const setupExamples = `
Examples:
  aws-oidc-go setup --repository octo-org/octo-repo --branch main --environment prod
  aws-oidc-go setup --repository octo-org/octo-repo --branch main --policy-arn arn:aws:iam::aws:policy/ReadOnlyAccess --apply
  aws-oidc-go setup --repository octo-org/octo-repo --branch main --format terraform > github-oidc.tf
`

func setupHelp() string { return setupUsage + flagHelp(setupFlags) + setupExamples }

func setupUsageError(p Process, err error) int {
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(p.Stdout, setupHelp())
		return ExitOK
	}
	fmt.Fprintf(p.Stderr, "aws-oidc-go: %v\n\nUsage:\n%s(aws-oidc-go setup --help lists every flag)\n", err, setupLine)
	return ExitUsage
}

// runSetup parses setup's flags and runs setup.Execute: a *UsageError is
// exit 2 with the usage line, any other error exit 1 (printed, unless the
// plan printed says it already).
func runSetup(ctx context.Context, p Process, args []string) int {
	f, pos, err := parseCmdFlags("setup", setupFlags, args)
	if err != nil {
		return setupUsageError(p, err)
	}
	if len(pos) > 0 {
		return setupUsageError(p, fmt.Errorf("unexpected argument %q", pos[0]))
	}
	c := setup.Command{
		Options: setup.Options{Branches: f.list("branch"), Tags: f.list("tag"), Environments: f.list("environment"),
			PullRequest: f.on("pull-request"), RoleName: f.str("role-name"), PolicyARNs: f.list("policy-arn"),
			RepositoryID: f.str("repository-id"), OwnerID: f.str("owner-id"), SubFormat: f.str("sub-format"),
			Audience: f.str("audience"), Issuer: f.str("issuer"), ReplaceTrustPolicy: f.on("replace-trust-policy")},
		Repositories: f.list("repository"), MaxSessionDuration: f.str("max-session-duration"), Format: f.str("format"),
		Apply: f.on("apply"), AdoptRole: f.on("adopt-role"), ConfirmSpelling: f.on("confirm-spelling"),
		Region: f.str("region"), Profile: f.str("profile"),
	}
	err = setup.Execute(ctx, setup.Env{Stdout: p.Stdout, Stderr: p.Stderr, Getenv: p.Getenv}, c)
	var usage *setup.UsageError
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, &usage):
		return setupUsageError(p, usage.Err)
	case !errors.Is(err, setup.ErrNotAsIntended):
		fmt.Fprintf(p.Stderr, "aws-oidc-go: %v\n", err)
	}
	return ExitFailure
}

// readRolePolicy reads a role's trust policy from IAM for check --role.
func readRolePolicy(ctx context.Context, p Process, role, profile string) ([]byte, string, error) {
	iamc, _, _, err := setup.AWS{Profile: profile, Getenv: p.Getenv}.Clients(ctx)
	if err != nil {
		return nil, "", err
	}
	doc, arn, err := setup.ReadRole(ctx, iamc, role)
	if err == nil && len(doc) > trust.MaxPolicyBytes {
		return nil, "", fmt.Errorf("the trust policy is larger than %d bytes, the most trust-policy check reads", trust.MaxPolicyBytes)
	}
	return doc, arn, err
}

// arnAccount is the account field of an ARN ("" when it has none).
func arnAccount(arn string) string {
	if parts := strings.SplitN(arn, ":", 6); len(parts) == 6 {
		return parts[4]
	}
	return ""
}
