package harness

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
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
	UnixOnly(t, "a killed test binary's moto_server dies with it (a parent-death signal; Windows does not kill a dead parent's children)")
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
