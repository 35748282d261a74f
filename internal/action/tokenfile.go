package action

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// serviceAccountToken matches Kubernetes' projected service-account token
// paths, which are symlinks by design (..data/token) and the one exception
// to refusing symlinks.
var serviceAccountToken = regexp.MustCompile(`^/var/run/secrets/[^/]+/serviceaccount/token$`)

// TokenFileError is a web-identity-token-file problem found before any call.
type TokenFileError struct{ Problem string }

func (e *TokenFileError) Error() string { return "input web-identity-token-file: " + e.Problem }

// TokenFilePath resolves web-identity-token-file: relative paths are under
// the workspace; the file must exist and must not be a symlink (except a
// Kubernetes service-account token).
func TokenFilePath(p, workspace string) (string, error) {
	if !filepath.IsAbs(p) {
		if workspace == "" {
			return "", &TokenFileError{Problem: fmt.Sprintf("%q is relative and GITHUB_WORKSPACE is not set; use an absolute path", p)}
		}
		p = filepath.Join(workspace, p)
	}
	p = filepath.Clean(p)
	fi, err := os.Lstat(p)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "", &TokenFileError{Problem: fmt.Sprintf("%s does not exist (relative paths are under GITHUB_WORKSPACE)", p)}
	case err != nil:
		return "", &TokenFileError{Problem: err.Error()}
	case fi.Mode()&fs.ModeSymlink != 0 && !serviceAccountToken.MatchString(p):
		return "", &TokenFileError{Problem: fmt.Sprintf("%s is a symbolic link; refusing it (only Kubernetes service-account token paths /var/run/secrets/*/serviceaccount/token may be links)", p)}
	}
	return p, nil
}

// ReadTokenFile reads the token afresh (projected tokens are rotated).
func ReadTokenFile(p string) (string, error) {
	b, err := os.ReadFile(p)
	if err != nil {
		return "", &TokenFileError{Problem: err.Error()}
	}
	tok := strings.TrimSpace(string(b))
	if tok == "" {
		return "", &TokenFileError{Problem: p + " is empty"}
	}
	return tok, nil
}
