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

// ClaimsFor derives the claims GitHub would put in a token for c.
func ClaimsFor(c Context, audience, issuer string, eventName string) map[string]any {
	if audience == "" {
		audience = inputs.DefaultAudience
	}
	if issuer == "" {
		issuer = DefaultIssuer
	}
	m := map[string]any{"iss": issuer, "aud": audience, "sub": Subject(c), "repository": c.Repository, "ref": c.Ref}
	if c.Environment != "" {
		m["environment"] = c.Environment
	}
	if eventName != "" {
		m["event_name"] = eventName
	}
	if c.JobWorkflowRef != "" {
		m["job_workflow_ref"] = c.JobWorkflowRef
	}
	return m
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
	case d.Allowed:
		fmt.Fprintf(&b, "ALLOWED by %s\n", name(d.Decider))
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
			if d.Decider == r.Statement {
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
		fmt.Fprintf(&b, "  %s does not apply: %s\n", name(r.Statement), r.Why)
	}
	if len(findings) > 0 {
		fmt.Fprintf(&b, "\n%d warning(s):\n", len(findings))
		for _, f := range findings {
			fmt.Fprintf(&b, "  %s\n", f)
		}
	}
	return b.String()
}
