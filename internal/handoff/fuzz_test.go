package handoff

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/org/aws-oidc-go/internal/profile"

	"github.com/org/aws-oidc-go/internal/dev/harness"
)

// FuzzCleanup: any bytes as a state or manifest; whatever they claim,
// Cleanup never touches what it cannot verify. The sandbox holds a run
// directory and the user's files (of uid 4242, the user the checks
// expect), a file of another user and a file in a directory anyone can
// write, both with a section whose digest the seeds know: those two stay
// byte for byte, and nothing in the sandbox becomes root's (a root post
// step keeps the owner of what it rewrites). Needs root: in CI it fails
// without it.
func FuzzCleanup(f *testing.F) {
	const uid = 4242
	section := "[ci]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\n"
	digest := profile.Digest([]byte(section))
	for _, seed := range []string{
		`{"v":1}`,
		`{"v":1,"env":["PATH","AWS_REGION"]}`,
		`{"v":1,"dir":"DIR","files":["../victim","renewal.json"],"profiles":[{"path":"OTHER","section":"ci","digest":"` + digest + `","created":true}]}`,
		`{"v":1,"profiles":[{"path":"OPEN","section":"ci","digest":"` + digest + `","created":true,"temp":"OPENDIR/x"}]}`,
		`{"v":1,"dir":"DIR","profiles":[{"path":"USER","section":"ci","digest":"` + digest + `","stash":"DIR/stash","stash_digest":"` + digest + `"}]}`,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, claim string) {
		harness.NeedsRoot(t, "chown")
		box := t.TempDir()
		run := filepath.Join(box, "aws-oidc-go-run-ABCDEFGHIJKLMNOPQRSTUVWXYZ")
		open := filepath.Join(box, "open")
		os.Mkdir(run, 0o700)
		os.Mkdir(open, 0o777)
		os.Chmod(open, 0o777)
		user, other, openFile := filepath.Join(box, "credentials"), filepath.Join(box, "other"), filepath.Join(open, "credentials")
		for _, p := range []string{user, other, openFile, filepath.Join(run, "stash"), filepath.Join(run, "renewal.json"), filepath.Join(box, "victim")} {
			os.WriteFile(p, []byte(section), 0o600)
			os.Lchown(p, uid, uid)
		}
		for _, p := range []string{box, run, open} {
			os.Lchown(p, uid, uid)
		}
		os.Lchown(other, 12345, 12345)
		claim = strings.NewReplacer("DIR", run, "OTHER", other, "OPENDIR", open, "OPEN", openFile, "USER", user).Replace(claim)
		s, err := ParseState([]byte(claim))
		if err != nil {
			return
		}
		rep := Cleanup(ctx, s, Checks{UID: uid})
		for _, p := range []string{other, openFile, filepath.Join(box, "victim")} {
			if b, err := os.ReadFile(p); err != nil || string(b) != section {
				t.Fatalf("%s changed (%q, %v) on the claim %s", p, b, err, claim)
			}
		}
		filepath.WalkDir(box, func(p string, _ fs.DirEntry, err error) error {
			if err == nil && uidOf(t, p) == 0 {
				t.Fatalf("%s is root's after the claim %s", p, claim)
			}
			return nil
		})
		for _, n := range rep.Blank {
			if !exportable(n) {
				t.Fatalf("blanks %s", n)
			}
		}
	})
}
