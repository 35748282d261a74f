package inputs

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
)

// NativeActionYAML is the node action's metadata file (uses:
// org/aws-oidc-go/native@v1): the same inputs and outputs as the root
// container action's action.yml, generated the same way.
const NativeActionYAML = "native/action.yml"

// ActionYAMLInputs renders action.yml's inputs block from the table.
func ActionYAMLInputs() string {
	var b strings.Builder
	b.WriteString("inputs:\n")
	for _, in := range All {
		fmt.Fprintf(&b, "  %s:\n", in.Name)
		if len(in.Help) > 80 {
			b.WriteString("    description: >-\n")
			b.WriteString(wrap(in.Help, "      ", 100))
		} else {
			fmt.Fprintf(&b, "    description: %s\n", yamlScalar(in.Help))
		}
		fmt.Fprintf(&b, "    required: %t\n", in.Required)
		if in.Default != "" {
			fmt.Fprintf(&b, "    default: %q\n", in.Default)
		}
	}
	return b.String()
}

// yamlScalar quotes s when a plain YAML scalar could misread it.
func yamlScalar(s string) string {
	if strings.ContainsAny(s, ":#{}[]&*!|>'\"%@`") || strings.HasPrefix(s, "-") {
		return "'" + strings.ReplaceAll(s, "'", "''") + "'"
	}
	return s
}

func wrap(s, indent string, width int) string {
	var b strings.Builder
	line := ""
	for _, w := range strings.Fields(s) {
		if line != "" && len(indent)+len(line)+1+len(w) > width {
			b.WriteString(indent + line + "\n")
			line = ""
		}
		if line != "" {
			line += " "
		}
		line += w
	}
	if line != "" {
		b.WriteString(indent + line + "\n")
	}
	return b.String()
}

// READMETable renders the README's table of inputs, grouped.
func READMETable() string {
	var b strings.Builder
	for _, g := range Groups {
		fmt.Fprintf(&b, "**%s**\n\n| input | default | env fallback | meaning |\n| --- | --- | --- | --- |\n", g)
		for _, in := range All {
			if in.Group != g {
				continue
			}
			def := "—"
			switch {
			case in.DefaultDoc != "":
				def = in.DefaultDoc
			case in.Default != "":
				def = "`" + in.Default + "`"
			case in.Required:
				def = "required"
			}
			env := "—"
			if in.EnvFallback != "" {
				env = "`" + in.EnvFallback + "`"
			}
			help := strings.ReplaceAll(in.Help, "|", `\|`)
			if in.Secret {
				help += " Secret: masked before anything else runs."
			}
			fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", in.Name, def, env, help)
		}
		b.WriteString("\n")
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// Markers delimiting the generated part of the README.
const (
	READMEBegin = "<!-- inputs:begin (generated from internal/inputs by go run ./internal/inputs/gen -w; edit the table there) -->"
	READMEEnd   = "<!-- inputs:end -->"
)

// UpdateActionYAML returns action.yml with its inputs block regenerated.
func UpdateActionYAML(old []byte) ([]byte, error) {
	start := bytes.Index(old, []byte("\ninputs:\n"))
	end := bytes.Index(old, []byte("\noutputs:\n"))
	if start < 0 || end < start {
		return nil, errors.New("action.yml: no inputs block followed by an outputs block")
	}
	var b bytes.Buffer
	b.Write(old[:start+1])
	b.WriteString(ActionYAMLInputs())
	b.Write(old[end:])
	return b.Bytes(), nil
}

// UpdateREADME returns the README with the generated table regenerated.
func UpdateREADME(old []byte) ([]byte, error) {
	start := bytes.Index(old, []byte(READMEBegin))
	end := bytes.Index(old, []byte(READMEEnd))
	if start < 0 || end < start {
		return nil, errors.New("README.md: no " + READMEBegin + " … " + READMEEnd + " section")
	}
	var b bytes.Buffer
	b.Write(old[:start+len(READMEBegin)])
	b.WriteString("\n" + READMETable() + "\n")
	b.Write(old[end:])
	return b.Bytes(), nil
}
