package export

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestAppendWritesAllOrNothing(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "set_env")
	os.WriteFile(path, []byte("EARLIER=1\n"), 0o644)
	var log bytes.Buffer
	w := New(&log, func(k string) string { return map[string]string{"GITHUB_ENV": path}[k] })

	if err := w.Append("GITHUB_ENV", []Var{{"A", "1"}, {"B", ""}, {"C", "x=y<<z"}}); err != nil {
		t.Fatal(err)
	}
	for _, bad := range [][]Var{
		{{"OK", "1"}, {"EVIL", "x\nAWS_ACCESS_KEY_ID=stolen"}},
		{{"OK", "1"}, {"CR", "x\ry"}},
		{{"NAME=X", "1"}},
		{{"N<<EOF", "1"}},
		{{"", "1"}},
	} {
		if err := w.Append("GITHUB_ENV", bad); err == nil {
			t.Errorf("Append(%q) accepted", bad)
		}
	}
	b, _ := os.ReadFile(path)
	if diff := cmp.Diff("EARLIER=1\nA=1\nB=\nC=x=y<<z\n", string(b)); diff != "" {
		t.Errorf("file (-want +got):\n%s", diff)
	}
}

func TestAppendWithoutFile(t *testing.T) {
	t.Parallel()
	w := New(&bytes.Buffer{}, func(string) string { return "" })
	if err := w.Append("GITHUB_OUTPUT", []Var{{"a", "b"}}); err == nil || !strings.Contains(err.Error(), "GITHUB_OUTPUT") {
		t.Errorf("err = %v", err)
	}
}

func TestMask(t *testing.T) {
	t.Parallel()
	var log bytes.Buffer
	w := New(&log, func(string) string { return "" })
	w.Mask("secret", "", "secret", "two\nlines", "%odd\r")
	want := "::add-mask::secret\n::add-mask::two\n::add-mask::lines\n::add-mask::%25odd\n"
	if diff := cmp.Diff(want, log.String()); diff != "" {
		t.Errorf("masks (-want +got):\n%s", diff)
	}
}

func TestOneLine(t *testing.T) {
	t.Parallel()
	if got := OneLine("a\r\n::error::x\ny"); got != "a ::error::x y" {
		t.Errorf("OneLine = %q", got)
	}
}

func BenchmarkAppend(b *testing.B) {
	path := filepath.Join(b.TempDir(), "set_env")
	w := New(&bytes.Buffer{}, func(string) string { return path })
	vars := []Var{{"AWS_REGION", "eu-west-1"}, {"AWS_DEFAULT_REGION", "eu-west-1"}, {"AWS_ACCESS_KEY_ID", "ASIAIOSFODNN7EXAMPLE"},
		{"AWS_SECRET_ACCESS_KEY", strings.Repeat("s", 40)}, {"AWS_SESSION_TOKEN", strings.Repeat("t", 700)}}
	b.ReportAllocs()
	for b.Loop() {
		if err := w.Append("GITHUB_ENV", vars); err != nil {
			b.Fatal(err)
		}
	}
}

func FuzzAppend(f *testing.F) {
	f.Add("NAME", "value")
	f.Add("X", "a\nY=b")
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, name, value string) {
		fh, err := os.CreateTemp(dir, "f")
		if err != nil {
			t.Fatal(err)
		}
		fh.Close()
		path := fh.Name()
		defer os.Remove(path)
		w := New(&bytes.Buffer{}, func(string) string { return path })
		if err := w.Append("GITHUB_ENV", []Var{{name, value}}); err != nil {
			return
		}
		b, _ := os.ReadFile(path)
		// Whatever was accepted is exactly one NAME=value line.
		if got := string(b); got != name+"="+value+"\n" || strings.Count(got, "\n") != 1 {
			t.Fatalf("wrote %q for %q=%q", got, name, value)
		}
	})
}
