package trust

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// subPolicy is one Allow for GitHub.com's provider with a sub condition
// (StringLike unless op says otherwise) and aud pinned.
func subPolicy(t *testing.T, op, sub string) *Policy {
	t.Helper()
	return mustParse(t, policyJSON(VariablesVersion, fmt.Sprintf(`{%q: {"token.actions.githubusercontent.com:sub": %q}, "StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"}}`, op, sub)))
}

// TestWitnessesFillWildcards: each wildcard of a sub pattern is filled by
// an owner, repository or ref nobody named, the witness in the pattern's
// own form is admitted by the policy it came from, and Filled says which
// claims a stranger chose. The expected subs are written by hand from the
// patterns.
func TestWitnessesFillWildcards(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		pattern, wantSub string
		filled, named    []string // claims that must (not) be filled
	}{
		{"repo:*", "repo:unnamed-owner/unnamed-repo:ref:refs/heads/unnamed-branch", []string{"repository_owner", "repository", "ref"}, nil},
		{"*", "repo:unnamed-owner/unnamed-repo:ref:refs/heads/unnamed-branch", []string{"repository_owner", "repository"}, nil},
		{"repo:acme*", "repo:acme-unnamed-x/unnamed-repo:ref:refs/heads/unnamed-branch", []string{"repository_owner", "repository"}, nil},
		{"repo:org/*:*", "repo:org/unnamed-repo:ref:refs/heads/unnamed-branch", []string{"repository", "ref"}, []string{"repository_owner"}},
		{"repo:org/*", "repo:org/unnamed-repo:ref:refs/heads/unnamed-branch", []string{"repository"}, []string{"repository_owner"}},
		{"repo:org/app*", "repo:org/app-unnamed-x:ref:refs/heads/unnamed-branch", []string{"repository"}, []string{"repository_owner"}},
		{"repo:org/app:*", "repo:org/app:ref:refs/heads/unnamed-branch", []string{"ref"}, []string{"repository", "repository_owner"}},
		{"repo:org/app:ref:refs/heads/*", "repo:org/app:ref:refs/heads/unnamed-branch", []string{"ref"}, []string{"repository"}},
		{"repo:org/app:ref:refs/tags/v*", "repo:org/app:ref:refs/tags/v-unnamed-x", []string{"ref"}, []string{"repository"}},
		{"repo:org/app:environment:*", "repo:org/app:environment:unnamed-environment", []string{"environment"}, []string{"repository"}},
		{"repo:*:ref:refs/heads/main", "repo:unnamed-owner/unnamed-repo:ref:refs/heads/main", []string{"repository_owner", "repository"}, []string{"ref"}},
		{"repo:*/app:*", "repo:unnamed-owner/app:ref:refs/heads/unnamed-branch", []string{"repository_owner", "repository"}, nil},
		{"repo:org@12/app@34:*", "repo:org@12/app@34:ref:refs/heads/unnamed-branch", []string{"ref"}, []string{"repository_id", "repository_owner_id", "repository"}},
		{"repo:org@12/*", "repo:org@12/unnamed-repo@99000002:ref:refs/heads/unnamed-branch", []string{"repository", "repository_id"}, []string{"repository_owner_id"}},
		{"repo:org/ap?:*", "repo:org/apx:ref:refs/heads/unnamed-branch", []string{"repository"}, nil},
		{"repository_owner:org:*", "repository_owner:org:unnamed-x", []string{"sub"}, nil},
	} {
		t.Run(c.pattern, func(t *testing.T) {
			t.Parallel()
			p := subPolicy(t, "StringLike", c.pattern)
			ws := Witnesses(p, "")
			if len(ws) == 0 {
				t.Fatal("no witness")
			}
			w := ws[0]
			if w.Sub() != c.wantSub {
				t.Errorf("sub = %q, want %q", w.Sub(), c.wantSub)
			}
			if !Like(c.pattern, w.Sub()) {
				t.Errorf("witness %q does not match its own pattern", w.Sub())
			}
			if d := Evaluate(p, w.Request("")); d.Verdict != Allowed {
				t.Errorf("the policy it came from: %v, want ALLOWED (%s)", d.Verdict, w)
			}
			for _, k := range c.filled {
				if !w.IsFilled(k) {
					t.Errorf("%s not in Filled %v", k, w.Filled)
				}
			}
			for _, k := range c.named {
				if w.IsFilled(k) {
					t.Errorf("%s in Filled %v, but the pattern names it", k, w.Filled)
				}
			}
		})
	}
}

// TestWitnessesCarryEveryClaim: a witness is a whole token's claims (the
// set GitHub documents), consistent with its sub, in both sub forms.
func TestWitnessesCarryEveryClaim(t *testing.T) {
	t.Parallel()
	p := subPolicy(t, "StringLike", "repo:org/*:*")
	ws := Witnesses(p, "")
	var forms []string
	for _, w := range ws {
		forms = append(forms, w.Form)
		for _, k := range []string{"iss", "aud", "sub", "exp", "iat", "nbf", "jti", "actor", "actor_id", "base_ref", "head_ref", "event_name",
			"job_workflow_ref", "job_workflow_sha", "ref", "ref_type", "ref_protected", "repository", "repository_id", "repository_owner",
			"repository_owner_id", "repository_visibility", "run_id", "run_number", "run_attempt", "runner_environment", "sha", "workflow",
			"workflow_ref", "workflow_sha"} {
			if _, ok := w.Claims[k].(string); !ok {
				t.Errorf("%s witness has no %s claim", w.Form, k)
			}
		}
		repo, _ := w.Claims["repository"].(string)
		if !strings.HasPrefix(w.Claims["job_workflow_ref"].(string), repo+"/") || w.Claims["repository_owner"] != strings.Split(repo, "/")[0] {
			t.Errorf("claims disagree with each other: %v", w.Claims)
		}
		req := w.Request("123456789012")
		if len(req.Unknown) != 0 {
			t.Errorf("a witness leaves keys unknown: %v", req.Unknown)
		}
	}
	if diff := cmp.Diff([]string{"legacy", "immutable"}, forms); diff != "" {
		t.Errorf("forms (-want +got):\n%s", diff)
	}
	imm := ws[1].Sub()
	if !strings.HasPrefix(imm, "repo:org@99000001/unnamed-repo@99000002:") || ws[1].Claims["repository_id"] != "99000002" {
		t.Errorf("immutable witness %q, repository_id %v", imm, ws[1].Claims["repository_id"])
	}
}

// TestWitnessesOfStatements: witnesses come from Allow statements that can
// admit the issuer's tokens (a wildcard principal included), one run per
// sub value, and take the other conditions' values; Deny statements and
// other providers give none; an Equals value's * is literal.
func TestWitnessesOfStatements(t *testing.T) {
	t.Parallel()
	doc := `{"Version": "2012-10-17", "Statement": [
	 {"Effect": "Deny", "Principal": "*", "Action": "sts:AssumeRoleWithWebIdentity", "Condition": {"StringLike": {"token.actions.githubusercontent.com:sub": "repo:evil/*"}}},
	 {"Effect": "Allow", "Principal": {"Federated": "arn:aws:iam::123456789012:oidc-provider/example.com"}, "Action": "sts:AssumeRoleWithWebIdentity"},
	 {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"},
	 {"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRoleWithWebIdentity", "Condition": {"StringLike": {"token.actions.githubusercontent.com:sub": ["repo:evil-org/*", "repo:acme*"]}}},
	 {"Effect": "Allow", "Principal": {"Federated": "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"}, "Action": "sts:AssumeRoleWithWebIdentity",
	  "Condition": {"StringEquals": {"token.actions.githubusercontent.com:repository": "org/app", "token.actions.githubusercontent.com:environment": "prod", "token.actions.githubusercontent.com:repository_id": "42",
	   "token.actions.githubusercontent.com:job_workflow_ref": "org/wf/.github/workflows/d.yml@refs/heads/main", "token.actions.githubusercontent.com:sub": "repo:org/*:*"}}}
	]}`
	p := mustParse(t, []byte(doc))
	ws := Witnesses(p, DefaultIssuer)
	var got []string
	for _, w := range ws {
		got = append(got, fmt.Sprintf("%d %s %s", w.Statement, w.Form, w.Sub()))
	}
	want := []string{
		"3 legacy repo:evil-org/unnamed-repo:ref:refs/heads/unnamed-branch",
		"3 immutable repo:evil-org@99000001/unnamed-repo@99000002:ref:refs/heads/unnamed-branch",
		"3 legacy repo:acme-unnamed-x/unnamed-repo:ref:refs/heads/unnamed-branch",
		"3 immutable repo:acme-unnamed-x@99000001/unnamed-repo@99000002:ref:refs/heads/unnamed-branch",
		"4 custom repo:org/*:*", // an Equals value is literal: as written
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("witnesses (-want +got):\n%s", diff)
	}
	last := ws[len(ws)-1]
	if last.Claims["job_workflow_ref"] != "org/wf/.github/workflows/d.yml@refs/heads/main" || last.Claims["environment"] != "prod" || last.Claims["repository_id"] != "42" {
		t.Errorf("the statement's other values are not taken: %v", last.Claims)
	}
	if slices.Contains(last.Filled, "sub") || slices.Contains(last.Filled, "job_workflow_ref") || !slices.Contains(last.Filled, "actor") {
		t.Errorf("Filled %v", last.Filled)
	}
	if d := Evaluate(p, ws[0].Request("")); d.Verdict != Allowed {
		t.Errorf("wildcard-principal witness %s: %v", ws[0], d.Verdict)
	}
	var stmts []int
	for _, w := range Witnesses(p, "https://example.com") {
		stmts = append(stmts, w.Statement)
	}
	if diff := cmp.Diff([]int{1, 1, 3, 3}, stmts); diff != "" {
		t.Errorf("statements of example.com's witnesses (-want +got):\n%s", diff)
	}
}

// TestWitnessesAvoidNamedValues: an unnamed value is one the policy does
// not name, even when it names "unnamed-owner".
func TestWitnessesAvoidNamedValues(t *testing.T) {
	t.Parallel()
	p := mustParse(t, policyJSON(VariablesVersion, `{"StringNotLike": {"token.actions.githubusercontent.com:sub": "repo:unnamed-owner/*"}, "StringLike": {"token.actions.githubusercontent.com:sub": "repo:*"}}`))
	ws := Witnesses(p, "")
	if len(ws) != 2 || strings.Contains(ws[0].Sub(), "unnamed-owner/") {
		t.Fatalf("witnesses %v", ws)
	}
	if d := Evaluate(p, ws[0].Request("")); d.Verdict != Allowed {
		t.Errorf("%s: %v", ws[0], d.Verdict)
	}
}

// TestWitnessesBounded: a policy with many sub values gives at most
// MaxWitnesses.
func TestWitnessesBounded(t *testing.T) {
	t.Parallel()
	vals := make([]string, 400)
	for i := range vals {
		vals[i] = fmt.Sprintf("%q", fmt.Sprintf("repo:o%d/*", i))
	}
	p := mustParse(t, policyJSON(VariablesVersion, `{"StringLike": {"token.actions.githubusercontent.com:sub": [`+strings.Join(vals, ",")+`]}}`))
	if n := len(Witnesses(p, "")); n != MaxWitnesses {
		t.Errorf("%d witnesses, want %d", n, MaxWitnesses)
	}
}

// TestWitnessesSubstituteVariables: in a 2012-10-17 policy a sub value
// that takes part of itself from the token (${...:repository}) is filled
// with the run's own values, which a stranger chooses; in a policy without
// that Version the variable is literal text and stays as written.
func TestWitnessesSubstituteVariables(t *testing.T) {
	t.Parallel()
	cond := `{"StringLike": {"token.actions.githubusercontent.com:sub": "repo:${token.actions.githubusercontent.com:repository}:*"}}`
	p := mustParse(t, policyJSON(VariablesVersion, cond))
	w := Witnesses(p, "")[0]
	if w.Sub() != "repo:unnamed-owner/unnamed-repo:ref:refs/heads/unnamed-branch" || !w.IsFilled("repository") {
		t.Errorf("witness %s, Filled %v", w, w.Filled)
	}
	if d := Evaluate(p, w.Request("")); d.Verdict != Allowed {
		t.Errorf("%s: %v", w, d.Verdict)
	}
	literal := Witnesses(mustParse(t, policyJSON("", cond)), "")[0]
	if !strings.HasPrefix(literal.Sub(), "repo:${token.actions.githubusercontent.com:repository}:") {
		t.Errorf("without Version: %s", literal)
	}
}
