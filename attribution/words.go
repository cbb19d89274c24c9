package attribution

import "strings"

// negations are the words the summary treats as negations (lower case;
// also any word ending in n't or n’t).
var negations = map[string]bool{
	"not": true, "no": true, "never": true, "nothing": true, "nobody": true, "none": true,
	"neither": true, "nor": true, "nowhere": true, "without": true, "cannot": true,
	"n't": true, "hardly": true, "barely": true, "lacks": true, "lacking": true,
}

// IsNegation reports whether word reads as a negation to the summary.
func IsNegation(word string) bool {
	w := strings.ToLower(strings.TrimSpace(word))
	return negations[w] || strings.HasSuffix(w, "n't") || strings.HasSuffix(w, "n’t")
}
