package config

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func lookup(m map[string]string) Lookup {
	return func(name string) string { return m[name] }
}

func valid() map[string]string {
	return map[string]string{
		InRoleToAssume: "arn:aws:iam::123456789012:role/deploy",
		InAWSRegion:    "eu-west-1",
	}
}

func TestLoadDefaults(t *testing.T) {
	t.Parallel()
	got, err := Load(lookup(valid()))
	if err != nil {
		t.Fatal(err)
	}
	want := &Config{
		RoleARN: "arn:aws:iam::123456789012:role/deploy", Partition: "aws", AccountID: "123456789012",
		Region: "eu-west-1", SessionName: DefaultSessionName, Duration: DefaultDuration,
		OutputEnvCredentials: true, MaxAttempts: DefaultMaxAttempts,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Load (-want +got):\n%s", diff)
	}
}

func TestLoadAllInputs(t *testing.T) {
	t.Parallel()
	in := valid()
	in[InRoleToAssume] = "arn:aws-cn:iam::123456789012:role/ci/deploy"
	in[InAWSRegion] = "cn-north-1"
	in[InAudience] = "custom-aud"
	in[InRoleSessionName] = "deploy@main"
	in[InRoleDurationSeconds] = "900"
	in[InInlineSessionPolicy] = "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": []\n}\n"
	in[InManagedSessionPolicies] = "arn:aws-cn:iam::aws:policy/ReadOnlyAccess\n\n  arn:aws-cn:iam::123456789012:policy/x \n"
	in[InOutputCredentials] = "TRUE"
	in[InOutputEnvCredentials] = "False"
	in[InMaskAWSAccountID] = "true"
	in[InUnsetCurrentCredentials] = "True"
	in[InAllowedAccountIDs] = "123456789012, 210987654321"
	in[InSTSEndpoint] = "https://sts.cn-north-1.amazonaws.com.cn"
	in[InRetryMaxAttempts] = "3"
	in[InActionTimeoutS] = "30"
	got, err := Load(lookup(in))
	if err != nil {
		t.Fatal(err)
	}
	want := &Config{
		RoleARN: in[InRoleToAssume], Partition: "aws-cn", AccountID: "123456789012",
		Region: "cn-north-1", Audience: "custom-aud", SessionName: "deploy@main", Duration: 900 * time.Second,
		InlinePolicy:            `{"Version":"2012-10-17","Statement":[]}`,
		ManagedPolicies:         []string{"arn:aws-cn:iam::aws:policy/ReadOnlyAccess", "arn:aws-cn:iam::123456789012:policy/x"},
		OutputCredentials:       true,
		MaskAccountID:           true,
		UnsetCurrentCredentials: true,
		AllowedAccountIDs:       []string{"123456789012", "210987654321"},
		STSEndpoint:             "https://sts.cn-north-1.amazonaws.com.cn",
		MaxAttempts:             3,
		ActionTimeout:           30 * time.Second,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Load (-want +got):\n%s", diff)
	}
}

func TestDisableRetryMeansOneAttempt(t *testing.T) {
	t.Parallel()
	in := valid()
	in[InDisableRetry] = "true"
	in[InRetryMaxAttempts] = "9"
	got, err := Load(lookup(in))
	if err != nil {
		t.Fatal(err)
	}
	if got.MaxAttempts != 1 {
		t.Errorf("MaxAttempts = %d, want 1", got.MaxAttempts)
	}
}

func TestLoadRejects(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		input string
		value string
		want  string // substring of the one error
	}{
		{"region missing", InAWSRegion, "", "input aws-region: is required"},
		{"region upper case", InAWSRegion, "EU-WEST-1", `"EU-WEST-1" is not a region name`},
		{"region with newline", InAWSRegion, "eu-west-1\nx", "contains a line break"},
		{"role missing", InRoleToAssume, "", "input role-to-assume: is required"},
		{"bare role name", InRoleToAssume, "deploy", "arn:aws:iam::<ACCOUNT_ID>:role/deploy"},
		{"not an arn", InRoleToAssume, "role/deploy x", "is not an ARN"},
		{"unknown partition", InRoleToAssume, "arn:aws-iso:iam::123456789012:role/x", `unknown partition "aws-iso"`},
		{"user arn", InRoleToAssume, "arn:aws:iam::123456789012:user/bob", "is not an IAM role ARN"},
		{"short account", InRoleToAssume, "arn:aws:iam::12345:role/x", "is not a valid role ARN"},
		{"partition mismatch", InRoleToAssume, "arn:aws-us-gov:iam::123456789012:role/x", "partition aws-us-gov but aws-region eu-west-1 is in partition aws"},
		{"session name short", InRoleSessionName, "a", "2 to 64 characters"},
		{"session name bad char", InRoleSessionName, "deploy main", "is not a valid session name"},
		{"session name long", InRoleSessionName, strings.Repeat("a", 65), "(65 characters)"},
		{"duration junk", InRoleDurationSeconds, "1h", "is not a whole number of seconds"},
		{"duration low", InRoleDurationSeconds, "899", "899 is out of range"},
		{"duration high", InRoleDurationSeconds, "43201", "an integer from 900 to 43200"},
		{"bool yes", InOutputCredentials, "yes", `input output-credentials: "yes" is not a boolean; allowed: true, True, TRUE, false`},
		{"bool 1", InDisableRetry, "1", `input disable-retry: "1" is not a boolean`},
		{"bool mixed case", InMaskAWSAccountID, "tRUE", "is not a boolean"},
		{"attempts zero", InRetryMaxAttempts, "0", "an integer of 1 or more"},
		{"attempts negative", InRetryMaxAttempts, "-1", "is not a positive whole number"},
		{"account short", InAllowedAccountIDs, "123456789012,1234", `"1234" is not an account id`},
		{"endpoint no scheme", InSTSEndpoint, "sts.amazonaws.com", "is not an absolute http(s) URL"},
		{"timeout junk", InActionTimeoutS, "ten", "is not a whole number of seconds"},
		{"policy not json", InInlineSessionPolicy, "{Version:", "is not valid JSON"},
		{"policy array", InInlineSessionPolicy, "[]", "is not a JSON object"},
		{"policy too long", InInlineSessionPolicy, `{"x":"` + strings.Repeat("a", 2100) + `"}`, "at most 2048 characters"},
		{"managed not arn", InManagedSessionPolicies, "ReadOnlyAccess", `"ReadOnlyAccess" is not a managed policy ARN`},
		{"audience newline", InAudience, "a\nb", "input audience: contains a line break"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			in := valid()
			in[tc.input] = tc.value
			_, err := Load(lookup(in))
			if err == nil {
				t.Fatalf("Load accepted %s=%q", tc.input, tc.value)
			}
			errs := err.(interface{ Unwrap() []error }).Unwrap()
			if len(errs) != 1 {
				t.Fatalf("want exactly one error, got %d: %v", len(errs), err)
			}
			var ie *InputError
			if !errors.As(errs[0], &ie) || ie.Input != tc.input {
				t.Fatalf("error %v does not name input %s", errs[0], tc.input)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q\ndoes not contain %q", err, tc.want)
			}
		})
	}
}

func TestLoadReportsEveryProblemAtOnce(t *testing.T) {
	t.Parallel()
	_, err := Load(lookup(map[string]string{
		InRoleToAssume:        "deploy",
		InAWSRegion:           "Europe",
		InRoleDurationSeconds: "5",
		InOutputCredentials:   "yes",
		InRetryMaxAttempts:    "0",
	}))
	var inputs []string
	for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
		inputs = append(inputs, e.(*InputError).Input)
	}
	want := []string{InAWSRegion, InRoleToAssume, InRoleDurationSeconds, InOutputCredentials, InRetryMaxAttempts}
	if diff := cmp.Diff(want, inputs); diff != "" {
		t.Errorf("inputs named (-want +got):\n%s", diff)
	}
}

func TestFromEnv(t *testing.T) {
	t.Parallel()
	env := map[string]string{
		"INPUT_ROLE-TO-ASSUME": "  arn:aws:iam::123456789012:role/deploy \n",
		"AWS_REGION":           "eu-west-1",
		"INPUT_AUDIENCE":       "",
		"AUDIENCE":             "from-env",
		"INPUT_AWS-REGION":     "",
	}
	in := FromEnv(func(k string) string { return env[k] })
	for name, want := range map[string]string{
		InRoleToAssume:     "arn:aws:iam::123456789012:role/deploy",
		InAWSRegion:        "eu-west-1",
		InAudience:         "from-env",
		InRoleSessionName:  "",
		InRetryMaxAttempts: "",
	} {
		if got := in(name); got != want {
			t.Errorf("input %s = %q, want %q", name, got, want)
		}
	}
	if got := EnvFallback(InRoleToAssume); got != "ROLE_TO_ASSUME" {
		t.Errorf("EnvFallback = %q", got)
	}
}

func FuzzLoad(f *testing.F) {
	f.Add("arn:aws:iam::123456789012:role/deploy", "eu-west-1", "GitHubActions", "3600", "true", "{}")
	f.Add("deploy", "", "a", "x", "yes", "[")
	f.Fuzz(func(t *testing.T, role, region, session, duration, boolean, policy string) {
		c, err := Load(lookup(map[string]string{
			InRoleToAssume: role, InAWSRegion: region, InRoleSessionName: session,
			InRoleDurationSeconds: duration, InOutputCredentials: boolean, InInlineSessionPolicy: policy,
		}))
		if (c == nil) == (err == nil) {
			t.Fatalf("exactly one of config and error must be set: %v %v", c, err)
		}
		if err == nil && (c.Duration < 900*time.Second || c.Duration > 43200*time.Second || c.MaxAttempts < 1) {
			t.Fatalf("accepted out-of-range config %+v", c)
		}
	})
}

func BenchmarkLoad(b *testing.B) {
	in := valid()
	in[InManagedSessionPolicies] = "arn:aws:iam::aws:policy/ReadOnlyAccess"
	in[InInlineSessionPolicy] = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`
	l := lookup(in)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Load(l); err != nil {
			b.Fatal(err)
		}
	}
}
