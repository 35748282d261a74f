package source

import (
	"strings"
	"testing"
)

func TestSanitizeTagValue(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"refs/heads/feature/x":   "refs/heads/feature/x",
		"Deploy (prod) #1":       "Deploy _prod_ _1",
		"naïve ünïcode":          "naïve ünïcode",
		"a\nb;c":                 "a_b_c",
		strings.Repeat("é", 300): strings.Repeat("é", 256),
	} {
		if got := SanitizeTagValue(in); got != want {
			t.Errorf("SanitizeTagValue(%q) = %q, want %q", in, got, want)
		}
	}
}
