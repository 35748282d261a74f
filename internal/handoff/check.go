package handoff

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/org/aws-oidc-go/internal/filesafe"
)

// MaxFile bounds what is read back: a state, a manifest, a settings file,
// a stash.
const MaxFile = 1 << 20

// NoUID means ownership is not checked (Windows, where files have no
// numeric owner).
const NoUID = filesafe.NoUID

// CheckDir reports why dir cannot be trusted to hold what we read back, or
// nil: it must be a real directory (not a link), owned by uid or root, and
// not writable by group or others, sticky or not (filesafe.ClosedDir) —
// else someone other than uid could put or swap a file in it. It is the
// check profile.PrepareDir makes before writing there, so what is written
// can be removed.
func CheckDir(dir string, uid int) error {
	fi, err := os.Lstat(dir)
	if err != nil {
		return err
	}
	return filesafe.ClosedDir.Check(dir, fi, uid, 0)
}

// CheckFile reports why path cannot be trusted, or nil: it must be a
// regular file (not a link), owned by uid, not writable by group or others,
// in a directory that passes CheckDir.
func CheckFile(path string, uid int) error {
	if err := CheckDir(filepath.Dir(path), uid); err != nil {
		return err
	}
	fi, err := os.Lstat(path)
	if err != nil {
		return err
	}
	return filesafe.CheckFileInfo(path, fi, uid)
}

// checkRunDir is CheckDir for a run's own directory: owned by uid exactly
// and private (0700: filesafe.PrivateDir).
func checkRunDir(dir string, uid int) error {
	fi, err := os.Lstat(dir)
	if err != nil {
		return err
	}
	return filesafe.PrivateDir.Check(dir, fi, uid)
}

// FileOwner returns the owner of path (following links: the runner's
// file-command files), or ok false (uid and gid NoUID) when it cannot be
// read or the platform has no numeric owners (Windows).
func FileOwner(path string) (uid, gid int, ok bool) {
	fi, err := os.Stat(path)
	if err != nil {
		return NoUID, NoUID, false
	}
	o := filesafe.OwnerOf(fi)
	if o == nil {
		return NoUID, NoUID, false
	}
	return o.UID, o.GID, true
}

// TrustedOwners are the users whose directories and files may lie on the
// way to a program we run later: uid, root, and, when uid is root (a
// container job, Kubernetes mode: the job runs as root on directories the
// runner's user owns), the owner of the workspace (GITHUB_WORKSPACE). The
// node action's shim trusts the same (native/shim.js trustedOwners).
// NoUID: ownership is not checked.
func TrustedOwners(uid int, workspace string) []int {
	if uid == NoUID {
		return []int{NoUID}
	}
	owners := []int{uid}
	if uid != 0 {
		return append(owners, 0)
	}
	if workspace != "" {
		if ws, _, ok := FileOwner(workspace); ok && ws != 0 {
			owners = append(owners, ws)
		}
	}
	return owners
}

// CheckExecutable decides whether the program at path may be read back as
// what credential_process will run for the rest of the job (refresh copies
// the running image; only where there is no /proc/self/exe is it read by
// its path, and only if this passes) — and
// returns the path to name: path with its links resolved (what is checked
// is what will run). Nobody but owners may be able to replace it: the file
// is a regular file of one of the owners with a single link, not writable
// by group or others; its directory passes filesafe.ClosedDir and every
// directory above it filesafe.StickyParent (a sticky /tmp above is fine, as
// nobody else can rename what it holds). On Windows, where there are no
// numeric owners and Go's modes say nothing, the link checks alone apply.
func CheckExecutable(path string, owners []int) (string, error) {
	refuse := func(err error) (string, error) {
		return "", fmt.Errorf("refresh: credential_process would run %s, which another user could replace for the rest of the job: %w", path, err)
	}
	if !filepath.IsAbs(path) {
		return refuse(fmt.Errorf("%q is not an absolute path", path))
	}
	real, err := filepath.EvalSymlinks(path)
	if err != nil {
		return refuse(err)
	}
	fi, err := os.Lstat(real)
	if err != nil {
		return refuse(err)
	}
	owned := false
	for _, u := range owners {
		owned = owned || filesafe.OwnedBy(fi, u)
	}
	if !fi.Mode().IsRegular() {
		return refuse(fmt.Errorf("%s is not a regular file", real))
	}
	// The link count: Windows tells it of an open file only.
	f, err := os.Open(real)
	if err != nil {
		return refuse(err)
	}
	nlink := filesafe.Links(f, fi)
	f.Close()
	switch {
	case !owned:
		return refuse(fmt.Errorf("%s is owned by %s, not by a trusted user", real, filesafe.OwnerName(fi)))
	case filesafe.Insecure(fi, 0o022):
		return refuse(fmt.Errorf("%s is writable by group or others (mode %v)", real, fi.Mode().Perm()))
	case nlink != 1:
		return refuse(fmt.Errorf("%s has %d hard links, not 1 (another name for it may be in a directory others can write)", real, nlink))
	}
	preset := filesafe.ClosedDir
	for d := filepath.Dir(real); ; d = filepath.Dir(d) {
		di, err := os.Lstat(d)
		if err != nil {
			return refuse(err)
		}
		if err := preset.Check(d, di, owners...); err != nil {
			return refuse(err)
		}
		if filepath.Dir(d) == d {
			return real, nil
		}
		preset = filesafe.StickyParent
	}
}

// ReadChecked reads path after CheckFile, through a descriptor opened
// without following links and checked again (still regular, the user's,
// not writable by others, and with no other hard link), at most MaxFile
// bytes.
func ReadChecked(path string, uid int) ([]byte, error) {
	if err := CheckFile(path, uid); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_RDONLY|filesafe.NoFollow|filesafe.NonBlock, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if err := filesafe.CheckFileInfo(path, fi, uid); err != nil {
		return nil, err
	}
	if n := filesafe.Links(f, fi); n != 1 {
		// A second name elsewhere: someone could have linked a file of
		// the user's here, or can change it through the other name.
		return nil, fmt.Errorf("%s has %d hard links, not 1", path, n)
	}
	if fi.Size() > MaxFile {
		return nil, fmt.Errorf("%s is larger than %d bytes", path, MaxFile)
	}
	b, err := io.ReadAll(io.LimitReader(f, MaxFile+1))
	if err == nil && len(b) > MaxFile {
		err = fmt.Errorf("%s is larger than %d bytes", path, MaxFile)
	}
	return b, err
}

// isNotExist reports a path that is not there.
func isNotExist(err error) bool { return errors.Is(err, fs.ErrNotExist) }
