package handoff

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/org/aws-oidc-go/internal/profile"
)

// StateKey is the GITHUB_STATE name the main step leaves for the post step
// (which receives it as STATE_cleanup).
const StateKey = "cleanup"

// stateVersion is the State format; a State of another version is refused.
const stateVersion = 1

// State is what the main step left, recorded before it was written: the
// post step's work. Handed to the runner as GITHUB_STATE and, where the
// runner drops state, kept as the manifest in Dir.
type State struct {
	Version int `json:"v"`
	// Key names the run, attempt, job and step (a manifest must match the
	// post step's own).
	Key string `json:"key,omitempty"`
	// Env are the variables exported with a value, to blank.
	Env []string `json:"env,omitempty"`
	// Dir is the run's private directory as the main step saw it.
	Dir string `json:"dir,omitempty"`
	// Token is the run's random token (hex), which names its directory
	// and every temporary file it makes: recorded from the start, so a
	// temporary file beside a profile file can be tied to this run even
	// when the run never made a directory.
	Token string `json:"token,omitempty"`
	// Files are the base names of our files in Dir.
	Files []string `json:"files,omitempty"`
	// Profiles are the sections written into the user's AWS files.
	Profiles []profile.Written `json:"profiles,omitempty"`
}

// Empty reports a State with nothing to undo.
func (s State) Empty() bool { return len(s.Env) == 0 && s.Dir == "" && len(s.Profiles) == 0 }

// Encode is the State as the one-line JSON GITHUB_STATE carries.
func Encode(s State) (string, error) {
	s.Version = stateVersion
	b, err := json.Marshal(s)
	return string(b), err
}

// ParseState reads a State from any bytes: at most MaxFile, strict JSON of
// this version only. It checks form, not truth: Cleanup verifies every
// claim against the files.
func ParseState(b []byte) (State, error) {
	var s State
	if len(b) > MaxFile {
		return s, fmt.Errorf("larger than %d bytes", MaxFile)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		return State{}, err
	}
	if dec.More() {
		return State{}, errors.New("trailing data after the JSON object")
	}
	if s.Version != stateVersion {
		return State{}, fmt.Errorf("version %d, want %d", s.Version, stateVersion)
	}
	return s, nil
}

// ExportedVars are the only variables this action exports, so the only
// ones the post step blanks, whatever a state names.
var ExportedVars = []string{
	"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
	"AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE",
	"AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE", "AWS_SDK_LOAD_CONFIG",
}

// exportable reports a variable this action can export.
func exportable(name string) bool { return slices.Contains(ExportedVars, name) }

// RunKey names this run, attempt, job and step from the runner's
// variables, as a manifest records it.
func RunKey(getenv func(string) string) string {
	return strings.Join([]string{getenv("GITHUB_RUN_ID"), getenv("GITHUB_RUN_ATTEMPT"), getenv("GITHUB_JOB"), getenv("GITHUB_ACTION")}, "/")
}

// DropsState reports a runner known to drop a container action's state
// before its post step: act (which sets ACT=true in every step, and mounts
// its volume at /var/run/act). Only there is a manifest written, and read.
func DropsState(getenv func(string) string, mounts map[string]string) bool {
	_, act := mounts["/var/run/act"]
	return getenv("ACT") == "true" || act
}
