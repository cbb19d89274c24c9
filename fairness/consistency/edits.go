package consistency

import (
	"math/rand/v2"
	"regexp"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Edit rewrites a text. It returns ok = false, and the text is not tested,
// when the edit does not apply (there is nothing to edit). An edit that
// makes random choices draws them from rng only, so a seeded rng repeats
// it exactly.
type Edit func(text string, rng *rand.Rand) (edited string, ok bool)

// span is a byte range [start, end).
type span struct{ start, end int }

// letterRuns returns the maximal runs of letters in s: the words edits
// look at. An apostrophe ends a run, so "doesn't" is "doesn" and "t".
func letterRuns(s string) []span {
	var out []span
	start := -1
	for i, r := range s {
		if unicode.IsLetter(r) {
			if start < 0 {
				start = i
			}
			continue
		}
		if start >= 0 {
			out = append(out, span{start, i})
			start = -1
		}
	}
	if start >= 0 {
		out = append(out, span{start, len(s)})
	}
	return out
}

// Typo swaps two adjacent letters inside one word: a word of at least four
// letters that is not a keyword (a negation, intensifier or sentiment
// word), so the meaning is kept. The word is drawn uniformly from those
// that qualify, then the pair from the word's adjacent letter pairs that
// differ, never touching the first letter ("movie" → "mvoie", "moive" or
// "movei"). Not applicable to a text with no such word.
func Typo(text string, rng *rand.Rand) (string, bool) {
	type cand struct {
		w   span
		pos []int // rune index i: swap runes i and i+1
	}
	var cands []cand
	for _, w := range letterRuns(text) {
		word := text[w.start:w.end]
		rs := []rune(word)
		if len(rs) < 4 || keywords[strings.ToLower(word)] {
			continue
		}
		var pos []int
		for i := 1; i+1 < len(rs); i++ {
			if rs[i] != rs[i+1] {
				pos = append(pos, i)
			}
		}
		if len(pos) > 0 {
			cands = append(cands, cand{w, pos})
		}
	}
	if len(cands) == 0 {
		return "", false
	}
	c := cands[rng.IntN(len(cands))]
	i := c.pos[rng.IntN(len(c.pos))]
	rs := []rune(text[c.w.start:c.w.end])
	rs[i], rs[i+1] = rs[i+1], rs[i]
	return text[:c.w.start] + string(rs) + text[c.w.end:], true
}

// Punctuation removes the final run of sentence punctuation (. !), with
// any space before it ("a fine film ." → "a fine film"), or adds a full
// stop to a text that has none ("a fine film" → "a fine film.").
// Trailing white space is kept. Not applicable to a text that is empty or
// only punctuation, or that ends in a question mark: without it a
// question reads as a statement, which is not the same meaning.
func Punctuation(text string, _ *rand.Rand) (string, bool) {
	body := strings.TrimRightFunc(text, unicode.IsSpace)
	tail := text[len(body):]
	if body == "" {
		return "", false
	}
	isEnd := func(r rune) bool { return r == '.' || r == '!' || r == '?' }
	if last, _ := utf8.DecodeLastRuneInString(body); !isEnd(last) {
		return body + "." + tail, true
	}
	end := strings.TrimRightFunc(body, isEnd)
	if strings.Contains(body[len(end):], "?") {
		return "", false // without its "?" a question reads as a statement
	}
	stripped := strings.TrimRightFunc(end, unicode.IsSpace)
	if stripped == "" {
		return "", false
	}
	return stripped + tail, true
}

// Lowercase lower-cases the text. Not applicable to a text already in
// lower case.
func Lowercase(text string, _ *rand.Rand) (string, bool) {
	l := strings.ToLower(text)
	return l, l != text
}

// TitleCase writes every white-space separated word with its first
// letter in upper case and the rest in lower case ("isn't" → "Isn't",
// SST-2's "n't" → "N't"). Not applicable when that changes nothing.
func TitleCase(text string, _ *rand.Rand) (string, bool) {
	var b strings.Builder
	b.Grow(len(text))
	start := true
	for _, r := range text {
		switch {
		case unicode.IsSpace(r):
			start = true
		case start:
			r = unicode.ToTitle(r)
			start = false
		default:
			r = unicode.ToLower(r)
		}
		b.WriteRune(r)
	}
	return b.String(), b.String() != text
}

// ExtraWhitespace doubles one white-space run, drawn uniformly ("a fine
// film" → "a  fine film"), or adds a trailing space to a text of one word.
// Not applicable to an empty text.
func ExtraWhitespace(text string, rng *rand.Rand) (string, bool) {
	if text == "" {
		return "", false
	}
	var runs []int
	prevSpace := false
	for i, r := range text {
		sp := unicode.IsSpace(r)
		if sp && !prevSpace {
			runs = append(runs, i)
		}
		prevSpace = sp
	}
	if len(runs) == 0 {
		return text + " ", true
	}
	at := runs[rng.IntN(len(runs))]
	return text[:at] + " " + text[at:], true
}

// Contractions. Each contracted form is known in standard spelling
// ("isn't", "it's") and in the Penn Treebank tokenisation SST-2 uses ("is
// n't", "it 's", "ca n't"); expanding either gives the same words ("is
// not"), except "can't" → "cannot" against "ca n't" → "can not", the
// tokeniser's own split of "cannot".
type contraction struct {
	standard, tokenised, expanded string
	// expandOnly marks forms not contracted back: "I have a dog" as "I've
	// a dog" reads wrongly, and "'d" may be "had".
	expandOnly bool
	// tokExpanded, when set, is the tokenised form's own expansion.
	tokExpanded string
}

var contractions = func() []contraction {
	var cs []contraction
	for _, aux := range []string{"is", "are", "was", "were", "does", "do", "did", "has", "have", "had", "could", "would", "should", "must", "need"} {
		cs = append(cs, contraction{standard: aux + "n't", tokenised: aux + " n't", expanded: aux + " not"})
	}
	cs = append(cs,
		contraction{standard: "can't", tokenised: "ca n't", expanded: "cannot", tokExpanded: "can not"},
		contraction{expanded: "can not"}, // contracted only
		contraction{standard: "won't", tokenised: "wo n't", expanded: "will not"},
	)
	add := func(suffix, verb string, expandOnly bool, subjects ...string) {
		for _, s := range subjects {
			cs = append(cs, contraction{standard: s + "'" + suffix, tokenised: s + " '" + suffix, expanded: s + " " + verb, expandOnly: expandOnly})
		}
	}
	add("s", "is", false, "it", "that", "there", "what", "he", "she", "here", "who", "where")
	add("m", "am", false, "i")
	add("re", "are", false, "you", "we", "they")
	add("ve", "have", true, "i", "you", "we", "they")
	add("ll", "will", false, "i", "you", "we", "they", "it", "he", "she", "that")
	add("d", "would", true, "i", "you", "we", "they", "he", "she")
	return cs
}()

var (
	// expansions maps a contracted form (normalised: lower case, straight
	// apostrophe, single spaces) to its expansion; contractionsOf maps an
	// expansion to its two contracted forms.
	expansions     = map[string]string{}
	contractionsOf = map[string][2]string{}
	expandRe       *regexp.Regexp
	contractRe     *regexp.Regexp
	// tokenisedRe spots PTB-tokenised text: a split contraction or a space
	// before punctuation.
	tokenisedRe = regexp.MustCompile(`\s(n['’]t|['’](s|re|m|ve|ll|d))\b|\s[.,!?;:]`)
	// beenRe finds the past participle after "'s" that makes it "has"
	// ("it 's become" is "it has become", not "it is become").
	beenRe = regexp.MustCompile(`(?i)^\s+(been|got|gotten|become|gone|done|come|had|made|taken|given|seen|shown|proven|grown|left|lost|won)\b`)
	// notNextRe finds a negation right after a form: "it is n't" must not
	// become "it 's n't".
	notNextRe = regexp.MustCompile(`(?i)^\s*n['’]t\b`)
)

func init() {
	var exp, con []string
	for _, c := range contractions {
		if c.standard != "" {
			expansions[c.standard] = c.expanded
			expansions[c.tokenised] = c.expanded
			if c.tokExpanded != "" {
				expansions[c.tokenised] = c.tokExpanded
			}
			exp = append(exp, c.standard, c.tokenised)
		}
		if !c.expandOnly {
			std, tok := c.standard, c.tokenised
			if std == "" { // "can not" contracts like "cannot"
				std, tok = "can't", "ca n't"
			}
			contractionsOf[c.expanded] = [2]string{std, tok}
			con = append(con, c.expanded)
		}
	}
	expandRe = alternation(exp)
	contractRe = alternation(con)
}

// alternation compiles whole-word, case-insensitive matching of forms,
// longest first; an apostrophe matches ' or ’ and a space any white space.
func alternation(forms []string) *regexp.Regexp {
	sort.Slice(forms, func(i, j int) bool { return len(forms[i]) > len(forms[j]) })
	parts := make([]string, len(forms))
	for i, f := range forms {
		q := regexp.QuoteMeta(f)
		q = strings.ReplaceAll(q, "'", `['’]`)
		parts[i] = strings.ReplaceAll(q, " ", `\s+`)
	}
	return regexp.MustCompile(`(?i)\b(?:` + strings.Join(parts, "|") + `)\b`)
}

// normalise is the key of a matched form: lower case, straight
// apostrophes, single spaces.
func normalise(s string) string {
	s = strings.ToLower(strings.ReplaceAll(s, "’", "'"))
	return strings.Join(strings.Fields(s), " ")
}

// ExpandContractions expands every contraction of its list ("isn't" → "is
// not", "it 's" → "it is", "can't" → "cannot"), keeping the case of each
// ("It's" → "It is"). "'s" before "been" or "got" is read as "has", "'d"
// always as "would". "'s" before a past participle ("been", "got",
// "become", "gone", ...) is read as "has". Only
// pronoun contractions are expanded, never a possessive "'s". Not
// applicable to a text without any.
func ExpandContractions(text string, _ *rand.Rand) (string, bool) {
	return replaceAll(text, expandRe, func(m string, end int) string {
		e := expansions[normalise(m)]
		if strings.HasSuffix(e, " is") && strings.Contains(normalise(m), "'s") && beenRe.MatchString(text[end:]) {
			e = strings.TrimSuffix(e, "is") + "has"
		}
		return e
	})
}

// Contract contracts every expanded form of its list ("is not" → "isn't",
// "it is" → "it's", "cannot" → "can't"), in the text's own style: the
// tokenised form ("is n't") when the text looks PTB-tokenised (it has a
// split contraction or a space before punctuation, as SST-2 does), the
// standard one otherwise. "have" and "would" are not contracted ("I have
// a dog" is not "I've a dog"), and a pronoun's verb only when a word
// other than a conjunction follows, since English does not contract a
// verb that ends its clause ("what it is and" stays). Not applicable to a
// text without any.
func Contract(text string, _ *rand.Rand) (string, bool) {
	style := 0
	if tokenisedRe.MatchString(text) {
		style = 1
	}
	return replaceAll(text, contractRe, func(m string, end int) string {
		key := normalise(m)
		if !strings.HasSuffix(key, " not") && key != "cannot" {
			if notNextRe.MatchString(text[end:]) {
				return "" // keep: "it is n't" has its contraction already
			}
			next := nextWordRe.FindStringSubmatch(text[end:])
			if next == nil || clauseWords[strings.ToLower(next[1])] {
				return "" // keep: the verb ends its clause
			}
		}
		return contractionsOf[key][style]
	})
}

var (
	nextWordRe  = regexp.MustCompile(`^\s+(\pL+)`)
	clauseWords = set("and", "or", "but", "so", "because", "if", "when", "then", "than", "as")
)

// NamesPlaces swaps common first names and large cities for others of
// the same kind, each to the next in its built-in list (John → Michael,
// Mary → Anna, London → Paris, New York → Los Angeles), matched as whole
// words in any case and written in the case of the original. Not
// applicable to a text that names none.
func NamesPlaces(text string, _ *rand.Rand) (string, bool) {
	return replaceAll(text, namesRe, func(m string, _ int) string { return nextName[normalise(m)] })
}

var (
	nextName = func() map[string]string {
		m := map[string]string{}
		for _, l := range [][]string{maleNames, femaleNames, cities} {
			for i, n := range l {
				m[n] = l[(i+1)%len(l)]
			}
		}
		return m
	}()
	namesRe = func() *regexp.Regexp {
		var all []string
		for _, l := range [][]string{maleNames, femaleNames, cities} {
			all = append(all, l...)
		}
		return alternation(all)
	}()
)

// replaceAll replaces every match of re in text by repl(match, end of
// match) written in the match's case pattern, or leaves it when repl
// returns ""; ok is false when nothing changed.
func replaceAll(text string, re *regexp.Regexp, repl func(m string, end int) string) (string, bool) {
	locs := re.FindAllStringIndex(text, -1)
	var b strings.Builder
	prev := 0
	for _, l := range locs {
		m := text[l[0]:l[1]]
		b.WriteString(text[prev:l[0]])
		if r := repl(m, l[1]); r != "" {
			m = matchCase(m, r)
		}
		b.WriteString(m)
		prev = l[1]
	}
	b.WriteString(text[prev:])
	out := b.String()
	if out == text {
		return "", false
	}
	return out, true
}

// matchCase writes repl (lower case) in the case pattern of orig: all
// upper (two letters or more), every word capitalised, first letter
// capitalised, or lower.
func matchCase(orig, repl string) string {
	letters, upper := 0, 0
	for _, r := range orig {
		if unicode.IsLetter(r) {
			letters++
			if unicode.IsUpper(r) {
				upper++
			}
		}
	}
	first, _ := utf8.DecodeRuneInString(orig)
	switch {
	case upper == 0 || !unicode.IsUpper(first):
		return repl
	case upper == letters && letters >= 2:
		return strings.ToUpper(repl)
	}
	words := strings.Fields(orig)
	for _, w := range words {
		if r, _ := utf8.DecodeRuneInString(w); !unicode.IsUpper(r) {
			return capitalise(repl)
		}
	}
	if len(words) == 1 {
		return capitalise(repl)
	}
	fs := strings.Fields(repl)
	for i, w := range fs {
		fs[i] = capitalise(w)
	}
	return strings.Join(fs, " ")
}

func capitalise(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 {
		return s
	}
	return string(unicode.ToTitle(r)) + s[n:]
}
