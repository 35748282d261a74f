package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/org/aws-oidc-go/internal/config"
)

// cmdFlag is one flag of a subcommand (trust-policy, setup). The tables of
// them are the only place a flag is declared: parsing and --help are both
// derived from them, so a flag cannot exist without its help beside it.
type cmdFlag struct {
	Name string
	// Arg names the value in --help ("OWNER/REPO"); empty for a boolean.
	Arg string
	// Repeat: the flag may be given several times, each adding one value.
	Repeat bool
	Help   string
}

// cmdFlags are the parsed values of a table's flags.
type cmdFlags struct {
	vals  map[string][]string
	bools map[string]bool
}

func (c *cmdFlags) str(name string) string {
	v := c.vals[name]
	if len(v) == 0 {
		return ""
	}
	return v[len(v)-1]
}

func (c *cmdFlags) list(name string) []string { return c.vals[name] }
func (c *cmdFlags) on(name string) bool       { return c.bools[name] }

// given reports whether the flag appeared on the command line.
func (c *cmdFlags) given(name string) bool {
	_, ok := c.vals[name]
	return ok || c.bools[name]
}

// parseCmdFlags parses args against the table. Flags and positional
// arguments may be mixed; positional ones are returned in order. A single
// value given twice to a flag that does not repeat is refused.
func parseCmdFlags(cmd string, table []cmdFlag, args []string) (*cmdFlags, []string, error) {
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	c := &cmdFlags{vals: map[string][]string{}, bools: map[string]bool{}}
	for _, f := range table {
		if f.Arg == "" {
			fs.BoolFunc(f.Name, f.Help, func(s string) error {
				if s == "" { // --flag alone
					c.bools[f.Name] = true
					return nil
				}
				v, ok := config.ParseBool(s)
				if !ok {
					return fmt.Errorf("want %s, not %q", config.BoolGrammar, s)
				}
				c.bools[f.Name] = v
				return nil
			})
			continue
		}
		fs.Func(f.Name, f.Help, func(s string) error {
			if _, twice := c.vals[f.Name]; twice && !f.Repeat {
				return errors.New("given twice (it takes one value)")
			}
			c.vals[f.Name] = append(c.vals[f.Name], s)
			return nil
		})
	}
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			// The flag package's own words ("flag provided but not
			// defined: -x") name neither the flag as typed nor the one meant.
			if name, ok := strings.CutPrefix(err.Error(), "flag provided but not defined: "); ok {
				var names []string
				for _, f := range table {
					names = append(names, f.Name)
				}
				return nil, nil, errors.New(unknownFlagOf(strings.TrimLeft(name, "-"), names))
			}
			return nil, nil, err
		}
		if fs.NArg() == 0 {
			return c, pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// flagHelp renders a table for --help: each flag with its value and, on
// the lines below, its help.
func flagHelp(table []cmdFlag) string {
	var b strings.Builder
	for _, f := range table {
		arg := ""
		if f.Arg != "" {
			arg = " " + f.Arg
		}
		if f.Repeat {
			arg += " (repeatable)"
		}
		fmt.Fprintf(&b, "  --%s%s\n", f.Name, arg)
		b.WriteString(wrap(f.Help, 6, 78))
	}
	return b.String()
}

// tableHas reports whether the table declares the flag (for tests and for
// flags shared between commands).
func tableHas(table []cmdFlag, name string) bool {
	for _, f := range table {
		if f.Name == name {
			return true
		}
	}
	return false
}
