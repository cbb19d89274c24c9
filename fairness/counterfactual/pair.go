package counterfactual

import "github.com/lucid-nlp/lucid/fairness/pairtext"

// pairSwaps are the swaps of a sentence pair (Config.Pairs) whose side is
// one text: that text's swaps, each put back in the pair, with their spans
// shifted to the pair's bytes. ok is false when swapsOf should swap the
// whole string: not a pair audit, PairSide both (the pair is then swapped
// as one text; the separator is no term), or not a pair.
func (a *Audit) pairSwaps(text string) ([]Swap, bool) {
	if !a.pairs || a.pairSide == pairtext.Both {
		return nil, false
	}
	x, y, ok := pairtext.Split(text)
	if !ok {
		return nil, false
	}
	if a.pairSide == pairtext.First {
		swaps := a.swapsOf(x)
		for i := range swaps {
			swaps[i].Text += pairtext.Sep + y
		}
		return swaps, true
	}
	swaps := a.swapsOf(y)
	shift := pairtext.SecondStart(x)
	for i := range swaps {
		s := &swaps[i]
		s.Text = x + pairtext.Sep + s.Text
		for _, sp := range [][]Span{s.Spans, s.NewSpans, s.Agreements, s.NewAgreements} {
			for k := range sp {
				sp[k].Start += shift
				sp[k].End += shift
			}
		}
	}
	return swaps, true
}
