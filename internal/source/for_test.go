package source

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/org/aws-oidc-go/internal/config"
	"github.com/org/aws-oidc-go/internal/exchange"
	"github.com/org/aws-oidc-go/internal/token"
)

// GitHub's tokens are reused across retries while fresh enough; a token
// file is read again for every attempt (projected tokens rotate in place).
func TestForReusesOnlyTheTokenServicesTokens(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	file := filepath.Join(dir, "token")
	if err := os.WriteFile(file, []byte("eyJhbGciOiJSUzI1NiJ9.e30.c2ln"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{token.EnvRequestURL: "https://token.example/_apis/token?api-version=2.0", token.EnvRequestToken: "rt", "GITHUB_WORKSPACE": dir}
	deps := Deps{
		Getenv:  func(k string) string { return env[k] },
		Retrier: func(int, string) exchange.Retrier { return exchange.Retrier{} },
		Mask:    func(...string) {}, Log: func(string, ...any) {}, Warn: func(string, ...any) {},
	}
	for _, tc := range []struct {
		cfg   config.Config
		reuse bool
	}{
		{config.Config{Mode: config.ModeOIDC, RoleARN: "arn:aws:iam::123456789012:role/r"}, true},
		{config.Config{Mode: config.ModeTokenFile, TokenFile: file, RoleARN: "arn:aws:iam::123456789012:role/r"}, false},
	} {
		src, err := For(&tc.cfg, deps)
		if err != nil {
			t.Fatalf("%s: %v", tc.cfg.Mode, err)
		}
		w, ok := src.(*WebIdentity)
		if !ok {
			t.Fatalf("%s: source %T", tc.cfg.Mode, src)
		}
		if w.Request.ReuseToken != tc.reuse {
			t.Errorf("%s: ReuseToken = %v, want %v", tc.cfg.Mode, w.Request.ReuseToken, tc.reuse)
		}
	}
}
