package cli

import (
	"strings"
	"testing"
	"time"

	"github.com/org/aws-oidc-go/internal/action"
	"github.com/org/aws-oidc-go/internal/exchange"
)

// TestPrintCredentials: what the main step returned, printed in each
// format; values a shell would split are quoted, and a run that got no
// new credentials (use-existing-credentials) prints nothing for eval and
// fails as JSON, where a reader wants an object.
func TestPrintCredentials(t *testing.T) {
	t.Parallel()
	res := &action.Result{
		Credentials: &exchange.Credentials{AccessKeyID: "ASIAEXAMPLE", SecretAccessKey: "se'cret", SessionToken: "tok",
			Expiration: time.Date(2026, 12, 7, 20, 0, 0, 0, time.UTC)},
		Identity: &exchange.Identity{Account: "123456789012", ARN: "arn:aws:sts::123456789012:assumed-role/deploy/s"},
		Region:   "eu-west-1",
	}
	for _, tc := range []struct{ format, want string }{
		{formatEnv, "export AWS_ACCESS_KEY_ID=ASIAEXAMPLE\nexport AWS_SECRET_ACCESS_KEY='se'\\''cret'\nexport AWS_SESSION_TOKEN=tok\nexport AWS_REGION=eu-west-1\nexport AWS_DEFAULT_REGION=eu-west-1\n"},
		{formatJSON, `{"AccessKeyId":"ASIAEXAMPLE","SecretAccessKey":"se'cret","SessionToken":"tok","Expiration":"2026-12-07T20:00:00Z","Region":"eu-west-1","AccountId":"123456789012","Arn":"arn:aws:sts::123456789012:assumed-role/deploy/s"}` + "\n"},
		{formatCredentialProcess, `{"Version":1,"AccessKeyId":"ASIAEXAMPLE","SecretAccessKey":"se'cret","SessionToken":"tok","Expiration":"2026-12-07T20:00:00Z"}` + "\n"},
	} {
		var b strings.Builder
		if err := printCredentials(&b, tc.format, res); err != nil || b.String() != tc.want {
			t.Errorf("%s: %v\ngot  %q\nwant %q", tc.format, err, b.String(), tc.want)
		}
	}
	var b strings.Builder
	if err := printCredentials(&b, formatEnv, &action.Result{Identity: res.Identity}); err != nil || b.Len() > 0 {
		t.Errorf("no credentials: err %v, printed %q", err, b.String())
	}
	for _, format := range []string{formatJSON, formatCredentialProcess} {
		b.Reset()
		if err := printCredentials(&b, format, &action.Result{Identity: res.Identity}); err == nil ||
			!strings.Contains(err.Error(), "use-existing-credentials") || b.Len() > 0 {
			t.Errorf("%s, no credentials: err %v, printed %q; want an error naming use-existing-credentials", format, err, b.String())
		}
	}
	if err := printCredentials(&b, "yaml", res); err == nil || !strings.Contains(err.Error(), `"yaml"`) {
		t.Errorf("unknown format: %v", err)
	}
}
