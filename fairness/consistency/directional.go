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
)

// HasNegation says whether text contains a negation: one of "not", "no",
// "never", "nothing", "nobody", "none", "neither", "nor", "cannot",
// "without", "nowhere", "hardly", "barely", or an "n't".
func HasNegation(text string) bool { return negationRe.MatchString(text) }

// token is one word or punctuation run of a text, with its byte span.
type token struct {
	span
	text, lower string
}

// tokenRe splits a text into words (a contraction, a hyphenated compound
// or an "n't" is one word), split-off clitics ("'s" of PTB-tokenised text)
// and punctuation runs.
var tokenRe = regexp.MustCompile(`[\pL\pN]+(?:['’][\pL]+)?(?:-[\pL\pN]+)*|['’][\pL]+|[^\s\pL\pN]+`)

func tokens(text string) []token {
	locs := tokenRe.FindAllStringIndex(text, -1)
	out := make([]token, len(locs))
	for i, l := range locs {
		t := text[l[0]:l[1]]
		out[i] = token{span{l[0], l[1]}, t, strings.ToLower(t)}
	}
	return out
}

func (t token) isWord() bool {
	r, _ := utf8.DecodeRuneInString(t.text)
	return unicode.IsLetter(r) || unicode.IsDigit(r)
}

// isCopula says whether toks[i] is a form of "be" heading a predicate: a
// full form, a pronoun's joined contraction ("it's"), or a split one
// ("it 's") right after a pronoun, so that a possessive "'s" is never one.
func isCopula(toks []token, i int) bool {
	if i < 0 || i >= len(toks) {
		return false
	}
	l := toks[i].lower
	switch {
	case joinedCopula[l]:
		return true
	case strings.HasPrefix(l, "'") || strings.HasPrefix(l, "’"):
		return copulas[l] && i > 0 && copulaSubjects[toks[i-1].lower]
	}
	return copulas[l]
}

// directionDoubtful says why a directional edit has no clear expected
// direction on toks: a contrast ("dull, but fun"), or evaluative
// adjectives of both polarities.
func directionDoubtful(toks []token) bool {
	pos, neg := false, false
	for _, t := range toks {
		if contrastWords[t.lower] || strings.Contains(t.text, "?") {
			return true // a question asserts nothing to negate or grade
		}
		pos = pos || positiveAdjectives[t.lower]
		neg = neg || negativeAdjectives[t.lower]
	}
	return pos && neg
}

func evaluative(w string) bool { return positiveAdjectives[w] || negativeAdjectives[w] }

// AddNegation puts "not" after the copula of a text whose sentiment it
// can parse as one predication, or before a text that is one evaluative
// noun phrase, and refuses every other text (reported
// as not applicable, never tested): the generated test is only as good as
// the sentence it makes. It applies when
//
//   - the text is not a question, has no negation already (HasNegation:
//     a double negation has no clear direction), no contrast, condition
//     or degree construction ("but", "though", "if", "when", "only",
//     "too ... to", ... in contrastWords) and no evaluative adjectives of
//     both polarities;
//   - either the text is one evaluative noun phrase, as many of SST-2's
//     are, and "not" goes before it ("a gorgeous , witty movie ." → "not
//     a gorgeous , witty movie .", see negateFragment), or
//   - its first copula ("is", "are", "was", "were", "am", or "'s", "'re",
//     "'m" after a pronoun, joined or split) has a subject of one to eight
//     words before it with no punctuation, relative word or subordinating
//     conjunction (so the copula is the main clause's: "the film that he
//     made is" is refused);
//   - the predicate is an evaluative adjective of the built-in lists,
//     right after the copula or behind at most three of "a", "the",
//     "so", "very", "really", ... or "-ly" adverbs ("the film is dull" →
//     "the film is not dull", "it 's a charming journey" → "it 's not a
//     charming journey"), not a perfect or passive ("'s been", "is
//     acted");
//   - nothing after the adjective starts a second predication: no other
//     copula, and "and"/"or" only before another evaluative adjective
//     ("is dull and pretentious" applies, "is beautiful to behold and
//     engages one" and "are interesting and often creatively
//     constructed" do not); a bare adjective right after the copula is
//     followed by punctuation, a conjunction, "to" or "as", not a noun
//     ("it 's fun lite" is refused).
//
// The rng is not used.
func AddNegation(text string, _ *rand.Rand) (string, bool) {
	if strings.TrimSpace(text) == "" || HasNegation(text) {
		return "", false
	}
	toks := tokens(text)
	if directionDoubtful(toks) {
		return "", false
	}
	c := -1
	for i := range toks {
		if isCopula(toks, i) {
			c = i
			break
		}
	}
	if c < 0 {
		return negateFragment(text, toks)
	}
	subject := toks[:c]
	if strings.HasPrefix(toks[c].lower, "'") || strings.HasPrefix(toks[c].lower, "’") {
		subject = toks[:c-1] // the pronoun is checked by isCopula
	}
	if len(subject) > 8 || (len(subject) == 0 && !joinedCopula[toks[c].lower] && c == 0) {
		return "", false
	}
	for _, t := range subject {
		if !t.isWord() || subordinators[t.lower] || contrastWords[t.lower] || linkingVerbs[t.lower] {
			return "", false
		}
	}
	rest := toks[c+1:]
	if len(rest) == 0 || notPredicate[rest[0].lower] || strings.HasSuffix(rest[0].lower, "ed") {
		return "", false
	}
	adj := -1
	for i, t := range rest {
		if i > 3 {
			break
		}
		if evaluative(t.lower) {
			adj = i
			break
		}
		if !predicateLead[t.lower] && !(t.isWord() && strings.HasSuffix(t.lower, "ly")) {
			return "", false
		}
	}
	if adj < 0 {
		return "", false
	}
	after := rest[adj+1:]
	if adj == 0 && len(after) > 0 && after[0].isWord() && !conjoins(after, 0) && after[0].lower != "to" && after[0].lower != "as" {
		return "", false // a bare noun phrase ("is fun lite"), not a predicate adjective
	}
	for i := range after {
		if isCopula(after, i) {
			return "", false
		}
		if conjoins(after, i) && !evaluativeAhead(after[i+1:]) {
			return "", false
		}
	}
	cop := toks[c]
	not := " not"
	if strings.ToUpper(cop.text) == cop.text && strings.ToLower(cop.text) != cop.text && utf8.RuneCountInString(cop.text) >= 2 {
		not = " NOT"
	}
	return text[:cop.end] + not + text[cop.end:], true
}

// negateFragment negates a text that is one evaluative noun phrase, as
// SST-2's fragments are ("a gorgeous , witty , seductive movie ." → "not a
// gorgeous , witty , seductive movie ."): it opens with "a" or "an" and an
// evaluative adjective (behind at most two lead words or "-ly" adverbs),
// and has no copula, linking verb, modal or subject pronoun outside a
// relative clause, no ";", ":" or "--" (a second part the negation would
// not reach: "a fine story ..., i found myself struggling" is refused). The caller
// has checked the text for negations, contrasts and mixed polarity.
func negateFragment(text string, toks []token) (string, bool) {
	if len(toks) < 3 || (toks[0].lower != "a" && toks[0].lower != "an") {
		return "", false
	}
	adj := -1
	for i := 1; i < len(toks) && i <= 3; i++ {
		if evaluative(toks[i].lower) {
			adj = i
			break
		}
		if !predicateLead[toks[i].lower] && !strings.HasSuffix(toks[i].lower, "ly") {
			return "", false
		}
	}
	if adj < 0 || !toks[adj+1].isWord() && toks[adj+1].text != "," {
		return "", false // "a dull ." is no noun phrase
	}
	if comparatives[toks[adj].lower] {
		return "", false // "a better title might be ..." opens a clause
	}
	for i, t := range toks {
		switch {
		case t.text == ";" || t.text == ":" || t.text == "--" || fragmentStoppers[t.lower]:
			return "", false
		case isCopula(toks, i) || linkingVerbs[t.lower]:
			if i == 0 || !(toks[i-1].lower == "that" || toks[i-1].lower == "which" || toks[i-1].lower == "who") {
				return "", false
			}
		}
	}
	not := "not "
	first, n := utf8.DecodeRuneInString(text)
	switch {
	case strings.ToUpper(toks[adj].text) == toks[adj].text && strings.ToLower(toks[adj].text) != toks[adj].text && utf8.RuneCountInString(toks[adj].text) >= 2:
		not = "NOT "
	case unicode.IsUpper(first):
		return "Not " + string(unicode.ToLower(first)) + text[n:], true
	}
	return not + text, true
}

func conjoins(toks []token, i int) bool { return toks[i].lower == "and" || toks[i].lower == "or" }

// evaluativeAhead says whether toks start with an evaluative adjective,
// behind at most three lead words or "-ly" adverbs ("and often
// affecting"): what a conjunction may join to a negated predicate.
func evaluativeAhead(toks []token) bool {
	for i, t := range toks {
		switch {
		case i > 3:
			return false
		case evaluative(t.lower):
			return true
		case !predicateLead[t.lower] && !strings.HasSuffix(t.lower, "ly"):
			return false
		}
	}
	return false
}

// AddIntensifier puts an intensifier before a gradable evaluative
// adjective in a place where it grades the text's own verdict, and
// refuses every other text. It applies when the text has no negation, no
// contrast or condition and no evaluative adjectives of both polarities
// (as for AddNegation), and an adjective of the gradable or extreme list
// stands
//
//   - right after a copula or linking verb ("is dull", "seems clever"), or
//   - after "a"/"an" that opens the text or follows one ("a dull film",
//     "it 's a clever film"),
//
// never inside a compound ("lame-old"), after a possessive ("eisenberg 's
// sweet nephew") or a modifier ("a sometimes tedious film"). The first
// such adjective gets "very", "really" or "extremely" (drawn from rng),
// an extreme one ("superb", "awful") only "really"; "a"/"an" before it is
// corrected ("an awful film" → "a really awful film").
func AddIntensifier(text string, rng *rand.Rand) (string, bool) {
	if strings.TrimSpace(text) == "" || HasNegation(text) {
		return "", false
	}
	toks := tokens(text)
	if directionDoubtful(toks) {
		return "", false
	}
	linking := func(i int) bool { return i >= 0 && (isCopula(toks, i) || linkingVerbs[toks[i].lower]) }
	for i, t := range toks {
		if !gradableAdjectives[t.lower] && !extremeAdjectives[t.lower] {
			continue
		}
		ok := linking(i - 1)
		if i > 0 && (toks[i-1].lower == "a" || toks[i-1].lower == "an") {
			ok = i == 1 || linking(i-2)
		}
		if !ok {
			continue
		}
		word := "really"
		if gradableAdjectives[t.lower] {
			word = intensifiers[rng.IntN(len(intensifiers))]
		}
		return insertBefore(text, t.span, word), true
	}
	return "", false
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
