package diagnose

import (
	"strings"
	"testing"

	"github.com/aws/smithy-go"

	"github.com/org/aws-oidc-go/internal/config"
	"github.com/org/aws-oidc-go/internal/token"
)

// TestExpiredTokenAdvice: a persistent ExpiredTokenException is not the
// runner's clock (GitHub sets exp, STS checks it): the advice says so,
// says the action fetches a fresh token after STS calls one expired, and
// names what is left — the token service's clock, a token held too long
// (for a token file: written too long before the step).
func TestExpiredTokenAdvice(t *testing.T) {
	t.Parallel()
	err := &smithy.GenericAPIError{Code: "ExpiredTokenException", Message: "Token expired: current date/time 1700000000 must be before the expiration date/time 1699999000"}
	for _, tc := range []struct {
		name string
		c    Context
		want []string
	}{
		{"github", Context{Mode: config.ModeOIDC, Claims: &token.Claims{IssuedAt: 1699998700, ExpiresAt: 1699999000}},
			[]string{"this runner's clock plays no part", "asks GitHub for a fresh one", "token service's clock", "issued for 5m0s (exp - iat)"}},
		{"token file", Context{Mode: config.ModeTokenFile},
			[]string{"this runner's clock plays no part", "read again for each attempt", "written too long before this step"}},
		{"hostile claims", Context{Mode: config.ModeOIDC, Claims: &token.Claims{IssuedAt: 1, ExpiresAt: 1 << 62}},
			[]string{"this runner's clock plays no part"}},
	} {
		advice := strings.Join(Diagnose(err, tc.c).Advice, "\n")
		for _, w := range tc.want {
			if !strings.Contains(advice, w) {
				t.Errorf("%s: advice lacks %q:\n%s", tc.name, w, advice)
			}
		}
		if strings.Contains(advice, "points at the runner's clock") || (tc.name == "hostile claims" && strings.Contains(advice, "issued for")) {
			t.Errorf("%s: advice:\n%s", tc.name, advice)
		}
	}
}
