// Command aws-caller-identity is the next step's client in the act acceptance suite: it
// resolves credentials through aws-sdk-go-v2's default chain (environment,
// AWS_PROFILE with the shared files, credential_process), exactly as any
// SDK-based tool in a later step would, calls STS GetCallerIdentity and
// prints the ARN. Test support; never linked into the action.
package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

func main() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		fmt.Fprintln(os.Stderr, "aws-caller-identity: loading the AWS configuration:", err)
		os.Exit(1)
	}
	out, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		fmt.Fprintln(os.Stderr, "aws-caller-identity:", err)
		os.Exit(1)
	}
	fmt.Println(*out.Arn)
}
