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
	"github.com/org/aws-oidc-go/internal/dev/harness"
	"github.com/org/aws-oidc-go/internal/exchange"
	"github.com/org/aws-oidc-go/internal/runner"
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
	return runStep(context.Background(), action.Env{
		Workflow: true,
		Getenv:   func(k string) string { return w.env[k] },
		Log:      &w.stdout,
		Retry:    w.retry,
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

// assertNoLeaks scans everything the step left — the log, GITHUB_ENV,
// GITHUB_OUTPUT, GITHUB_STATE and the step summary — for the request token
// and every issued JWT (allowed nowhere), and for the secret key and
// session token (allowed only in GITHUB_ENV and GITHUB_OUTPUT), outside
// ::add-mask:: lines. creds adds credentials the test knows of.
func (w *world) assertNoLeaks(creds ...string) {
	w.t.Helper()
	read := func(env string) string {
		b, _ := os.ReadFile(w.env[env])
		return string(b)
	}
	env := w.vars("set_env")
	creds = append(creds, env["AWS_SECRET_ACCESS_KEY"], env["AWS_SESSION_TOKEN"])
	harness.AssertNoLeaks(w.t, []harness.Output{
		{Name: "log", Text: w.stdout.String()},
		{Name: "GITHUB_ENV", Text: read("GITHUB_ENV"), CredentialsAllowed: true},
		{Name: "GITHUB_OUTPUT", Text: read("GITHUB_OUTPUT"), CredentialsAllowed: true},
		{Name: "GITHUB_STATE", Text: read("GITHUB_STATE")},
		{Name: "GITHUB_STEP_SUMMARY", Text: read("GITHUB_STEP_SUMMARY")},
	}, append([]string{w.gh.RequestToken}, w.gh.Issued()...), creds)
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
	// One call: the identity comes from its AssumedRoleUser, so no
	// GetCallerIdentity follows.
	reqs := w.proxy.Requests()
	if len(reqs) != 1 || reqs[0].Action != "AssumeRoleWithWebIdentity" {
		t.Fatalf("STS calls = %v, want AssumeRoleWithWebIdentity alone", actions(reqs))
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
	// The outputs are what GetCallerIdentity on the new credentials says
	// (the call the step no longer makes, made here).
	cc := exchange.ClientConfig{Region: "eu-west-1", Endpoint: w.proxy.URL}
	awsCfg, err := exchange.LoadAWSConfig(context.Background(), cc)
	if err != nil {
		t.Fatal(err)
	}
	id, err := exchange.CallerIdentity(context.Background(), exchange.NewSTS(awsCfg, cc, exchange.Signing{Static: &exchange.Credentials{
		AccessKeyID: env["AWS_ACCESS_KEY_ID"], SecretAccessKey: env["AWS_SECRET_ACCESS_KEY"], SessionToken: env["AWS_SESSION_TOKEN"]}}), exchange.Retrier{MaxAttempts: 1})
	if err != nil {
		t.Fatal(err)
	}
	if id.Account != out["aws-account-id"] || id.ARN != out["authenticated-arn"] {
		t.Errorf("GetCallerIdentity on the exported credentials says %+v; the outputs say %q, %q", id, out["aws-account-id"], out["authenticated-arn"])
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
	t.Run("empty audience takes the default", func(t *testing.T) {
		t.Parallel()
		w := newWorld(t)
		w.input("audience", "")
		if err := w.run(); err != nil {
			t.Fatalf("Run: %v", err)
		}
		if got := w.gh.Requests()[0].Audience; got != "sts.amazonaws.com" {
			t.Errorf("audience sent = %q, want the default sts.amazonaws.com", got)
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

// TestFaultMatrix drives faults at the token service and at STS through
// the fault-injecting proxy in front of moto. Each row states the expected
// outcome — recovered within N attempts, or failed after N attempts with a
// given message — and every failure must leave nothing exported. Attempts
// are counted, not timed: the time each row took is printed, never asserted. The matrix is
// printed as a table (go test -v -run TestFaultMatrix).
func TestFaultMatrix(t *testing.T) {
	t.Parallel()
	// Generous: under -race on a loaded machine moto can take more than a
	// second, and an attempt cut short by this bound would count as a retry.
	const attemptTimeout = 3 * time.Second
	type row struct {
		where, fault string
		sts          map[int]harness.Fault // by STS request number
		stsAlways    *harness.Fault
		token        map[int]harness.Fault // by token request number
		prep         func(w *world)
		attempts     string
		recoverIn    int    // success expected after this many attempts (token requests)
		failWith     string // failure expected, with this text
		failAfter    int    // for failures: the attempts made (token requests); 0: at once, no retry
		wantSTS      int    // requests STS received
		warn         string // a warning the log must show
	}
	once := func(f harness.Fault) map[int]harness.Fault { return map[int]harness.Fault{1: f} }
	rows := []row{
		{where: "token", fault: "HTTP 503 once", token: once(harness.Fault{Status: 503, Body: "unavailable"}), recoverIn: 2, wantSTS: 1},
		{where: "token", fault: "HTTP 429 once", token: once(harness.Fault{Status: 429, Body: "slow down"}), recoverIn: 2, wantSTS: 1},
		{where: "token", fault: "connection reset once", token: once(harness.Fault{Reset: true}), recoverIn: 2, wantSTS: 1},
		{where: "token", fault: "hung connection once", token: once(harness.Fault{Hang: true}), recoverIn: 2, wantSTS: 1},
		// A 200 without a usable token is a protocol error, not a transient one.
		{where: "token", fault: "200 with an HTML body", token: once(harness.Fault{Status: 200, Body: "<html>oops</html>"}), failWith: "no usable token", wantSTS: 0},
		{where: "token", fault: "200 without a value", token: once(harness.Fault{Status: 200, Body: `{"count":1}`}), failWith: "no usable token", wantSTS: 0},
		{where: "token", fault: "200 with a 2 MiB body", token: once(harness.Fault{Status: 200, Body: `{"value":"` + strings.Repeat("a", 2<<20) + `"}`}), failWith: "no usable token", wantSTS: 0},
		{where: "token", fault: "HTTP 401 (bad request token)", token: once(harness.Fault{Status: 401, Body: `{"message":"Bad credentials"}`}), failWith: "HTTP 401", wantSTS: 0},
		{where: "STS", fault: "InternalFailure 500, then 503", sts: map[int]harness.Fault{1: harness.FaultInternal, 2: harness.FaultUnavailable}, recoverIn: 3, wantSTS: 3},
		{where: "STS", fault: "Throttling twice", sts: map[int]harness.Fault{1: harness.FaultThrottling, 2: harness.FaultThrottling}, recoverIn: 3, wantSTS: 3},
		{where: "STS", fault: "HTTP 429 once", sts: once(harness.Fault{Status: 429, Body: "Too Many Requests"}), recoverIn: 2, wantSTS: 2},
		{where: "STS", fault: "connection reset once", sts: once(harness.Fault{Reset: true}), recoverIn: 2, wantSTS: 2},
		{where: "STS", fault: "hung connection once", sts: once(harness.Fault{Hang: true}), recoverIn: 2, wantSTS: 2},
		{where: "STS", fault: "truncated answer once", sts: once(harness.Fault{Truncate: true}), recoverIn: 2, wantSTS: 2},
		{where: "STS", fault: "garbage answer once", sts: once(harness.Fault{Garbage: true}), recoverIn: 2, wantSTS: 2},
		{where: "STS", fault: "slow answer just under the attempt timeout", sts: once(harness.Fault{Delay: attemptTimeout / 2}), recoverIn: 1, wantSTS: 1},
		{where: "STS", fault: "slow answer just over the attempt timeout", sts: once(harness.Fault{Delay: attemptTimeout + 300*time.Millisecond}), recoverIn: 2, wantSTS: 2},
		{where: "STS", fault: "IDPCommunicationError once", sts: once(harness.FaultIDPCommunication), recoverIn: 2, wantSTS: 2},
		{where: "STS", fault: "InvalidIdentityToken (verification key) once", sts: once(harness.FaultJWKSFetch), recoverIn: 2, wantSTS: 2},
		{where: "STS", fault: "ExpiredTokenException once", sts: once(harness.FaultExpiredToken), recoverIn: 2, wantSTS: 2},
		// GetCallerIdentity is made only where nothing else names the
		// identity: static keys alone here.
		{where: "STS", fault: "GetCallerIdentity InvalidClientTokenId once (keys)", prep: keysAlone, sts: once(harness.STSError(403, "InvalidClientTokenId", "The security token included in the request is invalid.")), recoverIn: 0, wantSTS: 2},
		// STS's word, cross-checked: the answer names the identity, and it
		// must be the one asked for.
		{where: "STS", fault: "AssumedRoleUser in another account", stsAlways: ptr(harness.STSAnswer{ARN: "arn:aws:sts::999999999999:assumed-role/deploy/GitHubActions"}.Fault()),
			failWith: "AssumeRoleWithWebIdentity: STS's answer names arn:aws:sts::999999999999:assumed-role/deploy/GitHubActions: the session is in account 999999999999, but the role arn:aws:iam::123456789012:role/deploy is in account 123456789012", wantSTS: 1},
		{where: "STS", fault: "AssumeRole's AssumedRoleUser in another account (keys)", prep: keysAndRole, sts: map[int]harness.Fault{2: harness.STSAnswer{Action: "AssumeRole", ARN: "arn:aws:sts::999999999999:assumed-role/deploy/GitHubActions"}.Fault()},
			failWith: "AssumeRole: STS's answer names arn:aws:sts::999999999999:assumed-role/deploy/GitHubActions: the session is in account 999999999999, but the role arn:aws:iam::123456789012:role/deploy is in account 123456789012", wantSTS: 2},
		{where: "STS", fault: "AssumedRoleUser of another role in the account", stsAlways: ptr(harness.STSAnswer{ARN: "arn:aws:sts::123456789012:assumed-role/admin/GitHubActions"}.Fault()),
			failWith: "AssumeRoleWithWebIdentity: STS's answer names arn:aws:sts::123456789012:assumed-role/admin/GitHubActions: the session is of role admin, but the role arn:aws:iam::123456789012:role/deploy is named deploy", wantSTS: 1},
		{where: "STS", fault: "AssumedRoleUser in another partition", stsAlways: ptr(harness.STSAnswer{ARN: "arn:aws-us-gov:sts::123456789012:assumed-role/deploy/GitHubActions"}.Fault()),
			failWith: "AssumeRoleWithWebIdentity: STS's answer names arn:aws-us-gov:sts::123456789012:assumed-role/deploy/GitHubActions: the session is in partition aws-us-gov, but the role arn:aws:iam::123456789012:role/deploy is in partition aws", wantSTS: 1},
		{where: "STS", fault: "GetCallerIdentity Account and Arn disagree (keys)", prep: keysAlone, stsAlways: ptr(harness.STSIdentity("123456789012", "arn:aws:iam::999999999999:user/ci")),
			failWith: "GetCallerIdentity: STS's answer names arn:aws:iam::999999999999:user/ci: its Account 123456789012 is not the account of its own Arn arn:aws:iam::999999999999:user/ci (999999999999)", wantSTS: 1},
		{where: "STS", fault: "credentials expired two hours ago", stsAlways: ptr(harness.STSAnswer{Expiration: time.Now().Add(-2 * time.Hour)}.Fault()),
			failWith: "STS returned credentials that expired at", wantSTS: 1},
		{where: "STS", fault: "expiry far beyond the requested duration", stsAlways: ptr(harness.STSAnswer{Expiration: time.Now().Add(10 * time.Hour)}.Fault()),
			warn: "later than the 1h0m0s requested (role-duration-seconds 3600) plus 5m0s of clock skew", recoverIn: 1, wantSTS: 1},
		{where: "STS", fault: "AccessDenied", stsAlways: &harness.FaultAccessDenied, failWith: "AccessDenied: Not authorized to perform sts:AssumeRoleWithWebIdentity", wantSTS: 1},
		{where: "STS", fault: "no OIDC provider", stsAlways: &harness.FaultNoProvider, failWith: "aws iam create-open-id-connect-provider --url https://token.actions.githubusercontent.com --client-id-list sts.amazonaws.com", wantSTS: 1},
		{where: "STS", fault: "wrong audience", stsAlways: &harness.FaultBadAudience, failWith: "Incorrect token audience", wantSTS: 1},
		{where: "STS", fault: "RegionDisabled", stsAlways: &harness.FaultRegionDisabled, failWith: "RegionDisabledException", wantSTS: 1},
		{where: "STS", fault: "MalformedPolicyDocument", stsAlways: ptr(harness.STSError(400, "MalformedPolicyDocument", "bad policy")), failWith: "MalformedPolicyDocument", wantSTS: 1},
		{where: "STS", fault: "Throttling until 3 attempts run out", stsAlways: &harness.FaultThrottling, attempts: "3", failWith: "Throttling: Rate exceeded (HTTP 400) (after 3 attempts)", failAfter: 3, wantSTS: 3},
		{where: "STS", fault: "InternalFailure with disable-retry", stsAlways: &harness.FaultInternal, attempts: "disable", failWith: "InternalFailure", wantSTS: 1},
		// Error pages that are not STS's (a proxy, a firewall): by status.
		{where: "STS", fault: "HTTP 403 HTML page from a firewall", stsAlways: &harness.Fault{Status: 403, Body: "<html><body>\n<h1>Blocked by policy</h1></body></html>"}, failWith: "HTTP 403 Forbidden from the STS endpoint", wantSTS: 1},
		{where: "STS", fault: "HTTP 400 text/plain from a proxy", stsAlways: &harness.Fault{Status: 400, Body: "Bad Request\n::set-env name=X::1"}, failWith: "HTTP 400 Bad Request from the STS endpoint", wantSTS: 1},
		{where: "STS", fault: "200 with a 2 MiB body", sts: once(harness.Fault{Status: 200, Body: "<AssumeRoleWithWebIdentityResponse>" + strings.Repeat(" ", 2<<20)}), failWith: "larger than", wantSTS: 1},
		{where: "STS", fault: "DNS failure (NXDOMAIN)", prep: func(w *world) { w.input("sts-endpoint", "http://sts.eu-west-1.nxdomain.test") }, failWith: "no such host", wantSTS: 0},
		{where: "STS", fault: "TLS: certificate from an unknown CA", prep: func(w *world) {
			p := harness.NewTLSProxy(w.proxy.URL)
			w.t.Cleanup(p.Close)
			w.input("sts-endpoint", p.URL)
		}, failWith: "certificate", wantSTS: 0},
	}
	var mu sync.Mutex
	table := make([]string, len(rows))
	t.Cleanup(func() {
		var b strings.Builder
		fmt.Fprintf(&b, "\n%-6s %-56s %-34s %-9s %-9s %s\n", "where", "fault", "expected", "attempts", "time", "result")
		for _, line := range table {
			b.WriteString(line + "\n")
		}
		t.Log(b.String())
	})
	for i, tc := range rows {
		t.Run(tc.where+" "+tc.fault, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			w.retry.AttemptTimeout = attemptTimeout
			for n, f := range tc.sts {
				w.proxy.Faults().At(f, n)
			}
			if tc.stsAlways != nil {
				w.proxy.Faults().Always(*tc.stsAlways)
			}
			for n, f := range tc.token {
				w.gh.Faults().At(f, n)
			}
			if tc.prep != nil {
				tc.prep(w)
			}
			switch tc.attempts {
			case "disable":
				w.input("disable-retry", "true")
			case "":
			default:
				w.input("retry-max-attempts", tc.attempts)
			}
			start := time.Now()
			err := w.run()
			took := time.Since(start)
			// Attempts: token requests, or STS's when a token is reused.
			attempts := max(len(w.gh.Requests()), w.proxy.Count("AssumeRoleWithWebIdentity"))

			expected := fmt.Sprintf("recovered in %d", tc.recoverIn)
			result := "recovered"
			if tc.failWith != "" {
				expected = "fails at once"
				if tc.failAfter > 0 {
					expected = fmt.Sprintf("fails after %d", tc.failAfter)
				}
				result = "failed, nothing exported"
			}
			if err != nil && tc.failWith == "" {
				result = "FAILED: " + runner.Visible(err.Error())
			}
			mu.Lock()
			table[i] = fmt.Sprintf("%-6s %-56s %-34s %-9d %-9s %s", tc.where, tc.fault, expected, attempts, took.Round(time.Millisecond), result)
			mu.Unlock()

			if tc.failWith == "" {
				if err != nil {
					t.Fatalf("Run: %v\n%s", err, w.log())
				}
				if attempts != tc.recoverIn {
					t.Errorf("recovered after %d attempts, want %d", attempts, tc.recoverIn)
				}
				if w.vars("set_env")["AWS_SESSION_TOKEN"] == "" {
					t.Error("recovered run exported no credentials")
				}
			} else {
				if err == nil {
					t.Fatalf("Run succeeded, want failure\n%s", w.log())
				}
				msg := err.Error()
				var f *action.Failure
				if errors.As(err, &f) {
					msg += "\n" + strings.Join(f.Advice, "\n")
				}
				if !strings.Contains(msg, tc.failWith) {
					t.Errorf("failure %q\ndoes not contain %q", msg, tc.failWith)
				}
				if tc.failAfter > 0 && attempts != tc.failAfter {
					t.Errorf("failed after %d attempts, want %d", attempts, tc.failAfter)
				}
				if tc.failAfter == 0 && len(w.sleeps) != 0 {
					t.Errorf("slept %d times before failing, want no retry", len(w.sleeps))
				}
				w.assertNothingExported()
			}
			if tc.warn != "" && !strings.Contains(w.stdout.String(), "::warning::") || !strings.Contains(w.stdout.String(), tc.warn) {
				t.Errorf("the log lacks the warning %q:\n%s", tc.warn, w.log())
			}
			if got := w.proxy.Count(""); got != tc.wantSTS {
				t.Errorf("STS requests = %d (%v), want %d", got, actions(w.proxy.Requests()), tc.wantSTS)
			}
			// One sleep between attempts, never after the last.
			if tc.failWith != "" && len(w.sleeps) != max(attempts, 1)-1 {
				t.Errorf("slept %d times for %d attempts", len(w.sleeps), attempts)
			}
			// A token STS called expired is never sent again; others are.
			reqs := w.proxy.Requests()
			for n := 1; n < len(reqs); n++ {
				tok := reqs[n].Form.Get("WebIdentityToken")
				if f, ok := tc.sts[n]; ok && f.Body == harness.FaultExpiredToken.Body && tok == reqs[n-1].Form.Get("WebIdentityToken") {
					t.Error("an ID token STS called expired was sent again")
				}
			}
			w.assertNoLeaks()
		})
	}
}

func ptr[T any](v T) *T { return &v }

// keysAlone makes w a run with static keys and no role.
func keysAlone(w *world) {
	keysAndRole(w)
	w.input("role-to-assume", "")
	w.input("aws-session-token", "FwoGZXIvYXdzEXAMPLEKEYSONLY")
}

// keysAndRole makes w a run assuming the role with static keys.
func keysAndRole(w *world) {
	delete(w.env, "ACTIONS_ID_TOKEN_REQUEST_URL")
	delete(w.env, "ACTIONS_ID_TOKEN_REQUEST_TOKEN")
	w.input("aws-access-key-id", exampleKeyID)
	w.input("aws-secret-access-key", exampleSecret)
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
	err := runStep(ctx, action.Env{Workflow: true, Getenv: func(k string) string { return w.env[k] }, Log: &w.stdout})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want cancellation", err)
	}
	w.assertNothingExported()
}
