package main

import (
	"bytes"
	"io"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer safe to read while report writes it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestReportSaysWhatIsGoingOn: while nothing finishes, each tick after a
// silent interval says whether go test is still compiling or which
// packages still run; compiler errors are shown. Before, a first run
// printed nothing for minutes, and a build failure showed only
// "[build failed]" without the compiler's message.
func TestReportSaysWhatIsGoingOn(t *testing.T) {
	t.Parallel()
	r, pw := io.Pipe()
	tick := make(chan time.Time)
	var out syncBuffer
	done := make(chan bool)
	go func() { done <- report(r, &out, tick) }()
	// waitFor polls the output until it holds want.
	waitFor := func(want string) {
		t.Helper()
		for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
			if strings.Contains(out.String(), want) {
				return
			}
		}
		t.Fatalf("no %q in:\n%s", want, out.String())
	}
	send := func(lines ...string) {
		for _, l := range lines {
			io.WriteString(pw, l+"\n")
		}
	}
	const pkg = "github.com/org/aws-oidc-go/internal/x"

	tick <- time.Now()
	waitFor("still compiling (no test binary has started yet)")
	send(`{"ImportPath":"github.com/org/aws-oidc-go/internal/y [y.test]","Action":"build-output","Output":"internal/y/y_test.go:3:28: undefined: nowhere\n"}`)
	waitFor("internal/y/y_test.go:3:28: undefined: nowhere\n")
	send(`{"Action":"start","Package":"`+pkg+`"}`, "a line that is not an event")
	waitFor("a line that is not an event\n") // the start is in, too
	tick <- time.Now()                       // output since the last tick: silent
	tick <- time.Now()
	waitFor("0 package(s) finished; still running: internal/x")
	send(`{"Action":"run","Package":"`+pkg+`","Test":"TestA"}`,
		`{"Action":"pass","Package":"`+pkg+`","Test":"TestA"}`,
		`{"Action":"pass","Package":"`+pkg+`","Elapsed":0.5}`)
	waitFor("ok  \t" + pkg)
	tick <- time.Now()
	tick <- time.Now()
	waitFor("1 package(s) finished; compiling the next")
	pw.Close()
	if failed := <-done; failed {
		t.Error("report says something failed")
	}
	if n := strings.Count(out.String(), "…"); n != 3 {
		t.Errorf("%d progress lines, want 3 (one per silent interval):\n%s", n, out.String())
	}
	if !strings.Contains(out.String(), "tests: 1 passed, 0 failed, 0 skipped") {
		t.Errorf("no closing line:\n%s", out.String())
	}
}
