package profile

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/org/aws-oidc-go/internal/dev/harness"
)

// breakers are the characters that end a line for some reader of the AWS
// files (Go's, Python's file iteration, Python's str.splitlines) or are
// controls nobody should find in a value, and bytes that are not UTF-8.
var breakers = map[string]string{
	"LF": "\n", "CR": "\r", "CRLF": "\r\n", "NUL": "\x00", "tab": "\t", "VT": "\v", "FF": "\f",
	"FS": "\x1c", "GS": "\x1d", "RS": "\x1e", "US": "\x1f", "ESC": "\x1b", "DEL": "\x7f",
	"NEL": "\u0085", "C1 CSI": "\u009b", "C1 APC": "\u009f", "LS": "\u2028", "PS": "\u2029",
	"invalid UTF-8": "\xff", "truncated UTF-8": "\xe2\x80",
}

// injected is what an attacker appends after the breaker: a section of
// their own whose credential_process the AWS CLI would run.
const injected = "[profile evil]%scredential_process = /bin/sh -c 'touch /tmp/pwned'"

func withField(e Entry, field, v string) Entry {
	switch field {
	case "the profile name":
		e.Name = v
	case "region":
		e.Region = v
	case "aws_access_key_id":
		e.AccessKeyID = v
	case "aws_secret_access_key":
		e.SecretAccessKey = v
	case "aws_session_token":
		e.SessionToken = v
	case "credential_process":
		e.CredentialProcess = v
	}
	return e
}

// snapshot is every file in dir with its bytes ("" for a directory that
// does not exist).
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return out
	}
	for _, e := range entries {
		b, _ := os.ReadFile(filepath.Join(dir, e.Name()))
		out[e.Name()] = string(b)
	}
	return out
}

// TestLineBreaksNeverReachTheFiles (issue 23, item 4): every value and the
// profile name, with every character that ends a line for some reader, and
// [ or ] in the name: Write refuses before anything is written (the user's
// files byte-identical, no lock file, no directory created), names the
// field and never prints the value.
func TestLineBreaksNeverReachTheFiles(t *testing.T) {
	t.Parallel()
	const userCred = "[user]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\n"
	const userCfg = "[profile user]\nregion = us-east-1\n"
	fields := []string{"the profile name", "region", "aws_access_key_id", "aws_secret_access_key", "aws_session_token", "credential_process"}
	type tc struct{ field, name, value string }
	var cases []tc
	for _, field := range fields {
		for bname, b := range breakers {
			cases = append(cases, tc{field, bname, "ok" + b + strings.ReplaceAll(injected, "%s", b)})
			cases = append(cases, tc{field, bname + " alone", b})
		}
	}
	for _, v := range []string{"ci]", "[ci", "ci] [profile evil", "a]b"} {
		cases = append(cases, tc{"the profile name", v, v})
	}
	cases = append(cases, tc{"the profile name", "empty", ""})
	for _, c := range cases {
		t.Run(c.field+"/"+c.name, func(t *testing.T) {
			t.Parallel()
			f := files(t, userCred, userCfg)
			missing := Files{Credentials: filepath.Join(t.TempDir(), "no", ".aws", "credentials")}
			missing.Config = filepath.Join(filepath.Dir(missing.Credentials), "config")
			e := entry
			if c.field == "credential_process" {
				e = Entry{Name: "ci", Region: "eu-west-1", CredentialProcess: "/usr/bin/aws-oidc-go credential-process"}
			}
			e = withField(e, c.field, c.value)
			for _, target := range []Files{f, missing} {
				before := snapshot(t, filepath.Dir(target.Config))
				_, err := Write(ctx, target, e, Options{Overwrite: true, StashDir: t.TempDir()})
				var uv *UnsafeValueError
				if !errors.As(err, &uv) || uv.Field != c.field {
					t.Fatalf("Write: %v, want an UnsafeValueError naming %s", err, c.field)
				}
				if c.value != "" && len(c.value) > 2 && strings.Contains(err.Error(), c.value) {
					t.Errorf("the error prints the value: %v", err)
				}
				if after := snapshot(t, filepath.Dir(target.Config)); !maps(before, after) {
					t.Errorf("the directory changed: %q → %q", before, after)
				}
			}
			if _, err := os.Lstat(filepath.Dir(filepath.Dir(missing.Config))); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("a refused write created %s", filepath.Dir(missing.Config))
			}
		})
	}
}

func maps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// TestPrintableValuesAreWritten: what CheckEntry lets through is written,
// and U+FFFD, non-ASCII letters and quotes are not mistaken for breakers.
func TestPrintableValuesAreWritten(t *testing.T) {
	t.Parallel()
	f := files(t, "", "")
	e := Entry{Name: "ci", Region: "eu-west-1", CredentialProcess: `/home/zoë/bin/aws-oidc-go credential-process --config '/tmp/a b/#;"\u�'`}
	if _, err := Write(ctx, f, e, Options{}); err != nil {
		t.Fatal(err)
	}
	if got := read(t, f.Config); got != "[profile ci]\nregion = eu-west-1\ncredential_process = "+e.CredentialProcess+"\n" {
		t.Errorf("config = %q", got)
	}
}

// TestInjectedSectionWithTheAWSCLI (issue 23, item 4): a credential_process
// value carrying a directory name with a line break, as a path under an
// AWS_CONFIG_FILE of the attacker's choosing would, read back by the real
// AWS CLI: the section it would inject is never written, and the CLI sees
// the user's profiles and nothing else.
func TestInjectedSectionWithTheAWSCLI(t *testing.T) {
	t.Parallel()
	aws := harness.RequireTool(t, "aws")
	for _, b := range []string{"\n", "\r", "\r\n"} {
		t.Run(strings.NewReplacer("\r", "CR", "\n", "LF").Replace(b), func(t *testing.T) {
			t.Parallel()
			const userCfg = "[profile user]\nregion = us-east-1\n"
			f := files(t, "", userCfg)
			dir := "/home/runner/x" + b + strings.ReplaceAll(injected, "%s", b) + b + "#/aws-oidc-go-run-1"
			e := Entry{Name: "ci", Region: "eu-west-1", CredentialProcess: "/usr/bin/aws-oidc-go credential-process --config " + dir + "/renewal.json"}
			_, err := Write(ctx, f, e, Options{})
			var uv *UnsafeValueError
			if !errors.As(err, &uv) {
				t.Errorf("Write: %v, want an UnsafeValueError", err)
			}
			if got := read(t, f.Config); got != userCfg {
				t.Errorf("config = %q, want it as it was", got)
			}
			env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(), "AWS_CONFIG_FILE=" + f.Config, "AWS_SHARED_CREDENTIALS_FILE=" + f.Credentials}
			get := func(key, profile string) (string, error) {
				cmd := exec.Command(aws, "configure", "get", key, "--profile", profile)
				cmd.Env = env
				out, err := cmd.Output()
				return strings.TrimSpace(string(out)), err
			}
			if got, err := get("region", "user"); err != nil || got != "us-east-1" {
				t.Fatalf("the AWS CLI reads the user's region as %q (%v), want us-east-1", got, err)
			}
			if got, err := get("credential_process", "evil"); err == nil || got != "" {
				t.Errorf("the AWS CLI reads an injected profile evil with credential_process %q", got)
			}
		})
	}
}
