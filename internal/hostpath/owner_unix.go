//go:build unix

package hostpath

import (
	"io/fs"
	"syscall"

	"github.com/org/aws-oidc-go/internal/profile"
)

// ownerOf is the non-root owner of a file, or nil.
func ownerOf(fi fs.FileInfo) *profile.Owner {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok || st.Uid == 0 {
		return nil
	}
	return &profile.Owner{UID: int(st.Uid), GID: int(st.Gid)}
}
