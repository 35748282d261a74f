package trust

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/org/aws-oidc-go/internal/harness"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/golden")

func testdata(parts ...string) string { return harness.Testdata(parts...) }

func golden(t *testing.T, name string, got []byte) { t.Helper(); harness.Golden(t, name, got, *update) }

type corpusCase struct {
	Name   string          `json:"name"`
	Source string          `json:"source"`
	Policy json.RawMessage `json:"policy"`
	Claims map[string]any  `json:"claims"`
	Want   string          `json:"want"`
	Lints  []string        `json:"lints"`
}

// TestCorpus runs every policy under testdata/trust-policies against its
// claims: the verdict and the set of lint findings must be as recorded.
func TestCorpus(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob(testdata("trust-policies", "*.json"))
	if err != nil || len(files) < 20 {
		t.Fatalf("corpus: %d files, %v", len(files), err)
	}
	for _, f := range files {
		t.Run(strings.TrimSuffix(filepath.Base(f), ".json"), func(t *testing.T) {
			t.Parallel()
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			var c corpusCase
			if err := json.Unmarshal(b, &c); err != nil {
				t.Fatal(err)
			}
			p, err := Parse(c.Policy)
			if err != nil {
				t.Fatal(err)
			}
			iss, _ := c.Claims["iss"].(string)
			req := RequestFor(iss, "", c.Claims)
			d := Evaluate(p, req)
			got := "DENIED"
			if d.Allowed {
				got = "ALLOWED"
			}
			if got != c.Want {
				t.Errorf("%s: %s, want %s\n%s", c.Source, got, c.Want, Report(d, req, nil))
			}
			repo, _ := c.Claims["repository"].(string)
			ids := []string{}
			for _, f := range Lint(p, iss, repo, "") {
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
	cases := map[string]Options{
		"policy-branch.json":      {AccountID: "123456789012", Context: Context{Repository: "octo-org/octo-repo", Ref: "refs/heads/main"}},
		"policy-environment.json": {AccountID: "123456789012", Context: Context{Repository: "octo-org/octo-repo", Environment: "prod"}},
		"policy-pull-request.json": {AccountID: "123456789012", Audience: "custom-aud",
			Context: Context{Repository: "octo-org/octo-repo", PullRequest: true}},
		"policy-any-ref-enterprise.json": {AccountID: "123456789012", Issuer: "https://token.actions.githubusercontent.com/octo-ent",
			Context: Context{Repository: "octo-org/octo-repo", AnyRef: true}},
		"policy-job-workflow-ref.json": {AccountID: "123456789012", Partition: "aws-us-gov",
			Context: Context{Repository: "octo-org/octo-repo", Ref: "refs/tags/v1", JobWorkflowRef: "octo-org/pipelines/.github/workflows/release.yml@refs/heads/main"}},
	}
	for name, o := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			b, err := Generate(o)
			if err != nil {
				t.Fatal(err)
			}
			golden(t, name, b)
			// What we generate must allow the run it was made for, deny a
			// neighbour, and lint clean.
			p, err := Parse(b)
			if err != nil {
				t.Fatal(err)
			}
			o.Validate()
			aud := o.Audience
			if findings := Lint(p, o.Issuer, o.Context.Repository, aud); len(findings) != 0 {
				t.Errorf("generated policy has findings: %v", findings)
			}
			claims := ClaimsFor(o.Context, aud, o.Issuer, "")
			if o.Context.AnyRef {
				claims["sub"] = "repo:octo-org/octo-repo:ref:refs/heads/feature"
			}
			if d := Evaluate(p, RequestFor(o.Issuer, o.AccountID, claims)); !d.Allowed {
				t.Errorf("generated policy denies its own run:\n%s", Report(d, RequestFor(o.Issuer, o.AccountID, claims), nil))
			}
			claims["sub"] = "repo:octo-org/octo-repo-evil:ref:refs/heads/main"
			if d := Evaluate(p, RequestFor(o.Issuer, o.AccountID, claims)); d.Allowed {
				t.Error("generated policy allows another repository")
			}
		})
	}
}

func TestGenerateRejects(t *testing.T) {
	t.Parallel()
	for _, o := range []Options{
		{AccountID: "12", Context: Context{Repository: "a/b", Ref: "refs/heads/main"}},
		{AccountID: "123456789012", Context: Context{Repository: "a", Ref: "refs/heads/main"}},
		{AccountID: "123456789012", Context: Context{Repository: "a/b"}},
		{AccountID: "123456789012", Issuer: "http://insecure", Context: Context{Repository: "a/b", Ref: "refs/heads/main"}},
	} {
		if _, err := Generate(o); err == nil {
			t.Errorf("Generate(%+v) accepted", o)
		}
	}
}

func TestReportGolden(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"pitfall-environment-vs-branch", "explicit-deny-wins", "pitfall-prefix-wildcard"} {
		b, _ := os.ReadFile(testdata("trust-policies", name+".json"))
		var c corpusCase
		json.Unmarshal(b, &c)
		p, _ := Parse(c.Policy)
		req := RequestFor(DefaultIssuer, "", c.Claims)
		repo, _ := c.Claims["repository"].(string)
		golden(t, "check-"+name+".txt", []byte(Report(Evaluate(p, req), req, Lint(p, DefaultIssuer, repo, ""))))
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
	for c, want := range map[Context]string{
		{Repository: "o/r", Ref: "refs/heads/main"}:                                                             "repo:o/r:ref:refs/heads/main",
		{Repository: "o/r", Ref: "refs/heads/main", Environment: "prod"}:                                        "repo:o/r:environment:prod",
		{Repository: "o/r", Ref: "refs/pull/1/merge", PullRequest: true}:                                        "repo:o/r:pull_request",
		{Repository: "o/r", Ref: "refs/tags/v1", JobWorkflowRef: "o/p/.github/workflows/x.yml@refs/heads/main"}: "repo:o/r:ref:refs/tags/v1:job_workflow_ref:o/p/.github/workflows/x.yml@refs/heads/main",
	} {
		if got := Subject(c); got != want {
			t.Errorf("Subject(%+v) = %q, want %q", c, got, want)
		}
	}
}

func FuzzEvaluate(f *testing.F) {
	files, _ := filepath.Glob(testdata("trust-policies", "*.json"))
	for _, file := range files {
		b, _ := os.ReadFile(file)
		var c corpusCase
		if json.Unmarshal(b, &c) == nil {
			sub, _ := c.Claims["sub"].(string)
			f.Add([]byte(c.Policy), sub)
		}
	}
	f.Fuzz(func(t *testing.T, policy []byte, sub string) {
		p, err := Parse(policy)
		if err != nil {
			return
		}
		req := RequestFor(DefaultIssuer, "", map[string]any{"sub": sub, "aud": "sts.amazonaws.com"})
		d := Evaluate(p, req)
		if d.Allowed && (d.Decider == nil || d.Decider.Effect != "Allow") {
			t.Fatalf("allowed without an Allow statement")
		}
		_ = Report(d, req, Lint(p, DefaultIssuer, "", ""))
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
