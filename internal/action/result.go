package action

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/org/aws-oidc-go/internal/exchange"
	"github.com/org/aws-oidc-go/internal/handoff"
	"github.com/org/aws-oidc-go/internal/lazyre"
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

var shellSafe = lazyre.New(`^[A-Za-z0-9_@%+=:,./-]+$`)

// ShellQuote quotes s for POSIX sh (and Python's shlex), only when needed.
func ShellQuote(s string) string {
	if shellSafe().MatchString(s) {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// refreshExecutable returns the path later steps run for credential_process.
// Inside the action's container the binary is copied into the run's private
// directory, where the job's later steps can run it (container actions run
// on Linux runners only, on the image's architecture): created there
// exclusively, 0700, never through a link.
func (r *run) refreshExecutable(ho *handoff.Run) (string, error) {
	exe := r.env.Executable
	if exe == "" {
		return "", fmt.Errorf("refresh: cannot find this program's own path for credential_process")
	}
	if r.files == r.later && !r.inContainer {
		return handoff.CheckExecutable(exe, handoff.TrustedOwners(r.env.UID, r.env.Getenv("GITHUB_WORKSPACE")))
	}
	b, err := os.ReadFile(exe)
	if err != nil {
		return "", fmt.Errorf("refresh: copying the binary for the host: %w", err)
	}
	_, later, err := ho.CreateFile("aws-oidc-go", b, 0o700)
	if err != nil {
		return "", fmt.Errorf("refresh: copying the binary for the host: %w", err)
	}
	return later, nil
}
