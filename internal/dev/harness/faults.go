package harness

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"sync"
	"time"
)

// Fault is what a server or proxy does to one request instead of answering
// it normally. The zero Fault passes the request through.
type Fault struct {
	Delay    time.Duration   // wait this long first (then act, or pass)
	Until    <-chan struct{} // wait until this is closed first (then act, or pass)
	Hang     bool            // never answer; the client has to give up
	Reset    bool            // drop the TCP connection with a RST
	Status   int             // answer with this status and Body
	Body     string
	Truncate bool // pass, but cut the answer's body in half
	Garbage  bool // answer 200 with a body that is not XML/JSON
}

// STSError is STS's error answer (Query protocol XML) for code and message.
func STSError(status int, code, message string) Fault {
	typ := "Sender"
	if status >= 500 {
		typ = "Receiver"
	}
	return Fault{Status: status, Body: fmt.Sprintf(`<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <Error><Type>%s</Type><Code>%s</Code><Message>%s</Message></Error>
  <RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7</RequestId>
</ErrorResponse>`, typ, code, message)}
}

// IAMError is IAM's error answer (Query protocol XML) for code and message.
func IAMError(status int, code, message string) Fault {
	typ := "Sender"
	if status >= 500 {
		typ = "Receiver"
	}
	return Fault{Status: status, Body: fmt.Sprintf(`<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">
  <Error><Type>%s</Type><Code>%s</Code><Message>%s</Message></Error>
  <RequestId>4a4f7f2d-9e6c-4d7f-8a60-0c3c6d1f0b7e</RequestId>
</ErrorResponse>`, typ, code, message)}
}

// IAMOK is IAM's successful answer to an action that returns no data
// (AddClientIDToOpenIDConnectProvider, UpdateAssumeRolePolicy, ...).
func IAMOK(action string) Fault {
	return Fault{Status: 200, Body: fmt.Sprintf(`<%[1]sResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">
  <ResponseMetadata><RequestId>4a4f7f2d-9e6c-4d7f-8a60-0c3c6d1f0b7e</RequestId></ResponseMetadata>
</%[1]sResponse>`, action)}
}

// Common STS faults, with AWS's own wording.
var (
	FaultAccessDenied     = STSError(403, "AccessDenied", "Not authorized to perform sts:AssumeRoleWithWebIdentity")
	FaultThrottling       = STSError(400, "Throttling", "Rate exceeded")
	FaultIDPCommunication = STSError(400, "IDPCommunicationError", "Couldn't retrieve verification key from your identity provider,  please reference AssumeRoleWithWebIdentity documentation for requirements")
	FaultJWKSFetch        = STSError(400, "InvalidIdentityToken", "Couldn't retrieve verification key from your identity provider,  please reference AssumeRoleWithWebIdentity documentation for requirements")
	FaultNoProvider       = STSError(400, "InvalidIdentityToken", "No OpenIDConnect provider found in your account for https://token.actions.githubusercontent.com")
	FaultBadAudience      = STSError(400, "InvalidIdentityToken", "Incorrect token audience")
	FaultExpiredToken     = STSError(400, "ExpiredTokenException", "Token expired: current date/time 1700000000 must be before the expiration date/time 1699999000")
	FaultRegionDisabled   = STSError(403, "RegionDisabledException", "STS is not activated in this region for account:123456789012. Your account administrator can activate STS in this region using the IAM Console.")
	FaultInternal         = STSError(500, "InternalFailure", "An internal error occurred")
	FaultUnavailable      = Fault{Status: 503, Body: "<html>Service Unavailable</html>"}
)

// FaultPlan decides, by the 1-based number of a request, which fault to
// inject. Unplanned requests pass.
type FaultPlan struct {
	mu       sync.Mutex
	byN      map[int]Fault
	byAction map[string]Fault
	always   *Fault
	release_ chan struct{}
	once     sync.Once
}

// At plans fault f for the requests numbered ns.
func (p *FaultPlan) At(f Fault, ns ...int) *FaultPlan {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.byN == nil {
		p.byN = map[int]Fault{}
	}
	for _, n := range ns {
		p.byN[n] = f
	}
	return p
}

// ForAction plans fault f for every request of the Query-protocol action
// (the form's Action, e.g. AddClientIDToOpenIDConnectProvider) that At
// does not plan.
func (p *FaultPlan) ForAction(action string, f Fault) *FaultPlan {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.byAction == nil {
		p.byAction = map[string]Fault{}
	}
	p.byAction[action] = f
	return p
}

// Always plans fault f for every request not planned by At.
func (p *FaultPlan) Always(f Fault) *FaultPlan {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.always = &f
	return p
}

func (p *FaultPlan) getFor(n int, action string) (Fault, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if f, ok := p.byN[n]; ok {
		return f, true
	}
	if f, ok := p.byAction[action]; ok && action != "" {
		return f, true
	}
	if p.always != nil {
		return *p.always, true
	}
	return Fault{}, false
}

func (p *FaultPlan) released() chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.release_ == nil {
		p.release_ = make(chan struct{})
	}
	return p.release_
}

func (p *FaultPlan) release() {
	ch := p.released()
	p.once.Do(func() { close(ch) })
}

// apply acts out the fault planned for request n. It reports whether the
// request was answered (or dropped); false means "pass it on".
func (p *FaultPlan) apply(n int, w http.ResponseWriter, r *http.Request) bool {
	return p.applyFor(n, "", w, r)
}

func (p *FaultPlan) applyFor(n int, action string, w http.ResponseWriter, r *http.Request) bool {
	f, ok := p.getFor(n, action)
	if !ok {
		return false
	}
	if f.Delay > 0 {
		select {
		case <-time.After(f.Delay):
		case <-r.Context().Done():
			return true
		case <-p.released():
			return true
		}
	}
	if f.Until != nil {
		select {
		case <-f.Until:
		case <-r.Context().Done():
			return true
		case <-p.released():
			return true
		}
	}
	switch {
	case f.Hang:
		select {
		case <-r.Context().Done():
		case <-p.released():
		}
		return true
	case f.Reset:
		reset(w)
		return true
	case f.Status != 0:
		if len(f.Body) > 0 && f.Body[0] == '<' {
			w.Header().Set("Content-Type", "text/xml")
		}
		w.WriteHeader(f.Status)
		io.WriteString(w, f.Body)
		return true
	case f.Garbage:
		w.Header().Set("Content-Type", "text/xml")
		io.WriteString(w, "\x00\x01 this is not a response \xff")
		return true
	}
	return false
}

func reset(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic("response writer cannot be hijacked")
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		return
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		tc.SetLinger(0)
	}
	conn.Close()
}

// STSRequest is one request the proxy saw.
type STSRequest struct {
	Action string     // STS action, e.g. AssumeRoleWithWebIdentity
	Form   url.Values // the decoded form body
	Header http.Header
	Fault  bool // a fault was injected instead of passing it on
}

// Proxy is a fault-injecting reverse proxy in front of an STS endpoint
// (moto). It records every request and numbers them for the FaultPlan.
type Proxy struct {
	URL string

	target *url.URL
	srv    *httptest.Server
	faults *FaultPlan
	client *http.Client

	mu       sync.Mutex
	requests []STSRequest
}

// NewProxy starts a proxy forwarding to target.
func NewProxy(target string) *Proxy {
	u, err := url.Parse(target)
	if err != nil {
		panic(err)
	}
	p := &Proxy{target: u, faults: &FaultPlan{}, client: &http.Client{Timeout: 30 * time.Second}}
	p.srv = httptest.NewServer(http.HandlerFunc(p.serve))
	p.URL = p.srv.URL
	return p
}

// Faults is the proxy's fault plan.
func (p *Proxy) Faults() *FaultPlan { return p.faults }

// Requests returns the requests seen so far.
func (p *Proxy) Requests() []STSRequest {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]STSRequest(nil), p.requests...)
}

// Count returns how many requests for action (all when "") were seen.
func (p *Proxy) Count(action string) int {
	n := 0
	for _, r := range p.Requests() {
		if action == "" || r.Action == action {
			n++
		}
	}
	return n
}

// Close stops the proxy, releasing hung requests.
func (p *Proxy) Close() { p.faults.release(); p.srv.CloseClientConnections(); p.srv.Close() }

func (p *Proxy) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	form, _ := url.ParseQuery(string(body))
	p.mu.Lock()
	p.requests = append(p.requests, STSRequest{Action: form.Get("Action"), Form: form, Header: r.Header.Clone()})
	n := len(p.requests)
	p.mu.Unlock()

	f, planned := p.faults.getFor(n, form.Get("Action"))
	if p.faults.applyFor(n, form.Get("Action"), w, r) {
		p.mu.Lock()
		p.requests[n-1].Fault = true
		p.mu.Unlock()
		return
	}

	out, err := http.NewRequestWithContext(r.Context(), r.Method, p.target.String()+r.URL.RequestURI(), bytes.NewReader(body))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	out.Header = r.Header.Clone()
	resp, err := p.client.Do(out)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	rb, _ := io.ReadAll(resp.Body)
	for k, vs := range resp.Header {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	if planned && f.Truncate {
		w.Header().Set("Content-Length", strconv.Itoa(len(rb)))
		w.WriteHeader(resp.StatusCode)
		w.Write(rb[:len(rb)/2])
		w.(http.Flusher).Flush()
		reset(w)
		return
	}
	w.WriteHeader(resp.StatusCode)
	w.Write(rb)
}

// STSCredentials is a successful answer of action (AssumeRole or
// AssumeRoleWithWebIdentity) carrying the given credentials, for tests that
// need credentials of a particular shape.
func STSCredentials(action, keyID, secret, token string) Fault {
	return STSAnswer{Action: action, KeyID: keyID, Secret: secret, Token: token}.Fault()
}

// STSAnswer is a successful AssumeRole or AssumeRoleWithWebIdentity answer
// of a particular shape, standing in for what STS (or something between)
// said. Zero fields take well-formed defaults.
type STSAnswer struct {
	Action               string // default AssumeRoleWithWebIdentity
	KeyID, Secret, Token string
	// ARN is the AssumedRoleUser's Arn; default
	// arn:aws:sts::123456789012:assumed-role/deploy/GitHubActions.
	ARN string
	// Expiration; default an hour from now.
	Expiration time.Time
}

// Fault returns the answer as a fault to plan.
func (a STSAnswer) Fault() Fault {
	or := func(v, d string) string {
		if v == "" {
			return d
		}
		return v
	}
	exp := a.Expiration
	if exp.IsZero() {
		exp = time.Now().Add(time.Hour)
	}
	return Fault{Status: 200, Body: fmt.Sprintf(`<%[1]sResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <%[1]sResult>
    <Credentials>
      <AccessKeyId>%[2]s</AccessKeyId>
      <SecretAccessKey>%[3]s</SecretAccessKey>
      <SessionToken>%[4]s</SessionToken>
      <Expiration>%[5]s</Expiration>
    </Credentials>
    <AssumedRoleUser>
      <AssumedRoleId>AROAEXAMPLE:GitHubActions</AssumedRoleId>
      <Arn>%[6]s</Arn>
    </AssumedRoleUser>
  </%[1]sResult>
  <ResponseMetadata><RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7</RequestId></ResponseMetadata>
</%[1]sResponse>`, or(a.Action, "AssumeRoleWithWebIdentity"), or(a.KeyID, "ASIAEXAMPLEANSWER000"), or(a.Secret, "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEANSWER"), or(a.Token, "FwoGZXIvYXdzEXAMPLEANSWER"),
		exp.UTC().Format(time.RFC3339), or(a.ARN, "arn:aws:sts::123456789012:assumed-role/deploy/GitHubActions"))}
}

// STSIdentity is a successful GetCallerIdentity answer naming account and arn.
func STSIdentity(account, arn string) Fault {
	return Fault{Status: 200, Body: fmt.Sprintf(`<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <GetCallerIdentityResult>
    <Arn>%s</Arn>
    <UserId>AROAEXAMPLE:GitHubActions</UserId>
    <Account>%s</Account>
  </GetCallerIdentityResult>
  <ResponseMetadata><RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7</RequestId></ResponseMetadata>
</GetCallerIdentityResponse>`, arn, account)}
}

// copyResponse relays an upstream answer, headers, status and body.
func copyResponse(w http.ResponseWriter, resp *http.Response) {
	defer resp.Body.Close()
	for k, vs := range resp.Header {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	w.WriteHeader(resp.StatusCode)
	io.Copy(w, resp.Body)
}
