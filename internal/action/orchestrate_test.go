package action_test

// Orchestration tests: the main step with a fake STS (function types, as
// stscreds' tests do) and the fake token service. They need no moto and
// run on any machine; the real exchange is covered against moto elsewhere.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/aws-sdk-go-v2/service/sts/types"
	"github.com/aws/smithy-go"

	"github.com/org/aws-oidc-go/internal/action"
	"github.com/org/aws-oidc-go/internal/dev/harness"
	"github.com/org/aws-oidc-go/internal/exchange"
	"github.com/org/aws-oidc-go/internal/hostpath"
)

// fakeSTS answers the three calls; each field may be replaced by a test.
type fakeSTS struct {
	mu     sync.Mutex
	calls  []string // "Op signer" in order
	web    func(in *sts.AssumeRoleWithWebIdentityInput) (*sts.AssumeRoleWithWebIdentityOutput, error)
	assume func(in *sts.AssumeRoleInput, s exchange.Signing) (*sts.AssumeRoleOutput, error)
	caller func(s exchange.Signing) (*sts.GetCallerIdentityOutput, error)
}

func fakeCreds(id string) *types.Credentials {
	return &types.Credentials{
		AccessKeyId: aws.String(id), SecretAccessKey: aws.String("wJalrXUtnFEMI/K7MDENG/bPxRfiCY" + id[4:14]),
		SessionToken: aws.String("FwoGZXIvYXdzEXAMPLE" + id), Expiration: aws.Time(time.Now().Add(time.Hour).Truncate(time.Second).UTC()),
	}
}

// assumedUser is the AssumedRoleUser STS names for a session of roleARN:
// arn:aws:sts::ACCOUNT:assumed-role/NAME/SESSION.
func assumedUser(roleARN, session string) *types.AssumedRoleUser {
	parts := strings.SplitN(roleARN, ":", 6)
	name := parts[5][strings.LastIndex(parts[5], "/")+1:]
	return &types.AssumedRoleUser{
		Arn:           aws.String("arn:" + parts[1] + ":sts::" + parts[4] + ":assumed-role/" + name + "/" + session),
		AssumedRoleId: aws.String("AROAEXAMPLE:" + session),
	}
}

func newFakeSTS() *fakeSTS {
	return &fakeSTS{
		web: func(in *sts.AssumeRoleWithWebIdentityInput) (*sts.AssumeRoleWithWebIdentityOutput, error) {
			return &sts.AssumeRoleWithWebIdentityOutput{Credentials: fakeCreds("ASIAWEBIDENT0EXAMPLE"), AssumedRoleUser: assumedUser(aws.ToString(in.RoleArn), aws.ToString(in.RoleSessionName))}, nil
		},
		assume: func(in *sts.AssumeRoleInput, s exchange.Signing) (*sts.AssumeRoleOutput, error) {
			return &sts.AssumeRoleOutput{Credentials: fakeCreds("ASIAASSUMED00EXAMPLE"), AssumedRoleUser: assumedUser(aws.ToString(in.RoleArn), aws.ToString(in.RoleSessionName))}, nil
		},
		caller: func(s exchange.Signing) (*sts.GetCallerIdentityOutput, error) {
			arn := "arn:aws:sts::123456789012:assumed-role/deploy/GitHubActions"
			if s.Static != nil && strings.HasPrefix(s.Static.AccessKeyID, "AKIA") {
				arn = "arn:aws:iam::111122223333:user/ci"
				return &sts.GetCallerIdentityOutput{Account: aws.String("111122223333"), Arn: aws.String(arn)}, nil
			}
			return &sts.GetCallerIdentityOutput{Account: aws.String("123456789012"), Arn: aws.String(arn)}, nil
		},
	}
}

func (f *fakeSTS) record(op string, s exchange.Signing) {
	f.mu.Lock()
	defer f.mu.Unlock()
	who := "anonymous"
	switch {
	case s.Static != nil:
		who = s.Static.AccessKeyID
	case s.Ambient:
		who = "ambient"
	}
	f.calls = append(f.calls, op+" "+who)
}

func (f *fakeSTS) Calls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

type fakeClient struct {
	f *fakeSTS
	s exchange.Signing
}

func (c fakeClient) AssumeRoleWithWebIdentity(_ context.Context, in *sts.AssumeRoleWithWebIdentityInput, _ ...func(*sts.Options)) (*sts.AssumeRoleWithWebIdentityOutput, error) {
	c.f.record("AssumeRoleWithWebIdentity", c.s)
	return c.f.web(in)
}

func (c fakeClient) AssumeRole(_ context.Context, in *sts.AssumeRoleInput, _ ...func(*sts.Options)) (*sts.AssumeRoleOutput, error) {
	c.f.record("AssumeRole", c.s)
	return c.f.assume(in, c.s)
}

func (c fakeClient) GetCallerIdentity(_ context.Context, _ *sts.GetCallerIdentityInput, _ ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error) {
	c.f.record("GetCallerIdentity", c.s)
	return c.f.caller(c.s)
}

// step is one main step against the fakes.
type step struct {
	t      *testing.T
	gh     *harness.TokenService
	sts    *fakeSTS
	dir    string
	env    map[string]string
	stdout bytes.Buffer
}

func newStep(t *testing.T) *step {
	t.Helper()
	s := &step{t: t, gh: harness.NewTokenService(), sts: newFakeSTS(), dir: t.TempDir()}
	t.Cleanup(s.gh.Close)
	s.env = map[string]string{
		"INPUT_ROLE-TO-ASSUME":           roleARN,
		"INPUT_AWS-REGION":               "eu-west-1",
		"ACTIONS_ID_TOKEN_REQUEST_URL":   s.gh.RequestURL,
		"ACTIONS_ID_TOKEN_REQUEST_TOKEN": s.gh.RequestToken,
		"GITHUB_ACTIONS":                 "true",
		"GITHUB_WORKSPACE":               filepath.Join(s.dir, "workspace"),
		"HOME":                           filepath.Join(s.dir, "home"),
		"USERPROFILE":                    filepath.Join(s.dir, "home"), // ~ on Windows
	}
	for _, f := range []string{"GITHUB_ENV", "GITHUB_OUTPUT", "GITHUB_STATE", "GITHUB_STEP_SUMMARY"} {
		p := filepath.Join(s.dir, strings.ToLower(f))
		os.WriteFile(p, nil, 0o644)
		s.env[f] = p
	}
	os.MkdirAll(s.env["GITHUB_WORKSPACE"], 0o755)
	return s
}

func (s *step) run() error { return s.runWith(nil) }

func (s *step) runWith(adjust func(*action.Env)) error {
	env := action.Env{
		Workflow: true,
		Getenv:   func(k string) string { return s.env[k] },
		Log:      &s.stdout,
		NewSTS: func(_ context.Context, _ exchange.ClientConfig, sg exchange.Signing) (exchange.API, error) {
			return fakeClient{s.sts, sg}, nil
		},
		Retry:  exchange.Retrier{Sleep: func(ctx context.Context, _ time.Duration) error { return ctx.Err() }},
		Mounts: func() (hostpath.Mounts, error) { return hostpath.Mounts{}, nil },
	}
	if adjust != nil {
		adjust(&env)
	}
	return runStep(context.Background(), env)
}

// useKeys gives the step static keys (of account 111122223333 in the fake).
func (s *step) useKeys() {
	s.env["INPUT_AWS-ACCESS-KEY-ID"] = "AKIAIOSFODNN7EXAMPLE"
	s.env["INPUT_AWS-SECRET-ACCESS-KEY"] = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
}

func (s *step) read(env string) string {
	b, _ := os.ReadFile(s.env[env])
	return string(b)
}

func (s *step) assertNothingExported() {
	s.t.Helper()
	for _, f := range []string{"GITHUB_ENV", "GITHUB_OUTPUT", "GITHUB_STATE"} {
		if got := s.read(f); got != "" {
			s.t.Errorf("a failed run left %s:\n%s", f, harness.Redact(got))
		}
	}
}

func (s *step) assertNoLeaks() {
	s.t.Helper()
	creds := []string{}
	for _, c := range []*types.Credentials{fakeCreds("ASIAWEBIDENT0EXAMPLE"), fakeCreds("ASIAASSUMED00EXAMPLE")} {
		creds = append(creds, *c.SecretAccessKey, *c.SessionToken)
	}
	harness.AssertNoLeaks(s.t, []harness.Output{
		{Name: "log", Text: s.stdout.String()},
		{Name: "GITHUB_ENV", Text: s.read("GITHUB_ENV"), CredentialsAllowed: true},
		{Name: "GITHUB_OUTPUT", Text: s.read("GITHUB_OUTPUT"), CredentialsAllowed: true},
		{Name: "GITHUB_STATE", Text: s.read("GITHUB_STATE")},
		{Name: "GITHUB_STEP_SUMMARY", Text: s.read("GITHUB_STEP_SUMMARY")},
	}, append([]string{s.gh.RequestToken}, s.gh.Issued()...), creds)
}

func TestOrchestrationOIDC(t *testing.T) {
	t.Parallel()
	s := newStep(t)
	if err := s.run(); err != nil {
		t.Fatalf("Run: %v\n%s", err, harness.Redact(s.stdout.String()))
	}
	// The identity comes from AssumedRoleUser: no GetCallerIdentity.
	want := []string{"AssumeRoleWithWebIdentity anonymous"}
	if got := s.sts.Calls(); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("calls = %q, want %q", got, want)
	}
	if got := s.gh.Requests()[0].Audience; got != "sts.amazonaws.com" {
		t.Errorf("audience = %q", got)
	}
	env := s.read("GITHUB_ENV")
	for _, v := range []string{"AWS_ACCESS_KEY_ID=ASIAWEBIDENT0EXAMPLE", "AWS_REGION=eu-west-1", "AWS_DEFAULT_REGION=eu-west-1", "AWS_SECRET_ACCESS_KEY=", "AWS_SESSION_TOKEN="} {
		if !strings.Contains(env, v) {
			t.Errorf("GITHUB_ENV lacks %s", v)
		}
	}
	if out := s.read("GITHUB_OUTPUT"); !strings.Contains(out, "aws-account-id=123456789012\n") {
		t.Errorf("GITHUB_OUTPUT = %q", out)
	}
	if !strings.Contains(s.read("GITHUB_STEP_SUMMARY"), "GitHub OIDC, audience sts.amazonaws.com") {
		t.Errorf("summary does not say where the credentials came from:\n%s", s.read("GITHUB_STEP_SUMMARY"))
	}
	s.assertNoLeaks()
}

func TestOrchestrationAccessDeniedExportsNothing(t *testing.T) {
	t.Parallel()
	s := newStep(t)
	s.sts.web = func(*sts.AssumeRoleWithWebIdentityInput) (*sts.AssumeRoleWithWebIdentityOutput, error) {
		return nil, &smithy.GenericAPIError{Code: "AccessDenied", Message: "Not authorized to perform sts:AssumeRoleWithWebIdentity"}
	}
	err := s.run()
	var f *action.Failure
	if !errors.As(err, &f) || len(f.Advice) == 0 || len(f.Details) == 0 {
		t.Fatalf("err = %v, want a diagnosed failure with claims", err)
	}
	if n := len(s.sts.Calls()); n != 1 {
		t.Errorf("%d STS calls; AccessDenied is never retried", n)
	}
	s.assertNothingExported()
	s.assertNoLeaks()
}

func TestOrchestrationKeysAndBareRoleName(t *testing.T) {
	t.Parallel()
	s := newStep(t)
	s.useKeys()
	s.env["INPUT_ROLE-TO-ASSUME"] = "deploy"
	var roleARN string
	s.sts.assume = func(in *sts.AssumeRoleInput, sg exchange.Signing) (*sts.AssumeRoleOutput, error) {
		roleARN = aws.ToString(in.RoleArn)
		return &sts.AssumeRoleOutput{Credentials: fakeCreds("ASIAASSUMED00EXAMPLE"), AssumedRoleUser: assumedUser(roleARN, aws.ToString(in.RoleSessionName))}, nil
	}
	if err := s.run(); err != nil {
		t.Fatalf("Run: %v", err)
	}
	// GetCallerIdentity on the keys (their account completes the role
	// name), none on the new credentials (AssumedRoleUser names them).
	want := []string{"GetCallerIdentity AKIAIOSFODNN7EXAMPLE", "AssumeRole AKIAIOSFODNN7EXAMPLE"}
	if got := s.sts.Calls(); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("calls = %q, want %q", got, want)
	}
	if roleARN != "arn:aws:iam::111122223333:role/deploy" {
		t.Errorf("bare role name completed to %q, want the keys' account", roleARN)
	}
	if len(s.gh.Requests()) != 0 {
		t.Error("asked GitHub for a token in key mode")
	}
	s.assertNoLeaks()
}

func TestOrchestrationChainingUsesTheEnvironment(t *testing.T) {
	t.Parallel()
	s := newStep(t)
	s.env["INPUT_ROLE-CHAINING"] = "true"
	s.env["AWS_ACCESS_KEY_ID"] = "ASIAEARLIER00EXAMPLE"
	s.env["AWS_SECRET_ACCESS_KEY"] = "earlier-secret"
	s.env["AWS_SESSION_TOKEN"] = "earlier-token"
	if err := s.run(); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if got := s.sts.Calls(); len(got) != 2 || got[0] != "GetCallerIdentity ASIAEARLIER00EXAMPLE" || got[1] != "AssumeRole ASIAEARLIER00EXAMPLE" {
		t.Errorf("calls = %q", got)
	}
	if !strings.Contains(s.stdout.String(), "::add-mask::earlier-secret") {
		t.Error("the chained-from secret was not masked")
	}
}

func TestOrchestrationAllowedAccounts(t *testing.T) {
	t.Parallel()
	s := newStep(t)
	s.env["INPUT_ALLOWED-ACCOUNT-IDS"] = "999999999999"
	var na *action.AccountNotAllowedError
	if err := s.run(); !errors.As(err, &na) {
		t.Fatalf("err = %v", err)
	}
	s.assertNothingExported()
}

func TestOrchestrationInputErrorsCallNothing(t *testing.T) {
	t.Parallel()
	s := newStep(t)
	s.env["INPUT_ROLE-DURATION-SECONDS"] = "60"
	s.env["INPUT_WEB-IDENTITY-TOKEN-FILE"] = "missing.jwt"
	err := s.run()
	joined, ok := err.(interface{ Unwrap() []error })
	if !ok || len(joined.Unwrap()) != 2 {
		t.Fatalf("err = %v, want 2 input problems (duration, token file) reported together", err)
	}
	if len(s.sts.Calls()) != 0 || len(s.gh.Requests()) != 0 {
		t.Error("calls made before validation")
	}
	s.assertNothingExported()
}

// TestProfileWithNowhereSharedFailsBeforeSTS: inside a container action
// that shares no directory with later steps (act: HOME=/, no /github/home
// or /github/runner_temp), a profile would vanish with the container. The
// step used to say "Wrote profile" and succeed; now it fails before any
// call, saying why and what to do.
func TestProfileWithNowhereSharedFailsBeforeSTS(t *testing.T) {
	t.Parallel()
	for _, input := range []string{"INPUT_AWS-PROFILE", "INPUT_REFRESH"} {
		s := newStep(t)
		s.env[input] = map[string]string{"INPUT_AWS-PROFILE": "other", "INPUT_REFRESH": "true"}[input]
		s.env["HOME"] = "/"
		mounts := hostpath.Mounts{"/": "/", "/var/run/act": "/var/lib/docker/volumes/act-job-env/_data"}
		err := s.runWith(func(e *action.Env) { e.Mounts = func() (hostpath.Mounts, error) { return mounts, nil } })
		if !errors.Is(err, hostpath.ErrNoSharedDir) {
			t.Fatalf("%s: err = %v, want ErrNoSharedDir", input, err)
		}
		if len(s.sts.Calls()) != 0 || len(s.gh.Requests()) != 0 {
			t.Errorf("%s: calls made before the check", input)
		}
		s.assertNothingExported()
	}
}

// TestPostStepWithoutStateUsesTheManifest: act hands a container action's
// post step no STATE_*; the manifest the main step left beside the files
// still lets the post step remove them.
func TestPostStepWithoutStateUsesTheManifest(t *testing.T) {
	t.Parallel()
	s := newStep(t)
	s.env["INPUT_AWS-PROFILE"] = "ci"
	s.env["GITHUB_RUN_ID"], s.env["GITHUB_JOB"], s.env["GITHUB_ACTION"] = "7", "deploy", "creds"
	s.env["ACT"] = "true" // the runner known to drop the state
	if err := s.run(); err != nil {
		t.Fatal(err)
	}
	awsDir := filepath.Join(s.env["HOME"], ".aws")
	manifests, _ := filepath.Glob(filepath.Join(awsDir, "aws-oidc-go-run-*", "manifest.json"))
	if len(manifests) != 1 {
		t.Fatalf("manifests: %v", manifests)
	}
	if fi, _ := os.Stat(manifests[0]); runtime.GOOS != "windows" && fi.Mode().Perm() != 0o600 { // modes say nothing on Windows
		t.Errorf("manifest mode %v", fi.Mode().Perm())
	}
	var post bytes.Buffer
	postEnv := map[string]string{}
	for k, v := range s.env {
		postEnv[k] = v // no STATE_cleanup, as under act
	}
	os.WriteFile(s.env["GITHUB_ENV"], nil, 0o644)
	if err := action.Post(context.Background(), action.Env{Workflow: true, Getenv: func(k string) string { return postEnv[k] }, Log: &post,
		Mounts: func() (hostpath.Mounts, error) { return hostpath.Mounts{}, nil }}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(post.String(), "Cleaned up from the cleanup manifest") {
		t.Errorf("post log:\n%s", post.String())
	}
	left, _ := os.ReadDir(awsDir)
	for _, e := range left {
		if !strings.HasSuffix(e.Name(), ".lock") {
			t.Errorf("left behind %s", e.Name())
		}
	}
	if env := s.read("GITHUB_ENV"); env != "AWS_REGION=\nAWS_DEFAULT_REGION=\n" {
		t.Errorf("the post step blanked %q, want the region variables the main step exported", env)
	}
}

// TestOrchestrationReturnsWhatItGot: Run returns the credentials, who
// they are and the region (what the CLI prints); with Env.Print nothing is
// exported and no profile is written, aws-profile and all.
func TestOrchestrationReturnsWhatItGot(t *testing.T) {
	t.Parallel()
	for _, print := range []bool{false, true} {
		t.Run(fmt.Sprintf("print=%v", print), func(t *testing.T) {
			t.Parallel()
			s := newStep(t)
			s.env["INPUT_AWS-PROFILE"] = "ci"
			var res *action.Result
			var err error
			env := action.Env{
				Workflow: true, Print: print,
				Getenv: func(k string) string { return s.env[k] },
				Log:    &s.stdout,
				NewSTS: func(_ context.Context, _ exchange.ClientConfig, sg exchange.Signing) (exchange.API, error) {
					return fakeClient{s.sts, sg}, nil
				},
				Mounts: func() (hostpath.Mounts, error) { return hostpath.Mounts{}, nil },
			}
			res, err = action.Run(context.Background(), env)
			if err != nil {
				t.Fatalf("Run: %v\n%s", err, harness.Redact(s.stdout.String()))
			}
			if res.Credentials == nil || res.Credentials.AccessKeyID != "ASIAWEBIDENT0EXAMPLE" || res.Identity.Account != "123456789012" || res.Region != "eu-west-1" {
				t.Errorf("result %+v", res)
			}
			_, profErr := os.Stat(filepath.Join(s.dir, "home", ".aws", "credentials"))
			if print {
				s.assertNothingExported()
				if profErr == nil {
					t.Error("a profile was written while printing")
				}
			} else if s.read("GITHUB_OUTPUT") == "" || profErr != nil {
				t.Errorf("nothing exported (GITHUB_OUTPUT %q, profile: %v)", s.read("GITHUB_OUTPUT"), profErr)
			}
		})
	}
}
