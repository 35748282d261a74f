package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/org/aws-oidc-go/internal/action"
	"github.com/org/aws-oidc-go/internal/lazyre"
)

// The formats --format prints the credentials in, and the
// credential-process command's.
const (
	formatEnv               = "env"                // shell exports
	formatJSON              = "json"               // one JSON object, with who the credentials are
	formatCredentialProcess = "credential-process" // the AWS credential_process JSON
)

// printCredentials writes what the main step got to w in format.
func printCredentials(w io.Writer, format string, res *action.Result) error {
	c, id := res.Credentials, res.Identity
	if c == nil || id == nil {
		// use-existing-credentials kept the ones in place. For eval, that
		// is nothing to do; a reader of JSON would get no object at all
		// (an SDK running credential_process fails on an empty answer).
		if format == formatEnv {
			return nil
		}
		return fmt.Errorf("use-existing-credentials kept the credentials already in the environment, so there is nothing new to print as %s; drop use-existing-credentials to print credentials", format)
	}
	exp := ""
	if !c.Expiration.IsZero() {
		exp = c.Expiration.UTC().Format(time.RFC3339)
	}
	switch format {
	case formatEnv:
		vars := [][2]string{
			{"AWS_ACCESS_KEY_ID", c.AccessKeyID}, {"AWS_SECRET_ACCESS_KEY", c.SecretAccessKey}, {"AWS_SESSION_TOKEN", c.SessionToken},
			{"AWS_REGION", res.Region}, {"AWS_DEFAULT_REGION", res.Region},
		}
		var b strings.Builder
		for _, kv := range vars {
			if kv[1] != "" {
				fmt.Fprintf(&b, "export %s=%s\n", kv[0], shellQuote(kv[1]))
			}
		}
		_, err := io.WriteString(w, b.String())
		return err
	case formatJSON:
		return json.NewEncoder(w).Encode(struct {
			AccessKeyID     string `json:"AccessKeyId"`
			SecretAccessKey string `json:"SecretAccessKey"`
			SessionToken    string `json:"SessionToken,omitempty"`
			Expiration      string `json:"Expiration,omitempty"`
			Region          string `json:"Region"`
			AccountID       string `json:"AccountId"`
			ARN             string `json:"Arn"`
		}{c.AccessKeyID, c.SecretAccessKey, c.SessionToken, exp, res.Region, id.Account, id.ARN})
	case formatCredentialProcess:
		return json.NewEncoder(w).Encode(struct {
			Version         int
			AccessKeyID     string `json:"AccessKeyId"`
			SecretAccessKey string
			SessionToken    string `json:",omitempty"`
			Expiration      string `json:",omitempty"`
		}{1, c.AccessKeyID, c.SecretAccessKey, c.SessionToken, exp})
	}
	return fmt.Errorf("unknown output format %q (want env, json or credential-process)", format)
}

var shellSafe = lazyre.New(`^[A-Za-z0-9_@%+=:,./-]+$`)

// shellQuote quotes s for POSIX sh (and Python's shlex), only when needed.
func shellQuote(s string) string {
	if shellSafe().MatchString(s) {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
