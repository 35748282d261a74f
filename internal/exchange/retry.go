package exchange

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"strings"
	"syscall"
	"time"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// Retrier runs an operation up to MaxAttempts times, each attempt under its
// own deadline, sleeping between attempts (never after the last) and only
// when Transient says a retry can succeed: after throttling a decorrelated
// jitter (see ThrottleMinDelay), after any other failure a fully jittered
// exponential backoff.
type Retrier struct {
	MaxAttempts    int           // total attempts, ≥ 1
	AttemptTimeout time.Duration // deadline of one attempt; 0 = none
	BaseDelay      time.Duration // backoff before the 2nd attempt is drawn from [0, BaseDelay)
	MaxDelay       time.Duration // cap of the backoff window, throttled or not
	// ThrottleMinDelay and ThrottleMaxDelay bound the wait after a
	// throttled attempt (Throttled): drawn from [ThrottleMinDelay, 3 × the
	// previous wait), at most ThrottleMaxDelay. Zero: DefaultThrottleMinDelay
	// and DefaultThrottleMaxDelay; both at most MaxDelay when it is set.
	ThrottleMinDelay, ThrottleMaxDelay time.Duration
	// Sleep waits d or until ctx is done. Nil: a timer.
	Sleep func(ctx context.Context, d time.Duration) error
	// Now is the clock Sleep's waits pass on, which times how long a
	// reused ID token has been held. Nil: time.Now, whose readings carry
	// the monotonic clock.
	Now func() time.Time
	// Jitter returns a number in [0, 1). Nil: math/rand/v2.
	Jitter func() float64
	// Transient decides whether err may succeed on a retry. Nil: Transient.
	Transient func(err error) bool
	// OnRetry, when set, is told about each failed attempt that is retried.
	OnRetry func(attempt int, err error, wait time.Duration)
}

// AttemptsError is the final error of a retried operation.
type AttemptsError struct {
	Attempts  int
	Retryable bool // the last error was transient: more attempts might have helped
	Err       error
}

func (e *AttemptsError) Error() string {
	if e.Attempts == 1 {
		return e.Err.Error()
	}
	return fmt.Sprintf("%v (after %d attempts)", e.Err, e.Attempts)
}

func (e *AttemptsError) Unwrap() error { return e.Err }

// Do runs op. It returns nil, or an *AttemptsError wrapping the last error.
func (r Retrier) Do(ctx context.Context, op func(ctx context.Context) error) error {
	transient := r.Transient
	if transient == nil {
		transient = Transient
	}
	max := max(r.MaxAttempts, 1)
	var wait time.Duration
	for attempt := 1; ; attempt++ {
		err := r.attempt(ctx, op)
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			// The whole run's deadline or a signal: report that, not the
			// attempt's own symptom.
			return &AttemptsError{Attempts: attempt, Err: fmt.Errorf("%w (last attempt: %v)", context.Cause(ctx), err)}
		}
		retryable := transient(err)
		if !retryable || attempt >= max {
			return &AttemptsError{Attempts: attempt, Retryable: retryable, Err: err}
		}
		if Throttled(err) {
			wait = r.throttleBackoff(wait)
		} else {
			wait = r.backoff(attempt)
		}
		if r.OnRetry != nil {
			r.OnRetry(attempt, err, wait)
		}
		if serr := r.sleep(ctx, wait); serr != nil {
			return &AttemptsError{Attempts: attempt, Err: fmt.Errorf("%w (last attempt: %v)", context.Cause(ctx), err)}
		}
	}
}

func (r Retrier) attempt(ctx context.Context, op func(ctx context.Context) error) error {
	if r.AttemptTimeout <= 0 {
		return op(ctx)
	}
	actx, cancel := context.WithTimeoutCause(ctx, r.AttemptTimeout, errAttemptTimeout{r.AttemptTimeout})
	defer cancel()
	err := op(actx)
	if err != nil && actx.Err() != nil && ctx.Err() == nil {
		return fmt.Errorf("%w: %w", errAttemptTimeout{r.AttemptTimeout}, err)
	}
	return err
}

// backoff is "full jitter": uniform in [0, min(MaxDelay, BaseDelay·2^(n-1))).
func (r Retrier) backoff(attempt int) time.Duration {
	window := r.BaseDelay
	for i := 1; i < attempt && (r.MaxDelay <= 0 || window < r.MaxDelay); i++ {
		window *= 2
	}
	if r.MaxDelay > 0 && window > r.MaxDelay {
		window = r.MaxDelay
	}
	j := r.Jitter
	if j == nil {
		j = rand.Float64
	}
	return time.Duration(j() * float64(window))
}

// Defaults of the wait after a throttled attempt. Measured with make
// bench-fanout (docs/performance.md): against 150 steps at once and STS
// throttled to 10/s, full jitter (200 ms doubling to 10 s) finished 1.3–1.6×
// after what the rate allows with 5–6 STS requests per step; this finishes
// closer with about half the requests. A floor keeps throttled steps from
// coming back in the same instant; the cap keeps the last of a matrix from
// sleeping through the rate's spare capacity.
const (
	DefaultThrottleMinDelay = time.Second
	DefaultThrottleMaxDelay = 5 * time.Second
)

// throttleBackoff is "decorrelated jitter": uniform in [lo, 3·prev) with
// prev at least lo, capped at hi. Unlike full jitter's doubling window it
// does not climb to the cap and stay there: a step throttled many times
// still comes back soon once the throttling ends.
func (r Retrier) throttleBackoff(prev time.Duration) time.Duration {
	lo, hi := r.ThrottleMinDelay, r.ThrottleMaxDelay
	if lo <= 0 {
		lo = DefaultThrottleMinDelay
	}
	if hi <= 0 {
		hi = DefaultThrottleMaxDelay
	}
	if r.MaxDelay > 0 {
		lo, hi = min(lo, r.MaxDelay), min(hi, r.MaxDelay)
	}
	lo = min(lo, hi)
	prev = max(prev, lo)
	j := r.Jitter
	if j == nil {
		j = rand.Float64
	}
	return min(hi, lo+time.Duration(j()*float64(3*prev-lo)))
}

// Throttled reports whether err is STS (or something in front of it)
// saying the caller sends too much: a throttling code or HTTP 429.
func Throttled(err error) bool {
	var api smithy.APIError
	if errors.As(err, &api) && throttlingCodes[api.ErrorCode()] {
		return true
	}
	var he *HTTPError
	if errors.As(err, &he) {
		return he.StatusCode == 429
	}
	var re *smithyhttp.ResponseError
	return errors.As(err, &re) && re.HTTPStatusCode() == 429
}

var throttlingCodes = map[string]bool{
	"Throttling":                true,
	"ThrottlingException":       true,
	"ThrottledException":        true,
	"RequestThrottledException": true,
	"TooManyRequestsException":  true,
	"RequestLimitExceeded":      true,
	"SlowDown":                  true,
}

func (r Retrier) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

func (r Retrier) sleep(ctx context.Context, d time.Duration) error {
	if r.Sleep != nil {
		return r.Sleep(ctx, d)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

type errAttemptTimeout struct{ d time.Duration }

func (e errAttemptTimeout) Error() string {
	return fmt.Sprintf("no answer within the attempt timeout of %s", e.d)
}

// Temporary marks a per-attempt timeout as worth retrying.
func (e errAttemptTimeout) Temporary() bool { return true }

// STS error codes that a retry cannot fix are everything not listed here.
var transientCodes = map[string]bool{
	"Throttling":                true,
	"ThrottlingException":       true,
	"ThrottledException":        true,
	"RequestThrottledException": true,
	"TooManyRequestsException":  true,
	"RequestLimitExceeded":      true,
	"SlowDown":                  true,
	"IDPCommunicationError":     true,
	// The ID token expired between GitHub and STS (clock skew, a slow
	// attempt): the next attempt carries a fresh one (see rejectsToken).
	"ExpiredTokenException":          true,
	"InternalFailure":                true,
	"InternalError":                  true,
	"ServiceUnavailable":             true,
	"ServiceUnavailableException":    true,
	"RequestTimeout":                 true,
	"RequestTimeoutException":        true,
	"PriorRequestNotComplete":        true,
	"TransactionInProgressException": true,
}

// Transient reports whether err can succeed when the call is made again:
// throttling, 5xx, network failures and timeouts,
// IDPCommunicationError, ExpiredTokenException (a fresh token follows) and
// the InvalidIdentityToken that means STS could not fetch GitHub's keys. Everything else — AccessDenied, validation errors,
// malformed policies, a missing OIDC provider, a wrong audience,
// RegionDisabled — fails at once.
func Transient(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, context.Canceled) {
		return false
	}
	var api smithy.APIError
	if errors.As(err, &api) {
		code := api.ErrorCode()
		if transientCodes[code] {
			return true
		}
		if code == "InvalidIdentityToken" {
			return verificationKeyError(err)
		}
		var re *awshttp.ResponseError
		if errors.As(err, &re) && re.HTTPStatusCode() >= 500 {
			return true
		}
		return false
	}
	var he *HTTPError
	if errors.As(err, &he) {
		return he.Temporary()
	}
	if errors.Is(err, ErrBodyTooLarge) {
		return false
	}
	var re *smithyhttp.ResponseError
	if errors.As(err, &re) {
		switch s := re.HTTPStatusCode(); {
		case s >= 500 || s == 429 || s == 408:
			return true
		case s >= 400:
			// An error answer STS's deserializer could not read: by status.
			return false
		}
	}
	var temp interface{ Temporary() bool }
	if errors.As(err, &temp) && temp.Temporary() {
		return true
	}
	if permanentNetError(err) {
		return false
	}
	var send *smithyhttp.RequestSendError
	if errors.As(err, &send) {
		return true
	}
	var deser *smithy.DeserializationError
	if errors.As(err, &deser) {
		return true
	}
	var nerr net.Error
	if errors.As(err, &nerr) {
		return true
	}
	return errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.ECONNREFUSED) ||
		errors.Is(err, context.DeadlineExceeded)
}

// verificationKeyError is the InvalidIdentityToken STS answers when it
// could not retrieve the issuer's verification keys: the issuer's fault,
// not the token's, and worth retrying.
func verificationKeyError(err error) bool {
	var api smithy.APIError
	return errors.As(err, &api) && api.ErrorCode() == "InvalidIdentityToken" &&
		strings.Contains(api.ErrorMessage(), "Couldn't retrieve verification key")
}

// permanentNetError spots transport failures that no retry fixes: a host
// name that does not exist and a certificate that does not verify.
func permanentNetError(err error) bool {
	var dns *net.DNSError
	if errors.As(err, &dns) && dns.IsNotFound {
		return true
	}
	var unknownCA x509.UnknownAuthorityError
	var hostname x509.HostnameError
	var invalid x509.CertificateInvalidError
	var verify *tls.CertificateVerificationError
	return errors.As(err, &unknownCA) || errors.As(err, &hostname) ||
		errors.As(err, &invalid) || errors.As(err, &verify)
}
