package trust

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/org/aws-oidc-go/internal/lazyre"
)

// Repo is one repository a policy admits runs of — or, named OWNER/*,
// every repository of one owner, those created later included — with the
// ids that pin it.
type Repo struct {
	Name    string // OWNER/REPO or OWNER/*
	ID      string // the repository's id; never for OWNER/*
	OwnerID string
}

// OwnerWide reports a Repo that stands for every repository of its owner.
func (r Repo) OwnerWide() bool { return strings.HasSuffix(r.Name, "/*") }

// Owner is the owner part of the name.
func (r Repo) Owner() string { o, _, _ := strings.Cut(r.Name, "/"); return o }

var (
	ownerWideRe = lazyre.New(`^[A-Za-z0-9_.-]+/\*$`)
	// OWNER@OWNER_ID/REPO@REPO_ID or OWNER@OWNER_ID/*: the immutable
	// subject's own spelling of a repository with its ids.
	inlineIDsRe = lazyre.New(`^([A-Za-z0-9_.-]+)@([1-9]\d{0,19})/(?:([A-Za-z0-9_.-]+)@([1-9]\d{0,19})|(\*))$`)
)

// ParseRepo reads a --repository value: OWNER/REPO, OWNER/* (every
// repository of the owner), or either with its ids written as the
// immutable subject writes them, OWNER@OWNER_ID/REPO@REPO_ID and
// OWNER@OWNER_ID/*. The name is checked by Options.Validate.
func ParseRepo(v string) Repo {
	if m := inlineIDsRe().FindStringSubmatch(v); m != nil {
		if m[5] == "*" {
			return Repo{Name: m[1] + "/*", OwnerID: m[2]}
		}
		return Repo{Name: m[1] + "/" + m[3], ID: m[4], OwnerID: m[2]}
	}
	return Repo{Name: v}
}

// repos are the repositories of the options: Run's, with
// RepositoryID and OwnerID, then More.
func (o Options) repos() []Repo {
	return append([]Repo{{Name: o.Run.Repository, ID: o.RepositoryID, OwnerID: o.OwnerID}}, o.More...)
}

// Repos are the repositories the policy admits runs of, in order.
func (o Options) Repos() []Repo { return o.repos() }

// ownerWide reports whether any repository is OWNER/*.
func (o Options) ownerWide() bool {
	for _, r := range o.repos() {
		if r.OwnerWide() {
			return true
		}
	}
	return false
}

// validateRepos checks every repository's name and ids, and settles the
// sub format (Validate's part for the repositories).
func (o *Options) validateRepos() []error {
	var errs []error
	seen := map[string]bool{}
	withIDs, without := 0, 0
	for i, r := range o.repos() {
		idFlags := "--repository-id and --owner-id"
		if i > 0 || len(o.More) > 0 {
			idFlags = "the ids, written --repository OWNER@OWNER_ID/REPO@REPO_ID (or OWNER@OWNER_ID/* for every repository of the owner)"
		}
		switch {
		case r.OwnerWide() && !ownerWideRe().MatchString(r.Name), !r.OwnerWide() && !repoRe().MatchString(r.Name):
			errs = append(errs, fmt.Errorf("--repository %s: want OWNER/REPO, OWNER/* (every repository of the owner) or OWNER@OWNER_ID/REPO@REPO_ID", quote(r.Name)))
			continue
		case seen[strings.ToLower(r.Name)]:
			errs = append(errs, fmt.Errorf("--repository %s: given twice", r.Name))
		}
		seen[strings.ToLower(r.Name)] = true
		for _, id := range [...]struct{ what, v string }{{"repository id", r.ID}, {"owner id", r.OwnerID}} {
			if id.v != "" && !idRe().MatchString(id.v) {
				errs = append(errs, fmt.Errorf("--repository %s: the %s %q is not a numeric GitHub id", r.Name, id.what, id.v))
			}
		}
		switch {
		case r.OwnerWide() && r.ID != "":
			errs = append(errs, fmt.Errorf("--repository %s: every repository of the owner has no one repository id; give the owner's id only", r.Name))
		case r.OwnerWide() && r.OwnerID == "" && o.SubFormat != "legacy":
			errs = append(errs, fmt.Errorf("--repository %s needs the owner's id: only the immutable subject repo:%s@OWNER_ID/*:… keeps a renamed or re-registered %s out (gh api users/%s --jq .id prints it; give it as --repository %s@OWNER_ID/*)", r.Name, r.Owner(), r.Owner(), r.Owner(), r.Owner()))
		case r.OwnerWide():
		case (r.ID == "") != (r.OwnerID == ""):
			errs = append(errs, fmt.Errorf("--repository %s: the repository id and the owner id go together (the immutable subject carries both; gh api repos/%s --jq '.id, .owner.id' prints them): give %s", r.Name, r.Name, idFlags))
		case r.ID != "":
			withIDs++
		default:
			without++
		}
	}
	if o.AnyRef && o.ownerWide() {
		errs = append(errs, errors.New("--any-ref does not go with OWNER/*: name the runs every repository of the owner may assume the role for (--branch, --tag, --environment, --pull-request)"))
	}
	switch f := o.SubFormat; {
	case f == "" && o.ownerWide() && without > 0:
		errs = append(errs, errors.New("with OWNER/* the policy admits the immutable subject only, which needs every other repository's ids too: give them as --repository OWNER@OWNER_ID/REPO@REPO_ID, or --sub-format legacy"))
	case f == "" && o.ownerWide():
		o.SubFormat = "immutable"
	case f == "" && withIDs > 0 && without > 0:
		errs = append(errs, errors.New("some repositories have ids and some do not: give every repository's ids (--repository OWNER@OWNER_ID/REPO@REPO_ID), or --sub-format legacy"))
	case f == "" && withIDs > 0:
		o.SubFormat = "both"
	case f == "":
		o.SubFormat = "legacy"
	case f == "both" && o.ownerWide():
		errs = append(errs, errors.New("--sub-format both does not go with OWNER/*: the legacy form repo:OWNER/*:… would admit the repositories of anyone who registers OWNER after a rename; use immutable (the default with OWNER/*), or legacy to accept that"))
	case f == "immutable" || f == "both":
		if without > 0 {
			if len(o.More) == 0 {
				errs = append(errs, fmt.Errorf("--sub-format %s needs --repository-id and --owner-id", f))
			} else {
				errs = append(errs, fmt.Errorf("--sub-format %s needs every repository's ids (--repository OWNER@OWNER_ID/REPO@REPO_ID)", f))
			}
		}
	case f == "legacy":
	default:
		errs = append(errs, fmt.Errorf("--sub-format %q: want legacy, immutable or both", f))
	}
	return errs
}

// DefaultQuota is IAM's default quota for the length of a role trust
// policy, in characters without white space ("Role trust policy length";
// it can be raised to 4,096 in Service Quotas).
const DefaultQuota = 2048

// MaxQuota is the largest role trust policy length IAM grants.
const MaxQuota = 4096

// quotaError refuses a policy over the quota, saying how many of the
// repositories fit.
func quotaError(o Options, n int) error {
	quota := o.quota()
	repos := o.repos()
	if len(repos) == 1 {
		return fmt.Errorf("the trust policy is %d characters without white space; IAM's quota for a role trust policy is %d (up to 4096 on request in Service Quotas; --trust-policy-quota says what the account has): admit fewer runs or shorter names", n, quota)
	}
	fits := 0
	for k := len(repos) - 1; k >= 1; k-- {
		p := o
		p.More = repos[1:k]
		if b, err := p.marshal(); err == nil && policyChars(b) <= quota {
			fits = k
			break
		}
	}
	return fmt.Errorf("the trust policy for %d repositories is %d characters without white space; IAM's quota for a role trust policy is %d (up to 4096 on request in Service Quotas; --trust-policy-quota says what the account has): %d of these repositories fit in one role (the first %d given); give the others a role of their own, or admit fewer runs", len(repos), n, quota, fits, fits)
}

func (o Options) quota() int {
	if o.Quota > 0 {
		return o.Quota
	}
	return DefaultQuota
}

// policyChars is the length IAM counts: characters, without white space
// outside strings.
func policyChars(b []byte) int {
	var buf strings.Builder
	var in, esc bool
	for _, c := range string(b) {
		switch {
		case esc:
			esc = false
		case in && c == '\\':
			esc = true
		case c == '"':
			in = !in
		case !in && (c == ' ' || c == '\n' || c == '\t' || c == '\r'):
			continue
		}
		buf.WriteRune(c)
	}
	return utf8.RuneCountInString(buf.String())
}

// statement is one generated policy statement.
type statement struct {
	Sid       string
	Effect    string
	Principal map[string]string
	Action    string
	Condition map[string]map[string]any
}

// statements are the policy's statements: one per repository (two for
// OWNER/* when it admits environments and other runs), each sub paired
// with its own repository's id.
func (o Options) statements() []statement {
	var out []statement
	for _, r := range o.repos() {
		one := o
		one.Run.Repository, one.RepositoryID, one.OwnerID, one.More = r.Name, r.ID, r.OwnerID, nil
		if r.OwnerWide() {
			out = append(out, one.ownerStatements()...)
		} else {
			out = append(out, one.statement())
		}
	}
	for i := range out {
		out[i].Sid = "GitHubActionsOIDC"
		if i > 0 {
			out[i].Sid += strconv.Itoa(i + 1)
		}
	}
	return out
}

// pins are the conditions every statement carries: aud, the repository's
// id when known, and the claims the options pin (values escaped).
func (o Options) pins() map[string]map[string]any {
	provider := ProviderOf(o.Issuer)
	equals := map[string]any{provider + ":aud": Escape(o.Audience, false)}
	for claim, v := range map[string]string{
		"repository_id": o.RepositoryID, "job_workflow_ref": o.Run.JobWorkflowRef,
		"workflow": o.Workflow, "actor": o.Actor, "actor_id": o.ActorID, "enterprise_id": o.EnterpriseID,
	} {
		if v != "" {
			equals[provider+":"+claim] = Escape(v, false)
		}
	}
	return map[string]map[string]any{"StringEquals": equals}
}

// statement is the one statement of a single repository.
func (o Options) statement() statement {
	provider := ProviderOf(o.Issuer)
	cond := o.pins()
	equals := cond["StringEquals"]
	subs, like := o.subjects()
	values := make([]string, len(subs))
	for i, p := range subs {
		values[i] = p.value(like)
	}
	if like {
		cond["StringLike"] = map[string]any{provider + ":sub": oneOrList(values)}
	} else {
		equals[provider+":sub"] = oneOrList(values)
	}
	if envs := o.environments(); len(envs) > 0 {
		for i := range envs {
			envs[i] = Escape(envs[i], false)
		}
		equals[provider+":environment"] = oneOrList(envs)
	}
	return statement{Effect: "Allow", Principal: map[string]string{"Federated": o.ProviderARN()}, Action: WebIdentityAction, Condition: cond}
}

// ownerSubjects are the sub patterns of every repository of the owner:
// repo:OWNER@OWNER_ID/*:CONTEXT (repo:OWNER/*:CONTEXT in the legacy
// form), for branch and tag runs (with their refs), pull requests, and
// runs with an environment (with the names).
func (o Options) ownerSubjects() (refs, pulls, envs []pattern, refNames, envNames []string) {
	owner := strings.TrimSuffix(o.Run.Repository, "/*")
	head := "repo:" + owner + "@" + o.OwnerID + "/"
	if o.SubFormat == "legacy" {
		head = "repo:" + owner + "/"
	}
	for _, r := range o.Runs() {
		r.Repository = "R"
		tail := strings.TrimPrefix(Subject(r), "repo:R")
		switch {
		case r.Environment != "":
			envs = append(envs, pattern{head, tail})
			envNames = append(envNames, r.Environment)
		case r.PullRequest():
			pulls = append(pulls, pattern{head, tail})
		default:
			refs = append(refs, pattern{head, tail})
			refNames = append(refNames, r.Ref)
		}
	}
	return refs, pulls, envs, refNames, envNames
}

// ownerStatements admit the runs named in every repository of one owner.
// The * in repo:OWNER@ID/*:ref:refs/heads/main crosses ':', so a sub that
// merely ends the same way would match it: a job in an environment named
// "x:ref:refs/heads/main", or — in a repository of the owner whose admin
// customizes its subject template — a free-text claim such as the
// workflow's name last. So each kind of run gets a statement that pins
// what the sub alone cannot: branch and tag runs their ref and no
// environment, pull requests a pull request's ref (refs/pull/…) and no
// environment (one statement for both), environment runs the environment.
func (o Options) ownerStatements() []statement {
	provider := ProviderOf(o.Issuer)
	refs, pulls, envs, refNames, envNames := o.ownerSubjects()
	escaped := func(v []string) any {
		out := make([]string, len(v))
		for i, s := range v {
			out[i] = Escape(s, false)
		}
		return oneOrList(out)
	}
	var out []statement
	add := func(subs []pattern, extra func(map[string]map[string]any)) {
		if len(subs) == 0 {
			return
		}
		cond := o.pins()
		values := make([]string, len(subs))
		for i, p := range subs {
			values[i] = p.value(true)
		}
		cond["StringLike"] = map[string]any{provider + ":sub": oneOrList(values)}
		extra(cond)
		out = append(out, statement{Effect: "Allow", Principal: map[string]string{"Federated": o.ProviderARN()}, Action: WebIdentityAction, Condition: cond})
	}
	// Branch, tag and pull-request runs share a statement: whichever sub
	// pattern matched, the ref is one named (or a pull request's), so the
	// run is one of those asked for.
	refLike := make([]string, 0, len(refNames)+1)
	for _, r := range refNames {
		refLike = append(refLike, Escape(r, true))
	}
	if len(pulls) > 0 {
		refLike = append(refLike, "refs/pull/*")
	}
	add(append(refs, pulls...), func(c map[string]map[string]any) {
		c["Null"] = map[string]any{provider + ":environment": "true"}
		c["StringLike"][provider+":ref"] = oneOrList(refLike)
	})
	add(envs, func(c map[string]map[string]any) {
		c["StringEquals"][provider+":environment"] = escaped(envNames)
	})
	return out
}

// marshal is the policy document of the options (validated).
func (o Options) marshal() ([]byte, error) {
	doc := struct {
		Version   string
		Statement []statement
	}{VariablesVersion, o.statements()}
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}
