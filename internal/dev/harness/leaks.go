package harness

import (
	"fmt"
	"strings"
	"testing"
)

// Output is text a run left behind: a stream or a file-command file.
type Output struct {
	Name string
	Text string
	// CredentialsAllowed marks outputs that carry credentials by design
	// (GITHUB_ENV, GITHUB_OUTPUT with output-credentials). Tokens are
	// never allowed anywhere.
	CredentialsAllowed bool
}

// FindLeaks returns where a token (JWT, request token) or a credential
// (secret key, session token) occurs outside ::add-mask:: lines, without
// quoting the secret.
func FindLeaks(outputs []Output, tokens, credentials []string) []string {
	var leaks []string
	check := func(o Output, secrets []string, kind string) {
		for i, line := range strings.Split(o.Text, "\n") {
			if strings.HasPrefix(line, "::add-mask::") {
				continue
			}
			for _, s := range secrets {
				if len(s) >= 8 && strings.Contains(line, s) {
					leaks = append(leaks, fmt.Sprintf("%s line %d holds a %s (%d characters)", o.Name, i+1, kind, len(s)))
				}
			}
		}
	}
	for _, o := range outputs {
		check(o, tokens, "token")
		if !o.CredentialsAllowed {
			check(o, credentials, "credential")
		}
	}
	return leaks
}

// AssertNoLeaks fails t for every leak FindLeaks finds.
func AssertNoLeaks(t testing.TB, outputs []Output, tokens, credentials []string) {
	t.Helper()
	for _, l := range FindLeaks(outputs, tokens, credentials) {
		t.Error("leak: " + l)
	}
}
