package setup

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"

	"github.com/org/aws-oidc-go/internal/runner"
)

// CallError is an AWS call that failed, with what to do about it.
type CallError struct {
	Service, Call string // iam CreateRole
	Subject       string // the role, provider or policy it was about
	Code, Message string // the service's error code and message
	Advice        string
	Err           error
}

func (e *CallError) Error() string {
	s := fmt.Sprintf("%s:%s", e.Service, e.Call)
	if e.Subject != "" {
		s += " (" + e.Subject + ")"
	}
	s += " failed: "
	if e.Code != "" {
		s += e.Code
		if e.Message != "" {
			s += ": " + e.Message
		}
	} else {
		s += e.Err.Error()
	}
	if e.Advice != "" {
		s += "\n  what to do: " + e.Advice
	}
	return s
}

func (e *CallError) Unwrap() error { return e.Err }

func isCode(err error, code string) bool {
	var api smithy.APIError
	return errors.As(err, &api) && api.ErrorCode() == code
}

// callError explains a failed call: the code and message IAM gave, and
// advice for the errors people meet (no permission, a name taken, a
// refused policy, throttling).
func callError(service, call, subject string, err error) error {
	e := &CallError{Service: service, Call: call, Subject: subject, Err: err}
	var api smithy.APIError
	if errors.As(err, &api) {
		e.Code, e.Message = api.ErrorCode(), runner.Excerpt(api.ErrorMessage(), 500)
	}
	var re *awshttp.ResponseError
	status := 0
	if errors.As(err, &re) {
		status = re.HTTPStatusCode()
	}
	switch {
	case e.Code == "AccessDenied" || e.Code == "AccessDeniedException" || e.Code == "UnauthorizedOperation":
		e.Advice = fmt.Sprintf("the identity running setup may not call %s:%s; run it with an administrator's profile (--profile) or grant %s:%s (read-only planning needs iam:GetOpenIDConnectProvider, iam:GetRole, iam:ListAttachedRolePolicies and sts:GetCallerIdentity)", service, call, service, call)
	case e.Code == "EntityAlreadyExists":
		e.Advice = "it was created by someone else since setup read IAM; run setup again: it plans against what exists now"
	case e.Code == "MalformedPolicyDocument":
		e.Advice = "IAM refused the trust policy printed in the plan; if a statement setup kept from the old policy is the cause, fix it by hand; otherwise report it as a bug of aws-oidc-go"
	case e.Code == "Throttling" || e.Code == "ThrottlingException" || e.Code == "RequestLimitExceeded":
		e.Advice = "IAM is throttling this account; wait a minute and run setup --apply again"
	case e.Code == "LimitExceeded":
		e.Advice = "an IAM quota is reached (for example 10 managed policies per role, or the trust policy's size); see the message, then raise the quota or change the plan"
	case e.Code == "NoSuchEntity" && call == "AttachRolePolicy":
		e.Advice = "the policy ARN does not exist in this account or partition; check --policy-arn"
	case e.Code == "NoSuchEntity":
		e.Advice = "it does not exist (check the name and the account)"
	case e.Code == "InvalidClientTokenId" || e.Code == "SignatureDoesNotMatch" || e.Code == "ExpiredToken":
		e.Advice = "the AWS credentials are not valid; refresh them (aws sso login, or --profile)"
	case status >= 500:
		e.Advice = "IAM failed on its side; run setup again in a moment (it is idempotent)"
	case e.Code == "":
		e.Advice = "check the network and the endpoint (AWS_ENDPOINT_URL_" + strings.ToUpper(service) + ", AWS_ENDPOINT_URL), then run setup again"
	}
	return e
}

// CredentialsError is an AWS configuration that gave setup no usable
// credentials: none anywhere in the SDK's chain, a --profile (or
// AWS_PROFILE) the shared files do not have, or a source that failed.
// Its message names what is missing and how to give it.
type CredentialsError struct {
	// Profile is the profile asked for ("" for the default chain), Flag
	// how it was asked for ("--profile" or "AWS_PROFILE").
	Profile, Flag string
	// Missing: the profile does not exist; None: the whole chain, down to
	// the instance role, found nothing.
	Missing, None bool
	Err           error
}

const credentialsAdvice = "give credentials for the account (setup needs an administrator's): --profile NAME (aws configure list-profiles lists the profiles; aws configure sso or aws configure makes one), aws sso login for an SSO profile whose session ended, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (with AWS_SESSION_TOKEN) in the environment"

func (e *CredentialsError) Error() string {
	switch {
	case e.Missing:
		return fmt.Sprintf("%s %q: no such profile in the AWS configuration files (AWS_CONFIG_FILE, AWS_SHARED_CREDENTIALS_FILE; default ~/.aws/config and ~/.aws/credentials)\n  what to do: aws configure list-profiles lists the profiles there; give one of them, or make this one (aws configure sso --profile %s, or aws configure --profile %s)",
			e.Flag, e.Profile, e.Profile, e.Profile)
	case e.None:
		return "no AWS credentials: nothing in the environment (AWS_ACCESS_KEY_ID), no profile in the AWS configuration files, and no instance or container role on this machine\n  what to do: " + credentialsAdvice
	case e.Profile != "":
		return fmt.Sprintf("the credentials of profile %s (%s) could not be loaded: %s\n  what to do: aws sso login --profile %s if it is an SSO profile whose session ended; otherwise check the profile (aws configure list --profile %s)",
			e.Profile, e.Flag, runner.Excerpt(e.Err.Error(), 500), e.Profile, e.Profile)
	default:
		return "the AWS credentials could not be loaded: " + runner.Excerpt(e.Err.Error(), 500) + "\n  what to do: " + credentialsAdvice
	}
}

func (e *CredentialsError) Unwrap() error { return e.Err }

// RepoNotFound is GitHub answering 404 for a repository: it does not
// exist under that name, or it is private and the token (if any) cannot
// read it. GitHub answers both the same way, so the advice covers both.
type RepoNotFound struct {
	Repository string
	URL        string // the API URL asked, redacted
	Token      bool   // GITHUB_TOKEN was sent
}

func (e *RepoNotFound) Error() string {
	if e.Token {
		return fmt.Sprintf("GitHub does not know the repository %s, or GITHUB_TOKEN cannot read it (GET %s: 404)\n  what to do: check the name (OWNER/REPO as github.com shows it); for a private repository use a token that can read it (a fine-grained token needs Metadata: read on it), or give --repository-id and --owner-id (gh api repos/OWNER/REPO --jq '.id, .owner.id')",
			e.Repository, e.URL)
	}
	return fmt.Sprintf("GitHub does not know the repository %s (GET %s: 404, asked without a token)\n  what to do: check the name (OWNER/REPO as github.com shows it); a private repository is found only with GITHUB_TOKEN set to a token that can read it (GITHUB_TOKEN=$(gh auth token)), or give --repository-id and --owner-id (gh api repos/OWNER/REPO --jq '.id, .owner.id')",
		e.Repository, e.URL)
}

// RedactURL is s for an error message: a URL with its password replaced
// (url.Redacted); text that does not parse as a URL loses whatever stands
// between "//" and an "@" after it, where a password would be.
func RedactURL(s string) string {
	if u, err := url.Parse(s); err == nil {
		return u.Redacted()
	}
	if i := strings.Index(s, "//"); i >= 0 {
		rest := s[i+2:]
		if j := strings.LastIndex(rest, "@"); j >= 0 {
			return s[:i+2] + "***@" + rest[j+1:]
		}
	}
	return s
}
