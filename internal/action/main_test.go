package action_test

import (
	"context"
	"net"
	"os"
	"testing"

	"github.com/org/aws-oidc-go/internal/action"
	"github.com/org/aws-oidc-go/internal/dev/harness"
)

// TestMain makes the SDK's process-wide configuration predictable: these
// machines export AWS_CA_BUNDLE and a developer may have profiles or
// endpoints set. Tests pass everything else explicitly.
func TestMain(m *testing.M) {
	for _, k := range []string{"AWS_CA_BUNDLE", "AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_STS",
		"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_MAX_ATTEMPTS", "AWS_RETRY_MODE",
		"HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"} {
		os.Unsetenv(k)
	}
	dir, _ := os.MkdirTemp("", "aws-oidc-go-test-")
	os.Setenv("AWS_CONFIG_FILE", dir+"/config")
	os.Setenv("AWS_SHARED_CREDENTIALS_FILE", dir+"/credentials")
	os.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	// The fakes speak https through the forward proxy with the test CA,
	// trusted here (and nowhere else) before anything loads the roots.
	caFile, err := harness.CA().WriteFile(dir)
	if err != nil {
		panic(err)
	}
	os.Setenv("SSL_CERT_FILE", caFile)
	// Every host name lookup in these tests gets NXDOMAIN from a local fake:
	// DNS failures are testable and no query leaves the machine.
	resolver, stop, err := harness.NXDomainResolver()
	if err != nil {
		panic(err)
	}
	net.DefaultResolver = resolver
	code := m.Run()
	stop()
	harness.StopShared()
	os.RemoveAll(dir)
	os.Exit(code)
}

// runStep runs the main step for tests that look at what it wrote, not at
// what it returned.
func runStep(ctx context.Context, env action.Env) error {
	_, err := action.Run(ctx, env)
	return err
}
