package action

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"runtime"

	"github.com/org/aws-oidc-go/internal/filesafe"
	"github.com/org/aws-oidc-go/internal/handoff"
)

// MaxImage bounds the program refresh copies: ours is a few tens of MB.
const MaxImage = 256 << 20

// refreshExecutable returns the program later steps run for
// credential_process: a copy of the running image in the run's private
// directory (created there exclusively, 0700, never through a link; the
// container path's copy for the host is the same), never the path this
// process was started from. That path may be in a directory others can
// write, or be replaced after the start; the image read through
// /proc/self/exe is the file that runs now, whatever the path names by
// then. Where there is no /proc/self/exe the path is copied only when
// nobody else could have replaced it (see checkImagePath). The image
// itself must be a regular file of this user's or root's that group and
// others cannot write, else it is refused, named.
func (r *mainStep) refreshExecutable(ho *handoff.Step) (string, error) {
	f, name, err := r.openImage()
	if err != nil {
		return "", fmt.Errorf("refresh: copying this program for credential_process: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return "", fmt.Errorf("refresh: copying this program for credential_process: %w", err)
	}
	if err := checkImage(name, fi, handoff.TrustedOwners(r.env.UID, r.env.Getenv("GITHUB_WORKSPACE"))); err != nil {
		return "", fmt.Errorf("refresh: refusing to copy this program for credential_process: %w; install it where only you or root can change it (a file of yours or root's, mode 755 or stricter)", err)
	}
	if fi.Size() > MaxImage {
		return "", fmt.Errorf("refresh: %s is larger than %d bytes; refusing to copy it", name, MaxImage)
	}
	b, err := io.ReadAll(io.LimitReader(f, MaxImage+1))
	if err == nil && len(b) > MaxImage {
		err = fmt.Errorf("%s is larger than %d bytes", name, MaxImage)
	}
	if err != nil {
		return "", fmt.Errorf("refresh: copying this program for credential_process: %w", err)
	}
	// Windows' cmd.exe /C, which the SDKs run credential_process with,
	// runs a program only by an executable extension.
	copyName := "aws-oidc-go"
	if runtime.GOOS == "windows" {
		copyName += ".exe"
	}
	_, later, err := ho.CreateFile(copyName, b, 0o700)
	if err != nil {
		return "", fmt.Errorf("refresh: copying this program for credential_process: %w", err)
	}
	return later, nil
}

// selfImage is the running program's image on Linux.
const selfImage = "/proc/self/exe"

// openImage opens the running program's image and names it for errors.
// /proc/self/exe is asked only where /proc is the kernel's: on Windows
// "/proc/self/exe" is a path on the current drive that anyone may create
// (and under Wine it is the loader's image), never this program.
func (r *mainStep) openImage() (*os.File, string, error) {
	if r.env.Image != nil {
		f, err := r.env.Image()
		return f, r.env.Executable, err
	}
	if runtime.GOOS == "windows" {
		return r.openImageAt("")
	}
	return r.openImageAt(selfImage)
}

// openImageAt is openImage with the running image at self.
func (r *mainStep) openImageAt(self string) (*os.File, string, error) {
	exe := r.env.Executable
	if f, err := os.Open(self); self != "" && err == nil {
		if exe == "" {
			exe = self
		}
		return f, exe + " (the running image, " + self + ")", nil
	}
	if exe == "" && r.env.ExecutableErr != nil {
		return nil, "", fmt.Errorf("cannot find this program's own path: there is no %s, and %w", self, r.env.ExecutableErr)
	}
	if exe == "" {
		return nil, "", errors.New("cannot find this program's own path")
	}
	// Read back by its path: only a program nobody but a trusted user
	// could have replaced since the start (handoff.CheckExecutable: links
	// resolved, the file and every directory above checked; on Windows the
	// link checks alone, the directory's ACL protecting the rest).
	real, err := handoff.CheckExecutable(exe, handoff.TrustedOwners(r.env.UID, r.env.Getenv("GITHUB_WORKSPACE")))
	if err != nil {
		return nil, "", err
	}
	f, err := os.Open(real)
	if err != nil {
		return nil, "", err
	}
	if a, err1 := os.Lstat(real); err1 != nil {
		f.Close()
		return nil, "", err1
	} else if b, err2 := f.Stat(); err2 != nil || !os.SameFile(a, b) {
		f.Close()
		return nil, "", fmt.Errorf("%s was replaced while it was opened", real)
	}
	return f, real, nil
}

// checkImage: the image copied must be a regular file of a trusted owner's
// (handoff.TrustedOwners: the user, root, and as root the workspace's
// owner — as handoff.CheckExecutable trusts) that group and others cannot
// write (whoever can write it chooses what credential_process runs).
func checkImage(name string, fi fs.FileInfo, owners []int) error {
	owned := false
	for _, u := range owners {
		owned = owned || filesafe.OwnedBy(fi, u)
	}
	switch {
	case !fi.Mode().IsRegular():
		return fmt.Errorf("%s is not a regular file", name)
	case !owned:
		return fmt.Errorf("%s is owned by %s, not by a trusted user (uids %v)", name, filesafe.OwnerName(fi), owners)
	case filesafe.Insecure(fi, 0o022):
		return fmt.Errorf("%s is writable by group or others (mode %v)", name, fi.Mode().Perm())
	}
	return nil
}
