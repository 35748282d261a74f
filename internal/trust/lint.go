package trust

import (
	"fmt"
	"slices"
	"strings"

	"github.com/org/aws-oidc-go/internal/inputs"
	"github.com/org/aws-oidc-go/internal/runner"
)

// Level says how bad a finding is.
type Level string

// The levels. An error-level finding is a hole or a statement that cannot
// work as written; a warning is a weaker policy than it could be.
const (
	Error   Level = "error"
	Warning Level = "warning"
)

// Finding is one weakness or mistake in a trust policy, with the fix.
type Finding struct {
	ID        string // stable identifier, e.g. no-sub
	Level     Level
	Statement int
	Message   string
	Fix       string
}

// String renders the finding on two lines. The message and the fix quote
// parts of the policy (keys, operators, values), so each is rendered on
// one line by runner.Visible, as the action's log does.
func (f Finding) String() string {
	return fmt.Sprintf("%s [%s] statement %d: %s\n    fix: %s", f.Level, f.ID, f.Statement, runner.Visible(f.Message), runner.Visible(f.Fix))
}

// LintIDs are every finding Lint can report, with its level.
var LintIDs = map[string]Level{
	"wrong-principal":      Error,
	"wrong-key":            Error,
	"unsupported-key":      Error, // Warning for an Allow with an absence-tolerant operator
	"forallvalues-allow":   Error,
	"equals-with-wildcard": Error,
	"no-sub":               Error,
	"aud-only":             Error,
	"cross-repo-wildcard":  Error, // Warning for repo:OWNER@OWNER_ID/*:CONTEXT (see ownerWideByID)
	"prefix-wildcard":      Error,
	"legacy-sub-mismatch":  Error,
	"name-only":            Warning,
	"no-aud":               Warning,
	"policy-variable":      Error,
}

// LintContext makes findings concrete: the issuer, the repository
// (OWNER/REPO, may be empty), the audience, and the sub of a real token
// when one is known (to spot a legacy pattern an immutable subject misses).
type LintContext struct {
	Issuer, Repository, Audience, Subject string
	RepositoryID                          string // makes the fixes concrete when known
	// Budget is the comparison steps (see MaxMatchSteps) the whole lint
	// may take to re-match Subject against the sub conditions: 0 means
	// MaxMatchSteps, negative none. A check gives what its evaluation
	// left (MaxMatchSteps - Decision.Steps), so evaluation and lint
	// together take at most MaxMatchSteps. A re-match the budget cuts
	// short counts as unknown: it reports nothing.
	Budget int
}

// Lint checks the statements about AssumeRoleWithWebIdentity for the usual
// holes and for conditions that cannot work as written.
func Lint(p *Policy, lc LintContext) []Finding {
	provider := ProviderOf(lc.Issuer)
	repo := lc.Repository
	if repo == "" {
		repo = "OWNER/REPO"
	}
	audience := lc.Audience
	if audience == "" {
		audience = inputs.DefaultAudience
	}
	key := func(claim string) string { return provider + ":" + claim }
	repoID := lc.RepositoryID
	if repoID == "" {
		repoID = "<REPOSITORY_ID>"
	}
	budget := lc.Budget
	if budget == 0 {
		budget = MaxMatchSteps
	}
	var out []Finding
	add := func(st *Statement, id, msg, fix string) {
		out = append(out, Finding{ID: id, Level: LintIDs[id], Statement: st.Index, Message: msg, Fix: fix})
	}
	warn := func(st *Statement, id, msg, fix string) {
		out = append(out, Finding{ID: id, Level: Warning, Statement: st.Index, Message: msg, Fix: fix})
	}
	pinFix := fmt.Sprintf(`"StringEquals": {"%s": "%s", "%s": "refs/heads/main"}`, key("repository_id"), repoID, key("ref"))
	// A Deny that refuses every run of other repositories closes the
	// Allows, but only as far as its pattern would in an Allow: an
	// allowed run satisfies the positive form of each such Deny's
	// conditions, so those are linted with every Allow's own (findings
	// on them name the Deny). A Deny that closes nothing adds nothing.
	var closing []lifted
	for i := range p.Statements {
		if closesOthers(&p.Statements[i], provider) {
			for _, c := range p.Statements[i].Conditions {
				c.Operator = "String" + strings.TrimPrefix(c.Operator, "StringNot")
				closing = append(closing, lifted{c, &p.Statements[i]})
			}
		}
	}
	for i := range p.Statements {
		st := &p.Statements[i]
		if st.Action != nil && !actionMatches(st.Action, WebIdentityAction) {
			continue
		}
		allow := st.Effect == "Allow"
		if allow && st.Principal != nil {
			if st.Principal.Any {
				add(st, "wrong-principal", "Principal \"*\" trusts every identity provider",
					fmt.Sprintf(`"Principal": {"Federated": "arn:aws:iam::<ACCOUNT_ID>:oidc-provider/%s"}`, provider))
			}
			// Another provider beside this one in a Federated list is
			// legitimate (one statement for several issuers); an entry is
			// wrong only when none names this provider and it looks meant
			// for it.
			ours := slices.ContainsFunc(st.Principal.Federated, func(f string) bool {
				_, name, ok := federatedProvider(f)
				return ok && name == provider
			})
			for _, f := range st.Principal.Federated {
				_, name, ok := federatedProvider(f)
				if !ours && (!ok || name != provider) && meantFor(f, provider, st) {
					add(st, "wrong-principal", fmt.Sprintf("Federated principal %q is not the provider ARN for %s (the provider name is lower case, without https:// or a trailing slash)", f, lc.Issuer),
						fmt.Sprintf(`"Federated": "arn:aws:iam::<ACCOUNT_ID>:oidc-provider/%s"`, provider))
				}
			}
		}
		var pinsSub, pinsRepoName, pinsRepoID, hasAud, onlyAud bool
		conds := make([]lifted, 0, len(st.Conditions)+len(closing))
		for _, c := range st.Conditions {
			conds = append(conds, lifted{c, st})
		}
		if allow {
			conds = append(conds, closing...)
		}
		onlyAud = len(conds) > 0
		var subValues []string
		for _, lc := range conds {
			c, st := lc.Condition, lc.from
			k := strings.ToLower(c.Key)
			base := strings.TrimPrefix(strings.TrimPrefix(c.Operator, "ForAnyValue:"), "ForAllValues:")
			// pins: the operator tests for a value (not its absence or another
			// value); positive: and is false when the key is absent.
			pins := !strings.HasPrefix(base, "StringNot") && base != "Null"
			positive := pins && !strings.HasSuffix(base, "IfExists") && !strings.HasPrefix(c.Operator, "ForAllValues:")
			claim, ours := strings.CutPrefix(k, strings.ToLower(provider)+":")
			if claim != "aud" || !ours {
				onlyAud = false
			}
			switch {
			case !ours && (strings.HasSuffix(k, ":sub") || strings.HasSuffix(k, ":aud")):
				if allow {
					add(st, "wrong-key", fmt.Sprintf("condition key %q is not %q or %q: it is never present, so the condition cannot match as intended", c.Key, key("sub"), key("aud")),
						fmt.Sprintf("use the key %q", provider+k[strings.LastIndex(k, ":"):]))
				}
				continue
			case !ours:
				continue
			case provider == GitHubProvider && !IsConditionKey(claim):
				lintUnexposed(st, c, claim, positive, add, warn)
				continue
			}
			if !allow {
				continue
			}
			// The values as the pin and wildcard checks read them (patterns):
			// in a VariablesVersion policy, what a value takes from the
			// token's own claims pins nothing (the token supplies that part
			// of both sides of the comparison), so each such variable reads
			// as a * and the value as if the operator were a Like; ${*} ${?}
			// ${$} are literal characters, no wildcards.
			like := strings.Contains(base, "Like")
			patterns := make([]lintValue, 0, len(c.Values))
			for _, v := range c.Values {
				lv := lintValue{shown: v, pattern: v, like: like}
				if p.Version == VariablesVersion && strings.HasPrefix(base, "String") {
					lv = readVariables(v, provider, like)
					if vk, ok := hasVariable(v, provider); ok && pins {
						add(st, "policy-variable", fmt.Sprintf("%s %s value %q takes ${%s} from the token being checked: the token supplies that part of what it is compared with, so that part pins nothing (IAM substitutes policy variables in a %s policy)", c.Operator, c.Key, v, vk, VariablesVersion), pinFix)
					}
				}
				if lv.variable && strings.Trim(lv.pattern, "*?") == "" {
					continue // nothing but the token's own values: pins nothing
				}
				patterns = append(patterns, lv)
			}
			pins = pins && len(patterns) > 0
			switch claim {
			case "sub":
				if pins {
					pinsSub = true
					for _, lv := range patterns {
						subValues = append(subValues, lv.shown)
					}
				}
				for _, lv := range patterns {
					lintSub(st, lv, repo, key("sub"), add, warn)
				}
			case "aud":
				hasAud = true
			case "repository":
				if pins {
					pinsRepoName = true
					for _, lv := range patterns {
						if lv.like && strings.ContainsAny(lv.pattern, "*?") {
							add(st, "cross-repo-wildcard", fmt.Sprintf("repository pattern %q matches more than one repository", lv.shown), pinFix)
						}
					}
				}
			case "repository_id":
				pinsRepoID = pinsRepoID || pins
			}
			if allow && strings.HasPrefix(c.Operator, "ForAllValues:") {
				add(st, "forallvalues-allow", fmt.Sprintf("%s in an Allow is true when %s is absent from the request", c.Operator, c.Key),
					fmt.Sprintf("use %q (or ForAnyValue:) so an absent claim does not match", strings.TrimPrefix(c.Operator, "ForAllValues:")))
			}
			if strings.HasPrefix(base, "StringEquals") {
				for _, v := range c.Values {
					text := v
					if p.Version == VariablesVersion {
						text = readVariables(v, provider, true).text
					}
					if strings.ContainsAny(text, "*?") {
						add(st, "equals-with-wildcard", fmt.Sprintf("%s compares %q literally; * and ? are wildcards only in StringLike", c.Operator, v),
							fmt.Sprintf(`"StringLike": {"%s": "%s"}`, c.Key, v))
					}
				}
			}
		}
		if !allow {
			continue
		}
		pinsRepo := pinsSub || pinsRepoName || pinsRepoID
		switch {
		case !pinsRepo && hasAud && onlyAud:
			add(st, "aud-only", "the conditions pin nothing but "+key("aud")+": any repository on GitHub can assume this role", pinFix)
		case !pinsRepo:
			add(st, "no-sub", "no condition on "+key("sub")+", "+key("repository")+" or "+key("repository_id")+": any repository on GitHub can assume this role", pinFix)
		case !pinsRepoID && (pinsRepoName || nameOnly(subValues)):
			add(st, "name-only", "the repository is pinned by name only: after a rename, or once a deleted name is taken again, another repository can match. repository_id never changes",
				fmt.Sprintf(`add "StringEquals": {"%s": "%s"} (aws-oidc-go trust-policy --repository-id ID --owner-id ID prints the whole policy)`, key("repository_id"), repoID))
		}
		if lc.Subject != "" && pinsSub && isImmutable(lc.Subject) && !subMatches(p.Version, provider, conditionsOn(st, key("sub")), lc.Subject, &budget) {
			for _, v := range subValues {
				if !isImmutable(v) && strings.HasPrefix(v, "repo:") {
					add(st, "legacy-sub-mismatch", fmt.Sprintf("sub %q has the legacy form, but this repository's tokens carry the immutable subject %q, which it no longer matches", v, lc.Subject),
						fmt.Sprintf(`accept both forms with repository_id pinned: "StringEquals": {"%s": "%s", "%s": ["%s", "%s"]}`, key("repository_id"), repoID, key("sub"), v, lc.Subject))
					break
				}
			}
		}
		if !hasAud {
			add(st, "no-aud", "no condition on "+key("aud")+": tokens minted for other audiences are accepted",
				fmt.Sprintf(`"StringEquals": {"%s": "%s"}`, key("aud"), audience))
		}
	}
	return out
}

// meantFor reports whether a Federated entry that does not name provider
// looks meant for it: it names a GitHub Actions issuer (in any case, with
// a scheme or a slash), or the statement's conditions test provider's keys.
func meantFor(f, provider string, st *Statement) bool {
	lf := strings.ToLower(f)
	if strings.Contains(lf, "token.actions") || strings.Contains(lf, strings.ToLower(provider)) {
		return true
	}
	for _, c := range st.Conditions {
		if strings.HasPrefix(strings.ToLower(c.Key), strings.ToLower(provider)+":") {
			return true
		}
	}
	return false
}

// lifted is a condition linted with an Allow's, and the statement it
// comes from (the Allow itself, or a Deny that closes it).
type lifted struct {
	Condition
	from *Statement
}

// closesOthers reports a Deny that certainly applies to web identity
// tokens of provider (an Action that names AssumeRoleWithWebIdentity, no
// NotAction) whose every condition is a negated string test
// (StringNotEquals, StringNotLike and their IgnoreCase forms, without
// IfExists or a set qualifier) of sub, repository or repository_id naming
// owners by values without a policy variable: it denies every run of an
// owner it does not name, whatever the Allows admit.
func closesOthers(st *Statement, provider string) bool {
	if st.Effect != "Deny" || len(st.Conditions) == 0 || st.Action == nil || st.NotAction != nil || !actionMatches(st.Action, WebIdentityAction) ||
		st.NotPrincipal != nil || st.Principal == nil || !principalMatches(st.Principal, Request{Provider: provider}) {
		return false
	}
	for _, c := range st.Conditions {
		claim, ok := strings.CutPrefix(strings.ToLower(c.Key), strings.ToLower(provider)+":")
		if !ok || !strings.HasPrefix(c.Operator, "StringNot") || strings.HasSuffix(c.Operator, "IfExists") ||
			(claim != "sub" && claim != "repository" && claim != "repository_id") {
			return false
		}
		for _, v := range c.Values {
			if strings.Contains(v, "${") {
				return false // a variable: the token supplies its own value
			}
			if claim == "sub" && strings.Contains(c.Operator, "Like") && !pinsOwner(v) {
				return false
			}
			if claim == "repository" && strings.Contains(c.Operator, "Like") && strings.ContainsAny(v, "*?") {
				return false
			}
		}
	}
	return true
}

// pinsOwner reports whether a sub pattern names its owner: no wildcard
// (or policy variable) before the / that ends it.
func pinsOwner(v string) bool {
	rest, ok := strings.CutPrefix(v, "repo:")
	owner, _, hasRepo := strings.Cut(rest, "/")
	return ok && hasRepo && owner != "" && !strings.ContainsAny(owner, "*?$:")
}

// lintUnexposed explains a condition on a claim STS does not put in the
// request: what follows depends on the effect and on whether the operator
// tolerates an absent key.
func lintUnexposed(st *Statement, c Condition, claim string, positive bool, add, warn func(*Statement, string, string, string)) {
	fix := fmt.Sprintf("STS evaluates only %s; test one of those (sub, ref, environment, repository_id ...) instead", strings.Join(ConditionKeys, ", "))
	switch {
	case st.Effect == "Deny" && positive:
		add(st, "unsupported-key", fmt.Sprintf("STS does not put %s in the request, so this Deny's %s on it is never true: the Deny never protects anything (a false sense of security)", claim, c.Operator), fix)
	case st.Effect == "Deny":
		add(st, "unsupported-key", fmt.Sprintf("STS does not put %s in the request, so %s on it is always true: this Deny applies to every run", claim, c.Operator), fix)
	case positive:
		add(st, "unsupported-key", fmt.Sprintf("STS does not put %s in the request, so %s on it is never true: this statement never allows anything", claim, c.Operator), fix)
	default:
		warn(st, "unsupported-key", fmt.Sprintf("STS does not put %s in the request, so %s on it is always true: it restricts nothing", claim, c.Operator), fix)
	}
}

// conditionsOn returns the conditions of st on key, for re-evaluating them.
func conditionsOn(st *Statement, key string) []Condition {
	var out []Condition
	for _, c := range st.Conditions {
		if strings.EqualFold(c.Key, key) {
			out = append(out, c)
		}
	}
	return out
}

// subMatches reports whether sub may satisfy every condition on the key
// (a condition whose outcome cannot be known offline counts as satisfied,
// and so does one *budget is too small for: once it is spent, nothing
// more is evaluated).
func subMatches(version, provider string, conds []Condition, sub string, budget *int) bool {
	for _, c := range conds {
		if *budget < 0 {
			return true
		}
		req := Request{Provider: provider, Keys: map[string][]string{strings.ToLower(c.Key): {sub}}}
		if evalCondition(c, version, req, budget).res == no && *budget >= 0 {
			return false
		}
	}
	return true
}

// isImmutable reports a sub (or pattern) in the immutable form: the owner
// and repository segment carries @ids.
func isImmutable(sub string) bool {
	rest, ok := strings.CutPrefix(sub, "repo:")
	seg, _, _ := strings.Cut(rest, ":")
	return ok && strings.Contains(seg, "@")
}

// nameOnly reports sub values that name the repository without its ids.
func nameOnly(values []string) bool {
	for _, v := range values {
		if !isImmutable(v) {
			return true
		}
	}
	return false
}

// lintSub flags sub patterns whose wildcards reach across repositories.
// An owner-wide pattern pinned by the owner's immutable id and a context
// (what trust-policy generate --repository OWNER@OWNER_ID/* writes) is
// a warning: the breadth is deliberate, and no other owner can match.
func lintSub(st *Statement, lv lintValue, repo, subKey string, add, warn func(*Statement, string, string, string)) {
	v := lv.pattern
	if !lv.like || !strings.ContainsAny(v, "*?") {
		return
	}
	fix := fmt.Sprintf(`"StringLike": {"%s": "repo:%s:*"}`, subKey, repo)
	rest, ok := strings.CutPrefix(v, "repo:")
	if !ok {
		add(st, "cross-repo-wildcard", fmt.Sprintf("sub pattern %q does not pin a repository: any repository on GitHub matches", lv.shown), fix)
		return
	}
	segment, context, hasColon := strings.Cut(rest, ":")
	owner, name, _ := strings.Cut(segment, "/")
	switch {
	case strings.ContainsAny(owner, "*?"):
		add(st, "cross-repo-wildcard", fmt.Sprintf("sub pattern %q leaves the owner open: any organisation's repositories match", lv.shown), fix)
	case ownerWideByID(owner, name, context, hasColon):
		login, id, _ := strings.Cut(owner, "@")
		msg := fmt.Sprintf("sub pattern %q admits every repository of %s (owner id %s), repositories created later included, for the runs it names; a renamed or re-registered %s has another id and does not match", lv.shown, login, id, login)
		if len(conditionsOn(st, strings.TrimSuffix(subKey, "sub")+"environment")) == 0 {
			msg += fmt.Sprintf(". The * also matches ':', so a run whose sub merely ends in %q (an environment named \"x:%s\") matches too: pin the environment claim (Null for none) as trust-policy generate does", ":"+context, context)
		}
		warn(st, "cross-repo-wildcard", msg,
			"if the role is not meant for the whole owner, name its repositories: trust-policy generate --repository OWNER@OWNER_ID/REPO@REPO_ID (repeatable)")
	case name == "" || name == "*" || strings.HasPrefix(name, "*"):
		add(st, "cross-repo-wildcard", fmt.Sprintf("sub pattern %q matches every repository of %s", lv.shown, owner), fix)
	case strings.ContainsAny(name, "*?") && !hasColon:
		add(st, "prefix-wildcard", fmt.Sprintf("sub pattern %q matches by prefix: %s also matches repositories such as %s-evil", lv.shown, segment, strings.TrimRight(segment, "*?")),
			fmt.Sprintf(`"StringLike": {"%s": "repo:%s:*"}`, subKey, strings.TrimRight(segment, "*?")))
	case strings.ContainsAny(name, "*?"):
		add(st, "cross-repo-wildcard", fmt.Sprintf("sub pattern %q has a wildcard inside the repository name", lv.shown), fix)
	}
}

// ownerWideByID reports the parts of repo:OWNER@OWNER_ID/*:CONTEXT: the
// owner named with its numeric id (no wildcard), the repository a lone *,
// and a context that starts with text (ref:…, environment:…,
// pull_request), not with a wildcard.
func ownerWideByID(owner, name, context string, hasColon bool) bool {
	login, id, ok := strings.Cut(owner, "@")
	if !ok || login == "" || id == "" || id[0] == '0' || len(id) > 20 || strings.Trim(id, "0123456789") != "" {
		return false
	}
	return name == "*" && hasColon && context != "" && !strings.ContainsAny(context[:1], "*?")
}

// lintValue is a condition value as the pin and wildcard checks read it.
type lintValue struct {
	shown   string // the value as written, for the messages
	pattern string // * and ? are wildcards (when like)
	text    string // the literal text, variables and ${*} ${?} ${$} dropped
	like    bool   // whether pattern's * and ? are wildcards
	// variable: the value takes part of itself from the token (a
	// variable naming one of the provider's keys), read as a * in pattern.
	variable bool
}

// readVariables reads a VariablesVersion condition value for the lint: a
// variable naming a key of provider becomes a * wildcard (what the token
// supplies pins nothing), ${*} ${?} ${$} and other variables are dropped
// (literal characters, or values the lint does not know: neither is a
// wildcard), and the policy's own * and ? stay wildcards only when like.
// A value with a variable is read as a pattern even for the Equals
// operators (like is then true), the variable being its wildcard; its
// literal * and ? are then dropped.
func readVariables(v, provider string, like bool) lintValue {
	lv := lintValue{shown: v}
	var pat, text strings.Builder
	lit := func(s string) {
		text.WriteString(s)
		if like {
			pat.WriteString(s)
			return
		}
		pat.WriteString(strings.NewReplacer("*", "", "?", "").Replace(s))
	}
	eachVariable(v, lit, func(expr string) {
		key, _, _ := strings.Cut(expr, ",")
		if strings.HasPrefix(strings.ToLower(strings.TrimSpace(key)), strings.ToLower(provider)+":") {
			lv.variable = true
			pat.WriteByte('*')
		}
	})
	lv.pattern, lv.text = pat.String(), text.String()
	lv.like = like || lv.variable
	return lv
}
