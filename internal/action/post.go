package action

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/org/aws-oidc-go/internal/handoff"
	"github.com/org/aws-oidc-go/internal/hostpath"
	"github.com/org/aws-oidc-go/internal/runner"
)

// PostLockTimeout bounds the post step's wait for a lock another process
// holds: it then warns and goes on, leaving that file alone.
const PostLockTimeout = 10 * time.Second

// Post is the post step (action.yml post-entrypoint, or `aws-oidc-go post`):
// it blanks the variables the main step exported and removes the profile
// sections and files it wrote. It acts on the state the runner hands it in
// STATE_cleanup alone; only where the runner is known to drop that state
// (act) does it read the manifest the main step left in its run's
// directory, as a claim to verify. Everything is verified before it is
// touched (see handoff.Cleanup). It runs even when the main step failed,
// and it never fails the job: problems become warnings.
// AWS_SKIP_CLEANUP_STEP=true skips it.
func Post(ctx context.Context, env Env) error {
	wf := runner.New(env.Log, env.Getenv, env.Workflow)
	log := wf.Log()
	if env.Getenv("AWS_SKIP_CLEANUP_STEP") == "true" {
		log.Infof("AWS_SKIP_CLEANUP_STEP=true: leaving credentials in place")
		return nil
	}
	checks := handoff.Checks{UID: env.laterUID()}
	var states []handoff.State
	from := "the main step's state"
	mounts, _ := env.mounts()
	switch raw := env.Getenv("STATE_" + StateKey); {
	case raw != "":
		s, err := handoff.ParseState([]byte(raw))
		if err != nil {
			log.Warningf("Cleanup skipped: the main step's state is unreadable (%v)", err)
			return nil
		}
		states = append(states, s)
	case handoff.DropsState(env.Getenv, mounts):
		// act hands a container action's post step no state: the
		// manifests of this run, job and step, each a claim to verify.
		from = "the cleanup manifest"
		var warnings []string
		states, warnings = handoff.Manifests(manifestBases(env, mounts), handoff.RunKey(env.Getenv), checks.UID)
		for _, w := range warnings {
			log.Warningf("Cleanup: %s", w)
		}
	}
	if len(states) == 0 {
		log.Infof("Nothing to clean up: the main step left nothing to undo")
		return nil
	}
	wait := PostLockTimeout
	if env.LockTimeout > 0 {
		wait = env.LockTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	var blank []runner.Var
	var names []string
	removed, temps := 0, 0
	for _, s := range states {
		rep := handoff.Cleanup(ctx, s, checks)
		for _, w := range rep.Warnings {
			log.Warningf("Cleanup: %s", w)
		}
		for _, n := range rep.Blank {
			blank = append(blank, runner.Var{Name: n})
			names = append(names, n)
		}
		removed += rep.Removed
		temps += rep.Temps
	}
	if env.Getenv("GITHUB_ENV") != "" && len(blank) > 0 {
		if err := wf.Append("GITHUB_ENV", blank); err != nil {
			log.Warningf("Cleanup could not blank the variables: %s", err)
		}
	}
	leftovers := ""
	if temps > 0 {
		leftovers = fmt.Sprintf("; removed %d temporary file(s) an interrupted write left beside the profile files", temps)
	}
	log.Infof("Cleaned up from %s: blanked %s; removed %d profile file(s) and section(s)%s", from, joinOr(names, "no variables"), removed, leftovers)
	return nil
}

// laterUID is the user later steps run as, whom our files must belong to:
// the owner of the runner's GITHUB_ENV file, else this process's user.
func (env Env) laterUID() int {
	if f := env.Getenv("GITHUB_ENV"); f != "" {
		if uid, _, ok := handoff.FileOwner(f); ok {
			return uid
		}
	}
	return env.UID
}

// manifestBases are the places a main step of this job may have put its
// run's directory: the shared directory of the container, and the
// directories of the profile files (the main step may have exported
// AWS_CONFIG_FILE since).
func manifestBases(env Env, mounts hostpath.Mounts) []string {
	var dirs []string
	if dir, _, ok := hostpath.ContainerAWSDir(mounts, func(p string) bool { fi, err := os.Stat(p); return err == nil && fi.IsDir() }); ok {
		dirs = append(dirs, dir)
	}
	for _, f := range []string{env.Getenv("AWS_CONFIG_FILE"), env.Getenv("AWS_SHARED_CREDENTIALS_FILE")} {
		if f != "" {
			dirs = append(dirs, filepath.Dir(f))
		}
	}
	if home, _ := hostpath.Home(env.Getenv); home != "" {
		dirs = append(dirs, filepath.Join(home, ".aws"))
	}
	return dirs
}
