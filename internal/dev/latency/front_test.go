package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestFrontCountsConnectionsHandshakesAndRequests(t *testing.T) {
	t.Parallel()
	const host = "sts.us-east-1.amazonaws.com"
	// The backend echoes what reached it: the Host and the whole body.
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		fmt.Fprintf(w, "%s %s", r.Host, body)
	}))
	defer backend.Close()
	ca, err := NewCA()
	if err != nil {
		t.Fatal(err)
	}
	cert, err := ca.Leaf(host)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(backend.URL)
	f := StartFront(ln, cert, u)
	defer f.Close()

	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(ca.PEM)
	client := func(roots *x509.CertPool) *http.Client {
		return &http.Client{Transport: &http.Transport{
			TLSClientConfig: &tls.Config{RootCAs: roots},
			DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
				return (&net.Dialer{}).DialContext(ctx, network, ln.Addr().String())
			},
		}}
	}
	post := func(c *http.Client, form string) (string, error) {
		resp, err := c.Post("https://"+host+"/", "application/x-www-form-urlencoded", strings.NewReader(form))
		if err != nil {
			return "", err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		return string(b), err
	}

	// One connection, two requests.
	first := client(pool)
	for _, form := range []string{"Action=AssumeRoleWithWebIdentity&Version=2011-06-15", "Action=GetCallerIdentity&Version=2011-06-15"} {
		got, err := post(first, form)
		if err != nil {
			t.Fatal(err)
		}
		if want := host + " " + form; got != want {
			t.Errorf("backend saw %q, want %q (Host and body passed on intact)", got, want)
		}
	}
	base := f.Counts()
	// A second connection with one request without an Action.
	if _, err := post(client(pool), "Version=2011-06-15"); err != nil {
		t.Fatal(err)
	}
	// A client that does not trust the CA connects but never finishes a
	// handshake, and so sends no request.
	if _, err := post(client(x509.NewCertPool()), "Action=GetCallerIdentity"); err == nil {
		t.Fatal("a client without the CA got through")
	}

	got := f.Counts()
	want := Counts{Conns: 3, Handshakes: 2, Requests: 3, Actions: map[string]int64{"AssumeRoleWithWebIdentity": 1, "GetCallerIdentity": 1}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Counts (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(Counts{Conns: 2, Handshakes: 1, Requests: 1, Actions: map[string]int64{}}, got.Sub(base)); diff != "" {
		t.Errorf("Counts since the first client (-want +got):\n%s", diff)
	}
	if got, want := got.ActionList(), "AssumeRoleWithWebIdentity, GetCallerIdentity"; got != want {
		t.Errorf("ActionList() = %q, want %q", got, want)
	}
}
