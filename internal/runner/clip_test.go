package runner

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// TestClip: Clip never cuts inside a rune, ends a clipped text with the one
// Ellipsis, and never returns more than n bytes.
func TestClip(t *testing.T) {
	for _, c := range []struct {
		in   string
		n    int
		want string
	}{
		{"short", 10, "short"},
		{"exactly10!", 10, "exactly10!"},
		{"abcdefghijk", 10, "abcdefg…"},
		// é is 2 bytes: a cut at byte 7 would fall inside the second é.
		{"abcdéé" + "xyz", 9, "abcdé…"},
		// 日 is 3 bytes, 🙂 4: the cut falls one, two and three bytes
		// into a rune.
		{"日日日日", 10, "日日…"},
		{"日日日日", 11, "日日…"},
		{"ab🙂🙂x", 8, "ab…"},
		{"ab🙂🙂x", 9, "ab🙂…"},
		{"ab🙂🙂x", 10, "ab🙂…"},
		// An invalid byte counts as a rune of its own.
		{"ab\xff\xfecdefgh", 7, "ab\xff\xfe…"},
		// Too small for the ellipsis: clipped between runes, no ellipsis.
		{"日本", 2, ""},
		{"ab日", 2, "ab"},
		{"abc", 0, ""},
	} {
		got := Clip(c.in, c.n)
		if got != c.want {
			t.Errorf("Clip(%q, %d) = %q, want %q", c.in, c.n, got, c.want)
		}
		if len(got) > c.n && got != c.in {
			t.Errorf("Clip(%q, %d) is %d bytes", c.in, c.n, len(got))
		}
		if utf8.ValidString(c.in) && !utf8.ValidString(got) {
			t.Errorf("Clip(%q, %d) = %q cuts inside a rune", c.in, c.n, got)
		}
	}
}

// TestClipEveryBoundary: for every n, over text mixing one- to four-byte
// runes, the clip is valid UTF-8, at most n bytes, and a prefix of the text
// plus the ellipsis.
func TestClipEveryBoundary(t *testing.T) {
	s := strings.Repeat("aé日🙂", 20)
	for n := 0; n <= len(s)+1; n++ {
		got := Clip(s, n)
		if !utf8.ValidString(got) || len(got) > max(n, 0) {
			t.Fatalf("Clip(s, %d) = %q (%d bytes)", n, got, len(got))
		}
		if got != s && n >= len(Ellipsis) && (!strings.HasSuffix(got, Ellipsis) || !strings.HasPrefix(s, strings.TrimSuffix(got, Ellipsis))) {
			t.Fatalf("Clip(s, %d) = %q: not a prefix and the ellipsis", n, got)
		}
	}
}
