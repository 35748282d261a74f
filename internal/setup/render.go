package setup

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
)

// ActionRef is what the workflow snippet uses.
const ActionRef = "org/aws-oidc-go@v1"

// WriteText prints the plan for a person: what exists, each step, the
// trust policy (whole for a new role, a diff for an existing one) and the
// runs it gains and loses.
func WriteText(w io.Writer, p *Plan) {
	fmt.Fprintf(w, "Account %s (as %s)\n", p.Account, p.Caller)
	if p.IDs != "" {
		fmt.Fprintf(w, "Repository %s: %s\n", p.opts.Repository, p.IDs)
	}
	switch {
	case p.Has(CreateProvider):
		fmt.Fprintf(w, "OIDC provider %s: does not exist\n", p.ProviderARN)
	default:
		fmt.Fprintf(w, "OIDC provider %s: exists, client ids %s\n", p.ProviderARN, listOrNone(p.ClientIDs))
	}
	if p.RoleExists {
		fmt.Fprintf(w, "Role %s: exists (%s), maximum session %ds, policies %s\n", p.RoleName, p.RoleARN, p.OldMaxSession, listOrNone(p.Attached))
	} else {
		fmt.Fprintf(w, "Role %s: does not exist\n", p.RoleName)
	}
	for _, warn := range p.Warnings {
		fmt.Fprintf(w, "warning: %s\n", warn)
	}
	fmt.Fprintln(w)
	if p.Empty() {
		fmt.Fprintln(w, "Plan: nothing to do; the provider and the role are as asked.")
	} else {
		fmt.Fprintf(w, "Plan: %d change(s)\n", len(p.Steps))
		for i, s := range p.Steps {
			fmt.Fprintf(w, "  %d. %s  [iam:%s]\n", i+1, s.Summary, s.Call)
		}
	}
	switch {
	case p.Has(CreateRole):
		fmt.Fprintf(w, "\nTrust policy of the new role:\n%s", indentLines(p.NewTrust, "  "))
	case p.Has(UpdateTrust):
		fmt.Fprintf(w, "\nTrust policy (- current, + planned; keys sorted):\n%s", Diff(canonical(p.OldTrust), canonical(p.NewTrust)))
		WriteGainedLost(w, p)
	}
	WriteLegacyOnly(w, p)
}

// gainedLost splits the samples whose verdict changes into those the new
// trust policy gains and those it loses.
func (p *Plan) gainedLost() (gained, lost []Sample) {
	for _, s := range p.Samples {
		switch {
		case s.Changed() && s.New == "ALLOWED":
			gained = append(gained, s)
		case s.Changed() && s.Old == "ALLOWED":
			lost = append(lost, s)
		case s.Changed():
			gained = append(gained, s) // DENIED <-> UNDECIDED: shown with the gains, verdicts say which
		}
	}
	return gained, lost
}

// WriteGainedLost prints the runs an existing role's trust policy gains and
// loses with the plan (nothing when the plan does not change it).
func WriteGainedLost(w io.Writer, p *Plan) {
	if !p.Has(UpdateTrust) {
		return
	}
	gained, lost := p.gainedLost()
	fmt.Fprintln(w, "\nRuns the new trust policy gains (current -> planned):")
	writeSamples(w, gained, true)
	fmt.Fprintln(w, "Runs it loses:")
	writeSamples(w, lost, true)
}

// WriteLegacyOnly prints, for a policy that admits only the legacy sub,
// what that refuses (nothing otherwise).
func WriteLegacyOnly(w io.Writer, p *Plan) {
	if !p.LegacyOnly {
		return
	}
	fmt.Fprintf(w, "\nThe repository's ids are not known, so the policy admits only the legacy sub (repo:%s:...).\n", p.opts.Repository)
	fmt.Fprintf(w, "It refuses every run whose token carries the immutable subject (repo:OWNER@OWNER_ID/REPO@REPO_ID:...):\nrepositories created on github.com since July 2026, and older ones after a rename, a transfer or opting in.\n")
	if !p.LegacyChosen {
		fmt.Fprintf(w, "Give --repository-id and --owner-id (gh api repos/%s --jq '.id, .owner.id'), or --sub-format legacy to accept that.\n", p.opts.Repository)
	}
}

// LegacyRefusal is the refusal of a plan whose policy admits only the
// legacy sub when that was not asked for (nil otherwise): the
// infrastructure code formats print code to apply, so they refuse it as
// Apply does.
func (p *Plan) LegacyRefusal() error {
	if p.LegacyOnly && !p.LegacyChosen && p.TrustDiffer {
		return &Refusal{Reason: legacyReason}
	}
	return nil
}

// legacyNote is the one-line note the code carries for a legacy-only
// policy ("" otherwise).
func (p *Plan) legacyNote() string {
	if !p.LegacyOnly {
		return ""
	}
	return "The trust policy admits only the legacy sub (repo:" + p.opts.Repository + ":...): it refuses every run whose token carries the immutable subject (repo:OWNER@OWNER_ID/REPO@REPO_ID:...)."
}

// changeNote is the one-line note the code carries for an existing role's
// changed trust policy ("" otherwise): how many sample runs it gains and
// loses.
func (p *Plan) changeNote() string {
	if !p.Has(UpdateTrust) {
		return ""
	}
	gained, lost := p.gainedLost()
	names := func(ss []Sample) string {
		if len(ss) == 0 {
			return "none"
		}
		v := make([]string, len(ss))
		for i, s := range ss {
			v[i] = s.Name
		}
		return strings.Join(v, "; ")
	}
	return fmt.Sprintf("This replaces the existing trust policy of %s: sample runs gained: %s; lost: %s.", p.RoleName, names(gained), names(lost))
}

func writeSamples(w io.Writer, ss []Sample, both bool) {
	if len(ss) == 0 {
		fmt.Fprintln(w, "  none")
		return
	}
	for _, s := range ss {
		if both {
			fmt.Fprintf(w, "  %-9s -> %-9s %s\n", s.Old, s.New, s.Name)
		} else {
			fmt.Fprintf(w, "  %-9s %s\n", s.New, s.Name)
		}
	}
}

// WriteVerdicts prints the checker's verdict on a trust policy for each
// sample, intended runs first, and reports how many came out otherwise
// than intended (an intended run not ALLOWED, a near miss not DENIED).
func WriteVerdicts(w io.Writer, ss []Sample) int {
	bad := 0
	for _, intended := range []bool{true, false} {
		if intended {
			fmt.Fprintln(w, "  runs it is meant to admit:")
		} else {
			fmt.Fprintln(w, "  runs it must refuse (near misses and runs no longer asked for):")
		}
		for _, s := range ss {
			if s.Intended != intended {
				continue
			}
			want := "DENIED"
			if intended {
				want = "ALLOWED"
			}
			mark := ""
			if s.New != want {
				mark = "   <-- expected " + want
				bad++
			}
			fmt.Fprintf(w, "    %-9s %s%s\n", s.New, s.Name, mark)
		}
	}
	return bad
}

// WriteSnippet prints the workflow lines that use the role.
func WriteSnippet(w io.Writer, roleARN, region string) {
	if region == "" {
		region = "REGION  # the region your steps use"
	}
	fmt.Fprintf(w, `permissions:
  id-token: write   # lets the step ask GitHub for the OIDC token
  contents: read
steps:
  - uses: %s
    with:
      role-to-assume: %s
      aws-region: %s
`, ActionRef, roleARN, region)
}

func indentLines(s, pad string) string {
	var b strings.Builder
	for _, l := range strings.SplitAfter(strings.TrimRight(s, "\n"), "\n") {
		b.WriteString(pad + strings.TrimRight(l, "\n") + "\n")
	}
	return b.String()
}

// Diff is a line diff of a and b: unchanged lines with two spaces, removed
// with "- ", added with "+ " (longest common subsequence; trust policies
// are small: at most a few hundred lines are compared).
func Diff(a, b string) string {
	x := strings.Split(strings.TrimRight(a, "\n"), "\n")
	y := strings.Split(strings.TrimRight(b, "\n"), "\n")
	if len(x)*len(y) > 4_000_000 {
		return indentLines(a, "- ") + indentLines(b, "+ ")
	}
	lcs := make([][]int, len(x)+1)
	for i := range lcs {
		lcs[i] = make([]int, len(y)+1)
	}
	for i := len(x) - 1; i >= 0; i-- {
		for j := len(y) - 1; j >= 0; j-- {
			if x[i] == y[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	var out strings.Builder
	i, j := 0, 0
	for i < len(x) || j < len(y) {
		switch {
		case i < len(x) && j < len(y) && x[i] == y[j]:
			out.WriteString("  " + x[i] + "\n")
			i++
			j++
		case j < len(y) && (i == len(x) || lcs[i][j+1] > lcs[i+1][j]):
			out.WriteString("+ " + y[j] + "\n")
			j++
		default:
			out.WriteString("- " + x[i] + "\n")
			i++
		}
	}
	return out.String()
}

// canonical re-indents a JSON document with its object keys sorted, so
// that two documents differ in a diff only where their content does.
func canonical(doc string) string {
	var v any
	if json.Unmarshal([]byte(doc), &v) != nil {
		return doc
	}
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return doc
	}
	return string(b) + "\n"
}

// WriteJSON prints the plan as JSON.
func WriteJSON(w io.Writer, p *Plan) error {
	b, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// hclString quotes s as an HCL string literal: \" \\ \n \r \t, every other
// control character as \uNNNN (HCL knows no \b or \f, which json.Marshal
// writes), and the template sequences ${ and %{ doubled so they stay
// literal.
func hclString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range strings.ToValidUTF8(s, "\uFFFD") {
		switch {
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20 || r == 0x7f || r == 0x2028 || r == 0x2029:
			fmt.Fprintf(&b, `\u%04X`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return hclTemplateEscape(b.String())
}

// hclComment makes s safe on one comment line: no line breaks or other
// control characters.
func hclComment(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == 0x2028 || r == 0x2029 || r == 0x85 {
			return ' '
		}
		return r
	}, s)
}

func hclTemplateEscape(s string) string {
	return strings.NewReplacer("${", "$${", "%{", "%%{").Replace(s)
}

// roleDescription is an existing role's description when it has one, else
// the one setup gives a new role.
func (p *Plan) roleDescription() string {
	if p.RoleExists && p.RoleDescription != "" {
		return p.RoleDescription
	}
	return newRoleDescription(p.opts.Repository)
}

func newRoleDescription(repo string) string {
	return truncate("GitHub Actions OIDC for "+repo+" (aws-oidc-go setup)", 1000)
}

// clientIDs is the provider's client id list after the plan.
func (p *Plan) clientIDs() []string {
	ids := slices.Clone(p.ClientIDs)
	if !slices.Contains(ids, p.Audience) {
		ids = append(ids, p.Audience)
	}
	return ids
}

func (p *Plan) allPolicies() []string {
	return slices.Compact(append(slices.Clone(p.Attached), p.policies...))
}

// WriteTerraform prints the plan's end state as Terraform for the AWS
// provider: aws_iam_openid_connect_provider, aws_iam_role with its
// assume_role_policy, one aws_iam_role_policy_attachment per policy, and
// import blocks for what exists already (so Terraform adopts it instead
// of failing on a name that is taken).
func WriteTerraform(w io.Writer, p *Plan) {
	fmt.Fprintf(w, "# aws-oidc-go setup for %s: the OIDC provider and the role as Terraform (AWS provider).\n", p.opts.Repository)
	fmt.Fprintf(w, "# Account %s. Generated; the trust policy is the one the plan prints.\n", p.Account)
	for _, note := range []string{p.legacyNote(), p.changeNote()} {
		if note != "" {
			fmt.Fprintf(w, "# %s\n", hclComment(note))
		}
	}
	fmt.Fprintln(w)
	if !p.Has(CreateProvider) {
		fmt.Fprintf(w, "import {\n  to = aws_iam_openid_connect_provider.github\n  id = %s\n}\n\n", hclString(p.ProviderARN))
	}
	fmt.Fprintf(w, "resource \"aws_iam_openid_connect_provider\" \"github\" {\n  url            = %s\n  client_id_list = [%s]\n}\n\n",
		hclString(p.ProviderURL), hclList(p.clientIDs()))
	if p.RoleExists {
		fmt.Fprintf(w, "import {\n  to = aws_iam_role.github_actions\n  id = %s\n}\n\n", hclString(p.RoleName))
	}
	fmt.Fprintf(w, "resource \"aws_iam_role\" \"github_actions\" {\n  name        = %s\n  description = %s\n",
		hclString(p.RoleName), hclString(p.roleDescription()))
	if p.RolePath != "" {
		fmt.Fprintf(w, "  path        = %s\n", hclString(p.RolePath))
	}
	if p.PermissionsBoundary != "" {
		fmt.Fprintf(w, "  permissions_boundary = %s\n", hclString(p.PermissionsBoundary))
	}
	if p.MaxSession != 0 {
		fmt.Fprintf(w, "  max_session_duration = %d\n", p.MaxSession)
	}
	fmt.Fprintf(w, "  assume_role_policy = <<-EOT\n%s  EOT\n  depends_on = [aws_iam_openid_connect_provider.github]\n}\n", indentLines(hclTemplateEscape(p.NewTrust), "    "))
	for i, a := range p.allPolicies() {
		fmt.Fprintf(w, "\nresource \"aws_iam_role_policy_attachment\" \"github_actions_%d\" {\n  role       = aws_iam_role.github_actions.name\n  policy_arn = %s\n}\n", i+1, hclString(a))
	}
	fmt.Fprintf(w, "\noutput \"role_arn\" {\n  value = aws_iam_role.github_actions.arn\n}\n")
}

func hclList(v []string) string {
	q := make([]string, len(v))
	for i, s := range v {
		q[i] = hclString(s)
	}
	return strings.Join(q, ", ")
}

// WriteCloudFormation prints the plan's end state as a CloudFormation
// template (JSON): AWS::IAM::OIDCProvider when the plan creates it, and
// AWS::IAM::Role with the trust policy and the managed policies. What
// exists already cannot be created by a stack; the template's
// Description says what to import instead.
func WriteCloudFormation(w io.Writer, p *Plan) error {
	var trust any
	if err := json.Unmarshal([]byte(p.NewTrust), &trust); err != nil {
		return err
	}
	desc := "aws-oidc-go setup for " + p.opts.Repository + ": the GitHub OIDC provider and the role it may assume."
	resources := map[string]any{}
	role := map[string]any{
		"Type": "AWS::IAM::Role",
		"Properties": map[string]any{
			"RoleName":                 p.RoleName,
			"Description":              p.roleDescription(),
			"AssumeRolePolicyDocument": trust,
		},
	}
	props := role["Properties"].(map[string]any)
	if p.RolePath != "" {
		props["Path"] = p.RolePath
	}
	if p.PermissionsBoundary != "" {
		props["PermissionsBoundary"] = p.PermissionsBoundary
	}
	if p.MaxSession != 0 {
		props["MaxSessionDuration"] = p.MaxSession
	}
	if pol := p.allPolicies(); len(pol) > 0 {
		props["ManagedPolicyArns"] = pol
	}
	if p.Has(CreateProvider) {
		resources["GitHubOIDCProvider"] = map[string]any{
			"Type":       "AWS::IAM::OIDCProvider",
			"Properties": map[string]any{"Url": p.ProviderURL, "ClientIdList": p.clientIDs()},
		}
		role["DependsOn"] = "GitHubOIDCProvider"
	} else {
		desc += " The provider " + p.ProviderARN + " exists already and is not part of the stack"
		if p.Has(AddClientID) {
			desc += "; add the client id " + p.Audience + " to it (aws iam add-client-id-to-open-id-connect-provider)"
		}
		desc += "."
	}
	if p.RoleExists {
		desc += " The role " + p.RoleName + " exists already: import it into the stack (change set of type IMPORT) rather than creating it."
	}
	if n := p.legacyNote(); n != "" {
		desc += " " + n
	}
	if n := p.changeNote(); n != "" {
		desc += " " + n
	}
	resources["GitHubActionsRole"] = role
	tpl := map[string]any{
		"AWSTemplateFormatVersion": "2010-09-09",
		"Description":              truncate(desc, 1024),
		"Resources":                resources,
		"Outputs": map[string]any{
			"RoleArn": map[string]any{"Description": "role-to-assume for the workflow", "Value": map[string]any{"Fn::GetAtt": []string{"GitHubActionsRole", "Arn"}}},
		},
	}
	b, err := json.MarshalIndent(tpl, "", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}
