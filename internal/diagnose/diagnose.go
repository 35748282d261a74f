// Package diagnose turns failures into advice: what most likely went wrong
// and the exact change that fixes it. All advice lives here, so every path
// that can hit the same failure says the same thing.
package diagnose

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/org/aws-oidc-go/internal/config"
	"github.com/org/aws-oidc-go/internal/exchange"
	"github.com/org/aws-oidc-go/internal/inputs"
	"github.com/org/aws-oidc-go/internal/token"
	"github.com/org/aws-oidc-go/internal/trust"
)

// GitHubIssuer is the issuer of GitHub.com's Actions ID tokens.
const GitHubIssuer = trust.DefaultIssuer

// Context is what is known about the run when it failed.
type Context struct {
	RoleARN  string
	Region   string
	Audience string
	Mode     config.Mode
	// Claims of the last ID token, when one was obtained (never the token).
	Claims *token.Claims
}

// Diagnosis explains a failure.
type Diagnosis struct {
	// Advice goes into the error annotation: the likeliest cause and the fix.
	Advice []string
	// Details is a longer block for the log — the token's claims and the
	// trust-policy condition that would match. It holds user-controlled
	// values (branch, workflow and environment names), so it must be printed
	// with workflow commands stopped.
	Details []string
}

// Diagnose explains err. It never looks at secrets: only error codes and
// messages and the token's claims.
func Diagnose(err error, c Context) Diagnosis {
	if errors.Is(err, token.ErrNoIDTokenPermission) {
		return Diagnosis{Advice: NoTokenAdvice()}
	}
	issuer := GitHubIssuer
	if c.Claims != nil && c.Claims.Issuer != "" {
		issuer = c.Claims.Issuer
	}
	provider := trust.ProviderOf(issuer)
	var status *token.StatusError
	if errors.As(err, &status) {
		switch {
		case status.StatusCode == 401 || status.StatusCode == 403:
			return Diagnosis{Advice: []string{"GitHub refused the request token. It is valid for the job that received it only; do not pass ACTIONS_ID_TOKEN_REQUEST_TOKEN between jobs."}}
		case status.StatusCode < 500 && status.StatusCode != 429:
			return Diagnosis{Advice: []string{"GitHub rejected the token request; check that the audience input is a plain string such as sts.amazonaws.com."}}
		}
	}

	code := exchange.ErrorCode(err)
	msg := strings.ToLower(errMessage(err))
	switch {
	case strings.Contains(msg, "no openidconnect provider found"):
		return Diagnosis{Advice: []string{
			"The account has no IAM OIDC identity provider for " + issuer + ". Create it once per account:",
			"  " + trust.ProviderCommand(issuer, orDefault(c.Audience)),
		}}
	case strings.Contains(msg, "incorrect token audience"):
		return Diagnosis{Advice: []string{
			fmt.Sprintf("The ID token was requested for audience %q, which the account's OIDC provider for %s does not list.", c.Audience, issuer),
			fmt.Sprintf("Either add it: aws iam add-client-id-to-open-id-connect-provider --open-id-connect-provider-arn arn:%s:iam::%s:oidc-provider/%s --client-id %s", config.ARNPartition(c.RoleARN), config.ARNAccount(c.RoleARN, "<ACCOUNT_ID>"), provider, orDefault(c.Audience)),
			"or set the audience input to a client id the provider lists (default sts.amazonaws.com).",
		}}
	case code == "AccessDenied" && strings.Contains(msg, "sts:assumerole") && !strings.Contains(msg, "assumerolewithwebidentity"):
		return Diagnosis{Advice: []string{"The role's trust policy does not let the source credentials (" + c.Mode.String() + ") assume it, or the role-external-id does not match. Check the Principal and any sts:ExternalId and aws:RequestTag conditions, and that the policy allows sts:TagSession when session tags are sent (role-skip-session-tagging turns them off)."}}
	case code == "AccessDenied" && strings.Contains(msg, "assumerolewithwebidentity"):
		return accessDenied(c, issuer)
	case code == "RegionDisabledException":
		return Diagnosis{Advice: []string{fmt.Sprintf("STS is not active in %s for this account. Activate the region (IAM → Account settings → Security Token Service) or use another aws-region.", c.Region)}}
	case code == "ExpiredTokenException":
		return Diagnosis{Advice: expiredAdvice(c)}
	case code == "InvalidIdentityToken":
		return Diagnosis{Advice: []string{"STS rejected the ID token. Check that the provider URL in IAM is exactly " + issuer + " (lower case, no trailing slash)."}}
	case code == "MalformedPolicyDocument" || code == "PackedPolicyTooLarge":
		return Diagnosis{Advice: []string{"Fix inline-session-policy / managed-session-policies: STS refused the session policy."}}
	}

	var ae *exchange.AttemptsError
	if errors.As(err, &ae) && ae.Retryable {
		return Diagnosis{Advice: []string{fmt.Sprintf("This is a transient failure and it persisted for %d attempts. Raise retry-max-attempts, or check the network path (proxy, firewall, DNS) to GitHub and STS.", ae.Attempts)}}
	}
	return Diagnosis{}
}

// expiredAdvice explains ExpiredTokenException: the token's issuer sets
// its exp and STS checks it against its own clock, so this machine's clock
// plays no part; what is left is a token held too long before the
// exchange, or an issuer whose clock is off.
func expiredAdvice(c Context) []string {
	out := []string{"STS found the web identity token expired: its issuer sets exp, and STS checks it against its own clock; this runner's clock plays no part."}
	switch c.Mode {
	case config.ModeTokenFile:
		out = append(out, "The web-identity-token-file is read again for each attempt, so the token in it had expired: it was written too long before this step (a slow step in between, a job that waited in a queue) or by an issuer whose clock is off. Write the file right before this step.")
	default:
		out = append(out, "After STS calls a token expired the action asks GitHub for a fresh one, so a persistent failure means fresh tokens were already expired when STS checked them: the token service's clock is off (on GitHub Enterprise Server, check the server's time), or the exchange ran long after the fetch (a proxy or network that holds requests).")
	}
	// The claims come from outside: a lifetime is shown only when it is
	// one (positive, at most a day), so the arithmetic cannot overflow.
	if cl := c.Claims; cl != nil && cl.IssuedAt > 0 && cl.ExpiresAt > cl.IssuedAt && cl.ExpiresAt-cl.IssuedAt <= 86400 {
		out = append(out, fmt.Sprintf("The last token was issued for %s (exp - iat).", time.Duration(cl.ExpiresAt-cl.IssuedAt)*time.Second))
	}
	return out
}

// otherClaims are claims people write conditions on that STS does not
// evaluate, printed so a policy testing them can be recognised.
var otherClaims = []string{"event_name", "ref_type", "repository_owner", "repository_owner_id", "runner_environment"}

// accessDenied explains a trust policy that refused this run: the keys STS
// evaluated with their values, the condition that would match, the
// likeliest cause.
func accessDenied(c Context, issuer string) Diagnosis {
	d := Diagnosis{Advice: []string{"The role's trust policy does not allow this workflow run (the condition keys STS evaluated and a condition that would match are printed above)."}}
	cl := c.Claims
	if cl == nil {
		d.Advice = append(d.Advice, "Check that the trust policy names the provider "+trust.ProviderOf(issuer)+" and that its conditions match this run.")
		return d
	}
	d.Advice = append(d.Advice, "Likeliest cause: "+likeliestCause(cl, issuer))

	values := map[string]string{
		"aud": strings.Join(cl.Audience, ","), "sub": cl.Subject, "actor": cl.Actor, "actor_id": cl.ActorID,
		"job_workflow_ref": cl.JobWorkflowRef, "repository": cl.Repository, "repository_id": cl.RepositoryID,
		"workflow": cl.Workflow, "ref": cl.Ref, "environment": cl.Environment, "enterprise_id": cl.EnterpriseID,
		"event_name": cl.EventName, "ref_type": cl.RefType, "repository_owner": cl.RepositoryOwner,
		"repository_owner_id": cl.RepositoryOwnerID, "runner_environment": cl.RunnerEnvironment,
	}
	provider := trust.ProviderOf(issuer)
	d.Details = append(d.Details, fmt.Sprintf("Issuer %s. Condition keys STS evaluated for this run (%s:<key>):", issuer, provider))
	for _, k := range trust.ConditionKeys {
		v := values[k]
		switch {
		case v == "":
			continue // absent from the request: a positive operator on it is false
		case k != "aud" && k != "sub" && provider != trust.GitHubProvider:
			v += "   (documented for " + trust.GitHubProvider + " only: may not be evaluated for this issuer)"
		}
		d.Details = append(d.Details, fmt.Sprintf("  %-19s %s", k, v))
	}
	d.Details = append(d.Details, "Claims STS does not evaluate (a condition on them never sees a value):")
	for _, k := range otherClaims {
		if v := values[k]; v != "" {
			d.Details = append(d.Details, fmt.Sprintf("  %-19s %s", k, v))
		}
	}
	aud := inputs.DefaultAudience
	if len(cl.Audience) > 0 {
		aud = cl.Audience[0]
	}
	match := map[string]string{provider + ":aud": aud}
	switch {
	case provider != trust.GitHubProvider || cl.RepositoryID == "":
		match[provider+":sub"] = cl.Subject
	case cl.Environment != "":
		match[provider+":repository_id"], match[provider+":environment"] = cl.RepositoryID, cl.Environment
	case strings.HasSuffix(cl.Subject, ":pull_request"):
		match[provider+":repository_id"], match[provider+":sub"] = cl.RepositoryID, cl.Subject
	default:
		match[provider+":repository_id"], match[provider+":ref"] = cl.RepositoryID, cl.Ref
	}
	cond, _ := json.MarshalIndent(map[string]any{"StringEquals": match}, "  ", "  ")
	d.Details = append(d.Details, "A trust policy Condition that matches this run (repository_id never changes with a rename):")
	d.Details = append(d.Details, strings.Split("  "+string(cond), "\n")...)
	d.Details = append(d.Details, "Check a policy offline: aws-oidc-go trust-policy check POLICY.json --claims CLAIMS.json")
	return d
}

// legacySubject turns an immutable subject into the legacy form a policy
// written before it probably tests.
func legacySubject(sub string) string {
	rest := strings.TrimPrefix(sub, "repo:")
	seg, ctx, _ := strings.Cut(rest, ":")
	owner, repo, _ := strings.Cut(seg, "/")
	owner, _, _ = strings.Cut(owner, "@")
	repo, _, _ = strings.Cut(repo, "@")
	return "repo:" + owner + "/" + repo + ":" + ctx
}

// likeliestCause guesses why a trust policy written the usual way missed.
func likeliestCause(cl *token.Claims, issuer string) string {
	sub := cl.Subject
	repoSeg, _, _ := strings.Cut(strings.TrimPrefix(sub, "repo:"), ":")
	switch {
	case issuer != GitHubIssuer && strings.HasPrefix(issuer, GitHubIssuer+"/"):
		return fmt.Sprintf("the token comes from the enterprise-scoped issuer %s; the IAM provider and the policy's Principal must be for that issuer (oidc-provider/%s).", issuer, trust.ProviderOf(issuer))
	case issuer != GitHubIssuer:
		return fmt.Sprintf("the token comes from %s (GitHub Enterprise Server or a custom issuer); the IAM provider and the policy's Principal must be for that issuer (oidc-provider/%s).", issuer, trust.ProviderOf(issuer))
	case !strings.HasPrefix(sub, "repo:"):
		return fmt.Sprintf("this organisation or repository uses a customized subject template, so sub is %q rather than repo:OWNER/REPO:...; the policy must match that form.", sub)
	case strings.Contains(repoSeg, "@"):
		return fmt.Sprintf("the immutable subject: your policy likely matches %q; this token's subject is %q (repositories created since July 2026, and those that opted in, carry the owner and repository ids). Accept both forms with repository_id pinned, or test repository_id and ref/environment instead of sub.", legacySubject(sub), sub)
	case cl.Environment != "":
		return fmt.Sprintf("the job uses environment %q, so sub is %q, not ref:%s; a policy written for a branch does not match jobs with an environment.", cl.Environment, sub, cl.Ref)
	case cl.RefType == "tag":
		return fmt.Sprintf("this run is for a tag, so sub is %q; a policy written for a branch (ref:refs/heads/...) does not match.", sub)
	case strings.HasSuffix(sub, ":pull_request"):
		return fmt.Sprintf("this is a pull request run, so sub is %q, not the branch's ref.", sub)
	}
	return fmt.Sprintf("the policy's :sub or :aud condition differs from this run's (%q, %q); matching is case-sensitive, so the owner and repository must be spelled exactly as GitHub does.", sub, strings.Join(cl.Audience, ","))
}

// NoTokenAdvice explains a step that got no ID token service.
func NoTokenAdvice() []string {
	return []string{
		"This job cannot request a GitHub OIDC token. Grant it in the workflow, at job or workflow level:",
		"  permissions:",
		"    id-token: write",
		"    contents: read",
		"Pull requests from forks and Dependabot runs never get an ID token; such runs need another way to authenticate (or none).",
		"On a self-hosted runner with its own AWS credentials (instance profile), set force-skip-oidc: true to assume the role with those instead.",
	}
}

func orDefault(aud string) string {
	if aud == "" {
		return inputs.DefaultAudience
	}
	return aud
}

func errMessage(err error) string {
	if m := exchange.ErrorCode(err); m != "" {
		return exchange.Describe(err)
	}
	return err.Error()
}
