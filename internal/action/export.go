package action

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/org/aws-oidc-go/internal/exchange"
	"github.com/org/aws-oidc-go/internal/hostpath"
	"github.com/org/aws-oidc-go/internal/profile"
	"github.com/org/aws-oidc-go/internal/runner"
	"github.com/org/aws-oidc-go/internal/source"
)

// StateKey is the GITHUB_STATE name the main step leaves for the post step
// (which receives it as STATE_cleanup).
const StateKey = "cleanup"

// State is what the post step has to undo.
type State struct {
	Env      []string          `json:"env,omitempty"`      // variables exported with a value
	Profiles []profile.Written `json:"profiles,omitempty"` // profile sections and files written
	// Manifest is the copy of this state beside the profile files, for a
	// post step the runner gives no state (act); removed with the rest.
	Manifest string `json:"manifest,omitempty"`
}

// CredentialVars are the variables unset-current-credentials blanks.
var CredentialVars = []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_REGION", "AWS_DEFAULT_REGION"}

// export hands the results over, all or nothing: everything is prepared
// first; then the profile files (if any), the post step's state, the
// outputs and the environment are written, each file command in one
// checked write. On any failure what was written is undone — file
// commands truncated back, profile files restored — and nothing is left
// half exported.
func (r *run) export(c *exchange.Credentials, id *exchange.Identity) error {
	cfg := r.cfg
	if r.env.Format != "" {
		return r.printResult(c, id)
	}
	outputs := []runner.Var{
		{Name: "aws-account-id", Value: id.Account},
		{Name: "authenticated-arn", Value: id.ARN},
	}
	if cfg.OutputCredentials {
		outputs = append(outputs,
			runner.Var{Name: "aws-access-key-id", Value: c.AccessKeyID},
			runner.Var{Name: "aws-secret-access-key", Value: c.SecretAccessKey},
			runner.Var{Name: "aws-session-token", Value: c.SessionToken},
		)
		if !c.Expiration.IsZero() {
			outputs = append(outputs, runner.Var{Name: "aws-expiration", Value: c.Expiration.UTC().Format(time.RFC3339)})
		}
	}

	var env []runner.Var
	if cfg.UnsetCurrentCredentials {
		for _, n := range append(CredentialVars, "AWS_PROFILE") {
			env = append(env, runner.Var{Name: n})
		}
	}
	env = append(env,
		runner.Var{Name: "AWS_REGION", Value: cfg.Region},
		runner.Var{Name: "AWS_DEFAULT_REGION", Value: cfg.Region},
	)

	var state State
	undo := func(err error) error {
		if rerr := profile.Remove(state.Profiles); rerr != nil {
			err = errors.Join(err, fmt.Errorf("undoing the profile files: %w", rerr))
		}
		if state.Manifest != "" {
			os.Remove(state.Manifest)
		}
		return err
	}
	var wrote string
	if cfg.Profile != "" {
		profEnv, msg, err := r.writeProfile(c, &state)
		if err != nil {
			return undo(err)
		}
		env, wrote = append(env, profEnv...), msg
	} else if cfg.OutputEnvCredentials {
		env = append(env,
			runner.Var{Name: "AWS_ACCESS_KEY_ID", Value: c.AccessKeyID},
			runner.Var{Name: "AWS_SECRET_ACCESS_KEY", Value: c.SecretAccessKey},
			runner.Var{Name: "AWS_SESSION_TOKEN", Value: c.SessionToken},
		)
	}

	var names []string
	for _, v := range env {
		if v.Value != "" {
			names = append(names, v.Name)
			state.Env = append(state.Env, v.Name)
		}
	}
	switch {
	case cfg.Profile != "":
		if err := r.writeManifest(&state); err != nil {
			return undo(err)
		}
	case r.inContainer && r.files.Config != "":
		// Without a profile, in a container action: only so that a post
		// step the runner hands no state (act) can blank the variables.
		// Not worth failing the step over.
		if err := r.writeManifest(&state); err != nil {
			r.wf.Log().Warningf("%s (the post step may not blank the variables on runners that drop its state)", err)
			state.Manifest = ""
		}
	}
	tx := r.wf.Begin()
	err := r.saveState(tx, state)
	if err == nil {
		err = tx.Append("GITHUB_OUTPUT", outputs)
	}
	if err == nil {
		err = tx.Append("GITHUB_ENV", env)
	}
	if err != nil {
		if rerr := tx.Rollback(); rerr != nil {
			err = errors.Join(err, fmt.Errorf("undoing the file commands: %w", rerr))
		}
		return undo(fmt.Errorf("%w; nothing was exported", err))
	}
	if wrote != "" {
		r.logf("%s", wrote)
	}
	r.logf("Exported %s", joinOr(names, "nothing"))
	return nil
}

// writeProfile writes the profile (and, with refresh, the renewal
// settings), recording each file in state as it goes. It returns the
// variables to export and the log line to print once all succeeded.
func (r *run) writeProfile(c *exchange.Credentials, state *State) ([]runner.Var, string, error) {
	cfg := r.cfg
	files, hostFiles := r.files, r.later
	owner := hostpath.Owner(r.env.Root, r.env.Getenv("GITHUB_ENV"))
	entry := profile.Entry{
		Name: cfg.Profile, Region: cfg.Region,
		AccessKeyID: c.AccessKeyID, SecretAccessKey: c.SecretAccessKey, SessionToken: c.SessionToken,
	}
	if cfg.Refresh {
		process, err := r.renewal(files, hostFiles, owner, state)
		if err != nil {
			return nil, "", err
		}
		entry = profile.Entry{Name: cfg.Profile, Region: cfg.Region, CredentialProcess: process}
	}
	written, err := profile.Write(files, entry, cfg.OverwriteProfile, owner)
	state.Profiles = append(state.Profiles, written...)
	if err != nil {
		return nil, "", err
	}
	var env []runner.Var
	var msg string
	if cfg.Refresh {
		msg = fmt.Sprintf("Wrote profile %s to %s; its credential_process renews the credentials with a fresh token whenever they near expiry", cfg.Profile, hostFiles.Config)
		// Credentials in the environment would win over the profile and never renew.
		for _, n := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"} {
			env = append(env, runner.Var{Name: n})
		}
		env = append(env, runner.Var{Name: "AWS_CONFIG_FILE", Value: hostFiles.Config}, runner.Var{Name: "AWS_SDK_LOAD_CONFIG", Value: "1"})
	} else {
		msg = fmt.Sprintf("Wrote profile %s to %s and %s", cfg.Profile, hostFiles.Credentials, hostFiles.Config)
		if hostFiles != files || r.inContainer || r.env.Getenv("AWS_SHARED_CREDENTIALS_FILE") != "" {
			env = append(env,
				runner.Var{Name: "AWS_SHARED_CREDENTIALS_FILE", Value: hostFiles.Credentials},
				runner.Var{Name: "AWS_CONFIG_FILE", Value: hostFiles.Config},
			)
		}
	}
	if cfg.OutputEnvCredentials || cfg.Refresh {
		env = append(env, runner.Var{Name: "AWS_PROFILE", Value: cfg.Profile})
	}
	return env, msg, nil
}

// renewal writes the renewal settings (and, inside the container, a copy
// of the binary the host can run) beside the profile and returns the
// credential_process command line. The settings are a 0600 JSON file, so
// any value survives and no secret (a proxy password) is in argv or in the
// AWS config file.
func (r *run) renewal(files, hostFiles profile.Files, owner *profile.Owner, state *State) (string, error) {
	settings := source.RenewalOf(r.src)
	if settings == nil {
		return "", fmt.Errorf("refresh: credentials from %s cannot be renewed", r.src)
	}
	exe, written, err := r.refreshExecutable(files, hostFiles, owner)
	state.Profiles = append(state.Profiles, written...)
	if err != nil {
		return "", err
	}
	b, err := json.MarshalIndent(settings, "", "  ")
	if err != nil {
		return "", err
	}
	name := "aws-oidc-go-" + r.cfg.Profile + ".json"
	path := filepath.Join(filepath.Dir(files.Config), name)
	w, err := profile.WriteFile(path, append(b, '\n'), owner)
	if w != nil {
		state.Profiles = append(state.Profiles, *w)
	}
	if err != nil {
		return "", fmt.Errorf("refresh: writing the renewal settings: %w", err)
	}
	if r.env.CredentialProcess == nil {
		return "", errors.New("refresh: no credential_process command line is known to this program")
	}
	return r.env.CredentialProcess(exe, filepath.Join(filepath.Dir(hostFiles.Config), name)), nil
}

// writeManifest leaves a copy of the state beside the profile files, for a
// post step the runner hands no state (act).
func (r *run) writeManifest(state *State) error {
	state.Manifest = hostpath.Manifest(r.files, r.env.Getenv)
	b, err := json.Marshal(state)
	if err != nil {
		return err
	}
	if _, err := profile.WriteFile(state.Manifest, b, hostpath.Owner(r.env.Root, r.env.Getenv("GITHUB_ENV"))); err != nil {
		return fmt.Errorf("writing the cleanup manifest: %w", err)
	}
	return nil
}

// locateProfile decides, before any call, where the profile goes and fails
// when nowhere is shared with the job's later steps.
func (r *run) locateProfile() error {
	if r.env.Format != "" {
		return nil
	}
	mounts, _ := r.mounts()
	r.inContainer = hostpath.InContainer(mounts)
	var err error
	r.files, r.later, err = hostpath.ProfileFiles(r.env.Getenv, mounts, r.inContainer)
	if r.cfg.Profile == "" {
		// Only where the cleanup manifest may go; no profile, no error.
		if err != nil || !r.inContainer {
			r.files, r.later = profile.Files{}, profile.Files{}
		}
		return nil
	}
	return err
}

// saveState leaves the post step its work. Outside Actions (no
// GITHUB_STATE) there is no post step and nothing to save.
func (r *run) saveState(tx *runner.Tx, s State) error {
	if r.env.Getenv("GITHUB_STATE") == "" || (len(s.Env) == 0 && len(s.Profiles) == 0) {
		return nil
	}
	b, err := json.Marshal(s)
	if err != nil {
		return err
	}
	return tx.Append("GITHUB_STATE", []runner.Var{{Name: StateKey, Value: string(b)}})
}

func (r *run) mounts() (hostpath.Mounts, error) { return r.env.mounts() }

func (env Env) mounts() (hostpath.Mounts, error) {
	if env.Mounts != nil {
		return env.Mounts()
	}
	return hostpath.ReadMounts("/proc/self/mountinfo")
}

func joinOr(s []string, none string) string {
	if len(s) == 0 {
		return none
	}
	return strings.Join(s, ", ")
}
