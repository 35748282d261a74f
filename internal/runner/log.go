package runner

import (
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// Log is the one path for everything the action prints. Inside Actions it
// writes plain lines and workflow commands; outside (a terminal, the
// credential_process of an SDK) it writes plain text only: no
// ::add-mask::, which would show the secret it means to hide.
//
// Every value interpolated into a line is rendered on one line (Visible),
// so no value — an input, an environment variable, a claim, an STS message
// — can begin a line, and no line we did not mean can begin with "::".
// Workflow commands additionally escape their data as the runner expects
// (% CR LF → %25 %0D %0A), so the runner shows exactly what we meant.
type Log struct {
	w        io.Writer
	workflow bool
}

// NewLog returns a Log on w; workflow says whether a runner reads it
// (GITHUB_ACTIONS=true).
func NewLog(w io.Writer, workflow bool) *Log { return &Log{w: w, workflow: workflow} }

// Workflow reports whether workflow commands are written.
func (l *Log) Workflow() bool { return l.workflow }

// Infof prints one plain line.
func (l *Log) Infof(format string, args ...any) {
	l.line(guard(sprintf(format, args...)))
}

// Warningf prints a warning annotation (off Actions: "warning: ...").
func (l *Log) Warningf(format string, args ...any) {
	l.command("warning", sprintf(format, args...))
}

// Errorf prints an error annotation (off Actions: "error: ...").
func (l *Log) Errorf(format string, args ...any) {
	l.command("error", sprintf(format, args...))
}

// ErrorLines prints one error annotation whose message is these lines
// (each rendered with Visible), so advice stays with its error.
func (l *Log) ErrorLines(lines ...string) {
	v := make([]string, len(lines))
	for i, s := range lines {
		v[i] = Visible(s)
	}
	l.command("error", strings.Join(v, "\n"))
}

// mask tells the runner to hide value from the log from now on; off
// Actions it prints nothing (Workflow.Mask is the entry point).
func (l *Log) mask(value string) {
	if l.workflow {
		l.line("::add-mask::" + EscapeData(value))
	}
}

// Raw prints a line the caller built from Visible values (guarded, so it
// cannot start a workflow command).
func (l *Log) Raw(line string) { l.line(guard(line)) }

// StopCommands stops the runner from processing workflow commands until
// ResumeCommands(token); nothing off Actions.
func (l *Log) StopCommands(token string) {
	if l.workflow {
		l.line("::stop-commands::" + token)
	}
}

// ResumeCommands resumes workflow commands stopped with token.
func (l *Log) ResumeCommands(token string) {
	if l.workflow {
		l.line("::" + token + "::")
	}
}

func (l *Log) command(name, msg string) {
	if !l.workflow {
		lines := strings.Split(msg, "\n")
		lines[0] = name + ": " + lines[0]
		for i := 1; i < len(lines); i++ {
			lines[i] = "  " + lines[i]
		}
		l.line(strings.Join(lines, "\n"))
		return
	}
	l.line("::" + name + "::" + EscapeData(msg))
}

func (l *Log) line(s string) { fmt.Fprintln(l.w, s) }

// sprintf formats with every argument rendered by Visible.
func sprintf(format string, args ...any) string {
	safe := make([]any, len(args))
	for i, a := range args {
		switch a.(type) {
		case int, int64, int32, uint, uint64, float64, bool:
			safe[i] = a
		default:
			safe[i] = Visible(fmt.Sprint(a))
		}
	}
	return fmt.Sprintf(format, safe...)
}

// guard keeps a line we print from acting as a workflow command: the
// runner trims leading white space and then looks for "::".
func guard(s string) string {
	lines := strings.Split(s, "\n")
	for i, ln := range lines {
		if strings.HasPrefix(strings.TrimLeft(ln, " \t\v\f\u00a0\ufeff"), "::") {
			lines[i] = "> " + ln
		}
	}
	return strings.Join(lines, "\n")
}

// Visible renders s on one line: CR, LF, other control characters and the
// Unicode line and paragraph separators are shown as escapes (\n, \r,
// \x1b, \u2028), and invalid UTF-8 as \xNN.
func Visible(s string) string {
	if !needsEscape(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r)
		case r == 0x85 || r == 0x2028 || r == 0x2029 || (r >= 0x80 && r < 0xa0):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteRune(r)
		}
		i += size
	}
	return b.String()
}

// Ellipsis ends a clipped text (Clip).
const Ellipsis = "…"

// Clip bounds outside text before it is shown: s itself when it is at most
// n bytes, else its longest prefix that ends between runes (an invalid
// byte counts as one) followed by Ellipsis, n bytes at the most in all.
// It is the one clip for text from outside (an answer's body, an API's
// message, an input quoted back); clip first, then Visible, so an escape
// is never cut in two. An n too small for the ellipsis clips without one.
func Clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	limit, tail := n-len(Ellipsis), Ellipsis
	if limit < 0 {
		limit, tail = max(n, 0), ""
	}
	i := 0
	for i < len(s) {
		_, size := utf8.DecodeRuneInString(s[i:])
		if i+size > limit {
			break
		}
		i += size
	}
	return s[:i] + tail
}

// Excerpt is outside text as it is shown: clipped to n bytes (Clip), then
// on one line (Visible).
func Excerpt(s string, n int) string { return Visible(Clip(s, n)) }

func needsEscape(s string) bool {
	for _, r := range s {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == 0x2028 || r == 0x2029 || r == utf8.RuneError {
			return true
		}
	}
	return false
}

// EscapeData escapes a workflow command's data as GitHub's toolkit does.
func EscapeData(s string) string {
	return dataEscaper.Replace(s)
}

// dataEscaper is EscapeData's replacer, built once: a Replacer is safe for
// concurrent use, and building one per call cost more than the replacing.
var dataEscaper = strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A")
