package action

import (
	"strings"
	"time"

	"github.com/org/aws-oidc-go/internal/exchange"
	"github.com/org/aws-oidc-go/internal/lazyre"
	"github.com/org/aws-oidc-go/internal/runner"
)

// summary adds a short table to the job summary. The runner masks logs but
// not summaries, so with mask-aws-account-id the account is blanked here.
// A summary that cannot be written only earns a warning: the credentials
// are already exported.
func (r *mainStep) summary(c *exchange.Credentials, id *exchange.Identity) {
	if r.env.Getenv("GITHUB_STEP_SUMMARY") == "" {
		return
	}
	cfg := r.cfg
	hide := func(s string) string {
		if cfg.MaskAccountID {
			s = accountIDs().ReplaceAllString(s, "***")
		}
		return s
	}
	role := cfg.RoleARN
	if role == "" {
		role = cfg.RoleName
	}
	if role == "" {
		role = "(none: static keys)"
	}
	expires := "never (static keys)"
	if !c.Expiration.IsZero() {
		expires = c.Expiration.UTC().Format(time.RFC3339)
	}
	rows := [][2]string{
		{"Role", role},
		{"Authenticated as", id.ARN},
		{"Account", id.Account},
		{"Session name", cfg.SessionName},
		{"Expires", expires},
		{"Credentials from", r.src.String()},
		{"Region", cfg.Region},
	}
	var b strings.Builder
	b.WriteString("### AWS credentials\n\n| | |\n| --- | --- |\n")
	for _, row := range rows {
		b.WriteString("| " + row[0] + " | " + cell(hide(row[1])) + " |\n")
	}
	b.WriteString("\n")
	if err := r.wf.Summary(b.String()); err != nil {
		r.wf.Log().Warningf("Could not write the job summary: %s", err)
	}
}

// accountIDs are what mask-aws-account-id keeps out of the summary, which
// the runner does not mask: every account id, the source credentials' too.
var accountIDs = lazyre.New(`\b\d{12}\b`)

// cell makes a value safe inside a Markdown table cell.
func cell(s string) string {
	s = runner.Visible(s)
	s = cellEscaper.Replace(s)
	return "`" + s + "`"
}

// cellEscaper is cell's replacer, built once (at first use, by the
// strings package) rather than at every call.
var cellEscaper = strings.NewReplacer("|", `\|`, "`", "'", "<", "&lt;", ">", "&gt;")
