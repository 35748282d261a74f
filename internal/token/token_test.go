package token_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/org/aws-oidc-go/internal/dev/harness"
	"github.com/org/aws-oidc-go/internal/token"
)

func client(gh *harness.TokenService, override map[string]string) *token.GitHub {
	env := map[string]string{token.EnvRequestURL: gh.RequestURL, token.EnvRequestToken: gh.RequestToken}
	for k, v := range override {
		env[k] = v
	}
	return &token.GitHub{Getenv: func(k string) string { return env[k] }, HTTPClient: &http.Client{}}
}

func TestFetch(t *testing.T) {
	t.Parallel()
	gh := harness.NewTokenService()
	defer gh.Close()
	jwt, err := client(gh, nil).Fetch(context.Background(), "sts.amazonaws.com")
	if err != nil {
		t.Fatal(err)
	}
	c, err := token.DecodeClaims(jwt)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Audience) != 1 || c.Audience[0] != "sts.amazonaws.com" || c.Subject != "repo:octo-org/octo-repo:ref:refs/heads/main" ||
		c.Issuer != "https://token.actions.githubusercontent.com" || time.Until(time.Unix(c.ExpiresAt, 0)) < 4*time.Minute {
		t.Errorf("claims = %+v", c)
	}
	if r := gh.Requests(); len(r) != 1 || !r[0].Authorized || r[0].Audience != "sts.amazonaws.com" {
		t.Errorf("requests = %+v", r)
	}
}

func TestFetchErrors(t *testing.T) {
	t.Parallel()
	gh := harness.NewTokenService()
	defer gh.Close()
	cases := []struct {
		name      string
		override  map[string]string
		fault     *harness.Fault
		check     func(error) bool
		temporary bool
	}{
		{"no request token", map[string]string{token.EnvRequestToken: ""}, nil, func(e error) bool { return errors.Is(e, token.ErrNoIDTokenPermission) }, false},
		{"no request url", map[string]string{token.EnvRequestURL: ""}, nil, func(e error) bool { return errors.Is(e, token.ErrNoIDTokenPermission) }, false},
		{"wrong request token", map[string]string{token.EnvRequestToken: "nope"}, nil, statusIs(401), false},
		{"query string dropped", map[string]string{token.EnvRequestURL: strings.Split(gh.RequestURL, "?")[0]}, nil, statusIs(400), false},
		{"503", nil, &harness.Fault{Status: 503, Body: "down"}, statusBodyIs(503, "down"), true},
		{"429 with a body to clean", nil, &harness.Fault{Status: 429, Body: "  slow\r\ndown  "}, statusBodyIs(429, `slow\r\ndown`), true},
		{"garbage", nil, &harness.Fault{Status: 200, Body: "<html>"}, func(e error) bool { var m *token.MalformedError; return errors.As(e, &m) }, false},
		{"no JWT in value", nil, &harness.Fault{Status: 200, Body: `{"count":1,"value":"abc"}`}, func(e error) bool { var m *token.MalformedError; return errors.As(e, &m) }, false},
		// Three base64url parts, but no JSON header: not a compact JWT as
		// CheckCompactJWT (the token file's check) defines it.
		{"three parts, no JSON header", nil, &harness.Fault{Status: 200, Body: `{"count":1,"value":"abc.def.ghi"}`}, func(e error) bool {
			var m *token.MalformedError
			return errors.As(e, &m) && strings.Contains(m.Reason, "header")
		}, false},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := gh
			if tc.fault != nil {
				g = harness.NewTokenService()
				defer g.Close()
				g.Faults().Always(*tc.fault)
			}
			_ = i
			_, err := client(g, tc.override).Fetch(context.Background(), "sts.amazonaws.com")
			if err == nil || !tc.check(err) {
				t.Fatalf("err = %v", err)
			}
			var temp interface{ Temporary() bool }
			if got := errors.As(err, &temp) && temp.Temporary(); got != tc.temporary {
				t.Errorf("temporary = %v, want %v", got, tc.temporary)
			}
			if strings.Contains(err.Error(), gh.RequestToken) {
				t.Error("the error carries the request token")
			}
		})
	}
}

func statusIs(code int) func(error) bool {
	return func(e error) bool {
		var s *token.StatusError
		return errors.As(e, &s) && s.StatusCode == code
	}
}

// statusBodyIs also checks the body kept for the log: exactly the answer's
// (trimmed, shown by runner.Excerpt), not the library's wording around it.
func statusBodyIs(code int, body string) func(error) bool {
	return func(e error) bool {
		var s *token.StatusError
		return errors.As(e, &s) && s.StatusCode == code && s.Body == body
	}
}

// TestFetchErrorShowsHostileBody: the token service's error body is kept
// clipped between runes and on one visible line (runner.Excerpt), so
// neither it nor the error around it holds C1 controls, bytes that are not
// UTF-8 or a line that starts a workflow command.
func TestFetchErrorShowsHostileBody(t *testing.T) {
	t.Parallel()
	g := harness.NewTokenService()
	defer g.Close()
	g.Faults().Always(harness.Fault{Status: 503, Body: harness.HostileLine})
	_, err := client(g, nil).Fetch(context.Background(), "sts.amazonaws.com")
	var s *token.StatusError
	if !errors.As(err, &s) {
		t.Fatalf("err = %v", err)
	}
	harness.CheckShown(t, err.Error(), true)
	if len(s.Body) > 4*200 {
		t.Errorf("body kept is %d bytes", len(s.Body))
	}
}

func TestDecodeClaims(t *testing.T) {
	t.Parallel()
	for _, bad := range []string{"", "a.b", "a.!!!.c", "a." + "bm90IGpzb24" + ".c", "a.WzFd.c"} {
		if _, err := token.DecodeClaims(bad); err == nil {
			t.Errorf("DecodeClaims(%q) accepted", bad)
		}
	}
	// aud as an array
	c, err := token.DecodeClaims("e30.eyJhdWQiOlsiYSIsImIiXSwic3ViIjoieCJ9.sig")
	if err != nil || len(c.Audience) != 2 || c.Subject != "x" {
		t.Errorf("array aud: %+v %v", c, err)
	}
}

func FuzzDecodeClaims(f *testing.F) {
	f.Add("e30.eyJhdWQiOlsiYSIsImIiXSwic3ViIjoieCJ9.sig")
	f.Add("a.b.c")
	f.Fuzz(func(t *testing.T, s string) {
		c, err := token.DecodeClaims(s)
		if (c == nil) == (err == nil) {
			t.Fatalf("exactly one of claims and error must be set")
		}
	})
}

func BenchmarkDecodeClaims(b *testing.B) {
	gh := harness.NewTokenService()
	defer gh.Close()
	jwt := gh.Mint("sts.amazonaws.com")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := token.DecodeClaims(jwt); err != nil {
			b.Fatal(err)
		}
	}
}
