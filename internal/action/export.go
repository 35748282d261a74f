package action

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/org/aws-oidc-go/internal/exchange"
	"github.com/org/aws-oidc-go/internal/export"
	"github.com/org/aws-oidc-go/internal/profile"
)

// StateKey is the GITHUB_STATE name the main step leaves for the post step
// (which receives it as STATE_cleanup).
const StateKey = "cleanup"

// State is what the post step has to undo.
type State struct {
	Env      []string          `json:"env,omitempty"`      // variables exported with a value
	Profiles []profile.Written `json:"profiles,omitempty"` // profile sections and files written
}

// CredentialVars are the variables unset-current-credentials blanks.
var CredentialVars = []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_REGION", "AWS_DEFAULT_REGION"}

// export writes the profile (if any) and the post step's state, then the
// outputs, then the environment, each file in one append.
func (r *run) export(c *exchange.Credentials, id *exchange.Identity) error {
	cfg := r.cfg
	if r.env.Format != "" {
		return r.printResult(c, id)
	}
	outputs := []export.Var{
		{Name: "aws-account-id", Value: id.Account},
		{Name: "authenticated-arn", Value: id.ARN},
	}
	if cfg.OutputCredentials {
		outputs = append(outputs,
			export.Var{Name: "aws-access-key-id", Value: c.AccessKeyID},
			export.Var{Name: "aws-secret-access-key", Value: c.SecretAccessKey},
			export.Var{Name: "aws-session-token", Value: c.SessionToken},
		)
		if !c.Expiration.IsZero() {
			outputs = append(outputs, export.Var{Name: "aws-expiration", Value: c.Expiration.UTC().Format(time.RFC3339)})
		}
	}

	var env []export.Var
	if cfg.UnsetCurrentCredentials {
		for _, n := range append(CredentialVars, "AWS_PROFILE") {
			env = append(env, export.Var{Name: n})
		}
	}
	env = append(env,
		export.Var{Name: "AWS_REGION", Value: cfg.Region},
		export.Var{Name: "AWS_DEFAULT_REGION", Value: cfg.Region},
	)

	var state State
	if cfg.Profile != "" {
		files, hostFiles, err := r.profileFiles()
		if err != nil {
			return err
		}
		entry := profile.Entry{
			Name: cfg.Profile, Region: cfg.Region,
			AccessKeyID: c.AccessKeyID, SecretAccessKey: c.SecretAccessKey, SessionToken: c.SessionToken,
		}
		if cfg.Refresh {
			exe, written, err := r.refreshExecutable(files, hostFiles)
			state.Profiles = append(state.Profiles, written...)
			if err != nil {
				return errors.Join(err, r.saveState(state))
			}
			entry = profile.Entry{Name: cfg.Profile, Region: cfg.Region, CredentialProcess: r.credentialProcess(exe)}
		}
		written, werr := profile.Write(files, entry, cfg.OverwriteProfile, r.owner())
		state.Profiles = append(state.Profiles, written...)
		if werr != nil {
			return errors.Join(werr, r.saveState(state))
		}
		if cfg.Refresh {
			r.logf("Wrote profile %s to %s; its credential_process renews the credentials with a fresh ID token whenever they near expiry", cfg.Profile, hostFiles.Config)
			// Credentials in the environment would win over the profile and never renew.
			for _, n := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"} {
				env = append(env, export.Var{Name: n})
			}
			env = append(env, export.Var{Name: "AWS_CONFIG_FILE", Value: hostFiles.Config}, export.Var{Name: "AWS_SDK_LOAD_CONFIG", Value: "1"})
		} else {
			r.logf("Wrote profile %s to %s and %s", cfg.Profile, hostFiles.Credentials, hostFiles.Config)
			if hostFiles != files || r.env.Getenv("AWS_SHARED_CREDENTIALS_FILE") != "" {
				env = append(env,
					export.Var{Name: "AWS_SHARED_CREDENTIALS_FILE", Value: hostFiles.Credentials},
					export.Var{Name: "AWS_CONFIG_FILE", Value: hostFiles.Config},
				)
			}
		}
		if cfg.OutputEnvCredentials || cfg.Refresh {
			env = append(env, export.Var{Name: "AWS_PROFILE", Value: cfg.Profile})
		}
	} else if cfg.OutputEnvCredentials {
		env = append(env,
			export.Var{Name: "AWS_ACCESS_KEY_ID", Value: c.AccessKeyID},
			export.Var{Name: "AWS_SECRET_ACCESS_KEY", Value: c.SecretAccessKey},
			export.Var{Name: "AWS_SESSION_TOKEN", Value: c.SessionToken},
		)
	}

	var names []string
	for _, v := range env {
		if v.Value != "" {
			names = append(names, v.Name)
			state.Env = append(state.Env, v.Name)
		}
	}
	if err := r.saveState(state); err != nil {
		return err
	}
	if err := r.wf.Append("GITHUB_OUTPUT", outputs); err != nil {
		return err
	}
	if err := r.wf.Append("GITHUB_ENV", env); err != nil {
		return err
	}
	r.logf("Exported %s", joinOr(names, "nothing"))
	return nil
}

// saveState leaves the post step its work. Outside Actions (no
// GITHUB_STATE) there is no post step and nothing to save.
func (r *run) saveState(s State) error {
	if r.env.Getenv("GITHUB_STATE") == "" || (len(s.Env) == 0 && len(s.Profiles) == 0) {
		return nil
	}
	b, err := json.Marshal(s)
	if err != nil {
		return err
	}
	return r.wf.Append("GITHUB_STATE", []export.Var{{Name: StateKey, Value: string(b)}})
}

// profileFiles picks where the profile goes: the files AWS_SHARED_CREDENTIALS_FILE
// and AWS_CONFIG_FILE name; inside the action's container, a directory the
// host's later steps can reach (the runner's temp dir, else the mounted
// home), returned with its host path; else ~/.aws.
func (r *run) profileFiles() (files, host profile.Files, err error) {
	getenv := r.env.Getenv
	if cf, cfg := getenv("AWS_SHARED_CREDENTIALS_FILE"), getenv("AWS_CONFIG_FILE"); cf != "" || cfg != "" {
		files = profile.Files{Credentials: cf, Config: cfg}
		home := getenv("HOME")
		if files.Credentials == "" {
			files.Credentials = filepath.Join(home, ".aws", "credentials")
		}
		if files.Config == "" {
			files.Config = filepath.Join(home, ".aws", "config")
		}
		return files, files, nil
	}
	mounts, _ := ReadMounts(r.mountInfo())
	if dir, hostDir, ok := ContainerAWSDir(mounts, dirExists); ok {
		files = profile.Files{Credentials: filepath.Join(dir, "credentials"), Config: filepath.Join(dir, "config")}
		host = profile.Files{Credentials: filepath.Join(hostDir, "credentials"), Config: filepath.Join(hostDir, "config")}
		return files, host, nil
	}
	home := getenv("HOME")
	if home == "" {
		return files, host, errors.New("aws-profile: HOME is not set, and neither is AWS_SHARED_CREDENTIALS_FILE")
	}
	files = profile.Files{Credentials: filepath.Join(home, ".aws", "credentials"), Config: filepath.Join(home, ".aws", "config")}
	return files, files, nil
}

func (r *run) mountInfo() string {
	if r.env.MountInfo != "" {
		return r.env.MountInfo
	}
	return "/proc/self/mountinfo"
}

// owner is the runner's user, who must be able to read what a root
// container writes: the owner of the GITHUB_ENV file the runner created.
func (r *run) owner() *profile.Owner {
	if !r.env.Root {
		return nil
	}
	fi, err := os.Stat(r.env.Getenv("GITHUB_ENV"))
	if err != nil {
		return nil
	}
	return ownerOf(fi)
}

func dirExists(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.IsDir()
}

func joinOr(s []string, none string) string {
	if len(s) == 0 {
		return none
	}
	return strings.Join(s, ", ")
}
