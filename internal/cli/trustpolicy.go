package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"strconv"
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
	runs := trust.RunsFor(f.list("branch"), f.list("tag"), f.list("environment"), f.on("pull-request"))
	if f.on("any-ref") {
		if len(runs) > 0 {
			return usageError(p, cmd, errors.New("--any-ref admits every run of the repository already: give it alone, or name the runs with --branch, --tag, --environment, --pull-request"))
		}
		runs = append(runs, trust.Context{AnyRef: true})
	}
	if len(runs) == 0 {
		return usageError(p, cmd, errors.New("say which runs the policy admits: --branch, --tag, --environment (each repeatable), --pull-request, or --any-ref"))
	}
	o.Context, o.Also = runs[0], runs[1:]
	o.Context.JobWorkflowRef = f.str("job-workflow-ref")
	if v := f.str("trust-policy-quota"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < trust.DefaultQuota || n > trust.MaxQuota {
			return usageError(p, cmd, fmt.Errorf("--trust-policy-quota %q: want a number of characters from %d (IAM's default) to %d (the largest increase)", v, trust.DefaultQuota, trust.MaxQuota))
		}
		o.Quota = n
	}
	if err := setRepositories(&o, f.list("repository")); err != nil {
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

func trustPolicyCheck(ctx context.Context, p Process, args []string) int {
	const cmd = "check"
	fl, pos, err := parseCmdFlags("trust-policy check", checkFlags, args)
	if err != nil {
		return usageError(p, cmd, err)
	}
	claimsPath, account, role := fl.str("claims"), fl.str("account-id"), fl.str("role")
	f := trust.Facts{Repository: fl.str("repository"), Ref: fl.str("ref"), Environment: fl.str("environment"), EventName: fl.str("event-name"),
		RepositoryID: fl.str("repository-id"), OwnerID: fl.str("owner-id"), SubFormat: fl.str("sub-format"), Actor: fl.str("actor"),
		ActorID: fl.str("actor-id"), Workflow: fl.str("workflow"), JobWorkflowRef: fl.str("job-workflow-ref"), EnterpriseID: fl.str("enterprise-id"),
		Audience: fl.str("audience"), Issuer: fl.str("issuer")}
	var policyPath string
	switch {
	case len(pos) > 1 || (len(pos) == 1 && role != ""):
		return usageError(p, cmd, fmt.Errorf("unexpected argument %q (check takes one POLICY.json or --role)", pos[len(pos)-1]))
	case len(pos) == 1:
		policyPath = pos[0]
	case role == "":
		return usageError(p, cmd, errors.New("name the policy: trust-policy check POLICY.json, or --role NAME_OR_ARN"))
	}
	if fl.given("profile") && role == "" {
		return usageError(p, cmd, errors.New("--profile goes with --role"))
	}
	if f.Ref != "" && !strings.HasPrefix(f.Ref, "refs/") {
		// Not reinterpreted: "main" could be a branch or a tag.
		return usageError(p, cmd, fmt.Errorf("--ref %q: a token's ref is always in full: --ref refs/heads/%s for the branch, refs/tags/%s for a tag", f.Ref, f.Ref, f.Ref))
	}
	var raw []byte
	if role != "" {
		var arn string
		raw, arn, err = readRolePolicy(ctx, p, role, fl.str("profile"))
		if err != nil {
			fmt.Fprintf(p.Stderr, "aws-oidc-go: role %s: %v\n", role, err)
			return ExitUnreadable
		}
		policyPath = "role " + arn
		if account == "" {
			account = arnAccount(arn)
		}
	} else {
		raw, err = readBounded(policyPath, "policy", trust.MaxPolicyBytes)
		if err != nil {
			fmt.Fprintf(p.Stderr, "aws-oidc-go: %v\n", err)
			return ExitUnreadable
		}
	}
	policy, err := trust.Parse(raw)
	if err != nil {
		fmt.Fprintf(p.Stderr, "aws-oidc-go: %s: %v\n", policyPath, err)
		return ExitUnreadable
	}

	// Every fact flag is checked, whichever way the claims come: with
	// --claims, --audience and --issuer still go into the request.
	if err := f.Check(); err != nil {
		return usageError(p, cmd, err)
	}
	// Several --repository: the same run in each repository, one verdict
	// each (ids inline, OWNER@OWNER_ID/REPO@REPO_ID).
	// (Whether the id flags were given is asked of the flags: f's ids may
	// have been filled in otherwise.)
	runs := []trust.Facts{f}
	idFlags := fl.str("repository-id") != "" || fl.str("owner-id") != ""
	if repos := fl.list("repository"); len(repos) > 0 {
		runs = runs[:0]
		for _, v := range repos {
			r := trust.ParseRepo(v)
			ff := f
			ff.Repository = r.Name
			switch {
			case r.OwnerWide():
				return usageError(p, cmd, fmt.Errorf("--repository %s: a run is of one repository; name one of the owner's (OWNER/REPO), or several", v))
			case r.ID != "" && idFlags:
				return usageError(p, cmd, fmt.Errorf("--repository %s carries its ids already: drop --repository-id and --owner-id", v))
			case r.ID != "":
				ff.RepositoryID, ff.OwnerID = r.ID, r.OwnerID
			case len(repos) > 1 && idFlags:
				return usageError(p, cmd, errors.New("--repository-id and --owner-id name one repository; with several --repository give each one's ids inline: --repository OWNER@OWNER_ID/REPO@REPO_ID"))
			}
			runs = append(runs, ff)
		}
	}
	if role != "" && claimsPath == "" {
		// A role's ids are looked up for each run's repository; a policy
		// file is checked offline.
		for i := range runs {
			lookupIDs(ctx, p, &runs[i])
		}
	}
	f = runs[0]
	if len(runs) > 1 {
		if claimsPath != "" {
			return usageError(p, cmd, errors.New("give either --claims or --repository/--ref, not both"))
		}
		worst := ExitOK
		for i, run := range runs {
			if i > 0 {
				fmt.Fprintln(p.Stdout)
			}
			fmt.Fprintf(p.Stdout, "Run of %s:\n", runner.Visible(run.Repository)) // a fact: anything
			code := checkOne(p, cmd, policy, run, "", account)
			if rank(code) > rank(worst) {
				worst = code
			}
		}
		return worst
	}
	return checkOne(p, cmd, policy, f, claimsPath, account)
}

// rank orders check's exit codes from best to worst: with several
// repositories the worst verdict is the command's.
func rank(code int) int {
	switch code {
	case ExitOK:
		return 0
	case ExitFindings:
		return 1
	case ExitUndecided:
		return 2
	case ExitFailure:
		return 3
	}
	return 4
}

// checkOne evaluates the policy for one run: f's facts, or the claims
// file at claimsPath.
func checkOne(p Process, cmd string, policy *trust.Policy, f trust.Facts, claimsPath, account string) int {
	audience, issuer := f.Audience, f.Issuer
	var claims map[string]any
	var unknown map[string]string
	switch {
	case claimsPath != "" && (f.Repository != "" || f.Ref != ""):
		return usageError(p, cmd, errors.New("give either --claims or --repository/--ref, not both"))
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
			return usageError(p, cmd, err)
		}
	default:
		return usageError(p, cmd, errors.New("give --claims CLAIMS.json, or --repository and --ref"))
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
	// The lint re-matches the subject with what the evaluation left of
	// one comparison budget, and not at all once it is spent: the whole
	// check takes at most trust.MaxMatchSteps steps.
	lc := trust.LintContext{Issuer: issuer, Budget: trust.MaxMatchSteps - d.Steps}
	lc.Repository, _ = claims["repository"].(string)
	lc.Audience, _ = claims["aud"].(string)
	lc.RepositoryID, _ = claims["repository_id"].(string)
	if claimsPath != "" && !d.Exhausted && lc.Budget > 0 {
		lc.Subject, _ = claims["sub"].(string) // a real token's subject form
	}
	findings := trust.Lint(policy, lc)
	fmt.Fprint(p.Stdout, trust.Report(d, req, findings))
	return checkExit(d, findings)
}

// lookupIDs fills in the repository's ids for check --role, as setup
// finds them (GitHub's API, GITHUB_API_URL and GITHUB_TOKEN), when no id
// is given: every role setup writes pins repository_id, so without them
// the verdict is UNDECIDED. A policy file is checked offline and never
// looked up. What was found, or why nothing was, goes to stderr; the
// report on stdout is the one check FILE gives with the same ids.
func lookupIDs(ctx context.Context, p Process, f *trust.Facts) {
	if f.RepositoryID != "" || f.OwnerID != "" || f.Repository == "" || (f.Issuer != "" && f.Issuer != trust.DefaultIssuer) || f.Check() != nil {
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

// setRepositories puts the --repository values into o: the first is the
// policy's own repository (ids inline or from --repository-id and
// --owner-id), the others More (ids inline only: the two flags name one
// repository).
func setRepositories(o *trust.Options, values []string) error {
	if len(values) == 0 {
		return errors.New("--repository OWNER/REPO is required")
	}
	first := trust.ParseRepo(values[0])
	o.Context.Repository = first.Name
	if first.ID != "" || first.OwnerID != "" {
		if o.RepositoryID != "" || o.OwnerID != "" {
			return fmt.Errorf("--repository %s carries its ids already: drop --repository-id and --owner-id", values[0])
		}
		o.RepositoryID, o.OwnerID = first.ID, first.OwnerID
	} else if len(values) > 1 && (o.RepositoryID != "" || o.OwnerID != "") {
		return errors.New("--repository-id and --owner-id name one repository; with several --repository give each one's ids inline: --repository OWNER@OWNER_ID/REPO@REPO_ID")
	}
	for _, v := range values[1:] {
		o.More = append(o.More, trust.ParseRepo(v))
	}
	return nil
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
