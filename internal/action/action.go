// Package action runs the action's main step: validated inputs → GitHub ID
// token → STS AssumeRoleWithWebIdentity → GetCallerIdentity → masked,
// all-or-nothing exports for the steps that follow.
package action

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/org/aws-oidc-go/internal/config"
	"github.com/org/aws-oidc-go/internal/diagnose"
	"github.com/org/aws-oidc-go/internal/exchange"
	"github.com/org/aws-oidc-go/internal/export"
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
)

// STS is what the action needs from an STS client.
type STS interface {
	exchange.WebIdentityAPI
	exchange.CallerIdentityAPI
}

// STSFactory builds an STS client; creds nil means unsigned requests.
type STSFactory func(ctx context.Context, cc exchange.ClientConfig, creds *exchange.Credentials) (STS, error)

// Env is everything Run takes from the process, injectable for tests.
type Env struct {
	Getenv     func(string) string
	Stdout     io.Writer    // workflow commands and the log
	HTTPClient *http.Client // for GitHub's token service
	NewSTS     STSFactory   // nil: the AWS SDK
	// Retry carries timing (AttemptTimeout, delays, Sleep, Jitter); the
	// number of attempts comes from the inputs. Zero fields take defaults.
	Retry exchange.Retrier
}

// TimeoutError is the whole run exceeding action-timeout-s.
type TimeoutError struct{ After time.Duration }

func (e *TimeoutError) Error() string {
	return fmt.Sprintf("Action timed out after %d seconds (action-timeout-s)", int(e.After/time.Second))
}

// Failure is a failed run: the error plus advice on fixing it.
type Failure struct {
	Err    error
	Advice []string
}

func (f *Failure) Error() string { return f.Err.Error() }
func (f *Failure) Unwrap() error { return f.Err }

// Run performs the main step. Nothing is exported unless everything
// succeeded. Input problems come back as errors joining *config.InputError;
// other failures as *Failure.
func Run(ctx context.Context, env Env) error {
	cfg, err := config.Load(config.FromEnv(env.Getenv))
	if err != nil {
		return err
	}
	if cfg.ActionTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeoutCause(ctx, cfg.ActionTimeout, &TimeoutError{After: cfg.ActionTimeout})
		defer cancel()
	}
	r := &run{env: env, cfg: cfg, wf: export.New(env.Stdout, env.Getenv)}
	if err := r.main(ctx); err != nil {
		if cause := context.Cause(ctx); cause != nil {
			var te *TimeoutError
			if errors.As(cause, &te) {
				err = fmt.Errorf("%w; last error: %w", te, err)
			}
		}
		return &Failure{Err: err, Advice: diagnose.Advice(err, r.diag())}
	}
	return nil
}

type run struct {
	env    Env
	cfg    *config.Config
	wf     *export.Workflow
	issuer string
}

func (r *run) diag() diagnose.Context {
	return diagnose.Context{RoleARN: r.cfg.RoleARN, Region: r.cfg.Region, Audience: r.cfg.Audience, Issuer: r.issuer}
}

func (r *run) logf(format string, args ...any) { r.wf.Actions().Infof(format, args...) }

func (r *run) main(ctx context.Context) error {
	cfg, env := r.cfg, r.env
	gh := &token.GitHub{Getenv: env.Getenv, HTTPClient: env.HTTPClient}
	if !gh.Available() {
		return token.ErrNoIDTokenPermission
	}

	cc := exchange.ClientConfig{
		Region:   cfg.Region,
		Endpoint: cfg.STSEndpoint,
		UserAgent: [][2]string{
			{"aws-oidc-go", version.String()},
			{"gha-run", orDash(env.Getenv("GITHUB_RUN_ID"))},
			{"gha-attempt", orDash(env.Getenv("GITHUB_RUN_ATTEMPT"))},
		},
	}
	newSTS := env.NewSTS
	if newSTS == nil {
		newSTS = SDKFactory()
	}
	anon, err := newSTS(ctx, cc, nil)
	if err != nil {
		return err
	}

	aud := cfg.Audience
	if aud == "" {
		aud = "(none)"
	}
	r.logf("Assuming %s with GitHub OIDC (audience %s, session %s, %ds, region %s)",
		cfg.RoleARN, aud, cfg.SessionName, int(cfg.Duration/time.Second), cfg.Region)

	fetch := func(ctx context.Context) (string, error) {
		jwt, err := gh.Fetch(ctx, cfg.Audience)
		if err != nil {
			return "", err
		}
		r.wf.Mask(jwt)
		if c, err := token.DecodeClaims(jwt); err == nil {
			r.issuer = c.Issuer
		}
		return jwt, nil
	}
	retry := r.retrier(cfg.MaxAttempts, "AssumeRoleWithWebIdentity")
	creds, err := exchange.AssumeRoleWithWebIdentity(ctx, anon, fetch, exchange.WebIdentityRequest{
		RoleARN:     cfg.RoleARN,
		SessionName: cfg.SessionName,
		Duration:    cfg.Duration,
		Policy:      cfg.InlinePolicy,
		PolicyARNs:  cfg.ManagedPolicies,
	}, retry)
	if err != nil {
		return err
	}
	r.wf.Mask(creds.AccessKeyID, creds.SecretAccessKey, creds.SessionToken)

	signed, err := newSTS(ctx, cc, creds)
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

	r.logf("Authenticated as %s (account %s) until %s", id.ARN, id.Account, creds.Expiration.Format(time.RFC3339))
	return r.export(creds, id)
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
		how = " with a fresh ID token"
	}
	rt.OnRetry = func(attempt int, err error, wait time.Duration) {
		r.logf("%s attempt %d/%d failed: %s; retrying in %s%s",
			op, attempt, attempts, export.OneLine(err.Error()), wait.Round(time.Millisecond), how)
	}
	return rt
}

// export writes outputs, then the environment, each in one append.
func (r *run) export(c *exchange.Credentials, id *exchange.Identity) error {
	cfg := r.cfg
	outputs := []export.Var{
		{Name: "aws-account-id", Value: id.Account},
		{Name: "authenticated-arn", Value: id.ARN},
	}
	if cfg.OutputCredentials {
		outputs = append(outputs,
			export.Var{Name: "aws-access-key-id", Value: c.AccessKeyID},
			export.Var{Name: "aws-secret-access-key", Value: c.SecretAccessKey},
			export.Var{Name: "aws-session-token", Value: c.SessionToken},
			export.Var{Name: "aws-expiration", Value: c.Expiration.UTC().Format(time.RFC3339)},
		)
	}
	if err := r.wf.Append("GITHUB_OUTPUT", outputs); err != nil {
		return err
	}

	var env []export.Var
	if cfg.UnsetCurrentCredentials {
		for _, n := range CredentialVars {
			env = append(env, export.Var{Name: n})
		}
	}
	env = append(env,
		export.Var{Name: "AWS_REGION", Value: cfg.Region},
		export.Var{Name: "AWS_DEFAULT_REGION", Value: cfg.Region},
	)
	if cfg.OutputEnvCredentials {
		env = append(env,
			export.Var{Name: "AWS_ACCESS_KEY_ID", Value: c.AccessKeyID},
			export.Var{Name: "AWS_SECRET_ACCESS_KEY", Value: c.SecretAccessKey},
			export.Var{Name: "AWS_SESSION_TOKEN", Value: c.SessionToken},
		)
	}
	if err := r.wf.Append("GITHUB_ENV", env); err != nil {
		return err
	}
	var names []string
	for _, v := range env {
		if v.Value != "" {
			names = append(names, v.Name)
		}
	}
	r.logf("Exported %s", strings.Join(names, ", "))
	return nil
}

// CredentialVars are the variables unset-current-credentials blanks.
var CredentialVars = []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_REGION", "AWS_DEFAULT_REGION"}

// SDKFactory returns an STSFactory backed by the AWS SDK, loading the SDK's
// configuration once per run.
func SDKFactory() STSFactory {
	var cfg *aws.Config
	return func(ctx context.Context, cc exchange.ClientConfig, creds *exchange.Credentials) (STS, error) {
		if cfg == nil {
			c, err := exchange.LoadAWSConfig(ctx, cc)
			if err != nil {
				return nil, err
			}
			cfg = &c
		}
		return exchange.NewSTS(*cfg, cc, creds), nil
	}
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
