package auditcli

import (
	"github.com/lucid-nlp/lucid/fairness/pairtext"
)

// validatePairs checks the sentence-pair flags: --pair-side and
// --symmetric go with --text-pair-col, which needs a model (pairs are
// encoded with its tokenizer's pair template), and --text-pair-col is not
// --pair-col (a matched design's frame column).
func (f *Flags) validatePairs() error {
	if _, err := pairtext.ParseSide(f.PairSide); err != nil {
		return Usagef("--pair-side %q: want first, second or both", TermSafe(f.PairSide))
	}
	if f.TextPairCol == "" {
		switch {
		case f.PairSide != "" && f.PairSide != "both":
			return Usagef("--pair-side %s needs --text-pair-col (the second text of each pair)", f.PairSide)
		case f.Symmetric:
			return Usagef("--symmetric needs --text-pair-col (the second text of each pair)")
		}
		return nil
	}
	switch {
	case f.ModelFree():
		return Usagef("--text-pair-col %q: sentence pairs are scored by a model; it does not go with --checks data alone, --score-col or --prediction-col", TermSafe(f.TextPairCol))
	case f.TextPairCol == f.PairCol:
		return Usagef("--text-pair-col and --pair-col are both %q: --text-pair-col is the second text, --pair-col a matched design's frame id", TermSafe(f.TextPairCol))
	case f.TextPairCol == f.TextCol:
		return Usagef("--text-pair-col and --text-col are both %q: a pair needs two text columns", TermSafe(f.TextPairCol))
	}
	return nil
}

func pairSide(s string) pairtext.Side {
	side, _ := pairtext.ParseSide(s) // validatePairs checked it
	return side
}
