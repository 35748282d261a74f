// Package setup does the one-time AWS side of GitHub's OIDC federation: the
// IAM OIDC identity provider with the audience as a client id, and a role
// whose trust policy admits exactly the runs asked for. It reads IAM first
// and makes a Plan (what would change, and for an existing role's trust
// policy which sample runs it would gain and lose); Apply carries out that
// plan and nothing else. Reading, planning and rendering need no write
// permission; nothing here reads the process environment.
package setup

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/org/aws-oidc-go/internal/arn"
	"github.com/org/aws-oidc-go/internal/inputs"
	"github.com/org/aws-oidc-go/internal/lazyre"
	"github.com/org/aws-oidc-go/internal/runner"
	"github.com/org/aws-oidc-go/internal/trust"
)

// IAM is the part of the IAM API setup calls; *iam.Client is one.
type IAM interface {
	GetOpenIDConnectProvider(context.Context, *iam.GetOpenIDConnectProviderInput, ...func(*iam.Options)) (*iam.GetOpenIDConnectProviderOutput, error)
	CreateOpenIDConnectProvider(context.Context, *iam.CreateOpenIDConnectProviderInput, ...func(*iam.Options)) (*iam.CreateOpenIDConnectProviderOutput, error)
	AddClientIDToOpenIDConnectProvider(context.Context, *iam.AddClientIDToOpenIDConnectProviderInput, ...func(*iam.Options)) (*iam.AddClientIDToOpenIDConnectProviderOutput, error)
	RoleReader
	CreateRole(context.Context, *iam.CreateRoleInput, ...func(*iam.Options)) (*iam.CreateRoleOutput, error)
	UpdateAssumeRolePolicy(context.Context, *iam.UpdateAssumeRolePolicyInput, ...func(*iam.Options)) (*iam.UpdateAssumeRolePolicyOutput, error)
	UpdateRole(context.Context, *iam.UpdateRoleInput, ...func(*iam.Options)) (*iam.UpdateRoleOutput, error)
	ListAttachedRolePolicies(context.Context, *iam.ListAttachedRolePoliciesInput, ...func(*iam.Options)) (*iam.ListAttachedRolePoliciesOutput, error)
	AttachRolePolicy(context.Context, *iam.AttachRolePolicyInput, ...func(*iam.Options)) (*iam.AttachRolePolicyOutput, error)
	// Read while planning: each --policy-arn, and an existing role's
	// inline policies.
	GetPolicy(context.Context, *iam.GetPolicyInput, ...func(*iam.Options)) (*iam.GetPolicyOutput, error)
	ListRolePolicies(context.Context, *iam.ListRolePoliciesInput, ...func(*iam.Options)) (*iam.ListRolePoliciesOutput, error)
}

// RoleReader reads one role; all trust-policy check --role needs.
type RoleReader interface {
	GetRole(context.Context, *iam.GetRoleInput, ...func(*iam.Options)) (*iam.GetRoleOutput, error)
}

// Caller answers who is calling (the account the provider and role go in).
type Caller interface {
	GetCallerIdentity(context.Context, *sts.GetCallerIdentityInput, ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error)
}

// Options are what setup is asked to do: a spec of the role and the runs
// it admits (trust.RunsFor makes them trust.Runs), not a run itself.
type Options struct {
	Repository string // OWNER/REPO, or OWNER/* for every repository of the owner
	// More are further repositories the role admits the same runs of,
	// each in a statement of its own (trust.Options.More); Repository with
	// RepositoryID and OwnerID is the first.
	More []trust.Repo
	// What the role admits (a union): branches, tags, environments, pull
	// requests. At least one.
	Branches, Tags, Environments []string
	PullRequest                  bool
	RoleName                     string // default DefaultRoleName(Repository)
	PolicyARNs                   []string
	// MaxSessionDuration in seconds (3600-43200); 0 leaves an existing
	// role's as it is (a new role gets IAM's default, 3600).
	MaxSessionDuration int32
	// RepositoryID and OwnerID pin the repository and admit the immutable
	// subject; see IDs for how they are found.
	RepositoryID, OwnerID string
	// SubFormat as for the generator; "legacy" given explicitly is the only
	// way to apply a policy without the ids.
	SubFormat        string
	Audience, Issuer string
	// ReplaceTrustPolicy allows Apply to change an existing role's trust
	// policy.
	ReplaceTrustPolicy bool
	// Quota is the account's role trust policy length quota (characters
	// without white space); 0 means IAM's default, trust.DefaultQuota.
	Quota int
}

// The patterns are compiled on first use, not at process start: this
// package is linked into the action, whose cold start must not pay for it.
var (
	roleNameRe = lazyre.New(`^[\w+=,.@-]{1,64}$`)
	nameRe     = lazyre.New(`^[A-Za-z0-9_./-]+$`)
	roleCharRe = lazyre.New(`[^\w+=,.@-]`)
)

// DefaultRoleName is the role name setup uses when none is given:
// github-actions-OWNER-REPO, clipped to IAM's 64 characters.
func DefaultRoleName(repo string) string {
	n := "github-actions-" + strings.ReplaceAll(repo, "/", "-")
	n = roleCharRe().ReplaceAllString(n, "-")
	if len(n) > 64 {
		n = n[:64]
	}
	return n
}

// Validate checks the options (every problem at once) and fills defaults.
func (o *Options) Validate() error {
	var errs []error
	seen := map[string]bool{}
	for _, r := range o.repos() {
		owner, _, _ := strings.Cut(r.Name, "/")
		switch {
		case r.OwnerWide() && (owner == "" || !nameRe().MatchString(owner) || strings.Contains(owner, "/")),
			!r.OwnerWide() && (!nameRe().MatchString(r.Name) || strings.Count(r.Name, "/") != 1):
			errs = append(errs, fmt.Errorf("--repository %q: want OWNER/REPO, OWNER/* (every repository of the owner), or either with its ids: OWNER@OWNER_ID/REPO@REPO_ID, OWNER@OWNER_ID/*", r.Name))
		case seen[strings.ToLower(r.Name)]:
			errs = append(errs, fmt.Errorf("--repository %s: given twice", r.Name))
		case r.OwnerWide() && r.ID != "":
			errs = append(errs, fmt.Errorf("--repository %s: every repository of the owner has no one repository id; give the owner's id only", r.Name))
		}
		seen[strings.ToLower(r.Name)] = true
	}
	if len(o.Branches)+len(o.Tags)+len(o.Environments) == 0 && !o.PullRequest {
		errs = append(errs, errors.New("say which runs the role admits: --branch, --tag, --environment (each repeatable) and/or --pull-request"))
	}
	// The names go into the policy escaped (trust.Escape); what cannot be
	// matched exactly is refused, naming the flag.
	for _, b := range o.Branches {
		if !trust.ValidRefName(strings.TrimPrefix(b, "refs/heads/")) {
			errs = append(errs, trust.RefNameError("--branch", b))
		}
	}
	for _, t := range o.Tags {
		if !trust.ValidRefName(strings.TrimPrefix(t, "refs/tags/")) {
			errs = append(errs, trust.RefNameError("--tag", t))
		}
	}
	for _, e := range o.Environments {
		if !trust.ValidEnvironment(e) {
			errs = append(errs, trust.EnvironmentError(e))
		}
	}
	switch {
	case o.RoleName != "" || o.Repository == "":
	case len(o.More) > 0:
		errs = append(errs, errors.New("--role-name is required with several repositories (the default name is one repository's, and its role may exist for that repository alone)"))
	case strings.HasSuffix(o.Repository, "/*"):
		o.RoleName = DefaultRoleName(strings.TrimSuffix(o.Repository, "/*") + "/all-repositories")
	default:
		o.RoleName = DefaultRoleName(o.Repository)
	}
	if !roleNameRe().MatchString(o.RoleName) && (o.RoleName != "" || len(o.More) == 0) {
		errs = append(errs, fmt.Errorf("--role-name %q: IAM allows 1-64 of letters, digits and +=,.@_-", o.RoleName))
	}
	for _, a := range o.PolicyARNs {
		if pa, ok := arn.Parse(a); !ok || !pa.IsManagedPolicy() {
			errs = append(errs, fmt.Errorf("--policy-arn %q: want a managed policy ARN such as arn:aws:iam::aws:policy/ReadOnlyAccess", a))
		}
	}
	if o.MaxSessionDuration != 0 && (o.MaxSessionDuration < 3600 || o.MaxSessionDuration > 43200) {
		errs = append(errs, fmt.Errorf("--max-session-duration %d: IAM allows 3600 to 43200 seconds", o.MaxSessionDuration))
	}
	switch o.SubFormat {
	case "", "legacy", "immutable", "both": // immutable and both need the ids, which may come from GitHub's API
	default:
		errs = append(errs, fmt.Errorf("--sub-format %q: want legacy, immutable or both", o.SubFormat))
	}
	for flag, v := range map[string]string{"--repository-id": o.RepositoryID, "--owner-id": o.OwnerID} {
		if v != "" && (strings.TrimLeft(v, "0123456789") != "" || v[0] == '0' || len(v) > 20) {
			errs = append(errs, fmt.Errorf("%s %q: want a numeric GitHub id", flag, v))
		}
	}
	if o.Issuer == "" {
		o.Issuer = trust.DefaultIssuer
	}
	if err := trust.CheckIssuer(o.Issuer); err != nil {
		errs = append(errs, err)
	}
	o.Issuer = strings.TrimRight(o.Issuer, "/")
	if o.Audience == "" {
		o.Audience = inputs.DefaultAudience
	}
	if err := trust.CheckAudience(o.Audience); err != nil {
		errs = append(errs, err)
	}
	for _, r := range o.repos() {
		if r.OwnerWide() && o.Issuer != trust.DefaultIssuer && o.SubFormat != "legacy" {
			errs = append(errs, fmt.Errorf("--repository %s with --issuer %s: this issuer has no immutable subject, so every repository of the owner can only be matched by name (repo:%s/*:…), which admits whoever registers that name again; give --sub-format legacy to accept that", r.Name, o.Issuer, r.Owner()))
		}
	}
	return errors.Join(errs...)
}

// TrustOptions are the generator's options for these setup options in an
// account and partition.
func (o Options) TrustOptions(account, partition string) trust.Options {
	t := trust.Options{AccountID: account, Partition: partition, Issuer: o.Issuer, Audience: o.Audience,
		RepositoryID: o.RepositoryID, OwnerID: o.OwnerID, SubFormat: o.SubFormat, Quota: o.Quota}
	runs := trust.RunsFor(o.Branches, o.Tags, o.Environments, o.PullRequest)
	if len(runs) > 0 {
		t.Run, t.Also = runs[0], runs[1:]
	}
	t.Run.Repository = o.Repository
	t.More = slices.Clone(o.More)
	return t
}

// Kind is what a planned step does.
type Kind string

// The steps a plan can hold, in the order Apply carries them out.
const (
	CreateProvider  Kind = "create-provider"
	AddClientID     Kind = "add-client-id"
	CreateRole      Kind = "create-role"
	UpdateTrust     Kind = "update-trust-policy"
	SetMaxSession   Kind = "set-max-session-duration"
	AttachPolicy    Kind = "attach-policy"
	callCreateProv       = "CreateOpenIDConnectProvider"
	callAddClientID      = "AddClientIDToOpenIDConnectProvider"
)

// Step is one change the plan makes, with the IAM call that makes it.
type Step struct {
	Kind    Kind   `json:"kind"`
	Call    string `json:"call"` // the IAM API action
	Summary string `json:"summary"`
	Policy  string `json:"policy_arn,omitempty"`
}

// Plan is what setup found and what it would change.
type Plan struct {
	Account     string   `json:"account"`
	Partition   string   `json:"partition"`
	Caller      string   `json:"caller"`
	ProviderARN string   `json:"provider_arn"`
	ProviderURL string   `json:"provider_url"`
	Audience    string   `json:"audience"`
	ClientIDs   []string `json:"existing_client_ids,omitempty"` // the provider's, when it exists
	RoleName    string   `json:"role_name"`
	RoleARN     string   `json:"role_arn"`
	RoleExists  bool     `json:"role_exists"`
	// RolePath, PermissionsBoundary and RoleDescription are an existing
	// role's, kept as they are (the infrastructure code must not drop
	// them: a changed path replaces the role, a dropped boundary loosens it).
	RolePath            string `json:"role_path,omitempty"`
	PermissionsBoundary string `json:"permissions_boundary,omitempty"`
	RoleDescription     string `json:"role_description,omitempty"`
	// RoleTags and ProviderTags are what exists, kept by the
	// infrastructure code (an import that omits them plans to delete them).
	RoleTags     map[string]string `json:"role_tags,omitempty"`
	ProviderTags map[string]string `json:"provider_tags,omitempty"`
	// OldTrust is the existing role's trust policy (indented); NewTrust the
	// one setup writes: its own statement plus every statement of the old
	// one that is not an Allow for this provider, kept as it was.
	OldTrust    string `json:"old_trust_policy,omitempty"`
	NewTrust    string `json:"trust_policy"`
	TrustDiffer bool   `json:"trust_policy_differs"`
	// Samples are the runs both policies are evaluated over.
	Samples            []Sample `json:"samples"`
	Attached           []string `json:"attached_policies,omitempty"` // already attached
	OldMaxSession      int32    `json:"old_max_session_duration,omitempty"`
	MaxSession         int32    `json:"max_session_duration,omitempty"`
	Steps              []Step   `json:"steps"`
	Warnings           []string `json:"warnings,omitempty"`
	IDs                string   `json:"ids"` // where the repository ids came from
	ReplaceTrustPolicy bool     `json:"-"`
	LegacyOnly         bool     `json:"legacy_only"` // the policy admits the legacy sub only
	LegacyChosen       bool     `json:"-"`           // and that was asked for (--sub-format legacy)

	// MissingPolicies are the --policy-arn IAM does not know (GetPolicy:
	// NoSuchEntity); TrustChars is the trust policy's size without white
	// space, which IAM's quota counts. Both refuse the apply.
	MissingPolicies []string `json:"missing_policies,omitempty"`
	TrustChars      int      `json:"trust_policy_chars"`
	TrustQuota      int      `json:"trust_policy_quota"`
	// An existing role's principals (Allow statements), inline policies
	// and why it is not one setup made for this repository alone (see
	// adopt.go); AdoptRole (--adopt-role) lets Apply write to it anyway.
	TrustedPrincipals []string `json:"trusted_principals,omitempty"`
	InlinePolicies    []string `json:"inline_policies,omitempty"`
	NotMadeFor        []string `json:"not_made_for_this_repository,omitempty"`
	AdoptRole         bool     `json:"-"`
	// CaseVariants are spellings of the repository's name the current
	// trust policy admits that differ from --repository only in case;
	// SpellingConfirmed (GitHub's answer, or --confirm-spelling) says the
	// name as given is GitHub's. sub is compared case-sensitively and
	// tokens carry GitHub's spelling, so without it a change is refused.
	CaseVariants      []string `json:"case_variants,omitempty"`
	SpellingConfirmed bool     `json:"-"`
	// Witnesses the planned policy admits that are no run asked for
	// (OutsideWitnesses); they refuse the apply.
	Witnesses []string `json:"witnesses_admitted,omitempty"`

	trustOpts trust.Options
	kept      []Sample // what split statements keep for others (Apply's gate checks them too)
	policies  []string // to attach
	opts      Options
}

// Empty reports a plan with nothing to do.
func (p *Plan) Empty() bool { return len(p.Steps) == 0 }

// Has reports whether the plan holds a step of kind k.
func (p *Plan) Has(k Kind) bool {
	return slices.ContainsFunc(p.Steps, func(s Step) bool { return s.Kind == k })
}

// MakePlan reads the account, the provider and the role, and plans what
// setup would change. It changes nothing. o must have been validated.
func MakePlan(ctx context.Context, svc IAM, caller Caller, o Options) (*Plan, error) {
	p, err := makePlan(ctx, svc, caller, o)
	var ce *CallError
	if errors.As(err, &ce) {
		// The advice for a refused read names every call planning makes.
		ce.Advice = strings.Replace(ce.Advice, oldPlanPermissions, PlanPermissions, 1)
	}
	return p, err
}

// PlanPermissions are the calls planning makes: all setup needs without
// --apply.
const PlanPermissions = "read-only planning needs sts:GetCallerIdentity, iam:GetOpenIDConnectProvider, iam:GetRole, iam:ListAttachedRolePolicies, iam:ListRolePolicies and iam:GetPolicy"

// oldPlanPermissions is how the AccessDenied advice (errors.go) lists them.
const oldPlanPermissions = "read-only planning needs iam:GetOpenIDConnectProvider, iam:GetRole, iam:ListAttachedRolePolicies and sts:GetCallerIdentity"

func makePlan(ctx context.Context, svc IAM, caller Caller, o Options) (*Plan, error) {
	id, err := caller.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return nil, callError("sts", "GetCallerIdentity", "", err)
	}
	account, arn := aws.ToString(id.Account), aws.ToString(id.Arn)
	partition := "aws"
	if parts := strings.SplitN(arn, ":", 3); len(parts) == 3 && strings.HasPrefix(parts[1], "aws") {
		partition = parts[1]
	}
	p := &Plan{Account: account, Partition: partition, Caller: arn, Audience: o.Audience, RoleName: o.RoleName,
		ProviderURL: o.Issuer, opts: o, ReplaceTrustPolicy: o.ReplaceTrustPolicy}
	p.trustOpts = o.TrustOptions(account, partition)
	if err := p.trustOpts.Validate(); err != nil { // fills the defaults (SubFormat) as Generate will
		return nil, err
	}
	gen, err := trust.Generate(p.trustOpts)
	if err != nil {
		return nil, err
	}
	p.LegacyOnly = p.trustOpts.SubFormat == "legacy"
	p.LegacyChosen = o.SubFormat == "legacy"
	p.ProviderARN = p.trustOpts.ProviderARN()
	p.RoleARN = fmt.Sprintf("arn:%s:iam::%s:role/%s", partition, account, o.RoleName)

	// The provider.
	prov, err := svc.GetOpenIDConnectProvider(ctx, &iam.GetOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(p.ProviderARN)})
	switch {
	case isCode(err, "NoSuchEntity"):
		p.Steps = append(p.Steps, Step{Kind: CreateProvider, Call: callCreateProv,
			Summary: fmt.Sprintf("create the OIDC provider %s with client id %s", o.Issuer, o.Audience)})
	case err != nil:
		return nil, callError("iam", "GetOpenIDConnectProvider", p.ProviderARN, err)
	default:
		p.ClientIDs = prov.ClientIDList
		p.ProviderTags = tagMap(prov.Tags)
		if !slices.Contains(prov.ClientIDList, o.Audience) {
			p.Steps = append(p.Steps, Step{Kind: AddClientID, Call: callAddClientID,
				Summary: fmt.Sprintf("add the client id %s to the existing provider %s (it has %s)", o.Audience, p.ProviderARN, listOrNone(prov.ClientIDList))})
		}
	}

	// The role.
	role, err := svc.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(o.RoleName)})
	switch {
	case isCode(err, "NoSuchEntity"):
		p.NewTrust = string(gen)
		p.TrustDiffer = true
		p.Steps = append(p.Steps, Step{Kind: CreateRole, Call: "CreateRole", Summary: fmt.Sprintf("create the role %s with the trust policy below", o.RoleName)})
		p.MaxSession = o.MaxSessionDuration
		p.policies = slices.Clone(o.PolicyARNs)
	case err != nil:
		return nil, callError("iam", "GetRole", o.RoleName, err)
	case role == nil || role.Role == nil:
		return nil, noRole(o.RoleName)
	default:
		p.RoleExists = true
		p.RoleARN = aws.ToString(role.Role.Arn)
		p.RolePath = aws.ToString(role.Role.Path)
		p.RoleDescription = aws.ToString(role.Role.Description)
		p.RoleTags = tagMap(role.Role.Tags)
		if b := role.Role.PermissionsBoundary; b != nil {
			p.PermissionsBoundary = aws.ToString(b.PermissionsBoundaryArn)
		}
		old, err := DecodePolicy(aws.ToString(role.Role.AssumeRolePolicyDocument))
		if err != nil {
			return nil, fmt.Errorf("iam GetRole %s: the role's trust policy: %w", o.RoleName, err)
		}
		merged, changes, err := mergeTrust(old, gen, p.ProviderARN)
		if err != nil {
			return nil, fmt.Errorf("the existing trust policy of role %s cannot be read: %w (fix or delete it by hand; setup will not guess)", o.RoleName, err)
		}
		if op, err := trust.Parse(old); err == nil {
			for _, c := range changes {
				st := op.Statements[c.Index]
				if c.Wildcard {
					p.Warnings = append(p.Warnings, fmt.Sprintf("statement %d of the current trust policy lets every principal (%s) assume the role with the provider's tokens; it is removed: the planned statement admits the runs named", st.Index+1, runner.Visible(strings.Join(principals(st.Principal), ", "))))
				}
				if c.Removed {
					for _, other := range slices.DeleteFunc(otherRepositories(st, o), o.asked) {
						p.Warnings = append(p.Warnings, fmt.Sprintf("statement %d of the current trust policy also admits %s; it will be removed", st.Index+1, other))
					}
					continue
				}
				if len(c.Principals) > 0 {
					p.Warnings = append(p.Warnings, fmt.Sprintf("statement %d of the current trust policy also lets %s assume the role; that part is kept for them, with its conditions as they are, and %s taken out of it", st.Index+1, strings.Join(c.Principals, ", "), p.ProviderARN))
				}
				if len(c.Actions) > 0 {
					p.Warnings = append(p.Warnings, fmt.Sprintf("statement %d of the current trust policy also allows %s to the provider's tokens; that part is kept, with its conditions as they are", st.Index+1, strings.Join(c.Actions, ", ")))
				}
				p.kept = append(p.kept, keptSamples(st, c, p.ProviderARN)...)
			}
			for _, st := range op.Statements {
				for _, r := range statementRuns(st, o) {
					if r.Repository != o.Repository && strings.EqualFold(r.Repository, o.Repository) && !slices.Contains(p.CaseVariants, r.Repository) {
						p.CaseVariants = append(p.CaseVariants, r.Repository)
					}
				}
			}
		}
		p.OldTrust, p.NewTrust = indent(old), string(merged)
		if !sameJSON(old, merged) {
			p.TrustDiffer = true
			p.Steps = append(p.Steps, Step{Kind: UpdateTrust, Call: "UpdateAssumeRolePolicy", Summary: fmt.Sprintf("replace the trust policy of the existing role %s (diff and runs gained and lost below)", o.RoleName)})
		}
		p.OldMaxSession = aws.ToInt32(role.Role.MaxSessionDuration)
		p.MaxSession = p.OldMaxSession
		if o.MaxSessionDuration != 0 && o.MaxSessionDuration != p.OldMaxSession {
			p.MaxSession = o.MaxSessionDuration
			p.Steps = append(p.Steps, Step{Kind: SetMaxSession, Call: "UpdateRole", Summary: fmt.Sprintf("change the maximum session duration of %s from %ds to %ds", o.RoleName, p.OldMaxSession, o.MaxSessionDuration)})
		}
		attached, err := listAttached(ctx, svc, o.RoleName)
		if err != nil {
			return nil, err
		}
		p.Attached = attached
		if err := p.readOwnership(ctx, svc, old, o); err != nil {
			return nil, err
		}
		for _, a := range o.PolicyARNs {
			if !slices.Contains(attached, a) {
				p.policies = append(p.policies, a)
			}
		}
	}
	if p.MaxSession != 0 && p.Has(CreateRole) {
		p.Steps[len(p.Steps)-1].Summary += fmt.Sprintf(", maximum session duration %ds", p.MaxSession)
	}
	for _, a := range slices.Compact(p.policies) {
		p.Steps = append(p.Steps, Step{Kind: AttachPolicy, Call: "AttachRolePolicy", Policy: a, Summary: "attach the permission policy " + a})
	}
	oldPolicy := (*trust.Policy)(nil)
	if p.OldTrust != "" {
		oldPolicy, _ = trust.Parse([]byte(p.OldTrust))
	}
	newPolicy, err := trust.Parse([]byte(p.NewTrust))
	if err != nil {
		return nil, err
	}
	p.Samples = Evaluate(append(Samples(o, oldPolicy, newPolicy), p.kept...), p.Account, o.Issuer, oldPolicy, newPolicy)
	p.Witnesses = OutsideWitnesses(newPolicy, p.Account, o)
	for _, w := range p.Witnesses {
		p.Warnings = append(p.Warnings, "the planned trust policy admits a run nobody named: "+w)
	}
	p.Warnings = append(p.Warnings, ScopeWarnings(p.opts)...)
	p.TrustChars, p.TrustQuota = compactLen(p.NewTrust), o.Quota
	if p.TrustQuota == 0 {
		p.TrustQuota = trust.DefaultQuota
	}
	if p.TrustChars > p.TrustQuota && p.TrustDiffer {
		p.Warnings = append(p.Warnings, fmt.Sprintf("the trust policy is %d characters without white space; the role trust policy quota is %d: admit fewer runs (or give --trust-policy-quota if the account's quota was raised)", p.TrustChars, p.TrustQuota))
	}
	// Every policy named must exist before anything is written: found at
	// AttachRolePolicy, the provider and the role would be made already.
	for _, a := range slices.Compact(slices.Sorted(slices.Values(o.PolicyARNs))) {
		_, err := svc.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String(a)})
		switch {
		case isCode(err, "NoSuchEntity"):
			p.MissingPolicies = append(p.MissingPolicies, a)
			p.Warnings = append(p.Warnings, fmt.Sprintf("--policy-arn %s: IAM has no such policy in this account and partition (iam:GetPolicy: NoSuchEntity)", a))
		case err != nil:
			return nil, callError("iam", "GetPolicy", a, err)
		}
	}
	return p, nil
}

// tagMap is IAM's tag list as a map (nil when empty).
func tagMap(tags []types.Tag) map[string]string {
	if len(tags) == 0 {
		return nil
	}
	m := make(map[string]string, len(tags))
	for _, t := range tags {
		m[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return m
}

func listOrNone(v []string) string {
	if len(v) == 0 {
		return "none"
	}
	return strings.Join(v, ", ")
}

func listAttached(ctx context.Context, svc IAM, role string) ([]string, error) {
	var out []string
	var marker *string
	for page := 0; page < 100; page++ {
		r, err := svc.ListAttachedRolePolicies(ctx, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String(role), Marker: marker})
		if err != nil {
			return nil, callError("iam", "ListAttachedRolePolicies", role, err)
		}
		for _, a := range r.AttachedPolicies {
			out = append(out, aws.ToString(a.PolicyArn))
		}
		if !r.IsTruncated || r.Marker == nil {
			break
		}
		marker = r.Marker
	}
	return out, nil
}

// DecodePolicy turns the AssumeRolePolicyDocument IAM returns into the
// JSON document. IAM returns it percent-encoded (RFC 3986) and the Go SDK
// does not decode it; a document that is JSON already is returned as it is.
// '+' is left as it is: RFC 3986 does not make it a space.
func DecodePolicy(doc string) ([]byte, error) {
	if t := strings.TrimSpace(doc); strings.HasPrefix(t, "{") {
		return []byte(doc), nil
	}
	s, err := url.PathUnescape(doc)
	if err != nil {
		return nil, fmt.Errorf("the document is neither JSON nor percent-encoded JSON: %w", err)
	}
	if !json.Valid([]byte(s)) {
		return nil, errors.New("the decoded document is not JSON")
	}
	return []byte(s), nil
}

// mergeTrust builds the new trust policy: the generated statement first,
// then every statement of old that is not an Allow naming provider (other
// principals, and every Deny, stay exactly as they were). An Allow naming
// provider is the generated statement's to replace, but only for what it
// gives the provider's tokens (sts:AssumeRoleWithWebIdentity): what it
// gives other principals (other providers, AWS, Service) and other actions
// (sts:TagSession, say) stays, in statements split off with its
// conditions copied verbatim. It returns what became of each old
// statement it changed.
func mergeTrust(old, gen []byte, provider string) (merged []byte, changes []stmtChange, err error) {
	var o struct {
		Version   string          `json:"Version"`
		Statement json.RawMessage `json:"Statement"`
	}
	if err := json.Unmarshal(old, &o); err != nil {
		return nil, nil, err
	}
	var stmts []json.RawMessage
	if t := bytes.TrimSpace(o.Statement); len(t) > 0 && t[0] == '[' {
		if err := json.Unmarshal(t, &stmts); err != nil {
			return nil, nil, err
		}
	} else if len(t) > 0 {
		stmts = []json.RawMessage{t}
	}
	var g struct {
		Version   string            `json:"Version"`
		Statement []json.RawMessage `json:"Statement"`
	}
	if err := json.Unmarshal(gen, &g); err != nil {
		return nil, nil, err
	}
	out := g.Statement
	for i, s := range stmts {
		kept, change, err := splitStatement(s, provider)
		if err != nil {
			return nil, nil, fmt.Errorf("statement %d: %w", i+1, err)
		}
		if change != nil {
			change.Index = i
			changes = append(changes, *change)
		}
		out = append(out, kept...)
	}
	doc := struct {
		Version   string
		Statement []json.RawMessage
	}{"2012-10-17", out}
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return nil, nil, err
	}
	return append(b, '\n'), changes, nil
}

// stmtChange is what mergeTrust did to one statement of the old policy:
// removed it, or kept a part of it for Principals (the principals it named
// besides the provider, with its actions) and for Actions (the actions
// besides sts:AssumeRoleWithWebIdentity it allowed the provider).
type stmtChange struct {
	Index      int // 0-based
	Principals []string
	Actions    []string
	Removed    bool
	Wildcard   bool // removed: an Allow for any principal with conditions on the provider's claims
}

// wildcardPrincipal reports a Principal that names every principal ("*",
// {"AWS": "*"}) or a Federated pattern that covers provider.
func wildcardPrincipal(p any, provider string) bool {
	if s, ok := p.(string); ok {
		return s == "*"
	}
	m, _ := p.(map[string]any)
	if slices.Contains(trust.JSONStrings(m["AWS"]), "*") {
		return true
	}
	for _, f := range trust.JSONStrings(m["Federated"]) {
		if f != provider && strings.ContainsAny(f, "*?") && trust.Like(f, provider) {
			return true
		}
	}
	return false
}

// providerName is the provider's name (its ARN after oidc-provider/), the
// prefix of its condition keys.
func providerName(arn string) string {
	_, name, _ := strings.Cut(arn, ":oidc-provider/")
	return name
}

// conditionsOn reports whether a Condition block tests a key of provider
// (provider:claim).
func conditionsOn(cond any, provider string) bool {
	ops, _ := cond.(map[string]any)
	for _, keys := range ops {
		m, _ := keys.(map[string]any)
		for k := range m {
			if strings.HasPrefix(strings.ToLower(k), strings.ToLower(provider)+":") {
				return true
			}
		}
	}
	return false
}

// trustActions are the actions a role trust policy can allow: a wildcard
// action is expanded to those it covers (IAM evaluates a trust policy for
// these only).
var trustActions = []string{"sts:AssumeRole", "sts:AssumeRoleWithSAML", "sts:AssumeRoleWithWebIdentity", "sts:SetContext", "sts:SetSourceIdentity", "sts:TagSession"}

// splitStatement is what mergeTrust keeps of one old statement: itself,
// untouched, unless it is an Allow naming provider; then the parts for
// other principals and other actions, or nothing.
func splitStatement(s json.RawMessage, provider string) ([]json.RawMessage, *stmtChange, error) {
	d := json.NewDecoder(bytes.NewReader(s))
	d.UseNumber()
	var st map[string]any
	if err := d.Decode(&st); err != nil {
		return nil, nil, err
	}
	pr, _ := st["Principal"].(map[string]any)
	feds := trust.JSONStrings(pr["Federated"])
	if st["Effect"] != "Allow" {
		return []json.RawMessage{s}, nil, nil
	}
	if wildcardPrincipal(st["Principal"], provider) {
		// Any principal, the provider's tokens among them: ours to judge.
		// With a condition on the provider's claims it is a GitHub
		// statement and goes; without one setup cannot tell what it is for.
		covers := len(trust.JSONStrings(st["Action"])) == 0
		for _, a := range trust.JSONStrings(st["Action"]) {
			if trust.Like(strings.ToLower(a), strings.ToLower(trust.WebIdentityAction)) {
				covers = true
			} else if !strings.ContainsAny(a, "*?") {
				return nil, nil, fmt.Errorf("an Allow for every principal (a wildcard Principal) with %s besides web identity: setup will not decide for the other principals", a)
			}
		}
		if !covers {
			return []json.RawMessage{s}, nil, nil
		}
		if !conditionsOn(st["Condition"], providerName(provider)) {
			return nil, nil, errors.New("an Allow for every principal (a wildcard Principal) that can admit the provider's tokens without a condition on their claims: narrow its Principal or remove it by hand")
		}
		return nil, &stmtChange{Removed: true, Wildcard: true}, nil
	}
	if !slices.Contains(feds, provider) {
		return []json.RawMessage{s}, nil, nil
	}
	if _, ok := st["NotAction"]; ok {
		return nil, nil, errors.New("an Allow for the provider with NotAction: setup will not guess which actions to keep")
	}
	change := &stmtChange{}
	var out []json.RawMessage
	// Other principals keep the statement, without the provider.
	others := map[string]any{}
	for k, v := range pr {
		if k != "Federated" {
			others[k] = v
			for _, p := range trust.JSONStrings(v) {
				change.Principals = append(change.Principals, k+" "+p)
			}
		}
	}
	if rest := slices.DeleteFunc(slices.Clone(feds), func(f string) bool { return f == provider }); len(rest) > 0 {
		others["Federated"] = oneOrList(rest)
		for _, f := range rest {
			change.Principals = append(change.Principals, "Federated "+f)
		}
	}
	slices.Sort(change.Principals)
	if len(others) > 0 {
		c := maps.Clone(st)
		c["Principal"] = others
		b, err := json.Marshal(c)
		if err != nil {
			return nil, nil, err
		}
		out = append(out, b)
	}
	// Other actions stay the provider's, with the statement's conditions.
	for _, a := range trust.JSONStrings(st["Action"]) {
		switch {
		case strings.EqualFold(a, trust.WebIdentityAction):
		case strings.ContainsAny(a, "*?") && trust.Like(strings.ToLower(a), strings.ToLower(trust.WebIdentityAction)):
			for _, t := range trustActions {
				if t != trust.WebIdentityAction && trust.Like(strings.ToLower(a), strings.ToLower(t)) && !slices.Contains(change.Actions, t) {
					change.Actions = append(change.Actions, t)
				}
			}
		case !slices.Contains(change.Actions, a):
			change.Actions = append(change.Actions, a)
		}
	}
	if len(change.Actions) > 0 {
		c := maps.Clone(st)
		c["Principal"] = map[string]any{"Federated": provider}
		c["Action"] = oneOrList(change.Actions)
		if sid, ok := c["Sid"].(string); ok && len(others) > 0 {
			c["Sid"] = sid + "OtherActions" // Sids are unique in a policy
		}
		b, err := json.Marshal(c)
		if err != nil {
			return nil, nil, err
		}
		out = append(out, b)
	}
	change.Removed = len(out) == 0
	return out, change, nil
}

func oneOrList(v []string) any {
	if len(v) == 1 {
		return v[0]
	}
	return v
}

func indent(b []byte) string {
	var buf bytes.Buffer
	if json.Indent(&buf, b, "", "  ") != nil {
		return string(b)
	}
	return strings.TrimRight(buf.String(), "\n") + "\n"
}

func sameJSON(a, b []byte) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	xa, _ := json.Marshal(x)
	yb, _ := json.Marshal(y)
	return bytes.Equal(xa, yb)
}

func compactLen(s string) int {
	var buf bytes.Buffer
	if json.Compact(&buf, []byte(s)) != nil {
		return len(s)
	}
	return buf.Len()
}

func compact(s string) string {
	var buf bytes.Buffer
	if json.Compact(&buf, []byte(s)) != nil {
		return s
	}
	return buf.String()
}

const legacyReason = "without the repository's ids the policy admits only the legacy sub and refuses every run whose token carries the immutable subject; give --repository-id and --owner-id (or GITHUB_TOKEN for the lookup), or accept that with --sub-format legacy"

// Refusal is a plan Apply will not carry out, and why.
type Refusal struct{ Reason string }

func (r *Refusal) Error() string { return r.Reason }

// CheckApply says whether Apply may carry out the plan: an existing role's
// trust policy changes only with ReplaceTrustPolicy, a policy that
// refuses the immutable subject only when legacy was asked for, and never
// when the checker decides a sample run otherwise than intended under the
// planned trust policy (an UNDECIDED sample included: the checker could
// not show it is decided as asked). It is checked before any write.
func (p *Plan) CheckApply() error {
	if why := p.refusals(false); len(why) > 0 {
		return &Refusal{Reason: "not applied, nothing was changed: " + strings.Join(why, "; and ")}
	}
	return nil
}

// CheckCode is CheckApply for a plan printed as infrastructure code
// (--format terraform or cloudformation): code is printed to be applied,
// so it is refused for every reason the apply is — a run admitted that
// nobody named, a sample UNDECIDED, a wildcard principal's witness, a
// case-only change, a role made for something else without --adopt-role,
// a missing policy, the size quota — except that a changed trust policy
// needs --replace-trust-policy only when it loses runs (the runs gained
// and lost are printed with the code either way).
func (p *Plan) CheckCode() error {
	if why := p.refusals(true); len(why) > 0 {
		return &Refusal{Reason: "no code printed: " + strings.Join(why, "; and ")}
	}
	return nil
}

// refusals are the reasons the plan cannot be applied (code: printed as
// code).
func (p *Plan) refusals(code bool) []string {
	var why []string
	if p.Has(UpdateTrust) && len(p.CaseVariants) > 0 && !p.SpellingConfirmed {
		why = append(why, fmt.Sprintf("the role admits %s, which --repository %s spells otherwise only in case; sub is compared case-sensitively and tokens carry GitHub's spelling, which setup could not look up: if %s is how GitHub spells it, run again with --confirm-spelling (or with GITHUB_TOKEN for the lookup); otherwise give --repository as the role spells it",
			runner.Visible(strings.Join(p.CaseVariants, ", ")), p.opts.Repository, p.opts.Repository))
	}
	if len(p.Witnesses) > 0 {
		why = append(why, "the planned trust policy admits runs nobody named: "+strings.Join(p.Witnesses, "; "))
	}
	if wrong := p.wrongSamples(); len(wrong) > 0 {
		why = append(why, fmt.Sprintf("the checker decides %d sample run(s) otherwise than intended under the planned trust policy: %s", len(wrong), strings.Join(wrong, "; ")))
	}
	switch lost := p.lostAccess(); {
	case !p.Has(UpdateTrust) || p.ReplaceTrustPolicy:
	case !code:
		why = append(why, fmt.Sprintf("the role %s exists with a different trust policy; read the runs gained and lost above and, to replace it, run again with --apply --replace-trust-policy", p.RoleName))
	case lost > 0:
		why = append(why, fmt.Sprintf("the code replaces the trust policy of the existing role %s, which loses %d sample run(s) (listed above); to print it anyway, run again with --replace-trust-policy", p.RoleName, lost))
	}
	if p.LegacyOnly && !p.LegacyChosen && p.TrustDiffer {
		why = append(why, legacyReason)
	}
	if p.writesRole() && len(p.NotMadeFor) > 0 && !p.AdoptRole {
		why = append(why, fmt.Sprintf("the role %s was not made for %s alone (%s): the runs named would get what its other principals and policies have, and they what setup adds; to write to it anyway, run again with --adopt-role (or name a new role with --role-name)", p.RoleName, p.opts.Repository, strings.Join(p.NotMadeFor, "; ")))
	}
	if len(p.MissingPolicies) > 0 {
		why = append(why, fmt.Sprintf("IAM has no policy %s (iam:GetPolicy: NoSuchEntity); check each --policy-arn (account, partition and path)", strings.Join(p.MissingPolicies, ", ")))
	}
	if p.TrustChars > p.TrustQuota && p.TrustDiffer {
		why = append(why, fmt.Sprintf("the trust policy is %d characters without white space, over the quota of %d (IAM's default is %d); admit fewer runs, or give --trust-policy-quota with the account's raised quota", p.TrustChars, p.TrustQuota, trust.DefaultQuota))
	}
	return why
}

// lostAccess counts the runs the planned trust policy loses that someone
// may rely on: every lost sample but an impostor's near miss (losing that
// is the point of a tighter policy).
func (p *Plan) lostAccess() int {
	_, lost := p.gainedLost()
	n := 0
	for _, s := range lost {
		if !s.impostor {
			n++
		}
	}
	return n
}

// wrongSamples names the samples the planned policy decides otherwise than
// intended (at most ten, then how many more).
func (p *Plan) wrongSamples() []string {
	var out []string
	n := 0
	for _, s := range p.Samples {
		if !s.Wrong() {
			continue
		}
		if n++; n <= 10 {
			want := trust.Denied
			if s.Intended {
				want = trust.Allowed
			}
			out = append(out, fmt.Sprintf("%s: %s, expected %s", runner.Visible(s.Name), s.New, want))
		}
	}
	if n > 10 {
		out = append(out, fmt.Sprintf("and %d more", n-10))
	}
	return out
}

// ApplyError is a step that failed: what was done before it, and what was
// not done.
type ApplyError struct {
	Step    Step
	Done    []Step
	NotDone []Step // the failed step first
	Err     error
}

func (e *ApplyError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%v", e.Err)
	if len(e.Done) == 0 {
		b.WriteString("\n  nothing was changed")
	} else {
		b.WriteString("\n  done before it:")
		for _, s := range e.Done {
			b.WriteString("\n    - " + s.Summary)
		}
	}
	b.WriteString("\n  not done:")
	for _, s := range e.NotDone {
		b.WriteString("\n    - " + s.Summary)
	}
	b.WriteString("\n  setup is idempotent: once the cause is fixed, run it again and it plans only what is left")
	return b.String()
}

func (e *ApplyError) Unwrap() error { return e.Err }

// Apply carries out the plan's steps in order, stopping at the first
// failure (an *ApplyError naming what was and was not done).
func Apply(ctx context.Context, svc IAM, p *Plan) error {
	if err := p.CheckApply(); err != nil {
		return err
	}
	for i, s := range p.Steps {
		if err := applyStep(ctx, svc, p, s); err != nil {
			return &ApplyError{Step: s, Done: p.Steps[:i], NotDone: p.Steps[i:], Err: err}
		}
	}
	return nil
}

func applyStep(ctx context.Context, svc IAM, p *Plan, s Step) error {
	var err error
	subject := p.RoleName
	switch s.Kind {
	case CreateProvider:
		subject = p.ProviderURL
		// No tags: they would need iam:TagOpenIDConnectProvider too, and
		// no thumbprint: IAM no longer needs one for GitHub's provider.
		_, err = svc.CreateOpenIDConnectProvider(ctx, &iam.CreateOpenIDConnectProviderInput{
			Url: aws.String(p.ProviderURL), ClientIDList: []string{p.Audience},
		})
	case AddClientID:
		subject = p.ProviderARN
		_, err = svc.AddClientIDToOpenIDConnectProvider(ctx, &iam.AddClientIDToOpenIDConnectProviderInput{
			OpenIDConnectProviderArn: aws.String(p.ProviderARN), ClientID: aws.String(p.Audience)})
	case CreateRole:
		in := &iam.CreateRoleInput{RoleName: aws.String(p.RoleName), AssumeRolePolicyDocument: aws.String(compact(p.NewTrust)),
			Description: aws.String(newRoleDescription(p.opts))}
		if p.MaxSession != 0 {
			in.MaxSessionDuration = aws.Int32(p.MaxSession)
		}
		_, err = svc.CreateRole(ctx, in)
	case UpdateTrust:
		_, err = svc.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String(p.RoleName), PolicyDocument: aws.String(compact(p.NewTrust))})
	case SetMaxSession:
		_, err = svc.UpdateRole(ctx, &iam.UpdateRoleInput{RoleName: aws.String(p.RoleName), MaxSessionDuration: aws.Int32(p.MaxSession)})
	case AttachPolicy:
		subject = p.RoleName + " / " + s.Policy
		_, err = svc.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String(p.RoleName), PolicyArn: aws.String(s.Policy)})
	default:
		return fmt.Errorf("unknown step %q", s.Kind)
	}
	if err != nil {
		return callError("iam", s.Call, subject, err)
	}
	return nil
}
