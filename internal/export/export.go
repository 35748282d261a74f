// Package export hands results to the rest of the workflow: masks on the
// log, variables in GITHUB_ENV, outputs in GITHUB_OUTPUT.
//
// File commands are written with one append per file, so a step either sets
// all its variables or none; values with line breaks are refused, which also
// makes heredoc-delimiter injection impossible.
package export

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/sethvargo/go-githubactions"
)

// Var is one NAME=value pair for a file command.
type Var struct {
	Name  string
	Value string
}

// Workflow writes workflow commands to the log and file commands to the
// files the runner names in the environment.
type Workflow struct {
	gha     *githubactions.Action
	getenv  func(string) string
	masked  map[string]bool
	noMasks bool
}

// DisableMasks makes Mask a no-op, for output that no runner reads.
func (f *Workflow) DisableMasks() { f.noMasks = true }

// New returns a Workflow writing commands to w and finding file-command
// paths with getenv.
func New(w io.Writer, getenv func(string) string) *Workflow {
	return &Workflow{
		gha:    githubactions.New(githubactions.WithWriter(w), githubactions.WithGetenv(getenv)),
		getenv: getenv,
		masked: map[string]bool{},
	}
}

// Actions returns the go-githubactions handle for log commands.
func (f *Workflow) Actions() *githubactions.Action { return f.gha }

// Mask tells the runner to hide each non-empty value from the log from now
// on. Multi-line values are masked line by line, as the runner matches lines.
func (f *Workflow) Mask(values ...string) {
	if f.noMasks {
		return
	}
	for _, v := range values {
		for _, line := range strings.Split(v, "\n") {
			line = strings.TrimRight(line, "\r")
			if strings.TrimSpace(line) == "" || f.masked[line] {
				continue
			}
			f.masked[line] = true
			f.gha.AddMask(line)
		}
	}
}

// ErrNoFile means the runner did not name the file for a file command.
var ErrNoFile = errors.New("file command path not set")

// Append writes vars to the file named by the environment variable fileEnv
// (GITHUB_ENV, GITHUB_OUTPUT, GITHUB_STATE) in a single write.
func (f *Workflow) Append(fileEnv string, vars []Var) error {
	if len(vars) == 0 {
		return nil
	}
	var b strings.Builder
	for _, v := range vars {
		if err := checkVar(v); err != nil {
			return fmt.Errorf("%s: %w", fileEnv, err)
		}
		b.WriteString(v.Name)
		b.WriteByte('=')
		b.WriteString(v.Value)
		b.WriteByte('\n')
	}
	return f.appendFile(fileEnv, b.String())
}

// appendFile appends text in one write to the file the runner names in
// the environment variable fileEnv.
func (f *Workflow) appendFile(fileEnv, text string) error {
	path := f.getenv(fileEnv)
	if path == "" {
		return fmt.Errorf("%s: %w (is this running inside GitHub Actions?)", fileEnv, ErrNoFile)
	}
	fh, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY|os.O_CREATE, 0o644)
	if err != nil {
		return fmt.Errorf("%s: opening %s: %w", fileEnv, path, err)
	}
	_, werr := io.WriteString(fh, text)
	if err := errors.Join(werr, fh.Close()); err != nil {
		return fmt.Errorf("%s: writing %s: %w", fileEnv, path, err)
	}
	return nil
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

// OneLine makes text from outside (STS messages, claim values) safe to put
// in a log line: line breaks cannot start a new workflow command.
func OneLine(s string) string {
	return strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ").Replace(s)
}

// Summary appends Markdown to the job summary (GITHUB_STEP_SUMMARY).
func (f *Workflow) Summary(markdown string) error {
	return f.appendFile("GITHUB_STEP_SUMMARY", markdown)
}
