package audit

import (
	"fmt"
	"slices"
	"strings"

	"github.com/org/aws-oidc-go/internal/trust"
)

// Severity says who can produce a token a role admits.
type Severity string

// The severities, worst first. Undecided: the verdict depends on a fact
// no witness or sample fixes (named in the finding); --fail-on counts it
// as high unless told otherwise.
const (
	Critical  Severity = "critical"
	High      Severity = "high"
	Medium    Severity = "medium"
	Low       Severity = "low"
	Undecided Severity = "undecided"
)

// rank orders severities for --fail-on and sorting; undecided ranks as
// undecidedAs.
func (s Severity) rank(undecidedAs Severity) int {
	switch s {
	case Critical:
		return 4
	case High:
		return 3
	case Medium:
		return 2
	case Low:
		return 1
	case Undecided:
		if undecidedAs == Undecided {
			return 3
		}
		return undecidedAs.rank(High)
	}
	return 0
}

// ParseSeverity reads a --fail-on or --undecided-as value: critical, high,
// medium, low or none ("" for none).
func ParseSeverity(flag, v string) (Severity, error) {
	switch s := Severity(strings.ToLower(v)); s {
	case Critical, High, Medium, Low:
		return s, nil
	case "none":
		return "", nil
	}
	return "", fmt.Errorf("%s %q: want critical, high, medium, low or none", flag, v)
}

// AtOrAbove reports whether s is at or above threshold ("" is none:
// nothing is), counting undecided as undecidedAs.
func (s Severity) AtOrAbove(threshold, undecidedAs Severity) bool {
	if threshold == "" || s == "" {
		return false
	}
	return s.rank(undecidedAs) >= threshold.rank(High) && s.rank(undecidedAs) > 0
}

// Kind is a finding's stable identifier (a SARIF rule id).
type Kind string

// The kinds of finding, each with one severity (see Kinds).
const (
	KindAnyone          Kind = "github-anyone"
	KindAnyAWSPrincipal Kind = "any-aws-principal"
	KindReusableOnly    Kind = "reusable-workflow-only"
	KindInstanceWide    Kind = "instance-wide"
	KindOwnerWide       Kind = "owner-wide"
	KindNameOnly        Kind = "name-only"
	KindUserOnly        Kind = "user-or-enterprise-only"
	KindForeignOwner    Kind = "foreign-owner"
	KindAnyBranch       Kind = "any-branch"
	KindPullRequest     Kind = "pull-request"
	KindEnvironment     Kind = "environment-unconfirmed"
	KindDefaultBranch   Kind = "default-branch-unpinned"
	KindAudNotPinned    Kind = "aud-not-pinned"
	KindLegacyOnly      Kind = "legacy-sub-only"
	KindUndecided       Kind = "undecided"
	KindUnreadable      Kind = "unreadable-policy"
)

// KindInfo describes a kind of finding, for the SARIF rules and the docs.
type KindInfo struct {
	Kind     Kind
	Severity Severity
	Title    string // one line
	Detail   string // what it means and why
	Help     string // what to do
}

// Kinds are every kind of finding, worst first.
var Kinds = []KindInfo{
	{KindAnyAWSPrincipal, Critical, "Any AWS principal can assume the role", "An Allow statement grants sts:AssumeRole to Principal \"*\" with no condition an arbitrary AWS principal fails: any AWS account can assume the role, GitHub or not.", "Name the principals the role is for; for GitHub Actions use the OIDC provider as a Federated principal and sts:AssumeRoleWithWebIdentity."},
	{KindAnyone, Critical, "Anyone on GitHub.com can assume the role", "The trust engine admits a run whose owner, repository and ref are all ones a stranger chooses: anyone can create an account and a repository and run a workflow (an aud-only condition, a sub of repo:* or repo:org*, a missing sub, a ForAllValues: or StringNot-only condition, a wildcard principal, or a customized sub template strangers set for their own repositories).", "Pin the repository by id and the runs it serves."},
	{KindReusableOnly, Undecided, "Pinned only by a reusable workflow", "The role is pinned only by job_workflow_ref: any repository whose workflow calls that reusable workflow is admitted. When the workflow's repository is public (or its access settings let others call it), that is anyone on GitHub.com (critical); the audit cannot tell from IAM.", "Pin repository_id (or the owner's id) as well as job_workflow_ref."},
	{KindInstanceWide, High, "Any user of the GitHub instance or enterprise can assume the role", "As critical, but the issuer is a GitHub Enterprise Server, a ghe.com subdomain or an enterprise-customized issuer: the strangers are that instance's or enterprise's users.", "Pin the repository by id and the runs it serves."},
	{KindOwnerWide, High, "Any repository of a named owner can assume the role", "Every repository of the owner is admitted, those created later included, and every member who can create or write to one of them.", "Name the repositories (one statement per repository, each with its repository_id), or accept it knowingly with the owner pinned by id (repo:OWNER@OWNER_ID/*)."},
	{KindNameOnly, High, "The repository or owner is pinned by name only", "The role admits a run of the named repository with ids it does not know: GitHub frees the names of renamed and deleted repositories and accounts to anyone, who then gets tokens with that name.", "Pin repository_id (and the immutable sub, repo:OWNER@ID/REPO@ID:...)."},
	{KindUserOnly, High, "Pinned only by a user or an enterprise", "The role admits any repository of the named actor, or any repository in the named enterprise.", "Pin the repository by id as well."},
	{KindForeignOwner, High, "The role admits an owner the account does not serve", "A run of an owner other than those given with --owner is admitted.", "Remove the statement, or add the owner to --owner if it is yours."},
	{KindAnyBranch, Medium, "Any writer of the repository can assume the role", "Any branch (or environment, or tag) of the named repository is admitted: anyone who can push a branch can run a workflow with the role.", "Pin the ref or the environment the role serves."},
	{KindPullRequest, Medium, "Pull request runs can assume the role", "pull_request runs are admitted. Fork pull requests get no ID token, so this is any writer of the repository; in a private repository that sends write tokens to fork pull requests it is high.", "Admit pull requests only for roles that need nothing a writer should not have."},
	{KindEnvironment, Medium, "An environment pin not confirmed by protection rules", "The role is pinned to a deployment environment: as strong as the environment's protection rules (required reviewers, deployment branches), which the audit cannot read from IAM.", "Check the environment's protection rules, and pin job_workflow_ref."},
	{KindDefaultBranch, Medium, "The default branch without a job_workflow_ref pin", "Runs on main or master are admitted whatever workflow runs: outsiders trigger issue_comment and workflow_run runs there.", "Pin job_workflow_ref to the workflow that deploys (--job-workflow-ref)."},
	{KindAudNotPinned, Low, "The audience is not pinned", "The statement admits tokens minted for any audience the provider accepts.", "Add \"StringEquals\": {\"PROVIDER:aud\": \"sts.amazonaws.com\"}."},
	{KindLegacyOnly, Low, "Legacy sub only, without repository_id", "The repository is named in the legacy sub form and not pinned by repository_id.", "Pin repository_id and accept the immutable sub."},
	{KindUndecided, Undecided, "The verdict depends on a fact no sample fixes", "A witness of the statement is neither allowed nor denied: a policy variable, an operator the engine does not implement, or a key STS may not evaluate for this issuer decides it. Counted as high for --fail-on unless --undecided-as says otherwise.", "Remove what leaves it open (named in the finding), or check it by hand."},
	{KindUnreadable, Undecided, "The trust policy could not be read", "The document is over the size the checker reads, not valid UTF-8, or not a policy: nothing about it was decided.", "Read it with aws iam get-role and correct it."},
}

// Info returns the description of a kind.
func (k Kind) Info() KindInfo {
	for _, i := range Kinds {
		if i.Kind == k {
			return i
		}
	}
	return KindInfo{Kind: k, Severity: Undecided, Title: string(k)}
}

// Finding is one evaluated finding about a role.
type Finding struct {
	Kind      Kind     `json:"kind"`
	Severity  Severity `json:"severity"`
	Provider  string   `json:"provider,omitempty"` // the issuer
	Statement int      `json:"statement"`          // -1: the whole policy
	Message   string   `json:"message"`
	// Witness is the run the engine ALLOWS (for an undecided finding, the
	// run it could not decide).
	Witness *WitnessRun `json:"witness,omitempty"`
	Fix     string      `json:"fix"`
}

// WitnessRun is a witness run as a finding carries it.
type WitnessRun struct {
	Form    string         `json:"sub_form"`
	Verdict string         `json:"verdict"`
	Claims  map[string]any `json:"claims"`
	// ChosenByRunner are the claims the statement does not name verbatim:
	// whoever runs the workflow chooses them.
	ChosenByRunner []string `json:"chosen_by_runner"`
}

// Brief is the run on one line: sub and the claims a condition may test.
func (r *WitnessRun) Brief() string {
	if r == nil {
		return ""
	}
	var b strings.Builder
	fmt.Fprintf(&b, "sub %q", r.Claims["sub"])
	for _, k := range []string{"repository_id", "environment", "job_workflow_ref", "aud"} {
		if v, ok := r.Claims[k].(string); ok {
			fmt.Fprintf(&b, ", %s %q", k, v)
		}
	}
	return b.String()
}

func runOf(w trust.Witness, v trust.Verdict) *WitnessRun {
	return &WitnessRun{Form: w.Form, Verdict: v.String(), Claims: w.Claims, ChosenByRunner: w.Filled}
}

// reaches reports whether a statement's principal names this provider of
// this account (or is a wildcard).
func reaches(st *trust.Statement, prov Provider) bool {
	if st.Principal == nil {
		return false
	}
	return st.Principal.Any || slices.Contains(st.Principal.Federated, prov.ARN)
}

// maxRoleSteps bounds the comparison work spent on one role and provider
// (a hostile document cannot hold the audit up: what is left undecided is
// reported).
const maxRoleSteps = 4 * trust.MaxMatchSteps

// classify evaluates the witnesses of one provider against the whole
// policy and turns each admitted one into findings. reachable is false
// when no statement names this provider of this account.
func classify(p *trust.Policy, prov Provider, account string, ws []trust.Witness, o Options) ([]Finding, bool) {
	var out []Finding
	reachable := false
	steps := 0
	ws = append(ws, samples(p, prov)...)
	for _, w := range ws {
		st := &p.Statements[w.Statement]
		if !reaches(st, prov) {
			continue
		}
		reachable = true
		if steps > maxRoleSteps {
			out = append(out, Finding{Kind: KindUndecided, Severity: Undecided, Provider: prov.Issuer, Statement: w.Statement,
				Message: fmt.Sprintf("statement %d: evaluating this policy took more than %d comparison steps; the rest was not decided", w.Statement, maxRoleSteps),
				Fix:     KindUndecided.Info().Help})
			break
		}
		if a, _ := w.Claims["aud"].(string); w.IsFilled("aud") && len(prov.Audiences) > 0 && !slices.Contains(prov.Audiences, a) {
			// STS takes only the provider's client ids as audiences.
			w.Claims["aud"] = prov.Audiences[0]
		}
		d := trust.Evaluate(p, w.Request(account))
		steps += d.Steps
		switch d.Verdict {
		case trust.Allowed:
			out = append(out, allowedFindings(p, prov, account, w, o)...)
		case trust.Undecided:
			var why []string
			if d.Exhausted {
				why = append(why, d.Unhandled...)
			}
			why = append(why, d.Reasons...)
			if len(d.Deciding) > 0 {
				why = append(why, "keys STS may not evaluate for this issuer: "+strings.Join(d.Deciding, "; "))
			}
			out = append(out, Finding{Kind: KindUndecided, Severity: Undecided, Provider: prov.Issuer, Statement: w.Statement,
				Message: fmt.Sprintf("statement %d: the witness is UNDECIDED: %s", w.Statement, strings.Join(why, "; ")),
				Witness: runOf(w, d.Verdict), Fix: KindUndecided.Info().Help})
		}
	}
	return out, reachable
}

// allowedFindings are the findings one admitted witness proves.
func allowedFindings(p *trust.Policy, prov Provider, account string, w trust.Witness, o Options) []Finding {
	named := func(k string) bool { _, ok := w.Claims[k]; return ok && !w.IsFilled(k) }
	run := runOf(w, trust.Allowed)
	var out []Finding
	add := func(k Kind, msg string) {
		out = append(out, Finding{Kind: k, Severity: k.Info().Severity, Provider: prov.Issuer, Statement: w.Statement,
			Message: fmt.Sprintf("statement %d: %s", w.Statement, msg), Witness: run, Fix: fixFor(k, prov, account, w)})
	}
	if w.Form == "custom" && !producible(w.Sub()) {
		return nil // no GitHub token carries such a sub
	}
	if w.Form == "custom" && !w.IsFilled("sub") {
		if strings.ContainsAny(w.Sub(), "*?") {
			return nil // an Equals value with * or ?: no token carries it
		}
		return []Finding{{Kind: KindUndecided, Severity: Undecided, Provider: prov.Issuer, Statement: w.Statement,
			Message: fmt.Sprintf("statement %d: sub %q is not in the default template's shape: who can produce it depends on the customized sub template of the owner it names, which IAM does not show", w.Statement, w.Sub()),
			Witness: run, Fix: KindUndecided.Info().Help}}
	}
	ownerNamed := named("repository_owner") || named("repository_owner_id") || named("repository") || named("repository_id")
	repoNamed := named("repository") || named("repository_id")
	identity := named("actor") || named("actor_id") || named("enterprise_id")
	owner, repo := w.Run.Owner(), w.Run.Repository
	if !named("repository") {
		repo = "the repository with id " + w.Run.RepositoryID
	}
	switch {
	case !ownerNamed && !identity && !named("job_workflow_ref"):
		what := "a run whose owner, repository and ref a stranger chooses is admitted"
		if w.Form == "custom" {
			what = "a sub in a customized template's shape is admitted, with values a stranger chooses for their own repositories"
		}
		if prov.Kind == "github.com" {
			add(KindAnyone, what+": anyone on GitHub.com can assume this role")
		} else {
			add(KindInstanceWide, what+": any user of "+prov.Issuer+" ("+prov.Kind+") can assume this role")
		}
		return out
	case !ownerNamed && !identity:
		if prov.Kind == "github.com" {
			add(KindReusableOnly, fmt.Sprintf("only job_workflow_ref %q pins the run: any repository that calls that workflow is admitted; critical when it can be called from any repository (a public repository's can), which IAM does not say", w.Run.JobWorkflowRef))
		} else {
			add(KindInstanceWide, fmt.Sprintf("only job_workflow_ref %q pins the run: any repository on %s that calls it is admitted", w.Run.JobWorkflowRef, prov.Issuer))
		}
		return out
	case !ownerNamed:
		add(KindUserOnly, "no repository or owner is pinned, only the actor or the enterprise: any repository of theirs is admitted")
		return out
	}
	if len(o.Owners) > 0 && named("repository_owner") && !slices.ContainsFunc(o.Owners, func(s string) bool { return strings.EqualFold(s, owner) }) {
		add(KindForeignOwner, fmt.Sprintf("runs of %s are admitted, which is not one of the owners given (--owner %s)", owner, strings.Join(o.Owners, ", ")))
	}
	if !repoNamed {
		add(KindOwnerWide, fmt.Sprintf("any repository of %s is admitted (those created later too)", owner))
		return out
	}
	switch {
	case !named("repository_id") && w.Form != "legacy":
		add(KindNameOnly, fmt.Sprintf("%s is admitted with ids the policy does not name (%s): a renamed or deleted name taken again by someone else matches", repo, strings.TrimPrefix(w.Sub(), "repo:")))
	case !named("repository_id"):
		add(KindLegacyOnly, fmt.Sprintf("%s is pinned by the legacy sub only, without repository_id", repo))
	}
	env, hasEnv := w.Claims["environment"].(string)
	switch {
	case hasEnv && w.IsFilled("environment"):
		add(KindAnyBranch, fmt.Sprintf("any environment of %s is admitted", repo))
	case hasEnv:
		add(KindEnvironment, fmt.Sprintf("environment %q of %s is admitted: as strong as its protection rules, which IAM does not show", env, repo))
	case w.Run.PullRequest():
		add(KindPullRequest, fmt.Sprintf("pull_request runs of %s are admitted", repo))
	case w.IsFilled("ref"):
		add(KindAnyBranch, fmt.Sprintf("any branch of %s is admitted (here %s)", repo, w.Run.Ref))
	case (w.Run.Ref == "refs/heads/main" || w.Run.Ref == "refs/heads/master") && !named("job_workflow_ref"):
		add(KindDefaultBranch, fmt.Sprintf("%s of %s is admitted whatever workflow runs there", w.Run.Ref, repo))
	}
	// The audience: the same run with an audience nobody named.
	other := trust.Witness{Statement: w.Statement, Form: w.Form, Claims: map[string]any{}, Run: w.Run, Filled: w.Filled}
	other.Run.Audience = "unnamed-audience"
	for k, v := range w.Claims {
		other.Claims[k] = v
	}
	other.Claims["aud"] = "unnamed-audience"
	if trust.Evaluate(p, other.Request(account)).Verdict == trust.Allowed {
		run = runOf(other, trust.Allowed)
		add(KindAudNotPinned, "a token minted for any audience the provider accepts is admitted (aud is not pinned)")
	}
	return out
}

// fixFor is the fix of a finding: for the kinds that pin a repository,
// the trust-policy generate command for what the role evidently serves
// (its named repository, ids, ref or environment), placeholders for what
// cannot be told.
func fixFor(k Kind, prov Provider, account string, w trust.Witness) string {
	switch k {
	case KindAudNotPinned:
		return fmt.Sprintf(`add "StringEquals": {"%s:aud": "sts.amazonaws.com"}`, strings.TrimPrefix(prov.Issuer, "https://"))
	case KindForeignOwner:
		return KindForeignOwner.Info().Help
	}
	named := func(k string) bool { _, ok := w.Claims[k]; return ok && !w.IsFilled(k) }
	repo, repoID, ownerID := "OWNER/REPO", "REPOSITORY_ID", "OWNER_ID"
	if named("repository") {
		repo = w.Run.Repository
	}
	if named("repository_id") {
		repoID = w.Run.RepositoryID
	}
	if named("repository_owner_id") {
		ownerID = w.Run.OwnerID
	}
	var run string
	env, hasEnv := w.Claims["environment"].(string)
	switch ref := w.Run.Ref; {
	case hasEnv && named("environment"):
		run = "--environment " + shellQuote(env)
	case strings.HasPrefix(ref, "refs/heads/") && named("ref"):
		run = "--branch " + shellQuote(strings.TrimPrefix(ref, "refs/heads/"))
	case strings.HasPrefix(ref, "refs/tags/") && named("ref"):
		run = "--tag " + shellQuote(strings.TrimPrefix(ref, "refs/tags/"))
	default:
		run = "--branch BRANCH"
	}
	cmd := fmt.Sprintf("aws-oidc-go trust-policy generate --account-id %s --repository %s %s --repository-id %s --owner-id %s", account, shellQuote(repo), run, repoID, ownerID)
	if named("job_workflow_ref") {
		cmd += " --job-workflow-ref " + shellQuote(w.Run.JobWorkflowRef)
	} else if k == KindDefaultBranch {
		cmd += " --job-workflow-ref " + shellQuote(repo+"/.github/workflows/WORKFLOW.yml@"+w.Run.Ref)
	}
	if prov.Issuer != trust.DefaultIssuer {
		cmd += " --issuer " + prov.Issuer
	}
	return k.Info().Help + " The tightest policy for what the role evidently serves: " + cmd
}

// shellQuote quotes a value for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./@:") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// maxSampleDenies bounds the Deny statements samples are made from.
const maxSampleDenies = 8

// samples are further runs for the Allow statements that reach prov: each
// Allow's conditions together with what a Deny spares (its negated string
// tests turned positive), one Deny at a time and all together. A Deny that
// refuses the witnesses (StringNotEquals repository_id, say) still lets
// the runs it spares through, and those are what the role admits.
func samples(p *trust.Policy, prov Provider) []trust.Witness {
	var spared [][]trust.Condition
	var all []trust.Condition
	for i := range p.Statements {
		st := &p.Statements[i]
		if st.Effect != "Deny" || len(spared) == maxSampleDenies {
			continue
		}
		var conds []trust.Condition
		for _, c := range st.Conditions {
			set, op := "", c.Operator
			if a, b, ok := strings.Cut(op, ":"); ok {
				set, op = a+":", b
			}
			if !strings.HasPrefix(op, "StringNot") {
				continue
			}
			conds = append(conds, trust.Condition{Operator: set + "String" + strings.TrimPrefix(op, "StringNot"), Key: c.Key, Values: c.Values})
		}
		if len(conds) > 0 {
			spared = append(spared, conds)
			all = append(all, conds...)
		}
	}
	if len(spared) == 0 {
		return nil
	}
	if len(spared) > 1 {
		spared = append(spared, all)
	}
	var out []trust.Witness
	for i := range p.Statements {
		st := p.Statements[i]
		if st.Effect != "Allow" || !reaches(&st, prov) {
			continue
		}
		for _, conds := range spared {
			merged := st
			merged.Conditions = append(append([]trust.Condition{}, conds...), st.Conditions...)
			out = append(out, trust.Witnesses(&trust.Policy{Version: p.Version, Statements: []trust.Statement{merged}}, prov.Issuer)...)
			if len(out) >= trust.MaxWitnesses {
				return out[:trust.MaxWitnesses]
			}
		}
	}
	return out
}

// producible reports whether a sub outside the default template's shape
// could still come from GitHub: one that starts as the default template
// does ("repo:") must name an owner (and repository) in GitHub's alphabet.
func producible(sub string) bool {
	rest, ok := strings.CutPrefix(sub, "repo:")
	if !ok {
		return true
	}
	seg, _, _ := strings.Cut(rest, ":")
	return seg != "" && strings.Trim(seg, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.@/") == ""
}
