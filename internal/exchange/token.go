package exchange

import (
	"encoding/base64"
	"encoding/json"
	"strconv"
	"strings"
	"time"
)

// Bounds of a token lifetime (exp − iat) that is reused: outside them the
// claims are not believed and every attempt fetches a token, as without
// reuse. GitHub's tokens live about 5 minutes.
const (
	minReuseLifetime = time.Minute
	maxReuseLifetime = 24 * time.Hour
)

// maxClaimsPayload bounds the token payload decoded for its lifetime (the
// token service's answer is already capped; this keeps the decoding's own
// cost bounded whatever fetch returns).
const maxClaimsPayload = 64 << 10

// heldToken is the token a web identity exchange may send again: its
// value, when it was fetched by the monotonic clock now, and how long it
// may be sent.
type heldToken struct {
	now     func() time.Time
	tok     string
	fetched time.Time
	usable  time.Duration // half its lifetime
}

// keep holds tok, fetched at start, when its claims give it a sane lifetime.
func (h *heldToken) keep(tok string, start time.Time) {
	h.drop()
	if life, ok := tokenLifetime(tok); ok {
		h.tok, h.fetched, h.usable = tok, start, life/2
	}
}

// get returns the held token and true while it may be sent again.
func (h *heldToken) get() (string, bool) {
	if h.tok == "" {
		return "", false
	}
	// Sub of two readings of time.Now uses the monotonic clock: a step of
	// the wall clock neither extends nor cuts the token's use.
	if age := h.now().Sub(h.fetched); age < 0 || age >= h.usable {
		h.drop()
		return "", false
	}
	return h.tok, true
}

func (h *heldToken) drop() { h.tok, h.usable = "", 0 }

// tokenLifetime is a JWT's exp − iat, when both are integral NumericDates
// in a sane range and the difference is between minReuseLifetime and
// maxReuseLifetime. The signature is not checked (STS does): a lying token
// only decides how long it is reused, and STS calling it expired ends that.
func tokenLifetime(jwt string) (time.Duration, bool) {
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 || len(parts[1]) > maxClaimsPayload {
		return 0, false
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return 0, false
	}
	var c struct {
		IssuedAt  json.RawMessage `json:"iat"`
		ExpiresAt json.RawMessage `json:"exp"`
	}
	if json.Unmarshal(payload, &c) != nil {
		return 0, false
	}
	iat, ok1 := numericDate(c.IssuedAt)
	exp, ok2 := numericDate(c.ExpiresAt)
	if !ok1 || !ok2 {
		return 0, false
	}
	life := time.Duration(exp-iat) * time.Second
	if life < minReuseLifetime || life > maxReuseLifetime {
		return 0, false
	}
	return life, true
}

// rejectsToken reports whether STS refused the web identity token itself:
// expired, or invalid for a reason other than STS failing to retrieve the
// issuer's verification keys.
func rejectsToken(err error) bool {
	switch ErrorCode(err) {
	case "ExpiredTokenException":
		return true
	case "InvalidIdentityToken":
		return !verificationKeyError(err)
	}
	return false
}

// numericDate is a JWT NumericDate given as a JSON integer (not a string,
// not a fraction) between 1970 and the year 10000, so that differences of
// two never overflow a Duration's arithmetic.
func numericDate(raw json.RawMessage) (int64, bool) {
	const maxDate = 253402300799 // 9999-12-31T23:59:59Z
	if len(raw) == 0 || raw[0] < '1' || raw[0] > '9' || len(raw) > 12 {
		return 0, false
	}
	n, err := strconv.ParseInt(string(raw), 10, 64)
	if err != nil || n > maxDate {
		return 0, false
	}
	return n, true
}
