// Package token obtains the web identity token: GitHub's OIDC ID token, asked
// for through the runner's token service, and reads its claims.
//
// The package never prints or logs a token; callers mask it before anything
// else happens.
package token

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"

	"github.com/sethvargo/go-githubactions"

	"github.com/org/aws-oidc-go/internal/loopback"
	"github.com/org/aws-oidc-go/internal/runner"
)

// Environment variables the runner sets only when the job has
// `permissions: id-token: write`.
const (
	EnvRequestURL   = "ACTIONS_ID_TOKEN_REQUEST_URL"
	EnvRequestToken = "ACTIONS_ID_TOKEN_REQUEST_TOKEN"
)

// ErrNoIDTokenPermission means the runner gave this step no way to ask for an
// ID token: the job lacks `id-token: write`, or it is a fork's pull request or
// a Dependabot run. Retrying cannot help.
var ErrNoIDTokenPermission = errors.New("the GitHub OIDC token service is not available to this step (ACTIONS_ID_TOKEN_REQUEST_URL / ACTIONS_ID_TOKEN_REQUEST_TOKEN are not set)")

// StatusError is a non-200 answer from the token service.
type StatusError struct {
	StatusCode int
	Body       string // at most 200 bytes of the answer, for the log
}

func (e *StatusError) Error() string {
	if e.Body == "" {
		return fmt.Sprintf("GitHub's token service answered HTTP %d", e.StatusCode)
	}
	return fmt.Sprintf("GitHub's token service answered HTTP %d: %s", e.StatusCode, e.Body)
}

// Temporary reports whether asking again may succeed (5xx and 429).
func (e *StatusError) Temporary() bool {
	return e.StatusCode >= 500 || e.StatusCode == http.StatusTooManyRequests
}

// MalformedError is a 200 answer that does not carry a JWT.
type MalformedError struct{ Reason string }

func (e *MalformedError) Error() string {
	return "GitHub's token service returned no usable token: " + e.Reason
}

// Temporary is false: a 200 without a usable token is a protocol problem
// (a proxy rewriting answers, a wrong URL), which asking again repeats.
func (e *MalformedError) Temporary() bool { return false }

// GitHub fetches ID tokens from the runner's token service.
type GitHub struct {
	Getenv     func(string) string
	HTTPClient *http.Client // its Timeout is not relied on: pass a deadline in ctx
}

// Available reports whether the runner gave this step a token service.
func (g *GitHub) Available() bool {
	return g.Getenv(EnvRequestURL) != "" && g.Getenv(EnvRequestToken) != ""
}

// Fetch asks for a fresh ID token (go-githubactions reads at most 64 kB of
// the answer: a larger one is cut and fails to decode) for audience (none
// when empty). The request URL's own query string (api-version) is kept.
// Whatever HTTPClient is (nil: http.DefaultClient), its redirects follow
// SameOrigin: the request token stays at the origin of the request URL.
// Errors are *StatusError, *MalformedError (a 200 without a compact JWT,
// as CheckCompactJWT defines it), *RedirectError (a redirect refused, or
// an eleventh: retrying cannot help; it is returned as it is, not wrapped
// in the transport error it travelled in), ErrNoIDTokenPermission, or
// transport errors.
func (g *GitHub) Fetch(ctx context.Context, audience string) (string, error) {
	if !g.Available() {
		return "", ErrNoIDTokenPermission
	}
	base := g.HTTPClient
	if base == nil {
		base = http.DefaultClient
	}
	rec := &statusRecorder{next: base.Transport}
	if rec.next == nil {
		rec.next = http.DefaultTransport
	}
	client := *base
	client.Transport = rec
	client.CheckRedirect = SameOrigin
	gha := githubactions.New(githubactions.WithGetenv(g.Getenv), githubactions.WithHTTPClient(&client))

	jwt, err := gha.GetIDToken(ctx, audience)
	// Before the status: a refused redirect leaves the redirect's own
	// status (3xx) recorded, which is no answer of the token service.
	if re := (*RedirectError)(nil); errors.As(err, &re) {
		return "", re
	}
	var failed *githubactions.RequestFailedError
	if errors.As(err, &failed) {
		return "", &StatusError{StatusCode: failed.StatusCode, Body: runner.Excerpt(failed.Body, 200)}
	}
	if rec.status != 0 && rec.status != http.StatusOK {
		// A non-200 answer whose body could not be read: its status says
		// whether to ask again.
		return "", &StatusError{StatusCode: rec.status}
	}
	if err != nil {
		var syn *json.SyntaxError
		var typ *json.UnmarshalTypeError
		if errors.As(err, &syn) || errors.As(err, &typ) || errors.Is(err, io.ErrUnexpectedEOF) {
			return "", &MalformedError{Reason: "the answer is not the expected JSON"}
		}
		if cerr := ctx.Err(); cerr != nil {
			return "", fmt.Errorf("requesting the ID token: %w", cerr)
		}
		return "", fmt.Errorf("requesting the ID token: %w", unwrapTransport(err))
	}
	// A compact JWT, the same check as a token file's. Anything else (a
	// line break, a workflow command) is refused before it can be masked
	// or sent; the reason quotes nothing of the value.
	if err := CheckCompactJWT(jwt); err != nil {
		return "", &MalformedError{Reason: "the value is not a compact JWT: " + err.Error()}
	}
	return jwt, nil
}

// statusRecorder keeps the status of the one response GetIDToken reads, so
// a failure while reading a non-200 answer (which go-githubactions reports
// as a plain read error) is still classified by its status.
type statusRecorder struct {
	next   http.RoundTripper
	status int
}

func (s *statusRecorder) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := s.next.RoundTrip(r)
	// The last round trip's: after a redirect followed, the status of the
	// answer it led to (none when that request failed).
	s.status = 0
	if err == nil {
		s.status = resp.StatusCode
	}
	return resp, err
}

// unwrapTransport drops go-githubactions' wrapping so the *url.Error (and
// the net error inside) stays reachable with errors.As.
func unwrapTransport(err error) error {
	if u := errors.Unwrap(err); u != nil {
		return u
	}
	return err
}

// CheckRequestURL refuses a token-service URL that would send the bearer
// request token in clear: https:// is required unless the host is this
// machine (loopback), where tests and local runners serve it.
func CheckRequestURL(raw string) error {
	u, err := url.Parse(raw)
	switch {
	case err != nil || u.Host == "":
		return fmt.Errorf("%s is not an absolute URL", EnvRequestURL)
	case u.Scheme == "https":
		return nil
	case u.Scheme == "http" && loopback.Host(u.Hostname()):
		return nil
	default:
		return fmt.Errorf("%s uses %s:// to %s; the request token would cross the network in clear, so only https:// is accepted (http:// only to a loopback address)", EnvRequestURL, u.Scheme, u.Hostname())
	}
}
