package trust

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/org/aws-oidc-go/internal/dev/harness"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/golden")

func testdata(parts ...string) string { return harness.Testdata(parts...) }

func golden(t *testing.T, name string, got []byte) { t.Helper(); harness.Golden(t, name, got, *update) }

type corpusCase struct {
	Name   string            `json:"name"`
	Source string            `json:"source"`
	Policy json.RawMessage   `json:"policy"`
	Claims map[string]any    `json:"claims"` // a decoded token payload, or
	Flags  map[string]string `json:"flags"`  // the check command's flags
	Want   string            `json:"want"`
	Lints  []string          `json:"lints"`
}

// request builds what the case is evaluated against: the token's claims,
// or the facts its flags give (with the keys they leave unknown).
func (c corpusCase) request(t testing.TB) (Request, LintContext) {
	if c.Flags != nil {
		f := Run{Repository: c.Flags["repository"], Ref: c.Flags["ref"], Environment: c.Flags["environment"], EventName: c.Flags["event-name"],
			RepositoryID: c.Flags["repository-id"], OwnerID: c.Flags["owner-id"], Actor: c.Flags["actor"], ActorID: c.Flags["actor-id"],
			Workflow: c.Flags["workflow"], JobWorkflowRef: c.Flags["job-workflow-ref"], EnterpriseID: c.Flags["enterprise-id"], SubFormat: c.Flags["sub-format"]}
		claims, unknown, err := ClaimsFor(f)
		if err != nil {
			t.Fatal(err)
		}
		req := RequestFor(DefaultIssuer, "", claims)
		for k, v := range unknown {
			req.Unknown[k] = v
		}
		return req, LintContext{Issuer: DefaultIssuer, Repository: f.Repository}
	}
	iss, _ := c.Claims["iss"].(string)
	repo, _ := c.Claims["repository"].(string)
	sub, _ := c.Claims["sub"].(string)
	id, _ := c.Claims["repository_id"].(string)
	return RequestFor(iss, "", c.Claims), LintContext{Issuer: iss, Repository: repo, Subject: sub, RepositoryID: id}
}

func loadCase(t testing.TB, file string) corpusCase {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var c corpusCase
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	return c
}

// TestCorpus runs every policy under testdata/trust-policies against its
// claims or flags: the verdict and the set of lint findings must be as
// recorded (the expectations were written from AWS's and GitHub's
// documented behaviour, not produced by this code).
func TestCorpus(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob(testdata("trust-policies", "*.json"))
	if err != nil || len(files) < 50 {
		t.Fatalf("corpus: %d files, %v", len(files), err)
	}
	for _, f := range files {
		t.Run(strings.TrimSuffix(filepath.Base(f), ".json"), func(t *testing.T) {
			t.Parallel()
			c := loadCase(t, f)
			p, err := Parse(c.Policy)
			if err != nil {
				t.Fatal(err)
			}
			req, lc := c.request(t)
			d := Evaluate(p, req)
			if got := d.Verdict.String(); got != c.Want {
				t.Errorf("%s: %s, want %s\n%s", c.Source, got, c.Want, Report(d, req, nil))
			}
			ids := []string{}
			for _, f := range Lint(p, lc) {
				ids = append(ids, f.ID)
			}
			sort.Strings(ids)
			ids = dedupe(ids)
			if c.Lints == nil {
				c.Lints = []string{}
			}
			if diff := cmp.Diff(c.Lints, ids); diff != "" {
				t.Errorf("%s: lint findings (-want +got):\n%s", c.Source, diff)
			}
		})
	}
}

// TestEveryLintHasPositiveAndNegativeCases: each finding is expected by
// some corpus case, and has a near-miss case (near-<id>.json) shaped like
// it that must not raise it.
func TestEveryLintHasPositiveAndNegativeCases(t *testing.T) {
	t.Parallel()
	files, _ := filepath.Glob(testdata("trust-policies", "*.json"))
	positive := map[string]bool{}
	for _, f := range files {
		for _, id := range loadCase(t, f).Lints {
			positive[id] = true
		}
	}
	for id := range LintIDs {
		if !positive[id] {
			t.Errorf("no corpus case expects %s", id)
		}
		near := testdata("trust-policies", "near-"+id+".json")
		if _, err := os.Stat(near); err != nil {
			t.Errorf("no near-miss case for %s (%s)", id, filepath.Base(near))
			continue
		}
		if slices.Contains(loadCase(t, near).Lints, id) {
			t.Errorf("%s expects %s: a near-miss case must not", filepath.Base(near), id)
		}
	}
}

func dedupe(s []string) []string {
	out := s[:0]
	for i, x := range s {
		if i == 0 || x != s[i-1] {
			out = append(out, x)
		}
	}
	return out
}

func TestGenerateGolden(t *testing.T) {
	t.Parallel()
	repo := Run{Repository: "octo-org/octo-repo"}
	with := func(f func(*Run)) Run { c := repo; f(&c); return c }
	cases := map[string]Options{
		"policy-branch.json":      {AccountID: "123456789012", Run: with(func(c *Run) { c.Ref = "refs/heads/main" })},
		"policy-environment.json": {AccountID: "123456789012", Run: with(func(c *Run) { c.Environment = "prod" })},
		"policy-pull-request.json": {AccountID: "123456789012", Audience: "custom-aud",
			Run: with(func(c *Run) { c.EventName = "pull_request" })},
		"policy-any-ref-enterprise.json": {AccountID: "123456789012", Issuer: "https://token.actions.githubusercontent.com/octo-ent",
			Run: repo, AnyRef: true},
		"policy-job-workflow-ref.json": {AccountID: "123456789012", Partition: "aws-us-gov", RepositoryID: "123456789", OwnerID: "65432",
			Run: with(func(c *Run) {
				c.Ref = "refs/tags/v1"
				c.JobWorkflowRef = "octo-org/pipelines/.github/workflows/release.yml@refs/heads/main"
			})},
		"policy-ids-both-forms.json": {AccountID: "123456789012", RepositoryID: "123456789", OwnerID: "65432",
			Run: with(func(c *Run) { c.Ref = "refs/heads/main" })},
		"policy-ids-any-ref.json": {AccountID: "123456789012", RepositoryID: "123456789", OwnerID: "65432",
			Run: repo, AnyRef: true},
		"policy-ids-environment-actor.json": {AccountID: "123456789012", RepositoryID: "123456789", OwnerID: "65432", SubFormat: "immutable",
			Workflow: "deploy", ActorID: "583231", Run: with(func(c *Run) { c.Environment = "prod" })},
	}
	for name, o := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			b, err := Generate(o)
			if err != nil {
				t.Fatal(err)
			}
			golden(t, name, b)
			p, err := Parse(b)
			if err != nil {
				t.Fatal(err)
			}
			o.Validate()
			findings := Lint(p, LintContext{Issuer: o.Issuer, Repository: o.Run.Repository, Audience: o.Audience})
			for _, f := range findings {
				if f.ID != "name-only" || o.RepositoryID != "" {
					t.Errorf("generated policy has a finding: %v", f)
				}
			}
		})
	}
}

// TestGeneratedPoliciesAgainstHandWrittenClaims checks generated policies
// against claims written out by hand — not derived with Subject() — for
// the intended run and its neighbours: another ref, another repository, a
// renamed owner, a recycled name with a new id.
func TestGeneratedPoliciesAgainstHandWrittenClaims(t *testing.T) {
	t.Parallel()
	token := func(over map[string]any) map[string]any {
		c := map[string]any{"iss": DefaultIssuer, "aud": "sts.amazonaws.com", "sub": "repo:octo-org/octo-repo:ref:refs/heads/main",
			"repository": "octo-org/octo-repo", "repository_id": "123456789", "repository_owner_id": "65432", "ref": "refs/heads/main",
			"actor": "octocat", "actor_id": "583231", "workflow": "deploy",
			"job_workflow_ref": "octo-org/octo-repo/.github/workflows/deploy.yml@refs/heads/main"}
		for k, v := range over {
			if v == nil {
				delete(c, k)
			} else {
				c[k] = v
			}
		}
		return c
	}
	byIDs := Options{AccountID: "123456789012", RepositoryID: "123456789", OwnerID: "65432", Run: Run{Repository: "octo-org/octo-repo", Ref: "refs/heads/main"}}
	byName := Options{AccountID: "123456789012", Run: Run{Repository: "octo-org/octo-repo", Ref: "refs/heads/main"}}
	env := Options{AccountID: "123456789012", RepositoryID: "123456789", OwnerID: "65432", ActorID: "583231", Run: Run{Repository: "octo-org/octo-repo", Environment: "prod"}}
	cases := []struct {
		name   string
		o      Options
		claims map[string]any
		want   Verdict
	}{
		{"ids: the intended run, legacy subject", byIDs, token(nil), Allowed},
		{"ids: the intended run, immutable subject", byIDs, token(map[string]any{"sub": "repo:octo-org@65432/octo-repo@123456789:ref:refs/heads/main"}), Allowed},
		{"ids: another branch", byIDs, token(map[string]any{"sub": "repo:octo-org/octo-repo:ref:refs/heads/dev", "ref": "refs/heads/dev"}), Denied},
		{"ids: another repository", byIDs, token(map[string]any{"sub": "repo:octo-org/other:ref:refs/heads/main", "repository": "octo-org/other", "repository_id": "222"}), Denied},
		{"ids: the owner renamed (the id stays)", byIDs, token(map[string]any{"sub": "repo:new-org@65432/octo-repo@123456789:ref:refs/heads/main", "repository": "new-org/octo-repo"}), Denied},
		{"ids: a recycled name with a new id", byIDs, token(map[string]any{"repository_id": "987654321", "repository_owner_id": "77777"}), Denied},
		{"name: the intended run", byName, token(nil), Allowed},
		{"name: a recycled name with a new id (what name-only warns about)", byName, token(map[string]any{"repository_id": "987654321", "repository_owner_id": "77777"}), Allowed},
		{"name: an immutable subject", byName, token(map[string]any{"sub": "repo:octo-org@65432/octo-repo@123456789:ref:refs/heads/main"}), Denied},
		{"env: the intended job", env, token(map[string]any{"sub": "repo:octo-org/octo-repo:environment:prod", "environment": "prod"}), Allowed},
		{"env: another environment", env, token(map[string]any{"sub": "repo:octo-org/octo-repo:environment:staging", "environment": "staging"}), Denied},
		{"env: another actor", env, token(map[string]any{"sub": "repo:octo-org/octo-repo:environment:prod", "environment": "prod", "actor_id": "1"}), Denied},
		{"env: a job without the environment", env, token(nil), Denied},
	}
	for _, tc := range cases {
		b, err := Generate(tc.o)
		if err != nil {
			t.Fatal(err)
		}
		p, _ := Parse(b)
		req := RequestFor(DefaultIssuer, "123456789012", tc.claims)
		if d := Evaluate(p, req); d.Verdict != tc.want {
			t.Errorf("%s: %s, want %s\n%s", tc.name, d.Verdict, tc.want, Report(d, req, nil))
		}
	}
}

func TestGenerateRejects(t *testing.T) {
	t.Parallel()
	for _, o := range []Options{
		{AccountID: "12", Run: Run{Repository: "a/b", Ref: "refs/heads/main"}},
		{AccountID: "123456789012", Run: Run{Repository: "a", Ref: "refs/heads/main"}},
		{AccountID: "123456789012", Run: Run{Repository: "a/b"}},
		{AccountID: "123456789012", Issuer: "http://insecure", Run: Run{Repository: "a/b", Ref: "refs/heads/main"}},
		{AccountID: "123456789012", RepositoryID: "1", Run: Run{Repository: "a/b", Ref: "refs/heads/main"}},
		{AccountID: "123456789012", SubFormat: "immutable", Run: Run{Repository: "a/b", Ref: "refs/heads/main"}},
		{AccountID: "123456789012", RepositoryID: "x", OwnerID: "1", Run: Run{Repository: "a/b", Ref: "refs/heads/main"}},
		{AccountID: "123456789012", Issuer: "https://ghe.example.com/_services/token", Actor: "x", Run: Run{Repository: "a/b", Ref: "refs/heads/main"}},
	} {
		if _, err := Generate(o); err == nil {
			t.Errorf("Generate(%+v) accepted", o)
		}
	}
}

func TestReportGolden(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"pitfall-environment-vs-branch", "explicit-deny-wins", "pitfall-prefix-wildcard", "flags-undecided-deny-actor", "deny-unexposed-negated", "immutable-sub-legacy-policy"} {
		c := loadCase(t, testdata("trust-policies", name+".json"))
		p, err := Parse(c.Policy)
		if err != nil {
			t.Fatal(err)
		}
		req, lc := c.request(t)
		golden(t, "check-"+name+".txt", []byte(Report(Evaluate(p, req), req, Lint(p, lc))))
	}
}

func TestLike(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		p, s string
		want bool
	}{
		{"*", "", true}, {"a*", "abc", true}, {"a*c", "abbbc", true}, {"a?c", "abc", true}, {"a?c", "ac", false},
		{"repo:o/r:*", "repo:o/r:ref:x", true}, {"repo:o/r:*", "repo:o/r-evil:ref:x", false}, {"*:pull_request", "repo:o/r:pull_request", true},
		{"A*", "abc", false}, {"**x", "x", true}, {"a*b*c", "aXbYc", true}, {"a*b*c", "aXbY", false},
	} {
		if got := Like(tc.p, tc.s); got != tc.want {
			t.Errorf("Like(%q, %q) = %v", tc.p, tc.s, got)
		}
	}
}

func TestSubject(t *testing.T) {
	t.Parallel()
	for c, want := range map[Run]string{
		{Repository: "o/r", Ref: "refs/heads/main"}:                                     "repo:o/r:ref:refs/heads/main",
		{Repository: "o/r", Ref: "refs/heads/main", Environment: "prod"}:                "repo:o/r:environment:prod",
		{Repository: "o/r", Ref: "refs/pull/1/merge", EventName: "pull_request"}:        "repo:o/r:pull_request",
		{Repository: "o/r", Ref: "refs/tags/v1", JobWorkflowRef: "o/p/.github/x.yml@v"}: "repo:o/r:ref:refs/tags/v1",
	} {
		if got := Subject(c); got != want {
			t.Errorf("Subject(%+v) = %q, want %q", c, got, want)
		}
	}
	if got := ImmutableSubject(Run{Repository: "o/r", Environment: "prod"}, "1", "2"); got != "repo:o@1/r@2:environment:prod" {
		t.Errorf("ImmutableSubject = %q", got)
	}
}

// FuzzEvaluate checks properties that need no oracle, on any policy and
// any claims: nothing crashes or hangs; the report is printable (no
// control character, no line starting a workflow command); adding a Deny never turns DENIED
// into ALLOWED; removing a condition from an Allow never turns ALLOWED
// into DENIED; an ALLOWED verdict names an applicable Allow.
func FuzzEvaluate(f *testing.F) {
	files, _ := filepath.Glob(testdata("trust-policies", "*.json"))
	for _, file := range files {
		b, _ := os.ReadFile(file)
		var c corpusCase
		if json.Unmarshal(b, &c) == nil {
			sub, _ := c.Claims["sub"].(string)
			repoID, _ := c.Claims["repository_id"].(string)
			f.Add([]byte(c.Policy), sub, repoID, "octocat", uint8(0))
		}
	}
	// A key and an operator that would print a workflow command and a
	// terminal escape if printed raw.
	f.Add([]byte(`{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "sts:*",
		"Condition": {"StringLike\n::error::x": {"k": "v"}, "StringEquals": {"token.actions.githubusercontent.com:sub\n::warning::x\u001b[2J": "${token.actions.githubusercontent.com:sub}"}}}]}`),
		"repo:o/r:ref:refs/heads/main", "1", "octocat", uint8(1))
	f.Fuzz(func(t *testing.T, policy []byte, sub, repoID, actor string, pick uint8) {
		p, err := Parse(policy)
		if err != nil {
			return
		}
		claims := map[string]any{"sub": sub, "aud": "sts.amazonaws.com", "repository_id": repoID, "actor": actor, "event_name": "push"}
		req := RequestFor(DefaultIssuer, "", claims)
		d := Evaluate(p, req)
		if d.Allowed && (d.Decider == nil || d.Decider.Effect != "Allow") {
			t.Fatalf("allowed without an Allow statement")
		}
		assertPrintable(t, Report(d, req, Lint(p, LintContext{Issuer: DefaultIssuer, Subject: sub})))
		if len(p.Statements) == 0 {
			return
		}
		// Add a Deny (a copy of one statement turned into a Deny).
		st := p.Statements[int(pick)%len(p.Statements)]
		withDeny := &Policy{Version: p.Version, Statements: append(append([]Statement(nil), p.Statements...), st)}
		withDeny.Statements[len(withDeny.Statements)-1].Effect = "Deny"
		if d.Verdict == Denied && Evaluate(withDeny, req).Verdict == Allowed {
			t.Fatalf("adding a Deny turned DENIED into ALLOWED")
		}
		// Remove one condition from one Allow.
		for i := range p.Statements {
			if p.Statements[i].Effect != "Allow" || len(p.Statements[i].Conditions) == 0 {
				continue
			}
			fewer := &Policy{Version: p.Version, Statements: append([]Statement(nil), p.Statements...)}
			conds := fewer.Statements[i].Conditions
			j := int(pick) % len(conds)
			fewer.Statements[i].Conditions = append(append([]Condition(nil), conds[:j]...), conds[j+1:]...)
			if d.Verdict == Allowed && Evaluate(fewer, req).Verdict == Denied {
				t.Fatalf("removing a condition from an Allow turned ALLOWED into DENIED")
			}
			break
		}
	})
}

func BenchmarkEvaluate(b *testing.B) {
	raw, _ := os.ReadFile(testdata("trust-policies", "explicit-deny-not-triggered.json"))
	var c corpusCase
	json.Unmarshal(raw, &c)
	p, _ := Parse(c.Policy)
	req := RequestFor(DefaultIssuer, "", c.Claims)
	b.ReportAllocs()
	for b.Loop() {
		if !Evaluate(p, req).Allowed {
			b.Fatal("denied")
		}
	}
}
