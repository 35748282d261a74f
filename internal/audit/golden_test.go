package audit

import (
	"flag"
	"strings"
	"testing"

	"github.com/org/aws-oidc-go/internal/dev/harness"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/golden")

// TestTextReportGolden: the text report of a few of the table's roles, as
// a reader sees it (testdata/golden/audit-report.txt; -update rewrites it).
func TestTextReportGolden(t *testing.T) {
	t.Parallel()
	rep := &Report{Account: account, Providers: testProviders}
	for _, name := range []string{"aud-only", "owner-wide", "deny-closes-to-repository", "default-branch", "reusable-workflow-only", "tight-release", "service-only"} {
		for _, c := range accountRoles {
			if c.role != name {
				continue
			}
			rep.RolesRead++
			rr, listed := auditRole(c.role, "arn:aws:iam::123456789012:role/"+c.role, c.policy, account, testProviders, Options{})
			if !listed {
				rep.OtherRoles++
				continue
			}
			rep.Roles = append(rep.Roles, rr)
		}
	}
	var b strings.Builder
	if err := rep.Write(&b, Output{}); err != nil {
		t.Fatal(err)
	}
	harness.Golden(t, "audit-report.txt", []byte(b.String()), *update)
}
