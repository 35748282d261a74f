package hostpath

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestReadMountsAndContainerAWSDir(t *testing.T) {
	t.Parallel()
	info := filepath.Join(t.TempDir(), "mountinfo")
	os.WriteFile(info, []byte(strings.Join([]string{
		"100 90 0:50 / / rw,relatime - overlay overlay rw",
		"101 100 8:1 /home/runner/work/_temp/_github_home /github/home rw,relatime - ext4 /dev/root rw",
		"102 100 8:1 /home/runner/work/_temp /github/runner_temp rw,relatime - ext4 /dev/root rw",
		`103 100 8:1 /home/runner/work/my\040repo/my\040repo /github/workspace rw - ext4 /dev/root rw`,
	}, "\n")+"\n"), 0o644)
	m, err := ReadMounts(info)
	if err != nil {
		t.Fatal(err)
	}
	if got := m["/github/workspace"]; got != "/home/runner/work/my repo/my repo" {
		t.Errorf("workspace source = %q", got)
	}
	all := func(string) bool { return true }
	dir, host, ok := ContainerAWSDir(m, all)
	if diff := cmp.Diff([]any{"/github/runner_temp/aws-oidc-go", "/home/runner/work/_temp/aws-oidc-go", true}, []any{dir, host, ok}); diff != "" {
		t.Errorf("runner ≥ 2.331 (-want +got):\n%s", diff)
	}
	delete(m, "/github/runner_temp")
	dir, host, ok = ContainerAWSDir(m, all)
	if diff := cmp.Diff([]any{"/github/home/aws-oidc-go", "/home/runner/work/_temp/_github_home/aws-oidc-go", true}, []any{dir, host, ok}); diff != "" {
		t.Errorf("older runner (-want +got):\n%s", diff)
	}
	if _, _, ok := ContainerAWSDir(Mounts{}, all); ok {
		t.Error("outside a container, ContainerAWSDir claimed one")
	}
}

func TestProfileFilesUnderAct(t *testing.T) {
	t.Parallel()
	exists := func(p string) bool { return p == "/var/run/act" }
	act := Mounts{"/": "/", "/var/run/act": "/var/lib/docker/volumes/act-job-env/_data", "/work/repo": "/work/repo"}
	if !InContainer(act) {
		t.Error("act's mount table is not taken for a container")
	}
	// act mounts its volume at the same place in the job container: later
	// steps read the files at the same path, not the volume's host path.
	dir, later, ok := ContainerAWSDir(act, exists)
	if diff := cmp.Diff([]any{"/var/run/act/aws-oidc-go", "/var/run/act/aws-oidc-go", true}, []any{dir, later, ok}); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestProfileFilesRefusesWhatLaterStepsCannotRead(t *testing.T) {
	t.Parallel()
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	noShared := Mounts{"/": "/", "/var/run/act": "/var/lib/docker/volumes/x/_data"} // /var/run/act does not exist on this host
	for name, getenv := range map[string]func(string) string{
		"HOME is /":                        env(map[string]string{"HOME": "/"}),
		"HOME unset":                       env(nil),
		"HOME in the container's own fs":   env(map[string]string{"HOME": "/root"}),
		"AWS_CONFIG_FILE on the container": env(map[string]string{"AWS_CONFIG_FILE": "/tmp/config", "AWS_SHARED_CREDENTIALS_FILE": "/tmp/credentials"}),
	} {
		if _, _, err := ProfileFiles(getenv, noShared, true); !errors.Is(err, ErrNoSharedDir) {
			t.Errorf("%s: err = %v, want ErrNoSharedDir", name, err)
		}
	}
	// Outside a container ~/.aws is where later steps look.
	files, later, err := ProfileFiles(env(map[string]string{"HOME": "/home/me", "USERPROFILE": "/home/me"}), Mounts{}, false)
	if err != nil || files.Config != filepath.FromSlash("/home/me/.aws/config") || later != files {
		t.Errorf("host: %v %v %v", files, later, err)
	}
}
