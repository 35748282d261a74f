// Package action runs the action's steps. The main step is
// load → source → verify → export: the inputs become a validated Config
// (internal/config), the Config picks where credentials come from
// (internal/source), who the credentials are is taken from STS's answer
// (AssumedRoleUser) or, for credentials given as they are, asked of
// GetCallerIdentity, and checked (the role's account, allowed-account-ids,
// the expiry), and everything is exported all-or-nothing (internal/runner);
// what outlives the step is handed to internal/handoff. The post step
// removes what the main step left behind, as far as it can verify it.
package action

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/org/aws-oidc-go/internal/config"
	"github.com/org/aws-oidc-go/internal/diagnose"
	"github.com/org/aws-oidc-go/internal/exchange"
	"github.com/org/aws-oidc-go/internal/hostpath"
	"github.com/org/aws-oidc-go/internal/inputs"
	"github.com/org/aws-oidc-go/internal/loopback"
	"github.com/org/aws-oidc-go/internal/profile"
	"github.com/org/aws-oidc-go/internal/proxy"
	"github.com/org/aws-oidc-go/internal/runner"
	"github.com/org/aws-oidc-go/internal/source"
	"github.com/org/aws-oidc-go/internal/token"
	"github.com/org/aws-oidc-go/internal/version"
)

// Default timing. AttemptTimeout bounds one token request plus one STS call,
// so a hung connection costs seconds, not the job.
const (
	DefaultAttemptTimeout = 15 * time.Second
	DefaultBaseDelay      = 200 * time.Millisecond
	DefaultMaxDelay       = 10 * time.Second
)

// STSFactory builds an STS client for the run's client configuration,
// signing as s says.
type STSFactory func(ctx context.Context, cc exchange.ClientConfig, s exchange.Signing) (exchange.API, error)

// Env is everything the steps take from the process, injectable for tests.
type Env struct {
	Getenv func(string) string
	// Log is where the step's log goes: the runner's (stdout) as the
	// action, stderr when the credentials are printed on stdout.
	Log io.Writer
	// Workflow says a runner reads the log: workflow commands (masks,
	// annotations) are written only then. Off Actions the log is plain text.
	Workflow bool
	// NewSTS builds STS clients; nil: the AWS SDK. Tests put fakes here.
	NewSTS STSFactory
	// Retry carries timing (AttemptTimeout, delays, Sleep, Jitter); the
	// number of attempts comes from the inputs. Zero fields take defaults.
	Retry exchange.Retrier
	// Root is true when the process runs as root (the container): files it
	// writes are then handed to the owner of the runner's file-command files.
	Root bool
	// Mounts returns the container's mount table, to map container paths to
	// host paths. Nil: /proc/self/mountinfo.
	Mounts func() (hostpath.Mounts, error)

	// Print: the caller prints the credentials Run returns (Result);
	// nothing is exported (GITHUB_ENV, GITHUB_OUTPUT, GITHUB_STATE) and no
	// profile is written.
	Print bool
	// Executable is this program's path, for refresh's credential_process.
	Executable string
	// ExecutableErr is why Executable is empty: the system could not say.
	ExecutableErr error
	// Image, when set, opens the running program's image, which refresh
	// copies for credential_process (tests). Nil: /proc/self/exe where
	// there is one, else Executable once its path is checked.
	Image func() (*os.File, error)
	// CredentialProcess is the command line that renews credentials from a
	// renewal settings file (the CLI's grammar, which the CLI supplies).
	CredentialProcess func(exe, settingsFile string) string
	// Settings, when set, is the Config to run with instead of the inputs:
	// the renewal settings credential-process read back
	// (config.ReadSettings).
	Settings *config.Config
	// UID is this process's user id (-1 where there is none, Windows): the
	// owner files read back must have when no GITHUB_ENV names the
	// runner's user.
	UID int
	// LockTimeout bounds the post step's wait for a lock (0:
	// PostLockTimeout).
	LockTimeout time.Duration
	// HandoffHook, when set, is called at named points of writing what
	// outlives the step (handoff.Options.Hook); tests simulate a kill.
	HandoffHook func(point string) error
}

// Result is what the main step got: the credentials (nil when
// use-existing-credentials kept the ones in place), who they are, and the
// region they are for.
type Result struct {
	Credentials *exchange.Credentials
	Identity    *exchange.Identity
	Region      string
}

// TimeoutError is the whole run exceeding action-timeout-s.
type TimeoutError struct{ After time.Duration }

func (e *TimeoutError) Error() string {
	return fmt.Sprintf("Action timed out after %d seconds (action-timeout-s)", int(e.After/time.Second))
}

// Run performs the main step and returns what it got. Nothing is exported
// unless everything succeeded (and nothing at all with Env.Print). Input
// problems come back as errors joining *config.InputError; other failures
// as *Failure.
func Run(ctx context.Context, env Env) (*Result, error) {
	wf := runner.New(env.Log, env.Getenv, env.Workflow)
	in := inputs.FromEnv(env.Getenv)
	// Secrets are masked before anything else can print them, even a
	// validation error.
	for _, input := range inputs.All {
		if input.Secret {
			wf.Mask(in(input.Name))
		}
	}
	cfg, cerr := env.Settings, error(nil)
	if cfg == nil {
		cfg, cerr = config.Load(in)
	}
	httpProxy, noProxy := in(inputs.HTTPProxy), in(inputs.NoProxy)
	if env.Settings != nil {
		httpProxy, noProxy = cfg.HTTPProxy, cfg.NoProxy
	}
	px, err := proxy.Resolve(httpProxy, noProxy, env.Getenv)
	wf.Mask(px.Secrets()...)
	var ferr error
	if tf := in(inputs.WebIdentityTokenFile); tf != "" && env.Settings == nil {
		// A file problem is an input problem: reported with the others.
		_, ferr = token.FilePath(tf, env.Getenv("GITHUB_WORKSPACE"))
	}
	if err := joinFlat(cerr, ferr, err); err != nil {
		return nil, err
	}
	if cfg.MaskAccountID {
		// Before the first line that names the role.
		wf.Mask(cfg.AccountID)
	}
	for _, w := range cfg.Warnings {
		wf.Log().Warningf("%s", w)
	}
	if !env.Print && env.Getenv("GITHUB_ENV") == "" {
		return nil, errors.New("GITHUB_ENV is not set, so there is nowhere to export the credentials: outside GitHub Actions use --format env or --format json (or credential-process)")
	}
	if cfg.ActionTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeoutCause(ctx, cfg.ActionTimeout, &TimeoutError{After: cfg.ActionTimeout})
		defer cancel()
	}
	r := &mainStep{env: env, cfg: cfg, wf: wf, px: px, newSTS: env.NewSTS}
	if r.newSTS == nil {
		var closeConns func()
		r.newSTS, closeConns = sdkFactory()
		// A failed step leaves no connection open (one may have been opened
		// ahead of a call that never came); a finished one needs none.
		defer closeConns()
	}
	if err := r.main(ctx); err != nil {
		var contradicts *exchange.IdentityError
		if errors.As(err, &contradicts) && cfg.MaskAccountID {
			// The account STS named instead is masked like the role's.
			wf.Mask(contradicts.Identity.Account, contradicts.Identity.ARN)
		}
		if cause := context.Cause(ctx); cause != nil {
			var te *TimeoutError
			if errors.As(cause, &te) {
				err = fmt.Errorf("%w; last error: %w", te, err)
			}
		}
		var ie *config.InputError
		if errors.As(err, &ie) {
			return nil, err
		}
		d := diagnose.Diagnose(err, diagnose.Context{RoleARN: cfg.RoleARN, Region: cfg.Region, Audience: cfg.Audience, Claims: source.ClaimsOf(r.src), Mode: cfg.Mode})
		return nil, &Failure{Err: err, Advice: d.Advice, Details: d.Details}
	}
	return &r.result, nil
}

// mainStep is one main step.
type mainStep struct {
	env    Env
	cfg    *config.Config
	wf     *runner.Workflow
	px     proxy.Settings
	newSTS STSFactory
	cc     exchange.ClientConfig
	src    source.Source
	// files is where the profile goes as this process sees it, later as
	// the job's later steps will (aws-profile only).
	files, later profile.Files
	inContainer  bool // a container action's mount table
	manifest     bool // the runner drops state (act): keep a manifest
	result       Result
	ctx          context.Context
}

func (r *mainStep) logf(format string, args ...any) { r.wf.Log().Infof(format, args...) }

func (r *mainStep) main(ctx context.Context) error {
	cfg := r.cfg
	r.ctx = ctx
	if r.px.Active() {
		r.logf("Using proxy %s", r.px.Describe())
	}
	r.cc = r.clientConfig()
	r.warnCleartext()
	if err := r.locateProfile(); err != nil {
		return err
	}
	if cfg.UseExisting {
		id, err := r.verify(ctx, exchange.Signing{Ambient: true}, 1)
		var denied *AccountNotAllowedError
		var contradicts *exchange.IdentityError
		switch {
		case errors.As(err, &denied), errors.As(err, &contradicts):
			return err
		case err != nil && exchange.Transient(err):
			// A timeout or a 5xx says nothing about the credentials.
			r.logf("use-existing-credentials: the environment's credentials could not be checked (%s); getting new ones", exchange.Describe(err))
		case err != nil:
			r.logf("use-existing-credentials: the environment's credentials do not work (%s); getting new ones", exchange.Describe(err))
		default:
			r.logf("use-existing-credentials: already authenticated as %s (account %s); nothing new assumed", id.ARN, id.Account)
			r.result = Result{Identity: id, Region: cfg.Region}
			return r.wf.Append("GITHUB_OUTPUT", []runner.Var{{Name: "aws-account-id", Value: id.Account}, {Name: "authenticated-arn", Value: id.ARN}})
		}
	}

	src, err := source.For(cfg, source.Deps{
		Getenv:      r.env.Getenv,
		TokenClient: token.NewClient(r.px.Transport()), // the request token stays at its origin
		Client:      r.client,
		Retrier:     r.retrier,
		Mask:        r.wf.Mask,
		Log:         r.logf,
		Warn:        r.wf.Log().Warningf,
	})
	if err != nil {
		return err
	}
	r.src = src
	creds, err := src.Credentials(ctx)
	if err != nil {
		return err
	}
	r.wf.Mask(creds.AccessKeyID, creds.SecretAccessKey, creds.SessionToken)

	id, err := r.identify(ctx, creds)
	if err != nil {
		return err
	}
	warning, err := exchange.CheckExpiration(creds.Expiration, cfg.Duration, time.Now())
	if err != nil {
		return err
	}
	if warning != "" {
		r.wf.Log().Warningf("%s", warning)
	}
	until := ""
	if !creds.Expiration.IsZero() {
		until = " until " + creds.Expiration.Format(time.RFC3339)
	}
	r.logf("Authenticated as %s (account %s)%s", id.ARN, id.Account, until)
	r.result = Result{Credentials: creds, Identity: id, Region: cfg.Region}
	if err := r.export(creds, id); err != nil {
		return err
	}
	r.summary(creds, id)
	return nil
}

// identify names who creds authenticate as: the identity STS gave with
// them (an assumed role's AssumedRoleUser, checked against the role's
// account in exchange), or, for credentials given as they are (static keys
// alone), what GetCallerIdentity signed with them says. Then as verify.
func (r *mainStep) identify(ctx context.Context, creds *exchange.Credentials) (*exchange.Identity, error) {
	if creds.Identity != nil {
		id := *creds.Identity
		if err := r.allowAccount(&id); err != nil {
			return nil, err
		}
		return &id, nil
	}
	return r.verify(ctx, exchange.Signing{Static: creds}, min(r.cfg.MaxAttempts, source.VerifyMaxAttempts))
}

// verify asks GetCallerIdentity who the credentials s signs with are, then
// lets the answer through (allowAccount).
func (r *mainStep) verify(ctx context.Context, s exchange.Signing, attempts int) (*exchange.Identity, error) {
	client, err := r.client(ctx, s)
	if err != nil {
		return nil, err
	}
	id, err := exchange.CallerIdentity(ctx, client, r.retrier(attempts, "GetCallerIdentity"))
	if err != nil {
		return nil, err
	}
	if err := r.allowAccount(id); err != nil {
		return nil, err
	}
	return id, nil
}

// allowAccount masks who id is when asked (mask-aws-account-id) and holds its
// account against allowed-account-ids.
func (r *mainStep) allowAccount(id *exchange.Identity) error {
	if r.cfg.MaskAccountID {
		r.wf.Mask(id.Account, id.ARN)
	}
	if len(r.cfg.AllowedAccountIDs) > 0 && !slices.Contains(r.cfg.AllowedAccountIDs, id.Account) {
		return &AccountNotAllowedError{Account: id.Account, Allowed: r.cfg.AllowedAccountIDs}
	}
	return nil
}

func (r *mainStep) client(ctx context.Context, s exchange.Signing) (exchange.API, error) {
	return r.newSTS(ctx, r.cc, s)
}

func (r *mainStep) clientConfig() exchange.ClientConfig {
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

// warnCleartext warns once when STS is reached over plain HTTP anywhere
// but on this machine: the web identity token and the credentials would
// cross the network unencrypted. (Allowed: local STS-compatible servers
// need it.)
func (r *mainStep) warnCleartext() {
	endpoint, from := r.cfg.STSEndpoint, "input sts-endpoint"
	for _, k := range []string{"AWS_ENDPOINT_URL_STS", "AWS_ENDPOINT_URL"} {
		if endpoint == "" {
			endpoint, from = r.env.Getenv(k), k
		}
	}
	u, err := url.Parse(endpoint)
	if endpoint == "" || err != nil || u.Scheme != "http" || loopback.Host(u.Hostname()) {
		return
	}
	r.wf.Log().Warningf("The STS endpoint %s (from %s) is plain http://: the web identity token and the credentials cross the network unencrypted. Use https:// unless this is a local STS-compatible server.", u.Host, from)
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

func (r *mainStep) retrier(attempts int, op string) exchange.Retrier {
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
	rt.OnRetry = func(attempt int, err error, wait time.Duration) {
		r.logf("%s attempt %d/%d failed: %s; retrying in %s",
			op, attempt, attempts, err, wait.Round(time.Millisecond))
	}
	return rt
}

// sdkFactory returns an STSFactory backed by the AWS SDK, loading the SDK's
// configuration once per run, and a function that closes every connection
// its clients opened.
func sdkFactory() (STSFactory, func()) {
	var mu sync.Mutex
	var sdk *exchange.SDK
	factory := func(ctx context.Context, cc exchange.ClientConfig, s exchange.Signing) (exchange.API, error) {
		mu.Lock()
		defer mu.Unlock()
		if sdk == nil {
			k, err := exchange.LoadSDK(ctx, cc)
			if err != nil {
				return nil, err
			}
			sdk = k
		}
		return sdk.Client(s), nil
	}
	closeAll := func() {
		mu.Lock()
		defer mu.Unlock()
		if sdk != nil {
			sdk.Close()
		}
	}
	return factory, closeAll
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// joinFlat joins errors, flattening joined ones, so every problem is one
// element of the result (and one line of the report).
func joinFlat(errs ...error) error {
	var flat []error
	for _, err := range errs {
		if j, ok := err.(interface{ Unwrap() []error }); ok {
			flat = append(flat, j.Unwrap()...)
		} else if err != nil {
			flat = append(flat, err)
		}
	}
	return errors.Join(flat...)
}
