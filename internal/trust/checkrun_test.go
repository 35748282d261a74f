package trust

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// checkPolicy admits main of o/a and o/b, pinned by repository_id.
const checkPolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
"Principal":{"Federated":"arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"},
"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{
"token.actions.githubusercontent.com:aud":"sts.amazonaws.com",
"token.actions.githubusercontent.com:sub":["repo:o/a:ref:refs/heads/main","repo:o/b:ref:refs/heads/main"],
"token.actions.githubusercontent.com:repository_id":["1","2"]}}}]}`

func outcomes(res CheckResult) []Outcome {
	var out []Outcome
	for _, r := range res.Runs {
		out = append(out, r.Outcome)
	}
	return out
}

// TestCheckRepositories: several repositories are the same run in each,
// in order, ids inline; the worst run's outcome is the command's.
func TestCheckRepositories(t *testing.T) {
	p := mustParse(t, []byte(checkPolicy))
	in := CheckInput{Run: Run{Ref: "refs/heads/main"}, Repositories: []string{"o@9/a@1", "o/b", "o@9/c@3", "o@9/b@7"}, Account: "123456789012"}
	res, err := Check(p, in)
	if err != nil {
		t.Fatal(err)
	}
	want := []Outcome{OutcomeAllowed, OutcomeUndecided, OutcomeDenied, OutcomeDenied}
	if diff := cmp.Diff(want, outcomes(res)); diff != "" {
		t.Errorf("outcomes (-want +got):\n%s", diff)
	}
	if got := res.Runs[0].Run; got.Repository != "o/a" || got.RepositoryID != "1" || got.OwnerID != "9" {
		t.Errorf("first run's facts = %+v", got)
	}
	if w := res.Worst(); w.Run.Repository != "o/c" || w.Outcome != OutcomeDenied {
		t.Errorf("worst = %s %v, want the first DENIED (o/c)", w.Run.Repository, w.Outcome)
	}
	if r := res.Runs[1].Report(); !strings.Contains(r, "UNDECIDED") || !strings.Contains(r, "--repository-id") {
		t.Errorf("undecided run's report names no deciding flag:\n%s", r)
	}
	// Another account's Federated principal does not match.
	in.Account = "210987654321"
	if res, _ := Check(p, in); res.Runs[0].Outcome != OutcomeDenied {
		t.Errorf("another account: %v, want DENIED", res.Runs[0].Outcome)
	}
}

// TestCheckLookup: Lookup fills in each run's ids before it is evaluated;
// a check from claims never calls it.
func TestCheckLookup(t *testing.T) {
	p := mustParse(t, []byte(checkPolicy))
	var asked []string
	lookup := func(f *Run) {
		asked = append(asked, f.Repository)
		f.RepositoryID, f.OwnerID = map[string]string{"o/a": "1", "o/b": "5"}[f.Repository], "9"
	}
	res, err := Check(p, CheckInput{Run: Run{Ref: "refs/heads/main"}, Repositories: []string{"o/a", "o/b"}, Lookup: lookup})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]Outcome{OutcomeAllowed, OutcomeDenied}, outcomes(res)); diff != "" {
		t.Errorf("outcomes (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"o/a", "o/b"}, asked); diff != "" {
		t.Errorf("looked up (-want +got):\n%s", diff)
	}
	asked = nil
	claims := `{"iss":"https://token.actions.githubusercontent.com","aud":"sts.amazonaws.com","sub":"repo:o/a:ref:refs/heads/main","repository":"o/a","repository_id":"1"}`
	res, err = Check(p, CheckInput{ClaimsName: "c.json", Claims: []byte(claims), Lookup: lookup})
	if err != nil || len(asked) != 0 || res.Runs[0].Outcome != OutcomeAllowed {
		t.Errorf("claims: %v %v, looked up %v", outcomes(res), err, asked)
	}
}

// TestCheckFindings: an ALLOWED run with an error-level finding is
// OutcomeFindings, ranked above ALLOWED and below UNDECIDED.
func TestCheckFindings(t *testing.T) {
	p := mustParse(t, []byte(strings.Replace(checkPolicy, `"repo:o/b:ref:refs/heads/main"`, `"repo:o/b:*"`, 1)))
	res, err := Check(p, CheckInput{Run: Run{Repository: "o/a", Ref: "refs/heads/main", RepositoryID: "1"}})
	if err != nil {
		t.Fatal(err)
	}
	r := res.Runs[0]
	if r.Outcome != OutcomeFindings || r.Decision.Verdict != Allowed {
		t.Fatalf("outcome %v, verdict %v; findings %v", r.Outcome, r.Decision.Verdict, r.Findings)
	}
	res.Runs = append(res.Runs, RunResult{Outcome: OutcomeAllowed}, RunResult{Outcome: OutcomeUndecided, Run: Run{Repository: "x"}})
	if w := res.Worst(); w.Outcome != OutcomeUndecided {
		t.Errorf("worst of findings, allowed, undecided = %v", w.Outcome)
	}
}

// TestCheckWorst: invalid facts and an unsupported policy are equally
// bad; the first of them is the worst.
func TestCheckWorst(t *testing.T) {
	for _, tc := range []struct {
		in   []Outcome
		want int
	}{
		{[]Outcome{OutcomeAllowed, OutcomeFindings, OutcomeUndecided, OutcomeDenied}, 3},
		{[]Outcome{OutcomeDenied, OutcomeInvalid, OutcomeUnsupported}, 1},
		{[]Outcome{OutcomeUnsupported, OutcomeInvalid, OutcomeDenied}, 0},
		{[]Outcome{OutcomeAllowed, OutcomeAllowed}, 0},
	} {
		var res CheckResult
		for i, o := range tc.in {
			res.Runs = append(res.Runs, RunResult{Outcome: o, Run: Run{Repository: string(rune('a' + i))}})
		}
		if got := res.Worst().Run.Repository; got != string(rune('a'+tc.want)) {
			t.Errorf("Worst(%v) = run %s, want run %d", tc.in, got, tc.want)
		}
	}
}

// TestCheckInvalid: input wrong as a whole is an *InputError before any
// run; a run whose own facts are wrong is OutcomeInvalid, the others
// still evaluated; unreadable claims are a plain error naming the file.
func TestCheckInvalid(t *testing.T) {
	p := mustParse(t, []byte(checkPolicy))
	for _, tc := range []struct {
		in   CheckInput
		want string
	}{
		{CheckInput{Run: Run{Ref: "refs/heads/main"}, Repositories: []string{"o/*"}}, "a run is of one repository"},
		{CheckInput{Run: Run{Ref: "refs/heads/main"}, Repositories: []string{"o@9/a@1"}, IDsGiven: true}, "carries its ids already"},
		{CheckInput{Run: Run{Ref: "refs/heads/main"}, Repositories: []string{"o/a", "o/b"}, IDsGiven: true}, "give each one's ids inline"},
		{CheckInput{Run: Run{Ref: "refs/heads/main"}, Repositories: []string{"o/a"}, ClaimsName: "c.json"}, "not both"},
		{CheckInput{Run: Run{Ref: strings.Repeat("x", MaxFactBytes+1)}}, "--ref is"},
	} {
		if err := tc.in.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Validate(%+v) = %v, want %q", tc.in.Repositories, err, tc.want)
		}
		var ie *InputError
		if _, err := Check(p, tc.in); !errors.As(err, &ie) {
			t.Errorf("Check(%+v) = %v, want an *InputError", tc.in.Repositories, err)
		}
	}

	res, err := Check(p, CheckInput{Run: Run{Ref: "refs/heads/main", SubFormat: "immutable"}, Repositories: []string{"o/a", "o@9/b@2"}})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]Outcome{OutcomeInvalid, OutcomeDenied}, outcomes(res)); diff != "" {
		t.Errorf("outcomes (-want +got):\n%s", diff)
	}
	if e := res.Runs[0].Err; e == nil || !strings.Contains(e.Error(), "--sub-format immutable needs") || res.Runs[0].Report() != "" {
		t.Errorf("invalid run: %v, report %q", e, res.Runs[0].Report())
	}
	res, err = Check(p, CheckInput{Run: Run{Repository: "o/a"}})
	if err != nil || res.Runs[0].Outcome != OutcomeInvalid || !strings.Contains(res.Runs[0].Err.Error(), "--repository and --ref") {
		t.Errorf("no ref: %v %+v", err, res.Runs)
	}

	var ie *InputError
	_, err = Check(p, CheckInput{ClaimsName: "c.json", Claims: []byte(`{"aud":"x"}`)})
	if err == nil || errors.As(err, &ie) || !strings.HasPrefix(err.Error(), `c.json: claims have no "sub"`) {
		t.Errorf("claims without sub: %v", err)
	}
}
