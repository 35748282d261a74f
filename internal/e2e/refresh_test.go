package e2e

import (
	"bytes"
	"crypto/sha256"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/org/aws-oidc-go/internal/dev/harness"
	"github.com/org/aws-oidc-go/internal/filesafe"
)

// checkedCopy fails t unless exe is a copy of this binary in a run's
// private directory under dir: a regular 0700 file of this user's, byte for
// byte the binary built for these tests, in a 0700 directory.
func checkedCopy(t *testing.T, exe, dir string) {
	t.Helper()
	name := "aws-oidc-go"
	if runtime.GOOS == "windows" {
		name += ".exe" // cmd.exe /C runs a program by its extension
	}
	if m, _ := filepath.Match(filepath.Join(dir, "aws-oidc-go-run-*", name), exe); !m {
		t.Errorf("credential_process runs %s, want the copy in a run directory under %s", exe, dir)
		return
	}
	// Go's modes and owners say nothing on Windows: the directory's ACL
	// protects the copy there, and the bytes are what is checked.
	unix := runtime.GOOS != "windows"
	fi, err := os.Lstat(exe)
	if err != nil || !fi.Mode().IsRegular() || (unix && fi.Mode().Perm() != 0o700) {
		t.Errorf("credential_process runs %s (%v, %v), want a regular 0700 file", exe, fi, err)
		return
	}
	if unix && !filesafe.OwnedBy(fi, os.Geteuid()) {
		t.Errorf("%s is owned by %s, want uid %d", exe, filesafe.OwnerName(fi), os.Geteuid())
	}
	if di, err := os.Lstat(filepath.Dir(exe)); err != nil || !di.IsDir() || (unix && di.Mode().Perm() != 0o700) {
		t.Errorf("the copy's directory: %v, %v; want a 0700 directory", di, err)
	}
	if sum(t, exe) != sum(t, binary) {
		t.Errorf("%s is not byte for byte the binary that ran", exe)
	}
}

func sum(t *testing.T, p string) [32]byte {
	t.Helper()
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		t.Fatal(err)
	}
	return [32]byte(h.Sum(nil))
}

// installAt copies the test binary to path, mode perm (chmod, whatever the
// umask).
func installAt(t *testing.T, path string, perm os.FileMode) {
	t.Helper()
	b, err := os.ReadFile(binary)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, perm); err != nil {
		t.Fatal(err)
	}
}

// TestRefreshCopiesTheRunningImage (issue 23, item 3): `--refresh` from the
// CLI used to point credential_process at the path it was started from,
// unchecked. Started from a directory anyone can write, the profile runs a
// checked copy of the running image in the run's private directory, so
// replacing the file at the original path afterwards changes nothing the
// AWS CLI runs; a binary that is itself writable by others is refused,
// named, and nothing is written.
func TestRefreshCopiesTheRunningImage(t *testing.T) {
	t.Parallel()
	if runtime.GOOS != "linux" {
		t.Skip("the running image is read through /proc/self/exe")
	}
	harness.RequireTool(t, "aws")
	moto := harness.SharedMoto(t)
	gh := harness.NewTokenService()
	t.Cleanup(gh.Close) // after the parallel subtests
	role := []string{"--role-to-assume", "arn:aws:iam::123456789012:role/deploy", "--aws-region", "eu-west-1", "--refresh", "--role-session-name", "renewing"}

	t.Run("from a directory others can write: copied", func(t *testing.T) {
		t.Parallel()
		shared := filepath.Join(t.TempDir(), "shared")
		if err := os.Mkdir(shared, 0o777); err != nil {
			t.Fatal(err)
		}
		os.Chmod(shared, 0o777) // not sticky: anyone can replace what is in it
		exe := filepath.Join(shared, "aws-oidc-go")
		installAt(t, exe, 0o755)
		env := cliEnv(t, gh, moto.URL, true)
		cmd := exec.Command(exe, role...)
		cmd.Env = env
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("refresh from %s: %v\n%s", exe, err, harness.Redact(stderr.String()))
		}
		vars := envFileVars(t, env)
		cfg, _ := os.ReadFile(vars["AWS_CONFIG_FILE"])
		settingsFile(t, string(cfg), filepath.Dir(vars["AWS_CONFIG_FILE"])) // checks the copy
		if strings.Contains(string(cfg), shared) {
			t.Errorf("the config names the shared directory:\n%s", cfg)
		}
		// Someone replaces the file at the path the step was started from.
		marker := filepath.Join(t.TempDir(), "ran")
		os.Remove(exe)
		if err := os.WriteFile(exe, []byte("#!/bin/sh\ntouch '"+marker+"'\nexit 1\n"), 0o755); err != nil {
			t.Fatal(err)
		}
		next := exec.Command("aws", "sts", "get-caller-identity", "--query", "Arn", "--output", "text")
		next.Env = append(env, "AWS_PROFILE="+vars["AWS_PROFILE"], "AWS_CONFIG_FILE="+vars["AWS_CONFIG_FILE"])
		out, err := next.CombinedOutput()
		if err != nil || strings.TrimSpace(string(out)) != "arn:aws:sts::123456789012:assumed-role/deploy/renewing" {
			t.Errorf("aws through the profile: %v\n%s", err, out)
		}
		if _, err := os.Stat(marker); err == nil {
			t.Error("credential_process ran the file now at the path the step was started from")
		}
	})

	t.Run("a binary others can write: refused, named", func(t *testing.T) {
		t.Parallel()
		exe := filepath.Join(t.TempDir(), "aws-oidc-go")
		installAt(t, exe, 0o777)
		env := cliEnv(t, gh, moto.URL, true)
		cmd := exec.Command(exe, role...)
		cmd.Env = env
		var stderr, stdout bytes.Buffer
		cmd.Stderr, cmd.Stdout = &stderr, &stdout
		err := cmd.Run()
		log := stdout.String() + stderr.String()
		if err == nil {
			t.Fatalf("refresh with a binary anyone can write succeeded:\n%s", harness.Redact(log))
		}
		if !strings.Contains(log, exe) || !strings.Contains(log, "writable by group or others") {
			t.Errorf("the refusal does not name %s and why:\n%s", exe, harness.Redact(log))
		}
		var home string
		for _, kv := range env {
			if v, ok := strings.CutPrefix(kv, "HOME="); ok {
				home = v
			}
		}
		entries, _ := os.ReadDir(home)
		for _, e := range entries {
			if e.Name() == "config" || e.Name() == "credentials" || strings.HasPrefix(e.Name(), "aws-oidc-go-run-") {
				t.Errorf("%s left behind by a refused step", filepath.Join(home, e.Name()))
			}
		}
	})
}
