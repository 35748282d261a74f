package setup

import (
	"slices"
	"strings"

	"github.com/org/aws-oidc-go/internal/runner"
	"github.com/org/aws-oidc-go/internal/trust"
)

// OutsideWitnesses describes the witnesses of p (trust.Witnesses: a run
// made from each Allow statement's own patterns, every wildcard filled by
// an owner, repository or ref nobody named) that p admits for a role in
// account and that are no run o names. The plan refuses to apply and the
// closing check fails while there is one.
func OutsideWitnesses(p *trust.Policy, account string, o Options) []string {
	if p == nil {
		return nil
	}
	var out []string
	for _, w := range trust.Witnesses(p, o.Issuer) {
		if trust.Evaluate(p, w.Request(account)).Verdict != trust.Allowed || namedRun(w, o) {
			continue
		}
		out = append(out, runner.Visible(w.String()))
	}
	return out
}

// namedRun reports whether a witness is one of the runs o names: this
// repository (and its id, when known), and a branch, tag, environment or
// pull request asked for.
func namedRun(w trust.Witness, o Options) bool {
	if repo, _ := w.Claims["repository"].(string); repo != o.Repository {
		return false
	}
	if id, _ := w.Claims["repository_id"].(string); o.RepositoryID != "" && id != o.RepositoryID {
		return false
	}
	rest, ok := strings.CutPrefix(w.Sub(), "repo:")
	if !ok {
		return false
	}
	seg, ctx, _ := strings.Cut(rest, ":")
	owner, repo, _ := strings.Cut(seg, "/")
	owner, oid, hasOID := strings.Cut(owner, "@")
	repo, rid, hasRID := strings.Cut(repo, "@")
	if owner+"/"+repo != o.Repository || hasOID && oid != o.OwnerID || hasRID && rid != o.RepositoryID {
		return false
	}
	trim := func(prefix string, names []string) []string {
		out := make([]string, len(names))
		for i, n := range names {
			out[i] = strings.TrimPrefix(n, prefix)
		}
		return out
	}
	switch {
	case ctx == "pull_request":
		return o.PullRequest
	case strings.HasPrefix(ctx, "environment:"):
		return slices.Contains(o.Environments, strings.TrimPrefix(ctx, "environment:"))
	case strings.HasPrefix(ctx, "ref:refs/heads/"):
		return slices.Contains(trim("refs/heads/", o.Branches), strings.TrimPrefix(ctx, "ref:refs/heads/"))
	case strings.HasPrefix(ctx, "ref:refs/tags/"):
		return slices.Contains(trim("refs/tags/", o.Tags), strings.TrimPrefix(ctx, "ref:refs/tags/"))
	}
	return false
}
