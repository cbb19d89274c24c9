package consistency

import (
	"math/rand/v2"
	"regexp"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"
)

var (
	// negationRe finds a negation: a word of the negations list or an
	// "n't" ending, standard or tokenised.
	negationRe = func() *regexp.Regexp {
		ws := make([]string, 0, len(negations))
		for w := range negations {
			ws = append(ws, w)
		}
		sort.Strings(ws)
		return regexp.MustCompile(`(?i)\b(?:` + strings.Join(ws, "|") + `)\b|n['’]t\b`)
	}()
	// auxRe finds an auxiliary or copula that takes "not" after it: a
	// listed verb, a pronoun's "'s", or "'re" / "'m".
	auxRe = regexp.MustCompile(`(?i)\b(?:is|are|was|were|am|do|does|did|has|have|had|can|could|will|would|should|may|might|must)\b` +
		`|\b(?:it|that|there|what|he|she|who|here|where)\s?['’]s\b|['’](?:re|m)\b`)
)

// HasNegation says whether text contains a negation: one of "not", "no",
// "never", "nothing", "nobody", "none", "neither", "nor", "cannot",
// "without", "nowhere", "hardly", "barely", or an "n't".
func HasNegation(text string) bool { return negationRe.MatchString(text) }

// AddNegation negates the text by the first rule that applies:
//
//  1. "not" after the first auxiliary or copula ("is", "was", "does",
//     "can", "it's", "you're", ...: "the film is great" → "the film is not
//     great"), or before the first sentiment adjective of the built-in
//     list ("a gorgeous film" → "a not gorgeous film"), whichever comes
//     first;
//  2. otherwise the whole text is wrapped: "it is not true that " + text
//     ("It is not true that " before a capital, which is lowered when the
//     first word is a common opener like "The", kept for "John").
//
// "a"/"an" before the negated adjective is corrected. Not applicable to a
// text that already has a negation (see HasNegation): negating it twice
// has no clear expected direction. The rng is not used.
func AddNegation(text string, _ *rand.Rand) (string, bool) {
	if strings.TrimSpace(text) == "" || HasNegation(text) {
		return "", false
	}
	aux := auxRe.FindStringIndex(text)
	adj := firstAdjective(text, nil)
	switch {
	case aux != nil && (adj == nil || aux[0] < adj.start):
		not := " not"
		if m := text[aux[0]:aux[1]]; strings.ToUpper(m) == m && strings.ToLower(m) != m && utf8.RuneCountInString(m) >= 2 {
			not = " NOT"
		}
		return text[:aux[1]] + not + text[aux[1]:], true
	case adj != nil:
		return insertBefore(text, *adj, "not"), true
	}
	// The prefix takes the text's capital; the text's first letter is
	// lowered only when its first word is a common sentence opener, so a
	// name or an acronym keeps its case.
	first := strings.Fields(text)[0]
	r, n := utf8.DecodeRuneInString(text)
	switch {
	case !unicode.IsUpper(r):
		return "it is not true that " + text, true
	case openers[strings.ToLower(first)] && first != strings.ToUpper(first):
		return "It is not true that " + string(unicode.ToLower(r)) + text[n:], true
	}
	return "It is not true that " + text, true
}

// openers are sentence openers whose capital is only the sentence's.
var openers = set("the", "a", "an", "this", "that", "these", "those", "it", "its",
	"there", "here", "we", "they", "he", "she", "you", "my", "our", "your",
	"his", "her", "their", "some", "all", "every", "one", "what", "everyone")

// AddIntensifier puts an intensifier ("very", "really" or "extremely",
// drawn from rng) before the first sentiment adjective of the built-in
// list that is not already intensified or negated ("a great film" → "a
// really great film"; in "not good, but fun" it is "fun" that gets it),
// correcting "a"/"an" before it. Not applicable to a text with no such
// adjective.
func AddIntensifier(text string, rng *rand.Rand) (string, bool) {
	adj := firstAdjective(text, func(before string) bool {
		b := strings.TrimRightFunc(before, unicode.IsSpace)
		if strings.HasSuffix(b, "n't") || strings.HasSuffix(b, "n’t") {
			return false
		}
		ws := letterRuns(b)
		if len(ws) == 0 {
			return true
		}
		prev := strings.ToLower(b[ws[len(ws)-1].start:])
		return !negations[prev] && !intensifierSet[prev]
	})
	if adj == nil {
		return "", false
	}
	return insertBefore(text, *adj, intensifiers[rng.IntN(len(intensifiers))]), true
}

var intensifierSet = set(intensifiers...)

// firstAdjective returns the first word of the adjective list, in any
// case, for which ok(text before it) holds (any, when ok is nil).
func firstAdjective(text string, ok func(before string) bool) *span {
	for _, w := range letterRuns(text) {
		if adjectives[strings.ToLower(text[w.start:w.end])] && (ok == nil || ok(text[:w.start])) {
			return &w
		}
	}
	return nil
}

// insertBefore puts word and a space before the word at w. At the start of
// a text, a capitalised word passes its capital to the inserted one
// ("Great fun" → "Really great fun"); an all-capitals word makes it
// capitals. An article right before becomes the one the inserted word
// needs ("an awful film" → "a very awful film").
func insertBefore(text string, w span, word string) string {
	target := text[w.start:w.end]
	first, n := utf8.DecodeRuneInString(target)
	switch {
	case utf8.RuneCountInString(target) >= 2 && strings.ToUpper(target) == target:
		word = strings.ToUpper(word)
	case unicode.IsUpper(first) && strings.TrimSpace(text[:w.start]) == "":
		word = capitalise(word)
		target = string(unicode.ToLower(first)) + target[n:]
	}
	before := text[:w.start]
	if ws := letterRuns(before); len(ws) > 0 {
		a := ws[len(ws)-1]
		art := before[a.start:a.end]
		if (strings.EqualFold(art, "a") || strings.EqualFold(art, "an")) && strings.TrimSpace(before[a.end:]) == "" {
			want := "a"
			if strings.ContainsRune("aeiouAEIOU", rune(word[0])) {
				want = "an"
			}
			before = before[:a.start] + matchCase(art, want) + before[a.end:]
		}
	}
	return before + word + " " + target + text[w.end:]
}
