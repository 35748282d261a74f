package setup

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

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
	return map[string]*fakeIAM{"empty account": empty, "provider and role exist": existing}
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
					if !strings.Contains(v.AsString(), "environment:prod ${x} %{y}") {
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
				Resources map[string]struct {
					Type       string
					Properties map[string]any
				}
			}
			if err := json.Unmarshal([]byte(b.String()), &tpl); err != nil {
				t.Fatal(err)
			}
			role := tpl.Resources["GitHubActionsRole"]
			doc, _ := json.Marshal(role.Properties["AssumeRolePolicyDocument"])
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
