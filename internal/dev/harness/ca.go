package harness

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// TestCA is a certificate authority made for one test process, and a
// server certificate it signed for *.test.invalid and 127.0.0.1. Trusting
// it (SSL_CERT_FILE) lets tests speak https to the fakes through the
// forward proxy, as a real runner does; nothing else trusts it.
type TestCA struct {
	PEM  []byte // the CA certificate
	Leaf tls.Certificate
}

var (
	caOnce sync.Once
	ca     *TestCA
)

// CA returns the process's test CA, made on first use.
func CA() *TestCA {
	caOnce.Do(func() {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			panic(err)
		}
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "aws-oidc-go test CA"},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
			IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
		if err != nil {
			panic(err)
		}
		caCert, _ := x509.ParseCertificate(der)
		leafKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			panic(err)
		}
		leafTmpl := &x509.Certificate{
			SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "test.invalid"},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
			DNSNames: []string{"*.test.invalid"}, IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
			ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, KeyUsage: x509.KeyUsageDigitalSignature,
		}
		leafDER, err := x509.CreateCertificate(rand.Reader, leafTmpl, caCert, &leafKey.PublicKey, key)
		if err != nil {
			panic(err)
		}
		ca = &TestCA{
			PEM:  pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
			Leaf: tls.Certificate{Certificate: [][]byte{leafDER}, PrivateKey: leafKey},
		}
	})
	return ca
}

// WriteFile writes the CA certificate as a PEM bundle in dir.
func (c *TestCA) WriteFile(dir string) (string, error) {
	path := filepath.Join(dir, "aws-oidc-go-test-ca.pem")
	return path, os.WriteFile(path, c.PEM, 0o644)
}

// NewTLSFront serves HTTPS with the test CA's certificate on a loopback
// port, forwarding to an HTTP target.
func NewTLSFront(target string) *TLSProxy {
	u, err := url.Parse(target)
	if err != nil {
		panic(err)
	}
	p := &TLSProxy{}
	p.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		out := r.Clone(r.Context())
		out.RequestURI = ""
		out.URL.Scheme, out.URL.Host = u.Scheme, u.Host
		resp, err := (&http.Transport{Proxy: nil}).RoundTrip(out)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		copyResponse(w, resp)
	}))
	p.srv.TLS = &tls.Config{Certificates: []tls.Certificate{CA().Leaf}}
	p.srv.StartTLS()
	p.URL = p.srv.URL
	return p
}
