// Package runner speaks the runner's workflow-command protocol: masks and
// messages on the log, variables in GITHUB_ENV, outputs in GITHUB_OUTPUT,
// state in GITHUB_STATE.
//
// File commands are written with one append per file, so a step either sets
// all its variables or none; values with line breaks are refused, which also
// makes heredoc-delimiter injection impossible.
package runner

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// Var is one NAME=value pair for a file command.
type Var struct {
	Name  string
	Value string
}

// Workflow writes workflow commands to the log and file commands to the
// files the runner names in the environment.
type Workflow struct {
	log    *Log
	getenv func(string) string
	masked map[string]bool
}

// New returns a Workflow writing the log to w and finding file-command
// paths with getenv. Workflow commands (masks, annotations) are written only
// when workflow is true: a runner reads the log.
func New(w io.Writer, getenv func(string) string, workflow bool) *Workflow {
	return &Workflow{log: NewLog(w, workflow), getenv: getenv, masked: map[string]bool{}}
}

// Log is the log.
func (f *Workflow) Log() *Log { return f.log }

// Mask tells the runner to hide each non-empty value from the log from now
// on. Multi-line values are masked line by line, as the runner matches lines.
func (f *Workflow) Mask(values ...string) {
	for _, v := range values {
		for _, line := range strings.Split(v, "\n") {
			line = strings.TrimRight(line, "\r")
			if strings.TrimSpace(line) == "" || f.masked[line] {
				continue
			}
			f.masked[line] = true
			f.log.mask(line)
		}
	}
}

// ErrNoFile means the runner did not name the file for a file command.
var ErrNoFile = errors.New("file command path not set")

// Append writes vars to the file named by the environment variable fileEnv
// (GITHUB_ENV, GITHUB_OUTPUT, GITHUB_STATE) in a single write.
func (f *Workflow) Append(fileEnv string, vars []Var) error {
	_, err := f.appendVars(fileEnv, vars)
	return err
}

func (f *Workflow) appendVars(fileEnv string, vars []Var) (*written, error) {
	if len(vars) == 0 {
		return nil, nil
	}
	var b strings.Builder
	for _, v := range vars {
		if err := checkVar(v); err != nil {
			return nil, fmt.Errorf("%s: %w", fileEnv, err)
		}
		b.WriteString(v.Name)
		b.WriteByte('=')
		b.WriteString(v.Value)
		b.WriteByte('\n')
	}
	return f.appendFile(fileEnv, b.String())
}

// written is one append: the file and its length before it.
type written struct {
	path string
	size int64
}

// appendFile appends text in one write to the file the runner names in
// the environment variable fileEnv. A short or failed write is undone
// (the file truncated back to its length before), so the runner never
// reads half a value — a cut secret it would not mask.
func (f *Workflow) appendFile(fileEnv, text string) (*written, error) {
	path := f.getenv(fileEnv)
	if path == "" {
		return nil, fmt.Errorf("%s: %w (is this running inside GitHub Actions?)", fileEnv, ErrNoFile)
	}
	fh, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("%s: opening %s: %w", fileEnv, path, err)
	}
	w := &written{path: path}
	if fi, err := fh.Stat(); err == nil && fi.Mode().IsRegular() {
		w.size = fi.Size()
	} else {
		w.size = -1 // not a file that can be truncated back (a device)
	}
	n, werr := io.WriteString(fh, text)
	if werr == nil && n != len(text) {
		werr = io.ErrShortWrite
	}
	if werr != nil && n > 0 && w.size >= 0 {
		werr = errors.Join(werr, fh.Truncate(w.size))
	}
	if err := errors.Join(werr, fh.Close()); err != nil {
		return nil, fmt.Errorf("%s: writing %s: %w", fileEnv, path, err)
	}
	return w, nil
}

// Tx groups file-command appends so that a failure part-way undoes the
// ones already made: all of a step's results, or none.
type Tx struct {
	f    *Workflow
	done []*written
}

// Begin starts a group of appends.
func (f *Workflow) Begin() *Tx { return &Tx{f: f} }

// Append is Workflow.Append, remembered for Rollback.
func (t *Tx) Append(fileEnv string, vars []Var) error {
	w, err := t.f.appendVars(fileEnv, vars)
	if w != nil {
		t.done = append(t.done, w)
	}
	return err
}

// Rollback truncates every file appended to back to its length before,
// last first.
func (t *Tx) Rollback() error {
	var errs []error
	for i := len(t.done) - 1; i >= 0; i-- {
		w := t.done[i]
		if w.size < 0 {
			errs = append(errs, fmt.Errorf("cannot undo the append to %s (not a regular file)", w.path))
			continue
		}
		if err := os.Truncate(w.path, w.size); err != nil {
			errs = append(errs, err)
		}
	}
	t.done = nil
	return errors.Join(errs...)
}

func checkVar(v Var) error {
	if v.Name == "" || strings.ContainsAny(v.Name, "=\r\n") || strings.Contains(v.Name, "<<") {
		return fmt.Errorf("invalid name %q", v.Name)
	}
	if strings.ContainsAny(v.Value, "\r\n") {
		return fmt.Errorf("the value of %s contains a line break", v.Name)
	}
	return nil
}

// Summary appends Markdown to the job summary (GITHUB_STEP_SUMMARY).
func (f *Workflow) Summary(markdown string) error {
	_, err := f.appendFile("GITHUB_STEP_SUMMARY", markdown)
	return err
}
