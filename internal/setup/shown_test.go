package setup

import (
	"errors"
	"strings"
	"testing"

	"github.com/aws/smithy-go"

	"github.com/org/aws-oidc-go/internal/dev/harness"
)

// TestOutsideTextShown: every path by which setup quotes text from outside
// (IAM's error message, the SDK's error, a region name, the repository in
// the Terraform's comments) shows it clipped between runes and on one
// visible line, with no C1 control, byte that is not UTF-8 or line that
// starts a workflow command.
func TestOutsideTextShown(t *testing.T) {
	t.Parallel()
	api := &smithy.GenericAPIError{Code: "MalformedPolicyDocument", Message: harness.HostileLine}
	harness.CheckShown(t, callError("iam", "CreateRole", "deploy", api).Error(), true)
	sdk := errors.New(harness.HostileLine)
	harness.CheckShown(t, (&CredentialsError{Profile: "p", Flag: "--profile", Err: sdk}).Error(), true)
	harness.CheckShown(t, (&CredentialsError{Err: sdk}).Error(), true)
	_, err := CheckRegion("--region", harness.HostileLine)
	if err == nil {
		t.Fatal("CheckRegion accepted the hostile line")
	}
	harness.CheckShown(t, err.Error(), true)

	var b strings.Builder
	WriteTerraform(&b, &Plan{opts: Options{Repository: harness.HostileLine}, LegacyOnly: true})
	comments := 0
	for _, ln := range strings.Split(b.String(), "\n") {
		if strings.HasPrefix(ln, "#") && strings.Contains(ln, "::notice::") {
			comments++
			harness.CheckShown(t, ln, false)
		}
	}
	if comments != 2 {
		t.Errorf("%d comment lines name the repository, want 2:\n%s", comments, b.String())
	}
}
