// Package harness holds the real and fake peers the tests run against:
// moto_server standing in for STS, a faithful fake of GitHub's ID token
// service, and a fault-injecting proxy. It is test support, never linked
// into the action.
package harness

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Moto is a running moto_server on a loopback port.
type Moto struct {
	URL string
	cmd *exec.Cmd
	log *Tail
	// done is closed once cmd.Wait has returned (with waitErr): the
	// process has exited and its output is copied into log.
	done    chan struct{}
	waitErr error
}

// motoLogTail is how much of moto_server's output is kept (its latest), in
// memory: no file is left behind, however the test binary ends.
const motoLogTail = 16 << 10

// motoStartLimit is how long moto_server may take to answer (a test
// shortens it).
var motoStartLimit = 30 * time.Second

// ErrNoMoto means moto_server is not installed.
var ErrNoMoto = errors.New("moto_server not found in PATH (it comes with the Python package moto[server])")

// StartMoto starts moto_server on a free loopback port and waits until it
// answers. The latest of its output is kept in memory (Log), never in a
// file; when it does not come up, the error carries it.
func StartMoto(ctx context.Context) (*Moto, error) {
	bin, err := exec.LookPath("moto_server")
	if err != nil {
		return nil, ErrNoMoto
	}
	var last error
	for try := 0; try < 3; try++ {
		port, err := FreePort()
		if err != nil {
			return nil, err
		}
		logs := &Tail{Max: motoLogTail}
		cmd := exec.Command(bin, "-H", "127.0.0.1", "-p", strconv.Itoa(port))
		cmd.Stdout, cmd.Stderr = logs, logs
		// AWS-managed policies (arn:aws:iam::aws:policy/...) exist in IAM
		// only with this: setup reads each --policy-arn with GetPolicy.
		cmd.Env = append(os.Environ(), "MOTO_IAM_LOAD_MANAGED_POLICIES=true")
		cmd.SysProcAttr = childAttrs()
		cmd.WaitDelay = time.Second // a grandchild holding the pipe cannot stall Wait
		if err := cmd.Start(); err != nil {
			return nil, fmt.Errorf("starting moto_server: %w", err)
		}
		m := &Moto{URL: fmt.Sprintf("http://127.0.0.1:%d", port), cmd: cmd, log: logs, done: make(chan struct{})}
		go func() { m.waitErr = cmd.Wait(); close(m.done) }()
		if last = m.wait(ctx, motoStartLimit); last == nil {
			return m, nil
		}
		m.Close()
		// Its last output is read only once Wait has copied it all (bounded:
		// WaitDelay stops the copy a second after the exit).
		select {
		case <-m.done:
		case <-time.After(5 * time.Second):
		}
		if out := strings.TrimSpace(Redact(m.Log())); out != "" {
			last = fmt.Errorf("%w; its output:\n%s", last, out)
		}
	}
	return nil, fmt.Errorf("moto_server did not come up: %w", last)
}

func (m *Moto) wait(ctx context.Context, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		select {
		case <-m.done:
			return fmt.Errorf("moto_server exited: %v", m.waitErr)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		resp, err := http.Get(m.URL + "/moto-api/")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode < 500 {
				return nil
			}
		}
	}
	return errors.New("no answer within " + limit.String())
}

// Close stops moto_server. It leaves nothing behind: its output was only
// ever in memory.
func (m *Moto) Close() {
	if m.cmd.Process != nil {
		killTree(m.cmd.Process)
	}
}

// Log is the latest of moto_server's output (at most 16 KiB), to print
// when a test fails.
func (m *Moto) Log() string { return m.log.String() }

// FreePort returns a TCP port that was free on 127.0.0.1 a moment ago.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

var shared struct {
	once sync.Once
	moto *Moto
	err  error
}

// SharedMoto returns one moto_server for the whole test binary, started on
// first use; call StopShared from TestMain. Without moto_server the test is
// skipped, except under CI=true where that fails it. When t fails, the end
// of moto_server's output is printed with it.
func SharedMoto(t testing.TB) *Moto {
	t.Helper()
	shared.once.Do(func() { shared.moto, shared.err = StartMoto(context.Background()) })
	if shared.err != nil {
		Require(t, shared.err)
	}
	m := shared.moto
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("the last lines of moto_server's output (shared by the whole test binary):\n%s", lastLines(Redact(m.Log()), 20))
		}
	})
	return m
}

// lastLines is at most the last n lines of s.
func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// StopShared stops the moto_server SharedMoto started, if any.
func StopShared() {
	if shared.moto != nil {
		shared.moto.Close()
	}
}

// Require skips t for a missing tool or server, or fails it when CI=true:
// in CI nothing may be skipped silently. Under Wine, where a Windows process
// cannot start the Linux tools and servers, it skips saying so.
func Require(t testing.TB, err error) {
	t.Helper()
	if err == nil {
		return
	}
	if linuxOnlyUnderWine(err) {
		// Not missing: out of reach. The Linux side runs these (make test).
		t.Skipf("under Wine a Windows process cannot start this machine's Linux programs: %v", err)
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("required for this test in CI: %v", err)
	}
	t.Skipf("skipping (set CI=true to make this fatal): %v", err)
}

// RequireTool looks up a command in PATH, with Require's rules.
func RequireTool(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		Require(t, fmt.Errorf("%s not found in PATH", name))
	}
	return p
}

// Redact returns a log as the runner shows it: every value announced with
// ::add-mask:: replaced by *** everywhere, the mask lines included.
func Redact(log string) string { return RedactValues(log, Masks(log)) }

// Masks returns the values a log announced with ::add-mask::.
func Masks(log string) []string {
	var masks []string
	for _, line := range strings.Split(log, "\n") {
		if v, ok := strings.CutPrefix(line, "::add-mask::"); ok && v != "" {
			masks = append(masks, v)
		}
	}
	return masks
}

// RedactValues replaces every occurrence of each value in text with ***.
func RedactValues(text string, values []string) string {
	values = append([]string(nil), values...)
	sort.Slice(values, func(i, j int) bool { return len(values[i]) > len(values[j]) })
	for _, v := range values {
		text = strings.ReplaceAll(text, v, "***")
	}
	return text
}
