package yamlfile

import (
	"strings"
	"unicode/utf8"
)

// Suggest returns the candidate closest to word when it is close enough to
// be a plausible typo, or "" when nothing is. Closeness is the optimal
// string alignment distance, which counts a swap of two neighbouring
// letters ("ponits") as one edit, the most common typing slip.
func Suggest(word string, candidates []string) string {
	w := strings.ToLower(word)
	best, bestDist := "", 0
	for _, c := range candidates {
		d := editDistance(w, strings.ToLower(c))
		// Ties go to the alphabetically first candidate so that output
		// does not depend on map order.
		if best == "" || d < bestDist || (d == bestDist && c < best) {
			best, bestDist = c, d
		}
	}
	if best == "" {
		return ""
	}
	// Short words need a tighter limit, otherwise "at" would suggest "as".
	limit := 2
	if n := utf8.RuneCountInString(w); n <= 3 {
		limit = 1
	} else if n >= 9 {
		limit = 3
	}
	if bestDist > limit || bestDist >= utf8.RuneCountInString(best) {
		return ""
	}
	return best
}

func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	// Three rolling rows are enough for the transposition case.
	prev2 := make([]int, len(rb)+1)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(rb)]
}

// OrList joins words as "a, b or c", for messages listing the choices.
func OrList(words []string) string {
	switch len(words) {
	case 0:
		return ""
	case 1:
		return words[0]
	}
	return strings.Join(words[:len(words)-1], ", ") + " or " + words[len(words)-1]
}
