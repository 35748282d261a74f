package token

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/org/aws-oidc-go/internal/dev/harness"
)

const jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln"

// TestFilePathRefusesLinksInTheWorkspace: a symlink as the file or as any
// directory between the workspace and it is refused (a checked-out
// repository could plant one); before, a symlinked parent was accepted.
func TestFilePathRefusesLinksInTheWorkspace(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	ws := filepath.Join(root, "ws")
	outside := filepath.Join(root, "outside")
	os.MkdirAll(filepath.Join(ws, "real"), 0o755)
	os.MkdirAll(outside, 0o755)
	os.WriteFile(filepath.Join(ws, "real", "token"), []byte(jwt), 0o600)
	os.WriteFile(filepath.Join(outside, "token"), []byte(jwt), 0o600)
	harness.Symlink(t, outside, filepath.Join(ws, "linkdir"))
	harness.Symlink(t, filepath.Join(outside, "token"), filepath.Join(ws, "linkfile"))

	if p, err := FilePath("real/token", ws); err != nil || p != filepath.Join(ws, "real", "token") {
		t.Errorf("plain file: %q, %v", p, err)
	}
	for _, rel := range []string{"linkdir/token", "linkfile"} {
		var fe *FileError
		if _, err := FilePath(rel, ws); !errors.As(err, &fe) || !strings.Contains(err.Error(), "symbolic link") {
			t.Errorf("%s: err = %v, want a refusal naming the link", rel, err)
		}
	}
	// A link above the workspace is the system's (/var/run → /run) and is followed.
	linkedRoot := filepath.Join(root, "linked-root")
	harness.Symlink(t, root, linkedRoot)
	if _, err := FilePath("real/token", filepath.Join(linkedRoot, "ws")); err != nil {
		t.Errorf("workspace behind a system link: %v", err)
	}
}

// TestReadFileRefusesWhatIsNotAJWT: a token file must hold a compact JWT;
// anything else (an SSH key, a settings file, a JWE, a bare word) is
// refused, naming the file and none of its content. Before, any file of at
// most MaxFileSize bytes was read and sent to STS as the token.
func TestReadFileRefusesWhatIsNotAJWT(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ctx := context.Background()
	const secret = "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ"
	cases := []struct{ name, content, want string }{
		{"ssh key", "-----BEGIN OPENSSH PRIVATE KEY-----\n" + secret + "\n-----END OPENSSH PRIVATE KEY-----\n", "1 dot-separated parts"},
		{"two parts", secret + "." + secret, "2 dot-separated parts"},
		{"jwe", "eyJhbGciOiJSU0EtT0FFUCJ9." + secret + "." + secret + "." + secret + "." + secret, "5 dot-separated parts"},
		{"settings file", "role-to-assume=arn:aws:iam::123456789012:role/x\n" + secret + ".a.b", "not base64url"},
		{"padding", "eyJhbGciOiJSUzI1NiJ9=.eyJzdWIiOiJ4In0.c2ln", "header is not base64url"},
		{"empty header", ".eyJzdWIiOiJ4In0.c2ln", "header is empty"},
		{"empty payload", "eyJhbGciOiJSUzI1NiJ9..c2ln", "payload is empty"},
		{"line inside", "eyJhbGciOiJSUzI1NiJ9.eyJzdWIi\nOiJ4In0.c2ln", "payload is not base64url"},
		{"header not json", secret + ".eyJzdWIiOiJ4In0.c2ln", "header does not decode to a JSON object"},
		{"header a json array", "WzEsMl0.eyJzdWIiOiJ4In0.c2ln", "header does not decode to a JSON object"},
		{"header json null", "bnVsbA.eyJzdWIiOiJ4In0.c2ln", "header does not decode to a JSON object"},
		{"header not decodable", "eyJhbGciOiJSUzI1NiJ9x.eyJzdWIiOiJ4In0.c2ln", "header does not decode as base64url"},
	}
	for _, tc := range cases {
		p := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "-"))
		os.WriteFile(p, []byte(tc.content), 0o600)
		tok, err := ReadFile(ctx, p)
		var fe *FileError
		if !errors.As(err, &fe) {
			t.Errorf("%s: read %d bytes (err %v), want a *FileError", tc.name, len(tok), err)
			continue
		}
		msg := err.Error()
		if !strings.Contains(msg, p) || !strings.Contains(msg, tc.want) || !strings.Contains(msg, "compact JWT") {
			t.Errorf("%s: %q, want the file, %q and what is required", tc.name, msg, tc.want)
		}
		if strings.Contains(msg, secret) || strings.Contains(msg, "BEGIN") || strings.Contains(msg, "role-to-assume") {
			t.Errorf("%s: the error quotes the file's content: %q", tc.name, msg)
		}
	}
	// What is accepted: a compact JWS, unsigned included, with white space around.
	for _, ok := range []string{jwt, " " + jwt + "\r\n", "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0."} {
		p := filepath.Join(dir, "ok")
		os.WriteFile(p, []byte(ok), 0o600)
		if tok, err := ReadFile(ctx, p); err != nil || tok != strings.TrimSpace(ok) {
			t.Errorf("%q: (%q, %v)", ok, tok, err)
		}
	}
}
