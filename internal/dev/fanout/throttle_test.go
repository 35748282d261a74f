package main

import (
	"context"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/org/aws-oidc-go/internal/exchange"
)

// The bucket starts full, refills at its rate up to its burst, and a
// refused request does not use up the rate.
func TestBucket(t *testing.T) {
	t.Parallel()
	now := time.Unix(1700000000, 0)
	b := &Bucket{Rate: 10, Burst: 3, Now: func() time.Time { return now }}
	take := func(n int) (admitted int) {
		for range n {
			if b.Take() {
				admitted++
			}
		}
		return admitted
	}
	if got := take(5); got != 3 {
		t.Fatalf("a full bucket of 3 admitted %d of 5", got)
	}
	now = now.Add(250 * time.Millisecond) // 2.5 tokens
	if got := take(5); got != 2 {
		t.Errorf("after 250 ms at 10/s: admitted %d, want 2", got)
	}
	now = now.Add(50 * time.Millisecond) // 0.5 + 0.5 left over
	if got := take(1); got != 1 {
		t.Errorf("refused requests used up the rate: admitted %d, want 1", got)
	}
	now = now.Add(time.Hour)
	if got := take(10); got != 3 {
		t.Errorf("after an hour: admitted %d, want the burst 3", got)
	}
	free := &Bucket{Now: time.Now}
	for range 100 {
		if !free.Take() {
			t.Fatal("a bucket without a rate refused a request")
		}
	}
}

// What the throttle refuses gets STS's Throttling answer; what it admits
// reaches the target.
func TestThrottleAnswersAsSTS(t *testing.T) {
	t.Parallel()
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "from moto") }))
	defer target.Close()
	u, _ := url.Parse(target.URL)
	now := time.Unix(1700000000, 0)
	th := NewThrottle(u, &Bucket{Rate: 1, Burst: 1, Now: func() time.Time { return now }})
	srv := httptest.NewServer(th)
	defer srv.Close()
	post := func() (int, string) {
		resp, err := http.Post(srv.URL, "application/x-www-form-urlencoded", strings.NewReader("Action=AssumeRoleWithWebIdentity"))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := post(); code != 200 || body != "from moto" {
		t.Errorf("admitted: %d %q", code, body)
	}
	code, body := post()
	if code != 400 || !strings.Contains(body, "<Code>Throttling</Code><Message>Rate exceeded</Message>") {
		t.Errorf("refused: %d %q", code, body)
	}
	if a, r := th.Requests(); a != 1 || r != 1 {
		t.Errorf("counted %d admitted, %d refused; want 1 and 1", a, r)
	}
}

func TestParsePoints(t *testing.T) {
	t.Parallel()
	got, err := parsePoints("40:10, 150:2.5")
	if err != nil || len(got) != 2 || got[0] != (point{40, 10}) || got[1] != (point{150, 2.5}) {
		t.Errorf("parsePoints = %v, %v", got, err)
	}
	for _, bad := range []string{"", "40", "40:", ":10", "0:10", "40:0", "40:-1", "40:NaN", "1001:10", "40:10,", "x:y"} {
		if _, err := parsePoints(bad); err == nil {
			t.Errorf("parsePoints(%q) accepted", bad)
		}
	}
}

// The model's decorrelated strategy is the Retrier's: the same waits for
// the same draws (so what the model says of "now" is about the code).
func TestModelMatchesTheRetrier(t *testing.T) {
	t.Parallel()
	var got []time.Duration
	draws := []float64{0, 0.5, 0.99, 0.3, 0.7}
	i := 0
	r := exchange.Retrier{MaxAttempts: len(draws) + 1, BaseDelay: 200 * time.Millisecond, MaxDelay: 10 * time.Second,
		Jitter: func() float64 { d := draws[i]; i++; return d },
		Sleep:  func(_ context.Context, d time.Duration) error { got = append(got, d); return nil }}
	r.Do(context.Background(), func(context.Context) error { return &exchange.HTTPError{StatusCode: 429} })
	lo, hi := exchange.DefaultThrottleMinDelay.Seconds(), exchange.DefaultThrottleMaxDelay.Seconds()
	next := decorrelated(lo, hi)
	prev := 0.0
	for n, d := range draws {
		prev = next(rand.New(fixed(d)), n+1, prev)
		if diff := got[n].Seconds() - prev; diff > 1e-6 || diff < -1e-6 {
			t.Errorf("wait %d: Retrier %s, model %.3f s", n+1, got[n], prev)
		}
	}
}

// fixed is a rand.Source whose Float64 is f.
type fixed float64

func (f fixed) Uint64() uint64 { return uint64(float64(f) * (1 << 53)) }
