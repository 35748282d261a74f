package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/org/aws-oidc-go/internal/dev/harness"
)

// TestMain keeps the machine's AWS settings out: the SDK reads the process
// environment (AWS_CA_BUNDLE is exported on these machines, and a profile
// or a region there would change what the tests see).
func TestMain(m *testing.M) {
	if os.Getenv(childArgsEnv) != "" {
		os.Exit(m.Run()) // a child process: the parent chose its environment
	}
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "AWS_") {
			os.Unsetenv(k)
		}
	}
	dir, err := os.MkdirTemp("", "aws-oidc-go-cli-*")
	if err != nil {
		panic(err)
	}
	os.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "config"))
	os.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "credentials"))
	os.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

const (
	testRepo    = "octo-org/octo-repo"
	testRepoID  = "123456789"
	testOwnerID = "65432"
	testAccount = "123456789012"
)

// fakeGitHubAPI answers GET /repos/octo-org/octo-repo as GitHub's REST API
// does (the fields setup reads, with the types GitHub uses), and counts
// the requests and the tokens they carried.
type fakeGitHubAPI struct {
	*httptest.Server
	requests atomic.Int32
	tokens   chan string
}

func newFakeGitHubAPI(t *testing.T) *fakeGitHubAPI {
	f := &fakeGitHubAPI{tokens: make(chan string, 100)}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.requests.Add(1)
		f.tokens <- r.Header.Get("Authorization")
		switch r.URL.Path {
		case "/repos/octo-org/octo-repo", "/repos/Octo-Org/Octo-Repo":
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
			fmt.Fprintf(w, `{"id": %s, "node_id": "R_kgDOexample", "name": "octo-repo", "full_name": "octo-org/octo-repo", "private": false,
  "owner": {"login": "octo-org", "id": %s, "type": "Organization"}, "html_url": "https://github.com/octo-org/octo-repo"}`, testRepoID, testOwnerID)
		default:
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprint(w, `{"message": "Not Found", "documentation_url": "https://docs.github.com/rest/repos/repos#get-a-repository", "status": "404"}`)
		}
	}))
	t.Cleanup(f.Close)
	return f
}

// setupEnv is the environment setup runs in: IAM (and STS) at the given
// endpoints, moto's test keys, the fake GitHub API.
func setupEnv(iamURL, stsURL, ghURL string) map[string]string {
	return map[string]string{
		"AWS_ENDPOINT_URL_IAM": iamURL, "AWS_ENDPOINT_URL_STS": stsURL,
		"AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE", "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
		"GITHUB_API_URL": ghURL, "GITHUB_TOKEN": "ghs_faketoken0123456789",
	}
}

// awsCLI runs the AWS CLI against endpoint: the independent reader of what
// setup created.
func awsCLI(t *testing.T, endpoint string, args ...string) (string, error) {
	t.Helper()
	home := t.TempDir()
	cmd := exec.Command("aws", append([]string{"--endpoint-url", endpoint, "--region", "us-east-1", "--output", "json"}, args...)...)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + home,
		"AWS_CONFIG_FILE=" + filepath.Join(home, "config"), "AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(home, "credentials"),
		"AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE", "AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "AWS_EC2_METADATA_DISABLED=true"}
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	if err != nil {
		return errOut.String(), err
	}
	return out.String(), nil
}

func mustAWS(t *testing.T, endpoint string, args ...string) map[string]any {
	t.Helper()
	out, err := awsCLI(t, endpoint, args...)
	if err != nil {
		t.Fatalf("aws %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(out), &m); err != nil {
		t.Fatalf("aws %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return m
}

// liveTrust is the role's trust policy as the AWS CLI reads it (it decodes
// IAM's URL-encoding itself).
func liveTrust(t *testing.T, endpoint, role string) any {
	t.Helper()
	return mustAWS(t, endpoint, "iam", "get-role", "--role-name", role)["Role"].(map[string]any)["AssumeRolePolicyDocument"]
}

func startMoto(t *testing.T) *harness.Moto {
	t.Helper()
	harness.RequireTool(t, "aws")
	m, err := harness.StartMoto(context.Background())
	if err != nil {
		harness.Require(t, err)
	}
	t.Cleanup(m.Close)
	return m
}

func jsonOf(t *testing.T, s string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, s)
	}
	return v
}

func jsonEqual(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return bytes.Equal(x, y)
}

type planJSON struct {
	Steps []struct {
		Kind, Call, Summary string
		PolicyARN           string `json:"policy_arn"`
	} `json:"steps"`
	TrustPolicy string `json:"trust_policy"`
	RoleARN     string `json:"role_arn"`
	ProviderARN string `json:"provider_arn"`
	MaxSession  int32  `json:"max_session_duration"`
}

func (p planJSON) kinds() []string {
	var k []string
	for _, s := range p.Steps {
		k = append(k, s.Kind)
	}
	return k
}

// TestSetupAgainstMoto walks the story against moto_server's IAM,
// with the AWS CLI reading back what was created: a plan changes nothing;
// --apply creates the provider and the role exactly as planned; a second
// run plans nothing; another --branch plans a trust-policy change naming
// the runs gained and lost, is refused without --replace-trust-policy and
// keeps other principals' statements with it; check --role and check FILE
// agree.
func TestSetupAgainstMoto(t *testing.T) {
	t.Parallel()
	moto := startMoto(t)
	gh := newFakeGitHubAPI(t)
	env := setupEnv(moto.URL, moto.URL, gh.URL)
	// moto answers AttachRolePolicy with NoSuchEntity for a policy it does
	// not hold: create one, as an account would have.
	pol := mustAWS(t, moto.URL, "iam", "create-policy", "--policy-name", "deploy-permissions", "--policy-document",
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListBucket","Resource":"*"}]}`)
	policyARN := pol["Policy"].(map[string]any)["Arn"].(string)
	base := []string{"setup", "--repository", testRepo, "--role-name", "deploy", "--policy-arn", policyARN, "--region", "eu-west-1", "--max-session-duration", "7200"}
	args := func(extra ...string) []string { return append(slices.Clone(base), extra...) }

	// 1. The plan, as JSON and as text: changes nothing.
	code, stdout, stderr := run(args("--branch", "main", "--format", "json"), env)
	if code != ExitOK {
		t.Fatalf("plan: exit %d\n%s%s", code, stdout, stderr)
	}
	var plan planJSON
	json.Unmarshal([]byte(stdout), &plan)
	if want := []string{"create-provider", "create-role", "attach-policy"}; !slices.Equal(plan.kinds(), want) {
		t.Fatalf("plan steps %v, want %v\n%s", plan.kinds(), want, stdout)
	}
	if tok := <-gh.tokens; tok != "Bearer ghs_faketoken0123456789" {
		t.Errorf("the GitHub lookup carried %q, want GITHUB_TOKEN as a bearer token", tok)
	}
	code, stdout, _ = run(args("--branch", "main"), env)
	for _, want := range []string{"ids from GitHub's API (repository 123456789, owner 65432)", "1. create the OIDC provider https://token.actions.githubusercontent.com with client id sts.amazonaws.com",
		"2. create the role deploy", "3. attach the permission policy " + policyARN, "This is a plan; nothing was changed", "role-to-assume: arn:aws:iam::123456789012:role/deploy", "aws-region: eu-west-1"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("plan text lacks %q:\n%s", want, stdout)
		}
	}
	if code != ExitOK {
		t.Errorf("plan: exit %d", code)
	}
	if out, err := awsCLI(t, moto.URL, "iam", "get-role", "--role-name", "deploy"); err == nil || !strings.Contains(out, "NoSuchEntity") {
		t.Fatalf("a plan created the role: %v %s", err, out)
	}
	if out := mustAWS(t, moto.URL, "iam", "list-open-id-connect-providers"); len(out["OpenIDConnectProviderList"].([]any)) != 0 {
		t.Fatalf("a plan created a provider: %v", out)
	}

	// 2. --apply does exactly the plan; the AWS CLI reads it back.
	code, stdout, stderr = run(args("--branch", "main", "--apply"), env)
	if code != ExitOK {
		t.Fatalf("apply: exit %d\n%s%s", code, stdout, stderr)
	}
	for _, want := range []string{"Applied 3 change(s).", "The checker on the live role arn:aws:iam::123456789012:role/deploy:",
		"ALLOWED   branch main, legacy sub\n", "ALLOWED   branch main, immutable sub\n", "DENIED    branch near-miss, legacy sub",
		"DENIED    a prefix-named repository (octo-org/octo-repo-evil), branch main, legacy sub", "DENIED    a pull request, immutable sub"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("apply output lacks %q:\n%s", want, stdout)
		}
	}
	if strings.Contains(stdout, "<-- expected") {
		t.Errorf("the live role decides a sample otherwise than intended:\n%s", stdout)
	}
	if got := liveTrust(t, moto.URL, "deploy"); !jsonEqual(got, jsonOf(t, plan.TrustPolicy)) {
		t.Errorf("the live trust policy is not the planned one:\n got %v\nwant %s", got, plan.TrustPolicy)
	}
	role := mustAWS(t, moto.URL, "iam", "get-role", "--role-name", "deploy")["Role"].(map[string]any)
	if role["MaxSessionDuration"] != float64(7200) || role["Arn"] != plan.RoleARN {
		t.Errorf("role = %v", role)
	}
	prov := mustAWS(t, moto.URL, "iam", "get-open-id-connect-provider", "--open-id-connect-provider-arn", plan.ProviderARN)
	if prov["Url"] != "token.actions.githubusercontent.com" || !jsonEqual(prov["ClientIDList"], []string{"sts.amazonaws.com"}) {
		t.Errorf("provider = %v", prov)
	}
	attached := mustAWS(t, moto.URL, "iam", "list-attached-role-policies", "--role-name", "deploy")["AttachedPolicies"].([]any)
	if len(attached) != 1 || attached[0].(map[string]any)["PolicyArn"] != policyARN {
		t.Errorf("attached = %v", attached)
	}

	// 3. A second run plans nothing, with or without --apply.
	for _, extra := range [][]string{{"--branch", "main"}, {"--branch", "main", "--apply"}} {
		code, stdout, stderr = run(args(extra...), env)
		if code != ExitOK || !strings.Contains(stdout, "Plan: nothing to do") || strings.Contains(stdout, "Applied") {
			t.Errorf("second run %v: exit %d\n%s%s", extra, code, stdout, stderr)
		}
	}

	// Another principal's statement, added by hand, must survive a replace.
	ec2 := map[string]any{"Sid": "EC2", "Effect": "Allow", "Principal": map[string]any{"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}
	doc := liveTrust(t, moto.URL, "deploy").(map[string]any)
	doc["Statement"] = append(doc["Statement"].([]any), ec2)
	b, _ := json.Marshal(doc)
	mustAWSNoOutput(t, moto.URL, "iam", "update-assume-role-policy", "--role-name", "deploy", "--policy-document", string(b))
	before := liveTrust(t, moto.URL, "deploy")

	// 4. Another branch: the plan names what is gained and lost ...
	code, stdout, _ = run(args("--branch", "release"), env)
	for _, want := range []string{"replace the trust policy of the existing role deploy", "-             \"repo:octo-org/octo-repo:ref:refs/heads/main\",\n-             \"repo:octo-org@65432/octo-repo@123456789:ref:refs/heads/main\"\n" +
		"+             \"repo:octo-org/octo-repo:ref:refs/heads/release\",\n+             \"repo:octo-org@65432/octo-repo@123456789:ref:refs/heads/release\"\n",
		"Runs the new trust policy gains (current -> planned):\n  DENIED    -> ALLOWED   branch release, legacy sub\n  DENIED    -> ALLOWED   branch release, immutable sub\n",
		"Runs it loses:\n  ALLOWED   -> DENIED    branch main, legacy sub\n  ALLOWED   -> DENIED    branch main, immutable sub\n",
		"It cannot be applied as it is: the role deploy exists with a different trust policy"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("changed-branch plan lacks %q:\n%s", want, stdout)
		}
	}
	if code != ExitOK {
		t.Errorf("changed-branch plan: exit %d", code)
	}
	// ... and is refused without --replace-trust-policy, changing nothing.
	code, stdout, stderr = run(args("--branch", "release", "--apply"), env)
	if code != ExitFailure || !strings.Contains(stderr, "not applied, nothing was changed") || !strings.Contains(stderr, "--apply --replace-trust-policy") {
		t.Errorf("apply without --replace-trust-policy: exit %d\n%s%s", code, stdout, stderr)
	}
	if got := liveTrust(t, moto.URL, "deploy"); !jsonEqual(got, before) {
		t.Errorf("a refused apply changed the trust policy: %v", got)
	}
	code, stdout, stderr = run(args("--branch", "release", "--apply", "--replace-trust-policy", "--adopt-role"), env) // it trusts EC2 too
	if code != ExitOK || !strings.Contains(stdout, "Applied 1 change(s).") || !strings.Contains(stdout, "ALLOWED   branch release, legacy sub") ||
		!strings.Contains(stdout, "DENIED    branch main, legacy sub") {
		t.Errorf("replace: exit %d\n%s%s", code, stdout, stderr)
	}
	after := liveTrust(t, moto.URL, "deploy").(map[string]any)
	stmts := after["Statement"].([]any)
	if len(stmts) != 2 || !jsonEqual(stmts[1], ec2) || !strings.Contains(fmt.Sprint(stmts[0]), "refs/heads/release") || strings.Contains(fmt.Sprint(stmts[0]), "refs/heads/main") {
		t.Errorf("after the replace the trust policy is %v", after)
	}

	// 5. check --role gives what check FILE gives on the same document.
	file := filepath.Join(t.TempDir(), "live.json")
	b, _ = json.Marshal(after)
	os.WriteFile(file, b, 0o644)
	for _, facts := range [][]string{
		{"--repository", testRepo, "--ref", "refs/heads/release", "--repository-id", testRepoID, "--owner-id", testOwnerID},
		{"--repository", testRepo, "--ref", "refs/heads/release", "--repository-id", testRepoID, "--owner-id", testOwnerID, "--sub-format", "immutable"},
		{"--repository", testRepo, "--ref", "refs/heads/main", "--repository-id", testRepoID},
	} {
		fcode, fout, ferr := run(append([]string{"trust-policy", "check", file}, facts...), env)
		rcode, rout, rerr := run(append([]string{"trust-policy", "check", "--role", "arn:aws:iam::123456789012:role/deploy"}, facts...), env)
		if fcode != rcode || fout != rout {
			t.Errorf("%v: check FILE exit %d, check --role exit %d\nFILE:\n%s%s\nROLE:\n%s%s", facts, fcode, rcode, fout, ferr, rout, rerr)
		}
	}
	if code, _, _ := run([]string{"trust-policy", "check", "--role", "deploy", "--repository", testRepo, "--ref", "refs/heads/release", "--repository-id", testRepoID, "--owner-id", testOwnerID}, env); code != ExitOK {
		t.Errorf("check --role deploy: exit %d, want ALLOWED", code)
	}
	// An ARN is that role or nothing: GetRole reads the caller's account
	// by name, so another account, partition or path is refused.
	for _, other := range []string{"arn:aws:iam::999999999999:role/deploy", "arn:aws-cn:iam::123456789012:role/deploy", "arn:aws:iam::123456789012:role/ci/deploy"} {
		code, stdout, stderr := run([]string{"trust-policy", "check", "--role", other, "--repository", testRepo, "--ref", "refs/heads/release", "--repository-id", testRepoID, "--owner-id", testOwnerID}, env)
		if code != ExitUnreadable || !strings.Contains(stderr, other) || !strings.Contains(stderr, "arn:aws:iam::123456789012:role/deploy,") && !strings.Contains(stderr, "answers for arn:aws:iam::123456789012:role/deploy") || strings.Contains(stdout, "ALLOWED") {
			t.Errorf("check --role %s (not the role IAM has): exit %d\n%s%s", other, code, stdout, stderr)
		}
	}
	code, _, stderr = run([]string{"trust-policy", "check", "--role", "no-such-role", "--repository", testRepo, "--ref", "refs/heads/main"}, env)
	if code != ExitUnreadable || !strings.Contains(stderr, "no-such-role") || !strings.Contains(stderr, "iam:GetRole") || !strings.Contains(stderr, "NoSuchEntity") {
		t.Errorf("check --role of a missing role: exit %d, %q", code, stderr)
	}
}

func mustAWSNoOutput(t *testing.T, endpoint string, args ...string) {
	t.Helper()
	if out, err := awsCLI(t, endpoint, args...); err != nil {
		t.Fatalf("aws %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// TestSetupAddsClientIDToExistingProvider: a provider without the audience
// as a client id gets it added. moto answers
// AddClientIDToOpenIDConnectProvider with a 500, so the fault proxy
// answers that call as IAM does (an empty success) and the test checks the
// request setup sent; every other call reaches moto.
func TestSetupAddsClientIDToExistingProvider(t *testing.T) {
	t.Parallel()
	moto := startMoto(t)
	gh := newFakeGitHubAPI(t)
	mustAWSNoOutput(t, moto.URL, "iam", "create-open-id-connect-provider", "--url", "https://token.actions.githubusercontent.com", "--client-id-list", "some-other-audience")
	proxy := harness.NewProxy(moto.URL)
	defer proxy.Close()
	proxy.Faults().ForAction("AddClientIDToOpenIDConnectProvider", harness.IAMOK("AddClientIDToOpenIDConnectProvider"))
	env := setupEnv(proxy.URL, moto.URL, gh.URL)
	code, stdout, stderr := run([]string{"setup", "--repository", testRepo, "--branch", "main", "--role-name", "ci"}, env)
	want := "1. add the client id sts.amazonaws.com to the existing provider arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com (it has some-other-audience)"
	if code != ExitOK || !strings.Contains(stdout, want) || strings.Contains(stdout, "create the OIDC provider") {
		t.Fatalf("plan: exit %d, want %q\n%s%s", code, want, stdout, stderr)
	}
	if n := proxy.Count("AddClientIDToOpenIDConnectProvider"); n != 0 {
		t.Fatalf("the plan called AddClientIDToOpenIDConnectProvider %d times", n)
	}
	code, stdout, stderr = run([]string{"setup", "--repository", testRepo, "--branch", "main", "--role-name", "ci", "--apply"}, env)
	if code != ExitOK || !strings.Contains(stdout, "Applied 2 change(s).") {
		t.Fatalf("apply: exit %d\n%s%s", code, stdout, stderr)
	}
	var adds []url.Values
	for _, r := range proxy.Requests() {
		if r.Action == "AddClientIDToOpenIDConnectProvider" {
			adds = append(adds, r.Form)
		}
	}
	if len(adds) != 1 || adds[0].Get("ClientID") != "sts.amazonaws.com" || adds[0].Get("OpenIDConnectProviderArn") != "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com" {
		t.Errorf("AddClientIDToOpenIDConnectProvider requests: %v", adds)
	}
	if n := len(mustAWS(t, moto.URL, "iam", "list-open-id-connect-providers")["OpenIDConnectProviderList"].([]any)); n != 1 {
		t.Errorf("%d providers after apply, want the one that existed", n)
	}
	if _, err := awsCLI(t, moto.URL, "iam", "get-role", "--role-name", "ci"); err != nil {
		t.Errorf("the role was not created: %v", err)
	}
}

// TestSetupIAMErrors: each IAM error people meet gets a message naming the
// call and what to do, and says what was and was not done. moto grants
// everything and takes any name twice in these flows, so the fault proxy
// answers as IAM would.
func TestSetupIAMErrors(t *testing.T) {
	t.Parallel()
	moto := startMoto(t)
	gh := newFakeGitHubAPI(t)
	cases := []struct {
		name, role, action string
		fault              harness.Fault
		want               []string
		providerAfter      bool // the provider exists afterwards
	}{
		{"no permission to create the role", "r-denied", "CreateRole",
			harness.IAMError(403, "AccessDenied", "User: arn:aws:iam::123456789012:user/dev is not authorized to perform: iam:CreateRole on resource: arn:aws:iam::123456789012:role/r-denied"),
			[]string{"iam:CreateRole (r-denied) failed: AccessDenied", "what to do: the identity running setup may not call iam:CreateRole", "done before it:\n    - create the OIDC provider", "not done:\n    - create the role r-denied"}, true},
		{"the role's name taken meanwhile", "r-taken", "CreateRole",
			harness.IAMError(409, "EntityAlreadyExists", "Role with name r-taken already exists."),
			[]string{"iam:CreateRole (r-taken) failed: EntityAlreadyExists", "run setup again: it plans against what exists now", "not done:\n    - create the role r-taken"}, true},
		{"a refused trust policy", "r-malformed", "CreateRole",
			harness.IAMError(400, "MalformedPolicyDocument", "Invalid principal in policy"),
			[]string{"iam:CreateRole (r-malformed) failed: MalformedPolicyDocument: Invalid principal in policy", "IAM refused the trust policy printed in the plan"}, true},
		{"throttled while planning", "r-throttled", "GetRole",
			harness.IAMError(400, "Throttling", "Rate exceeded"),
			[]string{"reading IAM for the plan: iam:GetRole (r-throttled) failed: Throttling: Rate exceeded", "wait a minute and run setup --apply again"}, false},
		{"GetRole answers without a role", "r-empty", "GetRole", harness.Fault{Status: 200, Body: `<GetRoleResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><GetRoleResult></GetRoleResult><ResponseMetadata><RequestId>4a4f7f2d-9e6c-4d7f-8a60-0c3c6d1f0b7e</RequestId></ResponseMetadata></GetRoleResponse>`},
			[]string{"reading IAM for the plan: iam:GetRole (r-empty) failed: the answer holds no role"}, false},
		{"the provider cannot be created", "r-provider", "CreateOpenIDConnectProvider",
			harness.IAMError(403, "AccessDenied", "not authorized to perform: iam:CreateOpenIDConnectProvider"),
			[]string{"iam:CreateOpenIDConnectProvider (https://token.actions.githubusercontent.com) failed: AccessDenied", "nothing was changed", "not done:\n    - create the OIDC provider"}, false},
	}
	for _, tc := range cases {
		// One moto for all: each case removes the provider first, in turn.
		t.Run(tc.name, func(t *testing.T) {
			if out := mustAWS(t, moto.URL, "iam", "list-open-id-connect-providers"); len(out["OpenIDConnectProviderList"].([]any)) > 0 {
				mustAWSNoOutput(t, moto.URL, "iam", "delete-open-id-connect-provider", "--open-id-connect-provider-arn", "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com")
			}
			proxy := harness.NewProxy(moto.URL)
			defer proxy.Close()
			proxy.Faults().ForAction(tc.action, tc.fault)
			code, stdout, stderr := run([]string{"setup", "--repository", testRepo, "--branch", "main", "--role-name", tc.role, "--apply"}, setupEnv(proxy.URL, moto.URL, gh.URL))
			if code != ExitFailure {
				t.Errorf("exit %d, want %d", code, ExitFailure)
			}
			for _, w := range tc.want {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, stderr)
				}
			}
			if strings.Contains(stdout+stderr, "ghs_faketoken") || strings.Contains(stdout+stderr, "EXAMPLEKEY") {
				t.Errorf("a secret was printed")
			}
			// What the message says is what IAM holds.
			n := len(mustAWS(t, moto.URL, "iam", "list-open-id-connect-providers")["OpenIDConnectProviderList"].([]any))
			if (n == 1) != tc.providerAfter {
				t.Errorf("%d providers afterwards, want provider=%v", n, tc.providerAfter)
			}
			if out, err := awsCLI(t, moto.URL, "iam", "get-role", "--role-name", tc.role); err == nil {
				t.Errorf("the role exists after a failed CreateRole: %s", out)
			}
		})
	}
}

// TestSetupWithoutIDs: when neither the flags nor GitHub's API give the
// ids (GitHub cannot be reached: a repository it answers 404 for is
// refused, see TestSetupFirstErrors), the plan says so and what the
// legacy-only policy refuses, and --apply refuses unless --sub-format
// legacy accepts it.
func TestSetupWithoutIDs(t *testing.T) {
	t.Parallel()
	moto := startMoto(t)
	const unreachable = "http://127.0.0.1:9"
	env := setupEnv(moto.URL, moto.URL, unreachable)
	args := []string{"setup", "--repository", "octo-org/private-repo", "--branch", "main"}
	code, stdout, stderr := run(args, env)
	for _, want := range []string{"ids NOT known: the lookup failed: GET " + unreachable + "/repos/octo-org/private-repo: ",
		"refuses every run whose token carries the immutable subject", "immutable sub (ids unknown: placeholders)"} {
		if !strings.Contains(stdout+stderr, want) {
			t.Errorf("output lacks %q:\n%s%s", want, stdout, stderr)
		}
	}
	if code != ExitOK || !strings.Contains(stdout, "DENIED    branch main, immutable sub (ids unknown: placeholders) (not admitted: legacy sub only)") {
		t.Errorf("plan without ids: exit %d\n%s", code, stdout)
	}
	code, _, stderr = run(append(args, "--apply"), env)
	if code != ExitFailure || !strings.Contains(stderr, "not applied, nothing was changed") || !strings.Contains(stderr, "--sub-format legacy") {
		t.Errorf("apply without ids: exit %d\n%s", code, stderr)
	}
	if out := mustAWS(t, moto.URL, "iam", "list-open-id-connect-providers"); len(out["OpenIDConnectProviderList"].([]any)) != 0 {
		t.Errorf("a refused apply created the provider")
	}
	// The code formats refuse a legacy-only policy as --apply does: code
	// is printed to be applied.
	for _, format := range []string{"terraform", "cloudformation", "json"} {
		code, stdout, stderr = run(append(args, "--format", format), env)
		if code != ExitFailure || !strings.Contains(stderr, "--sub-format legacy") || !strings.Contains(stderr, "refuses every run whose token carries the immutable subject") {
			t.Errorf("--format %s without ids: exit %d\n%s", format, code, stderr)
		}
		if format != "json" && stdout != "" {
			t.Errorf("--format %s without ids printed code:\n%s", format, stdout)
		}
	}
	code, stdout, stderr = run(append(args, "--format", "terraform", "--sub-format", "legacy"), env)
	if code != ExitOK || !strings.Contains(stdout, "# The trust policy admits only the legacy sub") || !strings.Contains(stderr, "admits only the legacy sub") {
		t.Errorf("--format terraform --sub-format legacy: exit %d\n%s%s", code, stdout, stderr)
	}
	code, stdout, stderr = run(append(args, "--apply", "--sub-format", "legacy"), env)
	if code != ExitOK || !strings.Contains(stdout, "DENIED    branch main, immutable sub (ids unknown: placeholders) (not admitted: legacy sub only)") || !strings.Contains(stdout, "ALLOWED   branch main, legacy sub") || strings.Contains(stdout, "<-- expected") {
		t.Errorf("apply with --sub-format legacy: exit %d\n%s%s", code, stdout, stderr)
	}
	// The role exists now; code that changes its trust policy says which
	// runs that gains and loses, on stderr and in the code.
	withIDs := []string{"setup", "--repository", "octo-org/private-repo", "--branch", "main", "--repository-id", "111", "--owner-id", "222"}
	for _, format := range []string{"terraform", "cloudformation"} {
		code, stdout, stderr = run(append(withIDs, "--format", format), env)
		if code != ExitOK || !strings.Contains(stderr, "Runs the new trust policy gains") || !strings.Contains(stderr, "Runs it loses:") ||
			!strings.Contains(stdout, "This replaces the existing trust policy of github-actions-octo-org-private-repo: sample runs gained: ") {
			t.Errorf("--format %s for a changed trust policy: exit %d\n%s\n%s", format, code, stdout, stderr)
		}
	}
}

// TestSetupUsage: bad flags are usage errors naming the flag, before any
// call; --help lists every flag of the table.
func TestSetupUsage(t *testing.T) {
	t.Parallel()
	env := map[string]string{"AWS_ENDPOINT_URL": "http://127.0.0.1:9", "GITHUB_API_URL": "http://127.0.0.1:9"}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"setup", "--branch", "main"}, `--repository "": want OWNER/REPO`},
		{[]string{"setup", "--repository", "o/r"}, "say which runs the role admits"},
		{[]string{"setup", "--repository", "o/r", "--branch", "a b"}, `--branch "a b": not a branch name`},
		{[]string{"setup", "--repository", "o/r", "--branch", "main", "--max-session-duration", "60"}, "IAM allows 3600 to 43200 seconds"},
		{[]string{"setup", "--repository", "o/r", "--branch", "main", "--policy-arn", "ReadOnlyAccess"}, `--policy-arn "ReadOnlyAccess"`},
		{[]string{"setup", "--repository", "o/r", "--branch", "main", "--format", "yaml"}, `--format "yaml"`},
		{[]string{"setup", "--repository", "o/r", "--branch", "main", "--format", "terraform", "--apply"}, "does not go with --apply"},
		{[]string{"setup", "--repository", "o/r", "--branch", "main", "--replace-trust-policy"}, "--replace-trust-policy goes with --apply"},
		{[]string{"setup", "--repository", "o/r", "--branch", "main", "--repository-id", "1"}, "--repository-id and --owner-id go together"},
		{[]string{"setup", "--repository", "o/r", "--branch", "main", "--role-name", "a/b"}, `--role-name "a/b"`},
		{[]string{"setup", "--repository", "o/r", "--branch", "main", "--bogus"}, "unknown flag --bogus"},
		// Found before any call (the endpoints answer nothing), exit 2.
		{[]string{"setup", "--repository", "o/r", "--branch", "main", "--sub-format", "new"}, `--sub-format "new": want legacy, immutable or both`},
		{[]string{"setup", "--repository", "o/r", "--branch", "main", "--audience", "sts\b\f"}, `--audience "sts\b\f": want 1-255 printable characters`},
		{[]string{"setup", "--repository", "o/r", "--branch", "main", "--issuer", "http://ghes.example"}, `--issuer "http://ghes.example": want an https URL`},
		{[]string{"setup", "--repository", "o/r", "--branch", "main", "--repository-id", "x1", "--owner-id", "2"}, `--repository-id "x1": want a numeric GitHub id`},
		{[]string{"setup", "--repository", "o/r", "--branch", "release/*"}, `--branch "release/*": not a branch name`},
	} {
		code, _, stderr := run(tc.args, env)
		if code != ExitUsage || !strings.Contains(stderr, tc.want) || !strings.Contains(stderr, "setup --help lists every flag") {
			t.Errorf("%v: exit %d, stderr %q", tc.args[1:], code, stderr)
		}
	}
}

// TestFlagHelpIsGenerated: every flag of every subcommand table is parsed
// and has its help in --help, and nothing in --help names a flag the
// tables lack.
func TestFlagHelpIsGenerated(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args  []string
		table []cmdFlag
	}{
		{[]string{"trust-policy", "generate", "--help"}, generateFlags},
		{[]string{"trust-policy", "check", "--help"}, checkFlags},
		{[]string{"setup", "--help"}, setupFlags},
	} {
		code, out, _ := run(tc.args, nil)
		if code != ExitOK {
			t.Errorf("%v: exit %d", tc.args, code)
		}
		for _, f := range tc.table {
			if f.Help == "" {
				t.Errorf("%v: --%s has no help", tc.args, f.Name)
			}
			if !strings.Contains(out, "  --"+f.Name+" ") && !strings.Contains(out, "  --"+f.Name+"\n") {
				t.Errorf("%v: --help lacks --%s", tc.args, f.Name)
			}
			arg := []string{"--" + f.Name}
			if f.Arg != "" {
				arg = append(arg, "x")
			}
			if _, _, err := parseCmdFlags("t", tc.table, arg); err != nil {
				t.Errorf("%v: --%s is not parsed: %v", tc.args, f.Name, err)
			}
		}
		for _, line := range strings.Split(out, "\n") {
			if name, ok := strings.CutPrefix(line, "  --"); ok {
				name, _, _ = strings.Cut(name, " ")
				if !tableHas(tc.table, name) {
					t.Errorf("%v: --help names --%s, which the table lacks", tc.args, name)
				}
			}
		}
	}
}

// TestTrustPolicyGenerateSubcommand: "trust-policy generate" is the bare
// command's twin, and repeated flags make the union.
func TestTrustPolicyGenerateSubcommand(t *testing.T) {
	t.Parallel()
	args := []string{"--account-id", "123456789012", "--repository", testRepo, "--branch", "main"}
	c1, bare, _ := runCLI(append([]string{"trust-policy"}, args...)...)
	c2, sub, _ := runCLI(append([]string{"trust-policy", "generate"}, args...)...)
	want, _ := os.ReadFile(harness.Testdata("golden", "policy-branch.json"))
	if c1 != ExitOK || c2 != ExitOK || bare != string(want) || sub != string(want) {
		t.Errorf("bare exit %d, generate exit %d:\n%s\n%s", c1, c2, bare, sub)
	}
	code, out, errOut := runCLI("trust-policy", "generate", "--account-id", "123456789012", "--repository", testRepo, "--repository-id", testRepoID, "--owner-id", testOwnerID,
		"--branch", "main", "--branch", "release", "--tag", "v1", "--environment", "prod", "--pull-request")
	want, _ = os.ReadFile(harness.Testdata("golden", "policy-union.json"))
	if code != ExitOK || out != string(want) {
		t.Errorf("union: exit %d %s\n%s", code, errOut, out)
	}
	// What setup refuses, the generator refuses: a wildcard would be a
	// literal character in StringEquals and admit nothing.
	for _, bad := range [][]string{{"--branch", "release/*"}, {"--tag", "v?"}, {"--environment", "prod*"}, {"--branch", "main", "--audience", "a\x01"}} {
		code, out, errOut := runCLI(append([]string{"trust-policy", "generate", "--account-id", "123456789012", "--repository", testRepo}, bad...)...)
		if code != ExitUsage || out != "" || !strings.Contains(errOut, bad[len(bad)-2]+" ") {
			t.Errorf("generate %v: exit %d, stdout %q, stderr %q", bad, code, out, errOut)
		}
	}
}
