package setup

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/org/aws-oidc-go/internal/runner"
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
// control character (C0, DEL, C1, U+2028, U+2029: what runner.Visible
// escapes) as \uNNNN (HCL knows no \b or \f, which json.Marshal writes),
// each byte that is not UTF-8 as \uFFFD (HCL has no byte escape, and
// json.Marshal does the same for CloudFormation), and the template
// sequences ${ and %{ doubled so they stay literal.
//
// It is not runner.Visible: Visible shows text to a reader and may change
// it (\x1b is four characters), while this is a value Terraform reads
// back, so every escape must decode to the very rune it replaces.
func hclString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case r == utf8.RuneError && size == 1:
			b.WriteString(`\uFFFD`)
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
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == 0x2028 || r == 0x2029:
			fmt.Fprintf(&b, `\u%04X`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return hclTemplateEscape(b.String())
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
	return runner.Clip("GitHub Actions OIDC for "+repo+" (aws-oidc-go setup)", 1000)
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
// of failing on a name that is taken). What exists keeps its tags (an
// import whose code omits them plans to delete them). The text is as
// terraform fmt writes it.
func WriteTerraform(w io.Writer, p *Plan) {
	fmt.Fprintf(w, "# aws-oidc-go setup for %s: the OIDC provider and the role as Terraform (AWS provider).\n", runner.Visible(p.opts.Repository))
	fmt.Fprintf(w, "# Account %s. Generated; the trust policy is the one the plan prints.\n", p.Account)
	for _, note := range []string{p.legacyNote(), p.changeNote()} {
		if note != "" {
			fmt.Fprintf(w, "# %s\n", runner.Visible(note))
		}
	}
	fmt.Fprintln(w)
	if !p.Has(CreateProvider) {
		hclBlock(w, "import", []hclAttr{{"to", "aws_iam_openid_connect_provider.github"}, {"id", hclString(p.ProviderARN)}})
	}
	prov := []hclAttr{{"url", hclString(p.ProviderURL)}, {"client_id_list", "[" + hclList(p.clientIDs()) + "]"}}
	if tags := settableTags(p.ProviderTags); len(tags) > 0 {
		prov = append(prov, hclAttr{"tags", hclMap(tags)})
	}
	hclBlock(w, `resource "aws_iam_openid_connect_provider" "github"`, prov)
	if p.RoleExists {
		hclBlock(w, "import", []hclAttr{{"to", "aws_iam_role.github_actions"}, {"id", hclString(p.RoleName)}})
	}
	role := []hclAttr{{"name", hclString(p.RoleName)}, {"description", hclString(p.roleDescription())}}
	if p.RolePath != "" {
		role = append(role, hclAttr{"path", hclString(p.RolePath)})
	}
	if p.PermissionsBoundary != "" {
		role = append(role, hclAttr{"permissions_boundary", hclString(p.PermissionsBoundary)})
	}
	if p.MaxSession != 0 {
		role = append(role, hclAttr{"max_session_duration", fmt.Sprint(p.MaxSession)})
	}
	if tags := settableTags(p.RoleTags); len(tags) > 0 {
		role = append(role, hclAttr{"tags", hclMap(tags)})
	}
	role = append(role,
		hclAttr{"assume_role_policy", "<<-EOT\n" + indentLines(hclTemplateEscape(p.NewTrust), "    ") + "  EOT"},
		hclAttr{"depends_on", "[aws_iam_openid_connect_provider.github]"})
	hclBlock(w, `resource "aws_iam_role" "github_actions"`, role)
	for i, a := range p.allPolicies() {
		hclBlock(w, fmt.Sprintf(`resource "aws_iam_role_policy_attachment" "github_actions_%d"`, i+1),
			[]hclAttr{{"role", "aws_iam_role.github_actions.name"}, {"policy_arn", hclString(a)}})
	}
	fmt.Fprintf(w, "output \"role_arn\" {\n  value = aws_iam_role.github_actions.arn\n}\n")
}

// hclAttr is one attribute of a block: its name and its expression as
// written (a multi-line one indented for the block already).
type hclAttr struct{ name, expr string }

// opensBlock reports an expression that opens a bracket it closes on a
// later line (an object over several lines); a heredoc is one token.
func (a hclAttr) opensBlock() bool {
	return strings.Contains(a.expr, "\n") && !strings.HasPrefix(a.expr, "<<")
}

// hclBlock writes a block and a blank line after it, the equals signs
// aligned as terraform fmt aligns them: one column for each run of
// attributes, a run ending at an attribute that opens a bracket over
// several lines (that one's sign is not aligned).
func hclBlock(w io.Writer, header string, attrs []hclAttr) {
	fmt.Fprintf(w, "%s {\n", header)
	for i := 0; i < len(attrs); {
		if attrs[i].opensBlock() {
			fmt.Fprintf(w, "  %s = %s\n", attrs[i].name, attrs[i].expr)
			i++
			continue
		}
		j, width := i, 0
		for ; j < len(attrs) && !attrs[j].opensBlock(); j++ {
			width = max(width, len(attrs[j].name))
		}
		for _, a := range attrs[i:j] {
			fmt.Fprintf(w, "  %-*s = %s\n", width, a.name, a.expr)
		}
		i = j
	}
	fmt.Fprint(w, "}\n\n")
}

// hclMap is a map of strings as an HCL object, one key a line, keys sorted
// and quoted, equals signs aligned (for an attribute of a block).
func hclMap(m map[string]string) string {
	keys := make([]string, 0, len(m))
	width := 0
	for k := range m {
		keys = append(keys, k)
		width = max(width, utf8.RuneCountInString(hclString(k)))
	}
	slices.Sort(keys)
	var b strings.Builder
	b.WriteString("{\n")
	for _, k := range keys {
		q := hclString(k)
		fmt.Fprintf(&b, "    %s%s = %s\n", q, strings.Repeat(" ", width-utf8.RuneCountInString(q)), hclString(m[k]))
	}
	b.WriteString("  }")
	return b.String()
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
// AWS::IAM::Role with the trust policy, the managed policies and the
// role's tags. What exists already cannot be created by a stack: an
// existing provider stays out of it (the Description says so), and an
// existing role is imported. An import takes the role as it is and may
// not add Outputs, so for an existing role the template has none, keeps
// the role with DeletionPolicy and UpdateReplacePolicy Retain (automatic
// import requires Retain; deleting the stack then leaves the role), and,
// when the plan changes the role (its trust policy, policies, session
// duration), holds both: the parameter Stage chooses the role as it is
// (the default, for the import) or as planned, for the second stack
// update that makes the change.
func WriteCloudFormation(w io.Writer, p *Plan) error {
	var newTrust any
	if err := json.Unmarshal([]byte(p.NewTrust), &newTrust); err != nil {
		return err
	}
	desc := "aws-oidc-go setup for " + p.opts.Repository + ": the GitHub OIDC provider and the role it may assume."
	tpl := map[string]any{"AWSTemplateFormatVersion": "2010-09-09"}
	resources := map[string]any{}
	props := map[string]any{
		"RoleName":                 p.RoleName,
		"Description":              p.roleDescription(),
		"AssumeRolePolicyDocument": newTrust,
	}
	role := map[string]any{"Type": "AWS::IAM::Role", "Properties": props}
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
	if tags := settableTags(p.RoleTags); len(tags) > 0 {
		props["Tags"] = cfnTags(tags)
	}
	if p.RoleExists {
		role["DeletionPolicy"], role["UpdateReplacePolicy"] = "Retain", "Retain"
		desc += " The role " + p.RoleName + " exists already: create the stack with a change set that imports it (aws cloudformation create-change-set --change-set-type IMPORT with --resources-to-import, or --import-existing-resources); the import takes the role as it is."
		// What the plan changes on the role, as it is now: the import
		// template must describe the role as it is, and an update that
		// leaves the template as it was changes nothing.
		var oldTrust any
		if err := json.Unmarshal([]byte(p.OldTrust), &oldTrust); err != nil {
			return err
		}
		noValue := map[string]any{"Ref": "AWS::NoValue"}
		current := map[string]any{"AssumeRolePolicyDocument": oldTrust, "ManagedPolicyArns": noValue}
		if len(p.Attached) > 0 {
			current["ManagedPolicyArns"] = p.Attached
		}
		if p.OldMaxSession != 0 {
			current["MaxSessionDuration"] = p.OldMaxSession
		}
		var changed []string
		for _, k := range []string{"AssumeRolePolicyDocument", "ManagedPolicyArns", "MaxSessionDuration"} {
			planned, ok := props[k]
			if !ok {
				planned = noValue
			}
			if cur, ok := current[k]; ok && !sameValue(cur, planned) {
				changed = append(changed, k)
				props[k] = map[string]any{"Fn::If": []any{"Planned", planned, cur}}
			}
		}
		if len(changed) > 0 {
			tpl["Parameters"] = map[string]any{"Stage": map[string]any{
				"Type": "String", "Default": "import", "AllowedValues": []string{"import", "planned"},
				"Description": "import: the role as it is (" + strings.Join(changed, ", ") + " as now), for the import; planned: what setup planned, for the stack update after the import",
			}}
			tpl["Conditions"] = map[string]any{"Planned": map[string]any{"Fn::Equals": []any{map[string]any{"Ref": "Stage"}, "planned"}}}
			desc += " The new " + strings.Join(changed, ", ") + " need a second stack update after the import: update the stack with this template and Stage=planned."
		}
	}
	if p.Has(CreateProvider) {
		prov := map[string]any{"Url": p.ProviderURL, "ClientIdList": p.clientIDs()}
		resources["GitHubOIDCProvider"] = map[string]any{"Type": "AWS::IAM::OIDCProvider", "Properties": prov}
		role["DependsOn"] = "GitHubOIDCProvider"
		if p.RoleExists {
			desc += " The provider is created in the same change set: use --import-existing-resources (a change set of type IMPORT creates nothing)."
		}
	} else {
		desc += " The provider " + p.ProviderARN + " exists already and is not part of the stack"
		if p.Has(AddClientID) {
			desc += "; add the client id " + p.Audience + " to it (aws iam add-client-id-to-open-id-connect-provider)"
		}
		desc += "."
	}
	if n := p.legacyNote(); n != "" {
		desc += " " + n
	}
	if n := p.changeNote(); n != "" {
		desc += " " + n
	}
	resources["GitHubActionsRole"] = role
	tpl["Description"] = runner.Clip(desc, 1024)
	tpl["Resources"] = resources
	if !p.RoleExists {
		tpl["Outputs"] = map[string]any{
			"RoleArn": map[string]any{"Description": "role-to-assume for the workflow", "Value": map[string]any{"Fn::GetAtt": []string{"GitHubActionsRole", "Arn"}}},
		}
	}
	b, err := json.MarshalIndent(tpl, "", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// sameValue reports whether a and b marshal to the same JSON.
func sameValue(a, b any) bool {
	x, err1 := json.Marshal(a)
	y, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && string(x) == string(y)
}

// settableTags are the tags code can set: without the aws: ones, which
// AWS sets itself (aws:cloudformation:stack-name, ...) and refuses from
// anyone else.
func settableTags(m map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range m {
		if !strings.HasPrefix(strings.ToLower(k), "aws:") {
			out[k] = v
		}
	}
	return out
}

// cfnTags is a tag map as CloudFormation's list of Key and Value, sorted.
func cfnTags(m map[string]string) []map[string]string {
	out := make([]map[string]string, 0, len(m))
	for k, v := range m {
		out = append(out, map[string]string{"Key": k, "Value": v})
	}
	slices.SortFunc(out, func(a, b map[string]string) int { return strings.Compare(a["Key"], b["Key"]) })
	return out
}
