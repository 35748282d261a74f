package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"strings"

	"github.com/org/aws-oidc-go/internal/runner"
	"github.com/org/aws-oidc-go/internal/setup"
	"github.com/org/aws-oidc-go/internal/trust"
)

// runFlags say which runs a generated policy admits (trust-policy
// generate and setup share them).
var runFlags = []cmdFlag{
	{Name: "branch", Arg: "BRANCH", Repeat: true, Help: "Admit workflow runs on this branch (jobs without an environment); refs/heads/ may be left out."},
	{Name: "tag", Arg: "TAG", Repeat: true, Help: "Admit runs for this tag; refs/tags/ may be left out."},
	{Name: "environment", Arg: "NAME", Repeat: true, Help: "Admit jobs that run in this deployment environment (from any branch the environment's own protection rules allow). With only environments the environment key pins them too."},
	{Name: "pull-request", Help: "Admit pull_request runs (sub ...:pull_request). Pull requests from forks get no ID token."},
}

// idFlags pin the repository by id and choose the sub forms.
var idFlags = []cmdFlag{
	{Name: "repository-id", Arg: "ID", Help: "The repository's numeric id: pins repository_id (rename-proof) and, with --owner-id, admits the immutable subject repo:OWNER@OWNER_ID/REPO@REPO_ID:... (gh api repos/OWNER/REPO --jq '.id, .owner.id')."},
	{Name: "owner-id", Arg: "ID", Help: "The owner's numeric id; goes with --repository-id."},
	{Name: "sub-format", Arg: "legacy|immutable|both", Help: "Which sub forms the policy accepts. Default: both when the ids are given, else legacy."},
	{Name: "audience", Arg: "AUD", Help: "The token audience and the provider's client id. Default sts.amazonaws.com."},
	{Name: "issuer", Arg: "URL", Help: "The token issuer. Default https://token.actions.githubusercontent.com; GHES: https://HOST/_services/token."},
}

// generateFlags are trust-policy generate's flags.
var generateFlags = concat([]cmdFlag{
	{Name: "account-id", Arg: "ID", Help: "The 12-digit AWS account the OIDC provider is in (required)."},
	{Name: "repository", Arg: "OWNER/REPO", Repeat: true, Help: "The repository whose workflows may assume the role (required). Repeat it for several (a statement each, each sub paired with its own repository_id); OWNER/* is every repository of the owner, those created later too (immutable sub only: needs the owner's id). Ids inline: OWNER@OWNER_ID/REPO@REPO_ID, OWNER@OWNER_ID/*."},
}, runFlags, []cmdFlag{
	{Name: "any-ref", Help: "Admit every ref, environment and event of the repository (StringLike repo:OWNER/REPO:*). Alone only."},
}, idFlags, []cmdFlag{
	{Name: "job-workflow-ref", Arg: "REF", Help: "Pin the reusable workflow that may assume the role: OWNER/REPO/.github/workflows/X.yml@REF."},
	{Name: "workflow", Arg: "NAME", Help: "Pin the workflow's name (the workflow claim)."},
	{Name: "actor", Arg: "LOGIN", Help: "Pin the user who triggered the run, by login."},
	{Name: "actor-id", Arg: "ID", Help: "Pin the user who triggered the run, by numeric id (rename-proof)."},
	{Name: "enterprise-id", Arg: "ID", Help: "Pin the enterprise (the enterprise_id claim)."},
	{Name: "partition", Arg: "P", Help: "The AWS partition: aws (default), aws-cn or aws-us-gov."},
	{Name: "trust-policy-quota", Arg: "CHARS", Help: "The account's quota for a role trust policy's length, in characters without white space: 2048 (IAM's default, assumed) up to 4096 (the largest increase). A longer policy is refused, saying how many repositories fit."},
	{Name: "create-provider-command", Help: "Also print, on stderr first, the AWS CLI command that creates the OIDC provider."},
})

// checkFlags are trust-policy check's flags.
var checkFlags = []cmdFlag{
	{Name: "role", Arg: "NAME_OR_ARN", Help: "Read the trust policy of this IAM role (iam:GetRole) instead of a file. The SDK's default credential chain; AWS_ENDPOINT_URL_IAM or AWS_ENDPOINT_URL are honoured. Without --repository-id and --owner-id the repository's ids are looked up as setup does (GitHub's API: GITHUB_API_URL, GITHUB_TOKEN); a policy file is never looked up."},
	{Name: "profile", Arg: "NAME", Help: "With --role: the AWS profile to read IAM as."},
	{Name: "claims", Arg: "CLAIMS.json", Help: "Evaluate for a real token's claims (its decoded payload) instead of the flags below."},
	{Name: "repository", Arg: "OWNER/REPO", Repeat: true, Help: "The run's repository. Repeat it to check the same run in each repository (each verdict printed; exit the worst); ids inline as OWNER@OWNER_ID/REPO@REPO_ID."},
	{Name: "ref", Arg: "REF", Help: "The run's ref, in full: refs/heads/main, refs/tags/v1, refs/pull/7/merge."},
	{Name: "environment", Arg: "NAME", Help: "The job's environment (none when not given)."},
	{Name: "event-name", Arg: "EVENT", Help: "The run's event; pull_request makes the sub ...:pull_request."},
	{Name: "repository-id", Arg: "ID", Help: "The repository's numeric id (decides repository_id conditions)."},
	{Name: "owner-id", Arg: "ID", Help: "The owner's numeric id (with --repository-id: the immutable subject)."},
	{Name: "sub-format", Arg: "legacy|immutable", Help: "The form of the run's sub. Default legacy."},
	{Name: "actor", Arg: "LOGIN", Help: "Who triggered the run (decides actor conditions)."},
	{Name: "actor-id", Arg: "ID", Help: "Their numeric id (decides actor_id conditions)."},
	{Name: "workflow", Arg: "NAME", Help: "The workflow's name (decides workflow conditions)."},
	{Name: "job-workflow-ref", Arg: "REF", Help: "The job's workflow ref (decides job_workflow_ref conditions)."},
	{Name: "enterprise-id", Arg: "ID", Help: "The enterprise's id (decides enterprise_id conditions)."},
	{Name: "audience", Arg: "AUD", Help: "The token's audience. Default sts.amazonaws.com."},
	{Name: "issuer", Arg: "URL", Help: "The token's issuer. Default the claims' iss, else https://token.actions.githubusercontent.com."},
	{Name: "account-id", Arg: "ID", Help: "The role's account: a Federated principal in another account does not match. With --role, default the role's account."},
}

func concat(tables ...[]cmdFlag) []cmdFlag {
	var out []cmdFlag
	for _, t := range tables {
		out = append(out, t...)
	}
	return out
}

const generateLine = `  aws-oidc-go trust-policy generate --account-id ID --repository OWNER/REPO
      (--branch B | --tag T | --environment E | --pull-request ...  | --any-ref) [flags]
`

const generateUsage = generateLine + `    Print the tightest trust policy the facts allow (JSON on stdout) and, on
    stderr, one line of what it pins and what it leaves open. --branch, --tag
    and --environment repeat and combine with --pull-request: the policy admits
    their union. With the ids it pins repository_id (rename-proof) and accepts
    both sub forms. A bare "trust-policy FLAGS" is the same command.
`

const checkLine = `  aws-oidc-go trust-policy check (POLICY.json | --role NAME_OR_ARN)
      (--claims CLAIMS.json | --repository OWNER/REPO --ref REF [flags])
`

const checkUsage = checkLine + `    Evaluate the policy for sts:AssumeRoleWithWebIdentity as STS does (the
    condition keys it evaluates since 2026: aud, sub, actor, actor_id,
    job_workflow_ref, repository, repository_id, workflow, ref, environment,
    enterprise_id) and lint it. From flags, a key the flags leave unknown makes
    the verdict UNDECIDED, naming the flags that decide it.
    Exit 0 ALLOWED, 1 DENIED, 2 bad usage, 3 unreadable or unsupported policy
    (or claims file, or a role IAM would not let us read), 4 UNDECIDED,
    5 ALLOWED but with error-level findings.
`

const trustPolicyExamples = `Examples:
  aws-oidc-go trust-policy generate --account-id 123456789012 --repository octo-org/octo-repo \
      --branch main --environment prod --repository-id 123456789 --owner-id 65432
  aws-oidc-go trust-policy check role-trust.json --repository octo-org/octo-repo --ref refs/heads/main --environment prod
  aws-oidc-go trust-policy check --role deploy --repository octo-org/octo-repo --ref refs/heads/main
`

// trustPolicyHelp is the whole help of one trust-policy command, or of
// both ("" names both).
func trustPolicyHelp(cmd string) string {
	var b strings.Builder
	b.WriteString("Usage:\n")
	if cmd != "check" {
		b.WriteString(generateUsage + "\n  Flags of generate:\n" + flagHelp(generateFlags) + "\n")
	}
	if cmd != "generate" {
		b.WriteString(checkUsage + "\n  Flags of check:\n" + flagHelp(checkFlags) + "\n")
	}
	b.WriteString(trustPolicyExamples)
	return b.String()
}

func trustPolicy(ctx context.Context, p Process, args []string) int {
	if len(args) > 0 {
		switch args[0] {
		case "check":
			return trustPolicyCheck(ctx, p, args[1:])
		case "generate":
			return trustPolicyGenerate(p, "generate", args[1:])
		}
	}
	return trustPolicyGenerate(p, "", args)
}

func trustPolicyGenerate(p Process, cmd string, args []string) int {
	f, pos, err := parseCmdFlags("trust-policy generate", generateFlags, args)
	if err != nil {
		return usageError(p, cmd, err)
	}
	if len(pos) > 0 {
		return usageError(p, cmd, fmt.Errorf("unexpected argument %q", pos[0]))
	}
	o := trust.Options{AccountID: f.str("account-id"), Audience: f.str("audience"), Issuer: f.str("issuer"), Partition: f.str("partition"),
		RepositoryID: f.str("repository-id"), OwnerID: f.str("owner-id"), SubFormat: f.str("sub-format"),
		Workflow: f.str("workflow"), Actor: f.str("actor"), ActorID: f.str("actor-id"), EnterpriseID: f.str("enterprise-id")}
	if err := o.Admit(f.list("branch"), f.list("tag"), f.list("environment"), f.on("pull-request"), f.on("any-ref")); err != nil {
		return usageError(p, cmd, err)
	}
	o.Run.JobWorkflowRef = f.str("job-workflow-ref")
	if v := f.str("trust-policy-quota"); v != "" {
		if o.Quota, err = trust.ParseQuota(v); err != nil {
			return usageError(p, cmd, err)
		}
	}
	if err := o.SetRepositories(f.list("repository")); err != nil {
		return usageError(p, cmd, err)
	}
	doc, err := trust.Generate(o)
	if err != nil {
		return usageError(p, cmd, err)
	}
	if f.on("create-provider-command") {
		fmt.Fprintf(p.Stderr, "# Once per account, create the OIDC provider:\n%s\n", trust.ProviderCommand(o.Issuer, o.Audience))
	}
	fmt.Fprintln(p.Stderr, o.Summary())
	p.Stdout.Write(doc)
	return ExitOK
}

// checkCommand is trust-policy check's command line, parsed.
type checkCommand struct {
	in            trust.CheckInput
	policyPath    string // the policy file; "" with role
	role, profile string
}

// trustPolicyCheck is aws-oidc-go trust-policy check: the command line
// in, the policy read (file or role), trust.Check, each run's report out,
// the worst run's exit code.
func trustPolicyCheck(ctx context.Context, p Process, args []string) int {
	const cmd = "check"
	c, err := parseCheck(args)
	if err != nil {
		return usageError(p, cmd, err)
	}
	// The flags are checked before anything is read: a bad command line
	// is a usage error (2) even where IAM would have refused the read.
	if err := c.in.Validate(); err != nil {
		return usageError(p, cmd, err)
	}
	policy, code := readCheckPolicy(ctx, p, &c)
	if policy == nil {
		return code
	}
	switch {
	case c.in.ClaimsName != "":
		if c.in.Claims, err = readBounded(c.in.ClaimsName, "claims", trust.MaxClaimsBytes); err != nil {
			fmt.Fprintf(p.Stderr, "aws-oidc-go: %v\n", err)
			return ExitUnreadable
		}
	case c.role != "":
		// A role's ids are looked up for each run's repository; a policy
		// file is checked offline.
		c.in.Lookup = func(f *trust.Run) { lookupIDs(ctx, p, f) }
	}
	res, err := trust.Check(policy, c.in)
	var bad *trust.InputError
	switch {
	case errors.As(err, &bad):
		return usageError(p, cmd, err)
	case err != nil:
		fmt.Fprintf(p.Stderr, "aws-oidc-go: %v\n", err)
		return ExitUnreadable
	}
	for i, run := range res.Runs {
		if len(res.Runs) > 1 {
			if i > 0 {
				fmt.Fprintln(p.Stdout)
			}
			fmt.Fprintf(p.Stdout, "Run of %s:\n", runner.Visible(run.Run.Repository)) // a fact: anything
		}
		if run.Err != nil {
			usageError(p, cmd, run.Err)
			continue
		}
		fmt.Fprint(p.Stdout, run.Report())
	}
	return checkExit(res.Worst().Outcome)
}

// parseCheck reads check's command line: which policy, and the input
// trust.Check takes (the claims file named, not read).
func parseCheck(args []string) (checkCommand, error) {
	fl, pos, err := parseCmdFlags("trust-policy check", checkFlags, args)
	if err != nil {
		return checkCommand{}, err
	}
	c := checkCommand{role: fl.str("role"), profile: fl.str("profile")}
	c.in = trust.CheckInput{
		Run: trust.Run{Repository: fl.str("repository"), Ref: fl.str("ref"), Environment: fl.str("environment"), EventName: fl.str("event-name"),
			RepositoryID: fl.str("repository-id"), OwnerID: fl.str("owner-id"), SubFormat: fl.str("sub-format"), Actor: fl.str("actor"),
			ActorID: fl.str("actor-id"), Workflow: fl.str("workflow"), JobWorkflowRef: fl.str("job-workflow-ref"), EnterpriseID: fl.str("enterprise-id"),
			Audience: fl.str("audience"), Issuer: fl.str("issuer")},
		Repositories: fl.list("repository"),
		// Asked of the flags: the facts' ids may be filled in otherwise.
		IDsGiven:   fl.str("repository-id") != "" || fl.str("owner-id") != "",
		ClaimsName: fl.str("claims"),
		Account:    fl.str("account-id"),
	}
	switch {
	case len(pos) > 1 || (len(pos) == 1 && c.role != ""):
		return c, fmt.Errorf("unexpected argument %q (check takes one POLICY.json or --role)", pos[len(pos)-1])
	case len(pos) == 1:
		c.policyPath = pos[0]
	case c.role == "":
		return c, errors.New("name the policy: trust-policy check POLICY.json, or --role NAME_OR_ARN")
	}
	if fl.given("profile") && c.role == "" {
		return c, errors.New("--profile goes with --role")
	}
	if ref := c.in.Run.Ref; ref != "" && !strings.HasPrefix(ref, "refs/") {
		// Not reinterpreted: "main" could be a branch or a tag.
		return c, fmt.Errorf("--ref %q: a token's ref is always in full: --ref refs/heads/%s for the branch, refs/tags/%s for a tag", ref, ref, ref)
	}
	return c, nil
}

// readCheckPolicy reads and parses the policy, from the role (whose
// account becomes the default --account-id) or the file; nil and the exit
// code when it cannot, the error printed.
func readCheckPolicy(ctx context.Context, p Process, c *checkCommand) (*trust.Policy, int) {
	var raw []byte
	var err error
	if c.role != "" {
		var arn string
		raw, arn, err = readRolePolicy(ctx, p, c.role, c.profile)
		if err != nil {
			fmt.Fprintf(p.Stderr, "aws-oidc-go: role %s: %v\n", c.role, err)
			return nil, ExitUnreadable
		}
		c.policyPath = "role " + arn
		if c.in.Account == "" {
			c.in.Account = arnAccount(arn)
		}
	} else if raw, err = readBounded(c.policyPath, "policy", trust.MaxPolicyBytes); err != nil {
		fmt.Fprintf(p.Stderr, "aws-oidc-go: %v\n", err)
		return nil, ExitUnreadable
	}
	policy, err := trust.Parse(raw)
	if err != nil {
		fmt.Fprintf(p.Stderr, "aws-oidc-go: %s: %v\n", c.policyPath, err)
		return nil, ExitUnreadable
	}
	return policy, ExitOK
}

// lookupIDs fills in the repository's ids for check --role, as setup
// finds them (GitHub's API, GITHUB_API_URL and GITHUB_TOKEN), when no id
// is given: every role setup writes pins repository_id, so without them
// the verdict is UNDECIDED. A policy file is checked offline and never
// looked up. What was found, or why nothing was, goes to stderr; the
// report on stdout is the one check FILE gives with the same ids.
func lookupIDs(ctx context.Context, p Process, f *trust.Run) {
	if f.RepositoryID != "" || f.OwnerID != "" || f.Repository == "" || (f.Issuer != "" && f.Issuer != trust.DefaultIssuer) || f.Validate() != nil {
		return
	}
	repo, err := setup.LookupRepo(ctx, &http.Client{}, p.Getenv("GITHUB_API_URL"), p.Getenv("GITHUB_TOKEN"), f.Repository)
	switch {
	case err != nil:
		fmt.Fprintf(p.Stderr, "aws-oidc-go: --repository %s: the ids were not looked up, so a repository_id condition stays undecided: %v\n  (give --repository-id and --owner-id to decide it)\n", runner.Visible(f.Repository), err)
	case !strings.EqualFold(repo.FullName, f.Repository):
		fmt.Fprintf(p.Stderr, "aws-oidc-go: --repository %s: GitHub answers for %s (renamed or transferred); tokens carry the current name, so the ids are not used: check --repository %s\n", runner.Visible(f.Repository), repo.FullName, repo.FullName)
	default:
		fmt.Fprintf(p.Stderr, "aws-oidc-go: ids of %s from GitHub's API: --repository-id %s --owner-id %s\n", repo.FullName, repo.RepositoryID, repo.OwnerID)
		if repo.FullName != f.Repository {
			fmt.Fprintf(p.Stderr, "aws-oidc-go: GitHub spells the repository %s; tokens carry that spelling, and the check uses it\n", repo.FullName)
			f.Repository = repo.FullName
		}
		f.RepositoryID, f.OwnerID = repo.RepositoryID, repo.OwnerID
	}
}

// checkExit maps a check's outcome to its exit code.
func checkExit(o trust.Outcome) int { return checkCodes[o] }

// usageError reports a command line that cannot run: the error, the
// command's usage lines, and where the flags are listed. -h/--help prints
// the command's whole help instead.
func usageError(p Process, cmd string, err error) int {
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(p.Stdout, trustPolicyHelp(cmd))
		return ExitOK
	}
	head := generateLine + checkLine
	switch cmd {
	case "check":
		head = checkLine
	case "generate":
		head = generateLine
	}
	name := "trust-policy " + cmd
	if cmd == "" {
		name = "trust-policy"
	}
	fmt.Fprintf(p.Stderr, "aws-oidc-go: %v\n\nUsage:\n%s(aws-oidc-go %s --help lists every flag)\n", err, head, strings.TrimSpace(name))
	return ExitUsage
}
