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
	"errors"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/org/aws-oidc-go/internal/dev/harness"
)

func TestMain(m *testing.M) {
	code := m.Run()
	harness.StopShared()
	os.Exit(code)
}

// certFor returns a CA pool and a server certificate it signed for names.
func certFor(t *testing.T, names ...string) (*x509.CertPool, tls.Certificate) {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "floor test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	caCert, _ := x509.ParseCertificate(caDER)
	leafKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	leafDER, err := x509.CreateCertificate(rand.Reader, &x509.Certificate{SerialNumber: big.NewInt(2),
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), DNSNames: names,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, KeyUsage: x509.KeyUsageDigitalSignature},
		caCert, &leafKey.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(caCert)
	return pool, tls.Certificate{Certificate: [][]byte{leafDER}, PrivateKey: leafKey}
}

// TestFloor runs the floor against moto and the fake token service behind
// TLS under the real names, and checks what makes it the floor: one
// connection to STS, opened while the token request is still unanswered
// (or, with -sts-after-token, not before it), and only the requests it
// claims.
func TestFloor(t *testing.T) {
	t.Parallel()
	moto := harness.SharedMoto(t)
	tokens := harness.NewTokenService()
	t.Cleanup(tokens.Close) // after the parallel subtests
	const tokenHost, stsHost = "pipelines.actions.githubusercontent.com", "sts.us-east-1.amazonaws.com"
	roots, cert := certFor(t, tokenHost, stsHost)

	tests := []struct {
		name    string
		args    []string
		early   bool // the STS connection is there before the token is answered
		actions []string
	}{
		{"overlap", nil, true, []string{"AssumeRoleWithWebIdentity"}},
		{"STS after the token", []string{"-sts-after-token"}, false, []string{"AssumeRoleWithWebIdentity"}},
		{"with GetCallerIdentity", []string{"-get-caller-identity"}, true, []string{"AssumeRoleWithWebIdentity", "GetCallerIdentity"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var stsConns atomic.Int64
			var mu sync.Mutex
			var actions []string
			motoURL, _ := url.Parse(moto.URL)
			toMoto := httputil.NewSingleHostReverseProxy(motoURL)
			sts := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				body, _ := io.ReadAll(r.Body)
				form, _ := url.ParseQuery(string(body))
				mu.Lock()
				actions = append(actions, form.Get("Action"))
				mu.Unlock()
				r.Body = io.NopCloser(bytes.NewReader(body))
				toMoto.ServeHTTP(w, r)
			}))
			sts.Config.ConnState = func(_ net.Conn, s http.ConnState) {
				if s == http.StateNew {
					stsConns.Add(1)
				}
			}
			sts.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
			sts.StartTLS()
			defer sts.Close()

			// The token service holds its answer until STS has the
			// connection (at most 3 s), or, where it must not have it
			// yet, for 300 ms, and notes what it saw.
			var seenAtToken atomic.Int64
			tokensURL, _ := url.Parse(tokens.BaseURL())
			toTokens := httputil.NewSingleHostReverseProxy(tokensURL)
			token := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				wait := 300 * time.Millisecond
				if tt.early {
					wait = 3 * time.Second
				}
				for deadline := time.Now().Add(wait); time.Now().Before(deadline) && stsConns.Load() == 0; {
					time.Sleep(5 * time.Millisecond)
				}
				seenAtToken.Store(stsConns.Load())
				toTokens.ServeHTTP(w, r)
			}))
			token.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
			token.StartTLS()
			defer token.Close()

			addrs := map[string]string{tokenHost + ":443": token.Listener.Addr().String(), stsHost + ":443": sts.Listener.Addr().String()}
			d := dialing{roots: roots, addr: func(hp string) string {
				if a, ok := addrs[hp]; ok {
					return a
				}
				return "127.0.0.1:1" // nothing else is reachable
			}}
			requestURL, _ := url.Parse(tokens.RequestURL)
			requestURL.Scheme, requestURL.Host = "https", tokenHost
			env := map[string]string{
				"ACTIONS_ID_TOKEN_REQUEST_URL": requestURL.String(), "ACTIONS_ID_TOKEN_REQUEST_TOKEN": tokens.RequestToken,
				"INPUT_ROLE-TO-ASSUME": "arn:aws:iam::123456789012:role/deploy", "INPUT_AWS-REGION": "us-east-1",
			}
			if err := run(context.Background(), tt.args, func(k string) string { return env[k] }, time.Now, d); err != nil {
				t.Fatal(err)
			}
			want := int64(0)
			if tt.early {
				want = 1
			}
			if got := seenAtToken.Load(); got != want {
				t.Errorf("STS connections when the token service answered: %d, want %d", got, want)
			}
			if got := stsConns.Load(); got != 1 {
				t.Errorf("%d connections to STS, want 1", got)
			}
			mu.Lock()
			defer mu.Unlock()
			if diff := cmp.Diff(tt.actions, actions); diff != "" {
				t.Errorf("STS requests (-want +got):\n%s", diff)
			}
		})
	}
}

func TestFloorRefusesAnUntrustedCertificate(t *testing.T) {
	t.Parallel()
	_, cert := certFor(t, "pipelines.actions.githubusercontent.com")
	otherRoots, _ := certFor(t, "pipelines.actions.githubusercontent.com")
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		io.WriteString(w, `{"value":"x"}`)
	}))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshake
	srv.StartTLS()
	defer srv.Close()
	d := dialing{roots: otherRoots, addr: func(string) string { return srv.Listener.Addr().String() }}
	env := map[string]string{
		"ACTIONS_ID_TOKEN_REQUEST_URL": "https://pipelines.actions.githubusercontent.com/_apis/token?api-version=2.0", "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "t",
		"INPUT_ROLE-TO-ASSUME": "arn:aws:iam::123456789012:role/deploy", "INPUT_AWS-REGION": "us-east-1",
	}
	err := run(context.Background(), nil, func(k string) string { return env[k] }, time.Now, d)
	var unknown x509.UnknownAuthorityError
	if !errorsAs(err, &unknown) {
		t.Errorf("run with a certificate from another CA: %v, want x509.UnknownAuthorityError", err)
	}
}

func errorsAs(err error, target any) bool { return err != nil && errors.As(err, target) }
