package trust

import (
	"fmt"
	"strings"

	"github.com/org/aws-oidc-go/internal/inputs"
)

// Finding is one weakness or mistake in a trust policy, with the fix.
type Finding struct {
	ID        string // stable identifier, e.g. no-sub
	Statement int
	Message   string
	Fix       string
}

func (f Finding) String() string {
	return fmt.Sprintf("[%s] statement %d: %s\n    fix: %s", f.ID, f.Statement, f.Message, f.Fix)
}

// Lint checks the statements that allow AssumeRoleWithWebIdentity for the
// usual holes. repo (OWNER/REPO, may be empty) and audience make the
// suggested fixes concrete.
func Lint(p *Policy, issuer, repo, audience string) []Finding {
	provider := ProviderOf(issuer)
	if repo == "" {
		repo = "OWNER/REPO"
	}
	if audience == "" {
		audience = inputs.DefaultAudience
	}
	subKey, audKey := provider+":sub", provider+":aud"
	exactFix := fmt.Sprintf(`"StringEquals": {"%s": "repo:%s:ref:refs/heads/main"}`, subKey, repo)
	var out []Finding
	add := func(st *Statement, id, msg, fix string) {
		out = append(out, Finding{ID: id, Statement: st.Index, Message: msg, Fix: fix})
	}
	for i := range p.Statements {
		st := &p.Statements[i]
		if st.Effect != "Allow" || (st.Action != nil && !actionMatches(st.Action, WebIdentityAction)) {
			continue
		}
		if st.Principal != nil {
			if st.Principal.Any {
				add(st, "wrong-principal", "Principal \"*\" trusts every identity provider",
					fmt.Sprintf(`"Principal": {"Federated": "arn:aws:iam::<ACCOUNT_ID>:oidc-provider/%s"}`, provider))
			}
			for _, f := range st.Principal.Federated {
				m := providerARN.FindStringSubmatch(f)
				if m == nil || m[3] != provider {
					add(st, "wrong-principal", fmt.Sprintf("Federated principal %q is not the provider ARN for %s (the provider name is lower case, without https:// or a trailing slash)", f, issuer),
						fmt.Sprintf(`"Federated": "arn:aws:iam::<ACCOUNT_ID>:oidc-provider/%s"`, provider))
				}
			}
		}
		var hasSub, hasAud bool
		for _, c := range st.Conditions {
			key := strings.ToLower(c.Key)
			base := strings.TrimPrefix(strings.TrimPrefix(c.Operator, "ForAnyValue:"), "ForAllValues:")
			switch {
			case key == strings.ToLower(subKey):
				if !strings.HasPrefix(base, "StringNot") && base != "Null" {
					hasSub = true
				}
				for _, v := range c.Values {
					lintSub(st, c, v, repo, subKey, add)
				}
			case key == strings.ToLower(audKey):
				hasAud = true
			case strings.HasSuffix(key, ":sub") || strings.HasSuffix(key, ":aud"):
				add(st, "wrong-key", fmt.Sprintf("condition key %q is not %q or %q: it is never present, so the condition cannot match as intended", c.Key, subKey, audKey),
					fmt.Sprintf("use the key %q", provider+key[strings.LastIndex(key, ":"):]))
			case strings.HasPrefix(key, strings.ToLower(provider)+":"):
				add(st, "unsupported-key", fmt.Sprintf("AWS does not expose the claim in %q as a condition key for GitHub's provider (only aud and sub); the condition never sees a value", c.Key),
					"express it through sub (a customized subject template) instead")
			}
			if strings.HasPrefix(c.Operator, "ForAllValues:") {
				add(st, "forallvalues-allow", fmt.Sprintf("%s in an Allow is true when %s is absent from the request", c.Operator, c.Key),
					fmt.Sprintf("use %q (or ForAnyValue:) so an absent claim does not match", strings.TrimPrefix(c.Operator, "ForAllValues:")))
			}
			if strings.HasPrefix(base, "StringEquals") {
				for _, v := range c.Values {
					if strings.ContainsAny(v, "*?") {
						add(st, "equals-with-wildcard", fmt.Sprintf("%s compares %q literally; * and ? are wildcards only in StringLike", c.Operator, v),
							fmt.Sprintf(`"StringLike": {"%s": "%s"}`, c.Key, v))
					}
				}
			}
		}
		if !hasSub {
			add(st, "no-sub", "no condition on "+subKey+": any repository on GitHub can assume this role", exactFix)
		}
		if !hasAud {
			add(st, "no-aud", "no condition on "+audKey+": tokens minted for other audiences are accepted",
				fmt.Sprintf(`"StringEquals": {"%s": "%s"}`, audKey, audience))
		}
	}
	return out
}

// lintSub flags sub patterns whose wildcards reach across repositories.
func lintSub(st *Statement, c Condition, v, repo, subKey string, add func(*Statement, string, string, string)) {
	if !strings.Contains(c.Operator, "Like") || !strings.ContainsAny(v, "*?") {
		return
	}
	fix := fmt.Sprintf(`"StringLike": {"%s": "repo:%s:*"}`, subKey, repo)
	rest, ok := strings.CutPrefix(v, "repo:")
	if !ok {
		add(st, "cross-repo-wildcard", fmt.Sprintf("sub pattern %q does not pin a repository: any repository on GitHub matches", v), fix)
		return
	}
	segment, _, hasColon := strings.Cut(rest, ":")
	owner, name, _ := strings.Cut(segment, "/")
	switch {
	case strings.ContainsAny(owner, "*?"):
		add(st, "cross-repo-wildcard", fmt.Sprintf("sub pattern %q leaves the owner open: any organisation's repositories match", v), fix)
	case name == "" || name == "*" || strings.HasPrefix(name, "*"):
		add(st, "cross-repo-wildcard", fmt.Sprintf("sub pattern %q matches every repository of %s", v, owner), fix)
	case strings.ContainsAny(name, "*?") && !hasColon:
		add(st, "prefix-wildcard", fmt.Sprintf("sub pattern %q matches by prefix: %s also matches repositories such as %s-evil", v, segment, strings.TrimRight(segment, "*?")),
			fmt.Sprintf(`"StringLike": {"%s": "repo:%s:*"}`, subKey, strings.TrimRight(segment, "*?")))
	case strings.ContainsAny(name, "*?"):
		add(st, "cross-repo-wildcard", fmt.Sprintf("sub pattern %q has a wildcard inside the repository name", v), fix)
	}
}
