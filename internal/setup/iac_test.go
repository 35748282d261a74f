package setup

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/org/aws-oidc-go/internal/dev/harness"
)

// terraformSchema is the part of the AWS provider's documented schema the
// output may use: resource types and their arguments, from the provider's
// docs (registry.terraform.io/providers/hashicorp/aws, pages
// iam_openid_connect_provider, iam_role, iam_role_policy_attachment), plus
// Terraform's meta-arguments and the import and output blocks. terraform
// validate needs the provider from a registry these machines cannot reach,
// so this allow-list stands in for it: a misspelt attribute or an invented
// resource type fails here.
var terraformSchema = map[string][]string{
	"aws_iam_openid_connect_provider": {"url", "client_id_list", "thumbprint_list", "tags"},
	"aws_iam_role": {"name", "name_prefix", "description", "assume_role_policy", "max_session_duration", "path",
		"permissions_boundary", "force_detach_policies", "managed_policy_arns", "tags"},
	"aws_iam_role_policy_attachment": {"role", "policy_arn"},
}

const boundaryARN = "arn:aws:iam::123456789012:policy/ci-boundary"

// existingRoleKept is what an existing role keeps in the code (path,
// boundary, description), attribute by attribute: wantPath, wantBoundary,
// wantDescription for the state name.
func existingRoleKept(name string) (path, boundary, desc string) {
	if name == "provider and role exist" {
		return "/ci/", boundaryARN, "the deploy role"
	}
	return "", "", "GitHub Actions OIDC for octo-org/octo-repo (aws-oidc-go setup)"
}

var metaArguments = []string{"depends_on", "count", "for_each", "provider", "lifecycle"}

// iacStates are the two starting points: an empty account, and one with
// the provider (without our client id) and the role (another trust policy,
// a policy attached).
func iacStates() map[string]*fakeIAM {
	empty := newFakeIAM()
	existing := newFakeIAM()
	existing.providers[providerARN] = []string{"other-audience"}
	existing.roles["deploy"] = &types.Role{RoleName: aws.String("deploy"), Arn: aws.String("arn:aws:iam::123456789012:role/ci/deploy"), MaxSessionDuration: aws.Int32(3600),
		Path: aws.String("/ci/"), Description: aws.String("the deploy role"),
		PermissionsBoundary:      &types.AttachedPermissionsBoundary{PermissionsBoundaryArn: aws.String(boundaryARN), PermissionsBoundaryType: types.PermissionsBoundaryAttachmentTypePolicy},
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole"}]}`)}
	existing.attached["deploy"] = []string{"arn:aws:iam::123456789012:policy/existing"}
	existing.roles["deploy"].Tags = iamTags(existingRoleTags)
	existing.providerTags = map[string][]types.Tag{providerARN: iamTags(existingProviderTags)}
	return map[string]*fakeIAM{"empty account": empty, "provider and role exist": existing}
}

// The existing role's and provider's tags: the code must keep them (with
// every character IAM allows in a tag), all but those AWS sets itself
// (aws:...), which no code may set.
var (
	existingRoleTags     = map[string]string{"team": "platform", "cost-center": "42", "ci/owner@org:x": "a b=c+d_e.f-g", "aws:cloudformation:stack-name": "old"}
	existingProviderTags = map[string]string{"owner": "security"}
	keptRoleTags         = map[string]string{"team": "platform", "cost-center": "42", "ci/owner@org:x": "a b=c+d_e.f-g"}
)

func iamTags(m map[string]string) []types.Tag {
	var out []types.Tag
	for k, v := range m {
		out = append(out, types.Tag{Key: aws.String(k), Value: aws.String(v)})
	}
	return out
}

// hclStringMap evaluates an attribute that is an object of strings.
func hclStringMap(t *testing.T, a *hclsyntax.Attribute) map[string]string {
	t.Helper()
	if a == nil {
		return nil
	}
	v, diags := a.Expr.Value(&hcl.EvalContext{})
	if diags.HasErrors() {
		t.Fatalf("%s: %v", a.Name, diags)
	}
	out := map[string]string{}
	for k, e := range v.AsValueMap() {
		out[k] = e.AsString()
	}
	return out
}

// TestTerraformFormattedAndKeepsTags: the Terraform output is as
// terraform fmt writes it (-check passes), and, parsed as HCL, an existing
// role and provider keep their tags (an import whose code omits them plans
// to delete them); a new one gets none.
func TestTerraformFormattedAndKeepsTags(t *testing.T) {
	t.Parallel()
	tf := harness.RequireTool(t, "terraform")
	for name, f := range iacStates() {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			p := mustPlan(t, f, iacOptions())
			var b strings.Builder
			WriteTerraform(&b, p)
			dir := t.TempDir()
			path := filepath.Join(dir, "setup.tf")
			if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(tf, "fmt", "-check", "-diff", "-no-color", path)
			cmd.Env = append(os.Environ(), "TF_CLI_CONFIG_FILE="+filepath.Join(dir, "none.tfrc"), "CHECKPOINT_DISABLE=1")
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Errorf("terraform fmt -check: %v\n%s", err, out)
			}
			file, diags := hclparse.NewParser().ParseHCL([]byte(b.String()), "setup.tf")
			if diags.HasErrors() {
				t.Fatalf("HCL does not parse: %v", diags)
			}
			var roleTags, provTags map[string]string
			for _, blk := range file.Body.(*hclsyntax.Body).Blocks {
				if blk.Type != "resource" {
					continue
				}
				switch blk.Labels[0] {
				case "aws_iam_role":
					roleTags = hclStringMap(t, blk.Body.Attributes["tags"])
				case "aws_iam_openid_connect_provider":
					provTags = hclStringMap(t, blk.Body.Attributes["tags"])
				}
			}
			wantRole, wantProv := map[string]string(nil), map[string]string(nil)
			if name == "provider and role exist" {
				wantRole, wantProv = keptRoleTags, existingProviderTags
			}
			if !maps.Equal(roleTags, wantRole) || !maps.Equal(provTags, wantProv) {
				t.Errorf("tags: role %v (want %v), provider %v (want %v)\n%s", roleTags, wantRole, provTags, wantProv, b.String())
			}
		})
	}
}

// TestTerraformFmtCheckCatchesMisalignment keeps the fmt test honest.
func TestTerraformFmtCheckCatchesMisalignment(t *testing.T) {
	t.Parallel()
	tf := harness.RequireTool(t, "terraform")
	dir := t.TempDir()
	path := filepath.Join(dir, "bad.tf")
	os.WriteFile(path, []byte("resource \"aws_iam_role\" \"r\" {\n  name = \"x\"\n  max_session_duration = 3600\n}\n"), 0o644)
	cmd := exec.Command(tf, "fmt", "-check", "-no-color", path)
	cmd.Env = append(os.Environ(), "TF_CLI_CONFIG_FILE="+filepath.Join(dir, "none.tfrc"), "CHECKPOINT_DISABLE=1")
	if out, err := cmd.CombinedOutput(); err == nil {
		t.Errorf("terraform fmt -check passed misaligned attributes:\n%s", out)
	}
}

func iacOptions() Options {
	o := opts("main", "release")
	o.Environments = []string{"prod ${x} %{y}"} // template sequences must stay literal in HCL
	o.MaxSessionDuration = 7200
	return o
}

// TestTerraformParsesAndNamesRealSchema: the Terraform output parses with
// HCL's own parser, uses only documented resource types and arguments,
// and its assume_role_policy is, byte for byte after decoding, the plan's
// trust policy.
func TestTerraformParsesAndNamesRealSchema(t *testing.T) {
	t.Parallel()
	for name, f := range iacStates() {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			p := mustPlan(t, f, iacOptions())
			var b strings.Builder
			WriteTerraform(&b, p)
			src := []byte(b.String())
			file, diags := hclparse.NewParser().ParseHCL(src, "setup.tf")
			if diags.HasErrors() {
				t.Fatalf("HCL does not parse: %v\n%s", diags, src)
			}
			body := file.Body.(*hclsyntax.Body)
			if len(body.Attributes) != 0 {
				t.Errorf("top-level attributes: %v", body.Attributes)
			}
			var resources, imports []string
			for _, blk := range body.Blocks {
				var allowed []string
				switch blk.Type {
				case "resource":
					if len(blk.Labels) != 2 {
						t.Fatalf("resource block labels %v", blk.Labels)
					}
					schema, ok := terraformSchema[blk.Labels[0]]
					if !ok {
						t.Errorf("resource type %q is not one of the AWS provider's used here", blk.Labels[0])
					}
					allowed = append(slices.Clone(schema), metaArguments...)
					resources = append(resources, blk.Labels[0]+"."+blk.Labels[1])
				case "import":
					allowed = []string{"to", "id"}
					imports = append(imports, string(src[blk.Body.Attributes["to"].Expr.Range().Start.Byte:blk.Body.Attributes["to"].Expr.Range().End.Byte]))
				case "output":
					allowed = []string{"value", "description"}
				default:
					t.Errorf("block type %q", blk.Type)
				}
				for attr := range blk.Body.Attributes {
					if !slices.Contains(allowed, attr) {
						t.Errorf("%s %v: argument %q is not in the documented schema", blk.Type, blk.Labels, attr)
					}
				}
				if len(blk.Body.Blocks) != 0 {
					t.Errorf("%s %v: nested blocks", blk.Type, blk.Labels)
				}
				if blk.Type == "resource" && blk.Labels[0] == "aws_iam_role" {
					v, diags := blk.Body.Attributes["assume_role_policy"].Expr.Value(&hcl.EvalContext{})
					if diags.HasErrors() {
						t.Fatalf("assume_role_policy: %v", diags)
					}
					if !sameJSON([]byte(v.AsString()), []byte(p.NewTrust)) {
						t.Errorf("assume_role_policy is not the plan's trust policy:\n%s\nplan:\n%s", v.AsString(), p.NewTrust)
					}
					// The policy holds the name escaped for IAM (${$} is a
					// literal $), and HCL must keep that text literal too.
					if !strings.Contains(v.AsString(), "environment:prod ${$}{x} %{y}") {
						t.Errorf("template sequences were not kept literal: %s", v.AsString())
					}
					path, boundary, desc := existingRoleKept(name)
					for attr, want := range map[string]string{"path": path, "permissions_boundary": boundary, "description": desc} {
						a, ok := blk.Body.Attributes[attr]
						got := ""
						if ok {
							v, diags := a.Expr.Value(&hcl.EvalContext{})
							if diags.HasErrors() {
								t.Fatalf("%s: %v", attr, diags)
							}
							got = v.AsString()
						}
						if got != want {
							t.Errorf("aws_iam_role %s = %q, want %q (an existing role's must be kept)", attr, got, want)
						}
					}
				}
				if blk.Type == "resource" && blk.Labels[0] == "aws_iam_openid_connect_provider" {
					v, _ := blk.Body.Attributes["client_id_list"].Expr.Value(&hcl.EvalContext{})
					var ids []string
					for _, e := range v.AsValueSlice() {
						ids = append(ids, e.AsString())
					}
					if !slices.Contains(ids, "sts.amazonaws.com") || (name == "provider and role exist" && !slices.Contains(ids, "other-audience")) {
						t.Errorf("client_id_list = %v", ids)
					}
				}
			}
			want := []string{"aws_iam_openid_connect_provider.github", "aws_iam_role.github_actions", "aws_iam_role_policy_attachment.github_actions_1"}
			if name == "provider and role exist" {
				want = append(want, "aws_iam_role_policy_attachment.github_actions_2")
				if !slices.Equal(imports, []string{"aws_iam_openid_connect_provider.github", "aws_iam_role.github_actions"}) {
					t.Errorf("imports %v", imports)
				}
			} else if len(imports) != 0 {
				t.Errorf("imports for an empty account: %v", imports)
			}
			if !slices.Equal(resources, want) {
				t.Errorf("resources %v, want %v", resources, want)
			}
		})
	}
}

// TestCloudFormationPassesCfnLint: the template passes cfn-lint (fatal
// when it is missing under CI=true) and carries the plan's trust policy.
func TestCloudFormationPassesCfnLint(t *testing.T) {
	t.Parallel()
	lint := harness.RequireTool(t, "cfn-lint")
	for name, f := range iacStates() {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			p := mustPlan(t, f, iacOptions())
			var b strings.Builder
			if err := WriteCloudFormation(&b, p); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(t.TempDir(), "setup.json")
			if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(lint, "--", path)
			cmd.Env = append(os.Environ(), "AWS_DEFAULT_REGION=us-east-1")
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Errorf("cfn-lint: %v\n%s\n%s", err, out, b.String())
			}
			var tpl struct {
				Description string
				Parameters  map[string]struct {
					Default       string
					AllowedValues []string
				}
				Conditions map[string]any
				Resources  map[string]struct {
					Type                                string
					DeletionPolicy, UpdateReplacePolicy string
					Properties                          map[string]any
				}
				Outputs map[string]any
			}
			if err := json.Unmarshal([]byte(b.String()), &tpl); err != nil {
				t.Fatal(err)
			}
			role := tpl.Resources["GitHubActionsRole"]
			// A new role: the planned trust policy, and the role's ARN as
			// an output.
			planned := role.Properties["AssumeRolePolicyDocument"]
			var trustDoc any
			if name == "provider and role exist" {
				// An import: the role as it is (the default Stage), with
				// what the plan changes only under Stage=planned; Retain (an
				// automatic import requires it); no Outputs (an import may
				// not add them); the role's tags kept.
				if role.DeletionPolicy != "Retain" || role.UpdateReplacePolicy != "Retain" {
					t.Errorf("imported role: DeletionPolicy %q, UpdateReplacePolicy %q, want Retain", role.DeletionPolicy, role.UpdateReplacePolicy)
				}
				if tpl.Outputs != nil {
					t.Errorf("an import template with Outputs: %v", tpl.Outputs)
				}
				if st := tpl.Parameters["Stage"]; st.Default != "import" || !slices.Equal(st.AllowedValues, []string{"import", "planned"}) {
					t.Errorf("Stage parameter %+v", st)
				}
				if !strings.Contains(tpl.Description, "need a second stack update after the import: update the stack with this template and Stage=planned") {
					t.Errorf("the Description does not say the second update is needed: %s", tpl.Description)
				}
				choose := func(prop string) (planned, current any) {
					f, _ := role.Properties[prop].(map[string]any)["Fn::If"].([]any)
					if len(f) != 3 || f[0] != "Planned" {
						t.Fatalf("%s is not chosen by Stage: %v", prop, role.Properties[prop])
					}
					return f[1], f[2]
				}
				planned, trustDoc = choose("AssumeRolePolicyDocument")
				if cur, _ := json.Marshal(trustDoc); !sameJSON(cur, []byte(p.OldTrust)) {
					t.Errorf("the import's trust policy is not the role's current one: %s", cur)
				}
				pol, curPol := choose("ManagedPolicyArns")
				if fmt.Sprint(curPol) != "[arn:aws:iam::123456789012:policy/existing]" || fmt.Sprint(pol) != "[arn:aws:iam::123456789012:policy/existing arn:aws:iam::aws:policy/ReadOnlyAccess]" {
					t.Errorf("ManagedPolicyArns planned %v, current %v", pol, curPol)
				}
				if ms, curMS := choose("MaxSessionDuration"); ms != float64(7200) || curMS != float64(3600) {
					t.Errorf("MaxSessionDuration planned %v, current %v", ms, curMS)
				}
				var tags []map[string]string
				raw, _ := json.Marshal(role.Properties["Tags"])
				json.Unmarshal(raw, &tags)
				got := map[string]string{}
				for _, tag := range tags {
					got[tag["Key"]] = tag["Value"]
				}
				if !maps.Equal(got, keptRoleTags) {
					t.Errorf("role Tags %v, want %v", got, keptRoleTags)
				}
			} else if tpl.Outputs["RoleArn"] == nil || role.DeletionPolicy != "" {
				t.Errorf("new role: Outputs %v, DeletionPolicy %q", tpl.Outputs, role.DeletionPolicy)
			}
			doc, _ := json.Marshal(planned)
			if role.Type != "AWS::IAM::Role" || !sameJSON(doc, []byte(p.NewTrust)) {
				t.Errorf("role resource %+v", role)
			}
			path, boundary, desc := existingRoleKept(name)
			for prop, want := range map[string]string{"Path": path, "PermissionsBoundary": boundary, "Description": desc} {
				got, _ := role.Properties[prop].(string)
				if got != want {
					t.Errorf("GitHubActionsRole %s = %q, want %q (an existing role's must be kept)", prop, got, want)
				}
			}
			_, hasProvider := tpl.Resources["GitHubOIDCProvider"]
			if hasProvider != (name == "empty account") || (hasProvider && tpl.Resources["GitHubOIDCProvider"].Type != "AWS::IAM::OIDCProvider") {
				t.Errorf("provider resource present=%v for %s", hasProvider, name)
			}
		})
	}
}

// TestCfnLintCatchesMistakes keeps the lint test honest: a template with
// a misspelt property fails cfn-lint.
func TestCfnLintCatchesMistakes(t *testing.T) {
	t.Parallel()
	lint := harness.RequireTool(t, "cfn-lint")
	path := filepath.Join(t.TempDir(), "bad.json")
	os.WriteFile(path, []byte(`{"AWSTemplateFormatVersion":"2010-09-09","Resources":{"R":{"Type":"AWS::IAM::Role","Properties":{"AssumeRolePolicyDokument":{}}}}}`), 0o644)
	cmd := exec.Command(lint, "--", path)
	cmd.Env = append(os.Environ(), "AWS_DEFAULT_REGION=us-east-1")
	if out, err := cmd.CombinedOutput(); err == nil {
		t.Errorf("cfn-lint passed a misspelt property:\n%s", out)
	}
}

// TestHCLStringC1AndInvalidUTF8: C1 controls (NEL, CSI) are escaped as
// runner.Visible escapes them, and read back as themselves; each byte that
// is not UTF-8 is written as \uFFFD (HCL has no byte escape), so the file
// is valid UTF-8 and holds no raw control character.
func TestHCLStringC1AndInvalidUTF8(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ in, want string }{
		{"nel\u0085 csi\u009b[31m", "nel\u0085 csi\u009b[31m"},
		{"a\xffb\xfe\xfdc", "a\uFFFDb\uFFFD\uFFFDc"},
	} {
		lit := hclString(c.in)
		if !utf8.ValidString(lit) || strings.ContainsFunc(lit, func(r rune) bool { return r >= 0x80 && r < 0xa0 }) {
			t.Errorf("hclString(%q) = %q holds a C1 control or invalid UTF-8", c.in, lit)
		}
		f, diags := hclparse.NewParser().ParseHCL([]byte("v = "+lit+"\n"), "t.tf")
		if diags.HasErrors() {
			t.Fatalf("%q: %s does not parse: %v", c.in, lit, diags)
		}
		v, diags := f.Body.(*hclsyntax.Body).Attributes["v"].Expr.Value(&hcl.EvalContext{})
		if diags.HasErrors() || v.AsString() != c.want {
			t.Errorf("%q: %s reads back as %q, want %q (%v)", c.in, lit, v.AsString(), c.want, diags)
		}
	}
}

// TestHCLString: every string HCL parses back to itself, control
// characters included (HCL has no \b or \f escape).
func TestHCLString(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"plain", `q"b\s`, "line\nbreak\r\ttab", "bs\b ff\f nul\x00 del\x7f", "${x} %{y} $${z}", "é ✓ \u2028"} {
		src := "v = " + hclString(s) + "\n"
		f, diags := hclparse.NewParser().ParseHCL([]byte(src), "t.tf")
		if diags.HasErrors() {
			t.Errorf("%q: %s does not parse: %v", s, src, diags)
			continue
		}
		v, diags := f.Body.(*hclsyntax.Body).Attributes["v"].Expr.Value(&hcl.EvalContext{})
		if diags.HasErrors() || v.AsString() != s {
			t.Errorf("%q: %s reads back as %q (%v)", s, src, v.AsString(), diags)
		}
	}
}
