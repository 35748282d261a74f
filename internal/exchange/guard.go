package exchange

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/org/aws-oidc-go/internal/runner"
)

// MaxResponseBody bounds what is read of an STS answer; real ones are a
// few KiB.
const MaxResponseBody = 1 << 20

// maxErrorPeek is how much of an error answer is read to tell an STS error
// from a page a proxy or firewall sent.
const maxErrorPeek = 64 << 10

// HTTPError is an error answer that is not STS's: an HTML page or plain
// text from a proxy, a firewall or a load balancer. It is classified by its
// status alone (4xx other than 408/429 fails at once).
type HTTPError struct {
	StatusCode int
	FirstLine  string // the first non-empty line of the body, escaped, at most 200 bytes
}

func (e *HTTPError) Error() string {
	msg := fmt.Sprintf("HTTP %d %s from the STS endpoint, which is not an STS answer (a proxy, firewall or wrong endpoint?)", e.StatusCode, http.StatusText(e.StatusCode))
	if e.FirstLine != "" {
		msg += ": " + e.FirstLine
	}
	return msg
}

// Temporary: a retry may help only after a 5xx, 408 or 429.
func (e *HTTPError) Temporary() bool {
	return e.StatusCode >= 500 || e.StatusCode == http.StatusTooManyRequests || e.StatusCode == http.StatusRequestTimeout
}

// guardedClient bounds STS answers and turns error answers that are not
// STS's into *HTTPError before the SDK's deserializer misreads them.
type guardedClient struct{ next aws.HTTPClient }

func (g guardedClient) Do(r *http.Request) (*http.Response, error) {
	if r.Body != nil && r.Body != http.NoBody {
		r.Body = plainBody{r.Body}
	}
	resp, err := g.next.Do(r)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode >= 300 {
		peek, rerr := io.ReadAll(io.LimitReader(resp.Body, maxErrorPeek))
		if rerr == nil && !looksLikeSTSError(peek) {
			resp.Body.Close()
			return nil, &HTTPError{StatusCode: resp.StatusCode, FirstLine: firstLine(peek)}
		}
		resp.Body = struct {
			io.Reader
			io.Closer
		}{io.MultiReader(bytes.NewReader(peek), resp.Body), resp.Body}
	}
	resp.Body = &cappedBody{rc: resp.Body, left: MaxResponseBody}
	return resp, nil
}

func looksLikeSTSError(b []byte) bool {
	return bytes.Contains(b, []byte("<ErrorResponse")) || bytes.Contains(b, []byte("<Error>"))
}

// firstLine is the answer's first non-blank line as it is shown
// (runner.Excerpt): it is the server's text.
func firstLine(b []byte) string {
	for _, line := range strings.Split(string(b), "\n") {
		if line = strings.TrimSpace(line); line != "" {
			return runner.Excerpt(line, 200)
		}
	}
	return ""
}

// cappedBody fails a read past its limit instead of reading on.
type cappedBody struct {
	rc   io.ReadCloser
	left int64
}

// ErrBodyTooLarge is an answer larger than MaxResponseBody.
var ErrBodyTooLarge = fmt.Errorf("the answer is larger than %d bytes", MaxResponseBody)

func (c *cappedBody) Read(p []byte) (int, error) {
	if c.left <= 0 {
		return 0, ErrBodyTooLarge
	}
	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.rc.Read(p)
	c.left -= int64(n)
	return n, err
}

func (c *cappedBody) Close() error { return c.rc.Close() }

// plainBody is the request body without its WriteTo. The SDK's body has
// one that returns io.EOF as an error once the SDK has closed the body, and
// the SDK closes it as soon as Do returns with the answer's headers: when
// STS answers that fast, net/http's write loop may not yet have made its
// last read of the body (the check for bytes past Content-Length, an
// io.Copy that takes the WriteTo), gets that EOF as a failure and closes
// the connection under the reader of the answer ("use of closed network
// connection"), which cost a retry. Through Read, an EOF is an end.
type plainBody struct{ io.ReadCloser }
