package cli

import (
	"strings"
)

// commandLine renders args as one credential_process line for what runs it
// on goos.
//
// Elsewhere than Windows every consumer splits the line as POSIX sh does
// (aws-sdk-go-v2 runs `sh -c LINE`, botocore uses shlex.split): each
// argument is single-quoted when it is not plainly safe.
//
// On Windows there are two consumers with different rules, and the line
// must satisfy both:
//   - botocore (the AWS CLI, boto3) splits it with the Microsoft C runtime
//     rules (space and tab separate, only double quotes group, backslashes
//     are literal except in a run that ends at a double quote) and starts
//     the program directly;
//   - aws-sdk-go-v2 starts `cmd.exe /C LINE`, where Go's own argument
//     escaping turns every double quote in LINE into \", which cmd.exe
//     does not understand: no argument can be quoted for it at all.
//
// So an argument made only of characters neither treats specially (letters,
// digits, and _@+=:,./\- and non-ASCII letters) is written bare, which
// both read back unchanged; any other is double-quoted by the C runtime
// rules (botocore, and node's cmd.exe /d /s /c, read it back; aws-sdk-go-v2
// cannot run such a line, which is why the files refresh points at live in
// directories whose paths need no quotes on hosted runners). Windows paths
// cannot contain double quotes; '%' is left as is (cmd.exe would expand
// %NAME% where NAME is a variable, botocore would not, and no quoting helps
// both).
func commandLine(goos string, args ...string) string {
	quoted := make([]string, len(args))
	for i, a := range args {
		if goos == "windows" {
			quoted[i] = windowsArg(a)
		} else {
			quoted[i] = shellQuote(a)
		}
	}
	return strings.Join(quoted, " ")
}

// windowsSafe reports whether a is read back unchanged, unquoted, by both
// the C runtime's splitter and cmd.exe.
func windowsSafe(a string) bool {
	if a == "" {
		return false
	}
	for _, r := range a {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r >= 0x80:
		case strings.ContainsRune(`_@+=:,./\-`, r):
		default:
			return false
		}
	}
	return true
}

// windowsArg quotes a by the Microsoft C runtime's rules: inside double
// quotes, a run of backslashes before a double quote (or the closing one)
// is doubled and the quote itself escaped.
func windowsArg(a string) string {
	if windowsSafe(a) {
		return a
	}
	var b strings.Builder
	b.WriteByte('"')
	slashes := 0
	for i := 0; i < len(a); i++ {
		c := a[i]
		switch c {
		case '\\':
			slashes++
		case '"':
			b.WriteString(strings.Repeat(`\`, slashes+1))
			slashes = 0
		default:
			slashes = 0
		}
		b.WriteByte(c)
	}
	b.WriteString(strings.Repeat(`\`, slashes))
	b.WriteByte('"')
	return b.String()
}
