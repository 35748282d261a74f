package token

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/org/aws-oidc-go/internal/filesafe"
	"github.com/org/aws-oidc-go/internal/lazyre"
)

// MaxFileSize bounds a token file: real web identity tokens are a few KiB.
const MaxFileSize = 64 << 10

// serviceAccountToken matches Kubernetes' projected service-account token
// paths, which are symlinks by design (..data/token) and the one exception
// to refusing symlinks.
var serviceAccountToken = lazyre.New(`^/var/run/secrets/[^/]+/serviceaccount/token$`)

// FileError is a web-identity-token-file problem. The action reports it as
// a problem with that input.
type FileError struct{ Problem string }

func (e *FileError) Error() string { return "input web-identity-token-file: " + e.Problem }

// FilePath resolves web-identity-token-file before any call: relative paths
// are under the workspace; the file must exist and be a regular file, and
// neither it nor any directory between the workspace and it may be a
// symbolic link (a checked-out repository could plant one), except the
// Kubernetes service-account token paths. Links above the workspace (such
// as /var/run → /run) are the system's and are followed.
func FilePath(p, workspace string) (string, error) {
	if !filepath.IsAbs(p) {
		if workspace == "" {
			return "", &FileError{Problem: fmt.Sprintf("%q is relative and GITHUB_WORKSPACE is not set; use an absolute path", p)}
		}
		p = filepath.Join(workspace, p)
	}
	p = filepath.Clean(p)
	if serviceAccountToken().MatchString(p) {
		return p, checkRegular(p, os.Stat)
	}
	if ws := filepath.Clean(workspace); workspace != "" && strings.HasPrefix(p, ws+string(filepath.Separator)) {
		rel, _ := filepath.Rel(ws, filepath.Dir(p))
		dir := ws
		for _, part := range strings.Split(rel, string(filepath.Separator)) {
			if part == "." {
				break
			}
			dir = filepath.Join(dir, part)
			if fi, err := os.Lstat(dir); err == nil && fi.Mode()&fs.ModeSymlink != 0 {
				return "", &FileError{Problem: fmt.Sprintf("%s is under %s, a symbolic link inside the workspace; refusing it", p, dir)}
			}
		}
	}
	return p, checkRegular(p, os.Lstat)
}

func checkRegular(p string, stat func(string) (fs.FileInfo, error)) error {
	fi, err := stat(p)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return &FileError{Problem: fmt.Sprintf("%s does not exist (relative paths are under GITHUB_WORKSPACE)", p)}
	case err != nil:
		return &FileError{Problem: err.Error()}
	case fi.Mode()&fs.ModeSymlink != 0:
		return &FileError{Problem: fmt.Sprintf("%s is a symbolic link; refusing it (only Kubernetes service-account token paths /var/run/secrets/*/serviceaccount/token may be links)", p)}
	case !fi.Mode().IsRegular():
		return &FileError{Problem: fmt.Sprintf("%s is not a regular file (%s)", p, fi.Mode().Type())}
	case fi.Size() > MaxFileSize:
		return &FileError{Problem: fmt.Sprintf("%s is %d bytes; a web identity token is at most %d", p, fi.Size(), MaxFileSize)}
	}
	return nil
}

// openFlags opens without blocking (a fifo cannot hang the read) and, unless
// follow, refuses a symbolic link as the last component (both nothing on
// Windows, where FilePath already refused links).
func openFlags(follow bool) int {
	if follow {
		return filesafe.NonBlock
	}
	return filesafe.NonBlock | filesafe.NoFollow
}

// ReadFile reads a token file afresh (projected tokens are rotated): a
// regular file only, opened without blocking (a fifo cannot hang it), at
// most MaxFileSize bytes, and not past ctx's deadline. Surrounding white
// space is dropped; what remains must be a compact JWT (CheckCompactJWT), so
// a file that holds anything else (an SSH key, a settings file) is refused,
// naming the file but none of its content, before it can be sent anywhere.
func ReadFile(ctx context.Context, p string) (string, error) {
	f, err := os.OpenFile(p, os.O_RDONLY|openFlags(serviceAccountToken().MatchString(p)), 0)
	if err != nil {
		return "", &FileError{Problem: err.Error()}
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return "", &FileError{Problem: err.Error()}
	}
	if !fi.Mode().IsRegular() {
		return "", &FileError{Problem: fmt.Sprintf("%s is not a regular file (%s)", p, fi.Mode().Type())}
	}
	if d, ok := ctx.Deadline(); ok {
		_ = f.SetReadDeadline(d) // regular files ignore it; reads of them do not block
	}
	b, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return "", &FileError{Problem: err.Error()}
	}
	if len(b) > MaxFileSize {
		return "", &FileError{Problem: fmt.Sprintf("%s is larger than %d bytes; a web identity token is smaller", p, MaxFileSize)}
	}
	if err := ctx.Err(); err != nil {
		return "", err
	}
	tok := strings.TrimSpace(string(b))
	if tok == "" {
		return "", &FileError{Problem: p + " is empty"}
	}
	if err := CheckCompactJWT(tok); err != nil {
		// Nothing of the content is quoted: the file may be any secret.
		return "", &FileError{Problem: fmt.Sprintf("%s does not hold a web identity token: %v; a compact JWT (three base64url parts separated by dots, the first a JSON object header) is required", p, err)}
	}
	return tok, nil
}

// File is a token source reading a file for every token.
type File struct{ Path string }

// Token reads the file.
func (f File) Token(ctx context.Context) (string, error) { return ReadFile(ctx, f.Path) }

func (f File) String() string { return "the web identity token in " + f.Path }

// Service is a token source asking GitHub's token service for every token.
type Service struct {
	GitHub   *GitHub
	Audience string
}

// Token fetches a fresh ID token. A redirect the token client refused is
// Fetch's *RedirectError, not temporary: it is not retried (the same
// request is redirected the same way).
func (s Service) Token(ctx context.Context) (string, error) {
	return s.GitHub.Fetch(ctx, s.Audience)
}

func (s Service) String() string { return "GitHub OIDC, audience " + s.Audience }
