package trust

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// A Witness is a workflow run made from one Allow statement's own
// patterns: each value the statement names is taken as written, each
// wildcard in it filled by an owner, repository, ref or environment nobody
// named (what a stranger picks), and every claim the statement does not
// name set to such an unnamed value. Its Claims are every claim a real
// GitHub ID token carries, so the evaluator decides it as STS would.
//
// A witness the whole policy ALLOWS is proof that the run it describes can
// assume the role; which of its claims were Filled says who can produce
// such a run. A witness the policy denies proves nothing: the statement
// may still admit runs the witness does not try.
type Witness struct {
	// Statement is the index of the Allow statement it was made from.
	Statement int
	// Form is the form of its sub: "legacy" (repo:OWNER/REPO:...),
	// "immutable" (repo:OWNER@ID/REPO@ID:...) or "custom" (a sub pattern
	// not in the default template's shape, filled as written: what an owner
	// who customizes its own template can produce).
	Form string
	// Claims are the token's claims (strings, as GitHub sends them).
	Claims map[string]any
	// Run is the run the claims are of, its SubFormat the Form.
	Run Run
	// Filled are the claims (sorted) whose value was not taken verbatim
	// from the statement: a wildcard was filled, or the statement does not
	// name the claim. Each is a value whoever runs the workflow chooses.
	Filled []string
}

// Request is the request STS evaluates for the witness's token, for a role
// in account ("" matches any).
func (w Witness) Request(account string) Request {
	iss, _ := w.Claims["iss"].(string)
	return RequestFor(iss, account, w.Claims)
}

// Sub is the witness's sub claim.
func (w Witness) Sub() string { s, _ := w.Claims["sub"].(string); return s }

// IsFilled reports whether claim was filled rather than named.
func (w Witness) IsFilled(claim string) bool { return slices.Contains(w.Filled, claim) }

// String describes the witness on one line: its sub and the claims a
// condition may test besides.
func (w Witness) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "sub %q", w.Sub())
	for _, k := range []string{"repository", "repository_id", "repository_owner_id", "ref", "environment", "job_workflow_ref", "actor", "enterprise_id"} {
		if v, ok := w.Claims[k].(string); ok {
			fmt.Fprintf(&b, ", %s %q", k, v)
		}
	}
	return b.String()
}

// MaxWitnesses bounds the witnesses made for one policy: each statement
// gives one per sub value and form, and a policy IAM accepts names few.
const MaxWitnesses = 256

// Witnesses returns the witnesses of every Allow statement of p that can
// admit a web identity token from issuer (its Principal names the issuer's
// provider in any account, or is a wildcard): for each value of the
// statement's positive sub conditions (or once, without one), a run in
// both sub forms. At most MaxWitnesses, in statement order.
func Witnesses(p *Policy, issuer string) []Witness {
	if issuer == "" {
		issuer = DefaultIssuer
	}
	provider := ProviderOf(issuer)
	probe := Request{Provider: provider, Action: WebIdentityAction}
	fr := newFresh(p)
	var out []Witness
	for i := range p.Statements {
		st := &p.Statements[i]
		if st.Effect != "Allow" || st.Principal == nil || !principalMatches(st.Principal, probe) ||
			(st.Action != nil && !actionMatches(st.Action, WebIdentityAction)) ||
			(st.NotAction != nil && actionMatches(st.NotAction, WebIdentityAction)) {
			continue
		}
		for _, w := range statementWitnesses(st, p.Version, issuer, provider, fr) {
			if len(out) == MaxWitnesses {
				return out
			}
			out = append(out, w)
		}
	}
	return out
}

// fresh makes the unnamed values: names no condition value contains.
type fresh struct{ suffix string }

func newFresh(p *Policy) *fresh {
	var all strings.Builder
	for _, st := range p.Statements {
		for _, c := range st.Conditions {
			for _, v := range c.Values {
				all.WriteString(strings.ToLower(v))
				all.WriteByte(0)
			}
		}
	}
	text := all.String()
	for n := 0; ; n++ {
		s := ""
		if n > 0 {
			s = "-" + strconv.Itoa(n)
		}
		if !strings.Contains(text, "unnamed"+s) && !strings.Contains(text, "99000000"+s) {
			return &fresh{suffix: s}
		}
	}
}

func (f *fresh) name(what string) string { return "unnamed-" + what + f.suffix }
func (f *fresh) id(n int) string {
	return "9900000" + strconv.Itoa(n) + strings.TrimPrefix(f.suffix, "-")
}

// draft is the run a witness is built from, before it becomes a token's
// claims: the Run, its sub and form once a sub pattern decided them, and
// which of its claims the statement named (a key present in named for
// aud, actor, actor_id, workflow, job_workflow_ref and enterprise_id: the
// statement gave the value, else the witness's default stands).
type draft struct {
	Run
	sub, form string // set once a sub pattern decided them
	named     map[string]bool
}

func (f *fresh) draft() *draft {
	return &draft{
		Run:   Run{Repository: f.name("owner") + "/" + f.name("repo"), OwnerID: f.id(1), RepositoryID: f.id(2), Ref: "refs/heads/" + f.name("branch")},
		named: map[string]bool{},
	}
}

// repoName is the repository part of Repository (after OWNER/).
func (r *draft) repoName() string { _, n, _ := strings.Cut(r.Repository, "/"); return n }

// field is the Run's field for a claim other than sub the statement may
// name by value (one of draftClaims).
func (r *draft) field(claim string) *string {
	return map[string]*string{"aud": &r.Audience, "actor": &r.Actor, "actor_id": &r.ActorID, "workflow": &r.Workflow,
		"job_workflow_ref": &r.JobWorkflowRef, "enterprise_id": &r.EnterpriseID}[claim]
}

// given are the claims among draftClaims the statement named, with their
// values.
func (r *draft) given() map[string]string {
	out := map[string]string{}
	for _, k := range draftClaims {
		if _, ok := r.named[k]; ok {
			out[k] = *r.field(k)
		}
	}
	return out
}

// draftClaims are the claims besides sub, repository, ref and environment
// a statement's own conditions set on a draft.
var draftClaims = []string{"aud", "actor", "actor_id", "workflow", "job_workflow_ref", "enterprise_id"}

// positiveValues are the values of the statement's conditions on claim
// that a run must match (String operators that test for a value), with
// whether the operator reads wildcards.
func positiveValues(st *Statement, provider, claim string) (vals []string, like bool) {
	key := strings.ToLower(provider + ":" + claim)
	for _, c := range st.Conditions {
		base := strings.TrimSuffix(strings.TrimPrefix(strings.TrimPrefix(c.Operator, "ForAnyValue:"), "ForAllValues:"), "IfExists")
		if !strings.EqualFold(c.Key, key) || !strings.HasPrefix(base, "String") || strings.HasPrefix(base, "StringNot") {
			continue
		}
		if len(vals) == 0 {
			vals, like = c.Values, strings.Contains(base, "Like")
		}
	}
	return vals, like
}

// fillValue fills the wildcards of a Like value with text nobody named
// (each ? an x, each * a run of it); an Equals value is taken as written.
func fillValue(v string, like bool, filler string) (string, bool) {
	if !like || !strings.ContainsAny(v, "*?") {
		return v, false
	}
	var b strings.Builder
	for _, r := range v {
		switch r {
		case '*':
			b.WriteString(filler)
		case '?':
			b.WriteByte('x')
		default:
			b.WriteRune(r)
		}
	}
	return b.String(), true
}

func statementWitnesses(st *Statement, version, issuer, provider string, fr *fresh) []Witness {
	base := fr.draft()
	// The claims other than sub, from their own conditions first: sub's
	// wildcards then take these values where they fit.
	if vals, like := positiveValues(st, provider, "repository"); len(vals) > 0 {
		v, filled := fillValue(vals[0], like, fr.name("x"))
		if _, _, ok := strings.Cut(v, "/"); ok {
			base.Repository = v
			base.named["owner"], base.named["repo"] = !filled, !filled
		}
	}
	for _, c := range []struct {
		claim string
		dst   *string
	}{{"repository_id", &base.RepositoryID}, {"ref", &base.Ref}, {"environment", &base.Environment}} {
		if vals, like := positiveValues(st, provider, c.claim); len(vals) > 0 {
			v, filled := fillValue(vals[0], like, fr.name("x"))
			*c.dst = v
			base.named[c.claim] = !filled
		}
	}
	for _, claim := range draftClaims {
		if vals, like := positiveValues(st, provider, claim); len(vals) > 0 {
			v, filled := fillValue(vals[0], like, fr.name("x"))
			*base.field(claim) = v
			base.named[claim] = !filled
		}
	}
	if strings.HasPrefix(base.Ref, "refs/pull/") {
		base.EventName = "pull_request"
	}
	subs, like := positiveValues(st, provider, "sub")
	var runs []*draft
	if len(subs) == 0 {
		runs = []*draft{base}
	}
	for _, pattern := range subs {
		r := *base
		r.named = maps(base.named)
		pat, substituted := pattern, false
		if version == VariablesVersion {
			// What the token supplies through a policy variable is the
			// run's own value: substitute it, as IAM does.
			pat, substituted = substituteRun(pattern, provider, base)
		}
		// the fields a variable filled: the run's values, a stranger's
		// unless another condition named them
		byVariable := map[string]bool{"owner": !r.named["owner"], "owner_id": !r.named["owner_id"], "repo": !r.named["repo"], "repository_id": !r.named["repository_id"]}
		switch {
		case (!like || !strings.ContainsAny(pat, "*?")) && !substituted:
			applySub(&r, pat, nil, false)
		case !like || !strings.ContainsAny(pat, "*?"):
			applySub(&r, pat, byVariable, true)
		default:
			sub, filled := subFill(pat, &r, fr)
			if !Like(pat, sub) {
				// a shape the fields do not capture: as written
				sub, _ = fillValue(pat, true, fr.name("x"))
				filled = nil
			}
			if filled == nil {
				filled = map[string]bool{"owner": true, "owner_id": true, "repo": true, "repository_id": true, "context": true}
			}
			if substituted {
				for k, v := range byVariable {
					filled[k] = filled[k] || v
				}
			}
			applySub(&r, sub, filled, true)
		}
		runs = append(runs, &r)
	}
	var out []Witness
	for _, r := range runs {
		switch r.form {
		case "custom":
			out = append(out, r.witness(st.Index, issuer, r.sub, "custom"))
		default:
			// Both forms of the same run; the one the pattern was written
			// in first.
			legacy := Subject(r.Run)
			immutable := ImmutableSubject(r.Run, r.OwnerID, r.RepositoryID)
			if r.form == "immutable" {
				out = append(out, r.witness(st.Index, issuer, immutable, "immutable"), r.witness(st.Index, issuer, legacy, "legacy"))
			} else {
				out = append(out, r.witness(st.Index, issuer, legacy, "legacy"), r.witness(st.Index, issuer, immutable, "immutable"))
			}
		}
	}
	return out
}

func maps(m map[string]bool) map[string]bool {
	out := make(map[string]bool, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// subFill fills a sub pattern's wildcards field by field (owner, its id,
// repository, its id, context): a * that ends a field takes a whole value
// (the run's, named when another condition named it, else an unnamed
// one), a * inside a field a suffix, a * before the : that ends the
// repository an owner and a repository, and a * that ends the pattern also
// completes the fields after it. It returns the sub and the fields (owner,
// owner_id, repo, repository_id, context) a stranger's values filled. A
// pattern that does not start as the default template does is filled as
// written (nil fields).
func subFill(pattern string, r *draft, fr *fresh) (string, map[string]bool) {
	const prefix = "repo:"
	i := 0
	for ; i < len(pattern) && i < len(prefix) && pattern[i] == prefix[i]; i++ {
	}
	var b strings.Builder
	switch {
	case i == len(prefix):
		b.WriteString(prefix)
		return fillFields(&b, pattern[i:], r, fr)
	case i < len(pattern) && pattern[i] == '*':
		// The pattern leaves even "repo:" open: a sub of the default
		// template from the * on.
		b.WriteString(prefix)
		return fillFields(&b, pattern[i:], r, fr)
	}
	s, _ := fillValue(pattern, true, fr.name("x"))
	return s, nil
}

// The fields of a default-template sub after "repo:", and the run's claim
// each sets.
const (
	fOwner = iota
	fOwnerID
	fRepo
	fRepoID
	fContext
)

var fieldNames = [...]string{"owner", "owner_id", "repo", "repository_id", "context"}

func fillFields(b *strings.Builder, rest string, r *draft, fr *fresh) (string, map[string]bool) {
	filled := map[string]bool{}
	field, start := fOwner, b.Len() // start: where the field's text began
	whole := func(field int) string {
		// a whole field: the run's value, a stranger's unless named
		filled[fieldNames[field]] = !r.named[fieldNames[field]]
		if field == fContext {
			filled["context"] = !r.named["ref"] && !r.named["environment"]
		}
		switch field {
		case fOwner:
			return r.Owner()
		case fOwnerID:
			return r.OwnerID
		case fRepo:
			return r.repoName()
		case fRepoID:
			return r.RepositoryID
		}
		return r.context()
	}
	part := func(field int) string {
		filled[fieldNames[field]] = true
		if field == fOwnerID || field == fRepoID {
			return "9"
		}
		return "-" + fr.name("x")
	}
	for i := 0; i < len(rest); i++ {
		c := rest[i]
		sofar := b.String()[start:]
		if c == '?' {
			filled[fieldNames[field]] = true
			b.WriteByte('x')
			continue
		}
		if c != '*' {
			b.WriteByte(c)
			switch {
			case field == fOwner && c == '@':
				field, start = fOwnerID, b.Len()
			case field <= fOwnerID && c == '/':
				field, start = fRepo, b.Len()
			case field == fRepo && c == '@':
				field, start = fRepoID, b.Len()
			case (field == fRepo || field == fRepoID) && c == ':':
				field, start = fContext, b.Len()
			}
			continue
		}
		for i+1 < len(rest) && rest[i+1] == '*' {
			i++
		}
		if i+1 == len(rest) { // the pattern ends: complete every field
			this := whole
			if sofar != "" {
				this = part
			}
			switch field {
			case fOwner, fOwnerID:
				b.WriteString(this(field) + "/" + whole(fRepo) + ":" + whole(fContext))
			case fRepo, fRepoID:
				b.WriteString(this(field) + ":" + whole(fContext))
			default:
				filled["context"] = true
				b.WriteString(completeContext(sofar, r, fr))
			}
			return b.String(), filled
		}
		next := rest[i+1]
		ends := map[int]string{fOwner: "/@", fOwnerID: "/", fRepo: ":@", fRepoID: ":"}[field]
		switch {
		case field < fContext && strings.IndexByte(ends, next) >= 0 && sofar == "":
			b.WriteString(whole(field))
		case field < fContext && strings.IndexByte(ends, next) >= 0:
			b.WriteString(part(field))
		case field <= fOwnerID && next == ':':
			// the * crosses the repository: an owner and a repository
			if sofar == "" {
				b.WriteString(whole(field))
			} else {
				b.WriteString(part(field))
			}
			b.WriteString("/" + whole(fRepo))
			field, start = fRepo, b.Len()
		case field == fOwnerID || field == fRepoID:
			b.WriteString(part(field))
		default:
			filled[fieldNames[field]] = true
			b.WriteString(fr.name("x"))
		}
	}
	return b.String(), filled
}

// completeContext ends a sub's context begun with sofar as a run of the
// default template would: the run's own, a branch, an environment or a
// pull request.
func completeContext(sofar string, r *draft, fr *fresh) string {
	for _, full := range []string{r.context(), "ref:refs/heads/" + fr.name("branch"), "environment:" + fr.name("environment"), "pull_request"} {
		if strings.HasPrefix(full, sofar) && len(full) > len(sofar) {
			return full[len(sofar):]
		}
	}
	if strings.HasSuffix(sofar, "/") || strings.HasSuffix(sofar, ":") {
		return fr.name("x")
	}
	return "-" + fr.name("x")
}

// applySub sets the run from a concrete sub. A sub of the default
// template's shape sets owner, repository (and their ids in the immutable
// form) and the context, each named unless filled says a stranger's value
// filled it; any other sub is kept as written (form custom).
func applySub(r *draft, sub string, filled map[string]bool, wildcards bool) {
	rest, ok := strings.CutPrefix(sub, "repo:")
	seg, ctx, ok2 := strings.Cut(rest, ":")
	owner, repo, ok3 := strings.Cut(seg, "/")
	if !ok || !ok2 || !ok3 || owner == "" || repo == "" || !r.setContext(ctx) {
		r.form, r.sub = "custom", sub
		r.named["sub"] = !wildcards
		return
	}
	r.form = "legacy"
	if name, id, ok := strings.Cut(owner, "@"); ok {
		owner, r.OwnerID, r.form = name, id, "immutable"
		r.named["owner_id"] = !filled["owner_id"]
	}
	if name, id, ok := strings.Cut(repo, "@"); ok {
		repo, r.RepositoryID, r.form = name, id, "immutable"
		r.named["repository_id"] = r.named["repository_id"] || !filled["repository_id"]
	}
	r.Repository = owner + "/" + repo
	r.named["owner"] = !filled["owner"]
	r.named["repo"] = !filled["repo"]
	if !filled["context"] {
		r.named["ref"] = r.named["ref"] || r.Environment == ""
		r.named["environment"] = r.named["environment"] || r.Environment != ""
	}
	r.named["sub"] = !wildcards
}

// setContext sets the run's ref, environment or pull request from a
// sub's context; false for a context the default template never writes.
func (r *draft) setContext(ctx string) bool {
	switch {
	case ctx == "pull_request":
		r.EventName, r.Environment = "pull_request", ""
		if !strings.HasPrefix(r.Ref, "refs/pull/") {
			r.Ref = "refs/pull/1/merge"
		}
	case strings.HasPrefix(ctx, "environment:") && len(ctx) > len("environment:"):
		r.Environment, r.EventName = strings.TrimPrefix(ctx, "environment:"), ""
	case strings.HasPrefix(ctx, "ref:refs/"):
		r.Ref, r.Environment, r.EventName = strings.TrimPrefix(ctx, "ref:"), "", ""
	default:
		return false
	}
	return true
}

// witness renders the draft as a token's claims.
func (r *draft) witness(statement int, issuer, sub, form string) Witness {
	refType := "branch"
	switch {
	case strings.HasPrefix(r.Ref, "refs/tags/"):
		refType = "tag"
	case r.PullRequest():
		refType = ""
	}
	event := "push"
	if r.PullRequest() {
		event = "pull_request"
	}
	repository := r.Repository
	c := map[string]string{
		"iss": issuer, "aud": "sts.amazonaws.com", "sub": sub,
		"actor": "unnamed-actor", "actor_id": "99000009", "base_ref": "", "head_ref": "",
		"event_name": event, "ref": r.Ref, "ref_type": refType, "ref_protected": "false",
		"repository": repository, "repository_id": r.RepositoryID, "repository_owner": r.Owner(), "repository_owner_id": r.OwnerID,
		"repository_visibility": "public", "run_id": "9900000001", "run_number": "1", "run_attempt": "1",
		"runner_environment": "github-hosted", "sha": strings.Repeat("0", 40), "workflow": "unnamed-workflow",
		"workflow_ref": repository + "/.github/workflows/unnamed.yml@" + r.Ref, "workflow_sha": strings.Repeat("0", 40),
		"job_workflow_ref": repository + "/.github/workflows/unnamed.yml@" + r.Ref, "job_workflow_sha": strings.Repeat("0", 40),
		"jti": "unnamed-jti", "exp": "0", "iat": "0", "nbf": "0",
	}
	if r.PullRequest() {
		c["base_ref"], c["head_ref"] = "main", "unnamed-head"
	}
	if r.Environment != "" {
		c["environment"] = r.Environment
	}
	for k, v := range r.given() {
		c[k] = v
	}
	claims := make(map[string]any, len(c))
	for k, v := range c {
		claims[k] = v
	}
	// A claim is filled unless the statement named its value verbatim.
	named := map[string]bool{
		"iss": true, "sub": r.named["sub"], "aud": r.named["aud"], "actor": r.named["actor"], "actor_id": r.named["actor_id"],
		"workflow": r.named["workflow"], "job_workflow_ref": r.named["job_workflow_ref"], "enterprise_id": r.named["enterprise_id"],
		"ref": r.named["ref"], "environment": r.named["environment"],
		"repository_owner": r.named["owner"], "repository": r.named["owner"] && r.named["repo"],
		"repository_id": r.named["repository_id"], "repository_owner_id": r.named["owner_id"],
	}
	var filledList []string
	for _, k := range []string{"sub", "aud", "actor", "actor_id", "environment", "job_workflow_ref", "ref", "repository", "repository_id", "repository_owner", "repository_owner_id", "workflow", "enterprise_id"} {
		if _, present := claims[k]; present && !named[k] {
			filledList = append(filledList, k)
		}
	}
	slices.Sort(filledList)
	run := Run{Repository: c["repository"], RepositoryID: c["repository_id"], OwnerID: c["repository_owner_id"], Ref: c["ref"],
		Environment: c["environment"], EventName: c["event_name"], Actor: c["actor"], ActorID: c["actor_id"], Workflow: c["workflow"],
		JobWorkflowRef: c["job_workflow_ref"], EnterpriseID: c["enterprise_id"], SubFormat: form, Audience: c["aud"], Issuer: issuer}
	return Witness{Statement: statement, Form: form, Claims: claims, Run: run, Filled: filledList}
}

// substituteRun replaces the policy variables of a sub value that name the
// provider's keys with the run's values (${$} with $), and reports whether
// it replaced any. A variable it has no value for stays as written.
func substituteRun(v, provider string, r *draft) (string, bool) {
	repository := r.Repository
	vals := map[string]string{
		"repository": repository, "repository_id": r.RepositoryID, "ref": r.Ref, "environment": r.Environment,
		"actor": "unnamed-actor", "actor_id": "99000009", "workflow": "unnamed-workflow",
		"job_workflow_ref": repository + "/.github/workflows/unnamed.yml@" + r.Ref, "aud": "sts.amazonaws.com",
	}
	for k, val := range r.given() {
		vals[k] = val
	}
	var b strings.Builder
	done := false
	eachVariable(v, func(text string) { b.WriteString(text) }, func(expr string) {
		key, _, _ := strings.Cut(expr, ",")
		claim, ours := strings.CutPrefix(strings.ToLower(strings.TrimSpace(key)), strings.ToLower(provider)+":")
		switch val, known := vals[claim]; {
		case expr == "$":
			b.WriteByte('$')
		case ours && known && val != "":
			b.WriteString(val)
			done = true
		default:
			b.WriteString("${" + expr + "}")
		}
	})
	return b.String(), done
}
