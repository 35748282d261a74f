package profile

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/org/aws-oidc-go/internal/dev/harness"
	"github.com/org/aws-oidc-go/internal/filesafe"

	"github.com/google/go-cmp/cmp"
)

var ctx = context.Background()

var entry = Entry{Name: "ci", Region: "eu-west-1", AccessKeyID: "ASIAIOSFODNN7EXAMPLE", SecretAccessKey: "secret", SessionToken: "token"}

func files(t *testing.T, cred, cfg string) Files {
	t.Helper()
	dir := filepath.Join(t.TempDir(), ".aws")
	os.Mkdir(dir, 0o700)
	f := Files{Credentials: filepath.Join(dir, "credentials"), Config: filepath.Join(dir, "config")}
	if cred != "" {
		os.WriteFile(f.Credentials, []byte(cred), 0o600)
	}
	if cfg != "" {
		os.WriteFile(f.Config, []byte(cfg), 0o600)
	}
	return f
}

func read(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		return "<missing>"
	}
	return string(b)
}

// TestEveryByteOutsideOurSectionSurvives writes and removes a profile in
// files the INI library used to damage, and checks the bytes before, in
// between and after.
func TestEveryByteOutsideOurSectionSurvives(t *testing.T) {
	t.Parallel()
	cases := map[string]string{
		"nested s3 settings": "[profile dev]\nregion = us-east-1\ns3 =\n    max_concurrent_requests = 20\n    addressing_style = path\n[services local]\nsts =\n  endpoint_url = http://localhost:4566\n",
		"backtick value":     "[profile dev]\ncredential_process = /bin/sh -c `cat /x`\n# a comment\n; another\n",
		"CRLF and BOM":       "\xef\xbb\xbf[profile dev]\r\nregion = us-east-1\r\n",
		"no final newline":   "[profile dev]\nregion = us-east-1",
		"empty":              "",
		"only comments":      "# nothing here yet\n",
		"odd spacing":        "[profile dev]\nregion=us-east-1\n  # indented comment\n\n\n[profile  other ]\nx = \"quoted\"\n",
	}
	for name, before := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			f := files(t, before, before)
			w, err := Write(ctx, f, entry, Options{})
			if err != nil {
				t.Fatal(err)
			}
			cfg := read(t, f.Config)
			if !strings.HasPrefix(cfg, before) {
				t.Errorf("the config no longer starts with the original bytes:\n%q", cfg)
			}
			nl := "\n"
			if strings.Contains(before, "\r\n") {
				nl = "\r\n"
			}
			if !strings.Contains(cfg, "[profile ci]"+nl+"region = eu-west-1"+nl) {
				t.Errorf("config = %q", cfg)
			}
			if err := removeAll(ctx, w); err != nil {
				t.Fatal(err)
			}
			for _, p := range []string{f.Credentials, f.Config} {
				want := before
				if before == "" {
					want = "<missing>" // we created it; it goes
				}
				if got := read(t, p); got != want {
					t.Errorf("%s after Remove (-want +got):\n%s", filepath.Base(p), cmp.Diff(want, got))
				}
			}
		})
	}
}

// TestReplacedSectionComesBack: overwrite-aws-profile on the user's own
// [default] stashes it byte for byte; Remove puts it back (before, the
// user's keys were gone for good).
func TestReplacedSectionComesBack(t *testing.T) {
	t.Parallel()
	cred := "# mine\n[default]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY # keep\n\n# next\n[other]\nx = 1\n"
	cfg := "[default]\nregion = us-east-1\noutput = json\n"
	f := files(t, cred, cfg)
	e := entry
	e.Name = "default"
	if _, err := Write(ctx, f, e, Options{}); err == nil {
		t.Fatal("replaced [default] without overwrite")
	}
	w, err := Write(ctx, f, e, Options{Overwrite: true, StashDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	want := "# mine\n[default]\naws_access_key_id = ASIAIOSFODNN7EXAMPLE\naws_secret_access_key = secret\naws_session_token = token\n\n# next\n[other]\nx = 1\n"
	if got := read(t, f.Credentials); got != want {
		t.Errorf("credentials (-want +got):\n%s", cmp.Diff(want, got))
	}
	if got := read(t, f.Config); got != "[default]\nregion = eu-west-1\n" {
		t.Errorf("config = %q", got)
	}
	for _, x := range w {
		if fi, err := os.Stat(x.Stash); err != nil || (runtime.GOOS != "windows" && fi.Mode().Perm() != 0o600) {
			t.Errorf("stash %s: %v", x.Stash, err)
		}
	}
	if err := removeAll(ctx, w); err != nil {
		t.Fatal(err)
	}
	if got := read(t, f.Credentials); got != cred {
		t.Errorf("credentials after Remove (-want +got):\n%s", cmp.Diff(cred, got))
	}
	if got := read(t, f.Config); got != cfg {
		t.Errorf("config after Remove (-want +got):\n%s", cmp.Diff(cfg, got))
	}
	entries, _ := os.ReadDir(filepath.Dir(f.Config))
	for _, e := range entries {
		if strings.Contains(e.Name(), "stash") || strings.HasPrefix(e.Name(), ".aws-oidc-go-") {
			t.Errorf("left behind %s", e.Name())
		}
	}
}

// TestRemoveKeepsWhatOthersAddedLater: a later step's profile appended
// after ours survives our removal.
func TestRemoveKeepsWhatOthersAddedLater(t *testing.T) {
	t.Parallel()
	f := files(t, "[mine]\nx = 1", "")
	w, err := Write(ctx, f, entry, Options{})
	if err != nil {
		t.Fatal(err)
	}
	e2 := entry
	e2.Name = "later"
	if _, err := Write(ctx, f, e2, Options{}); err != nil {
		t.Fatal(err)
	}
	if err := removeAll(ctx, w); err != nil {
		t.Fatal(err)
	}
	got := read(t, f.Credentials)
	if strings.Contains(got, "[ci]") || !strings.HasPrefix(got, "[mine]\nx = 1\n") || !strings.Contains(got, "[later]\naws_access_key_id") {
		t.Errorf("credentials = %q", got)
	}
}

// TestConcurrentWritersLoseNothing: 50 writers to one file (before: all
// reported success and 16 profiles vanished).
func TestConcurrentWritersLoseNothing(t *testing.T) {
	t.Parallel()
	f := files(t, "[user]\nkeep = me\n", "")
	var wg sync.WaitGroup
	errs := make(chan error, 50)
	for i := range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			e := entry
			e.Name = fmt.Sprintf("p%02d", i)
			_, err := Write(ctx, f, e, Options{})
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	got := read(t, f.Credentials)
	for i := range 50 {
		if !strings.Contains(got, fmt.Sprintf("[p%02d]\n", i)) {
			t.Errorf("profile p%02d vanished", i)
		}
	}
	if !strings.HasPrefix(got, "[user]\nkeep = me\n") {
		t.Error("the user's profile changed")
	}
}

func TestRefusals(t *testing.T) {
	t.Parallel()
	harness.UnixOnly(t, "a world-writable directory; the links are tested on Windows too, in TestRefusesLinks")
	root := t.TempDir()
	real := filepath.Join(root, "real")
	os.Mkdir(real, 0o700)
	os.Symlink(real, filepath.Join(root, "linked"))
	open := filepath.Join(root, "open")
	os.Mkdir(open, 0o777)
	os.Chmod(open, 0o777)
	os.WriteFile(filepath.Join(real, "target"), []byte("[x]\n"), 0o600)
	os.Symlink(filepath.Join(real, "target"), filepath.Join(real, "credentials"))
	for name, f := range map[string]Files{
		"symlinked directory":      {Credentials: filepath.Join(root, "linked", "c"), Config: filepath.Join(root, "linked", "k")},
		"world-writable directory": {Credentials: filepath.Join(open, "c"), Config: filepath.Join(open, "k")},
		"symlinked file":           {Credentials: filepath.Join(real, "credentials"), Config: filepath.Join(real, "config")},
	} {
		if _, err := Write(ctx, f, entry, Options{Overwrite: true, StashDir: t.TempDir()}); err == nil {
			t.Errorf("%s: written", name)
		}
	}
	if got := read(t, filepath.Join(real, "target")); got != "[x]\n" {
		t.Errorf("a refused write changed the link's target: %q", got)
	}
}

// TestRefusesLinks: a profile file or directory that is a symbolic link
// is refused on every platform (Windows included, where the link needs
// developer mode), and the link's target is left as it was.
func TestRefusesLinks(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	real := filepath.Join(root, "real")
	os.Mkdir(real, 0o700)
	harness.Symlink(t, real, filepath.Join(root, "linked"))
	os.WriteFile(filepath.Join(real, "target"), []byte("[x]\n"), 0o600)
	harness.Symlink(t, filepath.Join(real, "target"), filepath.Join(real, "credentials"))
	for name, f := range map[string]Files{
		"symlinked directory": {Credentials: filepath.Join(root, "linked", "c"), Config: filepath.Join(root, "linked", "k")},
		"symlinked file":      {Credentials: filepath.Join(real, "credentials"), Config: filepath.Join(real, "config")},
	} {
		if _, err := Write(ctx, f, entry, Options{Overwrite: true, StashDir: t.TempDir()}); err == nil {
			t.Errorf("%s: written", name)
		}
	}
	if got := read(t, filepath.Join(real, "target")); got != "[x]\n" {
		t.Errorf("a refused write changed the link's target: %q", got)
	}
}

func BenchmarkWriteRemove(b *testing.B) {
	dir := b.TempDir()
	f := Files{Credentials: filepath.Join(dir, "credentials"), Config: filepath.Join(dir, "config")}
	os.WriteFile(f.Config, []byte(strings.Repeat("[profile x]\nregion = us-east-1\n", 200)), 0o600)
	b.ReportAllocs()
	for b.Loop() {
		w, err := Write(ctx, f, entry, Options{})
		if err != nil {
			b.Fatal(err)
		}
		if err := removeAll(ctx, w); err != nil {
			b.Fatal(err)
		}
	}
}

// TestPrepareDirRefusesStickyOpenDirectories: a sticky world-writable
// directory (/tmp) is no place for credentials: anyone can plant a name
// there first, and the post step refuses to remove anything from it.
func TestPrepareDirRefusesStickyOpenDirectories(t *testing.T) {
	t.Parallel()
	harness.UnixOnly(t, "a sticky world-writable directory")
	dir := filepath.Join(t.TempDir(), "tmp")
	os.Mkdir(dir, 0o700)
	os.Chmod(dir, os.ModeSticky|0o777)
	f := Files{Credentials: filepath.Join(dir, "c"), Config: filepath.Join(dir, "k")}
	if _, err := Write(ctx, f, entry, Options{}); err == nil || !strings.Contains(err.Error(), "writable by group or others") {
		t.Errorf("err = %v, want a refusal", err)
	}
	if _, err := os.Lstat(f.Credentials); err == nil {
		t.Error("credentials written into a sticky world-writable directory")
	}
}

// TestPrepareDirHandsEveryCreatedDirectoryOver: missing parents created by
// a root process go to the runner's user too, not only the last one.
func TestPrepareDirHandsEveryCreatedDirectoryOver(t *testing.T) {
	t.Parallel()
	harness.UnixOnly(t, "a root process handing directories to the runner's uid")
	harness.NeedsRoot(t, "chown")
	base := t.TempDir()
	dir := filepath.Join(base, "a", "b", ".aws")
	if err := PrepareDir(dir, &Owner{UID: 4242, GID: 4242}); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{filepath.Join(base, "a"), filepath.Join(base, "a", "b"), dir} {
		fi, err := os.Lstat(d)
		if err != nil {
			t.Fatal(err)
		}
		if o := filesafe.OwnerOf(fi); o == nil || o.UID != 4242 || fi.Mode().Perm() != 0o700 {
			t.Errorf("%s: owner %+v mode %v, want uid 4242, 0700", d, o, fi.Mode().Perm())
		}
	}
	if o := filesafe.OwnerOf(mustLstat(t, base)); o.UID != 0 {
		t.Errorf("the existing parent changed hands: %+v", o)
	}
}

func mustLstat(t *testing.T, p string) os.FileInfo {
	t.Helper()
	fi, err := os.Lstat(p)
	if err != nil {
		t.Fatal(err)
	}
	return fi
}

// TestRemoveRewritesThroughTheRecordedTemp: the post step's own rewrite of
// a user's file goes through the temporary name the record holds, so a
// kill between its create and its rename leaves a file the record names
// (and the sweep removes), never an unrecorded copy of the user's
// credentials. Not parallel: it sets the package's test hook.
func TestRemoveRewritesThroughTheRecordedTemp(t *testing.T) {
	f := files(t, "[user]\nkeep = me\n", "")
	n := 0
	ws, err := Write(ctx, f, entry, Options{TempName: func() string { n++; return fmt.Sprintf("run-%d", n) }})
	if err != nil {
		t.Fatal(err)
	}
	var seen []string
	removeHook = func(point string) error {
		if point == "rename" {
			entries, _ := os.ReadDir(filepath.Dir(f.Credentials))
			for _, e := range entries {
				if strings.HasPrefix(e.Name(), tempPrefix) {
					seen = append(seen, filepath.Join(filepath.Dir(f.Credentials), e.Name()))
				}
			}
		}
		return nil
	}
	defer func() { removeHook = nil }()
	if err := removeAll(ctx, ws); err != nil {
		t.Fatal(err)
	}
	if len(seen) != 1 || seen[0] != ws[0].Temp {
		t.Errorf("temporary files during the rewrite: %q, want only the recorded %s", seen, ws[0].Temp)
	}
	if got := read(t, f.Credentials); got != "[user]\nkeep = me\n" {
		t.Errorf("credentials = %q", got)
	}
}

// removeAll undoes every record, last first, reading each stash as it is
// (the checks of the run's directory are handoff's, tested there).
func removeAll(ctx context.Context, ws []Written) error {
	var errs []error
	for i := len(ws) - 1; i >= 0; i-- {
		var stash Stash
		if ws[i].Stash != "" {
			stash.Data, stash.Err = os.ReadFile(ws[i].Stash)
		}
		if _, err := RemoveOne(ctx, ws[i], stash); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
