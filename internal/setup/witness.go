package setup

import (
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

// namedRun reports whether a witness is one of the runs o asks the role to
// admit (Options.Admits: an OWNER/* role admits its owner's repositories
// by design). A witness whose sub is not in the default template's shape
// is no run o names.
func namedRun(w trust.Witness, o Options) bool {
	if w.Form != "legacy" && w.Form != "immutable" {
		return false
	}
	return o.Admits(w.Run)
}
