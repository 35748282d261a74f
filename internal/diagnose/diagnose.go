// Package diagnose turns failures into advice: what most likely went wrong
// and the exact change that fixes it. All advice lives here, so every path
// that can hit the same failure says the same thing.
package diagnose

import (
	"errors"
	"fmt"
	"strings"

	"github.com/org/aws-oidc-go/internal/config"
	"github.com/org/aws-oidc-go/internal/exchange"
	"github.com/org/aws-oidc-go/internal/token"
)

// GitHubIssuer is the issuer of GitHub.com's Actions ID tokens.
const GitHubIssuer = "https://token.actions.githubusercontent.com"

// Context is what is known about the run when it failed.
type Context struct {
	RoleARN  string
	Region   string
	Audience string
	Issuer   string // iss of the last ID token, when one was obtained
	Mode     config.Mode
}

// Advice returns the lines that explain err and how to fix it; none when
// there is nothing better to say than the error itself.
func Advice(err error, c Context) []string {
	if errors.Is(err, token.ErrNoIDTokenPermission) {
		return NoTokenAdvice()
	}
	issuer := c.Issuer
	if issuer == "" {
		issuer = GitHubIssuer
	}
	var status *token.StatusError
	if errors.As(err, &status) {
		switch {
		case status.StatusCode == 401 || status.StatusCode == 403:
			return []string{"GitHub refused the request token. It is valid for the job that received it only; do not pass ACTIONS_ID_TOKEN_REQUEST_TOKEN between jobs."}
		case status.StatusCode < 500 && status.StatusCode != 429:
			return []string{"GitHub rejected the token request; check that the audience input is a plain string such as sts.amazonaws.com."}
		}
	}

	code := exchange.ErrorCode(err)
	msg := strings.ToLower(errMessage(err))
	switch {
	case strings.Contains(msg, "no openidconnect provider found"):
		return []string{
			"The account has no IAM OIDC identity provider for " + issuer + ". Create it once per account:",
			fmt.Sprintf("  aws iam create-open-id-connect-provider --url %s --client-id-list %s", issuer, orDefault(c.Audience)),
		}
	case strings.Contains(msg, "incorrect token audience"):
		return []string{
			fmt.Sprintf("The ID token was requested for audience %q, which the account's OIDC provider for %s does not list.", c.Audience, issuer),
			fmt.Sprintf("Either add it: aws iam add-client-id-to-open-id-connect-provider --open-id-connect-provider-arn arn:aws:iam::<ACCOUNT_ID>:oidc-provider/%s --client-id %s", strings.TrimPrefix(issuer, "https://"), orDefault(c.Audience)),
			"or set the audience input to a client id the provider lists (default sts.amazonaws.com).",
		}
	case code == "AccessDenied" && strings.Contains(msg, "sts:assumerole") && !strings.Contains(msg, "assumerolewithwebidentity"):
		return []string{"The role's trust policy does not let the source credentials (" + c.Mode.String() + ") assume it, or the role-external-id does not match. Check the Principal and any sts:ExternalId and aws:RequestTag conditions, and that the policy allows sts:TagSession when session tags are sent (role-skip-session-tagging turns them off)."}
	case code == "AccessDenied" && strings.Contains(msg, "assumerolewithwebidentity"):
		return []string{
			"The role's trust policy does not allow this workflow run. Check that it trusts the provider " +
				strings.TrimPrefix(issuer, "https://") + " and that its conditions on token.actions.githubusercontent.com:aud and :sub match this run.",
			"Common causes: a job with `environment:` gets sub repo:OWNER/REPO:environment:NAME instead of a ref-based sub; a tag push gets ref:refs/tags/...; sub matching is case-sensitive.",
		}
	case code == "RegionDisabledException":
		return []string{fmt.Sprintf("STS is not active in %s for this account. Activate the region (IAM → Account settings → Security Token Service) or use another aws-region.", c.Region)}
	case code == "ExpiredTokenException":
		return []string{"STS saw an expired ID token. Each attempt requests a fresh one; a persistent failure points at the runner's clock."}
	case code == "InvalidIdentityToken":
		return []string{"STS rejected the ID token. Check that the provider URL in IAM is exactly " + issuer + " (lower case, no trailing slash)."}
	case code == "MalformedPolicyDocument" || code == "PackedPolicyTooLarge":
		return []string{"Fix inline-session-policy / managed-session-policies: STS refused the session policy."}
	}

	var ae *exchange.AttemptsError
	if errors.As(err, &ae) && ae.Retryable {
		return []string{fmt.Sprintf("This is a transient failure and it persisted for %d attempts. Raise retry-max-attempts, or check the network path (proxy, firewall, DNS) to GitHub and STS.", ae.Attempts)}
	}
	return nil
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
		return "sts.amazonaws.com"
	}
	return aud
}

func errMessage(err error) string {
	if m := exchange.ErrorCode(err); m != "" {
		return exchange.Describe(err)
	}
	return err.Error()
}
