package audit

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/org/aws-oidc-go/internal/runner"
)

// The output formats.
const (
	FormatText  = "text"
	FormatJSON  = "json"
	FormatSARIF = "sarif"
)

// Output says how a report is written.
type Output struct {
	Format string // text (default), json or sarif
	// Location is the file SARIF results point at (code scanning requires
	// a physical location): the audit workflow's path in the repository
	// that uploads the results.
	Location string
	Version  string // the tool's version, for SARIF
}

// DefaultLocation is Output.Location's default.
const DefaultLocation = ".github/workflows/aws-oidc-audit.yml"

// Write writes the report in the format asked for.
func (r *Report) Write(w io.Writer, o Output) error {
	switch o.Format {
	case "", FormatText:
		return r.writeText(w)
	case FormatJSON:
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	case FormatSARIF:
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(r.SARIF(o))
	}
	return fmt.Errorf("--format %q: want text, json or sarif", o.Format)
}

// Worst is the worst severity among the roles ("" for none), undecided
// ranked as undecidedAs.
func (r *Report) Worst(undecidedAs Severity) Severity {
	var worst Severity
	for _, role := range r.Roles {
		for _, f := range role.Findings {
			if worst == "" || f.Severity.rank(undecidedAs) > worst.rank(undecidedAs) {
				worst = f.Severity
			}
		}
	}
	return worst
}

// Fails reports whether a finding is at or above failOn ("" none).
func (r *Report) Fails(failOn, undecidedAs Severity) bool {
	for _, role := range r.Roles {
		for _, f := range role.Findings {
			if f.Severity.AtOrAbove(failOn, undecidedAs) {
				return true
			}
		}
	}
	return false
}

// writeText writes a table of the roles, then each finding with its
// witness and fix. Every value from IAM goes through runner.Visible.
func (r *Report) writeText(w io.Writer) error {
	v := runner.Visible
	var b strings.Builder
	fmt.Fprintf(&b, "Account %s: %d GitHub Actions OIDC provider(s)\n", v(r.Account), len(r.Providers))
	for _, p := range r.Providers {
		fmt.Fprintf(&b, "  %s (%s; audiences %s)\n", v(p.Issuer), p.Kind, v(strings.Join(p.Audiences, ", ")))
	}
	fmt.Fprintf(&b, "%d role(s) read: %d can admit a GitHub Actions token (below), %d trust only other principals (counted, not listed).\n\n", r.RolesRead, len(r.Roles), r.OtherRoles)
	if len(r.Roles) > 0 {
		tw := tabwriter.NewWriter(&b, 0, 8, 2, ' ', 0)
		fmt.Fprintln(tw, "SEVERITY\tROLE\tFINDINGS")
		for _, role := range r.Roles {
			sev := string(role.Severity)
			var kinds []string
			for _, f := range role.Findings {
				kinds = append(kinds, fmt.Sprintf("%s (stmt %d)", f.Kind, f.Statement))
			}
			if len(kinds) == 0 {
				sev, kinds = "-", []string{role.Note}
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\n", sev, v(role.Name), strings.Join(kinds, ", "))
		}
		tw.Flush()
	}
	for _, role := range r.Roles {
		if len(role.Findings) == 0 && len(role.Advice) == 0 {
			continue
		}
		fmt.Fprintf(&b, "\n%s (%s)\n", v(role.Name), v(role.ARN))
		for _, f := range role.Findings {
			fmt.Fprintf(&b, "  %s %s: %s\n", f.Severity, f.Kind, v(f.Message))
			if f.Witness != nil {
				fmt.Fprintf(&b, "    witness (%s, %s sub): %s\n", f.Witness.Verdict, f.Witness.Form, v(f.Witness.Brief()))
			}
			fmt.Fprintf(&b, "    fix: %s\n", v(f.Fix))
		}
		for _, a := range role.Advice {
			fmt.Fprintf(&b, "  advice (lint) [%s] statement %d: %s\n", a.ID, a.Statement, v(a.Message))
		}
	}
	if len(r.Roles) > 0 {
		b.WriteString("\nA role without findings is one no witness or sample got into; it is not proven safe.\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// securitySeverity is the SARIF security-severity of each severity: code
// scanning reads >= 9 as critical, 7-8.9 high, 4-6.9 medium, below low.
// Undecided counts as high.
var securitySeverity = map[Severity]string{Critical: "9.5", High: "8.0", Medium: "5.5", Low: "3.0", Undecided: "7.0"}

func sarifLevel(s Severity) string {
	switch s {
	case Critical, High, Undecided:
		return "error"
	case Medium:
		return "warning"
	}
	return "note"
}

// sarifLog and the types below are the parts of SARIF 2.1.0 the report
// uses.
type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool              sarifTool         `json:"tool"`
	AutomationDetails map[string]string `json:"automationDetails,omitempty"`
	Results           []sarifResult     `json:"results"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	InformationURI string      `json:"informationUri"`
	Version        string      `json:"version,omitempty"`
	Rules          []sarifRule `json:"rules"`
}

type sarifText struct {
	Text     string `json:"text"`
	Markdown string `json:"markdown,omitempty"`
}

type sarifRule struct {
	ID                   string            `json:"id"`
	Name                 string            `json:"name"`
	ShortDescription     sarifText         `json:"shortDescription"`
	FullDescription      sarifText         `json:"fullDescription"`
	Help                 sarifText         `json:"help"`
	DefaultConfiguration map[string]string `json:"defaultConfiguration"`
	Properties           map[string]any    `json:"properties"`
}

type sarifResult struct {
	RuleID              string            `json:"ruleId"`
	RuleIndex           int               `json:"ruleIndex"`
	Level               string            `json:"level"`
	Message             sarifText         `json:"message"`
	Locations           []sarifLocation   `json:"locations"`
	PartialFingerprints map[string]string `json:"partialFingerprints"`
	Properties          map[string]any    `json:"properties,omitempty"`
}

type sarifLocation struct {
	PhysicalLocation sarifPhysical  `json:"physicalLocation"`
	LogicalLocations []sarifLogical `json:"logicalLocations"`
}

type sarifPhysical struct {
	ArtifactLocation map[string]string `json:"artifactLocation"`
	Region           map[string]int    `json:"region"`
}

type sarifLogical struct {
	Name               string `json:"name"`
	FullyQualifiedName string `json:"fullyQualifiedName"`
	Kind               string `json:"kind"`
}

// SARIF renders the report as a SARIF 2.1.0 log for GitHub code scanning:
// one rule per kind of finding, one result per role and finding, located
// at o.Location line 1 (code scanning needs a file) with the role ARN as
// its logical location, fingerprinted by ARN, rule and statement so an
// alert stays the same alert between runs.
func (r *Report) SARIF(o Output) any {
	loc := o.Location
	if loc == "" {
		loc = DefaultLocation
	}
	version := o.Version
	if version == "" {
		version = "dev"
	}
	driver := sarifDriver{Name: "aws-oidc-go audit", InformationURI: "https://github.com/org/aws-oidc-go#audit-the-account", Version: version}
	index := map[Kind]int{}
	for i, k := range Kinds {
		index[k.Kind] = i
		driver.Rules = append(driver.Rules, sarifRule{
			ID: string(k.Kind), Name: ruleName(k.Kind),
			ShortDescription:     sarifText{Text: k.Title},
			FullDescription:      sarifText{Text: k.Detail},
			Help:                 sarifText{Text: k.Help, Markdown: "**" + k.Title + "** (" + string(k.Severity) + ")\n\n" + k.Detail + "\n\nFix: " + k.Help},
			DefaultConfiguration: map[string]string{"level": sarifLevel(k.Severity)},
			Properties:           map[string]any{"tags": []string{"security"}, "security-severity": securitySeverity[k.Severity], "precision": "high", "problem.severity": problemSeverity(k.Severity)},
		})
	}
	results := []sarifResult{}
	for _, role := range r.Roles {
		for _, f := range role.Findings {
			msg := fmt.Sprintf("Role %s (%s): %s", role.Name, role.ARN, f.Message)
			if f.Witness != nil {
				msg += " Witness (" + f.Witness.Verdict + "): " + f.Witness.Brief() + "."
			}
			msg += " Fix: " + f.Fix
			sum := sha256.Sum256([]byte(role.ARN + "\x00" + string(f.Kind) + "\x00" + fmt.Sprint(f.Statement) + "\x00" + f.Provider))
			results = append(results, sarifResult{
				RuleID: string(f.Kind), RuleIndex: index[f.Kind], Level: sarifLevel(f.Severity),
				Message: sarifText{Text: runner.Visible(msg)},
				Locations: []sarifLocation{{
					PhysicalLocation: sarifPhysical{ArtifactLocation: map[string]string{"uri": loc}, Region: map[string]int{"startLine": 1}},
					LogicalLocations: []sarifLogical{{Name: runner.Visible(role.Name), FullyQualifiedName: runner.Visible(role.ARN), Kind: "resource"}},
				}},
				PartialFingerprints: map[string]string{"awsRoleFinding/v1": hex.EncodeToString(sum[:16])},
				Properties:          map[string]any{"role": runner.Visible(role.ARN), "severity": string(f.Severity)},
			})
		}
	}
	run := sarifRun{Tool: sarifTool{Driver: driver}, Results: results}
	if r.Account != "" {
		run.AutomationDetails = map[string]string{"id": "aws-oidc-go-audit/" + r.Account + "/"}
	}
	return sarifLog{Schema: "https://json.schemastore.org/sarif-2.1.0.json", Version: "2.1.0", Runs: []sarifRun{run}}
}

func problemSeverity(s Severity) string {
	switch s {
	case Critical, High, Undecided:
		return "error"
	case Medium:
		return "warning"
	}
	return "recommendation"
}

// ruleName is a kind in PascalCase (SARIF rule names are identifiers,
// and must differ from the id).
func ruleName(k Kind) string {
	if k == KindUndecided {
		return "VerdictUndecided"
	}
	var b strings.Builder
	for _, part := range strings.Split(string(k), "-") {
		if part != "" {
			b.WriteString(strings.ToUpper(part[:1]) + part[1:])
		}
	}
	return b.String()
}

// CheckLocation refuses a --sarif-location code scanning would not take:
// it must be a relative path inside the repository, printable.
func CheckLocation(loc string) error {
	if loc == "" {
		return nil
	}
	switch {
	case len(loc) > 1024 || strings.ContainsFunc(loc, func(r rune) bool { return r < 0x20 || r == 0x7f || r == '\\' }):
		return fmt.Errorf("--sarif-location %q: want a relative path such as %s (printable, / separators, at most 1,024 bytes)", runner.Visible(loc), DefaultLocation)
	case strings.HasPrefix(loc, "/") || strings.Contains(loc, "://") || loc == ".." || strings.HasPrefix(loc, "../") || strings.Contains(loc, "/../"):
		return fmt.Errorf("--sarif-location %q: want a path relative to the repository root, such as %s", runner.Visible(loc), DefaultLocation)
	}
	return nil
}

// CheckOwner refuses an --owner that is not a GitHub owner name.
func CheckOwner(o string) error {
	if o == "" || len(o) > 39 || strings.Trim(o, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") != "" {
		return fmt.Errorf("--owner %q: want a GitHub owner's login (letters, digits, -, at most 39 characters)", runner.Visible(o))
	}
	return nil
}
