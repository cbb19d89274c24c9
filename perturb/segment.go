package perturb

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/rivo/uniseg"
)

// WordSpan is one word of a text as a reader would name it: the bytes
// [Start, End) of the text. Punct is true when every character of it is a
// punctuation mark (Unicode category P): such words are features unless
// FeatureOptions.DropPunctuation leaves them out.
type WordSpan struct {
	Start, End int
	Punct      bool
}

// Segment splits text into the words a reader would name, independently of
// any tokenizer. The rules, applied to each run of non-space characters:
//
//  1. A URL (from "http://", "https://" or "www." to the end of the run,
//     less trailing . , ; : ! ? ' " and closing brackets that have no
//     opening partner inside the URL) is one word.
//  2. Everything else is split at Unicode UAX #29 word boundaries
//     (github.com/rivo/uniseg, which the module already depends on for
//     grapheme clusters; golang.org/x/text has no word segmenter). UAX #29
//     already keeps contractions and possessives ("don't", "it’s",
//     "director's", "n't"), numbers with separators ("1,000", "3.5"),
//     words with underscores, and emoji sequences (ZWJ sequences, skin
//     tones, flags, keycaps) whole, and makes every punctuation mark its
//     own word. Where uniseg leaves several grapheme clusters without a
//     letter or digit in one word ("😍😍"), each cluster is a word.
//  3. Tailoring on top of UAX #29, each a reader's single word that it
//     splits: letters or digits joined by hyphens ("well-made",
//     "on-the-nose", "9-to-5"); "@" or "#" right before a word at the
//     start of a run or after punctuation (@handles, #hashtags); a run
//     that starts with an apostrophe and a clitic (the pre-split "'s",
//     "'re", "'ll", "'ve", "'d", "'m" of SST-2 and Penn Treebank text);
//     Penn Treebank's bracket words "-lrb-", "-rrb-", "-lsb-", "-rsb-",
//     "-lcb-", "-rcb-"; initialisms with their final period ("e.g.",
//     "U.S."); e-mail addresses (a word, "@", a word: "me@example.com");
//     and repeats of one punctuation mark ("...", "!!", "--").
//
// Whitespace separates words and is never part of one, so pre-split text
// ("does n't") keeps its pieces as separate words ("does", "n't").
func Segment(text string) []WordSpan {
	var out []WordSpan
	for i := 0; i < len(text); {
		r, size := utf8.DecodeRuneInString(text[i:])
		if unicode.IsSpace(r) {
			i += size
			continue
		}
		j := i
		for j < len(text) {
			r, size := utf8.DecodeRuneInString(text[j:])
			if unicode.IsSpace(r) {
				break
			}
			j += size
		}
		out = segmentRun(text, i, j, out)
		i = j
	}
	return out
}

// segmentRun appends the words of text[from:to], a run without spaces.
func segmentRun(text string, from, to int, out []WordSpan) []WordSpan {
	run := text[from:to]
	if u := urlStart(run); u >= 0 {
		end := urlEnd(run, u)
		out = segmentPlain(text, from, from+u, out)
		out = append(out, WordSpan{Start: from + u, End: from + end})
		return segmentRun(text, from+end, to, out)
	}
	return segmentPlain(text, from, to, out)
}

// urlStart is the byte index in run where a URL starts, or -1.
func urlStart(run string) int {
	lower := strings.ToLower(run)
	best := -1
	for _, p := range []string{"https://", "http://", "www."} {
		k := strings.Index(lower, p)
		if k < 0 {
			continue
		}
		// "www." must start a word: not the tail of "awww.".
		if p == "www." && k > 0 {
			prev, _ := utf8.DecodeLastRuneInString(run[:k])
			if isWordRune(prev) {
				continue
			}
		}
		if best < 0 || k < best {
			best = k
		}
	}
	if best >= 0 && len(strings.TrimRight(lower[best:], "/:.")) <= len("https") {
		return -1 // a bare "http://" or "www." is not a URL
	}
	return best
}

// urlEnd is where the URL starting at u in run ends: the run's end less the
// trailing punctuation a sentence puts after a URL.
func urlEnd(run string, u int) int {
	end := len(run)
	for end > u {
		r, size := utf8.DecodeLastRuneInString(run[:end])
		switch {
		case strings.ContainsRune(".,;:!?'\"’”", r):
			end -= size
			continue
		case strings.ContainsRune(")]}", r):
			open := map[rune]string{')': "(", ']': "[", '}': "{"}[r]
			body := run[u : end-size]
			if strings.Count(body, open) <= strings.Count(body, string(r)) {
				end -= size
				continue
			}
		}
		break
	}
	return end
}

// segmentPlain appends the words of text[from:to] (no spaces, no URL):
// UAX #29 words, then the tailoring Segment lists.
func segmentPlain(text string, from, to int, out []WordSpan) []WordSpan {
	if from >= to {
		return out
	}
	run := text[from:to]
	if isBracketWord(run) || isClitic(run) {
		return append(out, WordSpan{Start: from, End: to})
	}
	var segs []WordSpan
	rest, state, at := run, -1, from
	for len(rest) > 0 {
		var w string
		w, rest, state = uniseg.FirstWordInString(rest, state)
		if isWordy(w) || uniseg.GraphemeClusterCount(w) == 1 {
			segs = append(segs, WordSpan{Start: at, End: at + len(w)})
		} else {
			// uniseg keeps runs of pictographs ("😍😍") together; each
			// emoji (a grapheme cluster: ZWJ sequence, skin tone, flag)
			// is a word of its own.
			g := uniseg.NewGraphemes(w)
			for g.Next() {
				a, b := g.Positions()
				segs = append(segs, WordSpan{Start: at + a, End: at + b})
			}
		}
		at += len(w)
	}
	segs = tailor(text, segs)
	for k := range segs {
		segs[k].Punct = onlyRunes(text[segs[k].Start:segs[k].End], unicode.IsPunct)
	}
	return append(out, segs...)
}

// tailor merges the UAX #29 words of one run that Segment's tailoring joins.
func tailor(text string, segs []WordSpan) []WordSpan {
	str := func(s WordSpan) string { return text[s.Start:s.End] }
	var out []WordSpan
	for k := 0; k < len(segs); k++ {
		cur := segs[k]
		switch {
		// @handle, #hashtag: the sign at the run's start or after
		// punctuation, a word right after it.
		case (str(cur) == "@" || str(cur) == "#") && k+1 < len(segs) && isWordy(str(segs[k+1])) &&
			(len(out) == 0 || onlyRunes(str(out[len(out)-1]), unicode.IsPunct)):
			cur.End = segs[k+1].End
			k++
		// Repeats of one punctuation mark.
		case isPunctRune(str(cur)):
			mark := str(cur)
			for k+1 < len(segs) && str(segs[k+1]) == mark {
				cur.End = segs[k+1].End
				k++
			}
		}
		// Hyphenated compounds, word (-word)+, and e-mail addresses,
		// word@word.
		if isWordy(str(cur)) {
			if k+2 < len(segs) && str(segs[k+1]) == "@" && isWordy(str(segs[k+2])) {
				cur.End = segs[k+2].End
				k += 2
			}
			for k+2 < len(segs) && isHyphen(str(segs[k+1])) && isWordy(str(segs[k+2])) {
				cur.End = segs[k+2].End
				k += 2
			}
			// Initialisms keep their final period: "e.g.", "U.S.".
			if k+1 < len(segs) && str(segs[k+1]) == "." && isInitialism(str(cur)) {
				cur.End = segs[k+1].End
				k++
			}
		}
		out = append(out, cur)
	}
	return out
}

// isWordy: the UAX #29 word has a letter or digit in it (so it is a word,
// a number or a contraction, not a mark or an emoji).
func isWordy(s string) bool {
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			return true
		}
	}
	return false
}

func isWordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_' }

func isHyphen(s string) bool { return s == "-" || s == "\u2010" || s == "\u2011" }

// isPunctRune: s is a single punctuation mark.
func isPunctRune(s string) bool {
	r, size := utf8.DecodeRuneInString(s)
	return size == len(s) && size > 0 && unicode.IsPunct(r)
}

// isInitialism: letters separated by single periods, as UAX #29 leaves
// "e.g" and "U.S" before their last period.
func isInitialism(s string) bool {
	parts := strings.Split(s, ".")
	if len(parts) < 2 {
		return false
	}
	for _, p := range parts {
		if utf8.RuneCountInString(p) != 1 || !unicode.IsLetter([]rune(p)[0]) {
			return false
		}
	}
	return true
}

var bracketWords = map[string]bool{"-lrb-": true, "-rrb-": true, "-lsb-": true, "-rsb-": true, "-lcb-": true, "-rcb-": true}

func isBracketWord(run string) bool { return bracketWords[strings.ToLower(run)] }

var clitics = map[string]bool{"s": true, "re": true, "ll": true, "ve": true, "d": true, "m": true}

// isClitic: the whole run is an apostrophe and a clitic ("'s", "’re").
func isClitic(run string) bool {
	for _, a := range []string{"'", "’"} {
		if rest, ok := strings.CutPrefix(run, a); ok && clitics[strings.ToLower(rest)] {
			return true
		}
	}
	return false
}
