// Package handoff owns what outlives the step: everything the main step
// leaves for the post step, for credential-process and for the job's later
// steps, other than the variables and outputs it exports.
//
// The rule is that a thing read back is ours only if it can be proved: it
// was created in this run, nobody else could have changed it, and it is
// what was written.
//
//   - Created, not found. Each run makes its own private directory (Step.Dir:
//     a fresh, unguessable name, 0700, owned by the user later steps run
//     as) inside the shared location, next to the profile files. Every file
//     left behind that is not one of the user's own AWS files lives there —
//     the renewal settings, the copied binary, the manifest, stashed
//     sections — created exclusively (O_EXCL, never through a link) and
//     renamed into place inside that directory.
//   - Record before you write. The State naming a thing is handed to the
//     runner (GITHUB_STATE) and, where the runner drops state, rewritten as
//     the manifest, before the thing exists: a kill at any point leaves
//     nothing the post step cannot find.
//   - Trust the channel the runner guards. Where the runner hands STATE_
//     (GitHub's runner), the post step acts on that alone; a manifest is
//     read only where the runner is known to drop state (act), and then only
//     as a claim to verify.
//   - Verify, then touch. Cleanup edits the user's files only in sections
//     whose exact bytes were recorded (a sha256), restores an original only
//     from a stash that passes the same checks, removes files only inside a
//     run directory it has checked (not a link, the expected owner, no
//     access for group or others), and blanks only variables this action
//     can export. What does not verify is left alone with a warning naming
//     it and why.
//
// Lock files stay beside the files they serialise (credentials.lock): they
// coordinate writers of different runs, so they cannot be per run; they
// are created exclusively, handed to the runner's user, never written to.
//
// On Windows file modes say nothing (Go reports 0666/0777) and there are no
// numeric owners: the owner and mode checks are not applied there, and what
// protects the files is the ACL of the user's profile directory they live
// in (%USERPROFILE%\.aws inherits one that grants only the user, SYSTEM and
// Administrators). Links are refused everywhere.
package handoff
