package trust

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
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
	// Unknown are condition keys (lower case) whose presence or value the
	// facts given leave open, each with what would decide it (a flag).
	// A condition on one of them evaluates to unknown.
	Unknown map[string]string
}

// ProviderOf returns the IAM provider name of an issuer URL.
func ProviderOf(issuer string) string {
	p := strings.TrimPrefix(strings.TrimPrefix(issuer, "https://"), "http://")
	return strings.TrimRight(p, "/")
}

// GitHubProvider is the IAM provider name of GitHub.com's issuer.
const GitHubProvider = "token.actions.githubusercontent.com"

// ConditionKeys are the claims STS puts into the request context as
// <provider>:<claim> for GitHub.com's provider (since February 2026),
// whenever the token carries them. Every other claim (event_name, ref_type,
// repository_owner, runner_environment, sha, ...) is absent from the request.
var ConditionKeys = []string{"aud", "sub", "actor", "actor_id", "job_workflow_ref", "repository", "repository_id", "workflow", "ref", "environment", "enterprise_id"}

// IsConditionKey reports whether STS evaluates claim for GitHub.com's provider.
func IsConditionKey(claim string) bool { return slices.Contains(ConditionKeys, strings.ToLower(claim)) }

// RequestFor builds the request STS evaluates for a token with claims from
// issuer. For GitHub.com's provider every claim in ConditionKeys that the
// token carries is a key. For other issuers (enterprise-scoped, GHES) AWS
// documents only aud and sub; the other keys are left unknown rather than
// guessed.
func RequestFor(issuer, account string, claims map[string]any) Request {
	provider := ProviderOf(issuer)
	req := Request{Provider: provider, Account: account, Action: WebIdentityAction, Keys: map[string][]string{}, Unknown: map[string]string{}}
	for _, k := range ConditionKeys {
		vals := claimStrings(claims[k])
		key := strings.ToLower(provider + ":" + k)
		switch {
		case k == "aud" || k == "sub" || provider == GitHubProvider:
			if len(vals) > 0 {
				req.Keys[key] = vals
			}
		default:
			req.Unknown[key] = "AWS documents this key for " + GitHubProvider + " only; whether STS evaluates it for " + provider + " is not known"
		}
	}
	return req
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
	case float64:
		return []string{strconv.FormatFloat(x, 'f', -1, 64)}
	}
	return nil
}

// Verdict is the outcome of an evaluation.
type Verdict int

// The verdicts.
const (
	Denied Verdict = iota
	Allowed
	// Undecided: the answer depends on condition keys the facts given
	// leave unknown (Decision.Deciding names what would decide it).
	Undecided
)

func (v Verdict) String() string { return [...]string{"DENIED", "ALLOWED", "UNDECIDED"}[v] }

// tri is a three-valued truth: false, true, or unknown.
type tri int

const (
	no tri = iota
	yes
	unknown
)

// Decision is the verdict on one request.
type Decision struct {
	Verdict Verdict
	Allowed bool       // Verdict == Allowed
	Decider *Statement // the Deny or Allow that decided; nil for no match or undecided
	Results []StatementResult
	// Deciding lists what would decide an undecided verdict (flags), sorted.
	Deciding  []string
	Unhandled []string // operators this evaluator does not implement
}

// StatementResult says whether one statement applies and why not.
type StatementResult struct {
	Statement *Statement
	Applies   bool
	Unknown   bool   // whether it applies depends on unknown keys
	Why       string // for a statement that does not (or may not) apply: the first failing part
}

// Evaluate decides req against p: an applicable Deny wins, else an
// applicable Allow allows, else the request is implicitly denied. With
// unknown keys: a Deny that may apply, or no Allow that surely applies
// while one may, leaves the verdict undecided.
func Evaluate(p *Policy, req Request) Decision {
	var d Decision
	var allow, deny *Statement
	var allowMaybe, denyMaybe bool
	deciding := map[string]bool{}
	for i := range p.Statements {
		st := &p.Statements[i]
		res, why, keys := applies(st, req, &d)
		d.Results = append(d.Results, StatementResult{Statement: st, Applies: res == yes, Unknown: res == unknown, Why: why})
		switch {
		case res == yes && st.Effect == "Deny" && deny == nil:
			deny = st
		case res == yes && st.Effect == "Allow" && allow == nil:
			allow = st
		case res == unknown:
			if st.Effect == "Deny" {
				denyMaybe = true
			} else {
				allowMaybe = true
			}
			for _, k := range keys {
				deciding[k] = true
			}
		}
	}
	switch {
	case deny != nil:
		d.Verdict, d.Decider = Denied, deny
	case allow == nil && !allowMaybe:
		d.Verdict = Denied
	case denyMaybe || allow == nil:
		d.Verdict = Undecided
		for k := range deciding {
			d.Deciding = append(d.Deciding, k)
		}
		sort.Strings(d.Deciding)
	default:
		d.Verdict, d.Decider, d.Allowed = Allowed, allow, true
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

// applies evaluates a statement: yes, no, or unknown (with the deciding
// flags of the unknown keys it tested).
func applies(st *Statement, req Request, d *Decision) (tri, string, []string) {
	switch {
	case st.Principal != nil && !principalMatches(st.Principal, req):
		return no, fmt.Sprintf("Principal does not name the OIDC provider %s", req.Provider), nil
	case st.NotPrincipal != nil && principalMatches(st.NotPrincipal, req):
		return no, "NotPrincipal excludes the OIDC provider", nil
	case st.Principal == nil && st.NotPrincipal == nil:
		return no, "no Principal (a trust policy statement needs one)", nil
	case st.Action != nil && !actionMatches(st.Action, req.Action):
		return no, "Action does not include " + req.Action, nil
	case st.NotAction != nil && actionMatches(st.NotAction, req.Action):
		return no, "NotAction excludes " + req.Action, nil
	}
	res, why := yes, ""
	var deciding []string
	for _, c := range st.Conditions {
		if how, ok := req.Unknown[strings.ToLower(c.Key)]; ok {
			if _, _, supported := matcherFor(c.Operator); !supported {
				d.Unhandled = append(d.Unhandled, c.Operator)
				return no, fmt.Sprintf("operator %s is not supported by this checker", c.Operator), nil
			}
			if res == yes {
				res, why = unknown, fmt.Sprintf("%s %s: unknown (%s)", c.Operator, c.Key, how)
			}
			deciding = append(deciding, how)
			continue
		}
		ok, w := evalCondition(c, req.Keys)
		if w == unhandled {
			d.Unhandled = append(d.Unhandled, c.Operator)
			return no, fmt.Sprintf("operator %s is not supported by this checker", c.Operator), nil
		}
		if !ok {
			return no, fmt.Sprintf("%s %s: %s", c.Operator, c.Key, w), nil
		}
	}
	return res, why, deciding
}

// matcherFor reports whether an operator (with its qualifiers) is one the
// evaluator implements.
func matcherFor(op string) (string, bool, bool) {
	op = strings.TrimPrefix(strings.TrimPrefix(op, "ForAnyValue:"), "ForAllValues:")
	op = strings.TrimSuffix(op, "IfExists")
	if op == "Null" {
		return op, false, true
	}
	m, negated := matcher(op)
	return op, negated, m != nil
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
