// Package audit answers an account owner's question: which roles in this
// AWS account can a workflow run someone else controls assume? It reads
// the account's IAM (read-only: ListOpenIDConnectProviders,
// GetOpenIDConnectProvider, ListRoles), finds every role with a statement
// that can admit a token from a GitHub Actions issuer, and decides each
// finding's severity by evaluating the role's whole trust policy (Deny
// statements included) with the trust engine on witnesses — runs made
// from each Allow statement's own patterns (trust.Witnesses) — and on
// samples derived from them. A finding always carries the witness run the
// engine ALLOWS, and the fix. The lint's findings come as advice beside
// them; they decide nothing.
package audit

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/smithy-go"

	"github.com/org/aws-oidc-go/internal/arn"
	"github.com/org/aws-oidc-go/internal/runner"
	"github.com/org/aws-oidc-go/internal/setup"
	"github.com/org/aws-oidc-go/internal/trust"
)

// IAM is all of IAM the audit calls: read-only by construction (no write
// call can be made through it).
type IAM interface {
	ListRoles(context.Context, *iam.ListRolesInput, ...func(*iam.Options)) (*iam.ListRolesOutput, error)
	ListOpenIDConnectProviders(context.Context, *iam.ListOpenIDConnectProvidersInput, ...func(*iam.Options)) (*iam.ListOpenIDConnectProvidersOutput, error)
	GetOpenIDConnectProvider(context.Context, *iam.GetOpenIDConnectProviderInput, ...func(*iam.Options)) (*iam.GetOpenIDConnectProviderOutput, error)
}

// Options say what to audit and how.
type Options struct {
	// Owners are the GitHub owners the account serves (--owner): a role
	// that admits runs of another named owner gets a foreign-owner finding.
	Owners []string
	// PageSize is ListRoles' MaxItems (0: IAM's default, 100).
	PageSize int32
	// MaxRoles bounds the roles read (0: DefaultMaxRoles); beyond it the
	// audit stops with an error rather than run without bound.
	MaxRoles int
	// MaxPages bounds the ListRoles pages read (0: DefaultMaxPages), so an
	// endpoint that answers empty truncated pages forever is bounded too.
	MaxPages int
}

// DefaultMaxPages is 200,000 roles' worth of pages at IAM's default page
// size: IAM may answer a page with fewer roles than asked for, but not
// thousands of nearly empty pages.
const DefaultMaxPages = 2_000

// DefaultMaxRoles is far above IAM's quota of roles per account (5,000 by
// default, at most 10,000 with an increase).
const DefaultMaxRoles = 50_000

// Provider is one of the account's IAM OIDC providers for a GitHub
// Actions issuer.
type Provider struct {
	ARN    string `json:"arn"`
	Issuer string `json:"issuer"` // https://...
	// Kind: github.com, enterprise (token.actions.githubusercontent.com/SLUG),
	// ghe.com (token.actions.SUBDOMAIN.ghe.com) or ghes (HOST/_services/token).
	Kind      string   `json:"kind"`
	Audiences []string `json:"audiences"` // its client ids
}

// Report is the audit of one account.
type Report struct {
	Account   string     `json:"account"`
	Providers []Provider `json:"providers"`
	// RolesRead is every role ListRoles returned; Roles are those that can
	// admit a GitHub Actions token (listed); the rest trust only other
	// principals (OtherRoles: counted, not listed).
	RolesRead  int          `json:"roles_read"`
	OtherRoles int          `json:"roles_trusting_other_principals"`
	Roles      []RoleReport `json:"roles"`
}

// RoleReport is one role that can admit a GitHub Actions token.
type RoleReport struct {
	Name     string    `json:"name"`
	ARN      string    `json:"arn"`
	Severity Severity  `json:"severity"` // the worst finding's; "" when none
	Findings []Finding `json:"findings"`
	// Advice is the lint's findings: hygiene beside the evaluated findings,
	// deciding nothing.
	Advice []trust.Finding `json:"advice,omitempty"`
	// Note is said of a role without findings: never "safe".
	Note string `json:"note,omitempty"`
}

// Run audits the account IAM answers for.
func Run(ctx context.Context, c IAM, o Options) (*Report, error) {
	maxRoles := o.MaxRoles
	if maxRoles <= 0 {
		maxRoles = DefaultMaxRoles
	}
	providers, account, err := githubProviders(ctx, c)
	if err != nil {
		return nil, err
	}
	rep := &Report{Account: account, Providers: providers}
	in := &iam.ListRolesInput{}
	if o.PageSize > 0 {
		in.MaxItems = aws.Int32(o.PageSize)
	}
	maxPages := o.MaxPages
	if maxPages <= 0 {
		maxPages = DefaultMaxPages
	}
	// StopOnDuplicateToken: a page whose Marker is the one it was asked
	// with ends the paging instead of asking again forever; the page
	// still says IsTruncated, which is an error below.
	pages := iam.NewListRolesPaginator(c, in, func(o *iam.ListRolesPaginatorOptions) { o.StopOnDuplicateToken = true })
	var last *iam.ListRolesOutput
	for n := 0; pages.HasMorePages(); n++ {
		if n == maxPages {
			return nil, fmt.Errorf("iam:ListRoles still had more after %d pages (%d roles), the most this audit reads", maxPages, rep.RolesRead)
		}
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, callError("ListRoles", err)
		}
		last = page
		for _, role := range page.Roles {
			rep.RolesRead++
			if rep.RolesRead > maxRoles {
				return nil, fmt.Errorf("iam:ListRoles returned more than %d roles, the most this audit reads (IAM allows at most 10,000 per account)", maxRoles)
			}
			if rep.Account == "" {
				a, _ := arn.Parse(aws.ToString(role.Arn))
				rep.Account = a.Account
			}
			rr, listed := auditRole(aws.ToString(role.RoleName), aws.ToString(role.Arn), aws.ToString(role.AssumeRolePolicyDocument), rep.Account, providers, o)
			if !listed {
				rep.OtherRoles++
				continue
			}
			rep.Roles = append(rep.Roles, rr)
		}
	}
	if last != nil && last.IsTruncated {
		return nil, fmt.Errorf("iam:ListRoles said more roles follow (IsTruncated) but gave no new Marker to ask for them (after %d roles): the listing would be incomplete", rep.RolesRead)
	}
	sort.SliceStable(rep.Roles, func(i, j int) bool {
		a, b := rep.Roles[i].Severity.rank(High), rep.Roles[j].Severity.rank(High)
		if a != b {
			return a > b
		}
		return rep.Roles[i].Name < rep.Roles[j].Name
	})
	return rep, nil
}

// githubProviders lists the account's OIDC providers for GitHub Actions
// issuers, with their client ids, and the account (from their ARNs).
func githubProviders(ctx context.Context, c IAM) ([]Provider, string, error) {
	out, err := c.ListOpenIDConnectProviders(ctx, &iam.ListOpenIDConnectProvidersInput{})
	if err != nil {
		return nil, "", callError("ListOpenIDConnectProviders", err)
	}
	var ps []Provider
	account := ""
	for _, e := range out.OpenIDConnectProviderList {
		providerARN := aws.ToString(e.Arn)
		a, _ := arn.Parse(providerARN)
		name, ok := strings.CutPrefix(a.Resource, "oidc-provider/")
		if !ok {
			continue
		}
		kind := IssuerKind(name)
		if kind == "" {
			continue
		}
		if account == "" {
			account = a.Account
		}
		p := Provider{ARN: providerARN, Issuer: "https://" + name, Kind: kind}
		got, err := c.GetOpenIDConnectProvider(ctx, &iam.GetOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(providerARN)})
		if err != nil {
			return nil, "", callError("GetOpenIDConnectProvider", err)
		}
		p.Audiences = got.ClientIDList
		ps = append(ps, p)
	}
	sort.Slice(ps, func(i, j int) bool { return ps[i].ARN < ps[j].ARN })
	return ps, account, nil
}

// IssuerKind says which kind of GitHub Actions issuer an IAM provider
// name (the issuer without https://) is: github.com, enterprise (an
// enterprise-customized issuer on github.com), ghe.com, ghes (a GitHub
// Enterprise Server's .../_services/token), or "" for none.
func IssuerKind(name string) string {
	name = strings.ToLower(strings.TrimRight(name, "/"))
	switch {
	case name == trust.GitHubProvider:
		return "github.com"
	case strings.HasPrefix(name, trust.GitHubProvider+"/") && !strings.Contains(strings.TrimPrefix(name, trust.GitHubProvider+"/"), "/"):
		return "enterprise"
	case strings.HasPrefix(name, "token.actions.") && strings.HasSuffix(name, ".ghe.com") && !strings.Contains(name, "/"):
		return "ghe.com"
	case strings.HasSuffix(name, "/_services/token"):
		return "ghes"
	}
	return ""
}

// CallError is an IAM call the audit could not make: the call, the
// permission it needs, and the service's answer.
type CallError struct {
	Call string // ListRoles
	Code string // AccessDenied, ...
	Err  error
}

func (e *CallError) Error() string {
	s := fmt.Sprintf("iam:%s failed: ", e.Call)
	var api smithy.APIError
	if errors.As(e.Err, &api) {
		s += api.ErrorCode() + ": " + runner.Excerpt(api.ErrorMessage(), 500)
	} else {
		s += runner.Excerpt(e.Err.Error(), 500)
	}
	switch e.Code {
	case "AccessDenied", "AccessDeniedException", "UnauthorizedOperation":
		s += fmt.Sprintf("\n  what to do: grant the identity running the audit iam:%s (the audit needs only iam:ListRoles, iam:ListOpenIDConnectProviders and iam:GetOpenIDConnectProvider, all read-only)", e.Call)
	case "InvalidClientTokenId", "SignatureDoesNotMatch", "ExpiredToken":
		s += "\n  what to do: the AWS credentials are not valid; refresh them (aws sso login, or --profile)"
	case "":
		s += "\n  what to do: check the credentials, the network and the endpoint (AWS_ENDPOINT_URL_IAM, AWS_ENDPOINT_URL)"
	}
	return s
}

func (e *CallError) Unwrap() error { return e.Err }

func callError(call string, err error) error {
	e := &CallError{Call: call, Err: err}
	var api smithy.APIError
	if errors.As(err, &api) {
		e.Code = api.ErrorCode()
	}
	return e
}

// maxEncodedPolicy bounds the percent-encoded document before decoding:
// every byte of the largest policy the checker reads as %XX.
const maxEncodedPolicy = 3 * trust.MaxPolicyBytes

// auditRole decides one role. listed is false for a role no GitHub
// Actions provider of the account can reach.
func auditRole(name, arn, encoded, account string, providers []Provider, o Options) (RoleReport, bool) {
	rr := RoleReport{Name: name, ARN: arn}
	var p *trust.Policy
	var err error
	if len(encoded) > maxEncodedPolicy {
		err = &trust.TooLargeError{What: "policy", Limit: trust.MaxPolicyBytes}
	} else {
		var doc []byte
		if doc, err = setup.DecodePolicy(encoded); err == nil {
			p, err = trust.Parse(doc)
		}
	}
	if err != nil {
		if len(providers) == 0 || !mentionsGitHub(encoded, providers) {
			return rr, false
		}
		rr.Findings = []Finding{{Kind: KindUnreadable, Severity: Undecided, Statement: -1,
			Message: "the trust policy could not be read, so nothing was decided: " + err.Error(),
			Fix:     "read it with aws iam get-role and correct it; IAM itself accepts at most 4,096 characters"}}
		rr.Severity = Undecided
		return rr, true
	}
	listed := false
	for _, prov := range providers {
		ws := trust.Witnesses(p, prov.Issuer)
		if len(ws) == 0 {
			continue
		}
		fs, reachable := classify(p, prov, account, ws, o)
		if !reachable {
			continue
		}
		listed = true
		rr.Findings = append(rr.Findings, fs...)
		if !usesProvider(p, prov) {
			continue // a wildcard principal: advice for the issuers it names
		}
		for _, f := range trust.Lint(p, trust.LintContext{Issuer: prov.Issuer}) {
			if !slices.ContainsFunc(rr.Advice, func(a trust.Finding) bool {
				return a.ID == f.ID && a.Statement == f.Statement && a.Message == f.Message
			}) {
				rr.Advice = append(rr.Advice, f)
			}
		}
	}
	if any := anyAWSPrincipal(p); any != nil && len(providers) > 0 {
		listed = true
		rr.Findings = append(rr.Findings, *any)
	}
	if !listed {
		return rr, false
	}
	rr.Findings = dedupe(rr.Findings)
	for _, f := range rr.Findings {
		if f.Severity.rank(High) > rr.Severity.rank(High) || rr.Severity == "" {
			rr.Severity = f.Severity
		}
	}
	if len(rr.Findings) == 0 {
		rr.Note = "no witness or sample admitted"
	}
	return rr, true
}

// usesProvider reports whether a policy names the provider: in a
// Federated principal or a condition key.
func usesProvider(p *trust.Policy, prov Provider) bool {
	name := strings.ToLower(strings.TrimPrefix(prov.Issuer, "https://"))
	for _, st := range p.Statements {
		if st.Principal != nil && slices.Contains(st.Principal.Federated, prov.ARN) {
			return true
		}
		for _, c := range st.Conditions {
			if strings.HasPrefix(strings.ToLower(c.Key), name+":") {
				return true
			}
		}
	}
	return false
}

// mentionsGitHub reports whether an unreadable document names one of the
// providers or a wildcard: whether it is one to list.
func mentionsGitHub(doc string, providers []Provider) bool {
	for _, p := range providers {
		if strings.Contains(doc, strings.TrimPrefix(p.Issuer, "https://")) || strings.Contains(doc, strings.ReplaceAll(strings.TrimPrefix(p.Issuer, "https://"), "/", "%2F")) {
			return true
		}
	}
	return strings.Contains(doc, `"*"`) || strings.Contains(doc, "%22%2A%22") || strings.Contains(doc, "%22*%22")
}

// anyAWSPrincipal is the finding for an Allow that lets any AWS principal
// call sts:AssumeRole: a wildcard principal whose conditions an AWS
// principal with no particular keys passes.
func anyAWSPrincipal(p *trust.Policy) *Finding {
	d := trust.Evaluate(p, trust.Request{Provider: "", Action: "sts:AssumeRole", Keys: map[string][]string{}, Unknown: map[string]string{}})
	if d.Verdict != trust.Allowed || d.Decider == nil || d.Decider.Principal == nil || !d.Decider.Principal.Any {
		return nil
	}
	return &Finding{Kind: KindAnyAWSPrincipal, Severity: Critical, Statement: d.Decider.Index,
		Message: fmt.Sprintf("statement %d allows sts:AssumeRole to Principal \"*\": any AWS principal in any account can assume this role, GitHub or not", d.Decider.Index),
		Fix:     `name the principals: "Principal": {"Federated": "<the provider ARN>"} with "Action": "sts:AssumeRoleWithWebIdentity", or {"AWS": "arn:aws:iam::ACCOUNT:role/NAME"}`}
}

func dedupe(fs []Finding) []Finding {
	var out []Finding
	for _, f := range fs {
		if !slices.ContainsFunc(out, func(g Finding) bool {
			return g.Kind == f.Kind && g.Statement == f.Statement && g.Provider == f.Provider
		}) {
			out = append(out, f)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Severity.rank(High) > out[j].Severity.rank(High) })
	return out
}
