package setup

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/org/aws-oidc-go/internal/dev/harness"
)

// TestBinaryLinksNoHeavyInit keeps what setup needs from slowing the
// action, which is the same binary: service/iam from v1.65.0 on brings
// service/iam/schemas, whose package init allocates about 640 KB in 3,600
// allocations at every start of the process (measured with
// GODEBUG=inittrace=1), and hcl is for the tests only.
func TestBinaryLinksNoHeavyInit(t *testing.T) {
	t.Parallel()
	goBin := harness.RequireTool(t, "go") // under Wine: not a Windows program
	out, err := exec.Command(goBin, "list", "-deps", "-f", "{{.ImportPath}}", "github.com/org/aws-oidc-go").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	deps := strings.Fields(string(out))
	var iam bool
	for _, d := range deps {
		switch {
		case d == "github.com/aws/aws-sdk-go-v2/service/iam":
			iam = true
		case strings.HasPrefix(d, "github.com/aws/aws-sdk-go-v2/service/iam/schemas"):
			t.Errorf("the binary links %s: its init runs at every start of the action (pin service/iam below v1.65.0, or move setup out of the binary)", d)
		case strings.HasPrefix(d, "github.com/hashicorp/hcl"), strings.HasPrefix(d, "github.com/zclconf/go-cty"):
			t.Errorf("the binary links %s, a test-only dependency", d)
		}
	}
	if !iam {
		t.Errorf("the binary does not link service/iam: is this test still looking at the right thing?")
	}
}
