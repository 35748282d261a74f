package action_test

// The STS connection is opened while the token is fetched: a connection counter in front of STS watches it being accepted while
// the token service holds its answer.

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/org/aws-oidc-go/internal/dev/harness"
)

// counted puts a connection counter in front of w's STS (the fault proxy)
// and points sts-endpoint at it.
func counted(t *testing.T, w *world) *harness.ConnCounter {
	t.Helper()
	u, err := url.Parse(w.proxy.URL)
	if err != nil {
		t.Fatal(err)
	}
	c := harness.NewConnCounter(u.Host)
	t.Cleanup(c.Close)
	w.input("sts-endpoint", "http://"+c.Addr)
	return c
}

// runAsync starts the step and returns its result channel.
func runAsync(w *world) <-chan error {
	done := make(chan error, 1)
	go func() { done <- w.run() }()
	return done
}

// waitAllClosed waits until every connection c accepted has ended.
func waitAllClosed(t *testing.T, c *harness.ConnCounter) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for c.Open() > 0 {
		select {
		case <-c.Ended():
		case <-deadline:
			t.Fatalf("%d STS connection(s) still open after the step ended", c.Open())
		}
	}
}

func TestSTSConnectionOpensWhileTheTokenIsFetched(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.retry.AttemptTimeout = time.Minute // no retry may rescue a missing overlap
	sts := counted(t, w)
	hold := make(chan struct{})
	w.gh.Faults().At(harness.Fault{Until: hold}, 1)
	done := runAsync(w)
	select {
	case <-sts.FirstAccept():
	case err := <-done:
		close(hold)
		t.Fatalf("the step ended (%v) with the token held", err)
	case <-time.After(10 * time.Second):
		close(hold)
		<-done
		t.Fatal("no STS connection was accepted while the token service held its answer")
	}
	if n := w.proxy.Count(""); n != 0 {
		t.Errorf("%d STS requests before the token arrived", n)
	}
	close(hold)
	if err := <-done; err != nil {
		t.Fatalf("Run: %v\n%s", err, w.log())
	}
	if n := sts.Accepted(); n != 1 {
		t.Errorf("STS accepted %d connections, want 1 (the one opened ahead, used by the call)", n)
	}
	if n := len(w.gh.Requests()); n != 1 {
		t.Errorf("%d token requests, want 1", n)
	}
	if got := actions(w.proxy.Requests()); len(got) != 1 || got[0] != "AssumeRoleWithWebIdentity" {
		t.Errorf("STS requests = %v, want AssumeRoleWithWebIdentity alone", got)
	}
	waitAllClosed(t, sts)
	w.assertNoLeaks()
}

// Through an HTTP proxy to an https STS, the proxy's CONNECT and the TLS
// handshake through the tunnel are made while the token is held.
func TestSTSTunnelOpensWhileTheTokenIsFetched(t *testing.T) {
	t.Parallel()
	harness.NeedsTestCA(t)
	w := newWorld(t)
	fp := harness.NewForwardProxy()
	defer fp.Close()
	front := harness.NewTLSFront(w.proxy.URL)
	defer front.Close()
	fu, _ := url.Parse(front.URL)
	sts := harness.NewConnCounter(fu.Host)
	defer sts.Close()
	w.input("sts-endpoint", fp.Name("https://"+sts.Addr, "sts"))
	w.input("http-proxy", fp.URL)
	w.retry.AttemptTimeout = time.Minute // no retry may rescue a missing overlap
	hold := make(chan struct{})
	w.gh.Faults().At(harness.Fault{Until: hold}, 1)
	done := runAsync(w)
	deadline := time.Now().Add(10 * time.Second)
	for sts.ServerBytes() == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	tunnelled := sts.ServerBytes() > 0
	var seen []string
	for _, s := range fp.Seen() {
		seen = append(seen, s.Host)
	}
	close(hold)
	if err := <-done; err != nil {
		t.Fatalf("Run: %v\n%s", err, w.log())
	}
	if !tunnelled {
		t.Fatal("no TLS handshake with STS through the proxy while the token was held")
	}
	if len(seen) != 1 || !strings.HasPrefix(seen[0], "sts.test.invalid:") {
		t.Errorf("the proxy saw %v while the token was held, want the CONNECT to sts.test.invalid alone", seen)
	}
	if n := sts.Accepted(); n != 1 {
		t.Errorf("STS accepted %d connections, want 1", n)
	}
	if n := w.proxy.Count(""); n != 1 {
		t.Errorf("%d STS requests, want 1", n)
	}
}

// A step that fails before any request opens no STS connection.
func TestNoSTSConnectionWhenTheStepFailsFirst(t *testing.T) {
	t.Parallel()
	cases := map[string]func(w *world){
		"invalid input":                   func(w *world) { w.input("role-duration-seconds", "60") },
		"no ACTIONS_ID_TOKEN_REQUEST_URL": func(w *world) { delete(w.env, "ACTIONS_ID_TOKEN_REQUEST_URL") },
		"request URL in clear":            func(w *world) { w.env["ACTIONS_ID_TOKEN_REQUEST_URL"] = "http://token.example.com/x" },
	}
	for name, prep := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			sts := counted(t, w)
			prep(w)
			if err := w.run(); err == nil {
				t.Fatal("Run succeeded")
			}
			if n := sts.Accepted(); n != 0 {
				t.Errorf("STS accepted %d connections", n)
			}
			if n := len(w.gh.Requests()); n != 0 {
				t.Errorf("%d token requests", n)
			}
			w.assertNothingExported()
		})
	}
}

// The connection opened for a step whose token then fails is closed when
// the step ends, with no request sent on it.
func TestFailedStepClosesTheSTSConnection(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	sts := counted(t, w)
	w.retry.AttemptTimeout = 5 * time.Second
	w.input("retry-max-attempts", "1")
	// The token service answers 401 only once STS has the connection.
	w.gh.Faults().Always(harness.Fault{Until: sts.FirstAccept(), Status: 401, Body: `{"message":"Bad credentials"}`})
	err := w.run()
	if err == nil || !strings.Contains(err.Error(), "HTTP 401") {
		t.Fatalf("err = %v, want the token service's 401", err)
	}
	if n := sts.Accepted(); n != 1 {
		t.Errorf("STS accepted %d connections, want the 1 opened ahead", n)
	}
	if n := w.proxy.Count(""); n != 0 {
		t.Errorf("%d STS requests after a failed token request", n)
	}
	waitAllClosed(t, sts)
	w.assertNothingExported()
}

// With mask-aws-account-id, an account STS names instead of the role's is
// masked before the error that names it is printed.
func TestMaskAccountIDMasksTheAccountSTSNamesInstead(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.input("mask-aws-account-id", "true")
	w.proxy.Faults().Always(harness.STSAnswer{ARN: "arn:aws:sts::999999999999:assumed-role/deploy/GitHubActions"}.Fault())
	err := w.run()
	if err == nil || !strings.Contains(err.Error(), "999999999999") {
		t.Fatalf("err = %v, want the other account named", err)
	}
	log := w.stdout.String()
	for _, v := range []string{"999999999999", "arn:aws:sts::999999999999:assumed-role/deploy/GitHubActions"} {
		if !strings.Contains(log, "::add-mask::"+v+"\n") {
			t.Errorf("%s was not masked", v)
		}
	}
	w.assertNothingExported()
}
