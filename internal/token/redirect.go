package token

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// maxRedirects is how many redirects a token request follows, as many as
// net/http's default policy.
const maxRedirects = 10

// RedirectError is a redirect the token client refused to follow: it
// pointed away from the origin the request token was sent to. Retrying
// cannot help.
type RedirectError struct {
	From, To string // scheme://host[:port]/path of the two requests, no query
	Reason   string
}

func (e *RedirectError) Error() string {
	return fmt.Sprintf("the token service redirected to %s (from %s); refused: %s", e.To, e.From, e.Reason)
}

// Temporary is false: the same request is redirected the same way again.
func (e *RedirectError) Temporary() bool { return false }

// NewClient is the HTTP client for GitHub's token service: transport (nil:
// http.DefaultTransport) under the redirect policy SameOrigin. Fetch applies
// that policy to any client it is given; NewClient is for a caller that
// also makes requests with the client itself.
func NewClient(transport http.RoundTripper) *http.Client {
	if transport == nil {
		transport = http.DefaultTransport
	}
	return &http.Client{Transport: transport, CheckRedirect: SameOrigin}
}

// SameOrigin is an http.Client CheckRedirect policy that keeps a request's
// credentials (the Authorization header) at the origin they were first sent
// to: the first request's scheme, host and port (for the token client,
// ACTIONS_ID_TOKEN_REQUEST_URL's). A redirect anywhere else (another host or
// port, https to http, http to https) is a *RedirectError naming where it
// pointed; so is an eleventh redirect. net/http's own policy forwards the
// header to the same host name whatever the scheme and port, so a redirect
// from https to http on the same host would send it in clear.
func SameOrigin(req *http.Request, via []*http.Request) error {
	if len(via) == 0 {
		return nil
	}
	first, last := via[0].URL, via[len(via)-1].URL
	if len(via) >= maxRedirects {
		return &RedirectError{From: describeURL(last), To: describeURL(req.URL), Reason: fmt.Sprintf("stopped after %d redirects", maxRedirects)}
	}
	if origin(req.URL) == origin(first) {
		return nil
	}
	return refusal(first, last, req.URL)
}

// refusal is the error for a redirect from from to to, away from first's
// origin.
func refusal(first, from, to *url.URL) *RedirectError {
	reason := fmt.Sprintf("the request token is sent only to %s, the origin of %s", origin(first), EnvRequestURL)
	if first.Scheme == "https" && to.Scheme != "https" {
		reason = "a redirect from https:// to " + to.Scheme + ":// would send the request token in clear"
	}
	return &RedirectError{From: describeURL(from), To: describeURL(to), Reason: reason}
}

// origin is scheme://host:port with the scheme's default port made explicit,
// so https://h and https://h:443 are one origin.
func origin(u *url.URL) string {
	scheme := asciiLower(u.Scheme)
	port := u.Port()
	if port == "" {
		switch scheme {
		case "https":
			port = "443"
		case "http":
			port = "80"
		}
	}
	return scheme + "://" + asciiLower(u.Hostname()) + ":" + port
}

// asciiLower lower-cases A-Z only. Host names compare case-insensitively
// in ASCII; strings.ToLower would also map other characters to ASCII
// letters (the Kelvin sign U+212A to k), making a different name equal.
func asciiLower(s string) string {
	return strings.Map(func(r rune) rune {
		if 'A' <= r && r <= 'Z' {
			return r + ('a' - 'A')
		}
		return r
	}, s)
}

// describeURL names a URL for an error: scheme, host and path, without user
// information, query or fragment (a redirect can put anything there), at
// most 200 characters.
func describeURL(u *url.URL) string {
	v := url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path}
	s := v.String()
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}
