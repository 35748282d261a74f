// Package profile writes credentials as a named profile into the AWS shared
// credentials and config files — keeping every other profile and comment —
// and removes exactly what it wrote again in the post step.
package profile

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"gopkg.in/ini.v1"
)

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

// Written records one section written to one file, for cleanup.
type Written struct {
	Path    string `json:"path"`
	Section string `json:"section"`
	Created bool   `json:"created"` // the file did not exist before: delete it whole
}

// ErrExists means the profile is already there and overwriting was not allowed.
var ErrExists = errors.New("profile already exists")

func init() {
	// Keep the user's layout: no realigning of "key = value" columns.
	ini.PrettyFormat = false
	ini.PrettyEqual = true
}

var loadOptions = ini.LoadOptions{
	Loose:                    true,
	IgnoreInlineComment:      true,
	PreserveSurroundedQuote:  true,
	SpaceBeforeInlineComment: true,
}

// Write puts e into both files. Nothing is written unless both files can be
// (an existing profile without overwrite, a symlink or an unreadable file
// stops it before either file changes).
func Write(f Files, e Entry, overwrite bool, owner *Owner) ([]Written, error) {
	credSection, cfgSection := e.Name, "profile "+e.Name
	if e.Name == "default" {
		cfgSection = "default"
	}
	type plan struct {
		path, section string
		file          *ini.File
		created       bool
		keys          [][2]string
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
	for _, p := range plans {
		file, created, err := load(p.path)
		if err != nil {
			return nil, err
		}
		if file.HasSection(p.section) && !overwrite {
			return nil, fmt.Errorf("%w: [%s] in %s (set overwrite-aws-profile: true to replace it)", ErrExists, p.section, p.path)
		}
		p.file, p.created = file, created
	}
	var written []Written
	for _, p := range plans {
		p.file.DeleteSection(p.section)
		sec, err := p.file.NewSection(p.section)
		if err != nil {
			return written, fmt.Errorf("%s: %w", p.path, err)
		}
		for _, kv := range p.keys {
			if kv[1] == "" {
				continue
			}
			if _, err := sec.NewKey(kv[0], kv[1]); err != nil {
				return written, fmt.Errorf("%s: %w", p.path, err)
			}
		}
		if err := save(p.path, p.file, owner); err != nil {
			return written, err
		}
		written = append(written, Written{Path: p.path, Section: p.section, Created: p.created})
	}
	return written, nil
}

// Remove undoes Write: files it created are deleted, sections it added to
// existing files are removed. What is already gone is not an error.
func Remove(ws []Written) error {
	var errs []error
	for _, w := range ws {
		if w.Created {
			if err := os.Remove(w.Path); err != nil && !errors.Is(err, fs.ErrNotExist) {
				errs = append(errs, err)
			}
			continue
		}
		file, created, err := load(w.Path)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if created || !file.HasSection(w.Section) {
			continue
		}
		file.DeleteSection(w.Section)
		if err := save(w.Path, file, nil); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// load reads an INI file; a missing file is an empty one (created = true).
func load(path string) (*ini.File, bool, error) {
	fi, err := os.Lstat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return ini.Empty(loadOptions), true, nil
	case err != nil:
		return nil, false, fmt.Errorf("reading %s: %w", path, err)
	case fi.Mode()&fs.ModeSymlink != 0:
		return nil, false, fmt.Errorf("%s is a symbolic link; refusing to write credentials through it", path)
	case !fi.Mode().IsRegular():
		return nil, false, fmt.Errorf("%s is not a regular file", path)
	}
	file, err := ini.LoadSources(loadOptions, path)
	if err != nil {
		return nil, false, fmt.Errorf("reading %s: %w", path, err)
	}
	return file, false, nil
}

// save writes the INI file atomically with mode 0600 in a 0700 directory.
func save(path string, file *ini.File, owner *Owner) error {
	var buf bytes.Buffer
	if _, err := file.WriteTo(&buf); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := writeAtomic(path, buf.Bytes(), owner); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

// writeAtomic replaces path with data through a temporary file and a rename.
func writeAtomic(path string, data []byte, owner *Owner) error {
	dir := filepath.Dir(path)
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return err
		}
		if owner != nil {
			if err := os.Chown(dir, owner.UID, owner.GID); err != nil {
				return err
			}
		}
	}
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
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if fi, err := os.Lstat(path); err == nil && fi.Mode()&fs.ModeSymlink != 0 {
		return fmt.Errorf("%s became a symbolic link; refusing to replace it", path)
	}
	return os.Rename(tmp.Name(), path)
}

// WriteFile writes a file of our own (renewal settings) atomically, 0600 in
// a 0700 directory, refusing to replace a symbolic link. The Written it
// returns (also on a later failure) lets the post step remove it.
func WriteFile(path string, data []byte, owner *Owner) (*Written, error) {
	_, err := os.Lstat(path)
	created := errors.Is(err, fs.ErrNotExist)
	if err := writeAtomic(path, data, owner); err != nil {
		return nil, fmt.Errorf("writing %s: %w", path, err)
	}
	return &Written{Path: path, Created: created}, nil
}
