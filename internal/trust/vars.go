package trust

import (
	"fmt"
	"strings"
)

// VariablesVersion is the policy language version that has policy
// variables. In a policy without it (no Version, or 2008-10-17) IAM
// treats ${...} as literal text.
const VariablesVersion = "2012-10-17"

// An operand is one condition value after IAM's policy-variable
// substitution (documented in the IAM User Guide, "IAM policy elements:
// Variables and tags"): ${key} is replaced by the request's value of key
// (key names are case-insensitive), ${key, 'default'} by the default when
// the request has no value for key (a key with several values is left
// undecided, default or not: AWS does not document that case), and ${*},
// ${?}, ${$} by a literal *, ? and $ — literal also in StringLike, where
// a plain * or ? is a wildcard.
type operand struct {
	parts []part
	// open says why the value cannot be known offline (empty when it
	// can), deciding is the flag that would decide it, if one does.
	open, deciding string
}

// part is a piece of an operand: policy text (wildcards active in the
// Like operators), a literal character from ${*} ${?} ${$}, or a value
// substituted from the request.
type part struct {
	text string
	kind partKind
}

type partKind int

const (
	policyText partKind = iota
	literalChar
	substituted
)

// resolve substitutes the policy variables of a condition value for req.
// Substitution happens only in a VariablesVersion policy, and only for
// the string operators (callers decide).
func resolve(value string, req Request) operand {
	var op operand
	rest := value
	for {
		i := strings.Index(rest, "${")
		if i < 0 {
			op.parts = append(op.parts, part{text: rest})
			return op
		}
		op.parts = append(op.parts, part{text: rest[:i]})
		j := strings.IndexByte(rest[i+2:], '}')
		if j < 0 {
			op.open = fmt.Sprintf("%q has a ${ without its closing }: how IAM reads it is not documented", value)
			return op
		}
		expr := rest[i+2 : i+2+j]
		rest = rest[i+2+j+1:]
		switch expr {
		case "*", "?", "$":
			op.parts = append(op.parts, part{text: expr, kind: literalChar})
			continue
		}
		text, open, deciding := variable(expr, req)
		if open != "" {
			op.open, op.deciding = open, deciding
			return op
		}
		op.parts = append(op.parts, part{text: text, kind: substituted})
	}
}

// variable returns the value IAM substitutes for ${expr} in req, or why
// it cannot be known offline.
func variable(expr string, req Request) (value, open, deciding string) {
	key, def, hasDefault := strings.Cut(expr, ",")
	key = strings.TrimSpace(key)
	if hasDefault {
		d := strings.TrimSpace(def)
		if len(d) < 2 || d[0] != '\'' || d[len(d)-1] != '\'' {
			return "", fmt.Sprintf("policy variable ${%s}: a default value is written ${key, 'default'}; how IAM reads this one is not documented", expr), ""
		}
		def = d[1 : len(d)-1]
	}
	k := strings.ToLower(key)
	if how, ok := req.Unknown[k]; ok {
		return "", fmt.Sprintf("policy variable ${%s} takes the value of %s, which these facts leave open", key, key), how
	}
	if !strings.HasPrefix(k, strings.ToLower(req.Provider)+":") {
		return "", fmt.Sprintf("policy variable ${%s}: this checker does not know the value STS has for %s", key, key), ""
	}
	// AWS documents the default for a key the request lacks; what IAM
	// substitutes for a key with several values, default or not, it does
	// not document, so that stays undecided.
	switch vals := req.Keys[k]; {
	case len(vals) == 1:
		return vals[0], "", ""
	case len(vals) > 1:
		return "", fmt.Sprintf("policy variable ${%s}: %s has several values, and AWS does not document what IAM substitutes then (with or without a default); an unresolvable variable can make the whole statement invalid", key, key), ""
	case hasDefault:
		return def, "", ""
	default:
		return "", fmt.Sprintf("policy variable ${%s}: the request has no %s, and AWS documents that an unresolvable variable can make the whole statement invalid (give it a default: ${%s, 'value'})", key, key, key), ""
	}
}

// literal is the operand as one string (the Equals operators).
func (op operand) literal() string {
	if len(op.parts) == 1 {
		return op.parts[0].text
	}
	var b strings.Builder
	for _, p := range op.parts {
		b.WriteString(p.text)
	}
	return b.String()
}

// globs compiles the operand for the Like operators. A substituted value
// holding * or ? is compiled twice — its wildcards live and literal —
// because AWS does not document which IAM does; alt is nil otherwise.
func (op operand) globs() (g, alt glob) {
	ambiguous := false
	for _, p := range op.parts {
		g = appendGlob(g, p.text, p.kind != policyText)
		ambiguous = ambiguous || (p.kind == substituted && strings.ContainsAny(p.text, "*?"))
	}
	if !ambiguous {
		return g, nil
	}
	for _, p := range op.parts {
		alt = appendGlob(alt, p.text, p.kind == literalChar)
	}
	return g, alt
}

// eachVariable walks a condition value: the text between policy
// variables to text, and each ${expr} (expr without the braces) to
// variable; a ${ that is never closed is text.
func eachVariable(v string, text, variable func(string)) {
	rest := v
	for {
		i := strings.Index(rest, "${")
		j := -1
		if i >= 0 {
			j = strings.IndexByte(rest[i+2:], '}')
		}
		if j < 0 {
			text(rest)
			return
		}
		text(rest[:i])
		variable(rest[i+2 : i+2+j])
		rest = rest[i+2+j+1:]
	}
}

// hasVariable reports whether a condition value uses a policy variable
// (other than the ${*} ${?} ${$} characters) naming a key of provider.
func hasVariable(value, provider string) (string, bool) {
	rest := value
	for {
		i := strings.Index(rest, "${")
		if i < 0 {
			return "", false
		}
		j := strings.IndexByte(rest[i+2:], '}')
		if j < 0 {
			return "", false
		}
		key, _, _ := strings.Cut(rest[i+2:i+2+j], ",")
		key = strings.TrimSpace(key)
		if strings.HasPrefix(strings.ToLower(key), strings.ToLower(provider)+":") {
			return key, true
		}
		rest = rest[i+2+j+1:]
	}
}

// escapes are the policy variables IAM documents for characters that are
// otherwise special ("Special characters" in the IAM User Guide's
// "Variables and tags" page): ${$} is a literal $, ${*} and ${?} a
// literal * and ? (also in StringLike, where a bare * or ? is a
// wildcard).
var escapes = map[byte]string{'$': "${$}", '*': "${*}", '?': "${?}"}

// Escape writes a name as a condition value of a VariablesVersion policy
// that means exactly the name: every $ becomes ${$}, so that no part of
// it is read as a policy variable, and in a StringLike value (like) every
// * and ? becomes ${*} and ${?}, so that they are not wildcards. Unescape
// is its inverse.
func Escape(name string, like bool) string {
	if !strings.ContainsAny(name, "$*?") {
		return name
	}
	var b strings.Builder
	for i := 0; i < len(name); i++ {
		c := name[i]
		if e, ok := escapes[c]; ok && (c == '$' || like) {
			b.WriteString(e)
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// Unescape reads back a condition value written by Escape (or by anyone
// using IAM's documented ${$} ${*} ${?}): each of those becomes its
// character. Any other ${...} is left as it is (a policy variable, which
// no name can be); bare * and ? stay as they are. The result is a name,
// not policy text: print it with runner.Visible.
func Unescape(value string) string { return unescape(value, nil) }

// Instance is one string a StringLike value matches: its escaped
// characters literal and each bare * and ? (a wildcard) the letter x.
func Instance(pattern string) string {
	return unescape(pattern, func(byte) string { return "x" })
}

// unescape turns ${$} ${*} ${?} into their characters, and a bare * or ?
// into wild(c) when wild is not nil.
func unescape(v string, wild func(byte) string) string {
	if !strings.Contains(v, "${") && (wild == nil || !strings.ContainsAny(v, "*?")) {
		return v
	}
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case c == '$' && i+3 < len(v) && v[i+1] == '{' && v[i+3] == '}' && strings.IndexByte("$*?", v[i+2]) >= 0:
			b.WriteByte(v[i+2])
			i += 3
		case wild != nil && (c == '*' || c == '?'):
			b.WriteString(wild(c))
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}
