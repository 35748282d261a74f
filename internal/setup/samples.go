package setup

import (
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/org/aws-oidc-go/internal/runner"
	"github.com/org/aws-oidc-go/internal/trust"
)

// Sample is one run both trust policies are evaluated for.
type Sample struct {
	Name string `json:"run"`
	// Intended: the run is one the options ask the role to admit. Every
	// other sample is either named by the old policy or a near miss that
	// neither should admit.
	Intended bool      `json:"intended"`
	Run      trust.Run `json:"-"`
	Old      string    `json:"old,omitempty"` // verdict under the old policy; "" for a new role
	New      string    `json:"new"`
	// OldWhen and NewWhen say when the verdict depends on a claim the run
	// leaves open (see Decide): "admitted only when actor is …". The
	// Name carries them too.
	OldWhen string `json:"old_when,omitempty"`
	NewWhen string `json:"new_when,omitempty"`

	kept       *keptGrant // not a run: what a split statement keeps for others
	idsUnknown bool       // another repository's run whose ids the policy does not pair with its name
	// impostor: a near miss only someone passing for the repository makes
	// (a prefix-named repository, another owner's of the same name, the
	// name recycled, a look-alike owner, an environment named like a
	// ref): a policy that stops admitting it loses nobody's access.
	impostor bool
}

// keptGrant is what an old statement that mergeTrust split gave a
// principal other than the provider's tokens (or the provider other
// actions): the sample is ALLOWED under a policy that still holds an
// Allow for that principal and those actions with the same conditions
// (which are not evaluated: they are the other principal's, as before).
type keptGrant struct {
	principal  string // "AWS arn:…", "Service …", "Federated …"
	actions    []string
	conditions []trust.Condition
}

// keptSamples are the samples for what mergeTrust kept of statement st:
// each other principal with its actions, and the provider with its other
// actions; intended, so a plan that loses one refuses to apply.
func keptSamples(st trust.Statement, c stmtChange, provider string) []Sample {
	var out []Sample
	for _, pr := range c.Principals {
		out = append(out, Sample{Name: fmt.Sprintf("principal %s: %s (statement %d's part, its conditions as they were)", pr, strings.Join(st.Action, ", "), st.Index+1),
			Intended: true, kept: &keptGrant{principal: pr, actions: st.Action, conditions: st.Conditions}})
	}
	if len(c.Actions) > 0 {
		pr := "Federated " + provider
		out = append(out, Sample{Name: fmt.Sprintf("the provider's tokens: %s (statement %d's part, its conditions as they were)", strings.Join(c.Actions, ", "), st.Index+1),
			Intended: true, kept: &keptGrant{principal: pr, actions: c.Actions, conditions: st.Conditions}})
	}
	return out
}

// verdict is ALLOWED when p holds an Allow for the grant's principal
// covering its actions with the same conditions, DENIED otherwise.
func (k *keptGrant) verdict(p *trust.Policy) trust.Verdict {
	for _, st := range p.Statements {
		if st.Effect != "Allow" || !slices.Contains(principals(st.Principal), k.principal) || !reflect.DeepEqual(st.Conditions, k.conditions) {
			continue
		}
		covered := !slices.ContainsFunc(k.actions, func(a string) bool {
			return !slices.ContainsFunc(st.Action, func(pat string) bool { return trust.Like(strings.ToLower(pat), strings.ToLower(a)) })
		})
		if covered {
			return trust.Allowed
		}
	}
	return trust.Denied
}

// Wrong reports a sample the planned (or live) policy decides otherwise
// than intended: a run asked for not ALLOWED, any other run not DENIED.
// UNDECIDED is wrong either way: the checker cannot show the role admits
// exactly the runs named.
func (s Sample) Wrong() bool {
	if s.Intended {
		return s.New != trust.Allowed.String()
	}
	return s.New != trust.Denied.String()
}

// Changed reports a sample whose verdict differs between the policies.
func (s Sample) Changed() bool { return s.Old != "" && s.Old != s.New }

// placeholder ids: the immutable subject of a repository whose ids are not
// known, to show what a legacy-only policy refuses.
const (
	placeholderOwnerID = "1000001"
	placeholderRepoID  = "1000002"
)

// sampleRun is a run of one kind — branch, tag, environment or pull
// request — named name (none for a pull request), of repository repo (""
// for the options' own; its ids are set where a policy pairs them with
// the name). Sample fills in the rest.
func sampleRun(kind, name, repo string) trust.Run {
	r := trust.Run{Repository: repo}
	switch kind {
	case "branch":
		r.Ref = "refs/heads/" + name
	case "tag":
		r.Ref = "refs/tags/" + name
	case "environment":
		r.Environment = name
	case "pull request":
		r.EventName = "pull_request"
	}
	return r
}

// kindOf is the kind and the name of a run sampleRun made.
func kindOf(r trust.Run) (kind, name string) {
	switch {
	case r.Environment != "":
		return "environment", r.Environment
	case r.PullRequest():
		return "pull request", ""
	case strings.HasPrefix(r.Ref, "refs/tags/"):
		return "tag", strings.TrimPrefix(r.Ref, "refs/tags/")
	}
	return "branch", strings.TrimPrefix(r.Ref, "refs/heads/")
}

// label names the run for a person, on one line (runner.Visible): a
// name read back from a policy may hold anything.
func label(r trust.Run) string {
	kind, name := kindOf(r)
	s := kind + " " + name
	if kind == "pull request" {
		s = "a pull request"
	}
	if r.Repository != "" {
		s = "repository " + r.Repository + ", " + s
	}
	return runner.Visible(s)
}

// SampleRuns lists the runs to evaluate: every branch, tag, environment
// and pull request the options or either policy names, then near misses
// (another branch, a pull request, another environment, another
// repository of the owner, a prefix-named repository, the same name under
// another owner), each in both sub forms.
func SampleRuns(o Options, policies ...*trust.Policy) []Sample {
	intended := trust.RunsFor(o.Branches, o.Tags, o.Environments, o.PullRequest)
	runs := slices.Clone(intended)
	add := func(r trust.Run) {
		if !slices.Contains(runs, r) {
			runs = append(runs, r)
		}
	}
	for _, p := range policies {
		for _, r := range namedRuns(p, o) {
			add(r)
		}
	}
	add(sampleRun("branch", unusedName(runs, "branch", "near-miss"), ""))
	add(sampleRun("pull request", "", ""))
	add(sampleRun("environment", unusedName(runs, "environment", "near-miss"), ""))

	branch := "main"
	if len(o.Branches) > 0 {
		branch = strings.TrimPrefix(o.Branches[0], "refs/heads/")
	}
	owner, repo, _ := strings.Cut(o.Repository, "/")
	ownerID, repoID, idsKnown := o.OwnerID, o.RepositoryID, o.RepositoryID != ""
	if !idsKnown {
		ownerID, repoID = placeholderOwnerID, placeholderRepoID
	}
	// Which sub forms the policy is meant to accept (as the generator
	// decides it).
	format := o.SubFormat
	if format == "" {
		format = "legacy"
		if idsKnown {
			format = "both"
		}
	}
	var out []Sample
	impostor := false // set for the near misses of impostors, below
	form := func(name string, intended bool, f trust.Run) {
		legacy := f
		legacy.SubFormat = "legacy"
		label := ", legacy sub"
		if intended && format == "immutable" {
			label += " (not admitted: --sub-format immutable)"
		}
		out = append(out, Sample{Name: name + label, Intended: intended && format != "immutable", Run: legacy, impostor: impostor})
		imm := f
		imm.SubFormat = "immutable"
		label = ", immutable sub"
		if !idsKnown && f.Repository == o.Repository {
			label += " (ids unknown: placeholders)"
		}
		if intended && format == "legacy" {
			label += " (not admitted: legacy sub only)"
		}
		out = append(out, Sample{Name: name + label, Intended: intended && format != "legacy", Run: imm, impostor: impostor})
	}
	// facts makes the run r of repository with those ids: a job in an
	// environment runs on the first branch, a pull request on its merge
	// ref.
	facts := func(repository, oid, rid string, r trust.Run) trust.Run {
		f := trust.Run{Repository: repository, OwnerID: oid, RepositoryID: rid, Ref: r.Ref, Environment: r.Environment, EventName: r.EventName, Audience: o.Audience, Issuer: o.Issuer}
		switch {
		case f.PullRequest():
			f.Ref = "refs/pull/1/merge"
		case f.Ref == "":
			f.Ref = "refs/heads/" + branch
		}
		return f
	}
	for _, r := range runs {
		if r.Repository != "" {
			// Another repository's run, with the ids the policy pairs with
			// its name. Without them there is no immutable sub to try, and
			// a repository_id condition leaves the verdict UNDECIDED: said,
			// never taken for a denial.
			name := label(r)
			if r.OwnerID != "" && r.RepositoryID != "" {
				form(name, false, facts(r.Repository, r.OwnerID, r.RepositoryID, r))
				continue
			}
			f := facts(r.Repository, "", r.RepositoryID, r)
			f.SubFormat = "legacy"
			out = append(out, Sample{Name: name + ", legacy sub", Run: f, idsUnknown: r.RepositoryID == ""})
			continue
		}
		form(label(r), slices.Contains(intended, r), facts(o.Repository, ownerID, repoID, r))
	}
	// The repository near misses, for each kind of run the role admits
	// (its first run of that kind): a policy that pins the repository for
	// branches only must not pass for environments.
	nears := []trust.Run{}
	for _, r := range intended {
		kind, _ := kindOf(r)
		if !slices.ContainsFunc(nears, func(n trust.Run) bool { k, _ := kindOf(n); return k == kind }) {
			nears = append(nears, r)
		}
	}
	if len(nears) == 0 {
		nears = append(nears, sampleRun("branch", branch, ""))
	}
	for _, near := range nears {
		d := label(near)
		form("another repository of the owner ("+owner+"/another-repo), "+d, false, facts(owner+"/another-repo", ownerID, "1000003", near))
		impostor = true
		form("a prefix-named repository ("+o.Repository+"-evil), "+d, false, facts(o.Repository+"-evil", ownerID, "1000004", near))
		form("the same name under another owner (another-owner/"+repo+"), "+d, false, facts("another-owner/"+repo, "1000005", "1000006", near))
		if idsKnown {
			// The repository deleted and its name taken again: same
			// OWNER/REPO, another repository_id.
			form("a recycled name ("+o.Repository+" with another repository id), "+d, false, facts(o.Repository, ownerID, "1000007", near))
		}
		impostor = false
	}
	return out
}

func unusedName(runs []trust.Run, kind, base string) string {
	name := base
	for i := 2; slices.Contains(runs, sampleRun(kind, name, "")); i++ {
		name = base + "-" + strconv.Itoa(i)
	}
	return name
}

// namedRuns are the branches, tags, environments and pull requests a
// policy names in sub, ref or environment conditions: of the repository,
// and (from sub) of other repositories, with their repo set. A pattern
// gives one concrete instance (each * and ? an x).
func namedRuns(p *trust.Policy, o Options) []trust.Run {
	var out []trust.Run
	if p == nil {
		return nil
	}
	for _, st := range p.Statements {
		out = append(out, statementRuns(st, o)...)
	}
	return out
}

func statementRuns(st trust.Statement, o Options) []trust.Run {
	provider := strings.ToLower(trust.ProviderOf(o.Issuer)) + ":"
	var out []trust.Run
	ref := func(r, other string) {
		if strings.HasPrefix(r, "refs/heads/") || strings.HasPrefix(r, "refs/tags/") {
			out = append(out, trust.Run{Ref: r, Repository: other})
		}
	}
	// The ids this statement pairs with a repository name: from its
	// immutable subs, and a single repository_id it requires.
	ids := map[string][2]string{}
	var repoIDs []string
	for _, c := range st.Conditions {
		claim, ok := strings.CutPrefix(strings.ToLower(c.Key), provider)
		// Only the String operators name runs (a Null condition's "true"
		// is no environment).
		if !ok || strings.HasPrefix(c.Operator, "StringNot") || !strings.Contains(c.Operator, "String") {
			continue
		}
		switch claim {
		case "repository_id":
			repoIDs = append(repoIDs, c.Values...)
		case "sub":
			for _, v := range c.Values {
				if w, _, ok := subRun(v); ok && w.OwnerID != "" {
					ids[w.Repository] = [2]string{w.OwnerID, w.RepositoryID}
				}
			}
		}
	}
	pair := func(repo string) (string, string) {
		if id, ok := ids[repo]; ok {
			return id[0], id[1]
		}
		if len(repoIDs) == 1 && !strings.ContainsAny(repoIDs[0], "*?$") {
			return "", repoIDs[0]
		}
		return "", ""
	}
	for _, c := range st.Conditions {
		claim, ok := strings.CutPrefix(strings.ToLower(c.Key), provider)
		if !ok || strings.HasPrefix(c.Operator, "StringNot") || !strings.Contains(c.Operator, "String") {
			continue
		}
		like := strings.Contains(c.Operator, "Like")
		for _, raw := range c.Values {
			// The name the value means (${$} ${*} ${?} un-escaped), one
			// instance of it when it is a pattern.
			v := trust.Unescape(raw)
			if like {
				v = trust.Instance(raw)
			}
			switch claim {
			case "environment":
				out = append(out, sampleRun("environment", v, ""))
			case "ref":
				ref(v, "")
			case "sub":
				sv := raw
				if !like {
					sv = v
				}
				w, ctx, ok := subRun(sv)
				if !ok {
					continue
				}
				other := ""
				if w.Repository != o.Repository {
					other = w.Repository
				}
				n := len(out)
				switch {
				case ctx == "pull_request":
					out = append(out, sampleRun("pull request", "", other))
				case strings.HasPrefix(ctx, "environment:"):
					out = append(out, sampleRun("environment", strings.TrimPrefix(ctx, "environment:"), other))
				case strings.HasPrefix(ctx, "ref:"):
					ref(strings.TrimPrefix(ctx, "ref:"), other)
				case ctx == "x": // the pattern "*": any run; a branch is one
					out = append(out, sampleRun("branch", "x", other))
				}
				if other != "" {
					for i := n; i < len(out); i++ {
						out[i].OwnerID, out[i].RepositoryID = pair(other)
					}
				}
			}
		}
	}
	return out
}

var subFillers = []string{"x", "x/x:ref:refs/heads/x", "x:ref:refs/heads/x", "/x:ref:refs/heads/x", ":ref:refs/heads/x", "repo:x/x:ref:refs/heads/x"}

// subRun is the run of a sub a token could carry that the sub pattern p
// admits — each wildcard an x, or, where that is no whole sub
// (repo:evil-org/*, repo:acme*), the first wildcard filled with the rest
// of one: its repository with the ids the sub carries (both or neither),
// and the sub's context (after the repository) as written.
func subRun(p string) (trust.Run, string, bool) {
	for _, fill := range subFillers {
		v := p
		if i := strings.IndexAny(v, "*?"); i >= 0 {
			v = v[:i] + fill + v[i+1:]
		} else if fill != "x" {
			break
		}
		v = trust.Instance(v)
		if !trust.Like(p, v) {
			continue
		}
		rest, ok := strings.CutPrefix(v, "repo:")
		if !ok {
			continue
		}
		seg, ctx, _ := strings.Cut(rest, ":")
		o, r, _ := strings.Cut(seg, "/")
		owner, ownerID, _ := strings.Cut(o, "@")
		repo, repoID, _ := strings.Cut(r, "@")
		if owner == "" || repo == "" || strings.Contains(repo, "/") || ctx == "" {
			continue
		}
		if (ownerID == "") != (repoID == "") {
			ownerID, repoID = "", ""
		}
		return trust.Run{Repository: owner + "/" + repo, OwnerID: ownerID, RepositoryID: repoID}, ctx, true
	}
	return trust.Run{}, "", false
}

// OtherRepositories are the repositories other than o's that a statement
// names in its sub conditions (patterns as one concrete instance).
func otherRepositories(st trust.Statement, o Options) []string {
	var out []string
	for _, r := range statementRuns(st, o) {
		if r.Repository != "" && !slices.Contains(out, r.Repository) {
			out = append(out, r.Repository)
		}
	}
	return out
}

// Evaluate decides each sample under the old policy (when there is one)
// and the new one, for a role in account. A verdict that depends on a claim
// the run leaves open (Decide) is the most permissive one, with a note in
// the sample's name: a near miss admitted for some actor is admitted.
func Evaluate(samples []Sample, account, issuer string, old, new *trust.Policy) []Sample {
	for i := range samples {
		s := &samples[i]
		if s.kept != nil {
			if old != nil {
				s.Old = s.kept.verdict(old).String()
			}
			if new != nil {
				s.New = s.kept.verdict(new).String()
			}
			continue
		}
		if old != nil {
			v, when := Decide(old, account, issuer, s.Run)
			s.Old, s.OldWhen = v.String(), when
		}
		if new != nil {
			v, when := Decide(new, account, issuer, s.Run)
			s.New, s.NewWhen = v.String(), when
		}
		if s.idsUnknown && (s.Old == trust.Undecided.String() || s.New == trust.Undecided.String()) {
			s.Name += " (its ids unknown: the policy does not pair them with the name)"
		}
		switch {
		case s.OldWhen == "" && s.NewWhen == "":
		case old == nil || s.OldWhen == s.NewWhen:
			s.Name += " (" + s.NewWhen + ")"
		case s.NewWhen == "":
			s.Name += " (current policy: " + s.OldWhen + ")"
		case s.OldWhen == "":
			s.Name += " (planned policy: " + s.NewWhen + ")"
		default:
			s.Name += " (current policy: " + s.OldWhen + "; planned: " + s.NewWhen + ")"
		}
	}
	return samples
}

// Verdict is what the checker decides for the run f under p (as Decide,
// without the note).
func Verdict(p *trust.Policy, account, issuer string, f trust.Run) trust.Verdict {
	v, _ := Decide(p, account, issuer, f)
	return v
}
