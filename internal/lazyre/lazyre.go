// Package lazyre defers compiling a package-level regular expression to its
// first use. A regexp.MustCompile in a package var runs in package init, at
// every start of the process, whether or not the run ever matches with it;
// the action is one short-lived process per step, so an expression only some
// inputs need (tags, policy ARNs, profiles) should cost only the runs that
// need it.
package lazyre

import (
	"regexp"
	"sync"
)

// New returns a function that compiles expr on its first call and returns
// the same *regexp.Regexp on every call, from any goroutine. Like
// regexp.MustCompile it panics if expr does not compile, but at that first
// call rather than at init: each expression must be covered by a test that
// calls it.
func New(expr string) func() *regexp.Regexp {
	return sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(expr) })
}
