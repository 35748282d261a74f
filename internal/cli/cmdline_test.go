package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// crtSplit is the reference for botocore's Windows splitter
// (botocore.compat._windows_shell_split), written from the rules it
// documents, which are the Microsoft C runtime's (nil where botocore raises
// "No closing quotation"): only space and tab
// separate; only double quotes group; a run of backslashes is literal
// unless it ends at a double quote, where each pair becomes one backslash
// and an odd one out makes the quote literal.
func crtSplit(s string) []string {
	var out []string
	var cur strings.Builder
	inArg, quoted, slashes := false, false, 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\':
			slashes++
			inArg = true
			continue
		case c == '"':
			cur.WriteString(strings.Repeat(`\`, slashes/2))
			odd := slashes%2 == 1
			slashes = 0
			inArg = true
			if odd {
				cur.WriteByte('"')
			} else {
				quoted = !quoted
			}
			continue
		}
		cur.WriteString(strings.Repeat(`\`, slashes))
		slashes = 0
		if (c == ' ' || c == '\t') && !quoted {
			if inArg {
				out = append(out, cur.String())
				cur.Reset()
				inArg = false
			}
			continue
		}
		cur.WriteByte(c)
		inArg = true
	}
	cur.WriteString(strings.Repeat(`\`, slashes))
	if quoted {
		return nil // botocore: "No closing quotation"
	}
	if inArg {
		out = append(out, cur.String())
	}
	return out
}

// goEscapeArg is the reference for how Go's os/exec puts one argument on a
// Windows command line (syscall.EscapeArg, documented as the C runtime's
// rules): quoted when it has a space or tab or is empty, every double quote
// escaped, backslashes doubled where they precede a quote.
func goEscapeArg(s string) string {
	if s == "" {
		return `""`
	}
	if !strings.ContainsAny(s, "\"\\ \t") {
		return s
	}
	space := strings.ContainsAny(s, " \t")
	var b strings.Builder
	if space {
		b.WriteByte('"')
	}
	slashes := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			slashes++
		case '"':
			b.WriteString(strings.Repeat(`\`, slashes+1))
			slashes = 0
		default:
			slashes = 0
		}
		b.WriteByte(s[i])
	}
	if space {
		b.WriteString(strings.Repeat(`\`, slashes))
		b.WriteByte('"')
	}
	return b.String()
}

// viaGoSDK is the reference for aws-sdk-go-v2's process provider on
// Windows: exec.Command("cmd.exe", "/C", line) (processcreds
// DefaultNewCommandBuilder), then cmd.exe's documented /C rules (cmd /?):
// the quotes are kept only when there are exactly two, enclosing an
// executable's name with whitespace in it; otherwise a leading quote and the
// last quote of the line are removed. cmd then takes the program's name up
// to the first unquoted space, refuses unquoted &|<> (operators), and hands
// the program the rest of the line, which it splits by the C runtime rules.
// ok is false when the program cannot be what was meant.
func viaGoSDK(line string) (argv []string, ok bool) {
	full := strings.Join([]string{goEscapeArg("cmd.exe"), goEscapeArg("/C"), goEscapeArg(line)}, " ")
	rest := strings.TrimPrefix(full, "cmd.exe /C ")
	// Rule 1 needs the quoted text to be an executable's name; a line with
	// arguments never is, so rule 2 applies.
	if strings.HasPrefix(rest, `"`) {
		last := strings.LastIndex(rest, `"`)
		rest = rest[1:last] + rest[last+1:]
	}
	quoted := false
	for i := 0; i < len(rest); i++ {
		switch rest[i] {
		case '"':
			quoted = !quoted
		case '&', '|', '<', '>', '^':
			if !quoted {
				return nil, false
			}
		}
	}
	// The program's name: up to the first space outside quotes, quotes removed.
	end, q := len(rest), false
	for i := 0; i < len(rest); i++ {
		if rest[i] == '"' {
			q = !q
		} else if rest[i] == ' ' && !q {
			end = i
			break
		}
	}
	prog := strings.ReplaceAll(rest[:end], `"`, "")
	if strings.Contains(rest[:end], `\"`) {
		return nil, false // cmd.exe has no escaped quote: \"C:\x\" names no file
	}
	return append([]string{prog}, crtSplit(rest[end:])...), true
}

// posixSplit is the reference for the POSIX consumers (sh -c, shlex.split):
// words split at unquoted blanks; single quotes keep everything; a
// backslash outside quotes keeps the next character.
func posixSplit(s string) []string {
	var out []string
	var cur strings.Builder
	inWord, single := false, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case single:
			if c == '\'' {
				single = false
			} else {
				cur.WriteByte(c)
			}
		case c == '\'':
			single, inWord = true, true
		case c == '\\' && i+1 < len(s):
			i++
			cur.WriteByte(s[i])
			inWord = true
		case c == ' ' || c == '\t':
			if inWord {
				out = append(out, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	if inWord {
		out = append(out, cur.String())
	}
	return out
}

func TestCommandLine(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		goos string
		exe  string
		file string
		want string
		// goSDK: aws-sdk-go-v2 on Windows runs the line as meant.
		goSDK bool
	}{
		{"hosted Windows runner", "windows", `D:\a\_temp\aws-oidc-go-native-AbC123\aws-oidc-go_windows_amd64.exe`, `C:\Users\runneradmin\.aws\aws-oidc-go-aws-oidc-go.json`,
			`D:\a\_temp\aws-oidc-go-native-AbC123\aws-oidc-go_windows_amd64.exe credential-process --config C:\Users\runneradmin\.aws\aws-oidc-go-aws-oidc-go.json`, true},
		{"a user name with a space", "windows", `D:\a\_temp\x\aws-oidc-go.exe`, `C:\Users\Jane Doe\.aws\aws-oidc-go-p.json`,
			`D:\a\_temp\x\aws-oidc-go.exe credential-process --config "C:\Users\Jane Doe\.aws\aws-oidc-go-p.json"`, false},
		{"Program Files (x86)", "windows", `C:\Program Files (x86)\runner\aws-oidc-go.exe`, `C:\r\s.json`,
			`"C:\Program Files (x86)\runner\aws-oidc-go.exe" credential-process --config C:\r\s.json`, false},
		{"cmd operators in a name", "windows", `C:\a&b\aws-oidc-go.exe`, `C:\x^y\s.json`,
			`"C:\a&b\aws-oidc-go.exe" credential-process --config "C:\x^y\s.json"`, false},
		{"a trailing backslash", "windows", `C:\t\aws-oidc-go.exe`, `C:\odd dir\`,
			`C:\t\aws-oidc-go.exe credential-process --config "C:\odd dir\\"`, false},
		{"forward slashes and a UNC path", "windows", `C:/t/aws-oidc-go.exe`, `\\server\share\s.json`,
			`C:/t/aws-oidc-go.exe credential-process --config \\server\share\s.json`, true},
		{"non-ASCII user", "windows", `D:\a\_temp\x\aws-oidc-go.exe`, `C:\Users\Jürgen\.aws\s.json`,
			`D:\a\_temp\x\aws-oidc-go.exe credential-process --config C:\Users\Jürgen\.aws\s.json`, true},
		{"linux", "linux", "/home/runner/work/_temp/aws-oidc-go-native-x/aws-oidc-go_linux_amd64", "/home/runner/.aws/aws-oidc-go-p.json",
			"/home/runner/work/_temp/aws-oidc-go-native-x/aws-oidc-go_linux_amd64 credential-process --config /home/runner/.aws/aws-oidc-go-p.json", false},
		{"macOS with a space and a quote", "darwin", "/Users/runner/a b/aws-oidc-go", "/Users/runner/it's/p.json",
			`'/Users/runner/a b/aws-oidc-go' credential-process --config '/Users/runner/it'\''s/p.json'`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := commandLine(tc.goos, tc.exe, "credential-process", "--config", tc.file)
			if got != tc.want {
				t.Errorf("commandLine = %s\nwant           %s", got, tc.want)
			}
			want := []string{tc.exe, "credential-process", "--config", tc.file}
			if tc.goos != "windows" {
				if diff := cmp.Diff(want, posixSplit(got)); diff != "" {
					t.Errorf("sh / shlex read it back differently (-want +got):\n%s", diff)
				}
				return
			}
			if diff := cmp.Diff(want, crtSplit(got)); diff != "" {
				t.Errorf("botocore's Windows splitter reads it back differently (-want +got):\n%s", diff)
			}
			argv, ok := viaGoSDK(got)
			if works := ok && cmp.Equal(want, argv); works != tc.goSDK {
				t.Errorf("aws-sdk-go-v2 (cmd.exe /C) runs it as meant: %t, want %t (argv %q)", works, tc.goSDK, argv)
			}
		})
	}
}

// TestReferenceSplitters pins the references to the documented examples,
// so that the quoting is not tested against a splitter that agrees with it
// by accident.
func TestReferenceSplitters(t *testing.T) {
	t.Parallel()
	// The C runtime's documented examples (Microsoft, "Parsing C++ command-line arguments").
	for line, want := range map[string][]string{
		`"abc" d e`:      {"abc", "d", "e"},
		`a\\b d"e f"g h`: {`a\\b`, "de fg", "h"},
		`a\\\"b c d`:     {`a\"b`, "c", "d"},
		`a\\\\"b c" d e`: {`a\\b c`, "d", "e"},
		// The runtime reads "" inside quotes as a literal quote (ab" c d);
		// botocore's splitter toggles twice and then finds no closing quote.
		`a"b"" c d`: nil,
	} {
		got := crtSplit(line)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("crtSplit(%s) (-want +got):\n%s", line, diff)
		}
	}
	if got := goEscapeArg(`C:\a b\c.exe x`); got != `"C:\a b\c.exe x"` {
		t.Errorf("goEscapeArg = %s", got)
	}
	if got := goEscapeArg(`"C:\a b\c.exe" x`); got != `"\"C:\a b\c.exe\" x"` {
		t.Errorf("goEscapeArg = %s", got)
	}
	if argv, ok := viaGoSDK(`C:\t\x.exe a b`); !ok || !cmp.Equal(argv, []string{`C:\t\x.exe`, "a", "b"}) {
		t.Errorf("viaGoSDK = %q %t", argv, ok)
	}
	if _, ok := viaGoSDK(`"C:\a b\x.exe" a`); ok {
		t.Error("viaGoSDK runs a quoted program name, which cmd.exe receives as \\\"C:\\a b\\x.exe\\\"")
	}
}

func TestOnHost(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		signal, executable string
		want               bool
	}{
		{"host", "/home/runner/work/_temp/aws-oidc-go-native-x/aws-oidc-go_linux_amd64", true},
		{"host", "/usr/local/bin/aws-oidc-go", true},
		{"host", `C:\a\aws-oidc-go_windows_amd64.exe`, true},
		{"host", "", true},
		{"", "/usr/local/bin/aws-oidc-go", false},
		{"container", "/usr/local/bin/aws-oidc-go", false},
		{"HOST", "/usr/local/bin/aws-oidc-go", false},
		{"host ", "/usr/local/bin/aws-oidc-go", false},
		// The container image's binary ignores the signal (a job-level env).
		{"host", ImageExecutable, false},
		{"", ImageExecutable, false},
	} {
		getenv := func(k string) string {
			if k == HostSignal {
				return c.signal
			}
			return ""
		}
		if got := onHost(getenv, c.executable); got != c.want {
			t.Errorf("onHost(%s=%q, executable %q) = %t, want %t", HostSignal, c.signal, c.executable, got, c.want)
		}
	}
	if m, err := noMounts(); err != nil || len(m) != 0 {
		t.Errorf("noMounts = %v, %v", m, err)
	}
}

// TestImageExecutable: the image puts the binary where onHost expects it.
func TestImageExecutable(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile(filepath.Join("..", "..", "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	want := `ENTRYPOINT ["` + ImageExecutable + `"]`
	if !strings.Contains(string(b), "\n"+want+"\n") {
		t.Errorf("the Dockerfile has no line %s: onHost's ImageExecutable is not the image's binary", want)
	}
}
