package action

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/org/aws-oidc-go/internal/exchange"
	"github.com/org/aws-oidc-go/internal/profile"
)

// printResult writes the credentials to Env.Result in Env.Format.
func (r *run) printResult(c *exchange.Credentials, id *exchange.Identity) error {
	w := r.env.Result
	if w == nil {
		w = io.Discard
	}
	exp := ""
	if !c.Expiration.IsZero() {
		exp = c.Expiration.UTC().Format(time.RFC3339)
	}
	switch r.env.Format {
	case FormatEnv:
		vars := [][2]string{
			{"AWS_ACCESS_KEY_ID", c.AccessKeyID}, {"AWS_SECRET_ACCESS_KEY", c.SecretAccessKey}, {"AWS_SESSION_TOKEN", c.SessionToken},
			{"AWS_REGION", r.cfg.Region}, {"AWS_DEFAULT_REGION", r.cfg.Region},
		}
		var b strings.Builder
		for _, kv := range vars {
			if kv[1] != "" {
				fmt.Fprintf(&b, "export %s=%s\n", kv[0], ShellQuote(kv[1]))
			}
		}
		_, err := io.WriteString(w, b.String())
		return err
	case FormatJSON:
		return json.NewEncoder(w).Encode(struct {
			AccessKeyID     string `json:"AccessKeyId"`
			SecretAccessKey string `json:"SecretAccessKey"`
			SessionToken    string `json:"SessionToken,omitempty"`
			Expiration      string `json:"Expiration,omitempty"`
			Region          string `json:"Region"`
			AccountID       string `json:"AccountId"`
			ARN             string `json:"Arn"`
		}{c.AccessKeyID, c.SecretAccessKey, c.SessionToken, exp, r.cfg.Region, id.Account, id.ARN})
	case FormatCredentialProcess:
		return json.NewEncoder(w).Encode(struct {
			Version         int
			AccessKeyID     string `json:"AccessKeyId"`
			SecretAccessKey string
			SessionToken    string `json:",omitempty"`
			Expiration      string `json:",omitempty"`
		}{1, c.AccessKeyID, c.SecretAccessKey, c.SessionToken, exp})
	}
	return fmt.Errorf("unknown output format %q (want env, json or credential-process)", r.env.Format)
}

var shellSafe = regexp.MustCompile(`^[A-Za-z0-9_@%+=:,./-]+$`)

// ShellQuote quotes s for POSIX sh (and Python's shlex), only when needed.
func ShellQuote(s string) string {
	if shellSafe.MatchString(s) {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// refreshExecutable returns the path later steps run for credential_process.
// Inside the action's container the binary is copied next to the profile,
// where the job's later steps can run it (container actions run on Linux
// runners only, on the image's architecture).
func (r *run) refreshExecutable(files, hostFiles profile.Files, owner *profile.Owner) (string, []profile.Written, error) {
	exe := r.env.Executable
	if exe == "" {
		return "", nil, fmt.Errorf("refresh: cannot find this program's own path for credential_process")
	}
	if files == hostFiles && !r.inContainer {
		return exe, nil, nil
	}
	dst := filepath.Join(filepath.Dir(files.Config), "bin", "aws-oidc-go")
	if err := copyExecutable(exe, dst, owner); err != nil {
		return "", nil, fmt.Errorf("refresh: copying the binary for the host: %w", err)
	}
	host := filepath.Join(filepath.Dir(hostFiles.Config), "bin", "aws-oidc-go")
	return host, []profile.Written{{Path: dst, Created: true}}, nil
}

func copyExecutable(src, dst string, owner *profile.Owner) error {
	b, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	for _, dir := range []string{filepath.Dir(filepath.Dir(dst)), filepath.Dir(dst)} {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return err
		}
		if owner != nil {
			if err := os.Chown(dir, owner.UID, owner.GID); err != nil {
				return err
			}
		}
	}
	if err := os.WriteFile(dst, b, 0o700); err != nil {
		return err
	}
	if owner != nil {
		return os.Chown(dst, owner.UID, owner.GID)
	}
	return nil
}
