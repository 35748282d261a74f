package main

import (
	"bytes"
	"context"
	"errors"
	"regexp"
	"strings"
	"testing"

	"github.com/org/aws-oidc-go/internal/dev/harness"
)

// TestDemoMasksSecrets: the demo's listings say secrets are shown as ***,
// and they are, in GITHUB_ENV and GITHUB_OUTPUT alike, although the step
// runs off a runner (no ::add-mask:: lines to go by). Before, the secret
// key and session token were printed in full.
func TestDemoMasksSecrets(t *testing.T) {
	var out bytes.Buffer
	err := run(context.Background(), &out, []string{"INPUT_OUTPUT-CREDENTIALS=true"})
	if errors.Is(err, harness.ErrNoMoto) {
		harness.Require(t, err)
	}
	if err != nil {
		t.Fatalf("demo: %v\n%s", err, out.String())
	}
	got := map[string]string{}
	for _, line := range strings.Split(out.String(), "\n") {
		if k, v, ok := strings.Cut(strings.TrimSpace(line), "="); ok {
			got[k] = v
		}
	}
	for _, name := range []string{"AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "aws-secret-access-key", "aws-session-token"} {
		if v, ok := got[name]; !ok || v != "***" {
			t.Errorf("%s: shown as %d characters, want ***", name, len(v))
		}
	}
	// What is not secret is shown.
	if !regexp.MustCompile(`^(AKIA|ASIA)[A-Z0-9]{16}$`).MatchString(got["AWS_ACCESS_KEY_ID"]) || got["aws-account-id"] != "123456789012" {
		t.Errorf("the key id or the account id is not shown:\n%s", harness.RedactValues(out.String(), []string{got["AWS_SECRET_ACCESS_KEY"], got["AWS_SESSION_TOKEN"]}))
	}
	// Nothing shaped like a secret key, session token or JWT anywhere.
	if long := regexp.MustCompile(`[A-Za-z0-9/+=_.-]{40,}`).FindAllString(out.String(), -1); len(long) > 0 {
		t.Errorf("%d secret-shaped values printed", len(long))
	}
}
