package source

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/org/aws-oidc-go/internal/config"
	"github.com/org/aws-oidc-go/internal/exchange"
	"github.com/org/aws-oidc-go/internal/token"
)

// VerifyMaxAttempts bounds the GetCallerIdentity that confirms credentials.
const VerifyMaxAttempts = 5

// Deps is what the sources For builds need from the run.
type Deps struct {
	Getenv func(string) string
	// TokenClient talks to GitHub's token service (proxies applied).
	TokenClient *http.Client
	Client      exchange.ClientFunc
	// Retrier returns the retrier for attempts tries of op.
	Retrier func(attempts int, op string) exchange.Retrier
	Mask    func(...string)
	Log     Logf
	Warn    Logf
}

// For picks the source cfg asks for. It checks what can be checked before
// any call (the token service is available, the token file is usable, the
// environment has credentials to chain from).
func For(cfg *config.Config, d Deps) (Source, error) {
	var src Source
	switch cfg.Mode {
	case config.ModeOIDC, config.ModeTokenFile:
		var tokens Tokens
		if cfg.Mode == config.ModeOIDC {
			gh := &token.GitHub{Getenv: d.Getenv, HTTPClient: d.TokenClient}
			if !gh.Available() {
				return nil, token.ErrNoIDTokenPermission
			}
			if err := token.CheckRequestURL(d.Getenv(token.EnvRequestURL)); err != nil {
				return nil, err
			}
			tokens = token.Service{GitHub: gh, Audience: cfg.Audience}
		} else {
			path, err := token.FilePath(cfg.TokenFile, d.Getenv("GITHUB_WORKSPACE"))
			if err != nil {
				return nil, err
			}
			tokens = token.File{Path: path}
		}
		w := &WebIdentity{
			Tokens: &Recorder{Tokens: tokens, Mask: d.Mask},
			Client: d.Client,
			Request: exchange.WebIdentityRequest{
				RoleARN:     cfg.RoleARN,
				SessionName: cfg.SessionName,
				Duration:    cfg.Duration,
				Policy:      cfg.InlinePolicy,
				PolicyARNs:  cfg.ManagedPolicies,
				// GitHub's tokens are reused across retries; a file is re-read.
				ReuseToken: cfg.Mode == config.ModeOIDC,
			},
			Retry:  d.Retrier(cfg.MaxAttempts, "AssumeRoleWithWebIdentity"),
			Region: cfg.Region,
			Log:    d.Log,
			// The token service over https (not a file, not loopback http).
			WarmRoots: cfg.Mode == config.ModeOIDC && strings.HasPrefix(d.Getenv(token.EnvRequestURL), "https://"),
		}
		src = w
	case config.ModeKeys:
		return &StaticKeys{Keys: keysOf(cfg), Log: d.Log}, nil
	case config.ModeKeysRole, config.ModeChaining, config.ModeAmbient:
		a := &AssumeRole{
			What:     cfg.Mode.String(),
			Client:   d.Client,
			RoleName: cfg.RoleName,
			Verify:   d.Retrier(min(cfg.MaxAttempts, VerifyMaxAttempts), "GetCallerIdentity"),
			Retry:    d.Retrier(cfg.MaxAttempts, "AssumeRole"),
			Region:   cfg.Region,
			Log:      d.Log,
			Request: exchange.RoleRequest{
				RoleARN:           cfg.RoleARN,
				SessionName:       cfg.SessionName,
				Duration:          cfg.Duration,
				Policy:            cfg.InlinePolicy,
				PolicyARNs:        cfg.ManagedPolicies,
				ExternalID:        cfg.ExternalID,
				TransitiveTagKeys: cfg.TransitiveTagKeys,
				OnDropTags: func(dropped []exchange.Tag) {
					d.Warn("The session tags were too large for STS (PackedPolicyTooLarge); retrying without the optional tags %s", tagKeys(dropped))
				},
			},
		}
		if cfg.MaskAccountID {
			a.MaskIdentity = d.Mask
		}
		if !cfg.SkipSessionTagging {
			a.Request.Tags, a.Request.OptionalTags = SessionTags(d.Getenv, cfg.CustomTags)
		}
		switch cfg.Mode {
		case config.ModeKeysRole:
			keys := keysOf(cfg)
			a.Signer.Static = &keys
		case config.ModeChaining:
			c, err := EnvironmentCredentials(d.Getenv)
			if err != nil {
				return nil, err
			}
			d.Mask(c.AccessKeyID, c.SecretAccessKey, c.SessionToken)
			a.Signer.Static = c
		case config.ModeAmbient:
			a.Signer.Ambient = true
		}
		src = a
	case config.ModeExisting:
		return nil, fmt.Errorf("use-existing-credentials: the environment has no working AWS credentials, and no role-to-assume or keys are set to get new ones")
	default:
		return nil, fmt.Errorf("unknown credential mode %d", cfg.Mode)
	}
	if cfg.SpecialCharsWorkaround {
		src = &WithoutSpecialCharacters{Source: src, Mask: d.Mask, Log: d.Log}
	}
	return src, nil
}

// Renews reports whether s is a web identity exchange, which
// credential-process can repeat later with a fresh token (the renewal
// settings are the Config's own: config.MarshalSettings).
func Renews(s Source) bool {
	_, ok := inner(s).(*WebIdentity)
	return ok
}

// keysOf returns the static keys of the inputs.
func keysOf(c *config.Config) exchange.Credentials {
	return exchange.Credentials{AccessKeyID: c.AccessKeyID, SecretAccessKey: c.SecretAccessKey, SessionToken: c.SessionToken}
}
