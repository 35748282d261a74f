// Command fanout measures a matrix of jobs against a busy STS: N steps —
// whole processes of the action, started at once the way a matrix starts
// them — against moto behind a token-bucket throttle that answers above its
// rate with STS's own Throttling error (HTTP 400, <Code>Throttling</Code>
// <Message>Rate exceeded</Message>). For each (N, rate) point it runs ours
// (built from the checkout), the incumbent's released bundle under node
// when there is one (../shared/incumbent), another build given with
// -baseline, and ours and the incumbent unthrottled (what N processes at
// once cost this machine without any throttling), one after the other against fresh
// servers, and prints for each: the steps that succeeded, the time to the
// last against (N − burst)/rate — what the rate allows — and the STS and
// token-service requests per step. The figures are printed, never asserted.
// With -model it prints instead the backoff strategies compared on a
// simulated matrix (model.go).
//
//	go run ./internal/dev/fanout [-points 40:10,150:10] [-burst 10] [-incumbent none] [-incumbent-max-n 100] [-baseline path/to/aws-oidc-go] [-model]
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/http/httptest"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/org/aws-oidc-go/internal/dev/harness"
	"github.com/org/aws-oidc-go/internal/inputs"
)

func main() {
	var o options
	points := flag.String("points", "40:10,150:10", "the (N, rate) points: N steps at once against STS throttled to rate requests per second, comma-separated N:RATE")
	flag.Float64Var(&o.burst, "burst", 10, "the throttle's burst (the bucket's size)")
	flag.StringVar(&o.incumbent, "incumbent", "", "the incumbent's dist/index.js (default: the newest bundle under ../shared/incumbent; 'none' to leave it out)")
	flag.IntVar(&o.incumbentMaxN, "incumbent-max-n", 100, "run the incumbent only at points of at most this many steps (each node process holds about 70 MB)")
	flag.StringVar(&o.baseline, "baseline", "", "another build of aws-oidc-go (e.g. main's) to run as \"baseline\" at each point, for a before/after in the same run")
	flag.DurationVar(&o.stepTimeout, "step-timeout", 3*time.Minute, "a step still running after this is killed and counted as failed")
	modelOnly := flag.Bool("model", false, "print the backoff strategies compared in simulated time (seconds, no processes) instead")
	flag.Parse()
	var err error
	if o.points, err = parsePoints(*points); err != nil {
		fmt.Fprintln(os.Stderr, "bench-fanout: -points:", err)
		os.Exit(2)
	}
	if o.burst < 1 {
		fmt.Fprintln(os.Stderr, "bench-fanout: -burst must be at least 1")
		os.Exit(2)
	}
	if *modelOnly {
		model(os.Stdout, o.points, o.burst)
		return
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err = run(ctx, o, os.Stdout)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench-fanout:", err)
		os.Exit(1)
	}
}

type options struct {
	points        []point
	burst         float64
	incumbent     string
	incumbentMaxN int
	baseline      string
	stepTimeout   time.Duration
}

type point struct {
	n    int
	rate float64
}

// parsePoints reads "N:RATE,N:RATE".
func parsePoints(s string) ([]point, error) {
	var ps []point
	for _, f := range strings.Split(s, ",") {
		ns, rs, ok := strings.Cut(strings.TrimSpace(f), ":")
		n, err1 := strconv.Atoi(ns)
		rate, err2 := strconv.ParseFloat(rs, 64)
		if !ok || err1 != nil || err2 != nil || n < 1 || n > 1000 || !(rate > 0) || rate > 10000 {
			return nil, fmt.Errorf("%q is not N:RATE with 1 ≤ N ≤ 1000 and 0 < RATE ≤ 10000 (e.g. 150:10)", f)
		}
		ps = append(ps, point{n, rate})
	}
	return ps, nil
}

// contender is one command run at each point.
type contender struct {
	name        string
	argv        []string
	unthrottled bool
}

// outcome is one contender's run at one point.
type outcome struct {
	ok           int
	last, median time.Duration
	sts, tokens  int64
	firstErr     string
}

func run(ctx context.Context, o options, stdout io.Writer) error {
	fmt.Fprintf(stdout, "machine: %s\n", harness.Machine())
	dir, err := os.MkdirTemp("", "aws-oidc-go-fanout-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	ours := filepath.Join(dir, "aws-oidc-go")
	if err := harness.BuildBench(ctx, ours, "."); err != nil {
		return err
	}
	contenders := []contender{{name: "ours", argv: []string{ours}}}
	if o.baseline != "" {
		argv, err := harness.Baseline("-baseline", o.baseline)
		if err != nil {
			return err
		}
		contenders = append(contenders, contender{name: "baseline", argv: argv})
	}
	incumbent, err := harness.Incumbent("-incumbent", o.incumbent, os.Getenv, stdout)
	if err != nil {
		return err
	}
	if incumbent != nil {
		fmt.Fprintf(stdout, "incumbent: %s\n", strings.Join(incumbent, " "))
		contenders = append(contenders, contender{name: "incumbent", argv: incumbent})
	}
	contenders = append(contenders, contender{name: "ours, unthrottled", argv: []string{ours}, unthrottled: true})
	if incumbent != nil {
		contenders = append(contenders, contender{name: "incumbent, unthrottled", argv: incumbent, unthrottled: true})
	}

	moto, err := harness.StartMoto(ctx)
	if err != nil {
		return err
	}
	defer moto.Close()
	motoURL, err := url.Parse(moto.URL)
	if err != nil {
		return err
	}
	// Warm moto (its first AssumeRoleWithWebIdentity loads its STS model).
	gh := harness.NewTokenService()
	warm := filepath.Join(dir, "warm")
	if err := os.Mkdir(warm, 0o700); err != nil {
		return err
	}
	if err := runStep(ctx, []string{ours}, stepEnv(warm, moto.URL, gh), warm, o.stepTimeout); err != nil {
		gh.Close()
		return fmt.Errorf("a single unthrottled step failed, nothing to measure: %v", err)
	}
	gh.Close()

	for _, p := range o.points {
		bound := time.Duration((float64(p.n) - o.burst) / p.rate * float64(time.Second))
		fmt.Fprintf(stdout, "\nN=%d steps at once, STS throttled to %g/s with a burst of %g: the rate allows the last at (N − burst)/rate = %.1f s\n",
			p.n, p.rate, o.burst, max(bound, 0).Seconds())
		tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "contender\tsucceeded\tlast\tlast/bound\tmedian step\tSTS req/step\ttoken req/step\t")
		var notes []string
		for _, c := range contenders {
			if err := ctx.Err(); err != nil {
				return fmt.Errorf("interrupted: %w", err)
			}
			if strings.HasPrefix(c.name, "incumbent") && p.n > o.incumbentMaxN {
				if c.name == "incumbent" {
					notes = append(notes, fmt.Sprintf("incumbent not run at N=%d (above -incumbent-max-n %d: each node process holds about 70 MB)", p.n, o.incumbentMaxN))
				}
				continue
			}
			rate := p.rate
			if c.unthrottled {
				rate = 0
			}
			out, err := fanOut(ctx, c.argv, p.n, rate, o.burst, moto, motoURL, dir, o.stepTimeout)
			if err != nil {
				return err
			}
			ratio := "-"
			if !c.unthrottled && bound > 0 {
				ratio = fmt.Sprintf("%.2f×", out.last.Seconds()/bound.Seconds())
			}
			fmt.Fprintf(tw, "%s\t%d/%d\t%.1f s\t%s\t%.1f s\t%.2f\t%.2f\t\n", c.name, out.ok, p.n, out.last.Seconds(), ratio,
				out.median.Seconds(), float64(out.sts)/float64(p.n), float64(out.tokens)/float64(p.n))
			if out.firstErr != "" {
				notes = append(notes, fmt.Sprintf("%s: %d failed; the first: %s", c.name, p.n-out.ok, out.firstErr))
			}
		}
		tw.Flush()
		for _, n := range notes {
			fmt.Fprintln(stdout, "  "+n)
		}
	}
	return nil
}

// fanOut starts n steps of argv at once against moto behind a fresh
// throttle (rate 0: none) and a fresh token service, and waits for all.
func fanOut(ctx context.Context, argv []string, n int, rate, burst float64, moto *harness.Moto, motoURL *url.URL, dir string, timeout time.Duration) (outcome, error) {
	gh := harness.NewTokenService()
	defer gh.Close()
	th := NewThrottle(motoURL, &Bucket{Rate: rate, Burst: burst, Now: time.Now})
	srv := httptest.NewServer(th)
	defer srv.Close()
	base, err := os.MkdirTemp(dir, "point-")
	if err != nil {
		return outcome{}, err
	}
	defer os.RemoveAll(base)
	envs := make([][]string, n)
	dirs := make([]string, n)
	for i := range n {
		dirs[i] = filepath.Join(base, strconv.Itoa(i))
		if err := os.Mkdir(dirs[i], 0o700); err != nil {
			return outcome{}, err
		}
		envs[i] = stepEnv(dirs[i], srv.URL, gh)
	}
	type result struct {
		wall time.Duration
		err  error
	}
	results := make([]result, n)
	var wg sync.WaitGroup
	start := time.Now()
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := runStep(ctx, argv, envs[i], dirs[i], timeout)
			results[i] = result{time.Since(start), err}
		}()
	}
	wg.Wait()
	var out outcome
	walls := make([]time.Duration, 0, n)
	for _, r := range results {
		walls = append(walls, r.wall)
		out.last = max(out.last, r.wall)
		if r.err == nil {
			out.ok++
		} else if out.firstErr == "" {
			out.firstErr = r.err.Error()
		}
	}
	slices.Sort(walls)
	out.median = walls[len(walls)/2]
	admitted, refused := th.Requests()
	out.sts = admitted + refused
	out.tokens = int64(len(gh.Requests()))
	return out, ctx.Err()
}

// stepEnv is the environment the runner gives a step of the action: its
// inputs (defaults from action.yml), the token service, the file commands.
func stepEnv(d, sts string, gh *harness.TokenService) []string {
	e, _ := harness.StepEnv(d, map[string]string{
		inputs.RoleToAssume: "arn:aws:iam::123456789012:role/deploy", inputs.AWSRegion: "eu-west-1", inputs.STSEndpoint: sts,
	}, gh.RequestURL, gh.RequestToken, os.Getenv("PATH"))
	return harness.EnvList(e)
}

// runStep runs one step and checks that it exported credentials.
func runStep(ctx context.Context, argv, env []string, dir string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	c, out := harness.Step(ctx, argv, dir, env)
	// Only the step writes to the pipe; on a starved machine copying its
	// last output can lag its exit by seconds.
	c.WaitDelay = 30 * time.Second
	if err := c.Run(); err != nil {
		return fmt.Errorf("%v: %s", err, out.LastLine())
	}
	return harness.Exported(dir)
}
