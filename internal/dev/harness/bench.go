package harness

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/org/aws-oidc-go/internal/inputs"
)

// What the benchmarks (internal/dev/bench, fanout, latency) share: the
// binary built as they measure it, the incumbent found, a line naming the
// machine, and a step started, waited for and checked.

// BuildBench builds pkg (a package path relative to the working directory,
// "." for the CLI) into out as the benchmarks measure it: stripped,
// trimmed, static, version "bench".
func BuildBench(ctx context.Context, out, pkg string) error {
	build := exec.CommandContext(ctx, "go", "build", "-trimpath", "-ldflags", "-s -w -X github.com/org/aws-oidc-go/internal/version.Version=bench", "-o", out, pkg)
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := build.CombinedOutput(); err != nil {
		return fmt.Errorf("go build %s: %v\n%s", pkg, err, b)
	}
	return nil
}

// Incumbent is the command that runs the incumbent action
// (configure-aws-credentials) under node: the bundle at path, or with
// path "" the newest under ../shared/incumbent; "none": not compared (nil).
// A missing bundle or node is an error under CI=true (getenv), otherwise
// a "not compared" line on notice and nil. flag names the option that
// chose path, for the errors.
func Incumbent(flag, path string, getenv func(string) string, notice io.Writer) ([]string, error) {
	if path == "none" {
		return nil, nil
	}
	if path == "" {
		bundles, _ := filepath.Glob(filepath.Join("..", "shared", "incumbent", "configure-aws-credentials-*", "dist", "index.js"))
		if len(bundles) > 0 {
			path = bundles[len(bundles)-1]
		}
	}
	node, nodeErr := exec.LookPath("node")
	var missing string
	switch {
	case path == "":
		missing = "the incumbent's bundle is not at ../shared/incumbent"
	case nodeErr != nil:
		missing = "node is not installed"
	default:
		abs, err := filepath.Abs(path)
		if err != nil {
			return nil, err
		}
		if _, err := os.Stat(abs); err != nil {
			return nil, fmt.Errorf("%s: %w", flag, err)
		}
		return []string{node, abs}, nil
	}
	if getenv("CI") == "true" {
		return nil, fmt.Errorf("%s (required under CI=true; %s none runs without it)", missing, flag)
	}
	fmt.Fprintf(notice, "not compared: %s\n", missing)
	return nil, nil
}

// Machine describes where the figures were taken: platform, CPUs and
// model, Go, node and the load averages.
func Machine() string {
	cpu := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "model name"); ok {
				cpu = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), ":"))
				break
			}
		}
	}
	nodeV := "no node"
	if out, err := exec.Command("node", "--version").Output(); err == nil {
		nodeV = "node " + strings.TrimSpace(string(out))
	}
	load := ""
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		if f := strings.Fields(string(b)); len(f) >= 3 {
			load = ", load " + strings.Join(f[:3], " ")
		}
	}
	return fmt.Sprintf("%s/%s, %d CPUs (%s), %s, %s%s", runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), cpu, runtime.Version(), nodeV, load)
}

// Step is argv run in dir with exactly env (NAME=value), its output kept
// in out (the last 4 KiB).
func Step(ctx context.Context, argv []string, dir string, env []string) (*exec.Cmd, *Tail) {
	c := exec.CommandContext(ctx, argv[0], argv[1:]...)
	c.Dir, c.Env = dir, env
	out := &Tail{}
	c.Stdout, c.Stderr = out, out
	return c, out
}

// EnvList is env as exec.Cmd.Env wants it.
func EnvList(env map[string]string) []string {
	out := make([]string, 0, len(env))
	for k, v := range env {
		out = append(out, k+"="+v)
	}
	return out
}

// RunTimed runs c and returns the time from its start to its exit.
func RunTimed(c *exec.Cmd) (time.Duration, error) {
	start := time.Now()
	err := c.Run()
	return time.Since(start), err
}

// Exported is nil when the step run in dir exported credentials: its
// GITHUB_ENV file, dir/env, names AWS_ACCESS_KEY_ID.
func Exported(dir string) error {
	b, err := os.ReadFile(filepath.Join(dir, "env"))
	if err != nil || !strings.Contains(string(b), "AWS_ACCESS_KEY_ID") {
		return errors.New("exited 0 but exported no AWS_ACCESS_KEY_ID")
	}
	return nil
}

// Tail keeps the last Max bytes written to it (0: 4 KiB): a failed step's
// last words, moto_server's latest output.
type Tail struct {
	Max int
	mu  sync.Mutex
	b   []byte
}

func (t *Tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	limit := t.Max
	if limit == 0 {
		limit = 4096
	}
	t.b = append(t.b, p...)
	if over := len(t.b) - limit; over > 0 {
		t.b = append(t.b[:0], t.b[over:]...)
	}
	return len(p), nil
}

// String is what was kept.
func (t *Tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.b)
}

// Shown is what was kept, trimmed and redacted (Redact): a step's output
// as an error may show it.
func (t *Tail) Shown() string { return Redact(strings.TrimSpace(t.String())) }

// LastLine is the last non-empty line kept, redacted.
func (t *Tail) LastLine() string {
	lines := strings.Split(t.Shown(), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}

// Baseline is the command of another build of ours to run beside this
// one: path made absolute, which must exist (flag names the option, for
// the error).
func Baseline(flag, path string) ([]string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(abs); err != nil {
		return nil, fmt.Errorf("%s: %w", flag, err)
	}
	return []string{abs}, nil
}

// StepEnv is the environment the runner gives one step of the action
// whose file-command files are made, empty, in d (also its HOME and
// workspace): its inputs with (defaults from action.yml), the token
// service at requestURL with requestToken, the context every runner gives
// a step (the incumbent refuses to run without it), and path as PATH.
func StepEnv(d string, with map[string]string, requestURL, requestToken, path string) (map[string]string, error) {
	for _, f := range []string{"env", "out", "state", "summary"} {
		if err := os.WriteFile(filepath.Join(d, f), nil, 0o644); err != nil {
			return nil, err
		}
	}
	e := inputs.RunnerEnv(with)
	for k, v := range map[string]string{
		"ACTIONS_ID_TOKEN_REQUEST_URL": requestURL, "ACTIONS_ID_TOKEN_REQUEST_TOKEN": requestToken,
		"GITHUB_ENV": filepath.Join(d, "env"), "GITHUB_OUTPUT": filepath.Join(d, "out"),
		"GITHUB_STATE": filepath.Join(d, "state"), "GITHUB_STEP_SUMMARY": filepath.Join(d, "summary"),
		"HOME": d, "AWS_EC2_METADATA_DISABLED": "true", "GITHUB_RUN_ID": "1", "GITHUB_RUN_ATTEMPT": "1",
		"GITHUB_ACTIONS": "true", "GITHUB_REPOSITORY": "octo-org/octo-repo", "GITHUB_WORKFLOW": "deploy", "GITHUB_ACTION": "creds",
		"GITHUB_ACTOR": "octocat", "GITHUB_SHA": "0123456789abcdef0123456789abcdef01234567", "GITHUB_REF": "refs/heads/main", "GITHUB_WORKSPACE": d,
		"PATH": path,
	} {
		e[k] = v
	}
	return e, nil
}
