package setup

import (
	"strings"
	"testing"

	"github.com/org/aws-oidc-go/internal/config"
	"github.com/org/aws-oidc-go/internal/inputs"
)

// TestPolicyARNsAsTheActionTakesThem: setup's --policy-arn and the
// action's managed-session-policies take the same managed policy ARNs
// (arn.IsManagedPolicy), so a policy setup attaches is one the workflow
// may name, and the reverse.
func TestPolicyARNsAsTheActionTakesThem(t *testing.T) {
	t.Parallel()
	for _, a := range []string{
		"arn:aws:iam::aws:policy/ReadOnlyAccess",
		"arn:aws-cn:iam::123456789012:policy/team/deploy",
		"arn:aws:iam::123456789012:policy/a!b",   // printable ASCII after policy/, as the action took it; IAM judges the name
		"arn:aws:iam::123456789012:policy/a~(b)", // likewise
		"arn:aws-iso:iam::aws:policy/ReadOnlyAccess",
		"arn:aws:iam::12345678901:policy/x",
		"arn:aws:iam::aws:policy/",
		"arn:aws:iam::aws:role/x",
	} {
		o := Options{Repository: "octo-org/octo-repo", Branches: []string{"main"}, RoleName: "deploy", PolicyARNs: []string{a}}
		verr := o.Validate()
		setupTakes := verr == nil || !strings.Contains(verr.Error(), "--policy-arn")
		_, lerr := config.Load(func(name string) string {
			switch name {
			case inputs.ManagedSessionPolicies:
				return a
			case inputs.RoleToAssume:
				return "arn:aws:iam::123456789012:role/deploy"
			case inputs.AWSRegion:
				return "us-east-1"
			}
			return ""
		})
		actionTakes := lerr == nil || !strings.Contains(lerr.Error(), inputs.ManagedSessionPolicies)
		if setupTakes != actionTakes {
			t.Errorf("%s: setup takes it %v (%v), the action %v (%v)", a, setupTakes, verr, actionTakes, lerr)
		}
	}
}
