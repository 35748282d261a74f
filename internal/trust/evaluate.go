package trust

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/org/aws-oidc-go/internal/arn"
)

// DefaultIssuer is GitHub.com's Actions token issuer.
const DefaultIssuer = "https://token.actions.githubusercontent.com"

// WebIdentityAction is the action trust policies must allow.
const WebIdentityAction = "sts:AssumeRoleWithWebIdentity"

// Request is what STS evaluates a trust policy against for
// AssumeRoleWithWebIdentity with a GitHub token: the request context,
// keyed by condition key, that a Run's claims (ClaimsFor) or a real
// token's (RequestFor) become. It is not another kind of run: it is what
// the evaluator reads, with the keys a Run leaves open marked Unknown.
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

// claimStrings is a claim's values: JSONStrings, and a number as IAM
// compares it, as text.
func claimStrings(v any) []string {
	switch x := v.(type) {
	case []string:
		return x
	case float64:
		return []string{strconv.FormatFloat(x, 'f', -1, 64)}
	}
	return JSONStrings(v)
}

// JSONStrings is a decoded JSON string, or list of strings, as a list;
// anything else, and a list's elements that are no strings, are left out.
func JSONStrings(v any) []string {
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
	Deciding []string
	// Reasons lists what else leaves it undecided (a policy variable this
	// checker cannot resolve offline), sorted.
	Reasons   []string
	Unhandled []string // operators this evaluator does not implement
	// Exhausted: the comparisons needed more than MaxMatchSteps, and the
	// evaluation stopped undecided (Unhandled says so too).
	Exhausted bool
	// Steps is how many comparison steps the evaluation took (more than
	// MaxMatchSteps when Exhausted): what is left of MaxMatchSteps is the
	// budget of a lint in the same check (LintContext.Budget).
	Steps int
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
	deciding, reasons := map[string]bool{}, map[string]bool{}
	budget := MaxMatchSteps
	for i := range p.Statements {
		st := &p.Statements[i]
		res, why, keys, open := applies(p, st, req, &d, &budget)
		if budget < 0 {
			d.Verdict, d.Exhausted, d.Results, d.Steps = Undecided, true, nil, MaxMatchSteps-budget
			d.Unhandled = append(d.Unhandled, fmt.Sprintf("more than %d comparison steps", MaxMatchSteps))
			return d
		}
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
			for _, r := range open {
				reasons[r] = true
			}
		}
	}
	d.Steps = MaxMatchSteps - budget
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
		for r := range reasons {
			d.Reasons = append(d.Reasons, r)
		}
		sort.Strings(d.Reasons)
	default:
		d.Verdict, d.Decider, d.Allowed = Allowed, allow, true
	}
	if d.Verdict != Undecided {
		// A statement that surely applies decided: the operators this
		// evaluator does not implement did not matter.
		d.Unhandled = nil
	} else {
		slices.Sort(d.Unhandled)
		d.Unhandled = slices.Compact(d.Unhandled)
	}
	return d
}

// federatedProvider returns the account and the provider's name of an
// OIDC provider ARN (arn.OIDCProvider).
func federatedProvider(s string) (account, name string, ok bool) {
	a, _ := arn.Parse(s)
	name, ok = a.OIDCProvider()
	return a.Account, name, ok
}

func principalMatches(p *Principal, req Request) bool {
	if p.Any {
		return true
	}
	for _, f := range p.Federated {
		account, name, ok := federatedProvider(f)
		if ok && name == req.Provider && (req.Account == "" || account == req.Account) {
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
// flags of the unknown keys it tested, and the reasons no flag decides).
func applies(p *Policy, st *Statement, req Request, d *Decision, budget *int) (tri, string, []string, []string) {
	switch {
	case st.Principal != nil && !principalMatches(st.Principal, req):
		return no, fmt.Sprintf("Principal does not name the OIDC provider %s", req.Provider), nil, nil
	case st.NotPrincipal != nil && principalMatches(st.NotPrincipal, req):
		return no, "NotPrincipal excludes the OIDC provider", nil, nil
	case st.Principal == nil && st.NotPrincipal == nil:
		return no, "no Principal (a trust policy statement needs one)", nil, nil
	case st.Action != nil && !actionMatches(st.Action, req.Action):
		return no, "Action does not include " + req.Action, nil, nil
	case st.NotAction != nil && actionMatches(st.NotAction, req.Action):
		return no, "NotAction excludes " + req.Action, nil, nil
	}
	res, whyOut := yes, ""
	var deciding, reasons, ops []string
	for _, c := range st.Conditions {
		if _, _, supported := matcherFor(c.Operator); !supported {
			// An operator this evaluator does not implement decides
			// nothing: the statement may apply, unless another of its
			// conditions is surely false.
			why := unhandledWhy(c)
			if res == yes {
				res, whyOut = unknown, why
			}
			reasons = append(reasons, why)
			ops = append(ops, c.Operator)
			continue
		}
		if how, ok := req.Unknown[strings.ToLower(c.Key)]; ok {
			if res == yes {
				res, whyOut = unknown, fmt.Sprintf("%s %s: unknown (%s)", c.Operator, c.Key, how)
			}
			deciding = append(deciding, how)
			continue
		}
		r := evalCondition(c, p.Version, req, budget)
		switch {
		case *budget < 0:
			return no, "", nil, nil
		case r.res == no:
			return no, fmt.Sprintf("%s %s: %s", c.Operator, c.Key, r.why), nil, nil
		case r.res == unknown:
			if res == yes {
				res, whyOut = unknown, fmt.Sprintf("%s %s: unknown (%s)", c.Operator, c.Key, r.why)
			}
			if r.deciding != "" {
				deciding = append(deciding, r.deciding)
			} else {
				reasons = append(reasons, r.why)
			}
		}
	}
	d.Unhandled = append(d.Unhandled, ops...)
	return res, whyOut, deciding, reasons
}

// unhandledWhy says that a condition's operator is one this evaluator
// does not implement (IpAddress, Numeric*, Date*, Arn*, Binary*, ...),
// so that the verdict it takes part in is left undecided, never decided
// by leaving the condition out.
func unhandledWhy(c Condition) string {
	return fmt.Sprintf("operator %s (on %s) is not implemented by this checker, so whether its statement applies is not decided", c.Operator, c.Key)
}

// matcherFor reports whether an operator (with its qualifiers) is one the
// evaluator implements.
func matcherFor(op string) (string, bool, bool) {
	op = strings.TrimPrefix(strings.TrimPrefix(op, "ForAnyValue:"), "ForAllValues:")
	op = strings.TrimSuffix(op, "IfExists")
	if op == "Null" {
		return op, false, true
	}
	m, negated := comparisonOf(op)
	return op, negated, m != 0
}

// conditionEvaluations counts evalCondition calls, for a test that the
// work of an evaluation or a lint grows with the policy, not its square.
var conditionEvaluations atomic.Int64

// result is a condition's three-valued outcome: why explains a no or an
// unknown, deciding names the flag that would decide an unknown.
type result struct {
	res           tri
	why, deciding string
}

// evalCondition evaluates one operator/key pair of a policy of the given
// Version against req, taking its comparisons from *budget (when that
// runs out, the result is meaningless and *budget negative).
func evalCondition(c Condition, version string, req Request, budget *int) result {
	conditionEvaluations.Add(1)
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
	vals, present := req.Keys[strings.ToLower(c.Key)]
	present = present && len(vals) > 0

	if op == "Null" {
		for _, v := range c.Values {
			if strings.EqualFold(v, "true") == !present {
				return result{res: yes}
			}
		}
		if present {
			return result{res: no, why: "the key is present"}
		}
		return result{res: no, why: "the key is absent"}
	}
	cmp, negated := comparisonOf(op)
	if cmp == 0 {
		return result{res: unknown, why: unhandledWhy(c)}
	}
	if !present {
		switch {
		case ifExists, set == "all", set == "" && negated:
			return result{res: yes}
		}
		return result{res: no, why: "the request has no such key"}
	}
	// positive: whether request value v equals (or is like) one of the
	// condition's values, after policy-variable substitution.
	positive, open, deciding := cmp.prepare(c.Values, version, req, budget)
	if open != "" {
		return result{res: unknown, why: open, deciding: deciding}
	}
	var res tri
	switch {
	case set == "" && negated: // StringNotEquals & co.: no request value matches
		res = not(anyOf(vals, positive))
	case set == "all" && negated:
		res = allOf(vals, func(v string) tri { return not(positive(v)) })
	case set == "all":
		res = allOf(vals, positive)
	case negated: // ForAnyValue:StringNot...
		res = anyOf(vals, func(v string) tri { return not(positive(v)) })
	default:
		res = anyOf(vals, positive)
	}
	switch res {
	case yes:
		return result{res: yes}
	case unknown:
		return result{res: unknown, why: "a value substituted from a policy variable holds * or ?, and AWS does not document whether they are wildcards there"}
	}
	return result{res: no, why: fmt.Sprintf("%s does not satisfy %s", quoteList(vals), quoteList(c.Values))}
}

func not(t tri) tri {
	switch t {
	case yes:
		return no
	case no:
		return yes
	}
	return unknown
}

// anyOf is yes when f is yes for some value, else unknown when it is
// unknown for some, else no; allOf the same with yes and no swapped.
func anyOf(vals []string, f func(string) tri) tri { return decideBy(vals, f, yes) }
func allOf(vals []string, f func(string) tri) tri { return decideBy(vals, f, no) }

// decideBy is decisive as soon as f is decisive for a value; else unknown
// when f is unknown for some value, else the other answer.
func decideBy(vals []string, f func(string) tri, decisive tri) tri {
	res := not(decisive)
	for _, v := range vals {
		switch f(v) {
		case decisive:
			return decisive
		case unknown:
			res = unknown
		}
	}
	return res
}

// A comparison is how a string operator compares: equal (exactly or
// ignoring case) or like (wildcards), and whether it substitutes policy
// variables.
type comparison int

const (
	equals comparison = iota + 1
	equalsIgnoreCase
	like
	boolean
)

// comparisonOf returns the positive comparison of an operator and whether
// the operator negates it (0 for an operator this evaluator does not
// implement).
func comparisonOf(op string) (comparison, bool) {
	switch op {
	case "StringEquals":
		return equals, false
	case "StringNotEquals":
		return equals, true
	case "StringEqualsIgnoreCase":
		return equalsIgnoreCase, false
	case "StringNotEqualsIgnoreCase":
		return equalsIgnoreCase, true
	case "StringLike":
		return like, false
	case "StringNotLike":
		return like, true
	case "Bool":
		return boolean, false
	}
	return 0, false
}

// prepare substitutes the policy variables of the condition's values
// (string operators in a VariablesVersion policy: IAM substitutes none
// for Bool or Null) and returns the test of one request value: yes when
// it matches one of them, unknown when that depends on an undocumented
// reading of a substituted * or ?. open says why the values themselves
// cannot be known offline.
func (c comparison) prepare(values []string, version string, req Request, budget *int) (func(string) tri, string, string) {
	substitute := version == VariablesVersion && c != boolean && slices.ContainsFunc(values, func(v string) bool { return strings.Contains(v, "${") })
	switch {
	case !substitute && c == like:
		globs := make([][2]glob, len(values))
		for i, v := range values {
			globs[i][0] = compileGlob(v)
		}
		return likeAny(globs, budget), "", ""
	case !substitute:
		return c.equal(values, budget), "", ""
	}
	ops := make([]operand, len(values))
	for i, v := range values {
		ops[i] = resolve(v, req)
		if ops[i].open != "" {
			return nil, ops[i].open, ops[i].deciding
		}
	}
	switch c {
	case like:
		globs := make([][2]glob, len(ops))
		for i, op := range ops {
			globs[i][0], globs[i][1] = op.globs()
		}
		return likeAny(globs, budget), "", ""
	default:
		lits := make([]string, len(ops))
		for i, op := range ops {
			lits[i] = op.literal()
		}
		return c.equal(lits, budget), "", ""
	}
}

// likeAny is the test of the Like operators: yes when v matches one of
// the globs, unknown when that depends on an alternative reading (the
// second glob of a pair, when there is one).
func likeAny(globs [][2]glob, budget *int) func(string) tri {
	return func(v string) tri {
		res := no
		for _, g := range globs {
			m := g[0].match(v, budget)
			switch {
			case g[1] != nil && g[1].match(v, budget) != m:
				res = unknown
			case m:
				return yes
			}
		}
		return res
	}
}

// equal is the test of the Equals operators (and Bool) against lits.
func (c comparison) equal(lits []string, budget *int) func(string) tri {
	eq := func(a, b string) bool { return a == b }
	if c != equals {
		eq = equalFold
	}
	return func(v string) tri {
		for _, l := range lits {
			if *budget -= 1 + min(len(v), len(l)); *budget < 0 {
				return no
			}
			if eq(v, l) {
				return yes
			}
		}
		return no
	}
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
