// Package e2e runs the built binary the way the GitHub runner runs a
// container action — scrubbed environment, INPUT_ variables with hyphens,
// defaults taken from action.yml, file-command files — against moto and the
// fake token service, then runs the real AWS CLI as the next step. It also
// holds the whole-process benchmark. It has no non-test code.
package e2e
