package exchange

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/google/go-cmp/cmp"

	"github.com/org/aws-oidc-go/internal/token"
)

func apiErr(status int, code, msg string) error {
	resp := &smithyhttp.Response{Response: &http.Response{StatusCode: status, Header: http.Header{}}}
	return &smithy.OperationError{ServiceID: "STS", OperationName: "AssumeRoleWithWebIdentity", Err: &awshttp.ResponseError{
		ResponseError: &smithyhttp.ResponseError{Response: resp, Err: &smithy.GenericAPIError{Code: code, Message: msg}},
		RequestID:     "req-1",
	}}
}

func TestTransient(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		err  error
		want bool
	}{
		{"throttling", apiErr(400, "Throttling", "Rate exceeded"), true},
		{"idp communication", apiErr(400, "IDPCommunicationError", "x"), true},
		{"expired token", apiErr(400, "ExpiredTokenException", "Token expired"), true},
		{"jwks fetch", apiErr(400, "InvalidIdentityToken", "Couldn't retrieve verification key from your identity provider"), true},
		{"no provider", apiErr(400, "InvalidIdentityToken", "No OpenIDConnect provider found in your account"), false},
		{"bad audience", apiErr(400, "InvalidIdentityToken", "Incorrect token audience"), false},
		{"access denied", apiErr(403, "AccessDenied", "Not authorized"), false},
		{"validation", apiErr(400, "ValidationError", "bad"), false},
		{"malformed policy", apiErr(400, "MalformedPolicyDocument", "bad"), false},
		{"region disabled", apiErr(403, "RegionDisabledException", "off"), false},
		{"unknown 500", apiErr(500, "UnknownError", ""), true},
		{"unknown 503", apiErr(503, "Whatever", ""), true},
		{"send error", &smithyhttp.RequestSendError{Err: syscall.ECONNRESET}, true},
		{"conn refused", fmt.Errorf("x: %w", syscall.ECONNREFUSED), true},
		{"deserialization", &smithy.DeserializationError{Err: errors.New("EOF")}, true},
		{"attempt timeout", fmt.Errorf("%w: %w", errAttemptTimeout{time.Second}, context.DeadlineExceeded), true},
		{"canceled", context.Canceled, false},
		{"nxdomain", &smithyhttp.RequestSendError{Err: &net.DNSError{Err: "no such host", Name: "sts.example", IsNotFound: true}}, false},
		{"dns timeout", &smithyhttp.RequestSendError{Err: &net.DNSError{Err: "timeout", Name: "sts.example", IsTimeout: true}}, true},
		{"token 503", &token.StatusError{StatusCode: 503}, true},
		{"token 429", &token.StatusError{StatusCode: 429}, true},
		{"token 401", &token.StatusError{StatusCode: 401}, false},
		{"token service answered 200 without a token (a protocol error)", &token.MalformedError{Reason: "x"}, false},
		{"firewall page 403", &HTTPError{StatusCode: 403}, false},
		{"proxy page 502", &HTTPError{StatusCode: 502}, true},
		{"proxy page 429", &HTTPError{StatusCode: 429}, true},
		{"answer too large", fmt.Errorf("reading: %w", ErrBodyTooLarge), false},
		{"no permission", token.ErrNoIDTokenPermission, false},
		{"plain error", errors.New("boom"), false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := Transient(&CallError{Op: "X", Err: tc.err}); got != tc.want {
				t.Errorf("Transient(%v) = %v, want %v", tc.err, got, tc.want)
			}
		})
	}
}

type sleeps struct{ waits []time.Duration }

func (s *sleeps) sleep(_ context.Context, d time.Duration) error {
	s.waits = append(s.waits, d)
	return nil
}

func TestRetrierStopsOnPermanentError(t *testing.T) {
	t.Parallel()
	var s sleeps
	calls := 0
	err := Retrier{MaxAttempts: 12, BaseDelay: time.Second, Sleep: s.sleep}.Do(context.Background(), func(context.Context) error {
		calls++
		return apiErr(403, "AccessDenied", "no")
	})
	var ae *AttemptsError
	if !errors.As(err, &ae) || ae.Attempts != 1 || ae.Retryable {
		t.Fatalf("err = %#v, want one non-retryable attempt", err)
	}
	if calls != 1 || len(s.waits) != 0 {
		t.Errorf("calls = %d, sleeps = %v; want 1 call and no sleep", calls, s.waits)
	}
}

func TestRetrierBacksOffWithFullJitterAndNoSleepAfterLast(t *testing.T) {
	t.Parallel()
	var s sleeps
	calls := 0
	r := Retrier{MaxAttempts: 6, BaseDelay: 100 * time.Millisecond, MaxDelay: time.Second, Sleep: s.sleep,
		Jitter: func() float64 { return 0.5 }}
	err := r.Do(context.Background(), func(context.Context) error {
		calls++
		return apiErr(503, "ServiceUnavailable", "")
	})
	var ae *AttemptsError
	if !errors.As(err, &ae) || ae.Attempts != 6 || !ae.Retryable {
		t.Fatalf("err = %v, want 6 retryable attempts", err)
	}
	want := []time.Duration{50 * time.Millisecond, 100 * time.Millisecond, 200 * time.Millisecond, 400 * time.Millisecond, 500 * time.Millisecond}
	if diff := cmp.Diff(want, s.waits); diff != "" {
		t.Errorf("sleeps (-want +got):\n%s", diff)
	}
	if calls != 6 {
		t.Errorf("calls = %d, want 6", calls)
	}
}

func TestRetrierRecovers(t *testing.T) {
	t.Parallel()
	var s sleeps
	var retried []int
	calls := 0
	r := Retrier{MaxAttempts: 5, BaseDelay: time.Millisecond, Sleep: s.sleep,
		OnRetry: func(n int, _ error, _ time.Duration) { retried = append(retried, n) }}
	err := r.Do(context.Background(), func(context.Context) error {
		calls++
		if calls < 3 {
			return apiErr(503, "ServiceUnavailable", "")
		}
		return nil
	})
	if err != nil || calls != 3 {
		t.Fatalf("err = %v after %d calls, want success on the 3rd", err, calls)
	}
	if diff := cmp.Diff([]int{1, 2}, retried); diff != "" {
		t.Errorf("OnRetry attempts (-want +got):\n%s", diff)
	}
}

func TestRetrierAttemptTimeoutIsRetried(t *testing.T) {
	t.Parallel()
	calls := 0
	r := Retrier{MaxAttempts: 2, AttemptTimeout: 20 * time.Millisecond, Sleep: (&sleeps{}).sleep}
	err := r.Do(context.Background(), func(ctx context.Context) error {
		calls++
		if calls == 1 {
			<-ctx.Done() // a hung connection
			return &smithyhttp.RequestSendError{Err: ctx.Err()}
		}
		return nil
	})
	if err != nil || calls != 2 {
		t.Fatalf("err = %v, calls = %d; want recovery on attempt 2", err, calls)
	}
}

func TestRetrierStopsWhenTheRunIsOver(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeoutCause(context.Background(), 30*time.Millisecond, errors.New("action timed out"))
	defer cancel()
	calls := 0
	start := time.Now()
	err := Retrier{MaxAttempts: 100, AttemptTimeout: time.Hour, BaseDelay: time.Millisecond}.Do(ctx, func(ctx context.Context) error {
		calls++
		<-ctx.Done()
		return ctx.Err()
	})
	if err == nil || calls != 1 {
		t.Fatalf("err = %v, calls = %d; want one attempt ended by the run's deadline", err, calls)
	}
	if got := err.Error(); !strings.Contains(got, "action timed out") {
		t.Errorf("error %q does not report the run's deadline", got)
	}
	if time.Since(start) > 5*time.Second {
		t.Errorf("took %s", time.Since(start))
	}
}

// After throttling the waits are decorrelated jitter: drawn from
// [ThrottleMinDelay, 3 × the previous wait), capped at ThrottleMaxDelay —
// and they do not stay at the cap: a low draw brings the next wait down.
func TestRetrierThrottledBacksOffWithDecorrelatedJitter(t *testing.T) {
	t.Parallel()
	var s sleeps
	draws := []float64{0, 0.5, 0.99, 0.99, 0, 0.5}
	i := 0
	r := Retrier{MaxAttempts: 7, BaseDelay: 200 * time.Millisecond, MaxDelay: 10 * time.Second, Sleep: s.sleep,
		Jitter: func() float64 { d := draws[i]; i++; return d }}
	err := r.Do(context.Background(), func(context.Context) error {
		return apiErr(400, "Throttling", "Rate exceeded")
	})
	var ae *AttemptsError
	if !errors.As(err, &ae) || ae.Attempts != 7 {
		t.Fatalf("err = %v, want 7 attempts", err)
	}
	// 1 s + j·(3·max(prev, 1 s) − 1 s), at most 5 s.
	want := []time.Duration{time.Second, 2 * time.Second, 5 * time.Second, 5 * time.Second, time.Second, 2 * time.Second}
	if diff := cmp.Diff(want, s.waits); diff != "" {
		t.Errorf("sleeps (-want +got):\n%s", diff)
	}
}

// A MaxDelay below the throttling bounds caps them too (tests and callers
// that want short waits get them).
func TestRetrierThrottledRespectsMaxDelay(t *testing.T) {
	t.Parallel()
	var s sleeps
	r := Retrier{MaxAttempts: 3, MaxDelay: 5 * time.Millisecond, Sleep: s.sleep, Jitter: func() float64 { return 0.9 }}
	r.Do(context.Background(), func(context.Context) error { return &HTTPError{StatusCode: 429} })
	if diff := cmp.Diff([]time.Duration{5 * time.Millisecond, 5 * time.Millisecond}, s.waits); diff != "" {
		t.Errorf("sleeps (-want +got):\n%s", diff)
	}
}

func TestThrottled(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{apiErr(400, "Throttling", "Rate exceeded"), true},
		{apiErr(400, "RequestLimitExceeded", ""), true},
		{&HTTPError{StatusCode: 429}, true},
		{apiErr(503, "ServiceUnavailable", ""), false},
		{apiErr(400, "IDPCommunicationError", ""), false},
		{&HTTPError{StatusCode: 502}, false},
		{errors.New("Throttling"), false},
	} {
		if got := Throttled(&CallError{Op: "X", Err: tc.err}); got != tc.want {
			t.Errorf("Throttled(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}
