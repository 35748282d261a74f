package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/org/aws-oidc-go/internal/dev/harness"
)

const (
	exampleKeyID  = "AKIAIOSFODNN7EXAMPLE"
	exampleSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
)

// callerARN runs the AWS CLI as the next step and returns who it is.
func callerARN(t *testing.T, s *step, exported map[string]string, extra ...string) string {
	t.Helper()
	out, err := nextStep(t, s, exported, append([]string{"sts", "get-caller-identity", "--output", "json"}, extra...)...)
	if err != nil {
		t.Fatalf("aws sts get-caller-identity: %v\n%s", err, out)
	}
	var id struct{ Arn string }
	if err := json.Unmarshal([]byte(out), &id); err != nil {
		t.Fatalf("aws printed %q", out)
	}
	return id.Arn
}

func exportedVars(t *testing.T, s *step, file string) map[string]string {
	t.Helper()
	m, err := ParseFileCommand(s.fileCommand(file))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// runPost runs the post step as the runner does: a new process named by
// post-entrypoint, the same inputs, and STATE_<name> from GITHUB_STATE.
func runPost(t *testing.T, s *step) string {
	t.Helper()
	state := exportedVars(t, s, "save_state_1")
	env := s.environ()
	for k, v := range state {
		env = append(env, "STATE_"+k+"="+v)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary)
	cmd.Args[0] = "/aws-oidc-go-post"
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("post step: %v\n%s", err, out)
	}
	return string(out)
}

func TestKeysAndRoleThenAWSCLI(t *testing.T) {
	t.Parallel()
	moto := harness.SharedMoto(t)
	s, proxy := proxiedStep(t, moto)
	gh := s.gh
	s.with["aws-access-key-id"] = exampleKeyID
	s.with["aws-secret-access-key"] = exampleSecret
	s.with["role-session-name"] = "keys"
	s.run()
	if s.exitCode != 0 {
		t.Fatalf("exit %d\n%s", s.exitCode, s.log())
	}
	// GetCallerIdentity on the keys only: AssumeRole's AssumedRoleUser
	// names the new credentials.
	if got := strings.Join(actionsOf(proxy), ","); got != "GetCallerIdentity,AssumeRole" {
		t.Errorf("STS calls %s", got)
	}
	for _, r := range proxy.Requests() {
		if !strings.Contains(r.Header.Get("Authorization"), "Credential="+exampleKeyID+"/") {
			t.Errorf("%s was not signed with the keys", r.Action)
		}
	}
	exported := exportedVars(t, s, "set_env_1")
	if got := callerARN(t, s, exported); got != "arn:aws:sts::123456789012:assumed-role/deploy/keys" {
		t.Errorf("next step is %s", got)
	}
	stepLeakCheck(t, s, s.stdout.String()+s.stderr.String())
	leakCheck(t, gh, s.stdout.String()+s.stderr.String(), exampleSecret)
}

func actionsOf(p *harness.Proxy) []string {
	var a []string
	for _, r := range p.Requests() {
		a = append(a, r.Action)
	}
	return a
}

func TestProfileThenAWSCLIThenPostStep(t *testing.T) {
	t.Parallel()
	moto := harness.SharedMoto(t)
	gh := harness.NewTokenService()
	defer gh.Close()
	s := newStep(t, gh, moto.URL)
	awsDir := filepath.Join(s.dir, "aws")
	s.env["AWS_SHARED_CREDENTIALS_FILE"] = filepath.Join(awsDir, "credentials")
	s.env["AWS_CONFIG_FILE"] = filepath.Join(awsDir, "config")
	s.with["aws-profile"] = "prod"
	s.with["output-env-credentials"] = "true"
	s.run()
	if s.exitCode != 0 {
		t.Fatalf("exit %d\n%s", s.exitCode, s.log())
	}
	exported := exportedVars(t, s, "set_env_1")
	if exported["AWS_PROFILE"] != "prod" || exported["AWS_ACCESS_KEY_ID"] != "" {
		t.Fatalf("exported %v; want AWS_PROFILE and no keys", keys(exported))
	}
	// The next step finds the profile through AWS_PROFILE and the exported file paths.
	if got := callerARN(t, s, exported); got != "arn:aws:sts::123456789012:assumed-role/deploy/GitHubActions" {
		t.Errorf("next step with AWS_PROFILE is %s", got)
	}

	stepLeakCheck(t, s, s.stdout.String()+s.stderr.String())
	out := runPost(t, s)
	if !strings.Contains(out, "Cleaned up") {
		t.Errorf("post step said:\n%s", out)
	}
	for _, f := range []string{"credentials", "config"} {
		if _, err := os.Stat(filepath.Join(awsDir, f)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s survived the post step", f)
		}
	}
	after := exportedVars(t, s, "set_env_1")
	if after["AWS_PROFILE"] != "" || after["AWS_REGION"] != "" {
		t.Errorf("post step left AWS_PROFILE=%q AWS_REGION=%q", after["AWS_PROFILE"], after["AWS_REGION"])
	}
	// A later step without the profile can no longer authenticate.
	if out, err := nextStep(t, s, after, "sts", "get-caller-identity", "--profile", "prod"); err == nil {
		t.Errorf("the profile still works after cleanup:\n%s", out)
	}
	// The post step again, with everything already gone, still succeeds.
	runPost(t, s)
}

func TestChainingAfterOIDC(t *testing.T) {
	t.Parallel()
	moto := harness.SharedMoto(t)
	gh := harness.NewTokenService()
	defer gh.Close()
	first := newStep(t, gh, moto.URL)
	first.run()
	if first.exitCode != 0 {
		t.Fatalf("first step: exit %d\n%s", first.exitCode, first.log())
	}
	exported := exportedVars(t, first, "set_env_1")

	proxy := harness.NewProxy(moto.URL)
	defer proxy.Close()
	second := newStep(t, gh, proxy.URL)
	for k, v := range exported { // the job env of the next step
		second.env[k] = v
	}
	second.with["role-to-assume"] = "arn:aws:iam::123456789012:role/second"
	second.with["role-chaining"] = "true"
	second.with["role-session-name"] = "chained"
	second.run()
	if second.exitCode != 0 {
		t.Fatalf("second step: exit %d\n%s", second.exitCode, second.log())
	}
	reqs := proxy.Requests()
	// GetCallerIdentity and AssumeRole on the first step's credentials,
	// nothing on the new ones.
	if len(reqs) != 2 || reqs[0].Action != "GetCallerIdentity" || reqs[1].Action != "AssumeRole" ||
		!strings.Contains(reqs[0].Header.Get("Authorization"), "Credential="+exported["AWS_ACCESS_KEY_ID"]+"/") ||
		!strings.Contains(reqs[1].Header.Get("Authorization"), "Credential="+exported["AWS_ACCESS_KEY_ID"]+"/") {
		t.Fatalf("want GetCallerIdentity and AssumeRole signed with the first step's credentials: %v", actionsOf(proxy))
	}
	if got := callerARN(t, second, exportedVars(t, second, "set_env_1")); got != "arn:aws:sts::123456789012:assumed-role/second/chained" {
		t.Errorf("next step is %s", got)
	}
	stepLeakCheck(t, second, second.stdout.String()+second.stderr.String())
	// The first step's secrets must not show in the second's output either.
	leakCheck(t, gh, second.stdout.String()+second.stderr.String(), exported["AWS_SECRET_ACCESS_KEY"], exported["AWS_SESSION_TOKEN"])
}

func TestExistingAndAmbientCredentials(t *testing.T) {
	t.Parallel()
	moto := harness.SharedMoto(t)
	t.Run("use-existing-credentials with working keys assumes nothing", func(t *testing.T) {
		t.Parallel()
		s, proxy := proxiedStep(t, moto)
		gh := s.gh
		s.env["AWS_ACCESS_KEY_ID"], s.env["AWS_SECRET_ACCESS_KEY"] = exampleKeyID, exampleSecret
		s.with["use-existing-credentials"] = "true"
		s.run()
		if s.exitCode != 0 {
			t.Fatalf("exit %d\n%s", s.exitCode, s.log())
		}
		if got := strings.Join(actionsOf(proxy), ","); got != "GetCallerIdentity" || len(gh.Requests()) != 0 ||
			!strings.Contains(proxy.Requests()[0].Header.Get("Authorization"), "Credential="+exampleKeyID+"/") {
			t.Errorf("calls: STS %s, token %d; want only GetCallerIdentity", got, len(gh.Requests()))
		}
		if out := exportedVars(t, s, "set_output_1"); out["authenticated-arn"] != "arn:aws:sts::123456789012:user/moto" {
			t.Errorf("outputs %v", out)
		}
	})
	for _, tc := range []struct {
		name, log string
		plan      func(*harness.FaultPlan)
	}{
		// A 503 says nothing of the credentials.
		{"use-existing-credentials whose check fails for STS's own reasons says so", "could not be checked",
			func(f *harness.FaultPlan) { f.ForAction("GetCallerIdentity", harness.FaultUnavailable) }},
		{"use-existing-credentials with rejected keys says they do not work", "do not work",
			func(f *harness.FaultPlan) {
				f.At(harness.STSError(403, "InvalidClientTokenId", "The security token included in the request is invalid."), 1)
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s, proxy := proxiedStep(t, moto)
			s.env["AWS_ACCESS_KEY_ID"], s.env["AWS_SECRET_ACCESS_KEY"] = exampleKeyID, exampleSecret
			s.with["use-existing-credentials"] = "true"
			tc.plan(proxy.Faults())
			s.run()
			if s.exitCode != 0 || proxy.Count("AssumeRoleWithWebIdentity") != 1 {
				t.Fatalf("exit %d, %v; want new credentials\n%s", s.exitCode, actionsOf(proxy), s.log())
			}
			other := map[string]string{"could not be checked": "do not work", "do not work": "could not be checked"}[tc.log]
			if log := s.log(); !strings.Contains(log, tc.log) || strings.Contains(log, other) {
				t.Errorf("want %q, not %q; the log:\n%s", tc.log, other, log)
			}
		})
	}
	t.Run("use-existing-credentials false is off", func(t *testing.T) {
		t.Parallel()
		s, proxy := proxiedStep(t, moto)
		s.env["AWS_ACCESS_KEY_ID"], s.env["AWS_SECRET_ACCESS_KEY"] = exampleKeyID, exampleSecret
		s.with["use-existing-credentials"] = "false"
		s.run()
		if s.exitCode != 0 || proxy.Count("AssumeRoleWithWebIdentity") != 1 {
			t.Fatalf("exit %d, %v; want a normal OIDC run\n%s", s.exitCode, actionsOf(proxy), s.log())
		}
	})
	t.Run("force-skip-oidc assumes with the runner's own credentials", func(t *testing.T) {
		t.Parallel()
		s, proxy := proxiedStep(t, moto)
		gh := s.gh
		s.env["AWS_ACCESS_KEY_ID"], s.env["AWS_SECRET_ACCESS_KEY"] = exampleKeyID, exampleSecret
		s.with["force-skip-oidc"] = "true"
		s.run()
		if s.exitCode != 0 {
			t.Fatalf("exit %d\n%s", s.exitCode, s.log())
		}
		reqs := proxy.Requests()
		// GetCallerIdentity and AssumeRole with the runner's own
		// credentials; none with the assumed ones.
		if len(reqs) != 2 || reqs[0].Action != "GetCallerIdentity" || reqs[1].Action != "AssumeRole" ||
			!strings.Contains(reqs[0].Header.Get("Authorization"), "Credential="+exampleKeyID+"/") ||
			!strings.Contains(reqs[1].Header.Get("Authorization"), "Credential="+exampleKeyID+"/") || len(gh.Requests()) != 0 {
			t.Errorf("calls %v, token requests %d", actionsOf(proxy), len(gh.Requests()))
		}
		if out := exportedVars(t, s, "set_output_1"); out["authenticated-arn"] != "arn:aws:sts::123456789012:assumed-role/deploy/GitHubActions" {
			t.Errorf("outputs %v", out)
		}
	})
}

func keys(m map[string]string) []string {
	var k []string
	for x := range m {
		k = append(k, x)
	}
	return k
}
