package exchange

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/aws-sdk-go-v2/service/sts/types"
	"github.com/google/go-cmp/cmp"
)

// fakeWebIdentity is a function-type fake of the one STS method called.
type fakeWebIdentity func(ctx context.Context, in *sts.AssumeRoleWithWebIdentityInput, opts ...func(*sts.Options)) (*sts.AssumeRoleWithWebIdentityOutput, error)

func (f fakeWebIdentity) AssumeRoleWithWebIdentity(ctx context.Context, in *sts.AssumeRoleWithWebIdentityInput, opts ...func(*sts.Options)) (*sts.AssumeRoleWithWebIdentityOutput, error) {
	return f(ctx, in, opts...)
}

type fakeCallerIdentity func(ctx context.Context, in *sts.GetCallerIdentityInput, opts ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error)

func (f fakeCallerIdentity) GetCallerIdentity(ctx context.Context, in *sts.GetCallerIdentityInput, opts ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error) {
	return f(ctx, in, opts...)
}

var noSleep = func(context.Context, time.Duration) error { return nil }

func TestAssumeRoleWithWebIdentityFreshTokenPerAttempt(t *testing.T) {
	t.Parallel()
	exp := time.Date(2030, 1, 2, 3, 4, 5, 0, time.FixedZone("x", 3600))
	var seen []string
	var got *sts.AssumeRoleWithWebIdentityInput
	api := fakeWebIdentity(func(_ context.Context, in *sts.AssumeRoleWithWebIdentityInput, _ ...func(*sts.Options)) (*sts.AssumeRoleWithWebIdentityOutput, error) {
		seen = append(seen, aws.ToString(in.WebIdentityToken))
		if len(seen) < 3 {
			return nil, apiErr(400, "IDPCommunicationError", "try again")
		}
		got = in
		return &sts.AssumeRoleWithWebIdentityOutput{Credentials: &types.Credentials{
			AccessKeyId: aws.String("ASIAIOSFODNN7EXAMPLE"), SecretAccessKey: aws.String("s"), SessionToken: aws.String("t"), Expiration: &exp,
		}}, nil
	})
	n := 0
	fetch := func(context.Context) (string, error) { n++; return fmt.Sprintf("jwt-%d", n), nil }
	creds, err := AssumeRoleWithWebIdentity(context.Background(), api, fetch, WebIdentityRequest{
		RoleARN: "arn:aws:iam::123456789012:role/r", SessionName: "s1", Duration: 900 * time.Second,
		Policy: "{}", PolicyARNs: []string{"arn:aws:iam::aws:policy/A"},
	}, Retrier{MaxAttempts: 5, Sleep: noSleep})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"jwt-1", "jwt-2", "jwt-3"}, seen); diff != "" {
		t.Errorf("tokens sent (-want +got):\n%s", diff)
	}
	if aws.ToString(got.RoleArn) != "arn:aws:iam::123456789012:role/r" || aws.ToString(got.RoleSessionName) != "s1" ||
		aws.ToInt32(got.DurationSeconds) != 900 || aws.ToString(got.Policy) != "{}" || aws.ToString(got.PolicyArns[0].Arn) != "arn:aws:iam::aws:policy/A" {
		t.Errorf("input = %+v", got)
	}
	want := &Credentials{AccessKeyID: "ASIAIOSFODNN7EXAMPLE", SecretAccessKey: "s", SessionToken: "t", Expiration: exp.UTC()}
	if diff := cmp.Diff(want, creds); diff != "" {
		t.Errorf("credentials (-want +got):\n%s", diff)
	}
}

func TestAssumeRoleWithWebIdentityIncompleteAnswer(t *testing.T) {
	t.Parallel()
	api := fakeWebIdentity(func(context.Context, *sts.AssumeRoleWithWebIdentityInput, ...func(*sts.Options)) (*sts.AssumeRoleWithWebIdentityOutput, error) {
		return &sts.AssumeRoleWithWebIdentityOutput{Credentials: &types.Credentials{AccessKeyId: aws.String("A")}}, nil
	})
	_, err := AssumeRoleWithWebIdentity(context.Background(), api, func(context.Context) (string, error) { return "j", nil },
		WebIdentityRequest{Duration: time.Hour}, Retrier{MaxAttempts: 1})
	if err == nil {
		t.Fatal("accepted credentials without a secret")
	}
}

func TestAssumeRoleWithWebIdentityTokenFailureStopsBeforeSTS(t *testing.T) {
	t.Parallel()
	called := false
	api := fakeWebIdentity(func(context.Context, *sts.AssumeRoleWithWebIdentityInput, ...func(*sts.Options)) (*sts.AssumeRoleWithWebIdentityOutput, error) {
		called = true
		return nil, errors.New("unreachable")
	})
	boom := errors.New("no token")
	_, err := AssumeRoleWithWebIdentity(context.Background(), api, func(context.Context) (string, error) { return "", boom },
		WebIdentityRequest{}, Retrier{MaxAttempts: 3, Sleep: noSleep})
	var ce *CallError
	if !errors.Is(err, boom) || !errors.As(err, &ce) || ce.Op != "GetIDToken" || called {
		t.Errorf("err = %v, STS called = %v", err, called)
	}
}

func TestCallerIdentityRetriesInvalidClientTokenId(t *testing.T) {
	t.Parallel()
	calls := 0
	api := fakeCallerIdentity(func(context.Context, *sts.GetCallerIdentityInput, ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error) {
		calls++
		if calls < 3 {
			return nil, apiErr(403, "InvalidClientTokenId", "The security token included in the request is invalid.")
		}
		return &sts.GetCallerIdentityOutput{Account: aws.String("123456789012"), Arn: aws.String("arn:aws:sts::123456789012:assumed-role/r/s"), UserId: aws.String("AROA:s")}, nil
	})
	id, err := CallerIdentity(context.Background(), api, Retrier{MaxAttempts: 5, Sleep: noSleep})
	if err != nil || calls != 3 {
		t.Fatalf("err = %v after %d calls", err, calls)
	}
	if id.Account != "123456789012" || id.ARN != "arn:aws:sts::123456789012:assumed-role/r/s" {
		t.Errorf("identity = %+v", id)
	}
}

func TestDescribe(t *testing.T) {
	t.Parallel()
	got := Describe(apiErr(403, "AccessDenied", "Not authorized to perform sts:AssumeRoleWithWebIdentity"))
	want := "AccessDenied: Not authorized to perform sts:AssumeRoleWithWebIdentity (HTTP 403, request id req-1)"
	if got != want {
		t.Errorf("Describe = %q, want %q", got, want)
	}
}
