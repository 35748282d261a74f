package trust

import (
	"slices"
	"strings"
	"testing"
)

// Regression tests: the lint's budget, the steps Evaluate reports, policy variables
// read as wildcards, several values with a default.

// manyStatements is a policy of MaxPolicyBytes at most whose n Allow
// statements each take about len(pattern) × len(sub) steps to re-match sub
// against: each costs most of MaxMatchSteps.
func manyStatements(t testing.TB) (*Policy, string, int) {
	pattern := "repo:o@1/r@2:*" + strings.Repeat("a", 1000) + "b"
	st := `{"Effect": "Allow", "Principal": {"Federated": "arn:aws:iam::123456789012:oidc-provider/` + provider + `"}, "Action": "sts:AssumeRoleWithWebIdentity", "Condition": {"StringLike": {"` + provider + `:sub": "` + pattern + `"}}}`
	var sts []string
	for len(strings.Join(sts, ","))+len(st)+100 < MaxPolicyBytes {
		sts = append(sts, st)
	}
	p := mustParse(t, []byte(`{"Version": "2012-10-17", "Statement": [`+strings.Join(sts, ",")+`]}`))
	return p, "repo:o@1/r@2:" + strings.Repeat("a", MaxClaimsBytes-200), len(sts)
}

// Lint's comparison budget is one for the whole lint, not one per
// statement: a 32 KiB policy of 25 statements, each re-matched against a
// 16 KiB sub, took 25 × MaxMatchSteps (2.5 s). Once the budget is spent,
// the remaining statements are not re-matched (an unknown outcome reports
// nothing). Not parallel: it counts evaluations package-wide.
func TestLintBudgetIsPerLint(t *testing.T) {
	p, sub, n := manyStatements(t)
	if n < 20 {
		t.Fatalf("only %d statements fit", n)
	}
	// One re-match costs about 1,000 × 16,000 steps: the budget covers one
	// and part of a second.
	perStatement := 1000 * (MaxClaimsBytes - 200 - len("repo:o@1/r@2:"))
	want := int64(MaxMatchSteps/perStatement + 1)
	before := conditionEvaluations.Load()
	findings := Lint(p, LintContext{Issuer: DefaultIssuer, Subject: sub})
	if got := conditionEvaluations.Load() - before; got > want {
		t.Errorf("Lint re-matched the subject against %d of %d statements; one budget of %d steps covers at most %d", got, n, MaxMatchSteps, want)
	}
	for _, f := range findings {
		if f.ID == "legacy-sub-mismatch" {
			t.Errorf("an outcome the budget left unknown was reported: %s", f)
		}
	}
	// The budget the caller gives is the one used: none left, nothing
	// re-matched (the check gives what its evaluation left).
	before = conditionEvaluations.Load()
	Lint(p, LintContext{Issuer: DefaultIssuer, Subject: sub, Budget: -1})
	if got := conditionEvaluations.Load() - before; got != 0 {
		t.Errorf("with no budget left, Lint still evaluated %d conditions", got)
	}
}

// Evaluate reports the steps it took, so that the check can give the lint
// only what is left of one MaxMatchSteps.
func TestEvaluateReportsSteps(t *testing.T) {
	t.Parallel()
	p, sub, _ := manyStatements(t)
	d := Evaluate(p, RequestFor(DefaultIssuer, "", map[string]any{"sub": sub}))
	if !d.Exhausted || d.Steps < MaxMatchSteps {
		t.Errorf("exhausted %v after %d steps", d.Exhausted, d.Steps)
	}
	p = mustParse(t, policyJSON("2012-10-17", `{"StringLike": {"`+provider+`:sub": "repo:o/r:*"}}`))
	d = Evaluate(p, RequestFor(DefaultIssuer, "", map[string]any{"sub": "repo:o/r:ref:refs/heads/main"}))
	if d.Exhausted || d.Steps <= 0 || d.Steps > 100 {
		t.Errorf("a small policy: exhausted %v after %d steps", d.Exhausted, d.Steps)
	}
}

func lintIDs(t *testing.T, version, cond string) []string {
	t.Helper()
	p := mustParse(t, policyJSON(version, cond))
	ids := []string{}
	for _, f := range Lint(p, LintContext{Issuer: DefaultIssuer, Repository: "octo-org/octo-repo"}) {
		ids = append(ids, f.ID)
	}
	slices.Sort(ids)
	return slices.Compact(ids)
}

// A provider variable in a value is read as a * for the pin analysis, as
// if the operator were a Like: what the token supplies pins nothing, the
// rest of the value still pins what it names (finding 3), and ${*} ${?}
// ${$} are literal characters in a 2012-10-17 policy, not wildcards
// (finding 7).
func TestLintReadsPolicyVariablesAsWildcards(t *testing.T) {
	t.Parallel()
	aud := `"` + provider + `:aud": "sts.amazonaws.com"`
	subKey := `"` + provider + `:sub"`
	for _, tc := range []struct {
		name, version, cond string
		want                []string
	}{
		{"environment from the token, repository pinned", VariablesVersion,
			`{"StringEquals": {` + aud + `, ` + subKey + `: "repo:octo-org/octo-repo:environment:${` + provider + `:environment}"}}`,
			[]string{"name-only", "policy-variable"}},
		{"the same with StringLike", VariablesVersion,
			`{"StringEquals": {` + aud + `}, "StringLike": {` + subKey + `: "repo:octo-org/octo-repo:environment:${` + provider + `:environment}"}}`,
			[]string{"name-only", "policy-variable"}},
		{"the token's own sub pins nothing", VariablesVersion,
			`{"StringEquals": {` + aud + `}, "StringLike": {` + subKey + `: "${` + provider + `:sub}"}}`,
			[]string{"no-sub", "policy-variable"}},
		{"the token's repository leaves the owner open", VariablesVersion,
			`{"StringEquals": {` + aud + `, ` + subKey + `: "repo:${` + provider + `:repository}:ref:refs/heads/main"}}`,
			[]string{"cross-repo-wildcard", "name-only", "policy-variable"}},
		{"the token's repository as repository", VariablesVersion,
			`{"StringEquals": {` + aud + `, "` + provider + `:repository": "${` + provider + `:repository}"}}`,
			[]string{"no-sub", "policy-variable"}},
		{"${*} in the owner is a literal star", VariablesVersion,
			`{"StringEquals": {` + aud + `}, "StringLike": {` + subKey + `: "repo:octo${*}org/octo-repo:ref:refs/heads/main"}}`,
			[]string{"name-only"}},
		{"${?} with StringEquals is no wildcard", VariablesVersion,
			`{"StringEquals": {` + aud + `, ` + subKey + `: "repo:octo-org/octo-repo:ref:refs/heads/mai${?}"}}`,
			[]string{"name-only"}},
		{"${*} in a repository pattern", VariablesVersion,
			`{"StringEquals": {` + aud + `}, "StringLike": {"` + provider + `:repository": "octo-org/octo${*}repo"}}`,
			[]string{"name-only"}},
		{"${*} is text in a 2008-10-17 policy: its * is a wildcard", "2008-10-17",
			`{"StringEquals": {` + aud + `}, "StringLike": {` + subKey + `: "repo:octo${*}org/octo-repo:ref:refs/heads/main"}}`,
			[]string{"cross-repo-wildcard", "name-only"}},
		{"a plain * beside ${*} is still a wildcard", VariablesVersion,
			`{"StringEquals": {` + aud + `, ` + subKey + `: "repo:octo-org/octo-repo:*${*}"}}`,
			[]string{"equals-with-wildcard", "name-only"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := lintIDs(t, tc.version, tc.cond); !slices.Equal(got, tc.want) {
				t.Errorf("findings %v, want %v", got, tc.want)
			}
		})
	}
}

// A key with several values is not substituted, default or not: AWS
// documents a default for a key the request lacks, not for one with
// several values (finding 9).
func TestSeveralValuesWithDefaultAreUndecided(t *testing.T) {
	t.Parallel()
	p := mustParse(t, policyJSON(VariablesVersion, `{"StringEquals": {"`+provider+`:sub": "${`+provider+`:aud, 'repo:evil/x:ref:refs/heads/main'}"}}`))
	req := RequestFor(DefaultIssuer, "", map[string]any{"aud": []any{"a", "b"}, "sub": "repo:evil/x:ref:refs/heads/main"})
	d := Evaluate(p, req)
	if r := Report(d, req, nil); d.Verdict != Undecided || !strings.Contains(r, "several values") {
		t.Errorf("%s\n%s", d.Verdict, r)
	}
}

// BenchmarkCheckWorstCase is the check's longest run on accepted input:
// an evaluation that costs little (each statement fails on its aud) and a
// lint that re-matches a 16 KiB subject against 25 sub patterns of 1 KiB,
// given what the evaluation left of MaxMatchSteps, as the check does.
func BenchmarkCheckWorstCase(b *testing.B) {
	pattern := "repo:o@1/r@2:*" + strings.Repeat("a", 1000) + "b"
	st := `{"Effect": "Allow", "Principal": {"Federated": "arn:aws:iam::123456789012:oidc-provider/` + provider + `"}, "Action": "sts:AssumeRoleWithWebIdentity", "Condition": {"StringEquals": {"` + provider + `:aud": "other"}, "StringLike": {"` + provider + `:sub": "` + pattern + `"}}}`
	var sts []string
	for len(strings.Join(sts, ","))+len(st)+100 < MaxPolicyBytes {
		sts = append(sts, st)
	}
	p := mustParse(b, []byte(`{"Version": "2012-10-17", "Statement": [`+strings.Join(sts, ",")+`]}`))
	sub := "repo:o@1/r@2:" + strings.Repeat("a", MaxClaimsBytes-200)
	req := RequestFor(DefaultIssuer, "", map[string]any{"aud": "sts.amazonaws.com", "sub": sub})
	steps := 0
	for b.Loop() {
		d := Evaluate(p, req)
		if d.Exhausted {
			b.Fatal("the evaluation ran out")
		}
		before := conditionEvaluations.Load()
		Lint(p, LintContext{Issuer: DefaultIssuer, Subject: sub, Budget: MaxMatchSteps - d.Steps})
		if conditionEvaluations.Load()-before < 2 {
			b.Fatal("the lint re-matched less than the budget allows")
		}
		steps = d.Steps
	}
	b.ReportMetric(float64(steps), "eval-steps/op")
}
