package harness

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// HostileLine is outside text built to break a log: workflow commands
// after every line break a reader might honour (CR, U+2028, NEL), C1
// controls (CSI), bytes that are not UTF-8, and then a run of three-byte
// runes long enough that a clip at 200 or at 500 bytes falls inside one.
// It holds no LF, so code that keeps only a body's first line keeps it all.
var HostileLine = "::add-mask::x\r::error::y\u2028::warning::z\u0085::notice::\u009b31m\xff\xfe  " + strings.Repeat("日", 400)

// CheckShown fails t unless msg shows HostileLine safely: valid UTF-8, no
// control character but LF (C0, DEL, C1), no U+2028/U+2029, no line that
// begins a workflow command, the invalid bytes shown (\xff), and, when
// clipped is set, clipped between runes (ends in "日…", no escaped piece of
// 日 = e6 97 a5).
func CheckShown(t testing.TB, msg string, clipped bool) {
	t.Helper()
	if !utf8.ValidString(msg) {
		t.Errorf("not valid UTF-8: %q", msg)
	}
	for _, r := range msg {
		if (r < 0x20 && r != '\n') || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == 0x2028 || r == 0x2029 {
			t.Errorf("holds %U: %q", r, msg)
			break
		}
	}
	for _, ln := range strings.Split(msg, "\n") {
		if strings.HasPrefix(strings.TrimSpace(ln), "::") {
			t.Errorf("a line begins a workflow command: %q", ln)
		}
	}
	if !strings.Contains(msg, `\xff`) {
		t.Errorf(`the invalid byte is not shown as \xff: %q`, msg)
	}
	if clipped && (!strings.Contains(msg, "日…") || strings.Contains(msg, `\xe6`) || strings.Contains(msg, `\x97`) || strings.Contains(msg, `\xa5`)) {
		t.Errorf("not clipped between runes with the ellipsis: %q", msg)
	}
}
