package setup

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/org/aws-oidc-go/internal/trust"
)

// fakeIAM is an account's IAM in memory: enough of the API for plans.
// (The moto tests in internal/cli run the same flows against moto_server.)
type fakeIAM struct {
	providers map[string][]string // ARN → client ids
	roles     map[string]*types.Role
	attached  map[string][]string
	calls     []string

	providerTags map[string][]types.Tag // ARN → tags
}

func newFakeIAM() *fakeIAM {
	return &fakeIAM{providers: map[string][]string{}, roles: map[string]*types.Role{}, attached: map[string][]string{}}
}

var noSuchEntity = &smithy.GenericAPIError{Code: "NoSuchEntity", Message: "not found"}

func (f *fakeIAM) GetCallerIdentity(context.Context, *sts.GetCallerIdentityInput, ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error) {
	return &sts.GetCallerIdentityOutput{Account: aws.String("123456789012"), Arn: aws.String("arn:aws:iam::123456789012:user/admin")}, nil
}

func (f *fakeIAM) GetOpenIDConnectProvider(_ context.Context, in *iam.GetOpenIDConnectProviderInput, _ ...func(*iam.Options)) (*iam.GetOpenIDConnectProviderOutput, error) {
	ids, ok := f.providers[aws.ToString(in.OpenIDConnectProviderArn)]
	if !ok {
		return nil, noSuchEntity
	}
	return &iam.GetOpenIDConnectProviderOutput{ClientIDList: ids, Tags: f.providerTags[aws.ToString(in.OpenIDConnectProviderArn)]}, nil
}

func (f *fakeIAM) CreateOpenIDConnectProvider(_ context.Context, in *iam.CreateOpenIDConnectProviderInput, _ ...func(*iam.Options)) (*iam.CreateOpenIDConnectProviderOutput, error) {
	f.calls = append(f.calls, "CreateOpenIDConnectProvider")
	arn := "arn:aws:iam::123456789012:oidc-provider/" + strings.TrimPrefix(aws.ToString(in.Url), "https://")
	f.providers[arn] = in.ClientIDList
	return &iam.CreateOpenIDConnectProviderOutput{OpenIDConnectProviderArn: aws.String(arn)}, nil
}

func (f *fakeIAM) AddClientIDToOpenIDConnectProvider(_ context.Context, in *iam.AddClientIDToOpenIDConnectProviderInput, _ ...func(*iam.Options)) (*iam.AddClientIDToOpenIDConnectProviderOutput, error) {
	f.calls = append(f.calls, "AddClientIDToOpenIDConnectProvider")
	arn := aws.ToString(in.OpenIDConnectProviderArn)
	f.providers[arn] = append(f.providers[arn], aws.ToString(in.ClientID))
	return &iam.AddClientIDToOpenIDConnectProviderOutput{}, nil
}

func (f *fakeIAM) GetRole(_ context.Context, in *iam.GetRoleInput, _ ...func(*iam.Options)) (*iam.GetRoleOutput, error) {
	r, ok := f.roles[aws.ToString(in.RoleName)]
	if !ok {
		return nil, noSuchEntity
	}
	c := *r
	// As IAM does: the document percent-encoded.
	c.AssumeRolePolicyDocument = aws.String(url.PathEscape(aws.ToString(r.AssumeRolePolicyDocument)))
	return &iam.GetRoleOutput{Role: &c}, nil
}

func (f *fakeIAM) CreateRole(_ context.Context, in *iam.CreateRoleInput, _ ...func(*iam.Options)) (*iam.CreateRoleOutput, error) {
	f.calls = append(f.calls, "CreateRole")
	max := aws.ToInt32(in.MaxSessionDuration)
	if max == 0 {
		max = 3600
	}
	f.roles[aws.ToString(in.RoleName)] = &types.Role{RoleName: in.RoleName, Arn: aws.String("arn:aws:iam::123456789012:role/" + aws.ToString(in.RoleName)),
		AssumeRolePolicyDocument: in.AssumeRolePolicyDocument, MaxSessionDuration: aws.Int32(max)}
	return &iam.CreateRoleOutput{}, nil
}

func (f *fakeIAM) UpdateAssumeRolePolicy(_ context.Context, in *iam.UpdateAssumeRolePolicyInput, _ ...func(*iam.Options)) (*iam.UpdateAssumeRolePolicyOutput, error) {
	f.calls = append(f.calls, "UpdateAssumeRolePolicy")
	f.roles[aws.ToString(in.RoleName)].AssumeRolePolicyDocument = in.PolicyDocument
	return &iam.UpdateAssumeRolePolicyOutput{}, nil
}

func (f *fakeIAM) UpdateRole(_ context.Context, in *iam.UpdateRoleInput, _ ...func(*iam.Options)) (*iam.UpdateRoleOutput, error) {
	f.calls = append(f.calls, "UpdateRole")
	f.roles[aws.ToString(in.RoleName)].MaxSessionDuration = in.MaxSessionDuration
	return &iam.UpdateRoleOutput{}, nil
}

func (f *fakeIAM) ListAttachedRolePolicies(_ context.Context, in *iam.ListAttachedRolePoliciesInput, _ ...func(*iam.Options)) (*iam.ListAttachedRolePoliciesOutput, error) {
	var out []types.AttachedPolicy
	for _, a := range f.attached[aws.ToString(in.RoleName)] {
		out = append(out, types.AttachedPolicy{PolicyArn: aws.String(a)})
	}
	return &iam.ListAttachedRolePoliciesOutput{AttachedPolicies: out}, nil
}

func (f *fakeIAM) AttachRolePolicy(_ context.Context, in *iam.AttachRolePolicyInput, _ ...func(*iam.Options)) (*iam.AttachRolePolicyOutput, error) {
	f.calls = append(f.calls, "AttachRolePolicy")
	f.attached[aws.ToString(in.RoleName)] = append(f.attached[aws.ToString(in.RoleName)], aws.ToString(in.PolicyArn))
	return &iam.AttachRolePolicyOutput{}, nil
}

const providerARN = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"

func opts(branches ...string) Options {
	o := Options{Repository: "octo-org/octo-repo", RepositoryID: "123456789", OwnerID: "65432", Branches: branches, RoleName: "deploy",
		PolicyARNs: []string{"arn:aws:iam::aws:policy/ReadOnlyAccess"}}
	if err := o.Validate(); err != nil {
		panic(err)
	}
	return o
}

func mustPlan(t *testing.T, f *fakeIAM, o Options) *Plan {
	t.Helper()
	p, err := MakePlan(context.Background(), f, f, o)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func kinds(p *Plan) []Kind {
	var k []Kind
	for _, s := range p.Steps {
		k = append(k, s.Kind)
	}
	return k
}

// TestPlanApplyIdempotent: apply carries out exactly the plan's calls, and
// a second plan is empty.
func TestPlanApplyIdempotent(t *testing.T) {
	t.Parallel()
	f := newFakeIAM()
	o := opts("main")
	o.MaxSessionDuration = 7200
	p := mustPlan(t, f, o)
	if want := []Kind{CreateProvider, CreateRole, AttachPolicy}; !slices.Equal(kinds(p), want) {
		t.Fatalf("steps %v, want %v", kinds(p), want)
	}
	if len(f.calls) != 0 {
		t.Fatalf("planning called %v", f.calls)
	}
	if err := Apply(context.Background(), f, p); err != nil {
		t.Fatal(err)
	}
	if want := []string{"CreateOpenIDConnectProvider", "CreateRole", "AttachRolePolicy"}; !slices.Equal(f.calls, want) {
		t.Errorf("calls %v, want %v", f.calls, want)
	}
	if !sameJSON([]byte(aws.ToString(f.roles["deploy"].AssumeRolePolicyDocument)), []byte(p.NewTrust)) {
		t.Errorf("stored policy differs from the plan's")
	}
	if again := mustPlan(t, f, o); !again.Empty() {
		t.Errorf("second plan: %v", kinds(again))
	}
	// A longer session only: one UpdateRole.
	o.MaxSessionDuration = 10800
	if p := mustPlan(t, f, o); !slices.Equal(kinds(p), []Kind{SetMaxSession}) {
		t.Errorf("max session change: %v", kinds(p))
	}
}

// TestPlanTrustChangeGainedLost: a changed branch lists what is gained and
// lost; a Deny for the provider and other principals' statements stay;
// Apply refuses without ReplaceTrustPolicy.
func TestPlanTrustChangeGainedLost(t *testing.T) {
	t.Parallel()
	f := newFakeIAM()
	f.providers[providerARN] = []string{"sts.amazonaws.com"}
	old := `{"Version":"2012-10-17","Statement":[
 {"Effect":"Allow","Principal":{"Federated":"` + providerARN + `"},"Action":"sts:AssumeRoleWithWebIdentity",
  "Condition":{"StringEquals":{"token.actions.githubusercontent.com:aud":"sts.amazonaws.com"},"StringLike":{"token.actions.githubusercontent.com:sub":"repo:octo-org/octo-repo:*"}}},
 {"Effect":"Deny","Principal":{"Federated":"` + providerARN + `"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"token.actions.githubusercontent.com:environment":"sandbox"}}},
 {"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole"}]}`
	f.roles["deploy"] = &types.Role{RoleName: aws.String("deploy"), Arn: aws.String("arn:aws:iam::123456789012:role/deploy"), AssumeRolePolicyDocument: aws.String(old), MaxSessionDuration: aws.Int32(3600)}
	f.attached["deploy"] = []string{"arn:aws:iam::aws:policy/ReadOnlyAccess"}
	o := opts("main")
	p := mustPlan(t, f, o)
	if !slices.Equal(kinds(p), []Kind{UpdateTrust}) {
		t.Fatalf("steps %v", kinds(p))
	}
	verdicts := map[string]string{}
	for _, s := range p.Samples {
		verdicts[s.Name] = s.Old + " -> " + s.New
	}
	for name, want := range map[string]string{
		"branch main, legacy sub":           "ALLOWED -> ALLOWED",
		"branch near-miss, legacy sub":      "ALLOWED -> DENIED", // the wildcard admitted every branch
		"a pull request, legacy sub":        "ALLOWED -> DENIED",
		"environment near-miss, legacy sub": "ALLOWED -> DENIED",
		"environment sandbox, legacy sub":   "DENIED -> DENIED", // named by the old Deny; the Deny is kept
		"branch main, immutable sub":        "DENIED -> ALLOWED",
		"a prefix-named repository (octo-org/octo-repo-evil), branch main, legacy sub": "DENIED -> DENIED",
	} {
		if verdicts[name] != want {
			t.Errorf("%s: %q, want %q", name, verdicts[name], want)
		}
	}
	var merged struct{ Statement []map[string]any }
	json.Unmarshal([]byte(p.NewTrust), &merged)
	if len(merged.Statement) != 3 || merged.Statement[1]["Effect"] != "Deny" || merged.Statement[2]["Action"] != "sts:AssumeRole" {
		t.Errorf("merged policy lost statements:\n%s", p.NewTrust)
	}
	var text strings.Builder
	WriteText(&text, p)
	for _, want := range []string{"Runs the new trust policy gains (current -> planned):\n  DENIED    -> ALLOWED   branch main, immutable sub\n",
		"Runs it loses:\n  ALLOWED   -> DENIED    branch x, legacy sub\n  ALLOWED   -> DENIED    branch near-miss, legacy sub\n", "\n-           \"token.actions.githubusercontent.com:sub\": \"repo:octo-org/octo-repo:*\"\n"} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("text lacks %q:\n%s", want, text.String())
		}
	}
	if err := Apply(context.Background(), f, p); err == nil || !strings.Contains(err.Error(), "--replace-trust-policy") || len(f.calls) != 0 {
		t.Errorf("apply without ReplaceTrustPolicy: %v, calls %v", err, f.calls)
	}
	o.ReplaceTrustPolicy = true
	p = mustPlan(t, f, o)
	p.AdoptRole = true // it trusts the account's root too
	if err := Apply(context.Background(), f, p); err != nil || !slices.Equal(f.calls, []string{"UpdateAssumeRolePolicy"}) {
		t.Errorf("apply with ReplaceTrustPolicy: %v, calls %v", err, f.calls)
	}
	if again := mustPlan(t, f, o); !again.Empty() {
		t.Errorf("after replacing, the plan is %v", kinds(again))
	}
}

func TestDecodePolicy(t *testing.T) {
	t.Parallel()
	doc := `{"a":"c d&e+f/g%"}`
	for _, in := range []string{url.PathEscape(doc), strings.ReplaceAll(url.PathEscape(doc), "%2B", "+"), doc} {
		got, err := DecodePolicy(in)
		if err != nil || string(got) != doc {
			t.Errorf("DecodePolicy(%q) = %q, %v", in, got, err)
		}
	}
	if _, err := DecodePolicy("%7Bnot json"); err == nil {
		t.Errorf("a decoded non-JSON document was accepted")
	}
}

func TestDiff(t *testing.T) {
	t.Parallel()
	got := Diff("a\nb\nc\n", "a\nx\nc\nd\n")
	want := "  a\n- b\n+ x\n  c\n+ d\n"
	if got != want {
		t.Errorf("Diff = %q, want %q", got, want)
	}
}

// TestLookupRepo: the ids from GitHub's REST API, GitHub's own spelling,
// and the failures said plainly; the token never leaves the API host.
func TestLookupRepo(t *testing.T) {
	t.Parallel()
	var sawToken []string
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sawToken = append(sawToken, r.Header.Get("Authorization"))
		fmt.Fprint(w, `{"id": 1, "full_name": "evil/x", "owner": {"id": 2}}`)
	}))
	defer other.Close()
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/repos/octo-org/octo-repo":
			fmt.Fprint(w, `{"id": 123456789, "full_name": "Octo-Org/octo-repo", "owner": {"id": 65432}}`)
		case "/repos/o/strings":
			fmt.Fprint(w, `{"id": "x", "full_name": "o/strings", "owner": {"id": 1}}`)
		case "/repos/o/away":
			http.Redirect(w, r, other.URL+"/repos/evil/x", http.StatusMovedPermanently)
		default:
			w.WriteHeader(http.StatusNotFound)
		}
	}))
	defer api.Close()
	ctx := context.Background()
	r, err := LookupRepo(ctx, &http.Client{}, api.URL, "", "octo-org/octo-repo")
	if err != nil || r != (Repo{FullName: "Octo-Org/octo-repo", RepositoryID: "123456789", OwnerID: "65432"}) {
		t.Errorf("lookup = %+v, %v", r, err)
	}
	for _, tc := range []struct{ repo, token, apiURL, want string }{
		{"o/missing", "", api.URL, "GitHub does not know the repository o/missing (GET " + api.URL + "/repos/o/missing: 404, asked without a token)"},
		{"o/missing", "ghs_x", api.URL, "GitHub does not know the repository o/missing, or GITHUB_TOKEN cannot read it"},
		{"o/strings", "", api.URL, "the answer is not a repository"},
		{"o/away", "ghs_secret", api.URL, "redirected off"},
		{"o/r", "", "http://example.com", "want an https URL"},
	} {
		_, err := LookupRepo(ctx, &http.Client{}, tc.apiURL, tc.token, tc.repo)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.repo, err, tc.want)
		}
		if err != nil && tc.token != "" && strings.Contains(err.Error(), tc.token) {
			t.Errorf("the token is in the error: %v", err)
		}
	}
	if len(sawToken) != 0 {
		t.Errorf("another host was asked (with %q)", sawToken)
	}

	// https to http on the same host and port: refused before the request.
	var plain []string
	tlsAPI := httptest.NewUnstartedServer(nil)
	tlsAPI.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.TLS == nil {
			plain = append(plain, r.Header.Get("Authorization"))
		}
		http.Redirect(w, r, "http://"+r.Host+"/repos/o/plain", http.StatusMovedPermanently)
	})
	tlsAPI.StartTLS()
	defer tlsAPI.Close()
	_, err = LookupRepo(ctx, tlsAPI.Client(), tlsAPI.URL, "ghs_secret", "o/down")
	if err == nil || !strings.Contains(err.Error(), "redirected off https://") || strings.Contains(err.Error(), "ghs_secret") {
		t.Errorf("https to http redirect: %v", err)
	}
	if len(plain) != 0 {
		t.Errorf("the token went over plain http: %q", plain)
	}
}

// TestSampleRunsNamesEveryRun: every branch, tag, environment and pull
// request either policy names is sampled, in both forms, plus the near
// misses.
func TestSampleRunsNamesEveryRun(t *testing.T) {
	t.Parallel()
	o := opts("main")
	o.Tags, o.Environments = []string{"v1"}, []string{"prod"}
	old, err := trust.Parse([]byte(`{"Statement":[{"Effect":"Allow","Principal":{"Federated":"` + providerARN + `"},"Action":"sts:AssumeRoleWithWebIdentity",
  "Condition":{"StringEquals":{"token.actions.githubusercontent.com:sub":["repo:octo-org/octo-repo:ref:refs/heads/legacy","repo:octo-org@65432/octo-repo@123456789:environment:staging","repo:other/x:ref:refs/heads/nope"]}}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range SampleRuns(o, old) {
		names = append(names, s.Name)
	}
	for _, want := range []string{"branch main, legacy sub", "branch main, immutable sub", "tag v1, legacy sub", "environment prod, immutable sub",
		"branch legacy, legacy sub", "environment staging, legacy sub", "branch near-miss, legacy sub", "a pull request, immutable sub",
		"environment near-miss, legacy sub", "another repository of the owner (octo-org/another-repo), branch main, legacy sub",
		"a prefix-named repository (octo-org/octo-repo-evil), branch main, immutable sub", "the same name under another owner (another-owner/octo-repo), branch main, legacy sub"} {
		if !slices.Contains(names, want) {
			t.Errorf("samples lack %q: %q", want, names)
		}
	}
	// Another repository's run is sampled as that repository's, never as
	// this one's.
	if !slices.Contains(names, "repository other/x, branch nope, legacy sub") {
		t.Errorf("the run of another repository the old policy admits is not sampled: %q", names)
	}
	if slices.ContainsFunc(names, func(n string) bool { return strings.HasPrefix(n, "branch nope") }) {
		t.Errorf("a run of another repository was taken for this one's")
	}
}

// roleReaderFunc is a RoleReader from a function.
type roleReaderFunc func(*iam.GetRoleInput) (*iam.GetRoleOutput, error)

func (f roleReaderFunc) GetRole(_ context.Context, in *iam.GetRoleInput, _ ...func(*iam.Options)) (*iam.GetRoleOutput, error) {
	return f(in)
}

// TestReadRole: an ARN is that role or an error naming both ARNs (GetRole
// reads the caller's account by name); an answer without a role is an
// error, not a panic.
func TestReadRole(t *testing.T) {
	t.Parallel()
	const live = "arn:aws:iam::123456789012:role/deploy"
	answer := roleReaderFunc(func(in *iam.GetRoleInput) (*iam.GetRoleOutput, error) {
		return &iam.GetRoleOutput{Role: &types.Role{RoleName: in.RoleName, Arn: aws.String(live), AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[]}`)}}, nil
	})
	for _, tc := range []struct {
		asked string
		r     RoleReader
		want  string // "" ok
	}{
		{"deploy", answer, ""},
		{live, answer, ""},
		{"arn:aws:iam::999999999999:role/deploy", answer, "answers for " + live + ", not the role asked for, arn:aws:iam::999999999999:role/deploy"},
		{"arn:aws-us-gov:iam::123456789012:role/deploy", answer, "not the role asked for, arn:aws-us-gov:iam::123456789012:role/deploy"},
		{"arn:aws:iam::123456789012:role/ci/deploy", answer, "not the role asked for, arn:aws:iam::123456789012:role/ci/deploy"},
		{"deploy", roleReaderFunc(func(*iam.GetRoleInput) (*iam.GetRoleOutput, error) { return &iam.GetRoleOutput{}, nil }), "iam:GetRole (deploy) failed: the answer holds no role"},
		{"deploy", roleReaderFunc(func(*iam.GetRoleInput) (*iam.GetRoleOutput, error) { return nil, nil }), "the answer holds no role"},
	} {
		_, arn, err := ReadRole(context.Background(), tc.r, tc.asked)
		switch {
		case tc.want == "" && (err != nil || arn != live):
			t.Errorf("ReadRole(%s) = %q, %v", tc.asked, arn, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("ReadRole(%s) error %v, want %q", tc.asked, err, tc.want)
		}
	}
}

// TestNearMissesForEachKind: the repository near misses are built for
// each kind of run the role admits, so a policy that lets every
// repository of the owner in for an environment is caught with
// --environment alone; a recycled name (same OWNER/REPO, another
// repository id) is a near miss when the ids are known.
func TestNearMissesForEachKind(t *testing.T) {
	t.Parallel()
	policy := func(op, sub string) *trust.Policy {
		p, err := trust.Parse([]byte(`{"Statement":[{"Effect":"Allow","Principal":{"Federated":"` + providerARN + `"},"Action":"sts:AssumeRoleWithWebIdentity",
  "Condition":{"StringEquals":{"token.actions.githubusercontent.com:aud":"sts.amazonaws.com"},"` + op + `":{"token.actions.githubusercontent.com:sub":"` + sub + `"}}}]}`))
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	envOnly := Options{Repository: "octo-org/octo-repo", Environments: []string{"prod"}, RoleName: "deploy"}
	if err := envOnly.Validate(); err != nil {
		t.Fatal(err)
	}
	withIDs := envOnly
	withIDs.RepositoryID, withIDs.OwnerID = "123456789", "65432"
	for _, tc := range []struct {
		name   string
		o      Options
		p      *trust.Policy
		caught string // a near miss the policy wrongly admits
	}{
		{"every repository of the owner", envOnly, policy("StringLike", "repo:octo-org/*:environment:prod"), "another repository of the owner (octo-org/another-repo), environment prod, legacy sub"},
		{"a name without its id", withIDs, policy("StringEquals", "repo:octo-org/octo-repo:environment:prod"), "a recycled name (octo-org/octo-repo with another repository id), environment prod, legacy sub"},
	} {
		ss := Evaluate(SampleRuns(tc.o, tc.p), "123456789012", tc.o.Issuer, nil, tc.p)
		var b strings.Builder
		bad := WriteVerdicts(&b, ss)
		if bad == 0 || !strings.Contains(b.String(), "ALLOWED   "+tc.caught+"   <-- expected DENIED") {
			t.Errorf("%s: %d bad, the near miss %q is not caught:\n%s", tc.name, bad, tc.caught, b.String())
		}
	}
}

// TestPlanSeesOtherRepositoriesPatternsAndProviders: the runs gained and
// lost cover what the current policy admits for other repositories and by
// pattern, a statement admitting another repository is named before it is
// removed, and a statement for several providers keeps the others.
func TestPlanSeesOtherRepositoriesPatternsAndProviders(t *testing.T) {
	t.Parallel()
	const otherProvider = "arn:aws:iam::123456789012:oidc-provider/other.example"
	f := newFakeIAM()
	f.providers[providerARN] = []string{"sts.amazonaws.com"}
	f.roles["deploy"] = &types.Role{RoleName: aws.String("deploy"), Arn: aws.String("arn:aws:iam::123456789012:role/deploy"), MaxSessionDuration: aws.Int32(3600),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[
  {"Effect":"Allow","Principal":{"Federated":"` + providerARN + `"},"Action":"sts:AssumeRoleWithWebIdentity",
   "Condition":{"StringEquals":{"token.actions.githubusercontent.com:aud":"sts.amazonaws.com"},
     "StringLike":{"token.actions.githubusercontent.com:sub":["repo:octo-org/octo-repo:ref:refs/heads/main","repo:octo-org/octo-repo:ref:refs/heads/release/*","repo:octo-org/other:ref:refs/heads/main"]}}},
  {"Effect":"Allow","Principal":{"Federated":["` + providerARN + `","` + otherProvider + `"]},"Action":"sts:AssumeRoleWithWebIdentity",
   "Condition":{"StringEquals":{"other.example:sub":"x"}}}]}`)}
	o := opts("main")
	o.PolicyARNs = nil
	p := mustPlan(t, f, o)
	for _, w := range []string{"statement 1 of the current trust policy also admits octo-org/other; it will be removed",
		"statement 2 of the current trust policy also lets Federated " + otherProvider + " assume the role; that part is kept for them"} {
		if !slices.ContainsFunc(p.Warnings, func(s string) bool { return strings.Contains(s, w) }) {
			t.Errorf("warnings %q lack %q", p.Warnings, w)
		}
	}
	lost := map[string]bool{}
	for _, s := range p.Samples {
		if s.Old == "ALLOWED" && s.New != "ALLOWED" {
			lost[s.Name] = true
		}
	}
	for _, want := range []string{"repository octo-org/other, branch main, legacy sub", "branch release/x, legacy sub"} {
		if !lost[want] {
			t.Errorf("the runs lost lack %q: %v", want, lost)
		}
	}
	var doc struct{ Statement []map[string]any }
	if err := json.Unmarshal([]byte(p.NewTrust), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Statement) != 2 || fmt.Sprint(doc.Statement[1]["Principal"]) != "map[Federated:"+otherProvider+"]" {
		t.Errorf("the statement for both providers is not kept for the other one alone:\n%s", p.NewTrust)
	}
}
