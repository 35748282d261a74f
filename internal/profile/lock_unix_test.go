//go:build unix

package profile

import (
	"context"
	"errors"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestLockGivesWayToTheDeadline: a lock another process holds is waited
// for until ctx is done, then Write fails naming the lock file, having
// changed nothing (before: a blocking flock with no deadline).
func TestLockGivesWayToTheDeadline(t *testing.T) {
	t.Parallel()
	f := files(t, "[user]\nx = 1\n", "")
	held, err := os.OpenFile(f.Credentials+".lock", os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	if err := syscall.Flock(int(held.Fd()), syscall.LOCK_EX); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = Write(ctx, f, entry, Options{})
	if err == nil || !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "credentials.lock") {
		t.Errorf("err = %v, want the deadline naming the lock file", err)
	}
	if waited := time.Since(start); waited > 10*time.Second {
		t.Errorf("waited %s", waited)
	}
	if got := read(t, f.Credentials); got != "[user]\nx = 1\n" {
		t.Errorf("credentials changed: %q", got)
	}
	// A lock file that is a link is not followed.
	g := files(t, "", "")
	target := g.Config + ".target"
	os.WriteFile(target, nil, 0o600)
	os.Symlink(target, g.Credentials+".lock")
	if _, err := Write(context.Background(), g, entry, Options{}); err == nil {
		t.Error("locked through a link")
	}
}
