// Package action runs the action's steps. The main step turns validated
// inputs into credentials — GitHub OIDC, a token file, static keys, AssumeRole
// with keys, role chaining or the runner's own credentials — confirms them
// with GetCallerIdentity and exports them all-or-nothing; the post step
// removes what the main step left behind.
package action

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/org/aws-oidc-go/internal/config"
	"github.com/org/aws-oidc-go/internal/diagnose"
	"github.com/org/aws-oidc-go/internal/exchange"
	"github.com/org/aws-oidc-go/internal/export"
	"github.com/org/aws-oidc-go/internal/proxy"
	"github.com/org/aws-oidc-go/internal/token"
	"github.com/org/aws-oidc-go/internal/version"
)

// Default timing. AttemptTimeout bounds one token request plus one STS call,
// so a hung connection costs seconds, not the job.
const (
	DefaultAttemptTimeout = 15 * time.Second
	DefaultBaseDelay      = 200 * time.Millisecond
	DefaultMaxDelay       = 10 * time.Second
	verifyMaxAttempts     = 5
	// maxSpecialCharRetries bounds special-characters-workaround.
	maxSpecialCharRetries = 10
)

// STS is what the action needs from an STS client.
type STS interface {
	exchange.WebIdentityAPI
	exchange.AssumeRoleAPI
	exchange.CallerIdentityAPI
}

// STSFactory builds an STS client signing as s says.
type STSFactory func(ctx context.Context, cc exchange.ClientConfig, s exchange.Signing) (STS, error)

// Env is everything the steps take from the process, injectable for tests.
type Env struct {
	Getenv func(string) string
	Stdout io.Writer  // workflow commands and the log
	NewSTS STSFactory // nil: the AWS SDK
	// Retry carries timing (AttemptTimeout, delays, Sleep, Jitter); the
	// number of attempts comes from the inputs. Zero fields take defaults.
	Retry exchange.Retrier
	// Root is true when the process runs as root (the container): files it
	// writes are then handed to the owner of the runner's file-command files.
	Root bool
	// MountInfo is the path of /proc/self/mountinfo, to map container paths
	// to host paths. Empty: that file.
	MountInfo string

	// Format, when set, prints the credentials to Result instead of writing
	// GITHUB_ENV / GITHUB_OUTPUT: "env" (shell exports), "json", or
	// "credential-process" (the AWS credential_process JSON).
	Format string
	Result io.Writer
	// NoMask turns ::add-mask:: off, for credential-process, whose stderr the
	// AWS SDKs capture and may show.
	NoMask bool
	// Executable is this program's path, for refresh's credential_process.
	Executable string
}

// Formats Env.Format accepts.
const (
	FormatEnv               = "env"
	FormatJSON              = "json"
	FormatCredentialProcess = "credential-process"
)

// TimeoutError is the whole run exceeding action-timeout-s.
type TimeoutError struct{ After time.Duration }

func (e *TimeoutError) Error() string {
	return fmt.Sprintf("Action timed out after %d seconds (action-timeout-s)", int(e.After/time.Second))
}

// Failure is a failed run: the error plus advice on fixing it, and details
// (claims) to print with workflow commands stopped.
type Failure struct {
	Err     error
	Advice  []string
	Details []string
}

func (f *Failure) Error() string { return f.Err.Error() }
func (f *Failure) Unwrap() error { return f.Err }

// Run performs the main step. Nothing is exported unless everything
// succeeded. Input problems come back as errors joining *config.InputError;
// other failures as *Failure.
func Run(ctx context.Context, env Env) error {
	wf := export.New(env.Stdout, env.Getenv)
	if env.NoMask {
		wf.DisableMasks()
	}
	in := config.FromEnv(env.Getenv)
	// Secrets are masked before anything else can print them, even a
	// validation error.
	for _, name := range config.Inputs {
		if config.Secret[name] {
			wf.Mask(in(name))
		}
	}
	px := proxy.Resolve(in(config.InHTTPProxy), in(config.InNoProxy), env.Getenv)
	wf.Mask(px.Secrets()...)

	cfg, err := config.Load(in)
	if err != nil {
		return err
	}
	for _, w := range cfg.Warnings {
		wf.Actions().Warningf("%s", w)
	}
	if env.Format == "" && env.Getenv("GITHUB_ENV") == "" {
		return errors.New("GITHUB_ENV is not set, so there is nowhere to export the credentials: outside GitHub Actions use --format env or --format json (or credential-process)")
	}
	if cfg.ActionTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeoutCause(ctx, cfg.ActionTimeout, &TimeoutError{After: cfg.ActionTimeout})
		defer cancel()
	}
	r := &run{env: env, cfg: cfg, wf: wf, px: px, newSTS: env.NewSTS}
	if r.newSTS == nil {
		r.newSTS = SDKFactory()
	}
	if err := r.main(ctx); err != nil {
		if cause := context.Cause(ctx); cause != nil {
			var te *TimeoutError
			if errors.As(cause, &te) {
				err = fmt.Errorf("%w; last error: %w", te, err)
			}
		}
		d := diagnose.Diagnose(err, r.diag())
		return &Failure{Err: err, Advice: d.Advice, Details: d.Details}
	}
	return nil
}

type run struct {
	env    Env
	cfg    *config.Config
	wf     *export.Workflow
	px     proxy.Settings
	newSTS STSFactory
	claims *token.Claims // of the last ID token, for diagnosis
	source string        // where the credentials came from, for the summary
}

func (r *run) diag() diagnose.Context {
	return diagnose.Context{RoleARN: r.cfg.RoleARN, Region: r.cfg.Region, Audience: r.cfg.Audience, Claims: r.claims, Mode: r.cfg.Mode}
}

func (r *run) logf(format string, args ...any) { r.wf.Actions().Infof(format, args...) }

func (r *run) clientConfig() exchange.ClientConfig {
	proxyFunc := r.px.Func()
	return exchange.ClientConfig{
		Region:   r.cfg.Region,
		Endpoint: r.cfg.STSEndpoint,
		UserAgent: [][2]string{
			{"aws-oidc-go", version.String()},
			{"gha-run", orDash(r.env.Getenv("GITHUB_RUN_ID"))},
			{"gha-attempt", orDash(r.env.Getenv("GITHUB_RUN_ATTEMPT"))},
		},
		Transport: func(t *http.Transport) { t.Proxy = proxyFunc },
	}
}

func (r *run) main(ctx context.Context) error {
	cfg := r.cfg
	if r.px.HTTPSProxy != "" {
		r.logf("Using proxy %s (no-proxy: %s)", proxy.Redacted(r.px.HTTPSProxy), orDash(r.px.NoProxy))
	}
	cc := r.clientConfig()

	if cfg.UseExisting {
		done, err := r.useExisting(ctx, cc)
		if done || err != nil {
			return err
		}
	}

	var obtain func(context.Context) (*exchange.Credentials, error)
	switch cfg.Mode {
	case config.ModeOIDC:
		gh := &token.GitHub{Getenv: r.env.Getenv, HTTPClient: &http.Client{Transport: r.px.Transport()}}
		if !gh.Available() {
			return token.ErrNoIDTokenPermission
		}
		obtain = func(ctx context.Context) (*exchange.Credentials, error) {
			return r.webIdentity(ctx, cc, "GitHub OIDC, audience "+orNone(cfg.Audience), func(ctx context.Context) (string, error) {
				jwt, err := gh.Fetch(ctx, cfg.Audience)
				if err != nil {
					return "", err
				}
				r.wf.Mask(jwt)
				if c, err := token.DecodeClaims(jwt); err == nil {
					r.claims = c
				}
				return jwt, nil
			})
		}
	case config.ModeTokenFile:
		path, err := TokenFilePath(cfg.TokenFile, r.env.Getenv("GITHUB_WORKSPACE"))
		if err != nil {
			return err
		}
		obtain = func(ctx context.Context) (*exchange.Credentials, error) {
			return r.webIdentity(ctx, cc, "the web identity token in "+path, func(context.Context) (string, error) {
				tok, err := ReadTokenFile(path)
				if err == nil {
					r.wf.Mask(tok)
					if c, err := token.DecodeClaims(tok); err == nil {
						r.claims = c
					}
				}
				return tok, err
			})
		}
	case config.ModeKeys:
		r.source = "static access keys"
		obtain = func(context.Context) (*exchange.Credentials, error) {
			r.logf("Using the static access keys from the inputs")
			return &exchange.Credentials{AccessKeyID: cfg.AccessKeyID, SecretAccessKey: cfg.SecretAccessKey, SessionToken: cfg.SessionToken}, nil
		}
	case config.ModeKeysRole, config.ModeChaining, config.ModeAmbient:
		var err error
		if obtain, err = r.assumeRole(ctx, cc); err != nil {
			return err
		}
	case config.ModeExisting:
		return errors.New("use-existing-credentials: the environment has no working AWS credentials, and no role-to-assume or keys are set to get new ones")
	}

	creds, err := r.withoutSpecialCharacters(ctx, obtain)
	if err != nil {
		return err
	}
	r.wf.Mask(creds.AccessKeyID, creds.SecretAccessKey, creds.SessionToken)

	signed, err := r.newSTS(ctx, cc, exchange.Signing{Static: creds})
	if err != nil {
		return err
	}
	id, err := exchange.CallerIdentity(ctx, signed, r.retrier(min(cfg.MaxAttempts, verifyMaxAttempts), "GetCallerIdentity"))
	if err != nil {
		return err
	}
	if cfg.MaskAccountID {
		r.wf.Mask(id.Account, id.ARN)
	}
	if len(cfg.AllowedAccountIDs) > 0 && !slices.Contains(cfg.AllowedAccountIDs, id.Account) {
		return &AccountNotAllowedError{Account: id.Account, Allowed: cfg.AllowedAccountIDs}
	}
	until := ""
	if !creds.Expiration.IsZero() {
		until = " until " + creds.Expiration.Format(time.RFC3339)
	}
	r.logf("Authenticated as %s (account %s)%s", id.ARN, id.Account, until)
	if err := r.export(creds, id); err != nil {
		return err
	}
	r.summary(creds, id)
	return nil
}

// webIdentity runs AssumeRoleWithWebIdentity with tokens from fetch.
func (r *run) webIdentity(ctx context.Context, cc exchange.ClientConfig, how string, fetch exchange.TokenFunc) (*exchange.Credentials, error) {
	cfg := r.cfg
	anon, err := r.newSTS(ctx, cc, exchange.Signing{})
	if err != nil {
		return nil, err
	}
	r.source = how
	r.logf("Assuming %s with %s (session %s, %ds, region %s)",
		cfg.RoleARN, how, cfg.SessionName, int(cfg.Duration/time.Second), cfg.Region)
	return exchange.AssumeRoleWithWebIdentity(ctx, anon, fetch, exchange.WebIdentityRequest{
		RoleARN:     cfg.RoleARN,
		SessionName: cfg.SessionName,
		Duration:    cfg.Duration,
		Policy:      cfg.InlinePolicy,
		PolicyARNs:  cfg.ManagedPolicies,
	}, r.retrier(cfg.MaxAttempts, "AssumeRoleWithWebIdentity"))
}

// assumeRole prepares AssumeRole signed with the source credentials of the
// mode: it confirms them first (and learns their account, to complete a
// bare role name), then returns the call to make.
func (r *run) assumeRole(ctx context.Context, cc exchange.ClientConfig) (func(context.Context) (*exchange.Credentials, error), error) {
	cfg := r.cfg
	var src exchange.Signing
	switch cfg.Mode {
	case config.ModeKeysRole:
		src.Static = &exchange.Credentials{AccessKeyID: cfg.AccessKeyID, SecretAccessKey: cfg.SecretAccessKey, SessionToken: cfg.SessionToken}
	case config.ModeChaining:
		c, err := EnvironmentCredentials(r.env.Getenv)
		if err != nil {
			return nil, err
		}
		r.wf.Mask(c.AccessKeyID, c.SecretAccessKey, c.SessionToken)
		src.Static = c
	case config.ModeAmbient:
		src.Ambient = true
	}
	client, err := r.newSTS(ctx, cc, src)
	if err != nil {
		return nil, err
	}
	srcID, err := exchange.CallerIdentity(ctx, client, r.retrier(min(cfg.MaxAttempts, verifyMaxAttempts), "GetCallerIdentity"))
	if err != nil {
		return nil, fmt.Errorf("checking the source credentials (%s): %w", cfg.Mode, err)
	}
	roleARN := cfg.RoleARN
	if roleARN == "" {
		roleARN = fmt.Sprintf("arn:%s:iam::%s:role/%s", config.ARNPartition(srcID.ARN), srcID.Account, cfg.RoleName)
	}
	req := exchange.RoleRequest{
		RoleARN:           roleARN,
		SessionName:       cfg.SessionName,
		Duration:          cfg.Duration,
		Policy:            cfg.InlinePolicy,
		PolicyARNs:        cfg.ManagedPolicies,
		ExternalID:        cfg.ExternalID,
		TransitiveTagKeys: cfg.TransitiveTagKeys,
		OnDropTags: func(dropped []exchange.Tag) {
			r.wf.Actions().Warningf("The session tags were too large for STS (PackedPolicyTooLarge); retrying without the optional tags %s", tagKeys(dropped))
		},
	}
	if !cfg.SkipSessionTagging {
		req.Tags, req.OptionalTags = SessionTags(r.env.Getenv, cfg.CustomTags)
	}
	r.source = fmt.Sprintf("%s, as %s", cfg.Mode, srcID.ARN)
	return func(ctx context.Context) (*exchange.Credentials, error) {
		r.logf("Assuming %s with %s as %s (session %s, %ds, %d session tags, region %s)",
			roleARN, cfg.Mode, srcID.ARN, cfg.SessionName, int(cfg.Duration/time.Second), len(req.Tags)+len(req.OptionalTags), cfg.Region)
		return exchange.AssumeRole(ctx, client, req, r.retrier(cfg.MaxAttempts, "AssumeRole"))
	}, nil
}

// useExisting reports done when the environment's credentials already work.
func (r *run) useExisting(ctx context.Context, cc exchange.ClientConfig) (bool, error) {
	client, err := r.newSTS(ctx, cc, exchange.Signing{Ambient: true})
	if err != nil {
		return false, err
	}
	id, err := exchange.CallerIdentity(ctx, client, r.retrier(1, "GetCallerIdentity"))
	if err != nil {
		r.logf("use-existing-credentials: the environment's credentials do not work (%s); getting new ones", export.OneLine(exchange.Describe(err)))
		return false, nil
	}
	if r.cfg.MaskAccountID {
		r.wf.Mask(id.Account, id.ARN)
	}
	if len(r.cfg.AllowedAccountIDs) > 0 && !slices.Contains(r.cfg.AllowedAccountIDs, id.Account) {
		return true, &AccountNotAllowedError{Account: id.Account, Allowed: r.cfg.AllowedAccountIDs}
	}
	r.logf("use-existing-credentials: already authenticated as %s (account %s); nothing new assumed", id.ARN, id.Account)
	return true, r.wf.Append("GITHUB_OUTPUT", []export.Var{{Name: "aws-account-id", Value: id.Account}, {Name: "authenticated-arn", Value: id.ARN}})
}

// specialChars are the characters special-characters-workaround avoids.
var specialChars = regexp.MustCompile(`[!@#$%^&*()_+\-=\[\]{};':"\\|,.<>/?]`)

// withoutSpecialCharacters calls obtain once, or with
// special-characters-workaround until neither the key id nor the secret
// contains a special character (bounded).
func (r *run) withoutSpecialCharacters(ctx context.Context, obtain func(context.Context) (*exchange.Credentials, error)) (*exchange.Credentials, error) {
	if !r.cfg.SpecialCharsWorkaround || r.cfg.Mode == config.ModeKeys {
		return obtain(ctx)
	}
	for i := 1; ; i++ {
		c, err := obtain(ctx)
		if err != nil {
			return nil, err
		}
		r.wf.Mask(c.AccessKeyID, c.SecretAccessKey, c.SessionToken)
		if !specialChars.MatchString(c.AccessKeyID) && !specialChars.MatchString(c.SecretAccessKey) {
			return c, nil
		}
		if i == maxSpecialCharRetries {
			return nil, fmt.Errorf("special-characters-workaround: every one of %d sessions had a special character in its key id or secret; give up (turn the workaround off, or quote the credentials where they are used)", i)
		}
		r.logf("special-characters-workaround: credentials %d of at most %d contain a special character; assuming again", i, maxSpecialCharRetries)
	}
}

// AccountNotAllowedError is credentials for an account outside allowed-account-ids.
type AccountNotAllowedError struct {
	Account string
	Allowed []string
}

func (e *AccountNotAllowedError) Error() string {
	return fmt.Sprintf("the credentials are for account %s, which allowed-account-ids (%s) does not list; nothing was exported",
		e.Account, strings.Join(e.Allowed, ", "))
}

func (r *run) retrier(attempts int, op string) exchange.Retrier {
	rt := r.env.Retry
	rt.MaxAttempts = attempts
	if rt.AttemptTimeout == 0 {
		rt.AttemptTimeout = DefaultAttemptTimeout
	}
	if rt.BaseDelay == 0 {
		rt.BaseDelay = DefaultBaseDelay
	}
	if rt.MaxDelay == 0 {
		rt.MaxDelay = DefaultMaxDelay
	}
	how := ""
	if op == "AssumeRoleWithWebIdentity" {
		how = " with a fresh token"
	}
	rt.OnRetry = func(attempt int, err error, wait time.Duration) {
		r.logf("%s attempt %d/%d failed: %s; retrying in %s%s",
			op, attempt, attempts, export.OneLine(err.Error()), wait.Round(time.Millisecond), how)
	}
	return rt
}

// EnvironmentCredentials reads the credentials an earlier step exported.
func EnvironmentCredentials(getenv func(string) string) (*exchange.Credentials, error) {
	c := &exchange.Credentials{
		AccessKeyID:     getenv("AWS_ACCESS_KEY_ID"),
		SecretAccessKey: getenv("AWS_SECRET_ACCESS_KEY"),
		SessionToken:    getenv("AWS_SESSION_TOKEN"),
	}
	if c.AccessKeyID == "" || c.SecretAccessKey == "" {
		return nil, errors.New("role-chaining needs credentials in the environment (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, e.g. exported by an earlier step of this action), and there are none")
	}
	return c, nil
}

// SDKFactory returns an STSFactory backed by the AWS SDK, loading the SDK's
// configuration once per run.
func SDKFactory() STSFactory {
	var cfg *aws.Config
	return func(ctx context.Context, cc exchange.ClientConfig, s exchange.Signing) (STS, error) {
		if cfg == nil {
			c, err := exchange.LoadAWSConfig(ctx, cc)
			if err != nil {
				return nil, err
			}
			cfg = &c
		}
		return exchange.NewSTS(*cfg, cc, s), nil
	}
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}
