package audit

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/org/aws-oidc-go/internal/dev/harness"
)

// sarifCache is where .ci/run installs npm @microsoft/sarif-multitool@5.7.0
// (outside the repository); AWS_OIDC_GO_SARIF_CACHE overrides it.
const sarifCache = "/var/cache/aws-oidc-go/sarif"

// multitool returns the SARIF Multitool's Linux binary: the path the npm
// package's require() returns (called directly: the npm wrapper passes
// its arguments through a shell, which splits "Gh;Sarif").
func multitool(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("AWS_OIDC_GO_SARIF_CACHE")
	if dir == "" {
		dir = sarifCache
	}
	node, err := exec.LookPath("node")
	if err != nil {
		harness.Require(t, errors.New("node is not installed; the SARIF Multitool needs it to be found"))
	}
	cmd := exec.Command(node, "-e", `console.log(require("@microsoft/sarif-multitool"))`)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		harness.Require(t, errors.New("the SARIF Multitool is not installed in "+dir+" (npm install --prefix "+dir+" @microsoft/sarif-multitool@5.7.0): "+strings.TrimSpace(string(out))))
	}
	bin := strings.TrimSpace(string(out))
	if fi, err := os.Stat(bin); err != nil || fi.Mode()&0o100 == 0 {
		harness.Require(t, errors.New("the SARIF Multitool's binary "+bin+" is missing or not executable (npm does not run its postinstall chmod without approval: chmod u+x it)"))
	}
	return bin
}

// TestSARIFValidates: the account's report as SARIF passes the SARIF
// Multitool's schema rules and GitHub's ingestion rules (--rule-kind
// "Gh;Sarif"): no result of level error. Its exit code is 0 either way, so
// the output file is read.
func TestSARIFValidates(t *testing.T) {
	t.Parallel()
	bin := multitool(t)
	rep, _, err := auditThroughProxy(t, sharedAccount(t), Options{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := rep.Write(&b, Output{Format: FormatSARIF, Version: "1.2.3"}); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	in, out := filepath.Join(dir, "audit.sarif"), filepath.Join(dir, "validation.sarif")
	if err := os.WriteFile(in, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "validate", "--rule-kind", "Gh;Sarif", "--output", out, in)
	cmd.Env = append(os.Environ(), "DOTNET_CLI_TELEMETRY_OPTOUT=1", "HOME="+dir)
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("multitool: %v\n%s", err, msg)
	}
	raw, err := os.ReadFile(out)
	if err != nil {
		t.Fatalf("the multitool wrote no output: %v", err)
	}
	var v struct {
		Runs []struct {
			Results []struct {
				RuleID  string          `json:"ruleId"`
				Level   string          `json:"level"`
				Message json.RawMessage `json:"message"`
			} `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal(raw, &v); err != nil || len(v.Runs) != 1 {
		t.Fatalf("validation output: %v\n%s", err, raw)
	}
	for _, r := range v.Runs[0].Results {
		if r.Level == "error" {
			t.Errorf("%s: %s", r.RuleID, r.Message)
		}
	}
	// What code scanning needs of each result, checked here too: a rule,
	// a security-severity, a physical location, a fingerprint.
	var log struct {
		Runs []struct {
			Tool struct {
				Driver struct {
					Rules []struct {
						ID         string         `json:"id"`
						Properties map[string]any `json:"properties"`
					} `json:"rules"`
				} `json:"driver"`
			} `json:"tool"`
			Results []struct {
				RuleID    string `json:"ruleId"`
				Locations []struct {
					PhysicalLocation struct {
						ArtifactLocation struct{ URI string } `json:"artifactLocation"`
					} `json:"physicalLocation"`
					LogicalLocations []struct{ FullyQualifiedName string } `json:"logicalLocations"`
				} `json:"locations"`
				PartialFingerprints map[string]string `json:"partialFingerprints"`
			} `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal(b.Bytes(), &log); err != nil {
		t.Fatal(err)
	}
	for _, r := range log.Runs[0].Tool.Driver.Rules {
		if _, ok := r.Properties["security-severity"].(string); !ok {
			t.Errorf("rule %s has no security-severity", r.ID)
		}
	}
	prints := map[string]bool{}
	for _, r := range log.Runs[0].Results {
		l := r.Locations[0]
		if l.PhysicalLocation.ArtifactLocation.URI != DefaultLocation || !strings.HasPrefix(l.LogicalLocations[0].FullyQualifiedName, "arn:aws:iam::123456789012:role/") {
			t.Errorf("%s: location %+v", r.RuleID, l)
		}
		fp := r.PartialFingerprints["awsRoleFinding/v1"]
		if fp == "" || prints[fp] {
			t.Errorf("%s: fingerprint %q missing or repeated", r.RuleID, fp)
		}
		prints[fp] = true
	}
	if len(log.Runs[0].Results) < 25 {
		t.Errorf("%d results", len(log.Runs[0].Results))
	}
}
