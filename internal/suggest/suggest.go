// Package suggest finds the name a user most likely meant: the "did you
// mean" of an unknown flag, or of a misspelt region. One place, so that
// every command answers a typo the same way.
package suggest

// Closest is the candidate nearest to name (Levenshtein distance; a
// candidate that name, three characters or more, is the start of counts
// as one edit away), and whether it is close enough to suggest: at most
// max(2, len(name)/3) edits. Ties go to the candidate that sorts first.
func Closest(name string, candidates []string) (string, bool) {
	best, bestD := "", 1<<30
	for _, c := range candidates {
		d := Distance(name, c)
		if len(name) >= 3 && len(c) >= len(name) && c[:len(name)] == name {
			d = min(d, 1)
		}
		if d < bestD || (d == bestD && c < best) {
			best, bestD = c, d
		}
	}
	return best, best != "" && bestD <= max(2, len(name)/3)
}

// Distance is the Levenshtein distance of a and b, in bytes.
func Distance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
