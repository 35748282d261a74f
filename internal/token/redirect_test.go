package token_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/org/aws-oidc-go/internal/token"
)

const (
	requestToken = "h16c-request-token-never-printed"
	idToken      = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln"
)

// origin is one httptest server of the redirect tests: /start redirects to
// to (relative or absolute), /hop to /start, /token answers an ID token to
// the request token; every request is recorded.
type origin struct {
	srv  *httptest.Server
	to   string
	mu   sync.Mutex
	seen []http.Header
}

func newOrigin(t *testing.T, tls bool) *origin {
	o := &origin{}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		o.mu.Lock()
		o.seen = append(o.seen, r.Header.Clone())
		o.mu.Unlock()
		switch r.URL.Path {
		case "/start":
			http.Redirect(w, r, o.to, http.StatusFound)
		case "/hop": // a redirect within the origin first
			http.Redirect(w, r, "/start", http.StatusTemporaryRedirect)
		case "/token":
			if r.Header.Get("Authorization") != "Bearer "+requestToken {
				http.Error(w, "no request token", http.StatusUnauthorized)
				return
			}
			json.NewEncoder(w).Encode(map[string]string{"value": idToken})
		default:
			http.NotFound(w, r)
		}
	})
	if tls {
		o.srv = httptest.NewTLSServer(h)
	} else {
		o.srv = httptest.NewServer(h)
	}
	t.Cleanup(o.srv.Close)
	return o
}

// requests returns how many requests reached o, and how many of them carried an
// Authorization header.
func (o *origin) requests() (all, authorized int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, h := range o.seen {
		if h.Get("Authorization") != "" {
			authorized++
		}
	}
	return len(o.seen), authorized
}

// fetch asks start's path for a token with the token client NewClient
// builds over transport.
func fetch(start *origin, path string, transport http.RoundTripper) (string, error) {
	env := map[string]string{token.EnvRequestURL: start.srv.URL + path + "?api-version=2.0", token.EnvRequestToken: requestToken}
	gh := &token.GitHub{Getenv: func(k string) string { return env[k] }, HTTPClient: token.NewClient(transport)}
	return gh.Fetch(context.Background(), "sts.amazonaws.com")
}

// TestRedirectsStayAtTheOrigin: the bearer request token goes only to the
// origin of ACTIONS_ID_TOKEN_REQUEST_URL. A redirect within it is followed;
// one to another origin, or from https to http, is an error naming where it
// pointed, and no request reaches the other origin. Before, net/http's own
// policy followed both and sent the Authorization header along (it compares
// host names only, not ports or schemes).
func TestRedirectsStayAtTheOrigin(t *testing.T) {
	t.Parallel()
	t.Run("same origin followed", func(t *testing.T) {
		t.Parallel()
		for _, tls := range []bool{false, true} {
			a := newOrigin(t, tls)
			a.to = "/token"
			got, err := fetch(a, "/hop", a.srv.Client().Transport)
			if err != nil || got != idToken {
				t.Fatalf("tls %v: (%d bytes, %v), want the token", tls, len(got), err)
			}
			if all, auth := a.requests(); all != 3 || auth != 3 {
				t.Errorf("tls %v: %d requests, %d with the request token; want 3, 3", tls, all, auth)
			}
		}
	})
	cases := []struct {
		name      string
		fromTLS   bool
		toTLS     bool
		wantInMsg string
	}{
		{"to another port", false, false, "the request token is sent only to http://127.0.0.1:"},
		{"https to http", true, false, "from https:// to http:// would send the request token in clear"},
		{"https to another https origin", true, true, "the request token is sent only to https://127.0.0.1:"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			a, b := newOrigin(t, tc.fromTLS), newOrigin(t, tc.toTLS)
			a.to = b.srv.URL + "/token?next=1"
			// One transport that trusts both test certificates.
			tr := a.srv.Client().Transport.(*http.Transport).Clone()
			if tc.toTLS {
				tr.TLSClientConfig.RootCAs.AddCert(b.srv.Certificate())
			}
			// The client on its own: the refusal and its reason.
			req, _ := http.NewRequest(http.MethodGet, a.srv.URL+"/start", nil)
			req.Header.Set("Authorization", "Bearer "+requestToken)
			resp, err := token.NewClient(tr).Do(req)
			if err == nil {
				resp.Body.Close()
				t.Fatalf("the redirect to %s was followed: HTTP %d", b.srv.URL, resp.StatusCode)
			}
			var re *token.RedirectError
			if !errors.As(err, &re) || re.To != b.srv.URL+"/token" || re.From != a.srv.URL+"/start" || !strings.Contains(re.Error(), tc.wantInMsg) {
				t.Errorf("error %q: want a *RedirectError from %s/start to %s/token saying %q", err, a.srv.URL, b.srv.URL, tc.wantInMsg)
			}
			if strings.Contains(re.Error(), requestToken) || strings.Contains(re.Error(), "next=1") {
				t.Errorf("error %q shows the request token or the redirect's query", re)
			}
			// Through Fetch, as the action asks: the refusal is the error.
			got, err := fetch(a, "/start", tr)
			if err == nil {
				t.Fatalf("the redirect to %s was followed (%d bytes of token)", b.srv.URL, len(got))
			}
			if msg := err.Error(); !errors.As(err, &re) || !strings.Contains(msg, "redirected to "+b.srv.URL+"/token") || !strings.Contains(msg, tc.wantInMsg) || strings.Contains(msg, requestToken) {
				t.Errorf("Fetch: error %q: want the *RedirectError naming %s/token and %q, without the request token", msg, b.srv.URL, tc.wantInMsg)
			}
			// As the action's token source: the refusal itself, so that it is
			// not retried as a network failure.
			env := map[string]string{token.EnvRequestURL: a.srv.URL + "/start", token.EnvRequestToken: requestToken}
			src := token.Service{GitHub: &token.GitHub{Getenv: func(k string) string { return env[k] }, HTTPClient: token.NewClient(tr)}, Audience: "sts.amazonaws.com"}
			if _, err := src.Token(context.Background()); err == nil || !errors.As(err, &re) || err != error(re) || re.Temporary() {
				t.Errorf("Service.Token: %T %v, want the *RedirectError itself, not temporary", err, err)
			}
			// After a redirect within the origin: refused all the same.
			if got, err := fetch(a, "/hop", tr); err == nil || !strings.Contains(err.Error(), "redirected to "+b.srv.URL) || strings.Contains(err.Error(), requestToken) {
				t.Errorf("Fetch through /hop: (%d bytes, %v), want a refusal naming %s", len(got), err, b.srv.URL)
			}
			if all, auth := b.requests(); all != 0 {
				t.Errorf("%d requests reached the other origin, %d with the request token", all, auth)
			}
		})
	}
}

// TestSameOrigin is the policy on its own: origins compare scheme, host
// and port (default ports made explicit), and the chain stops at 10.
func TestSameOrigin(t *testing.T) {
	t.Parallel()
	req := func(raw string) *http.Request {
		u, err := url.Parse(raw)
		if err != nil {
			t.Fatal(err)
		}
		return &http.Request{URL: u}
	}
	cases := []struct {
		first, next string
		ok          bool
	}{
		{"https://pipelines.actions.githubusercontent.com/a?x", "https://pipelines.actions.githubusercontent.com/b", true},
		{"https://Pipelines.example/a", "https://pipelines.example:443/b", true},
		{"http://127.0.0.1:8080/a", "http://127.0.0.1:8080/b", true},
		{"http://localhost/a", "http://localhost:80/b", true},
		{"https://h.example/a", "http://h.example/a", false},
		{"https://h.example/a", "https://h.example:8443/a", false},
		{"https://h.example/a", "https://evil.h.example/a", false},
		{"https://h.example/a", "https://example/a", false},
		{"http://127.0.0.1:8080/a", "https://127.0.0.1:8080/a", false},
		{"http://127.0.0.1:8080/a", "http://localhost:8080/a", false},
		// Host names compare in ASCII lower case only: strings.ToLower maps
		// the Kelvin sign (U+212A) to k, another name taken for this one.
		{"https://key.example/a", "https://\u212aey.example/a", false},
		{"https://\u212aey.example/a", "https://key.example/a", false},
		{"https://KEY.example/a", "https://key.example/a", true},
	}
	for _, tc := range cases {
		err := token.SameOrigin(req(tc.next), []*http.Request{req(tc.first)})
		var re *token.RedirectError
		if tc.ok && err != nil || !tc.ok && !errors.As(err, &re) {
			t.Errorf("%s → %s: %v, want ok %v", tc.first, tc.next, err, tc.ok)
		}
	}
	var via []*http.Request
	for range 10 {
		via = append(via, req("https://h.example/a"))
	}
	if err := token.SameOrigin(req("https://h.example/a"), via[:9]); err != nil {
		t.Errorf("10th redirect: %v", err)
	}
	if err := token.SameOrigin(req("https://h.example/a"), via); err == nil || !strings.Contains(err.Error(), "after 10 redirects") {
		t.Errorf("11th redirect: %v", err)
	}
}

// The redirect past the limit is the *RedirectError saying so, not "HTTP 302"
// quoting the raw Location and its query; the token source returns it as
// it is, not temporary, and asks once.
func TestTooManyRedirects(t *testing.T) {
	t.Parallel()
	a := newOrigin(t, false)
	a.to = "/start?sig=h16c-secret-query"
	_, err := fetch(a, "/start", nil)
	var re *token.RedirectError
	if !errors.As(err, &re) || err != error(re) || !strings.Contains(err.Error(), "after 10 redirects") {
		t.Fatalf("Fetch: %T %v, want the *RedirectError itself, stopped after 10 redirects", err, err)
	}
	if msg := err.Error(); strings.Contains(msg, "HTTP 302") || strings.Contains(msg, "h16c-secret-query") || strings.Contains(msg, requestToken) {
		t.Errorf("error %q names a status, the redirect's query or the request token", msg)
	}
	env := map[string]string{token.EnvRequestURL: a.srv.URL + "/start", token.EnvRequestToken: requestToken}
	before, _ := a.requests()
	src := token.Service{GitHub: &token.GitHub{Getenv: func(k string) string { return env[k] }, HTTPClient: token.NewClient(nil)}, Audience: "sts.amazonaws.com"}
	if _, err := src.Token(context.Background()); !errors.As(err, &re) || err != error(re) || re.Temporary() {
		t.Errorf("Service.Token: %T %v, want the *RedirectError itself, not temporary", err, err)
	}
	if after, _ := a.requests(); after-before != 10 {
		t.Errorf("Service.Token made %d requests, want 10 (one attempt: as net/http's own policy, the tenth redirect is not followed)", after-before)
	}
}

// Fetch applies the redirect policy whatever client it is given, nil
// (http.DefaultClient) included: the policy lived only in NewClient
// .
func TestFetchKeepsTheOriginWithAnyClient(t *testing.T) {
	t.Parallel()
	for name, c := range map[string]*http.Client{"nil": nil, "a plain client": {}, "a client following every redirect": {CheckRedirect: func(*http.Request, []*http.Request) error { return nil }}} {
		a, b := newOrigin(t, false), newOrigin(t, false)
		a.to = b.srv.URL + "/token"
		env := map[string]string{token.EnvRequestURL: a.srv.URL + "/start", token.EnvRequestToken: requestToken}
		gh := &token.GitHub{Getenv: func(k string) string { return env[k] }, HTTPClient: c}
		got, err := gh.Fetch(context.Background(), "sts.amazonaws.com")
		var re *token.RedirectError
		if !errors.As(err, &re) {
			t.Errorf("%s: (%d bytes, %v), want a *RedirectError", name, len(got), err)
		}
		if all, auth := b.requests(); all != 0 {
			t.Errorf("%s: %d requests reached the other origin, %d with the request token", name, all, auth)
		}
	}
}

// http:// is allowed to localhost and loopback addresses only: a
// *.localhost name is not exempt from HTTP_PROXY (net/http's proxy rules
// exempt only localhost itself and loopback IPs), so the request token
// would go in clear through the proxy.
func TestCheckRequestURL(t *testing.T) {
	t.Parallel()
	for raw, ok := range map[string]bool{
		"https://pipelines.actions.githubusercontent.com/x": true,
		"http://localhost:8080/x":                           true,
		"http://LocalHost/x":                                true,
		"http://127.0.0.1:8080/x":                           true,
		"http://127.9.9.9/x":                                true,
		"http://[::1]:8080/x":                               true,
		"http://runner.localhost:8080/x":                    false,
		"http://localhost.:8080/x":                          false,
		"http://example.com/x":                              false,
		"http://10.0.0.1/x":                                 false,
	} {
		if err := token.CheckRequestURL(raw); (err == nil) != ok {
			t.Errorf("CheckRequestURL(%q) = %v, want ok %v", raw, err, ok)
		}
	}
}
