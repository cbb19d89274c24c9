package report

import (
	"fmt"
	"html/template"
	"math"
	"slices"
	"unicode/utf8"

	"github.com/lucid-nlp/lucid/attribution"
	"github.com/lucid-nlp/lucid/fairness/counterfactual"
)

// Seg is one piece of a displayed text: plain, or a highlighted span.
type Seg struct {
	Text  string
	Tok   bool
	Class string
	Style template.CSS
	Title string
	Attr  string
	// Mark is set on a heatmap token that a counterfactual swap changed:
	// "swap" for the swapped term, "agree" for a word rewritten to agree
	// with it (an article, a pronoun, a possessive).
	Mark string
}

// Heat is a token heatmap: a text with every feature coloured by its
// attribution.
type Heat struct {
	Segs []Seg
	// Unplaced counts features whose offsets do not fit the text; they are
	// left out of the heatmap.
	Unplaced int
	Target   string
}

// span is a byte range [start, end) of a text and what it stands for.
type span struct{ start, end, idx int }

// utf8Boundary reports whether byte offset i of s starts a character (or
// is the end of s).
func utf8Boundary(s string, i int) bool {
	return i == len(s) || (i >= 0 && i < len(s) && utf8.RuneStart(s[i]))
}

// placeFeatures finds each feature's byte span in text: its byte offsets
// when they fit, else its character offsets converted to bytes. Features
// that fit neither way, are empty, or overlap an earlier one are counted
// as unplaced.
func placeFeatures(text string, feats []attribution.FeatureAttribution) (spans []span, unplaced int) {
	var runeOff []int // byte offset of each character, then len(text)
	for i, f := range feats {
		bs, be := f.ByteStart, f.ByteEnd
		if !(0 <= bs && bs < be && be <= len(text) && utf8Boundary(text, bs) && utf8Boundary(text, be)) {
			if runeOff == nil {
				for j := range text {
					runeOff = append(runeOff, j)
				}
				runeOff = append(runeOff, len(text))
			}
			if !(0 <= f.Start && f.Start < f.End && f.End < len(runeOff)) {
				unplaced++
				continue
			}
			bs, be = runeOff[f.Start], runeOff[f.End]
		}
		spans = append(spans, span{bs, be, i})
	}
	return dropOverlaps(spans, unplaced)
}

func dropOverlaps(spans []span, dropped int) ([]span, int) {
	slices.SortStableFunc(spans, func(a, b span) int { return a.start - b.start })
	out := spans[:0]
	end := 0
	for _, s := range spans {
		if s.start < end {
			dropped++
			continue
		}
		out = append(out, s)
		end = s.end
	}
	return out, dropped
}

// segments cuts text at the spans, which must be sorted and disjoint,
// making each span's segment with mk.
func segments(text string, spans []span, mk func(s span) Seg) []Seg {
	var segs []Seg
	at := 0
	for _, s := range spans {
		if s.start > at {
			segs = append(segs, Seg{Text: text[at:s.start]})
		}
		seg := mk(s)
		seg.Text, seg.Tok = text[s.start:s.end], true
		segs = append(segs, seg)
		at = s.end
	}
	if at < len(text) {
		segs = append(segs, Seg{Text: text[at:]})
	}
	return segs
}

// maxAbs is the largest finite |attribution| over the results' features.
func maxAbs(rs ...*attribution.Result) float64 {
	m := 0.0
	for _, r := range rs {
		if r == nil {
			continue
		}
		for _, f := range r.Features {
			if a := math.Abs(f.Attribution); finite(a) && a > m {
				m = a
			}
		}
	}
	return m
}

// Full colours of the heatmap, at the largest |attribution|: light enough
// for dark text on top, with a stronger underline of the same hue.
var (
	posFull, posLine = [3]float64{74, 222, 128}, "rgb(22,163,74)"
	negFull, negLine = [3]float64{248, 113, 113}, "rgb(220,38,38)"
)

// heatClass is the sign class of an attribution: pos, neg or zero.
func heatClass(v float64) string {
	switch {
	case v > 0:
		return "pos"
	case v < 0:
		return "neg"
	}
	return "zero" // zero or NaN
}

// heatStyle is the background of a feature with attribution v when the
// largest |attribution| is max: white mixed with the sign's full colour in
// proportion |v| / max.
func heatStyle(v, max float64) template.CSS {
	line := "rgb(156,163,175)"
	switch heatClass(v) {
	case "pos":
		line = posLine
	case "neg":
		line = negLine
	}
	return template.CSS(fmt.Sprintf("%s;border-bottom-color:%s", heatBG(v, max), line))
}

// heatBG is heatStyle's background alone.
func heatBG(v, max float64) template.CSS {
	a := 0.0
	if max > 0 && finite(v) {
		a = math.Min(math.Abs(v)/max, 1)
	}
	full := posFull
	switch heatClass(v) {
	case "neg":
		full = negFull
	case "zero":
		a = 0
	}
	c := func(i int) int { return int(math.Round(255 + (full[i]-255)*a)) }
	return template.CSS(fmt.Sprintf("background-color:rgb(%d,%d,%d)", c(0), c(1), c(2)))
}

// heatmap builds r's heatmap with intensities relative to max.
func heatmap(r *attribution.Result, max float64) Heat { return markedHeatmap(r, max, nil, nil) }

// markedHeatmap is heatmap with the features that overlap a swapped
// term's span (swapped) or a grammatical agreement's (agreed) marked.
func markedHeatmap(r *attribution.Result, max float64, swapped, agreed []counterfactual.Span) Heat {
	spans, unplaced := placeFeatures(r.Text, r.Features)
	target := targetName(r.Target)
	if r.Head == "regression" {
		target = "a higher score" // a regression head's one output is its score
	}
	segs := segments(r.Text, spans, func(s span) Seg {
		f := r.Features[s.idx]
		v := f.Attribution
		dir := "towards " + isolate(target)
		if v < 0 {
			dir = "against " + isolate(target)
		} else if !(v > 0) {
			dir = "no effect"
		}
		title := fmt.Sprintf("%s: %s (%s)", isolate(f.Text), fmtSigned(v, digitsRate), dir)
		if f.StdErr != nil && finite(*f.StdErr) {
			title = fmt.Sprintf("%s: %s ± %s (%s)", isolate(f.Text), fmtSigned(v, digitsRate), fmtFloat(*f.StdErr, digitsRate), dir)
		}
		mark := swapKind(s.start, s.end, swapped, agreed)
		switch mark {
		case "swap":
			title += " · swapped term"
		case "agree":
			title += " · rewritten for grammar"
		}
		return Seg{Class: heatClass(v), Style: heatStyle(v, max), Title: title, Attr: fmtFloat(v, digitsRate), Mark: mark}
	})
	return Heat{Segs: segs, Unplaced: unplaced, Target: r.Target}
}

// swapKind says what a counterfactual swap did to the byte range [start,
// end) of a text: "swap" when it overlaps a swapped term's span, "agree"
// when it overlaps a grammatical agreement's, "" otherwise.
func swapKind(start, end int, swapped, agreed []counterfactual.Span) string {
	overlaps := func(sp []counterfactual.Span) bool {
		for _, s := range sp {
			if start < s.End && s.Start < end {
				return true
			}
		}
		return false
	}
	switch {
	case overlaps(swapped):
		return "swap"
	case overlaps(agreed):
		return "agree"
	}
	return ""
}

// markSpans highlights the byte spans of a counterfactual swap in text:
// the swapped term's (class "swap") and the words rewritten to agree
// with it (class "agree"). Spans that do not fit the text, or overlap an
// earlier one, are ignored.
func markSpans(text string, swapped, agreed []counterfactual.Span) []Seg {
	var spans []span
	for kind, sp := range [][]counterfactual.Span{swapped, agreed} {
		for _, s := range sp {
			if 0 <= s.Start && s.Start < s.End && s.End <= len(text) && utf8Boundary(text, s.Start) && utf8Boundary(text, s.End) {
				spans = append(spans, span{s.Start, s.End, kind})
			}
		}
	}
	spans, _ = dropOverlaps(spans, 0)
	return segments(text, spans, func(s span) Seg {
		if s.idx == 1 {
			return Seg{Class: "agree"}
		}
		return Seg{Class: "swap"}
	})
}

// Legend explains a heatmap's colours; Max is the |attribution| drawn in
// full colour.
type Legend struct{ Target, Max string }

// targetName names a target label in a sentence.
func targetName(t string) string {
	if t == "" {
		return "the target"
	}
	return t
}
