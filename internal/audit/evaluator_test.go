package audit

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
)

// testProviders are the account's GitHub Actions providers for the unit
// tests (as githubProviders returns them).
var testProviders = []Provider{
	{ARN: ghARN, Issuer: "https://token.actions.githubusercontent.com", Kind: "github.com", Audiences: []string{"sts.amazonaws.com"}},
	{ARN: ghesARN, Issuer: "https://ghes.example.com/_services/token", Kind: "ghes", Audiences: []string{"sts.amazonaws.com"}},
}

// TestAuditFormsMotoRefuses: evaluator unit tests (no moto) for the trust
// policies the issue reports moto's policy validator refusing — no
// Version and 2008-10-17 (policy variables are literal text there),
// numeric condition values, action wildcards and NotAction (the moto on
// these machines, 2026-12, takes them, so the moto table has them too) —
// and for what no IAM stores: a GHES issuer's keys, hostile documents
// (reported, never a crash), a percent-encoded answer.
func TestAuditFormsMotoRefuses(t *testing.T) {
	t.Parallel()
	selfRef := `{"StringLike": {"` + k + `sub": "repo:${` + k + `repository}:*"}, "StringEquals": {` + aud + `}}`
	noVersion := func(statements ...string) string {
		return `{"Statement": [` + strings.Join(statements, ",") + `]}`
	}
	for _, c := range []struct {
		name, policy string
		severity     Severity
		kind         Kind
	}{
		{"policy variable, 2012-10-17: substituted, anyone", doc(allow(ghARN, selfRef)), Critical, KindAnyone},
		{"policy variable, no Version: literal text", noVersion(allow(ghARN, selfRef)), "", ""},
		{"policy variable, 2008-10-17: literal text", strings.Replace(doc(allow(ghARN, selfRef)), "2012-10-17", "2008-10-17", 1), "", ""},
		{"numeric repository_id", doc(allow(ghARN, `{"StringEquals": {`+aud+`, "`+k+`repository_id": 42, `+release+`}}`)), "", ""},
		{"numeric repository_id of another repository", doc(allow(ghARN, `{"StringLike": {"`+k+`sub": "repo:*"}, "StringEquals": {`+aud+`, "`+k+`repository_id": 43}}`)), Medium, KindAnyBranch},
		{"Action sts:*", doc(statement("Allow", ghARN, "sts:*", `{"StringEquals": {`+aud+`}}`)), Critical, KindAnyone},
		{"Action *", doc(statement("Allow", ghARN, "*", `{"StringEquals": {`+aud+`}}`)), Critical, KindAnyone},
		{"NotAction sts:AssumeRole", `{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Federated": "` + ghARN + `"}, "NotAction": "sts:AssumeRole", "Condition": {"StringEquals": {` + aud + `}}}]}`, Critical, KindAnyone},
		{"Action sts:AssumeRole only", doc(statement("Allow", ghARN, "sts:AssumeRole", `{"StringEquals": {`+aud+`}}`)), "unlisted", ""},
		{"GHES: keys other than aud and sub are not known to be evaluated", doc(allow(ghesARN, `{"StringEquals": {"ghes.example.com/_services/token:aud": "sts.amazonaws.com", "ghes.example.com/_services/token:repository_id": "42"}}`)), Undecided, KindUndecided},
		{"GHES: a sub pattern for the owner", doc(allow(ghesARN, `{"StringLike": {"ghes.example.com/_services/token:sub": "repo:org/*"}}`)), High, KindOwnerWide},
		{"too large", doc(allow(ghARN, `{"StringEquals": {`+aud+`, "`+k+`sub": "`+strings.Repeat("x", 40<<10)+`"}}`)), Undecided, KindUnreadable},
		{"invalid UTF-8", doc(allow(ghARN, `{"StringEquals": {"`+k+`sub": "repo:org/app:ref:refs/heads/\xff"}}`)), Undecided, KindUnreadable},
		{"not a policy", `{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Federated": "` + ghARN + `"}}]}`, Undecided, KindUnreadable},
		{"only other principals, unreadable", `{"Statement": "ec2.amazonaws.com"}`, "unlisted", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			for _, encoded := range []string{c.policy, url.PathEscape(c.policy)} { // IAM answers percent-encoded
				rr, listed := auditRole("r", "arn:aws:iam::123456789012:role/r", encoded, account, testProviders, Options{})
				if c.severity == "unlisted" {
					if listed {
						t.Errorf("listed: %+v", rr)
					}
					continue
				}
				var kinds []Kind
				for _, f := range rr.Findings {
					kinds = append(kinds, f.Kind)
				}
				if !listed || rr.Severity != c.severity || (c.kind != "" && !slices.Contains(kinds, c.kind)) {
					t.Errorf("listed %v, %q %v; want %q with %s\n%s", listed, rr.Severity, kinds, c.severity, c.kind, fmt.Sprint(rr.Findings))
				}
			}
		})
	}
}

// TestForeignOwner: with --owner, a role admitting runs of another named
// owner is a finding; of an owner given, not.
func TestForeignOwner(t *testing.T) {
	t.Parallel()
	policy := doc(allow(ghARN, `{"StringEquals": {`+aud+`, "`+k+`sub": "repo:other-org/app:ref:refs/heads/release"}}`))
	for _, c := range []struct {
		owners  []string
		foreign bool
	}{{nil, false}, {[]string{"org"}, true}, {[]string{"org", "Other-Org"}, false}} {
		rr, _ := auditRole("r", "arn:aws:iam::123456789012:role/r", policy, account, testProviders, Options{Owners: c.owners})
		got := slices.ContainsFunc(rr.Findings, func(f Finding) bool { return f.Kind == KindForeignOwner })
		if got != c.foreign {
			t.Errorf("--owner %v: foreign-owner %v, want %v (%v)", c.owners, got, c.foreign, rr.Findings)
		}
	}
}

// TestSeverityThresholds: --fail-on and --undecided-as.
func TestSeverityThresholds(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		s, failOn, undecidedAs Severity
		want                   bool
	}{
		{Critical, High, High, true}, {High, High, High, true}, {Medium, High, High, false}, {Low, Low, High, true},
		{Undecided, High, High, true}, {Undecided, Critical, High, false}, {Undecided, Critical, Critical, true},
		{Undecided, High, Low, false}, {Undecided, Low, "", false}, {Critical, "", High, false},
	} {
		if got := c.s.AtOrAbove(c.failOn, c.undecidedAs); got != c.want {
			t.Errorf("%q at or above %q (undecided as %q) = %v", c.s, c.failOn, c.undecidedAs, got)
		}
	}
	if _, err := ParseSeverity("--fail-on", "severe"); err == nil || !strings.Contains(err.Error(), "--fail-on \"severe\": want critical, high, medium, low or none") {
		t.Errorf("err = %v", err)
	}
}

// TestReportIsOneLinePerValue: names and documents from IAM (or from an
// endpoint that lies) cannot break a line, start a workflow command or
// send a terminal escape in the text report, nor break the JSON.
func TestReportIsOneLinePerValue(t *testing.T) {
	t.Parallel()
	hostile := "evil\n::error::pwned\x1b[31m\u2028"
	policy := doc(allow(ghARN, `{"StringLike": {"`+k+`sub": "repo:*"}, "StringEquals": {"`+k+`environment": "`+strings.ReplaceAll(hostile, "\n", `\n`)+`"}}`))
	policy = strings.ReplaceAll(policy, "\x1b", `\u001b`)
	rr, listed := auditRole(hostile, "arn:aws:iam::123456789012:role/"+hostile, policy, account, testProviders, Options{})
	if !listed || rr.Severity != Critical {
		t.Fatalf("listed %v, %q", listed, rr.Severity)
	}
	rep := &Report{Account: account, Providers: testProviders, RolesRead: 1, Roles: []RoleReport{rr}}
	for _, format := range []string{FormatText, FormatJSON, FormatSARIF} {
		var b strings.Builder
		if err := rep.Write(&b, Output{Format: format}); err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(b.String(), "\n") {
			if strings.HasPrefix(strings.TrimSpace(line), "::") || strings.ContainsAny(line, "\x1b\r\u2028") {
				t.Errorf("%s: line %q", format, line)
			}
		}
	}
}

// TestWitnessAudienceIsTheProviders: a statement that does not pin aud is
// tried with an audience the provider accepts (its client id), the one a
// stranger's token would carry.
func TestWitnessAudienceIsTheProviders(t *testing.T) {
	t.Parallel()
	provs := []Provider{{ARN: ghARN, Issuer: "https://token.actions.githubusercontent.com", Kind: "github.com", Audiences: []string{"my-audience"}}}
	rr, _ := auditRole("r", "arn:aws:iam::123456789012:role/r", doc(allow(ghARN, `{"StringLike": {"`+k+`sub": "repo:*"}}`)), account, provs, Options{})
	if len(rr.Findings) == 0 || rr.Findings[0].Witness == nil || rr.Findings[0].Witness.Claims["aud"] != "my-audience" {
		t.Fatalf("findings %+v", rr.Findings)
	}
}

// TestHostilePolicyIsBounded: a document built to make matching expensive
// (the matcher's worst case: the Allow's witness is a long run of one
// character, the Deny's pattern a star and a long run of it that fails at
// its last character) ends with an undecided finding naming the spent
// comparison budget, not a hang. (Bounded by steps, not timed.)
func TestHostilePolicyIsBounded(t *testing.T) {
	t.Parallel()
	policy := doc(allow(ghARN, `{"StringLike": {"`+k+`sub": "repo:`+strings.Repeat("a", 12000)+`*"}}`),
		statement("Deny", `"*"`, "sts:AssumeRoleWithWebIdentity", `{"StringLike": {"`+k+`sub": "*`+strings.Repeat("a", 4000)+`b"}}`))
	rr, listed := auditRole("r", "arn:aws:iam::123456789012:role/r", policy, account, testProviders, Options{})
	if !listed || rr.Severity != Undecided || !strings.Contains(fmt.Sprint(rr.Findings), "comparison steps") {
		t.Fatalf("listed %v, %q: %v", listed, rr.Severity, rr.Findings)
	}
}
