package cli

import (
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/org/aws-oidc-go/internal/config"
)

// inputFlag is one action input given as --name on the command line. It is
// handed to the action as INPUT_<NAME>, exactly as the runner would.
type inputFlag struct {
	values    map[string]string
	name      string
	boolean   bool
	multiline bool
}

func (f *inputFlag) String() string { return "" }

func (f *inputFlag) Set(v string) error {
	key := "INPUT_" + strings.ToUpper(f.name)
	if old, ok := f.values[key]; ok && f.multiline {
		v = old + "\n" + v
	}
	f.values[key] = v
	return nil
}

func (f *inputFlag) IsBoolFlag() bool { return f.boolean }

// parseInputs parses --input-name flags (booleans may be bare); extra
// registers command-specific flags. It returns INPUT_ variables.
func parseInputs(name string, args []string, extra func(*flag.FlagSet)) (map[string]string, error) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	values := map[string]string{}
	for _, in := range config.Inputs {
		fs.Var(&inputFlag{values: values, name: in, boolean: config.Booleans[in], multiline: config.Multiline[in]}, in, "")
	}
	if extra != nil {
		extra(fs)
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q (inputs are flags: --role-to-assume ARN)", fs.Arg(0))
	}
	return values, nil
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
