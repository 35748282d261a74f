// Package inputs is the one table of the action's inputs. Everything that
// needs to know what an input is — loading and validating them
// (internal/config), the command-line flags (internal/cli), the renewal
// settings written for credential_process, action.yml and the README's
// table — is derived from All, so an input cannot be declared in one place
// and forgotten in another. A test keeps action.yml and the README equal to
// what this table generates (go run ./internal/inputs/gen -w rewrites them).
package inputs

import "strings"

// Kind is what values an input takes.
type Kind int

// The kinds of input.
const (
	String Kind = iota // one line of text
	Bool               // true/false in the YAML 1.2 core forms
	Int                // a whole number
	List               // one item per line (a flag may repeat)
	JSON               // a JSON document; may span lines
)

func (k Kind) String() string {
	return [...]string{"string", "boolean", "integer", "list", "JSON"}[k]
}

// Group orders inputs in --help and the README.
type Group string

// The groups, in display order.
const (
	GroupRole     Group = "Role and session"
	GroupSource   Group = "Where credentials come from"
	GroupTags     Group = "Session tags (AssumeRole only)"
	GroupOutput   Group = "Outputs and exports"
	GroupProfile  Group = "Profiles"
	GroupRetry    Group = "Retries and time limits"
	GroupNetwork  Group = "Network"
	GroupInternal Group = ""
)

// Groups lists the groups in display order.
var Groups = []Group{GroupRole, GroupSource, GroupTags, GroupOutput, GroupProfile, GroupRetry, GroupNetwork}

// Input is one input of the action (and one flag of the CLI).
type Input struct {
	Name string
	// Default is applied by config.Load to an unset or empty input (and
	// declared in action.yml). Empty: no default, or one that depends on
	// other inputs, which DefaultDoc then describes.
	Default    string
	DefaultDoc string
	Kind       Kind
	// Secret inputs are masked before anything else runs and never quoted.
	Secret bool
	// EnvFallback is the environment variable an empty input falls back to,
	// as the incumbent does (ROLE_TO_ASSUME, AWS_REGION, ...); empty for
	// none. Static keys and aws-profile have none (an earlier step's export
	// would silently switch modes), nor do http-proxy and no-proxy (proxy
	// variables are the HTTP client's business, not inputs).
	EnvFallback string
	// Required is documentation only: the runner does not enforce it and
	// config.Load knows when an input is needed.
	Required bool
	Group    Group
	// Help is the description: action.yml's, the flag's and the README's.
	Help string
}

// Multiline reports whether values may span lines.
func (in Input) Multiline() bool { return in.Kind == List || in.Kind == JSON }

// EnvName is the variable the runner passes the input in: INPUT_ and the
// name upper-cased, spaces turned to underscores and hyphens kept
// (INPUT_ROLE-TO-ASSUME).
func EnvName(name string) string {
	return "INPUT_" + strings.ToUpper(strings.ReplaceAll(name, " ", "_"))
}

// Names of every input. Code refers to inputs by these constants.
const (
	RoleToAssume            = "role-to-assume"
	AWSRegion               = "aws-region"
	Audience                = "audience"
	RoleSessionName         = "role-session-name"
	RoleDurationSeconds     = "role-duration-seconds"
	InlineSessionPolicy     = "inline-session-policy"
	ManagedSessionPolicies  = "managed-session-policies"
	OutputCredentials       = "output-credentials"
	OutputEnvCredentials    = "output-env-credentials"
	MaskAWSAccountID        = "mask-aws-account-id"
	UnsetCurrentCredentials = "unset-current-credentials"
	AllowedAccountIDs       = "allowed-account-ids"
	STSEndpoint             = "sts-endpoint"
	RetryMaxAttempts        = "retry-max-attempts"
	DisableRetry            = "disable-retry"
	ActionTimeoutS          = "action-timeout-s"
	AWSAccessKeyID          = "aws-access-key-id"
	AWSSecretAccessKey      = "aws-secret-access-key"
	AWSSessionToken         = "aws-session-token"
	RoleChaining            = "role-chaining"
	WebIdentityTokenFile    = "web-identity-token-file"
	RoleExternalID          = "role-external-id"
	RoleSkipSessionTagging  = "role-skip-session-tagging"
	CustomTags              = "custom-tags"
	TransitiveTagKeys       = "transitive-tag-keys"
	UseExistingCredentials  = "use-existing-credentials"
	ForceSkipOIDC           = "force-skip-oidc"
	SpecialCharsWorkaround  = "special-characters-workaround"
	HTTPProxy               = "http-proxy"
	NoProxy                 = "no-proxy"
	AWSProfile              = "aws-profile"
	OverwriteAWSProfile     = "overwrite-aws-profile"
	Refresh                 = "refresh"
)

// Defaults that code outside config needs by name.
const (
	DefaultAudience       = "sts.amazonaws.com"
	DefaultSessionName    = "GitHubActions"
	DefaultRefreshProfile = "aws-oidc-go"
)

// All is every input, in the order action.yml declares them.
var All = []Input{
	{Name: RoleToAssume, Kind: String, EnvFallback: "ROLE_TO_ASSUME", Required: true, Group: GroupRole,
		Help: "ARN of the IAM role to assume, e.g. arn:aws:iam::123456789012:role/deploy (partition aws, aws-cn or aws-us-gov). " +
			"Required except with static keys alone or use-existing-credentials. A bare role name works only where the source account is known (keys, role-chaining, force-skip-oidc)."},
	{Name: AWSRegion, Kind: String, EnvFallback: "AWS_REGION", Required: true, Group: GroupRole,
		Help: "AWS region for STS and for the exported AWS_REGION / AWS_DEFAULT_REGION; must be in the role's partition."},
	{Name: Audience, Default: DefaultAudience, Kind: String, EnvFallback: "AUDIENCE", Group: GroupRole,
		Help: "Audience of the requested ID token; the IAM OIDC provider must list it as a client id. An empty value takes the default."},
	{Name: RoleSessionName, Default: DefaultSessionName, Kind: String, EnvFallback: "ROLE_SESSION_NAME", Group: GroupRole,
		Help: "Session name, 2-64 characters of letters, digits and _+=,.@- (shows in CloudTrail)."},
	{Name: RoleDurationSeconds, Default: "3600", Kind: Int, EnvFallback: "ROLE_DURATION_SECONDS", Group: GroupRole,
		Help: "Session length in seconds, 900 to 43200 (at most 3600 with role-chaining); the role's maximum session duration must allow it."},
	{Name: InlineSessionPolicy, Kind: JSON, EnvFallback: "INLINE_SESSION_POLICY", Group: GroupRole,
		Help: "JSON IAM policy that further restricts the session (sent as Policy, at most 2048 characters compacted)."},
	{Name: ManagedSessionPolicies, Kind: List, EnvFallback: "MANAGED_SESSION_POLICIES", Group: GroupRole,
		Help: "Managed policy ARNs, one per line, that further restrict the session (sent as PolicyArns, at most 10)."},
	{Name: OutputCredentials, Default: "false", Kind: Bool, EnvFallback: "OUTPUT_CREDENTIALS", Group: GroupOutput,
		Help: "Also set the step outputs aws-access-key-id, aws-secret-access-key, aws-session-token and aws-expiration."},
	{Name: OutputEnvCredentials, DefaultDoc: "true; false with aws-profile", Kind: Bool, EnvFallback: "OUTPUT_ENV_CREDENTIALS", Group: GroupOutput,
		Help: "Export the credentials for later steps (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN; with aws-profile, AWS_PROFILE instead). Default true, or false when aws-profile is set."},
	{Name: MaskAWSAccountID, Default: "false", Kind: Bool, EnvFallback: "MASK_AWS_ACCOUNT_ID", Group: GroupOutput,
		Help: "Mask the account id and the authenticated ARN in the log, and keep them out of the job summary."},
	{Name: UnsetCurrentCredentials, Default: "false", Kind: Bool, EnvFallback: "UNSET_CURRENT_CREDENTIALS", Group: GroupOutput,
		Help: "Blank the AWS_* credential and region variables and AWS_PROFILE that earlier steps exported before exporting new ones."},
	{Name: AllowedAccountIDs, Kind: String, EnvFallback: "ALLOWED_ACCOUNT_IDS", Group: GroupOutput,
		Help: "Comma-separated 12-digit account ids; fail (exporting nothing) unless the credentials belong to one of them."},
	{Name: STSEndpoint, Kind: String, EnvFallback: "STS_ENDPOINT", Group: GroupNetwork,
		Help: "STS endpoint URL. Default is AWS_ENDPOINT_URL_STS, then AWS_ENDPOINT_URL, then the regional endpoint of aws-region."},
	{Name: RetryMaxAttempts, Default: "12", Kind: Int, EnvFallback: "RETRY_MAX_ATTEMPTS", Group: GroupRetry,
		Help: "Total attempts per call, at least 1. Only failures a retry can fix are retried; a retry sends the ID token again while it is within half its lifetime (a token file is re-read)."},
	{Name: DisableRetry, Default: "false", Kind: Bool, EnvFallback: "DISABLE_RETRY", Group: GroupRetry,
		Help: "Make a single attempt per call (same as retry-max-attempts 1)."},
	{Name: ActionTimeoutS, Default: "0", Kind: Int, EnvFallback: "ACTION_TIMEOUT_S", Group: GroupRetry,
		Help: "Fail the whole step after this many seconds; 0 means no limit."},
	{Name: AWSAccessKeyID, Kind: String, Secret: true, Group: GroupSource,
		Help: "Static access key id. Alone: verified and exported. With role-to-assume: AssumeRole is signed with it. Never read from AWS_ACCESS_KEY_ID."},
	{Name: AWSSecretAccessKey, Kind: String, Secret: true, Group: GroupSource,
		Help: "Static secret access key (required with aws-access-key-id)."},
	{Name: AWSSessionToken, Kind: String, Secret: true, Group: GroupSource,
		Help: "Session token for temporary static credentials."},
	{Name: RoleChaining, Default: "false", Kind: Bool, EnvFallback: "ROLE_CHAINING", Group: GroupSource,
		Help: "Assume role-to-assume with the credentials already in the environment (an earlier step's). At most 3600 seconds."},
	{Name: WebIdentityTokenFile, Kind: String, EnvFallback: "WEB_IDENTITY_TOKEN_FILE", Group: GroupSource,
		Help: "File holding a web identity token to use instead of GitHub's (relative paths are under GITHUB_WORKSPACE; symlinks are refused except Kubernetes service-account tokens)."},
	{Name: RoleExternalID, Kind: String, EnvFallback: "ROLE_EXTERNAL_ID", Group: GroupTags,
		Help: "External id for AssumeRole (ignored, with a warning, by web identity calls)."},
	{Name: RoleSkipSessionTagging, Default: "false", Kind: Bool, EnvFallback: "ROLE_SKIP_SESSION_TAGGING", Group: GroupTags,
		Help: "Send no session tags with AssumeRole."},
	{Name: CustomTags, Kind: JSON, EnvFallback: "CUSTOM_TAGS", Group: GroupTags,
		Help: `JSON object of extra session tags for AssumeRole, e.g. {"Team": "platform"}.`},
	{Name: TransitiveTagKeys, Kind: List, EnvFallback: "TRANSITIVE_TAG_KEYS", Group: GroupTags,
		Help: "Session tag keys, one per line, that carry over to chained role sessions."},
	{Name: UseExistingCredentials, Default: "false", Kind: Bool, EnvFallback: "USE_EXISTING_CREDENTIALS", Group: GroupSource,
		Help: "When the environment's credentials (the SDK's default chain) already work, assume nothing new."},
	{Name: ForceSkipOIDC, Default: "false", Kind: Bool, EnvFallback: "FORCE_SKIP_OIDC", Group: GroupSource,
		Help: "Never use GitHub OIDC; with role-to-assume, assume it with the runner's own credentials (e.g. an instance profile)."},
	{Name: SpecialCharsWorkaround, Default: "false", Kind: Bool, EnvFallback: "SPECIAL_CHARACTERS_WORKAROUND", Group: GroupSource,
		Help: "Assume again (at most 10 times) until neither the key id nor the secret contains a special character."},
	{Name: HTTPProxy, Kind: String, Group: GroupNetwork,
		Help: "Proxy URL for GitHub's token service and STS; wins over the HTTPS_PROXY / HTTP_PROXY variables, which the HTTP client follows by itself."},
	{Name: NoProxy, Kind: String, Group: GroupNetwork,
		Help: "Comma-separated hosts, domains and CIDRs that bypass the proxy; wins over the NO_PROXY variable."},
	{Name: AWSProfile, Kind: String, Group: GroupProfile,
		Help: "Write the credentials as this named profile to the shared credentials and config files (removed again by the post step) instead of exporting them."},
	{Name: OverwriteAWSProfile, Default: "false", Kind: Bool, EnvFallback: "OVERWRITE_AWS_PROFILE", Group: GroupProfile,
		Help: "Replace the profile if it already exists (otherwise that is an error); the post step puts the original back."},
	{Name: Refresh, Default: "false", Kind: Bool, EnvFallback: "REFRESH", Group: GroupProfile,
		Help: "Credentials that outlive the first hour: write a profile (aws-profile, default aws-oidc-go) whose credential_process asks for a fresh token and new credentials whenever the SDK or AWS CLI needs them, and export AWS_PROFILE. OIDC or token file only."},
}

var byName = func() map[string]Input {
	m := make(map[string]Input, len(All))
	for _, in := range All {
		m[in.Name] = in
	}
	return m
}()

// Get returns the input of that name.
func Get(name string) (Input, bool) {
	in, ok := byName[name]
	return in, ok
}

// Lookup returns the value of a named input ("" when unset).
type Lookup func(name string) string

// FromEnv reads inputs the way the runner passes them to a container
// action (EnvName), trimmed; an empty input falls back to its EnvFallback
// variable. Defaults are not applied here: config.Load applies them.
func FromEnv(getenv func(string) string) Lookup {
	return func(name string) string {
		v := strings.TrimSpace(getenv(EnvName(name)))
		if v == "" {
			if in, ok := byName[name]; ok && in.EnvFallback != "" {
				v = strings.TrimSpace(getenv(in.EnvFallback))
			}
		}
		return v
	}
}

// RunnerEnv is what the runner passes a container action for the given
// `with:` values: INPUT_<NAME> for every declared input, with action.yml's
// default where the workflow gives none (the runner fills defaults in;
// it does not enforce required).
func RunnerEnv(with map[string]string) map[string]string {
	env := make(map[string]string, len(All))
	for _, in := range All {
		v, ok := with[in.Name]
		if !ok {
			v = in.Default
		}
		env[EnvName(in.Name)] = v
	}
	return env
}
