package source

import (
	"slices"
	"strings"

	"github.com/org/aws-oidc-go/internal/config"
	"github.com/org/aws-oidc-go/internal/exchange"
	"github.com/org/aws-oidc-go/internal/lazyre"
)

// Session tags describing the run, as the incumbent sends them. The first
// group is always sent; the second is dropped (and AssumeRole made once
// more) when STS answers PackedPolicyTooLarge.
var (
	requiredTagVars = [][2]string{
		{"Repository", "GITHUB_REPOSITORY"}, {"Workflow", "GITHUB_WORKFLOW"}, {"Action", "GITHUB_ACTION"},
		{"Actor", "GITHUB_ACTOR"}, {"Commit", "GITHUB_SHA"}, {"Branch", "GITHUB_REF"},
	}
	optionalTagVars = [][2]string{
		{"EventName", "GITHUB_EVENT_NAME"}, {"BaseRef", "GITHUB_BASE_REF"}, {"HeadRef", "GITHUB_HEAD_REF"},
		{"RunId", "GITHUB_RUN_ID"}, {"Job", "GITHUB_JOB"}, {"TriggeringActor", "GITHUB_TRIGGERING_ACTOR"},
	}
	tagUnsafe = lazyre.New(`[^\p{L}\p{Z}\p{N}_.:/=+\-@]`)
)

const maxTagValue = 256

// SanitizeTagValue replaces characters STS refuses in tag values with _ and
// cuts the value to 256 characters.
func SanitizeTagValue(v string) string {
	v = tagUnsafe().ReplaceAllString(v, "_")
	if r := []rune(v); len(r) > maxTagValue {
		v = string(r[:maxTagValue])
	}
	return v
}

// SessionTags returns the tags for AssumeRole: GitHub=Actions and the run's
// context (required), the optional context, and the custom tags (which
// replace a built-in tag of the same key).
func SessionTags(getenv func(string) string, custom []config.Tag) (required, optional []exchange.Tag) {
	customKeys := map[string]bool{}
	for _, t := range custom {
		customKeys[t.Key] = true
	}
	add := func(dst []exchange.Tag, key, value string) []exchange.Tag {
		if value == "" || customKeys[key] {
			return dst
		}
		return append(dst, exchange.Tag{Key: key, Value: SanitizeTagValue(value)})
	}
	required = add(required, "GitHub", "Actions")
	for _, kv := range requiredTagVars {
		required = add(required, kv[0], getenv(kv[1]))
	}
	for _, kv := range optionalTagVars {
		optional = add(optional, kv[0], getenv(kv[1]))
	}
	for _, t := range custom {
		required = append(required, exchange.Tag{Key: t.Key, Value: t.Value})
	}
	return required, optional
}

func tagKeys(tags []exchange.Tag) string {
	keys := make([]string, len(tags))
	for i, t := range tags {
		keys[i] = t.Key
	}
	slices.Sort(keys)
	return strings.Join(keys, ", ")
}
