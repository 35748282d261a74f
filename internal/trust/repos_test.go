package trust

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// run builds a run's claims by hand: sub as given, the environment claim
// when env is not empty, the repository's name and id.
func handRun(sub, repo, repoID, env string) map[string]any {
	c := map[string]any{"iss": DefaultIssuer, "aud": "sts.amazonaws.com", "sub": sub, "repository": repo, "repository_id": repoID}
	if env != "" {
		c["environment"] = env
	}
	return c
}

func verdicts(t *testing.T, doc []byte, cases []struct {
	name   string
	claims map[string]any
	want   Verdict
}) {
	t.Helper()
	p := mustParse(t, doc)
	for _, tc := range cases {
		req := RequestFor(DefaultIssuer, "123456789012", tc.claims)
		if d := Evaluate(p, req); d.Verdict != tc.want {
			t.Errorf("%s: %s, want %s\n%s", tc.name, d.Verdict, tc.want, Report(d, req, nil))
		}
	}
}

// TestGenerateSeveralRepositories: one statement per repository, each sub
// paired with its own repository_id, so that after a rename neither
// repository's id passes under the other's name.
func TestGenerateSeveralRepositories(t *testing.T) {
	t.Parallel()
	o := Options{AccountID: "123456789012", RepositoryID: "11", OwnerID: "1",
		Run:  Run{Repository: "octo-org/app", Ref: "refs/heads/main"},
		Also: []Run{{Environment: "prod"}},
		More: []Repo{ParseRepo("other-org@2/infra@22")},
	}
	doc, err := Generate(o)
	if err != nil {
		t.Fatal(err)
	}
	var raw struct{ Statement []map[string]any }
	if err := json.Unmarshal(doc, &raw); err != nil || len(raw.Statement) != 2 {
		t.Fatalf("want two statements: %v\n%s", err, doc)
	}
	for i, repo := range []struct{ name, id string }{{"octo-org/app", "11"}, {"other-org/infra", "22"}} {
		cond := raw.Statement[i]["Condition"].(map[string]any)["StringEquals"].(map[string]any)
		if cond["token.actions.githubusercontent.com:repository_id"] != repo.id {
			t.Errorf("statement %d pins repository_id %v, want %s", i, cond["token.actions.githubusercontent.com:repository_id"], repo.id)
		}
		for _, sub := range cond["token.actions.githubusercontent.com:sub"].([]any) {
			owner, name, _ := strings.Cut(repo.name, "/")
			if !strings.HasPrefix(sub.(string), "repo:"+repo.name+":") && !strings.HasPrefix(sub.(string), "repo:"+owner+"@") || !strings.Contains(sub.(string), name) {
				t.Errorf("statement %d (%s) has the sub %v", i, repo.name, sub)
			}
		}
	}
	verdicts(t, doc, []struct {
		name   string
		claims map[string]any
		want   Verdict
	}{
		{"app main", handRun("repo:octo-org/app:ref:refs/heads/main", "octo-org/app", "11", ""), Allowed},
		{"app prod, immutable", handRun("repo:octo-org@1/app@11:environment:prod", "octo-org/app", "11", "prod"), Allowed},
		{"infra main", handRun("repo:other-org/infra:ref:refs/heads/main", "other-org/infra", "22", ""), Allowed},
		{"infra prod, immutable", handRun("repo:other-org@2/infra@22:environment:prod", "other-org/infra", "22", "prod"), Allowed},
		{"app's name with infra's id", handRun("repo:octo-org/app:ref:refs/heads/main", "octo-org/app", "22", ""), Denied},
		{"infra's name with app's id", handRun("repo:other-org/infra:ref:refs/heads/main", "other-org/infra", "11", ""), Denied},
		{"app, another branch", handRun("repo:octo-org/app:ref:refs/heads/dev", "octo-org/app", "11", ""), Denied},
		{"infra, a tag", handRun("repo:other-org/infra:ref:refs/tags/v1", "other-org/infra", "22", ""), Denied},
		{"a third repository of the owner", handRun("repo:octo-org/web:ref:refs/heads/main", "octo-org/web", "33", ""), Denied},
	})
	if s := o.Summary(); !strings.Contains(s, "repository octo-org/app: repository_id 11") || !strings.Contains(s, "repository other-org/infra: repository_id 22") {
		t.Errorf("summary = %s", s)
	}
}

// TestGenerateSeveralRepositoriesRefusals: a repository given twice, ids
// for some and not others, and a bad inline id are refused.
func TestGenerateSeveralRepositoriesRefusals(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		more []Repo
		ids  bool
		want string
	}{
		"twice":            {[]Repo{ParseRepo("octo-org/App")}, false, "given twice"},
		"ids for some":     {[]Repo{ParseRepo("octo-org/web")}, true, "some repositories have ids"},
		"repository bad":   {[]Repo{ParseRepo("octo-org/web:x")}, false, "--repository"},
		"owner-wide id":    {[]Repo{{Name: "octo-org/*", ID: "5", OwnerID: "1"}}, true, "no one repository id"},
		"owner-wide no id": {[]Repo{ParseRepo("octo-org/*")}, false, "needs the owner's id"},
	} {
		o := Options{AccountID: "123456789012", Run: Run{Repository: "octo-org/app", Ref: "refs/heads/main"}, More: tc.more}
		if tc.ids {
			o.RepositoryID, o.OwnerID = "11", "1"
		}
		if _, err := Generate(o); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", name, err, tc.want)
		}
	}
}

// TestGenerateQuota: a policy over IAM's trust-policy quota is refused,
// saying how many repositories fit; that many do fit and one more does
// not.
func TestGenerateQuota(t *testing.T) {
	t.Parallel()
	o := Options{AccountID: "123456789012", RepositoryID: "100", OwnerID: "1",
		Run: Run{Repository: "octo-org/repo-0", Ref: "refs/heads/main"}}
	for i := 1; i < 30; i++ {
		o.More = append(o.More, ParseRepo(fmt.Sprintf("octo-org@1/repo-%d@%d", i, 100+i)))
	}
	_, err := Generate(o)
	if err == nil {
		t.Fatal("a 30-repository policy was generated")
	}
	var fits int
	if _, e := fmt.Sscanf(err.Error()[strings.Index(err.Error(), "): ")+3:], "%d of these repositories fit", &fits); e != nil || fits < 1 {
		t.Fatalf("the refusal does not say how many fit: %v", err)
	}
	ok := o
	ok.More = o.More[:fits-1]
	if _, err := Generate(ok); err != nil {
		t.Errorf("%d repositories were said to fit: %v", fits, err)
	}
	over := o
	over.More = o.More[:fits]
	if _, err := Generate(over); err == nil {
		t.Errorf("%d repositories fit, but the refusal said %d", fits+1, fits)
	}
	raised := over
	raised.Quota = MaxQuota
	if _, err := Generate(raised); err != nil {
		t.Errorf("%d repositories with the quota at %d: %v", fits+1, MaxQuota, err)
	}
}

// TestGenerateOwnerWide: OWNER/* admits the runs named in every
// repository of the owner by its id, and no near miss: an owner whose
// name starts with OWNER, another owner's repository of the same name,
// the owner's name registered again (another id), the legacy sub, each
// run kind not named, and an environment whose name carries
// ":ref:refs/heads/main" or ":pull_request" (the * crosses ':').
// ownerRun is handRun with the ref claim.
func ownerRun(sub, repo, repoID, env, ref string) map[string]any {
	c := handRun(sub, repo, repoID, env)
	c["ref"] = ref
	return c
}

func TestGenerateOwnerWide(t *testing.T) {
	t.Parallel()
	o := Options{AccountID: "123456789012", Run: Run{Repository: "acme/*", Ref: "refs/heads/main"},
		Also: []Run{{Environment: "prod"}, {EventName: "pull_request"}}, OwnerID: "123"}
	doc, err := Generate(o)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(doc), "repo:acme/") {
		t.Errorf("the legacy form is in the policy:\n%s", doc)
	}
	verdicts(t, doc, []struct {
		name   string
		claims map[string]any
		want   Verdict
	}{
		{"a repository's main", ownerRun("repo:acme@123/app@9:ref:refs/heads/main", "acme/app", "9", "", "refs/heads/main"), Allowed},
		{"a repository created later, pull request", ownerRun("repo:acme@123/new-repo@99999:pull_request", "acme/new-repo", "99999", "", "refs/pull/1/merge"), Allowed},
		{"environment prod", ownerRun("repo:acme@123/app@9:environment:prod", "acme/app", "9", "prod", "refs/heads/main"), Allowed},
		{"an owner whose name starts with acme", ownerRun("repo:acme-evil@124/app@10:ref:refs/heads/main", "acme-evil/app", "10", "", "refs/heads/main"), Denied},
		{"an owner whose id starts with 123", ownerRun("repo:acme@1234/app@10:ref:refs/heads/main", "acme/app", "10", "", "refs/heads/main"), Denied},
		{"another owner's repository of the same name", ownerRun("repo:other@5/app@11:ref:refs/heads/main", "other/app", "11", "", "refs/heads/main"), Denied},
		{"the name acme registered again", ownerRun("repo:acme@777/app@12:ref:refs/heads/main", "acme/app", "12", "", "refs/heads/main"), Denied},
		{"the legacy sub", ownerRun("repo:acme/app:ref:refs/heads/main", "acme/app", "9", "", "refs/heads/main"), Denied},
		{"another branch", ownerRun("repo:acme@123/app@9:ref:refs/heads/dev", "acme/app", "9", "", "refs/heads/dev"), Denied},
		{"a tag", ownerRun("repo:acme@123/app@9:ref:refs/tags/v1", "acme/app", "9", "", "refs/tags/v1"), Denied},
		{"another environment", ownerRun("repo:acme@123/app@9:environment:staging", "acme/app", "9", "staging", "refs/heads/main"), Denied},
		{"an environment named x:ref:refs/heads/main", ownerRun("repo:acme@123/app@9:environment:x:ref:refs/heads/main", "acme/app", "9", "x:ref:refs/heads/main", "refs/heads/main"), Denied},
		{"an environment named x:pull_request", ownerRun("repo:acme@123/app@9:environment:x:pull_request", "acme/app", "9", "x:pull_request", "refs/heads/main"), Denied},
		{"a custom subject template with the workflow's name last, on another branch", ownerRun("repo:acme@123/app@9:workflow:x:ref:refs/heads/main", "acme/app", "9", "", "refs/heads/feature"), Denied},
		{"the same for pull_request", ownerRun("repo:acme@123/app@9:workflow:x:pull_request", "acme/app", "9", "", "refs/heads/feature"), Denied},
		{"an environment named prod:ref:refs/heads/main", ownerRun("repo:acme@123/app@9:environment:prod:ref:refs/heads/main", "acme/app", "9", "prod:ref:refs/heads/main", "refs/heads/main"), Denied},
	})
	s := o.Summary()
	for _, want := range []string{"every repository of acme, those created later too", "immutable form only (owner id 123)", "repo:acme@123/*:ref:refs/heads/main"} {
		if !strings.Contains(s, want) {
			t.Errorf("summary lacks %q: %s", want, s)
		}
	}
	// Without the owner's id: refused; both: refused; legacy: a warning.
	noID := o
	noID.OwnerID = ""
	if _, err := Generate(noID); err == nil || !strings.Contains(err.Error(), "--repository acme/* needs the owner's id") {
		t.Errorf("without the owner id: %v", err)
	}
	both := o
	both.SubFormat = "both"
	if _, err := Generate(both); err == nil || !strings.Contains(err.Error(), "--sub-format both does not go with OWNER/*") {
		t.Errorf("both: %v", err)
	}
	legacy := noID
	legacy.SubFormat = "legacy"
	doc, err = Generate(legacy)
	if err != nil {
		t.Fatal(err)
	}
	verdicts(t, doc, []struct {
		name   string
		claims map[string]any
		want   Verdict
	}{
		{"legacy main", ownerRun("repo:acme/app:ref:refs/heads/main", "acme/app", "9", "", "refs/heads/main"), Allowed},
		{"legacy, an owner whose name starts with acme", ownerRun("repo:acme-evil/app:ref:refs/heads/main", "acme-evil/app", "10", "", "refs/heads/main"), Denied},
		{"legacy, environment named x:ref:refs/heads/main", ownerRun("repo:acme/app:environment:x:ref:refs/heads/main", "acme/app", "9", "x:ref:refs/heads/main", "refs/heads/main"), Denied},
	})
	if s := legacy.Summary(); !strings.Contains(s, "WARNING") || !strings.Contains(s, "whoever registers the name acme") {
		t.Errorf("legacy summary does not warn: %s", s)
	}
}
