package setup

import (
	"strings"
	"testing"

	"github.com/org/aws-oidc-go/internal/trust"
)

// TestValidateSeveralRepositories: several repositories need a role name
// (the default is one repository's); OWNER/* gets a default of its own,
// is refused with a repository id, and on an issuer without the immutable
// subject only with --sub-format legacy; a repository given twice is
// refused.
func TestValidateSeveralRepositories(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		o    Options
		want string // "" for valid
	}{
		"several, no role name":      {Options{Repository: "octo/app", More: []trust.Repo{{Name: "octo/web"}}, Branches: []string{"main"}}, "--role-name is required with several repositories"},
		"several, role name":         {Options{Repository: "octo/app", More: []trust.Repo{{Name: "octo/web"}}, Branches: []string{"main"}, RoleName: "deploy"}, ""},
		"twice":                      {Options{Repository: "octo/app", More: []trust.Repo{{Name: "Octo/App"}}, Branches: []string{"main"}, RoleName: "deploy"}, "given twice"},
		"owner-wide with an id":      {Options{Repository: "octo/*", RepositoryID: "5", OwnerID: "1", Branches: []string{"main"}}, "no one repository id"},
		"owner-wide on GHES":         {Options{Repository: "octo/*", Branches: []string{"main"}, Issuer: "https://ghes.example.com/_services/token"}, "give --sub-format legacy to accept that"},
		"owner-wide on GHES, legacy": {Options{Repository: "octo/*", Branches: []string{"main"}, Issuer: "https://ghes.example.com/_services/token", SubFormat: "legacy"}, ""},
		"not a repository":           {Options{Repository: "octo/*/x", Branches: []string{"main"}}, "want OWNER/REPO, OWNER/*"},
	} {
		err := tc.o.Validate()
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: %v", name, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s: %v, want %q", name, err, tc.want)
		}
	}
	o := Options{Repository: "octo/*", Branches: []string{"main"}}
	if err := o.Validate(); err != nil || o.RoleName != "github-actions-octo-all-repositories" {
		t.Errorf("OWNER/* default role name %q (%v)", o.RoleName, err)
	}
}
