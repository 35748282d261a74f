package trust

import (
	"encoding/json"
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// The flags whose value goes into a condition, and how each is given to
// the generator.
var nameFlags = []struct {
	flag string
	set  func(o *Options, name string)
}{
	{"--branch", func(o *Options, n string) { o.Run.Ref = "refs/heads/" + n }},
	{"--tag", func(o *Options, n string) { o.Run.Ref = "refs/tags/" + n }},
	{"--environment", func(o *Options, n string) { o.Run.Environment = n }},
	{"--workflow", func(o *Options, n string) { o.Run.Ref, o.Workflow = "refs/heads/main", n }},
	{"--actor", func(o *Options, n string) { o.Run.Ref, o.Actor = "refs/heads/main", n }},
	{"--job-workflow-ref", func(o *Options, n string) { o.Run.Ref, o.Run.JobWorkflowRef = "refs/heads/main", n }},
}

// escapeAlphabet: policy-variable syntax, wildcards, separators, quotes,
// a space, C0 and C1 controls, an invalid byte, and look-alike letters
// (Cyrillic а and е, Greek ο) beside the Latin ones.
var escapeAlphabet = []string{"$", "{", "}", "*", "?", ":", "/", `\`, `"`, "'", " ", "\x00", "\n", "\x1b", "\x7f", "\u0085", "\u009b", "\xff",
	"a", "e", "o", "\u0430", "\u0435", "\u03bf", "${", "${$}", "${*}", "${?}", "${token.actions.githubusercontent.com:environment}", "x"}

// iamUnescape is IAM's documented reading of ${$} ${*} ${?}, written here
// apart from the package's own Unescape.
var iamEscape = regexp.MustCompile(`\$\{([$*?])\}`)

func iamUnescape(v string) string { return iamEscape.ReplaceAllString(v, "$1") }

// onlyDocumentedEscapes reports whether every ${ in v starts ${$}, ${*}
// or ${?}.
func onlyDocumentedEscapes(v string) bool {
	for i := strings.Index(v, "${"); i >= 0; i = strings.Index(v, "${") {
		if len(v) < i+4 || !strings.ContainsRune("$*?", rune(v[i+2])) || v[i+3] != '}' {
			return false
		}
		v = v[i+4:]
	}
	return true
}

// conditionValues returns the policy's condition values by key, read
// with encoding/json (not this package's parser).
func rawConditions(t *testing.T, doc []byte) map[string][]string {
	t.Helper()
	var p struct {
		Statement []struct {
			Condition map[string]map[string]any
		}
	}
	if err := json.Unmarshal(doc, &p); err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	for _, st := range p.Statement {
		for _, keys := range st.Condition {
			for k, v := range keys {
				switch x := v.(type) {
				case string:
					out[k] = append(out[k], x)
				case []any:
					for _, e := range x {
						out[k] = append(out[k], e.(string))
					}
				}
			}
		}
	}
	return out
}

// claimsOf writes a run's claims by hand (not with Subject or ClaimsFor).
func claimsOf(flag, name string) map[string]any {
	c := map[string]any{"iss": DefaultIssuer, "aud": "sts.amazonaws.com", "repository": "octo-org/octo-repo", "repository_id": "123456789",
		"ref": "refs/heads/main", "sub": "repo:octo-org/octo-repo:ref:refs/heads/main"}
	switch flag {
	case "--branch":
		c["ref"], c["sub"] = "refs/heads/"+name, "repo:octo-org/octo-repo:ref:refs/heads/"+name
	case "--tag":
		c["ref"], c["sub"] = "refs/tags/"+name, "repo:octo-org/octo-repo:ref:refs/tags/"+name
	case "--environment":
		c["environment"], c["sub"] = name, "repo:octo-org/octo-repo:environment:"+name
	case "--workflow":
		c["workflow"] = name
	case "--actor":
		c["actor"] = name
	case "--job-workflow-ref":
		c["job_workflow_ref"] = name
	}
	return c
}

// nearMisses are names that are not name: one character more or less,
// each look-alike swapped, each escape sequence read as IAM reads it, and
// a policy variable that would take the run's own value.
func nearMisses(name string) []string {
	out := []string{name + "x", "x" + name, iamUnescape(name), strings.ReplaceAll(name, "$", "${$}"),
		"${token.actions.githubusercontent.com:environment}", "other"}
	if r, size := utf8.DecodeLastRuneInString(name); size > 0 && r != utf8.RuneError {
		out = append(out, name[:len(name)-size])
	}
	for _, pair := range [][2]string{{"a", "\u0430"}, {"\u0430", "a"}, {"e", "\u0435"}, {"o", "\u03bf"}, {"*", "x"}, {"?", "x"}} {
		out = append(out, strings.Replace(name, pair[0], pair[1], 1))
	}
	var kept []string
	for _, n := range out {
		if n != name && n != "" {
			kept = append(kept, n)
		}
	}
	return kept
}

// TestEscapingProperty: for names drawn from a hostile alphabet, in every
// flag whose value goes into a condition, the generator either refuses the
// name naming the flag, or writes a policy whose condition values hold ${
// only as ${$} ${*} ${?} and un-escape (as IAM documents, checked without
// the evaluator) to exactly the name; the evaluator then admits the run
// named and none of its near misses.
func TestEscapingProperty(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(22, 1))
	refused, admitted := 0, 0
	for i := 0; i < 1500; i++ {
		var b strings.Builder
		for n := 1 + rng.IntN(6); n > 0; n-- {
			b.WriteString(escapeAlphabet[rng.IntN(len(escapeAlphabet))])
		}
		name := b.String()
		for _, nf := range nameFlags {
			o := Options{AccountID: "123456789012", RepositoryID: "123456789", OwnerID: "65432", SubFormat: "legacy",
				Run: Run{Repository: "octo-org/octo-repo"}}
			nf.set(&o, name)
			doc, err := Generate(o)
			if err != nil {
				refused++
				if !strings.Contains(err.Error(), nf.flag+" ") {
					t.Fatalf("%s %q refused without naming the flag: %v", nf.flag, name, err)
				}
				if strings.ContainsFunc(err.Error(), func(r rune) bool { return unicode.IsControl(r) }) || !utf8.ValidString(err.Error()) {
					t.Fatalf("%s %q: the refusal prints the name raw: %q", nf.flag, name, err)
				}
				continue
			}
			admitted++
			if !utf8.ValidString(name) || strings.ContainsFunc(name, unicode.IsControl) {
				t.Fatalf("%s %q: a name with a control character or invalid UTF-8 was accepted", nf.flag, name)
			}
			conds := rawConditions(t, doc)
			var found bool
			for key, vals := range conds {
				for _, v := range vals {
					if !onlyDocumentedEscapes(v) {
						t.Fatalf("%s %q: %s value %q holds a ${ other than ${$} ${*} ${?}", nf.flag, name, key, v)
					}
					if Unescape(v) != iamUnescape(v) {
						t.Fatalf("Unescape(%q) = %q, IAM reads %q", v, Unescape(v), iamUnescape(v))
					}
				}
				want := map[string]string{
					"--environment": "token.actions.githubusercontent.com:environment", "--workflow": "token.actions.githubusercontent.com:workflow",
					"--actor": "token.actions.githubusercontent.com:actor", "--job-workflow-ref": "token.actions.githubusercontent.com:job_workflow_ref",
				}[nf.flag]
				if key == want {
					found = true
					if len(vals) != 1 || iamUnescape(vals[0]) != name {
						t.Fatalf("%s %q: %s is %q, which IAM reads as %q", nf.flag, name, key, vals, iamUnescape(vals[0]))
					}
				}
				if key == "token.actions.githubusercontent.com:sub" && (nf.flag == "--branch" || nf.flag == "--tag" || nf.flag == "--environment") {
					found = true
					sub := claimsOf(nf.flag, name)["sub"].(string)
					if len(vals) != 1 || iamUnescape(vals[0]) != sub {
						t.Fatalf("%s %q: sub is %q, which IAM reads as %q; want %q", nf.flag, name, vals, iamUnescape(vals[0]), sub)
					}
				}
			}
			if !found {
				t.Fatalf("%s %q: no condition carries the name:\n%s", nf.flag, name, doc)
			}
			p, err := Parse(doc)
			if err != nil {
				t.Fatal(err)
			}
			if d := Evaluate(p, RequestFor(DefaultIssuer, "123456789012", claimsOf(nf.flag, name))); d.Verdict != Allowed {
				t.Fatalf("%s %q: the run named is %s\n%s", nf.flag, name, d.Verdict, doc)
			}
			for _, miss := range nearMisses(name) {
				req := RequestFor(DefaultIssuer, "123456789012", claimsOf(nf.flag, miss))
				if d := Evaluate(p, req); d.Verdict != Denied {
					t.Fatalf("%s %q: the near miss %q is %s\n%s\n%s", nf.flag, name, miss, d.Verdict, doc, Report(d, req, nil))
				}
			}
		}
	}
	t.Logf("%d names refused, %d admitted exactly", refused, admitted)
	if refused == 0 || admitted == 0 {
		t.Errorf("the alphabet should give both refused and accepted names (%d refused, %d admitted)", refused, admitted)
	}
}

// TestEnvironmentNamedAsPolicyVariable: an environment named
// ${token.actions.githubusercontent.com:environment} made the environment
// and sub conditions self-referential, so every environment was admitted.
// Now the name is escaped and admits that environment only.
func TestEnvironmentNamedAsPolicyVariable(t *testing.T) {
	t.Parallel()
	name := "${token.actions.githubusercontent.com:environment}"
	o := Options{AccountID: "123456789012", Run: Run{Repository: "octo-org/octo-repo", Environment: name}}
	doc, err := Generate(o)
	if err != nil {
		t.Fatal(err)
	}
	p := mustParse(t, doc)
	for env, want := range map[string]Verdict{name: Allowed, "prod": Denied, "anything": Denied} {
		if d := Evaluate(p, RequestFor(DefaultIssuer, "123456789012", claimsOf("--environment", env))); d.Verdict != want {
			t.Errorf("environment %q: %s, want %s\n%s", env, d.Verdict, want, doc)
		}
	}
	if s := o.Summary(); !strings.Contains(s, "environment:"+name) || strings.Contains(s, "${$}") {
		t.Errorf("the summary should name the environment as it is, not as escaped: %s", s)
	}
}

// TestDollarSequenceInBranch: ${$} inside a branch name was written as it
// is, which IAM reads as $: the policy admitted the branch a$b instead of
// a${$}b.
func TestDollarSequenceInBranch(t *testing.T) {
	t.Parallel()
	for _, flag := range []string{"--branch", "--tag"} {
		o := Options{AccountID: "123456789012", Run: Run{Repository: "octo-org/octo-repo"}}
		nameFlags[map[string]int{"--branch": 0, "--tag": 1}[flag]].set(&o, "a${$}b")
		doc, err := Generate(o)
		if err != nil {
			t.Fatal(err)
		}
		p := mustParse(t, doc)
		for name, want := range map[string]Verdict{"a${$}b": Allowed, "a$b": Denied} {
			if d := Evaluate(p, RequestFor(DefaultIssuer, "123456789012", claimsOf(flag, name))); d.Verdict != want {
				t.Errorf("%s policy for a${$}b, run %q: %s, want %s\n%s", flag, name, d.Verdict, want, doc)
			}
		}
	}
}

// TestWorkflowAndActorAreEscapedOrRefused: --workflow, --actor and
// --job-workflow-ref were not checked at all.
func TestWorkflowAndActorAreEscapedOrRefused(t *testing.T) {
	t.Parallel()
	for _, nf := range nameFlags[3:] {
		o := Options{AccountID: "123456789012", Run: Run{Repository: "octo-org/octo-repo"}}
		claim := map[string]string{"--workflow": "workflow", "--actor": "actor", "--job-workflow-ref": "job_workflow_ref"}[nf.flag]
		nf.set(&o, "${token.actions.githubusercontent.com:"+claim+"}") // the run's own value
		doc, err := Generate(o)
		if err != nil {
			t.Fatal(err)
		}
		if d := Evaluate(mustParse(t, doc), RequestFor(DefaultIssuer, "123456789012", claimsOf(nf.flag, "someone-else"))); d.Verdict != Denied {
			t.Errorf("%s named as a policy variable admits another value: %s\n%s", nf.flag, d.Verdict, doc)
		}
		for _, bad := range []string{"deploy\u0085", "deploy\n::warning::x", "deploy\xff"} {
			o := Options{AccountID: "123456789012", Run: Run{Repository: "octo-org/octo-repo"}}
			nf.set(&o, bad)
			if _, err := Generate(o); err == nil || !strings.Contains(err.Error(), nf.flag) || strings.ContainsAny(err.Error(), "\n\u0085") {
				t.Errorf("%s %q: %v, want a refusal naming the flag, on one line", nf.flag, bad, err)
			}
		}
	}
	for _, bad := range []string{"prod\u0085", "prod\u009b[31m", "prod\xff"} {
		o := Options{AccountID: "123456789012", Run: Run{Repository: "octo-org/octo-repo", Environment: bad}}
		if _, err := Generate(o); err == nil || !strings.Contains(err.Error(), "--environment") {
			t.Errorf("--environment %q: %v, want a refusal naming the flag", bad, err)
		}
	}
}

// TestUnescape: the inverse of Escape, and Instance for patterns.
func TestUnescape(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"", "plain", "$", "${$}", "${*}", "a*b?c", "${token:x}", "$}{$", "$$${"} {
		for _, like := range []bool{false, true} {
			if got := Unescape(Escape(name, like)); got != name {
				t.Errorf("Unescape(Escape(%q, %v)) = %q", name, like, got)
			}
		}
	}
	if got := Instance("repo:o@1/*:ref:refs/heads/a${*}b?"); got != "repo:o@1/x:ref:refs/heads/a*bx" {
		t.Errorf("Instance = %q", got)
	}
}
