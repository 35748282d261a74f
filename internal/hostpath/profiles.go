package hostpath

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"

	"github.com/org/aws-oidc-go/internal/filesafe"
	"github.com/org/aws-oidc-go/internal/profile"
)

// ErrNoSharedDir means the action runs in a container where nothing it
// could write a profile to is shared with the job's later steps.
var ErrNoSharedDir = errors.New("aws-profile: this container action has no directory shared with the job's later steps " +
	"(neither the runner's /github/runner_temp or /github/home nor act's /var/run/act is mounted, and HOME is the container's own), " +
	"so a profile written here would vanish with the container. Export the credentials instead (leave aws-profile and refresh unset: " +
	"output-env-credentials is the default), or run aws-oidc-go as a CLI in a run: step")

// goos is the platform whose rules Home follows; tests set it.
var goos = runtime.GOOS

// Home is the directory the AWS SDKs and CLI take ~ to be for ~/.aws, and
// the variable it comes from (for messages): on Windows %USERPROFILE%,
// which is what aws-sdk-go-v2 (os.UserHomeDir) and botocore (expanduser)
// read there (stock Windows sets no HOME, and a HOME set by Git Bash is
// not what the SDKs read); elsewhere $HOME. dir is "" when it is not set.
func Home(getenv func(string) string) (dir, name string) {
	name = "HOME"
	if goos == "windows" {
		name = "USERPROFILE"
	}
	return getenv(name), name
}

// ProfileFiles picks where a profile goes, as the action sees the files
// (files) and as the job's later steps will (later): the files
// AWS_SHARED_CREDENTIALS_FILE and AWS_CONFIG_FILE name; inside a container
// action, a directory shared with later steps (see ContainerAWSDir), or
// ErrNoSharedDir; else ~/.aws (~ as Home finds it).
func ProfileFiles(getenv func(string) string, mounts Mounts, inContainer bool) (files, later profile.Files, err error) {
	if cf, cfg := getenv("AWS_SHARED_CREDENTIALS_FILE"), getenv("AWS_CONFIG_FILE"); cf != "" || cfg != "" {
		files = profile.Files{Credentials: cf, Config: cfg}
		home, name := Home(getenv)
		if home == "" && (cf == "" || cfg == "") {
			return files, files, fmt.Errorf("aws-profile: %s is not set, and only one of AWS_SHARED_CREDENTIALS_FILE and AWS_CONFIG_FILE is: set both", name)
		}
		if files.Credentials == "" {
			files.Credentials = filepath.Join(home, ".aws", "credentials")
		}
		if files.Config == "" {
			files.Config = filepath.Join(home, ".aws", "config")
		}
		if inContainer && (!underMount(mounts, files.Credentials) || !underMount(mounts, files.Config)) {
			return files, files, fmt.Errorf("%w (AWS_SHARED_CREDENTIALS_FILE / AWS_CONFIG_FILE point into the container's own file system)", ErrNoSharedDir)
		}
		return files, files, nil
	}
	if dir, laterDir, ok := ContainerAWSDir(mounts, dirExists); ok {
		files = profile.Files{Credentials: filepath.Join(dir, "credentials"), Config: filepath.Join(dir, "config")}
		later = profile.Files{Credentials: filepath.Join(laterDir, "credentials"), Config: filepath.Join(laterDir, "config")}
		return files, later, nil
	}
	home, name := Home(getenv)
	switch {
	case inContainer && (home == "" || home == "/" || !underMount(mounts, home)):
		return files, later, ErrNoSharedDir
	case home == "":
		return files, later, fmt.Errorf("aws-profile: %s is not set, and neither is AWS_SHARED_CREDENTIALS_FILE", name)
	}
	files = profile.Files{Credentials: filepath.Join(home, ".aws", "credentials"), Config: filepath.Join(home, ".aws", "config")}
	return files, files, nil
}

// Owner is the runner's user, who must be able to read what a root
// container writes: the owner of the file the runner created for
// GITHUB_ENV. Nil when not running as root or that owner is root.
func Owner(root bool, githubEnv string) *profile.Owner {
	if !root || githubEnv == "" {
		return nil
	}
	fi, err := os.Stat(githubEnv)
	if err != nil {
		return nil
	}
	// Root owning it hands nothing over; nil where the platform has no
	// numeric owners.
	if o := filesafe.OwnerOf(fi); o != nil && o.UID != 0 {
		return o
	}
	return nil
}

func dirExists(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.IsDir()
}
