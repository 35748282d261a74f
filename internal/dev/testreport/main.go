// Command testreport runs go test with -json and prints what a person needs
// while it runs: each package's result as it finishes, the output of every
// failed test, and at the end every skipped test with its reason — counting
// a parent whose subtests all skipped as skipped, not passed — then one
// closing line "N passed, N failed, N skipped". Compiler errors are shown
// as go test prints them. While nothing finishes it says what is going on
// (compiling, or which packages are still running), so a first run that
// compiles everything with -race for minutes is not silent. It exits
// non-zero when go test did or anything failed. Test support; never linked
// into the action.
//
//	go run ./internal/dev/testreport [go test flags and packages]
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sort"
	"strings"
	"time"
)

type event struct {
	Action     string
	Package    string
	ImportPath string // build events
	Test       string
	Elapsed    float64
	Output     string
}

// heartbeat is how long the report stays silent before it says what is
// still going on.
const heartbeat = 20 * time.Second

type test struct {
	pkg, name string
	result    string // pass, fail, skip
	output    []string
	children  []*test
}

func main() {
	args := append([]string{"test", "-json"}, os.Args[1:]...)
	cmd := exec.Command("go", args...)
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	if err := cmd.Start(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	fmt.Println("go " + strings.Join(args, " ") + ": compiling, then each package as it finishes (the first run compiles every package and its dependencies, which takes minutes; later runs use the build cache)")
	tick := time.NewTicker(heartbeat)
	defer tick.Stop()
	failed := report(stdout, os.Stdout, tick.C)
	if err := cmd.Wait(); err != nil || failed {
		os.Exit(1)
	}
}

// report reads test2json events from r and writes the report to w. On
// each tick after a silent interval it says what is still going on. It
// returns whether anything failed.
func report(r io.Reader, w io.Writer, tick <-chan time.Time) bool {
	tests := map[string]*test{}
	pkgOut := map[string][]string{}
	key := func(pkg, name string) string { return pkg + "\x00" + name }
	var all []*test
	failed := false
	start := time.Now()
	lines := make(chan []byte)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 1<<20), 16<<20)
		for sc.Scan() {
			lines <- append([]byte(nil), sc.Bytes()...)
		}
	}()
	running := map[string]bool{} // packages whose test binary started
	finished := 0
	quiet := true // nothing printed since the last tick (or the start)
	for {
		var line []byte
		var ok bool
		select {
		case line, ok = <-lines:
		case <-tick:
			if quiet {
				fmt.Fprintln(w, progress(time.Since(start), running, finished))
			}
			quiet = true
			continue
		}
		if !ok {
			break
		}
		var e event
		if err := json.Unmarshal(line, &e); err != nil {
			fmt.Fprintln(w, string(line)) // whatever is not an event
			quiet = false
			continue
		}
		if e.Action == "build-output" {
			fmt.Fprint(w, e.Output) // compiler errors, as go build prints them
			quiet = false
			continue
		}
		if e.Test == "" {
			switch e.Action {
			case "start":
				running[e.Package] = true
			case "output":
				pkgOut[e.Package] = append(pkgOut[e.Package], e.Output)
			case "pass", "fail", "skip":
				delete(running, e.Package)
				finished++
				failed = packageLine(w, e, tests, pkgOut[e.Package]) || failed
				quiet = false
			}
			continue
		}
		t := tests[key(e.Package, e.Test)]
		if t == nil {
			t = &test{pkg: e.Package, name: e.Test}
			tests[key(e.Package, e.Test)] = t
			all = append(all, t)
			if i := strings.LastIndex(e.Test, "/"); i >= 0 {
				if p := tests[key(e.Package, e.Test[:i])]; p != nil {
					p.children = append(p.children, t)
				}
			}
		}
		switch e.Action {
		case "output":
			t.output = append(t.output, e.Output)
		case "pass", "fail", "skip":
			t.result = e.Action
		}
	}
	var passed, nfailed, skipped int
	reasons := map[string][]string{}
	for _, t := range all {
		switch effective(t) {
		case "pass":
			passed++
		case "fail":
			nfailed++
		case "skip":
			skipped++
			reasons[skipReason(t)] = append(reasons[skipReason(t)], shortPkg(t.pkg)+"."+t.name)
		}
	}
	if skipped > 0 {
		fmt.Fprintf(w, "\n%d skipped (a skipped test proves nothing; under CI=true a missing tool or server fails instead):\n", skipped)
		var rs []string
		for r := range reasons {
			rs = append(rs, r)
		}
		sort.Strings(rs)
		for _, r := range rs {
			fmt.Fprintf(w, "  %s — %d test(s): %s\n", r, len(reasons[r]), abbreviate(reasons[r]))
		}
	}
	fmt.Fprintf(w, "\ntests: %d passed, %d failed, %d skipped (%s)\n", passed, nfailed, skipped, time.Since(start).Round(time.Second))
	return failed || nfailed > 0
}

// progress is the line printed when nothing has been for a while: still
// compiling, or which packages are still running.
func progress(elapsed time.Duration, running map[string]bool, finished int) string {
	elapsed = elapsed.Round(time.Second)
	if len(running) == 0 && finished == 0 {
		return fmt.Sprintf("… %s: still compiling (no test binary has started yet)", elapsed)
	}
	var names []string
	for p := range running {
		names = append(names, shortPkg(p))
	}
	sort.Strings(names)
	if len(names) == 0 {
		return fmt.Sprintf("… %s: %d package(s) finished; compiling the next", elapsed, finished)
	}
	return fmt.Sprintf("… %s: %d package(s) finished; still running: %s", elapsed, finished, abbreviate(names))
}

// effective is a test's result, where a parent that passed only because
// every subtest skipped counts as skipped.
func effective(t *test) string {
	if t.result == "pass" && len(t.children) > 0 {
		for _, c := range t.children {
			if effective(c) != "skip" {
				return "pass"
			}
		}
		return "skip"
	}
	return t.result
}

func skipReason(t *test) string {
	if t.result != "skip" && len(t.children) > 0 {
		return skipReason(t.children[0])
	}
	for i, line := range t.output {
		if strings.Contains(line, "--- SKIP") {
			for _, next := range t.output[i+1:] {
				if s := strings.TrimSpace(next); s != "" {
					if _, after, ok := strings.Cut(s, ": "); ok && strings.Contains(s[:len(s)-len(after)], ".go:") {
						return after
					}
					return s
				}
			}
		}
	}
	for _, line := range t.output {
		if s := strings.TrimSpace(line); strings.Contains(s, ".go:") {
			if _, after, ok := strings.Cut(s, ": "); ok {
				return after
			}
		}
	}
	return "no reason given"
}

func packageLine(w io.Writer, e event, tests map[string]*test, out []string) bool {
	var n, skipped int
	var fails []*test
	for _, t := range tests {
		if t.pkg != e.Package {
			continue
		}
		switch effective(t) {
		case "skip":
			skipped++
		case "fail":
			fails = append(fails, t)
		}
		n++
	}
	switch e.Action {
	case "skip":
		fmt.Fprintf(w, "?   \t%s\t[no test files]\n", e.Package)
		return false
	case "pass":
		extra := ""
		if skipped > 0 {
			extra = fmt.Sprintf(", %d skipped", skipped)
		}
		fmt.Fprintf(w, "ok  \t%s\t%.3fs\t(%d tests%s)\n", e.Package, e.Elapsed, n, extra)
		return false
	}
	sort.Slice(fails, func(i, j int) bool { return fails[i].name < fails[j].name })
	for _, t := range fails {
		if len(t.children) > 0 && anyFailed(t.children) {
			continue // its failed subtests print themselves
		}
		fmt.Fprintf(w, "--- FAIL: %s\n%s", t.name, strings.Join(t.output, ""))
	}
	if len(fails) == 0 {
		fmt.Fprint(w, strings.Join(out, ""))
	}
	fmt.Fprintf(w, "FAIL\t%s\t%.3fs\n", e.Package, e.Elapsed)
	return true
}

func anyFailed(ts []*test) bool {
	for _, t := range ts {
		if effective(t) == "fail" {
			return true
		}
	}
	return false
}

func shortPkg(p string) string { return strings.TrimPrefix(p, "github.com/org/aws-oidc-go/") }

func abbreviate(names []string) string {
	if len(names) <= 6 {
		return strings.Join(names, ", ")
	}
	return strings.Join(names[:6], ", ") + fmt.Sprintf(", and %d more", len(names)-6)
}
