package trust

import (
	"strings"
	"testing"
)

// TestLintOwnerWideByID: repo:OWNER@OWNER_ID/*:CONTEXT, what generate
// writes for --repository OWNER@OWNER_ID/*, is a warning that says what it
// admits; a pattern that leaves the owner open, names the owner without
// its id (the legacy form), or pins no context stays an error.
func TestLintOwnerWideByID(t *testing.T) {
	t.Parallel()
	aud := `"` + provider + `:aud": "sts.amazonaws.com"`
	sub := func(v string, extra string) string {
		return `{"StringEquals": {` + aud + extra + `}, "StringLike": {"` + provider + `:sub": "` + v + `"}}`
	}
	noEnv := `}, "Null": {"` + provider + `:environment": "true"`
	for _, tc := range []struct {
		name, cond string
		want       Level
		says       []string // in the finding's message
		notSays    []string
	}{
		{"owner id and a branch, environment pinned absent", `{"Null": {"` + provider + `:environment": "true"}, "StringEquals": {` + aud + `}, "StringLike": {"` + provider + `:ref": "refs/heads/main", "` + provider + `:sub": "repo:acme@5/*:ref:refs/heads/main"}}`,
			Warning, []string{"every repository of acme (owner id 5)", "created later"}, []string{"also matches ':'"}},
		{"owner id and an environment, environment pinned", sub("repo:acme@5/*:environment:prod", `, "`+provider+`:environment": "prod"`),
			Warning, []string{"every repository of acme (owner id 5)"}, []string{"also matches ':'"}},
		{"owner id and pull requests", sub("repo:acme@5/*:pull_request", noEnv),
			Warning, []string{"every repository of acme"}, nil},
		{"owner id and a branch, environment not pinned", sub("repo:acme@5/*:ref:refs/heads/main", ""),
			Warning, []string{"every repository of acme", `ends in ":ref:refs/heads/main"`, "pin the environment claim"}, nil},
		{"any repository", sub("repo:*", ""), Error, []string{"leaves the owner open"}, nil},
		{"owners starting with acme", sub("repo:acme*", ""), Error, []string{"leaves the owner open"}, nil},
		{"owner id open", sub("repo:acme@*/*:ref:refs/heads/main", ""), Error, []string{"leaves the owner open"}, nil},
		{"legacy owner-wide, no id", sub("repo:acme/*:ref:refs/heads/main", noEnv), Error, []string{"matches every repository of acme"}, nil},
		{"owner id, no context", sub("repo:acme@5/*", ""), Error, []string{"matches every repository of acme@5"}, nil},
		{"owner id, context a wildcard", sub("repo:acme@5/*:*", ""), Error, []string{"matches every repository of acme@5"}, nil},
		{"owner id not a number", sub("repo:acme@5x/*:ref:refs/heads/main", ""), Error, []string{"matches every repository"}, nil},
		{"owner id with a leading zero", sub("repo:acme@05/*:ref:refs/heads/main", ""), Error, []string{"matches every repository"}, nil},
		{"a repository-name prefix under the id", sub("repo:acme@5/app*:ref:refs/heads/main", ""), Error, []string{"wildcard inside the repository name"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := mustParse(t, policyJSON(VariablesVersion, tc.cond))
			var got []Finding
			for _, f := range Lint(p, LintContext{Issuer: DefaultIssuer}) {
				if f.ID == "cross-repo-wildcard" {
					got = append(got, f)
				}
			}
			if len(got) != 1 {
				t.Fatalf("cross-repo-wildcard findings: %v, want one", got)
			}
			if got[0].Level != tc.want {
				t.Errorf("level %s, want %s: %s", got[0].Level, tc.want, got[0])
			}
			for _, s := range tc.says {
				if !strings.Contains(got[0].Message, s) {
					t.Errorf("message lacks %q: %s", s, got[0])
				}
			}
			for _, s := range tc.notSays {
				if strings.Contains(got[0].Message, s) {
					t.Errorf("message has %q: %s", s, got[0])
				}
			}
		})
	}
}

// TestGeneratedOwnerWidePolicyLintsWarningsOnly: every statement Generate
// writes for OWNER@OWNER_ID/* (branch, environment, pull requests) draws
// the owner-wide warning and no error-level finding; the same owner in
// the legacy form (no id) keeps the error.
func TestGeneratedOwnerWidePolicyLintsWarningsOnly(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		repo      Repo
		subFormat string
		want      Level
	}{
		{Repo{Name: "acme/*", OwnerID: "5"}, "", Warning},
		{Repo{Name: "acme/*"}, "legacy", Error},
	} {
		o := Options{AccountID: "123456789012", SubFormat: tc.subFormat, OwnerID: tc.repo.OwnerID,
			Run:  Run{Repository: tc.repo.Name, Ref: "refs/heads/main"},
			Also: []Run{{Environment: "prod"}, {EventName: "pull_request"}}}
		b, err := Generate(o)
		if err != nil {
			t.Fatal(err)
		}
		wide := 0
		for _, f := range Lint(mustParse(t, b), LintContext{Issuer: DefaultIssuer}) {
			switch {
			case f.ID == "cross-repo-wildcard" && f.Level == tc.want:
				wide++
			case f.Level == Error:
				t.Errorf("%s %s: %s", tc.repo.Name, tc.subFormat, f)
			}
		}
		// Three sub patterns: the branch, pull requests, the environment.
		if wide != 3 {
			t.Errorf("%s %s: %d cross-repo-wildcard findings at level %s, want 3\n%s", tc.repo.Name, tc.subFormat, wide, tc.want, b)
		}
	}
}
