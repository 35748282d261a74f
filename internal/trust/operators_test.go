package trust

import (
	"fmt"
	"strings"
	"testing"
)

// The issue-22 item-13 tests: a condition whose operator the evaluator
// does not implement leaves the verdict UNDECIDED, naming the operator,
// and never decides it by being left out (before the fix such a statement
// counted as not applying: a Deny with NotIpAddress let everything
// through as ALLOWED, an Allow on IpAddress 0.0.0.0/0 came out DENIED).

const opAllow = `{"Effect": "Allow", "Principal": {"Federated": "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"}, "Action": "sts:AssumeRoleWithWebIdentity", "Condition": %s}`
const opDeny = `{"Effect": "Deny", "Principal": "*", "Action": "sts:AssumeRoleWithWebIdentity", "Condition": %s}`

func opPolicy(t *testing.T, statements ...string) *Policy {
	t.Helper()
	return mustParse(t, []byte(`{"Version": "2012-10-17", "Statement": [`+strings.Join(statements, ",")+`]}`))
}

// opRun is a run of org/app on main, every key known.
func opRun(t *testing.T) Request {
	t.Helper()
	claims, _, err := ClaimsFor(Run{Repository: "org/app", Ref: "refs/heads/main", RepositoryID: "42", OwnerID: "7", Actor: "a", ActorID: "1", Workflow: "w", JobWorkflowRef: "org/app/.github/workflows/w.yml@refs/heads/main", EnterpriseID: "3"})
	if err != nil {
		t.Fatal(err)
	}
	return RequestFor(DefaultIssuer, "", claims)
}

const pinApp = `{"StringEquals": {"token.actions.githubusercontent.com:sub": "repo:org/app:ref:refs/heads/main", "token.actions.githubusercontent.com:aud": "sts.amazonaws.com"}}`

func TestUnimplementedOperatorsLeaveTheVerdictUndecided(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name     string
		policy   []string
		want     Verdict
		operator string // named in the reasons and Unhandled; "" none
	}{
		{"Deny with NotIpAddress", []string{fmt.Sprintf(opAllow, pinApp), fmt.Sprintf(opDeny, `{"NotIpAddress": {"aws:SourceIp": "10.0.0.0/8"}}`)}, Undecided, "NotIpAddress"},
		{"Allow only on IpAddress 0.0.0.0/0", []string{fmt.Sprintf(opAllow, `{"IpAddress": {"aws:SourceIp": "0.0.0.0/0"}}`)}, Undecided, "IpAddress"},
		{"Allow with NumericLessThan", []string{fmt.Sprintf(opAllow, `{"NumericLessThan": {"token.actions.githubusercontent.com:actor_id": "10"}}`)}, Undecided, "NumericLessThan"},
		{"Deny with DateGreaterThan", []string{fmt.Sprintf(opAllow, pinApp), fmt.Sprintf(opDeny, `{"DateGreaterThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}}`)}, Undecided, "DateGreaterThan"},
		{"Deny with ArnNotLike", []string{fmt.Sprintf(opAllow, pinApp), fmt.Sprintf(opDeny, `{"ArnNotLike": {"aws:SourceArn": "arn:aws:*"}}`)}, Undecided, "ArnNotLike"},
		{"Deny with ForAnyValue:NumericEqualsIfExists", []string{fmt.Sprintf(opAllow, pinApp), fmt.Sprintf(opDeny, `{"ForAnyValue:NumericEqualsIfExists": {"token.actions.githubusercontent.com:repository_id": "42"}}`)}, Undecided, "ForAnyValue:NumericEqualsIfExists"},
		{"Allow with BinaryEquals beside a pin", []string{fmt.Sprintf(opAllow, `{"BinaryEquals": {"aws:x": "QUJD"}, "StringEquals": {"token.actions.githubusercontent.com:sub": "repo:org/app:ref:refs/heads/main"}}`)}, Undecided, "BinaryEquals"},
		// The operator does not matter: a condition beside it is false,
		// another Allow surely applies, or a Deny surely does.
		{"Allow whose other condition is false", []string{fmt.Sprintf(opAllow, `{"IpAddress": {"aws:SourceIp": "0.0.0.0/0"}, "StringEquals": {"token.actions.githubusercontent.com:sub": "repo:other/app:ref:refs/heads/main"}}`)}, Denied, ""},
		{"another Allow applies", []string{fmt.Sprintf(opAllow, pinApp), fmt.Sprintf(opAllow, `{"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}`)}, Allowed, ""},
		{"a Deny surely applies", []string{fmt.Sprintf(opAllow, pinApp), fmt.Sprintf(opDeny, `{"NotIpAddress": {"aws:SourceIp": "10.0.0.0/8"}}`), fmt.Sprintf(opDeny, `{"StringEquals": {"token.actions.githubusercontent.com:ref": "refs/heads/main"}}`)}, Denied, ""},
		{"Bool is implemented", []string{fmt.Sprintf(opAllow, `{"Bool": {"aws:SecureTransport": "true"}}`)}, Denied, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			req := opRun(t)
			d := Evaluate(opPolicy(t, c.policy...), req)
			if d.Verdict != c.want {
				t.Fatalf("verdict %v, want %v\n%s", d.Verdict, c.want, Report(d, req, nil))
			}
			report := Report(d, req, nil)
			if c.operator == "" {
				if len(d.Unhandled) != 0 {
					t.Errorf("Unhandled %v for a verdict the operator does not decide", d.Unhandled)
				}
				return
			}
			if len(d.Unhandled) != 1 || d.Unhandled[0] != c.operator {
				t.Errorf("Unhandled %v, want [%s]", d.Unhandled, c.operator)
			}
			if !strings.Contains(report, "UNDECIDED") || !strings.Contains(report, "operator "+c.operator+" ") {
				t.Errorf("the report does not name the operator:\n%s", report)
			}
		})
	}
}
