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
	wait := PostLockTimeout
	if env.LockTimeout > 0 {
		wait = env.LockTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	mounts, _ := env.mounts()
	left := handoff.Left{State: env.Getenv("STATE_" + StateKey), DropsState: handoff.DropsState(env.Getenv, mounts)}
	if left.State == "" && left.DropsState {
		// act hands a container action's post step no state: the
		// manifests of this run, job and step, each a claim to verify.
		left.Bases, left.Key = manifestBases(env, mounts), handoff.RunKey(env.Getenv)
	}
	done := handoff.Finish(ctx, left, handoff.Checks{UID: env.laterUID()})
	if done.Unreadable != nil {
		log.Warningf("Cleanup skipped: the main step's state is unreadable (%v)", done.Unreadable)
		return nil
	}
	for _, w := range done.Warnings {
		log.Warningf("Cleanup: %s", w)
	}
	if done.States == 0 {
		log.Infof("Nothing to clean up: the main step left nothing to undo")
		return nil
	}
	var blank []runner.Var
	for _, n := range done.Blank {
		blank = append(blank, runner.Var{Name: n})
	}
	if env.Getenv("GITHUB_ENV") != "" && len(blank) > 0 {
		if err := wf.Append("GITHUB_ENV", blank); err != nil {
			log.Warningf("Cleanup could not blank the variables: %s", err)
		}
	}
	leftovers := ""
	if done.Temps > 0 {
		leftovers = fmt.Sprintf("; removed %d temporary file(s) an interrupted write left beside the profile files", done.Temps)
	}
	log.Infof("Cleaned up from %s: blanked %s; removed %d profile file(s) and section(s)%s", done.From, joinOr(done.Blank, "no variables"), done.Removed, leftovers)
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
