package setup

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/credentials/ec2rolecreds"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go/logging"
)

// AWS is how setup reaches AWS: the SDK's default credential chain (or a
// named profile) and its shared configuration.
type AWS struct {
	Profile string // --profile; empty: the default chain
	Region  string // for STS; IAM is global
	// Getenv answers the endpoint variables AWS_ENDPOINT_URL_IAM,
	// AWS_ENDPOINT_URL_STS and AWS_ENDPOINT_URL, and the static keys
	// AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN, and
	// AWS_PROFILE (the SDK reads them too, from the process; these win, so
	// the caller decides). The rest of the chain (profiles, SSO, containers, instance
	// roles) is the SDK's own.
	Getenv func(string) string
}

// Clients loads the SDK configuration and returns the IAM and STS clients,
// and the region the configuration names (for the snippet).
func (a AWS) Clients(ctx context.Context) (*iam.Client, *sts.Client, string, error) {
	getenv := a.Getenv
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	opts := []func(*config.LoadOptions) error{}
	switch id, secret := getenv("AWS_ACCESS_KEY_ID"), getenv("AWS_SECRET_ACCESS_KEY"); {
	case a.Profile != "":
		opts = append(opts, config.WithSharedConfigProfile(a.Profile))
	case id != "" && secret != "":
		// The chain's first link, answered from Getenv like the endpoints.
		opts = append(opts, config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(id, secret, getenv("AWS_SESSION_TOKEN"))))
	case getenv("AWS_PROFILE") != "":
		// What the SDK would read from the process, answered from Getenv.
		opts = append(opts, config.WithSharedConfigProfile(getenv("AWS_PROFILE")))
	}
	if a.Region != "" {
		opts = append(opts, config.WithRegion(a.Region))
	}
	// The SDK logs to the process's stderr by default (its "falling back
	// to IMDSv1" warning, on a machine whose instance metadata refuses the
	// token request): what setup prints is its own.
	opts = append(opts, config.WithLogger(logging.Nop{}))
	profile, flag := a.Profile, "--profile"
	if profile == "" {
		profile, flag = getenv("AWS_PROFILE"), "AWS_PROFILE"
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	var missing config.SharedConfigProfileNotExistError
	switch {
	case errors.As(err, &missing):
		return nil, nil, "", &CredentialsError{Profile: missing.Profile, Flag: flag, Missing: true, Err: err}
	case err != nil:
		return nil, nil, "", fmt.Errorf("loading the AWS configuration: %w", err)
	}
	if err := checkCredentials(ctx, cfg, profile, flag); err != nil {
		return nil, nil, "", err
	}
	region := cfg.Region
	if cfg.Region == "" {
		// IAM is global; STS needs a region to sign for.
		cfg.Region = "us-east-1"
	}
	endpoint := func(service string) (string, error) {
		for _, k := range []string{"AWS_ENDPOINT_URL_" + service, "AWS_ENDPOINT_URL"} {
			if v := getenv(k); v != "" {
				if u, err := url.Parse(v); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
					return "", fmt.Errorf("%s %q: want an http(s) URL", k, RedactURL(v))
				}
				return v, nil
			}
		}
		return "", nil
	}
	iamURL, err := endpoint("IAM")
	if err != nil {
		return nil, nil, "", err
	}
	stsURL, err := endpoint("STS")
	if err != nil {
		return nil, nil, "", err
	}
	ic := iam.NewFromConfig(cfg, func(o *iam.Options) {
		if iamURL != "" {
			o.BaseEndpoint = aws.String(iamURL)
		}
	})
	sc := sts.NewFromConfig(cfg, func(o *sts.Options) {
		if stsURL != "" {
			o.BaseEndpoint = aws.String(stsURL)
		}
	})
	return ic, sc, region, nil
}

// checkCredentials asks the chain for credentials once, before any call,
// so that a machine without any gets a message naming the problem and the
// fix rather than the first call's "failed to sign request". The chain's
// last link is the instance role: its failure means nothing was found.
func checkCredentials(ctx context.Context, cfg aws.Config, profile, flag string) error {
	if cfg.Credentials == nil {
		return &CredentialsError{None: true, Err: errors.New("the SDK configured no credential provider")}
	}
	_, err := cfg.Credentials.Retrieve(ctx)
	switch {
	case err == nil:
		return nil
	case ctx.Err() != nil:
		return err
	case aws.IsCredentialsProvider(cfg.Credentials, &ec2rolecreds.Provider{}):
		return &CredentialsError{None: true, Err: err}
	case profile != "":
		return &CredentialsError{Profile: profile, Flag: flag, Err: err}
	default:
		return &CredentialsError{Err: err}
	}
}

// RoleName returns the role name of a name or a role ARN
// (arn:aws:iam::123456789012:role/path/name).
func RoleName(nameOrARN string) string {
	if strings.HasPrefix(nameOrARN, "arn:") {
		if _, res, ok := strings.Cut(nameOrARN, ":role/"); ok {
			return res[strings.LastIndex(res, "/")+1:]
		}
	}
	return nameOrARN
}

// ReadRole reads a role's trust policy from IAM (GetRole), decoded. It
// returns the role's ARN too. GetRole takes a name and answers for the
// caller's account, so for an ARN the role IAM returns must have exactly
// that ARN (partition, account, path and name); a *RoleMismatch otherwise.
func ReadRole(ctx context.Context, r RoleReader, nameOrARN string) (doc []byte, arn string, err error) {
	name := RoleName(nameOrARN)
	out, err := r.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(name)})
	if err != nil {
		return nil, "", callError("iam", "GetRole", name, err)
	}
	if out == nil || out.Role == nil {
		return nil, "", noRole(name)
	}
	if got := aws.ToString(out.Role.Arn); strings.HasPrefix(nameOrARN, "arn:") && got != nameOrARN {
		return nil, "", &RoleMismatch{Asked: nameOrARN, Got: got}
	}
	doc, err = DecodePolicy(aws.ToString(out.Role.AssumeRolePolicyDocument))
	if err != nil {
		return nil, "", fmt.Errorf("iam:GetRole (%s): the trust policy: %w", name, err)
	}
	return doc, aws.ToString(out.Role.Arn), nil
}

// RoleMismatch is a role ARN asked for that is not the role IAM answered
// for that name (another account, partition or path).
type RoleMismatch struct{ Asked, Got string }

func (e *RoleMismatch) Error() string {
	return fmt.Sprintf("iam:GetRole answers for %s, not the role asked for, %s (GetRole reads the caller's account by name: run as the account and partition of the ARN, and check its path)", e.Got, e.Asked)
}

// noRole is the error for a GetRole answer without a role.
func noRole(name string) error {
	return &CallError{Service: "iam", Call: "GetRole", Subject: name, Err: errors.New("the answer holds no role")}
}
