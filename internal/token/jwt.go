package token

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
)

// CheckCompactJWT reports whether s has the shape of a compact JWS, the only
// form AssumeRoleWithWebIdentity takes: three base64url parts (header,
// payload, signature) separated by dots, the header decoding to a JSON
// object. The signature is not verified (STS does that). The error says
// what is wrong without quoting any part of s, which may be a secret.
func CheckCompactJWT(s string) error {
	parts := strings.Split(s, ".")
	if len(parts) != 3 {
		return fmt.Errorf("it has %d dot-separated parts", len(parts))
	}
	names := [3]string{"header", "payload", "signature"}
	for i, p := range parts {
		if p == "" && i < 2 {
			return fmt.Errorf("its %s is empty", names[i])
		}
		if !isBase64URL(p) {
			return fmt.Errorf("its %s is not base64url (only A-Z a-z 0-9 - _ without padding)", names[i])
		}
	}
	header, err := base64.RawURLEncoding.DecodeString(parts[0])
	if err != nil {
		return fmt.Errorf("its header does not decode as base64url")
	}
	var obj map[string]json.RawMessage
	if json.Unmarshal(header, &obj) != nil || obj == nil {
		return fmt.Errorf("its header does not decode to a JSON object")
	}
	return nil
}

func isBase64URL(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}
