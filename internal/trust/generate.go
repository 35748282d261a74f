package trust

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/org/aws-oidc-go/internal/inputs"
)

// Context is the run a policy is written for, or checked against.
type Context struct {
	Repository     string // OWNER/REPO
	Ref            string // refs/heads/main, refs/tags/v1
	Environment    string
	PullRequest    bool
	AnyRef         bool   // any ref, environment or event of the repository
	JobWorkflowRef string // requires a subject template with job_workflow_ref
}

// Subject derives the sub claim GitHub puts in the token, with the default
// template: an environment wins, then pull requests, then the ref. With
// JobWorkflowRef it is the customized template repo, context,
// job_workflow_ref.
func Subject(c Context) string {
	var ctx string
	switch {
	case c.Environment != "":
		ctx = "environment:" + c.Environment
	case c.PullRequest:
		ctx = "pull_request"
	default:
		ctx = "ref:" + c.Ref
	}
	sub := "repo:" + c.Repository + ":" + ctx
	if c.JobWorkflowRef != "" {
		sub += ":job_workflow_ref:" + c.JobWorkflowRef
	}
	return sub
}

var (
	repoRe      = regexp.MustCompile(`^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$`)
	accountRe   = regexp.MustCompile(`^\d{12}$`)
	httpsURLRe  = regexp.MustCompile(`^https://[a-z0-9.-]+(:\d+)?(/[A-Za-z0-9_./-]*)?$`)
	errUsageRef = errors.New("choose one of --branch, --tag, --environment, --pull-request, --any-ref")
)

// Options are the inputs of the trust-policy generator.
type Options struct {
	AccountID string
	Partition string // default aws
	Issuer    string // default https://token.actions.githubusercontent.com
	Audience  string // default sts.amazonaws.com
	Context   Context
}

// Validate checks Options and fills defaults.
func (o *Options) Validate() error {
	var errs []error
	if !accountRe.MatchString(o.AccountID) {
		errs = append(errs, fmt.Errorf("--account-id %q: want a 12-digit AWS account id", o.AccountID))
	}
	if !repoRe.MatchString(o.Context.Repository) {
		errs = append(errs, fmt.Errorf("--repository %q: want OWNER/REPO", o.Context.Repository))
	}
	if o.Context.Ref == "" && o.Context.Environment == "" && !o.Context.PullRequest && !o.Context.AnyRef {
		errs = append(errs, errUsageRef)
	}
	if o.Issuer == "" {
		o.Issuer = DefaultIssuer
	}
	if !httpsURLRe.MatchString(o.Issuer) {
		errs = append(errs, fmt.Errorf("--issuer %q: want an https URL in lower case such as %s", o.Issuer, DefaultIssuer))
	}
	o.Issuer = strings.TrimRight(o.Issuer, "/")
	if o.Audience == "" {
		o.Audience = inputs.DefaultAudience
	}
	if o.Partition == "" {
		o.Partition = "aws"
	}
	return errors.Join(errs...)
}

// ProviderARN is the IAM OIDC provider's ARN for the options.
func (o Options) ProviderARN() string {
	return fmt.Sprintf("arn:%s:iam::%s:oidc-provider/%s", o.Partition, o.AccountID, ProviderOf(o.Issuer))
}

// SubCondition returns the least-privilege operator and value for sub:
// StringEquals on the exact subject, or StringLike on repo:OWNER/REPO:*
// for --any-ref (the wildcard stays inside the one repository).
func SubCondition(c Context) (op, value string) {
	if c.AnyRef {
		return "StringLike", "repo:" + c.Repository + ":*"
	}
	return "StringEquals", Subject(c)
}

// Generate returns the trust policy JSON (indented, with a final newline).
func Generate(o Options) ([]byte, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	provider := ProviderOf(o.Issuer)
	op, sub := SubCondition(o.Context)
	cond := map[string]map[string]string{
		"StringEquals": {provider + ":aud": o.Audience},
	}
	if cond[op] == nil {
		cond[op] = map[string]string{}
	}
	cond[op][provider+":sub"] = sub
	type statement struct {
		Sid       string
		Effect    string
		Principal map[string]string
		Action    string
		Condition map[string]map[string]string
	}
	doc := struct {
		Version   string
		Statement []statement
	}{"2012-10-17", []statement{{
		Sid:       "GitHubActionsOIDC",
		Effect:    "Allow",
		Principal: map[string]string{"Federated": o.ProviderARN()},
		Action:    WebIdentityAction,
		Condition: cond,
	}}}
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// ProviderCommand is the AWS CLI command that creates the OIDC provider.
func ProviderCommand(issuer, audience string) string {
	if issuer == "" {
		issuer = DefaultIssuer
	}
	if audience == "" {
		audience = inputs.DefaultAudience
	}
	return fmt.Sprintf("aws iam create-open-id-connect-provider --url %s --client-id-list %s", strings.TrimRight(issuer, "/"), audience)
}

// SubjectTemplateCommand is the GitHub CLI command that makes a
// repository's subject include job_workflow_ref, which --job-workflow-ref
// policies need (AWS cannot test other claims).
func SubjectTemplateCommand(repo string) string {
	return fmt.Sprintf("gh api -X PUT repos/%s/actions/oidc/customization/sub -F use_default=false -f 'include_claim_keys[]=repo' -f 'include_claim_keys[]=context' -f 'include_claim_keys[]=job_workflow_ref'", repo)
}
