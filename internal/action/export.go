package action

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/org/aws-oidc-go/internal/config"
	"github.com/org/aws-oidc-go/internal/exchange"
	"github.com/org/aws-oidc-go/internal/handoff"
	"github.com/org/aws-oidc-go/internal/hostpath"
	"github.com/org/aws-oidc-go/internal/profile"
	"github.com/org/aws-oidc-go/internal/runner"
	"github.com/org/aws-oidc-go/internal/source"
	"github.com/org/aws-oidc-go/internal/token"
)

// StateKey is the GITHUB_STATE name the main step leaves for the post step
// (which receives it as STATE_cleanup).
const StateKey = handoff.StateKey

// CredentialVars are the variables unset-current-credentials blanks.
var CredentialVars = []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_REGION", "AWS_DEFAULT_REGION"}

// export hands the results over, all or nothing: everything is prepared
// first; then the profile files (if any), the post step's state, the
// outputs and the environment are written, each file command in one
// checked write. On any failure what was written is undone — file
// commands truncated back, profile files restored — and nothing is left
// half exported.
func (r *mainStep) export(c *exchange.Credentials, id *exchange.Identity) error {
	cfg := r.cfg
	if r.env.Print {
		return nil
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

	ho, err := r.startHandoff()
	if err != nil {
		return err
	}
	undo := func(err error) error {
		if !strings.Contains(err.Error(), "nothing was exported") {
			err = fmt.Errorf("%w; nothing was exported", err)
		}
		if ho == nil {
			return err
		}
		// Bounded: the step's own context may be what ran out.
		ctx, cancel := context.WithTimeout(context.WithoutCancel(r.ctx), PostLockTimeout)
		defer cancel()
		if rerr := ho.Undo(ctx); rerr != nil {
			return errors.Join(err, rerr)
		}
		return err
	}
	var wrote string
	if cfg.Profile != "" {
		profEnv, msg, err := r.writeProfile(c, ho)
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
		}
	}
	if ho != nil {
		if r.manifest && cfg.Profile == "" && r.files.Config != "" {
			// Without a profile, in a container action the runner hands no
			// state (act): only so that the post step can blank the
			// variables. Not worth failing the step over.
			if _, _, err := ho.Dir(); err != nil {
				r.wf.Log().Warningf("%s (the post step may not blank the variables on runners that drop its state)", err)
			}
		}
		if err := ho.SetEnv(names); err != nil {
			if cfg.Profile != "" {
				return undo(err)
			}
			r.wf.Log().Warningf("%s (the post step may not blank the variables on runners that drop its state)", err)
		}
	}
	tx := r.wf.Begin()
	if ho != nil {
		// The final record, in the transaction of the variables it names.
		err = ho.Save(tx)
	}
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
		return undo(err)
	}
	if wrote != "" {
		r.logf("%s", wrote)
	}
	r.logf("Exported %s", joinOr(names, "nothing"))
	return nil
}

// startHandoff begins recording what this step leaves behind (nil when it
// leaves nothing but variables and there is no post step to tell).
func (r *mainStep) startHandoff() (*handoff.Step, error) {
	if r.env.Getenv("GITHUB_STATE") == "" && r.cfg.Profile == "" {
		return nil, nil
	}
	base, later := "", ""
	if r.files.Config != "" {
		base, later = filepath.Dir(r.files.Config), filepath.Dir(r.later.Config)
	}
	o := handoff.Options{
		Base: base, Later: later,
		Owner:    hostpath.Owner(r.env.Root, r.env.Getenv("GITHUB_ENV")),
		Key:      handoff.RunKey(r.env.Getenv),
		Manifest: r.manifest,
		Hook:     r.env.HandoffHook,
	}
	if r.env.Getenv("GITHUB_STATE") != "" {
		// The handoff records its State there before each write.
		o.Records = r.wf.Begin()
	}
	if base != "" {
		if err := profile.PrepareDir(base, o.Owner); err != nil && r.cfg.Profile != "" {
			return nil, err
		} else if err != nil {
			// Only the manifest would go there: not worth failing over.
			r.wf.Log().Warningf("%s (the post step may not blank the variables on runners that drop its state)", err)
			o.Base, o.Later = "", ""
		}
	}
	return handoff.Start(o)
}

// writeProfile writes the profile (and, with refresh, the renewal
// settings), each thing recorded by the handoff before it is written. It
// returns the variables to export and the log line to print once all
// succeeded.
func (r *mainStep) writeProfile(c *exchange.Credentials, ho *handoff.Step) ([]runner.Var, string, error) {
	cfg := r.cfg
	files, hostFiles := r.files, r.later
	entry := profile.Entry{
		Name: cfg.Profile, Region: cfg.Region,
		AccessKeyID: c.AccessKeyID, SecretAccessKey: c.SecretAccessKey, SessionToken: c.SessionToken,
	}
	if cfg.Refresh {
		process, err := r.renewal(ho)
		if err != nil {
			return nil, "", err
		}
		entry = profile.Entry{Name: cfg.Profile, Region: cfg.Region, CredentialProcess: process}
	}
	if err := ho.WriteProfile(r.ctx, files, entry, cfg.OverwriteProfile); err != nil {
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

// renewal leaves the renewal settings (and, inside the container, a copy
// of the binary the host can run) in the run's private directory and
// returns the credential_process command line. The settings are a 0600
// JSON file written from the Config (config.MarshalSettings), so any value
// survives and no secret (a proxy password) is in argv or in the AWS
// config file.
func (r *mainStep) renewal(ho *handoff.Step) (string, error) {
	if !source.Renews(r.src) {
		return "", fmt.Errorf("refresh: credentials from %s cannot be renewed", r.src)
	}
	if r.env.CredentialProcess == nil {
		return "", errors.New("refresh: no credential_process command line is known to this program")
	}
	cfg := *r.cfg
	if cfg.Mode == config.ModeTokenFile {
		path, err := token.FilePath(cfg.TokenFile, r.env.Getenv("GITHUB_WORKSPACE"))
		if err != nil {
			return "", err
		}
		cfg.TokenFile = path
	}
	b, err := config.MarshalSettings(&cfg)
	if err != nil {
		return "", fmt.Errorf("refresh: %w", err)
	}
	exe, err := r.refreshExecutable(ho)
	if err != nil {
		return "", err
	}
	_, later, err := ho.CreateFile(SettingsName, b, 0o600)
	if err != nil {
		return "", fmt.Errorf("refresh: writing the renewal settings: %w", err)
	}
	return r.env.CredentialProcess(exe, later), nil
}

// SettingsName is the renewal settings file's name in the run's directory.
const SettingsName = "renewal.json"

// locateProfile decides, before any call, where the profile goes and fails
// when nowhere is shared with the job's later steps.
func (r *mainStep) locateProfile() error {
	if r.env.Print {
		return nil
	}
	mounts, _ := r.mounts()
	r.inContainer = hostpath.InContainer(mounts)
	var err error
	r.files, r.later, err = hostpath.ProfileFiles(r.env.Getenv, mounts, r.inContainer)
	r.manifest = handoff.DropsState(r.env.Getenv, mounts)
	if r.cfg.Profile == "" {
		// Only where the cleanup manifest may go; no profile, no error.
		if err != nil || !r.inContainer || !r.manifest {
			r.files, r.later = profile.Files{}, profile.Files{}
		}
		return nil
	}
	return err
}

func (r *mainStep) mounts() (hostpath.Mounts, error) { return r.env.mounts() }

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
