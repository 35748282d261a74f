package cli

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// newOwnersAPI answers GitHub's GET /repos/OWNER/REPO and GET /users/OWNER
// for the repositories and owners given (name -> "repoID/ownerID", or
// owner -> "ownerID"), 404 for everything else.
func newOwnersAPI(t *testing.T, repos, owners map[string]string) *httptest.Server {
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		if name, ok := strings.CutPrefix(r.URL.Path, "/repos/"); ok && repos[name] != "" {
			rid, oid, _ := strings.Cut(repos[name], "/")
			owner, _, _ := strings.Cut(name, "/")
			fmt.Fprintf(w, `{"id": %s, "full_name": %q, "owner": {"login": %q, "id": %s, "type": "Organization"}}`, rid, name, owner, oid)
			return
		}
		if login, ok := strings.CutPrefix(r.URL.Path, "/users/"); ok && owners[login] != "" {
			fmt.Fprintf(w, `{"login": %q, "id": %s, "type": "Organization"}`, login, owners[login])
			return
		}
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprint(w, `{"message": "Not Found", "status": "404"}`)
	}))
	t.Cleanup(s.Close)
	return s
}

// noMark fails when the closing check decided a sample otherwise than
// intended.
func noMark(t *testing.T, what, out string) {
	t.Helper()
	if strings.Contains(out, "<-- expected") {
		t.Errorf("%s: the live role decides a sample otherwise than intended:\n%s", what, out)
	}
}

func wantLines(t *testing.T, what, out string, lines ...string) {
	t.Helper()
	for _, l := range lines {
		if !strings.Contains(out, l) {
			t.Errorf("%s lacks %q:\n%s", what, l, out)
		}
	}
}

// TestSetupSeveralRepositories: setup with two repositories (ids looked
// up for each) applies against moto; the AWS CLI reads back one statement
// per repository, each sub with its own repository_id; the closing check
// admits each repository's runs and denies every near miss; a second run
// plans nothing; check --role agrees. Too many repositories for IAM's
// quota are refused before any write, saying how many fit.
func TestSetupSeveralRepositories(t *testing.T) {
	t.Parallel()
	moto := startMoto(t)
	gh := newOwnersAPI(t, map[string]string{"octo-org/app": "11/1", "other-org/infra": "22/2"}, nil)
	env := setupEnv(moto.URL, moto.URL, gh.URL)
	args := []string{"setup", "--repository", "octo-org/app", "--repository", "other-org/infra", "--role-name", "multi", "--branch", "main", "--environment", "prod"}

	code, stdout, stderr := run(append(args, "--apply"), env)
	if code != ExitOK {
		t.Fatalf("apply: exit %d\n%s%s", code, stdout, stderr)
	}
	noMark(t, "apply", stdout)
	wantLines(t, "apply", stdout, "octo-org/app: ids from GitHub's API (repository 11, owner 1)", "other-org/infra: ids from GitHub's API (repository 22, owner 2)",
		"ALLOWED   octo-org/app: branch main, immutable sub\n", "ALLOWED   other-org/infra: environment prod, legacy sub\n",
		"DENIED    octo-org/app: a recycled name (octo-org/app with another repository id), branch main, legacy sub",
		"DENIED    other-org/infra: the same name under another owner (another-owner/infra), environment prod, immutable sub")
	live := liveTrust(t, moto.URL, "multi").(map[string]any)
	stmts := live["Statement"].([]any)
	if len(stmts) != 2 {
		t.Fatalf("want a statement per repository: %v", live)
	}
	for i, want := range [][2]string{{"octo-org", "11"}, {"other-org", "22"}} {
		eq := stmts[i].(map[string]any)["Condition"].(map[string]any)["StringEquals"].(map[string]any)
		if eq["token.actions.githubusercontent.com:repository_id"] != want[1] {
			t.Errorf("statement %d pins repository_id %v, want %s", i, eq["token.actions.githubusercontent.com:repository_id"], want[1])
		}
		for _, sub := range eq["token.actions.githubusercontent.com:sub"].([]any) {
			if !strings.HasPrefix(sub.(string), "repo:"+want[0]) {
				t.Errorf("statement %d (%s) holds the sub %v", i, want[0], sub)
			}
		}
	}
	code, stdout, _ = run(append(args, "--apply"), env)
	if code != ExitOK || !strings.Contains(stdout, "Plan: nothing to do") {
		t.Errorf("second run: exit %d\n%s", code, stdout)
	}
	code, stdout, _ = run([]string{"trust-policy", "check", "--role", "multi", "--repository", "octo-org@1/app@11", "--repository", "other-org@2/infra@22",
		"--ref", "refs/heads/main", "--environment", "prod", "--sub-format", "immutable"}, env)
	if code != ExitOK || strings.Count(stdout, "\nALLOWED") != 2 {
		t.Errorf("check --role: exit %d\n%s", code, stdout)
	}
	code, stdout, _ = run([]string{"trust-policy", "check", "--role", "multi", "--repository", "octo-org@1/app@22", "--ref", "refs/heads/main"}, env)
	if code != ExitFailure {
		t.Errorf("check --role with app's name and infra's id: exit %d\n%s", code, stdout)
	}

	// Over the quota: refused before any write.
	many := []string{"setup", "--role-name", "too-many", "--branch", "main", "--apply"}
	for i := 0; i < 30; i++ {
		many = append(many, "--repository", fmt.Sprintf("octo-org@1/repository-%d@%d", i, 1000+i))
	}
	code, stdout, stderr = run(many, env)
	if code == ExitOK || !strings.Contains(stderr, "of these repositories fit in one role") {
		t.Errorf("30 repositories: exit %d\n%s%s", code, stdout, stderr)
	}
	if out, err := awsCLI(t, moto.URL, "iam", "get-role", "--role-name", "too-many"); err == nil || !strings.Contains(out, "NoSuchEntity") {
		t.Errorf("the refused role exists: %v %s", err, out)
	}
}

// TestSetupOwnerWide: setup --repository OWNER/* looks the owner's id up,
// applies the immutable-sub statements against moto, says that
// repositories created later are admitted too, and its closing check
// admits the runs named in any repository of the owner and denies every
// near miss: an owner whose name starts with OWNER, the name registered
// again, another owner's repository of the same name, a run kind not
// named, environments named after the other runs' context. Without the
// owner's id it is refused; with --sub-format legacy the plan warns.
func TestSetupOwnerWide(t *testing.T) {
	t.Parallel()
	moto := startMoto(t)
	gh := newOwnersAPI(t, nil, map[string]string{"acme": "123"})
	env := setupEnv(moto.URL, moto.URL, gh.URL)
	args := []string{"setup", "--repository", "acme/*", "--branch", "main", "--environment", "prod", "--pull-request"}

	code, stdout, stderr := run(append(args, "--apply"), env)
	if code != ExitOK {
		t.Fatalf("apply: exit %d\n%s%s", code, stdout, stderr)
	}
	noMark(t, "apply", stdout)
	p := "every repository of acme (as acme/any-repository): "
	wantLines(t, "apply", stdout, "acme/* admits every repository of acme (owner id 123) for the runs named, those created later too",
		"create the role github-actions-acme-all-repositories",
		"ALLOWED   "+p+"branch main, immutable sub\n", "ALLOWED   "+p+"environment prod, immutable sub\n", "ALLOWED   "+p+"a pull request, immutable sub\n",
		"ALLOWED   "+p+"another repository of the owner (acme/another-repo), branch main, immutable sub",
		"DENIED    "+p+"branch main, legacy sub (not admitted: --sub-format immutable)",
		"DENIED    "+p+"an owner whose name starts with acme (acme-evil/any-repository), immutable sub",
		"DENIED    "+p+"the name acme registered again (owner id 1000012), immutable sub",
		"DENIED    "+p+"the same name under another owner (another-owner/any-repository), branch main, immutable sub",
		"DENIED    "+p+"a tag near-miss, immutable sub", "DENIED    "+p+"branch near-miss, immutable sub", "DENIED    "+p+"environment near-miss, immutable sub",
		"DENIED    "+p+"an environment named x:ref:refs/heads/main, immutable sub",
		"DENIED    "+p+"an environment named x:pull_request (a pull request's job), immutable sub")
	if strings.Contains(stdout, "environment true") {
		t.Errorf("the Null condition's value was read as an environment name:\n%s", stdout)
	}
	live := fmt.Sprint(liveTrust(t, moto.URL, "github-actions-acme-all-repositories"))
	if !strings.Contains(live, "repo:acme@123/*:ref:refs/heads/main") || !strings.Contains(live, "Null") || strings.Contains(live, "repo:acme/") {
		t.Errorf("the live trust policy: %s", live)
	}
	role := []string{"trust-policy", "check", "--role", "github-actions-acme-all-repositories", "--ref", "refs/heads/main", "--sub-format", "immutable"}
	if _, stdout, _ := run(append(role, "--repository", "acme@123/made-later@777"), env); !strings.Contains(stdout, "\nALLOWED") && !strings.HasPrefix(stdout, "ALLOWED") {
		t.Errorf("check --role, a repository of acme: %s", stdout)
	}
	for _, near := range [][]string{{"--repository", "acme-evil@124/app@5"}, {"--repository", "acme@999/app@5"}, {"--repository", "acme@123/app@5", "--environment", "x:ref:refs/heads/main"}} {
		if code, stdout, _ := run(append(role, near...), env); code != ExitFailure {
			t.Errorf("check --role %v: exit %d, want DENIED\n%s", near, code, stdout)
		}
	}

	// No owner id (GitHub does not know the owner): refused, nothing written.
	code, stdout, stderr = run([]string{"setup", "--repository", "nobody/*", "--branch", "main", "--apply"}, env)
	if code == ExitOK || !strings.Contains(stdout+stderr, "needs the owner's id") {
		t.Errorf("nobody/*: exit %d\n%s%s", code, stdout, stderr)
	}
	if out, err := awsCLI(t, moto.URL, "iam", "get-role", "--role-name", "github-actions-nobody-all-repositories"); err == nil || !strings.Contains(out, "NoSuchEntity") {
		t.Errorf("the refused role exists: %v %s", err, out)
	}
	// Legacy, explicitly: the plan says what a re-registered name does.
	_, stdout, _ = run([]string{"setup", "--repository", "nobody/*", "--branch", "main", "--sub-format", "legacy"}, env)
	wantLines(t, "legacy plan", stdout, "by name only (--sub-format legacy): if nobody is renamed or deleted and someone registers the name nobody, their repositories match too")
	noMark(t, "legacy plan", stdout)
}

// TestSetupNamesArePolicySyntax: an environment named as a policy
// variable, and a branch holding ${$}, go into the live role escaped, so
// that the closing check admits them and denies every other environment
// (the unescaped policy admitted every environment); the plan's labels
// show the names as given; a second run plans nothing; a C1 control is
// refused before any call.
func TestSetupNamesArePolicySyntax(t *testing.T) {
	t.Parallel()
	moto := startMoto(t)
	gh := newOwnersAPI(t, map[string]string{"octo-org/app": "11/1"}, nil)
	env := setupEnv(moto.URL, moto.URL, gh.URL)
	envName := "${token.actions.githubusercontent.com:environment}"
	args := []string{"setup", "--repository", "octo-org/app", "--environment", envName, "--branch", "a${$}b", "--role-name", "syntax", "--apply"}
	code, stdout, stderr := run(args, env)
	if code != ExitOK {
		t.Fatalf("apply: exit %d\n%s%s", code, stdout, stderr)
	}
	noMark(t, "apply", stdout)
	wantLines(t, "apply", stdout, "ALLOWED   environment "+envName+", immutable sub\n", "ALLOWED   branch a${$}b, legacy sub\n",
		"DENIED    environment near-miss, immutable sub\n")
	live := fmt.Sprint(liveTrust(t, moto.URL, "syntax"))
	if !strings.Contains(live, "environment:${$}{token.actions.githubusercontent.com:environment}") || !strings.Contains(live, "refs/heads/a${$}{${$}}b") {
		t.Errorf("the live policy does not hold the names escaped: %s", live)
	}
	code, stdout, _ = run(args, env)
	if code != ExitOK || !strings.Contains(stdout, "Plan: nothing to do") {
		t.Errorf("second run: exit %d\n%s", code, stdout)
	}
	code, stdout, stderr = run([]string{"setup", "--repository", "octo-org/app", "--environment", "prod\u0085", "--role-name", "c1", "--apply"}, env)
	if code != ExitUsage || !strings.Contains(stderr, "--environment") || strings.Contains(stderr, "\u0085") {
		t.Errorf("C1 control: exit %d\n%s%s", code, stdout, stderr)
	}
}
