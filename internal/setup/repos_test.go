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

// TestSamplesAgreeWithPolicy: for one repository, several, OWNER/*, both,
// and OWNER/* in the legacy form, every sample run the closing check
// tries comes out ALLOWED under the generated policy exactly when it is
// one the options ask for (Intended, and Admits agrees), offline.
func TestSamplesAgreeWithPolicy(t *testing.T) {
	t.Parallel()
	runs := Options{Branches: []string{"main"}, Tags: []string{"v1"}, Environments: []string{"prod"}, PullRequest: true, RoleName: "r"}
	for name, set := range map[string]func(o *Options){
		"one": func(o *Options) { o.Repository, o.RepositoryID, o.OwnerID = "octo/app", "11", "1" },
		"two": func(o *Options) {
			o.Repository, o.RepositoryID, o.OwnerID, o.More = "octo/app", "11", "1", []trust.Repo{{Name: "else/web", ID: "22", OwnerID: "2"}}
		},
		"owner": func(o *Options) { o.Repository, o.OwnerID = "acme/*", "123" },
		"owner and repo": func(o *Options) {
			o.Repository, o.OwnerID, o.More = "acme/*", "123", []trust.Repo{{Name: "octo/app", ID: "11", OwnerID: "1"}}
		},
		"owner, legacy": func(o *Options) { o.Repository, o.SubFormat = "acme/*", "legacy" },
		"two, legacy": func(o *Options) {
			o.Repository, o.SubFormat, o.More = "octo/app", "legacy", []trust.Repo{{Name: "octo/web"}}
		},
		"repo in owner's": func(o *Options) {
			o.Repository, o.OwnerID, o.More = "acme/*", "123", []trust.Repo{{Name: "acme/app", ID: "9", OwnerID: "123"}}
		},
	} {
		o := runs
		set(&o)
		if err := o.Validate(); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		doc, err := trust.Generate(o.TrustOptions("123456789012", "aws"))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		p, err := trust.Parse(doc)
		if err != nil {
			t.Fatal(err)
		}
		samples := Evaluate(Samples(o, p), "123456789012", o.Issuer, nil, p)
		intended := 0
		for _, s := range samples {
			allowed := s.New == trust.Allowed.String()
			if allowed != s.Intended {
				t.Errorf("%s: %s is %s, intended %v\n%s", name, s.Name, s.New, s.Intended, doc)
			}
			if len(o.More) > 0 || strings.HasSuffix(o.Repository, "/*") {
				if got := o.Admits(s.Run); got != allowed {
					t.Errorf("%s: Admits(%s) = %v, verdict %s", name, s.Name, got, s.New)
				}
			}
			if s.Intended {
				intended++
			}
		}
		if intended == 0 || intended == len(samples) {
			t.Errorf("%s: %d of %d samples intended", name, intended, len(samples))
		}
	}
}
