// Command demo runs the action end to end on this machine: it starts
// moto_server (standing in for STS) and a fake GitHub token service, runs the
// action as the runner would, prints the step's log as the runner shows it
// (masked values as ***), what it exported, and then runs the AWS CLI as the
// next step would.
//
//	go run ./internal/dev/demo [-- extra INPUT_NAME=value ...]
package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"sort"
	"strings"
	"syscall"

	"github.com/org/aws-oidc-go/internal/cli"
	"github.com/org/aws-oidc-go/internal/dev/harness"
	"github.com/org/aws-oidc-go/internal/inputs"
)

func main() {
	// Ctrl-C or a kill ends run through ctx, so its defers stop moto and
	// remove the temporary directory.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Stdout, os.Args[1:])
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}

// secretNames are the variables and outputs whose values the demo never
// prints, whatever the step's log masked: off a runner (no GITHUB_ACTIONS)
// the step writes no ::add-mask:: lines.
var secretNames = map[string]bool{
	"AWS_SECRET_ACCESS_KEY": true, "AWS_SESSION_TOKEN": true,
	"aws-secret-access-key": true, "aws-session-token": true,
}

func run(ctx context.Context, w io.Writer, args []string) error {
	fmt.Fprintln(w, "== starting moto_server (STS) and a fake GitHub token service")
	moto, err := harness.StartMoto(ctx)
	if err != nil {
		return err
	}
	defer moto.Close()
	gh := harness.NewTokenService()
	defer gh.Close()

	dir, err := os.MkdirTemp("", "aws-oidc-go-demo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	envFile, outFile := filepath.Join(dir, "set_env"), filepath.Join(dir, "set_output")
	for _, k := range []string{"AWS_CA_BUNDLE", "AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"} {
		os.Unsetenv(k)
	}
	// The README's quick start, as the runner passes it (defaults filled in).
	env := inputs.RunnerEnv(map[string]string{
		inputs.RoleToAssume: "arn:aws:iam::123456789012:role/deploy",
		inputs.AWSRegion:    "eu-west-1",
	})
	for k, v := range map[string]string{
		"AWS_ENDPOINT_URL_STS":           moto.URL,
		"ACTIONS_ID_TOKEN_REQUEST_URL":   gh.RequestURL,
		"ACTIONS_ID_TOKEN_REQUEST_TOKEN": gh.RequestToken,
		"GITHUB_ENV":                     envFile,
		"GITHUB_OUTPUT":                  outFile,
		"GITHUB_RUN_ID":                  "1",
		"GITHUB_RUN_ATTEMPT":             "1",
	} {
		env[k] = v
	}
	for _, a := range args {
		if k, v, ok := strings.Cut(a, "="); ok {
			env[k] = v
		}
	}
	// The AWS SDK reads its own settings from the process environment, as
	// it does inside the action's container.
	os.Setenv("AWS_ENDPOINT_URL_STS", env["AWS_ENDPOINT_URL_STS"])
	fmt.Fprintln(w, "== the step (as the runner shows it, secrets as ***)")
	var log bytes.Buffer
	code := cli.Main(ctx, cli.Process{Getenv: func(k string) string { return env[k] }, Stdout: &log, Stderr: &log})
	exported, outputs := readVars(envFile), readVars(outFile)
	secrets := append(harness.Masks(log.String()), gh.RequestToken)
	secrets = append(secrets, gh.Issued()...)
	secrets = append(secrets, secretValues(exported)...)
	secrets = append(secrets, secretValues(outputs)...)
	fmt.Fprint(w, indent(harness.RedactValues(log.String(), secrets)))
	fmt.Fprintf(w, "   (exit code %d)\n", code)

	fmt.Fprintln(w, "== GITHUB_ENV (values of secrets shown as ***)")
	fmt.Fprint(w, indent(harness.RedactValues(listing(exported), secrets)))
	fmt.Fprintln(w, "== GITHUB_OUTPUT (values of secrets shown as ***)")
	fmt.Fprint(w, indent(harness.RedactValues(listing(outputs), secrets)))
	if code != 0 {
		return fmt.Errorf("the action failed")
	}

	awsCLI, err := exec.LookPath("aws")
	if err != nil {
		fmt.Fprintln(w, "== (no aws CLI installed: skipping the next step)")
		return nil
	}
	fmt.Fprintln(w, "== next step: aws sts get-caller-identity")
	cmd := exec.Command(awsCLI, "sts", "get-caller-identity", "--output", "json")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir, "AWS_ENDPOINT_URL=" + moto.URL, "AWS_EC2_METADATA_DISABLED=true"}
	for k, v := range exported {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	out, err := cmd.CombinedOutput()
	fmt.Fprint(w, indent(harness.RedactValues(string(out), secrets)))
	return err
}

// secretValues are the non-empty values of vars named in secretNames.
func secretValues(vars map[string]string) []string {
	var v []string
	for k, val := range vars {
		if secretNames[k] && val != "" {
			v = append(v, val)
		}
	}
	return v
}

func readVars(path string) map[string]string {
	b, _ := os.ReadFile(path)
	m := map[string]string{}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok {
			m[k] = v
		}
	}
	return m
}

func listing(m map[string]string) string {
	var lines []string
	for k, v := range m {
		lines = append(lines, k+"="+v)
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n") + "\n"
}

func indent(s string) string {
	s = strings.TrimRight(s, "\n")
	if s == "" {
		return ""
	}
	return "   " + strings.ReplaceAll(s, "\n", "\n   ") + "\n"
}
