package source

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/aws-sdk-go-v2/service/sts/types"

	"github.com/org/aws-oidc-go/internal/exchange"
)

// tokensFunc is a function-type token source.
type tokensFunc func(ctx context.Context) (string, error)

func (f tokensFunc) Token(ctx context.Context) (string, error) { return f(ctx) }
func (f tokensFunc) String() string                            { return "test tokens" }

// fakeSTS answers AssumeRoleWithWebIdentity with web and records events.
type fakeSTS struct {
	exchange.API
	web    func(in *sts.AssumeRoleWithWebIdentityInput) (*sts.AssumeRoleWithWebIdentityOutput, error)
	events func(string)
}

func (f *fakeSTS) AssumeRoleWithWebIdentity(_ context.Context, in *sts.AssumeRoleWithWebIdentityInput, _ ...func(*sts.Options)) (*sts.AssumeRoleWithWebIdentityOutput, error) {
	f.events("AssumeRoleWithWebIdentity " + aws.ToString(in.WebIdentityToken))
	return f.web(in)
}

func (f *fakeSTS) Preconnect() { f.events("Preconnect") }

func okAnswer(*sts.AssumeRoleWithWebIdentityInput) (*sts.AssumeRoleWithWebIdentityOutput, error) {
	return &sts.AssumeRoleWithWebIdentityOutput{
		Credentials: &types.Credentials{AccessKeyId: aws.String("ASIAEXAMPLE"), SecretAccessKey: aws.String("s"), SessionToken: aws.String("t"),
			Expiration: aws.Time(time.Now().Add(time.Hour))},
		AssumedRoleUser: &types.AssumedRoleUser{Arn: aws.String("arn:aws:sts::123456789012:assumed-role/r/s")},
	}, nil
}

type recorder struct {
	mu sync.Mutex
	ev []string
}

func (r *recorder) add(e string) { r.mu.Lock(); r.ev = append(r.ev, e); r.mu.Unlock() }
func (r *recorder) all() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.ev...)
}

// The first token is asked for before the client is built (the SDK
// configuration loads while it is in flight), the client connects ahead of
// the call, and the call carries that token.
func TestWebIdentityFetchesTheTokenWhileTheClientIsBuilt(t *testing.T) {
	t.Parallel()
	rec := &recorder{}
	asked := make(chan struct{})
	tokens := tokensFunc(func(context.Context) (string, error) { close(asked); return "jwt-1", nil })
	w := &WebIdentity{
		Tokens: &Recorder{Tokens: tokens, Mask: func(v ...string) { rec.add(fmt.Sprint("mask ", v)) }},
		Client: func(ctx context.Context, _ exchange.Signing) (exchange.API, error) {
			select {
			case <-asked: // the token request is under way while the client is built
			case <-time.After(10 * time.Second):
				return nil, errors.New("the token was not asked for while the client was built")
			}
			rec.add("client built")
			return &fakeSTS{web: okAnswer, events: rec.add}, nil
		},
		Request: exchange.WebIdentityRequest{RoleARN: "arn:aws:iam::123456789012:role/r", SessionName: "s", Duration: time.Hour},
		Retry:   exchange.Retrier{MaxAttempts: 1},
		Log:     func(string, ...any) {},
	}
	if _, err := w.Credentials(context.Background()); err != nil {
		t.Fatal(err)
	}
	want := []string{"client built", "Preconnect", "mask [jwt-1]", "AssumeRoleWithWebIdentity jwt-1"}
	if got := rec.all(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("events = %q, want %q", got, want)
	}
}

// A first token that does not come within the attempt's deadline is given
// up on, and the retry asks for a fresh one.
func TestWebIdentityRetriesASlowFirstTokenWithAFreshOne(t *testing.T) {
	t.Parallel()
	rec := &recorder{}
	var mu sync.Mutex
	n := 0
	tokens := tokensFunc(func(ctx context.Context) (string, error) {
		mu.Lock()
		n++
		i := n
		mu.Unlock()
		if i == 1 {
			<-ctx.Done() // the first request hangs until given up on
			return "", fmt.Errorf("requesting the ID token: %w", ctx.Err())
		}
		return fmt.Sprintf("jwt-%d", i), nil
	})
	w := &WebIdentity{
		Tokens: tokens,
		Client: func(context.Context, exchange.Signing) (exchange.API, error) {
			return &fakeSTS{web: okAnswer, events: rec.add}, nil
		},
		Request: exchange.WebIdentityRequest{RoleARN: "arn:aws:iam::123456789012:role/r", SessionName: "s", Duration: time.Hour},
		Retry:   exchange.Retrier{MaxAttempts: 2, AttemptTimeout: 50 * time.Millisecond, Sleep: func(context.Context, time.Duration) error { return nil }},
		Log:     func(string, ...any) {},
	}
	if _, err := w.Credentials(context.Background()); err != nil {
		t.Fatal(err)
	}
	want := []string{"Preconnect", "AssumeRoleWithWebIdentity jwt-2"}
	if got := rec.all(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("events = %q, want %q", got, want)
	}
}

// When the client cannot be built, the token request is stopped.
func TestWebIdentityStopsTheTokenRequestOnAClientError(t *testing.T) {
	t.Parallel()
	stopped := make(chan struct{})
	tokens := tokensFunc(func(ctx context.Context) (string, error) {
		<-ctx.Done()
		close(stopped)
		return "", ctx.Err()
	})
	boom := errors.New("no SDK configuration")
	w := &WebIdentity{
		Tokens: tokens,
		Client: func(context.Context, exchange.Signing) (exchange.API, error) { return nil, boom },
		Retry:  exchange.Retrier{MaxAttempts: 1},
		Log:    func(string, ...any) {},
	}
	if _, err := w.Credentials(context.Background()); !errors.Is(err, boom) {
		t.Fatalf("err = %v", err)
	}
	select {
	case <-stopped:
	default:
		t.Error("Credentials returned with the token request still running")
	}
}
