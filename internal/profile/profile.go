// Package profile writes credentials as a named profile into the AWS shared
// credentials and config files, and removes exactly that again in the post
// step.
//
// The files are edited at the line level, never re-serialised: every byte
// outside the one section we own stays as it was (comments, nested
// settings such as `s3 =` with indented keys, quoting, CRLF line endings,
// a byte-order mark). A section we replace is stashed byte for byte in a
// 0600 file beside the target and put back by Remove. Writers are
// serialised with an advisory lock on a separate lock file (a lock on the
// target itself would be lost when the atomic rename replaces it).
package profile

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
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
type Owner struct{ UID, GID int }

// Written records one thing written, for Remove.
type Written struct {
	Path    string `json:"path"`
	Section string `json:"section,omitempty"` // empty: a whole file of ours
	Created bool   `json:"created"`           // the file did not exist before
	// Stash is the file holding the section we replaced, byte for byte
	// (empty when the section was new).
	Stash string `json:"stash,omitempty"`
	// Prefix is what was added before our section when it was appended:
	// a line break ending the file's last line and/or a blank line.
	Prefix string `json:"prefix,omitempty"`
}

// ErrExists means the profile is already there and overwriting was not allowed.
var ErrExists = errors.New("profile already exists")

// Write puts e into both files. Nothing is written unless both files can be
// (an existing profile without overwrite, a symlink or an unreadable file
// stops it before either file changes). What was written is returned even
// on a later failure, so the caller can undo it with Remove.
func Write(f Files, e Entry, overwrite bool, owner *Owner) ([]Written, error) {
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
	for _, p := range plans {
		if err := prepareDir(filepath.Dir(p.path), owner); err != nil {
			return nil, err
		}
		unlock, err := lock(p.path)
		if err != nil {
			return nil, err
		}
		p.unlock = unlock
		doc, created, err := load(p.path)
		if err != nil {
			return nil, err
		}
		if _, _, found := doc.find(p.section); found && !overwrite {
			return nil, fmt.Errorf("%w: [%s] in %s (set overwrite-aws-profile: true to replace it; the post step puts it back)", ErrExists, p.section, p.path)
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
		if start, end, found := p.doc.find(p.section); found {
			stash := p.path + ".aws-oidc-go-stash-" + safeName(p.section)
			if err := writeAtomic(stash, p.doc.data[start:end], owner); err != nil {
				return written, fmt.Errorf("stashing [%s] of %s: %w", p.section, p.path, err)
			}
			w.Stash = stash
			p.doc.data = splice(p.doc.data, start, end, []byte(body.String()))
		} else {
			w.Prefix = p.doc.appendPrefix()
			p.doc.data = append(append(p.doc.data, w.Prefix...), body.String()...)
		}
		if err := writeAtomic(p.path, p.doc.data, owner); err != nil {
			if w.Stash != "" {
				os.Remove(w.Stash)
			}
			return written, fmt.Errorf("writing %s: %w", p.path, err)
		}
		written = append(written, w)
	}
	return written, nil
}

// Remove undoes Write (and WriteFile): a section we added is removed with
// what was added before it; a section we replaced gets its stashed
// original back; a file we created is deleted once nothing else is in it.
// What is already gone is not an error.
func Remove(ws []Written) error {
	var errs []error
	for i := len(ws) - 1; i >= 0; i-- {
		if err := remove(ws[i]); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func remove(w Written) error {
	if w.Section == "" {
		if err := os.Remove(w.Path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		return nil
	}
	unlock, err := lock(w.Path)
	if err != nil {
		return err
	}
	defer unlock()
	doc, missing, err := load(w.Path)
	if err != nil || missing {
		return err
	}
	start, end, found := doc.find(w.Section)
	var original []byte
	if w.Stash != "" {
		if original, err = os.ReadFile(w.Stash); err != nil {
			return fmt.Errorf("restoring [%s] in %s: %w", w.Section, w.Path, err)
		}
	}
	if found {
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
	} else if original != nil {
		doc.data = append(append(doc.data, doc.appendPrefix()...), original...)
	}
	if w.Created && len(bytes.TrimSpace(bytes.TrimPrefix(doc.data, bom))) == 0 {
		if err := os.Remove(w.Path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	} else if err := writeAtomic(w.Path, doc.data, nil); err != nil {
		return fmt.Errorf("writing %s: %w", w.Path, err)
	}
	if w.Stash != "" {
		os.Remove(w.Stash)
	}
	return nil
}

// WriteFile writes a file of our own (renewal settings) atomically, 0600 in
// a 0700 directory, refusing to replace a symbolic link. The Written it
// returns lets Remove delete it.
func WriteFile(path string, data []byte, owner *Owner) (*Written, error) {
	if err := prepareDir(filepath.Dir(path), owner); err != nil {
		return nil, err
	}
	_, err := os.Lstat(path)
	created := errors.Is(err, fs.ErrNotExist)
	if err := writeAtomic(path, data, owner); err != nil {
		return nil, fmt.Errorf("writing %s: %w", path, err)
	}
	return &Written{Path: path, Created: created}, nil
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

var headerRe = regexp.MustCompile(`^\[([^\]]+)\]\s*(?:[#;].*)?$`)

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
		isHeader := line == strings.TrimLeft(line, " \t") && headerRe.MatchString(trimmed)
		switch {
		case isHeader && start >= 0:
			return start, lastContent, true
		case isHeader && strings.Join(strings.Fields(headerRe.FindStringSubmatch(trimmed)[1]), " ") == want:
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

// prepareDir makes sure dir exists (created 0700 and handed to owner) and
// is safe to hold credentials: not a symbolic link, and not writable by
// group or others (who could swap the files).
func prepareDir(dir string, owner *Owner) error {
	fi, err := os.Lstat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return fmt.Errorf("creating %s: %w", dir, err)
		}
		if owner != nil {
			if err := os.Chown(dir, owner.UID, owner.GID); err != nil {
				return fmt.Errorf("handing %s to the runner's user: %w", dir, err)
			}
		}
		return nil
	}
	switch {
	case err != nil:
		return fmt.Errorf("checking %s: %w", dir, err)
	case fi.Mode()&fs.ModeSymlink != 0:
		return fmt.Errorf("%s is a symbolic link; refusing to write credentials through it (point AWS_SHARED_CREDENTIALS_FILE and AWS_CONFIG_FILE at a real directory)", dir)
	case !fi.IsDir():
		return fmt.Errorf("%s is not a directory", dir)
	case fi.Mode().Perm()&0o022 != 0 && fi.Mode()&fs.ModeSticky == 0:
		return fmt.Errorf("%s is writable by group or others (mode %v); refusing to write credentials there (chmod 700 it)", dir, fi.Mode().Perm())
	}
	return nil
}

// writeAtomic replaces path with data through a temporary file and a
// rename, 0600, owned by owner when set.
func writeAtomic(path string, data []byte, owner *Owner) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, ".aws-oidc-go-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if owner != nil {
		if err := tmp.Chown(owner.UID, owner.GID); err != nil {
			tmp.Close()
			return err
		}
	}
	n, err := tmp.Write(data)
	if err == nil && n != len(data) {
		err = io.ErrShortWrite
	}
	if err == nil {
		err = tmp.Sync()
	}
	if err := errors.Join(err, tmp.Close()); err != nil {
		return err
	}
	if fi, err := os.Lstat(path); err == nil && fi.Mode()&fs.ModeSymlink != 0 {
		return fmt.Errorf("%s became a symbolic link; refusing to replace it", path)
	}
	return os.Rename(tmp.Name(), path)
}
