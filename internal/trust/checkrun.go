package trust

import (
	"errors"
	"fmt"
)

// CheckInput is what trust-policy check evaluates a policy for: one Run
// described by flags, the same run in each of Repositories, or a real
// token's Claims. Reading the policy, the claims file and the flags is the
// caller's.
type CheckInput struct {
	// Run describes the run without claims; with claims only
	// Audience and Issuer are used (and still checked).
	Run Run
	// Repositories, when given, replace Run.Repository: the same run
	// in each, ids inline as OWNER@OWNER_ID/REPO@REPO_ID.
	Repositories []string
	// IDsGiven says whether the ids came as their own flags
	// (--repository-id, --owner-id): Run's ids may have been filled in
	// otherwise, and the flags name one repository.
	IDsGiven bool
	// ClaimsName, when set, makes the check one of a real token's claims:
	// the file it names (in errors) holds Claims, the decoded payload.
	ClaimsName string
	Claims     []byte
	// Account is the role's account: a Federated principal in another
	// account does not match.
	Account string
	// Lookup, when set, fills in a run's ids before it is evaluated
	// (check --role asks GitHub); it is not called with claims.
	Lookup func(*Run)
}

// Outcome is one run's result, best first; Worst ranks them.
type Outcome int

const (
	OutcomeAllowed     Outcome = iota // ALLOWED, no error-level finding
	OutcomeFindings                   // ALLOWED, with an error-level finding
	OutcomeUndecided                  // depends on facts not given
	OutcomeDenied                     // DENIED
	OutcomeUnsupported                // the policy or claims cannot be evaluated
	OutcomeInvalid                    // the run's facts are wrong (RunResult.Err)
)

// rank orders outcomes from best to worst; an unsupported policy and
// wrong facts are equally bad, and the first of them stays the worst.
func (o Outcome) rank() int {
	if o >= OutcomeUnsupported {
		return int(OutcomeUnsupported)
	}
	return int(o)
}

// RunResult is one run's verdict and findings, or why it was not
// evaluated (Err, with OutcomeInvalid: the facts given for it are wrong).
type RunResult struct {
	Run      Run // as evaluated: ids looked up included
	Outcome  Outcome
	Decision Decision
	Request  Request
	Findings []Finding
	Err      error
}

// Report renders the run's verdict and findings (empty for an invalid
// run).
func (r RunResult) Report() string {
	if r.Err != nil {
		return ""
	}
	return Report(r.Decision, r.Request, r.Findings)
}

// CheckResult holds a result for each run, in the order of the
// repositories given.
type CheckResult struct {
	Runs []RunResult
}

// Worst is the worst run's outcome (the first of equally bad ones): the
// command's.
func (c CheckResult) Worst() RunResult {
	var w RunResult
	for i, r := range c.Runs {
		if i == 0 || r.Outcome.rank() > w.Outcome.rank() {
			w = r
		}
	}
	return w
}

// InputError is a CheckInput that cannot be checked as given: the flags
// are wrong, not the policy.
type InputError struct{ Err error }

func (e *InputError) Error() string { return e.Err.Error() }
func (e *InputError) Unwrap() error { return e.Err }

// Check evaluates the policy for every run of in and lints it for each.
// An *InputError says the input was wrong as a whole; claims that cannot
// be read are a plain error naming in.ClaimsName. A run whose own facts
// are wrong has OutcomeInvalid and its Err.
func Check(p *Policy, in CheckInput) (CheckResult, error) {
	runs, err := in.runs()
	if err != nil {
		return CheckResult{}, &InputError{err}
	}
	if in.ClaimsName != "" {
		claims, err := ParseClaims(in.Claims)
		if err != nil {
			return CheckResult{}, fmt.Errorf("%s: %w", in.ClaimsName, err)
		}
		return CheckResult{Runs: []RunResult{checkRun(p, runs[0], claims, nil, true, in.Account)}}, nil
	}
	var res CheckResult
	for _, f := range runs {
		if in.Lookup != nil {
			in.Lookup(&f)
		}
		res.Runs = append(res.Runs, checkFacts(p, f, in.Account))
	}
	return res, nil
}

// Validate says whether Check can take the input as given (Check asks
// it too): a caller reads the claims file only after it.
func (in CheckInput) Validate() error {
	_, err := in.runs()
	return err
}

// runs checks every fact and makes the runs: Run alone, or Run in
// each of Repositories.
func (in CheckInput) runs() ([]Run, error) {
	// Every fact is checked, whichever way the claims come: with claims,
	// Audience and Issuer still go into the request.
	if err := in.Run.Validate(); err != nil {
		return nil, err
	}
	runs := []Run{in.Run}
	if len(in.Repositories) > 0 {
		runs = runs[:0]
		for _, v := range in.Repositories {
			r := ParseRepo(v)
			f := in.Run
			f.Repository = r.Name
			switch {
			case r.OwnerWide():
				return nil, fmt.Errorf("--repository %s: a run is of one repository; name one of the owner's (OWNER/REPO), or several", v)
			case r.ID != "" && in.IDsGiven:
				return nil, fmt.Errorf("--repository %s carries its ids already: drop --repository-id and --owner-id", v)
			case r.ID != "":
				f.RepositoryID, f.OwnerID = r.ID, r.OwnerID
			case len(in.Repositories) > 1 && in.IDsGiven:
				return nil, errors.New("--repository-id and --owner-id name one repository; with several --repository give each one's ids inline: --repository OWNER@OWNER_ID/REPO@REPO_ID")
			}
			runs = append(runs, f)
		}
	}
	if in.ClaimsName != "" && (len(runs) > 1 || runs[0].Repository != "" || runs[0].Ref != "") {
		return nil, errors.New("give either --claims or --repository/--ref, not both")
	}
	return runs, nil
}

// checkFacts evaluates the policy for the run the facts describe.
func checkFacts(p *Policy, f Run, account string) RunResult {
	if f.Repository == "" || f.Ref == "" {
		return RunResult{Run: f, Outcome: OutcomeInvalid, Err: errors.New("give --claims CLAIMS.json, or --repository and --ref")}
	}
	claims, unknown, err := ClaimsFor(f)
	if err != nil {
		return RunResult{Run: f, Outcome: OutcomeInvalid, Err: err}
	}
	return checkRun(p, f, claims, unknown, false, account)
}

// checkRun evaluates the policy for claims (a real token's when token is
// set, else derived from f, unknown the keys f leaves open) and lints it.
func checkRun(p *Policy, f Run, claims map[string]any, unknown map[string]string, token bool, account string) RunResult {
	issuer := f.Issuer
	if f.Audience != "" {
		claims["aud"] = f.Audience
	}
	if issuer == "" {
		if iss, ok := claims["iss"].(string); ok && iss != "" {
			issuer = iss
		} else {
			issuer = DefaultIssuer
		}
	}
	req := RequestFor(issuer, account, claims)
	for k, v := range unknown {
		req.Unknown[k] = v
	}
	d := Evaluate(p, req)
	// The lint re-matches the subject with what the evaluation left of
	// one comparison budget, and not at all once it is spent: the whole
	// check takes at most MaxMatchSteps steps.
	lc := LintContext{Issuer: issuer, Budget: MaxMatchSteps - d.Steps}
	lc.Repository, _ = claims["repository"].(string)
	lc.Audience, _ = claims["aud"].(string)
	lc.RepositoryID, _ = claims["repository_id"].(string)
	if token && !d.Exhausted && lc.Budget > 0 {
		lc.Subject, _ = claims["sub"].(string) // a real token's subject form
	}
	findings := Lint(p, lc)
	return RunResult{Run: f, Outcome: outcomeOf(d, findings), Decision: d, Request: req, Findings: findings}
}

// outcomeOf is a run's outcome from its decision and findings.
func outcomeOf(d Decision, findings []Finding) Outcome {
	switch {
	case len(d.Unhandled) > 0:
		return OutcomeUnsupported
	case d.Verdict == Denied:
		return OutcomeDenied
	case d.Verdict == Undecided:
		return OutcomeUndecided
	}
	for _, f := range findings {
		if f.Level == Error {
			return OutcomeFindings
		}
	}
	return OutcomeAllowed
}
