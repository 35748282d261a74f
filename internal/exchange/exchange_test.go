package exchange

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/aws-sdk-go-v2/service/sts/types"
	"github.com/google/go-cmp/cmp"

	"github.com/org/aws-oidc-go/internal/dev/harness"
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
		}, AssumedRoleUser: &types.AssumedRoleUser{Arn: aws.String("arn:aws:sts::123456789012:assumed-role/r/s1"), AssumedRoleId: aws.String("AROAEXAMPLE:s1")}}, nil
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
	want := &Credentials{AccessKeyID: "ASIAIOSFODNN7EXAMPLE", SecretAccessKey: "s", SessionToken: "t", Expiration: exp.UTC(),
		Identity: &Identity{Account: "123456789012", ARN: "arn:aws:sts::123456789012:assumed-role/r/s1"}}
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

type fakeAssumeRole func(ctx context.Context, in *sts.AssumeRoleInput, opts ...func(*sts.Options)) (*sts.AssumeRoleOutput, error)

func (f fakeAssumeRole) AssumeRole(ctx context.Context, in *sts.AssumeRoleInput, opts ...func(*sts.Options)) (*sts.AssumeRoleOutput, error) {
	return f(ctx, in, opts...)
}

// TestAssumedRoleUserIsChecked: the identity of an assumed role comes from
// the answer's AssumedRoleUser, which must be a well-formed assumed-role
// ARN in the role's account; neither call is retried over it.
func TestAssumedRoleUserIsChecked(t *testing.T) {
	t.Parallel()
	const role = "arn:aws:iam::123456789012:role/path/deploy"
	exp := time.Now().Add(time.Hour)
	good := "arn:aws:sts::123456789012:assumed-role/deploy/s"
	cases := []struct {
		name    string
		user    *types.AssumedRoleUser
		noExp   bool
		wantErr string // "" = accepted
		mismat  bool   // an *IdentityError
	}{
		{"the role's account", &types.AssumedRoleUser{Arn: aws.String(good)}, false, "", false},
		{"the role's name in another case", &types.AssumedRoleUser{Arn: aws.String("arn:aws:sts::123456789012:assumed-role/Deploy/s")}, false, "", false},
		{"another partition", &types.AssumedRoleUser{Arn: aws.String("arn:aws-cn:sts::123456789012:assumed-role/deploy/s")}, false,
			"STS's answer names arn:aws-cn:sts::123456789012:assumed-role/deploy/s: the session is in partition aws-cn, but the role " + role + " is in partition aws", true},
		{"another role in the account", &types.AssumedRoleUser{Arn: aws.String("arn:aws:sts::123456789012:assumed-role/admin/s")}, false,
			"STS's answer names arn:aws:sts::123456789012:assumed-role/admin/s: the session is of role admin, but the role " + role + " is named deploy", true},
		{"the role's path as its name", &types.AssumedRoleUser{Arn: aws.String("arn:aws:sts::123456789012:assumed-role/path/s")}, false,
			"the session is of role path, but the role " + role + " is named deploy", true},
		{"another account", &types.AssumedRoleUser{Arn: aws.String("arn:aws:sts::999999999999:assumed-role/deploy/s")}, false,
			"STS's answer names arn:aws:sts::999999999999:assumed-role/deploy/s: the session is in account 999999999999, but the role " + role + " is in account 123456789012", true},
		{"no AssumedRoleUser", nil, false, "no valid AssumedRoleUser ARN", false},
		{"no Arn", &types.AssumedRoleUser{}, false, "no valid AssumedRoleUser ARN", false},
		{"an IAM user, not a role session", &types.AssumedRoleUser{Arn: aws.String("arn:aws:iam::123456789012:user/deploy")}, false, "no valid AssumedRoleUser ARN", false},
		{"a line break", &types.AssumedRoleUser{Arn: aws.String(good + "\n::set-env name=X::1")}, false, "no valid AssumedRoleUser ARN", false},
		{"a short account", &types.AssumedRoleUser{Arn: aws.String("arn:aws:sts::12345:assumed-role/deploy/s")}, false, "no valid AssumedRoleUser ARN", false},
		{"no Expiration", &types.AssumedRoleUser{Arn: aws.String(good)}, true, "without an Expiration", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := &types.Credentials{AccessKeyId: aws.String("ASIAIOSFODNN7EXAMPLE"), SecretAccessKey: aws.String("s"), SessionToken: aws.String("t"), Expiration: &exp}
			if tc.noExp {
				c.Expiration = nil
			}
			calls := 0
			web := fakeWebIdentity(func(context.Context, *sts.AssumeRoleWithWebIdentityInput, ...func(*sts.Options)) (*sts.AssumeRoleWithWebIdentityOutput, error) {
				calls++
				return &sts.AssumeRoleWithWebIdentityOutput{Credentials: c, AssumedRoleUser: tc.user}, nil
			})
			assume := fakeAssumeRole(func(context.Context, *sts.AssumeRoleInput, ...func(*sts.Options)) (*sts.AssumeRoleOutput, error) {
				calls++
				return &sts.AssumeRoleOutput{Credentials: c, AssumedRoleUser: tc.user}, nil
			})
			r := Retrier{MaxAttempts: 3, Sleep: noSleep}
			c1, err1 := AssumeRoleWithWebIdentity(context.Background(), web, func(context.Context) (string, error) { return "j", nil }, WebIdentityRequest{RoleARN: role, Duration: time.Hour}, r)
			c2, err2 := AssumeRole(context.Background(), assume, RoleRequest{RoleARN: role, Duration: time.Hour}, r)
			if calls != 2 {
				t.Errorf("%d calls, want one of each (an answer's content is never retried)", calls)
			}
			for op, res := range map[string]struct {
				c   *Credentials
				err error
			}{"AssumeRoleWithWebIdentity": {c1, err1}, "AssumeRole": {c2, err2}} {
				if tc.wantErr == "" {
					if res.err != nil {
						t.Fatalf("%s: %v", op, res.err)
					}
					if want := aws.ToString(tc.user.Arn); res.c.Identity == nil || res.c.Identity.ARN != want || res.c.Identity.Account != "123456789012" {
						t.Errorf("%s: identity = %+v, want %s in 123456789012", op, res.c.Identity, want)
					}
					continue
				}
				if res.err == nil {
					t.Errorf("%s: accepted, want %q", op, tc.wantErr)
					continue
				}
				if !strings.Contains(res.err.Error(), tc.wantErr) || !strings.HasPrefix(res.err.Error(), op+": ") {
					t.Errorf("%s: err = %v, want %q", op, res.err, tc.wantErr)
				}
				var ie *IdentityError
				if errors.As(res.err, &ie) != tc.mismat {
					t.Errorf("%s: *IdentityError = %v, want %v", op, !tc.mismat, tc.mismat)
				}
				if strings.Contains(res.err.Error(), "set-env") {
					t.Errorf("%s: the error echoes the garbled ARN: %v", op, res.err)
				}
			}
		})
	}
}

// TestAssumedRoleUserIsOfTheRole: a session is the role's when its
// partition and account are the role ARN's and its role is the last
// segment of the role's path, in any case; anything else is an
// *IdentityError.
func TestAssumedRoleUserIsOfTheRole(t *testing.T) {
	t.Parallel()
	exp := time.Now().Add(time.Hour)
	cases := []struct {
		role, session string
		wantErr       string // "" = accepted
	}{
		{"arn:aws-cn:iam::123456789012:role/deploy", "arn:aws-cn:sts::123456789012:assumed-role/deploy/s", ""},
		{"arn:aws-us-gov:iam::123456789012:role/a/b/Deploy", "arn:aws-us-gov:sts::123456789012:assumed-role/DEPLOY/s", ""},
		{"arn:aws:iam::123456789012:role/deploy", "arn:aws-us-gov:sts::123456789012:assumed-role/deploy/s", "the session is in partition aws-us-gov, but the role arn:aws:iam::123456789012:role/deploy is in partition aws"},
		{"arn:aws-cn:iam::123456789012:role/deploy", "arn:aws:sts::123456789012:assumed-role/deploy/s", "the session is in partition aws, but the role arn:aws-cn:iam::123456789012:role/deploy is in partition aws-cn"},
		{"arn:aws:iam::123456789012:role/ci/deploy", "arn:aws:sts::123456789012:assumed-role/deploy-prod/s", "the session is of role deploy-prod, but the role arn:aws:iam::123456789012:role/ci/deploy is named deploy"},
		{"arn:aws:iam::123456789012:role/deploy", "arn:aws:sts::123456789012:assumed-role/deplo/s", "the session is of role deplo, but the role arn:aws:iam::123456789012:role/deploy is named deploy"},
	}
	for _, tc := range cases {
		c := &types.Credentials{AccessKeyId: aws.String("ASIAIOSFODNN7EXAMPLE"), SecretAccessKey: aws.String("s"), SessionToken: aws.String("t"), Expiration: &exp}
		got, err := sessionOf("AssumeRole", tc.role, c, &types.AssumedRoleUser{Arn: aws.String(tc.session)})
		if tc.wantErr == "" {
			if err != nil || got.Identity == nil || got.Identity.ARN != tc.session {
				t.Errorf("%s as %s: %+v, %v; want accepted", tc.session, tc.role, got, err)
			}
			continue
		}
		var ie *IdentityError
		if !errors.As(err, &ie) || !strings.Contains(err.Error(), tc.wantErr) || ie.Identity.ARN != tc.session || ie.Identity.Account != "123456789012" {
			t.Errorf("%s as %s: err = %v, want an *IdentityError naming the session saying %q", tc.session, tc.role, err, tc.wantErr)
		}
	}
}

func TestCallerIdentityAccountMustMatchItsArn(t *testing.T) {
	t.Parallel()
	cases := []struct {
		account, arn, wantErr string
	}{
		{"123456789012", "arn:aws:iam::123456789012:user/ci", ""},
		{"123456789012", "arn:aws:iam::123456789012:root", ""},
		{"123456789012", "arn:aws:sts::123456789012:federated-user/bob", ""},
		{"123456789012", "arn:aws:iam::999999999999:user/ci", "GetCallerIdentity: STS's answer names arn:aws:iam::999999999999:user/ci: its Account 123456789012 is not the account of its own Arn arn:aws:iam::999999999999:user/ci (999999999999)"},
		{"123456789012", "arn:aws:iam::user/ci", "no valid account id and ARN"},
		{"12345678901x", "arn:aws:iam::12345678901x:user/ci", "no valid account id and ARN"},
		{"123456789012", "not-an-arn", "no valid account id and ARN"},
	}
	for _, tc := range cases {
		api := fakeCallerIdentity(func(context.Context, *sts.GetCallerIdentityInput, ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error) {
			return &sts.GetCallerIdentityOutput{Account: aws.String(tc.account), Arn: aws.String(tc.arn)}, nil
		})
		id, err := CallerIdentity(context.Background(), api, Retrier{MaxAttempts: 3, Sleep: noSleep})
		switch {
		case tc.wantErr == "" && (err != nil || id.Account != tc.account || id.ARN != tc.arn):
			t.Errorf("%s %s: %+v, %v", tc.account, tc.arn, id, err)
		case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
			t.Errorf("%s %s: err = %v, want %q", tc.account, tc.arn, err, tc.wantErr)
		}
	}
}

func TestCheckExpiration(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	cases := []struct {
		name      string
		exp       time.Time
		requested time.Duration
		wantErr   string
		wantWarn  string
	}{
		{"as requested", now.Add(time.Hour), time.Hour, "", ""},
		{"shorter than requested", now.Add(15 * time.Minute), time.Hour, "", ""},
		{"within the clock skew", now.Add(time.Hour + ClockSkew), time.Hour, "", ""},
		{"given as they are", time.Time{}, time.Hour, "", ""},
		{"beyond the skew", now.Add(time.Hour + ClockSkew + time.Second), time.Hour, "",
			"STS returned credentials that expire at 2026-12-01T13:05:01Z, 1h5m1s from now, later than the 1h0m0s requested (role-duration-seconds 3600) plus 5m0s of clock skew"},
		{"expired two hours ago", now.Add(-2 * time.Hour), time.Hour,
			"STS returned credentials that expired at 2026-12-01T10:00:00Z, 2h0m0s before now (2026-12-01T12:00:00Z by this machine's clock)", ""},
		{"expiring now", now, time.Hour, "expired at 2026-12-01T12:00:00Z", ""},
	}
	for _, tc := range cases {
		warn, err := CheckExpiration(tc.exp, tc.requested, now)
		switch {
		case tc.wantErr == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
			t.Errorf("%s: err = %v, want %q", tc.name, err, tc.wantErr)
		}
		if (tc.wantWarn == "") != (warn == "") || !strings.Contains(warn, tc.wantWarn) {
			t.Errorf("%s: warning = %q, want %q", tc.name, warn, tc.wantWarn)
		}
	}
}

// answerWith is an http client that answers every request with status and
// body.
type answerWith struct {
	status int
	body   string
}

func (a answerWith) Do(r *http.Request) (*http.Response, error) {
	return &http.Response{StatusCode: a.status, Body: io.NopCloser(strings.NewReader(a.body)), Header: http.Header{}, Request: r}, nil
}

// TestHTTPErrorShowsHostileFirstLine: a proxy's page is quoted by its first
// line, clipped between runes and on one visible line (runner.Excerpt).
func TestHTTPErrorShowsHostileFirstLine(t *testing.T) {
	t.Parallel()
	req, _ := http.NewRequest(http.MethodPost, "http://127.0.0.1/", nil)
	_, err := guardedClient{next: answerWith{502, "\n  " + harness.HostileLine + "\n::error::second line\n"}}.Do(req)
	var he *HTTPError
	if !errors.As(err, &he) {
		t.Fatalf("err = %v", err)
	}
	harness.CheckShown(t, err.Error(), true)
	if strings.Contains(err.Error(), "second line") {
		t.Errorf("more than the first line: %q", err)
	}
}
