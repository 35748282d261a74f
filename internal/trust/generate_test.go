package trust

import (
	"strings"
	"testing"
)

// TestGenerateUnion: several branches, tags, environments and pull
// requests make one policy admitting exactly their union, in both sub forms.
func TestGenerateUnion(t *testing.T) {
	t.Parallel()
	o := Options{AccountID: "123456789012", RepositoryID: "123456789", OwnerID: "65432",
		Run:  Run{Repository: "octo-org/octo-repo", Ref: "refs/heads/main"},
		Also: []Run{{Ref: "refs/heads/release"}, {Ref: "refs/tags/v1"}, {Environment: "prod"}, {EventName: "pull_request"}, {Ref: "refs/heads/main"}},
	}
	b, err := Generate(o)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "policy-union.json", b)
	p, err := Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range Lint(p, LintContext{Issuer: DefaultIssuer, Repository: "octo-org/octo-repo"}) {
		t.Errorf("generated union policy has a finding: %v", f)
	}
	// Claims written out by hand, not derived with Subject().
	run := func(sub, env string) map[string]any {
		c := map[string]any{"iss": DefaultIssuer, "aud": "sts.amazonaws.com", "sub": sub, "repository": "octo-org/octo-repo", "repository_id": "123456789"}
		if env != "" {
			c["environment"] = env
		}
		return c
	}
	cases := []struct {
		name   string
		claims map[string]any
		want   Verdict
	}{
		{"main", run("repo:octo-org/octo-repo:ref:refs/heads/main", ""), Allowed},
		{"release, immutable", run("repo:octo-org@65432/octo-repo@123456789:ref:refs/heads/release", ""), Allowed},
		{"tag v1", run("repo:octo-org/octo-repo:ref:refs/tags/v1", ""), Allowed},
		{"environment prod", run("repo:octo-org/octo-repo:environment:prod", "prod"), Allowed},
		{"pull request, immutable", run("repo:octo-org@65432/octo-repo@123456789:pull_request", ""), Allowed},
		{"another branch", run("repo:octo-org/octo-repo:ref:refs/heads/dev", ""), Denied},
		{"a branch named like the tag", run("repo:octo-org/octo-repo:ref:refs/heads/v1", ""), Denied},
		{"another environment", run("repo:octo-org/octo-repo:environment:staging", "staging"), Denied},
		{"a prefix-named repository", map[string]any{"aud": "sts.amazonaws.com", "sub": "repo:octo-org/octo-repo-evil:ref:refs/heads/main", "repository_id": "1"}, Denied},
	}
	for _, tc := range cases {
		req := RequestFor(DefaultIssuer, "123456789012", tc.claims)
		if d := Evaluate(p, req); d.Verdict != tc.want {
			t.Errorf("%s: %s, want %s\n%s", tc.name, d.Verdict, tc.want, Report(d, req, nil))
		}
	}
	if s := o.Summary(); !strings.Contains(s, "repo:octo-org/octo-repo:ref:refs/heads/release") || strings.Contains(s, "environment prod") {
		t.Errorf("summary = %q", s)
	}
}

// TestGenerateUnionEnvironmentsOnly: when every run is a job with an
// environment the environment key pins them all; --any-ref stays alone.
func TestGenerateUnionEnvironmentsOnly(t *testing.T) {
	t.Parallel()
	o := Options{AccountID: "123456789012", Run: Run{Repository: "o/r", Environment: "prod"}, Also: []Run{{Environment: "staging"}}}
	b, err := Generate(o)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"token.actions.githubusercontent.com:environment": [
            "prod",
            "staging"
          ]`) {
		t.Errorf("environments not pinned:\n%s", b)
	}
	bad := Options{AccountID: "123456789012", Run: Run{Repository: "o/r"}, AnyRef: true, Also: []Run{{Ref: "refs/heads/main"}}}
	if _, err := Generate(bad); err == nil || !strings.Contains(err.Error(), "--any-ref admits every run") {
		t.Errorf("any-ref with a branch: %v", err)
	}
}
