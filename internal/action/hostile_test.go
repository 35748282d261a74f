package action_test

// Regression tests for what the hardening issue found: every one of these
// failed before the fix it names.

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/org/aws-oidc-go/internal/dev/harness"
)

// Item 1: a line break in an environment value used to start its own
// workflow command (::stop-commands::) and turn every later mask off.
func TestEnvironmentValuesCannotStartCommands(t *testing.T) {
	t.Parallel()
	// A path with a line break cannot be exported as a file command: that
	// case must fail with nothing exported and nothing injected.
	const refused = "AWS_SHARED_CREDENTIALS_FILE"
	for name, set := range map[string]func(s *step){
		"no_proxy": func(s *step) {
			s.env["https_proxy"] = "http://proxy.test.invalid:3128"
			s.env["no_proxy"] = "127.0.0.1\n::stop-commands::x"
		},
		"GITHUB_WORKSPACE in the token file path": func(s *step) {
			ws := filepath.Join(s.dir, "ws\n::stop-commands::x")
			os.MkdirAll(ws, 0o755)
			os.WriteFile(filepath.Join(ws, "token.jwt"), []byte(s.gh.Mint("sts.amazonaws.com")), 0o600)
			s.env["GITHUB_WORKSPACE"] = ws
			s.env["INPUT_WEB-IDENTITY-TOKEN-FILE"] = "token.jwt"
		},
		"AWS_SHARED_CREDENTIALS_FILE": func(s *step) {
			dir := filepath.Join(s.dir, "aws\n::stop-commands::x")
			os.MkdirAll(dir, 0o700)
			s.env["AWS_SHARED_CREDENTIALS_FILE"] = filepath.Join(dir, "credentials")
			s.env["AWS_CONFIG_FILE"] = filepath.Join(dir, "config")
			s.env["INPUT_AWS-PROFILE"] = "ci"
		},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if strings.Contains(name, "AWS_SHARED_CREDENTIALS_FILE") || strings.Contains(name, "GITHUB_WORKSPACE") {
				harness.UnixOnly(t, "a directory name with a line break: Windows names cannot hold one")
			}
			s := newStep(t)
			set(s)
			err := s.run()
			switch {
			case name == refused && (err == nil || !strings.Contains(err.Error(), "line break")):
				t.Fatalf("err = %v, want the path refused", err)
			case name == refused:
				s.assertNothingExported()
				assertNoInjectedCommands(t, s.stdout.String())
				return
			case err != nil:
				t.Fatalf("Run: %v\n%s", err, harness.Redact(s.stdout.String()))
			}
			assertNoInjectedCommands(t, s.stdout.String())
			if !strings.Contains(s.stdout.String(), `\n::stop-commands::x`) {
				t.Errorf("the value is not shown with its line break visible:\n%s", harness.Redact(s.stdout.String()))
			}
			s.assertNoLeaks()
		})
	}
}

// Item 2: a schemeless HTTPS_PROXY=user:pass@host:port was read with
// "user" as the scheme: no mask, and the password in the log.
func TestProxyPasswordNeverPrints(t *testing.T) {
	t.Parallel()
	for _, raw := range []string{"user:hunter2@proxy.test.invalid:3128", "http://user:hunter2@proxy.test.invalid:3128", "http://user:hunter%32@proxy.test.invalid:3128"} {
		s := newStep(t)
		s.env["HTTPS_PROXY"] = raw
		s.env["NO_PROXY"] = "127.0.0.1" // the fakes are local
		if err := s.run(); err != nil {
			t.Fatalf("%s: Run: %v", raw, err)
		}
		log := s.stdout.String()
		masked := strings.Contains(log, "::add-mask::hunter2")
		rest := strings.ReplaceAll(log, "::add-mask::", "")
		for _, m := range harness.Masks(log) {
			rest = strings.ReplaceAll(rest, m, "***")
		}
		if !masked || strings.Contains(rest, "hunter2") || strings.Contains(rest, "hunter%32") {
			t.Errorf("%s: password masked=%v, log:\n%s", raw, masked, rest)
		}
		if !strings.Contains(log, "Using proxy http://***@proxy.test.invalid:3128") {
			t.Errorf("%s: the proxy line does not show the redacted proxy:\n%s", raw, harness.Redact(log))
		}
	}
}

// Item 3: with mask-aws-account-id the target account printed in
// "Assuming arn:aws:iam::…" before its mask, and keys + role put the
// source account into the log and the job summary.
func TestMaskAccountIDMasksFirstAndKeepsTheSummaryClean(t *testing.T) {
	t.Parallel()
	s := newStep(t)
	s.env["INPUT_MASK-AWS-ACCOUNT-ID"] = "true"
	s.useKeys()
	if err := s.run(); err != nil {
		t.Fatal(err)
	}
	log := s.stdout.String()
	for _, account := range []string{"123456789012", "111122223333"} {
		mask := strings.Index(log, "::add-mask::"+account)
		first := strings.Index(strings.ReplaceAll(log, "::add-mask::"+account, strings.Repeat("_", len("::add-mask::"+account))), account)
		if mask < 0 || (first >= 0 && first < mask) {
			t.Errorf("account %s: mask at %d, first appearance at %d:\n%s", account, mask, first, log)
		}
	}
	if sum := s.read("GITHUB_STEP_SUMMARY"); regexp.MustCompile(`\d{12}`).MatchString(sum) {
		t.Errorf("the summary (which the runner does not mask) holds an account id:\n%s", sum)
	}
}

// Item 5: with GITHUB_ENV unwritable the step failed but GITHUB_OUTPUT
// already held the credential outputs; a short write on a full disk left
// a cut secret; a failed GITHUB_STATE left profile files behind.
func TestFileCommandFailuresLeaveNothing(t *testing.T) {
	t.Parallel()
	cases := map[string]func(s *step){
		"GITHUB_ENV is a directory": func(s *step) {
			os.Remove(s.env["GITHUB_ENV"])
			os.Mkdir(s.env["GITHUB_ENV"], 0o755)
		},
		"GITHUB_ENV is /dev/full": func(s *step) { s.env["GITHUB_ENV"] = "/dev/full" },
		"GITHUB_ENV is read-only": func(s *step) {
			os.Chmod(s.env["GITHUB_ENV"], 0o444)
			if os.Geteuid() == 0 {
				// root ignores modes: make the file immutable instead.
				if err := exec.Command("chattr", "+i", s.env["GITHUB_ENV"]).Run(); err != nil {
					s.env["GITHUB_ENV"] = "/proc/version" // read-only for root too
				} else {
					s.t.Cleanup(func() { exec.Command("chattr", "-i", s.env["GITHUB_ENV"]).Run() })
				}
			}
		},
		"GITHUB_STATE is /dev/full, with a profile": func(s *step) {
			s.env["GITHUB_STATE"] = "/dev/full"
			s.env["INPUT_AWS-PROFILE"] = "ci"
		},
	}
	for name, set := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			switch {
			case strings.Contains(name, "/dev/full"):
				harness.UnixOnly(t, "/dev/full")
			case strings.Contains(name, "read-only") && harness.UnderWine():
				t.Skip("Wine runs as root here, and a read-only attribute does not stop root")
			}
			s := newStep(t)
			s.env["INPUT_OUTPUT-CREDENTIALS"] = "true"
			set(s)
			err := s.run()
			if err == nil {
				t.Fatal("Run succeeded")
			}
			if !strings.Contains(err.Error(), "nothing was exported") {
				t.Errorf("err = %v", err)
			}
			for _, f := range []string{"GITHUB_OUTPUT", "GITHUB_STATE", "GITHUB_ENV"} {
				if fi, err := os.Stat(s.env[f]); err == nil && fi.Mode().IsRegular() {
					if got := s.read(f); got != "" && !strings.HasPrefix(s.env[f], "/proc") {
						t.Errorf("%s holds %q after the failure", f, harness.Redact(got))
					}
				}
			}
			if _, err := os.Stat(filepath.Join(s.env["HOME"], ".aws", "credentials")); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("the profile file was left behind: %v", err)
			}
		})
	}
}

// The bearer request token must not cross a network in clear.
func TestRequestURLMustBeHTTPS(t *testing.T) {
	t.Parallel()
	s := newStep(t)
	s.env["ACTIONS_ID_TOKEN_REQUEST_URL"] = "http://token.example.com/token?api-version=2.0"
	err := s.run()
	if err == nil || !strings.Contains(err.Error(), "only https://") {
		t.Fatalf("err = %v", err)
	}
	if len(s.gh.Requests()) != 0 {
		t.Error("the request token was sent")
	}
}

func TestCleartextSTSEndpointWarns(t *testing.T) {
	t.Parallel()
	s := newStep(t)
	s.env["AWS_ENDPOINT_URL_STS"] = "http://sts.corp.example:8080"
	if err := s.run(); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(s.stdout.String(), "::warning::The STS endpoint sts.corp.example:8080 (from AWS_ENDPOINT_URL_STS) is plain http://"); n != 1 {
		t.Errorf("%d cleartext warnings, want 1:\n%s", n, harness.Redact(s.stdout.String()))
	}
	s = newStep(t)
	s.env["AWS_ENDPOINT_URL_STS"] = "http://127.0.0.1:5000"
	if err := s.run(); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(s.stdout.String(), "plain http://") {
		t.Error("warned about a loopback endpoint")
	}
}

// TestFullDiskLeavesNoCutSecret: on a tiny tmpfs the append to GITHUB_ENV
// is cut short; before, AWS_SECRET_ACCESS_KEY was left cut to a prefix the
// runner would not mask. Now the file goes back to its length before.
func TestFullDiskLeavesNoCutSecret(t *testing.T) {
	t.Parallel()
	s := newStep(t)
	mnt := filepath.Join(s.dir, "tiny")
	os.Mkdir(mnt, 0o755)
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=8k", "tmpfs", mnt).CombinedOutput(); err != nil {
		harness.Require(t, errors.New("mounting a tmpfs needs root: "+strings.TrimSpace(string(out))))
	}
	t.Cleanup(func() { exec.Command("umount", mnt).Run() })
	before := strings.Repeat("EARLIER=x\n", 810) // 8,100 of 8,192 bytes
	envFile := filepath.Join(mnt, "set_env")
	if err := os.WriteFile(envFile, []byte(before), 0o644); err != nil {
		t.Fatal(err)
	}
	s.env["GITHUB_ENV"] = envFile
	err := s.run()
	if err == nil || !strings.Contains(err.Error(), "nothing was exported") {
		t.Fatalf("err = %v", err)
	}
	if got := s.read("GITHUB_ENV"); got != before {
		t.Errorf("GITHUB_ENV was left with %d bytes more than before:\n%s", len(got)-len(before), harness.Redact(got[len(before):]))
	}
	for _, f := range []string{"GITHUB_OUTPUT", "GITHUB_STATE"} {
		if got := s.read(f); got != "" {
			t.Errorf("%s = %q", f, harness.Redact(got))
		}
	}
}
