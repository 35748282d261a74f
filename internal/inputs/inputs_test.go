package inputs

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v3"
)

// TestGeneratedFilesUpToDate keeps both actions' action.yml and the
// README's table equal to what the table generates.
func TestGeneratedFilesUpToDate(t *testing.T) {
	t.Parallel()
	for _, f := range []struct {
		path   string
		update func([]byte) ([]byte, error)
	}{{"action.yml", UpdateActionYAML}, {NativeActionYAML, UpdateActionYAML}, {"README.md", UpdateREADME}} {
		old, err := os.ReadFile(filepath.Join("..", "..", f.path))
		if err != nil {
			t.Fatal(err)
		}
		got, err := f.update(old)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(string(got), string(old)); diff != "" {
			t.Errorf("%s is not what internal/inputs generates; run go run ./internal/inputs/gen -w (-generated +file):\n%s", f.path, diff)
		}
	}
}

// TestActionYAMLDeclaresTheTable reads both actions' action.yml as the
// runner does and checks each declares exactly the table's inputs, defaults
// and descriptions.
func TestActionYAMLDeclaresTheTable(t *testing.T) {
	t.Parallel()
	for _, file := range []string{"action.yml", NativeActionYAML} {
		t.Run(file, func(t *testing.T) { checkDeclaresTheTable(t, file) })
	}
}

func checkDeclaresTheTable(t *testing.T, file string) {
	b, err := os.ReadFile(filepath.Join("..", "..", file))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Inputs yaml.Node `yaml:"inputs"`
	}
	if err := yaml.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	type decl struct {
		Name, Description, Default string
		HasDefault, Required       bool
	}
	var got, want []decl
	for i := 0; i+1 < len(doc.Inputs.Content); i += 2 {
		var v struct {
			Description string  `yaml:"description"`
			Required    bool    `yaml:"required"`
			Default     *string `yaml:"default"`
		}
		if err := doc.Inputs.Content[i+1].Decode(&v); err != nil {
			t.Fatal(err)
		}
		d := decl{Name: doc.Inputs.Content[i].Value, Description: v.Description, Required: v.Required}
		if v.Default != nil {
			d.Default, d.HasDefault = *v.Default, true
		}
		got = append(got, d)
	}
	for _, in := range All {
		want = append(want, decl{Name: in.Name, Description: in.Help, Default: in.Default, HasDefault: in.Default != "", Required: in.Required})
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("%s inputs (-table +%s):\n%s", file, file, diff)
	}
}

func TestFromEnv(t *testing.T) {
	t.Parallel()
	env := map[string]string{
		"INPUT_ROLE-TO-ASSUME": "  arn:aws:iam::123456789012:role/deploy \n",
		"AWS_REGION":           "eu-west-1",
		"INPUT_AUDIENCE":       "",
		"AUDIENCE":             "from-env",
		"INPUT_AWS-REGION":     "",
		"HTTP_PROXY":           "proxy:3128",
		"NO_PROXY":             "x",
		"AWS_ACCESS_KEY_ID":    "AKIAIOSFODNN7EXAMPLE",
		"AWS_PROFILE":          "p",
	}
	in := FromEnv(func(k string) string { return env[k] })
	for name, want := range map[string]string{
		RoleToAssume:     "arn:aws:iam::123456789012:role/deploy",
		AWSRegion:        "eu-west-1",
		Audience:         "from-env",
		RoleSessionName:  "", // defaults are config.Load's business
		RetryMaxAttempts: "",
		HTTPProxy:        "", // proxy variables are the HTTP client's, not inputs
		NoProxy:          "",
		AWSAccessKeyID:   "",
		AWSProfile:       "",
	} {
		if got := in(name); got != want {
			t.Errorf("input %s = %q, want %q", name, got, want)
		}
	}
	if got := EnvName("role to-assume"); got != "INPUT_ROLE_TO-ASSUME" {
		t.Errorf("EnvName = %q", got)
	}
}

// TestTableIsConsistent: every name is unique, every input has help and
// a group, and only list and JSON inputs may span lines.
func TestTableIsConsistent(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for _, in := range All {
		if seen[in.Name] {
			t.Errorf("%s declared twice", in.Name)
		}
		seen[in.Name] = true
		if in.Help == "" || in.Group == GroupInternal {
			t.Errorf("%s has no help or no group", in.Name)
		}
		if in.Secret && in.EnvFallback != "" {
			t.Errorf("%s is secret and falls back to %s: an earlier step's export would switch modes", in.Name, in.EnvFallback)
		}
		if in.Default != "" && in.DefaultDoc != "" {
			t.Errorf("%s has both a default and a described default", in.Name)
		}
	}
}

// TestNativeActionMatchesRoot: the node action declares the root action's
// outputs, and runs its shim as node24 with a post step after failures too.
func TestNativeActionMatchesRoot(t *testing.T) {
	t.Parallel()
	type action struct {
		Outputs map[string]struct {
			Description string `yaml:"description"`
		} `yaml:"outputs"`
		Runs map[string]string `yaml:"runs"`
	}
	read := func(file string) action {
		b, err := os.ReadFile(filepath.Join("..", "..", file))
		if err != nil {
			t.Fatal(err)
		}
		var a action
		if err := yaml.Unmarshal(b, &a); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		return a
	}
	root, native := read("action.yml"), read(NativeActionYAML)
	if len(root.Outputs) == 0 {
		t.Fatal("action.yml declares no outputs")
	}
	if diff := cmp.Diff(root.Outputs, native.Outputs); diff != "" {
		t.Errorf("outputs (-action.yml +%s):\n%s", NativeActionYAML, diff)
	}
	want := map[string]string{"using": "node24", "main": "main.js", "post": "post.js", "post-if": "always() && env.AWS_SKIP_CLEANUP_STEP != 'true'"}
	if diff := cmp.Diff(want, native.Runs); diff != "" {
		t.Errorf("%s runs (-want +got):\n%s", NativeActionYAML, diff)
	}
	for _, f := range []string{native.Runs["main"], native.Runs["post"]} {
		if _, err := os.Stat(filepath.Join("..", "..", "native", f)); err != nil {
			t.Errorf("%s names %s: %v", NativeActionYAML, f, err)
		}
	}
}
