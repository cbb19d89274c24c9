package perturb

import "github.com/lucid-nlp/lucid/tokenize"

// pairFeatures are the features of a sentence pair: each text's own, found
// in its own text (tokenize.Encoding.SegmentView), the first text's first.
func pairFeatures(enc *tokenize.Encoding, level Level, opt FeatureOptions) []Feature {
	var feats []Feature
	for s := range 2 {
		fs := FeaturesWith(enc.SegmentView(s), level, opt)
		for i := range fs {
			fs[i].Segment = s
		}
		feats = append(feats, fs...)
	}
	return feats
}

// pairOutline is the outline of a sentence pair: the first text's words,
// phrases and sentences, then the second's. A phrase or sentence never
// spans the two texts: the end of the first ends its last sentence.
func pairOutline(enc *tokenize.Encoding, opt FeatureOptions) Outline {
	a := NewOutlineWith(enc.SegmentView(0), opt)
	b := NewOutlineWith(enc.SegmentView(1), opt)
	o := Outline{text: enc.Text, pairText: enc.Pair.Text, drop: opt.DropPunctuation}
	o.Words = append(append(o.Words, a.Words...), b.Words...)
	for i := len(a.Words); i < len(o.Words); i++ {
		o.Words[i].Segment = 1
	}
	o.punct = append(append(o.punct, a.punct...), b.punct...)
	shift := func(spans []Span) []Span {
		out := make([]Span, len(spans))
		for i, s := range spans {
			out[i] = Span{s.Start + len(a.Words), s.End + len(a.Words)}
		}
		return out
	}
	o.Phrases = append(append(o.Phrases, a.Phrases...), shift(b.Phrases)...)
	o.Sentences = append(append(o.Sentences, a.Sentences...), shift(b.Sentences)...)
	return o
}

// segmentText is the text the words of segment s index.
func (o Outline) segmentText(s int) string {
	if s == 1 {
		return o.pairText
	}
	return o.text
}
