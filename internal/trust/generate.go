package trust

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/org/aws-oidc-go/internal/arn"
	"github.com/org/aws-oidc-go/internal/inputs"
	"github.com/org/aws-oidc-go/internal/lazyre"
	"github.com/org/aws-oidc-go/internal/runner"
)

var (
	repoRe      = lazyre.New(`^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$`)
	idRe        = lazyre.New(`^[1-9]\d{0,19}$`)
	httpsURLRe  = lazyre.New(`^https://[a-z0-9.-]+(:\d+)?(/[A-Za-z0-9_./-]*)?$`)
	errUsageRef = errors.New("choose at least one of --branch, --tag, --environment, --pull-request, or --any-ref alone")
)

// RunsFor are the runs named by branch, tag and environment names and a
// pull-request switch, in that order (a leading refs/heads/ or refs/tags/
// is allowed on a name).
func RunsFor(branches, tags, environments []string, pullRequest bool) []Run {
	var runs []Run
	for _, b := range branches {
		runs = append(runs, Run{Ref: "refs/heads/" + strings.TrimPrefix(b, "refs/heads/")})
	}
	for _, t := range tags {
		runs = append(runs, Run{Ref: "refs/tags/" + strings.TrimPrefix(t, "refs/tags/")})
	}
	for _, e := range environments {
		runs = append(runs, Run{Environment: e})
	}
	if pullRequest {
		runs = append(runs, Run{EventName: "pull_request"})
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
// exactly: valid UTF-8, no control characters (C0, DEL, C1), spaces,
// wildcards or ~^:?*[\ (git refuses most of them in a ref name; * and ?
// would be wildcards where a name meets StringLike). $ { } are allowed:
// the generator escapes them (Escape).
func ValidRefName(name string) bool {
	return name != "" && len(name) <= MaxFactBytes && utf8.ValidString(name) && !strings.ContainsFunc(name, func(r rune) bool {
		return r == ' ' || unicode.IsControl(r) || strings.ContainsRune("~^:?*[\\", r)
	})
}

// ValidEnvironment reports whether an environment name can be matched
// exactly: valid UTF-8, no control characters (C0, DEL, C1) or
// wildcards, at most 255 characters.
func ValidEnvironment(name string) bool {
	return name != "" && len(name) <= 255 && utf8.ValidString(name) && !strings.ContainsFunc(name, func(r rune) bool {
		return unicode.IsControl(r) || r == '*' || r == '?'
	})
}

// CheckName refuses a value given with flag that is to go into a
// condition as it is (a workflow name, an actor, a job workflow ref): it
// must be 1 to MaxFactBytes bytes of valid UTF-8 without control
// characters (C0, DEL, C1). What it may hold beyond that ($ { } * ?) is
// escaped by the generator, so it means itself to IAM. The value is
// quoted with runner.Visible: it may be anything.
func CheckName(flag, v string) error {
	switch {
	case v == "":
		return fmt.Errorf("%s is empty", flag)
	case len(v) > MaxFactBytes:
		return fmt.Errorf("%s is %d bytes long; at most %d are allowed", flag, len(v), MaxFactBytes)
	case !utf8.ValidString(v):
		return fmt.Errorf("%s %s is not valid UTF-8: a name is text (UTF-8 without control characters)", flag, quote(v))
	case strings.ContainsFunc(v, unicode.IsControl):
		return fmt.Errorf("%s %s holds a control character (U+0000-U+001F, U+007F-U+009F): a name is printable text", flag, quote(v))
	}
	return nil
}

// quote is v quoted for a message, on one line whatever it holds.
func quote(v string) string { return runner.Visible(strconv.Quote(v)) }

// nameError refuses a branch, tag or environment of c that cannot be
// matched exactly.
func (c Run) nameError() error {
	switch {
	case strings.HasPrefix(c.Ref, "refs/heads/") && !ValidRefName(strings.TrimPrefix(c.Ref, "refs/heads/")):
		return RefNameError("--branch", strings.TrimPrefix(c.Ref, "refs/heads/"))
	case strings.HasPrefix(c.Ref, "refs/tags/") && !ValidRefName(strings.TrimPrefix(c.Ref, "refs/tags/")):
		return RefNameError("--tag", strings.TrimPrefix(c.Ref, "refs/tags/"))
	case c.Environment != "" && !ValidEnvironment(c.Environment):
		return EnvironmentError(c.Environment)
	}
	return nil
}

// RefNameError is the refusal of a branch or tag name (flag --branch or
// --tag) that ValidRefName refuses.
func RefNameError(flag, name string) error {
	what := "a branch"
	if flag == "--tag" {
		what = "a tag"
	}
	var hint string
	if flag == "--branch" {
		hint = "; to admit every branch use --any-ref"
	}
	return fmt.Errorf("%s %s: not %s name: want valid UTF-8 without control characters, spaces, wildcards or ~^:?*[\\ ($ { } are fine: they are escaped)%s", flag, quote(name), what, hint)
}

// EnvironmentError is the refusal of an environment name ValidEnvironment
// refuses.
func EnvironmentError(name string) error {
	return fmt.Errorf("--environment %s: not an environment name: want 1-255 bytes of valid UTF-8 without control characters or the wildcards * ? ($ { } are fine: they are escaped)", quote(name))
}

// Options are the inputs of the trust-policy generator: a spec of what a
// role admits — the runs named (Run and Also, each a Run), or every run of
// the repository (AnyRef), in one repository or several or a whole owner,
// in which sub forms — not a run itself.
type Options struct {
	AccountID string
	Partition string // default aws
	Issuer    string // default https://token.actions.githubusercontent.com
	Audience  string // default sts.amazonaws.com
	// Run is the first run of the repository the policy admits (its
	// Repository and JobWorkflowRef are every run's), unless AnyRef.
	Run Run
	// Also are further runs of the repository the policy admits: it admits
	// the union of Run and these. Each sets one of Ref, Environment or
	// EventName pull_request; Repository and JobWorkflowRef are Run's.
	Also []Run
	// AnyRef admits any ref, environment or event of the repository (Run
	// names the repository only; Also is empty).
	AnyRef bool
	// RepositoryID and OwnerID pin the repository by id (rename-proof) and
	// allow the immutable subject.
	RepositoryID, OwnerID string
	// SubFormat: legacy, immutable or both; empty means both when the ids
	// are given, else legacy.
	SubFormat                              string
	Workflow, Actor, ActorID, EnterpriseID string
	// More are further repositories (OWNER/REPO, or OWNER/* for every
	// repository of an owner), each admitted for the same runs in a
	// statement of its own that pairs its sub with its own id.
	// Run.Repository with RepositoryID and OwnerID is the first.
	More []Repo
	// Quota is the role trust policy length IAM allows the account, in
	// characters without white space; 0 means DefaultQuota. A longer
	// policy is refused.
	Quota int
}

// Validate checks Options and fills defaults.
func (o *Options) Validate() error {
	var errs []error
	if !arn.IsAccountID(o.AccountID) {
		errs = append(errs, fmt.Errorf("--account-id %q: want a 12-digit AWS account id", o.AccountID))
	}
	if o.Run.Ref == "" && o.Run.Environment == "" && !o.Run.PullRequest() && !o.AnyRef {
		errs = append(errs, errUsageRef)
	}
	for _, c := range o.Also {
		switch {
		case o.AnyRef:
			errs = append(errs, errors.New("--any-ref admits every run of the repository already: give it alone"))
		case c.Ref == "" && c.Environment == "" && !c.PullRequest():
			errs = append(errs, errUsageRef)
		}
	}
	for _, c := range append([]Run{o.Run}, o.Also...) {
		if err := c.nameError(); err != nil {
			errs = append(errs, err)
		}
	}
	for _, v := range [...]struct{ flag, v string }{{"--workflow", o.Workflow}, {"--actor", o.Actor}, {"--job-workflow-ref", o.Run.JobWorkflowRef}} {
		if v.v != "" {
			if err := CheckName(v.flag, v.v); err != nil {
				errs = append(errs, err)
			}
		}
	}
	for flag, v := range map[string]string{"--actor-id": o.ActorID, "--enterprise-id": o.EnterpriseID} {
		if v != "" && !idRe().MatchString(v) {
			errs = append(errs, fmt.Errorf("%s %q: want a numeric GitHub id", flag, v))
		}
	}
	errs = append(errs, o.validateRepos()...)
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
	anyID := false
	for _, r := range o.repos() {
		anyID = anyID || r.ID != "" || r.OwnerID != ""
	}
	if ProviderOf(o.Issuer) != GitHubProvider && (o.Workflow != "" || o.Actor != "" || o.ActorID != "" || o.EnterpriseID != "" || o.Run.JobWorkflowRef != "" || anyID) {
		errs = append(errs, fmt.Errorf("--issuer %s: AWS documents the claim keys beyond aud and sub for %s only; for this issuer the policy can test sub and aud (drop --repository-id, --workflow, --actor, --actor-id, --enterprise-id, --job-workflow-ref)", o.Issuer, GitHubProvider))
	}
	return errors.Join(errs...)
}

// ProviderARN is the IAM OIDC provider's ARN for the options.
func (o Options) ProviderARN() string {
	return fmt.Sprintf("arn:%s:iam::%s:oidc-provider/%s", o.Partition, o.AccountID, ProviderOf(o.Issuer))
}

// Runs returns the runs the policy admits: Run, then Also, each with
// Run's Repository and JobWorkflowRef, without repeats.
func (o Options) Runs() []Run {
	out := []Run{o.Run}
	for _, c := range o.Also {
		c.Repository, c.JobWorkflowRef = o.Run.Repository, o.Run.JobWorkflowRef
		if !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	return out
}

// A pattern is a condition value made of names: its parts are literal
// text, and between two parts (in a StringLike value) stands a wildcard
// *. Its value in the policy escapes each part (Escape); its String is
// what it admits in words, for a person.
type pattern []string

func (p pattern) value(like bool) string {
	parts := make([]string, len(p))
	for i, s := range p {
		parts[i] = Escape(s, like)
	}
	return strings.Join(parts, "*")
}

func (p pattern) String() string { return runner.Visible(strings.Join(p, "*")) }

// subjects are the sub values the policy accepts, and whether they are
// patterns (StringLike).
func (o Options) subjects() ([]pattern, bool) {
	c := o.Run
	if o.AnyRef {
		owner, repo, _ := strings.Cut(c.Repository, "/")
		legacy := pattern{"repo:" + c.Repository + ":", ""}
		immutable := pattern{"repo:" + owner + "@" + o.OwnerID + "/" + repo + "@" + o.RepositoryID + ":", ""}
		switch o.SubFormat {
		case "immutable":
			return []pattern{immutable}, true
		case "both":
			return []pattern{legacy, immutable}, true
		}
		return []pattern{legacy}, true
	}
	var legacy, immutable []pattern
	for _, r := range o.Runs() {
		legacy = append(legacy, pattern{Subject(r)})
		if o.RepositoryID != "" {
			immutable = append(immutable, pattern{ImmutableSubject(r, o.OwnerID, o.RepositoryID)})
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
	// Every value is escaped (Escape): a name means itself to IAM, never
	// a policy variable or (in StringLike) a wildcard.
	b, err := o.marshal()
	if err != nil {
		return nil, err
	}
	if n := policyChars(b); n > o.quota() {
		return nil, quotaError(o, n)
	}
	return b, nil
}

// oneOrList is a condition value: one string alone, several as a list.
func oneOrList(v []string) any {
	if len(v) == 1 {
		return v[0]
	}
	return v
}

// Summary says in one line what the generated policy pins and what it
// leaves open.
func (o Options) Summary() string {
	_ = o.Validate() // defaults; Generate reports the errors
	var pins, open []string
	pins = append(pins, "aud "+runner.Visible(o.Audience))
	repos := o.repos()
	for _, r := range repos {
		one := o
		one.Run.Repository, one.RepositoryID, one.OwnerID, one.More = r.Name, r.ID, r.OwnerID, nil
		p, op := one.repoSummary(len(repos) > 1)
		pins, open = append(pins, p...), appendNew(open, op...)
	}
	for _, kv := range [][2]string{{"job_workflow_ref", o.Run.JobWorkflowRef}, {"workflow", o.Workflow}, {"actor", o.Actor}, {"actor_id", o.ActorID}, {"enterprise_id", o.EnterpriseID}} {
		if kv[1] != "" {
			pins = append(pins, kv[0]+" "+runner.Visible(kv[1]))
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

func appendNew(list []string, v ...string) []string {
	for _, s := range v {
		if !slices.Contains(list, s) {
			list = append(list, s)
		}
	}
	return list
}

// repoSummary is what the statements of one repository pin and leave
// open; named says the repository's name goes in front (several).
func (o Options) repoSummary(named bool) (pins, open []string) {
	if strings.HasSuffix(o.Run.Repository, "/*") {
		owner := strings.TrimSuffix(o.Run.Repository, "/*")
		refs, pulls, envs, _, names := o.ownerSubjects()
		plain := append(refs, pulls...)
		var subs []string
		for _, p := range append(plain, envs...) {
			subs = append(subs, p.String())
		}
		what := fmt.Sprintf("every repository of %s, those created later too: sub in the immutable form only (owner id %s)", owner, o.OwnerID)
		if o.SubFormat == "legacy" {
			what = fmt.Sprintf("every repository of %s, those created later too: sub in the legacy form only (WARNING: no owner id: whoever registers the name %s after a rename or deletion is admitted too)", owner, owner)
		}
		pins = append(pins, what+" "+strings.Join(subs, " | "))
		if len(plain) > 0 && len(envs) > 0 {
			pins = append(pins, "no environment for the runs without one")
		}
		if len(refs) > 0 {
			pins = append(pins, "the ref of each branch and tag run")
		}
		if len(pulls) > 0 {
			pins = append(pins, "a pull request's ref (refs/pull/…) for pull requests")
		}
		if len(envs) > 0 {
			pins = append(pins, "environment "+runner.Visible(strings.Join(names, " | ")))
		}
		return pins, nil
	}
	prefix := ""
	if named {
		prefix = "repository " + o.Run.Repository + ": "
	}
	if o.RepositoryID != "" {
		pins = append(pins, prefix+"repository_id "+o.RepositoryID)
		prefix = ""
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
	names := make([]string, len(subs))
	for i, p := range subs {
		names[i] = p.String()
	}
	pins = append(pins, fmt.Sprintf("%s%s %s", prefix, what, strings.Join(names, " | ")))
	if envs := o.environments(); len(envs) > 0 {
		pins = append(pins, "environment "+runner.Visible(strings.Join(envs, " | ")))
	}
	return pins, open
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
