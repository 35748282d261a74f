package action_test

import (
	"bytes"
	"errors"
	"flag"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/org/aws-oidc-go/internal/action"
	"github.com/org/aws-oidc-go/internal/dev/harness"
	"github.com/org/aws-oidc-go/internal/runner"
	"github.com/org/aws-oidc-go/internal/trust"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/golden")

func resumeToken() string { return "0123456789abcdef" }

// TestDiagnosisGolden drives each diagnosable failure end to end through
// the fault proxy and compares what the step prints with a golden file.
func TestDiagnosisGolden(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		claims map[string]any
		fault  harness.Fault
		prep   func(w *world)
	}{
		{name: "access-denied-environment", claims: map[string]any{"sub": "repo:octo-org/octo-repo:environment:prod", "environment": "prod"}, fault: harness.FaultAccessDenied},
		{name: "access-denied-tag", claims: map[string]any{"sub": "repo:octo-org/octo-repo:ref:refs/tags/v2.0.0", "ref": "refs/tags/v2.0.0", "ref_type": "tag"}, fault: harness.FaultAccessDenied},
		{name: "access-denied-pull-request", claims: map[string]any{"sub": "repo:octo-org/octo-repo:pull_request", "event_name": "pull_request", "ref": "refs/pull/7/merge"}, fault: harness.FaultAccessDenied},
		{name: "access-denied-custom-template", claims: map[string]any{"sub": "repository_owner_id:65432:repository_id:123456789"}, fault: harness.FaultAccessDenied},
		{name: "access-denied-immutable", claims: map[string]any{"sub": "repo:octo-org@65432/octo-repo@123456789:ref:refs/heads/main"}, fault: harness.FaultAccessDenied},
		{name: "access-denied-branch-case", claims: map[string]any{}, fault: harness.FaultAccessDenied},
		{name: "access-denied-enterprise", claims: map[string]any{}, fault: harness.FaultAccessDenied, prep: func(w *world) { w.gh.Issuer = "https://token.actions.githubusercontent.com/octo-ent" }},
		{name: "access-denied-ghes", claims: map[string]any{}, fault: harness.FaultAccessDenied, prep: func(w *world) { w.gh.Issuer = "https://ghes.example.com/_services/token" }},
		{name: "no-provider", claims: map[string]any{}, fault: harness.FaultNoProvider},
		{name: "no-provider-enterprise", claims: map[string]any{}, fault: harness.FaultNoProvider, prep: func(w *world) { w.gh.Issuer = "https://token.actions.githubusercontent.com/octo-ent" }},
		{name: "bad-audience", claims: map[string]any{}, fault: harness.FaultBadAudience, prep: func(w *world) { w.input("audience", "my-aud") }},
		{name: "region-disabled", claims: map[string]any{}, fault: harness.FaultRegionDisabled},
		{name: "injection-in-claims", claims: map[string]any{"sub": "repo:octo-org/octo-repo:environment:x", "environment": "x\n::set-env name=PWNED::1", "job_workflow_ref": "::warning::pwned"}, fault: harness.FaultAccessDenied},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			w.gh.SetClaims(tc.claims)
			if tc.prep != nil {
				tc.prep(w)
			}
			w.proxy.Faults().Always(tc.fault)
			start := time.Now()
			err := w.run()
			if err == nil {
				t.Fatal("Run succeeded")
			}
			if d := time.Since(start); d > time.Second {
				t.Errorf("took %s to fail; diagnosable errors must fail at once", d)
			}
			if n := w.proxy.Count(""); n != 1 {
				t.Errorf("%d STS requests; these errors are never retried", n)
			}
			var out bytes.Buffer
			action.Report(runner.NewLog(&out, true), err, resumeToken)
			harness.Golden(t, "diagnosis-"+tc.name+".txt", out.Bytes(), *update)
			w.assertNothingExported()
			w.assertNoLeaks()
			// Claims are only printed between stop-commands and the resume token.
			lines := strings.Split(out.String(), "\n")
			stopped := false
			for _, l := range lines {
				switch {
				case l == "::stop-commands::"+resumeToken():
					stopped = true
				case l == "::"+resumeToken()+"::":
					stopped = false
				case strings.HasPrefix(l, "::") && !strings.HasPrefix(l, "::error::"):
					t.Errorf("a workflow command outside the stopped block: %q", l)
				case !stopped && !strings.HasPrefix(l, "::error::") && strings.Contains(l, "PWNED"):
					t.Errorf("claim text outside the stopped block: %q", l)
				}
			}
		})
	}
}

// TestDiagnosedConditionMatches checks that the Condition the diagnosis
// prints really allows the run, with the trust-policy evaluator.
func TestDiagnosedConditionMatches(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.gh.SetClaims(map[string]any{"sub": "repo:octo-org/octo-repo:environment:prod", "environment": "prod"})
	w.proxy.Faults().Always(harness.FaultAccessDenied)
	err := w.run()
	var f *action.Failure
	if !errors.As(err, &f) {
		t.Fatalf("err = %v", err)
	}
	details := strings.Join(f.Details, "\n")
	start := strings.Index(details, "{")
	end := strings.LastIndex(details, "}")
	if start < 0 || end < start {
		t.Fatalf("no Condition in:\n%s", details)
	}
	policy := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":` + details[start:end+1] + `}]}`
	p, err := trust.Parse([]byte(policy))
	if err != nil {
		t.Fatalf("the printed Condition is not valid policy JSON: %v\n%s", err, policy)
	}
	// The run's own claims (the fake token service's defaults), and the
	// same run in another environment and in a recycled repository.
	claims := harness.DefaultClaims()
	claims["sub"], claims["environment"], claims["aud"] = "repo:octo-org/octo-repo:environment:prod", "prod", "sts.amazonaws.com"
	if d := trust.Evaluate(p, trust.RequestFor(trust.DefaultIssuer, "", claims)); !d.Allowed {
		t.Errorf("the printed Condition does not allow the run:\n%s", policy)
	}
	for k, v := range map[string]string{"environment": "staging", "repository_id": "987654321"} {
		other := maps.Clone(claims)
		other[k] = v
		if d := trust.Evaluate(p, trust.RequestFor(trust.DefaultIssuer, "", other)); d.Allowed {
			t.Errorf("the printed Condition allows the run with %s %s", k, v)
		}
	}
	if f := trust.Lint(p, trust.LintContext{Issuer: trust.DefaultIssuer, Repository: "octo-org/octo-repo"}); len(f) != 0 {
		t.Errorf("the printed Condition has lint findings: %v", f)
	}
}

func TestStepSummary(t *testing.T) {
	t.Parallel()
	for _, masked := range []bool{false, true} {
		w := newWorld(t)
		w.env["GITHUB_STEP_SUMMARY"] = filepath.Join(w.dir, "step_summary")
		if masked {
			w.input("mask-aws-account-id", "true")
		}
		if err := w.run(); err != nil {
			t.Fatal(err)
		}
		b, _ := os.ReadFile(w.env["GITHUB_STEP_SUMMARY"])
		// The expiry moves with the clock; the rest is fixed.
		got := regexpExpiry(string(b))
		name := "summary-oidc.md"
		if masked {
			name = "summary-oidc-masked.md"
			if strings.Contains(got, "123456789012") {
				t.Error("the summary shows the account id despite mask-aws-account-id")
			}
		}
		harness.Golden(t, name, []byte(got), *update)
		w.assertNoLeaks()
		secret := w.vars("set_env")["AWS_SECRET_ACCESS_KEY"]
		if strings.Contains(string(b), secret) || strings.Contains(string(b), w.gh.Issued()[0]) {
			t.Error("the summary holds a secret")
		}
	}
}

func regexpExpiry(s string) string {
	i := strings.Index(s, "| Expires | `")
	if i < 0 {
		return s
	}
	j := strings.Index(s[i+13:], "`")
	return s[:i+13] + "<RFC 3339 expiry>" + s[i+13+j:]
}
