package setup

import (
	"errors"
	"fmt"
	"strings"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
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
		e.Code, e.Message = api.ErrorCode(), oneLine(api.ErrorMessage())
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

func oneLine(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
	if len(s) > 500 {
		s = s[:500] + "..."
	}
	return s
}
