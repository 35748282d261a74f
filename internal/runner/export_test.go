package runner

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestAppendWritesAllOrNothing(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "set_env")
	os.WriteFile(path, []byte("EARLIER=1\n"), 0o644)
	var log bytes.Buffer
	w := New(&log, func(k string) string { return map[string]string{"GITHUB_ENV": path}[k] }, true)

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
	w := New(&bytes.Buffer{}, func(string) string { return "" }, true)
	if err := w.Append("GITHUB_OUTPUT", []Var{{"a", "b"}}); err == nil || !strings.Contains(err.Error(), "GITHUB_OUTPUT") {
		t.Errorf("err = %v", err)
	}
}

func TestMask(t *testing.T) {
	t.Parallel()
	var log bytes.Buffer
	w := New(&log, func(string) string { return "" }, true)
	w.Mask("secret", "", "secret", "two\nlines", "%odd\r")
	want := "::add-mask::secret\n::add-mask::two\n::add-mask::lines\n::add-mask::%25odd\n"
	if diff := cmp.Diff(want, log.String()); diff != "" {
		t.Errorf("masks (-want +got):\n%s", diff)
	}
}

func TestMaskOffActionsPrintsNothing(t *testing.T) {
	t.Parallel()
	var log bytes.Buffer
	w := New(&log, func(string) string { return "" }, false)
	w.Mask("secret")
	w.Log().Warningf("careful: %s", "x")
	w.Log().ErrorLines("failed", "do this")
	want := "warning: careful: x\nerror: failed\n  do this\n"
	if diff := cmp.Diff(want, log.String()); diff != "" {
		t.Errorf("off Actions (-want +got):\n%s", diff)
	}
}

func TestTxRollbackRestoresEveryFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	files := map[string]string{"GITHUB_STATE": filepath.Join(dir, "state"), "GITHUB_OUTPUT": filepath.Join(dir, "out"), "GITHUB_ENV": filepath.Join(dir, "env")}
	os.WriteFile(files["GITHUB_STATE"], []byte("before=1\n"), 0o644)
	os.WriteFile(files["GITHUB_OUTPUT"], nil, 0o644)
	os.Mkdir(files["GITHUB_ENV"], 0o755) // unwritable: a directory
	w := New(&bytes.Buffer{}, func(k string) string { return files[k] }, true)
	tx := w.Begin()
	if err := tx.Append("GITHUB_STATE", []Var{{"cleanup", "{}"}}); err != nil {
		t.Fatal(err)
	}
	if err := tx.Append("GITHUB_OUTPUT", []Var{{"aws-access-key-id", "ASIAIOSFODNN7EXAMPLE"}}); err != nil {
		t.Fatal(err)
	}
	if err := tx.Append("GITHUB_ENV", []Var{{"A", "1"}}); err == nil {
		t.Fatal("append to a directory succeeded")
	}
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	for env, want := range map[string]string{"GITHUB_STATE": "before=1\n", "GITHUB_OUTPUT": ""} {
		b, _ := os.ReadFile(files[env])
		if string(b) != want {
			t.Errorf("%s after rollback = %q, want %q", env, b, want)
		}
	}
}

// TestShortWriteLeavesNothing: on a full device nothing of the value may
// stay behind (a cut secret is a prefix the runner would not mask).
func TestShortWriteLeavesNothing(t *testing.T) {
	t.Parallel()
	if _, err := os.Stat("/dev/full"); err != nil {
		t.Skip("no /dev/full on this system")
	}
	w := New(&bytes.Buffer{}, func(string) string { return "/dev/full" }, true)
	err := w.Append("GITHUB_ENV", []Var{{"AWS_SECRET_ACCESS_KEY", strings.Repeat("s", 40)}})
	if err == nil {
		t.Fatal("a write to /dev/full succeeded")
	}
}

func TestVisible(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"plain":              "plain",
		"a\r\n::error::x\ny": `a\r\n::error::x\ny`,
		"tab\tbell\a":        `tab\tbell\x07`,
		"line\u2028sep":      `line\u2028sep`,
		"bad\xffutf8":        `bad\xffutf8`,
		"naïve":              "naïve",
	} {
		if got := Visible(in); got != want {
			t.Errorf("Visible(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzLog: whatever a value holds — an input, an environment value, a
// reply — no line the log prints starts a workflow command we did not
// mean, and the data of the commands we do emit decodes back to exactly
// the value given.
func FuzzLog(f *testing.F) {
	f.Add("127.0.0.1\n::stop-commands::x")
	f.Add("::add-mask::")
	f.Add("%0A::error::x")
	f.Add("a\r\nb\u2028c")
	f.Add(" \t::warning::x")
	f.Fuzz(func(t *testing.T, v string) {
		var out bytes.Buffer
		w := New(&out, func(string) string { return "" }, true)
		w.Log().Infof("Using %s", v)
		w.Log().Infof("%s", v)
		w.Log().Warningf("%s", v)
		w.Log().ErrorLines(v, "advice")
		w.Mask(v)
		var masks []string
		for _, line := range strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n") {
			trimmed := strings.TrimLeft(line, " \t\v\f\u00a0\ufeff")
			switch {
			case strings.HasPrefix(line, "::add-mask::"):
				masks = append(masks, unescapeData(strings.TrimPrefix(line, "::add-mask::")))
			case strings.HasPrefix(line, "::warning::"):
				if got := unescapeData(strings.TrimPrefix(line, "::warning::")); got != Visible(v) {
					t.Fatalf("warning data decodes to %q, want %q", got, Visible(v))
				}
			case strings.HasPrefix(line, "::error::"):
				if got := unescapeData(strings.TrimPrefix(line, "::error::")); got != Visible(v)+"\nadvice" {
					t.Fatalf("error data decodes to %q", got)
				}
			case strings.HasPrefix(trimmed, "::"):
				t.Fatalf("line %q starts a workflow command nobody meant", line)
			}
		}
		var want []string
		for _, l := range strings.Split(v, "\n") {
			l = strings.TrimRight(l, "\r")
			if strings.TrimSpace(l) != "" && !slices.Contains(want, l) {
				want = append(want, l)
			}
		}
		if strings.Join(want, "\x00") != strings.Join(masks, "\x00") {
			t.Fatalf("masks = %q, want %q", masks, want)
		}
	})
}

func BenchmarkAppend(b *testing.B) {
	path := filepath.Join(b.TempDir(), "set_env")
	w := New(&bytes.Buffer{}, func(string) string { return path }, true)
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
		w := New(&bytes.Buffer{}, func(string) string { return path }, true)
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

// unescapeData decodes command data by the toolkit's rules.
func unescapeData(s string) string {
	return strings.NewReplacer("%0D", "\r", "%0A", "\n", "%25", "%").Replace(s)
}
