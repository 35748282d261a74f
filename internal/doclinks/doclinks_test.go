package doclinks

import (
	"io/fs"
	"os"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"
	"unicode"

	"github.com/google/go-cmp/cmp"
)

var (
	fenceRE    = regexp.MustCompile("^\\s*(```|~~~)")
	headingRE  = regexp.MustCompile(`^#{1,6}\s+(.*?)\s*#*\s*$`)
	codeSpanRE = regexp.MustCompile("`+[^`]*`+")
	linkRE     = regexp.MustCompile(`\]\(([^)\s]*)(?:\s+"[^"]*")?\)`)
	inlineRE   = regexp.MustCompile(`\[([^\]]*)\]\([^)]*\)`)
	schemeRE   = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9+.-]*:`)
)

// prose returns the lines of a Markdown file outside fenced code blocks.
func prose(src string) []string {
	var out []string
	fenced := false
	for _, line := range strings.Split(src, "\n") {
		if fenceRE.MatchString(line) {
			fenced = !fenced
			continue
		}
		if !fenced {
			out = append(out, line)
		}
	}
	return out
}

// slug is GitHub's anchor for a heading's text: formatting and link targets
// dropped, lower case, letters, digits, '-' and '_' kept, spaces to '-'.
func slug(heading string) string {
	heading = inlineRE.ReplaceAllString(heading, "$1")
	var b strings.Builder
	for _, r := range strings.ToLower(heading) {
		switch {
		case unicode.IsLetter(r), unicode.IsDigit(r), r == '-', r == '_':
			b.WriteRune(r)
		case r == ' ':
			b.WriteByte('-')
		}
	}
	return b.String()
}

// anchors returns the anchors of a Markdown file's headings, with GitHub's
// -1, -2 suffixes for repeated ones.
func anchors(src string) map[string]bool {
	seen := map[string]int{}
	out := map[string]bool{}
	for _, line := range prose(src) {
		m := headingRE.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		s := slug(m[1])
		if n := seen[s]; n > 0 {
			out[s+"-"+strconv.Itoa(n)] = true
		} else {
			out[s] = true
		}
		seen[s]++
	}
	return out
}

// links returns the relative link targets in a Markdown file's prose.
func links(src string) []string {
	var out []string
	for _, line := range prose(src) {
		line = codeSpanRE.ReplaceAllString(line, "``")
		for _, m := range linkRE.FindAllStringSubmatch(line, -1) {
			if !schemeRE.MatchString(m[1]) {
				out = append(out, m[1])
			}
		}
	}
	return out
}

// broken returns the links of file name in fsys whose file or heading does
// not exist, each as "name: target (why)".
func broken(t *testing.T, fsys fs.FS, name string) []string {
	t.Helper()
	src, err := fs.ReadFile(fsys, name)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, target := range links(string(src)) {
		file, anchor, _ := strings.Cut(target, "#")
		dest := name
		if file != "" {
			dest = path.Clean(path.Join(path.Dir(name), file))
			if !fs.ValidPath(dest) {
				out = append(out, name+": "+target+" (outside the repository)")
				continue
			}
			if _, err := fs.Stat(fsys, strings.TrimSuffix(dest, "/")); err != nil {
				out = append(out, name+": "+target+" (no such file)")
				continue
			}
		}
		if anchor == "" {
			continue
		}
		if !strings.HasSuffix(dest, ".md") {
			out = append(out, name+": "+target+" (an anchor into a file that is not Markdown)")
			continue
		}
		d, err := fs.ReadFile(fsys, dest)
		if err != nil {
			out = append(out, name+": "+target+" ("+err.Error()+")")
			continue
		}
		if !anchors(string(d))[anchor] {
			out = append(out, name+": "+target+" (no such heading in "+dest+")")
		}
	}
	return out
}

// pages returns README.md, CONTRIBUTING.md and docs/*.md.
func pages(t *testing.T, fsys fs.FS) []string {
	t.Helper()
	docs, err := fs.Glob(fsys, "docs/*.md")
	if err != nil {
		t.Fatal(err)
	}
	return append([]string{"README.md", "CONTRIBUTING.md"}, docs...)
}

func TestSlug(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ heading, want string }{
		{"Long jobs: credentials that renew themselves", "long-jobs-credentials-that-renew-themselves"},
		{"act, Forgejo and Gitea runners", "act-forgejo-and-gitea-runners"},
		{"The `make` targets", "the-make-targets"},
		{"Which one: container or native", "which-one-container-or-native"},
		{"Migrating from configure-aws-credentials", "migrating-from-configure-aws-credentials"},
		{"See [the docs](docs/x.md) now", "see-the-docs-now"},
		{"Performance, measured", "performance-measured"},
		{"snake_case and Ünïcode 2", "snake_case-and-ünïcode-2"},
	} {
		if got := slug(tc.heading); got != tc.want {
			t.Errorf("slug(%q) = %q, want %q", tc.heading, got, tc.want)
		}
	}
}

// TestBrokenFindsWhatIsBroken feeds the checker links that resolve and links
// that do not, so the real check below cannot pass by finding nothing.
func TestBrokenFindsWhatIsBroken(t *testing.T) {
	t.Parallel()
	fsys := fstest.MapFS{
		"README.md": {Data: []byte(strings.Join([]string{
			"# Title",
			"## Setup",
			"## Setup",
			"See [setup](#setup), [again](#setup-1), [gone](#nowhere),",
			"[page](docs/a.md), [its part](docs/a.md#part-one), [its missing part](docs/a.md#part-two),",
			"[missing page](docs/b.md), [dir](docs/), [code](main.go), [code anchor](main.go#L1),",
			"[web](https://example.com/x#y), [mail](mailto:a@b.c), [escape](../outside.md).",
			"`[not a link](nope.md)` and",
			"```",
			"## Not a heading",
			"[in a fence](fence.md)",
			"```",
			"[fenced heading](#not-a-heading)",
		}, "\n"))},
		"docs/a.md": {Data: []byte("# A\n\n## Part one\n\nBack to [the README](../README.md#title).\n")},
		"main.go":   {Data: []byte("package main\n")},
	}
	want := []string{
		"README.md: #nowhere (no such heading in README.md)",
		"README.md: docs/a.md#part-two (no such heading in docs/a.md)",
		"README.md: docs/b.md (no such file)",
		"README.md: main.go#L1 (an anchor into a file that is not Markdown)",
		"README.md: ../outside.md (outside the repository)",
		"README.md: #not-a-heading (no such heading in README.md)",
	}
	if diff := cmp.Diff(want, broken(t, fsys, "README.md")); diff != "" {
		t.Errorf("README.md (-want +got):\n%s", diff)
	}
	if got := broken(t, fsys, "docs/a.md"); len(got) != 0 {
		t.Errorf("docs/a.md: %q, want none", got)
	}
}

// TestLinksResolve checks every relative link and anchor in the repository's
// Markdown pages.
func TestLinksResolve(t *testing.T) {
	t.Parallel()
	fsys := os.DirFS("../..")
	for _, name := range pages(t, fsys) {
		for _, b := range broken(t, fsys, name) {
			t.Error("broken link: " + b)
		}
	}
}

// TestREADMELinksEveryPage keeps every page reachable from the front door,
// and the test command CI runs (.ci/run) named there.
func TestREADMELinksEveryPage(t *testing.T) {
	t.Parallel()
	fsys := os.DirFS("../..")
	readme, err := fs.ReadFile(fsys, "README.md")
	if err != nil {
		t.Fatal(err)
	}
	var linked []string
	for _, l := range links(string(readme)) {
		file, _, _ := strings.Cut(l, "#")
		linked = append(linked, path.Clean(file))
	}
	for _, name := range pages(t, fsys)[1:] {
		if !slices.Contains(linked, name) {
			t.Errorf("README.md does not link %s", name)
		}
	}
	if !strings.Contains(string(readme), "`make test`") {
		t.Error("README.md does not name the test command `make test` (.ci/run runs it)")
	}
}
