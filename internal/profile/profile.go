// Package profile writes credentials as a named profile into the AWS shared
// credentials and config files, and removes exactly that again in the post
// step.
//
// The files are edited at the line level, never re-serialised: every byte
// outside the one section we own stays as it was (comments, nested
// settings such as `s3 =` with indented keys, quoting, CRLF line endings,
// a byte-order mark). A section we replace is stashed byte for byte in a
// 0600 file in the caller's private directory and put back by Remove, which
// touches a section only when its bytes are exactly those recorded. Writers
// are serialised with an advisory lock on a separate lock file (a lock on
// the target itself would be lost when the atomic rename replaces it),
// taken with a deadline.
package profile

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"github.com/org/aws-oidc-go/internal/filesafe"
	"github.com/org/aws-oidc-go/internal/lazyre"
)

// MaxFileSize bounds the files read: AWS files are small; anything larger
// is not one.
const MaxFileSize = 8 << 20

// Entry is one profile to write.
type Entry struct {
	Name            string
	Region          string
	AccessKeyID     string
	SecretAccessKey string
	SessionToken    string
	// CredentialProcess, when set, replaces the keys: the config section
	// gets credential_process and the credentials file is not touched.
	CredentialProcess string
}

// Files are the two files the AWS SDKs and CLI read.
type Files struct {
	Credentials string // [name] sections with keys
	Config      string // [profile name] sections with settings
}

// Owner, when set, receives ownership of what is written: the action's
// container runs as root, but later steps run as the runner's user.
type Owner = filesafe.Owner

// Written records one section written, for Remove. It is recorded (see
// Options.Record) before the file changes, so whoever removes it later can
// tie what it finds to what was written: the section's exact bytes are
// Digest, the replaced original's StashDigest.
type Written struct {
	Path    string `json:"path"`
	Section string `json:"section"`
	Created bool   `json:"created"` // the file did not exist before
	// Digest is the sha256 (hex) of our section's bytes as written.
	Digest string `json:"digest"`
	// Stash is the file holding the section we replaced, byte for byte
	// (empty when the section was new); StashDigest is its sha256.
	Stash       string `json:"stash,omitempty"`
	StashDigest string `json:"stash_digest,omitempty"`
	// Prefix is what was added before our section when it was appended:
	// a line break ending the file's last line and/or a blank line.
	Prefix string `json:"prefix,omitempty"`
	// Temp is the temporary file beside Path that becomes it by a rename;
	// named before it exists, so that a kill before the rename leaves a
	// file the record names.
	Temp string `json:"temp,omitempty"`
}

// Options say how Write works.
type Options struct {
	Overwrite bool   // replace an existing section (stashed, put back by Remove)
	Owner     *Owner // nil: files stay with this process's user
	// StashDir is where a replaced section is kept (the run's private
	// directory); required with Overwrite.
	StashDir string
	// TempName returns a fresh name for the temporary file beside a target
	// (the base name only); nil: a random one.
	TempName func() string
	// Record is called with each section before its file changes (and
	// before its stash and temporary file exist). An error stops the write.
	Record func(Written) error
	// Hook, when set, is called at named points of the write ("stash",
	// "temp", "rename"); tests return an error to simulate a kill there.
	Hook func(point string) error
}

// ErrExists means the profile is already there and overwriting was not allowed.
var ErrExists = errors.New("profile already exists")

// Digest is the sha256 of b in hex, as Written records it.
func Digest(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// Write puts e into both files. Nothing is written unless both files can be
// (an existing profile without overwrite, a symlink or an unreadable file
// stops it before either file changes). The locks are taken before ctx is
// done or not at all. What was written is returned even on a later
// failure, so the caller can undo it with Remove.
func Write(ctx context.Context, f Files, e Entry, o Options) ([]Written, error) {
	if err := CheckEntry(e); err != nil {
		return nil, err
	}
	credSection, cfgSection := e.Name, "profile "+e.Name
	if e.Name == "default" {
		cfgSection = "default"
	}
	type plan struct {
		path, section string
		keys          [][2]string
		doc           *document
		created       bool
		unlock        func()
	}
	plans := []*plan{
		{path: f.Credentials, section: credSection, keys: [][2]string{
			{"aws_access_key_id", e.AccessKeyID}, {"aws_secret_access_key", e.SecretAccessKey}, {"aws_session_token", e.SessionToken}}},
		{path: f.Config, section: cfgSection, keys: [][2]string{{"region", e.Region}}},
	}
	if e.CredentialProcess != "" {
		plans = []*plan{{path: f.Config, section: cfgSection, keys: [][2]string{
			{"region", e.Region}, {"credential_process", e.CredentialProcess}}}}
	}
	defer func() {
		for _, p := range plans {
			if p.unlock != nil {
				p.unlock()
			}
		}
	}()
	hook := func(point string) error {
		if o.Hook != nil {
			return o.Hook(point)
		}
		return nil
	}
	for _, p := range plans {
		if err := PrepareDir(filepath.Dir(p.path), o.Owner); err != nil {
			return nil, err
		}
		unlock, err := lock(ctx, p.path, o.Owner)
		if err != nil {
			return nil, err
		}
		p.unlock = unlock
		doc, created, err := load(p.path)
		if err != nil {
			return nil, err
		}
		if _, _, found := doc.find(p.section); found && !o.Overwrite {
			return nil, fmt.Errorf("%w: [%s] in %s (set overwrite-aws-profile: true to replace it; the post step puts it back)", ErrExists, p.section, p.path)
		}
		if _, _, found := doc.find(p.section); found && o.StashDir == "" {
			return nil, fmt.Errorf("replacing [%s] in %s: nowhere to stash the original", p.section, p.path)
		}
		p.doc, p.created = doc, created
	}
	var written []Written
	for _, p := range plans {
		w := Written{Path: p.path, Section: p.section, Created: p.created}
		nl := p.doc.newline()
		var body strings.Builder
		body.WriteString("[" + p.section + "]" + nl)
		for _, kv := range p.keys {
			if kv[1] != "" {
				body.WriteString(kv[0] + " = " + kv[1] + nl)
			}
		}
		w.Digest = Digest([]byte(body.String()))
		var original []byte
		if start, end, found := p.doc.find(p.section); found {
			original = append([]byte(nil), p.doc.data[start:end]...)
			w.Stash = filepath.Join(o.StashDir, "stash-"+safeName(filepath.Base(p.path))+"-"+safeName(p.section))
			w.StashDigest = Digest(original)
			p.doc.data = splice(p.doc.data, start, end, []byte(body.String()))
		} else {
			w.Prefix = p.doc.appendPrefix()
			p.doc.data = append(append(p.doc.data, w.Prefix...), body.String()...)
		}
		w.Temp = filepath.Join(filepath.Dir(p.path), tempName(o.TempName))
		// Recorded before anything of it exists: a kill from here on
		// leaves only what the record names.
		if o.Record != nil {
			if err := o.Record(w); err != nil {
				return written, err
			}
		}
		written = append(written, w)
		if original != nil {
			if err := hook("stash"); err != nil {
				return written, err
			}
			if err := CreateFile(w.Stash, original, o.Owner); err != nil {
				return written, fmt.Errorf("stashing [%s] of %s: %w", p.section, p.path, err)
			}
		}
		if err := writeAtomic(p.path, w.Temp, p.doc.data, o.Owner, hook); err != nil {
			return written, fmt.Errorf("writing %s: %w", p.path, err)
		}
	}
	return written, nil
}

// UnsafeValueError is a value or section name Write refuses: written
// into an AWS file it would not stay one line of one section for every
// reader of that file. The value itself is never in the message (it may be
// a secret key).
type UnsafeValueError struct {
	Field  string // "the profile name", "credential_process", ...
	Offset int    // byte offset of the first offending character
	What   string // what that character is
}

func (e *UnsafeValueError) Error() string {
	return fmt.Sprintf("refusing to write the profile: %s has %s at byte %d; what goes into the AWS files must be one line of printable text (no line breaks, no control characters, no U+2028/U+2029, and no [ or ] in a profile name)", e.Field, e.What, e.Offset)
}

// CheckEntry reports the first value or section name of e that cannot be
// written into an AWS file as one line of its own section, or nil. The
// readers of these files split lines on more than LF: Python's (the AWS
// CLI's) on a lone CR, and its str.splitlines on other C0 and C1 controls
// and U+2028/U+2029; a value carrying any of them could end its line and
// start a section of someone else's choosing (whose credential_process
// the CLI would run). So every C0 and C1 control (tab included), DEL,
// U+2028, U+2029 and bytes that are not UTF-8 are refused in every value
// and in the profile name, and [ and ] in the profile name too (they would
// end or open a header). Write calls it before anything is written.
func CheckEntry(e Entry) error {
	if e.Name == "" {
		return &UnsafeValueError{Field: "the profile name", What: "nothing (it is empty)"}
	}
	fields := []struct {
		name, value string
		section     bool
	}{
		{"the profile name", e.Name, true},
		{"region", e.Region, false},
		{"aws_access_key_id", e.AccessKeyID, false},
		{"aws_secret_access_key", e.SecretAccessKey, false},
		{"aws_session_token", e.SessionToken, false},
		{"credential_process", e.CredentialProcess, false},
	}
	for _, f := range fields {
		if i, what := unsafeRune(f.value, f.section); i >= 0 {
			return &UnsafeValueError{Field: f.name, Offset: i, What: what}
		}
	}
	return nil
}

// unsafeRune finds the first character of s that CheckEntry refuses and
// names it, or returns -1.
func unsafeRune(s string, section bool) (int, string) {
	for i, r := range s {
		switch {
		case r == utf8.RuneError:
			if _, n := utf8.DecodeRuneInString(s[i:]); n <= 1 {
				return i, fmt.Sprintf("a byte that is not UTF-8 (0x%02X)", s[i])
			}
		case r == '\n' || r == '\r' || r == '\u2028' || r == '\u2029' || r == '\u0085':
			return i, fmt.Sprintf("a line break (U+%04X)", r)
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r <= 0x9f):
			return i, fmt.Sprintf("a control character (U+%04X)", r)
		case section && (r == '[' || r == ']'):
			return i, fmt.Sprintf("%q", r)
		}
	}
	return -1, ""
}

// NotOursError is a section Remove left alone because the file no longer
// holds the bytes we wrote (someone changed or removed it since).
type NotOursError struct{ Path, Section, Why string }

func (e *NotOursError) Error() string {
	return fmt.Sprintf("left [%s] in %s alone: %s", e.Section, e.Path, e.Why)
}

// Removal is what RemoveOne did, so that a report says what was done,
// not what was recorded: a kill before the rename leaves no section to
// remove, only (perhaps) the temporary file.
type Removal struct {
	Section bool // our section was removed or the original put back (File: with its file)
	File    bool // the file we created was deleted, nothing else being in it
	Temp    bool // the temporary file a killed write left was deleted
}

// Stash is a replaced section's original as the caller read it back from
// Written.Stash (its bytes, or why they could not be read). The stash
// lives in the run's directory, whose checks are the caller's (handoff):
// profile never reads it.
type Stash struct {
	Data []byte
	Err  error
}

// RemoveOne undoes one record of Write, reporting what it did: a section
// we added is removed with what was added before it; a section we
// replaced gets its stashed original back (stash, checked against
// Written.StashDigest); a file we created is deleted once nothing else is
// in it; a temporary file a kill left is deleted. A section is touched only
// when its bytes are exactly those recorded (Digest); otherwise the file is
// left alone with a *NotOursError. What is already gone is not an error.
// Records are undone last first.
func RemoveOne(ctx context.Context, w Written, stash Stash) (Removal, error) {
	var did Removal
	if w.Section == "" || w.Digest == "" {
		return did, &NotOursError{Path: w.Path, Section: w.Section, Why: "the record names no section and digest"}
	}
	unlock, err := lock(ctx, w.Path, nil)
	if err != nil {
		return did, err
	}
	defer unlock()
	if w.Temp != "" {
		did.Temp = removeTemp(w.Temp)
	}
	err = remove(w, stash, &did)
	return did, err
}

func remove(w Written, stash Stash, did *Removal) error {
	doc, missing, err := load(w.Path)
	if err != nil || missing {
		return err
	}
	start, end, found := doc.find(w.Section)
	var original []byte
	if w.Stash != "" {
		b, err := stash.Data, stash.Err
		if err == nil && Digest(b) != w.StashDigest {
			err = errors.New("its bytes are not those stashed")
		}
		switch {
		case err == nil:
			original = b
		case found && Digest(doc.data[start:end]) == w.StashDigest:
			// Killed before our write: the original is still in place.
			return nil
		case errors.Is(err, fs.ErrNotExist) && !found:
			return nil
		default:
			return &NotOursError{Path: w.Path, Section: w.Section, Why: fmt.Sprintf("the stashed original %s does not verify (%v)", w.Stash, err)}
		}
	}
	switch {
	case !found:
		if original != nil {
			return &NotOursError{Path: w.Path, Section: w.Section, Why: "our section is gone, so the original stashed in " + w.Stash + " was not put back"}
		}
		return nil
	case Digest(doc.data[start:end]) != w.Digest:
		if original != nil && Digest(doc.data[start:end]) == w.StashDigest {
			return nil
		}
		return &NotOursError{Path: w.Path, Section: w.Section, Why: "the section changed since it was written"}
	}
	if original == nil && w.Prefix != "" {
		// The blank line we added goes; the line break that ended the
		// file's last line goes too while our section is still last.
		blank := strings.TrimPrefix(strings.TrimPrefix(w.Prefix, "\r\n"), "\n")
		if end == len(doc.data) {
			blank = w.Prefix
		}
		if start >= len(blank) && string(doc.data[start-len(blank):start]) == blank {
			start -= len(blank)
		}
	}
	doc.data = splice(doc.data, start, end, original)
	if w.Created && len(bytes.TrimSpace(bytes.TrimPrefix(doc.data, bom))) == 0 {
		if err := os.Remove(w.Path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		did.Section, did.File = true, true
		return nil
	}
	// The file keeps its owner (a root post step must not leave it root's).
	// The rewrite goes through the recorded temporary name (removed just
	// above, and under the lock), so a kill before the rename leaves only
	// a file the record names; a record without one gets a random name.
	tmp := w.Temp
	if tmp == "" || filepath.Dir(tmp) != filepath.Dir(w.Path) || !strings.HasPrefix(filepath.Base(tmp), tempPrefix) {
		tmp = filepath.Join(filepath.Dir(w.Path), tempName(nil))
	}
	if err := writeAtomic(w.Path, tmp, doc.data, nil, removeHook); err != nil {
		return fmt.Errorf("writing %s: %w", w.Path, err)
	}
	did.Section = true
	return nil
}

// removeTemp deletes a temporary file a killed write left, when it is a
// regular file (never what a link points to), and reports whether it did.
func removeTemp(p string) bool {
	if !strings.HasPrefix(filepath.Base(p), tempPrefix) {
		return false
	}
	if fi, err := os.Lstat(p); err == nil && fi.Mode().IsRegular() {
		return os.Remove(p) == nil
	}
	return false
}

// TempPrefix begins the name of every temporary file Write leaves beside
// a target until its rename (followed by Options.TempName's part).
const TempPrefix = tempPrefix

const tempPrefix = ".aws-oidc-go-tmp-"

// removeHook is Options.Hook for Remove's rewrites (nil but in tests).
var removeHook func(point string) error

func tempName(f func() string) string {
	if f != nil {
		return tempPrefix + f()
	}
	return tempPrefix + rand.Text()
}

// CreateFile creates path exclusively (never through a link or over an
// existing file), 0600, owned by owner when set, holding data. A partial
// file is removed.
func CreateFile(path string, data []byte, owner *Owner) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL|filesafe.NoFollow, 0o600)
	if err != nil {
		return err
	}
	err = f.Chmod(0o600)
	if err == nil && owner != nil {
		err = f.Chown(owner.UID, owner.GID)
	}
	if err == nil {
		var n int
		n, err = f.Write(data)
		if err == nil && n != len(data) {
			err = io.ErrShortWrite
		}
	}
	if err == nil {
		err = f.Sync()
	}
	if err = errors.Join(err, f.Close()); err != nil {
		os.Remove(path)
		return err
	}
	return nil
}

var bom = []byte("\xef\xbb\xbf")

// document is a file's bytes with what line-level editing needs to know.
type document struct{ data []byte }

// newline is the file's line ending: CRLF when its first line ends so.
func (d *document) newline() string {
	if i := bytes.IndexByte(d.data, '\n'); i > 0 && d.data[i-1] == '\r' {
		return "\r\n"
	}
	return "\n"
}

// appendPrefix is what goes before a section appended at the end: a line
// break if the last line has none, and a blank line if the file has content.
func (d *document) appendPrefix() string {
	content := bytes.TrimPrefix(d.data, bom)
	if len(bytes.TrimSpace(content)) == 0 {
		return ""
	}
	nl := d.newline()
	p := ""
	if !bytes.HasSuffix(d.data, []byte("\n")) {
		p = nl
	}
	if !bytes.HasSuffix(d.data, []byte(nl+nl)) {
		p += nl
	}
	return p
}

var headerRe = lazyre.New(`^\[([^\]]+)\]\s*(?:[#;].*)?$`)

// find returns the byte span of section: its header line up to the next
// header, less the blank and comment lines just before that header (they
// belong to what follows). Headers are compared as the AWS CLI reads them
// (words of the header, case-sensitive).
func (d *document) find(section string) (start, end int, found bool) {
	want := strings.Join(strings.Fields(section), " ")
	start, end = -1, -1
	lastContent := -1
	pos := 0
	if bytes.HasPrefix(d.data, bom) {
		pos = len(bom)
	}
	for pos < len(d.data) {
		next := bytes.IndexByte(d.data[pos:], '\n')
		lineEnd := len(d.data)
		if next >= 0 {
			lineEnd = pos + next + 1
		}
		line := strings.TrimRight(string(d.data[pos:lineEnd]), "\r\n")
		trimmed := strings.TrimSpace(line)
		isHeader := line == strings.TrimLeft(line, " \t") && headerRe().MatchString(trimmed)
		switch {
		case isHeader && start >= 0:
			return start, lastContent, true
		case isHeader && strings.Join(strings.Fields(headerRe().FindStringSubmatch(trimmed)[1]), " ") == want:
			start, lastContent = pos, lineEnd
		case start >= 0 && trimmed != "" && trimmed[0] != '#' && trimmed[0] != ';':
			lastContent = lineEnd
		}
		pos = lineEnd
	}
	if start >= 0 {
		return start, len(d.data), true
	}
	return 0, 0, false
}

func splice(data []byte, start, end int, with []byte) []byte {
	out := make([]byte, 0, len(data)-(end-start)+len(with))
	out = append(out, data[:start]...)
	out = append(out, with...)
	return append(out, data[end:]...)
}

func safeName(s string) string {
	return strings.Map(func(r rune) rune {
		if r == ' ' {
			return '_'
		}
		return r
	}, s)
}

// load reads a file (bounded); a missing file is an empty one (missing = true).
func load(path string) (*document, bool, error) {
	fi, err := os.Lstat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return &document{}, true, nil
	case err != nil:
		return nil, false, fmt.Errorf("reading %s: %w", path, err)
	case fi.Mode()&fs.ModeSymlink != 0:
		return nil, false, fmt.Errorf("%s is a symbolic link; refusing to write credentials through it", path)
	case !fi.Mode().IsRegular():
		return nil, false, fmt.Errorf("%s is not a regular file", path)
	case fi.Size() > MaxFileSize:
		return nil, false, fmt.Errorf("%s is larger than %d bytes; refusing to edit it", path, MaxFileSize)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, false, fmt.Errorf("reading %s: %w", path, err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, false, fmt.Errorf("reading %s: %w", path, err)
	}
	return &document{data: b}, false, nil
}

// PrepareDir makes sure dir exists and is safe to hold credentials. Missing
// directories (dir and any missing parents) are created 0700 and each is
// handed to owner. An existing dir must pass filesafe.CheckDir with the bits 0o022
// for the user the files go to (owner, else this process's user), root
// allowed: not a link, and nobody else can put, swap or remove a file in it
// — a sticky world-writable directory such as /tmp is refused too, since
// the post step would refuse to remove what we wrote there.
func PrepareDir(dir string, owner *Owner) error {
	fi, err := os.Lstat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return makeDirs(dir, owner)
	}
	if err != nil {
		return fmt.Errorf("checking %s: %w", dir, err)
	}
	uid := os.Geteuid()
	if owner != nil {
		uid = owner.UID
	}
	if err := filesafe.CheckDirInfo(dir, fi, uid, true, 0o022); err != nil {
		return fmt.Errorf("%w; refusing to write credentials there (point AWS_SHARED_CREDENTIALS_FILE and AWS_CONFIG_FILE at a directory of your own, mode 700)", err)
	}
	return nil
}

// makeDirs creates dir and its missing parents, 0700, each handed to owner
// (not only the last: a root process must leave nothing of root's on the
// way to the user's files).
func makeDirs(dir string, owner *Owner) error {
	var missing []string
	for d := filepath.Clean(dir); ; d = filepath.Dir(d) {
		if _, err := os.Lstat(d); err == nil || !errors.Is(err, fs.ErrNotExist) {
			break
		}
		missing = append(missing, d)
		if filepath.Dir(d) == d {
			break
		}
	}
	raced := false
	for i := len(missing) - 1; i >= 0; i-- {
		d := missing[i]
		if err := os.Mkdir(d, 0o700); errors.Is(err, fs.ErrExist) {
			raced = true // another writer made it: not ours to hand over
			continue
		} else if err != nil {
			return fmt.Errorf("creating %s: %w", d, err)
		}
		if owner != nil {
			if err := os.Lchown(d, owner.UID, owner.GID); err != nil {
				return fmt.Errorf("handing %s to the runner's user: %w", d, err)
			}
		}
	}
	if raced {
		return PrepareDir(dir, owner)
	}
	return nil
}

// writeAtomic replaces path with data through the temporary file tmp
// (created exclusively beside it) and a rename, 0600. The file is owned by
// owner when set, else keeps the owner of the file it replaces.
func writeAtomic(path, tmp string, data []byte, owner *Owner, hook func(string) error) error {
	fi, err := os.Lstat(path)
	var keep *Owner
	switch {
	case err == nil && fi.Mode()&fs.ModeSymlink != 0:
		return fmt.Errorf("%s is a symbolic link; refusing to replace it", path)
	case err == nil && owner == nil:
		keep = filesafe.OwnerOf(fi)
	}
	if hook != nil {
		if err := hook("temp"); err != nil {
			return err
		}
	}
	if err := CreateFile(tmp, data, owner); err != nil {
		return err
	}
	if keep != nil {
		// The file keeps its owner (a root post step must not leave it
		// root's); a user who cannot chown makes it theirs, as before.
		_ = os.Lchown(tmp, keep.UID, keep.GID)
	}
	if hook != nil {
		// Before the deferred removal exists: a kill here leaves the
		// temporary file, as the record says it may.
		if err := hook("rename"); err != nil {
			os.Remove(tmp)
			return err
		}
	}
	defer os.Remove(tmp)
	if fi, err := os.Lstat(path); err == nil && fi.Mode()&fs.ModeSymlink != 0 {
		return fmt.Errorf("%s became a symbolic link; refusing to replace it", path)
	}
	return os.Rename(tmp, path)
}
