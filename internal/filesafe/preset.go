// Package filesafe decides whether a file or directory may be trusted:
// who owns it (OwnerOf, OwnedBy, OwnerName), which permission bits are
// open (Insecure), the directory presets the node action's shim shares
// (PrivateDir, ClosedDir, StickyParent, Preset.Check), whether a file may
// be read back (CheckFileInfo), how many names a file has (Links), and the
// flags that open one without following a link or blocking on a fifo
// (NoFollow, NonBlock). Package profile (the INI
// files and their locks) and package handoff (the run's records and
// cleanup) build on it; it imports nothing of the project.
package filesafe

import (
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"strings"
)

// NoUID means ownership is not checked (Windows, where files have no
// numeric owner; os.Geteuid returns it there).
const NoUID = -1

// Owner is a numeric owner: the user and group a file belongs to or is
// handed to.
type Owner struct{ UID, GID int }

// Owner and mode checks, one vocabulary for what is written
// (profile.PrepareDir) and what is read back (package handoff): OwnerOf,
// OwnedBy, OwnerName, Insecure are per platform (owner_unix.go,
// owner_other.go).

// Preset is one directory check, defined as the node action's shim defines
// it (native/shim.js PRESETS, with the same names; a test in this
// package compares the two).
type Preset struct {
	// Name is the shim's name for the preset.
	Name string
	// Open holds the permission bits that must be clear.
	Open fs.FileMode
	// Sticky: the sticky bit excuses Open's bits. A sticky directory keeps
	// others from renaming or removing what they do not own, so it may sit
	// above a fresh child made there (mkdtemp, os.MkdirTemp); it does not
	// protect a fixed name, which anyone can plant before us.
	Sticky bool
	// Trusted: owners other than the user (root, and whoever else the
	// caller trusts) pass too.
	Trusted bool
}

// The presets.
var (
	// PrivateDir: a directory only its user can enter or change (0700 or
	// less), owned by the user itself — a run's directory, the node
	// action's private copy of the binary.
	PrivateDir = Preset{Name: "private", Open: 0o077}
	// ClosedDir: a directory nobody but its trusted owner can write (no
	// group or other write bits, sticky or not) — where a file with a
	// fixed name is written or trusted.
	ClosedDir = Preset{Name: "closed", Open: 0o022, Trusted: true}
	// StickyParent: ClosedDir, or with the sticky bit (like /tmp) — fine
	// above a fresh child: RUNNER_TEMP and the directories above it, and
	// the directories above a binary that credential_process runs.
	StickyParent = Preset{Name: "sticky-parent", Open: 0o022, Sticky: true, Trusted: true}
)

// Check reports why dir (fi: what an Lstat of dir returned) fails the
// preset, or nil. owners: the user first, then the other trusted owners,
// which pass only when p.Trusted (NoUID: ownership not checked). On
// Windows only the link and directory checks apply.
func (p Preset) Check(dir string, fi fs.FileInfo, owners ...int) error {
	switch {
	case fi.Mode()&fs.ModeSymlink != 0:
		return fmt.Errorf("%s is a symbolic link", dir)
	case !fi.IsDir():
		return fmt.Errorf("%s is not a directory", dir)
	case fi.Mode()&fs.ModeIrregular != 0:
		// Windows reports a junction (mount point) so since Go 1.23.
		return fmt.Errorf("%s is not a plain directory (a junction or other reparse point)", dir)
	}
	if !p.Trusted && len(owners) > 1 {
		owners = owners[:1]
	}
	owned := len(owners) == 0
	for _, u := range owners {
		owned = owned || OwnedBy(fi, u)
	}
	if !owned {
		return fmt.Errorf("%s is owned by %s, not by %s", dir, OwnerName(fi), uids(owners))
	}
	if Insecure(fi, p.Open) && !(p.Sticky && fi.Mode()&fs.ModeSticky != 0) {
		perm := fi.Mode().Perm()
		mode := perm.String()
		if fi.Mode()&fs.ModeSticky != 0 {
			mode = "sticky " + mode
		}
		switch {
		case p.Open&0o070 == 0o070:
			return fmt.Errorf("%s is open to group or others (mode %s)", dir, mode)
		case p.Sticky:
			return fmt.Errorf("%s is writable by group or others without the sticky bit (mode %s)", dir, mode)
		}
		return fmt.Errorf("%s is writable by group or others (mode %s)", dir, mode)
	}
	return nil
}

// uids names owners for an error: "uid 1001 or uid 0".
func uids(owners []int) string {
	s := make([]string, 0, len(owners))
	for _, u := range owners {
		s = append(s, "uid "+strconv.Itoa(u))
	}
	return strings.Join(s, " or ")
}

// CheckDir reports why dir cannot be trusted to hold credentials we write
// or files we read back, or nil: it must be a real directory (not a link),
// owned by uid (or by root when rootOK), with none of the permission bits
// of open set — 0o022 for "nobody but its owner can put, swap or remove a
// file in it" (ClosedDir: a sticky bit does not count, since a sticky
// world-writable directory lets anyone plant a name before us), 0o077 for
// a private one (PrivateDir). On Windows only the link and directory
// checks apply.
func CheckDir(dir string, uid int, rootOK bool, open fs.FileMode) error {
	fi, err := os.Lstat(dir)
	if err != nil {
		return err
	}
	return CheckDirInfo(dir, fi, uid, rootOK, open)
}

// CheckDirInfo is CheckDir on what an Lstat of dir returned.
func CheckDirInfo(dir string, fi fs.FileInfo, uid int, rootOK bool, open fs.FileMode) error {
	p := Preset{Open: open, Trusted: rootOK}
	if rootOK && uid != 0 {
		return p.Check(dir, fi, uid, 0)
	}
	return p.Check(dir, fi, uid)
}
