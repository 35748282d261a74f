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
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"

	"github.com/sethvargo/go-githubactions"
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
// the answer: a larger one is cut and fails to decode) for audience (none when empty). The
// request URL's own query string (api-version) is kept. Errors are
// *StatusError, *MalformedError, ErrNoIDTokenPermission, or transport errors.
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
	gha := githubactions.New(githubactions.WithGetenv(g.Getenv), githubactions.WithHTTPClient(&client))

	jwt, err := gha.GetIDToken(ctx, audience)
	var failed *githubactions.RequestFailedError
	if errors.As(err, &failed) {
		return "", &StatusError{StatusCode: failed.StatusCode, Body: printable(failed.Body)}
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
	if !jwtRe.MatchString(jwt) {
		return "", &MalformedError{Reason: "the value is not a compact JWT"}
	}
	return jwt, nil
}

// jwtRe is a compact JWS: three base64url parts. Anything else (a line
// break, a workflow command) is refused before it can be masked or sent.
var jwtRe = regexp.MustCompile(`^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$`)

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

func printable(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
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
	case u.Scheme == "http" && LoopbackHost(u.Hostname()):
		return nil
	default:
		return fmt.Errorf("%s uses %s:// to %s; the request token would cross the network in clear, so only https:// is accepted (http:// only to a loopback address)", EnvRequestURL, u.Scheme, u.Hostname())
	}
}

// LoopbackHost reports whether host names this machine: localhost or a
// loopback address.
func LoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") || strings.HasSuffix(strings.ToLower(host), ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
