package e2e

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/org/aws-oidc-go/internal/dev/harness"
)

// binary is the action built once for the package's tests.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "aws-oidc-go-e2e-")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "aws-oidc-go")
	if pre := os.Getenv("AWS_OIDC_GO_E2E_BINARY"); pre != "" {
		// Built beforehand (make test-windows: a Windows process under
		// Wine cannot run this machine's go).
		binary = pre
	} else if out, err := goBuild(binary); err != nil {
		fmt.Fprintf(os.Stderr, "building the action: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	harness.StopShared()
	os.RemoveAll(dir)
	os.Exit(code)
}

// goBuild builds the action into binary.
func goBuild(binary string) ([]byte, error) {
	build := exec.Command("go", "build", "-trimpath", "-ldflags", "-s -w -X github.com/org/aws-oidc-go/internal/version.Version=v0.0.0-e2e", "-o", binary, ".")
	build.Dir = repoRoot()
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	return build.CombinedOutput()
}

func repoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// actionYAML is the part of action.yml the runner reads to start the action.
type actionYAML struct {
	Inputs map[string]struct {
		Description string  `yaml:"description"`
		Required    bool    `yaml:"required"`
		Default     *string `yaml:"default"`
	} `yaml:"inputs"`
	Outputs map[string]struct {
		Description string `yaml:"description"`
	} `yaml:"outputs"`
	Runs struct {
		Using          string `yaml:"using"`
		Image          string `yaml:"image"`
		PostEntrypoint string `yaml:"post-entrypoint"`
	} `yaml:"runs"`
}

func loadActionYAML(t testing.TB) actionYAML {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot(), "action.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var a actionYAML
	if err := yaml.Unmarshal(b, &a); err != nil {
		t.Fatalf("action.yml: %v", err)
	}
	return a
}

// step is one container-action step as the runner starts it.
type step struct {
	t        testing.TB
	dir      string // runner temp: file commands, home, workspace
	with     map[string]string
	env      map[string]string // job/step env
	gh       *harness.TokenService
	stsURL   string
	stdout   bytes.Buffer
	stderr   bytes.Buffer
	exitCode int
}

func newStep(t testing.TB, gh *harness.TokenService, stsURL string) *step {
	t.Helper()
	s := &step{t: t, dir: t.TempDir(), gh: gh, stsURL: stsURL,
		with: map[string]string{
			"role-to-assume": "arn:aws:iam::123456789012:role/deploy",
			"aws-region":     "eu-west-1",
		},
		env: map[string]string{"AWS_ENDPOINT_URL_STS": stsURL},
	}
	for _, d := range []string{"_runner_file_commands", "_github_home", "_github_workflow", "workspace"} {
		if err := os.MkdirAll(filepath.Join(s.dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range []string{"set_env_1", "set_output_1", "save_state_1", "add_path_1", "step_summary_1"} {
		os.WriteFile(filepath.Join(s.dir, "_runner_file_commands", f), nil, 0o644)
	}
	return s
}

// proxiedStep is a step whose STS traffic goes through a recording,
// fault-injecting proxy in front of moto, with its own token service.
func proxiedStep(t *testing.T, moto *harness.Moto) (*step, *harness.Proxy) {
	t.Helper()
	gh := harness.NewTokenService()
	t.Cleanup(gh.Close)
	proxy := harness.NewProxy(moto.URL)
	t.Cleanup(proxy.Close)
	return newStep(t, gh, proxy.URL), proxy
}

// environ is the environment the runner gives the container: job env,
// GITHUB_*/RUNNER_* context, the token service, and every declared input
// as INPUT_<NAME> (hyphens kept) with action.yml's default when not given.
func (s *step) environ() []string {
	a := loadActionYAML(s.t)
	fc := filepath.Join(s.dir, "_runner_file_commands")
	env := map[string]string{
		"HOME":                           filepath.Join(s.dir, "_github_home"),
		"GITHUB_WORKSPACE":               filepath.Join(s.dir, "workspace"),
		"GITHUB_EVENT_PATH":              filepath.Join(s.dir, "_github_workflow", "event.json"),
		"GITHUB_ENV":                     filepath.Join(fc, "set_env_1"),
		"GITHUB_OUTPUT":                  filepath.Join(fc, "set_output_1"),
		"GITHUB_STATE":                   filepath.Join(fc, "save_state_1"),
		"GITHUB_PATH":                    filepath.Join(fc, "add_path_1"),
		"GITHUB_STEP_SUMMARY":            filepath.Join(fc, "step_summary_1"),
		"GITHUB_ACTIONS":                 "true",
		"CI":                             "true",
		"GITHUB_REPOSITORY":              "octo-org/octo-repo",
		"GITHUB_RUN_ID":                  "9876543210",
		"GITHUB_RUN_ATTEMPT":             "1",
		"GITHUB_WORKFLOW":                "deploy",
		"GITHUB_REF":                     "refs/heads/main",
		"GITHUB_SHA":                     "example-sha-0123456789abcdef0123456789ab",
		"RUNNER_OS":                      "Linux",
		"RUNNER_ARCH":                    "X64",
		"RUNNER_TEMP":                    s.dir,
		"ACTIONS_ID_TOKEN_REQUEST_URL":   s.gh.RequestURL,
		"ACTIONS_ID_TOKEN_REQUEST_TOKEN": s.gh.RequestToken,
	}
	for k, v := range s.env {
		env[k] = v
	}
	for name, in := range a.Inputs {
		v, given := s.with[name]
		if !given && in.Default != nil {
			v = *in.Default
		}
		env["INPUT_"+strings.ToUpper(strings.ReplaceAll(name, " ", "_"))] = v
	}
	var out []string
	for k, v := range env {
		if v == "\x00unset" {
			continue
		}
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out
}

// run starts the action and waits for it.
func (s *step) run(args ...string) {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Env = s.environ()
	cmd.Dir = filepath.Join(s.dir, "workspace")
	cmd.Stdout, cmd.Stderr = &s.stdout, &s.stderr
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		s.exitCode = ee.ExitCode()
	} else if err != nil {
		s.t.Fatalf("running the action: %v", err)
	}
}

func (s *step) fileCommand(name string) string {
	b, err := os.ReadFile(filepath.Join(s.dir, "_runner_file_commands", name))
	if err != nil {
		s.t.Fatal(err)
	}
	return string(b)
}

// log is everything the step printed, as the runner shows it (masked).
func (s *step) log() string { return harness.Redact(s.stdout.String() + s.stderr.String()) }

// ParseFileCommand reads a GITHUB_ENV / GITHUB_OUTPUT file the way the
// runner does: NAME=value lines and NAME<<DELIMITER blocks.
func ParseFileCommand(text string) (map[string]string, error) {
	vars := map[string]string{}
	lines := strings.Split(text, "\n")
	for i := 0; i < len(lines); i++ {
		line := lines[i]
		if line == "" {
			continue
		}
		eq, hd := strings.Index(line, "="), strings.Index(line, "<<")
		if eq >= 0 && (hd < 0 || eq < hd) {
			vars[line[:eq]] = line[eq+1:]
			continue
		}
		if hd < 0 {
			return nil, fmt.Errorf("line %d: neither NAME=value nor NAME<<DELIM", i+1)
		}
		name, delim := line[:hd], line[hd+2:]
		var val []string
		for i++; i < len(lines) && lines[i] != delim; i++ {
			val = append(val, lines[i])
		}
		if i == len(lines) {
			return nil, fmt.Errorf("%s: delimiter %q never closes", name, delim)
		}
		vars[name] = strings.Join(val, "\n")
	}
	return vars, nil
}
