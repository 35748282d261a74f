package profile

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// TestLockIsExclusive: on every platform with a lock (unix: flock;
// Windows: LockFileEx), a second writer waits for the first and gives way
// to its deadline naming the lock file; once released it gets the lock.
// (Before, Windows had no lock and the second writer went straight in.)
func TestLockIsExclusive(t *testing.T) {
	t.Parallel()
	f := files(t, "", "")
	unlock, err := lock(ctx, f.Credentials, nil)
	if err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if again, err := lock(short, f.Credentials, nil); err == nil {
		again()
		t.Error("a second writer got a lock that was held")
	} else if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "credentials.lock") {
		t.Errorf("err = %v, want the deadline naming the lock file", err)
	}
	unlock()
	again, err := lock(ctx, f.Credentials, nil)
	if err != nil {
		t.Fatalf("after release: %v", err)
	}
	again()
}
