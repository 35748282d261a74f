package cli

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
)

// The tests of setup's plan, merge, apply gate and closing check against
// moto_server, the AWS CLI reading back.

const ghProvider = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"

// addStatements appends statements (JSON objects) to the live role's trust
// policy with the AWS CLI, as an administrator would by hand.
func addStatements(t *testing.T, endpoint, role string, stmts ...string) {
	t.Helper()
	doc := liveTrust(t, endpoint, role).(map[string]any)
	for _, s := range stmts {
		doc["Statement"] = append(doc["Statement"].([]any), jsonOf(t, s))
	}
	b, _ := json.Marshal(doc)
	mustAWSNoOutput(t, endpoint, "iam", "update-assume-role-policy", "--role-name", role, "--policy-document", string(b))
}

// setRole creates (or replaces) a role with a trust policy, by hand.
func setRole(t *testing.T, endpoint, role, policy string) {
	t.Helper()
	if _, err := awsCLI(t, endpoint, "iam", "get-role", "--role-name", role); err == nil {
		mustAWSNoOutput(t, endpoint, "iam", "update-assume-role-policy", "--role-name", role, "--policy-document", policy)
		return
	}
	mustAWS(t, endpoint, "iam", "create-role", "--role-name", role, "--assume-role-policy-document", policy)
}

// TestSetupDenyOnUnnamedClaim: a Deny on a claim the
// sample runs do not carry (actor) used to leave every sample UNDECIDED,
// so setup exited 1 on every run. Now each such claim is tried with a
// value the policy names and one it does not: the runs are admitted,
// denied when actor is the one the Deny names, and setup exits 0.
func TestSetupDenyOnUnnamedClaim(t *testing.T) {
	t.Parallel()
	moto := startMoto(t)
	gh := newFakeGitHubAPI(t)
	env := setupEnv(moto.URL, moto.URL, gh.URL)
	args := []string{"setup", "--repository", testRepo, "--branch", "main", "--role-name", "deny-actor"}
	if code, stdout, stderr := run(append(args, "--apply"), env); code != ExitOK {
		t.Fatalf("apply: exit %d\n%s%s", code, stdout, stderr)
	}
	addStatements(t, moto.URL, "deny-actor", `{"Effect":"Deny","Principal":{"Federated":"`+ghProvider+`"},"Action":"sts:AssumeRoleWithWebIdentity",
	  "Condition":{"StringEquals":{"token.actions.githubusercontent.com:actor":"evil-bot"}}}`)
	code, stdout, stderr := run(args, env)
	if code != ExitOK || strings.Contains(stdout, "UNDECIDED") || strings.Contains(stdout, "<-- expected") ||
		!strings.Contains(stdout, `ALLOWED   branch main, immutable sub (denied when actor is "evil-bot")`) ||
		!strings.Contains(stdout, "DENIED    branch near-miss, legacy sub\n") {
		t.Errorf("re-run with a Deny on actor: exit %d\n%s%s", code, stdout, stderr)
	}
	// An Allow that admits a near miss for one actor only is an admission.
	addStatements(t, moto.URL, "deny-actor", `{"Effect":"Allow","Principal":{"Federated":"`+ghProvider+`"},"Action":"sts:AssumeRoleWithWebIdentity",
	  "Condition":{"StringEquals":{"token.actions.githubusercontent.com:aud":"sts.amazonaws.com","token.actions.githubusercontent.com:actor":"octocat",
	  "token.actions.githubusercontent.com:sub":"repo:octo-org/octo-repo:pull_request"}}}`)
	code, stdout, stderr = run([]string{"trust-policy", "check", "--role", "deny-actor", "--repository", testRepo, "--ref", "refs/pull/1/merge", "--event-name", "pull_request", "--actor", "octocat"}, env)
	if code != ExitOK {
		t.Fatalf("the checker itself does not admit the pull request for octocat: exit %d\n%s%s", code, stdout, stderr)
	}
	// The plan takes that statement out (it is an Allow for the provider)
	// and says what that loses, and when.
	code, stdout, stderr = run(args, env)
	if code != ExitOK || !strings.Contains(stdout, "Runs it loses:\n  ALLOWED   -> DENIED    a pull request, legacy sub (current policy: admitted only when actor is \"octocat\")\n") {
		t.Errorf("a pull request admitted for one actor: exit %d\n%s%s", code, stdout, stderr)
	}
}

// TestSetupApplyGate: --apply used to carry out a plan
// whose own checker decides sample runs otherwise than intended, and exit
// 1 afterwards. Now it refuses before any IAM write, naming the runs; an
// UNDECIDED sample refuses it too. Here a Deny kept from the current
// policy depends on a policy variable the checker cannot resolve offline,
// so every sample is UNDECIDED.
func TestSetupApplyGate(t *testing.T) {
	t.Parallel()
	moto := startMoto(t)
	gh := newFakeGitHubAPI(t)
	env := setupEnv(moto.URL, moto.URL, gh.URL)
	args := []string{"setup", "--repository", testRepo, "--role-name", "gated"}
	if code, stdout, stderr := run(append(args, "--branch", "main", "--apply"), env); code != ExitOK {
		t.Fatalf("apply: exit %d\n%s%s", code, stdout, stderr)
	}
	addStatements(t, moto.URL, "gated", `{"Effect":"Deny","Principal":{"Federated":"`+ghProvider+`"},"Action":"sts:AssumeRoleWithWebIdentity",
	  "Condition":{"StringEquals":{"token.actions.githubusercontent.com:sub":"${aws:PrincipalTag/blocked}"}}}`)
	before := liveTrust(t, moto.URL, "gated")
	code, stdout, stderr := run(append(args, "--branch", "release", "--apply", "--replace-trust-policy"), env)
	if code != ExitFailure || !strings.Contains(stderr, "not applied, nothing was changed") ||
		!strings.Contains(stderr, "sample run(s) otherwise than intended under the planned trust policy: branch release, legacy sub: UNDECIDED, expected ALLOWED") ||
		strings.Contains(stdout, "Applied") {
		t.Errorf("apply of a plan its checker rejects: exit %d\n%s%s", code, stdout, stderr)
	}
	if got := liveTrust(t, moto.URL, "gated"); !jsonEqual(got, before) {
		t.Errorf("a refused apply changed the trust policy:\n%v", got)
	}
	// Without --apply the plan says so and exits 1.
	code, stdout, _ = run(append(args, "--branch", "release"), env)
	if code != ExitFailure || !strings.Contains(stdout, "It cannot be applied as it is: the checker decides") {
		t.Errorf("plan: exit %d\n%s", code, stdout)
	}
}

// TestSetupPolicyChecksBeforeWriting: a --policy-arn
// that does not exist used to be found at AttachRolePolicy, after the
// provider and the role were made; a trust policy over IAM's size quota
// only warned. Both now refuse the apply before the first write. An
// AWS-managed policy is found (moto serves them with
// MOTO_IAM_LOAD_MANAGED_POLICIES=true, which the harness sets).
func TestSetupPolicyChecksBeforeWriting(t *testing.T) {
	t.Parallel()
	moto := startMoto(t)
	gh := newFakeGitHubAPI(t)
	env := setupEnv(moto.URL, moto.URL, gh.URL)
	missing := "arn:aws:iam::123456789012:policy/no-such-policy"
	nothingWritten := func(t *testing.T, role string) {
		t.Helper()
		if out := mustAWS(t, moto.URL, "iam", "list-open-id-connect-providers"); len(out["OpenIDConnectProviderList"].([]any)) != 0 {
			t.Errorf("a refused apply created the provider: %v", out)
		}
		if out, err := awsCLI(t, moto.URL, "iam", "get-role", "--role-name", role); err == nil {
			t.Errorf("a refused apply created the role: %s", out)
		}
	}
	code, stdout, stderr := run([]string{"setup", "--repository", testRepo, "--branch", "main", "--role-name", "missing-policy",
		"--policy-arn", "arn:aws:iam::aws:policy/ReadOnlyAccess", "--policy-arn", missing, "--apply"}, env)
	if code != ExitFailure || !strings.Contains(stderr, "not applied, nothing was changed") || !strings.Contains(stderr, "IAM has no policy "+missing+" (iam:GetPolicy: NoSuchEntity)") ||
		strings.Contains(stderr, "ReadOnlyAccess") || !strings.Contains(stdout, "warning: --policy-arn "+missing+": IAM has no such policy") {
		t.Errorf("a missing --policy-arn: exit %d\n%s%s", code, stdout, stderr)
	}
	nothingWritten(t, "missing-policy")

	// The generated statement alone fits; with the current policy's
	// statement for another principal, kept, the whole does not.
	var accounts []string
	for i := range 80 {
		accounts = append(accounts, fmt.Sprintf(`"arn:aws:iam::%012d:root"`, 100000000000+i))
	}
	setRole(t, moto.URL, "too-big", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":[`+strings.Join(accounts, ",")+`]},"Action":"sts:AssumeRole"}]}`)
	before := liveTrust(t, moto.URL, "too-big")
	code, stdout, stderr = run([]string{"setup", "--repository", testRepo, "--branch", "main", "--role-name", "too-big", "--apply", "--replace-trust-policy", "--adopt-role"}, env)
	if code != ExitFailure || !strings.Contains(stderr, "not applied, nothing was changed") || !strings.Contains(stderr, "over the quota of 2048") {
		t.Errorf("a merged trust policy over the quota: exit %d\n%s%s", code, stdout, stderr)
	}
	if got := liveTrust(t, moto.URL, "too-big"); !jsonEqual(got, before) {
		t.Errorf("a refused apply changed the trust policy")
	}
	if out := mustAWS(t, moto.URL, "iam", "list-open-id-connect-providers"); len(out["OpenIDConnectProviderList"].([]any)) != 0 {
		t.Errorf("a refused apply created the provider: %v", out)
	}

	// An AWS-managed policy exists: applied and read back.
	code, stdout, stderr = run([]string{"setup", "--repository", testRepo, "--branch", "main", "--role-name", "managed",
		"--policy-arn", "arn:aws:iam::aws:policy/ReadOnlyAccess", "--apply"}, env)
	if code != ExitOK {
		t.Fatalf("apply with ReadOnlyAccess: exit %d\n%s%s", code, stdout, stderr)
	}
	attached := mustAWS(t, moto.URL, "iam", "list-attached-role-policies", "--role-name", "managed")["AttachedPolicies"].([]any)
	if len(attached) != 1 || attached[0].(map[string]any)["PolicyArn"] != "arn:aws:iam::aws:policy/ReadOnlyAccess" {
		t.Errorf("attached = %v", attached)
	}
}

// TestSetupAdoptRole: a role that trusts a service or
// has inline policies used to be taken over with --replace-trust-policy
// alone. The plan now shows the principals it trusts and its inline
// policies, says it was not made for this repository, and --apply refuses
// without --adopt-role.
func TestSetupAdoptRole(t *testing.T) {
	t.Parallel()
	moto := startMoto(t)
	gh := newFakeGitHubAPI(t)
	env := setupEnv(moto.URL, moto.URL, gh.URL)
	setRole(t, moto.URL, "batch", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"batch.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)
	mustAWSNoOutput(t, moto.URL, "iam", "put-role-policy", "--role-name", "batch", "--policy-name", "everything",
		"--policy-document", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`)
	before := liveTrust(t, moto.URL, "batch")
	args := []string{"setup", "--repository", testRepo, "--branch", "main", "--role-name", "batch", "--apply", "--replace-trust-policy"}
	code, stdout, stderr := run(args, env)
	for _, want := range []string{"warning: the role batch was not made for octo-org/octo-repo alone: statement 1 lets Service batch.amazonaws.com assume the role; it has inline policies (everything); it trusts Service batch.amazonaws.com"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("plan lacks %q:\n%s", want, stdout)
		}
	}
	if code != ExitFailure || !strings.Contains(stderr, "not applied, nothing was changed") || !strings.Contains(stderr, "run again with --adopt-role") {
		t.Errorf("apply to another's role without --adopt-role: exit %d\n%s%s", code, stdout, stderr)
	}
	if got := liveTrust(t, moto.URL, "batch"); !jsonEqual(got, before) {
		t.Errorf("a refused apply changed the trust policy:\n%v", got)
	}
	code, stdout, stderr = run(append(args, "--format", "json"), env)
	if code != ExitUsage { // --format does not go with --apply
		t.Errorf("--format json --apply: exit %d\n%s%s", code, stdout, stderr)
	}
	code, stdout, _ = run([]string{"setup", "--repository", testRepo, "--branch", "main", "--role-name", "batch", "--format", "json"}, env)
	var plan struct {
		Principals []string `json:"trusted_principals"`
		Inline     []string `json:"inline_policies"`
		NotMadeFor []string `json:"not_made_for_this_repository"`
	}
	if err := json.Unmarshal([]byte(stdout), &plan); err != nil || code != ExitOK || !slices.Equal(plan.Principals, []string{"Service batch.amazonaws.com"}) ||
		!slices.Equal(plan.Inline, []string{"everything"}) || len(plan.NotMadeFor) != 2 {
		t.Errorf("JSON plan: exit %d, %v, %+v\n%s", code, err, plan, stdout)
	}
	// With --adopt-role it is written, the service's statement kept.
	code, stdout, stderr = run(append(args, "--adopt-role"), env)
	if code != ExitOK || !strings.Contains(stdout, "Applied 2 change(s).") { // the provider, the trust policy
		t.Fatalf("apply with --adopt-role: exit %d\n%s%s", code, stdout, stderr)
	}
	if live := fmt.Sprint(liveTrust(t, moto.URL, "batch")); !strings.Contains(live, "batch.amazonaws.com") || !strings.Contains(live, "refs/heads/main") {
		t.Errorf("after adopting: %s", live)
	}
	// A role setup made for this repository needs no flag to change.
	if code, stdout, stderr := run([]string{"setup", "--repository", testRepo, "--branch", "main", "--role-name", "own", "--apply"}, env); code != ExitOK {
		t.Fatalf("apply: exit %d\n%s%s", code, stdout, stderr)
	}
	if code, stdout, stderr := run([]string{"setup", "--repository", testRepo, "--branch", "release", "--role-name", "own", "--apply", "--replace-trust-policy"}, env); code != ExitOK || strings.Contains(stdout, "not made for") {
		t.Errorf("changing a role made for this repository: exit %d\n%s%s", code, stdout, stderr)
	}
}

// TestSetupSplitsSharedStatements: a statement whose Principal names the
// provider and an account, or whose Action allows more than
// sts:AssumeRoleWithWebIdentity, used to be removed whole by
// --replace-trust-policy: the account lost its access, exit 0, one diff
// line. Now the other principal keeps its part, and the provider its
// other actions, with the conditions copied verbatim; the plan says so
// and lists them with the runs meant to be admitted.
func TestSetupSplitsSharedStatements(t *testing.T) {
	t.Parallel()
	moto := startMoto(t)
	gh := newFakeGitHubAPI(t)
	env := setupEnv(moto.URL, moto.URL, gh.URL)
	cond := `{"StringEquals":{"token.actions.githubusercontent.com:aud":"sts.amazonaws.com","aws:PrincipalTag/team":"ops"},"StringLike":{"token.actions.githubusercontent.com:sub":"repo:octo-org/octo-repo:*"}}`
	setRole(t, moto.URL, "shared", `{"Version":"2012-10-17","Statement":[{"Sid":"Shared","Effect":"Allow",
	  "Principal":{"Federated":"`+ghProvider+`","AWS":"arn:aws:iam::123456789012:root"},
	  "Action":["sts:AssumeRoleWithWebIdentity","sts:AssumeRole","sts:TagSession"],"Condition":`+cond+`}]}`)
	args := []string{"setup", "--repository", testRepo, "--branch", "main", "--role-name", "shared", "--adopt-role", "--apply", "--replace-trust-policy"}
	code, stdout, stderr := run(args[:7], env) // the plan
	if code != ExitOK {
		t.Fatalf("plan: exit %d\n%s%s", code, stdout, stderr)
	}
	for _, want := range []string{
		"warning: statement 1 of the current trust policy also lets AWS arn:aws:iam::123456789012:root assume the role; that part is kept for them, with its conditions as they are",
		"warning: statement 1 of the current trust policy also allows sts:AssumeRole, sts:TagSession to the provider's tokens; that part is kept",
		"runs it is meant to admit:\n    ALLOWED   branch main, legacy sub\n    ALLOWED   branch main, immutable sub\n" +
			"    ALLOWED   principal AWS arn:aws:iam::123456789012:root: sts:AssumeRoleWithWebIdentity, sts:AssumeRole, sts:TagSession (statement 1's part, its conditions as they were)\n" +
			"    ALLOWED   the provider's tokens: sts:AssumeRole, sts:TagSession (statement 1's part, its conditions as they were)\n",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("plan lacks %q:\n%s", want, stdout)
		}
	}
	code, stdout, stderr = run(args, env)
	if code != ExitOK || !strings.Contains(stdout, "Applied") {
		t.Fatalf("apply: exit %d\n%s%s", code, stdout, stderr)
	}
	stmts := liveTrust(t, moto.URL, "shared").(map[string]any)["Statement"].([]any)
	var account, provider map[string]any
	for _, s := range stmts {
		st := s.(map[string]any)
		switch st["Sid"] {
		case "Shared":
			account = st
		case "SharedOtherActions":
			provider = st
		}
	}
	if account == nil || !jsonEqual(account["Principal"], map[string]any{"AWS": "arn:aws:iam::123456789012:root"}) ||
		!jsonEqual(account["Action"], []string{"sts:AssumeRoleWithWebIdentity", "sts:AssumeRole", "sts:TagSession"}) || !jsonEqual(account["Condition"], jsonOf(t, cond)) {
		t.Errorf("the account's part is not kept verbatim: %v\nwhole: %v", account, stmts)
	}
	if provider == nil || !jsonEqual(provider["Principal"], map[string]any{"Federated": ghProvider}) ||
		!jsonEqual(provider["Action"], []string{"sts:AssumeRole", "sts:TagSession"}) || !jsonEqual(provider["Condition"], jsonOf(t, cond)) {
		t.Errorf("the provider's other actions are not kept: %v\nwhole: %v", provider, stmts)
	}
	// A second plan is empty.
	if code, stdout, _ := run(args[:7], env); code != ExitOK || !strings.Contains(stdout, "Plan: nothing to do") {
		t.Errorf("second plan: exit %d\n%s", code, stdout)
	}
}

// TestSetupWildcardPrincipal: an Allow with Principal "*" and a GitHub sub
// pattern was kept as another principal's, and the sample runs dropped
// patterns without a :context part (repo:evil-org/*, repo:acme*), so the
// plan said nothing of what they admit. Now such a statement is setup's to
// judge: removed with a warning; the runs its patterns admit are sampled
// (a witness: each wildcard filled with an unnamed owner, repository and
// ref) and listed as lost.
func TestSetupWildcardPrincipal(t *testing.T) {
	t.Parallel()
	moto := startMoto(t)
	gh := newFakeGitHubAPI(t)
	env := setupEnv(moto.URL, moto.URL, gh.URL)
	args := []string{"setup", "--repository", testRepo, "--branch", "main", "--role-name", "wild"}
	if code, stdout, stderr := run(append(args, "--apply"), env); code != ExitOK {
		t.Fatalf("apply: exit %d\n%s%s", code, stdout, stderr)
	}
	addStatements(t, moto.URL, "wild",
		`{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringLike":{"token.actions.githubusercontent.com:sub":"repo:evil-org/*"}}}`,
		`{"Effect":"Allow","Principal":{"Federated":"`+ghProvider+`"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringLike":{"token.actions.githubusercontent.com:sub":"repo:acme*"}}}`)
	code, stdout, stderr := run(args, env)
	for _, want := range []string{
		"warning: statement 2 of the current trust policy lets every principal (*) assume the role with the provider's tokens; it is removed",
		"  ALLOWED   -> DENIED    repository evil-org/x, branch x, legacy sub",
		"  ALLOWED   -> DENIED    repository acmex/x, branch x, legacy sub",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("plan lacks %q:\n%s", want, stdout)
		}
	}
	if code != ExitOK {
		t.Errorf("plan: exit %d\n%s", code, stderr)
	}
	code, stdout, stderr = run(append(args, "--apply", "--replace-trust-policy", "--adopt-role"), env)
	if code != ExitOK {
		t.Fatalf("apply: exit %d\n%s%s", code, stdout, stderr)
	}
	live := liveTrust(t, moto.URL, "wild").(map[string]any)["Statement"].([]any)
	if len(live) != 1 || strings.Contains(fmt.Sprint(live), "evil-org") || strings.Contains(fmt.Sprint(live), "acme") {
		t.Errorf("after the apply the trust policy holds %v", live)
	}
}

// TestSetupMovingARoleReportsLosses: other repositories' sample runs had
// placeholder ids, so a role that pins repository_id (every role setup
// writes) seemed to deny them, and moving a role to another repository
// reported "Runs it loses: none". Now they carry the ids the policy pairs
// with each name; where it pairs none, the run is UNDECIDED and says so.
func TestSetupMovingARoleReportsLosses(t *testing.T) {
	t.Parallel()
	moto := startMoto(t)
	gh := newFakeGitHubAPI(t)
	env := setupEnv(moto.URL, moto.URL, gh.URL)
	if code, stdout, stderr := run([]string{"setup", "--repository", testRepo, "--branch", "main", "--role-name", "moving", "--apply"}, env); code != ExitOK {
		t.Fatalf("apply: exit %d\n%s%s", code, stdout, stderr)
	}
	other := []string{"setup", "--repository", "octo-org/other-repo", "--repository-id", "555", "--owner-id", testOwnerID, "--branch", "main", "--role-name", "moving"}
	_, stdout, stderr := run(other, env)
	want := "Runs it loses:\n  ALLOWED   -> DENIED    repository octo-org/octo-repo, branch main, legacy sub\n  ALLOWED   -> DENIED    repository octo-org/octo-repo, branch main, immutable sub\n"
	if !strings.Contains(stdout, want) {
		t.Errorf("moving the role: plan lacks %q:\n%s%s", want, stdout, stderr)
	}
	// A legacy sub whose statement pins several repository ids: which one
	// goes with the name is not known, and the plan says so.
	setRole(t, moto.URL, "moving", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"`+ghProvider+`"},"Action":"sts:AssumeRoleWithWebIdentity",
	  "Condition":{"StringEquals":{"token.actions.githubusercontent.com:sub":["repo:octo-org/octo-repo:ref:refs/heads/main","repo:octo-org/third:ref:refs/heads/main"],
	  "token.actions.githubusercontent.com:repository_id":["123456789","777"]}}}]}`)
	_, stdout, _ = run(other, env)
	for _, want := range []string{"UNDECIDED -> DENIED    repository octo-org/third, branch main, legacy sub (its ids unknown: the policy does not pair them with the name)"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("plan lacks %q:\n%s", want, stdout)
		}
	}
}

// TestSetupCaseOnlyChange: without GitHub's answer the name was written as
// typed, so a re-run that changed only its case made the role deny every
// run of its repository while the plan said "loses: none". Now the runs of
// the spelling the role holds are sampled with its ids, reported lost, and
// the change is refused unless --confirm-spelling (or GitHub) confirms it.
func TestSetupCaseOnlyChange(t *testing.T) {
	t.Parallel()
	moto := startMoto(t)
	gh := newFakeGitHubAPI(t)
	env := setupEnv(moto.URL, moto.URL, gh.URL)
	mustAWS(t, moto.URL, "iam", "create-open-id-connect-provider", "--url", "https://token.actions.githubusercontent.com", "--client-id-list", "sts.amazonaws.com")
	setRole(t, moto.URL, "cased", `{"Version":"2012-10-17","Statement":[{"Sid":"GitHubActionsOIDC","Effect":"Allow","Principal":{"Federated":"`+ghProvider+`"},"Action":"sts:AssumeRoleWithWebIdentity",
	  "Condition":{"StringEquals":{"token.actions.githubusercontent.com:aud":"sts.amazonaws.com","token.actions.githubusercontent.com:repository_id":"`+testRepoID+`",
	  "token.actions.githubusercontent.com:sub":["repo:Octo-Org/Octo-Repo:ref:refs/heads/main","repo:Octo-Org@`+testOwnerID+`/Octo-Repo@`+testRepoID+`:ref:refs/heads/main"]}}}]}`)
	before := liveTrust(t, moto.URL, "cased")
	args := []string{"setup", "--repository", testRepo, "--repository-id", testRepoID, "--owner-id", testOwnerID, "--branch", "main", "--role-name", "cased"}
	code, stdout, stderr := run(args, env)
	want := "Runs it loses:\n  ALLOWED   -> DENIED    repository Octo-Org/Octo-Repo, branch main, legacy sub\n  ALLOWED   -> DENIED    repository Octo-Org/Octo-Repo, branch main, immutable sub\n"
	if !strings.Contains(stdout, want) || !strings.Contains(stdout, "--confirm-spelling") {
		t.Errorf("plan: exit %d, lacks %q:\n%s%s", code, want, stdout, stderr)
	}
	code, stdout, stderr = run(append(args, "--apply", "--replace-trust-policy"), env)
	if code != ExitFailure || !strings.Contains(stderr, "the role admits Octo-Org/Octo-Repo, which --repository octo-org/octo-repo spells otherwise only in case") {
		t.Errorf("apply of a case-only change: exit %d\n%s%s", code, stdout, stderr)
	}
	if got := liveTrust(t, moto.URL, "cased"); !jsonEqual(got, before) {
		t.Errorf("a refused apply changed the trust policy:\n%v", got)
	}
	code, stdout, stderr = run(append(args, "--apply", "--replace-trust-policy", "--confirm-spelling"), env)
	if code != ExitOK || !strings.Contains(fmt.Sprint(liveTrust(t, moto.URL, "cased")), "repo:octo-org/octo-repo:ref:refs/heads/main") {
		t.Errorf("apply with --confirm-spelling: exit %d\n%s%s", code, stdout, stderr)
	}
}
