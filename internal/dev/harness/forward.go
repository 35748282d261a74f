package harness

import (
	"encoding/base64"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"time"
)

// ForwardProxy is an HTTP forward proxy requiring basic auth. It resolves
// host names ending in Suffix to 127.0.0.1 (keeping the port), so tests can
// send traffic through it: Go never proxies loopback addresses, and only
// this proxy knows those names.
type ForwardProxy struct {
	URL      string // with user:password
	Address  string // host:port, no credentials
	User     string
	Password string
	Suffix   string

	srv *httptest.Server
	mu  sync.Mutex
	// Seen holds the hosts requested through the proxy.
	seen []ProxiedRequest
}

// ProxiedRequest is one request the proxy handled.
type ProxiedRequest struct {
	Host       string
	Authorized bool
}

// NewForwardProxy starts a proxy with fresh credentials.
func NewForwardProxy() *ForwardProxy {
	p := &ForwardProxy{User: "ci", Password: "pw-" + randomHex(8), Suffix: ".test.invalid"}
	p.srv = httptest.NewServer(http.HandlerFunc(p.serve))
	u, _ := url.Parse(p.srv.URL)
	p.Address = u.Host
	u.User = url.UserPassword(p.User, p.Password)
	p.URL = u.String()
	return p
}

// Seen returns the requests handled so far.
func (p *ForwardProxy) Seen() []ProxiedRequest {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]ProxiedRequest(nil), p.seen...)
}

// Close stops the proxy.
func (p *ForwardProxy) Close() { p.srv.Close() }

// Name returns a host name only this proxy resolves, for the loopback URL u
// (http://127.0.0.1:PORT/... becomes http://NAME.test.invalid:PORT/...).
func (p *ForwardProxy) Name(u, name string) string {
	parsed, err := url.Parse(u)
	if err != nil {
		panic(err)
	}
	parsed.Host = name + p.Suffix + ":" + parsed.Port()
	return parsed.String()
}

func (p *ForwardProxy) serve(w http.ResponseWriter, r *http.Request) {
	want := "Basic " + base64.StdEncoding.EncodeToString([]byte(p.User+":"+p.Password))
	authorized := r.Header.Get("Proxy-Authorization") == want
	p.mu.Lock()
	p.seen = append(p.seen, ProxiedRequest{Host: r.URL.Host, Authorized: authorized})
	p.mu.Unlock()
	if !authorized {
		w.Header().Set("Proxy-Authenticate", `Basic realm="test"`)
		http.Error(w, "proxy authentication required", http.StatusProxyAuthRequired)
		return
	}
	if r.Method == http.MethodConnect {
		p.tunnel(w, r)
		return
	}
	host, port, err := net.SplitHostPort(r.URL.Host)
	if err != nil || !r.URL.IsAbs() || !strings.HasSuffix(host, p.Suffix) {
		http.Error(w, "this proxy only serves *"+p.Suffix, http.StatusBadGateway)
		return
	}
	out := r.Clone(r.Context())
	out.RequestURI = ""
	out.URL.Host = net.JoinHostPort("127.0.0.1", port)
	out.Header.Del("Proxy-Authorization")
	resp, err := (&http.Transport{Proxy: nil}).RoundTrip(out)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	copyResponse(w, resp)
}

// tunnel serves CONNECT (https through the proxy) to a *Suffix host.
func (p *ForwardProxy) tunnel(w http.ResponseWriter, r *http.Request) {
	host, port, err := net.SplitHostPort(r.Host)
	if err != nil || !strings.HasSuffix(host, p.Suffix) {
		http.Error(w, "this proxy only serves *"+p.Suffix, http.StatusBadGateway)
		return
	}
	upstream, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", port), 5*time.Second)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	hj, ok := w.(http.Hijacker)
	if !ok {
		upstream.Close()
		http.Error(w, "no hijacking", http.StatusInternalServerError)
		return
	}
	client, buf, err := hj.Hijack()
	if err != nil {
		upstream.Close()
		return
	}
	client.Write([]byte("HTTP/1.1 200 Connection established\r\n\r\n"))
	go func() {
		if buf.Reader.Buffered() > 0 {
			io.CopyN(upstream, buf, int64(buf.Reader.Buffered()))
		}
		io.Copy(upstream, client)
		upstream.Close()
	}()
	io.Copy(client, upstream)
	client.Close()
}
