package setup

import (
	"fmt"
	"slices"
	"strings"

	"github.com/org/aws-oidc-go/internal/runner"
	"github.com/org/aws-oidc-go/internal/trust"
)

// ownerInstance is the repository that stands for every repository of an
// owner in the sample runs, with a repository id no real one is asked for.
const (
	ownerInstance   = "any-repository"
	ownerInstanceID = "1000010"
)

// repos are the repositories of the options: Repository with its ids,
// then More.
func (o Options) repos() []trust.Repo {
	return append([]trust.Repo{{Name: o.Repository, ID: o.RepositoryID, OwnerID: o.OwnerID}}, o.More...)
}

// one is o for one of its repositories.
func (o Options) one(r trust.Repo) Options {
	one := o
	one.Repository, one.RepositoryID, one.OwnerID, one.More = r.Name, r.ID, r.OwnerID, nil
	return one
}

// Samples are the runs both policies are evaluated over. For one
// repository they are SampleRuns'. For several, each repository's, named
// after it; for OWNER/*, those of a repository of the owner no one named
// (every repository created later is one), and the near misses the
// pattern repo:OWNER@OWNER_ID/*:… invites: an owner whose name starts
// with OWNER, the name OWNER registered again (another id), a run kind not
// named, and environments named after the context of the runs without
// one (the * crosses ':'). A run one entry admits is intended even when it
// is another entry's near miss.
func Samples(o Options, policies ...*trust.Policy) []Sample {
	repos := o.repos()
	if len(repos) == 1 && !repos[0].OwnerWide() {
		return SampleRuns(o, policies...)
	}
	var out []Sample
	seen := map[string]bool{}
	add := func(prefix string, s Sample) {
		s.Name = prefix + s.Name
		s.Intended = s.Intended || o.Admits(s.Run)
		key := fmt.Sprintf("%+v", s.Run)
		if !seen[key] {
			seen[key] = true
			out = append(out, s)
		}
	}
	// The sub format as the generator settles it for all of them (with
	// OWNER/* the immutable one, unless legacy).
	t := o.TrustOptions("000000000000", "aws")
	_ = t.Validate()
	for _, r := range repos {
		one := o.one(r)
		if t.SubFormat != "" {
			one.SubFormat = t.SubFormat
		}
		if !r.OwnerWide() {
			for _, s := range SampleRuns(one, policies...) {
				// Another of our repositories' runs are its own samples.
				if s.Run.Repository != r.Name && slices.ContainsFunc(repos, func(x trust.Repo) bool { return x.Name == s.Run.Repository }) {
					continue
				}
				add(runner.Visible(r.Name)+": ", s)
			}
			continue
		}
		owner := r.Owner()
		one.Repository, one.RepositoryID = owner+"/"+ownerInstance, ownerInstanceID
		one.SubFormat = "immutable"
		if o.SubFormat == "legacy" {
			one.SubFormat = "legacy"
		}
		if one.OwnerID == "" {
			one.OwnerID = placeholderOwnerID
		}
		prefix := "every repository of " + owner + " (as " + one.Repository + "): "
		for _, s := range SampleRuns(one, policies...) {
			add(prefix, s)
		}
		facts := func(repo, ownerID string) trust.Run {
			return trust.Run{Repository: repo, OwnerID: ownerID, RepositoryID: ownerInstanceID, Ref: "refs/heads/" + firstOr(o.Branches, "main"),
				Audience: o.Audience, Issuer: o.Issuer, SubFormat: one.SubFormat}
		}
		tag := facts(one.Repository, one.OwnerID)
		tag.Ref = "refs/tags/near-miss"
		near := []Sample{
			{Name: "an owner whose name starts with " + owner + " (" + owner + "-evil/" + ownerInstance + ")", Run: facts(owner+"-evil/"+ownerInstance, "1000011"), impostor: true},
			{Name: "a tag near-miss", Run: tag},
		}
		if one.SubFormat == "immutable" {
			near = append(near, Sample{Name: "the name " + owner + " registered again (owner id 1000012)", Run: facts(one.Repository, "1000012"), impostor: true})
		}
		// Runs without an environment match repo:OWNER@ID/*:ref:… and
		// repo:OWNER@ID/*:pull_request; a job in an environment named
		// "x:ref:…" or "x:pull_request" has a sub that ends the same.
		for _, r := range trust.RunsFor(o.Branches, o.Tags, nil, false) {
			f := facts(one.Repository, one.OwnerID)
			f.Environment = "x:ref:" + r.Ref
			near = append(near, Sample{Name: "an environment named " + f.Environment, Run: f, impostor: true})
		}
		if o.PullRequest {
			f := facts(one.Repository, one.OwnerID)
			f.Environment, f.EventName, f.Ref = "x:pull_request", "pull_request", "refs/pull/1/merge"
			near = append(near, Sample{Name: "an environment named x:pull_request (a pull request's job)", Run: f, impostor: true})
		}
		for _, n := range near {
			add(prefix, Sample{Name: runner.Visible(n.Name) + ", " + n.Run.SubFormat + " sub", Run: n.Run, impostor: n.impostor})
		}
	}
	return out
}

func firstOr(v []string, def string) string {
	if len(v) == 0 {
		return def
	}
	return strings.TrimPrefix(v[0], "refs/heads/")
}

// Admits reports whether the options ask the role to admit the run f: a
// run kind they name (a branch, tag or environment by its name, a pull
// request), of a repository they name with its ids, in a sub form the
// policy accepts (the immutable one only with the ids) — or of any
// repository of an OWNER/* they name, in the immutable form with the
// owner's id (the legacy form with --sub-format legacy). A check that
// finds the live role admitting a run (a sample, a witness) the options
// do not admit has found a run outside the plan.
func (o Options) Admits(f trust.Run) bool {
	if !o.names(f) {
		return false
	}
	t := o.TrustOptions("000000000000", "aws")
	_ = t.Validate() // resolves the sub format as the generator does
	owner, _, _ := strings.Cut(f.Repository, "/")
	legacySub := f.SubFormat == "" || f.SubFormat == "legacy"
	for _, r := range o.repos() {
		switch {
		case r.OwnerWide():
			if r.Owner() != owner {
				continue
			}
			if t.SubFormat == "legacy" && legacySub || t.SubFormat != "legacy" && !legacySub && r.OwnerID != "" && f.OwnerID == r.OwnerID {
				return true
			}
		case r.Name == f.Repository:
			if r.ID != "" && f.RepositoryID != r.ID {
				continue
			}
			switch {
			case legacySub && t.SubFormat != "immutable":
				return true
			case !legacySub && t.SubFormat != "legacy" && r.ID != "" && f.OwnerID == r.OwnerID:
				return true
			}
		}
	}
	return false
}

// names reports whether the options name the kind of run f is.
func (o Options) names(f trust.Run) bool {
	switch {
	case f.Environment != "":
		return slices.Contains(o.Environments, f.Environment)
	case f.EventName == "pull_request":
		return o.PullRequest
	case strings.HasPrefix(f.Ref, "refs/heads/"):
		return slices.ContainsFunc(o.Branches, func(b string) bool { return "refs/heads/"+strings.TrimPrefix(b, "refs/heads/") == f.Ref })
	case strings.HasPrefix(f.Ref, "refs/tags/"):
		return slices.ContainsFunc(o.Tags, func(t string) bool { return "refs/tags/"+strings.TrimPrefix(t, "refs/tags/") == f.Ref })
	}
	return false
}

// ScopeWarnings say in words what a role for several repositories or a
// whole owner admits beyond what one repository's role does.
func ScopeWarnings(o Options) []string {
	var out []string
	for _, r := range o.repos() {
		if !r.OwnerWide() {
			continue
		}
		owner := runner.Visible(r.Owner())
		if o.SubFormat == "legacy" {
			out = append(out, fmt.Sprintf("%s admits every repository of %s, those created later too, by name only (--sub-format legacy): if %s is renamed or deleted and someone registers the name %s, their repositories match too", runner.Visible(r.Name), owner, owner, owner))
			continue
		}
		out = append(out, fmt.Sprintf("%s admits every repository of %s (owner id %s) for the runs named, those created later too", runner.Visible(r.Name), owner, r.OwnerID))
	}
	return out
}
