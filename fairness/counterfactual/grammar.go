package counterfactual

import (
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"
)

// This file holds the agreement rules a swap applies around the words it
// replaces: gendered pronouns by grammatical role, "a"/"an" before a new
// word, and the sentence boundaries that bound a pronoun change. They are
// heuristics over words (there is no parser), written to be right on the
// common cases and documented where they guess.

// Gender marks a group whose terms name one gender. A swap between groups
// of different genders also swaps the gendered pronouns of every sentence
// it touches (see Counterfactuals).
type Gender string

// The genders a Group can carry; "" is a group with no gender (religion,
// nationality, or names of one gender swapped across ethnicity).
const (
	Male   Gender = "male"
	Female Gender = "female"
)

// pronouns are the gendered pronouns a gender-changing swap rewrites.
var pronouns = map[string]bool{
	"he": true, "she": true, "him": true, "her": true, "his": true, "hers": true,
	"himself": true, "herself": true,
}

// The role of "her" (object "him" or possessive "his") is read from the
// word after it; there is no parser. objectFollowers show the object
// ("told her the truth", "made her feel", "with her was", "for her and
// me"): prepositions, particles and adverbs, conjunctions, determiners and
// pronouns, auxiliaries and modals, and common verbs in their base form
// after a causative (with the verbs whose endings nounSuffixes would read
// as a noun: "arrive", "vanish", "capture"). Verbs that are also common nouns after a possessive
// ("her smile", "her look", "her work") are left out. possessiveFollowers
// show the possessive ("her film", "her best role"): common nouns and
// adjectives, with nounSuffixes for the rest. An adverb in -ly reads as an
// object ("kissed her gently") unless it is an adjective (lyAdjectives:
// "her lovely voice"). Any other word leaves the role unknown, and the
// swap is skipped rather than guessed: guessing "his" gave "the
// conversation with his was".
var objectFollowers = wordSet(`
about above across after against along among around as at away back before behind below beside besides between beyond by despite down during except for from in inside into like near of off on onto out outside over past since than through throughout till to toward towards under underneath until up upon with within without via per
again too also either neither anyway instead home alone well enough not now then here there today tonight yesterday tomorrow anymore together forever already still just even ever never always often sometimes soon later almost nearly quite rather very so
and or but nor so yet because if when whenever while although though unless whether where that which who whom whose once how why what
a an the this these those my your his her its our their some any no every each all both another such whatever
i you he she it we they me him us them myself yourself itself ourselves themselves
nothing something anything everything everyone someone anyone nobody somebody anybody everybody
is was were are am be been being has have had having will would can could shall should may might must do does did wo ca
feel go do be seem think know leave come see say tell get make take sing die live want try believe understand realize realise speak shine become wonder remember forget stop appear find give keep let hear watch cry laugh
arrive forgive survive strive thrive deceive perceive receive finish vanish publish cherish flourish perish punish relish capture endure ensure secure measure arrest suggest invest protest request insist persist resist assist exist worship enable advance enhance balance`)

var possessiveFollowers = wordSet(`
own best first last latest next previous new old young little big great good bad worst finest greatest earliest only very usual real true whole entire inner early late former future personal private public natural considerable remarkable
film films movie movies role roles part parts performance performances character characters voice voices eyes eye face faces life lives work works career debut way ways story stories past future death love loves beauty talent talents charm charms presence screen music song songs name names mind heart head hands hand arms arm feet foot body hair skin mouth lips smile look looks legs back shoulders
mother father husband wife son sons daughter daughters sister sisters brother brothers family friends friend lover lovers boyfriend girlfriend partner parents parent children child kids kid baby grandmother grandfather aunt uncle mom dad fiance fiancee ex
house home room bed car dog cat job money dreams dream world fate journey quest attempt attempts efforts effort dignity self soul spirit sense feelings emotions pain grief anger fear fears desire desires sexuality age youth time days years day year place side hour moment moments turn chance choice choices decision decisions behavior behaviour mistakes heroes demons secrets history memories memory relationship relationships marriage wedding affair affairs
hour director camera script scenes scene lines line dialogue acting singing dancing writing direction vision style material subject subjects audience fans fan cast crew character's art book books novel novels play plays show shows series story's
pale quiet pure third scenes plight feature complicated crass petite naive childlike sophomore paintings cub tragedies grace creators
power powers depth strength strengths energy courage wit humor humour raw gift gifts skill skills genius heritage roots background appearance image reputation legacy
beautiful lovely pretty strong weak sweet charming brilliant fine radiant dazzling wonderful amazing long short high low full unique trademark signature funny quirky sad tragic dark small huge large perfect poor rich`)

// nounSuffixes end nouns and adjectives that possessiveFollowers does not
// list ("her determination", "her performance", "her sweetness").
// Endings that verbs also have ("-al": reveal, steal; "-ent": prevent;
// "-ate": create) are left out, since "let her steal" is an object.
var nounSuffixes = []string{"tion", "tions", "sion", "ment", "ments", "ness", "ity", "ities", "ance", "ence", "ship", "hood", "ism", "ist", "ists", "ful", "ous", "ive", "able", "ible", "less", "est", "ish", "ure", "ures", "ician", "ics", "ical", "ual", "ial", "onal", "ers", "ors"}

// lyAdjectives end in -ly but are adjectives, so "her" before them is a
// possessive.
var lyAdjectives = wordSet(`lovely lonely friendly early only ugly holy silly deadly elderly lively likely costly curly family fly homely jolly kindly lowly manly motherly fatherly sisterly brotherly orderly oily scholarly sickly smelly surly timely ugly wily womanly worldly`)

// standaloneFollowers are words that, after "his", show it stands for a
// noun phrase ("the choice is his and hers alone", "his too") rather than
// determining one ("his film"): it then becomes "hers", not "her".
var standaloneFollowers = wordSet(`and or but nor too is was are were will would now then anyway either alone as than to`)

func wordSet(s string) map[string]bool {
	m := make(map[string]bool)
	for _, w := range strings.Fields(s) {
		m[w] = true
	}
	return m
}

// nextWord returns the word after byte offset i, lower case, if only
// spaces or tabs separate it from i; "" at the end of the text, before a
// line break or before punctuation. A word directly followed by a hyphen
// ("in-laws", "well-known") is a compound modifier and reported as "-",
// which no rule lists.
func nextWord(text string, i int) string {
	j := i
	for j < len(text) && (text[j] == ' ' || text[j] == '\t') {
		j++
	}
	r, _ := utf8.DecodeRuneInString(text[j:])
	if j >= len(text) || !isWordRune(r) {
		return ""
	}
	k := j
	for k < len(text) {
		r, n := utf8.DecodeRuneInString(text[k:])
		if !isWordRune(r) {
			break
		}
		k += n
	}
	if k < len(text) && text[k] == '-' {
		return "-"
	}
	return strings.ToLower(text[j:k])
}

// flipPronoun returns the pronoun of the other gender for the gendered
// pronoun w (lower case) at text[end:], chosen by its role:
//
//   - he ↔ she, himself ↔ herself, him → her, hers → his;
//   - her → him as an object (before the end, punctuation or an
//     objectFollowers word), his as a possessive (before a
//     possessiveFollowers word, a word with a nounSuffixes ending, a
//     hyphenated compound, an adjective in -ly), else "" (unknown: the
//     caller skips the swap);
//   - his → hers standing alone (before the end, punctuation or a
//     standaloneFollowers word), else her.
func flipPronoun(w, text string, end int) string {
	switch w {
	case "he":
		return "she"
	case "she":
		return "he"
	case "him":
		return "her"
	case "hers":
		return "his"
	case "himself":
		return "herself"
	case "herself":
		return "himself"
	case "her":
		return herRole(nextWord(text, end))
	case "his":
		if nw := nextWord(text, end); nw == "" || standaloneFollowers[nw] {
			return "hers"
		}
		return "her"
	}
	return w
}

// herRole returns what "her" becomes before the word nw (lower case, as
// nextWord gives it): "him", "his", or "" when the word does not tell.
func herRole(nw string) string {
	switch {
	case nw == "" || objectFollowers[nw]:
		return "him"
	case nw == "-" || possessiveFollowers[nw] || lyAdjectives[nw]:
		return "his"
	case strings.HasSuffix(nw, "ly") && len(nw) > 4:
		return "him" // an adverb: "kissed her gently"
	}
	for _, suf := range nounSuffixes {
		if strings.HasSuffix(nw, suf) && len(nw) > len(suf)+2 {
			return "his"
		}
	}
	return ""
}

// anPrefixes begin words written with a consonant letter but a vowel
// sound; aPrefixes words written with a vowel letter but a consonant sound
// ("a university", "a European", "a one-off"). Longer entries are checked
// first where they overlap ("unin…" is "an uninspired").
var (
	anPrefixes = []string{"hour", "honest", "honor", "honour", "heir"}
	aPrefixes  = []string{"eu", "ewe", "uni", "use", "usu", "uti", "ure", "uro", "uk", "ubiq", "one", "once", "uganda", "utah", "uruguay"}
	// vowelAfterUni are the "uni…" words said with a vowel ("an
	// uninspired film", "an unimportant one").
	vowelAfterUni = []string{"unin", "unim", "unid"}
)

// article returns "a" or "an" for the word w (any case), by its first
// sound: the vowel-letter rule with the exceptions above.
func article(w string) string {
	w = strings.ToLower(w)
	for _, p := range anPrefixes {
		if strings.HasPrefix(w, p) {
			return "an"
		}
	}
	for _, p := range vowelAfterUni {
		if strings.HasPrefix(w, p) {
			return "an"
		}
	}
	for _, p := range aPrefixes {
		if strings.HasPrefix(w, p) {
			return "a"
		}
	}
	r, _ := utf8.DecodeRuneInString(w)
	if strings.ContainsRune("aeiou", r) {
		return "an"
	}
	return "a"
}

// articleBefore finds an "a" or "an" (any case) that is the whole word
// directly before byte offset start, separated from it by spaces or tabs
// only. It returns the article's span, or ok = false.
func articleBefore(text string, start int) (Span, bool) {
	j := start
	for j > 0 && (text[j-1] == ' ' || text[j-1] == '\t') {
		j--
	}
	if j == start {
		return Span{}, false
	}
	k := j
	for k > 0 && k > j-3 {
		r, n := utf8.DecodeLastRuneInString(text[:k])
		if !isWordRune(r) {
			break
		}
		k -= n
	}
	if k > 0 {
		if r, _ := utf8.DecodeLastRuneInString(text[:k]); isWordRune(r) {
			return Span{}, false // a longer word ("Panama man")
		}
	}
	w := strings.ToLower(text[k:j])
	if w != "a" && w != "an" {
		return Span{}, false
	}
	return Span{k, j}, true
}

// articleCase writes art ("a" or "an") in the case of the article it
// replaces. A lone capital "A" is ambiguous between "A young man" and "A
// YOUNG MAN"; the word after it decides (upperNext).
func articleCase(art, orig string, upperNext bool) string {
	p := patternOf(orig)
	if orig == "A" && upperNext {
		p = upperCase
	}
	return withCase(art, p)
}

// abbreviations end with a full stop that does not end a sentence.
var abbreviations = wordSet(`mr mrs ms dr st jr sr prof mt vs`)

// sentences splits text into sentences, in order, covering it. A
// sentence ends after ".", "!", "?" or "…" followed by white space (or
// closing quotes and brackets, then white space) or the end of the text,
// and at every line break. A full stop after an abbreviation ("Mr. Smith")
// does not end one.
func sentences(text string) []Span {
	var out []Span
	start := 0
	for j := 0; j < len(text); j++ {
		if endsSentenceAt(text, j) {
			out = append(out, Span{start, j + 1})
			start = j + 1
		}
	}
	if start < len(text) || len(out) == 0 {
		out = append(out, Span{start, len(text)})
	}
	return out
}

// sentenceIndex returns the index of the sentence of ss holding byte i.
func sentenceIndex(ss []Span, i int) int {
	return sort.Search(len(ss), func(k int) bool { return ss[k].End > i })
}

// endsSentenceAt says whether a sentence ends with the byte at j (the last
// byte of its terminator).
func endsSentenceAt(text string, j int) bool {
	c := text[j]
	if c == '\n' {
		return true
	}
	var term bool
	switch {
	case c == '.' || c == '!' || c == '?':
		term = true
	case c == 0xa6 && j >= 2 && text[j-2:j+1] == "…":
		term = true
	}
	if !term {
		return false
	}
	k := j + 1
	for k < len(text) && strings.IndexByte(`"')]`, text[k]) >= 0 {
		k++
	}
	if k < len(text) {
		r, _ := utf8.DecodeRuneInString(text[k:])
		if !unicode.IsSpace(r) {
			return false
		}
	}
	if c == '.' {
		// The word before the stop: an abbreviation does not end the sentence.
		b := j
		for b > 0 {
			r, n := utf8.DecodeLastRuneInString(text[:b])
			if !isWordRune(r) {
				break
			}
			b -= n
		}
		if abbreviations[strings.ToLower(text[b:j])] {
			return false
		}
	}
	return true
}
