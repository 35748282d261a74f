package exchange

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// SDK is a run's AWS SDK configuration and the STS connections its clients
// open. All its clients share one HTTP transport, which keeps at most one
// connection per endpoint: the calls are sequential, and a call made while
// Preconnect's connection is still being set up waits for it instead of
// dialing a second one.
type SDK struct {
	cfg   aws.Config
	cc    ClientConfig
	conns *conns
	once  sync.Once
}

// LoadSDK loads the SDK's configuration as LoadAWSConfig does, with the
// transport's connections tracked so that Close can end them.
func LoadSDK(ctx context.Context, cc ClientConfig) (*SDK, error) {
	c := &conns{}
	adjust := cc.Transport
	cc2 := cc
	cc2.Transport = func(t *http.Transport) {
		if adjust != nil {
			adjust(t)
		}
		t.MaxConnsPerHost = 1
		t.DialContext = c.dial(t.DialContext)
	}
	cfg, err := LoadAWSConfig(ctx, cc2)
	if err != nil {
		return nil, err
	}
	return &SDK{cfg: cfg, cc: cc, conns: c}, nil
}

// Client returns an STS client that signs as s says.
func (k *SDK) Client(s Signing) *Client {
	return &Client{Client: NewSTS(k.cfg, k.cc, s), sdk: k}
}

// Close closes every connection the SDK's clients opened, and any still
// being opened once it is: after a failed step nothing stays connected.
func (k *SDK) Close() { k.conns.close() }

// Client is an STS client of an SDK.
type Client struct {
	*sts.Client
	sdk *SDK
}

// Preconnector is a client that can open its connection to STS ahead of
// its first call.
type Preconnector interface {
	Preconnect()
}

// Preconnect starts opening the connection the client's first call will
// use — DNS, TCP and TLS (or the proxy's CONNECT) to the endpoint the SDK
// resolves for it, through the SDK's own transport, so it is verified and
// proxied exactly as the call would be — and returns at once. It sends no
// request. Only the first Preconnect of an SDK does anything, and only
// when none of its clients has connected yet (so the transport has no idle
// connection the warm-up could be handed instead of dialing). It returns
// once the dial has begun: a call made after it finds the connection there
// or waits for it.
func (c *Client) Preconnect() {
	c.sdk.once.Do(func() {
		if c.sdk.conns.used() {
			return
		}
		u, err := Endpoint(context.Background(), c.Options())
		if err != nil {
			return // the call itself will say what is wrong
		}
		w := &warmup{dialing: make(chan struct{}), returned: make(chan struct{})}
		go c.sdk.conns.warm(c.sdk.cfg.HTTPClient, u, w)
		select {
		case <-w.dialing:
		case <-w.returned:
		}
	})
}

// Endpoint is the URL the SDK sends o's calls to: what its endpoint
// resolver makes of the region, the base endpoint (sts-endpoint,
// AWS_ENDPOINT_URL_STS, AWS_ENDPOINT_URL) and the FIPS and dual-stack
// settings. It binds the region as the client does before each call: a
// region that is not a host name is an error, and a FIPS pseudo-region
// ("us-east-1-fips", "fips-us-gov-west-1") turns FIPS on and is resolved
// as the region without "fips" (see fipsRegion). It is an error whenever
// the call would fail before it is sent.
func Endpoint(ctx context.Context, o sts.Options) (*url.URL, error) {
	if o.Region == "" {
		return nil, errors.New("no region")
	}
	if !validHostName(o.Region) {
		return nil, errors.New("region is not a host name")
	}
	region, pseudo := fipsRegion(o.Region)
	useFIPS := o.EndpointOptions.UseFIPSEndpoint == aws.FIPSEndpointStateEnabled ||
		pseudo && o.EndpointOptions.ResolvedRegion == ""
	params := sts.EndpointParameters{
		Region:       aws.String(region),
		UseDualStack: aws.Bool(o.EndpointOptions.UseDualStackEndpoint == aws.DualStackEndpointStateEnabled),
		UseFIPS:      aws.Bool(useFIPS),
		Endpoint:     o.BaseEndpoint,
	}
	resolver := o.EndpointResolverV2
	if resolver == nil {
		resolver = sts.NewDefaultEndpointResolverV2()
	}
	ep, err := resolver.ResolveEndpoint(ctx, params.WithDefaults())
	if err != nil {
		return nil, err
	}
	return &ep.URI, nil
}

// fipsRegion is region as the STS client resolves it, and whether it is a
// FIPS pseudo-region. The SDK does not export this step (its
// internal/endpoints MapFIPSRegion, applied when the client binds the
// endpoint parameters, and the FIPS switch in the client's per-call
// endpoint options): this mirrors the pinned SDK, and
// TestPreconnectEndpointIsTheCallsEndpoint compares the result with where
// the SDK's call goes.
func fipsRegion(region string) (string, bool) {
	if !strings.Contains(region, "-fips-") && !strings.Contains(region, "fips-") && !strings.Contains(region, "-fips") {
		return region, false
	}
	region = strings.ReplaceAll(region, "-fips-", "-")
	region = strings.ReplaceAll(region, "fips-", "")
	region = strings.ReplaceAll(region, "-fips", "")
	return region, true
}

// validHostName reports whether s is dot-separated host labels, none
// starting or ending with a hyphen: the check the client makes of a
// region before it resolves an endpoint.
func validHostName(s string) bool {
	for _, label := range strings.Split(s, ".") {
		if !smithyhttp.ValidHostLabel(label) || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
	}
	return true
}

// conns tracks the connections a transport dials.
type conns struct {
	mu     sync.Mutex
	open   []net.Conn
	dialed bool // a dial has begun
	closed bool
}

// used reports whether the transport has dialed (or begun to).
func (c *conns) used() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.dialed
}

type warmKey struct{}

// WarmDialTimeout bounds Preconnect's DNS lookup and TCP connect (the
// transport's TLS handshake timeout bounds the rest).
const WarmDialTimeout = 10 * time.Second

// warmup is one Preconnect's request, which exists only to make the
// transport dial: it is cancelled as its dial begins.
type warmup struct {
	cancel   context.CancelFunc
	dialing  chan struct{} // closed when the transport begins the dial
	returned chan struct{} // closed once the request has given up
	claimed  sync.Once
}

// warm makes the transport of hc open a connection to u and keep it idle
// for the next call. It hands the transport a request for u and cancels
// it the moment the transport starts dialing for it; the dial goes on
// (net/http detaches dials from their request) and, with no request left
// to serve, the transport puts the new connection in its idle pool. The
// dial itself waits until the request has returned, so the request can
// never be given the connection and sent.
func (c *conns) warm(hc aws.HTTPClient, u *url.URL, w *warmup) {
	defer close(w.returned)
	ctx, cancel := context.WithCancel(context.WithValue(context.Background(), warmKey{}, w))
	w.cancel = cancel
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), http.NoBody)
	if err != nil {
		return
	}
	resp, err := hc.Do(req)
	if err == nil {
		resp.Body.Close() // not reached: the request is cancelled before it has a connection
	}
}

// dial wraps a transport's DialContext: it lets a warm-up request go
// first (see warm) and records every connection.
func (c *conns) dial(next func(ctx context.Context, network, addr string) (net.Conn, error)) func(ctx context.Context, network, addr string) (net.Conn, error) {
	if next == nil {
		next = (&net.Dialer{}).DialContext
	}
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		if w, ok := ctx.Value(warmKey{}).(*warmup); ok {
			first := false
			w.claimed.Do(func() { first = true })
			if first {
				close(w.dialing)
				w.cancel()
				<-w.returned
				// No attempt deadline reaches this dial (net/http detaches
				// it): bound it, so calls waiting for it get their own dial
				// soon after a black-holed connect.
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, WarmDialTimeout)
				defer cancel()
			}
		}
		c.mu.Lock()
		c.dialed = true
		closed := c.closed
		c.mu.Unlock()
		if closed {
			return nil, errClosed
		}
		conn, err := next(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		c.mu.Lock()
		defer c.mu.Unlock()
		if c.closed {
			conn.Close()
			return nil, errClosed
		}
		c.open = append(c.open, conn)
		return conn, nil
	}
}

var errClosed = errors.New("the step is over: no new STS connections")

func (c *conns) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	for _, conn := range c.open {
		conn.Close()
	}
	c.open = nil
}
