package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/org/aws-oidc-go/internal/inputs"
)

// settingsVersion is the renewal settings format.
const settingsVersion = 1

// settings is the renewal settings file: what credential-process needs to
// repeat a web identity exchange, keyed by input name.
type settings struct {
	Version           int      `json:"v"`
	RoleARN           string   `json:"role-to-assume"`
	Region            string   `json:"aws-region"`
	Audience          string   `json:"audience,omitempty"`
	TokenFile         string   `json:"web-identity-token-file,omitempty"`
	SessionName       string   `json:"role-session-name"`
	DurationSeconds   int      `json:"role-duration-seconds"`
	InlinePolicy      string   `json:"inline-session-policy,omitempty"`
	ManagedPolicies   []string `json:"managed-session-policies,omitempty"`
	STSEndpoint       string   `json:"sts-endpoint,omitempty"`
	MaxAttempts       int      `json:"retry-max-attempts"`
	HTTPProxy         string   `json:"http-proxy,omitempty"`
	NoProxy           string   `json:"no-proxy,omitempty"`
	AllowedAccountIDs []string `json:"allowed-account-ids,omitempty"`
}

// Renewal is the part of c that repeats its exchange (what the renewal
// settings hold); every other field is zero. The token file must be the
// resolved, absolute path.
func (c *Config) Renewal() Config {
	return Config{
		RoleARN: c.RoleARN, Partition: c.Partition, AccountID: c.AccountID,
		Region: c.Region, Audience: c.Audience, SessionName: c.SessionName, Duration: c.Duration,
		InlinePolicy: c.InlinePolicy, ManagedPolicies: c.ManagedPolicies,
		AllowedAccountIDs: c.AllowedAccountIDs, STSEndpoint: c.STSEndpoint, MaxAttempts: c.MaxAttempts,
		Mode: c.Mode, TokenFile: c.TokenFile, HTTPProxy: c.HTTPProxy, NoProxy: c.NoProxy,
	}
}

// MarshalSettings writes the renewal settings of c (see Renewal), for
// ReadSettings to give back. Only a web identity exchange renews.
func MarshalSettings(c *Config) ([]byte, error) {
	if c.Mode != ModeOIDC && c.Mode != ModeTokenFile {
		return nil, fmt.Errorf("credentials from %s cannot be renewed", c.Mode)
	}
	s := settings{
		Version: settingsVersion, RoleARN: c.RoleARN, Region: c.Region, SessionName: c.SessionName,
		DurationSeconds: int(c.Duration / time.Second), InlinePolicy: c.InlinePolicy, ManagedPolicies: c.ManagedPolicies,
		STSEndpoint: c.STSEndpoint, MaxAttempts: c.MaxAttempts, HTTPProxy: c.HTTPProxy, NoProxy: c.NoProxy,
		AllowedAccountIDs: c.AllowedAccountIDs,
	}
	if c.Mode == ModeOIDC {
		s.Audience = c.Audience
	} else {
		s.TokenFile = c.TokenFile
	}
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// ReadSettings reads renewal settings back into a Config, through the same
// validation as the inputs (Load): strict JSON of this version, every
// field checked.
func ReadSettings(b []byte) (*Config, error) {
	var s settings
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		return nil, fmt.Errorf("not renewal settings: %w", err)
	}
	if dec.More() {
		return nil, errors.New("not renewal settings: trailing data after the JSON object")
	}
	if s.Version != settingsVersion {
		return nil, fmt.Errorf("renewal settings version %d, want %d (written by another version of aws-oidc-go?)", s.Version, settingsVersion)
	}
	if s.TokenFile != "" && s.Audience != "" {
		return nil, errors.New("renewal settings name both an audience and a token file")
	}
	values := map[string]string{
		inputs.RoleToAssume: s.RoleARN, inputs.AWSRegion: s.Region, inputs.Audience: s.Audience,
		inputs.WebIdentityTokenFile: s.TokenFile, inputs.RoleSessionName: s.SessionName,
		inputs.RoleDurationSeconds: strconv.Itoa(s.DurationSeconds), inputs.InlineSessionPolicy: s.InlinePolicy,
		inputs.ManagedSessionPolicies: strings.Join(s.ManagedPolicies, "\n"), inputs.STSEndpoint: s.STSEndpoint,
		inputs.RetryMaxAttempts: strconv.Itoa(s.MaxAttempts), inputs.HTTPProxy: s.HTTPProxy, inputs.NoProxy: s.NoProxy,
		inputs.AllowedAccountIDs: strings.Join(s.AllowedAccountIDs, ","),
	}
	for _, l := range s.ManagedPolicies {
		if strings.ContainsAny(l, "\r\n") {
			return nil, errors.New("renewal settings: a managed policy ARN holds a line break")
		}
	}
	c, err := Load(func(name string) string { return values[name] })
	if err != nil {
		return nil, err
	}
	r := c.Renewal()
	return &r, nil
}
