package hostpath

import (
	"errors"
	"os"
	"path/filepath"

	"github.com/org/aws-oidc-go/internal/profile"
)

// ProfileFiles picks where a profile goes, as the action sees the files
// (files) and as later steps will (host): the files AWS_SHARED_CREDENTIALS_FILE
// and AWS_CONFIG_FILE name; inside the action's container, a directory the
// host's later steps can reach (the runner's temp dir, else the mounted
// home), with its host path from the mount table; else ~/.aws.
func ProfileFiles(getenv func(string) string, mounts Mounts) (files, host profile.Files, err error) {
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
	return ownerOf(fi)
}

func dirExists(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.IsDir()
}
