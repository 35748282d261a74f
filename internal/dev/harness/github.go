package harness

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"math/big"
	"net/http"
	"net/http/httptest"
	"sync"
	"time"
)

// TokenService is a faithful fake of the runner's ID token service: it
// checks the bearer request token and the api-version query the runner puts
// in ACTIONS_ID_TOKEN_REQUEST_URL, and answers {"count":N,"value":JWT} with
// an RS256 JWT carrying GitHub's claim set. Its keys are published at
// /.well-known/jwks like token.actions.githubusercontent.com.
type TokenService struct {
	// RequestURL is the value for ACTIONS_ID_TOKEN_REQUEST_URL.
	RequestURL string
	// RequestToken is the value for ACTIONS_ID_TOKEN_REQUEST_TOKEN.
	RequestToken string
	Issuer       string
	// Lifetime of issued tokens (GitHub: about 5 minutes).
	Lifetime time.Duration

	srv    *httptest.Server
	key    *rsa.PrivateKey
	kid    string
	faults *FaultPlan

	mu       sync.Mutex
	claims   map[string]any
	requests []TokenRequest
	issued   []string
}

// TokenRequest is one request the service received.
type TokenRequest struct {
	Audience   string
	Authorized bool
}

var (
	keyOnce sync.Once
	testKey *rsa.PrivateKey
)

// NewTokenService starts the fake on a loopback port. Close it when done.
func NewTokenService() *TokenService {
	keyOnce.Do(func() {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		testKey = k
	})
	s := &TokenService{
		RequestToken: "ghrt_" + randomHex(20),
		Issuer:       "https://token.actions.githubusercontent.com",
		Lifetime:     5 * time.Minute,
		key:          testKey,
		kid:          randomHex(8),
		claims:       DefaultClaims(),
		faults:       &FaultPlan{},
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /_apis/token", s.serveToken)
	mux.HandleFunc("GET /.well-known/jwks", s.serveJWKS)
	s.srv = httptest.NewServer(mux)
	s.RequestURL = s.srv.URL + "/_apis/token?api-version=2.0"
	return s
}

// DefaultClaims is GitHub's claim set for a push to main of octo-org/octo-repo.
func DefaultClaims() map[string]any {
	return map[string]any{
		"sub":                   "repo:octo-org/octo-repo:ref:refs/heads/main",
		"ref":                   "refs/heads/main",
		"sha":                   "example-sha-0123456789abcdef0123456789ab",
		"repository":            "octo-org/octo-repo",
		"repository_owner":      "octo-org",
		"repository_owner_id":   "65432",
		"repository_id":         "123456789",
		"repository_visibility": "private",
		"run_id":                "9876543210",
		"run_number":            "42",
		"run_attempt":           "1",
		"actor":                 "octocat",
		"actor_id":              "583231",
		"workflow":              "deploy",
		"head_ref":              "",
		"base_ref":              "",
		"event_name":            "push",
		"ref_protected":         "true",
		"ref_type":              "branch",
		"workflow_ref":          "octo-org/octo-repo/.github/workflows/deploy.yml@refs/heads/main",
		"workflow_sha":          "example-sha-0123456789abcdef0123456789ab",
		"job_workflow_ref":      "octo-org/octo-repo/.github/workflows/deploy.yml@refs/heads/main",
		"job_workflow_sha":      "example-sha-0123456789abcdef0123456789ab",
		"runner_environment":    "github-hosted",
	}
}

// SetClaims overrides or adds claims for tokens issued from now on.
func (s *TokenService) SetClaims(c map[string]any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, v := range c {
		s.claims[k] = v
	}
}

// Faults is the plan of faults the service injects, by request number.
func (s *TokenService) Faults() *FaultPlan { return s.faults }

// BaseURL is the service's scheme://host:port.
func (s *TokenService) BaseURL() string { return s.srv.URL }

// Close stops the service.
func (s *TokenService) Close() { s.faults.release(); s.srv.CloseClientConnections(); s.srv.Close() }

// Requests returns what the service received so far.
func (s *TokenService) Requests() []TokenRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]TokenRequest(nil), s.requests...)
}

// Issued returns every JWT handed out, for leak checks.
func (s *TokenService) Issued() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.issued...)
}

func (s *TokenService) serveToken(w http.ResponseWriter, r *http.Request) {
	authorized := r.Header.Get("Authorization") == "Bearer "+s.RequestToken
	aud := r.URL.Query().Get("audience")
	s.mu.Lock()
	s.requests = append(s.requests, TokenRequest{Audience: aud, Authorized: authorized})
	n := len(s.requests)
	s.mu.Unlock()

	if s.faults.apply(n, w, r) {
		return
	}
	if !authorized {
		http.Error(w, `{"message":"Bad credentials"}`, http.StatusUnauthorized)
		return
	}
	if r.URL.Query().Get("api-version") != "2.0" {
		http.Error(w, `{"message":"api-version query parameter is required"}`, http.StatusBadRequest)
		return
	}
	jwt := s.Mint(aud)
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	json.NewEncoder(w).Encode(map[string]any{"count": 1, "value": jwt})
}

// Mint issues a signed token for aud with the current claims.
func (s *TokenService) Mint(aud string) string {
	now := time.Now()
	s.mu.Lock()
	claims := make(map[string]any, len(s.claims)+8)
	for k, v := range s.claims {
		claims[k] = v
	}
	s.mu.Unlock()
	if aud == "" {
		aud = "https://github.com/" + claims["repository_owner"].(string)
	}
	claims["aud"] = aud
	claims["iss"] = s.Issuer
	claims["jti"] = randomHex(16)
	claims["iat"] = now.Unix()
	claims["nbf"] = now.Add(-5 * time.Second).Unix()
	claims["exp"] = now.Add(s.Lifetime).Unix()
	jwt := SignRS256(s.key, s.kid, claims)
	s.mu.Lock()
	s.issued = append(s.issued, jwt)
	s.mu.Unlock()
	return jwt
}

func (s *TokenService) serveJWKS(w http.ResponseWriter, _ *http.Request) {
	pub := s.key.PublicKey
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{"keys": []map[string]string{{
		"kty": "RSA", "alg": "RS256", "use": "sig", "kid": s.kid,
		"n": base64.RawURLEncoding.EncodeToString(pub.N.Bytes()),
		"e": base64.RawURLEncoding.EncodeToString(big.NewInt(int64(pub.E)).Bytes()),
	}}})
}

// SignRS256 returns a compact JWS of claims signed with key.
func SignRS256(key *rsa.PrivateKey, kid string, claims map[string]any) string {
	header, _ := json.Marshal(map[string]string{"alg": "RS256", "typ": "JWT", "kid": kid, "x5t": kid})
	payload, _ := json.Marshal(claims)
	signing := base64.RawURLEncoding.EncodeToString(header) + "." + base64.RawURLEncoding.EncodeToString(payload)
	sum := sha256.Sum256([]byte(signing))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, sum[:])
	if err != nil {
		panic(err)
	}
	return signing + "." + base64.RawURLEncoding.EncodeToString(sig)
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
