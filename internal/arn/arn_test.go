package arn

import "testing"

func TestIsAccountID(t *testing.T) {
	for s, want := range map[string]bool{
		"123456789012": true, "000000000000": true,
		"12345678901": false, "1234567890123": false, "12345678901a": false,
		"１23456789012": false, // a full-width digit: \d is ASCII
		" 23456789012": false, "": false, "-12345678901": false,
	} {
		if got := IsAccountID(s); got != want {
			t.Errorf("IsAccountID(%q) = %v, want %v", s, got, want)
		}
	}
}

func TestParse(t *testing.T) {
	for s, want := range map[string]ARN{
		"arn:aws:iam::123456789012:role/a/b:c": {"aws", "iam", "", "123456789012", "role/a/b:c"},
		"arn:x::::":                            {"x", "", "", "", ""},
		"arn:aws:s3:::bucket":                  {"aws", "s3", "", "", "bucket"},
		"arn:aws:sts::1:assumed-role/r/s":      {"aws", "sts", "", "1", "assumed-role/r/s"},
	} {
		got, ok := Parse(s)
		if !ok || got != want {
			t.Errorf("Parse(%q) = %+v, %v, want %+v", s, got, ok, want)
		}
	}
	for _, s := range []string{"", "arn", "arn:aws:iam::123456789012", "ARN:aws:iam::123456789012:role/x", "urn:aws:iam::123456789012:role/x", "deploy"} {
		if a, ok := Parse(s); ok {
			t.Errorf("Parse(%q) = %+v, want not an ARN", s, a)
		}
	}
}

func parse(t *testing.T, s string) ARN {
	t.Helper()
	a, ok := Parse(s)
	if !ok {
		t.Fatalf("Parse(%q) failed", s)
	}
	return a
}

func TestRole(t *testing.T) {
	for _, c := range []struct {
		arn, path, name string
		ok              bool
	}{
		{"arn:aws:iam::123456789012:role/deploy", "", "deploy", true},
		{"arn:aws-cn:iam::123456789012:role/ci/deploy", "ci/", "deploy", true},
		{"arn:aws-us-gov:iam::123456789012:role/a/b/c_+=,.@-9", "a/b/", "c_+=,.@-9", true},
		{"arn:aws-iso:iam::123456789012:role/x", "", "x", true}, // shape only; config adds KnownPartition
		{"arn:aws:iam::123456789012:role/!odd//x", "!odd//", "x", true},
		{"arn:aws:iam::123456789012:role//x", "", "", false},  // a path of "/" alone
		{"arn:aws:iam::123456789012:role/a/", "", "", false},  // no name
		{"arn:aws:iam::123456789012:role/a b", "", "", false}, // space in the name
		{"arn:aws:iam::123456789012:role/a!b", "", "", false}, // ! in the name
		{"arn:aws:iam::123456789012:role/" + "é", "", "", false},
		{"arn:aws:iam::123456789012:role/" + long(65), "", "", false},
		{"arn:aws:iam::123456789012:role/" + long(64), "", long(64), true},
		{"arn:aws:iam::12345678901:role/x", "", "", false},
		{"arn:aws:iam:us-east-1:123456789012:role/x", "", "", false},
		{"arn:aws:sts::123456789012:role/x", "", "", false},
		{"arn:aws:iam::123456789012:user/x", "", "", false},
		{"arn:AWS:iam::123456789012:role/x", "", "", false},
		{"arn:1aws:iam::123456789012:role/x", "", "", false},
	} {
		path, name, ok := parse(t, c.arn).Role()
		if ok != c.ok || path != c.path || name != c.name {
			t.Errorf("Role(%q) = %q, %q, %v, want %q, %q, %v", c.arn, path, name, ok, c.path, c.name, c.ok)
		}
	}
}

func long(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = 'r'
	}
	return string(b)
}

func TestIsManagedPolicy(t *testing.T) {
	for s, want := range map[string]bool{
		"arn:aws:iam::aws:policy/ReadOnlyAccess":          true,
		"arn:aws-cn:iam::123456789012:policy/team/deploy": true,
		"arn:aws-us-gov:iam::aws:policy/service-role/X":   true,
		"arn:aws-iso:iam::aws:policy/ReadOnlyAccess":      false,
		"arn:aws:iam::aws:policy/":                        false,
		"arn:aws:iam::aws:policy/a b":                     false,
		"arn:aws:iam::AWS:policy/x":                       false,
		"arn:aws:iam::12345678901:policy/x":               false,
		"arn:aws:iam::123456789012:role/x":                false,
		"arn:aws:iam:eu-west-1:aws:policy/x":              false,
		"arn:aws:iam::aws:policy/x\n":                     false,
	} {
		if got := parse(t, s).IsManagedPolicy(); got != want {
			t.Errorf("IsManagedPolicy(%q) = %v, want %v", s, got, want)
		}
	}
}

func TestOIDCProvider(t *testing.T) {
	for s, want := range map[string]string{
		"arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com":      "token.actions.githubusercontent.com",
		"arn:aws-cn:iam::123456789012:oidc-provider/token.actions.githubusercontent.com/e": "token.actions.githubusercontent.com/e",
		"arn:aws-iso:iam::123456789012:oidc-provider/x":                                    "",
		"arn:aws:iam::123456789012:oidc-provider/":                                         "",
		"arn:aws:iam::123456789012:oidc-provider/a\nb":                                     "",
		"arn:aws:iam::12345678901x:oidc-provider/x":                                        "",
		"arn:aws:iam::123456789012:saml-provider/x":                                        "",
	} {
		got, ok := parse(t, s).OIDCProvider()
		if got != want || ok != (want != "") {
			t.Errorf("OIDCProvider(%q) = %q, %v, want %q", s, got, ok, want)
		}
	}
}

func TestAssumedRoleAndWellFormed(t *testing.T) {
	for s, want := range map[string]string{
		"arn:aws:sts::123456789012:assumed-role/deploy/run-1": "deploy",
		"arn:aws-iso-b:sts::123456789012:assumed-role/d/s":    "d",
		"arn:aws:sts::123456789012:assumed-role/deploy/run/1": "",
		"arn:aws:sts::123456789012:assumed-role/deploy/":      "",
		"arn:aws:sts::123456789012:assumed-role//s":           "",
		"arn:aws:sts::123456789012:assumed-role/deploy":       "",
		"arn:aws:iam::123456789012:assumed-role/deploy/s":     "",
		"arn:aws:sts:us-east-1:123456789012:assumed-role/d/s": "",
		"arn:aws:sts::1234567890123:assumed-role/d/s":         "",
		"arn:Aws:sts::123456789012:assumed-role/d/s":          "",
	} {
		got, ok := parse(t, s).AssumedRole()
		if got != want || ok != (want != "") {
			t.Errorf("AssumedRole(%q) = %q, %v, want %q", s, got, ok, want)
		}
	}
	for s, want := range map[string]bool{
		"arn:aws:sts::123456789012:federated-user/x": true,
		"arn:aws:s3:eu-west-1:123456789012:x":        true,
		"arn:aws::::x":                               false, // no service
		"arn:aws:s3:::x":                             false, // no account
		"arn:aws:S3::123456789012:x":                 false,
		"arn:aws:s3:EU:123456789012:x":               false,
		"arn:aws:s3::123456789012:":                  false,
		"arn:aws:s3::123456789012:a\nb":              false,
	} {
		if got := parse(t, s).WellFormed(); got != want {
			t.Errorf("WellFormed(%q) = %v, want %v", s, got, want)
		}
	}
}
