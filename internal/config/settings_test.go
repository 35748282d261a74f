package config

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/org/aws-oidc-go/internal/inputs"
)

// TestSettingsRoundTripIsExact: the renewal settings are written from a
// Config and read back into one; what credential-process runs with is
// exactly the main step's Renewal, for every value the inputs accept.
func TestSettingsRoundTripIsExact(t *testing.T) {
	t.Parallel()
	base := map[string]string{inputs.RoleToAssume: "arn:aws:iam::123456789012:role/deploy", inputs.AWSRegion: "eu-west-1"}
	for name, extra := range map[string]map[string]string{
		"defaults": {},
		"everything": {
			inputs.Audience: "my-aud", inputs.RoleSessionName: "s@x=1,y.z-", inputs.RoleDurationSeconds: "7200",
			inputs.InlineSessionPolicy:    "{ \"Version\": \"2012-10-17\", \"Statement\": [{\"Sid\": \"a`b'c\\\"d$(x)\", \"Effect\": \"Allow\", \"Action\": \"s3:*\", \"Resource\": \"*\"}] }",
			inputs.ManagedSessionPolicies: "arn:aws:iam::aws:policy/ReadOnlyAccess\narn:aws:iam::123456789012:policy/p/x",
			inputs.STSEndpoint:            "https://sts.eu-west-1.amazonaws.com", inputs.RetryMaxAttempts: "3",
			inputs.HTTPProxy: "http://ci:s3cr%60t'pw$(x)@proxy.example:3128", inputs.NoProxy: "127.0.0.1,.internal",
			inputs.AllowedAccountIDs: "123456789012, 210987654321",
		},
		"token file": {inputs.WebIdentityTokenFile: "/var/run/secrets/token", inputs.DisableRetry: "true"},
		"china":      {inputs.RoleToAssume: "arn:aws-cn:iam::123456789012:role/r", inputs.AWSRegion: "cn-north-1"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			in := map[string]string{}
			for k, v := range base {
				in[k] = v
			}
			for k, v := range extra {
				in[k] = v
			}
			c, err := Load(func(n string) string { return in[n] })
			if err != nil {
				t.Fatal(err)
			}
			b, err := MarshalSettings(c)
			if err != nil {
				t.Fatal(err)
			}
			got, err := ReadSettings(b)
			if err != nil {
				t.Fatalf("ReadSettings(%s): %v", b, err)
			}
			if diff := cmp.Diff(c.Renewal(), *got); diff != "" {
				t.Errorf("round trip (-want +got):\n%s", diff)
			}
			again, _ := MarshalSettings(got)
			if string(again) != string(b) {
				t.Errorf("written again differently:\n%s\n%s", b, again)
			}
		})
	}
}

func TestSettingsRefused(t *testing.T) {
	t.Parallel()
	c, err := Load(func(n string) string {
		return map[string]string{inputs.AWSAccessKeyID: "AKIAIOSFODNN7EXAMPLE", inputs.AWSSecretAccessKey: "x", inputs.AWSRegion: "eu-west-1"}[n]
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := MarshalSettings(c); err == nil {
		t.Error("static keys written as renewal settings")
	}
	for name, body := range map[string]string{
		"unknown field":  `{"v":1,"role-to-asume":"x"}`,
		"other version":  `{"v":2,"role-to-assume":"arn:aws:iam::123456789012:role/r","aws-region":"eu-west-1"}`,
		"not an object":  `[]`,
		"trailing":       `{"v":1} {}`,
		"invalid role":   `{"v":1,"role-to-assume":"x","aws-region":"eu-west-1","role-session-name":"ab","role-duration-seconds":3600,"retry-max-attempts":1}`,
		"both sources":   `{"v":1,"role-to-assume":"arn:aws:iam::123456789012:role/r","aws-region":"eu-west-1","audience":"a","web-identity-token-file":"/t","role-session-name":"ab","role-duration-seconds":3600,"retry-max-attempts":1}`,
		"policy newline": `{"v":1,"role-to-assume":"arn:aws:iam::123456789012:role/r","aws-region":"eu-west-1","role-session-name":"ab","role-duration-seconds":3600,"retry-max-attempts":1,"managed-session-policies":["arn:aws:iam::aws:policy/A\narn:aws:iam::aws:policy/B"]}`,
		"region newline": `{"v":1,"role-to-assume":"arn:aws:iam::123456789012:role/r","aws-region":"eu-west-1\n","role-session-name":"ab","role-duration-seconds":3600,"retry-max-attempts":1}`,
	} {
		if _, err := ReadSettings([]byte(body)); err == nil {
			t.Errorf("%s: accepted", name)
		} else if strings.Contains(err.Error(), "\n") && !strings.Contains(name, "newline") {
			t.Logf("%s: %v", name, err)
		}
	}
}
