package cli

import (
	"strings"
	"testing"
)

// TestOneBooleanGrammar: a subcommand's boolean flag takes the same words
// as an action input (the Actions toolkit's true|True|TRUE|false|False|FALSE),
// and refuses anything else naming the grammar.
func TestOneBooleanGrammar(t *testing.T) {
	table := []cmdFlag{{Name: "apply", Help: "apply"}}
	for arg, want := range map[string]bool{
		"--apply": true, "--apply=true": true, "--apply=True": true, "--apply=TRUE": true,
		"--apply=false": false, "--apply=False": false, "--apply=FALSE": false,
	} {
		c, _, err := parseCmdFlags("setup", table, []string{arg})
		if err != nil || c.on("apply") != want {
			t.Errorf("%s: on = %v, err %v; want %v", arg, c != nil && c.on("apply"), err, want)
		}
	}
	for _, arg := range []string{"--apply=yes", "--apply=1", "--apply=tRue", "--apply=on"} {
		_, _, err := parseCmdFlags("setup", table, []string{arg})
		if err == nil || !strings.Contains(err.Error(), "True, TRUE") {
			t.Errorf("%s: err = %v, want a refusal naming the grammar", arg, err)
		}
	}
}
