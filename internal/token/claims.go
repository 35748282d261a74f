package token

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// Claims are the claims of a GitHub Actions ID token that matter to trust
// policies and to diagnosis. Decoding does not verify the signature: the
// action only reads a token it was just handed by GitHub; STS verifies it.
type Claims struct {
	Issuer               string   `json:"iss"`
	Audience             Audience `json:"aud"`
	Subject              string   `json:"sub"`
	ExpiresAt            int64    `json:"exp"`
	IssuedAt             int64    `json:"iat"`
	NotBefore            int64    `json:"nbf"`
	Actor                string   `json:"actor"`
	ActorID              string   `json:"actor_id"`
	EnterpriseID         string   `json:"enterprise_id"`
	BaseRef              string   `json:"base_ref"`
	HeadRef              string   `json:"head_ref"`
	Environment          string   `json:"environment"`
	EventName            string   `json:"event_name"`
	JobWorkflowRef       string   `json:"job_workflow_ref"`
	Ref                  string   `json:"ref"`
	RefType              string   `json:"ref_type"`
	Repository           string   `json:"repository"`
	RepositoryID         string   `json:"repository_id"`
	RepositoryOwner      string   `json:"repository_owner"`
	RepositoryOwnerID    string   `json:"repository_owner_id"`
	RunnerEnvironment    string   `json:"runner_environment"`
	RunID                string   `json:"run_id"`
	RunAttempt           string   `json:"run_attempt"`
	Workflow             string   `json:"workflow"`
	WorkflowRef          string   `json:"workflow_ref"`
	RepositoryVisibility string   `json:"repository_visibility"`
}

// Audience is the aud claim: a string or an array of strings.
type Audience []string

// UnmarshalJSON accepts both forms JWTs use for aud.
func (a *Audience) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*a = Audience{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return errors.New("aud is neither a string nor an array of strings")
	}
	*a = many
	return nil
}

// DecodeClaims reads the payload of a compact JWS without verifying it.
func DecodeClaims(jwt string) (*Claims, error) {
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		return nil, fmt.Errorf("a JWT has 3 dot-separated parts, this has %d", len(parts))
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return nil, fmt.Errorf("JWT payload is not base64url: %w", err)
	}
	var c Claims
	if err := json.Unmarshal(payload, &c); err != nil {
		return nil, fmt.Errorf("JWT payload is not a JSON claims object: %w", err)
	}
	return &c, nil
}
