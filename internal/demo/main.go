// Command demo runs the action end to end on this machine: it starts
// moto_server (standing in for STS) and a fake GitHub token service, runs the
// action as the runner would, prints the step's log as the runner shows it
// (masked values as ***), what it exported, and then runs the AWS CLI as the
// next step would.
//
//	go run ./internal/demo [-- extra INPUT_NAME=value ...]
package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"sort"
	"strings"
	"syscall"

	"github.com/org/aws-oidc-go/internal/cli"
	"github.com/org/aws-oidc-go/internal/harness"
	"github.com/org/aws-oidc-go/internal/inputs"
)

func main() {
	// Ctrl-C or a kill ends run through ctx, so its defers stop moto and
	// remove the temporary directory.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:])
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	fmt.Println("== starting moto_server (STS) and a fake GitHub token service")
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
	fmt.Println("== the step (as the runner shows it)")
	var log bytes.Buffer
	code := cli.Main(ctx, cli.Process{Getenv: func(k string) string { return env[k] }, Stdout: &log, Stderr: &log})
	fmt.Print(indent(harness.Redact(log.String())))
	fmt.Printf("   (exit code %d)\n", code)

	exported := readVars(envFile)
	fmt.Println("== GITHUB_ENV (values of secrets shown as ***)")
	fmt.Print(indent(harness.RedactValues(listing(exported), harness.Masks(log.String()))))
	fmt.Println("== GITHUB_OUTPUT")
	fmt.Print(indent(listing(readVars(outFile))))
	if code != 0 {
		return fmt.Errorf("the action failed")
	}

	awsCLI, err := exec.LookPath("aws")
	if err != nil {
		fmt.Println("== (no aws CLI installed: skipping the next step)")
		return nil
	}
	fmt.Println("== next step: aws sts get-caller-identity")
	cmd := exec.Command(awsCLI, "sts", "get-caller-identity", "--output", "json")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir, "AWS_ENDPOINT_URL=" + moto.URL, "AWS_EC2_METADATA_DISABLED=true"}
	for k, v := range exported {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	out, err := cmd.CombinedOutput()
	fmt.Print(indent(string(out)))
	return err
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
