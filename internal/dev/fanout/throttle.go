package main

import (
	"io"
	"log"
	"net/http"
	"net/http/httputil"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/org/aws-oidc-go/internal/dev/harness"
)

// Bucket is a token bucket: Burst tokens at first, refilled at Rate per
// second up to Burst; each admitted request takes one, a refused one
// takes none (as STS's own limiter: a throttled call does not use up the
// rate). Rate ≤ 0 admits everything.
type Bucket struct {
	Rate, Burst float64
	Now         func() time.Time

	mu     sync.Mutex
	tokens float64
	last   time.Time
	primed bool
}

// Take admits one request, or refuses it.
func (b *Bucket) Take() bool {
	if b.Rate <= 0 {
		return true
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.Now()
	if !b.primed {
		b.tokens, b.last, b.primed = b.Burst, now, true
	}
	if dt := now.Sub(b.last); dt > 0 {
		b.tokens = min(b.Burst, b.tokens+dt.Seconds()*b.Rate)
	}
	b.last = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// throttled is STS's own answer above the account's rate: HTTP 400, Query
// protocol XML with code Throttling and message "Rate exceeded".
var throttled = harness.FaultThrottling

// Throttle is an STS endpoint in front of moto that admits requests through
// a Bucket and answers the rest as STS does when throttling. It counts both.
type Throttle struct {
	bucket   *Bucket
	proxy    *httputil.ReverseProxy
	admitted atomic.Int64
	refused  atomic.Int64
}

// NewThrottle returns a throttle forwarding what it admits to target.
func NewThrottle(target *url.URL, b *Bucket) *Throttle {
	p := httputil.NewSingleHostReverseProxy(target)
	p.Transport = &http.Transport{MaxIdleConnsPerHost: 256, IdleConnTimeout: 30 * time.Second}
	// A step that gives up on an attempt cancels its request: the step
	// says so itself; the proxy's log line per cancel would drown the table.
	p.ErrorLog = log.New(io.Discard, "", 0)
	return &Throttle{bucket: b, proxy: p}
}

func (t *Throttle) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !t.bucket.Take() {
		t.refused.Add(1)
		// The request is read as STS would before answering.
		io.Copy(io.Discard, io.LimitReader(r.Body, 1<<20))
		w.Header().Set("Content-Type", "text/xml")
		w.WriteHeader(throttled.Status)
		io.WriteString(w, throttled.Body)
		return
	}
	t.admitted.Add(1)
	t.proxy.ServeHTTP(w, r)
}

// Requests is how many requests reached the throttle: admitted and refused.
func (t *Throttle) Requests() (admitted, refused int64) {
	return t.admitted.Load(), t.refused.Load()
}
