package trust

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/org/aws-oidc-go/internal/arn"
	"github.com/org/aws-oidc-go/internal/inputs"
	"github.com/org/aws-oidc-go/internal/lazyre"
)

// Context is the run a policy is written for, or checked against.
type Context struct {
	Repository     string // OWNER/REPO
	Ref            string // refs/heads/main, refs/tags/v1
	Environment    string
	PullRequest    bool
	AnyRef         bool   // any ref, environment or event of the repository
	JobWorkflowRef string // OWNER/REPO/.github/workflows/X.yml@REF: its own condition key
}

// Subject derives the sub claim GitHub puts in the token with the default
// template: an environment wins, then pull requests, then the ref.
func Subject(c Context) string {
	var ctx string
	switch {
	case c.Environment != "":
		ctx = "environment:" + c.Environment
	case c.PullRequest:
		ctx = "pull_request"
	default:
		ctx = "ref:" + c.Ref
	}
	return "repo:" + c.Repository + ":" + ctx
}

// ImmutableSubject is the sub GitHub.com puts in tokens of repositories
// with the immutable subject: owner and repository carry their ids.
func ImmutableSubject(c Context, ownerID, repoID string) string {
	owner, repo, _ := strings.Cut(c.Repository, "/")
	return "repo:" + owner + "@" + ownerID + "/" + repo + "@" + repoID + strings.TrimPrefix(Subject(c), "repo:"+c.Repository)
}

var (
	repoRe      = lazyre.New(`^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$`)
	idRe        = lazyre.New(`^[1-9]\d{0,19}$`)
	httpsURLRe  = lazyre.New(`^https://[a-z0-9.-]+(:\d+)?(/[A-Za-z0-9_./-]*)?$`)
	errUsageRef = errors.New("choose at least one of --branch, --tag, --environment, --pull-request, or --any-ref alone")
)

// RunsFor are the runs named by branch, tag and environment names and a
// pull-request switch, in that order (a leading refs/heads/ or refs/tags/
// is allowed on a name).
func RunsFor(branches, tags, environments []string, pullRequest bool) []Context {
	var runs []Context
	for _, b := range branches {
		runs = append(runs, Context{Ref: "refs/heads/" + strings.TrimPrefix(b, "refs/heads/")})
	}
	for _, t := range tags {
		runs = append(runs, Context{Ref: "refs/tags/" + strings.TrimPrefix(t, "refs/tags/")})
	}
	for _, e := range environments {
		runs = append(runs, Context{Environment: e})
	}
	if pullRequest {
		runs = append(runs, Context{PullRequest: true})
	}
	return runs
}

// CheckIssuer refuses an issuer that is not an https URL in lower case.
func CheckIssuer(issuer string) error {
	if !httpsURLRe().MatchString(issuer) {
		return fmt.Errorf("--issuer %q: want an https URL in lower case such as %s", issuer, DefaultIssuer)
	}
	return nil
}

// CheckAudience refuses an audience IAM would not take as a client id or
// that could not be written in a policy or code as it is: 1-255
// characters of valid UTF-8, none of them a control character.
func CheckAudience(aud string) error {
	if aud == "" || len(aud) > 255 || !utf8.ValidString(aud) || strings.ContainsFunc(aud, unicode.IsControl) {
		return fmt.Errorf("--audience %q: want 1-255 printable characters (no control characters)", aud)
	}
	return nil
}

// ValidRefName reports whether a branch or tag name can be matched
// exactly: no control characters, spaces, wildcards or ~^:?*[\ (git
// refuses most of them in a ref name; * and ? would be literal in
// StringEquals and admit nothing).
func ValidRefName(name string) bool {
	return name != "" && !strings.ContainsFunc(name, func(r rune) bool {
		return r <= 0x20 || r == 0x7f || strings.ContainsRune("~^:?*[\\", r)
	})
}

// ValidEnvironment reports whether an environment name can be matched
// exactly: no control characters or wildcards, at most 255 characters.
func ValidEnvironment(name string) bool {
	return name != "" && len(name) <= 255 && !strings.ContainsFunc(name, func(r rune) bool {
		return r < 0x20 || r == 0x7f || r == '*' || r == '?'
	})
}

// nameError refuses a branch, tag or environment of c that cannot be
// matched exactly.
func (c Context) nameError() error {
	switch {
	case strings.HasPrefix(c.Ref, "refs/heads/") && !ValidRefName(strings.TrimPrefix(c.Ref, "refs/heads/")):
		return fmt.Errorf("--branch %q: not a branch name (no spaces, wildcards or ~^:?*[\\); to admit every branch use --any-ref", strings.TrimPrefix(c.Ref, "refs/heads/"))
	case strings.HasPrefix(c.Ref, "refs/tags/") && !ValidRefName(strings.TrimPrefix(c.Ref, "refs/tags/")):
		return fmt.Errorf("--tag %q: not a tag name (no spaces, wildcards or ~^:?*[\\)", strings.TrimPrefix(c.Ref, "refs/tags/"))
	case c.Environment != "" && !ValidEnvironment(c.Environment):
		return fmt.Errorf("--environment %q: not an environment name (printable, no wildcards, at most 255 characters)", c.Environment)
	}
	return nil
}

// Options are the inputs of the trust-policy generator.
type Options struct {
	AccountID string
	Partition string // default aws
	Issuer    string // default https://token.actions.githubusercontent.com
	Audience  string // default sts.amazonaws.com
	Context   Context
	// Also are further runs of the repository the policy admits: it admits
	// the union of Context and these. Each sets one of Ref, Environment or
	// PullRequest; Repository and JobWorkflowRef are Context's.
	Also []Context
	// RepositoryID and OwnerID pin the repository by id (rename-proof) and
	// allow the immutable subject.
	RepositoryID, OwnerID string
	// SubFormat: legacy, immutable or both; empty means both when the ids
	// are given, else legacy.
	SubFormat                              string
	Workflow, Actor, ActorID, EnterpriseID string
}

// Validate checks Options and fills defaults.
func (o *Options) Validate() error {
	var errs []error
	if !arn.IsAccountID(o.AccountID) {
		errs = append(errs, fmt.Errorf("--account-id %q: want a 12-digit AWS account id", o.AccountID))
	}
	if !repoRe().MatchString(o.Context.Repository) {
		errs = append(errs, fmt.Errorf("--repository %q: want OWNER/REPO", o.Context.Repository))
	}
	if o.Context.Ref == "" && o.Context.Environment == "" && !o.Context.PullRequest && !o.Context.AnyRef {
		errs = append(errs, errUsageRef)
	}
	for _, c := range o.Also {
		switch {
		case c.AnyRef || o.Context.AnyRef:
			errs = append(errs, errors.New("--any-ref admits every run of the repository already: give it alone"))
		case c.Ref == "" && c.Environment == "" && !c.PullRequest:
			errs = append(errs, errUsageRef)
		}
	}
	for _, c := range append([]Context{o.Context}, o.Also...) {
		if err := c.nameError(); err != nil {
			errs = append(errs, err)
		}
	}
	for flag, v := range map[string]string{"--repository-id": o.RepositoryID, "--owner-id": o.OwnerID, "--actor-id": o.ActorID, "--enterprise-id": o.EnterpriseID} {
		if v != "" && !idRe().MatchString(v) {
			errs = append(errs, fmt.Errorf("%s %q: want a numeric GitHub id", flag, v))
		}
	}
	if (o.RepositoryID == "") != (o.OwnerID == "") {
		errs = append(errs, errors.New("--repository-id and --owner-id go together (the immutable subject carries both; gh api repos/OWNER/REPO --jq '.id, .owner.id' prints them)"))
	}
	switch o.SubFormat {
	case "":
		o.SubFormat = "legacy"
		if o.RepositoryID != "" {
			o.SubFormat = "both"
		}
	case "legacy":
	case "immutable", "both":
		if o.RepositoryID == "" {
			errs = append(errs, fmt.Errorf("--sub-format %s needs --repository-id and --owner-id", o.SubFormat))
		}
	default:
		errs = append(errs, fmt.Errorf("--sub-format %q: want legacy, immutable or both", o.SubFormat))
	}
	if o.Issuer == "" {
		o.Issuer = DefaultIssuer
	}
	if err := CheckIssuer(o.Issuer); err != nil {
		errs = append(errs, err)
	}
	o.Issuer = strings.TrimRight(o.Issuer, "/")
	if o.Audience == "" {
		o.Audience = inputs.DefaultAudience
	}
	if err := CheckAudience(o.Audience); err != nil {
		errs = append(errs, err)
	}
	if o.Partition == "" {
		o.Partition = "aws"
	}
	if ProviderOf(o.Issuer) != GitHubProvider && (o.Workflow != "" || o.Actor != "" || o.ActorID != "" || o.EnterpriseID != "" || o.Context.JobWorkflowRef != "" || o.RepositoryID != "") {
		errs = append(errs, fmt.Errorf("--issuer %s: AWS documents the claim keys beyond aud and sub for %s only; for this issuer the policy can test sub and aud (drop --repository-id, --workflow, --actor, --actor-id, --enterprise-id, --job-workflow-ref)", o.Issuer, GitHubProvider))
	}
	return errors.Join(errs...)
}

// ProviderARN is the IAM OIDC provider's ARN for the options.
func (o Options) ProviderARN() string {
	return fmt.Sprintf("arn:%s:iam::%s:oidc-provider/%s", o.Partition, o.AccountID, ProviderOf(o.Issuer))
}

// Runs returns the runs the policy admits: Context, then Also, each with
// Context's Repository and JobWorkflowRef, without repeats.
func (o Options) Runs() []Context {
	out := []Context{o.Context}
	for _, c := range o.Also {
		c.Repository, c.JobWorkflowRef = o.Context.Repository, o.Context.JobWorkflowRef
		if !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	return out
}

// subjects are the sub values the policy accepts, and whether they are
// patterns (StringLike).
func (o Options) subjects() ([]string, bool) {
	c := o.Context
	if c.AnyRef {
		owner, repo, _ := strings.Cut(c.Repository, "/")
		legacy := "repo:" + c.Repository + ":*"
		immutable := "repo:" + owner + "@" + o.OwnerID + "/" + repo + "@" + o.RepositoryID + ":*"
		switch o.SubFormat {
		case "immutable":
			return []string{immutable}, true
		case "both":
			return []string{legacy, immutable}, true
		}
		return []string{legacy}, true
	}
	var legacy, immutable []string
	for _, r := range o.Runs() {
		legacy = append(legacy, Subject(r))
		if o.RepositoryID != "" {
			immutable = append(immutable, ImmutableSubject(r, o.OwnerID, o.RepositoryID))
		}
	}
	switch o.SubFormat {
	case "immutable":
		return immutable, false
	case "both":
		return append(legacy, immutable...), false
	}
	return legacy, false
}

// environments are the environments the policy pins with the environment
// key: every run's when all runs are jobs with an environment, else none
// (a branch run carries no environment claim, and the sub pins each
// environment anyway).
func (o Options) environments() []string {
	var envs []string
	for _, r := range o.Runs() {
		if r.Environment == "" {
			return nil
		}
		envs = append(envs, r.Environment)
	}
	return envs
}

// Generate returns the tightest trust policy the options allow (JSON,
// indented, with a final newline).
func Generate(o Options) ([]byte, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	provider := ProviderOf(o.Issuer)
	equals := map[string]any{provider + ":aud": o.Audience}
	cond := map[string]map[string]any{"StringEquals": equals}
	subs, like := o.subjects()
	var sub any = subs
	if len(subs) == 1 {
		sub = subs[0]
	}
	if like {
		cond["StringLike"] = map[string]any{provider + ":sub": sub}
	} else {
		equals[provider+":sub"] = sub
	}
	switch envs := o.environments(); len(envs) {
	case 0:
	case 1:
		equals[provider+":environment"] = envs[0]
	default:
		equals[provider+":environment"] = envs
	}
	for claim, v := range map[string]string{
		"repository_id": o.RepositoryID, "job_workflow_ref": o.Context.JobWorkflowRef,
		"workflow": o.Workflow, "actor": o.Actor, "actor_id": o.ActorID, "enterprise_id": o.EnterpriseID,
	} {
		if v != "" {
			equals[provider+":"+claim] = v
		}
	}
	type statement struct {
		Sid       string
		Effect    string
		Principal map[string]string
		Action    string
		Condition map[string]map[string]any
	}
	doc := struct {
		Version   string
		Statement []statement
	}{"2012-10-17", []statement{{
		Sid:       "GitHubActionsOIDC",
		Effect:    "Allow",
		Principal: map[string]string{"Federated": o.ProviderARN()},
		Action:    WebIdentityAction,
		Condition: cond,
	}}}
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// Summary says in one line what the generated policy pins and what it
// leaves open.
func (o Options) Summary() string {
	_ = o.Validate() // defaults; Generate reports the errors
	var pins, open []string
	pins = append(pins, "aud "+o.Audience)
	if o.RepositoryID != "" {
		pins = append(pins, "repository_id "+o.RepositoryID)
	} else {
		open = append(open, "the repository's id (a rename or a recycled name could match: add --repository-id and --owner-id)")
	}
	subs, like := o.subjects()
	what := "sub"
	if like {
		what = "sub (any ref, environment or event of the repository)"
	}
	switch o.SubFormat {
	case "both":
		what += " in both the legacy and the immutable form"
	case "immutable":
		what += " in the immutable form only"
	default:
		what += " in the legacy form only"
		if o.RepositoryID == "" {
			open = append(open, "the immutable subject (repositories created since July 2026 emit it)")
		}
	}
	pins = append(pins, fmt.Sprintf("%s %s", what, strings.Join(subs, " | ")))
	if envs := o.environments(); len(envs) > 0 {
		pins = append(pins, "environment "+strings.Join(envs, " | "))
	}
	for _, kv := range [][2]string{{"job_workflow_ref", o.Context.JobWorkflowRef}, {"workflow", o.Workflow}, {"actor", o.Actor}, {"actor_id", o.ActorID}, {"enterprise_id", o.EnterpriseID}} {
		if kv[1] != "" {
			pins = append(pins, kv[0]+" "+kv[1])
		} else if ProviderOf(o.Issuer) == GitHubProvider && kv[0] != "enterprise_id" {
			open = append(open, kv[0])
		}
	}
	line := "# pins: " + strings.Join(pins, "; ")
	if len(open) > 0 {
		line += "; leaves open: " + strings.Join(open, ", ")
	}
	return line
}

// ProviderCommand is the AWS CLI command that creates the OIDC provider.
func ProviderCommand(issuer, audience string) string {
	if issuer == "" {
		issuer = DefaultIssuer
	}
	if audience == "" {
		audience = inputs.DefaultAudience
	}
	return fmt.Sprintf("aws iam create-open-id-connect-provider --url %s --client-id-list %s", strings.TrimRight(issuer, "/"), audience)
}
