package action_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

// TestTokenServiceRedirectRefused: the step's token client keeps the
// request token at the origin of ACTIONS_ID_TOKEN_REQUEST_URL. Here the
// token service's URL redirects to a working token service on another
// origin (another port): the step fails naming where the redirect pointed,
// that service is never asked, STS is never called and nothing is
// exported; it is not retried (the same request is redirected the same
// way). Before, the redirect was followed with the request token and the
// step succeeded.
func TestTokenServiceRedirectRefused(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	var asked atomic.Int32
	redirector := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		asked.Add(1)
		http.Redirect(rw, r, w.gh.RequestURL+"&"+r.URL.RawQuery, http.StatusFound)
	}))
	defer redirector.Close()
	w.env["ACTIONS_ID_TOKEN_REQUEST_URL"] = redirector.URL + "/token?api-version=2.0"
	err := w.run()
	if err == nil {
		t.Fatalf("the step followed the redirect to another origin:\n%s", w.log())
	}
	target := strings.SplitN(w.gh.RequestURL, "?", 2)[0]
	if !strings.Contains(err.Error(), "redirected to "+target) || !strings.Contains(err.Error(), "refused: the request token is sent only to "+redirector.URL) {
		t.Errorf("error %q does not name %s and why it was refused", err, target)
	}
	if n := asked.Load(); n != 1 {
		t.Errorf("the token service was asked %d times, want 1 (a refused redirect is not retried)", n)
	}
	if n := len(w.gh.Requests()); n != 0 {
		t.Errorf("the other origin was asked %d times", n)
	}
	if w.proxy.Count("") != 0 {
		t.Error("STS was called")
	}
	w.assertNothingExported()
	w.assertNoLeaks()
	if strings.Contains(err.Error(), w.gh.RequestToken) {
		t.Error("the error shows the request token")
	}
}

// TestTokenServiceRedirectLoop: a token service redirecting within its
// origin without end fails the step with the refusal (stopped after 10
// redirects), asked once, not as "HTTP 302" quoting the Location and its
// query.
func TestTokenServiceRedirectLoop(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	var asked atomic.Int32
	loop := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		asked.Add(1)
		http.Redirect(rw, r, "/token?sig=fix16-secret-query", http.StatusFound)
	}))
	defer loop.Close()
	w.env["ACTIONS_ID_TOKEN_REQUEST_URL"] = loop.URL + "/token?api-version=2.0"
	err := w.run()
	if err == nil {
		t.Fatalf("the step succeeded:\n%s", w.log())
	}
	if msg := err.Error(); !strings.Contains(msg, "stopped after 10 redirects") || strings.Contains(msg, "HTTP 302") || strings.Contains(msg, "fix16-secret-query") {
		t.Errorf("error %q: want the refusal, without a status or the redirect's query", msg)
	}
	if strings.Contains(w.log(), "fix16-secret-query") || strings.Contains(w.log(), "HTTP 302") {
		t.Errorf("the log shows the redirect's query or a status:\n%s", w.log())
	}
	if n := asked.Load(); n != 10 {
		t.Errorf("the token service was asked %d times, want 10 (one attempt)", n)
	}
	if w.proxy.Count("") != 0 {
		t.Error("STS was called")
	}
	w.assertNothingExported()
	w.assertNoLeaks()
}
