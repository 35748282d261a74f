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
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// AWS is how setup reaches AWS: the SDK's default credential chain (or a
// named profile) and its shared configuration.
type AWS struct {
	Profile string // --profile; empty: the default chain
	Region  string // for STS; IAM is global
	// Getenv answers the endpoint variables AWS_ENDPOINT_URL_IAM,
	// AWS_ENDPOINT_URL_STS and AWS_ENDPOINT_URL, and the static keys
	// AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN (the
	// SDK reads them too, from the process; these win, so the caller
	// decides). The rest of the chain (profiles, SSO, containers, instance
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
	}
	if a.Region != "" {
		opts = append(opts, config.WithRegion(a.Region))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, nil, "", fmt.Errorf("loading the AWS configuration: %w", err)
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
					return "", fmt.Errorf("%s %q: want an http(s) URL", k, v)
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
