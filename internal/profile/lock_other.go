//go:build !unix && !windows

package profile

import "context"

// lock: no advisory lock on this platform (neither unix nor Windows);
// concurrent writers to one file are not serialised there.
func lock(context.Context, string, *Owner) (func(), error) { return func() {}, nil }
