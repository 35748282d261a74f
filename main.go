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
	code := cli.Main(ctx, process())
	stop()
	os.Exit(code)
}

// process is this process as the CLI takes it. The program's path is
// unknown only where the system cannot say (on Linux, without /proc); it
// is then empty and os.Executable's error goes along. Refresh copies the
// running image from /proc/self/exe whatever the path, and needs the path
// only where there is no /proc/self/exe: there it fails naming that error.
// Elsewhere the path names the program in messages, and tells the
// container image's binary (cli.ImageExecutable) from the native action's.
func process() cli.Process {
	exe, err := os.Executable()
	if err != nil {
		exe = ""
	}
	return cli.Process{
		Name:          os.Args[0],
		Args:          os.Args[1:],
		Executable:    exe,
		ExecutableErr: err,
		Getenv:        os.Getenv,
		Stdout:        os.Stdout,
		Stderr:        os.Stderr,
		Root:          os.Geteuid() == 0,
		UID:           os.Geteuid(),
	}
}
