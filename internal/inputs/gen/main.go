// Command gen regenerates the inputs of both actions (action.yml, the
// container action, and native/action.yml, the node one) and the README's
// table of inputs from the table in internal/inputs. Run from the repository root:
//
//	go run ./internal/inputs/gen -w
//
// Without -w it only reports whether the files are up to date (exit 1 if not).
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"

	"github.com/org/aws-oidc-go/internal/inputs"
)

func main() {
	write := flag.Bool("w", false, "rewrite the files")
	flag.Parse()
	stale := false
	for _, f := range []struct {
		path   string
		update func([]byte) ([]byte, error)
	}{{"action.yml", inputs.UpdateActionYAML}, {inputs.NativeActionYAML, inputs.UpdateActionYAML}, {"README.md", inputs.UpdateREADME}} {
		old, err := os.ReadFile(f.path)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		updated, err := f.update(old)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		if bytes.Equal(old, updated) {
			continue
		}
		stale = true
		if *write {
			if err := os.WriteFile(f.path, updated, 0o644); err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(2)
			}
			fmt.Println("rewrote", f.path)
		} else {
			fmt.Println(f.path, "is out of date: go run ./internal/inputs/gen -w")
		}
	}
	if stale && !*write {
		os.Exit(1)
	}
}
