package main

import (
	"container/heap"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"slices"
	"text/tabwriter"
)

// The model: the same matrix in simulated time, to compare backoff
// strategies over many runs in seconds rather than processes in minutes.
// N steps start uniformly within modelSpread (process start-up on a busy
// machine), each request takes modelLatency, the bucket is the same token
// bucket, a step gives up after modelAttempts (retry-max-attempts' default).
const (
	modelSpread   = 2.5  // s
	modelLatency  = 0.05 // s
	modelAttempts = 12
	modelRuns     = 200
)

// backoff is a strategy: the wait after failed attempt n (1-based), given
// the previous wait.
type backoff struct {
	name string
	next func(r *rand.Rand, n int, prev float64) float64
}

func fullJitter(base, limit float64) func(*rand.Rand, int, float64) float64 {
	return func(r *rand.Rand, n int, _ float64) float64 {
		return r.Float64() * math.Min(limit, base*math.Pow(2, float64(n-1)))
	}
}

func equalJitter(base, limit float64) func(*rand.Rand, int, float64) float64 {
	return func(r *rand.Rand, n int, _ float64) float64 {
		w := math.Min(limit, base*math.Pow(2, float64(n-1)))
		return w/2 + r.Float64()*w/2
	}
}

// decorrelated is exchange.Retrier's wait after throttling.
func decorrelated(lo, hi float64) func(*rand.Rand, int, float64) float64 {
	return func(r *rand.Rand, _ int, prev float64) float64 {
		prev = math.Max(prev, lo)
		return math.Min(hi, lo+r.Float64()*(3*prev-lo))
	}
}

var strategies = []backoff{
	{"full jitter 200 ms doubling to 10 s (before)", fullJitter(0.2, 10)},
	{"full jitter 1 s doubling to 10 s", fullJitter(1, 10)},
	{"full jitter 50 ms doubling to 10 s", fullJitter(0.05, 10)},
	{"full jitter 200 ms doubling to 5 s", fullJitter(0.2, 5)},
	{"full jitter 1 s doubling to 5 s", fullJitter(1, 5)},
	{"equal jitter 200 ms doubling to 10 s", equalJitter(0.2, 10)},
	{"decorrelated 200 ms..10 s", decorrelated(0.2, 10)},
	{"decorrelated 500 ms..5 s", decorrelated(0.5, 5)},
	{"decorrelated 750 ms..5 s", decorrelated(0.75, 5)},
	{"decorrelated 1 s..4 s", decorrelated(1, 4)},
	{"decorrelated 1 s..5 s (now)", decorrelated(1, 5)},
	{"decorrelated 1 s..10 s", decorrelated(1, 10)},
}

type modelEvent struct {
	t    float64
	step int
}

type events []modelEvent

func (e events) Len() int           { return len(e) }
func (e events) Less(i, j int) bool { return e[i].t < e[j].t }
func (e events) Swap(i, j int)      { e[i], e[j] = e[j], e[i] }
func (e *events) Push(x any)        { *e = append(*e, x.(modelEvent)) }
func (e *events) Pop() any {
	o := *e
	x := o[len(o)-1]
	*e = o[:len(o)-1]
	return x
}

// simulate runs one matrix; it returns the steps that succeeded, the time
// the last one did, and the requests sent.
func simulate(seed uint64, n int, rate, burst float64, s backoff) (ok int, last float64, requests int) {
	r := rand.New(rand.NewPCG(seed, 1))
	q := &events{}
	for i := range n {
		heap.Push(q, modelEvent{t: r.Float64() * modelSpread, step: i})
	}
	attempts := make([]int, n)
	prev := make([]float64, n)
	tokens, refilled := burst, 0.0
	for q.Len() > 0 {
		e := heap.Pop(q).(modelEvent)
		at := e.t + modelLatency/2
		tokens = math.Min(burst, tokens+(at-refilled)*rate)
		refilled = at
		attempts[e.step]++
		requests++
		if tokens >= 1 {
			tokens--
			ok++
			last = math.Max(last, at+modelLatency/2)
			continue
		}
		if attempts[e.step] >= modelAttempts {
			continue
		}
		prev[e.step] = s.next(r, attempts[e.step], prev[e.step])
		heap.Push(q, modelEvent{t: at + modelLatency/2 + prev[e.step], step: e.step})
	}
	return ok, last, requests
}

// model prints, per point and strategy, over modelRuns simulated matrices:
// the steps that succeeded, the median and 90th percentile time to the
// last against the bound, and STS requests per step.
func model(w io.Writer, points []point, burst float64) {
	fmt.Fprintf(w, "model: %d simulated matrices per row; steps start within %.1f s, %.0f ms per request, %d attempts at most\n",
		modelRuns, modelSpread, modelLatency*1000, modelAttempts)
	for _, p := range points {
		bound := (float64(p.n) - burst) / p.rate
		fmt.Fprintf(w, "\nN=%d, %g/s, burst %g: bound %.1f s\n", p.n, p.rate, burst, bound)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "strategy\tsucceeded\tlast (median)\tlast/bound\tlast (p90)\tSTS req/step\t")
		for _, s := range strategies {
			lasts := make([]float64, 0, modelRuns)
			oks, reqs := 0, 0
			for i := range modelRuns {
				ok, last, n := simulate(uint64(i), p.n, p.rate, burst, s)
				lasts = append(lasts, last)
				oks += ok
				reqs += n
			}
			slices.Sort(lasts)
			med, p90 := lasts[modelRuns/2], lasts[modelRuns*9/10]
			fmt.Fprintf(tw, "%s\t%.1f%%\t%.1f s\t%.2f×\t%.1f s\t%.2f\t\n", s.name, 100*float64(oks)/float64(modelRuns*p.n),
				med, med/max(bound, 1e-9), p90, float64(reqs)/float64(modelRuns*p.n))
		}
		tw.Flush()
	}
}
