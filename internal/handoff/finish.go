package handoff

import "context"

// Left is where the post step finds what the main step left.
type Left struct {
	// State is the State the runner handed back (STATE_cleanup), raw.
	State string
	// DropsState: the runner drops state (act, see DropsState); only then,
	// and only when State is empty, are manifests read.
	DropsState bool
	// Bases are the directories a run directory of this job may be in,
	// and Key this run, attempt, job and step (RunKey): what Manifests
	// takes.
	Bases []string
	Key   string
}

// Finished is what Finish did: the reports of the States found, and
// where they came from.
type Finished struct {
	Report
	// From names where the work came from: "the main step's state" or
	// "the cleanup manifest".
	From string
	// States is how many States were found (0: nothing to clean up).
	States int
	// Unreadable is why the State the runner handed back could not be
	// read; nothing was touched.
	Unreadable error
}

// Finish is the post step's whole walk over what the main step left: the
// State the runner handed back, else (where the runner drops state) the
// manifests of this run, each a claim to verify; then Cleanup of each.
// ctx bounds the wait for locks. With an unreadable State nothing is
// touched (Finished.Unreadable).
func Finish(ctx context.Context, l Left, c Checks) Finished {
	var f Finished
	var states []State
	switch {
	case l.State != "":
		f.From = "the main step's state"
		s, err := ParseState([]byte(l.State))
		if err != nil {
			f.Unreadable = err
			return f
		}
		states = append(states, s)
	case l.DropsState:
		f.From = "the cleanup manifest"
		var warnings []string
		states, warnings = Manifests(l.Bases, l.Key, c.UID)
		f.Warnings = append(f.Warnings, warnings...)
	}
	f.States = len(states)
	for _, s := range states {
		rep := Cleanup(ctx, s, c)
		f.Blank = append(f.Blank, rep.Blank...)
		f.Removed += rep.Removed
		f.Temps += rep.Temps
		f.Warnings = append(f.Warnings, rep.Warnings...)
	}
	return f
}
