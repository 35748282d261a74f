package hostpath

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestProfileFilesFollowTheSDKsHome: on Windows the profile goes under
// %USERPROFILE%\.aws, where aws-sdk-go-v2 and botocore look, whether or not
// HOME is set (stock Windows sets none; Git Bash sets one the SDKs ignore);
// elsewhere under $HOME. The post step's manifest lookup uses the same
// Home. Not parallel: it sets the platform the rules follow.
func TestProfileFilesFollowTheSDKsHome(t *testing.T) {
	defer func(g string) { goos = g }(goos)
	profileDir := t.TempDir() // a user-profile directory
	for _, tc := range []struct {
		goos string
		env  map[string]string
		want string // the credentials file; "" = refused
		err  string
	}{
		{"windows", map[string]string{"USERPROFILE": profileDir}, filepath.Join(profileDir, ".aws", "credentials"), ""},
		{"windows", map[string]string{"USERPROFILE": profileDir, "HOME": "/c/Users/someone"}, filepath.Join(profileDir, ".aws", "credentials"), ""},
		{"windows", map[string]string{"HOME": "/c/Users/someone"}, "", "USERPROFILE is not set"},
		{"windows", map[string]string{"AWS_SHARED_CREDENTIALS_FILE": filepath.Join(profileDir, "c")}, "", "USERPROFILE is not set, and only one of"},
		{"linux", map[string]string{"HOME": profileDir, "USERPROFILE": "/elsewhere"}, filepath.Join(profileDir, ".aws", "credentials"), ""},
		{"linux", map[string]string{"USERPROFILE": profileDir}, "", "HOME is not set"},
		{"darwin", map[string]string{"HOME": profileDir}, filepath.Join(profileDir, ".aws", "credentials"), ""},
	} {
		goos = tc.goos
		getenv := func(k string) string { return tc.env[k] }
		files, later, err := ProfileFiles(getenv, Mounts{}, false)
		switch {
		case tc.want == "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("%s %v: files %v, err %v; want an error saying %q", tc.goos, tc.env, files, err, tc.err)
		case tc.want != "" && err != nil:
			t.Errorf("%s %v: %v", tc.goos, tc.env, err)
		case tc.want != "":
			wantFiles := struct{ Credentials, Config string }{tc.want, filepath.Join(filepath.Dir(tc.want), "config")}
			if diff := cmp.Diff(wantFiles, struct{ Credentials, Config string }{files.Credentials, files.Config}); diff != "" || later != files {
				t.Errorf("%s %v (-want +got):\n%s later %v", tc.goos, tc.env, diff, later)
			}
			if home, _ := Home(getenv); filepath.Join(home, ".aws") != filepath.Dir(tc.want) {
				t.Errorf("%s %v: Home = %q, the manifests would be looked for elsewhere", tc.goos, tc.env, home)
			}
		}
	}
}
