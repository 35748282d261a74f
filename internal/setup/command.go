package setup

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/org/aws-oidc-go/internal/trust"
)

// Command is one `aws-oidc-go setup`: the options as its flags give them
// and what to do with the plan. Execute validates it, plans, and prints or
// applies the plan.
type Command struct {
	// Options are the runs and the role asked for; Repository, its ids and
	// More are filled in from Repositories.
	Options Options
	// Repositories are the --repository values: OWNER/REPO or OWNER/*, ids
	// inline as OWNER@OWNER_ID/REPO@REPO_ID; Options.RepositoryID and
	// OwnerID (--repository-id, --owner-id) go with the first only.
	Repositories []string
	// MaxSessionDuration is --max-session-duration as given ("" keeps the
	// role's).
	MaxSessionDuration string
	// Format is text (or ""), json, terraform or cloudformation.
	Format string
	// Apply carries the plan out; AdoptRole lets it write to a role not
	// made for this repository alone; ConfirmSpelling says --repository is
	// spelled as GitHub spells it.
	Apply, AdoptRole, ConfirmSpelling bool
	// Region (for STS and the snippet) and Profile (the AWS profile); ""
	// is the AWS configuration's.
	Region, Profile string

	regionWarning string // set by validate
}

// Env is what Execute reaches the world through: its output, the
// environment (GITHUB_API_URL, GITHUB_TOKEN, the AWS SDK's variables) and
// the HTTP client for GitHub's API (nil: a new http.Client).
type Env struct {
	Stdout, Stderr io.Writer
	Getenv         func(string) string
	HTTPClient     *http.Client
}

// UsageError is a Command that cannot run as given: the flags are wrong,
// nothing was called.
type UsageError struct{ Err error }

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

// ErrNotAsIntended is Execute's answer when the plan it printed (without
// --apply) decides sample runs otherwise than intended: the verdicts in
// the plan say which, and there is nothing more to say.
var ErrNotAsIntended = errors.New("the planned trust policy decides sample runs otherwise than intended (marked in the plan)")

// validate checks the command (every problem at once) and fills in the
// options from the repositories and the defaults.
func (c *Command) validate() error {
	o := &c.Options
	var errs []error
	if err := setRepositories(o, c.Repositories); err != nil {
		errs = append(errs, err)
	}
	if v := c.MaxSessionDuration; v != "" {
		n, err := strconv.ParseInt(v, 10, 32)
		if err != nil {
			errs = append(errs, fmt.Errorf("--max-session-duration %q: want a whole number of seconds (3600-43200)", v))
		}
		o.MaxSessionDuration = int32(n)
	}
	switch c.Format {
	case "", "text", "json", "terraform", "cloudformation":
	default:
		errs = append(errs, fmt.Errorf("--format %q: want text, json, terraform or cloudformation", c.Format))
	}
	if c.Apply && c.code() {
		errs = append(errs, fmt.Errorf("--format %s prints the plan as code for you to apply; it does not go with --apply", c.Format))
	}
	// Code is printed to be applied: the flags that allow an apply allow
	// printing it.
	writes := c.Apply || c.Format == "terraform" || c.Format == "cloudformation"
	if o.ReplaceTrustPolicy && !writes {
		errs = append(errs, errors.New("--replace-trust-policy goes with --apply (or --format terraform|cloudformation)"))
	}
	if c.AdoptRole && !writes {
		errs = append(errs, errors.New("--adopt-role goes with --apply (or --format terraform|cloudformation)"))
	}
	if (o.RepositoryID == "") != (o.OwnerID == "") {
		errs = append(errs, errors.New("--repository-id and --owner-id go together (gh api repos/OWNER/REPO --jq '.id, .owner.id' prints both)"))
	}
	if err := o.Validate(); err != nil {
		errs = append(errs, err)
	}
	if c.Region != "" {
		var err error
		if c.regionWarning, err = CheckRegion("--region", c.Region); err != nil {
			errs = append(errs, err)
		}
	}
	if o.Issuer != trust.DefaultIssuer && o.RepositoryID == "" && o.SubFormat == "" {
		o.SubFormat = "legacy" // GHES and enterprise issuers: no immutable subject
	}
	return errors.Join(errs...)
}

// code reports whether the plan is printed as JSON or infrastructure code
// (for a machine) rather than text.
func (c *Command) code() bool { return c.Format != "" && c.Format != "text" }

// setRepositories puts the --repository values into o: the first with
// its ids (inline, or --repository-id and --owner-id), the others in More
// (ids inline only: the two flags name one repository).
func setRepositories(o *Options, values []string) error {
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

// Execute runs the command: validate (a *UsageError, before any call),
// look up the repositories' ids, read IAM and plan; then print the plan
// (text with the checker's verdicts, JSON, or code), or apply it; and at
// the end read the role back and check it. Warnings go to env.Stderr as
// they arise; an error is what the command fails with (ErrNotAsIntended:
// the plan printed says why).
func Execute(ctx context.Context, env Env, c Command) error {
	if err := c.validate(); err != nil {
		return &UsageError{err}
	}
	if env.HTTPClient == nil {
		env.HTTPClient = &http.Client{}
	}
	o := c.Options
	idsNote, err := lookupIDs(ctx, env, &o)
	if err != nil {
		return err
	}
	if o.RepositoryID == "" && o.Issuer != trust.DefaultIssuer {
		idsNote = "ids not used: the immutable subject and repository_id are github.com's"
	}
	iamc, stsc, region, err := AWS{Profile: c.Profile, Region: c.Region, Getenv: env.Getenv}.Clients(ctx)
	if err != nil {
		return err
	}
	if c.Region != "" {
		region = c.Region
	} else if region != "" {
		// The AWS configuration's region (AWS_REGION, the profile's) goes
		// into the STS call and the snippet just the same.
		if c.regionWarning, err = CheckRegion("the AWS configuration's region (AWS_REGION or the profile's region)", region); err != nil {
			return fmt.Errorf("%w; give --region, or fix the configuration", err)
		}
	}
	if c.regionWarning != "" {
		fmt.Fprintf(env.Stderr, "aws-oidc-go: warning: %s\n", c.regionWarning)
	}
	plan, err := MakePlan(ctx, iamc, stsc, o)
	if err != nil {
		return fmt.Errorf("reading IAM for the plan: %w", err)
	}
	plan.IDs = idsNote
	plan.AdoptRole = c.AdoptRole
	plan.SpellingConfirmed = c.ConfirmSpelling || strings.HasPrefix(idsNote, "ids from GitHub's API") || strings.Contains(idsNote, ": ids from GitHub's API")
	if part := RegionPartition(region); region != "" && part != "" && part != plan.Partition {
		fmt.Fprintf(env.Stderr, "aws-oidc-go: warning: the region %s is in the partition %s, the account %s in %s: a workflow with aws-region %s reaches another partition's STS, which does not know this role; give --region with a region of %s\n",
			region, part, plan.Account, plan.Partition, region, plan.Partition)
	}
	if c.code() {
		return writeCode(env, c.Format, plan)
	}
	w := env.Stdout
	WriteText(w, plan)
	if !c.Apply {
		fmt.Fprintln(w)
		if !plan.Empty() {
			return writePlanEnd(w, plan, region)
		}
	} else if !plan.Empty() {
		if err := Apply(ctx, iamc, plan); err != nil {
			return err
		}
		fmt.Fprintf(w, "\nApplied %d change(s).\n", len(plan.Steps))
	}
	return checkLive(ctx, env, iamc, plan, o, region)
}

// writeCode prints the plan as JSON or infrastructure code. Code and JSON
// are for a machine: what a person must know goes to stderr (the runs an
// existing role gains and loses, a legacy-only policy). Code is refused
// for every reason Apply refuses the plan (Plan.CheckCode), and JSON for a
// legacy-only policy nobody asked for.
func writeCode(env Env, format string, plan *Plan) error {
	WriteGainedLost(env.Stderr, plan)
	WriteLegacyOnly(env.Stderr, plan)
	if refused := plan.LegacyRefusal(); refused != nil {
		if format != "json" {
			return fmt.Errorf("--format %s: no code printed: %w", format, refused)
		}
		// the plan itself, legacy_only true
		if err := WriteJSON(env.Stdout, plan); err != nil {
			fmt.Fprintf(env.Stderr, "aws-oidc-go: %v\n", err)
		}
		return fmt.Errorf("this plan cannot be applied: %w", refused)
	}
	if format == "json" {
		return WriteJSON(env.Stdout, plan)
	}
	// Code is printed to be applied: never code that --apply would refuse.
	if err := plan.CheckCode(); err != nil {
		return fmt.Errorf("--format %s: %w", format, err)
	}
	switch format {
	case "terraform":
		WriteTerraform(env.Stdout, plan)
		return nil
	}
	return WriteCloudFormation(env.Stdout, plan)
}

// writePlanEnd ends a plan that changes something and is not applied:
// whether it could be, the checker's verdicts on the planned trust policy
// and the snippet.
func writePlanEnd(w io.Writer, plan *Plan, region string) error {
	if err := plan.CheckApply(); err != nil {
		fmt.Fprintf(w, "This is a plan; nothing was changed. It cannot be applied as it is: %v\n", strings.TrimPrefix(err.Error(), "not applied, nothing was changed: "))
	} else {
		fmt.Fprintln(w, "This is a plan; nothing was changed. Run again with --apply to carry it out.")
	}
	fmt.Fprintln(w, "\nThe checker on the planned trust policy:")
	bad := WriteVerdicts(w, plan.Samples)
	fmt.Fprintln(w, "\nThe workflow, once applied:")
	WriteSnippet(w, plan.RoleARN, region)
	if bad > 0 {
		return ErrNotAsIntended
	}
	return nil
}

// checkLive reads the role back as IAM returns it now and prints the
// checker's verdicts on it: the sample runs, and each Allow's witness (a
// stranger's run made from its own patterns) that it admits.
func checkLive(ctx context.Context, env Env, iamc RoleReader, plan *Plan, o Options, region string) error {
	w := env.Stdout
	doc, arn, err := ReadRole(ctx, iamc, plan.RoleName)
	if err != nil {
		return fmt.Errorf("reading the role back: %w", err)
	}
	live, err := trust.Parse(doc)
	if err != nil {
		return fmt.Errorf("the live role's trust policy: %w", err)
	}
	samples := Evaluate(Samples(o, live), plan.Account, o.Issuer, nil, live)
	fmt.Fprintf(w, "\nThe checker on the live role %s:\n", arn)
	bad := WriteVerdicts(w, samples)
	for _, wit := range OutsideWitnesses(live, plan.Account, o) {
		fmt.Fprintf(w, "    ALLOWED   a run nobody named (a witness of the role's patterns): %s   <-- expected DENIED\n", wit)
		bad++
	}
	fmt.Fprintln(w, "\nIn the workflow:")
	WriteSnippet(w, arn, region)
	if bad > 0 {
		return fmt.Errorf("the live role decides %d sample run(s) otherwise than intended (marked above)", bad)
	}
	return nil
}

// lookupIDs fills in, from GitHub's API, the ids of every repository given
// without them (and the owner's id of OWNER/*), with GitHub's spelling of
// each name; it says where the ids came from. A repository GitHub knows
// under another name is an error (tokens carry the current name); a
// failed lookup leaves the ids unknown, and says so.
func lookupIDs(ctx context.Context, env Env, o *Options) (string, error) {
	repos := append([]trust.Repo{{Name: o.Repository, ID: o.RepositoryID, OwnerID: o.OwnerID}}, o.More...)
	apiURL, token := env.Getenv("GITHUB_API_URL"), env.Getenv("GITHUB_TOKEN")
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
			login, id, err := LookupOwner(ctx, env.HTTPClient, apiURL, token, r.Owner())
			switch {
			case err != nil:
				notes = append(notes, name+": owner id NOT known: the lookup failed: "+err.Error())
			default:
				r.Name, r.OwnerID = login+"/*", id
				notes = append(notes, fmt.Sprintf("%s: owner id from GitHub's API (%s)", r.Name, id))
			}
		default:
			note, err := lookupRepo(ctx, env.HTTPClient, apiURL, token, r, o.SubFormat)
			if err != nil {
				return "", err
			}
			notes = append(notes, note)
		}
	}
	o.Repository, o.RepositoryID, o.OwnerID, o.More = repos[0].Name, repos[0].ID, repos[0].OwnerID, repos[1:]
	if len(repos) == 1 {
		_, note, _ := strings.Cut(notes[0], ": ")
		return note, nil
	}
	return strings.Join(notes, "; "), nil
}

// lookupRepo fills in one repository's ids (and GitHub's spelling of its
// name) from GitHub's API, and says where they came from.
func lookupRepo(ctx context.Context, hc *http.Client, apiURL, token string, r *trust.Repo, subFormat string) (string, error) {
	name := r.Name
	repo, err := LookupRepo(ctx, hc, apiURL, token, r.Name)
	var notFound *RepoNotFound
	switch {
	case errors.As(err, &notFound) && subFormat != "legacy":
		// Not "accept legacy": a role for a name GitHub does not know may
		// be a role for a typo.
		return "", fmt.Errorf("--repository %s: %w", r.Name, err)
	case err != nil:
		return name + ": ids NOT known: the lookup failed: " + err.Error(), nil
	case repo.FullName != r.Name && strings.EqualFold(repo.FullName, r.Name):
		// sub and repository are compared case-sensitively: use GitHub's spelling.
		r.Name, r.ID, r.OwnerID = repo.FullName, repo.RepositoryID, repo.OwnerID
		return fmt.Sprintf("%s: ids from GitHub's API (repository %s, owner %s); GitHub spells it %s, which the policy uses (StringEquals is case-sensitive)", name, repo.RepositoryID, repo.OwnerID, repo.FullName), nil
	case repo.FullName != r.Name:
		return "", fmt.Errorf("--repository %s: GitHub answers for %s (renamed or transferred); tokens carry the current name: run setup with --repository %s", r.Name, repo.FullName, repo.FullName)
	}
	r.ID, r.OwnerID = repo.RepositoryID, repo.OwnerID
	return fmt.Sprintf("%s: ids from GitHub's API (repository %s, owner %s)", name, repo.RepositoryID, repo.OwnerID), nil
}
