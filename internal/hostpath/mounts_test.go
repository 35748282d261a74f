package hostpath

import (
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
