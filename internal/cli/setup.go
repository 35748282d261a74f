package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"strconv"
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
	{Name: "replace-trust-policy", Help: "With --apply: allow replacing an existing role's trust policy (the plan lists the runs gained and lost). Statements for other principals are kept."},
	{Name: "confirm-spelling", Help: "Confirm that --repository is spelled as GitHub spells it (case included), when GitHub's API was not asked (ids given, or the lookup failed) and the role names it otherwise in case."},
	{Name: "adopt-role", Help: "With --apply: allow writing to an existing role setup did not make for this repository alone (one that trusts other principals or repositories, or has inline policies or attached policies not asked for); the plan lists them."},
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

func runSetup(ctx context.Context, p Process, args []string) int {
	f, pos, err := parseCmdFlags("setup", setupFlags, args)
	if err != nil {
		return setupUsageError(p, err)
	}
	if len(pos) > 0 {
		return setupUsageError(p, fmt.Errorf("unexpected argument %q", pos[0]))
	}
	o := setup.Options{Branches: f.list("branch"), Tags: f.list("tag"), Environments: f.list("environment"),
		PullRequest: f.on("pull-request"), RoleName: f.str("role-name"), PolicyARNs: f.list("policy-arn"),
		RepositoryID: f.str("repository-id"), OwnerID: f.str("owner-id"), SubFormat: f.str("sub-format"),
		Audience: f.str("audience"), Issuer: f.str("issuer"), ReplaceTrustPolicy: f.on("replace-trust-policy")}
	var errs []error
	if err := setupRepositories(&o, f.list("repository")); err != nil {
		errs = append(errs, err)
	}
	if v := f.str("max-session-duration"); v != "" {
		n, err := strconv.ParseInt(v, 10, 32)
		if err != nil {
			errs = append(errs, fmt.Errorf("--max-session-duration %q: want a whole number of seconds (3600-43200)", v))
		}
		o.MaxSessionDuration = int32(n)
	}
	format := f.str("format")
	switch format {
	case "", "text", "json", "terraform", "cloudformation":
	default:
		errs = append(errs, fmt.Errorf("--format %q: want text, json, terraform or cloudformation", format))
	}
	if f.on("apply") && format != "" && format != "text" {
		errs = append(errs, fmt.Errorf("--format %s prints the plan as code for you to apply; it does not go with --apply", format))
	}
	if o.ReplaceTrustPolicy && !f.on("apply") {
		errs = append(errs, errors.New("--replace-trust-policy goes with --apply"))
	}
	if f.on("adopt-role") && !f.on("apply") {
		errs = append(errs, errors.New("--adopt-role goes with --apply"))
	}
	if (o.RepositoryID == "") != (o.OwnerID == "") {
		errs = append(errs, errors.New("--repository-id and --owner-id go together (gh api repos/OWNER/REPO --jq '.id, .owner.id' prints both)"))
	}
	if err := o.Validate(); err != nil {
		errs = append(errs, err)
	}
	var regionWarning string
	if r := f.str("region"); r != "" {
		var err error
		if regionWarning, err = setup.CheckRegion("--region", r); err != nil {
			errs = append(errs, err)
		}
	}
	if o.Issuer != trust.DefaultIssuer && o.RepositoryID == "" && o.SubFormat == "" {
		o.SubFormat = "legacy" // GHES and enterprise issuers: no immutable subject
	}
	if err := errors.Join(errs...); err != nil {
		return setupUsageError(p, err)
	}

	idsNote, err := lookupRepositoryIDs(ctx, p, &o)
	if err != nil {
		fmt.Fprintf(p.Stderr, "aws-oidc-go: %v\n", err)
		return ExitFailure
	}
	if o.RepositoryID == "" && o.Issuer != trust.DefaultIssuer {
		idsNote = "ids not used: the immutable subject and repository_id are github.com's"
	}

	iamc, stsc, region, err := setup.AWS{Profile: f.str("profile"), Region: f.str("region"), Getenv: p.Getenv}.Clients(ctx)
	if err != nil {
		fmt.Fprintf(p.Stderr, "aws-oidc-go: %v\n", err)
		return ExitFailure
	}
	if r := f.str("region"); r != "" {
		region = r
	} else if region != "" {
		// The AWS configuration's region (AWS_REGION, the profile's) goes
		// into the STS call and the snippet just the same.
		if regionWarning, err = setup.CheckRegion("the AWS configuration's region (AWS_REGION or the profile's region)", region); err != nil {
			fmt.Fprintf(p.Stderr, "aws-oidc-go: %v; give --region, or fix the configuration\n", err)
			return ExitFailure
		}
	}
	if regionWarning != "" {
		fmt.Fprintf(p.Stderr, "aws-oidc-go: warning: %s\n", regionWarning)
	}
	plan, err := setup.MakePlan(ctx, iamc, stsc, o)
	if err != nil {
		fmt.Fprintf(p.Stderr, "aws-oidc-go: reading IAM for the plan: %v\n", err)
		return ExitFailure
	}
	plan.IDs = idsNote
	plan.AdoptRole = f.on("adopt-role")
	plan.SpellingConfirmed = f.on("confirm-spelling") || strings.HasPrefix(idsNote, "ids from GitHub's API") || strings.Contains(idsNote, ": ids from GitHub's API")
	if part := setup.RegionPartition(region); region != "" && part != "" && part != plan.Partition {
		fmt.Fprintf(p.Stderr, "aws-oidc-go: warning: the region %s is in the partition %s, the account %s in %s: a workflow with aws-region %s reaches another partition's STS, which does not know this role; give --region with a region of %s\n",
			region, part, plan.Account, plan.Partition, region, plan.Partition)
	}
	if format != "" && format != "text" {
		// Code and JSON are for a machine: what a person must know goes to
		// stderr (the runs an existing role gains and loses, a legacy-only
		// policy), and code for a legacy-only policy nobody asked for is
		// refused as --apply refuses it.
		setup.WriteGainedLost(p.Stderr, plan)
		setup.WriteLegacyOnly(p.Stderr, plan)
		if refused := plan.LegacyRefusal(); refused != nil {
			if format == "json" { // the plan itself, legacy_only true
				if err := setup.WriteJSON(p.Stdout, plan); err != nil {
					fmt.Fprintf(p.Stderr, "aws-oidc-go: %v\n", err)
				}
				fmt.Fprintf(p.Stderr, "aws-oidc-go: this plan cannot be applied: %v\n", refused)
			} else {
				fmt.Fprintf(p.Stderr, "aws-oidc-go: --format %s: no code printed: %v\n", format, refused)
			}
			return ExitFailure
		}
	}
	switch format {
	case "json":
		if err := setup.WriteJSON(p.Stdout, plan); err != nil {
			fmt.Fprintf(p.Stderr, "aws-oidc-go: %v\n", err)
			return ExitFailure
		}
		return ExitOK
	case "terraform":
		setup.WriteTerraform(p.Stdout, plan)
		return ExitOK
	case "cloudformation":
		if err := setup.WriteCloudFormation(p.Stdout, plan); err != nil {
			fmt.Fprintf(p.Stderr, "aws-oidc-go: %v\n", err)
			return ExitFailure
		}
		return ExitOK
	}

	w := p.Stdout
	setup.WriteText(w, plan)
	if !f.on("apply") {
		fmt.Fprintln(w)
		switch {
		case plan.Empty():
		case plan.CheckApply() != nil:
			fmt.Fprintf(w, "This is a plan; nothing was changed. It cannot be applied as it is: %v\n", strings.TrimPrefix(plan.CheckApply().Error(), "not applied, nothing was changed: "))
		default:
			fmt.Fprintln(w, "This is a plan; nothing was changed. Run again with --apply to carry it out.")
		}
		if !plan.Empty() {
			fmt.Fprintln(w, "\nThe checker on the planned trust policy:")
			bad := setup.WriteVerdicts(w, plan.Samples)
			fmt.Fprintln(w, "\nThe workflow, once applied:")
			setup.WriteSnippet(w, plan.RoleARN, region)
			if bad > 0 {
				return ExitFailure
			}
			return ExitOK
		}
	} else if !plan.Empty() {
		if err := setup.Apply(ctx, iamc, plan); err != nil {
			fmt.Fprintf(p.Stderr, "aws-oidc-go: %v\n", err)
			return ExitFailure
		}
		fmt.Fprintf(w, "\nApplied %d change(s).\n", len(plan.Steps))
	}

	// The live role, as IAM returns it now.
	doc, arn, err := setup.ReadRole(ctx, iamc, plan.RoleName)
	if err != nil {
		fmt.Fprintf(p.Stderr, "aws-oidc-go: reading the role back: %v\n", err)
		return ExitFailure
	}
	live, err := trust.Parse(doc)
	if err != nil {
		fmt.Fprintf(p.Stderr, "aws-oidc-go: the live role's trust policy: %v\n", err)
		return ExitFailure
	}
	samples := setup.Evaluate(setup.Samples(o, live), plan.Account, o.Issuer, nil, live)
	fmt.Fprintf(w, "\nThe checker on the live role %s:\n", arn)
	bad := setup.WriteVerdicts(w, samples)
	// Each Allow's witness: a stranger's run made from its own patterns.
	for _, wit := range setup.OutsideWitnesses(live, plan.Account, o) {
		fmt.Fprintf(w, "    ALLOWED   a run nobody named (a witness of the role's patterns): %s   <-- expected DENIED\n", wit)
		bad++
	}
	fmt.Fprintln(w, "\nIn the workflow:")
	setup.WriteSnippet(w, arn, region)
	if bad > 0 {
		fmt.Fprintf(p.Stderr, "aws-oidc-go: the live role decides %d sample run(s) otherwise than intended (marked above)\n", bad)
		return ExitFailure
	}
	return ExitOK
}

// setupRepositories puts the --repository values into o: the first with
// its ids (inline, or --repository-id and --owner-id), the others in More
// (ids inline only: the two flags name one repository).
func setupRepositories(o *setup.Options, values []string) error {
	if len(values) == 0 {
		return errors.New("--repository OWNER/REPO is required")
	}
	t := trust.Options{RepositoryID: o.RepositoryID, OwnerID: o.OwnerID}
	if err := t.SetRepositories(values); err != nil {
		return err
	}
	o.Repository, o.RepositoryID, o.OwnerID, o.More = t.Run.Repository, t.RepositoryID, t.OwnerID, t.More
	return nil
}

// lookupRepositoryIDs fills in, from GitHub's API, the ids of every repository
// given without them (and the owner's id of OWNER/*), with GitHub's
// spelling of each name; it says where the ids came from. A repository
// GitHub knows under another name is an error (tokens carry the current
// name); a failed lookup leaves the ids unknown, and says so.
func lookupRepositoryIDs(ctx context.Context, p Process, o *setup.Options) (string, error) {
	repos := append([]trust.Repo{{Name: o.Repository, ID: o.RepositoryID, OwnerID: o.OwnerID}}, o.More...)
	var notes []string
	for i := range repos {
		r := &repos[i]
		name := r.Name
		switch {
		case r.OwnerWide() && r.OwnerID != "":
			notes = append(notes, fmt.Sprintf("%s: owner id given (%s)", name, r.OwnerID))
		case r.ID != "":
			notes = append(notes, fmt.Sprintf("%s: ids given (repository %s, owner %s)", name, r.ID, r.OwnerID))
		case o.Issuer != trust.DefaultIssuer:
			notes = append(notes, name+": ids not used: the immutable subject and repository_id are github.com's")
		case r.OwnerWide():
			login, id, err := setup.LookupOwner(ctx, &http.Client{}, p.Getenv("GITHUB_API_URL"), p.Getenv("GITHUB_TOKEN"), r.Owner())
			switch {
			case err != nil:
				notes = append(notes, name+": owner id NOT known: the lookup failed: "+err.Error())
			default:
				r.Name, r.OwnerID = login+"/*", id
				notes = append(notes, fmt.Sprintf("%s: owner id from GitHub's API (%s)", r.Name, id))
			}
		default:
			repo, err := setup.LookupRepo(ctx, &http.Client{}, p.Getenv("GITHUB_API_URL"), p.Getenv("GITHUB_TOKEN"), r.Name)
			var notFound *setup.RepoNotFound
			switch {
			case errors.As(err, &notFound) && o.SubFormat != "legacy":
				// Not "accept legacy": a role for a name GitHub does not
				// know may be a role for a typo.
				return "", fmt.Errorf("--repository %s: %w", r.Name, err)
			case err != nil:
				notes = append(notes, name+": ids NOT known: the lookup failed: "+err.Error())
			case repo.FullName != r.Name && strings.EqualFold(repo.FullName, r.Name):
				// sub and repository are compared case-sensitively: use GitHub's spelling.
				notes = append(notes, fmt.Sprintf("%s: ids from GitHub's API (repository %s, owner %s); GitHub spells it %s, which the policy uses (StringEquals is case-sensitive)", name, repo.RepositoryID, repo.OwnerID, repo.FullName))
				r.Name, r.ID, r.OwnerID = repo.FullName, repo.RepositoryID, repo.OwnerID
			case repo.FullName != r.Name:
				return "", fmt.Errorf("--repository %s: GitHub answers for %s (renamed or transferred); tokens carry the current name: run setup with --repository %s", r.Name, repo.FullName, repo.FullName)
			default:
				notes = append(notes, fmt.Sprintf("%s: ids from GitHub's API (repository %s, owner %s)", name, repo.RepositoryID, repo.OwnerID))
				r.ID, r.OwnerID = repo.RepositoryID, repo.OwnerID
			}
		}
	}
	o.Repository, o.RepositoryID, o.OwnerID, o.More = repos[0].Name, repos[0].ID, repos[0].OwnerID, repos[1:]
	if len(repos) == 1 {
		_, note, _ := strings.Cut(notes[0], ": ")
		return note, nil
	}
	return strings.Join(notes, "; "), nil
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
