package profile

import (
	"context"
	"fmt"
	"os"
	"time"
)

// lockPoll is how often a held lock is tried again.
const lockPoll = 20 * time.Millisecond

// pollLock calls try (one non-blocking attempt at the lock on f, the lock
// file name of path) every lockPoll until it takes the lock, fails, or ctx
// is done (the action's timeout, SIGTERM, the post step's bound). On any
// error f is closed.
func pollLock(ctx context.Context, path, name string, f *os.File, try func() (bool, error)) error {
	for {
		ok, err := try()
		if ok {
			return nil
		}
		if err != nil {
			f.Close()
			return fmt.Errorf("locking %s: %w", path, err)
		}
		t := time.NewTimer(lockPoll)
		select {
		case <-ctx.Done():
			t.Stop()
			f.Close()
			return fmt.Errorf("locking %s: another process holds %s: %w", path, name, context.Cause(ctx))
		case <-t.C:
		}
	}
}
