package trust

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"
)

// The tests in this file are about a hostile policy, claims file or
// flags: size, time, what gets printed, and strings that must not compare
// equal.

const provider = "token.actions.githubusercontent.com"

func policyJSON(version string, conditions string) []byte {
	v := ""
	if version != "" {
		v = fmt.Sprintf(`"Version": %q, `, version)
	}
	return []byte(`{` + v + `"Statement": [{"Effect": "Allow",
		"Principal": {"Federated": "arn:aws:iam::123456789012:oidc-provider/` + provider + `"},
		"Action": "sts:AssumeRoleWithWebIdentity", "Condition": ` + conditions + `}]}`)
}

func mustParse(t testing.TB, b []byte) *Policy {
	t.Helper()
	p, err := Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLikeComparesInvalidUTF8ByteForByte(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		p, s string
		want bool
	}{
		{"\xff", "\xfe", false}, {"\xff", "\xff", true}, {"\ufffd", "\xff", false}, {"\xff", "\ufffd", false},
		{"?", "\xff", true}, {"a?c", "a\xffc", true}, {"a*", "a\xff\xfe", true}, {"*\xfe", "a\xff\xfe", true}, {"*\xfe", "a\xfe\xff", false},
		{"é?", "éé", true}, {"?", "é", true}, {"??", "é", false},
	} {
		if got := Like(tc.p, tc.s); got != tc.want {
			t.Errorf("Like(%q, %q) = %v, want %v", tc.p, tc.s, got, tc.want)
		}
	}
	for _, tc := range []struct {
		a, b string
		want bool
	}{
		{"\xff", "\xfe", false}, {"A\xff", "a\xff", true}, {"\xffB", "\xfeb", false}, {"straße", "STRASSE", false}, {"Ünï", "üNÏ", true}, {"\xff", "\ufffd", false},
	} {
		if got := equalFold(tc.a, tc.b); got != tc.want {
			t.Errorf("equalFold(%q, %q) = %v, want %v", tc.a, tc.b, got, tc.want)
		}
	}
}

// Go's JSON decoder turns invalid UTF-8 and unpaired surrogate escapes
// into U+FFFD: read as is, two different policies or claims would hold
// equal strings. They are refused instead.
func TestInvalidTextIsRefused(t *testing.T) {
	t.Parallel()
	cond := func(v string) []byte {
		return policyJSON("2012-10-17", `{"StringEquals": {"`+provider+`:sub": "`+v+`"}}`)
	}
	for name, b := range map[string][]byte{
		"raw invalid byte":          cond("repo:o/\xff"),
		"invalid byte in a key":     policyJSON("2012-10-17", `{"StringEquals": {"`+provider+`:s\xfeb": "x"}}`),
		"lone low surrogate":        cond(`repo:o/\udc00`),
		"lone high surrogate":       cond(`repo:o/\ud800`),
		"high surrogate then other": cond(`repo:o/\ud800\u0041`),
	} {
		if _, err := Parse(b); err == nil {
			t.Errorf("%s: Parse accepted %q", name, b)
		}
	}
	for name, b := range map[string][]byte{
		"raw invalid byte":    []byte("{\"sub\": \"repo:o/\xfe\"}"),
		"lone low surrogate":  []byte(`{"sub": "repo:o/\udfff"}`),
		"lone high surrogate": []byte(`{"sub": "repo:o/\udbff"}`),
		"invalid byte in key": []byte("{\"sub\": \"x\", \"\xff\": 1}"),
	} {
		if _, err := ParseClaims(b); err == nil {
			t.Errorf("%s: ParseClaims accepted %q", name, b)
		}
	}
	// A surrogate pair is a character, an escaped backslash before a u is
	// not an escape.
	if _, err := Parse(cond(`repo:o/\ud83d\ude00 \\udc00`)); err != nil {
		t.Errorf("a surrogate pair: %v", err)
	}
	if _, err := ParseClaims([]byte(`{"sub": "\ud83d\ude00 \\ud800"}`)); err != nil {
		t.Errorf("a surrogate pair in claims: %v", err)
	}
}

// The end-to-end shape of the bug: a policy pinning one invalid string and
// a token carrying another must not be ALLOWED.
func TestDifferentInvalidStringsDoNotCompareEqual(t *testing.T) {
	t.Parallel()
	policy := policyJSON("2012-10-17", "{\"StringEquals\": {\""+provider+":sub\": \"repo:o/\xff\"}}")
	claims := []byte("{\"sub\": \"repo:o/\xfe\", \"aud\": \"sts.amazonaws.com\"}")
	p, perr := Parse(policy)
	c, cerr := ParseClaims(claims)
	if perr == nil && cerr == nil {
		if d := Evaluate(p, RequestFor(DefaultIssuer, "", c)); d.Verdict != Denied {
			t.Fatalf("policy %q, claims %q: %s", policy, claims, d.Verdict)
		}
	}
	// From flags (argv bytes are not decoded): refused.
	if _, _, err := ClaimsFor(Run{Repository: "o/\xfe", Ref: "refs/heads/main"}); err == nil || !strings.Contains(err.Error(), "--repository") {
		t.Errorf("ClaimsFor with invalid UTF-8: %v", err)
	}
	if _, _, err := ClaimsFor(Run{Repository: "o/r", Ref: "refs/heads/" + strings.Repeat("a", MaxFactBytes)}); err == nil || !strings.Contains(err.Error(), "--ref") {
		t.Errorf("ClaimsFor with a long ref: %v", err)
	}
}

func TestSizeLimits(t *testing.T) {
	t.Parallel()
	small := policyJSON("2012-10-17", `{"StringEquals": {"`+provider+`:sub": "repo:o/r:ref:refs/heads/main"}}`)
	pad := func(b []byte, n int) []byte { return append(append([]byte{}, b...), strings.Repeat(" ", n-len(b))...) }
	if _, err := Parse(pad(small, MaxPolicyBytes)); err != nil {
		t.Errorf("a policy of exactly MaxPolicyBytes: %v", err)
	}
	var tooLarge *TooLargeError
	if _, err := Parse(pad(small, MaxPolicyBytes+1)); !errors.As(err, &tooLarge) || tooLarge.Limit != MaxPolicyBytes || !strings.Contains(err.Error(), "32768") {
		t.Errorf("a policy over MaxPolicyBytes: %v", err)
	}
	claims := []byte(`{"sub": "repo:o/r:ref:refs/heads/main"}`)
	if _, err := ParseClaims(pad(claims, MaxClaimsBytes)); err != nil {
		t.Errorf("claims of exactly MaxClaimsBytes: %v", err)
	}
	if _, err := ParseClaims(pad(claims, MaxClaimsBytes+1)); !errors.As(err, &tooLarge) || tooLarge.Limit != MaxClaimsBytes {
		t.Errorf("claims over MaxClaimsBytes: %v", err)
	}
}

// A key, an operator, a value or an issuer can hold anything: printed
// raw, it could start a workflow command (::warning::) or send terminal
// escapes.
func TestReportEscapesKeysAndOperators(t *testing.T) {
	t.Parallel()
	hostile := "\n::warning::owned\x1b]0;title\x07\x1b[2J\u2028::error::x\r"
	principal := map[string]any{"Federated": "arn:aws:iam::123456789012:oidc-provider/" + provider}
	stmt := func(cond map[string]any) map[string]any {
		return map[string]any{"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRoleWithWebIdentity", "Condition": cond}
	}
	doc, err := json.Marshal(map[string]any{"Version": "2012-10-17", "Statement": []any{
		stmt(map[string]any{"StringEquals": map[string]any{provider + ":sub" + hostile: "x"}}),
		stmt(map[string]any{"StringLike" + hostile: map[string]any{provider + ":sub": "*"}}),
		stmt(map[string]any{"StringEquals": map[string]any{provider + ":event_name" + hostile: "push", provider + ":sub": "a*" + hostile}}),
		map[string]any{"Effect": "Deny", "Principal": principal, "Action": "sts:AssumeRoleWithWebIdentity",
			"Condition": map[string]any{"StringEquals": map[string]any{provider + ":actor" + hostile: "x"}}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	p := mustParse(t, doc)
	claims := map[string]any{"iss": "https://" + provider + hostile, "sub": "repo:o/r:ref:refs/heads/main", "aud": "sts.amazonaws.com"}
	var out strings.Builder
	for _, iss := range []string{claims["iss"].(string), DefaultIssuer} {
		req := RequestFor(iss, "", claims)
		req.Unknown[strings.ToLower(provider+":actor"+hostile)] = "--actor" + hostile
		out.WriteString(Report(Evaluate(p, req), req, Lint(p, LintContext{Issuer: iss, Repository: "o/r" + hostile})))
	}
	assertPrintable(t, out.String())
	if !strings.Contains(out.String(), `sub\n::warning::owned\x1b]0;title\x07\x1b[2J\u2028::error::x\r`) {
		t.Errorf("the key is not shown escaped:\n%s", out.String())
	}
	// A policy that cannot be parsed names the key in its error.
	bad, _ := json.Marshal(map[string]any{"Statement": map[string]any{"Effect": "Allow", "Principal": "*", "Action": "x",
		"Condition": map[string]any{"StringEquals" + hostile: map[string]any{provider + ":sub" + hostile: map[string]any{"nested": 1}}}}})
	_, err = Parse(bad)
	if err == nil {
		t.Fatal("parsed a condition with an object value")
	}
	assertPrintable(t, err.Error())
}

// assertPrintable fails on output that could act on a terminal or a
// runner: a control character other than a line feed, a line separator,
// or a line starting a workflow command.
func assertPrintable(t *testing.T, out string) {
	t.Helper()
	if !utf8.ValidString(out) {
		t.Errorf("output is not valid UTF-8:\n%q", out)
	}
	for _, r := range out {
		if (r < 0x20 && r != '\n') || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == 0x2028 || r == 0x2029 {
			t.Errorf("output holds %U:\n%q", r, out)
			return
		}
	}
	for _, ln := range strings.Split(out, "\n") {
		if strings.HasPrefix(strings.TrimLeft(ln, " \t\v\f\u00a0\ufeff"), "::") {
			t.Errorf("a line starts a workflow command: %q", ln)
		}
	}
}

// Policy variables are substituted as IAM does (IAM User Guide, "IAM
// policy elements: Variables and tags"), or the verdict is UNDECIDED with
// the reason — never compared as literal text.
func TestPolicyVariables(t *testing.T) {
	t.Parallel()
	stranger := map[string]any{"iss": DefaultIssuer, "aud": "sts.amazonaws.com", "sub": "repo:evil/x:ref:refs/heads/main",
		"repository": "evil/x", "repository_id": "999", "ref": "refs/heads/main", "workflow": "p*", "environment": "prod"}
	with := func(over map[string]any) map[string]any {
		c := map[string]any{}
		for k, v := range stranger {
			c[k] = v
		}
		for k, v := range over {
			if v == nil {
				delete(c, k)
			} else {
				c[k] = v
			}
		}
		return c
	}
	sub := func(op, value string) string { return `{"` + op + `": {"` + provider + `:sub": ` + value + `}}` }
	for _, tc := range []struct {
		name, version, cond string
		claims              map[string]any
		want                Verdict
		reason              string // in the report
	}{
		{"the token's own sub", "2012-10-17", sub("StringEquals", `"${`+provider+`:sub}"`), stranger, Allowed, ""},
		{"a key name in any case", "2012-10-17", sub("StringLike", `"${TOKEN.Actions.GitHubUserContent.com:SUB}"`), stranger, Allowed, ""},
		{"inside a pattern", "2012-10-17", sub("StringLike", `"repo:${`+provider+`:repository}:*"`), stranger, Allowed, ""},
		{"ignore case", "2012-10-17", sub("StringEqualsIgnoreCase", `"REPO:${`+provider+`:repository}:REF:refs/heads/MAIN"`), stranger, Allowed, ""},
		{"version 2008: literal", "2008-10-17", sub("StringEquals", `"${`+provider+`:sub}"`), stranger, Denied, ""},
		{"no version: literal", "", sub("StringLike", `"${`+provider+`:sub}"`), stranger, Denied, ""},
		{"version 2008 literal text matches itself", "2008-10-17", sub("StringEquals", `"${`+provider+`:sub}"`), with(map[string]any{"sub": "${" + provider + ":sub}"}), Allowed, ""},
		{"${*} is a literal star", "2012-10-17", sub("StringLike", `"repo:evil/x:${*}"`), stranger, Denied, ""},
		{"${*} matches a star", "2012-10-17", sub("StringLike", `"repo:evil/x:${*}"`), with(map[string]any{"sub": "repo:evil/x:*"}), Allowed, ""},
		{"${?} is a literal question mark", "2012-10-17", sub("StringLike", `"repo:evil/x:ref:refs/heads/mai${?}"`), stranger, Denied, ""},
		{"${$} is a dollar", "2012-10-17", sub("StringEquals", `"${$}x"`), with(map[string]any{"sub": "$x"}), Allowed, ""},
		{"a plain * still a wildcard beside ${*}", "2012-10-17", sub("StringLike", `"repo:evil/*${*}"`), with(map[string]any{"sub": "repo:evil/x:*"}), Allowed, ""},
		{"default when absent", "2012-10-17", sub("StringEquals", `"repo:evil/x:environment:${`+provider+`:environment, 'prod'}"`),
			with(map[string]any{"environment": nil, "sub": "repo:evil/x:environment:prod"}), Allowed, ""},
		{"default ignored when present", "2012-10-17", sub("StringEquals", `"repo:evil/x:environment:${`+provider+`:environment, 'prod'}"`),
			with(map[string]any{"environment": "dev", "sub": "repo:evil/x:environment:prod"}), Denied, ""},
		{"absent without default", "2012-10-17", sub("StringEquals", `["repo:evil/x:ref:refs/heads/main", "${`+provider+`:environment}"]`),
			with(map[string]any{"environment": nil}), Undecided, "the request has no " + provider + ":environment"},
		{"a claim STS does not put in the request", "2012-10-17", sub("StringEquals", `"${`+provider+`:event_name}"`), stranger, Undecided, "the request has no"},
		{"a key this checker does not model", "2012-10-17", sub("StringEquals", `"${aws:username, 'x'}"`), stranger, Undecided, "does not know the value STS has for aws:username"},
		{"several values", "2012-10-17", sub("StringEquals", `"${`+provider+`:aud}"`), with(map[string]any{"aud": []any{"a", "b"}}), Undecided, "several values"},
		{"unterminated", "2012-10-17", sub("StringEquals", `"repo:${`+provider+`:sub"`), stranger, Undecided, "without its closing }"},
		{"a default not in quotes", "2012-10-17", sub("StringEquals", `"${`+provider+`:environment, prod}"`), stranger, Undecided, "default value"},
		{"a substituted * (wildcard or not is undocumented)", "2012-10-17", `{"StringLike": {"` + provider + `:environment": "${` + provider + `:workflow}"}}`, stranger, Undecided, "holds * or ?"},
		{"a substituted * that decides nothing", "2012-10-17", `{"StringLike": {"` + provider + `:environment": "${` + provider + `:workflow}"}}`, with(map[string]any{"environment": "p*"}), Allowed, ""},
		{"unknown operand, other value matches", "2012-10-17", sub("StringEquals", `["repo:evil/x:ref:refs/heads/main", "${aws:username}"]`), stranger, Undecided, "aws:username"},
		{"an absent condition key: no substitution needed", "2012-10-17", `{"StringEqualsIfExists": {"` + provider + `:environment": "${aws:username}"}}`,
			with(map[string]any{"environment": nil}), Allowed, ""},
		{"Bool is not substituted", "2012-10-17", `{"Bool": {"` + provider + `:sub": "${` + provider + `:sub}"}}`, stranger, Denied, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := mustParse(t, policyJSON(tc.version, tc.cond))
			req := RequestFor(DefaultIssuer, "", tc.claims)
			d := Evaluate(p, req)
			report := Report(d, req, nil)
			if d.Verdict != tc.want {
				t.Fatalf("%s, want %s\n%s", d.Verdict, tc.want, report)
			}
			if tc.reason != "" && !strings.Contains(report, tc.reason) {
				t.Errorf("the report does not say %q:\n%s", tc.reason, report)
			}
			if d.Verdict == Undecided && (len(d.Reasons) == 0 || !strings.HasPrefix(report, "UNDECIDED: ")) {
				t.Errorf("undecided without a reason: %+v\n%s", d, report)
			}
		})
	}
}

// A variable naming a key the flags leave open is decided by that flag.
func TestPolicyVariableFromFlags(t *testing.T) {
	t.Parallel()
	p := mustParse(t, policyJSON("2012-10-17", `{"StringEquals": {"`+provider+`:sub": "repo:o/r:ref:refs/heads/main",
		"`+provider+`:workflow": "${`+provider+`:actor}"}}`))
	claims, unknown, err := ClaimsFor(Run{Repository: "o/r", Ref: "refs/heads/main", Workflow: "deploy"})
	if err != nil {
		t.Fatal(err)
	}
	req := RequestFor(DefaultIssuer, "", claims)
	for k, v := range unknown {
		req.Unknown[k] = v
	}
	d := Evaluate(p, req)
	if d.Verdict != Undecided || !strings.Contains(strings.Join(d.Deciding, " "), "--actor") {
		t.Fatalf("%s, deciding %v\n%s", d.Verdict, d.Deciding, Report(d, req, nil))
	}
	claims["actor"] = "deploy"
	if d := Evaluate(p, RequestFor(DefaultIssuer, "", claims)); d.Verdict != Allowed {
		t.Errorf("with --actor deploy: %s", d.Verdict)
	}
}

// Lint re-evaluated the whole sub condition once per value: quadratic in
// the number of values (a 97 KiB policy took 14 s). It evaluates each
// condition once now. (Not parallel: it counts evaluations package-wide,
// and parallel tests wait until the sequential ones are done.)
func TestLintIsLinearInValues(t *testing.T) {
	const n = 2000
	values := make([]string, 0, n+1)
	for i := range n {
		values = append(values, fmt.Sprintf("%q", fmt.Sprintf("repo:%d", i)))
	}
	values = append(values, `"*"`)
	p := mustParse(t, policyJSON("2012-10-17", `{"StringLike": {"`+provider+`:sub": [`+strings.Join(values, ",")+`]}}`))
	lc := LintContext{Issuer: DefaultIssuer, Subject: "repo:o@1/r@2:ref:refs/heads/main"}
	before := conditionEvaluations.Load()
	Lint(p, lc)
	if got := conditionEvaluations.Load() - before; got > 1 {
		t.Errorf("Lint of one condition with %d values evaluated conditions %d times, want at most once", n+1, got)
	}
}

// worstGlob is the matcher's worst case: a star, then a literal run that
// fails only at its last character, against a text of the first
// character: every position of the text restarts the whole run.
func worstGlob(run, text int) (string, string) {
	return "*" + strings.Repeat("a", run) + "b", strings.Repeat("a", text)
}

// A policy and claims within their limits whose comparisons would need
// more than MaxMatchSteps are refused as unsupported, not left running.
func TestComparisonBudget(t *testing.T) {
	t.Parallel()
	pattern, text := worstGlob(4000, MaxClaimsBytes-100)
	p := mustParse(t, policyJSON("2012-10-17", `{"StringLike": {"`+provider+`:sub": ["`+pattern+`", "`+pattern+`a"]}}`))
	req := RequestFor(DefaultIssuer, "", map[string]any{"sub": text})
	d := Evaluate(p, req)
	if !d.Exhausted || len(d.Unhandled) == 0 || d.Allowed {
		t.Fatalf("over the budget: %+v", d)
	}
	if r := Report(d, req, nil); !strings.HasPrefix(r, "UNSUPPORTED: ") {
		t.Errorf("report:\n%s", r)
	}
	// Within the budget, the same shape is decided.
	pattern, text = worstGlob(100, 2000)
	p = mustParse(t, policyJSON("2012-10-17", `{"StringLike": {"`+provider+`:sub": ["`+pattern+`", "*`+pattern[len(pattern)-5:]+`*"]}}`))
	if d := Evaluate(p, RequestFor(DefaultIssuer, "", map[string]any{"sub": text + "aab"})); d.Exhausted || d.Verdict != Allowed {
		t.Errorf("within the budget: %+v", d)
	}
}

// BenchmarkLikeWorstCase prints the matcher's cost on its worst case: the
// longest pattern a policy can hold against the longest value claims can,
// and the split of the two that maximises the work.
func BenchmarkLikeWorstCase(b *testing.B) {
	for _, tc := range []struct{ run, text int }{
		{MaxClaimsBytes / 2, MaxClaimsBytes},
		{1000, MaxClaimsBytes},
		{MaxPolicyBytes - 100, MaxClaimsBytes},
		{30, 100}, // a realistic sub pattern and value
	} {
		pattern, text := worstGlob(tc.run, tc.text)
		b.Run(fmt.Sprintf("pattern=%d/value=%d", len(pattern), len(text)), func(b *testing.B) {
			g := compileGlob(pattern)
			steps := 0
			for b.Loop() {
				budget := 1 << 62
				if g.match(text, &budget) {
					b.Fatal("matched")
				}
				steps = 1<<62 - budget
			}
			b.ReportMetric(float64(steps), "steps/op")
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(max(steps, 1)), "ns/step")
		})
	}
}

// BenchmarkEvaluateWorstCase evaluates a policy of MaxPolicyBytes whose
// patterns take the whole comparison budget against claims of
// MaxClaimsBytes: the longest any accepted input can run.
func BenchmarkEvaluateWorstCase(b *testing.B) {
	pattern, text := worstGlob(1000, MaxClaimsBytes-200)
	var values []string
	for len(strings.Join(values, ","))+len(pattern)+400 < MaxPolicyBytes {
		values = append(values, `"`+pattern+`"`)
	}
	p := mustParse(b, policyJSON("2012-10-17", `{"StringLike": {"`+provider+`:sub": [`+strings.Join(values, ",")+`]}}`))
	req := RequestFor(DefaultIssuer, "", map[string]any{"sub": text})
	b.ReportAllocs()
	for b.Loop() {
		if d := Evaluate(p, req); !d.Exhausted {
			b.Fatal("within the budget")
		}
	}
}

// FuzzLike checks the matcher against two reference matchers on any
// pattern and text: a regular expression built from the pattern (for
// valid UTF-8, which is what regexp handles), and a plain recursive
// matcher over the same characters.
func FuzzLike(f *testing.F) {
	for _, s := range [][2]string{
		{"repo:o/r:*", "repo:o/r:ref:x"}, {"*a*b?c", "xaxbyc"}, {"**", ""}, {"?", "é"}, {"a?c", "a\xffc"},
		{"*aaab", "aaaaaaab"}, {"*?*?", "ab"}, {"\xff*", "\xfe"}, {"*é*", "aéb"},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, pattern, s string) {
		if len(pattern) > 64 || len(s) > 64 {
			return
		}
		got := Like(pattern, s)
		if want := likeRecursive(pattern, s, map[[2]int]bool{}, 0, 0); got != want {
			t.Fatalf("Like(%q, %q) = %v, the recursive matcher says %v", pattern, s, got, want)
		}
		if !utf8.ValidString(pattern) || !utf8.ValidString(s) {
			return
		}
		var re strings.Builder
		re.WriteString(`^(?s:`)
		for _, r := range pattern {
			switch r {
			case '*':
				re.WriteString(`.*`)
			case '?':
				re.WriteString(`.`)
			default:
				re.WriteString(regexp.QuoteMeta(string(r)))
			}
		}
		re.WriteString(`)$`)
		if want := regexp.MustCompile(re.String()).MatchString(s); got != want {
			t.Fatalf("Like(%q, %q) = %v, the regexp %s says %v", pattern, s, got, re.String(), want)
		}
	})
}

// likeRecursive is the definition of a match, memoised, on the raw
// strings: * matches nothing or one more character, ? one character,
// anything else the same character, where a character is a valid UTF-8
// sequence or a single byte that is not one.
func likeRecursive(p, s string, memo map[[2]int]bool, pi, si int) bool {
	if v, ok := memo[[2]int{pi, si}]; ok {
		return v
	}
	char := func(x string, i int) int { // the width of the character at x[i]
		if _, size := utf8.DecodeRuneInString(x[i:]); size > 0 {
			return size
		}
		return 1
	}
	var res bool
	switch {
	case pi == len(p):
		res = si == len(s)
	case p[pi] == '*':
		res = likeRecursive(p, s, memo, pi+1, si) || (si < len(s) && likeRecursive(p, s, memo, pi, si+char(s, si)))
	case si == len(s):
		res = false
	case p[pi] == '?':
		res = likeRecursive(p, s, memo, pi+1, si+char(s, si))
	default:
		n, m := char(p, pi), char(s, si)
		res = p[pi:pi+n] == s[si:si+m] && likeRecursive(p, s, memo, pi+n, si+m)
	}
	memo[[2]int{pi, si}] = res
	return res
}
