package action

import (
	"crypto/rand"
	"errors"
	"strings"

	"github.com/org/aws-oidc-go/internal/runner"
)

// Failure is a failed run: the error plus advice on fixing it, and details
// (claims) to print with workflow commands stopped.
type Failure struct {
	Err     error
	Advice  []string
	Details []string
}

func (f *Failure) Error() string { return f.Err.Error() }
func (f *Failure) Unwrap() error { return f.Err }

// Report prints err on log: one error per problem when err joins several
// (every input problem at once), or one error with the failure's advice.
// A failure's details (claims, which hold user-controlled text) come first;
// inside Actions between ::stop-commands:: and an unguessable resume token
// (stop returns it; nil: crypto/rand), so nothing in them acts as a
// workflow command. Off Actions everything is plain text.
func Report(log *runner.Log, err error, stop func() string) {
	if joined, ok := err.(interface{ Unwrap() []error }); ok {
		errs := joined.Unwrap()
		for _, e := range errs {
			log.Errorf("%s", e)
		}
		log.Errorf("%d problem(s); nothing was requested or exported", len(errs))
		return
	}
	var f *Failure
	if errors.As(err, &f) && len(f.Details) > 0 {
		if stop == nil {
			stop = rand.Text // unguessable: the details cannot resume commands
		}
		tok := stop()
		log.StopCommands(tok)
		for _, line := range f.Details {
			log.Raw(runner.Visible(line))
		}
		log.ResumeCommands(tok)
	}
	lines := strings.Split(err.Error(), "\n")
	if f != nil {
		lines = append(lines, f.Advice...)
	}
	log.ErrorLines(lines...)
}
