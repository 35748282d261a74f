// Package exchange makes the STS calls — AssumeRoleWithWebIdentity,
// AssumeRole and GetCallerIdentity — with retries that repeat only what can
// succeed, a fresh ID token per attempt, and no SDK retries underneath. The
// identity an answer names is checked against what was asked for: an
// assumed role's AssumedRoleUser must be a session of the role (its
// account, partition and name), and a GetCallerIdentity Account must be its own Arn's.
package exchange

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/aws-sdk-go-v2/service/sts/types"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/logging"

	"github.com/org/aws-oidc-go/internal/arn"
)

// WebIdentityAPI is the one STS method the OIDC exchange calls.
type WebIdentityAPI interface {
	AssumeRoleWithWebIdentity(ctx context.Context, in *sts.AssumeRoleWithWebIdentityInput, opts ...func(*sts.Options)) (*sts.AssumeRoleWithWebIdentityOutput, error)
}

// AssumeRoleAPI is the STS method the key, chaining and ambient paths call.
type AssumeRoleAPI interface {
	AssumeRole(ctx context.Context, in *sts.AssumeRoleInput, opts ...func(*sts.Options)) (*sts.AssumeRoleOutput, error)
}

// CallerIdentityAPI is the one STS method that confirms credentials work.
type CallerIdentityAPI interface {
	GetCallerIdentity(ctx context.Context, in *sts.GetCallerIdentityInput, opts ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error)
}

// API is every STS method the action calls.
type API interface {
	WebIdentityAPI
	AssumeRoleAPI
	CallerIdentityAPI
}

// ClientFunc returns an STS client that signs as s says.
type ClientFunc func(ctx context.Context, s Signing) (API, error)

// Credentials are temporary AWS credentials. Treat every field but
// Expiration and Identity as secret.
type Credentials struct {
	AccessKeyID     string
	SecretAccessKey string
	SessionToken    string
	Expiration      time.Time
	// Identity is who STS said the credentials authenticate as, when the
	// call that issued them says (AssumedRoleUser of AssumeRole and
	// AssumeRoleWithWebIdentity, already checked against the role's
	// account); nil for credentials given as they are.
	Identity *Identity
}

// Identity is who a set of credentials authenticates as.
type Identity struct {
	Account string
	ARN     string
}

// WebIdentityRequest is what AssumeRoleWithWebIdentity is asked for.
type WebIdentityRequest struct {
	RoleARN     string
	SessionName string
	Duration    time.Duration
	Policy      string   // inline session policy JSON, optional
	PolicyARNs  []string // managed session policies, optional
	// ReuseToken lets a token fetch returned be sent again by the next
	// attempts while it is safely inside its own lifetime (see
	// AssumeRoleWithWebIdentity): right for GitHub's token service, whose
	// tokens live minutes and cost a request each. Without it every attempt
	// calls fetch (a token file is re-read each attempt: projected tokens
	// are rotated in place).
	ReuseToken bool
}

// TokenFunc returns a web identity token, freshly fetched or read. It is
// called before the first attempt and, with ReuseToken, again only when the
// token in hand can no longer be used; without ReuseToken, once per attempt.
type TokenFunc func(ctx context.Context) (string, error)

// AssumeRoleWithWebIdentity trades a web identity token for role credentials.
// The first attempt asks fetch for a token. With req.ReuseToken a retry sends
// the same token again while less than half of its lifetime — its own exp −
// iat, timed on r's monotonic clock from when fetch was asked, never its exp
// against this machine's clock — has passed, and asks fetch for a new one
// once it has, when the token's claims give no sane lifetime, and after STS
// called the token expired (ExpiredTokenException) or invalid
// (InvalidIdentityToken, unless STS could not retrieve the issuer's keys,
// which is not the token's fault). An invalid answer about a token sent again
// is retried once with a fresh one, as a fresh token would have been sent
// before. The token is only ever held in memory.
func AssumeRoleWithWebIdentity(ctx context.Context, api WebIdentityAPI, fetch TokenFunc, req WebIdentityRequest, r Retrier) (*Credentials, error) {
	in := &sts.AssumeRoleWithWebIdentityInput{
		RoleArn:         aws.String(req.RoleARN),
		RoleSessionName: aws.String(req.SessionName),
		DurationSeconds: aws.Int32(int32(req.Duration / time.Second)),
	}
	in.Policy, in.PolicyArns = sessionPolicies(req.Policy, req.PolicyARNs)
	held := heldToken{now: r.now}
	sentAgain := false
	transient := r.Transient
	if transient == nil {
		transient = Transient
	}
	r.Transient = func(err error) bool {
		// A token sent again that STS refuses gets one more try with a
		// fresh one: without reuse, that attempt would have had one.
		return transient(err) || sentAgain && rejectsToken(err)
	}
	out, err := call(ctx, r, "AssumeRoleWithWebIdentity", func(ctx context.Context) (*sts.AssumeRoleWithWebIdentityOutput, error) {
		tok, again := held.get()
		if !again {
			start := held.now()
			var err error
			if tok, err = fetch(ctx); err != nil {
				return nil, &CallError{Op: "GetIDToken", Err: err}
			}
			if req.ReuseToken {
				held.keep(tok, start)
			}
		}
		sentAgain = again
		in.WebIdentityToken = aws.String(tok)
		out, err := api.AssumeRoleWithWebIdentity(ctx, in)
		if err != nil && rejectsToken(err) {
			held.drop()
		}
		return out, err
	})
	if err != nil {
		return nil, err
	}
	return sessionOf("AssumeRoleWithWebIdentity", req.RoleARN, out.Credentials, out.AssumedRoleUser)
}

// Tag is a session tag.
type Tag struct{ Key, Value string }

// RoleRequest is what AssumeRole is asked for.
type RoleRequest struct {
	RoleARN           string
	SessionName       string
	Duration          time.Duration
	Policy            string
	PolicyARNs        []string
	ExternalID        string
	Tags              []Tag // always sent
	OptionalTags      []Tag // dropped, and the call made once more, on PackedPolicyTooLarge
	TransitiveTagKeys []string
	// OnDropTags, when set, is told that the optional tags were dropped.
	OnDropTags func(dropped []Tag)
}

// AssumeRole assumes a role with the credentials api signs with.
func AssumeRole(ctx context.Context, api AssumeRoleAPI, req RoleRequest, r Retrier) (*Credentials, error) {
	in := &sts.AssumeRoleInput{
		RoleArn:         aws.String(req.RoleARN),
		RoleSessionName: aws.String(req.SessionName),
		DurationSeconds: aws.Int32(int32(req.Duration / time.Second)),
	}
	in.Policy, in.PolicyArns = sessionPolicies(req.Policy, req.PolicyARNs)
	if req.ExternalID != "" {
		in.ExternalId = aws.String(req.ExternalID)
	}
	in.TransitiveTagKeys = req.TransitiveTagKeys
	call := func(tags []Tag) (*sts.AssumeRoleOutput, error) {
		in.Tags = in.Tags[:0]
		for _, t := range tags {
			in.Tags = append(in.Tags, types.Tag{Key: aws.String(t.Key), Value: aws.String(t.Value)})
		}
		return call(ctx, r, "AssumeRole", func(ctx context.Context) (*sts.AssumeRoleOutput, error) {
			return api.AssumeRole(ctx, in)
		})
	}
	out, err := call(append(append([]Tag(nil), req.Tags...), req.OptionalTags...))
	if err != nil && ErrorCode(err) == "PackedPolicyTooLarge" && len(req.OptionalTags) > 0 {
		if req.OnDropTags != nil {
			req.OnDropTags(req.OptionalTags)
		}
		out, err = call(req.Tags)
	}
	if err != nil {
		return nil, err
	}
	return sessionOf("AssumeRole", req.RoleARN, out.Credentials, out.AssumedRoleUser)
}

// CallerIdentity confirms credentials with GetCallerIdentity. Besides the
// usual transient failures it retries InvalidClientTokenId: a role created
// moments ago can be unknown to STS for a few seconds.
func CallerIdentity(ctx context.Context, api CallerIdentityAPI, r Retrier) (*Identity, error) {
	r.Transient = func(err error) bool {
		return Transient(err) || ErrorCode(err) == "InvalidClientTokenId"
	}
	out, err := call(ctx, r, "GetCallerIdentity", func(ctx context.Context) (*sts.GetCallerIdentityOutput, error) {
		return api.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	})
	if err != nil {
		return nil, err
	}
	id := &Identity{Account: aws.ToString(out.Account), ARN: aws.ToString(out.Arn)}
	arnAccount, ok := accountOfARN(id.ARN)
	if !arn.IsAccountID(id.Account) || !ok {
		// Never echo it: a garbled answer is not to be printed or exported.
		return nil, &CallError{Op: "GetCallerIdentity", Err: errors.New("the answer holds no valid account id and ARN")}
	}
	if arnAccount != id.Account {
		return nil, &IdentityError{Op: "GetCallerIdentity", Identity: *id,
			Problem: fmt.Sprintf("its Account %s is not the account of its own Arn %s (%s); an answer that contradicts itself is not trusted", id.Account, id.ARN, arnAccount)}
	}
	return id, nil
}

// IdentityError is an STS answer that names an identity other than the
// one asked for, or that contradicts itself. Identity holds only values
// already checked to be a well-formed account id and ARN.
type IdentityError struct {
	Op       string   // the call whose answer it is
	Identity Identity // what STS named
	Problem  string   // what does not match, naming what was expected
}

func (e *IdentityError) Error() string {
	return fmt.Sprintf("%s: STS's answer names %s: %s; nothing was exported", e.Op, e.Identity.ARN, e.Problem)
}

// accountOfARN returns the account of a well-formed ARN (arn.WellFormed)
// whose whole text is visible ASCII without spaces (printableToken).
func accountOfARN(s string) (string, bool) {
	a, ok := arn.Parse(s)
	if !ok || !a.WellFormed() || !printableToken(s) {
		return "", false
	}
	return a.Account, true
}

// sessionOf checks an assumed role's answer: complete credentials, an
// AssumedRoleUser of the role roleARN names — in its account and
// partition, of a role of its name (compared case-insensitively, as IAM
// compares role names) — and an Expiration.
func sessionOf(op, roleARN string, c *types.Credentials, user *types.AssumedRoleUser) (*Credentials, error) {
	creds, err := credentialsOf(op, c)
	if err != nil {
		return nil, err
	}
	if c.Expiration == nil {
		return nil, &CallError{Op: op, Err: errors.New("the answer holds credentials without an Expiration")}
	}
	userARN := ""
	if user != nil {
		userARN = aws.ToString(user.Arn)
	}
	account, ok := accountOfARN(userARN)
	session, _ := arn.Parse(userARN)
	sessionRole, isSession := session.AssumedRole()
	if !ok || !isSession {
		// Never echo it: a garbled answer is not to be printed or exported.
		return nil, &CallError{Op: op, Err: errors.New("the answer holds no valid AssumedRoleUser ARN (arn:PARTITION:sts::ACCOUNT:assumed-role/ROLE/SESSION)")}
	}
	id := Identity{Account: account, ARN: userARN}
	if want, _ := accountOfARN(roleARN); want != "" && want != account {
		return nil, &IdentityError{Op: op, Identity: id,
			Problem: fmt.Sprintf("the session is in account %s, but the role %s is in account %s", account, roleARN, want)}
	}
	role, _ := arn.Parse(roleARN)
	if _, name, ok := role.Role(); ok {
		switch {
		case session.Partition != role.Partition:
			return nil, &IdentityError{Op: op, Identity: id,
				Problem: fmt.Sprintf("the session is in partition %s, but the role %s is in partition %s", session.Partition, roleARN, role.Partition)}
		case !strings.EqualFold(sessionRole, name):
			return nil, &IdentityError{Op: op, Identity: id,
				Problem: fmt.Sprintf("the session is of role %s, but the role %s is named %s", sessionRole, roleARN, name)}
		}
	}
	creds.Identity = &id
	return creds, nil
}

// ClockSkew is how far this machine's clock and STS's may disagree before
// an Expiration is questioned.
const ClockSkew = 5 * time.Minute

// ExpiredError is credentials whose Expiration has already passed.
type ExpiredError struct {
	Expiration, Now time.Time
}

func (e *ExpiredError) Error() string {
	return fmt.Sprintf("STS returned credentials that expired at %s, %s before now (%s by this machine's clock); nothing was exported (is the STS endpoint a replay or a cache, or this machine's clock wrong?)",
		e.Expiration.UTC().Format(time.RFC3339), e.Now.Sub(e.Expiration).Round(time.Second), e.Now.UTC().Format(time.RFC3339))
}

// CheckExpiration checks what STS says about when credentials expire,
// against now and the requested session duration: an Expiration already
// past is an *ExpiredError; one later than requested plus ClockSkew comes
// back as a warning. A zero Expiration (credentials given as they are)
// passes.
func CheckExpiration(exp time.Time, requested time.Duration, now time.Time) (warning string, err error) {
	if exp.IsZero() {
		return "", nil
	}
	if !exp.After(now) {
		return "", &ExpiredError{Expiration: exp, Now: now}
	}
	if requested > 0 && exp.After(now.Add(requested+ClockSkew)) {
		return fmt.Sprintf("STS returned credentials that expire at %s, %s from now, later than the %s requested (role-duration-seconds %d) plus %s of clock skew; using them as STS issued them",
			exp.UTC().Format(time.RFC3339), exp.Sub(now).Round(time.Second), requested, int(requested/time.Second), ClockSkew), nil
	}
	return "", nil
}

// call runs one STS operation under r, naming op in its errors (an error
// that already names its call, such as the token fetch's, is kept as it is).
func call[T any](ctx context.Context, r Retrier, op string, f func(context.Context) (*T, error)) (*T, error) {
	var out *T
	err := r.Do(ctx, func(ctx context.Context) error {
		o, err := f(ctx)
		if err != nil {
			var ce *CallError
			if errors.As(err, &ce) {
				return err
			}
			return &CallError{Op: op, Err: err}
		}
		out = o
		return nil
	})
	return out, err
}

// printableToken reports whether s is non-empty visible ASCII without
// spaces: what key ids, secrets, session tokens and ARNs are made of. A
// value with a line break could inject workflow commands or variables.
func printableToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] > '~' {
			return false
		}
	}
	return true
}

func credentialsOf(op string, c *types.Credentials) (*Credentials, error) {
	if c == nil || !printableToken(aws.ToString(c.AccessKeyId)) || !printableToken(aws.ToString(c.SecretAccessKey)) || !printableToken(aws.ToString(c.SessionToken)) {
		return nil, &CallError{Op: op, Err: errors.New("the answer holds no complete, well-formed credentials")}
	}
	return &Credentials{
		AccessKeyID:     aws.ToString(c.AccessKeyId),
		SecretAccessKey: aws.ToString(c.SecretAccessKey),
		SessionToken:    aws.ToString(c.SessionToken),
		Expiration:      aws.ToTime(c.Expiration).UTC(),
	}, nil
}

// sessionPolicies converts the session policy inputs for either call.
func sessionPolicies(policy string, arns []string) (*string, []types.PolicyDescriptorType) {
	var p *string
	if policy != "" {
		p = aws.String(policy)
	}
	var descs []types.PolicyDescriptorType
	for _, a := range arns {
		descs = append(descs, types.PolicyDescriptorType{Arn: aws.String(a)})
	}
	return p, descs
}

// CallError names the call that failed.
type CallError struct {
	Op  string // GetIDToken, AssumeRoleWithWebIdentity, GetCallerIdentity
	Err error
}

func (e *CallError) Error() string { return e.Op + ": " + Describe(e.Err) }
func (e *CallError) Unwrap() error { return e.Err }

// ErrorCode is the STS error code in err's chain, or "".
func ErrorCode(err error) string {
	var api smithy.APIError
	if errors.As(err, &api) {
		return api.ErrorCode()
	}
	return ""
}

// Describe renders an SDK error for a person: the STS code and message with
// the HTTP status and request id, instead of the SDK's nested wording.
func Describe(err error) string {
	var he *HTTPError
	if errors.As(err, &he) {
		return he.Error()
	}
	var api smithy.APIError
	if !errors.As(err, &api) {
		var op *smithy.OperationError
		if errors.As(err, &op) {
			return op.Err.Error()
		}
		return err.Error()
	}
	s := api.ErrorCode()
	if m := api.ErrorMessage(); m != "" {
		s += ": " + m
	}
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		if id := re.ServiceRequestID(); id != "" {
			s += fmt.Sprintf(" (HTTP %d, request id %s)", re.HTTPStatusCode(), id)
		} else {
			s += fmt.Sprintf(" (HTTP %d)", re.HTTPStatusCode())
		}
	}
	return s
}

// ClientConfig is what building an STS client needs.
type ClientConfig struct {
	Region string
	// Endpoint, when set, wins over AWS_ENDPOINT_URL_STS / AWS_ENDPOINT_URL;
	// without any of them the SDK uses the regional endpoint of Region.
	Endpoint string
	// UserAgent pairs are appended to the SDK's User-Agent, so CloudTrail
	// shows which tool, version, run and attempt made the call.
	UserAgent [][2]string
	// Transport, when set, adjusts the HTTP transport (proxies).
	Transport func(*http.Transport)
}

// Signing says how a client signs its requests: not at all (the zero
// value), with static credentials, or with the SDK's default chain —
// environment, shared files, container and instance roles.
type Signing struct {
	Static  *Credentials
	Ambient bool
}

// LoadAWSConfig loads the SDK's own configuration (environment and shared
// files: endpoints, CA bundle, the default credential chain) with SDK
// retries off. Credentials are not resolved until a client signs with them.
func LoadAWSConfig(ctx context.Context, cc ClientConfig) (aws.Config, error) {
	hc := awshttp.NewBuildableClient()
	if cc.Transport != nil {
		hc = hc.WithTransportOptions(cc.Transport)
	}
	cfg, err := config.LoadDefaultConfig(ctx,
		config.WithRegion(cc.Region),
		config.WithHTTPClient(hc),
		config.WithRetryer(func() aws.Retryer { return aws.NopRetryer{} }),
		// The SDK's own warnings would go to stderr, around our log path.
		config.WithLogger(logging.Nop{}),
	)
	if err != nil {
		return aws.Config{}, fmt.Errorf("loading the AWS SDK configuration: %w", err)
	}
	// Wrapped after loading: the loader adds AWS_CA_BUNDLE's roots only to
	// its own *BuildableClient type.
	cfg.HTTPClient = guardedClient{cfg.HTTPClient}
	return cfg, nil
}

// NewSTS returns an STS client for cfg that signs as s says.
func NewSTS(cfg aws.Config, cc ClientConfig, s Signing) *sts.Client {
	return sts.NewFromConfig(cfg, func(o *sts.Options) {
		o.RetryMaxAttempts = 0
		o.Retryer = aws.NopRetryer{}
		if cc.Endpoint != "" {
			o.BaseEndpoint = aws.String(cc.Endpoint)
		}
		switch {
		case s.Static != nil:
			o.Credentials = credentials.NewStaticCredentialsProvider(s.Static.AccessKeyID, s.Static.SecretAccessKey, s.Static.SessionToken)
		case s.Ambient:
			// cfg.Credentials: the default chain.
		default:
			o.Credentials = aws.AnonymousCredentials{}
		}
		for _, kv := range cc.UserAgent {
			o.APIOptions = append(o.APIOptions, awsmiddleware.AddUserAgentKeyValue(kv[0], kv[1]))
		}
	})
}
