package action_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/org/aws-oidc-go/internal/action"
	"github.com/org/aws-oidc-go/internal/config"
	"github.com/org/aws-oidc-go/internal/exchange"
	"github.com/org/aws-oidc-go/internal/harness"
	"github.com/org/aws-oidc-go/internal/token"
)

const roleARN = "arn:aws:iam::123456789012:role/deploy"

// world is one workflow step: a fake token service, moto behind a fault
// proxy, the runner's file-command files and a captured log.
type world struct {
	t      *testing.T
	gh     *harness.TokenService
	proxy  *harness.Proxy
	dir    string
	env    map[string]string
	stdout bytes.Buffer

	mu     sync.Mutex
	sleeps []time.Duration
	retry  exchange.Retrier
}

func newWorld(t *testing.T) *world {
	t.Helper()
	moto := harness.SharedMoto(t)
	w := &world{t: t, gh: harness.NewTokenService(), proxy: harness.NewProxy(moto.URL), dir: t.TempDir()}
	t.Cleanup(w.gh.Close)
	t.Cleanup(w.proxy.Close)
	w.env = map[string]string{
		"INPUT_ROLE-TO-ASSUME":           roleARN,
		"INPUT_AWS-REGION":               "eu-west-1",
		"INPUT_AUDIENCE":                 "sts.amazonaws.com",
		"INPUT_ROLE-SESSION-NAME":        "GitHubActions",
		"INPUT_ROLE-DURATION-SECONDS":    "3600",
		"INPUT_RETRY-MAX-ATTEMPTS":       "12",
		"INPUT_STS-ENDPOINT":             w.proxy.URL,
		"ACTIONS_ID_TOKEN_REQUEST_URL":   w.gh.RequestURL,
		"ACTIONS_ID_TOKEN_REQUEST_TOKEN": w.gh.RequestToken,
		"GITHUB_ENV":                     filepath.Join(w.dir, "set_env"),
		"GITHUB_OUTPUT":                  filepath.Join(w.dir, "set_output"),
		"GITHUB_RUN_ID":                  "9876543210",
		"GITHUB_RUN_ATTEMPT":             "2",
	}
	for _, f := range []string{"set_env", "set_output"} {
		os.WriteFile(filepath.Join(w.dir, f), nil, 0o644)
	}
	w.retry = exchange.Retrier{AttemptTimeout: 2 * time.Second, Sleep: w.sleep}
	return w
}

func (w *world) sleep(ctx context.Context, d time.Duration) error {
	w.mu.Lock()
	w.sleeps = append(w.sleeps, d)
	w.mu.Unlock()
	return ctx.Err()
}

// log is the captured log with every masked value replaced by ***, as
// the runner would show it: safe to print in a failure message.
func (w *world) log() string { return harness.Redact(w.stdout.String()) }

func (w *world) input(name, value string) { w.env["INPUT_"+strings.ToUpper(name)] = value }

func (w *world) run() error {
	return action.Run(context.Background(), action.Env{
		Getenv: func(k string) string { return w.env[k] },
		Stdout: &w.stdout,
		Retry:  w.retry,
	})
}

func (w *world) file(name string) string {
	b, err := os.ReadFile(filepath.Join(w.dir, name))
	if err != nil {
		w.t.Fatal(err)
	}
	return string(b)
}

// vars parses a file-command file of NAME=value lines.
func (w *world) vars(name string) map[string]string {
	m := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(w.file(name)), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok {
			m[k] = v
		}
	}
	return m
}

// assertNothingExported checks the all-or-nothing rule after a failure.
func (w *world) assertNothingExported() {
	w.t.Helper()
	if env, out := w.file("set_env"), w.file("set_output"); env != "" || out != "" {
		w.t.Errorf("a failed run exported something:\nGITHUB_ENV:\n%s\nGITHUB_OUTPUT:\n%s", env, out)
	}
}

// assertNoLeaks checks that no issued token, request token or credential
// appears in the log outside ::add-mask:: lines.
func (w *world) assertNoLeaks(extra ...string) {
	w.t.Helper()
	secrets := append([]string{w.gh.RequestToken}, w.gh.Issued()...)
	secrets = append(secrets, extra...)
	AssertNoLeaks(w.t, w.stdout.String(), secrets)
}

// AssertNoLeaks fails t if any secret occurs in text outside ::add-mask:: lines.
func AssertNoLeaks(t *testing.T, text string, secrets []string) {
	t.Helper()
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(line, "::add-mask::") {
			continue
		}
		for _, s := range secrets {
			if s != "" && strings.Contains(line, s) {
				t.Errorf("secret of length %d leaked in log line starting %.20q", len(s), line)
			}
		}
	}
}

func TestRunExchangesTokenForCredentials(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.input("inline-session-policy", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`)
	w.input("managed-session-policies", "arn:aws:iam::aws:policy/ReadOnlyAccess\narn:aws:iam::123456789012:policy/extra")
	w.input("role-duration-seconds", "1800")
	w.input("role-session-name", "deploy-42")
	if err := w.run(); err != nil {
		t.Fatalf("Run: %v\n%s", err, w.log())
	}

	env := w.vars("set_env")
	for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"} {
		if env[k] == "" {
			t.Errorf("GITHUB_ENV lacks %s", k)
		}
	}
	if env["AWS_REGION"] != "eu-west-1" || env["AWS_DEFAULT_REGION"] != "eu-west-1" {
		t.Errorf("region variables = %q/%q", env["AWS_REGION"], env["AWS_DEFAULT_REGION"])
	}
	out := w.vars("set_output")
	if diff := cmp.Diff(map[string]string{
		"aws-account-id":    "123456789012",
		"authenticated-arn": "arn:aws:sts::123456789012:assumed-role/deploy/deploy-42",
	}, out); diff != "" {
		t.Errorf("outputs (-want +got):\n%s", diff)
	}

	// Masks come before anything else mentions the values.
	log := w.stdout.String()
	for _, secret := range []string{env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"], env["AWS_SESSION_TOKEN"], w.gh.Issued()[0]} {
		if !strings.Contains(log, "::add-mask::"+secret+"\n") {
			t.Errorf("a secret of length %d was not masked", len(secret))
		}
	}
	w.assertNoLeaks(env["AWS_SECRET_ACCESS_KEY"], env["AWS_SESSION_TOKEN"], env["AWS_ACCESS_KEY_ID"])
	if !strings.Contains(log, "Authenticated as arn:aws:sts::123456789012:assumed-role/deploy/deploy-42") {
		t.Errorf("log does not say who we became:\n%s", w.log())
	}

	// What STS received.
	reqs := w.proxy.Requests()
	if len(reqs) != 2 || reqs[0].Action != "AssumeRoleWithWebIdentity" || reqs[1].Action != "GetCallerIdentity" {
		t.Fatalf("STS calls = %v, want AssumeRoleWithWebIdentity then GetCallerIdentity", actions(reqs))
	}
	f := reqs[0].Form
	got := map[string]string{
		"RoleArn": f.Get("RoleArn"), "RoleSessionName": f.Get("RoleSessionName"), "DurationSeconds": f.Get("DurationSeconds"),
		"Policy": f.Get("Policy"), "PolicyArns.member.1.arn": f.Get("PolicyArns.member.1.arn"), "PolicyArns.member.2.arn": f.Get("PolicyArns.member.2.arn"),
	}
	want := map[string]string{
		"RoleArn": roleARN, "RoleSessionName": "deploy-42", "DurationSeconds": "1800",
		"Policy":                  `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`,
		"PolicyArns.member.1.arn": "arn:aws:iam::aws:policy/ReadOnlyAccess", "PolicyArns.member.2.arn": "arn:aws:iam::123456789012:policy/extra",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("AssumeRoleWithWebIdentity parameters (-want +got):\n%s", diff)
	}
	if f.Get("WebIdentityToken") != w.gh.Issued()[0] {
		t.Error("STS did not receive the token GitHub issued")
	}
	if h := reqs[0].Header.Get("Authorization"); h != "" {
		t.Errorf("AssumeRoleWithWebIdentity was signed (%.30s...), want unsigned", h)
	}
	if h := reqs[1].Header.Get("Authorization"); !strings.Contains(h, "Credential="+env["AWS_ACCESS_KEY_ID"]+"/") {
		t.Error("GetCallerIdentity was not signed with the new credentials")
	}
	ua := reqs[0].Header.Get("User-Agent")
	for _, part := range []string{"aws-oidc-go/", "gha-run/9876543210", "gha-attempt/2"} {
		if !strings.Contains(ua, part) {
			t.Errorf("User-Agent %q lacks %q", ua, part)
		}
	}
	if diff := cmp.Diff([]harness.TokenRequest{{Audience: "sts.amazonaws.com", Authorized: true}}, w.gh.Requests()); diff != "" {
		t.Errorf("token requests (-want +got):\n%s", diff)
	}
}

func actions(reqs []harness.STSRequest) []string {
	var s []string
	for _, r := range reqs {
		s = append(s, r.Action)
	}
	return s
}

func TestRunOptions(t *testing.T) {
	t.Parallel()
	t.Run("output credentials, no env credentials, unset current", func(t *testing.T) {
		t.Parallel()
		w := newWorld(t)
		w.input("output-credentials", "true")
		w.input("output-env-credentials", "false")
		w.input("unset-current-credentials", "true")
		if err := w.run(); err != nil {
			t.Fatalf("Run: %v\n%s", err, w.log())
		}
		lines := strings.Split(strings.TrimSpace(w.file("set_env")), "\n")
		want := []string{"AWS_ACCESS_KEY_ID=", "AWS_SECRET_ACCESS_KEY=", "AWS_SESSION_TOKEN=", "AWS_REGION=", "AWS_DEFAULT_REGION=", "AWS_PROFILE=",
			"AWS_REGION=eu-west-1", "AWS_DEFAULT_REGION=eu-west-1"}
		if diff := cmp.Diff(want, lines); diff != "" {
			t.Errorf("GITHUB_ENV (-want +got):\n%s", diff)
		}
		out := w.vars("set_output")
		for _, k := range []string{"aws-access-key-id", "aws-secret-access-key", "aws-session-token"} {
			if out[k] == "" {
				t.Errorf("output %s missing", k)
			}
		}
		exp, err := time.Parse(time.RFC3339, out["aws-expiration"])
		if err != nil || exp.Location() != time.UTC || time.Until(exp) < 50*time.Minute {
			t.Errorf("aws-expiration = %q (%v), want RFC 3339 UTC about an hour ahead", out["aws-expiration"], err)
		}
		w.assertNoLeaks(out["aws-secret-access-key"], out["aws-session-token"])
	})
	t.Run("mask account id", func(t *testing.T) {
		t.Parallel()
		w := newWorld(t)
		w.input("mask-aws-account-id", "true")
		if err := w.run(); err != nil {
			t.Fatalf("Run: %v", err)
		}
		log := w.stdout.String()
		for _, m := range []string{"::add-mask::123456789012\n", "::add-mask::arn:aws:sts::123456789012:assumed-role/deploy/GitHubActions\n"} {
			if !strings.Contains(log, m) {
				t.Errorf("log lacks %q", m)
			}
		}
	})
	t.Run("allowed account ids refuse another account", func(t *testing.T) {
		t.Parallel()
		w := newWorld(t)
		w.input("allowed-account-ids", "111111111111,222222222222")
		err := w.run()
		var na *action.AccountNotAllowedError
		if !errors.As(err, &na) || na.Account != "123456789012" {
			t.Fatalf("err = %v, want AccountNotAllowedError for 123456789012", err)
		}
		w.assertNothingExported()
	})
	t.Run("allowed account ids accept the account", func(t *testing.T) {
		t.Parallel()
		w := newWorld(t)
		w.input("allowed-account-ids", "111111111111, 123456789012")
		if err := w.run(); err != nil {
			t.Fatalf("Run: %v", err)
		}
	})
	t.Run("no audience", func(t *testing.T) {
		t.Parallel()
		w := newWorld(t)
		w.input("audience", "")
		if err := w.run(); err != nil {
			t.Fatalf("Run: %v", err)
		}
		if got := w.gh.Requests()[0].Audience; got != "" {
			t.Errorf("audience sent = %q, want none", got)
		}
	})
}

func TestRunInputErrorsTouchNothing(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.input("role-to-assume", "deploy")
	w.input("role-duration-seconds", "60")
	err := w.run()
	var ie *config.InputError
	if !errors.As(err, &ie) {
		t.Fatalf("err = %v, want input errors", err)
	}
	if n := len(err.(interface{ Unwrap() []error }).Unwrap()); n != 2 {
		t.Errorf("%d errors, want 2: %v", n, err)
	}
	if len(w.gh.Requests()) != 0 || w.proxy.Count("") != 0 {
		t.Errorf("network calls made before validation: %d token, %d STS", len(w.gh.Requests()), w.proxy.Count(""))
	}
	w.assertNothingExported()
}

func TestRunWithoutIDTokenPermission(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	delete(w.env, "ACTIONS_ID_TOKEN_REQUEST_TOKEN")
	start := time.Now()
	err := w.run()
	if !errors.Is(err, token.ErrNoIDTokenPermission) {
		t.Fatalf("err = %v, want ErrNoIDTokenPermission", err)
	}
	var f *action.Failure
	if !errors.As(err, &f) || !strings.Contains(strings.Join(f.Advice, "\n"), "id-token: write") ||
		!strings.Contains(strings.Join(f.Advice, "\n"), "Dependabot") {
		t.Errorf("advice = %q, want the permissions fix and the fork/Dependabot note", f.Advice)
	}
	if w.proxy.Count("") != 0 || len(w.gh.Requests()) != 0 {
		t.Error("network calls made without a token service")
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("took %s to fail", d)
	}
	w.assertNothingExported()
}

// TestRunFaults drives the error paths through the fault-injecting proxy
// (STS) and the token service's own faults.
func TestRunFaults(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name       string
		sts        map[int]harness.Fault // by AssumeRoleWithWebIdentity/GetCallerIdentity request number
		stsAlways  *harness.Fault
		tokenFault map[int]harness.Fault
		attempts   string
		wantErr    string // "" = success
		wantSTS    int    // requests STS received
		wantTokens int    // token requests
	}{
		{name: "throttling then success", sts: map[int]harness.Fault{1: harness.FaultThrottling, 2: harness.FaultThrottling}, wantSTS: 4, wantTokens: 3},
		{name: "5xx then success", sts: map[int]harness.Fault{1: harness.FaultInternal, 2: harness.FaultUnavailable}, wantSTS: 4, wantTokens: 3},
		{name: "IDPCommunicationError then success", sts: map[int]harness.Fault{1: harness.FaultIDPCommunication}, wantSTS: 3, wantTokens: 2},
		{name: "transient InvalidIdentityToken then success", sts: map[int]harness.Fault{1: harness.FaultJWKSFetch}, wantSTS: 3, wantTokens: 2},
		{name: "hung connection then success", sts: map[int]harness.Fault{1: {Hang: true}}, wantSTS: 3, wantTokens: 2},
		{name: "connection reset then success", sts: map[int]harness.Fault{1: {Reset: true}}, wantSTS: 3, wantTokens: 2},
		{name: "truncated answer then success", sts: map[int]harness.Fault{1: {Truncate: true}}, wantSTS: 3, wantTokens: 2},
		{name: "garbage answer then success", sts: map[int]harness.Fault{1: {Garbage: true}}, wantSTS: 3, wantTokens: 2},
		{name: "GetCallerIdentity InvalidClientTokenId then success", sts: map[int]harness.Fault{2: harness.STSError(403, "InvalidClientTokenId", "The security token included in the request is invalid.")}, wantSTS: 3, wantTokens: 1},
		{name: "token service 503 then success", tokenFault: map[int]harness.Fault{1: {Status: 503, Body: "unavailable"}}, wantSTS: 2, wantTokens: 2},
		{name: "token service hangs then success", tokenFault: map[int]harness.Fault{1: {Hang: true}}, wantSTS: 2, wantTokens: 2},

		{name: "AccessDenied fails at once", sts: map[int]harness.Fault{1: harness.FaultAccessDenied}, wantErr: "AccessDenied: Not authorized to perform sts:AssumeRoleWithWebIdentity", wantSTS: 1, wantTokens: 1},
		{name: "no OIDC provider fails at once", sts: map[int]harness.Fault{1: harness.FaultNoProvider}, wantErr: "aws iam create-open-id-connect-provider --url https://token.actions.githubusercontent.com --client-id-list sts.amazonaws.com", wantSTS: 1, wantTokens: 1},
		{name: "wrong audience fails at once", sts: map[int]harness.Fault{1: harness.FaultBadAudience}, wantErr: "Incorrect token audience", wantSTS: 1, wantTokens: 1},
		{name: "RegionDisabled fails at once", sts: map[int]harness.Fault{1: harness.FaultRegionDisabled}, wantErr: "RegionDisabledException", wantSTS: 1, wantTokens: 1},
		{name: "malformed policy fails at once", sts: map[int]harness.Fault{1: harness.STSError(400, "MalformedPolicyDocument", "bad policy")}, wantErr: "MalformedPolicyDocument", wantSTS: 1, wantTokens: 1},
		{name: "token service 401 fails at once", tokenFault: map[int]harness.Fault{1: {Status: 401, Body: `{"message":"Bad credentials"}`}}, wantErr: "HTTP 401", wantSTS: 0, wantTokens: 1},
		{name: "throttling until attempts run out", stsAlways: &harness.FaultThrottling, attempts: "3", wantErr: "Throttling: Rate exceeded", wantSTS: 3, wantTokens: 3},
		{name: "disable-retry means one attempt", stsAlways: &harness.FaultInternal, attempts: "disable", wantErr: "InternalFailure", wantSTS: 1, wantTokens: 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			w.retry.AttemptTimeout = 500 * time.Millisecond
			for n, f := range tc.sts {
				w.proxy.Faults().At(f, n)
			}
			if tc.stsAlways != nil {
				w.proxy.Faults().Always(*tc.stsAlways)
			}
			for n, f := range tc.tokenFault {
				w.gh.Faults().At(f, n)
			}
			switch tc.attempts {
			case "disable":
				w.input("disable-retry", "true")
			case "":
			default:
				w.input("retry-max-attempts", tc.attempts)
			}
			err := w.run()
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("Run: %v\n%s", err, w.log())
				}
				if w.vars("set_env")["AWS_SESSION_TOKEN"] == "" {
					t.Error("recovered run exported no credentials")
				}
			} else {
				if err == nil {
					t.Fatal("Run succeeded, want failure")
				}
				msg := err.Error()
				var f *action.Failure
				if errors.As(err, &f) {
					msg += "\n" + strings.Join(f.Advice, "\n")
				}
				if !strings.Contains(msg, tc.wantErr) {
					t.Errorf("failure %q\ndoes not contain %q", msg, tc.wantErr)
				}
				w.assertNothingExported()
			}
			if got := w.proxy.Count(""); got != tc.wantSTS {
				t.Errorf("STS requests = %d (%v), want %d", got, actions(w.proxy.Requests()), tc.wantSTS)
			}
			if got := len(w.gh.Requests()); got != tc.wantTokens {
				t.Errorf("token requests = %d, want %d", got, tc.wantTokens)
			}
			// One sleep between attempts, never after the last.
			attemptsMade := max(len(w.gh.Requests()), 1)
			if tc.wantErr != "" && len(w.sleeps) != attemptsMade-1 {
				t.Errorf("slept %d times for %d attempts", len(w.sleeps), attemptsMade)
			}
			// Every attempt used a different token.
			seen := map[string]bool{}
			for _, r := range w.proxy.Requests() {
				if tok := r.Form.Get("WebIdentityToken"); tok != "" {
					if seen[tok] {
						t.Error("an ID token was sent twice; each attempt must use a fresh one")
					}
					seen[tok] = true
				}
			}
			w.assertNoLeaks()
		})
	}
}

func TestRunActionTimeout(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.retry.AttemptTimeout = time.Minute
	w.proxy.Faults().Always(harness.Fault{Hang: true})
	w.input("action-timeout-s", "1")
	start := time.Now()
	err := w.run()
	var te *action.TimeoutError
	if !errors.As(err, &te) || !strings.Contains(err.Error(), "Action timed out after 1 seconds") {
		t.Fatalf("err = %v, want the action timeout", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %s with action-timeout-s=1", d)
	}
	w.assertNothingExported()
}

func TestRunCancelledBySignal(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.proxy.Faults().Always(harness.Fault{Hang: true})
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(200*time.Millisecond, cancel)
	err := action.Run(ctx, action.Env{Getenv: func(k string) string { return w.env[k] }, Stdout: &w.stdout})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want cancellation", err)
	}
	w.assertNothingExported()
}

var _ = fmt.Sprintf
