package trust

import "strings"

// Run is one run of a workflow as a trust policy sees it: the claims
// GitHub puts in that run's ID token that a condition can test, or that
// decide the ones it can (the event decides sub's context). An empty field
// is a claim the run does not carry, or one not given: which of the two is
// the caller's to say (ClaimsFor leaves the keys not given open).
//
// A Run is one fact — the run the generator writes a statement for, the
// run check is told about, a sample setup's plan evaluates, a witness made
// from a statement's patterns. What a role should admit — a set of runs,
// every ref (--any-ref), further repositories or a whole owner, the sub
// forms — is a spec, not a run: Options (the generator's) and
// setup.Options hold it.
type Run struct {
	Repository     string // OWNER/REPO
	RepositoryID   string // repository_id
	OwnerID        string // repository_owner_id
	Ref            string // refs/heads/main, refs/tags/v1, refs/pull/1/merge
	Environment    string // the job's environment; a job without one when empty
	EventName      string // pull_request makes sub ...:pull_request
	Actor          string
	ActorID        string
	Workflow       string // the workflow's display name
	JobWorkflowRef string // OWNER/REPO/.github/workflows/X.yml@REF: its own condition key
	EnterpriseID   string
	// SubFormat is the form of its sub: legacy (repo:OWNER/REPO:...) or
	// immutable (repo:OWNER@ID/REPO@ID:..., needs OwnerID and
	// RepositoryID); empty is legacy.
	SubFormat string
	Audience  string // default sts.amazonaws.com
	Issuer    string // default DefaultIssuer
}

// PullRequest reports whether the run is of the pull_request event: its
// sub names no ref or environment but pull_request.
func (r Run) PullRequest() bool { return r.EventName == "pull_request" }

// Owner is the owner part of Repository.
func (r Run) Owner() string { o, _, _ := strings.Cut(r.Repository, "/"); return o }

// context is the run's part of a default-template sub after the
// repository: an environment wins, then pull requests, then the ref.
func (r Run) context() string {
	switch {
	case r.Environment != "":
		return "environment:" + r.Environment
	case r.PullRequest():
		return "pull_request"
	}
	return "ref:" + r.Ref
}

// Subject derives the sub claim GitHub puts in the run's token with the
// default template, in the legacy form (names only).
func Subject(r Run) string { return "repo:" + r.Repository + ":" + r.context() }

// ImmutableSubject is the sub GitHub.com puts in tokens of repositories
// with the immutable subject: owner and repository carry their ids.
func ImmutableSubject(r Run, ownerID, repoID string) string {
	owner, repo, _ := strings.Cut(r.Repository, "/")
	return "repo:" + owner + "@" + ownerID + "/" + repo + "@" + repoID + ":" + r.context()
}
