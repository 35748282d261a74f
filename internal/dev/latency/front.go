package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// CA is the benchmark's own certificate authority, made per run: the
// clients trust it through SSL_CERT_FILE (Go) and NODE_EXTRA_CA_CERTS
// (node), and verify each server's certificate against the real host
// name, as they would in production.
type CA struct {
	PEM  []byte
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
}

// NewCA makes a CA valid for a day.
func NewCA() (*CA, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "aws-oidc-go latency benchmark CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return &CA{PEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), cert: cert, key: key}, nil
}

var serial atomic.Int64

// Leaf issues a server certificate for names.
func (c *CA) Leaf(names ...string) (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2 + serial.Add(1)), Subject: pkix.Name{CommonName: names[0]},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		DNSNames: names, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, KeyUsage: x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, c.cert, &key.PublicKey, c.key)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, nil
}

// Front terminates TLS for one endpoint and forwards every request to a
// plain-HTTP backend on loopback (moto_server, the fake token service),
// counting TCP connections accepted, TLS handshakes completed and
// requests — by their STS Action where they carry one.
type Front struct {
	srv  *http.Server
	done chan struct{}

	conns, handshakes, resumed, requests atomic.Int64
	mu                                   sync.Mutex
	actions                              map[string]int64
}

// Counts is what a Front has seen so far.
type Counts struct {
	Conns      int64 // TCP connections accepted
	Handshakes int64 // TLS handshakes completed (the client verified us and finished)
	Resumed    int64 // of which resumed a session
	Requests   int64
	Actions    map[string]int64 // requests by form field Action (STS's query protocol)
}

// Sub returns c - base, dropping actions that did not occur in between.
func (c Counts) Sub(base Counts) Counts {
	d := Counts{Conns: c.Conns - base.Conns, Handshakes: c.Handshakes - base.Handshakes,
		Resumed: c.Resumed - base.Resumed, Requests: c.Requests - base.Requests, Actions: map[string]int64{}}
	for k, v := range c.Actions {
		if n := v - base.Actions[k]; n != 0 {
			d.Actions[k] = n
		}
	}
	return d
}

// ActionList names the actions, each as often as it was requested, in a
// stable order: "AssumeRoleWithWebIdentity, GetCallerIdentity".
func (c Counts) ActionList() string {
	var names []string
	for k := range c.Actions {
		names = append(names, k)
	}
	sort.Strings(names)
	var out []string
	for _, k := range names {
		for range c.Actions[k] {
			out = append(out, k)
		}
	}
	return strings.Join(out, ", ")
}

// maxForm bounds how much of a request body the front reads to find its
// Action; bodies are passed on whole either way.
const maxForm = 1 << 20

// StartFront serves HTTPS on ln with cert (HTTP/1.1, as STS speaks it) and
// forwards to backend, keeping the request's Host.
func StartFront(ln net.Listener, cert tls.Certificate, backend *url.URL) *Front {
	f := &Front{done: make(chan struct{}), actions: map[string]int64{}}
	proxy := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(backend)
			r.Out.Host = r.In.Host
		},
		Transport: &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 16},
		// A backend failure reaches the client as a 502, which fails
		// the run and shows in its output.
		ErrorLog: log.New(io.Discard, "", 0),
	}
	f.srv = &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			f.requests.Add(1)
			if action := f.action(r); action != "" {
				f.mu.Lock()
				f.actions[action]++
				f.mu.Unlock()
			}
			proxy.ServeHTTP(w, r)
		}),
		ReadHeaderTimeout: 30 * time.Second,
	}
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: []string{"http/1.1"}}
	hl := &handshakeListener{inner: ln, cfg: cfg, front: f, ready: make(chan net.Conn), closed: make(chan struct{})}
	go hl.acceptLoop()
	go func() {
		defer close(f.done)
		_ = f.srv.Serve(hl)
	}()
	return f
}

// action reads the STS Action of a form-encoded request, leaving the body
// intact for the backend.
func (f *Front) action(r *http.Request) string {
	if v := r.URL.Query().Get("Action"); v != "" {
		return v
	}
	if r.Body == nil || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		return ""
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxForm))
	r.Body = struct {
		io.Reader
		io.Closer
	}{io.MultiReader(bytes.NewReader(body), r.Body), r.Body}
	if err != nil {
		return ""
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return ""
	}
	return form.Get("Action")
}

// Counts returns the counts so far.
func (f *Front) Counts() Counts {
	f.mu.Lock()
	actions := make(map[string]int64, len(f.actions))
	for k, v := range f.actions {
		actions[k] = v
	}
	f.mu.Unlock()
	return Counts{Conns: f.conns.Load(), Handshakes: f.handshakes.Load(), Resumed: f.resumed.Load(),
		Requests: f.requests.Load(), Actions: actions}
}

// Close stops serving and closes every connection.
func (f *Front) Close() error {
	err := f.srv.Close()
	<-f.done
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// handshakeListener accepts TCP connections, counts them, completes each
// TLS handshake itself and hands the server only connections whose
// handshake finished — so a handshake counts once the client has verified
// the certificate and sent its Finished, which in TLS 1.3 is the last
// thing the server reads before the handshake is complete.
type handshakeListener struct {
	inner  net.Listener
	cfg    *tls.Config
	front  *Front
	ready  chan net.Conn
	closed chan struct{}
	once   sync.Once
}

// handshakeTimeout bounds a client that connects and stalls.
const handshakeTimeout = 30 * time.Second

func (l *handshakeListener) acceptLoop() {
	for {
		c, err := l.inner.Accept()
		if err != nil {
			l.Close()
			return
		}
		l.front.conns.Add(1)
		go func() {
			tc := tls.Server(c, l.cfg)
			ctx, cancel := context.WithTimeout(context.Background(), handshakeTimeout)
			defer cancel()
			if err := tc.HandshakeContext(ctx); err != nil {
				c.Close()
				return
			}
			l.front.handshakes.Add(1)
			if tc.ConnectionState().DidResume {
				l.front.resumed.Add(1)
			}
			select {
			case l.ready <- tc:
			case <-l.closed:
				c.Close()
			}
		}()
	}
}

func (l *handshakeListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.ready:
		return c, nil
	case <-l.closed:
		return nil, net.ErrClosed
	}
}

func (l *handshakeListener) Close() error {
	l.once.Do(func() { close(l.closed) })
	return l.inner.Close()
}

func (l *handshakeListener) Addr() net.Addr { return l.inner.Addr() }
