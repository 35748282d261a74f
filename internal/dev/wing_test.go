package dev

import (
	"encoding/json"
	"io"
	"os/exec"
	"runtime"
	"strings"
	"testing"
)

// TestLabStaysOutOfTheProduct: no package outside internal/dev imports one
// under it, except from test files, so nothing of the lab is linked into
// the binary. go list names each package's non-test imports (Imports) apart
// from its tests' (TestImports, XTestImports).
func TestLabStaysOutOfTheProduct(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("go list runs on the build machine, not under Windows: the Linux run of this test holds the rule")
	}
	const mod = "github.com/org/aws-oidc-go"
	cmd := exec.Command("go", "list", "-json=ImportPath,Imports,Deps", mod+"/...")
	cmd.Dir = "../.."
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	product := 0
	for {
		var p struct {
			ImportPath string
			Imports    []string
			Deps       []string
		}
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		if strings.HasPrefix(p.ImportPath, mod+"/internal/dev") || strings.HasPrefix(p.ImportPath, mod+"/internal/e2e") {
			continue
		}
		product++
		for _, d := range append(p.Imports, p.Deps...) {
			if strings.HasPrefix(d, mod+"/internal/dev/") || d == mod+"/internal/dev" {
				t.Errorf("%s depends on %s outside its tests: the lab would be linked into the product", p.ImportPath, d)
			}
		}
	}
	if product < 10 {
		t.Fatalf("go list named only %d product packages: the test no longer sees the product", product)
	}
}
