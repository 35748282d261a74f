// Package source is where credentials come from. Each way the action can
// obtain credentials is a Source — a web identity token traded with
// AssumeRoleWithWebIdentity, static keys, AssumeRole signed with keys, the
// environment's credentials or the runner's own — and For picks the one the
// loaded configuration asks for. A source takes what it needs (an STS client
// factory, a retrier, a log function) as fields and imports nothing above it.
package source

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"time"

	"github.com/org/aws-oidc-go/internal/config"
	"github.com/org/aws-oidc-go/internal/exchange"
	"github.com/org/aws-oidc-go/internal/lazyre"
	"github.com/org/aws-oidc-go/internal/token"
)

// Source obtains credentials.
type Source interface {
	Credentials(ctx context.Context) (*exchange.Credentials, error)
	// String says where the credentials come from, for the log and summary.
	String() string
}

// Tokens is where web identity tokens come from: GitHub's token service
// (token.Service) or a file (token.File).
type Tokens interface {
	Token(ctx context.Context) (string, error)
	String() string
}

// Logf prints one log line.
type Logf func(format string, args ...any)

// Recorder wraps a token source: every token is masked before it is
// returned, and the claims of the last one are kept for diagnosis.
type Recorder struct {
	Tokens
	Mask   func(...string)
	claims *token.Claims
}

// Token returns a fresh token, masked.
func (r *Recorder) Token(ctx context.Context) (string, error) {
	tok, err := r.Tokens.Token(ctx)
	if err != nil {
		return "", err
	}
	return r.record(tok), nil
}

// record masks tok and keeps its claims.
func (r *Recorder) record(tok string) string {
	if r.Mask != nil {
		r.Mask(tok)
	}
	if c, err := token.DecodeClaims(tok); err == nil {
		r.claims = c
	}
	return tok
}

// Claims are the last token's claims, or nil.
func (r *Recorder) Claims() *token.Claims { return r.claims }

// WebIdentity trades web identity tokens for role credentials (a token
// reused across attempts as Request.ReuseToken allows).
type WebIdentity struct {
	Tokens  Tokens
	Client  exchange.ClientFunc
	Request exchange.WebIdentityRequest
	Retry   exchange.Retrier
	Region  string
	Log     Logf
	// WarmRoots: the token comes over TLS verified with the system roots,
	// so they are loaded while the connection is being made rather than
	// when the server's certificate arrives.
	WarmRoots bool
}

// Credentials assumes the role. The first token is asked for at once, and
// while it is in flight the STS client is built (the SDK's configuration
// loaded) and, when the client can, its connection to STS opened; retries
// ask for another as exchange.AssumeRoleWithWebIdentity decides.
func (w *WebIdentity) Credentials(ctx context.Context) (*exchange.Credentials, error) {
	// The first token is fetched on its own goroutine; what the Recorder
	// does with it (mask it: a log write) happens here, in order.
	raw, record := w.Tokens.Token, func(tok string) string { return tok }
	if r, ok := w.Tokens.(*Recorder); ok {
		raw, record = r.Tokens.Token, r.record
	}
	if w.WarmRoots {
		go x509.SystemCertPool() // fills the process-wide pool; a handshake reports any problem
	}
	first := prefetch(ctx, raw)
	defer first.abandon()
	client, err := w.Client(ctx, exchange.Signing{})
	if err != nil {
		return nil, err
	}
	if p, ok := client.(exchange.Preconnector); ok {
		p.Preconnect()
	}
	w.Log("Assuming %s with %s (session %s, %ds, region %s)",
		w.Request.RoleARN, w.Tokens, w.Request.SessionName, int(w.Request.Duration/time.Second), w.Region)
	fetch := func(ctx context.Context) (string, error) {
		if f := first; f != nil {
			first = nil
			tok, err := f.wait(ctx)
			if err != nil {
				return "", err
			}
			return record(tok), nil
		}
		return w.Tokens.Token(ctx)
	}
	return exchange.AssumeRoleWithWebIdentity(ctx, client, fetch, w.Request, w.Retry)
}

// pending is a token request under way.
type pending struct {
	cancel context.CancelFunc
	done   chan struct{}
	tok    string
	err    error
}

// prefetch starts asking for a token.
func prefetch(ctx context.Context, token func(context.Context) (string, error)) *pending {
	ctx, cancel := context.WithCancel(ctx)
	p := &pending{cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(p.done)
		p.tok, p.err = token(ctx)
	}()
	return p
}

// wait returns the token, or gives up on it when ctx (an attempt's
// deadline) ends first.
func (p *pending) wait(ctx context.Context) (string, error) {
	select {
	case <-p.done:
		return p.tok, p.err
	case <-ctx.Done():
		p.cancel()
		<-p.done
		if p.err != nil && ctx.Err() != nil {
			return "", fmt.Errorf("requesting the ID token: %w", ctx.Err())
		}
		return p.tok, p.err
	}
}

// abandon stops the request if nobody waited for it, and waits until it
// has stopped.
func (p *pending) abandon() {
	p.cancel()
	<-p.done
}

func (w *WebIdentity) String() string { return w.Tokens.String() }

// Claims are the claims of the last token, when the token source records them.
func (w *WebIdentity) Claims() *token.Claims {
	if r, ok := w.Tokens.(*Recorder); ok {
		return r.Claims()
	}
	return nil
}

// StaticKeys are credentials given as inputs, used as they are.
type StaticKeys struct {
	Keys exchange.Credentials
	Log  Logf
}

// Credentials returns the keys.
func (s *StaticKeys) Credentials(context.Context) (*exchange.Credentials, error) {
	s.Log("Using the static access keys from the inputs")
	c := s.Keys
	return &c, nil
}

func (s *StaticKeys) String() string { return "static access keys" }

// AssumeRole assumes a role signed as Signer says (static keys, the
// environment's credentials, or the SDK's default chain). It confirms the
// signing credentials first and learns their account, which completes a
// bare role name (RoleName).
type AssumeRole struct {
	Signer exchange.Signing
	// What is the signer in words: "static access keys + AssumeRole", "role chaining", ...
	What     string
	Client   exchange.ClientFunc
	Request  exchange.RoleRequest
	RoleName string // a bare role name to complete (Request.RoleARN empty)
	Verify   exchange.Retrier
	Retry    exchange.Retrier
	Region   string
	Log      Logf
	// MaskIdentity, when set (mask-aws-account-id), masks the signer's
	// account and ARN before they are logged.
	MaskIdentity func(...string)
	as           string // the signer's ARN, once known
}

// Credentials checks the signer, then assumes the role.
func (a *AssumeRole) Credentials(ctx context.Context) (*exchange.Credentials, error) {
	client, err := a.Client(ctx, a.Signer)
	if err != nil {
		return nil, err
	}
	id, err := exchange.CallerIdentity(ctx, client, a.Verify)
	if err != nil {
		return nil, fmt.Errorf("checking the source credentials (%s): %w", a.What, err)
	}
	if a.MaskIdentity != nil {
		a.MaskIdentity(id.Account, id.ARN)
	}
	a.as = id.ARN
	req := a.Request
	if req.RoleARN == "" {
		req.RoleARN = fmt.Sprintf("arn:%s:iam::%s:role/%s", config.ARNPartition(id.ARN), id.Account, a.RoleName)
	}
	a.Log("Assuming %s with %s as %s (session %s, %ds, %d session tags, region %s)",
		req.RoleARN, a.What, id.ARN, req.SessionName, int(req.Duration/time.Second), len(req.Tags)+len(req.OptionalTags), a.Region)
	return exchange.AssumeRole(ctx, client, req, a.Retry)
}

func (a *AssumeRole) String() string {
	if a.as == "" {
		return a.What
	}
	return a.What + ", as " + a.as
}

// MaxSpecialCharRetries bounds special-characters-workaround.
const MaxSpecialCharRetries = 10

// specialChars are the characters special-characters-workaround avoids.
var specialChars = lazyre.New(`[!@#$%^&*()_+\-=\[\]{};':"\\|,.<>/?]`)

// WithoutSpecialCharacters asks Source again until neither the key id nor
// the secret contains a special character, at most MaxSpecialCharRetries times.
type WithoutSpecialCharacters struct {
	Source
	Mask func(...string)
	Log  Logf
}

// Credentials asks until the credentials are plain.
func (w *WithoutSpecialCharacters) Credentials(ctx context.Context) (*exchange.Credentials, error) {
	for i := 1; ; i++ {
		c, err := w.Source.Credentials(ctx)
		if err != nil {
			return nil, err
		}
		w.Mask(c.AccessKeyID, c.SecretAccessKey, c.SessionToken)
		if !specialChars().MatchString(c.AccessKeyID) && !specialChars().MatchString(c.SecretAccessKey) {
			return c, nil
		}
		if i == MaxSpecialCharRetries {
			return nil, fmt.Errorf("special-characters-workaround: every one of %d sessions had a special character in its key id or secret; give up (turn the workaround off, or quote the credentials where they are used)", i)
		}
		w.Log("special-characters-workaround: credentials %d of at most %d contain a special character; assuming again", i, MaxSpecialCharRetries)
	}
}

// Unwrap returns the wrapped source.
func (w *WithoutSpecialCharacters) Unwrap() Source { return w.Source }

// inner is the innermost source, through wrappers.
func inner(s Source) Source {
	for {
		u, ok := s.(interface{ Unwrap() Source })
		if !ok {
			return s
		}
		s = u.Unwrap()
	}
}

// ClaimsOf returns the claims of the last ID token s used, or nil.
func ClaimsOf(s Source) *token.Claims {
	if c, ok := inner(s).(interface{ Claims() *token.Claims }); ok {
		return c.Claims()
	}
	return nil
}

// ErrNoEnvironmentCredentials means role-chaining found nothing to chain from.
var ErrNoEnvironmentCredentials = errors.New("role-chaining needs credentials in the environment (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, e.g. exported by an earlier step of this action), and there are none")

// EnvironmentCredentials reads the credentials an earlier step exported.
func EnvironmentCredentials(getenv func(string) string) (*exchange.Credentials, error) {
	c := &exchange.Credentials{
		AccessKeyID:     getenv("AWS_ACCESS_KEY_ID"),
		SecretAccessKey: getenv("AWS_SECRET_ACCESS_KEY"),
		SessionToken:    getenv("AWS_SESSION_TOKEN"),
	}
	if c.AccessKeyID == "" || c.SecretAccessKey == "" {
		return nil, ErrNoEnvironmentCredentials
	}
	return c, nil
}
