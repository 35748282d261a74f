package audit

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
)

// endlessIAM is an IAM endpoint whose ListRoles always says more roles
// follow and never gives one: with the same Marker every time, or with a
// new one every time (fresh).
type endlessIAM struct {
	fresh bool
	calls int
}

func (e *endlessIAM) ListRoles(ctx context.Context, in *iam.ListRolesInput, _ ...func(*iam.Options)) (*iam.ListRolesOutput, error) {
	e.calls++
	if e.calls > 100_000 {
		panic("the audit keeps paging") // ends the test instead of spinning
	}
	marker := "same"
	if e.fresh {
		marker = strconv.Itoa(e.calls)
	}
	return &iam.ListRolesOutput{IsTruncated: true, Marker: aws.String(marker)}, nil
}

func (e *endlessIAM) ListOpenIDConnectProviders(context.Context, *iam.ListOpenIDConnectProvidersInput, ...func(*iam.Options)) (*iam.ListOpenIDConnectProvidersOutput, error) {
	return &iam.ListOpenIDConnectProvidersOutput{}, nil
}

func (e *endlessIAM) GetOpenIDConnectProvider(context.Context, *iam.GetOpenIDConnectProviderInput, ...func(*iam.Options)) (*iam.GetOpenIDConnectProviderOutput, error) {
	return &iam.GetOpenIDConnectProviderOutput{}, nil
}

// TestAuditEndlessListRoles: an endpoint that answers IsTruncated without
// roles forever ends the audit with an error saying so, whether it repeats
// its Marker (before: the paginator asked again forever) or gives a new
// one each time (bounded by the page cap).
func TestAuditEndlessListRoles(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name  string
		fresh bool
		want  string
		calls int
	}{
		{"same marker", false, "gave no new Marker", 2},
		{"new markers", true, "after 20 pages", 20},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			e := &endlessIAM{fresh: c.fresh}
			rep, err := Run(context.Background(), e, Options{MaxPages: 20})
			if err == nil || !strings.Contains(err.Error(), c.want) || rep != nil {
				t.Fatalf("report %v, err %v; want an error with %q", rep, err, c.want)
			}
			if e.calls != c.calls {
				t.Errorf("%d ListRoles calls, want %d", e.calls, c.calls)
			}
		})
	}
}
