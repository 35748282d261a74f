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
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/org/aws-oidc-go/internal/arn"
	"github.com/org/aws-oidc-go/internal/inputs"
	"github.com/org/aws-oidc-go/internal/lazyre"
)

// Limits the validator enforces (STS's own).
const (
	DefaultDuration    = 3600 * time.Second
	DefaultMaxAttempts = 12

	minDuration        = 900
	maxDuration        = 43200
	maxInlinePolicyLen = 2048
	maxManagedPolicies = 10
)

// Config is the validated form of the inputs.
type Config struct {
	RoleARN   string // full role ARN
	Partition string // partition of RoleARN: aws, aws-cn or aws-us-gov
	AccountID string // account of RoleARN

	Region          string
	Audience        string // never empty: the table's default applies
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

	// Mode is where the credentials come from and what is assumed.
	Mode Mode
	// RoleName is a bare role name to complete into an ARN with the source
	// credentials' account (RoleARN is empty then).
	RoleName string

	AccessKeyID     string // static keys (secret)
	SecretAccessKey string
	SessionToken    string

	TokenFile          string // web-identity-token-file as given
	ExternalID         string
	SkipSessionTagging bool
	CustomTags         []Tag
	TransitiveTagKeys  []string

	UseExisting            bool
	SpecialCharsWorkaround bool

	HTTPProxy string // proxy URL for both token service and STS, or empty
	NoProxy   string

	Profile          string // aws-profile, or empty
	OverwriteProfile bool
	// Refresh writes a profile whose credential_process runs this tool, so
	// SDKs renew credentials themselves in long jobs.
	Refresh bool

	// Warnings are accepted inputs that will not do what the user may think.
	Warnings []string
}

// Tag is a session tag.
type Tag struct{ Key, Value string }

// Mode says where source credentials come from and which STS call follows.
type Mode int

// The credential paths.
const (
	ModeOIDC      Mode = iota // GitHub ID token → AssumeRoleWithWebIdentity
	ModeTokenFile             // token from web-identity-token-file → AssumeRoleWithWebIdentity
	ModeKeys                  // static keys, verified and exported as they are
	ModeKeysRole              // static keys → AssumeRole
	ModeChaining              // credentials already in the environment → AssumeRole
	ModeAmbient               // force-skip-oidc: the SDK's default chain → AssumeRole
	ModeExisting              // use-existing-credentials alone: verify the environment's credentials
)

func (m Mode) String() string {
	return [...]string{"GitHub OIDC", "web identity token file", "static access keys", "static access keys + AssumeRole",
		"role chaining", "the runner's own credentials (force-skip-oidc)", "existing credentials"}[m]
}

// AssumesRole reports whether the mode calls AssumeRole (session tags apply).
func (m Mode) AssumesRole() bool { return m == ModeKeysRole || m == ModeChaining || m == ModeAmbient }

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

var (
	regionRe     = lazyre.New(`^[a-z0-9-]+$`)
	nameCharsRe  = lazyre.New(`^[\w+=,.@-]+$`) // role and session names; lengths checked apart
	accessKeyRe  = lazyre.New(`^[A-Z0-9]+$`)
	profileRe    = lazyre.New(`^[A-Za-z0-9_.-]+$`)
	externalIDRe = lazyre.New(`^[\w+=,.@:/-]+$`)
	// Unicode classes with a bounded repeat compile into a huge program (and
	// slow every start); lengths are checked separately.
	tagCharsRe = lazyre.New(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$`)
)

// Load validates every input and returns the Config, or all problems joined.
func Load(in inputs.Lookup) (*Config, error) {
	p := parser{in: in}
	c := &Config{}

	for _, input := range inputs.All {
		if v := in(input.Name); !input.Multiline() && strings.ContainsAny(v, "\r\n") {
			p.fail(input.Name, "contains a line break", "a single line")
		}
	}

	c.Region = p.str(inputs.AWSRegion)
	switch {
	case c.Region == "":
		p.fail(inputs.AWSRegion, "is required", "a region name such as eu-west-1 (or set AWS_REGION)")
	case !regionRe().MatchString(c.Region):
		p.fail(inputs.AWSRegion, fmt.Sprintf("%q is not a region name", c.Region), "lower-case letters, digits and hyphens, such as eu-west-1")
	}

	c.AccessKeyID = p.str(inputs.AWSAccessKeyID)
	c.SecretAccessKey = p.str(inputs.AWSSecretAccessKey)
	c.SessionToken = p.str(inputs.AWSSessionToken)
	c.TokenFile = p.str(inputs.WebIdentityTokenFile)
	c.UseExisting = p.boolean(inputs.UseExistingCredentials)
	chaining := p.boolean(inputs.RoleChaining)
	forceSkipOIDC := p.boolean(inputs.ForceSkipOIDC)
	c.RoleARN = p.str(inputs.RoleToAssume)
	p.mode(c, chaining, forceSkipOIDC)
	p.role(c)

	c.Audience = p.str(inputs.Audience)
	c.SessionName = p.str(inputs.RoleSessionName)
	if !nameCharsRe().MatchString(c.SessionName) || len(c.SessionName) < 2 || len(c.SessionName) > 64 {
		p.fail(inputs.RoleSessionName, fmt.Sprintf("%q is not a valid session name (%d characters)", c.SessionName, len(c.SessionName)),
			"2 to 64 characters of letters, digits and _+=,.@-")
	}

	c.Duration = DefaultDuration
	if v := p.str(inputs.RoleDurationSeconds); v != "" && !p.flagged[inputs.RoleDurationSeconds] {
		n, err := strconv.Atoi(v)
		switch {
		case err != nil:
			p.fail(inputs.RoleDurationSeconds, fmt.Sprintf("%q is not a whole number of seconds", v), fmt.Sprintf("an integer from %d to %d", minDuration, maxDuration))
		case n < minDuration || n > maxDuration:
			p.fail(inputs.RoleDurationSeconds, fmt.Sprintf("%d is out of range", n), fmt.Sprintf("an integer from %d to %d (15 minutes to 12 hours; the role's maximum session duration must allow it)", minDuration, maxDuration))
		case c.Mode == ModeChaining && n > 3600:
			p.fail(inputs.RoleDurationSeconds, fmt.Sprintf("%d is more than AWS allows for a chained role session", n), "at most 3600 with role-chaining (AWS caps role chaining at one hour)")
		default:
			c.Duration = time.Duration(n) * time.Second
		}
	}

	c.InlinePolicy = p.inlinePolicy(inputs.InlineSessionPolicy)
	c.ManagedPolicies = p.managedPolicies(inputs.ManagedSessionPolicies)

	c.Profile = p.str(inputs.AWSProfile)
	switch {
	case c.Profile == "":
	case !profileRe().MatchString(c.Profile) || len(c.Profile) > 64:
		p.fail(inputs.AWSProfile, fmt.Sprintf("%q is not a usable profile name", c.Profile), "1 to 64 letters, digits and _.- (such as deploy or prod.eu-west-1)")
	case strings.EqualFold(c.Profile, "default") && c.Profile != "default":
		p.fail(inputs.AWSProfile, fmt.Sprintf("%q is refused: [DEFAULT] is the section the AWS CLI's config parser applies to every profile, and names that differ from default only in case are too easily confused with it", c.Profile), "default (lower case) for the default profile, or another name")
	}
	c.OverwriteProfile = p.boolean(inputs.OverwriteAWSProfile)
	c.Refresh = p.boolean(inputs.Refresh)
	if c.Refresh {
		if c.Mode != ModeOIDC && c.Mode != ModeTokenFile {
			p.fail(inputs.Refresh, fmt.Sprintf("cannot renew credentials obtained with %s", c.Mode), "refresh with GitHub OIDC or web-identity-token-file, which can fetch a new token at any time")
		}
		if c.Profile == "" {
			c.Profile = inputs.DefaultRefreshProfile
		}
	}
	c.OutputCredentials = p.boolean(inputs.OutputCredentials)
	c.OutputEnvCredentials = p.booleanOr(inputs.OutputEnvCredentials, c.Profile == "")
	c.MaskAccountID = p.boolean(inputs.MaskAWSAccountID)
	c.UnsetCurrentCredentials = p.boolean(inputs.UnsetCurrentCredentials)

	if v := p.str(inputs.AllowedAccountIDs); v != "" {
		for _, id := range strings.Split(v, ",") {
			id = strings.TrimSpace(id)
			if id == "" {
				continue
			}
			if !arn.IsAccountID(id) {
				p.fail(inputs.AllowedAccountIDs, fmt.Sprintf("%q is not an account id", id), "a comma-separated list of 12-digit AWS account ids")
				continue
			}
			c.AllowedAccountIDs = append(c.AllowedAccountIDs, id)
		}
	}

	if v := p.str(inputs.STSEndpoint); v != "" {
		u, err := url.Parse(v)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			p.fail(inputs.STSEndpoint, fmt.Sprintf("%q is not an absolute http(s) URL", v), "a URL such as https://sts.eu-west-1.amazonaws.com")
		} else {
			c.STSEndpoint = v
		}
	}

	c.MaxAttempts = DefaultMaxAttempts
	if v := p.str(inputs.RetryMaxAttempts); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			p.fail(inputs.RetryMaxAttempts, fmt.Sprintf("%q is not a positive whole number", v), "an integer of 1 or more (the total number of attempts per call)")
		} else {
			c.MaxAttempts = n
		}
	}
	if p.boolean(inputs.DisableRetry) {
		c.MaxAttempts = 1
	}

	if v := p.str(inputs.ActionTimeoutS); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			p.fail(inputs.ActionTimeoutS, fmt.Sprintf("%q is not a whole number of seconds", v), "an integer of 0 or more (0 or empty: no limit)")
		} else {
			c.ActionTimeout = time.Duration(n) * time.Second
		}
	}

	p.tagging(c)
	c.SpecialCharsWorkaround = p.boolean(inputs.SpecialCharsWorkaround)

	c.HTTPProxy = p.str(inputs.HTTPProxy) // parsed and checked by internal/proxy
	c.NoProxy = p.str(inputs.NoProxy)

	if err := errors.Join(p.errs...); err != nil {
		return nil, err
	}
	c.Warnings = p.warnings
	return c, nil
}

type parser struct {
	in       inputs.Lookup
	errs     []error
	warnings []string
	flagged  map[string]bool
}

func (p *parser) warn(format string, args ...any) {
	p.warnings = append(p.warnings, fmt.Sprintf(format, args...))
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

// str is the input's value, or its default from the table when unset or
// empty: a default declared there is always applied.
func (p *parser) str(name string) string {
	if v := p.in(name); v != "" {
		return v
	}
	in, _ := inputs.Get(name)
	return in.Default
}

// ParseBool reads a boolean in the one grammar the project accepts, the
// Actions toolkit's getBooleanInput (YAML 1.2 core): true, True, TRUE,
// false, False, FALSE. ok is false for anything else. Inputs and the CLI's
// flags both use it.
func ParseBool(s string) (v, ok bool) {
	switch s {
	case "true", "True", "TRUE":
		return true, true
	case "false", "False", "FALSE":
		return false, true
	}
	return false, false
}

// BoolGrammar names the accepted forms, for messages.
const BoolGrammar = "true, True, TRUE, false, False or FALSE"

// boolean accepts only the YAML 1.2 core forms; empty takes the table's default.
func (p *parser) boolean(name string) bool { return p.booleanOr(name, false) }

// booleanOr is boolean for an input whose default depends on other inputs
// (the table declares none): def when empty.
func (p *parser) booleanOr(name string, def bool) bool {
	v := p.str(name)
	if v == "" {
		return def
	}
	b, ok := ParseBool(v)
	if !ok {
		p.fail(name, fmt.Sprintf("%q is not a boolean", v), BoolGrammar+" (empty for the default)")
		return def
	}
	return b
}

func (p *parser) role(c *Config) {
	v := c.RoleARN
	if v == "" {
		if c.Mode != ModeKeys && c.Mode != ModeExisting {
			p.fail(inputs.RoleToAssume, "is required", "a role ARN such as arn:aws:iam::123456789012:role/deploy (or set ROLE_TO_ASSUME)")
		}
		return
	}
	a, isARN := arn.Parse(v)
	if _, _, ok := a.Role(); ok && arn.KnownPartition(a.Partition) {
		c.Partition, c.AccountID = a.Partition, a.Account
		if c.Region != "" && regionRe().MatchString(c.Region) {
			if want := PartitionOf(c.Region); want != c.Partition {
				p.fail(inputs.RoleToAssume, fmt.Sprintf("the role is in partition %s but aws-region %s is in partition %s", c.Partition, c.Region, want),
					fmt.Sprintf("a role ARN starting arn:%s: for this region, or a region of partition %s", want, c.Partition))
			}
		}
		return
	}
	switch {
	case isBareRoleName(v) && c.Mode.AssumesRole():
		// Completed with the source credentials' account once known.
		c.RoleName, c.RoleARN = v, ""
	case isBareRoleName(v):
		p.fail(inputs.RoleToAssume, fmt.Sprintf("%q is a bare role name, which cannot be used with %s (STS needs the role's account)", v, c.Mode),
			fmt.Sprintf("the full role ARN: arn:aws:iam::<ACCOUNT_ID>:role/%s", v))
	case !isARN:
		p.fail(inputs.RoleToAssume, fmt.Sprintf("%q is not an ARN", v), "a role ARN such as arn:aws:iam::123456789012:role/deploy")
	case !arn.KnownPartition(a.Partition):
		p.fail(inputs.RoleToAssume, fmt.Sprintf("%q has unknown partition %q", v, a.Partition), "partition aws, aws-cn or aws-us-gov")
	case a.Service != "iam" || !strings.HasPrefix(a.Resource, "role/"):
		p.fail(inputs.RoleToAssume, fmt.Sprintf("%q is not an IAM role ARN", v), "arn:<partition>:iam::<12-digit account>:role/<name>")
	default:
		p.fail(inputs.RoleToAssume, fmt.Sprintf("%q is not a valid role ARN", v), "arn:<partition>:iam::<12-digit account>:role/[path/]<name of letters, digits and _+=,.@->")
	}
}

func (p *parser) inlinePolicy(name string) string {
	v := p.str(name)
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
	for _, line := range strings.Split(p.str(name), "\n") {
		a := strings.TrimSpace(line)
		if a == "" {
			continue
		}
		if pa, ok := arn.Parse(a); !ok || !pa.IsManagedPolicy() {
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

// mode decides where credentials come from, and checks that the inputs
// naming a source fit together.
func (p *parser) mode(c *Config, chaining, forceSkipOIDC bool) {
	keys := c.AccessKeyID != "" || c.SecretAccessKey != "" || c.SessionToken != ""
	if keys {
		switch {
		case c.AccessKeyID == "":
			p.fail(inputs.AWSAccessKeyID, "is missing while aws-secret-access-key or aws-session-token is set", "set both aws-access-key-id and aws-secret-access-key")
		case c.SecretAccessKey == "":
			p.fail(inputs.AWSSecretAccessKey, "is missing while aws-access-key-id is set", "set both aws-access-key-id and aws-secret-access-key")
		case !accessKeyRe().MatchString(c.AccessKeyID) || len(c.AccessKeyID) < 16 || len(c.AccessKeyID) > 128:
			p.fail(inputs.AWSAccessKeyID, "is not an access key id", "16 to 128 upper-case letters and digits, such as AKIAIOSFODNN7EXAMPLE")
		case strings.ContainsAny(c.SecretAccessKey, " \t"):
			p.fail(inputs.AWSSecretAccessKey, "contains white space", "the secret access key exactly as AWS issued it")
		}
		if c.TokenFile != "" {
			p.fail(inputs.WebIdentityTokenFile, "is set together with aws-access-key-id", "one credential source: static keys or a web identity token file")
		}
		if chaining {
			p.fail(inputs.RoleChaining, "is set together with aws-access-key-id", "one credential source: static keys (AssumeRole is signed with them) or role-chaining (with the environment's credentials)")
		}
	}
	switch {
	case keys && c.RoleARN != "":
		c.Mode = ModeKeysRole
	case keys:
		c.Mode = ModeKeys
	case c.TokenFile != "":
		c.Mode = ModeTokenFile
	case chaining:
		c.Mode = ModeChaining
	case forceSkipOIDC && c.RoleARN != "":
		c.Mode = ModeAmbient
	case c.UseExisting && c.RoleARN == "":
		c.Mode = ModeExisting
	case forceSkipOIDC:
		p.fail(inputs.ForceSkipOIDC, "is set but there is nothing else to do", "force-skip-oidc together with role-to-assume (assumed with the runner's own credentials), static keys, or use-existing-credentials")
	default:
		c.Mode = ModeOIDC
	}
}

// tagging validates the AssumeRole-only inputs and warns when a web
// identity call will ignore them.
func (p *parser) tagging(c *Config) {
	c.SkipSessionTagging = p.boolean(inputs.RoleSkipSessionTagging)
	c.ExternalID = p.str(inputs.RoleExternalID)
	if c.ExternalID != "" && (!externalIDRe().MatchString(c.ExternalID) || len(c.ExternalID) < 2 || len(c.ExternalID) > 1224) {
		p.fail(inputs.RoleExternalID, "is not a valid external id", "2 to 1224 characters of letters, digits and _+=,.@:/-")
	}
	if v := p.str(inputs.CustomTags); v != "" {
		var raw map[string]any
		dec := json.NewDecoder(strings.NewReader(v))
		dec.UseNumber()
		if err := dec.Decode(&raw); err != nil || raw == nil {
			p.fail(inputs.CustomTags, "is not a JSON object", `a JSON object of tag keys to values, such as {"Team":"platform","CostCenter":"42"}`)
		} else {
			keys := make([]string, 0, len(raw))
			for k := range raw {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				var val string
				switch x := raw[k].(type) {
				case string:
					val = x
				case json.Number:
					val = x.String()
				case bool:
					val = strconv.FormatBool(x)
				default:
					p.fail(inputs.CustomTags, fmt.Sprintf("the value of %q is not a string, number or boolean", k), "string, number or boolean values")
					continue
				}
				switch {
				case !validTag(k, 1, 128):
					p.fail(inputs.CustomTags, fmt.Sprintf("tag key %q is not valid", k), "keys of 1 to 128 letters, digits, spaces and _.:/=+-@")
				case !validTag(val, 0, 256):
					p.fail(inputs.CustomTags, fmt.Sprintf("the value of tag %q is not valid", k), "values of up to 256 letters, digits, spaces and _.:/=+-@")
				case strings.HasPrefix(strings.ToLower(k), "aws:"):
					p.fail(inputs.CustomTags, fmt.Sprintf("tag key %q uses the reserved aws: prefix", k), "keys that do not start with aws:")
				}
				c.CustomTags = append(c.CustomTags, Tag{Key: k, Value: val})
			}
			if len(c.CustomTags) > 50 {
				p.fail(inputs.CustomTags, fmt.Sprintf("has %d tags", len(c.CustomTags)), "at most 50 session tags")
			}
		}
	}
	for _, line := range strings.Split(p.str(inputs.TransitiveTagKeys), "\n") {
		k := strings.TrimSpace(line)
		if k == "" {
			continue
		}
		if !validTag(k, 1, 128) {
			p.fail(inputs.TransitiveTagKeys, fmt.Sprintf("%q is not a tag key", k), "one tag key per line, 1 to 128 letters, digits, spaces and _.:/=+-@")
			continue
		}
		c.TransitiveTagKeys = append(c.TransitiveTagKeys, k)
	}
	if !c.Mode.AssumesRole() {
		for input, set := range map[string]bool{
			inputs.CustomTags: len(c.CustomTags) > 0, inputs.TransitiveTagKeys: len(c.TransitiveTagKeys) > 0, inputs.RoleExternalID: c.ExternalID != "",
		} {
			if set {
				p.warn("%s is ignored with %s: it applies to AssumeRole (keys + role, role-chaining, force-skip-oidc) only", input, c.Mode)
			}
		}
		sort.Strings(p.warnings)
	}
}

// validTag checks a session tag key or value: STS's character set and length.
func validTag(s string, minLen, maxLen int) bool {
	n := utf8.RuneCountInString(s)
	return n >= minLen && n <= maxLen && tagCharsRe().MatchString(s)
}

func isBareRoleName(v string) bool { return len(v) <= 64 && nameCharsRe().MatchString(v) }

// ARNPartition returns the partition field of an ARN ("aws" when absent).
func ARNPartition(s string) string {
	if a, ok := arn.Parse(s); ok && a.Partition != "" {
		return a.Partition
	}
	return "aws"
}

// ARNAccount returns the account field of an ARN, or def when absent.
func ARNAccount(s, def string) string {
	if a, ok := arn.Parse(s); ok && a.Account != "" {
		return a.Account
	}
	return def
}
