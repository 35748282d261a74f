package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/org/aws-oidc-go/internal/dev/harness"
)

// BenchmarkActionProcess measures the whole action from exec to exit, as the
// runner starts it, against local moto and the fake token service: one token
// request and one AssumeRoleWithWebIdentity per run. It
// reports the median and p95 wall time, the peak RSS of the worst run and
// the binary size. Run it with a fixed count:
//
//	go test ./internal/e2e -run '^$' -bench ActionProcess -benchtime 200x
func BenchmarkActionProcess(b *testing.B) {
	moto := harness.SharedMoto(b)
	gh := harness.NewTokenService()
	defer gh.Close()
	s := newStep(b, gh, moto.URL)
	env := s.environ()
	dir := filepath.Join(s.dir, "workspace")

	// Warm moto and the page cache once, outside the measurement.
	s.run()
	if s.exitCode != 0 {
		b.Fatalf("warm-up run failed (exit %d):\n%s", s.exitCode, s.log())
	}

	times := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		cmd := exec.Command(binary)
		cmd.Env, cmd.Dir = env, dir
		start := time.Now()
		if err := cmd.Run(); err != nil {
			b.Fatalf("run %d: %v", i, err)
		}
		times = append(times, time.Since(start))
	}
	b.StopTimer()
	reportLatency(b, times)
	// Peak RSS from a few runs under GNU time (see harness.PeakRSSKiB).
	var peak int64
	for i := 0; i < 10; i++ {
		cmd := exec.Command(binary)
		cmd.Env, cmd.Dir = env, dir
		kib, err := harness.PeakRSSKiB(cmd)
		if err != nil {
			b.Fatalf("measuring RSS: %v", err)
		}
		peak = max(peak, kib)
	}
	b.ReportMetric(float64(peak)/1024, "MiB-peak-RSS")
	if fi, err := os.Stat(binary); err == nil {
		b.ReportMetric(float64(fi.Size())/(1<<20), "MiB-binary")
	}
}

// BenchmarkColdStart is the process start alone: aws-oidc-go --version.
func BenchmarkColdStart(b *testing.B) {
	times := make([]time.Duration, 0, b.N)
	for i := 0; i < b.N; i++ {
		start := time.Now()
		if err := exec.Command(binary, "--version").Run(); err != nil {
			b.Fatal(err)
		}
		times = append(times, time.Since(start))
	}
	reportLatency(b, times)
}

func reportLatency(b *testing.B, times []time.Duration) {
	if len(times) == 0 {
		return
	}
	slices.Sort(times)
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	b.ReportMetric(ms(times[len(times)/2]), "ms-median")
	b.ReportMetric(ms(times[(len(times)*95+99)/100-1]), "ms-p95")
	b.ReportMetric(0, "ns/op") // wall time per op is the median above, not the loop average
}
