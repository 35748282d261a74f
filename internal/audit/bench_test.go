package audit

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/org/aws-oidc-go/internal/dev/harness"
)

// BenchmarkAudit1000Roles audits an account of 1,000 roles (the table's
// forms, repeated) in moto and prints roles per second and the peak heap
// (figures printed, never asserted: make bench-audit).
func BenchmarkAudit1000Roles(b *testing.B) {
	m, err := harness.StartMoto(context.Background())
	if err != nil {
		harness.Require(b, err)
	}
	defer m.Close()
	var roles []auditCase
	for i := 0; len(roles) < 1000; i++ {
		c := accountRoles[i%len(accountRoles)]
		c.role = fmt.Sprintf("%s-%d", c.role, i)
		roles = append(roles, c)
	}
	if err := populate(m.URL, roles); err != nil {
		b.Fatal(err)
	}
	c := iamClient(b, m.URL)
	var peak atomic.Uint64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // the heap's high-water mark, sampled
		defer wg.Done()
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peak.Load() {
				peak.Store(ms.HeapInuse)
			}
			select {
			case <-stop:
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	}()
	runtime.GC()
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		rep, err := Run(context.Background(), c, Options{})
		if err != nil {
			b.Fatal(err)
		}
		if rep.RolesRead != len(roles) {
			b.Fatalf("%d roles read", rep.RolesRead)
		}
	}
	elapsed := time.Since(start)
	b.StopTimer()
	close(stop)
	wg.Wait()
	rate := float64(len(roles)*b.N) / elapsed.Seconds()
	b.ReportMetric(rate, "roles/s")
	b.ReportMetric(float64(peak.Load())/(1<<20), "peak-heap-MiB")
	fmt.Printf("audit: %d roles in %v a run against moto: %.0f roles/s, peak heap %.1f MiB\n", len(roles), (elapsed / time.Duration(b.N)).Round(time.Millisecond), rate, float64(peak.Load())/(1<<20))
}
