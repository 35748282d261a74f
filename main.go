// Command aws-oidc-go is a GitHub Action (and CLI) that trades the
// workflow's GitHub OIDC ID token for short-lived AWS credentials.
package main

import (
	"context"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/org/aws-oidc-go/internal/cli"
)

// gcPercent is the collector's target for this short-lived process: at
// Go's default of 100 the heap left by package init (about 1 MB) plus the
// run's own allocations cross the first 4 MB goal, and one collection
// cycle, its mark workers and its sweep cost CPU in every run; at 400 the
// first goal is 16 MB, which a run does not reach. A GOGC in the
// environment still wins.
const gcPercent = 400

func main() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	exe, _ := os.Executable()
	code := cli.Main(ctx, cli.Process{Name: os.Args[0], Executable: exe, Args: os.Args[1:], Getenv: os.Getenv, Stdout: os.Stdout, Stderr: os.Stderr, Root: os.Geteuid() == 0, UID: os.Geteuid()})
	stop()
	os.Exit(code)
}
