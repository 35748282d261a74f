package handoff

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/org/aws-oidc-go/internal/profile"
)

// TestCleanupRemovesOnlyThisRunsTemp (issue 23, item 6): a temporary file
// a kill left beside a profile file is removed when its name carries the
// run's token (recorded even when the run made no directory), it is in the
// profile file's directory and it is a regular file of the user's that
// nobody else can write; anything else is left alone. The report counts
// it as a temporary file, never as a section removed.
func TestCleanupRemovesOnlyThisRunsTemp(t *testing.T) {
	t.Parallel()
	const tok = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"          // crypto/rand.Text's form
	const other = "ZYXWVUTSRQPONMLKJIHGFEDCB2"        // another run's
	const hexTok = "0123456789abcdef0123456789abcdef" // the form before rand.Text
	uid := os.Geteuid()
	cases := []struct {
		name  string
		prep  func(t *testing.T, dir string, s *State) (temp string)
		gone  bool
		warns bool
	}{
		{"this run's, no run directory", func(t *testing.T, dir string, s *State) string {
			return plantTemp(t, dir, tok, 0o600)
		}, true, false},
		{"this run's, beside its (removed) run directory", func(t *testing.T, dir string, s *State) string {
			s.Dir = filepath.Join(dir, RunDirPrefix+tok)
			return plantTemp(t, dir, tok, 0o600)
		}, true, false},
		{"a state from before tokens, with its run directory", func(t *testing.T, dir string, s *State) string {
			s.Token, s.Dir = "", filepath.Join(dir, RunDirPrefix+tok)
			return plantTemp(t, dir, tok, 0o600)
		}, true, false},
		{"a state from before tokens, no run directory", func(t *testing.T, dir string, s *State) string {
			s.Token = ""
			return plantTemp(t, dir, tok, 0o600)
		}, false, false},
		{"another run's token", func(t *testing.T, dir string, s *State) string {
			return plantTemp(t, dir, other, 0o600)
		}, false, false},
		{"a token that disagrees with the run directory", func(t *testing.T, dir string, s *State) string {
			s.Dir = filepath.Join(dir, RunDirPrefix+other)
			return plantTemp(t, dir, tok, 0o600)
		}, false, true},
		{"a token this action never makes", func(t *testing.T, dir string, s *State) string {
			s.Token = "../x"
			return plantTemp(t, dir, "../x", 0o600)
		}, false, true},
		{"a token of the hex form this action no longer makes", func(t *testing.T, dir string, s *State) string {
			s.Token = hexTok
			return plantTemp(t, dir, hexTok, 0o600)
		}, false, true},
		{"a state from before tokens, with a run directory of the hex form", func(t *testing.T, dir string, s *State) string {
			s.Token, s.Dir = "", filepath.Join(dir, RunDirPrefix+hexTok)
			return plantTemp(t, dir, hexTok, 0o600)
		}, false, true},
		{"a state from before tokens, with a run directory someone named", func(t *testing.T, dir string, s *State) string {
			s.Token, s.Dir = "", filepath.Join(dir, RunDirPrefix+"planted")
			return plantTemp(t, dir, "planted", 0o600)
		}, false, true},
		{"writable by others", func(t *testing.T, dir string, s *State) string {
			return plantTemp(t, dir, tok, 0o666)
		}, false, true},
		{"a link", func(t *testing.T, dir string, s *State) string {
			victim := filepath.Join(t.TempDir(), "victim")
			os.WriteFile(victim, []byte("precious"), 0o600)
			p := filepath.Join(dir, profile.TempPrefix+tok+"-1")
			os.Symlink(victim, p)
			return p
		}, false, true},
		{"in another directory", func(t *testing.T, dir string, s *State) string {
			sub := filepath.Join(dir, "sub")
			os.Mkdir(sub, 0o700)
			return plantTemp(t, sub, tok, 0o600)
		}, false, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			if runtime.GOOS == "windows" && (c.name == "a link" || c.name == "writable by others") {
				t.Skip("Unix behaviour: mode bits, and links Wine does not make")
			}
			dir := filepath.Join(t.TempDir(), ".aws")
			os.Mkdir(dir, 0o700)
			cred := filepath.Join(dir, "credentials")
			os.WriteFile(cred, []byte("[user]\nx = 1\n"), 0o600)
			s := State{Version: stateVersion, Token: tok}
			temp := c.prep(t, dir, &s)
			s.Profiles = []profile.Written{{Path: cred, Section: "ci", Digest: profile.Digest([]byte("[ci]\n")), Temp: temp}}
			rep := Cleanup(ctx, s, Checks{UID: uid})
			_, err := os.Lstat(temp)
			if gone := os.IsNotExist(err); gone != c.gone {
				t.Errorf("temporary file removed: %v, want %v (%v)", gone, c.gone, rep.Warnings)
			}
			if want := map[bool]int{true: 1}[c.gone]; rep.Temps != want || rep.Removed != 0 {
				t.Errorf("report: %d temporary file(s), %d section(s) removed; want %d and 0", rep.Temps, rep.Removed, want)
			}
			if (len(rep.Warnings) > 0) != c.warns {
				t.Errorf("warnings %q, want some: %v", rep.Warnings, c.warns)
			}
			if b, _ := os.ReadFile(cred); string(b) != "[user]\nx = 1\n" {
				t.Errorf("the user's file: %q", b)
			}
		})
	}
}

// plantTemp is a temporary file named with token in dir, as Write leaves
// one at a kill between its create and its rename.
func plantTemp(t *testing.T, dir, token string, mode os.FileMode) string {
	t.Helper()
	p := filepath.Join(dir, profile.TempPrefix+token+"-1")
	if strings.Contains(token, "/") {
		p = filepath.Join(dir, profile.TempPrefix+strings.ReplaceAll(token, "/", "_")+"-1")
	}
	if err := os.WriteFile(p, []byte("[user]\nx = 1\n\n[ci]\naws_secret_access_key = s\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	os.Chmod(p, mode)
	return p
}
