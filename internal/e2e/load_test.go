package e2e

import (
	"os/exec"
	"sync"
	"testing"
	"time"

	"github.com/org/aws-oidc-go/internal/dev/harness"
)

// TestLoad starts 200 runs of the binary at once against the local token
// service and moto: every one must succeed. It logs the throughput; it
// asserts no time.
func TestLoad(t *testing.T) {
	t.Parallel()
	const n = 200
	moto := harness.SharedMoto(t)
	gh := harness.NewTokenService()
	defer gh.Close()
	steps := make([]*step, n)
	for i := range steps {
		steps[i] = newStep(t, gh, moto.URL)
	}
	var wg sync.WaitGroup
	errs := make([]error, n)
	start := time.Now()
	for i, s := range steps {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cmd := exec.Command(binary)
			cmd.Env, cmd.Dir = s.environ(), s.dir
			errs[i] = cmd.Run()
		}()
	}
	wg.Wait()
	wall := time.Since(start)
	failed := 0
	for i, err := range errs {
		if err != nil {
			failed++
			t.Errorf("run %d: %v", i, err)
		}
	}
	for _, s := range steps {
		if vars, _ := ParseFileCommand(s.fileCommand("set_env_1")); vars["AWS_SESSION_TOKEN"] == "" && failed == 0 {
			t.Error("a successful run exported no session token")
		}
	}
	t.Logf("%d concurrent runs: %d failed, %.1f s, %.0f runs/s", n, failed, wall.Seconds(), float64(n)/wall.Seconds())
}
