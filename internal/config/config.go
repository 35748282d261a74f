// Package config turns the action's inputs into a validated Config.
//
// Every input is checked before anything touches the network, and every
// problem is reported at once (errors.Join of *InputError), so a user fixes
// a workflow in one round trip instead of one error per run.
package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Defaults shared by the validator and action.yml (a test keeps them equal).
const (
	DefaultAudience    = "sts.amazonaws.com"
	DefaultSessionName = "GitHubActions"
	DefaultDuration    = 3600 * time.Second
	DefaultMaxAttempts = 12

	minDuration        = 900
	maxDuration        = 43200
	maxInlinePolicyLen = 2048
	maxManagedPolicies = 10
)

// Names of every input the action declares. Lookups use these exact strings.
const (
	InRoleToAssume            = "role-to-assume"
	InAWSRegion               = "aws-region"
	InAudience                = "audience"
	InRoleSessionName         = "role-session-name"
	InRoleDurationSeconds     = "role-duration-seconds"
	InInlineSessionPolicy     = "inline-session-policy"
	InManagedSessionPolicies  = "managed-session-policies"
	InOutputCredentials       = "output-credentials"
	InOutputEnvCredentials    = "output-env-credentials"
	InMaskAWSAccountID        = "mask-aws-account-id"
	InUnsetCurrentCredentials = "unset-current-credentials"
	InAllowedAccountIDs       = "allowed-account-ids"
	InSTSEndpoint             = "sts-endpoint"
	InRetryMaxAttempts        = "retry-max-attempts"
	InDisableRetry            = "disable-retry"
	InActionTimeoutS          = "action-timeout-s"
)

// Inputs lists every input name, in the order action.yml declares them.
var Inputs = []string{
	InRoleToAssume, InAWSRegion, InAudience, InRoleSessionName, InRoleDurationSeconds,
	InInlineSessionPolicy, InManagedSessionPolicies, InOutputCredentials,
	InOutputEnvCredentials, InMaskAWSAccountID, InUnsetCurrentCredentials,
	InAllowedAccountIDs, InSTSEndpoint, InRetryMaxAttempts, InDisableRetry, InActionTimeoutS,
}

// multiline inputs may legitimately span lines; every other input is one line.
var multiline = map[string]bool{InInlineSessionPolicy: true, InManagedSessionPolicies: true}

// Config is the validated form of the inputs.
type Config struct {
	RoleARN   string // full role ARN
	Partition string // partition of RoleARN: aws, aws-cn or aws-us-gov
	AccountID string // account of RoleARN

	Region          string
	Audience        string // may be empty: then no audience is requested
	SessionName     string
	Duration        time.Duration
	InlinePolicy    string   // compacted JSON, or empty
	ManagedPolicies []string // policy ARNs

	OutputCredentials       bool
	OutputEnvCredentials    bool
	MaskAccountID           bool
	UnsetCurrentCredentials bool
	AllowedAccountIDs       []string

	STSEndpoint   string        // explicit endpoint URL, or empty for the SDK's resolution
	MaxAttempts   int           // total attempts per call, ≥ 1
	ActionTimeout time.Duration // 0 = no limit
}

// InputError is one problem with one input. Its message names the input,
// says what was wrong and what is allowed.
type InputError struct {
	Input   string
	Problem string
	Allowed string
}

func (e *InputError) Error() string {
	if e.Allowed == "" {
		return fmt.Sprintf("input %s: %s", e.Input, e.Problem)
	}
	return fmt.Sprintf("input %s: %s; allowed: %s", e.Input, e.Problem, e.Allowed)
}

// Lookup returns the raw value of a named input ("" when unset).
type Lookup func(name string) string

// FromEnv reads inputs the way the runner passes them to a container action:
// INPUT_<NAME> upper-cased with spaces turned to underscores and hyphens kept
// (INPUT_ROLE-TO-ASSUME). As the incumbent does, an empty input falls back to
// the environment variable of the same name in upper snake case
// (ROLE_TO_ASSUME, AWS_REGION, AUDIENCE, ...). Values are trimmed.
func FromEnv(getenv func(string) string) Lookup {
	return func(name string) string {
		v := strings.TrimSpace(getenv("INPUT_" + strings.ToUpper(strings.ReplaceAll(name, " ", "_"))))
		if v == "" {
			v = strings.TrimSpace(getenv(EnvFallback(name)))
		}
		return v
	}
}

// EnvFallback is the environment variable an empty input falls back to.
func EnvFallback(input string) string {
	return strings.ToUpper(strings.NewReplacer("-", "_", " ", "_").Replace(input))
}

var (
	regionRe      = regexp.MustCompile(`^[a-z0-9-]+$`)
	roleARNRe     = regexp.MustCompile(`^arn:(aws|aws-cn|aws-us-gov):iam::(\d{12}):role/((?:[\x21-\x7e]+/)*[\w+=,.@-]{1,64})$`)
	anyARNRe      = regexp.MustCompile(`^arn:([^:]*):([^:]*):([^:]*):([^:]*):(.*)$`)
	bareRoleRe    = regexp.MustCompile(`^[\w+=,.@-]{1,64}$`)
	sessionNameRe = regexp.MustCompile(`^[\w+=,.@-]{2,64}$`)
	policyARNRe   = regexp.MustCompile(`^arn:(aws|aws-cn|aws-us-gov):iam::(\d{12}|aws):policy/[\x21-\x7e]{1,}$`)
	accountIDRe   = regexp.MustCompile(`^\d{12}$`)
)

// Load validates every input and returns the Config, or all problems joined.
func Load(in Lookup) (*Config, error) {
	p := parser{in: in}
	c := &Config{}

	for _, name := range Inputs {
		if v := in(name); !multiline[name] && strings.ContainsAny(v, "\r\n") {
			p.fail(name, "contains a line break", "a single line")
		}
	}

	c.Region = p.str(InAWSRegion)
	switch {
	case c.Region == "":
		p.fail(InAWSRegion, "is required", "a region name such as eu-west-1 (or set AWS_REGION)")
	case !regionRe.MatchString(c.Region):
		p.fail(InAWSRegion, fmt.Sprintf("%q is not a region name", c.Region), "lower-case letters, digits and hyphens, such as eu-west-1")
	}

	c.RoleARN = p.str(InRoleToAssume)
	p.role(c)

	c.Audience = p.str(InAudience)
	c.SessionName = p.str(InRoleSessionName)
	if c.SessionName == "" {
		c.SessionName = DefaultSessionName
	} else if !sessionNameRe.MatchString(c.SessionName) {
		p.fail(InRoleSessionName, fmt.Sprintf("%q is not a valid session name (%d characters)", c.SessionName, len(c.SessionName)),
			"2 to 64 characters of letters, digits and _+=,.@-")
	}

	c.Duration = DefaultDuration
	if v := p.str(InRoleDurationSeconds); v != "" {
		n, err := strconv.Atoi(v)
		switch {
		case err != nil:
			p.fail(InRoleDurationSeconds, fmt.Sprintf("%q is not a whole number of seconds", v), fmt.Sprintf("an integer from %d to %d", minDuration, maxDuration))
		case n < minDuration || n > maxDuration:
			p.fail(InRoleDurationSeconds, fmt.Sprintf("%d is out of range", n), fmt.Sprintf("an integer from %d to %d (15 minutes to 12 hours; the role's maximum session duration must allow it)", minDuration, maxDuration))
		default:
			c.Duration = time.Duration(n) * time.Second
		}
	}

	c.InlinePolicy = p.inlinePolicy(InInlineSessionPolicy)
	c.ManagedPolicies = p.managedPolicies(InManagedSessionPolicies)

	c.OutputCredentials = p.boolean(InOutputCredentials, false)
	c.OutputEnvCredentials = p.boolean(InOutputEnvCredentials, true)
	c.MaskAccountID = p.boolean(InMaskAWSAccountID, false)
	c.UnsetCurrentCredentials = p.boolean(InUnsetCurrentCredentials, false)

	if v := p.str(InAllowedAccountIDs); v != "" {
		for _, id := range strings.Split(v, ",") {
			id = strings.TrimSpace(id)
			if id == "" {
				continue
			}
			if !accountIDRe.MatchString(id) {
				p.fail(InAllowedAccountIDs, fmt.Sprintf("%q is not an account id", id), "a comma-separated list of 12-digit AWS account ids")
				continue
			}
			c.AllowedAccountIDs = append(c.AllowedAccountIDs, id)
		}
	}

	if v := p.str(InSTSEndpoint); v != "" {
		u, err := url.Parse(v)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			p.fail(InSTSEndpoint, fmt.Sprintf("%q is not an absolute http(s) URL", v), "a URL such as https://sts.eu-west-1.amazonaws.com")
		} else {
			c.STSEndpoint = v
		}
	}

	c.MaxAttempts = DefaultMaxAttempts
	if v := p.str(InRetryMaxAttempts); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			p.fail(InRetryMaxAttempts, fmt.Sprintf("%q is not a positive whole number", v), "an integer of 1 or more (the total number of attempts per call)")
		} else {
			c.MaxAttempts = n
		}
	}
	if p.boolean(InDisableRetry, false) {
		c.MaxAttempts = 1
	}

	if v := p.str(InActionTimeoutS); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			p.fail(InActionTimeoutS, fmt.Sprintf("%q is not a whole number of seconds", v), "an integer of 0 or more (0 or empty: no limit)")
		} else {
			c.ActionTimeout = time.Duration(n) * time.Second
		}
	}

	if err := errors.Join(p.errs...); err != nil {
		return nil, err
	}
	return c, nil
}

type parser struct {
	in      Lookup
	errs    []error
	flagged map[string]bool
}

// fail records the first problem of an input; later ones for the same input
// would only repeat it in other words.
func (p *parser) fail(input, problem, allowed string) {
	if p.flagged[input] {
		return
	}
	if p.flagged == nil {
		p.flagged = map[string]bool{}
	}
	p.flagged[input] = true
	p.errs = append(p.errs, &InputError{Input: input, Problem: problem, Allowed: allowed})
}

func (p *parser) str(name string) string { return p.in(name) }

// boolean accepts only the YAML 1.2 core forms; empty means the default.
func (p *parser) boolean(name string, def bool) bool {
	switch v := p.in(name); v {
	case "":
		return def
	case "true", "True", "TRUE":
		return true
	case "false", "False", "FALSE":
		return false
	default:
		p.fail(name, fmt.Sprintf("%q is not a boolean", v), "true, True, TRUE, false, False or FALSE (empty for the default)")
		return def
	}
}

func (p *parser) role(c *Config) {
	v := c.RoleARN
	if v == "" {
		p.fail(InRoleToAssume, "is required", "a role ARN such as arn:aws:iam::123456789012:role/deploy (or set ROLE_TO_ASSUME)")
		return
	}
	if m := roleARNRe.FindStringSubmatch(v); m != nil {
		c.Partition, c.AccountID = m[1], m[2]
		if c.Region != "" && regionRe.MatchString(c.Region) {
			if want := PartitionOf(c.Region); want != c.Partition {
				p.fail(InRoleToAssume, fmt.Sprintf("the role is in partition %s but aws-region %s is in partition %s", c.Partition, c.Region, want),
					fmt.Sprintf("a role ARN starting arn:%s: for this region, or a region of partition %s", want, c.Partition))
			}
		}
		return
	}
	switch m := anyARNRe.FindStringSubmatch(v); {
	case bareRoleRe.MatchString(v):
		p.fail(InRoleToAssume, fmt.Sprintf("%q is a bare role name, which cannot be used with GitHub OIDC (STS needs the role's account)", v),
			fmt.Sprintf("the full role ARN: arn:aws:iam::<ACCOUNT_ID>:role/%s", v))
	case m == nil:
		p.fail(InRoleToAssume, fmt.Sprintf("%q is not an ARN", v), "a role ARN such as arn:aws:iam::123456789012:role/deploy")
	case m[1] != "aws" && m[1] != "aws-cn" && m[1] != "aws-us-gov":
		p.fail(InRoleToAssume, fmt.Sprintf("%q has unknown partition %q", v, m[1]), "partition aws, aws-cn or aws-us-gov")
	case m[2] != "iam" || !strings.HasPrefix(m[5], "role/"):
		p.fail(InRoleToAssume, fmt.Sprintf("%q is not an IAM role ARN", v), "arn:<partition>:iam::<12-digit account>:role/<name>")
	default:
		p.fail(InRoleToAssume, fmt.Sprintf("%q is not a valid role ARN", v), "arn:<partition>:iam::<12-digit account>:role/[path/]<name of letters, digits and _+=,.@->")
	}
}

func (p *parser) inlinePolicy(name string) string {
	v := p.in(name)
	if v == "" {
		return ""
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, []byte(v)); err != nil {
		p.fail(name, "is not valid JSON: "+err.Error(), "an IAM policy document as a JSON object")
		return ""
	}
	if buf.Len() == 0 || buf.Bytes()[0] != '{' {
		p.fail(name, "is not a JSON object", "an IAM policy document as a JSON object")
		return ""
	}
	if buf.Len() > maxInlinePolicyLen {
		p.fail(name, fmt.Sprintf("is %d characters without whitespace", buf.Len()), fmt.Sprintf("at most %d characters (STS's limit)", maxInlinePolicyLen))
		return ""
	}
	return buf.String()
}

func (p *parser) managedPolicies(name string) []string {
	var arns []string
	for _, line := range strings.Split(p.in(name), "\n") {
		a := strings.TrimSpace(line)
		if a == "" {
			continue
		}
		if !policyARNRe.MatchString(a) {
			p.fail(name, fmt.Sprintf("%q is not a managed policy ARN", a), "one policy ARN per line, such as arn:aws:iam::aws:policy/ReadOnlyAccess")
			continue
		}
		arns = append(arns, a)
	}
	if len(arns) > maxManagedPolicies {
		p.fail(name, fmt.Sprintf("lists %d policies", len(arns)), fmt.Sprintf("at most %d (STS's limit)", maxManagedPolicies))
	}
	return arns
}

// PartitionOf returns the AWS partition a region belongs to.
func PartitionOf(region string) string {
	switch {
	case strings.HasPrefix(region, "cn-"):
		return "aws-cn"
	case strings.HasPrefix(region, "us-gov-"):
		return "aws-us-gov"
	default:
		return "aws"
	}
}
