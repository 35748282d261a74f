package cli

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/org/aws-oidc-go/internal/dev/harness"
)

// TestAuditCommand: aws-oidc-go audit against moto's IAM (roles made with
// the AWS CLI): the exit codes of its table (0 nothing at or above
// --fail-on, 5 findings at or above it, 3 IAM unreadable, naming the call
// and the permission), the JSON report, and only read calls made.
func TestAuditCommand(t *testing.T) {
	t.Parallel()
	moto := startMoto(t)
	mustAWSNoOutput(t, moto.URL, "iam", "create-open-id-connect-provider", "--url", "https://token.actions.githubusercontent.com", "--client-id-list", "sts.amazonaws.com", "--thumbprint-list", "6938fd4d98bab03faadb97b34396831e3780aea1")
	fed := `{"Federated": "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"}`
	mustAWSNoOutput(t, moto.URL, "iam", "create-role", "--role-name", "owner-wide", "--assume-role-policy-document",
		`{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": `+fed+`, "Action": "sts:AssumeRoleWithWebIdentity", "Condition": {"StringLike": {"token.actions.githubusercontent.com:sub": "repo:octo-org/*"}, "StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"}}}]}`)
	mustAWSNoOutput(t, moto.URL, "iam", "create-role", "--role-name", "ec2", "--assume-role-policy-document",
		`{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}`)
	proxy := harness.NewProxy(moto.URL)
	defer proxy.Close()
	env := setupEnv(proxy.URL, moto.URL, "")

	code, stdout, stderr := run([]string{"audit"}, env)
	if code != ExitFindings || !strings.Contains(stdout, "\nhigh      owner-wide  owner-wide (stmt 0)\n") || !strings.Contains(stdout, "2 role(s) read: 1 can admit a GitHub Actions token (below), 1 trust only other principals") {
		t.Errorf("audit: exit %d\n%s%s", code, stdout, stderr)
	}
	if code, stdout, stderr = run([]string{"audit", "--fail-on", "critical"}, env); code != ExitOK {
		t.Errorf("--fail-on critical: exit %d\n%s%s", code, stdout, stderr)
	}
	code, stdout, stderr = run([]string{"audit", "--format", "json", "--owner", "other-org"}, env)
	var rep struct {
		Account string
		Roles   []struct {
			Name     string
			Severity string
			Findings []struct {
				Kind    string
				Witness struct{ Verdict string }
			}
		}
	}
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil || code != ExitFindings || len(rep.Roles) != 1 || rep.Roles[0].Severity != "high" || rep.Account != testAccount {
		t.Fatalf("json: exit %d, %v\n%s%s", code, err, stdout, stderr)
	}
	var kinds []string
	for _, f := range rep.Roles[0].Findings {
		kinds = append(kinds, f.Kind)
		if f.Witness.Verdict != "ALLOWED" {
			t.Errorf("%s: witness %q", f.Kind, f.Witness.Verdict)
		}
	}
	if strings.Join(kinds, " ") != "foreign-owner owner-wide" && strings.Join(kinds, " ") != "owner-wide foreign-owner" {
		t.Errorf("kinds %v", kinds)
	}
	if code, stdout, _ = run([]string{"audit", "--format", "sarif", "--sarif-location", "ops/audit.yml"}, env); code != ExitFindings || !strings.Contains(stdout, `"uri": "ops/audit.yml"`) {
		t.Errorf("sarif: exit %d\n%s", code, stdout)
	}
	for _, r := range proxy.Requests() {
		switch r.Action {
		case "ListRoles", "ListOpenIDConnectProviders", "GetOpenIDConnectProvider":
		default:
			t.Fatalf("audit called iam:%s", r.Action)
		}
	}

	proxy.Faults().ForAction("ListRoles", harness.IAMError(403, "AccessDenied", "User: arn:aws:iam::123456789012:user/auditor is not authorized to perform: iam:ListRoles"))
	code, stdout, stderr = run([]string{"audit"}, env)
	if code != ExitUnreadable || !strings.Contains(stderr, "iam:ListRoles failed: AccessDenied") || !strings.Contains(stderr, "grant the identity running the audit iam:ListRoles") || stdout != "" {
		t.Errorf("AccessDenied: exit %d\n%s%s", code, stdout, stderr)
	}

	// An endpoint that says more roles follow, with the marker it was
	// asked with and no roles, forever: exit 3, not an endless loop.
	proxy.Faults().ForAction("ListRoles", harness.Fault{Status: 200, Body: `<ListRolesResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">
  <ListRolesResult><IsTruncated>true</IsTruncated><Marker>again</Marker><Roles/></ListRolesResult>
  <ResponseMetadata><RequestId>4a4f7f2d-9e6c-4d7f-8a60-0c3c6d1f0b7e</RequestId></ResponseMetadata>
</ListRolesResponse>`})
	before := proxy.Count("ListRoles")
	code, stdout, stderr = run([]string{"audit"}, env)
	if code != ExitUnreadable || !strings.Contains(stderr, "gave no new Marker") || stdout != "" || proxy.Count("ListRoles")-before != 2 {
		t.Errorf("repeated marker: exit %d, %d ListRoles\n%s%s", code, proxy.Count("ListRoles")-before, stdout, stderr)
	}
}

// TestAuditUsage: bad flags exit 2 naming the flag and what is allowed.
func TestAuditUsage(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"audit", "--format", "xml"}, `--format "xml": want text, json or sarif`},
		{[]string{"audit", "--fail-on", "severe"}, `--fail-on "severe": want critical, high, medium, low or none`},
		{[]string{"audit", "--undecided-as", "x"}, `--undecided-as "x": want critical, high, medium, low or none`},
		{[]string{"audit", "--owner", "a b"}, `--owner "a b": want a GitHub owner's login`},
		{[]string{"audit", "--format", "sarif", "--sarif-location", "/etc/passwd"}, `--sarif-location "/etc/passwd": want a path relative to the repository root`},
		{[]string{"audit", "--sarif-location", "a.yml"}, "--sarif-location goes with --format sarif"},
		{[]string{"audit", "extra"}, `unexpected argument "extra"`},
		{[]string{"audit", "--formt", "json"}, "formt"},
	} {
		code, stdout, stderr := run(c.args, map[string]string{"AWS_ENDPOINT_URL": "http://127.0.0.1:9"})
		if code != ExitUsage || !strings.Contains(stderr, c.want) || stdout != "" {
			t.Errorf("%v: exit %d, want %d with %q\n%s%s", c.args, code, ExitUsage, c.want, stdout, stderr)
		}
	}
	if code, stdout, _ := run([]string{"audit", "--help"}, nil); code != ExitOK || !strings.Contains(stdout, "--fail-on critical|high|medium|low|none") {
		t.Errorf("--help: exit %d\n%s", code, stdout)
	}
}
