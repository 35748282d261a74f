package setup

import (
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/org/aws-oidc-go/internal/trust"
)

// The claims every token from GitHub.com carries (enterprise_id: a
// repository of an enterprise's) that setup's options never name. A sample
// run leaves them open; decided as unknown, a policy with a Deny on one of
// them (actor, say) would leave every sample UNDECIDED. So each is tried
// with one value the policy names, one it does not, and (enterprise_id)
// absent: the sample's verdict is what those runs get, and where they
// differ a note says when.
var unnamedClaims = []string{"actor", "actor_id", "workflow", "job_workflow_ref", "enterprise_id"}

// unnamedValue is a value of claim no policy is expected to name.
var unnamedValue = map[string]string{
	"actor":            "unnamed-actor",
	"actor_id":         "1000010",
	"workflow":         "unnamed workflow",
	"job_workflow_ref": "unnamed-owner/unnamed-repo/.github/workflows/unnamed.yml@refs/heads/unnamed",
	"enterprise_id":    "1000011",
}

// At most this many of the values a policy names are tried per claim, and
// at most this many combinations in all (beyond it, one claim at a time).
const (
	maxNamedValues  = 4
	maxCombinations = 64
)

type claimAxis struct {
	claim, key string
	values     []string // "" for absent (enterprise_id only); values[0] is the baseline
}

// Decide is the verdict on the run f under p, with the claims the run's
// facts leave open tried as above, and a note ("" when every variant
// agrees): "admitted only when actor is X", "denied when …".
func Decide(p *trust.Policy, account, issuer string, f trust.Run) (trust.Verdict, string) {
	claims, unknown, err := trust.ClaimsFor(f)
	if err != nil {
		return trust.Undecided, ""
	}
	base := trust.RequestFor(issuer, account, claims)
	maps.Copy(base.Unknown, unknown)
	if !strings.EqualFold(trust.ProviderOf(issuer), trust.GitHubProvider) {
		// Other issuers: AWS documents only aud and sub; nothing is tried.
		return trust.Evaluate(p, base).Verdict, ""
	}
	var axes []claimAxis
	for _, claim := range unnamedClaims {
		key := strings.ToLower(trust.GitHubProvider + ":" + claim)
		if _, open := base.Unknown[key]; !open {
			continue // the facts name it
		}
		named := policyValues(p, key)
		un := unnamedValue[claim]
		for slices.ContainsFunc(named, func(v string) bool { return strings.EqualFold(v, un) }) {
			un += "-2"
		}
		a := claimAxis{claim: claim, key: key}
		if claim == "enterprise_id" {
			a.values = append(a.values, "")
		}
		a.values = append(append(a.values, un), named...)
		axes = append(axes, a)
	}
	combos := combinations(axes)
	verdicts := make([]trust.Verdict, len(combos))
	for i, c := range combos {
		req := base
		req.Keys, req.Unknown = maps.Clone(base.Keys), maps.Clone(base.Unknown)
		for j, a := range axes {
			delete(req.Unknown, a.key)
			if v := a.values[c[j]]; v != "" {
				req.Keys[a.key] = []string{v}
			} else {
				delete(req.Keys, a.key)
			}
		}
		verdicts[i] = trust.Evaluate(p, req).Verdict
	}
	baseline := verdicts[0]
	all := baseline
	same := true
	for _, v := range verdicts {
		same = same && v == baseline
		switch {
		case v == trust.Allowed:
			all = trust.Allowed
		case v == trust.Undecided && all != trust.Allowed:
			all = trust.Undecided
		}
	}
	if same {
		return baseline, ""
	}
	return all, describe(axes, combos, verdicts)
}

// combinations are the index tuples into each axis's values: the baseline
// (all zeros) first, then every combination when there are few, else each
// claim's values one at a time with the others at the baseline.
func combinations(axes []claimAxis) [][]int {
	total := 1
	for _, a := range axes {
		total *= len(a.values)
		if total > maxCombinations {
			break
		}
	}
	out := [][]int{make([]int, len(axes))}
	if total <= maxCombinations {
		for n := 1; n < total; n++ {
			c := make([]int, len(axes))
			for j := range axes {
				c[j] = (n / stride(axes, j)) % len(axes[j].values)
			}
			out = append(out, c)
		}
		return out
	}
	for j, a := range axes {
		for i := 1; i < len(a.values); i++ {
			c := make([]int, len(axes))
			c[j] = i
			out = append(out, c)
		}
	}
	return out
}

func stride(axes []claimAxis, j int) int {
	s := 1
	for _, a := range axes[:j] {
		s *= len(a.values)
	}
	return s
}

// describe says in words which variants get another verdict than the
// baseline (every claim at a value the policy does not name, enterprise_id
// absent): the smallest sets of claims that make the difference.
func describe(axes []claimAxis, combos [][]int, verdicts []trust.Verdict) string {
	type variant struct {
		v     trust.Verdict
		diffs []int // axes off the baseline
		c     []int
	}
	var vs []variant
	for i, c := range combos {
		if verdicts[i] == verdicts[0] {
			continue
		}
		var d []int
		for j := range axes {
			if c[j] != 0 {
				d = append(d, j)
			}
		}
		vs = append(vs, variant{verdicts[i], d, c})
	}
	slices.SortStableFunc(vs, func(a, b variant) int { return len(a.diffs) - len(b.diffs) })
	var kept []variant
	for _, x := range vs {
		// A variant that only adds claims to a kept one of the same verdict
		// says nothing new.
		covered := slices.ContainsFunc(kept, func(k variant) bool {
			if k.v != x.v {
				return false
			}
			for _, j := range k.diffs {
				if x.c[j] != k.c[j] {
					return false
				}
			}
			return true
		})
		if !covered {
			kept = append(kept, x)
		}
	}
	byVerdict := map[trust.Verdict][]string{}
	for _, k := range kept {
		var parts []string
		for _, j := range k.diffs {
			a := axes[j]
			switch v := a.values[k.c[j]]; {
			case v == "":
				parts = append(parts, a.claim+" is absent")
			case a.claim == "enterprise_id" && a.values[0] == "":
				parts = append(parts, a.claim+" is "+quoteClaim(v)+" (a repository of that enterprise)")
			default:
				parts = append(parts, a.claim+" is "+quoteClaim(v))
			}
		}
		byVerdict[k.v] = append(byVerdict[k.v], strings.Join(parts, " and "))
	}
	var notes []string
	base := verdicts[0]
	for _, v := range []trust.Verdict{trust.Allowed, trust.Denied, trust.Undecided} {
		when := byVerdict[v]
		if len(when) == 0 {
			continue
		}
		if len(when) > 3 {
			when = append(when[:3:3], "…")
		}
		switch {
		case v == trust.Allowed && base != trust.Allowed:
			notes = append(notes, "admitted only when "+strings.Join(when, " or "))
		case v == trust.Allowed:
			notes = append(notes, "admitted when "+strings.Join(when, " or "))
		case v == trust.Denied:
			notes = append(notes, "denied when "+strings.Join(when, " or "))
		default:
			notes = append(notes, "undecided when "+strings.Join(when, " or "))
		}
	}
	if base != trust.Allowed && byVerdict[trust.Allowed] == nil {
		notes = append(notes, strings.ToLower(base.String())+" otherwise")
	}
	return strings.Join(notes, "; ")
}

// quoteClaim quotes a value taken from a policy: Go escapes, so no
// control character or line break reaches the plan.
func quoteClaim(v string) string { return strconv.Quote(v) }

// policyValues are the values p's conditions compare key with (lower
// case), each pattern as one concrete instance, at most maxNamedValues.
func policyValues(p *trust.Policy, key string) []string {
	var out []string
	if p == nil {
		return nil
	}
	for _, st := range p.Statements {
		for _, c := range st.Conditions {
			if strings.ToLower(c.Key) != key || strings.HasPrefix(c.Operator, "Null") {
				continue
			}
			for _, v := range c.Values {
				if v = trust.Instance(v); v != "" && !slices.Contains(out, v) && len(out) < maxNamedValues {
					out = append(out, v)
				}
			}
		}
	}
	return out
}
