// Package proxy decides which proxy, if any, each request goes through, from
// the http-proxy / no-proxy inputs and the HTTPS_PROXY, HTTP_PROXY and
// NO_PROXY variables in either case. The NO_PROXY rules are those of
// golang.org/x/net/http/httpproxy, the implementation net/http uses.
package proxy

import (
	"net/http"
	"net/url"

	"golang.org/x/net/http/httpproxy"
)

// Settings are the proxy settings in effect.
type Settings struct {
	HTTPSProxy string
	HTTPProxy  string
	NoProxy    string
}

// Resolve combines the inputs with the environment. An http-proxy input
// applies to both http and https requests and wins over the variables;
// upper-case variables win over lower-case ones, as in net/http.
func Resolve(httpProxyInput, noProxyInput string, getenv func(string) string) Settings {
	first := func(keys ...string) string {
		for _, k := range keys {
			if v := getenv(k); v != "" {
				return v
			}
		}
		return ""
	}
	s := Settings{
		HTTPSProxy: first("HTTPS_PROXY", "https_proxy"),
		HTTPProxy:  first("HTTP_PROXY", "http_proxy"),
		NoProxy:    first("NO_PROXY", "no_proxy"),
	}
	if httpProxyInput != "" {
		s.HTTPSProxy, s.HTTPProxy = httpProxyInput, httpProxyInput
	}
	if noProxyInput != "" {
		s.NoProxy = noProxyInput
	}
	return s
}

// Func returns the function for http.Transport.Proxy. Like net/http it
// never proxies requests to localhost or loopback addresses.
func (s Settings) Func() func(*http.Request) (*url.URL, error) {
	fn := (&httpproxy.Config{HTTPProxy: s.HTTPProxy, HTTPSProxy: s.HTTPSProxy, NoProxy: s.NoProxy}).ProxyFunc()
	return func(r *http.Request) (*url.URL, error) { return fn(r.URL) }
}

// Secrets returns the passwords in the proxy URLs, to be masked.
func (s Settings) Secrets() []string {
	var out []string
	for _, raw := range []string{s.HTTPSProxy, s.HTTPProxy} {
		if u, err := url.Parse(raw); err == nil && u.User != nil {
			if p, ok := u.User.Password(); ok && p != "" {
				out = append(out, p, url.QueryEscape(p))
			}
		}
	}
	return out
}

// Redacted returns a proxy URL with its password replaced, for logs.
func Redacted(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable proxy URL)"
	}
	return u.Redacted()
}

// Transport returns a clone of http.DefaultTransport that uses s.
func (s Settings) Transport() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.Proxy = s.Func()
	return t
}
