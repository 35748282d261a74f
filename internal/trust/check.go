package trust

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/org/aws-oidc-go/internal/inputs"
)

// ParseClaims reads a claims JSON object (a decoded ID token payload).
func ParseClaims(b []byte) (map[string]any, error) {
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil || m == nil {
		return nil, errors.New("claims must be a JSON object such as the payload of a GitHub ID token")
	}
	if _, ok := m["sub"].(string); !ok {
		return nil, errors.New(`claims have no "sub" string`)
	}
	return m, nil
}

// Facts are what the check command is told about a run instead of a real
// token's claims (flags). Empty fields are not given.
type Facts struct {
	Repository     string // OWNER/REPO (required)
	Ref            string // required
	Environment    string // a job without an environment when empty
	EventName      string // pull_request makes sub ...:pull_request
	RepositoryID   string
	OwnerID        string
	Actor          string
	ActorID        string
	Workflow       string
	JobWorkflowRef string
	EnterpriseID   string
	// SubFormat is the form of sub: legacy (repo:OWNER/REPO:...) or
	// immutable (repo:OWNER@ID/REPO@ID:..., needs OwnerID and RepositoryID).
	SubFormat string
	Audience  string
	Issuer    string
}

// Flags that decide each condition key a run's facts can leave unknown.
var decidingFlag = map[string]string{
	"repository_id": "--repository-id", "actor": "--actor", "actor_id": "--actor-id",
	"workflow": "--workflow", "job_workflow_ref": "--job-workflow-ref", "enterprise_id": "--enterprise-id",
}

// ClaimsFor derives the claims GitHub would put in a token for the facts,
// and the condition keys they leave unknown (lower case, with the flag
// that would decide each). A job's environment and the event are taken as
// given: not given means none.
func ClaimsFor(f Facts) (map[string]any, map[string]string, error) {
	if f.Audience == "" {
		f.Audience = inputs.DefaultAudience
	}
	if f.Issuer == "" {
		f.Issuer = DefaultIssuer
	}
	c := Context{Repository: f.Repository, Ref: f.Ref, Environment: f.Environment, PullRequest: f.EventName == "pull_request"}
	var sub string
	switch f.SubFormat {
	case "", "legacy":
		sub = Subject(c)
	case "immutable":
		if f.OwnerID == "" || f.RepositoryID == "" {
			return nil, nil, errors.New("--sub-format immutable needs --owner-id and --repository-id (the subject carries both)")
		}
		sub = ImmutableSubject(c, f.OwnerID, f.RepositoryID)
	default:
		return nil, nil, fmt.Errorf("--sub-format %q: want legacy or immutable", f.SubFormat)
	}
	m := map[string]any{"iss": f.Issuer, "aud": f.Audience, "sub": sub, "repository": f.Repository, "ref": f.Ref}
	given := map[string]string{
		"environment": f.Environment, "event_name": f.EventName, "repository_id": f.RepositoryID, "repository_owner_id": f.OwnerID,
		"actor": f.Actor, "actor_id": f.ActorID, "workflow": f.Workflow, "job_workflow_ref": f.JobWorkflowRef, "enterprise_id": f.EnterpriseID,
	}
	for k, v := range given {
		if v != "" {
			m[k] = v
		}
	}
	unknown := map[string]string{}
	provider := ProviderOf(f.Issuer)
	for claim, flag := range decidingFlag {
		if given[claim] == "" {
			unknown[strings.ToLower(provider+":"+claim)] = flag
		}
	}
	return m, unknown, nil
}

// Report renders a decision and the lint findings for a person.
func Report(d Decision, req Request, findings []Finding) string {
	var b strings.Builder
	name := func(st *Statement) string {
		if st.Sid != "" {
			return fmt.Sprintf("statement %d (Sid %q, %s)", st.Index, st.Sid, st.Effect)
		}
		return fmt.Sprintf("statement %d (%s)", st.Index, st.Effect)
	}
	switch {
	case d.Verdict == Allowed:
		fmt.Fprintf(&b, "ALLOWED by %s\n", name(d.Decider))
	case d.Verdict == Undecided:
		fmt.Fprintf(&b, "UNDECIDED: the verdict depends on condition keys these facts leave open; decide it with %s\n", strings.Join(d.Deciding, ", "))
	case d.Decider != nil:
		fmt.Fprintf(&b, "DENIED by %s: an explicit Deny wins over any Allow\n", name(d.Decider))
	default:
		fmt.Fprintf(&b, "DENIED: no statement allows %s for this run\n", req.Action)
	}
	keys := make([]string, 0, len(req.Keys))
	for k := range req.Keys {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(&b, "  request %s = %s\n", k, quoteList(req.Keys[k]))
	}
	for _, r := range d.Results {
		if r.Applies {
			if d.Decider == r.Statement || d.Verdict == Undecided {
				var conds []string
				for _, c := range r.Statement.Conditions {
					conds = append(conds, c.Operator+" "+c.Key+" "+quoteList(c.Values))
				}
				if len(conds) == 0 {
					conds = []string{"no conditions"}
				}
				fmt.Fprintf(&b, "  %s applies: %s\n", name(r.Statement), strings.Join(conds, "; "))
			}
			continue
		}
		if r.Unknown {
			fmt.Fprintf(&b, "  %s may apply: %s\n", name(r.Statement), r.Why)
			continue
		}
		fmt.Fprintf(&b, "  %s does not apply: %s\n", name(r.Statement), r.Why)
	}
	if len(findings) > 0 {
		fmt.Fprintf(&b, "\n%d finding(s):\n", len(findings))
		for _, f := range findings {
			fmt.Fprintf(&b, "  %s\n", f)
		}
	}
	return b.String()
}
