// Package trust generates, evaluates and lints IAM role trust policies for
// GitHub's OIDC provider, offline. Evaluation follows IAM's semantics for
// what trust policies use: Allow/Deny with an explicit Deny winning,
// Principal and Action matching, the String, Null and Bool condition
// operators with their Not/IgnoreCase/IfExists forms and the ForAnyValue /
// ForAllValues set qualifiers; several values of one key are ORed, several
// keys and operators ANDed; values are case-sensitive unless the operator
// says IgnoreCase; * and ? are wildcards in the Like operators.
package trust

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/org/aws-oidc-go/internal/runner"
)

// Policy is a parsed policy document.
type Policy struct {
	Version    string
	Statements []Statement
}

// Statement is one policy statement.
type Statement struct {
	Index        int
	Sid          string
	Effect       string // Allow or Deny
	Principal    *Principal
	NotPrincipal *Principal
	Action       []string
	NotAction    []string
	Conditions   []Condition // in a stable order: operator, then key
}

// Principal is a Principal or NotPrincipal element.
type Principal struct {
	Any       bool // "*"
	Federated []string
	AWS       []string
	Service   []string
}

// Condition is one operator applied to one key with its values.
type Condition struct {
	Operator string // as written, e.g. ForAnyValue:StringLike
	Key      string
	Values   []string
}

// ParseError is a policy that cannot be read.
type ParseError struct{ Reason string }

// Error renders the reason on one line (runner.Visible): it quotes parts
// of the document, such as a condition key, which may hold anything.
func (e *ParseError) Error() string { return "unreadable policy: " + runner.Visible(e.Reason) }

// Parse reads a policy document of at most MaxPolicyBytes, valid UTF-8
// (a *TooLargeError or a *ParseError otherwise).
func Parse(b []byte) (*Policy, error) {
	if len(b) > MaxPolicyBytes {
		return nil, &TooLargeError{What: "policy", Limit: MaxPolicyBytes}
	}
	if err := checkText(b); err != nil {
		return nil, &ParseError{Reason: err.Error()}
	}
	var raw struct {
		Version   string          `json:"Version"`
		Statement json.RawMessage `json:"Statement"`
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&raw); err != nil {
		return nil, &ParseError{Reason: "not a JSON object: " + err.Error()}
	}
	if len(raw.Statement) == 0 {
		return nil, &ParseError{Reason: "no Statement"}
	}
	var stmts []json.RawMessage
	if bytes.HasPrefix(bytes.TrimSpace(raw.Statement), []byte("[")) {
		if err := json.Unmarshal(raw.Statement, &stmts); err != nil {
			return nil, &ParseError{Reason: "Statement: " + err.Error()}
		}
	} else {
		stmts = []json.RawMessage{raw.Statement}
	}
	p := &Policy{Version: raw.Version}
	for i, s := range stmts {
		st, err := parseStatement(i, s)
		if err != nil {
			return nil, &ParseError{Reason: fmt.Sprintf("statement %d: %v", i, err)}
		}
		p.Statements = append(p.Statements, st)
	}
	return p, nil
}

func parseStatement(i int, b []byte) (Statement, error) {
	var raw struct {
		Sid          string                                `json:"Sid"`
		Effect       string                                `json:"Effect"`
		Principal    json.RawMessage                       `json:"Principal"`
		NotPrincipal json.RawMessage                       `json:"NotPrincipal"`
		Action       json.RawMessage                       `json:"Action"`
		NotAction    json.RawMessage                       `json:"NotAction"`
		Condition    map[string]map[string]json.RawMessage `json:"Condition"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return Statement{}, err
	}
	st := Statement{Index: i, Sid: raw.Sid, Effect: raw.Effect}
	if st.Effect != "Allow" && st.Effect != "Deny" {
		return st, fmt.Errorf("element Effect: %q is neither Allow nor Deny", raw.Effect)
	}
	var err error
	if st.Principal, err = parsePrincipal(raw.Principal); err != nil {
		return st, fmt.Errorf("element Principal: %w", err)
	}
	if st.NotPrincipal, err = parsePrincipal(raw.NotPrincipal); err != nil {
		return st, fmt.Errorf("element NotPrincipal: %w", err)
	}
	if st.Action, err = stringOrList(raw.Action); err != nil {
		return st, fmt.Errorf("element Action: %w", err)
	}
	if st.NotAction, err = stringOrList(raw.NotAction); err != nil {
		return st, fmt.Errorf("element NotAction: %w", err)
	}
	if st.Action == nil && st.NotAction == nil {
		return st, errors.New("no Action")
	}
	for op, keys := range raw.Condition {
		for key, v := range keys {
			vals, err := conditionValues(v)
			if err != nil {
				return st, fmt.Errorf("element Condition %s %s: %w", op, key, err)
			}
			st.Conditions = append(st.Conditions, Condition{Operator: op, Key: key, Values: vals})
		}
	}
	sort.Slice(st.Conditions, func(a, b int) bool {
		ca, cb := st.Conditions[a], st.Conditions[b]
		if ca.Operator != cb.Operator {
			return ca.Operator < cb.Operator
		}
		return ca.Key < cb.Key
	})
	return st, nil
}

func parsePrincipal(b json.RawMessage) (*Principal, error) {
	if len(b) == 0 {
		return nil, nil
	}
	var star string
	if json.Unmarshal(b, &star) == nil {
		if star != "*" {
			return nil, fmt.Errorf("%q: a string principal must be \"*\"", star)
		}
		return &Principal{Any: true}, nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, errors.New("neither \"*\" nor an object")
	}
	p := &Principal{}
	for k, v := range m {
		vals, err := stringOrList(v)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", k, err)
		}
		switch k {
		case "Federated":
			p.Federated = vals
		case "AWS":
			p.AWS = vals
			for _, a := range vals {
				if a == "*" {
					p.Any = true
				}
			}
		case "Service":
			p.Service = vals
		case "CanonicalUser":
		default:
			return nil, fmt.Errorf("unknown principal type %q", k)
		}
	}
	return p, nil
}

func stringOrList(b json.RawMessage) ([]string, error) {
	if len(b) == 0 {
		return nil, nil
	}
	var one string
	if json.Unmarshal(b, &one) == nil {
		return []string{one}, nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return nil, errors.New("neither a string nor a list of strings")
	}
	return many, nil
}

// conditionValues accepts what IAM accepts: a string, number or boolean,
// or a list of them.
func conditionValues(b json.RawMessage) ([]string, error) {
	var any interface{}
	if err := json.Unmarshal(b, &any); err != nil {
		return nil, err
	}
	scalar := func(v interface{}) (string, error) {
		switch x := v.(type) {
		case string:
			return x, nil
		case bool:
			return fmt.Sprint(x), nil
		case float64:
			return strings.TrimSuffix(fmt.Sprintf("%f", x), ".000000"), nil
		default:
			return "", errors.New("values must be strings, numbers or booleans")
		}
	}
	if list, ok := any.([]interface{}); ok {
		out := make([]string, 0, len(list))
		for _, v := range list {
			s, err := scalar(v)
			if err != nil {
				return nil, err
			}
			out = append(out, s)
		}
		return out, nil
	}
	s, err := scalar(any)
	if err != nil {
		return nil, err
	}
	return []string{s}, nil
}
