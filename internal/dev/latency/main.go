// Command latency measures the step as a whole process under real round
// trips: the runner's token service and regional STS behind TLS, with a
// certificate from a CA of the benchmark's own, under their real host
// names, each a configurable round trip away. It runs side by side,
// interleaved, our binary built from the checkout, the incumbent's
// released bundle under node (../shared/incumbent) and the floor client
// (./floor: one TLS connection and GET to the token service, one TLS
// connection to STS opened while the token is fetched, one
// AssumeRoleWithWebIdentity) with two variants, and prints median and p95
// wall time per command, the TCP connections, TLS handshakes and requests
// each made per endpoint, and the ratios.
//
//	go run ./internal/dev/latency [-runs 25] [-rtt-token 20ms] [-rtt-sts 40ms] [-incumbent none] [-baseline path/to/aws-oidc-go]
//
// Linux, as root: the round trips come from a delay line in user space
// between two network namespaces the benchmark creates (this kernel has no
// sch_netem; see network), and the commands resolve the real names through
// an /etc/hosts bound in a mount namespace of their own. Nothing outside
// those namespaces and this machine's loopback is addressed. Everything it
// creates — namespaces, TUN devices, moto_server, temporary files — is
// gone when it ends, Ctrl-C included. The figures are printed, never
// asserted.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/netip"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/org/aws-oidc-go/internal/dev/harness"
	"github.com/org/aws-oidc-go/internal/inputs"
)

// launchEnv marks the benchmark re-executed as a command's launcher; its
// value is the commands' nice value and the benchmark's namespaceIDs.
const launchEnv = "AWS_OIDC_GO_LATENCY_LAUNCH"

func main() {
	if v := os.Getenv(launchEnv); v != "" {
		// The thread that sets the command's priority must be the one
		// that executes it.
		runtime.LockOSThread()
		nice, home, _ := strings.Cut(v, " ")
		n, err := strconv.Atoi(nice)
		if err == nil && len(os.Args) < 4 {
			err = errors.New("want HOSTS RESOLV COMMAND [ARGS]")
		}
		if err == nil {
			err = unboost(n)
		}
		if err == nil {
			env := slices.DeleteFunc(os.Environ(), func(kv string) bool { return strings.HasPrefix(kv, launchEnv+"=") })
			err = launch(home, os.Args[1], os.Args[2], os.Args[3:], env)
		}
		fmt.Fprintln(os.Stderr, "latency launcher:", err)
		os.Exit(127)
	}
	var o options
	flag.IntVar(&o.runs, "runs", 25, "measured runs per command (after one warm-up run each)")
	flag.DurationVar(&o.rttToken, "rtt-token", 20*time.Millisecond, "round-trip time to the token service")
	flag.DurationVar(&o.rttSTS, "rtt-sts", 40*time.Millisecond, "round-trip time to STS")
	flag.StringVar(&o.baseline, "baseline", "", "another build of aws-oidc-go (e.g. main's) to run as \"baseline\" in the same loop, for a before/after under the same load")
	flag.StringVar(&o.incumbent, "incumbent", "", "the incumbent's dist/index.js (default: the newest bundle under ../shared/incumbent; 'none' to leave it out)")
	flag.Parse()
	o.getenv = os.Getenv
	o.systemRoots = "/etc/ssl/certs/ca-certificates.crt"
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, o, os.Stdout)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench-latency:", err)
		os.Exit(1)
	}
}

type options struct {
	runs             int
	rttToken, rttSTS time.Duration
	incumbent        string
	baseline         string
	systemRoots      string
	getenv           func(string) string
}

// The endpoints under their production names. The token service's name
// is the host of ACTIONS_ID_TOKEN_REQUEST_URL on GitHub-hosted runners;
// STS is the regional endpoint of us-east-1 (and the global name, which
// some clients use, on the same address).
const (
	tokenHost = "pipelines.actions.githubusercontent.com"
	stsHost   = "sts.us-east-1.amazonaws.com"
	stsGlobal = "sts.amazonaws.com"
	region    = "us-east-1"
	role      = "arn:aws:iam::123456789012:role/deploy"
)

// serverNice is the priority of the benchmark's own threads — the delay
// line, the TLS fronts, and moto and the token service it starts — which
// stand for the network and for servers on other machines: the machine's
// load should delay the commands measured, not the wire. Commands run at
// the priority the benchmark was started with.
const serverNice = -10

// clientAddr is the client namespace's address; the servers' are in
// 198.18.1.0/24 (see network).
const clientAddr = "198.18.0.1"

var (
	tokenIP = netip.MustParseAddr("198.18.1.1")
	stsIP   = netip.MustParseAddr("198.18.1.2")
)

// command is one contender.
type command struct {
	name string
	argv []string
	// check says whether a run that exited 0 did the work (the action's
	// exports written).
	check func(dir string) error
}

// sample is one run of a command.
type sample struct {
	wall       time.Duration
	cpu        time.Duration // user + system, the launcher's few pre-exec milliseconds included
	err        error
	token, sts endpointCounts
	// stsLead is how long after its first connection to the token service
	// the run's first connection to STS left (negative: before it).
	stsLead time.Duration
	hasLead bool
}

// endpointCounts is what one run did to one endpoint.
type endpointCounts struct {
	tcp int64 // SYNs through the delay line
	Counts
}

func run(ctx context.Context, o options, stdout io.Writer) (err error) {
	if o.runs < 1 {
		return errors.New("-runs must be at least 1")
	}
	if o.rttToken < 0 || o.rttSTS < 0 {
		return errors.New("-rtt-token and -rtt-sts must not be negative")
	}
	if why := supported(); why != "" {
		return fmt.Errorf("cannot run here: %s", why)
	}
	fmt.Fprintf(stdout, "machine: %s\n", harness.Machine())

	dir, err := os.MkdirTemp("", "aws-oidc-go-latency-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	self, err := os.Executable()
	if err != nil {
		return err
	}
	home, err := namespaceIDs()
	if err != nil {
		return err
	}

	// What runs: ours from the checkout, the floor, the incumbent.
	ours, floor := filepath.Join(dir, "aws-oidc-go"), filepath.Join(dir, "floor")
	for _, b := range [][2]string{{ours, "."}, {floor, "./internal/dev/latency/floor"}} {
		if err := harness.BuildBench(ctx, b[0], b[1]); err != nil {
			return err
		}
	}
	exported := harness.Exported
	done := func(string) error { return nil }
	commands := []command{
		{name: "ours", argv: []string{ours}, check: exported},
	}
	if o.baseline != "" {
		argv, err := harness.Baseline("-baseline", o.baseline)
		if err != nil {
			return err
		}
		commands = append(commands, command{name: "baseline", argv: argv, check: exported})
	}
	incumbent, err := harness.Incumbent("-incumbent", o.incumbent, o.getenv, os.Stdout)
	if err != nil {
		return err
	}
	if incumbent != nil {
		commands = append(commands, command{name: "incumbent", argv: incumbent, check: exported})
	}
	commands = append(commands,
		command{name: "floor", argv: []string{floor}, check: done},
		command{name: "floor, STS after token", argv: []string{floor, "-sts-after-token"}, check: done},
		command{name: "floor + GetCallerIdentity", argv: []string{floor, "-get-caller-identity"}, check: done},
	)

	// From here on, this process and the servers it starts stand for the
	// network and machines elsewhere (see serverNice).
	nice, err := boost()
	if err != nil {
		return fmt.Errorf("raising the servers' priority: %w", err)
	}
	// The servers: moto and the fake token service on loopback, behind
	// TLS fronts in the server namespace.
	moto, err := harness.StartMoto(ctx)
	if err != nil {
		return err
	}
	defer moto.Close()
	tokens := harness.NewTokenService()
	defer tokens.Close()
	ca, err := NewCA()
	if err != nil {
		return err
	}
	// Go's roots: the system's public roots and the benchmark's CA in one
	// file, and no directory to scan — parsed once, as in the action's
	// image (this host's /etc/ssl/certs would have Go parse each root
	// two or three times over, through its hash links). Node keeps its
	// own roots and adds the CA.
	caFile, goRoots, noDir := filepath.Join(dir, "ca.pem"), filepath.Join(dir, "roots.pem"), filepath.Join(dir, "no-cert-dir")
	public, err := os.ReadFile(o.systemRoots)
	if err != nil {
		return fmt.Errorf("the system's roots: %w", err)
	}
	if err := os.Mkdir(noDir, 0o755); err != nil {
		return err
	}
	hosts := filepath.Join(dir, "hosts")
	resolv := filepath.Join(dir, "resolv.conf")
	for path, content := range map[string]string{
		caFile:  string(ca.PEM),
		goRoots: string(public) + "\n" + string(ca.PEM),
		hosts:   fmt.Sprintf("127.0.0.1 localhost\n%s %s\n%s %s %s\n", tokenIP, tokenHost, stsIP, stsHost, stsGlobal),
		// Nothing listens on the client namespace's loopback: any other
		// name fails at once instead of leaving the machine.
		resolv: "nameserver 127.0.0.1\noptions timeout:1 attempts:1\n",
	} {
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			return err
		}
	}

	endpoints := []Endpoint{
		{Name: "token service", IP: tokenIP, Hold: o.rttToken / 2},
		{Name: "STS", IP: stsIP, Hold: o.rttSTS / 2},
	}
	nw, err := newNetwork(endpoints)
	if err != nil {
		return err
	}
	defer nw.Close()
	fronts := make([]*Front, 2)
	for i, f := range []struct {
		ip      netip.Addr
		names   []string
		backend string
	}{{tokenIP, []string{tokenHost}, tokens.BaseURL()}, {stsIP, []string{stsHost, stsGlobal}, moto.URL}} {
		cert, err := ca.Leaf(f.names...)
		if err != nil {
			return err
		}
		ln, err := nw.Listen(netip.AddrPortFrom(f.ip, 443).String())
		if err != nil {
			return err
		}
		backend, _ := url.Parse(f.backend)
		fronts[i] = StartFront(ln, cert, backend)
		defer fronts[i].Close()
	}

	requestURL, _ := url.Parse(tokens.RequestURL)
	requestURL.Scheme, requestURL.Host = "https", tokenHost
	env := func(d string) ([]string, error) {
		e, err := harness.StepEnv(d, map[string]string{inputs.RoleToAssume: role, inputs.AWSRegion: region},
			requestURL.String(), tokens.RequestToken, o.getenv("PATH"))
		if err != nil {
			return nil, err
		}
		for k, v := range map[string]string{
			// The benchmark's CA, the way each client takes an extra
			// one (see goRoots).
			"SSL_CERT_FILE": goRoots, "SSL_CERT_DIR": noDir, "NODE_EXTRA_CA_CERTS": caFile,
			launchEnv: fmt.Sprintf("%d %s", nice, home),
		} {
			e[k] = v
		}
		return harness.EnvList(e), nil
	}

	// Settle: after a command exits, its last packets (a FIN, the final
	// ACK of a connection it gave up on) are still in the line; wait
	// until they have crossed before taking the counts.
	settle := 2*max(o.rttToken, o.rttSTS) + 20*time.Millisecond
	snapshot := func() [2]endpointCounts {
		st := nw.line.Stats()
		return [2]endpointCounts{{st[0].SYNs, fronts[0].Counts()}, {st[1].SYNs, fronts[1].Counts()}}
	}
	once := func(c command) sample {
		before := snapshot()
		d, err := os.MkdirTemp(dir, "run-")
		if err != nil {
			return sample{err: err}
		}
		defer os.RemoveAll(d)
		e, err := env(d)
		if err != nil {
			return sample{err: err}
		}
		s := measure(ctx, nw, self, hosts, resolv, c, d, e)
		time.Sleep(settle)
		after := snapshot()
		s.token = endpointCounts{after[0].tcp - before[0].tcp, after[0].Counts.Sub(before[0].Counts)}
		s.sts = endpointCounts{after[1].tcp - before[1].tcp, after[1].Counts.Sub(before[1].Counts)}
		tokenSYN, ok1 := nw.line.SYNTime(0, before[0].tcp)
		stsSYN, ok2 := nw.line.SYNTime(1, before[1].tcp)
		if ok1 && ok2 {
			s.stsLead, s.hasLead = stsSYN.Sub(tokenSYN), true
		}
		return s
	}

	fmt.Fprintf(stdout, "round trips: token service %v, STS %v (delay line in user space on TUN devices between two network namespaces); TLS with a test CA, verified by name (%s, %s); Go's roots: %s and the CA, parsed once\n",
		o.rttToken, o.rttSTS, tokenHost, stsHost, o.systemRoots)
	fmt.Fprintf(stdout, "commands: %d runs each, interleaved, after one warm-up run each; wall time from exec to exit, CPU (user+system) median, STS dial: median time from the first SYN to the token service to the first to STS; at nice %d (servers and delay line at %d)\n", o.runs, nice, serverNice)
	// Warm-up: page cache, moto's first calls, node's compile cache. A
	// command that cannot succeed here would only fail every run.
	for _, c := range commands {
		if s := once(c); s.err != nil {
			if err := ctx.Err(); err != nil {
				return fmt.Errorf("interrupted: %w", err)
			}
			return fmt.Errorf("%s fails (warm-up run): %w", c.name, s.err)
		}
	}
	samples := make([][]sample, len(commands))
	for i := 0; i < o.runs; i++ {
		for j := range commands {
			k := (i + j) % len(commands) // rotate who goes first
			if err := ctx.Err(); err != nil {
				return fmt.Errorf("interrupted: %w", err)
			}
			samples[k] = append(samples[k], once(commands[k]))
		}
	}
	report(stdout, commands, samples, nw.line, endpoints)
	return nil
}

// measure runs c once through the launcher in the client namespace and
// times it from its exec to its exit.
func measure(ctx context.Context, nw *network, self, hosts, resolv string, c command, dir string, env []string) sample {
	start, started, err := os.Pipe()
	if err != nil {
		return sample{err: err}
	}
	defer start.Close()
	cmd, out := harness.Step(ctx, append([]string{self, hosts, resolv}, c.argv...), dir, env)
	cmd.ExtraFiles = []*os.File{started}
	cmd.SysProcAttr = launchAttrs()
	cmd.Cancel = func() error { return killGroup(cmd.Process) }
	cmd.WaitDelay = 5 * time.Second
	err = nw.Start(cmd)
	started.Close()
	if err != nil {
		return sample{err: err}
	}
	io.Copy(io.Discard, start) // EOF: the launcher exec'd the command (or died)
	t0 := time.Now()
	err = cmd.Wait()
	wall := time.Since(t0)
	// Whatever the command left behind in its process group goes too.
	_ = killGroup(cmd.Process)
	var cpu time.Duration
	if ps := cmd.ProcessState; ps != nil {
		cpu = ps.UserTime() + ps.SystemTime()
	}
	if err == nil {
		err = c.check(dir)
	}
	if err != nil {
		err = fmt.Errorf("%v: %s", err, out.Shown())
	}
	return sample{wall: wall, cpu: cpu, err: err}
}

// report prints the table, the ratios and what the delay line added.
func report(w io.Writer, commands []command, samples [][]sample, line *Line, endpoints []Endpoint) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "command\truns\tmedian\tp95\tCPU\tfailed\tSTS dial\ttoken TCP/TLS/req\tSTS TCP/TLS/req\tSTS requests")
	medians := map[string]time.Duration{}
	var firstErr []string
	for i, c := range commands {
		ss := samples[i]
		var walls, cpus, leads []time.Duration
		failed := 0
		var err error
		for _, s := range ss {
			if s.err != nil {
				failed++
				if err == nil {
					err = s.err
				}
				continue
			}
			walls, cpus = append(walls, s.wall), append(cpus, s.cpu)
			if s.hasLead {
				leads = append(leads, s.stsLead)
			}
		}
		if err != nil {
			firstErr = append(firstErr, fmt.Sprintf("%s: %v", c.name, err))
		}
		med, p95 := quantiles(walls)
		cpu, _ := quantiles(cpus)
		lead := "-"
		if len(leads) > 0 {
			l, _ := quantiles(leads)
			lead = fmt.Sprintf("%+.1f ms", float64(l.Microseconds())/1000)
		}
		medians[c.name] = med
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%d\t%s\t%s\t%s\t%s\n", c.name, len(ss), ms(med), ms(p95), ms(cpu), failed, lead,
			counts(ss, func(s sample) endpointCounts { return s.token }),
			counts(ss, func(s sample) endpointCounts { return s.sts }),
			actions(ss))
	}
	tw.Flush()
	ratio := func(a, b string) string {
		if medians[a] == 0 || medians[b] == 0 {
			return "-"
		}
		return fmt.Sprintf("%.2f×", float64(medians[a])/float64(medians[b]))
	}
	fmt.Fprintf(w, "ratios (medians): ours / floor %s", ratio("ours", "floor"))
	if _, ok := medians["incumbent"]; ok {
		fmt.Fprintf(w, ", incumbent / ours %s, incumbent / floor %s", ratio("incumbent", "ours"), ratio("incumbent", "floor"))
	}
	if _, ok := medians["baseline"]; ok {
		fmt.Fprintf(w, ", baseline / floor %s, baseline / ours %s", ratio("baseline", "floor"), ratio("baseline", "ours"))
	}
	fmt.Fprintln(w)
	var extra []string
	for i, st := range line.Stats() {
		if st.Delivered > 0 {
			over := st.Held/time.Duration(st.Delivered) - endpoints[i].Hold
			extra = append(extra, fmt.Sprintf("%s %+.2f ms", endpoints[i].Name, float64(over.Microseconds())/1000))
		}
	}
	fmt.Fprintf(w, "delay line: each packet held on average %s beyond its set half round trip; %d packets dropped (not IPv4 or for no endpoint)\n",
		strings.Join(extra, ", "), line.Dropped())
	for _, e := range firstErr {
		fmt.Fprintln(w, "first failure of", e)
	}
}

// quantiles returns the median and the 95th percentile (nearest rank).
func quantiles(d []time.Duration) (med, p95 time.Duration) {
	if len(d) == 0 {
		return 0, 0
	}
	d = slices.Clone(d)
	slices.Sort(d)
	return d[len(d)/2], d[(len(d)*95+99)/100-1]
}

// counts formats the per-run TCP/TLS/request counts of one endpoint: one
// figure each when every run agreed, else min–max.
func counts(ss []sample, of func(sample) endpointCounts) string {
	var tcp, tls, req []int64
	for _, s := range ss {
		c := of(s)
		tcp, tls, req = append(tcp, c.tcp), append(tls, c.Handshakes), append(req, c.Requests)
	}
	return span(tcp) + " / " + span(tls) + " / " + span(req)
}

func span(v []int64) string {
	if len(v) == 0 {
		return "-"
	}
	lo, hi := slices.Min(v), slices.Max(v)
	if lo == hi {
		return fmt.Sprint(lo)
	}
	return fmt.Sprintf("%d–%d", lo, hi)
}

// actions lists the STS actions of the runs: the most common list, and
// how many runs differed from it.
func actions(ss []sample) string {
	seen := map[string]int{}
	best := ""
	for _, s := range ss {
		l := s.sts.ActionList()
		seen[l]++
		if seen[l] > seen[best] || best == "" {
			best = l
		}
	}
	if n := len(ss) - seen[best]; n > 0 {
		return fmt.Sprintf("%s (%d runs otherwise)", best, n)
	}
	return best
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }
