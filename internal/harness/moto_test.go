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

// TestMain doubles as a helper process: with AWS_OIDC_GO_HELPER=moto it
// starts moto_server, prints its pid and waits to be killed.
func TestMain(m *testing.M) {
	if os.Getenv("AWS_OIDC_GO_HELPER") == "moto" {
		moto, err := StartMoto(context.Background())
		if err != nil {
			fmt.Println("error", err)
			os.Exit(1)
		}
		fmt.Println("pid", moto.cmd.Process.Pid)
		select {}
	}
	os.Exit(m.Run())
}

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

// TestMotoLeavesNoFiles: moto_server's output is kept in memory (Log), so
// neither a clean Close nor a test binary killed outright leaves a file in
// the temporary directory (before: a moto-*.log in /tmp for every killed
// binary, two for every run of this package). Not parallel: it sets TMPDIR.
func TestMotoLeavesNoFiles(t *testing.T) {
	if _, err := exec.LookPath("moto_server"); err != nil {
		Require(t, ErrNoMoto)
	}
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	moto, err := StartMoto(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	moto.Close()
	if log := moto.Log(); !strings.Contains(log, "Running on "+moto.URL) {
		t.Errorf("Log() = %q, want moto_server's start-up lines", log)
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(self, "-test.run=^$")
	cmd.Env = append(os.Environ(), "AWS_OIDC_GO_HELPER=moto")
	out, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if line, err := bufio.NewReader(out).ReadString('\n'); err != nil || !strings.HasPrefix(line, "pid ") {
		t.Errorf("helper said %q, %v", line, err)
	}
	cmd.Process.Kill()
	cmd.Wait()
	entries, err := os.ReadDir(tmp)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		t.Errorf("left behind in TMPDIR: %s", e.Name())
	}
}
