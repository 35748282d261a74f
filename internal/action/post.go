package action

import (
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/org/aws-oidc-go/internal/hostpath"

	"github.com/org/aws-oidc-go/internal/profile"
	"github.com/org/aws-oidc-go/internal/runner"
)

// Post is the post step (action.yml post-entrypoint, or `aws-oidc-go post`):
// it blanks the variables the main step exported and removes the profile
// sections and files it wrote, from the state the main step left in
// STATE_cleanup. It runs even when the main step failed, and it never fails
// the job: problems become warnings. AWS_SKIP_CLEANUP_STEP=true skips it.
func Post(_ context.Context, env Env) error {
	wf := runner.New(env.Stdout, env.Getenv, env.Workflow)
	log := wf.Log()
	if env.Getenv("AWS_SKIP_CLEANUP_STEP") == "true" {
		log.Infof("AWS_SKIP_CLEANUP_STEP=true: leaving credentials in place")
		return nil
	}
	raw := env.Getenv("STATE_" + StateKey)
	from := "the main step's state"
	if raw == "" {
		// The runner handed no state (act does not, for container
		// actions): the manifest the main step left beside its files.
		raw, from = readManifest(env), "the cleanup manifest"
	}
	if raw == "" {
		log.Infof("Nothing to clean up: the main step exported nothing")
		return nil
	}
	var s State
	if err := json.Unmarshal([]byte(raw), &s); err != nil {
		log.Warningf("Cleanup skipped: %s is unreadable (%v)", from, err)
		return nil
	}
	if err := profile.Remove(s.Profiles); err != nil {
		log.Warningf("Cleanup could not remove every profile file: %s", err)
	}
	var blank []runner.Var
	for _, n := range s.Env {
		blank = append(blank, runner.Var{Name: n})
	}
	if env.Getenv("GITHUB_ENV") != "" {
		if err := wf.Append("GITHUB_ENV", blank); err != nil {
			log.Warningf("Cleanup could not blank the variables: %s", err)
		}
	}
	if s.Manifest != "" {
		if err := os.Remove(s.Manifest); err != nil && !errors.Is(err, fs.ErrNotExist) {
			log.Warningf("Cleanup could not remove the manifest: %s", err)
		}
	}
	log.Infof("Cleaned up from %s: blanked %s; removed %d profile file(s) and section(s)", from, joinOr(s.Env, "no variables"), len(s.Profiles))
	return nil
}

// readManifest returns the manifest the main step of this run, job and
// step left beside the profile files, or "". The main step may have
// exported AWS_CONFIG_FILE since, so every place it could have written to
// is tried.
func readManifest(env Env) string {
	mounts, _ := env.mounts()
	var dirs []string
	if dir, _, ok := hostpath.ContainerAWSDir(mounts, func(p string) bool { fi, err := os.Stat(p); return err == nil && fi.IsDir() }); ok {
		dirs = append(dirs, dir)
	}
	for _, f := range []string{env.Getenv("AWS_CONFIG_FILE"), env.Getenv("AWS_SHARED_CREDENTIALS_FILE")} {
		if f != "" {
			dirs = append(dirs, filepath.Dir(f))
		}
	}
	if home := env.Getenv("HOME"); home != "" {
		dirs = append(dirs, filepath.Join(home, ".aws"))
	}
	for _, dir := range dirs {
		b, err := os.ReadFile(hostpath.Manifest(profile.Files{Config: filepath.Join(dir, "config")}, env.Getenv))
		if err == nil && len(b) <= 1<<20 {
			return string(b)
		}
	}
	return ""
}
