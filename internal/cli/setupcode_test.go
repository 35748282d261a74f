package cli

import (
	"encoding/json"
	"strings"
	"testing"
)

// The tests of setup --format terraform|cloudformation against the apply
// gate, with moto_server: code is printed to be applied, so it used to be
// printed (exit 0) for plans --apply refuses — a sample UNDECIDED, a role
// made for something else, a case-only change, runs lost, a wildcard
// principal's statement dropped — checking only the legacy-only policy.
// Now each of them prints no code (exit 1, the reason on stderr), and the
// flags that let --apply through (--adopt-role, --replace-trust-policy,
// --confirm-spelling) let the code through.

// codeFormats are the infrastructure-code formats.
var codeFormats = []string{"terraform", "cloudformation"}

// wantNoCode runs setup with --format for each code format and wants it
// refused: exit 1, nothing on stdout, each of wants on stderr.
func wantNoCode(t *testing.T, args []string, env map[string]string, wants ...string) {
	t.Helper()
	for _, format := range codeFormats {
		code, stdout, stderr := run(append(args, "--format", format), env)
		if code != ExitFailure || stdout != "" || !strings.Contains(stderr, "--format "+format+": no code printed: ") {
			t.Errorf("--format %s: exit %d, want %d and no code\nstdout:\n%s\nstderr:\n%s", format, code, ExitFailure, stdout, stderr)
			continue
		}
		for _, want := range wants {
			if !strings.Contains(stderr, want) {
				t.Errorf("--format %s: stderr lacks %q:\n%s", format, want, stderr)
			}
		}
	}
}

// plannedTrust is the planned trust policy in the code: Terraform's
// assume_role_policy heredoc, or the CloudFormation role's
// AssumeRolePolicyDocument (for a role imported, the planned branch of
// its Fn::If: the import branch is the role as it is).
func plannedTrust(t *testing.T, format, code string) string {
	t.Helper()
	if format == "terraform" {
		_, rest, ok := strings.Cut(code, "assume_role_policy   = <<-EOT\n")
		doc, _, ok2 := strings.Cut(rest, "EOT\n")
		if !ok || !ok2 {
			t.Fatalf("no assume_role_policy heredoc in:\n%s", code)
		}
		return doc
	}
	var tpl struct {
		Resources map[string]struct {
			Properties struct {
				AssumeRolePolicyDocument map[string]any
			}
		}
	}
	if err := json.Unmarshal([]byte(code), &tpl); err != nil {
		t.Fatalf("template: %v\n%s", err, code)
	}
	doc := any(tpl.Resources["GitHubActionsRole"].Properties.AssumeRolePolicyDocument)
	if branches, ok := tpl.Resources["GitHubActionsRole"].Properties.AssumeRolePolicyDocument["Fn::If"].([]any); ok && len(branches) == 3 {
		doc = branches[1]
	}
	b, _ := json.Marshal(doc)
	return string(b)
}

// wantCode runs setup with --format for each code format and wants the
// code printed (exit 0), its planned trust policy holding each of wants
// and none of unwanted.
func wantCode(t *testing.T, args []string, env map[string]string, wants, unwanted []string) {
	t.Helper()
	for _, format := range codeFormats {
		code, stdout, stderr := run(append(args, "--format", format), env)
		if code != ExitOK || stdout == "" {
			t.Errorf("--format %s: exit %d, want code\nstdout:\n%s\nstderr:\n%s", format, code, stdout, stderr)
			continue
		}
		trust := plannedTrust(t, format, stdout)
		for _, want := range wants {
			if !strings.Contains(trust, want) {
				t.Errorf("--format %s: the planned trust policy lacks %q:\n%s", format, want, trust)
			}
		}
		for _, bad := range unwanted {
			if strings.Contains(trust, bad) {
				t.Errorf("--format %s: the planned trust policy holds %q:\n%s", format, bad, trust)
			}
		}
	}
}

// codeSetup starts moto and the fake GitHub API for one test and returns
// moto's URL and setup's environment; with roles, it first applies a role
// of each name admitting testRepo's main branch.
func codeSetup(t *testing.T, roles ...string) (string, map[string]string) {
	t.Helper()
	moto := startMoto(t)
	env := setupEnv(moto.URL, moto.URL, newFakeGitHubAPI(t).URL)
	for _, role := range roles {
		if code, stdout, stderr := run([]string{"setup", "--repository", testRepo, "--branch", "main", "--role-name", role, "--apply"}, env); code != ExitOK {
			t.Fatalf("apply %s: exit %d\n%s%s", role, code, stdout, stderr)
		}
	}
	return moto.URL, env
}

// TestSetupCodeApplyGate: a plan whose checker leaves a sample UNDECIDED (a
// kept Deny on a policy variable) is refused as code too, naming the run.
func TestSetupCodeApplyGate(t *testing.T) {
	t.Parallel()
	motoURL, env := codeSetup(t, "gated-code")
	args := []string{"setup", "--repository", testRepo, "--role-name", "gated-code"}
	addStatements(t, motoURL, "gated-code", `{"Effect":"Deny","Principal":{"Federated":"`+ghProvider+`"},"Action":"sts:AssumeRoleWithWebIdentity",
	  "Condition":{"StringEquals":{"token.actions.githubusercontent.com:sub":"${aws:PrincipalTag/blocked}"}}}`)
	// Adding a branch loses no run: only the gate refuses it.
	wantNoCode(t, append(args, "--branch", "main", "--branch", "release"), env,
		"sample run(s) otherwise than intended under the planned trust policy: ", "branch release, legacy sub: UNDECIDED, expected ALLOWED")
}

// TestSetupCodeForeignRole: code for a role that trusts a service and has
// an inline policy is printed only with --adopt-role, which goes with the
// code formats as with --apply.
func TestSetupCodeForeignRole(t *testing.T) {
	t.Parallel()
	motoURL, env := codeSetup(t)
	setRole(t, motoURL, "batch-code", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"batch.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)
	mustAWSNoOutput(t, motoURL, "iam", "put-role-policy", "--role-name", "batch-code", "--policy-name", "everything",
		"--policy-document", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`)
	args := []string{"setup", "--repository", testRepo, "--branch", "main", "--role-name", "batch-code"}
	wantNoCode(t, args, env, "the role batch-code was not made for octo-org/octo-repo alone", "run again with --adopt-role")
	wantCode(t, append(args, "--adopt-role"), env, []string{"batch.amazonaws.com", "repo:octo-org/octo-repo:ref:refs/heads/main"}, nil)
	// Without a format it still goes with --apply only.
	if code, _, stderr := run(append(args, "--adopt-role"), env); code != ExitUsage || !strings.Contains(stderr, "--adopt-role goes with --apply") {
		t.Errorf("--adopt-role on a plan: exit %d\n%s", code, stderr)
	}
}

// TestSetupCodeCaseOnlyChange: code that only changes the case of the name
// the role admits (tokens carry GitHub's spelling, which was not looked up)
// is refused unless --confirm-spelling confirms it.
func TestSetupCodeCaseOnlyChange(t *testing.T) {
	t.Parallel()
	motoURL, env := codeSetup(t)
	mustAWS(t, motoURL, "iam", "create-open-id-connect-provider", "--url", "https://token.actions.githubusercontent.com", "--client-id-list", "sts.amazonaws.com")
	setRole(t, motoURL, "cased-code", `{"Version":"2012-10-17","Statement":[{"Sid":"GitHubActionsOIDC","Effect":"Allow","Principal":{"Federated":"`+ghProvider+`"},"Action":"sts:AssumeRoleWithWebIdentity",
	  "Condition":{"StringEquals":{"token.actions.githubusercontent.com:aud":"sts.amazonaws.com","token.actions.githubusercontent.com:repository_id":"`+testRepoID+`",
	  "token.actions.githubusercontent.com:sub":["repo:Octo-Org/Octo-Repo:ref:refs/heads/main","repo:Octo-Org@`+testOwnerID+`/Octo-Repo@`+testRepoID+`:ref:refs/heads/main"]}}}]}`)
	args := []string{"setup", "--repository", testRepo, "--repository-id", testRepoID, "--owner-id", testOwnerID, "--branch", "main", "--role-name", "cased-code"}
	const why = "the role admits Octo-Org/Octo-Repo, which --repository octo-org/octo-repo spells otherwise only in case"
	wantNoCode(t, args, env, why)
	wantNoCode(t, append(args, "--replace-trust-policy"), env, why)
	wantCode(t, append(args, "--replace-trust-policy", "--confirm-spelling"), env, []string{"repo:octo-org/octo-repo:ref:refs/heads/main"}, []string{"Octo-Org/Octo-Repo"})
}

// TestSetupCodeLosses: code that moves a role to another repository loses
// the first one's runs, and code that drops a statement letting every
// principal (*) in with the provider's tokens loses what it admitted: each
// is printed only with --replace-trust-policy (and, the role having been
// made for another repository or shared with every principal, with
// --adopt-role). A change that loses nothing needs no flag.
func TestSetupCodeLosses(t *testing.T) {
	t.Parallel()
	motoURL, env := codeSetup(t, "moving-code")
	other := []string{"setup", "--repository", "octo-org/other-repo", "--repository-id", "555", "--owner-id", testOwnerID, "--branch", "main", "--role-name", "moving-code"}
	wantNoCode(t, other, env, "loses 2 sample run(s)", "run again with --adopt-role")
	wantNoCode(t, append(other, "--adopt-role"), env, "loses 2 sample run(s)", "--replace-trust-policy")
	wantNoCode(t, append(other, "--replace-trust-policy"), env, "run again with --adopt-role")
	wantCode(t, append(other, "--replace-trust-policy", "--adopt-role"), env, []string{"repo:octo-org/other-repo:ref:refs/heads/main"}, []string{"octo-org/octo-repo"})
	// Adding a branch loses nothing: code without the flag, as before.
	wantCode(t, []string{"setup", "--repository", testRepo, "--branch", "main", "--branch", "release", "--role-name", "moving-code"}, env,
		[]string{"refs/heads/release"}, nil)

	addStatements(t, motoURL, "moving-code",
		`{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringLike":{"token.actions.githubusercontent.com:sub":"repo:evil-org/*"}}}`)
	mine := []string{"setup", "--repository", testRepo, "--branch", "main", "--role-name", "moving-code"}
	wantNoCode(t, mine, env, "--replace-trust-policy")
	wantCode(t, append(mine, "--replace-trust-policy", "--adopt-role"), env, []string{"repo:octo-org/octo-repo:ref:refs/heads/main"}, []string{"evil-org", `"*"`})
}
