package trust

import (
	"math"
	"strings"
	"unicode/utf8"
)

// A glob is a compiled StringLike pattern: one element per character of
// the pattern, each a literal character token or one of the wildcards.
// Compiling first lets a wildcard and a literal * (the ${*} policy
// variable) be told apart, and keeps the match itself free of
// allocations.
type glob []int32

// The wildcard elements of a glob. Character tokens are never negative.
const (
	anyRun int32 = -1 // * : any run of characters, the empty one included
	anyOne int32 = -2 // ? : exactly one character
)

// token returns the character at s[i] and its width in bytes: a Unicode
// code point, or for a byte that does not begin valid UTF-8 a token of its
// own (0x110000 + the byte), so that two different invalid bytes are two
// different characters and neither equals U+FFFD.
func token(s string, i int) (int32, int) {
	if c := s[i]; c < utf8.RuneSelf {
		return int32(c), 1
	}
	r, size := utf8.DecodeRuneInString(s[i:])
	if r == utf8.RuneError && size == 1 {
		return utf8.MaxRune + 1 + int32(s[i]), 1
	}
	return r, size
}

// appendGlob compiles s onto g: * and ? are wildcards unless literal.
func appendGlob(g glob, s string, literal bool) glob {
	for i := 0; i < len(s); {
		t, size := token(s, i)
		i += size
		if !literal {
			switch t {
			case '*':
				if len(g) > 0 && g[len(g)-1] == anyRun {
					continue // ** is *
				}
				t = anyRun
			case '?':
				t = anyOne
			}
		}
		g = append(g, t)
	}
	return g
}

// compileGlob compiles a StringLike pattern with * and ? as wildcards.
func compileGlob(pattern string) glob { return appendGlob(make(glob, 0, len(pattern)), pattern, false) }

// match reports whether s matches g, character by character (case-
// sensitively). It is the classic greedy algorithm with one backtrack
// point: on a mismatch it resumes after the most recent * one character
// further along s. Each backtrack restarts the pattern from that * and
// moves the restart point in s forward by one, so the work is at most
// O(len(g) × len(s)) steps and the memory O(1): no input can make it
// exponential. Each step is taken from *budget; when it runs out, match
// returns false with *budget negative, and the caller must not trust
// the answer.
func (g glob) match(s string, budget *int) bool {
	pi, si := 0, 0
	star, mark := -1, 0
	left := *budget
	for si < len(s) {
		if left--; left < 0 {
			*budget = left
			return false
		}
		if pi < len(g) {
			p := g[pi]
			if p == anyRun {
				star, mark = pi, si
				pi++
				continue
			}
			t, size := int32(s[si]), 1
			if t >= utf8.RuneSelf {
				t, size = token(s, si)
			}
			if p == t || p == anyOne {
				pi++
				si += size
				continue
			}
		}
		if star < 0 {
			*budget = left
			return false
		}
		if s[mark] < utf8.RuneSelf {
			mark++
		} else {
			_, size := token(s, mark)
			mark += size
		}
		pi, si = star+1, mark
	}
	*budget = left
	for pi < len(g) && g[pi] == anyRun {
		pi++
	}
	return pi == len(g)
}

// Like reports whether s matches pattern, where * matches any run of
// characters and ? exactly one, case-sensitively, in at most
// O(len(pattern) × len(s)) steps. Bytes that are not valid UTF-8 are
// characters of their own: they match ? and themselves, nothing else.
func Like(pattern, s string) bool {
	var buf [64]int32 // a short pattern compiles without allocating
	unbounded := math.MaxInt
	return appendGlob(buf[:0], pattern, false).match(s, &unbounded)
}

// MaxMatchSteps bounds the comparison work of one check: each wildcard-
// matching step and each byte compared for equality costs one. Evaluate
// takes at most this many (Decision.Steps says how many it took), and a
// Lint at most its LintContext.Budget, which the check sets to what the
// evaluation left, so the two together stay within it. A policy IAM
// accepts (at most 4,096 characters) against a real token's claims (a few
// hundred bytes a key) needs at most about a million; 20 million take a
// fraction of a second. Beyond it the check is refused as unsupported
// rather than left running.
const MaxMatchSteps = 20_000_000

// equalFold is strings.EqualFold, except that bytes that are not valid
// UTF-8 compare as bytes: strings.EqualFold treats every invalid byte as
// U+FFFD, so "\xff" and "\xfe" would be equal.
func equalFold(a, b string) bool {
	if utf8.ValidString(a) && utf8.ValidString(b) {
		return strings.EqualFold(a, b)
	}
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		ta, na := token(a, i)
		tb, nb := token(b, j)
		if ta != tb && (ta > utf8.MaxRune || tb > utf8.MaxRune || !strings.EqualFold(a[i:i+na], b[j:j+nb])) {
			return false
		}
		i, j = i+na, j+nb
	}
	return i == len(a) && j == len(b)
}
