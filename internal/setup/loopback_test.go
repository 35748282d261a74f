package setup

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// TestLookupRepoPlainHTTPOnlyToLoopback: LookupRepo sends the token over
// plain http only to this machine, named as loopback.Host names it
// ("localhost" as written, 127.0.0.0/8, [::1]), never to a name that only
// begins with localhost or spells it in capitals.
func TestLookupRepoPlainHTTPOnlyToLoopback(t *testing.T) {
	t.Parallel()
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"id": 7, "full_name": "o/r", "owner": {"id": 8}}`)
	}))
	defer api.Close()
	u, _ := url.Parse(api.URL)
	port := u.Port()
	for _, host := range []string{"127.0.0.1"} { // "localhost" itself: loopback's own test
		if _, err := LookupRepo(context.Background(), &http.Client{}, "http://"+host+":"+port, "ghs_x", "o/r"); err != nil {
			t.Errorf("http://%s: %v", host, err)
		}
	}
	// LocalHost: net/http's proxy rules exempt "localhost" as written only.
	for _, host := range []string{"localhost.evil.com", "runner.localhost", "10.0.0.1", "LocalHost"} {
		_, err := LookupRepo(context.Background(), &http.Client{}, "http://"+host+":"+port, "ghs_x", "o/r")
		if err == nil || !strings.Contains(err.Error(), "want an https URL") {
			t.Errorf("http://%s: %v, want it refused before any request", host, err)
		}
	}
}
