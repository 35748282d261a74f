package trust

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/org/aws-oidc-go/internal/inputs"
	"github.com/org/aws-oidc-go/internal/runner"
)

// ParseClaims reads a claims JSON object (a decoded ID token payload) of
// at most MaxClaimsBytes, valid UTF-8 (a *TooLargeError otherwise).
func ParseClaims(b []byte) (map[string]any, error) {
	if len(b) > MaxClaimsBytes {
		return nil, &TooLargeError{What: "claims", Limit: MaxClaimsBytes}
	}
	if err := checkText(b); err != nil {
		return nil, fmt.Errorf("claims: %w", err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil || m == nil {
		return nil, errors.New("claims must be a JSON object such as the payload of a GitHub ID token")
	}
	if _, ok := m["sub"].(string); !ok {
		return nil, errors.New(`claims have no "sub" string`)
	}
	return m, nil
}

// Flags that decide each condition key a run's facts can leave unknown.
var decidingFlag = map[string]string{
	"repository_id": "--repository-id", "actor": "--actor", "actor_id": "--actor-id",
	"workflow": "--workflow", "job_workflow_ref": "--job-workflow-ref", "enterprise_id": "--enterprise-id",
}

// ClaimsFor derives the claims GitHub would put in a token for the run
// (check's flags describe one instead of a real token's claims), and the
// condition keys it leaves unknown (lower case, with the flag that would
// decide each). A job's environment and the event are taken as given: not
// given means none.
func ClaimsFor(f Run) (map[string]any, map[string]string, error) {
	if err := f.Validate(); err != nil {
		return nil, nil, err
	}
	if f.Audience == "" {
		f.Audience = inputs.DefaultAudience
	}
	if f.Issuer == "" {
		f.Issuer = DefaultIssuer
	}
	var sub string
	switch f.SubFormat {
	case "", "legacy":
		sub = Subject(f)
	case "immutable":
		if f.OwnerID == "" || f.RepositoryID == "" {
			return nil, nil, errors.New("--sub-format immutable needs --owner-id and --repository-id (the subject carries both)")
		}
		sub = ImmutableSubject(f, f.OwnerID, f.RepositoryID)
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

// Validate refuses a field given as a flag longer than MaxFactBytes
// (checked first, so a huge argument is never quoted back) or not valid
// UTF-8 (two different invalid strings must not compare equal), naming the
// flag. ClaimsFor checks its run; a check from a claims file calls it for
// the flags it still takes (--audience, --issuer).
func (f Run) Validate() error {
	for _, fact := range [...]struct{ flag, v string }{
		{"--repository", f.Repository}, {"--ref", f.Ref}, {"--environment", f.Environment}, {"--event-name", f.EventName},
		{"--repository-id", f.RepositoryID}, {"--owner-id", f.OwnerID}, {"--actor", f.Actor}, {"--actor-id", f.ActorID},
		{"--workflow", f.Workflow}, {"--job-workflow-ref", f.JobWorkflowRef}, {"--enterprise-id", f.EnterpriseID},
		{"--sub-format", f.SubFormat}, {"--audience", f.Audience}, {"--issuer", f.Issuer},
	} {
		switch {
		case len(fact.v) > MaxFactBytes:
			return fmt.Errorf("%s is %d bytes long; at most %d are allowed", fact.flag, len(fact.v), MaxFactBytes)
		case !utf8.ValidString(fact.v):
			return fmt.Errorf("%s %q is not valid UTF-8", fact.flag, fact.v)
		}
	}
	return nil
}

// Report renders a decision and the lint findings for a person. Every
// line is rendered by runner.Visible, as the action's log does: keys,
// operators and the issuer come from the policy and the claims, and none
// can break a line, start a workflow command or send a terminal escape.
// (Values are quoted, and so already on one line.)
func Report(d Decision, req Request, findings []Finding) string {
	var b strings.Builder
	line := func(format string, args ...any) {
		b.WriteString(runner.Visible(fmt.Sprintf(format, args...)))
		b.WriteByte('\n')
	}
	name := func(st *Statement) string {
		if st.Sid != "" {
			return fmt.Sprintf("statement %d (Sid %q, %s)", st.Index, st.Sid, st.Effect)
		}
		return fmt.Sprintf("statement %d (%s)", st.Index, st.Effect)
	}
	switch {
	case d.Exhausted:
		line("UNSUPPORTED: comparing these claims with the policy's values needs more than %d steps (a policy IAM accepts, against a real token, needs about a million at most); nothing was decided", MaxMatchSteps)
		return b.String()
	case d.Verdict == Allowed:
		line("ALLOWED by %s", name(d.Decider))
	case d.Verdict == Undecided:
		var open []string
		if len(d.Reasons) > 0 {
			open = append(open, strings.Join(d.Reasons, "; "))
		}
		if len(d.Deciding) > 0 {
			open = append(open, "the verdict depends on condition keys these facts leave open; decide it with "+strings.Join(d.Deciding, ", "))
		}
		line("UNDECIDED: %s", strings.Join(open, "; and "))
	case d.Decider != nil:
		line("DENIED by %s: an explicit Deny wins over any Allow", name(d.Decider))
	default:
		line("DENIED: no statement allows %s for this run", req.Action)
	}
	keys := make([]string, 0, len(req.Keys))
	for k := range req.Keys {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		line("  request %s = %s", k, quoteList(req.Keys[k]))
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
				line("  %s applies: %s", name(r.Statement), strings.Join(conds, "; "))
			}
			continue
		}
		if r.Unknown {
			line("  %s may apply: %s", name(r.Statement), r.Why)
			continue
		}
		line("  %s does not apply: %s", name(r.Statement), r.Why)
	}
	if len(findings) > 0 {
		fmt.Fprintf(&b, "\n%d finding(s):\n", len(findings))
		// Finding.String renders its message and fix with runner.Visible.
		for _, f := range findings {
			fmt.Fprintf(&b, "  %s\n", f)
		}
	}
	return b.String()
}
