package cli

import (
	"fmt"
	"strings"

	"github.com/org/aws-oidc-go/internal/config"
	"github.com/org/aws-oidc-go/internal/handoff"
	"github.com/org/aws-oidc-go/internal/inputs"
	"github.com/org/aws-oidc-go/internal/suggest"
)

// UsageError is a command line that cannot be run. Its message is one
// line; the caller adds one line of usage.
type UsageError struct{ Msg string }

func (e *UsageError) Error() string { return e.Msg }

// extraFlag is a command-specific flag that is not an input (--format,
// --config); it always takes a value.
type extraFlag struct {
	name  string
	value *string
}

// parseInputs reads --input-name VALUE / --input-name=VALUE for every input
// of the table (booleans may stand alone, or take true/false as the next
// argument; list inputs may repeat, one item each) and the extra flags. It
// returns the inputs by name.
func parseInputs(args []string, extra ...extraFlag) (map[string]string, error) {
	values := map[string]string{}
	for i := 0; i < len(args); i++ {
		arg := args[i]
		if arg == "--" {
			if i+1 < len(args) {
				return nil, &UsageError{Msg: fmt.Sprintf("unexpected argument %q (inputs are flags: --role-to-assume ARN)", args[i+1])}
			}
			break
		}
		if !strings.HasPrefix(arg, "-") || arg == "-" {
			return nil, &UsageError{Msg: fmt.Sprintf("unexpected argument %q (inputs are flags: --role-to-assume ARN)", arg)}
		}
		name, value, hasValue := strings.Cut(strings.TrimLeft(arg, "-"), "=")
		next := func() (string, error) {
			if hasValue {
				return value, nil
			}
			if i+1 >= len(args) {
				return "", &UsageError{Msg: fmt.Sprintf("flag --%s needs a value", name)}
			}
			i++
			return args[i], nil
		}
		if x := findExtra(extra, name); x != nil {
			v, err := next()
			if err != nil {
				return nil, err
			}
			*x.value = v
			continue
		}
		in, ok := inputs.Get(name)
		if !ok {
			return nil, &UsageError{Msg: unknownFlag(name, extra)}
		}
		var v string
		switch {
		case in.Kind == inputs.Bool && !hasValue:
			v = "true"
			if i+1 < len(args) && isBoolWord(args[i+1]) {
				i++
				v = args[i]
			}
		default:
			var err error
			if v, err = next(); err != nil {
				return nil, err
			}
		}
		if old, ok := values[name]; ok && in.Kind == inputs.List {
			v = old + "\n" + v
		}
		values[name] = v
	}
	return values, nil
}

func findExtra(extra []extraFlag, name string) *extraFlag {
	for i := range extra {
		if extra[i].name == name {
			return &extra[i]
		}
	}
	return nil
}

func isBoolWord(s string) bool {
	_, ok := config.ParseBool(s)
	return ok
}

// unknownFlag names the closest known flag, if one is close.
func unknownFlag(name string, extra []extraFlag) string {
	var names []string
	for _, in := range inputs.All {
		names = append(names, in.Name)
	}
	for _, x := range extra {
		names = append(names, x.name)
	}
	return unknownFlagOf(name, names)
}

// unknownFlagOf is the message for an unknown flag of a command whose
// flags are names: the closest one, if one is close. The main command and
// the subcommands (setup, trust-policy) answer a typo alike.
func unknownFlagOf(name string, names []string) string {
	if best, ok := suggest.Closest(name, names); ok {
		return fmt.Sprintf("unknown flag --%s (did you mean --%s?)", name, best)
	}
	return fmt.Sprintf("unknown flag --%s", name)
}

// readSettings reads a renewal settings file (written by refresh) back
// into a Config. The file must be ours and nobody else's to change: a
// regular file (not a link) owned by uid, not writable by group or others,
// in a directory owned by uid (or root) that group and others cannot write
// either — else whoever could change it would choose the role, the
// endpoint and the token file we send. Each refusal names the file and
// why.
func readSettings(path string, uid int) (*config.Config, error) {
	b, err := handoff.ReadChecked(path, uid)
	if err != nil {
		return nil, fmt.Errorf("--config: refusing the settings file %s: %w", path, err)
	}
	c, err := config.ReadSettings(b)
	if err != nil {
		return nil, fmt.Errorf("--config: %s: %w", path, err)
	}
	return c, nil
}

// inputEnv turns input values into the INPUT_ variables the action reads,
// exactly as the runner would pass them.
func inputEnv(values map[string]string) map[string]string {
	env := make(map[string]string, len(values))
	for k, v := range values {
		env[inputs.EnvName(k)] = v
	}
	return env
}

// overlay returns a getenv that answers the flags first.
func overlay(values map[string]string, getenv func(string) string) func(string) string {
	return func(k string) string {
		if v, ok := values[k]; ok {
			return v
		}
		return getenv(k)
	}
}

// inputsHelp lists the inputs by group, with their defaults and help.
func inputsHelp() string {
	var b strings.Builder
	for _, g := range inputs.Groups {
		fmt.Fprintf(&b, "\n%s:\n", g)
		var names []inputs.Input
		for _, in := range inputs.All {
			if in.Group == g {
				names = append(names, in)
			}
		}
		for _, in := range names {
			arg := " VALUE"
			switch in.Kind {
			case inputs.Bool:
				arg = ""
			case inputs.List:
				arg = " ITEM (repeatable)"
			case inputs.Int:
				arg = " N"
			case inputs.JSON:
				arg = " JSON"
			}
			def := in.Default
			if in.DefaultDoc != "" {
				def = in.DefaultDoc
			}
			if def != "" {
				def = " [default " + def + "]"
			}
			fmt.Fprintf(&b, "  --%s%s%s\n", in.Name, arg, def)
			b.WriteString(wrap(in.Help, 6, 78))
		}
	}
	return b.String()
}

func wrap(s string, indent, width int) string {
	var b strings.Builder
	pad := strings.Repeat(" ", indent)
	line := pad
	for _, w := range strings.Fields(s) {
		if len(line) > indent && len(line)+1+len(w) > width {
			b.WriteString(line + "\n")
			line = pad
		}
		if len(line) > indent {
			line += " "
		}
		line += w
	}
	if len(line) > indent {
		b.WriteString(line + "\n")
	}
	return b.String()
}
