// Package proxy decides which proxy, if any, each request goes through. The
// http-proxy / no-proxy inputs win; otherwise the environment is read
// exactly as golang.org/x/net/http/httpproxy (what net/http uses) reads it:
// HTTPS_PROXY for https URLs, HTTP_PROXY for http ones, NO_PROXY for
// exceptions, each upper-case variable winning over its lower-case twin,
// and a value without a scheme taken as http://. Unlike net/http, a setting
// that cannot be parsed is an error naming it, not a silent direct
// connection; and the user:password of every setting is masked, however
// the setting is written.
package proxy

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"golang.org/x/net/http/httpproxy"

	"github.com/org/aws-oidc-go/internal/config"
	"github.com/org/aws-oidc-go/internal/inputs"
)

// Settings are the proxy settings in effect, each normalised as the HTTP
// client will use it.
type Settings struct {
	HTTPSProxy string
	HTTPProxy  string
	NoProxy    string
	// Where each came from: an input or a variable name, for messages.
	HTTPSFrom, HTTPFrom, NoProxyFrom string
	secrets                          []string
}

// Error is a proxy variable that cannot be used.
type Error struct {
	Variable string
	Problem  string
}

func (e *Error) Error() string {
	return fmt.Sprintf("environment variable %s: %s; allowed: a proxy URL such as http://proxy.example:3128 (scheme http, https or socks5; user:password@ allowed), or unset", e.Variable, e.Problem)
}

// Resolve combines the inputs with the environment. An http-proxy input
// applies to both http and https requests. Every user:password is
// collected for masking (Secrets) even when a setting is refused.
func Resolve(httpProxyInput, noProxyInput string, getenv func(string) string) (Settings, error) {
	var s Settings
	first := func(keys ...string) (string, string) {
		for _, k := range keys {
			if v := getenv(k); v != "" {
				return v, k
			}
		}
		return "", ""
	}
	var errs []error
	set := func(dst, from *string, raw, name string, input bool) {
		if raw == "" {
			return
		}
		s.secrets = append(s.secrets, userinfo(raw)...)
		u, problem := parse(raw)
		switch {
		case problem != "" && input:
			errs = append(errs, &config.InputError{Input: inputs.HTTPProxy, Problem: problem, Allowed: "a proxy URL such as http://proxy.example:3128 (scheme http, https or socks5; user:password@ allowed)"})
		case problem != "":
			errs = append(errs, &Error{Variable: name, Problem: problem})
		default:
			*dst, *from = u.String(), name
		}
	}
	if httpProxyInput != "" {
		set(&s.HTTPSProxy, &s.HTTPSFrom, httpProxyInput, "input "+inputs.HTTPProxy, true)
		s.HTTPProxy, s.HTTPFrom = s.HTTPSProxy, s.HTTPSFrom
	} else {
		v, k := first("HTTPS_PROXY", "https_proxy")
		set(&s.HTTPSProxy, &s.HTTPSFrom, v, k, false)
		v, k = first("HTTP_PROXY", "http_proxy")
		set(&s.HTTPProxy, &s.HTTPFrom, v, k, false)
	}
	if noProxyInput != "" {
		s.NoProxy, s.NoProxyFrom = noProxyInput, "input "+inputs.NoProxy
	} else {
		s.NoProxy, s.NoProxyFrom = first("NO_PROXY", "no_proxy")
	}
	return s, errors.Join(errs...)
}

// parse reads a proxy setting as httpproxy does (a value without a scheme
// or host is retried with http://), and checks what it accepts.
func parse(raw string) (*url.URL, string) {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" || u.Host == "" {
		if u2, err2 := url.Parse("http://" + raw); err2 == nil {
			u, err = u2, nil
		}
	}
	switch {
	case err != nil:
		return nil, "is not a URL"
	case u.Scheme != "http" && u.Scheme != "https" && u.Scheme != "socks5":
		return nil, fmt.Sprintf("has the unsupported scheme %q", u.Scheme)
	case u.Host == "" || u.Hostname() == "":
		return nil, "names no host"
	case u.Path != "" && u.Path != "/":
		return nil, "has a path, which a proxy URL does not take"
	}
	return u, ""
}

// userinfo returns what must be masked in a raw setting: whatever stands
// between the scheme (if any) and the last @ of the authority, whole and
// its password part, raw and decoded.
func userinfo(raw string) []string {
	rest := raw
	if i := strings.Index(rest, "://"); i >= 0 {
		rest = rest[i+3:]
	}
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		rest = rest[:i]
	}
	at := strings.LastIndex(rest, "@")
	if at < 0 {
		return nil
	}
	ui := rest[:at]
	out := []string{ui}
	if _, pw, ok := strings.Cut(ui, ":"); ok && pw != "" {
		out = append(out, pw)
		if dec, err := url.PathUnescape(pw); err == nil && dec != pw {
			out = append(out, dec)
		}
	}
	return out
}

// Secrets returns the user:password parts of the settings, to be masked.
func (s Settings) Secrets() []string { return s.secrets }

// Active reports whether any request may go through a proxy.
func (s Settings) Active() bool { return s.HTTPSProxy != "" || s.HTTPProxy != "" }

// Describe says which proxies apply, without their credentials.
func (s Settings) Describe() string {
	var parts []string
	if s.HTTPSProxy != "" {
		parts = append(parts, fmt.Sprintf("%s for https (from %s)", Redacted(s.HTTPSProxy), s.HTTPSFrom))
	}
	if s.HTTPProxy != "" && (s.HTTPProxy != s.HTTPSProxy || s.HTTPFrom != s.HTTPSFrom) {
		parts = append(parts, fmt.Sprintf("%s for http (from %s)", Redacted(s.HTTPProxy), s.HTTPFrom))
	}
	np := "-"
	if s.NoProxy != "" {
		np = s.NoProxy + " (from " + s.NoProxyFrom + ")"
	}
	return strings.Join(parts, ", ") + "; no-proxy: " + np
}

// Func returns the function for http.Transport.Proxy. Like net/http it
// never proxies requests to localhost or loopback addresses.
func (s Settings) Func() func(*http.Request) (*url.URL, error) {
	fn := (&httpproxy.Config{HTTPProxy: s.HTTPProxy, HTTPSProxy: s.HTTPSProxy, NoProxy: s.NoProxy}).ProxyFunc()
	return func(r *http.Request) (*url.URL, error) { return fn(r.URL) }
}

// Redacted returns a proxy URL without its user information, for logs.
func Redacted(raw string) string {
	u, problem := parse(raw)
	if problem != "" {
		return "(unparsable proxy URL)"
	}
	if u.User == nil {
		return u.String()
	}
	u.User = nil
	return strings.Replace(u.String(), "://", "://***@", 1)
}

// Transport returns a clone of http.DefaultTransport that uses s.
func (s Settings) Transport() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.Proxy = s.Func()
	return t
}
