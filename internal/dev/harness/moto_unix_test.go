//go:build unix

package harness

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestMotoDiesWithItsParent: a test binary killed outright (a timeout, a
// panic, SIGKILL) leaves no moto_server behind (before: found orphans hours
// old).
func TestMotoDiesWithItsParent(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("moto_server"); err != nil {
		Require(t, ErrNoMoto)
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	for _, sig := range []syscall.Signal{syscall.SIGKILL, syscall.SIGTERM} {
		cmd := exec.Command(self, "-test.run=^$")
		cmd.Env = append(os.Environ(), "AWS_OIDC_GO_HELPER=moto")
		out, _ := cmd.StdoutPipe()
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		line, err := bufio.NewReader(out).ReadString('\n')
		if err != nil || !strings.HasPrefix(line, "pid ") {
			cmd.Process.Kill()
			t.Fatalf("helper said %q, %v", line, err)
		}
		pid, _ := strconv.Atoi(strings.TrimSpace(strings.TrimPrefix(line, "pid ")))
		cmd.Process.Signal(sig)
		cmd.Wait()
		gone := false
		for i := 0; i < 100 && !gone; i++ {
			gone = errors.Is(syscall.Kill(pid, 0), syscall.ESRCH) || zombie(pid)
			time.Sleep(50 * time.Millisecond)
		}
		if !gone {
			syscall.Kill(pid, syscall.SIGKILL)
			t.Errorf("after %v to its parent, moto_server (pid %d) still runs", sig, pid)
		}
	}
}

// zombie reports a process that has exited but is not yet reaped (its new
// parent, init, reaps it soon).
func zombie(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true
	}
	f := strings.Fields(string(b))
	return len(f) > 2 && f[2] == "Z"
}

// A moto_server that does not come up in time is reported with all of its
// output: StartMoto read it right after the SIGKILL, before Wait had copied
// what was still in the pipe. The fake
// server's last line comes from a process outside its group, 200 ms after
// the kill. Not parallel: it sets PATH and motoStartLimit.
func TestMotoStartTimeoutKeepsItsOutput(t *testing.T) {
	if _, err := exec.LookPath("setsid"); err != nil {
		Require(t, err)
	}
	dir := t.TempDir()
	script := "#!/bin/sh\necho fix16-first-line\nsetsid sh -c 'sleep 0.5; echo fix16-late-line' &\nexec sleep 30\n"
	if err := os.WriteFile(dir+"/moto_server", []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
	old := motoStartLimit
	motoStartLimit = 300 * time.Millisecond
	defer func() { motoStartLimit = old }()
	_, err := StartMoto(context.Background())
	if err == nil || !strings.Contains(err.Error(), "fix16-first-line") || !strings.Contains(err.Error(), "fix16-late-line") {
		t.Errorf("error %v: want the fake server's whole output", err)
	}
	time.Sleep(600 * time.Millisecond) // the last setsid shell is done
}
