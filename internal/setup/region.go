package setup

import (
	"fmt"
	"regexp"
	"slices"

	"github.com/org/aws-oidc-go/internal/lazyre"
	"github.com/org/aws-oidc-go/internal/runner"
	"github.com/org/aws-oidc-go/internal/suggest"
)

// partitions are the AWS partitions' region name patterns and the regions
// each had when this table was written (from the SDK's endpoint rules,
// partitions.json). A name that fits no pattern is not a region; one that
// fits a pattern but is not listed is either newer than this table or a
// typo, which only a warning can leave open.
var partitions = []struct {
	name    string
	pattern func() *regexp.Regexp
	regions []string
}{
	{"aws", lazyre.New(`^(us|eu|ap|sa|ca|me|af|il|mx)-[a-z]+-[0-9]+$`), []string{
		"af-south-1", "ap-east-1", "ap-east-2", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3", "ap-south-1", "ap-south-2",
		"ap-southeast-1", "ap-southeast-2", "ap-southeast-3", "ap-southeast-4", "ap-southeast-5", "ap-southeast-6", "ap-southeast-7",
		"ca-central-1", "ca-west-1", "eu-central-1", "eu-central-2", "eu-north-1", "eu-south-1", "eu-south-2", "eu-west-1", "eu-west-2",
		"eu-west-3", "il-central-1", "me-central-1", "me-south-1", "me-west-1", "mx-central-1", "sa-east-1", "sa-west-1",
		"us-east-1", "us-east-2", "us-west-1", "us-west-2"}},
	{"aws-cn", lazyre.New(`^cn-[a-z]+-[0-9]+$`), []string{"cn-north-1", "cn-northwest-1"}},
	{"aws-us-gov", lazyre.New(`^us-gov-[a-z]+-[0-9]+$`), []string{"us-gov-east-1", "us-gov-west-1"}},
	{"aws-eusc", lazyre.New(`^eusc-de-[a-z]+-[0-9]+$`), []string{"eusc-de-east-1"}},
	{"aws-iso", lazyre.New(`^us-iso-[a-z]+-[0-9]+$`), []string{"us-iso-east-1", "us-iso-west-1"}},
	{"aws-iso-b", lazyre.New(`^us-isob-[a-z]+-[0-9]+$`), []string{"us-isob-east-1", "us-isob-west-1"}},
	{"aws-iso-e", lazyre.New(`^eu-isoe-[a-z]+-[0-9]+$`), []string{"eu-isoe-west-1"}},
	{"aws-iso-f", lazyre.New(`^us-isof-[a-z]+-[0-9]+$`), []string{"us-isof-east-1", "us-isof-south-1"}},
}

// RegionPartition is the partition whose region pattern region fits ("" for
// none).
func RegionPartition(region string) string {
	for _, p := range partitions {
		if p.pattern().MatchString(region) {
			return p.name
		}
	}
	return ""
}

// CheckRegion checks a region name before it goes into an STS call and the
// workflow snippet. source names where it came from (a flag, or the AWS
// configuration). A name no partition's pattern fits is refused; one that
// fits but is not a region known here gets a warning, with the closest
// known region when one is close.
func CheckRegion(source, region string) (warning string, err error) {
	part := RegionPartition(region)
	var all []string
	for _, p := range partitions {
		all = append(all, p.regions...)
	}
	if part == "" {
		msg := fmt.Sprintf("%s %q: not an AWS region name (lower-case area-place-number, such as us-east-1, eu-west-1, cn-north-1, us-gov-west-1)", source, runner.Clip(region, 100))
		if best, ok := suggest.Closest(region, all); ok {
			msg += fmt.Sprintf("; did you mean %s?", best)
		}
		return "", fmt.Errorf("%s", msg)
	}
	for _, p := range partitions {
		if p.name != part || slices.Contains(p.regions, region) {
			continue
		}
		w := fmt.Sprintf("%s %s: not a region of partition %s that this version of aws-oidc-go knows", source, region, part)
		if best, ok := suggest.Closest(region, all); ok {
			w += fmt.Sprintf(" (did you mean %s?)", best)
		}
		return w + "; a region newer than this version works, a misspelt one makes the STS call fail and the workflow snippet wrong", nil
	}
	return "", nil
}
