package setup

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/org/aws-oidc-go/internal/trust"
)

// describingIAM is fakeIAM that keeps the description CreateRole got.
type describingIAM struct {
	*fakeIAM
	description string
}

func (d *describingIAM) CreateRole(ctx context.Context, in *iam.CreateRoleInput, o ...func(*iam.Options)) (*iam.CreateRoleOutput, error) {
	d.description = aws.ToString(in.Description)
	return d.fakeIAM.CreateRole(ctx, in, o...)
}

// TestEveryRepositoryDescribed: with several --repository, the role's
// description (as CreateRole gets it, and in the Terraform and the
// CloudFormation) and the code's header name every repository, OWNER/*
// in words, not only the first.
func TestEveryRepositoryDescribed(t *testing.T) {
	t.Parallel()
	o := Options{Repository: "octo/app", RepositoryID: "11", OwnerID: "1", RoleName: "deploy", Branches: []string{"main"},
		More: []trust.Repo{{Name: "octo/web", ID: "12", OwnerID: "1"}, {Name: "acme/*", OwnerID: "5"}}}
	if err := o.Validate(); err != nil {
		t.Fatal(err)
	}
	names := []string{"octo/app", "octo/web", "every repository of acme"}
	has := func(where, s string) {
		t.Helper()
		for _, n := range names {
			if !strings.Contains(s, n) {
				t.Errorf("%s does not name %s: %q", where, n, s)
			}
		}
	}
	f := &describingIAM{fakeIAM: newFakeIAM()}
	p := mustPlan(t, f.fakeIAM, o)
	if err := Apply(context.Background(), f, p); err != nil {
		t.Fatal(err)
	}
	has("CreateRole's description", f.description)
	if want := "GitHub Actions OIDC for octo/app, octo/web and every repository of acme (aws-oidc-go setup)"; f.description != want {
		t.Errorf("description %q, want %q", f.description, want)
	}

	var tf bytes.Buffer
	WriteTerraform(&tf, mustPlan(t, newFakeIAM(), o))
	header, _, _ := strings.Cut(tf.String(), "\n")
	has("the Terraform's first line", header)
	m := regexp.MustCompile(`(?m)^\s*description\s*=\s*(".*")$`).FindStringSubmatch(tf.String())
	if m == nil {
		t.Fatalf("no description in the Terraform:\n%s", tf.String())
	}
	desc, err := strconv.Unquote(m[1])
	if err != nil {
		t.Fatal(err)
	}
	has("the Terraform role's description", desc)

	var cfn bytes.Buffer
	if err := WriteCloudFormation(&cfn, mustPlan(t, newFakeIAM(), o)); err != nil {
		t.Fatal(err)
	}
	var tpl struct {
		Description string
		Resources   map[string]struct{ Properties struct{ Description string } }
	}
	if err := json.Unmarshal(cfn.Bytes(), &tpl); err != nil {
		t.Fatal(err)
	}
	has("the template's Description", tpl.Description)
	has("the CloudFormation role's Description", tpl.Resources["GitHubActionsRole"].Properties.Description)
}

// TestRoleDescriptionBounded: IAM takes at most 1,000 characters in a
// role's description; with more repositories than fit, the description
// names the first ones that do and counts the rest.
func TestRoleDescriptionBounded(t *testing.T) {
	t.Parallel()
	for _, n := range []int{1, 2, 7, 8, 40} {
		o := Options{Repository: fmt.Sprintf("owner-%02d/%s", 0, strings.Repeat("r", 90))}
		for i := 1; i < n; i++ {
			o.More = append(o.More, trust.Repo{Name: fmt.Sprintf("owner-%02d/%s", i, strings.Repeat("r", 90))})
		}
		d := newRoleDescription(o)
		if len(d) > MaxRoleDescription || !strings.HasSuffix(d, " (aws-oidc-go setup)") {
			t.Errorf("%d repositories: %d characters: %q", n, len(d), d)
		}
		named := strings.Count(d, "owner-")
		more := 0
		if m := regexp.MustCompile(` and (\d+) more \(`).FindStringSubmatch(d); m != nil {
			more, _ = strconv.Atoi(m[1])
		}
		// 100 characters a name: 9 fit in the 956 left with ", " between
		// them and " and N more" after.
		if named+more != n || (n <= 9 && more != 0) || (n > 9 && named < 8) {
			t.Errorf("%d repositories: %d named, %d counted: %q", n, named, more, d)
		}
	}
}
