package handoff

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/org/aws-oidc-go/internal/filesafe"
	"github.com/org/aws-oidc-go/internal/lazyre"
	"github.com/org/aws-oidc-go/internal/profile"
)

// Checks are what Cleanup holds every claim against.
type Checks struct {
	// UID is the user our files must belong to: the user later steps run
	// as. NoUID: not checked (Windows).
	UID int
}

// Report is what Cleanup did, and what it left alone and why.
type Report struct {
	Blank    []string // variables to blank (exportable ones only)
	Removed  int      // sections and files removed
	Temps    int      // temporary files a killed write left beside a profile file, removed
	Warnings []string // each names what was left alone and why
}

func (rep *Report) warn(format string, args ...any) {
	rep.Warnings = append(rep.Warnings, fmt.Sprintf(format, args...))
}

// Cleanup undoes what s records, touching only what it can tie to the main
// step: sections of the user's files whose bytes are exactly those
// recorded (restored only from a stash that passes the checks), and files
// inside the run's directory once the directory passes its checks. The
// variables to blank are returned (Report.Blank), only ones this action
// can export. Anything that does not verify is left alone with a warning;
// nothing is deleted or rewritten on a claim alone. ctx bounds the wait
// for locks.
func Cleanup(ctx context.Context, s State, c Checks) Report {
	var rep Report
	for _, n := range s.Env {
		if exportable(n) {
			rep.Blank = append(rep.Blank, n)
		} else {
			rep.warn("not blanking %q: this action never exports it", n)
		}
	}
	dirOK := false
	dirToken := ""
	if s.Dir != "" {
		tok, named := runDirToken(s.Dir)
		switch err := checkRunDir(s.Dir, c.UID); {
		case !named || !filepath.IsAbs(s.Dir):
			rep.warn("left %s alone: not a run directory of this action", s.Dir)
		case err == nil:
			dirOK, dirToken = true, tok
		case isNotExist(err):
			dirToken = tok
		default:
			rep.warn("left the run directory %s alone: %v", s.Dir, err)
		}
	}
	token := runToken(s, dirToken, &rep)
	keep := map[string]bool{}
	for i := len(s.Profiles) - 1; i >= 0; i-- {
		w := s.Profiles[i]
		if w.Stash != "" && (!dirOK || filepath.Dir(w.Stash) != s.Dir) {
			rep.warn("left [%s] in %s alone: its stash %s is not in a verified run directory", w.Section, w.Path, w.Stash)
			continue
		}
		if w.Temp != "" && (token == "" || !strings.HasPrefix(filepath.Base(w.Temp), profile.TempPrefix+token+"-") || filepath.Dir(w.Temp) != filepath.Dir(w.Path)) {
			w.Temp = "" // not a name this run could have chosen
		}
		if err := checkUserFile(w.Path, c.UID); err != nil {
			rep.warn("left [%s] in %s alone: %v", w.Section, w.Path, err)
			keepStash(keep, w)
			continue
		}
		if err := checkTemp(w.Temp, c.UID); err != nil {
			rep.warn("left %s alone: %v", w.Temp, err)
			w.Temp = ""
		}
		// The stash is read here, checked like every file of the run's
		// directory; profile only compares it with the record.
		var stash profile.Stash
		if w.Stash != "" {
			stash.Data, stash.Err = ReadChecked(w.Stash, c.UID)
		}
		did, err := profile.RemoveOne(ctx, w, stash)
		if did.Temp {
			rep.Temps++
		}
		var notOurs *profile.NotOursError
		switch {
		case errors.As(err, &notOurs):
			rep.warn("%v", err)
			keepStash(keep, w)
		case err != nil:
			rep.warn("could not remove [%s] from %s: %v", w.Section, w.Path, err)
			keepStash(keep, w)
		case did.Section:
			rep.Removed++
		}
	}
	if dirOK {
		removeRunDir(s, c.UID, keep, &rep)
	}
	return rep
}

// runToken is the token that names this run's temporary files: the one
// the state records, which must agree with its run directory's name; a
// state from before tokens were recorded has only the directory's. ""
// when there is none that can be trusted (no temporary file is removed).
func runToken(s State, dirToken string, rep *Report) string {
	switch {
	case s.Token == "":
		return dirToken
	case !isToken(s.Token):
		rep.warn("ignored the state's token %q: not a token this action makes", s.Token)
		return ""
	case dirToken != "" && dirToken != s.Token:
		rep.warn("ignored the state's token: its run directory %s bears another", s.Dir)
		return ""
	}
	return s.Token
}

// tokenRe is a token Start makes: crypto/rand.Text, 26 characters of
// base32's upper-case alphabet (128 random bits). Anything else — a
// token of the hex format before it, a name someone chose — is not one.
var tokenRe = lazyre.New(`^[A-Z2-7]{26}$`)

func isToken(s string) bool { return tokenRe().MatchString(s) }

// runDirToken returns the token in the name of a run directory dir, ok
// false when the name is not one Start gives (RunDirPrefix and a token).
func runDirToken(dir string) (token string, ok bool) {
	token, ok = strings.CutPrefix(filepath.Base(dir), RunDirPrefix)
	return token, ok && isToken(token)
}

// checkTemp: a recorded temporary file is removed only when it is a
// regular file of uid's (its directory is the profile file's, which
// checkUserFile has checked); one that is not there is nothing to do.
func checkTemp(path string, uid int) error {
	if path == "" {
		return nil
	}
	fi, err := os.Lstat(path)
	if isNotExist(err) {
		return nil
	}
	if err != nil {
		return err
	}
	return filesafe.CheckFileInfo(path, fi, uid)
}

// afterCheck is called between the run directory's check and its opening;
// tests swap the directory there.
var afterCheck = func(dir string) {}

// openRunDir opens the run directory dir as an os.Root after checking it
// (checkRunDir), and makes sure the directory opened is the one checked
// (os.SameFile against the Lstat): whoever owns the parent directory can
// rename the run directory and put a link in its place between a check and
// a use, but everything done through the Root stays inside the directory
// that was checked.
func openRunDir(dir string, uid int) (*os.Root, error) {
	fi, err := os.Lstat(dir)
	if err != nil {
		return nil, err
	}
	if err := filesafe.CheckDirInfo(dir, fi, uid, false, 0o077); err != nil {
		return nil, err
	}
	afterCheck(dir)
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, err
	}
	if st, err := root.Stat("."); err != nil || !os.SameFile(fi, st) {
		root.Close()
		return nil, fmt.Errorf("%s was replaced after it was checked", dir)
	}
	return root, nil
}

func keepStash(keep map[string]bool, w profile.Written) {
	if w.Stash != "" {
		keep[filepath.Base(w.Stash)] = true
	}
}

// checkUserFile: a user's AWS file we may edit is a regular file of the
// user's in a directory nobody else can change; a missing one is fine
// (nothing to do).
func checkUserFile(path string, uid int) error {
	if !filepath.IsAbs(path) {
		return fmt.Errorf("%q is not an absolute path", path)
	}
	if err := CheckDir(filepath.Dir(path), uid); err != nil {
		if isNotExist(err) {
			return nil
		}
		return err
	}
	if fi, err := os.Lstat(path); err == nil {
		return filesafe.CheckFileInfo(path, fi, uid)
	}
	return nil
}

// removeDir removes the emptied run directory; tests make it fail.
var removeDir = os.Remove

// removeRunDir removes our files from the verified run directory (by name,
// through an os.Root of the directory checked: a link there is removed,
// never followed, and a directory swapped in after the check is never
// entered), then the directory once empty. The Root is closed first:
// Windows opens it without FILE_SHARE_DELETE, so the directory cannot be
// removed while it is open (a sharing violation).
func removeRunDir(s State, uid int, keep map[string]bool, rep *Report) {
	root, err := openRunDir(s.Dir, uid)
	if err != nil {
		rep.warn("left the run directory %s alone: %v", s.Dir, err)
		return
	}
	names := append([]string{ManifestName}, s.Files...)
	for _, p := range s.Profiles {
		if p.Stash != "" {
			names = append(names, filepath.Base(p.Stash))
		}
	}
	for _, n := range names {
		if keep[n] || n != filepath.Base(n) || n == "." || n == ".." {
			continue
		}
		if err := root.Remove(n); err == nil {
			if n != ManifestName {
				rep.Removed++
			}
		} else if !isNotExist(err) {
			rep.warn("could not remove %s: %v", filepath.Join(s.Dir, n), err)
		}
	}
	sweepTemps(root, s.Dir)
	var left []string
	for _, e := range readRoot(root) {
		left = append(left, e.Name())
	}
	root.Close()
	switch err := removeDir(s.Dir); {
	case err == nil || isNotExist(err):
	case len(left) > 0:
		slices.Sort(left)
		rep.warn("left the run directory %s in place: it holds %s, which this run did not record or could not verify", s.Dir, strings.Join(left, ", "))
	default:
		rep.warn("could not remove the emptied run directory %s: %v", s.Dir, err)
	}
}

// Manifests returns the States that manifests in run directories under
// bases claim for key (the post step where the runner drops state). A run
// directory or manifest that fails its checks is skipped with a warning; a
// manifest is returned only when its Key is key and its Dir is where it
// was found. Cleanup still verifies everything it names.
func Manifests(bases []string, key string, uid int) ([]State, []string) {
	var states []State
	var warnings []string
	seen := map[string]bool{}
	for _, base := range bases {
		entries, err := os.ReadDir(base)
		if err != nil {
			continue
		}
		for _, e := range entries {
			dir := filepath.Join(base, e.Name())
			if !strings.HasPrefix(e.Name(), RunDirPrefix) || seen[dir] {
				continue
			}
			seen[dir] = true
			if _, ok := runDirToken(dir); !ok {
				warnings = append(warnings, fmt.Sprintf("ignored %s: not a name this action gives its run directories", dir))
				continue
			}
			if err := checkRunDir(dir, uid); err != nil {
				warnings = append(warnings, fmt.Sprintf("ignored %s: %v", dir, err))
				continue
			}
			b, err := ReadChecked(filepath.Join(dir, ManifestName), uid)
			if isNotExist(err) {
				// A main step killed between creating its directory and
				// its manifest: only its temporary files can be there.
				if root, err := openRunDir(dir, uid); err == nil {
					sweepTemps(root, dir)
					root.Close()
					os.Remove(dir)
				}
				continue
			}
			if err != nil {
				warnings = append(warnings, fmt.Sprintf("ignored the manifest in %s: %v", dir, err))
				continue
			}
			s, err := ParseState(b)
			switch {
			case err != nil:
				warnings = append(warnings, fmt.Sprintf("ignored the manifest in %s: %v", dir, err))
			case s.Key != key:
				// Another run's or step's: not ours to touch.
			case s.Dir != dir:
				warnings = append(warnings, fmt.Sprintf("ignored the manifest in %s: it claims the directory %s", dir, s.Dir))
			default:
				states = append(states, s)
			}
		}
	}
	return states, warnings
}

// sweepTemps removes the temporary files a kill left in a verified run
// directory (root, opened as dir): they bear the run's token.
func sweepTemps(root *os.Root, dir string) {
	token, ok := runDirToken(dir)
	if !ok {
		return
	}
	for _, e := range readRoot(root) {
		if strings.HasPrefix(e.Name(), "."+token+"-") {
			root.Remove(e.Name())
		}
	}
}

// readRoot lists the directory root is (nil on an error).
func readRoot(root *os.Root) []fs.DirEntry {
	d, err := root.Open(".")
	if err != nil {
		return nil
	}
	defer d.Close()
	entries, _ := d.ReadDir(-1)
	return entries
}
