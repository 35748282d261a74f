package config

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/org/aws-oidc-go/internal/inputs"
)

func lookup(m map[string]string) inputs.Lookup {
	return func(name string) string { return m[name] }
}

func valid() map[string]string {
	return map[string]string{
		inputs.RoleToAssume: "arn:aws:iam::123456789012:role/deploy",
		inputs.AWSRegion:    "eu-west-1",
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
		Region: "eu-west-1", SessionName: inputs.DefaultSessionName, Audience: inputs.DefaultAudience, Duration: DefaultDuration,
		OutputEnvCredentials: true, MaxAttempts: DefaultMaxAttempts,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Load (-want +got):\n%s", diff)
	}
}

func TestLoadAllInputs(t *testing.T) {
	t.Parallel()
	in := valid()
	in[inputs.RoleToAssume] = "arn:aws-cn:iam::123456789012:role/ci/deploy"
	in[inputs.AWSRegion] = "cn-north-1"
	in[inputs.Audience] = "custom-aud"
	in[inputs.RoleSessionName] = "deploy@main"
	in[inputs.RoleDurationSeconds] = "900"
	in[inputs.InlineSessionPolicy] = "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": []\n}\n"
	in[inputs.ManagedSessionPolicies] = "arn:aws-cn:iam::aws:policy/ReadOnlyAccess\n\n  arn:aws-cn:iam::123456789012:policy/x \n"
	in[inputs.OutputCredentials] = "TRUE"
	in[inputs.OutputEnvCredentials] = "False"
	in[inputs.MaskAWSAccountID] = "true"
	in[inputs.UnsetCurrentCredentials] = "True"
	in[inputs.AllowedAccountIDs] = "123456789012, 210987654321"
	in[inputs.STSEndpoint] = "https://sts.cn-north-1.amazonaws.com.cn"
	in[inputs.RetryMaxAttempts] = "3"
	in[inputs.ActionTimeoutS] = "30"
	got, err := Load(lookup(in))
	if err != nil {
		t.Fatal(err)
	}
	want := &Config{
		RoleARN: in[inputs.RoleToAssume], Partition: "aws-cn", AccountID: "123456789012",
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
	in[inputs.DisableRetry] = "true"
	in[inputs.RetryMaxAttempts] = "9"
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
		{"region missing", inputs.AWSRegion, "", "input aws-region: is required"},
		{"region upper case", inputs.AWSRegion, "EU-WEST-1", `"EU-WEST-1" is not a region name`},
		{"region with newline", inputs.AWSRegion, "eu-west-1\nx", "contains a line break"},
		{"role missing", inputs.RoleToAssume, "", "input role-to-assume: is required"},
		{"bare role name", inputs.RoleToAssume, "deploy", "arn:aws:iam::<ACCOUNT_ID>:role/deploy"},
		{"not an arn", inputs.RoleToAssume, "role/deploy x", "is not an ARN"},
		{"unknown partition", inputs.RoleToAssume, "arn:aws-iso:iam::123456789012:role/x", `unknown partition "aws-iso"`},
		{"user arn", inputs.RoleToAssume, "arn:aws:iam::123456789012:user/bob", "is not an IAM role ARN"},
		{"short account", inputs.RoleToAssume, "arn:aws:iam::12345:role/x", "is not a valid role ARN"},
		{"partition mismatch", inputs.RoleToAssume, "arn:aws-us-gov:iam::123456789012:role/x", "partition aws-us-gov but aws-region eu-west-1 is in partition aws"},
		{"session name short", inputs.RoleSessionName, "a", "2 to 64 characters"},
		{"session name bad char", inputs.RoleSessionName, "deploy main", "is not a valid session name"},
		{"session name long", inputs.RoleSessionName, strings.Repeat("a", 65), "(65 characters)"},
		{"duration junk", inputs.RoleDurationSeconds, "1h", "is not a whole number of seconds"},
		{"duration low", inputs.RoleDurationSeconds, "899", "899 is out of range"},
		{"duration high", inputs.RoleDurationSeconds, "43201", "an integer from 900 to 43200"},
		{"bool yes", inputs.OutputCredentials, "yes", `input output-credentials: "yes" is not a boolean; allowed: true, True, TRUE, false`},
		{"bool 1", inputs.DisableRetry, "1", `input disable-retry: "1" is not a boolean`},
		{"bool mixed case", inputs.MaskAWSAccountID, "tRUE", "is not a boolean"},
		{"attempts zero", inputs.RetryMaxAttempts, "0", "an integer of 1 or more"},
		{"attempts negative", inputs.RetryMaxAttempts, "-1", "is not a positive whole number"},
		{"account short", inputs.AllowedAccountIDs, "123456789012,1234", `"1234" is not an account id`},
		{"endpoint no scheme", inputs.STSEndpoint, "sts.amazonaws.com", "is not an absolute http(s) URL"},
		{"timeout junk", inputs.ActionTimeoutS, "ten", "is not a whole number of seconds"},
		{"policy not json", inputs.InlineSessionPolicy, "{Version:", "is not valid JSON"},
		{"policy array", inputs.InlineSessionPolicy, "[]", "is not a JSON object"},
		{"policy too long", inputs.InlineSessionPolicy, `{"x":"` + strings.Repeat("a", 2100) + `"}`, "at most 2048 characters"},
		{"managed not arn", inputs.ManagedSessionPolicies, "ReadOnlyAccess", `"ReadOnlyAccess" is not a managed policy ARN`},
		{"audience newline", inputs.Audience, "a\nb", "input audience: contains a line break"},
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
		inputs.RoleToAssume:        "deploy",
		inputs.AWSRegion:           "Europe",
		inputs.RoleDurationSeconds: "5",
		inputs.OutputCredentials:   "yes",
		inputs.RetryMaxAttempts:    "0",
	}))
	var named []string
	for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
		named = append(named, e.(*InputError).Input)
	}
	want := []string{inputs.AWSRegion, inputs.RoleToAssume, inputs.RoleDurationSeconds, inputs.OutputCredentials, inputs.RetryMaxAttempts}
	if diff := cmp.Diff(want, named); diff != "" {
		t.Errorf("inputs named (-want +got):\n%s", diff)
	}
}

// TestDefaultsApplied proves every default the table declares is applied
// to an unset and to an empty input (the bug that let the CLI ask for a
// token without an audience).
func TestDefaultsApplied(t *testing.T) {
	t.Parallel()
	for _, in := range inputs.All {
		if in.Default == "" {
			continue
		}
		for _, given := range []map[string]string{valid(), func() map[string]string { m := valid(); m[in.Name] = ""; return m }()} {
			c, err := Load(lookup(given))
			if err != nil {
				t.Fatalf("%s: %v", in.Name, err)
			}
			var got string
			switch in.Name {
			case inputs.Audience:
				got = c.Audience
			case inputs.RoleSessionName:
				got = c.SessionName
			case inputs.RoleDurationSeconds:
				got = strconv.Itoa(int(c.Duration / time.Second))
			case inputs.RetryMaxAttempts:
				got = strconv.Itoa(c.MaxAttempts)
			case inputs.ActionTimeoutS:
				got = strconv.Itoa(int(c.ActionTimeout / time.Second))
			default:
				if in.Kind != inputs.Bool {
					t.Fatalf("%s: a default this test does not know how to read back; add it", in.Name)
				}
				continue // booleans: the parser reads the table (TestLoadAllInputs covers their values)
			}
			if got != in.Default {
				t.Errorf("%s = %q with %q given, want the default %q", in.Name, got, given[in.Name], in.Default)
			}
		}
	}
}

func FuzzLoad(f *testing.F) {
	f.Add("arn:aws:iam::123456789012:role/deploy", "eu-west-1", "GitHubActions", "3600", "true", "{}")
	f.Add("deploy", "", "a", "x", "yes", "[")
	f.Fuzz(func(t *testing.T, role, region, session, duration, boolean, policy string) {
		c, err := Load(lookup(map[string]string{
			inputs.RoleToAssume: role, inputs.AWSRegion: region, inputs.RoleSessionName: session,
			inputs.RoleDurationSeconds: duration, inputs.OutputCredentials: boolean, inputs.InlineSessionPolicy: policy,
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
	in[inputs.ManagedSessionPolicies] = "arn:aws:iam::aws:policy/ReadOnlyAccess"
	in[inputs.InlineSessionPolicy] = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`
	l := lookup(in)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Load(l); err != nil {
			b.Fatal(err)
		}
	}
}
