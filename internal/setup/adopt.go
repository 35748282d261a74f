package setup

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/org/aws-oidc-go/internal/runner"
	"github.com/org/aws-oidc-go/internal/trust"
)

// A role is made for this repository when every Allow statement of its
// trust policy lets only this OIDC provider assume it and pins this
// repository (a sub, repository or repository_id condition every value of
// which is this repository, by name or by its id), and it has no inline
// policies and no attached policies beyond those asked for. Any other
// existing role belongs to something else as well: setup writes to it
// only with AdoptRole (--adopt-role), because every run it admits then
// gets what the role's other principals and policies have, and they get
// what setup adds.

// readOwnership fills the plan's TrustedPrincipals, InlinePolicies and
// NotMadeFor for an existing role whose trust policy is old.
func (p *Plan) readOwnership(ctx context.Context, svc IAM, old []byte, o Options) error {
	inline, err := listInline(ctx, svc, o.RoleName)
	if err != nil {
		return err
	}
	p.InlinePolicies = inline
	pol, err := trust.Parse(old)
	if err != nil {
		p.NotMadeFor = append(p.NotMadeFor, "its trust policy cannot be read by the checker: "+err.Error())
		return nil
	}
	for _, st := range pol.Statements {
		if st.Effect != "Allow" {
			continue
		}
		for _, pr := range principals(st.Principal) {
			if !slices.Contains(p.TrustedPrincipals, pr) {
				p.TrustedPrincipals = append(p.TrustedPrincipals, pr)
			}
		}
		if why := p.notOurs(st, o); why != "" {
			p.NotMadeFor = append(p.NotMadeFor, fmt.Sprintf("statement %d %s", st.Index+1, why))
		}
	}
	if len(inline) > 0 {
		p.NotMadeFor = append(p.NotMadeFor, "it has inline policies ("+strings.Join(inline, ", ")+")")
	}
	var extra []string
	for _, a := range p.Attached {
		if !slices.Contains(o.PolicyARNs, a) {
			extra = append(extra, a)
		}
	}
	if len(extra) > 0 {
		p.NotMadeFor = append(p.NotMadeFor, "it has attached policies not asked for with --policy-arn ("+strings.Join(extra, ", ")+")")
	}
	for i, s := range p.NotMadeFor {
		p.NotMadeFor[i] = runner.Visible(s)
	}
	if len(p.NotMadeFor) > 0 {
		p.Warnings = append(p.Warnings, fmt.Sprintf("the role %s was not made for %s alone: %s; it trusts %s", o.RoleName, o.Repository,
			strings.Join(p.NotMadeFor, "; "), runner.Visible(listOrNone(p.TrustedPrincipals))))
	}
	return nil
}

// principals names a Principal element's entries: "*", "Federated ARN",
// "AWS ARN", "Service NAME".
func principals(pr *trust.Principal) []string {
	if pr == nil {
		return nil
	}
	var out []string
	if pr.Any {
		out = append(out, "*")
	}
	for _, f := range pr.Federated {
		out = append(out, "Federated "+f)
	}
	for _, a := range pr.AWS {
		out = append(out, "AWS "+a)
	}
	for _, s := range pr.Service {
		out = append(out, "Service "+s)
	}
	return out
}

// notOurs says why an Allow statement is not one setup would have written
// for this repository ("" when it is).
func (p *Plan) notOurs(st trust.Statement, o Options) string {
	switch {
	case st.NotPrincipal != nil:
		return "lets every principal but those its NotPrincipal names assume the role"
	case st.Principal == nil:
		return "names no principal"
	}
	if others := slices.DeleteFunc(principals(st.Principal), func(s string) bool { return s == "Federated "+p.ProviderARN }); len(others) > 0 {
		return "lets " + strings.Join(others, ", ") + " assume the role"
	}
	provider := strings.ToLower(trust.ProviderOf(o.Issuer)) + ":"
	for _, c := range st.Conditions {
		claim, ok := strings.CutPrefix(strings.ToLower(c.Key), provider)
		if !ok || len(c.Values) == 0 {
			continue
		}
		op := strings.TrimSuffix(strings.TrimPrefix(c.Operator, "ForAnyValue:"), "IfExists")
		if op != "StringEquals" && op != "StringLike" && op != "StringEqualsIgnoreCase" {
			continue
		}
		if !slices.ContainsFunc(c.Values, func(v string) bool { return !pinsRepository(claim, v, o) }) {
			return "" // this condition alone admits only this repository
		}
	}
	if others := slices.DeleteFunc(otherRepositories(st, o), o.asked); len(others) > 0 {
		return "admits runs of " + strings.Join(others, ", ")
	}
	return "does not pin this repository (no sub, repository or repository_id condition naming only it)"
}

// pinsRepository reports whether a condition value on claim admits only
// repositories the options name: a sub whose repository part is one of
// them (by name, and by its ids when it carries them; OWNER@ID/* for an
// OWNER/* given with its id, OWNER/* with --sub-format legacy), one's
// name, or one's id.
func pinsRepository(claim, v string, o Options) bool {
	for _, r := range o.repos() {
		switch claim {
		case "sub":
			rest, ok := strings.CutPrefix(v, "repo:")
			if !ok {
				return false
			}
			seg, _, _ := strings.Cut(rest, ":")
			if r.OwnerWide() {
				if seg == r.Owner()+"@"+r.OwnerID+"/*" && r.OwnerID != "" || seg == r.Owner()+"/*" && o.SubFormat == "legacy" {
					return true
				}
				continue
			}
			if strings.ContainsAny(seg, "*?$") {
				return false
			}
			owner, repo, _ := strings.Cut(seg, "/")
			owner, oid, hasOID := strings.Cut(owner, "@")
			repo, rid, hasRID := strings.Cut(repo, "@")
			if (!hasOID || oid == r.OwnerID) && (!hasRID || rid == r.ID) && strings.EqualFold(owner+"/"+repo, r.Name) {
				return true
			}
		case "repository":
			if !r.OwnerWide() && !strings.ContainsAny(v, "*?$") && strings.EqualFold(v, r.Name) {
				return true
			}
		case "repository_id":
			if r.ID != "" && v == r.ID {
				return true
			}
		}
	}
	return false
}

// asked reports whether repo (OWNER/REPO as a policy names it) is one the
// options name: a repository given, or one of an OWNER/* given.
func (o Options) asked(repo string) bool {
	owner, _, _ := strings.Cut(repo, "/")
	return slices.ContainsFunc(o.repos(), func(r trust.Repo) bool {
		return strings.EqualFold(r.Name, repo) || r.OwnerWide() && r.Owner() == owner
	})
}

// writesRole reports whether the plan changes the existing role.
func (p *Plan) writesRole() bool {
	return p.RoleExists && (p.Has(UpdateTrust) || p.Has(AttachPolicy) || p.Has(SetMaxSession))
}

func listInline(ctx context.Context, svc IAM, role string) ([]string, error) {
	var out []string
	var marker *string
	for page := 0; page < 100; page++ {
		r, err := svc.ListRolePolicies(ctx, &iam.ListRolePoliciesInput{RoleName: aws.String(role), Marker: marker})
		if err != nil {
			return nil, callError("iam", "ListRolePolicies", role, err)
		}
		out = append(out, r.PolicyNames...)
		if !r.IsTruncated || r.Marker == nil {
			break
		}
		marker = r.Marker
	}
	return out, nil
}
