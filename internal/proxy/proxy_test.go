package proxy

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/org/aws-oidc-go/internal/config"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestResolve(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name          string
		input, noProx string
		env           map[string]string
		want          Settings
	}{
		{"nothing", "", "", nil, Settings{}},
		{"lower-case variables", "", "", map[string]string{"https_proxy": "http://a:1", "http_proxy": "http://b:2", "no_proxy": "x"},
			Settings{HTTPSProxy: "http://a:1", HTTPProxy: "http://b:2", NoProxy: "x", HTTPSFrom: "https_proxy", HTTPFrom: "http_proxy", NoProxyFrom: "no_proxy"}},
		{"upper case wins", "", "", map[string]string{"HTTPS_PROXY": "http://A:1", "https_proxy": "http://a:1"},
			Settings{HTTPSProxy: "http://A:1", HTTPSFrom: "HTTPS_PROXY"}},
		{"inputs win", "http://in:3", "y", map[string]string{"HTTPS_PROXY": "http://A:1", "NO_PROXY": "x"},
			Settings{HTTPSProxy: "http://in:3", HTTPProxy: "http://in:3", NoProxy: "y", HTTPSFrom: "input http-proxy", HTTPFrom: "input http-proxy", NoProxyFrom: "input no-proxy"}},
		// Before: HTTP_PROXY=proxy:3128 failed the run as an input error.
		{"schemeless variable is http://", "", "", map[string]string{"HTTP_PROXY": "proxy:3128"},
			Settings{HTTPProxy: "http://proxy:3128", HTTPFrom: "HTTP_PROXY"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := Resolve(tc.input, tc.noProx, env(tc.env))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got, cmpopts.IgnoreUnexported(Settings{})); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestSchemeSelection: HTTPS_PROXY for https URLs, HTTP_PROXY for http ones
// (before: HTTP_PROXY overrode HTTPS_PROXY for HTTPS).
func TestSchemeSelection(t *testing.T) {
	t.Parallel()
	s, err := Resolve("", "", env(map[string]string{"HTTPS_PROXY": "http://secure:1", "HTTP_PROXY": "http://plain:2"}))
	if err != nil {
		t.Fatal(err)
	}
	for url, want := range map[string]string{"https://sts.amazonaws.com/": "secure:1", "http://sts.amazonaws.com/": "plain:2"} {
		req, _ := http.NewRequest("GET", url, nil)
		u, err := s.Func()(req)
		if err != nil || u == nil || u.Host != want {
			t.Errorf("%s went through %v (%v), want %s", url, u, err, want)
		}
	}
}

// TestUnparsableSettingNamesTheVariable: before, an unparsable https_proxy
// was ignored and requests went direct.
func TestUnparsableSettingNamesTheVariable(t *testing.T) {
	t.Parallel()
	_, err := Resolve("", "", env(map[string]string{"https_proxy": "ftp://proxy:21"}))
	var pe *Error
	if !errors.As(err, &pe) || pe.Variable != "https_proxy" || !strings.Contains(err.Error(), `"ftp"`) {
		t.Errorf("err = %v, want a proxy.Error naming https_proxy", err)
	}
	_, err = Resolve("socks4://x:1", "", env(nil))
	var ie *config.InputError
	if !errors.As(err, &ie) || ie.Input != "http-proxy" {
		t.Errorf("input: err = %v, want an InputError for http-proxy", err)
	}
}

// TestSecretsHoweverWritten: a schemeless user:pass@host:port used to parse
// with "user" as the scheme, so nothing was masked.
func TestSecretsHoweverWritten(t *testing.T) {
	t.Parallel()
	for raw, want := range map[string][]string{
		"http://user:p%40ss@proxy:3128": {"user:p%40ss", "p%40ss", "p@ss"},
		"user:pass@proxy:3128":          {"user:pass", "pass"},
		"socks5://only-user@proxy:1080": {"only-user"},
		"http://proxy:3128":             nil,
	} {
		s, err := Resolve("", "", env(map[string]string{"HTTPS_PROXY": raw}))
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, s.Secrets()); diff != "" {
			t.Errorf("%s: Secrets (-want +got):\n%s", raw, diff)
		}
		for _, secret := range want {
			if strings.Contains(s.Describe(), secret) {
				t.Errorf("%s: Describe() = %q shows %q", raw, s.Describe(), secret)
			}
		}
	}
	// Even a refused setting has its password collected for masking.
	s, err := Resolve("", "", env(map[string]string{"HTTPS_PROXY": "ftp://u:hunter2@x:1"}))
	if err == nil || !strings.Contains(strings.Join(s.Secrets(), " "), "hunter2") {
		t.Errorf("refused setting: err %v, secrets %q", err, s.Secrets())
	}
}

func TestFuncHonoursNoProxyAndLoopback(t *testing.T) {
	t.Parallel()
	fn := Settings{HTTPSProxy: "http://proxy:3128", HTTPProxy: "http://proxy:3128", NoProxy: ".internal,10.0.0.0/8"}.Func()
	for url, proxied := range map[string]bool{
		"https://sts.eu-west-1.amazonaws.com/": true,
		"https://sts.corp.internal/":           false,
		"http://10.1.2.3/":                     false,
		"http://127.0.0.1:8080/":               false,
		"http://localhost/":                    false,
	} {
		req, _ := http.NewRequest("GET", url, nil)
		u, err := fn(req)
		if err != nil || (u != nil) != proxied {
			t.Errorf("%s: proxy %v, err %v; want proxied=%v", url, u, err, proxied)
		}
	}
}
