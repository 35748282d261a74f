package harness

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
)

// PeakRSSKiB runs cmd under GNU time and returns its peak resident set in
// KiB. Reading the rusage of a child started from Go is wrong here: Go
// spawns with vfork, so the child's maximum RSS includes the parent's
// memory at exec time. GNU time forks a small process instead.
func PeakRSSKiB(cmd *exec.Cmd) (int64, error) {
	timeBin, err := exec.LookPath("time")
	if err != nil {
		if _, serr := os.Stat("/usr/bin/time"); serr != nil {
			return 0, errors.New("GNU time is not installed (Debian package time)")
		}
		timeBin = "/usr/bin/time"
	}
	out, err := os.CreateTemp("", "rss-")
	if err != nil {
		return 0, err
	}
	out.Close()
	defer os.Remove(out.Name())
	wrapped := exec.Command(timeBin, append([]string{"-f", "%M", "-o", out.Name(), cmd.Path}, cmd.Args[1:]...)...)
	wrapped.Env, wrapped.Dir, wrapped.Stdout, wrapped.Stderr = cmd.Env, cmd.Dir, cmd.Stdout, cmd.Stderr
	runErr := wrapped.Run()
	b, err := os.ReadFile(out.Name())
	if err != nil {
		return 0, err
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	kib, err := strconv.ParseInt(strings.TrimSpace(lines[len(lines)-1]), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("GNU time printed %q: %w", b, err)
	}
	return kib, runErr
}
