package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/org/aws-oidc-go/internal/dev/harness"
)

// childArgsEnv carries, as JSON, the command line a child process of the
// test binary runs (TestCLIChild) with the process's own environment and
// stdio: what the SDK writes to the real stderr is seen only there.
const childArgsEnv = "AWS_OIDC_GO_TEST_CHILD_ARGS"

// TestCLIChild is not a test of its own: in a child started by runChild it
// runs the command and exits with its code.
func TestCLIChild(t *testing.T) {
	raw := os.Getenv(childArgsEnv)
	if raw == "" {
		return
	}
	var args []string
	if err := json.Unmarshal([]byte(raw), &args); err != nil {
		fmt.Fprintln(os.Stderr, "bad child args:", err)
		os.Exit(99)
	}
	os.Exit(Main(context.Background(), Process{Args: args, Getenv: os.Getenv, Stdout: os.Stdout, Stderr: os.Stderr}))
}

// runChild runs the command line in a child process whose environment is
// exactly env (plus PATH), and returns its exit code and its real stdout
// and stderr.
func runChild(t *testing.T, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	b, _ := json.Marshal(args)
	cmd := exec.Command(os.Args[0], "-test.run=^TestCLIChild$", "-test.count=1")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), childArgsEnv + "=" + string(b)}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	code := cmd.ProcessState.ExitCode()
	if err != nil && code < 0 {
		t.Fatalf("child: %v", err)
	}
	return code, out.String(), errOut.String()
}

// fakeIMDS is an instance metadata service that refuses the IMDSv2 token
// request (403, as one configured without IMDSv2 answers) and has no role:
// the SDK falls back to IMDSv1, warns, and finds nothing.
type fakeIMDS struct {
	*httptest.Server
	mu   sync.Mutex
	seen []string
}

func newFakeIMDS(t *testing.T) *fakeIMDS {
	f := &fakeIMDS{}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.seen = append(f.seen, r.Method+" "+r.URL.Path)
		f.mu.Unlock()
		if r.Method == http.MethodPut && r.URL.Path == "/latest/api/token" {
			w.WriteHeader(http.StatusForbidden)
			return
		}
		w.WriteHeader(http.StatusNotFound)
	}))
	t.Cleanup(f.Close)
	return f
}

func (f *fakeIMDS) requests() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.seen...)
}

// childAWSEnv is a child's AWS environment: configuration files that hold
// nothing, IAM and STS at endpoints that must not be reached.
func childAWSEnv(t *testing.T, imds string) map[string]string {
	dir := t.TempDir()
	return map[string]string{"HOME": dir, "AWS_CONFIG_FILE": filepath.Join(dir, "config"), "AWS_SHARED_CREDENTIALS_FILE": filepath.Join(dir, "credentials"),
		"AWS_EC2_METADATA_SERVICE_ENDPOINT": imds, "AWS_ENDPOINT_URL": "http://127.0.0.1:9", "GITHUB_API_URL": "http://127.0.0.1:9"}
}

// TestSetupWithoutCredentials: on a machine with no credentials anywhere
// (no keys, no profile, an instance metadata service that refuses the
// token and has no role), setup and check --role say that there are none
// and how to give them, not "check the network", and the SDK's own
// "falling back to IMDSv1" warning does not reach the terminal.
func TestSetupWithoutCredentials(t *testing.T) {
	t.Parallel()
	imds := newFakeIMDS(t)
	for _, args := range [][]string{
		{"setup", "--repository", testRepo, "--branch", "main", "--repository-id", testRepoID, "--owner-id", testOwnerID},
		{"trust-policy", "check", "--role", "deploy", "--repository", testRepo, "--ref", "refs/heads/main", "--repository-id", testRepoID},
	} {
		code, stdout, stderr := runChild(t, childAWSEnv(t, imds.URL), args...)
		if code == ExitOK || code == ExitUsage {
			t.Errorf("%s: exit %d", args[0], code)
		}
		for _, want := range []string{"no AWS credentials", "what to do: give credentials for the account (setup needs an administrator's): --profile NAME", "aws configure list-profiles", "aws sso login"} {
			if !strings.Contains(stderr, want) {
				t.Errorf("%s: stderr lacks %q:\n%s", args[0], want, stderr)
			}
		}
		for _, bad := range []string{"IMDSv1", "WARN", "check the network"} {
			if strings.Contains(stdout+stderr, bad) {
				t.Errorf("%s: the output has %q:\n%s%s", args[0], bad, stdout, stderr)
			}
		}
	}
	if got := imds.requests(); len(got) == 0 || got[0] != "PUT /latest/api/token" {
		t.Errorf("the fake instance metadata service saw %v: the test did not take the IMDSv1 fallback path", got)
	}
}

// TestSetupFirstErrors: the errors an admin meets first each name the
// problem and the fix, before any call that cannot succeed: a profile that
// does not exist, a malformed or unknown region, a mistyped flag, a
// repository GitHub does not know, and endpoint URLs carrying a password.
func TestSetupFirstErrors(t *testing.T) {
	t.Parallel()
	moto := startMoto(t)
	gh := newFakeGitHubAPI(t)
	env := setupEnv(moto.URL, moto.URL, gh.URL)
	noKeys := map[string]string{"AWS_ENDPOINT_URL": moto.URL, "GITHUB_API_URL": gh.URL}
	closed := map[string]string{"AWS_ENDPOINT_URL": "http://127.0.0.1:9", "GITHUB_API_URL": "http://127.0.0.1:9",
		"AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE", "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}
	ids := []string{"--repository-id", testRepoID, "--owner-id", testOwnerID}
	// moto names the partition after the region asked; STS answers for
	// the credentials' account, whatever the region.
	awsCaller := harness.NewProxy(moto.URL)
	defer awsCaller.Close()
	awsCaller.Faults().ForAction("GetCallerIdentity", harness.STSIdentity(testAccount, "arn:aws:iam::123456789012:user/admin"))
	setupArgs := func(extra ...string) []string {
		return append([]string{"setup", "--repository", testRepo, "--branch", "main", "--role-name", "first-errors"}, extra...)
	}
	with := func(base map[string]string, k, v string) map[string]string {
		m := map[string]string{k: v}
		for kk, vv := range base {
			if kk != k {
				m[kk] = vv
			}
		}
		return m
	}
	for _, tc := range []struct {
		name string
		args []string
		env  map[string]string
		code int
		want []string
		not  []string
	}{
		{"a profile that does not exist", setupArgs(append(ids, "--profile", "nope")...), noKeys, ExitFailure,
			[]string{`--profile "nope": no such profile in the AWS configuration files`, "aws configure list-profiles", "aws configure sso --profile nope"},
			[]string{"failed to get shared config profile"}},
		{"check --role with a profile that does not exist", []string{"trust-policy", "check", "--role", "deploy", "--profile", "nope", "--repository", testRepo, "--ref", "refs/heads/main"}, noKeys, ExitUnreadable,
			[]string{`--profile "nope": no such profile`, "aws configure list-profiles"}, []string{"failed to get shared config profile"}},
		{"AWS_PROFILE that does not exist", setupArgs(ids...), with(noKeys, "AWS_PROFILE", "nope"), ExitFailure,
			[]string{`AWS_PROFILE "nope": no such profile`}, nil},
		{"a malformed region", setupArgs(append(ids, "--region", "euwest1")...), closed, ExitUsage,
			[]string{`--region "euwest1": not an AWS region name`, "eu-west-1"}, nil},
		{"a region with a line break", setupArgs(append(ids, "--region", "us-east-1\nx")...), closed, ExitUsage,
			[]string{`--region "us-east-1\nx": not an AWS region name`}, nil},
		{"an unknown region", setupArgs(append(ids, "--region", "eu-wset-1")...), env, ExitOK,
			[]string{"warning: --region eu-wset-1: not a region of partition aws that this version of aws-oidc-go knows (did you mean eu-west-1?)"}, nil},
		{"a region of another partition", setupArgs(append(ids, "--region", "cn-north-1")...), with(env, "AWS_ENDPOINT_URL_STS", awsCaller.URL), ExitOK,
			[]string{"warning: the region cn-north-1 is in the partition aws-cn, the account 123456789012 in aws", "give --region with a region of aws"}, nil},
		{"a mistyped setup flag", setupArgs("--brnach", "x"), closed, ExitUsage,
			[]string{"unknown flag --brnach (did you mean --branch?)", "setup --help lists every flag"}, []string{"flag provided but not defined"}},
		{"a mistyped setup flag with a value", setupArgs("--role-nmae=x"), closed, ExitUsage,
			[]string{"unknown flag --role-nmae (did you mean --role-name?)"}, nil},
		{"a mistyped check flag", []string{"trust-policy", "check", "--rol", "deploy"}, closed, ExitUsage,
			[]string{"unknown flag --rol (did you mean --role?)"}, []string{"flag provided but not defined"}},
		{"a mistyped generate flag", []string{"trust-policy", "generate", "--acount-id", "123456789012"}, closed, ExitUsage,
			[]string{"unknown flag --acount-id (did you mean --account-id?)"}, nil},
		{"a flag nothing is close to", []string{"trust-policy", "--zzzzzzzzzz"}, closed, ExitUsage,
			[]string{"unknown flag --zzzzzzzzzz\n"}, []string{"did you mean"}},
		{"a repository GitHub does not know, with a token", []string{"setup", "--repository", "octo-org/octo-rpeo", "--branch", "main"}, with(env, "AWS_ENDPOINT_URL_IAM", "http://127.0.0.1:9"), ExitFailure,
			[]string{"--repository octo-org/octo-rpeo: GitHub does not know the repository octo-org/octo-rpeo, or GITHUB_TOKEN cannot read it", "check the name", "--repository-id and --owner-id"},
			[]string{"--sub-format legacy", "legacy sub"}},
		{"a repository GitHub does not know, without a token", []string{"setup", "--repository", "octo-org/octo-rpeo", "--branch", "main"}, with(with(env, "GITHUB_TOKEN", ""), "AWS_ENDPOINT_URL_IAM", "http://127.0.0.1:9"), ExitFailure,
			[]string{"GitHub does not know the repository octo-org/octo-rpeo (GET " + gh.URL + "/repos/octo-org/octo-rpeo: 404, asked without a token)", "GITHUB_TOKEN=$(gh auth token)", "--repository-id and --owner-id"},
			[]string{"--sub-format legacy"}},
		{"AWS_ENDPOINT_URL_IAM with a password", setupArgs(ids...), with(closed, "AWS_ENDPOINT_URL_IAM", "ftp://admin:hunter2secret@iam.example"), ExitFailure,
			[]string{`AWS_ENDPOINT_URL_IAM "ftp://admin:xxxxx@iam.example": want an http(s) URL`}, []string{"hunter2secret"}},
		{"AWS_ENDPOINT_URL_IAM with a password that does not parse", setupArgs(ids...), with(closed, "AWS_ENDPOINT_URL_IAM", "http://admin:hunter2secret@iam.example/%zz"), ExitFailure,
			[]string{`AWS_ENDPOINT_URL_IAM "http://***@iam.example/%zz": want an http(s) URL`}, []string{"hunter2secret"}},
		{"GITHUB_API_URL with a password", setupArgs(), with(env, "GITHUB_API_URL", "ftp://admin:hunter2secret@api.example"), ExitOK,
			[]string{`GITHUB_API_URL "ftp://admin:xxxxx@api.example": want an https URL`}, []string{"hunter2secret"}},
	} {
		code, stdout, stderr := run(tc.args, tc.env)
		if code != tc.code {
			t.Errorf("%s: exit %d, want %d\n%s%s", tc.name, code, tc.code, stdout, stderr)
		}
		for _, w := range tc.want {
			if !strings.Contains(stdout+stderr, w) {
				t.Errorf("%s: output lacks %q:\n%s%s", tc.name, w, stdout, stderr)
			}
		}
		for _, w := range tc.not {
			if strings.Contains(stdout+stderr, w) {
				t.Errorf("%s: output has %q:\n%s%s", tc.name, w, stdout, stderr)
			}
		}
	}
	if out, err := awsCLI(t, moto.URL, "iam", "list-roles"); err != nil || strings.Contains(out, "first-errors") {
		t.Errorf("a role was created: %v %s", err, out)
	}
}

// TestCheckRoleLooksUpIDs: trust-policy check --role in the README's own
// form (no ids) decides a role setup made: the ids are looked up as setup
// looks them up, and said so on stderr; the same policy as a file is
// never looked up (UNDECIDED, naming the flag). --ref main is refused
// with the full ref it may mean, not read as one.
func TestCheckRoleLooksUpIDs(t *testing.T) {
	t.Parallel()
	moto := startMoto(t)
	gh := newFakeGitHubAPI(t)
	env := setupEnv(moto.URL, moto.URL, gh.URL)
	if code, stdout, stderr := run([]string{"setup", "--repository", testRepo, "--branch", "main", "--role-name", "readme-form", "--apply"}, env); code != ExitOK {
		t.Fatalf("setup --apply: exit %d\n%s%s", code, stdout, stderr)
	}
	asked := gh.requests.Load()
	readme := []string{"trust-policy", "check", "--role", "readme-form", "--repository", testRepo, "--ref", "refs/heads/main"}
	code, stdout, stderr := run(readme, env)
	if code != ExitOK || !strings.HasPrefix(stdout, "ALLOWED") || !strings.Contains(stderr, "ids of octo-org/octo-repo from GitHub's API: --repository-id 123456789 --owner-id 65432") {
		t.Errorf("check --role without ids: exit %d, want ALLOWED (0)\n%s%s", code, stdout, stderr)
	}
	if gh.requests.Load() != asked+1 {
		t.Errorf("check --role asked GitHub %d times, want once", gh.requests.Load()-asked)
	}
	// The report is check FILE's with the ids given.
	file := filepath.Join(t.TempDir(), "role.json")
	b, _ := json.Marshal(liveTrust(t, moto.URL, "readme-form"))
	os.WriteFile(file, b, 0o644)
	_, withIDs, _ := run([]string{"trust-policy", "check", file, "--repository", testRepo, "--ref", "refs/heads/main", "--repository-id", testRepoID, "--owner-id", testOwnerID}, env)
	if withIDs != stdout {
		t.Errorf("check --role (ids looked up) and check FILE (ids given) differ:\n%s\n%s", stdout, withIDs)
	}
	// Another branch is still refused, with the ids.
	if code, stdout, _ := run([]string{"trust-policy", "check", "--role", "readme-form", "--repository", testRepo, "--ref", "refs/heads/dev"}, env); code != ExitFailure || !strings.HasPrefix(stdout, "DENIED") {
		t.Errorf("check --role, another branch: exit %d\n%s", code, stdout)
	}
	// A file given offline: never looked up.
	asked = gh.requests.Load()
	code, stdout, stderr = run([]string{"trust-policy", "check", file, "--repository", testRepo, "--ref", "refs/heads/main"}, env)
	if code != ExitUndecided || !strings.Contains(stdout, "--repository-id") || gh.requests.Load() != asked {
		t.Errorf("check FILE without ids: exit %d, GitHub asked %d times\n%s%s", code, gh.requests.Load()-asked, stdout, stderr)
	}
	// A repository GitHub does not know: said, and left undecided.
	code, stdout, stderr = run([]string{"trust-policy", "check", "--role", "readme-form", "--repository", "octo-org/octo-rpeo", "--ref", "refs/heads/main"}, env)
	if code == ExitOK || !strings.Contains(stderr, "GitHub does not know the repository octo-org/octo-rpeo") || !strings.Contains(stderr, "give --repository-id and --owner-id") {
		t.Errorf("check --role for an unknown repository: exit %d\n%s%s", code, stdout, stderr)
	}
	// --ref main: a hint, not a reinterpretation; nothing is read.
	asked = gh.requests.Load()
	code, stdout, stderr = run([]string{"trust-policy", "check", "--role", "readme-form", "--repository", testRepo, "--ref", "main"}, env)
	if code != ExitUsage || !strings.Contains(stderr, `--ref "main": a token's ref is always in full: --ref refs/heads/main for the branch, refs/tags/main for a tag`) || stdout != "" || gh.requests.Load() != asked {
		t.Errorf("check --ref main: exit %d\n%s%s", code, stdout, stderr)
	}
}
