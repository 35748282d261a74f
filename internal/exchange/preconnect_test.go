package exchange

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// recordingClient is an aws.HTTPClient that records where requests go and
// sends none.
type recordingClient struct {
	mu   sync.Mutex
	urls []string
}

var errNotSent = errors.New("not sent")

func (c *recordingClient) Do(r *http.Request) (*http.Response, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.urls = append(c.urls, r.URL.Scheme+"://"+r.URL.Host)
	return nil, errNotSent
}

// TestPreconnectEndpointIsTheCallsEndpoint: the endpoint Preconnect dials
// is the one the SDK then sends the call to, however it is configured.
// (Not parallel: the SDK reads these variables from the process.)
func TestPreconnectEndpointIsTheCallsEndpoint(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		name     string
		region   string
		endpoint string // ClientConfig.Endpoint (sts-endpoint)
		env      map[string]string
		want     string
	}{
		{name: "regional", region: "eu-west-1", want: "https://sts.eu-west-1.amazonaws.com"},
		{name: "us-east-1", region: "us-east-1", want: "https://sts.us-east-1.amazonaws.com"},
		{name: "China", region: "cn-north-1", want: "https://sts.cn-north-1.amazonaws.com.cn"},
		{name: "GovCloud", region: "us-gov-west-1", want: "https://sts.us-gov-west-1.amazonaws.com"},
		{name: "sts-endpoint", region: "eu-west-1", endpoint: "http://127.0.0.1:4566", want: "http://127.0.0.1:4566"},
		{name: "sts-endpoint wins over AWS_ENDPOINT_URL_STS", region: "eu-west-1", endpoint: "https://sts.input.example",
			env: map[string]string{"AWS_ENDPOINT_URL_STS": "https://sts.env.example"}, want: "https://sts.input.example"},
		{name: "AWS_ENDPOINT_URL_STS", region: "eu-west-1", env: map[string]string{"AWS_ENDPOINT_URL_STS": "https://sts.corp.example:8443"}, want: "https://sts.corp.example:8443"},
		{name: "AWS_ENDPOINT_URL", region: "eu-west-1", env: map[string]string{"AWS_ENDPOINT_URL": "https://all.corp.example"}, want: "https://all.corp.example"},
		{name: "FIPS", region: "us-east-1", env: map[string]string{"AWS_USE_FIPS_ENDPOINT": "true"}, want: "https://sts-fips.us-east-1.amazonaws.com"},
		{name: "dual-stack", region: "eu-west-1", env: map[string]string{"AWS_USE_DUALSTACK_ENDPOINT": "true"}, want: "https://sts.eu-west-1.api.aws"},
		// FIPS pseudo-regions: the SDK strips "fips" from the region and turns
		// FIPS on before it resolves the endpoint.
		{name: "FIPS pseudo-region suffix", region: "us-east-1-fips", want: "https://sts-fips.us-east-1.amazonaws.com"},
		{name: "FIPS pseudo-region prefix GovCloud", region: "fips-us-gov-west-1", want: "https://sts.us-gov-west-1.amazonaws.com"},
		{name: "FIPS pseudo-region infix", region: "us-west-2-fips-x", want: "https://sts-fips.us-west-2-x.amazonaws.com"},
		// No endpoint (want ""): the call fails before it is sent, so there
		// is nothing to pre-dial.
		{name: "FIPS pseudo-region with sts-endpoint", region: "us-east-1-fips", endpoint: "http://127.0.0.1:4566"},
		{name: "region not a host label", region: "eu-west-1/x"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for _, k := range []string{"AWS_CA_BUNDLE", "AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_STS", "AWS_USE_FIPS_ENDPOINT", "AWS_USE_DUALSTACK_ENDPOINT", "AWS_STS_REGIONAL_ENDPOINTS"} {
				t.Setenv(k, "")
			}
			t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "none"))
			t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "none"))
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			cc := ClientConfig{Region: tc.region, Endpoint: tc.endpoint}
			cfg, err := LoadAWSConfig(context.Background(), cc)
			if err != nil {
				t.Fatal(err)
			}
			rec := &recordingClient{}
			cfg.HTTPClient = rec
			client := NewSTS(cfg, cc, Signing{})
			u, err := Endpoint(context.Background(), client.Options())
			_, callErr := client.AssumeRoleWithWebIdentity(context.Background(), &sts.AssumeRoleWithWebIdentityInput{RoleArn: aws.String("arn:aws:iam::123456789012:role/r"), RoleSessionName: aws.String("s"), WebIdentityToken: aws.String("a.b.c")})
			if tc.want == "" {
				if err == nil || callErr == nil || errors.Is(callErr, errNotSent) || len(rec.urls) != 0 {
					t.Fatalf("Endpoint = %v, %v; the call: %v, sent to %v; want both to fail and nothing sent", u, err, callErr, rec.urls)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if err := callErr; !errors.Is(err, errNotSent) {
				t.Fatalf("the call did not reach the HTTP client: %v", err)
			}
			got := u.Scheme + "://" + u.Host
			if len(rec.urls) != 1 || rec.urls[0] != got || got != tc.want {
				t.Errorf("Preconnect dials %s, the call went to %v, want %s", got, rec.urls, tc.want)
			}
		})
	}
}

// stsServer answers every request with a GetCallerIdentity result and
// counts connections and requests.
type stsServer struct {
	*httptest.Server
	mu             sync.Mutex
	conns, reqs    int
	firstConnReady chan struct{}
}

func newSTSServer(t *testing.T) *stsServer {
	s := &stsServer{firstConnReady: make(chan struct{})}
	s.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.reqs++
		s.mu.Unlock()
		w.Header().Set("Content-Type", "text/xml")
		w.Write([]byte(`<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult>
<Arn>arn:aws:iam::123456789012:user/ci</Arn><UserId>AIDA</UserId><Account>123456789012</Account></GetCallerIdentityResult>
<ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></GetCallerIdentityResponse>`))
	}))
	s.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			s.mu.Lock()
			s.conns++
			if s.conns == 1 {
				close(s.firstConnReady)
			}
			s.mu.Unlock()
		}
	}
	s.Start()
	t.Cleanup(s.Close)
	return s
}

func (s *stsServer) counts() (conns, reqs int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.conns, s.reqs
}

func testSDK(t *testing.T, endpoint string) *SDK {
	t.Helper()
	t.Setenv("AWS_CA_BUNDLE", "")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	k, err := LoadSDK(context.Background(), ClientConfig{Region: "eu-west-1", Endpoint: endpoint})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(k.Close)
	return k
}

func keys() *Credentials {
	return &Credentials{AccessKeyID: "AKIAIOSFODNN7EXAMPLE", SecretAccessKey: "secret"}
}

func TestPreconnectOpensTheConnectionTheCallUses(t *testing.T) {
	s := newSTSServer(t)
	k := testSDK(t, s.URL)
	c := k.Client(Signing{Static: keys()})
	c.Preconnect()
	select {
	case <-s.firstConnReady:
	case <-time.After(10 * time.Second):
		t.Fatal("Preconnect opened no connection")
	}
	if conns, reqs := s.counts(); conns != 1 || reqs != 0 {
		t.Fatalf("after Preconnect: %d connections, %d requests; want 1, 0", conns, reqs)
	}
	if _, err := CallerIdentity(context.Background(), c, Retrier{MaxAttempts: 1}); err != nil {
		t.Fatal(err)
	}
	if conns, reqs := s.counts(); conns != 1 || reqs != 1 {
		t.Errorf("after the call: %d connections, %d requests; want 1, 1", conns, reqs)
	}
}

// A call already made has connected: Preconnect then does nothing (the
// idle connection must never carry its warm-up request).
func TestPreconnectAfterACallSendsNothing(t *testing.T) {
	s := newSTSServer(t)
	k := testSDK(t, s.URL)
	c := k.Client(Signing{Static: keys()})
	if _, err := CallerIdentity(context.Background(), c, Retrier{MaxAttempts: 1}); err != nil {
		t.Fatal(err)
	}
	c.Preconnect()
	k.Client(Signing{}).Preconnect()
	time.Sleep(50 * time.Millisecond) // a stray request would arrive by now
	if conns, reqs := s.counts(); conns != 1 || reqs != 1 {
		t.Errorf("%d connections, %d requests; want 1, 1", conns, reqs)
	}
}

// Close ends the connections and refuses new ones.
func TestSDKCloseEndsConnections(t *testing.T) {
	s := newSTSServer(t)
	k := testSDK(t, s.URL)
	c := k.Client(Signing{Static: keys()})
	c.Preconnect()
	<-s.firstConnReady
	k.Close()
	if _, err := CallerIdentity(context.Background(), c, Retrier{MaxAttempts: 1}); err == nil {
		t.Error("a call after Close connected")
	}
	if conns, reqs := s.counts(); conns != 1 || reqs != 0 {
		t.Errorf("%d connections, %d requests; want 1, 0", conns, reqs)
	}
}
