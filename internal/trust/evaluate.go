package trust

import (
	"fmt"
	"regexp"
	"strings"
)

// DefaultIssuer is GitHub.com's Actions token issuer.
const DefaultIssuer = "https://token.actions.githubusercontent.com"

// WebIdentityAction is the action trust policies must allow.
const WebIdentityAction = "sts:AssumeRoleWithWebIdentity"

// Request is what STS evaluates a trust policy against for
// AssumeRoleWithWebIdentity with a GitHub token.
type Request struct {
	Provider string              // issuer without https://, e.g. token.actions.githubusercontent.com
	Account  string              // the role's account; "" matches any
	Action   string              // sts:AssumeRoleWithWebIdentity
	Keys     map[string][]string // condition keys in lower case → values
}

// ProviderOf returns the IAM provider name of an issuer URL.
func ProviderOf(issuer string) string {
	p := strings.TrimPrefix(strings.TrimPrefix(issuer, "https://"), "http://")
	return strings.TrimRight(p, "/")
}

// RequestFor builds the request STS evaluates for a token with claims from
// issuer. IAM exposes only the aud and sub claims of GitHub's tokens as
// condition keys (<provider>:aud, <provider>:sub); other claims cannot be
// tested by a trust policy.
func RequestFor(issuer, account string, claims map[string]any) Request {
	provider := ProviderOf(issuer)
	keys := map[string][]string{}
	if aud := claimStrings(claims["aud"]); len(aud) > 0 {
		keys[strings.ToLower(provider+":aud")] = aud
	}
	if sub := claimStrings(claims["sub"]); len(sub) > 0 {
		keys[strings.ToLower(provider+":sub")] = sub
	}
	return Request{Provider: provider, Account: account, Action: WebIdentityAction, Keys: keys}
}

func claimStrings(v any) []string {
	switch x := v.(type) {
	case string:
		return []string{x}
	case []any:
		var out []string
		for _, e := range x {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	case []string:
		return x
	}
	return nil
}

// Decision is the verdict on one request.
type Decision struct {
	Allowed   bool
	Decider   *Statement // the Deny or Allow that decided; nil for no match
	Results   []StatementResult
	Unhandled []string // operators this evaluator does not implement
}

// StatementResult says whether one statement applies and why not.
type StatementResult struct {
	Statement *Statement
	Applies   bool
	Why       string // for a statement that does not apply: the first failing part
}

// Evaluate decides req against p: an applicable Deny wins, else an
// applicable Allow allows, else the request is implicitly denied.
func Evaluate(p *Policy, req Request) Decision {
	var d Decision
	var allow *Statement
	for i := range p.Statements {
		st := &p.Statements[i]
		ok, why := applies(st, req, &d)
		d.Results = append(d.Results, StatementResult{Statement: st, Applies: ok, Why: why})
		if !ok {
			continue
		}
		if st.Effect == "Deny" && d.Decider == nil {
			d.Decider = st
		}
		if st.Effect == "Allow" && allow == nil {
			allow = st
		}
	}
	if d.Decider != nil {
		return d
	}
	if allow != nil {
		d.Allowed, d.Decider = true, allow
	}
	return d
}

var providerARN = regexp.MustCompile(`^arn:(aws|aws-cn|aws-us-gov):iam::(\d{12}):oidc-provider/(.+)$`)

func principalMatches(p *Principal, req Request) bool {
	if p.Any {
		return true
	}
	for _, f := range p.Federated {
		m := providerARN.FindStringSubmatch(f)
		if m != nil && m[3] == req.Provider && (req.Account == "" || m[2] == req.Account) {
			return true
		}
	}
	return false
}

func actionMatches(patterns []string, action string) bool {
	for _, a := range patterns {
		if Like(strings.ToLower(a), strings.ToLower(action)) {
			return true
		}
	}
	return false
}

func applies(st *Statement, req Request, d *Decision) (bool, string) {
	switch {
	case st.Principal != nil && !principalMatches(st.Principal, req):
		return false, fmt.Sprintf("Principal does not name the OIDC provider %s", req.Provider)
	case st.NotPrincipal != nil && principalMatches(st.NotPrincipal, req):
		return false, "NotPrincipal excludes the OIDC provider"
	case st.Principal == nil && st.NotPrincipal == nil:
		return false, "no Principal (a trust policy statement needs one)"
	case st.Action != nil && !actionMatches(st.Action, req.Action):
		return false, "Action does not include " + req.Action
	case st.NotAction != nil && actionMatches(st.NotAction, req.Action):
		return false, "NotAction excludes " + req.Action
	}
	for _, c := range st.Conditions {
		ok, why := evalCondition(c, req.Keys)
		if why == unhandled {
			d.Unhandled = append(d.Unhandled, c.Operator)
			return false, fmt.Sprintf("operator %s is not supported by this checker", c.Operator)
		}
		if !ok {
			return false, fmt.Sprintf("%s %s: %s", c.Operator, c.Key, why)
		}
	}
	return true, ""
}

const unhandled = "\x00unhandled"

// evalCondition evaluates one operator/key pair. why explains a false.
func evalCondition(c Condition, keys map[string][]string) (ok bool, why string) {
	op := c.Operator
	set := ""
	switch {
	case strings.HasPrefix(op, "ForAnyValue:"):
		set, op = "any", strings.TrimPrefix(op, "ForAnyValue:")
	case strings.HasPrefix(op, "ForAllValues:"):
		set, op = "all", strings.TrimPrefix(op, "ForAllValues:")
	}
	ifExists := strings.HasSuffix(op, "IfExists")
	op = strings.TrimSuffix(op, "IfExists")
	vals, present := keys[strings.ToLower(c.Key)]
	present = present && len(vals) > 0

	if op == "Null" {
		for _, v := range c.Values {
			if strings.EqualFold(v, "true") == !present {
				return true, ""
			}
		}
		if present {
			return false, "the key is present"
		}
		return false, "the key is absent"
	}
	match, negated := matcher(op)
	if match == nil {
		return false, unhandled
	}
	if !present {
		switch {
		case ifExists, set == "all", set == "" && negated:
			return true, ""
		}
		return false, "the request has no such key"
	}
	positive := func(v string) bool {
		for _, cv := range c.Values {
			if match(v, cv) {
				return true
			}
		}
		return false
	}
	var res bool
	switch set {
	case "", "any":
		res = false
		for _, v := range vals {
			if positive(v) != negated {
				res = true
				break
			}
		}
	case "all":
		res = true
		for _, v := range vals {
			if positive(v) == negated {
				res = false
				break
			}
		}
	}
	if set == "" && negated {
		// StringNotEquals & co.: true when no request value matches.
		res = true
		for _, v := range vals {
			if positive(v) {
				res = false
			}
		}
	}
	if res {
		return true, ""
	}
	return false, fmt.Sprintf("%s does not satisfy %s", quoteList(vals), quoteList(c.Values))
}

// matcher returns the positive comparison of an operator and whether the
// operator negates it.
func matcher(op string) (func(v, cv string) bool, bool) {
	switch op {
	case "StringEquals":
		return func(v, cv string) bool { return v == cv }, false
	case "StringNotEquals":
		return func(v, cv string) bool { return v == cv }, true
	case "StringEqualsIgnoreCase":
		return strings.EqualFold, false
	case "StringNotEqualsIgnoreCase":
		return strings.EqualFold, true
	case "StringLike":
		return func(v, cv string) bool { return Like(cv, v) }, false
	case "StringNotLike":
		return func(v, cv string) bool { return Like(cv, v) }, true
	case "Bool":
		return strings.EqualFold, false
	}
	return nil, false
}

// Like reports whether s matches pattern, where * matches any run of
// characters and ? exactly one, case-sensitively.
func Like(pattern, s string) bool {
	p, t := []rune(pattern), []rune(s)
	pi, ti := 0, 0
	star, mark := -1, 0
	for ti < len(t) {
		switch {
		case pi < len(p) && (p[pi] == '?' || p[pi] == t[ti]):
			pi++
			ti++
		case pi < len(p) && p[pi] == '*':
			star, mark = pi, ti
			pi++
		case star >= 0:
			pi = star + 1
			mark++
			ti = mark
		default:
			return false
		}
	}
	for pi < len(p) && p[pi] == '*' {
		pi++
	}
	return pi == len(p)
}

func quoteList(vs []string) string {
	q := make([]string, len(vs))
	for i, v := range vs {
		q[i] = fmt.Sprintf("%q", v)
	}
	if len(q) == 1 {
		return q[0]
	}
	return "[" + strings.Join(q, ", ") + "]"
}
