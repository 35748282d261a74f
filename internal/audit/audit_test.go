package audit

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/smithy-go"

	"github.com/org/aws-oidc-go/internal/dev/harness"
	"github.com/org/aws-oidc-go/internal/setup"
	"github.com/org/aws-oidc-go/internal/trust"
)

// TestMain keeps the machine's AWS settings out (AWS_CA_BUNDLE is exported
// on these machines; a profile or region there would change what the SDK
// does).
func TestMain(m *testing.M) {
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "AWS_") {
			os.Unsetenv(k)
		}
	}
	dir, err := os.MkdirTemp("", "aws-oidc-go-audit-*")
	if err != nil {
		panic(err)
	}
	os.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "config"))
	os.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "credentials"))
	os.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	code := m.Run()
	harness.StopShared()
	os.RemoveAll(dir)
	os.Exit(code)
}

const (
	account  = "123456789012"
	ghARN    = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"
	entARN   = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com/acme-ent"
	ghesARN  = "arn:aws:iam::123456789012:oidc-provider/ghes.example.com/_services/token"
	eksARN   = "arn:aws:iam::123456789012:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE"
	k        = "token.actions.githubusercontent.com:"
	aud      = `"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"`
	repoID   = `"token.actions.githubusercontent.com:repository_id": "42"`
	release  = `"token.actions.githubusercontent.com:sub": ["repo:org/app:ref:refs/heads/release", "repo:org@7/app@42:ref:refs/heads/release"]`
	mainSubs = `"token.actions.githubusercontent.com:sub": ["repo:org/app:ref:refs/heads/main", "repo:org@7/app@42:ref:refs/heads/main"]`
)

// iamClient is an IAM client for endpoint, built as the command builds it
// (setup.AWS): moto's test keys, AWS_ENDPOINT_URL_IAM.
func iamClient(t testing.TB, endpoint string) *iam.Client {
	t.Helper()
	env := map[string]string{"AWS_ENDPOINT_URL_IAM": endpoint, "AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE", "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}
	c, _, _, err := setup.AWS{Getenv: func(k string) string { return env[k] }}.Clients(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// doc is a trust policy of the given statements.
func doc(statements ...string) string {
	return `{"Version": "2012-10-17", "Statement": [` + strings.Join(statements, ",") + `]}`
}

// allow is an Allow for AssumeRoleWithWebIdentity from principal (a
// Federated ARN, or a whole Principal element when it starts with { or ").
func allow(principal, conditions string) string {
	return statement("Allow", principal, "sts:AssumeRoleWithWebIdentity", conditions)
}

func statement(effect, principal, action, conditions string) string {
	p := principal
	if !strings.HasPrefix(p, "{") && !strings.HasPrefix(p, `"`) {
		p = `{"Federated": "` + principal + `"}`
	}
	s := `{"Effect": "` + effect + `", "Principal": ` + p + `, "Action": "` + action + `"`
	if conditions != "" {
		s += `, "Condition": ` + conditions
	}
	return s + "}"
}

// selfRefSub compares sub with the token's own repository: a policy
// variable in a 2012-10-17 policy, literal text otherwise.
const selfRefSub = `{"StringLike": {"` + k + `sub": "repo:${` + k + `repository}:*"}, "StringEquals": {` + aud + `}}`

// auditCase is one role of the account and what the audit must say of
// it: its severity ("" none; "unlisted": trusts only other principals)
// and a kind among its findings.
type auditCase struct {
	role, policy string
	severity     Severity
	kind         Kind
}

// accountRoles are the table: the write-ups' bad patterns, look-alikes
// that are in fact tight, each form of the first paragraph,
// several providers, Deny statements, roles trusting only others.
var accountRoles = []auditCase{
	// critical: anyone on GitHub.com
	{"aud-only", doc(allow(ghARN, `{"StringEquals": {`+aud+`}}`)), Critical, KindAnyone},
	{"no-condition", doc(allow(ghARN, "")), Critical, KindAnyone},
	{"sub-repo-star", doc(allow(ghARN, `{"StringLike": {"`+k+`sub": "repo:*"}, "StringEquals": {`+aud+`}}`)), Critical, KindAnyone},
	{"sub-owner-prefix", doc(allow(ghARN, `{"StringLike": {"`+k+`sub": "repo:acme*"}, "StringEquals": {`+aud+`}}`)), Critical, KindAnyone},
	{"sub-any-repo-main", doc(allow(ghARN, `{"StringLike": {"`+k+`sub": "repo:*:ref:refs/heads/main"}, "StringEquals": {`+aud+`}}`)), Critical, KindAnyone},
	{"key-other-case-wide", doc(allow(ghARN, `{"StringLike": {"Token.Actions.GitHubUserContent.com:SUB": "repo:*"}}`)), Critical, KindAnyone},
	{"forallvalues-environment", doc(allow(ghARN, `{"ForAllValues:StringEquals": {"`+k+`environment": "prod"}, "StringEquals": {`+aud+`}}`)), Critical, KindAnyone},
	{"forallvalues-sub-is-tight", doc(allow(ghARN, `{"ForAllValues:StringEquals": {`+release+`}, "StringEquals": {`+aud+`, `+repoID+`}}`)), "", ""},
	{"stringnotequals-only", doc(allow(ghARN, `{"StringNotEquals": {"`+k+`sub": "repo:evil/x:ref:refs/heads/main"}, "StringEquals": {`+aud+`}}`)), Critical, KindAnyone},
	{"policy-variable-self", doc(allow(ghARN, `{"StringEquals": {"`+k+`repository": "${`+k+`repository}", `+aud+`}}`)), Critical, KindAnyone},
	{"wildcard-principal", doc(allow(`"*"`, `{"StringEquals": {`+aud+`}}`)), Critical, KindAnyone},
	{"wildcard-principal-assume-role", doc(statement("Allow", `{"AWS": "*"}`, "sts:AssumeRole", "")), Critical, KindAnyAWSPrincipal},
	{"null-sub-false", doc(allow(ghARN, `{"Null": {"`+k+`sub": "false"}}`)), Critical, KindAnyone},
	{"foranyvalue-sub-star", doc(allow(ghARN, `{"ForAnyValue:StringLike": {"`+k+`sub": "repo:*"}}`)), Critical, KindAnyone},
	// high
	{"owner-wide", doc(allow(ghARN, `{"StringLike": {"`+k+`sub": "repo:org/*"}, "StringEquals": {`+aud+`}}`)), High, KindOwnerWide},
	{"owner-wide-immutable", doc(allow(ghARN, `{"StringLike": {"`+k+`sub": "repo:org@7/*"}, "StringEquals": {`+aud+`}}`)), High, KindOwnerWide},
	{"repository-name-only", doc(allow(ghARN, `{"StringEquals": {"`+k+`repository": "org/app", "`+k+`ref": "refs/heads/release", `+aud+`}}`)), High, KindNameOnly},
	{"actor-only", doc(allow(ghARN, `{"StringEquals": {"`+k+`actor_id": "1234", `+aud+`}}`)), High, KindUserOnly},
	{"enterprise-issuer-aud-only", doc(allow(entARN, `{"StringEquals": {"token.actions.githubusercontent.com/acme-ent:aud": "sts.amazonaws.com"}}`)), High, KindInstanceWide},
	{"ghes-aud-only", doc(allow(ghesARN, `{"StringEquals": {"ghes.example.com/_services/token:aud": "sts.amazonaws.com"}}`)), High, KindInstanceWide},
	{"deny-leaves-owner-open", doc(allow(ghARN, `{"StringLike": {"`+k+`sub": "repo:org/*"}}`), statement("Deny", `"*"`, "sts:AssumeRoleWithWebIdentity", `{"StringLike": {"`+k+`sub": "repo:org/secret*"}}`)), High, KindOwnerWide},
	// Denys the lint once took for closing (the evaluator never did):
	// a NotAction Deny, and one whose value is the token's own claim
	{"deny-notaction-closes-nothing", `{"Version": "2012-10-17", "Statement": [` + allow(ghARN, `{"StringEquals": {`+aud+`}}`) + `, {"Effect": "Deny", "Principal": {"Federated": "` + ghARN + `"}, "NotAction": "sts:AssumeRoleWithWebIdentity", "Condition": {"StringNotEquals": {` + repoID + `}}}]}`, Critical, KindAnyone},
	{"deny-self-variable-closes-nothing", doc(allow(ghARN, `{"StringEquals": {`+aud+`}}`), statement("Deny", `"*"`, "sts:AssumeRoleWithWebIdentity", `{"StringNotEquals": {"`+k+`repository": "${`+k+`repository}"}}`)), Critical, KindAnyone},
	{"deny-closes-to-owner", doc(allow(ghARN, `{"StringEquals": {`+aud+`}}`), statement("Deny", `"*"`, "sts:AssumeRoleWithWebIdentity", `{"StringNotLike": {"`+k+`sub": "repo:org/*"}}`)), High, KindOwnerWide},
	// medium
	{"default-branch", doc(allow(ghARN, `{"StringEquals": {`+aud+`, `+repoID+`, `+mainSubs+`}}`)), Medium, KindDefaultBranch},
	{"any-branch", doc(allow(ghARN, `{"StringLike": {"`+k+`sub": "repo:org/app:*"}, "StringEquals": {`+aud+`, `+repoID+`}}`)), Medium, KindAnyBranch},
	{"pull-request", doc(allow(ghARN, `{"StringEquals": {"`+k+`sub": "repo:org@7/app@42:pull_request", `+aud+`, `+repoID+`}}`)), Medium, KindPullRequest},
	{"environment", doc(allow(ghARN, `{"StringEquals": {"`+k+`sub": "repo:org@7/app@42:environment:prod", `+aud+`, `+repoID+`}}`)), Medium, KindEnvironment},
	{"deny-closes-to-repository", doc(allow(ghARN, `{"StringEquals": {`+aud+`}}`), statement("Deny", `"*"`, "sts:AssumeRoleWithWebIdentity", `{"StringNotEquals": {`+repoID+`}}`)), Medium, KindAnyBranch},
	// low
	{"legacy-sub-only", doc(allow(ghARN, `{"StringEquals": {"`+k+`sub": "repo:org/app:ref:refs/heads/release", `+aud+`}}`)), Low, KindLegacyOnly},
	{"aud-not-pinned", doc(allow(ghARN, `{"StringEquals": {`+release+`, `+repoID+`}}`)), Low, KindAudNotPinned},
	// no witness or sample admitted
	{"tight-release", doc(allow(ghARN, `{"StringEquals": {`+aud+`, `+repoID+`, `+release+`}}`)), "", ""},
	{"main-with-workflow-pin", doc(allow(ghARN, `{"StringEquals": {`+aud+`, `+repoID+`, `+mainSubs+`, "`+k+`job_workflow_ref": "org/app/.github/workflows/deploy.yml@refs/heads/main"}}`)), "", ""},
	{"equals-with-wildcard", doc(allow(ghARN, `{"StringEquals": {"`+k+`sub": "repo:org/*", `+aud+`}}`)), "", ""},
	{"two-providers", doc(allow(`{"Federated": ["`+ghARN+`", "`+eksARN+`"]}`, `{"StringEquals": {`+aud+`, `+repoID+`, `+release+`}}`)), "", ""},
	{"key-other-case-tight", doc(allow(ghARN, `{"StringEquals": {"Token.Actions.GitHubUserContent.com:Aud": "sts.amazonaws.com", "TOKEN.ACTIONS.GITHUBUSERCONTENT.COM:REPOSITORY_ID": "42", "Token.Actions.GithubUserContent.Com:Sub": "repo:org@7/app@42:ref:refs/heads/release"}}`)), "", ""},
	// undecided
	{"reusable-workflow-only", doc(allow(ghARN, `{"StringEquals": {"`+k+`job_workflow_ref": "org/wf/.github/workflows/deploy.yml@refs/heads/main", `+aud+`}}`)), Undecided, KindReusableOnly},
	{"deny-not-ip-address", doc(allow(ghARN, `{"StringEquals": {`+aud+`, `+repoID+`, `+release+`}}`), statement("Deny", `"*"`, "sts:AssumeRoleWithWebIdentity", `{"NotIpAddress": {"aws:SourceIp": "10.0.0.0/8"}}`)), Undecided, KindUndecided},
	{"variable-of-another-key", doc(allow(ghARN, `{"StringLike": {"`+k+`sub": "repo:org/app:ref:refs/heads/${aws:username}"}, "StringEquals": {`+aud+`}}`)), Undecided, KindUndecided},
	// forms the issue reports moto's validator refusing (the moto here
	// takes them; TestAuditFormsMotoRefuses has them without moto too)
	{"no-version-variable-literal", `{"Statement": [` + allow(ghARN, selfRefSub) + `]}`, "", ""},
	{"version-2008-variable-literal", strings.Replace(doc(allow(ghARN, selfRefSub)), "2012-10-17", "2008-10-17", 1), "", ""},
	{"version-2012-variable-substituted", doc(allow(ghARN, selfRefSub)), Critical, KindAnyone},
	{"numeric-repository-id", doc(allow(ghARN, `{"StringEquals": {`+aud+`, "`+k+`repository_id": 42, `+release+`}}`)), "", ""},
	{"notaction", `{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Federated": "` + ghARN + `"}, "NotAction": "sts:AssumeRole", "Condition": {"StringEquals": {` + aud + `}}}]}`, Critical, KindAnyone},
	{"action-star", doc(statement("Allow", ghARN, "*", `{"StringEquals": {`+aud+`}}`)), Critical, KindAnyone},
	// trusting only other principals: counted, not listed
	{"service-only", doc(statement("Allow", `{"Service": "ec2.amazonaws.com"}`, "sts:AssumeRole", "")), "unlisted", ""},
	{"eks-only", doc(allow(eksARN, `{"StringEquals": {"oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE:aud": "sts.amazonaws.com"}}`)), "unlisted", ""},
	{"github-provider-of-another-account", doc(allow("arn:aws:iam::999999999999:oidc-provider/token.actions.githubusercontent.com", `{"StringEquals": {`+aud+`}}`)), "unlisted", ""},
}

var account1 struct {
	once sync.Once
	url  string
	err  error
}

// sharedAccount is one moto_server holding the table's providers and
// roles, made once for the test binary (the audit only reads it).
func sharedAccount(t testing.TB) string {
	t.Helper()
	m := harness.SharedMoto(t)
	account1.once.Do(func() { account1.err = populate(m.URL, accountRoles) })
	if account1.err != nil {
		t.Fatal(account1.err)
	}
	return m.URL
}

func populate(endpoint string, roles []auditCase) error {
	ctx := context.Background()
	c := iamClient(&testing.T{}, endpoint)
	for _, u := range []string{"https://token.actions.githubusercontent.com", "https://token.actions.githubusercontent.com/acme-ent", "https://ghes.example.com/_services/token", "https://oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE"} {
		if _, err := c.CreateOpenIDConnectProvider(ctx, &iam.CreateOpenIDConnectProviderInput{Url: aws.String(u), ClientIDList: []string{"sts.amazonaws.com"},
			ThumbprintList: []string{"6938fd4d98bab03faadb97b34396831e3780aea1"}}); err != nil {
			return fmt.Errorf("creating provider %s: %w", u, err)
		}
	}
	for _, r := range roles {
		if _, err := c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(r.role), AssumeRolePolicyDocument: aws.String(r.policy)}); err != nil {
			return fmt.Errorf("creating role %s: %w", r.role, err)
		}
	}
	return nil
}

// readOnly are the only calls the audit may make.
var readOnly = []string{"ListRoles", "ListOpenIDConnectProviders", "GetOpenIDConnectProvider"}

// auditThroughProxy runs the audit against the account through the fault
// proxy and fails the test on any call but the read-only ones.
func auditThroughProxy(t *testing.T, endpoint string, o Options, plan func(*harness.FaultPlan)) (*Report, *harness.Proxy, error) {
	t.Helper()
	proxy := harness.NewProxy(endpoint)
	t.Cleanup(proxy.Close)
	if plan != nil {
		plan(proxy.Faults())
	}
	rep, err := Run(context.Background(), iamClient(t, proxy.URL), o)
	for _, r := range proxy.Requests() {
		if !slices.Contains(readOnly, r.Action) {
			t.Fatalf("the audit called iam:%s: it must only read (%v)", r.Action, readOnly)
		}
	}
	return rep, proxy, err
}

// TestAuditAgainstMoto: every role of the table gets its expected
// severity; each finding but an undecided one carries a witness that the
// trust engine, run again here on the policy as IAM returns it, ALLOWS;
// roles are read over several pages; only read calls are made.
func TestAuditAgainstMoto(t *testing.T) {
	t.Parallel()
	endpoint := sharedAccount(t)
	const page = 7
	rep, proxy, err := auditThroughProxy(t, endpoint, Options{PageSize: page}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if rep.RolesRead != len(accountRoles) {
		t.Errorf("read %d roles, want %d", rep.RolesRead, len(accountRoles))
	}
	if n, want := proxy.Count("ListRoles"), (len(accountRoles)+page-1)/page; n < want {
		t.Errorf("%d ListRoles pages for %d roles of %d a page", n, len(accountRoles), page)
	}
	if rep.Account != account || len(rep.Providers) != 3 {
		t.Errorf("account %q, providers %v (want the three GitHub Actions issuers, not EKS)", rep.Account, rep.Providers)
	}
	byName := map[string]RoleReport{}
	for _, r := range rep.Roles {
		byName[r.Name] = r
	}
	unlisted := 0
	for _, c := range accountRoles {
		r, listed := byName[c.role]
		if c.severity == "unlisted" {
			unlisted++
			if listed {
				t.Errorf("%s: listed (%s), but it trusts only other principals", c.role, r.Severity)
			}
			continue
		}
		if !listed {
			t.Errorf("%s: not listed", c.role)
			continue
		}
		var kinds []Kind
		for _, f := range r.Findings {
			kinds = append(kinds, f.Kind)
		}
		if r.Severity != c.severity || (c.kind != "" && !slices.Contains(kinds, c.kind)) {
			t.Errorf("%s: %q %v, want %q with %s", c.role, r.Severity, kinds, c.severity, c.kind)
		}
		if c.severity == "" && r.Note != "no witness or sample admitted" {
			t.Errorf("%s: note %q", c.role, r.Note)
		}
		p, err := trust.Parse([]byte(c.policy))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range r.Findings {
			if f.Severity == Undecided || f.Kind == KindAnyAWSPrincipal {
				continue
			}
			if f.Witness == nil || f.Witness.Verdict != "ALLOWED" {
				t.Errorf("%s %s: no ALLOWED witness", c.role, f.Kind)
				continue
			}
			iss, _ := f.Witness.Claims["iss"].(string)
			if d := trust.Evaluate(p, trust.RequestFor(iss, account, f.Witness.Claims)); d.Verdict != trust.Allowed {
				t.Errorf("%s %s: its witness %s is %v", c.role, f.Kind, f.Witness.Brief(), d.Verdict)
			}
		}
	}
	if rep.OtherRoles != unlisted {
		t.Errorf("%d roles counted as trusting others, want %d", rep.OtherRoles, unlisted)
	}
	if len(accountRoles) < 25 {
		t.Errorf("the table has %d roles; the issue asks for at least 25", len(accountRoles))
	}
}

// TestAuditRetriesThrottling: IAM throttling ListRoles is retried, as the
// SDK retries every other call.
func TestAuditRetriesThrottling(t *testing.T) {
	t.Parallel()
	endpoint := sharedAccount(t)
	var n int
	rep, proxy, err := auditThroughProxy(t, endpoint, Options{}, func(p *harness.FaultPlan) {
		p.At(harness.IAMError(400, "Throttling", "Rate exceeded"), 5) // the first ListRoles, after ListOpenIDConnectProviders and three GetOpenIDConnectProvider
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range proxy.Requests() {
		if r.Action == "ListRoles" {
			n++
		}
	}
	if n < 2 || rep.RolesRead != len(accountRoles) {
		t.Errorf("ListRoles %d times, %d roles read", n, rep.RolesRead)
	}
}

// TestAuditAccessDenied: a call IAM refuses ends the audit with an error
// naming the call and the permission.
func TestAuditAccessDenied(t *testing.T) {
	t.Parallel()
	endpoint := sharedAccount(t)
	_, _, err := auditThroughProxy(t, endpoint, Options{}, func(p *harness.FaultPlan) {
		p.ForAction("ListRoles", harness.IAMError(403, "AccessDenied", "User: arn:aws:iam::123456789012:user/x is not authorized to perform: iam:ListRoles"))
	})
	var ce *CallError
	if err == nil || !errorsAs(err, &ce) || ce.Call != "ListRoles" || !strings.Contains(err.Error(), "grant the identity running the audit iam:ListRoles") {
		t.Fatalf("err = %v", err)
	}
}

func errorsAs(err error, target any) bool { return errors.As(err, target) }

// TestCallErrorShowsHostileMessage: IAM's message and the SDK's error are
// shown clipped between runes and on one visible line (runner.Excerpt): no
// C1 control, byte that is not UTF-8 or line that starts a workflow command.
func TestCallErrorShowsHostileMessage(t *testing.T) {
	t.Parallel()
	harness.CheckShown(t, callError("ListRoles", &smithy.GenericAPIError{Code: "AccessDenied", Message: harness.HostileLine}).Error(), true)
	harness.CheckShown(t, callError("ListRoles", errors.New(harness.HostileLine)).Error(), true)
}
