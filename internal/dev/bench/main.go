// Command bench measures the action as a whole process, the way the runner
// runs it, against local moto and the fake token service: wall time
// (median, p95) and peak RSS per scenario, time to fail on AccessDenied,
// cold start, binary and image size, and a concurrent load run. Given
// --compare 'CMD ARGS' (e.g. 'node path/to/dist/index.js' of the incumbent)
// it runs that command in the same loop against the same servers,
// interleaved with ours, and prints the ratios.
//
//	go run ./internal/dev/bench [-runs 100] [-load 200] [-compare 'node dist/index.js'] [-image aws-oidc-go:test]
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/org/aws-oidc-go/internal/dev/harness"
	"github.com/org/aws-oidc-go/internal/inputs"
)

func main() {
	runs := flag.Int("runs", 100, "runs per scenario and command")
	load := flag.Int("load", 200, "concurrent runs in the load test (0: skip)")
	compare := flag.String("compare", "", "another action's command to run interleaved in the same loop (default: the incumbent's bundle from ../shared/incumbent under node; 'none' for none)")
	image := flag.String("image", os.Getenv("AWS_OIDC_GO_IMAGE"), "image whose size to report (needs docker)")
	flag.Parse()
	// Ctrl-C, a kill or a timeout ends run through ctx, so its defers stop
	// moto and remove the temporary directory.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, *runs, *load, *compare, *image)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

type sample struct {
	wall   time.Duration
	rssKiB int64
	ok     bool
}

type result struct {
	name    string
	ours    []sample
	theirs  []sample
	failing bool // the scenario is expected to fail (time to fail)
}

// otherCommand is the command of the action to compare with: the flag's,
// or by default the incumbent's released bundle under node (see
// harness.Incumbent).
func otherCommand(compare string) ([]string, error) {
	switch compare {
	case "none", "":
		return harness.Incumbent("-compare", compare, os.Getenv, os.Stdout)
	}
	return strings.Fields(compare), nil
}

func run(ctx context.Context, runs, load int, compare, image string) error {
	fmt.Printf("machine: %s\n", harness.Machine())
	dir, err := os.MkdirTemp("", "aws-oidc-go-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	bin := filepath.Join(dir, "aws-oidc-go")
	if err := harness.BuildBench(ctx, bin, "."); err != nil {
		return err
	}
	moto, err := harness.StartMoto(ctx)
	if err != nil {
		return err
	}
	defer moto.Close()
	gh := harness.NewTokenService()
	defer gh.Close()
	denied := harness.NewProxy(moto.URL)
	defer denied.Close()
	denied.Faults().Always(harness.FaultAccessDenied)

	base := func(d string) map[string]string {
		env, _ := harness.StepEnv(d, map[string]string{
			inputs.RoleToAssume: "arn:aws:iam::123456789012:role/deploy", inputs.AWSRegion: "eu-west-1", inputs.STSEndpoint: moto.URL,
		}, gh.RequestURL, gh.RequestToken, os.Getenv("PATH"))
		return env
	}
	scenarios := []struct {
		name    string
		args    []string
		env     func(map[string]string)
		failing bool
	}{
		{"OIDC", nil, func(map[string]string) {}, false},
		{"keys + role", nil, func(e map[string]string) {
			e["INPUT_AWS-ACCESS-KEY-ID"], e["INPUT_AWS-SECRET-ACCESS-KEY"] = "AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
		}, false},
		{"role chaining", nil, func(e map[string]string) {
			e["INPUT_ROLE-CHAINING"] = "true"
			e["AWS_ACCESS_KEY_ID"], e["AWS_SECRET_ACCESS_KEY"] = "AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
		}, false},
		{"AccessDenied (time to fail)", nil, func(e map[string]string) { e["INPUT_STS-ENDPOINT"] = denied.URL }, true},
		{"cold start (--version)", []string{"--version"}, func(map[string]string) {}, false},
	}
	theirs, err := otherCommand(compare)
	if err != nil {
		return err
	}
	if theirs != nil {
		fmt.Printf("compared with: %s\n", strings.Join(theirs, " "))
	}
	var results []result
	for _, sc := range scenarios {
		d, _ := os.MkdirTemp(dir, "run-")
		env := base(d)
		sc.env(env)
		res := result{name: sc.name, failing: sc.failing}
		ours := append([]string{bin}, sc.args...)
		// Warm up moto and the page cache outside the measurement.
		measure(ours, env, d)
		for i := 0; i < runs; i++ {
			if err := ctx.Err(); err != nil {
				return fmt.Errorf("interrupted: %w", err)
			}
			res.ours = append(res.ours, measure(ours, base(d), d, sc.env))
			// The other action's failure scenarios retry for about a
			// minute each: run those once, not per iteration.
			if theirs != nil && sc.args == nil && (!sc.failing || i == 0) {
				res.theirs = append(res.theirs, measure(theirs, base(d), d, sc.env))
			}
		}
		results = append(results, res)
	}

	w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	header := "scenario\truns\tmedian\tp95\tpeak RSS\tfailures\t"
	if theirs != nil {
		header += "other runs\tother median\tother p95\tother RSS\tother failures\tother/ours time\tother/ours RSS\t"
	}
	fmt.Fprintln(w, header)
	for _, r := range results {
		med, p95, rss, bad := stats(r.ours, r.failing)
		line := fmt.Sprintf("%s\t%d\t%s\t%s\t%.1f MiB\t%d\t", r.name, timed(r.ours), ms(med), ms(p95), float64(rss)/1024, bad)
		if theirs != nil && len(r.theirs) > 0 {
			tm, tp, trss, tbad := stats(r.theirs, r.failing)
			theirRSS := "-"
			if trss > 0 {
				theirRSS = fmt.Sprintf("%.1f MiB", float64(trss)/1024)
			}
			rssRatio := "-"
			if trss > 0 && rss > 0 {
				rssRatio = fmt.Sprintf("%.1f×", float64(trss)/float64(rss))
			}
			line += fmt.Sprintf("%d\t%s\t%s\t%s\t%d\t%.1f×\t%s\t", timed(r.theirs), ms(tm), ms(tp), theirRSS, tbad, float64(tm)/float64(med), rssRatio)
		}
		fmt.Fprintln(w, line)
	}
	w.Flush()

	if fi, err := os.Stat(bin); err == nil {
		fmt.Printf("\nbinary size: %.1f MiB (stripped, %s/%s)\n", float64(fi.Size())/(1<<20), runtime.GOOS, runtime.GOARCH)
	}
	if image != "" {
		if out, err := exec.Command("docker", "image", "inspect", "--format", "{{.Size}}", image).Output(); err == nil {
			var size float64
			fmt.Sscan(strings.TrimSpace(string(out)), &size)
			fmt.Printf("image size: %.1f MB (%s)\n", size/1e6, image)
		}
	}
	if load > 0 {
		return loadTest(bin, load, dir, base)
	}
	return nil
}

// rssEvery: every this many runs the peak RSS is measured (under GNU time,
// whose own start-up would blur the wall time of that run, so its wall
// time is not counted).
const rssEvery = 5

var runCount int

// measure runs cmd once and reports its wall time, or its peak RSS.
func measure(cmd []string, env map[string]string, dir string, mods ...func(map[string]string)) sample {
	for _, m := range mods {
		m(env)
	}
	c, _ := harness.Step(context.Background(), cmd, dir, harness.EnvList(env))
	runCount++
	if runCount%rssEvery == 0 {
		kib, err := harness.PeakRSSKiB(c)
		return sample{rssKiB: kib, ok: err == nil, wall: -1}
	}
	wall, err := harness.RunTimed(c)
	return sample{wall: wall, ok: err == nil}
}

// stats returns median, p95, the worst peak RSS and the number of runs that
// did not end as the scenario expects.
func stats(ss []sample, failing bool) (med, p95 time.Duration, rss int64, bad int) {
	d := make([]time.Duration, 0, len(ss))
	for _, s := range ss {
		if s.wall >= 0 {
			d = append(d, s.wall)
		}
		rss = max(rss, s.rssKiB)
		if s.ok == failing {
			bad++
		}
	}
	slices.Sort(d)
	if len(d) == 0 {
		return 0, 0, rss, bad
	}
	return d[len(d)/2], d[(len(d)*95+99)/100-1], rss, bad
}

// timed counts the runs whose wall time was measured.
func timed(ss []sample) int {
	n := 0
	for _, s := range ss {
		if s.wall >= 0 {
			n++
		}
	}
	return n
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }

// loadTest starts n runs at once and reports failures and throughput.
func loadTest(bin string, n int, dir string, base func(string) map[string]string) error {
	var wg sync.WaitGroup
	var mu sync.Mutex
	failures := 0
	var worst time.Duration
	start := time.Now()
	for i := 0; i < n; i++ {
		d, _ := os.MkdirTemp(dir, "load-")
		env := base(d)
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, _ := harness.Step(context.Background(), []string{bin}, d, harness.EnvList(env))
			wall, err := harness.RunTimed(c)
			s := sample{ok: err == nil, wall: wall}
			mu.Lock()
			defer mu.Unlock()
			if !s.ok {
				failures++
			}
			worst = max(worst, s.wall)
		}()
	}
	wg.Wait()
	wall := time.Since(start)
	fmt.Printf("load: %d concurrent runs, %d failed, %.1f s wall, %.0f runs/s, slowest %s\n",
		n, failures, wall.Seconds(), float64(n)/wall.Seconds(), ms(worst))
	if failures > 0 {
		return fmt.Errorf("%d of %d concurrent runs failed", failures, n)
	}
	return nil
}
