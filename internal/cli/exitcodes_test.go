package cli

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/org/aws-oidc-go/internal/trust"
)

// TestExitCodesDoc: docs/exit-codes.md's table is ExitCodes, row for row:
// the command, the number the code returns, the meaning.
func TestExitCodesDoc(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile(filepath.Join("..", "..", "docs", "exit-codes.md"))
	if err != nil {
		t.Fatal(err)
	}
	var doc []ExitCode
	for _, line := range strings.Split(string(b), "\n") {
		if !strings.HasPrefix(line, "| `") {
			continue
		}
		cells := strings.Split(strings.Trim(line, "|"), " | ")
		if len(cells) != 3 {
			t.Fatalf("row %q: want 3 cells (command, exit, meaning)", line)
		}
		code, err := strconv.Atoi(strings.TrimSpace(cells[1]))
		if err != nil {
			t.Fatalf("row %q: exit %q is not a number", line, cells[1])
		}
		doc = append(doc, ExitCode{Command: strings.Trim(strings.TrimSpace(cells[0]), "`"), Code: code, Meaning: strings.TrimSpace(cells[2])})
	}
	if diff := cmp.Diff(ExitCodes, doc); diff != "" {
		t.Errorf("docs/exit-codes.md differs from cli.ExitCodes (-code +doc):\n%s", diff)
	}
	seen := map[ExitCode]bool{}
	for _, e := range ExitCodes {
		k := ExitCode{Command: e.Command, Code: e.Code}
		if seen[k] {
			t.Errorf("%s: exit %d listed twice", e.Command, e.Code)
		}
		seen[k] = true
	}
}

// TestCheckCodesDocumented: every outcome of trust.Check has an exit
// code, and each is a row of trust-policy check's in the table; the
// numbers documented before the table are kept.
func TestCheckCodesDocumented(t *testing.T) {
	t.Parallel()
	documented := map[int]bool{}
	for _, e := range ExitCodes {
		if e.Command == "aws-oidc-go trust-policy check" {
			documented[e.Code] = true
		}
	}
	for o := trust.OutcomeAllowed; o <= trust.OutcomeInvalid; o++ {
		code, ok := checkCodes[o]
		if !ok || !documented[code] {
			t.Errorf("outcome %d: exit %d (mapped %v) is not in the table for trust-policy check", o, code, ok)
		}
	}
	want := map[trust.Outcome]int{trust.OutcomeAllowed: 0, trust.OutcomeDenied: 1, trust.OutcomeInvalid: 2, trust.OutcomeUnsupported: 3, trust.OutcomeUndecided: 4, trust.OutcomeFindings: 5}
	if diff := cmp.Diff(want, checkCodes); diff != "" {
		t.Errorf("check's exit codes renumbered (-documented +code):\n%s", diff)
	}
}
