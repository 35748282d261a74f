// Command floor is the latency benchmark's floor: the least any step can
// do to trade a GitHub ID token for AWS credentials, with the same
// verification as the real thing. It asks the runner's token service for
// a token (one TLS connection, one GET), opens the TLS connection to
// regional STS while that request is in flight, and calls
// AssumeRoleWithWebIdentity on it. Certificates are verified against the
// system roots (SSL_CERT_FILE adds the benchmark's CA), parsed while the
// first connection is made, and the real host names. It reads the step's
// environment like the action does and prints nothing on success; any
// failure exits 1.
//
// -sts-after-token opens the STS connection only once the token has
// arrived (what a lazily dialling SDK does); -get-caller-identity then
// confirms the credentials with a signed GetCallerIdentity on the same
// connection. It is built and run by internal/dev/latency only.
package main

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, time.Now, dialing{})
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "floor:", err)
		os.Exit(1)
	}
}

// maxBody bounds every answer read.
const maxBody = 1 << 20

// dialing is where connections go: the zero value is the real thing (the
// system's roots and resolver); tests point it at loopback and their CA.
type dialing struct {
	roots *x509.CertPool               // nil: the system's (SSL_CERT_FILE adds to them)
	addr  func(hostport string) string // nil: as named
}

func (d dialing) dial(ctx context.Context, network, hostport string) (net.Conn, error) {
	if d.addr != nil {
		hostport = d.addr(hostport)
	}
	return (&net.Dialer{Timeout: 10 * time.Second}).DialContext(ctx, network, hostport)
}

func run(ctx context.Context, args []string, getenv func(string) string, now func() time.Time, d dialing) error {
	fs := flag.NewFlagSet("floor", flag.ContinueOnError)
	after := fs.Bool("sts-after-token", false, "open the STS connection only after the token has arrived")
	gci := fs.Bool("get-caller-identity", false, "confirm the credentials with GetCallerIdentity on the same connection")
	if err := fs.Parse(args); err != nil {
		return err
	}
	in := func(name, def string) string {
		if v := getenv("INPUT_" + strings.ToUpper(name)); v != "" {
			return v
		}
		return def
	}
	requestURL, requestToken := getenv("ACTIONS_ID_TOKEN_REQUEST_URL"), getenv("ACTIONS_ID_TOKEN_REQUEST_TOKEN")
	role, region := in("role-to-assume", ""), in("aws-region", "")
	if requestURL == "" || requestToken == "" || role == "" || region == "" {
		return errors.New("needs ACTIONS_ID_TOKEN_REQUEST_URL, ACTIONS_ID_TOKEN_REQUEST_TOKEN, INPUT_ROLE-TO-ASSUME and INPUT_AWS-REGION")
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()

	// The system roots (parsed once per process, on first use) load
	// while the first connection is being made, not after it.
	if d.roots == nil {
		go x509.SystemCertPool()
	}
	stsHost := "sts." + region + ".amazonaws.com"
	sts := newSTSConn(stsHost, !*after, d)
	defer sts.close()
	client := &http.Client{Transport: &http.Transport{Proxy: nil, DialTLSContext: sts.dial}}
	defer client.CloseIdleConnections()

	token, err := fetchToken(ctx, d, requestURL, requestToken, in("audience", "sts.amazonaws.com"))
	if err != nil {
		return err
	}
	creds, err := assume(ctx, client, stsHost, role, in("role-session-name", "GitHubActions"), in("role-duration-seconds", "3600"), token)
	if err != nil {
		return err
	}
	if *gci {
		return callerIdentity(ctx, client, stsHost, region, creds, now())
	}
	return nil
}

// stsConn is the STS connection: dialled at once when early, and handed
// to the first request; later requests dial for themselves.
type stsConn struct {
	host string
	d    dialing
	mu   sync.Mutex
	pre  chan dialed
}

type dialed struct {
	c   net.Conn
	err error
}

func newSTSConn(host string, early bool, d dialing) *stsConn {
	s := &stsConn{host: host, d: d}
	if early {
		pre := make(chan dialed, 1)
		s.pre = pre
		go func() {
			c, err := s.connect(context.Background())
			pre <- dialed{c, err}
		}()
	}
	return s
}

func (s *stsConn) connect(ctx context.Context) (net.Conn, error) {
	c, err := s.d.dial(ctx, "tcp", net.JoinHostPort(s.host, "443"))
	if err != nil {
		return nil, err
	}
	tc := tls.Client(c, &tls.Config{ServerName: s.host, RootCAs: s.d.roots, NextProtos: []string{"http/1.1"}})
	if err := tc.HandshakeContext(ctx); err != nil {
		c.Close()
		return nil, err
	}
	return tc, nil
}

func (s *stsConn) dial(ctx context.Context, _, _ string) (net.Conn, error) {
	s.mu.Lock()
	pre := s.pre
	s.pre = nil
	s.mu.Unlock()
	if pre == nil {
		return s.connect(ctx)
	}
	select {
	case d := <-pre:
		return d.c, d.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// close closes an early connection nobody took.
func (s *stsConn) close() {
	s.mu.Lock()
	pre := s.pre
	s.pre = nil
	s.mu.Unlock()
	if pre != nil {
		if d := <-pre; d.c != nil {
			d.c.Close()
		}
	}
}

func fetchToken(ctx context.Context, d dialing, requestURL, requestToken, audience string) (string, error) {
	u, err := url.Parse(requestURL)
	if err != nil {
		return "", fmt.Errorf("ACTIONS_ID_TOKEN_REQUEST_URL: %w", err)
	}
	q := u.Query()
	q.Set("audience", audience)
	u.RawQuery = q.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return "", err
	}
	req.Header.Set("Authorization", "Bearer "+requestToken)
	req.Header.Set("Accept", "application/json")
	tr := &http.Transport{Proxy: nil, DialContext: d.dial, TLSClientConfig: &tls.Config{RootCAs: d.roots}}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		return "", fmt.Errorf("token request: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("token request: HTTP %d", resp.StatusCode)
	}
	var body struct {
		Value string `json:"value"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxBody)).Decode(&body); err != nil || body.Value == "" {
		return "", fmt.Errorf("token request: no token in the answer (%v)", err)
	}
	return body.Value, nil
}

func post(ctx context.Context, client *http.Client, host string, form url.Values, sign func(*http.Request, string) error, into any) error {
	body := form.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "https://"+host+"/", strings.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	if sign != nil {
		if err := sign(req, body); err != nil {
			return err
		}
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("%s: %w", form.Get("Action"), err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return fmt.Errorf("%s: %w", form.Get("Action"), err)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: HTTP %d", form.Get("Action"), resp.StatusCode)
	}
	if err := xml.Unmarshal(b, into); err != nil {
		return fmt.Errorf("%s: %w", form.Get("Action"), err)
	}
	return nil
}

func assume(ctx context.Context, client *http.Client, host, role, session, duration, token string) (aws.Credentials, error) {
	var out struct {
		Result struct {
			Credentials struct {
				AccessKeyID     string `xml:"AccessKeyId"`
				SecretAccessKey string
				SessionToken    string
			}
			AssumedRoleUser struct{ Arn string }
		} `xml:"AssumeRoleWithWebIdentityResult"`
	}
	form := url.Values{"Action": {"AssumeRoleWithWebIdentity"}, "Version": {"2011-06-15"}, "RoleArn": {role},
		"RoleSessionName": {session}, "DurationSeconds": {duration}, "WebIdentityToken": {token}}
	if err := post(ctx, client, host, form, nil, &out); err != nil {
		return aws.Credentials{}, err
	}
	c := out.Result.Credentials
	if c.AccessKeyID == "" || c.SecretAccessKey == "" || c.SessionToken == "" || out.Result.AssumedRoleUser.Arn == "" {
		return aws.Credentials{}, errors.New("AssumeRoleWithWebIdentity: the answer lacks credentials or AssumedRoleUser")
	}
	return aws.Credentials{AccessKeyID: c.AccessKeyID, SecretAccessKey: c.SecretAccessKey, SessionToken: c.SessionToken}, nil
}

func callerIdentity(ctx context.Context, client *http.Client, host, region string, creds aws.Credentials, now time.Time) error {
	var out struct {
		Result struct{ Arn, Account string } `xml:"GetCallerIdentityResult"`
	}
	sign := func(req *http.Request, body string) error {
		sum := sha256.Sum256([]byte(body))
		return v4.NewSigner().SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), "sts", region, now)
	}
	if err := post(ctx, client, host, url.Values{"Action": {"GetCallerIdentity"}, "Version": {"2011-06-15"}}, sign, &out); err != nil {
		return err
	}
	if out.Result.Arn == "" || out.Result.Account == "" {
		return errors.New("GetCallerIdentity: the answer names no identity")
	}
	return nil
}
