package proxy

import (
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestResolve(t *testing.T) {
	t.Parallel()
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	cases := []struct {
		name          string
		input, noProx string
		env           map[string]string
		want          Settings
	}{
		{"nothing", "", "", nil, Settings{}},
		{"lower-case variables", "", "", map[string]string{"https_proxy": "http://a:1", "http_proxy": "http://b:2", "no_proxy": "x"}, Settings{"http://a:1", "http://b:2", "x"}},
		{"upper case wins", "", "", map[string]string{"HTTPS_PROXY": "http://A:1", "https_proxy": "http://a:1"}, Settings{HTTPSProxy: "http://A:1"}},
		{"inputs win", "http://in:3", "y", map[string]string{"HTTPS_PROXY": "http://A:1", "NO_PROXY": "x"}, Settings{"http://in:3", "http://in:3", "y"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tc.want, Resolve(tc.input, tc.noProx, env(tc.env))); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
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

func TestSecretsAndRedacted(t *testing.T) {
	t.Parallel()
	s := Settings{HTTPSProxy: "http://user:p%40ss@proxy:3128"}
	if diff := cmp.Diff([]string{"p@ss", "p%40ss"}, s.Secrets()); diff != "" {
		t.Errorf("Secrets (-want +got):\n%s", diff)
	}
	if got := Redacted(s.HTTPSProxy); got != "http://user:xxxxx@proxy:3128" {
		t.Errorf("Redacted = %q", got)
	}
}
