package exchange

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/google/go-cmp/cmp"

	"github.com/org/aws-oidc-go/internal/dev/harness"
	"github.com/org/aws-oidc-go/internal/token"
)

// fakeClock is a monotonic clock that moves only when a retry sleeps: by
// the backoff, plus jump per sleep.
type fakeClock struct {
	mu   sync.Mutex
	t    time.Time
	jump time.Duration
}

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) sleep(_ context.Context, d time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d + c.jump)
	return nil
}

// TestTokenReuseThroughTheFaultProxy runs the exchange as the action does —
// the SDK's STS client against moto behind the fault proxy, tokens from the
// fake token service through the token client — and counts what each
// endpoint received: a token is sent again across throttled and other
// transient failures, and fetched anew when STS calls it expired or invalid,
// when half its lifetime has passed on the (injected) monotonic clock, and
// on every attempt when its claims give no sane lifetime.
func TestTokenReuseThroughTheFaultProxy(t *testing.T) {
	moto, err := harness.StartMoto(context.Background())
	harness.Require(t, err)
	defer moto.Close()
	t.Setenv("AWS_CA_BUNDLE", "")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_ENDPOINT_URL", "")
	t.Setenv("AWS_ENDPOINT_URL_STS", "")

	type row struct {
		name     string
		sts      map[int]harness.Fault // by STS request number
		lifetime time.Duration         // of the tokens issued; 0: GitHub's 5 minutes
		jump     time.Duration         // the clock's extra move per retry
		reuse    bool
		fails    string // the error expected, or "" for success
		// want: the token each STS request carried, numbered by the order
		// the token service issued them.
		want []int
	}
	throttled := map[int]harness.Fault{1: harness.FaultThrottling, 2: harness.FaultThrottling, 3: harness.FaultThrottling}
	rows := []row{
		{name: "throttled three times: one token", sts: throttled, reuse: true, want: []int{1, 1, 1, 1}},
		{name: "without reuse (a token file): one per attempt", sts: throttled, want: []int{1, 2, 3, 4}},
		{name: "5xx, IDPCommunicationError and the verification-key InvalidIdentityToken: one token",
			sts: map[int]harness.Fault{1: harness.FaultInternal, 2: harness.FaultIDPCommunication, 3: harness.FaultJWKSFetch}, reuse: true, want: []int{1, 1, 1, 1}},
		{name: "ExpiredTokenException: a fresh token", sts: map[int]harness.Fault{1: harness.FaultThrottling, 2: harness.FaultExpiredToken}, reuse: true, want: []int{1, 1, 2}},
		{name: "InvalidIdentityToken about a token sent again: one more try with a fresh one",
			sts: map[int]harness.Fault{1: harness.FaultThrottling, 2: harness.FaultBadAudience}, reuse: true, want: []int{1, 1, 2}},
		{name: "InvalidIdentityToken about a fresh token fails at once", sts: map[int]harness.Fault{1: harness.FaultBadAudience}, reuse: true,
			fails: "Incorrect token audience", want: []int{1}},
		{name: "InvalidIdentityToken again after the fresh try fails", sts: map[int]harness.Fault{1: harness.FaultThrottling, 2: harness.FaultBadAudience, 3: harness.FaultBadAudience},
			reuse: true, fails: "Incorrect token audience", want: []int{1, 1, 2}},
		// 2 minutes pass per retry: a 5-minute token is sent again at 2
		// minutes, not at 4 (past half its life).
		{name: "near the end of its life: a fresh token", sts: throttled, jump: 2 * time.Minute, reuse: true, want: []int{1, 1, 2, 2}},
		{name: "a 10-minute token lasts", sts: throttled, lifetime: 10 * time.Minute, jump: time.Minute, reuse: true, want: []int{1, 1, 1, 1}},
		{name: "exp before iat: never reused", sts: throttled, lifetime: -time.Hour, reuse: true, want: []int{1, 2, 3, 4}},
		{name: "a lifetime of 10 s: never reused", sts: throttled, lifetime: 10 * time.Second, reuse: true, want: []int{1, 2, 3, 4}},
		{name: "a lifetime of 200 years: never reused", sts: throttled, lifetime: 200 * 365 * 24 * time.Hour, reuse: true, want: []int{1, 2, 3, 4}},
	}
	for _, tc := range rows {
		t.Run(tc.name, func(t *testing.T) {
			proxy := harness.NewProxy(moto.URL)
			defer proxy.Close()
			gh := harness.NewTokenService()
			defer gh.Close()
			if tc.lifetime != 0 {
				gh.Lifetime = tc.lifetime
			}
			for n, f := range tc.sts {
				proxy.Faults().At(f, n)
			}
			cc := ClientConfig{Region: "eu-west-1", Endpoint: proxy.URL}
			cfg, err := LoadAWSConfig(context.Background(), cc)
			if err != nil {
				t.Fatal(err)
			}
			env := map[string]string{token.EnvRequestURL: gh.RequestURL, token.EnvRequestToken: gh.RequestToken}
			tokens := token.Service{GitHub: &token.GitHub{Getenv: func(k string) string { return env[k] }, HTTPClient: &http.Client{}}, Audience: "sts.amazonaws.com"}
			clock := &fakeClock{t: time.Now(), jump: tc.jump}
			r := Retrier{MaxAttempts: 6, AttemptTimeout: 10 * time.Second, BaseDelay: 200 * time.Millisecond, MaxDelay: 10 * time.Second,
				Sleep: clock.sleep, Now: clock.now}
			creds, err := AssumeRoleWithWebIdentity(context.Background(), NewSTS(cfg, cc, Signing{}), tokens.Token, WebIdentityRequest{
				RoleARN: "arn:aws:iam::123456789012:role/deploy", SessionName: "s", Duration: time.Hour, ReuseToken: tc.reuse,
			}, r)
			switch {
			case tc.fails == "" && err != nil:
				t.Fatalf("exchange failed: %v", err)
			case tc.fails == "" && creds.SessionToken == "":
				t.Fatal("no credentials")
			case tc.fails != "" && (err == nil || !strings.Contains(err.Error(), tc.fails)):
				t.Fatalf("err = %v, want one with %q", err, tc.fails)
			}
			issued := gh.Issued()
			number := map[string]int{}
			for i, jwt := range issued {
				number[jwt] = i + 1
			}
			var got []int
			for _, req := range proxy.Requests() {
				got = append(got, number[req.Form.Get("WebIdentityToken")])
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("the token each STS request carried, by issue order (-want +got):\n%s", diff)
			}
			if len(gh.Requests()) != len(issued) {
				t.Errorf("token requests %d, tokens issued %d", len(gh.Requests()), len(issued))
			}
		})
	}
}

// TestTokenLifetime: exp − iat is believed only when both are integral
// dates in range and the difference is between a minute and a day.
func TestTokenLifetime(t *testing.T) {
	t.Parallel()
	jwt := func(payload string) string {
		return "eyJhbGciOiJSUzI1NiJ9." + base64.RawURLEncoding.EncodeToString([]byte(payload)) + ".c2ln"
	}
	cases := []struct {
		tok  string
		want time.Duration
		ok   bool
	}{
		{jwt(`{"iat":1700000000,"exp":1700000300}`), 5 * time.Minute, true},
		{jwt(`{"iat":1700000000,"exp":1700086400}`), 24 * time.Hour, true},
		{jwt(`{"iat":1700000000,"exp":1700086401}`), 0, false},
		{jwt(`{"iat":1700000000,"exp":1700000059}`), 0, false},
		{jwt(`{"iat":1700000300,"exp":1700000000}`), 0, false},
		{jwt(`{"iat":1700000000}`), 0, false},
		{jwt(`{"exp":1700000300}`), 0, false},
		{jwt(`{"iat":"1700000000","exp":"1700000300"}`), 0, false},
		{jwt(`{"iat":1700000000.5,"exp":1700000300}`), 0, false},
		{jwt(`{"iat":-9223372036854775808,"exp":9223372036854775807}`), 0, false},
		{jwt(`{"iat":1e300,"exp":1e301}`), 0, false},
		{jwt(`{"iat":0,"exp":300}`), 0, false},
		{jwt(`{"iat":01700000000,"exp":1700000300}`), 0, false},
		{jwt(`{"iat":1700000000,"exp":1700000300,"exp":1}`), 0, false},
		{jwt(`{"iat":253402300499,"exp":253402300799}`), 5 * time.Minute, true},
		{jwt(`{"iat":253402300800,"exp":253402301100}`), 0, false},
		{jwt(`[1,2]`), 0, false},
		{jwt(`{"iat":1700000000,"exp":1700000300`), 0, false},
		{"not.a-jwt", 0, false},
		{"a.b", 0, false},
		{"", 0, false},
	}
	for _, tc := range cases {
		got, ok := tokenLifetime(tc.tok)
		if got != tc.want || ok != tc.ok {
			t.Errorf("tokenLifetime(%q) = %s, %v; want %s, %v", tc.tok, got, ok, tc.want, tc.ok)
		}
	}
}

// TestHeldTokenClock: a held token is sent again only while less than half
// its lifetime has passed since it was fetched, by the clock given; a clock
// that goes backwards (it cannot, being monotonic, but a fake can) ends it.
func TestHeldTokenClock(t *testing.T) {
	t.Parallel()
	tok := "eyJhbGciOiJSUzI1NiJ9." + base64.RawURLEncoding.EncodeToString([]byte(`{"iat":1700000000,"exp":1700000300}`)) + ".c2ln"
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		after time.Duration
		again bool
	}{{0, true}, {149 * time.Second, true}, {150 * time.Second, false}, {time.Hour, false}, {-time.Second, false}} {
		h := heldToken{now: func() time.Time { return start.Add(tc.after) }}
		h.keep(tok, start)
		if got, again := h.get(); again != tc.again || (again && got != tok) {
			t.Errorf("after %s: sent again = %v, want %v", tc.after, again, tc.again)
		}
	}
}

// A token fetch that fails is not held: the next attempt asks again.
func TestTokenFetchFailureIsNotHeld(t *testing.T) {
	t.Parallel()
	n := 0
	tok := "eyJhbGciOiJSUzI1NiJ9." + base64.RawURLEncoding.EncodeToString([]byte(`{"iat":1700000000,"exp":1700000300}`)) + ".c2ln"
	fetch := func(context.Context) (string, error) {
		n++
		if n == 1 {
			return "", &token.StatusError{StatusCode: 503}
		}
		return tok, nil
	}
	calls := 0
	api := fakeWebIdentity(func(context.Context, *sts.AssumeRoleWithWebIdentityInput, ...func(*sts.Options)) (*sts.AssumeRoleWithWebIdentityOutput, error) {
		calls++
		return nil, apiErr(400, "Throttling", "Rate exceeded")
	})
	_, err := AssumeRoleWithWebIdentity(context.Background(), api, fetch, WebIdentityRequest{ReuseToken: true}, Retrier{MaxAttempts: 4, Sleep: noSleep})
	var ae *AttemptsError
	if !errors.As(err, &ae) || ae.Attempts != 4 {
		t.Fatalf("err = %v", err)
	}
	if n != 2 || calls != 3 {
		t.Errorf("token fetches %d, STS calls %d; want 2 and 3", n, calls)
	}
}
