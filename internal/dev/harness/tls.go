package harness

import (
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
)

// TLSProxy serves HTTPS on a loopback port with a certificate from a test
// CA nobody trusts by default, forwarding to an HTTP target — for testing
// custom CA bundles (AWS_CA_BUNDLE, SSL_CERT_FILE) against moto or the
// token service.
type TLSProxy struct {
	URL string
	srv *httptest.Server
}

// NewTLSProxy starts the proxy in front of target.
func NewTLSProxy(target string) *TLSProxy {
	u, err := url.Parse(target)
	if err != nil {
		panic(err)
	}
	p := &TLSProxy{}
	p.srv = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		out := r.Clone(r.Context())
		out.RequestURI = ""
		out.URL.Scheme, out.URL.Host = u.Scheme, u.Host
		resp, err := http.DefaultTransport.RoundTrip(out)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		copyResponse(w, resp)
	}))
	p.URL = p.srv.URL
	return p
}

// WriteCA writes the proxy's certificate as a PEM bundle in dir.
func (p *TLSProxy) WriteCA(dir string) (string, error) {
	path := filepath.Join(dir, "test-ca.pem")
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: p.srv.Certificate().Raw})
	return path, os.WriteFile(path, pemBytes, 0o644)
}

// Close stops the proxy.
func (p *TLSProxy) Close() { p.srv.Close() }
