package trust

import (
	"slices"
	"testing"
)

// TestLintAudOnlyClosedByDeny: an Allow pinned only by aud is no hole when
// a Deny refuses every run of other repositories (or owners); aud-only and
// no-sub are not reported then (they were before), and still are when the
// Deny does not close it.
func TestLintAudOnlyClosedByDeny(t *testing.T) {
	t.Parallel()
	allow := `{"Effect": "Allow", "Principal": {"Federated": "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"}, "Action": "sts:AssumeRoleWithWebIdentity", "Condition": {"StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"}}}`
	deny := func(cond string) string {
		return `{"Effect": "Deny", "Principal": "*", "Action": "sts:AssumeRoleWithWebIdentity", "Condition": ` + cond + `}`
	}
	for _, c := range []struct {
		name   string
		deny   string
		closed bool
	}{
		{"repository_id", deny(`{"StringNotEquals": {"token.actions.githubusercontent.com:repository_id": "42"}}`), true},
		{"sub of one repository", deny(`{"StringNotLike": {"token.actions.githubusercontent.com:sub": "repo:org/app:*"}}`), true},
		{"sub of one owner", deny(`{"StringNotLike": {"token.actions.githubusercontent.com:sub": "repo:org/*"}}`), true},
		{"repository by name", deny(`{"StringNotEquals": {"token.actions.githubusercontent.com:repository": ["org/app", "org/lib"]}}`), true},
		{"sub with an open owner", deny(`{"StringNotLike": {"token.actions.githubusercontent.com:sub": "repo:org*"}}`), false},
		{"a second condition narrows it", deny(`{"StringNotEquals": {"token.actions.githubusercontent.com:repository_id": "42", "token.actions.githubusercontent.com:ref": "refs/heads/main"}}`), false},
		{"IfExists", deny(`{"StringNotEqualsIfExists": {"token.actions.githubusercontent.com:repository_id": "42"}}`), false},
		{"a positive Deny", deny(`{"StringEquals": {"token.actions.githubusercontent.com:repository_id": "42"}}`), false},
		{"an Allow, not a Deny", `{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}`, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			p := mustParse(t, []byte(`{"Version": "2012-10-17", "Statement": [`+allow+`,`+c.deny+`]}`))
			var ids []string
			for _, f := range Lint(p, LintContext{Issuer: DefaultIssuer}) {
				ids = append(ids, f.ID)
			}
			if got := !slices.Contains(ids, "aud-only") && !slices.Contains(ids, "no-sub"); got != c.closed {
				t.Errorf("closed = %v, want %v (findings %v)", got, c.closed, ids)
			}
		})
	}
}

// TestLintSecondProviderInFederatedList: a Federated list that names this
// provider and another (an EKS cluster, another GitHub issuer) is
// legitimate; wrong-principal is for a list that misses this provider with
// an entry meant for it.
func TestLintSecondProviderInFederatedList(t *testing.T) {
	t.Parallel()
	stmt := func(federated string) []byte {
		return []byte(`{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Federated": ` + federated + `}, "Action": "sts:AssumeRoleWithWebIdentity",
		 "Condition": {"StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com", "token.actions.githubusercontent.com:repository_id": "42", "token.actions.githubusercontent.com:sub": "repo:org/app:ref:refs/heads/main"}}}]}`)
	}
	for _, c := range []struct {
		federated string
		wrong     bool
	}{
		{`["arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com", "arn:aws:iam::123456789012:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/ABC"]`, false},
		{`["arn:aws:iam::123456789012:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/ABC", "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"]`, false},
		{`["arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com", "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com/acme"]`, false},
		{`["arn:aws:iam::123456789012:oidc-provider/https://token.actions.githubusercontent.com"]`, true},
		{`["arn:aws:iam::123456789012:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/ABC"]`, true}, // its conditions test this provider's keys
	} {
		p := mustParse(t, stmt(c.federated))
		var ids []string
		for _, f := range Lint(p, LintContext{Issuer: DefaultIssuer}) {
			ids = append(ids, f.ID)
		}
		if got := slices.Contains(ids, "wrong-principal"); got != c.wrong {
			t.Errorf("Federated %s: wrong-principal %v, want %v (%v)", c.federated, got, c.wrong, ids)
		}
	}
}

// TestLintDenyClosesOnlyWhatItRefuses: a Deny closes the Allows only when
// it certainly applies to AssumeRoleWithWebIdentity and its values name
// owners without a policy variable, and then only as far as the same
// pattern would in an Allow. Each of these was taken for closing before:
// the Allow pinned by aud alone was reported clean.
func TestLintDenyClosesOnlyWhatItRefuses(t *testing.T) {
	t.Parallel()
	const fed = `{"Federated": "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"}`
	allow := `{"Effect": "Allow", "Principal": ` + fed + `, "Action": "sts:AssumeRoleWithWebIdentity", "Condition": {"StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"}}}`
	for _, c := range []struct {
		name, deny string
		want       []string // finding IDs, in order
	}{
		{"NotAction", `{"Effect": "Deny", "Principal": ` + fed + `, "NotAction": "sts:AssumeRoleWithWebIdentity", "Condition": {"StringNotEquals": {"token.actions.githubusercontent.com:repository_id": "1"}}}`,
			[]string{"aud-only"}},
		{"self-referential variable", `{"Effect": "Deny", "Principal": ` + fed + `, "Action": "sts:AssumeRoleWithWebIdentity", "Condition": {"StringNotEquals": {"token.actions.githubusercontent.com:repository": "${token.actions.githubusercontent.com:repository}"}}}`,
			[]string{"aud-only"}},
		{"legacy owner-name pattern", `{"Effect": "Deny", "Principal": ` + fed + `, "Action": "sts:AssumeRoleWithWebIdentity", "Condition": {"StringNotLike": {"token.actions.githubusercontent.com:sub": "repo:octo/*"}}}`,
			[]string{"cross-repo-wildcard", "name-only"}},
		{"repository_id (closes)", `{"Effect": "Deny", "Principal": ` + fed + `, "Action": "sts:AssumeRoleWithWebIdentity", "Condition": {"StringNotEquals": {"token.actions.githubusercontent.com:repository_id": "1"}}}`,
			nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			p := mustParse(t, []byte(`{"Version": "2012-10-17", "Statement": [`+allow+`,`+c.deny+`]}`))
			var ids []string
			for _, f := range Lint(p, LintContext{Issuer: DefaultIssuer, Repository: "evil/x"}) {
				ids = append(ids, f.ID)
			}
			if !slices.Equal(ids, c.want) {
				t.Errorf("findings %v, want %v", ids, c.want)
			}
		})
	}
}
