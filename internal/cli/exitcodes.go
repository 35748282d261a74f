package cli

import "github.com/org/aws-oidc-go/internal/trust"

// ExitCode is one row of the exit-code table: what Code means when
// Command ends with it. docs/exit-codes.md holds the same table, row for
// row (TestExitCodesDoc compares them); a documented number is never
// renumbered.
type ExitCode struct {
	Command string
	Code    int
	Meaning string // Markdown, as the doc has it
}

// ExitCodes is every command's exit codes, the table docs/exit-codes.md
// documents.
var ExitCodes = []ExitCode{
	{"aws-oidc-go", ExitOK, "the step (or the command with input flags) exported the credentials, or printed them with `--format`"},
	{"aws-oidc-go", ExitFailure, "the step failed: bad input, no token, STS, export — and nothing was exported"},
	{"aws-oidc-go", ExitUsage, "the command line itself was wrong"},
	{"aws-oidc-go credential-process", ExitOK, "the credential_process JSON was printed"},
	{"aws-oidc-go credential-process", ExitFailure, "no credentials: the error is on stderr"},
	{"aws-oidc-go credential-process", ExitUsage, "the command line or the settings file was wrong"},
	{"aws-oidc-go post", ExitOK, "always: the post step never fails the job"},
	{"aws-oidc-go setup", ExitOK, "the plan was printed, or applied and verified"},
	{"aws-oidc-go setup", ExitFailure, "a step failed (AWS, GitHub's API, a refused policy), or the check at the end found a run that came out otherwise"},
	{"aws-oidc-go setup", ExitUsage, "bad usage"},
	{"aws-oidc-go trust-policy generate", ExitOK, "the policy was printed"},
	{"aws-oidc-go trust-policy generate", ExitUsage, "bad usage, or facts no policy can be generated from (named)"},
	{"aws-oidc-go trust-policy check", ExitOK, "`ALLOWED`, no error-level finding"},
	{"aws-oidc-go trust-policy check", ExitFailure, "`DENIED`"},
	{"aws-oidc-go trust-policy check", ExitUsage, "bad usage"},
	{"aws-oidc-go trust-policy check", ExitUnreadable, "the policy or claims file is unreadable or unsupported, or the role cannot be read"},
	{"aws-oidc-go trust-policy check", ExitUndecided, "`UNDECIDED`: the verdict depends on facts not given (the flags that decide it named)"},
	{"aws-oidc-go trust-policy check", ExitFindings, "`ALLOWED`, with an error-level finding"},
	{"aws-oidc-go audit", ExitOK, "no finding at or above `--fail-on` (default `high`)"},
	{"aws-oidc-go audit", ExitFailure, "the report could not be written"},
	{"aws-oidc-go audit", ExitUsage, "bad usage"},
	{"aws-oidc-go audit", ExitUnreadable, "IAM could not be read (the call and the missing permission named)"},
	{"aws-oidc-go audit", ExitFindings, "findings at or above `--fail-on`"},
}

// checkCodes is trust-policy check's exit code for each outcome; with
// several runs, the worst run's.
var checkCodes = map[trust.Outcome]int{
	trust.OutcomeAllowed:     ExitOK,
	trust.OutcomeFindings:    ExitFindings,
	trust.OutcomeUndecided:   ExitUndecided,
	trust.OutcomeDenied:      ExitFailure,
	trust.OutcomeUnsupported: ExitUnreadable,
	trust.OutcomeInvalid:     ExitUsage,
}
