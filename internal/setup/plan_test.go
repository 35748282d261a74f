package setup

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/smithy-go"

	"github.com/org/aws-oidc-go/internal/trust"
)

// TestDecideUnnamedClaims: claims the run leaves open
// are tried with a value the policy names, one it does not and (for
// enterprise_id) absent; the verdict is the most permissive and the note
// says when.
func TestDecideUnnamedClaims(t *testing.T) {
	t.Parallel()
	allow := `{"Effect":"Allow","Principal":{"Federated":"` + providerARN + `"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"token.actions.githubusercontent.com:sub":"repo:octo-org/octo-repo:ref:refs/heads/main"%s}}}`
	deny := `{"Effect":"Deny","Principal":{"Federated":"` + providerARN + `"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{%s}}`
	run := trust.Run{Repository: "octo-org/octo-repo", Ref: "refs/heads/main", RepositoryID: "1", OwnerID: "2"}
	for _, tc := range []struct {
		name, policy, verdict, when string
	}{
		{"a Deny on actor", fmt.Sprintf(allow, "") + "," + fmt.Sprintf(deny, `"StringEquals":{"token.actions.githubusercontent.com:actor":"evil-bot"}`),
			"ALLOWED", `denied when actor is "evil-bot"`},
		{"an Allow for one actor and one workflow", fmt.Sprintf(allow, `,"token.actions.githubusercontent.com:actor":"octocat","token.actions.githubusercontent.com:workflow":"deploy"`),
			"ALLOWED", `admitted only when actor is "octocat" and workflow is "deploy"`},
		{"a Deny unless in the enterprise", fmt.Sprintf(allow, "") + "," + fmt.Sprintf(deny, `"StringNotEquals":{"token.actions.githubusercontent.com:enterprise_id":"77"}`),
			"ALLOWED", `admitted only when enterprise_id is "77" (a repository of that enterprise)`},
		{"nothing on them", fmt.Sprintf(allow, ""), "ALLOWED", ""},
		{"a Deny on every run", fmt.Sprintf(allow, "") + "," + fmt.Sprintf(deny, `"StringLike":{"token.actions.githubusercontent.com:actor":"*"}`), "DENIED", ""},
	} {
		p, err := trust.Parse([]byte(`{"Version":"2012-10-17","Statement":[` + tc.policy + `]}`))
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		v, when := Decide(p, "123456789012", trust.DefaultIssuer, run)
		if v.String() != tc.verdict || when != tc.when {
			t.Errorf("%s: %s (%q), want %s (%q)", tc.name, v, when, tc.verdict, tc.when)
		}
	}
}

// GetPolicy answers for AWS-managed policies and for any policy whose name
// does not start with "missing".
func (f *fakeIAM) GetPolicy(_ context.Context, in *iam.GetPolicyInput, _ ...func(*iam.Options)) (*iam.GetPolicyOutput, error) {
	if _, name, _ := strings.Cut(aws.ToString(in.PolicyArn), ":policy/"); strings.HasPrefix(name, "missing") {
		return nil, noSuchEntity
	}
	return &iam.GetPolicyOutput{Policy: &types.Policy{Arn: in.PolicyArn}}, nil
}

// ListRolePolicies answers one inline policy for a role whose name starts
// with "inline", none for the others.
func (f *fakeIAM) ListRolePolicies(_ context.Context, in *iam.ListRolePoliciesInput, _ ...func(*iam.Options)) (*iam.ListRolePoliciesOutput, error) {
	if _, ok := f.roles[aws.ToString(in.RoleName)]; !ok {
		return nil, noSuchEntity
	}
	if strings.HasPrefix(aws.ToString(in.RoleName), "inline") {
		return &iam.ListRolePoliciesOutput{PolicyNames: []string{"everything"}}, nil
	}
	return &iam.ListRolePoliciesOutput{}, nil
}

// TestClosingCheckCatchesWitnesses: a live role with an Allow for any
// principal whose sub pattern names an owner no fixed near miss tries
// (repo:evil-org/*, repo:acme*) is caught: the pattern's witness is a
// sample the role must refuse.
func TestClosingCheckCatchesWitnesses(t *testing.T) {
	t.Parallel()
	o := opts("main")
	for _, pattern := range []string{"repo:evil-org/*", "repo:acme*", "repo:*:environment:prod", "*"} {
		gen, err := trust.Generate(o.TrustOptions("123456789012", "aws"))
		if err != nil {
			t.Fatal(err)
		}
		live := strings.Replace(string(gen), `"Statement": [`, `"Statement": [{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRoleWithWebIdentity",
		  "Condition":{"StringLike":{"token.actions.githubusercontent.com:sub":"`+pattern+`"}}},`, 1)
		p, err := trust.Parse([]byte(live))
		if err != nil || len(p.Statements) != 2 {
			t.Fatalf("%s: %v\n%s", pattern, err, live)
		}
		var b strings.Builder
		if bad := WriteVerdicts(&b, Evaluate(SampleRuns(o, p), "123456789012", o.Issuer, nil, p)); bad == 0 {
			t.Errorf("%s: the live role admits its witness, and the check passes:\n%s", pattern, b.String())
		}
		if w := OutsideWitnesses(p, "123456789012", o); len(w) == 0 {
			t.Errorf("%s: no witness outside the plan is admitted", pattern)
		}
		own, _ := trust.Parse(gen)
		if w := OutsideWitnesses(own, "123456789012", o); len(w) != 0 {
			t.Errorf("the generated policy admits witnesses outside the plan: %q", w)
		}
	}
}

// TestGeneratedPolicyHasNoOutsideWitness: the policy setup writes admits
// no witness beyond the runs named, whatever the runs and sub format.
func TestGeneratedPolicyHasNoOutsideWitness(t *testing.T) {
	t.Parallel()
	for _, o := range []Options{
		{Repository: "octo-org/octo-repo", RoleName: "r", Branches: []string{"main", "refs/heads/release/1"}, Tags: []string{"v1"}, Environments: []string{"prod"}, PullRequest: true, RepositoryID: "1", OwnerID: "2"},
		{Repository: "octo-org/octo-repo", RoleName: "r", Environments: []string{"prod"}, SubFormat: "legacy"},
		{Repository: "octo-org/octo-repo", RoleName: "r", Tags: []string{"v1"}, RepositoryID: "1", OwnerID: "2", SubFormat: "immutable"},
	} {
		if err := o.Validate(); err != nil {
			t.Fatal(err)
		}
		to := o.TrustOptions("123456789012", "aws")
		if err := to.Validate(); err != nil {
			t.Fatal(err)
		}
		gen, err := trust.Generate(to)
		if err != nil {
			t.Fatal(err)
		}
		p, _ := trust.Parse(gen)
		if w := OutsideWitnesses(p, "123456789012", o); len(w) != 0 {
			t.Errorf("%+v: the generated policy admits witnesses outside the plan: %q\n%s", o, w, gen)
		}
	}
}

// deniedInline is an IAM whose ListRolePolicies is refused.
type deniedInline struct{ *fakeIAM }

func (deniedInline) ListRolePolicies(context.Context, *iam.ListRolePoliciesInput, ...func(*iam.Options)) (*iam.ListRolePoliciesOutput, error) {
	return nil, &smithy.GenericAPIError{Code: "AccessDenied", Message: "not authorized to perform: iam:ListRolePolicies"}
}

// TestPlanAccessDeniedNamesNewReads: the advice for a refused read while
// planning lists every call planning makes, the new ones included.
func TestPlanAccessDeniedNamesNewReads(t *testing.T) {
	t.Parallel()
	f := newFakeIAM()
	f.roles["deploy"] = &types.Role{RoleName: aws.String("deploy"), Arn: aws.String("arn:aws:iam::123456789012:role/deploy"), MaxSessionDuration: aws.Int32(3600),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[]}`)}
	_, err := MakePlan(context.Background(), deniedInline{f}, f, opts("main"))
	if err == nil || !strings.Contains(err.Error(), "iam:ListRolePolicies (deploy) failed: AccessDenied") || !strings.Contains(err.Error(), PlanPermissions) {
		t.Errorf("MakePlan with ListRolePolicies refused: %v", err)
	}
}

// TestMultiRepositoryRoleIsItsOwn: a role made for several repositories is
// no other's when its runs change: no statement is "removed" for a
// repository named, and no --adopt-role is needed.
func TestMultiRepositoryRoleIsItsOwn(t *testing.T) {
	t.Parallel()
	f := newFakeIAM()
	o := opts("main")
	o.More = []trust.Repo{{Name: "other-org/infra", ID: "777", OwnerID: "888"}}
	p := mustPlan(t, f, o)
	if err := Apply(context.Background(), f, p); err != nil {
		t.Fatal(err)
	}
	o.Branches, o.ReplaceTrustPolicy = []string{"release"}, true
	p = mustPlan(t, f, o)
	if len(p.NotMadeFor) != 0 || slices.ContainsFunc(p.Warnings, func(w string) bool { return strings.Contains(w, "will be removed") }) {
		t.Errorf("the role's own statements taken for another's: %q %q", p.NotMadeFor, p.Warnings)
	}
	if err := Apply(context.Background(), f, p); err != nil {
		t.Errorf("apply: %v", err)
	}
}
