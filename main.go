// Command aws-oidc-go is a GitHub Action (and CLI) that trades the
// workflow's GitHub OIDC ID token for short-lived AWS credentials.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/org/aws-oidc-go/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	exe, _ := os.Executable()
	code := cli.Main(ctx, cli.Process{Name: os.Args[0], Executable: exe, Args: os.Args[1:], Getenv: os.Getenv, Stdout: os.Stdout, Stderr: os.Stderr, Root: os.Geteuid() == 0, UID: os.Geteuid()})
	stop()
	os.Exit(code)
}
