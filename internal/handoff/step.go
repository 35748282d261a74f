package handoff

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/org/aws-oidc-go/internal/profile"
	"github.com/org/aws-oidc-go/internal/runner"
)

// RunDirPrefix begins the name of every run's private directory.
const RunDirPrefix = "aws-oidc-go-run-"

// ManifestName is the manifest's name inside the run's directory.
const ManifestName = "manifest.json"

// Options configure one main step's handoff.
type Options struct {
	// Base is the shared location the run's directory goes in, as this
	// process sees it (the profile's directory); Later is the same as the
	// job's later steps see it (a host path, from inside the container).
	Base, Later string
	// Owner receives what is created (the runner's user, while the
	// container runs as root); nil: this process's user.
	Owner *profile.Owner
	// Key names the run, attempt, job and step, for a manifest.
	Key string
	// Records is the runner's transaction the State is appended to
	// (GITHUB_STATE, as StateKey), whole, before each thing it names is
	// written: the runner keeps a name's last value, so each record
	// replaces the one before. Undo rolls it back once the files are gone.
	// Nil: no state (outside Actions).
	Records *runner.Tx
	// Manifest keeps the State as a manifest in the run's directory too,
	// for runners that drop state (act).
	Manifest bool
	// Hook, when set, is called at named points ("dir", "manifest",
	// "file", and profile.Options.Hook's); tests return an error there to
	// simulate a kill.
	Hook func(point string) error
}

// Step is one main step's handoff: what it leaves behind, recorded before
// it is written. Not safe for concurrent use.
type Step struct {
	o       Options
	token   string
	temps   int
	state   State
	created bool // the directory exists
}

// Start begins the handoff of one main step. Nothing is written yet.
func Start(o Options) (*Step, error) {
	if o.Base != "" {
		// Recorded paths are absolute: the post step may run elsewhere.
		abs, err := filepath.Abs(o.Base)
		if err != nil {
			return nil, err
		}
		o.Base = abs
	}
	r := &Step{o: o, token: rand.Text()}
	r.state = State{Version: stateVersion, Key: o.Key, Token: r.token}
	return r, nil
}

// State is what the run has recorded so far.
func (r *Step) State() State { return r.state }

// SetEnv records the variables exported with a value, in the manifest
// when there is one. The final State goes to the runner with Save, in the
// same transaction as GITHUB_ENV, so a state never names a variable that
// was not exported.
func (r *Step) SetEnv(names []string) error {
	r.state.Env = names
	if r.o.Manifest && r.created {
		return r.writeManifest()
	}
	return nil
}

// Save appends the final State to tx (GITHUB_STATE), the transaction that
// exports the variables it names. Nothing without Options.Records (no
// post step to tell) or with nothing to undo.
func (r *Step) Save(tx *runner.Tx) error {
	if r.o.Records == nil || r.state.Empty() {
		return nil
	}
	return appendState(tx, r.state)
}

// appendState appends s to tx as the one GITHUB_STATE line of StateKey.
func appendState(tx *runner.Tx, s State) error {
	v, err := Encode(s)
	if err != nil {
		return err
	}
	return tx.Append("GITHUB_STATE", []runner.Var{{Name: StateKey, Value: v}})
}

func (r *Step) hook(point string) error {
	if r.o.Hook != nil {
		return r.o.Hook(point)
	}
	return nil
}

// record hands the State over before the next write.
func (r *Step) record() error {
	if r.o.Records != nil {
		if err := appendState(r.o.Records, r.state); err != nil {
			return fmt.Errorf("recording the post step's work: %w", err)
		}
	}
	if r.o.Manifest && r.created {
		if err := r.writeManifest(); err != nil {
			return err
		}
	}
	return nil
}

// Dir returns the run's private directory, as this process sees it and as
// later steps will, creating it on first use: a fresh, unguessable name
// (RunDirPrefix and the run's token: crypto/rand.Text, 128 random bits) inside Options.Base, mode 0700, owned
// by Options.Owner. It is recorded in the State before it is created, and
// created with mkdir (a name that exists is an error, never reused).
// Whatever the run leaves that is not the user's own AWS files goes in it
// (see CreateFile).
func (r *Step) Dir() (here, later string, err error) {
	name := RunDirPrefix + r.token
	here, later = filepath.Join(r.o.Base, name), filepath.Join(r.o.Later, name)
	if r.created {
		return here, later, nil
	}
	if r.o.Base == "" {
		return "", "", errors.New("no shared location for the run's directory")
	}
	r.state.Dir = here
	if err := r.record(); err != nil {
		return "", "", err
	}
	if err := r.hook("dir"); err != nil {
		return "", "", err
	}
	if err := os.Mkdir(here, 0o700); err != nil {
		return "", "", fmt.Errorf("creating the run's directory: %w", err)
	}
	r.created = true
	if err := os.Chmod(here, 0o700); err != nil {
		return "", "", err
	}
	if r.o.Owner != nil {
		if err := os.Lchown(here, r.o.Owner.UID, r.o.Owner.GID); err != nil {
			return "", "", fmt.Errorf("handing %s to the runner's user: %w", here, err)
		}
	}
	if r.o.Manifest {
		if err := r.hook("manifest"); err != nil {
			return "", "", err
		}
		if err := r.writeManifest(); err != nil {
			return "", "", err
		}
	}
	return here, later, nil
}

// CreateFile leaves a file of ours in the run's directory: recorded first,
// then created exclusively under a temporary name (never through a link,
// never over an existing file), and renamed into place inside the
// directory. It returns the file's path here and as later steps see it.
func (r *Step) CreateFile(name string, data []byte, mode os.FileMode) (here, later string, err error) {
	if name != filepath.Base(name) || strings.HasPrefix(name, ".") || name == ManifestName {
		return "", "", fmt.Errorf("%q is not a name for a file of the run", name)
	}
	dir, laterDir, err := r.Dir()
	if err != nil {
		return "", "", err
	}
	if !slices.Contains(r.state.Files, name) {
		r.state.Files = append(r.state.Files, name)
		if err := r.record(); err != nil {
			return "", "", err
		}
	}
	if err := r.hook("file"); err != nil {
		return "", "", err
	}
	here = filepath.Join(dir, name)
	if err := r.place(here, data, mode); err != nil {
		return "", "", fmt.Errorf("writing %s: %w", here, err)
	}
	return here, filepath.Join(laterDir, name), nil
}

// place writes data to a fresh temporary file in the run's directory and
// renames it to path there; an existing path is refused.
func (r *Step) place(path string, data []byte, mode os.FileMode) error {
	if _, err := os.Lstat(path); !isNotExist(err) {
		return fmt.Errorf("%s already exists; refusing to replace it", path)
	}
	return r.replace(path, data, mode)
}

func (r *Step) replace(path string, data []byte, mode os.FileMode) error {
	tmp := filepath.Join(filepath.Dir(path), "."+r.tempName())
	if err := profile.CreateFile(tmp, data, r.o.Owner); err != nil {
		return err
	}
	defer os.Remove(tmp)
	if err := os.Chmod(tmp, mode); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

func (r *Step) tempName() string {
	r.temps++
	return r.token + "-" + strconv.Itoa(r.temps)
}

func (r *Step) writeManifest() error {
	s, err := Encode(r.state)
	if err != nil {
		return err
	}
	dir := filepath.Join(r.o.Base, RunDirPrefix+r.token)
	if err := r.replace(filepath.Join(dir, ManifestName), []byte(s), 0o600); err != nil {
		return fmt.Errorf("writing the cleanup manifest: %w", err)
	}
	return nil
}

// WriteProfile writes e into the user's files (see profile.Write): each
// section is recorded, with its digest and the temporary file that will
// become the file, before the file changes; a replaced section is stashed
// in the run's directory. Locks are waited for until ctx is done.
func (r *Step) WriteProfile(ctx context.Context, files profile.Files, e profile.Entry, overwrite bool) error {
	for _, p := range []*string{&files.Credentials, &files.Config} {
		if *p == "" {
			continue
		}
		abs, err := filepath.Abs(*p)
		if err != nil {
			return err
		}
		*p = abs
	}
	stashDir := ""
	if overwrite || r.o.Manifest {
		// A run that may replace a section needs somewhere to stash it; a
		// run whose record is the manifest needs somewhere to keep that.
		dir, _, err := r.Dir()
		if err != nil {
			return err
		}
		stashDir = dir
	}
	_, err := profile.Write(ctx, files, e, profile.Options{
		Overwrite: overwrite, Owner: r.o.Owner, StashDir: stashDir,
		TempName: r.tempName,
		Record: func(w profile.Written) error {
			r.state.Profiles = append(r.state.Profiles, w)
			return r.record()
		},
		Hook: r.o.Hook,
	})
	return err
}

// Undo removes everything the run wrote (the main step failed): the
// sections from the user's files, then the run's directory, then the
// records (Options.Records rolled back). When a file cannot be removed the
// records stay, so that the post step can finish the job.
func (r *Step) Undo(ctx context.Context) error {
	rep := Cleanup(ctx, r.state, Checks{UID: r.uid()})
	if len(rep.Warnings) > 0 {
		return fmt.Errorf("undoing the files written: %s", strings.Join(rep.Warnings, "; "))
	}
	if r.o.Records != nil {
		if err := r.o.Records.Rollback(); err != nil {
			return fmt.Errorf("undoing the post step's records: %w", err)
		}
	}
	return nil
}

func (r *Step) uid() int {
	if r.o.Owner != nil {
		return r.o.Owner.UID
	}
	if r.created {
		if uid, _, ok := FileOwner(filepath.Join(r.o.Base, RunDirPrefix+r.token)); ok {
			return uid
		}
	}
	return NoUID
}
