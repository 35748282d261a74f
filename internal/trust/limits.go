package trust

import (
	"fmt"
	"unicode/utf8"
)

// MaxPolicyBytes bounds a policy document. IAM stores a role trust policy
// of at most 2,048 characters, 4,096 with the largest quota increase
// ("Role trust policy length" in IAM's quotas), so 32 KiB — eight times
// the largest policy IAM accepts — leaves room for any indentation and \u
// escapes of a policy IAM would take, and bounds the time and memory a
// check can take.
const MaxPolicyBytes = 32 << 10

// MaxClaimsBytes bounds a claims file (a decoded ID token payload). A
// GitHub ID token's payload is about 1 KiB; 16 KiB holds any real one.
const MaxClaimsBytes = 16 << 10

// MaxFactBytes bounds each fact given as a flag (a repository, a ref, an
// environment, ...), for the same reason: every request value is at most
// MaxClaimsBytes, so no comparison costs more than
// MaxPolicyBytes × MaxClaimsBytes steps in all.
const MaxFactBytes = 4 << 10

// TooLargeError is a policy or claims document over its limit.
type TooLargeError struct {
	What  string // "policy" or "claims"
	Limit int    // bytes
}

func (e *TooLargeError) Error() string {
	why := "IAM stores a trust policy of at most 4,096 characters"
	if e.What != "policy" {
		why = "a GitHub ID token's payload is about 1 KiB"
	}
	return fmt.Sprintf("the %s is larger than %d bytes (%d KiB), the most this checker reads (%s)", e.What, e.Limit, e.Limit>>10, why)
}

// checkText refuses a JSON document that is not valid UTF-8 or that holds
// a \u escape of an unpaired UTF-16 surrogate: Go's JSON decoder turns
// each of those into U+FFFD, so two different documents would decode to
// equal strings and compare equal.
func checkText(b []byte) error {
	if !utf8.Valid(b) {
		off := 0
		for off < len(b) {
			r, size := utf8.DecodeRune(b[off:])
			if r == utf8.RuneError && size == 1 {
				break
			}
			off += size
		}
		return fmt.Errorf("not valid UTF-8 (byte %d is 0x%02x); save it as UTF-8", off, b[off])
	}
	inString := false
	for i := 0; i < len(b); i++ {
		switch c := b[i]; {
		case c == '"':
			inString = !inString
		case c == '\\' && inString && i+1 < len(b):
			i++
			if b[i] != 'u' {
				continue
			}
			r, ok := hex4(b, i+1)
			if !ok {
				continue // the decoder reports it
			}
			i += 4
			switch {
			case r >= 0xdc00 && r <= 0xdfff:
				return fmt.Errorf("byte %d: \\u%04x is an unpaired UTF-16 surrogate, not a character", i-5, r)
			case r >= 0xd800 && r <= 0xdbff:
				lo, ok := rune(0), i+2 < len(b) && b[i+1] == '\\' && b[i+2] == 'u'
				if ok {
					lo, ok = hex4(b, i+3)
				}
				if !ok || lo < 0xdc00 || lo > 0xdfff {
					return fmt.Errorf("byte %d: \\u%04x is an unpaired UTF-16 surrogate, not a character", i-5, r)
				}
				i += 6
			}
		}
	}
	return nil
}

func hex4(b []byte, i int) (rune, bool) {
	if i+4 > len(b) {
		return 0, false
	}
	var r rune
	for _, c := range b[i : i+4] {
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	return r, true
}
