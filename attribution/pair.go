package attribution

import (
	"fmt"

	"github.com/lucid-nlp/lucid/tokenize"
)

// encode is the request's input as the model reads it: Text alone, or the
// sentence pair (Text, TextPair) with the tokenizer's pair template.
func (req Request) encode(tok *tokenize.Tokenizer) (*tokenize.Encoding, error) {
	if req.Pair {
		return tok.EncodePair(req.Text, req.TextPair)
	}
	return tok.Encode(req.Text)
}

// checkPair refuses what does not take a sentence pair yet: the sliding
// window (which slides over one text) and the edit search (whose edited
// text is re-read as one text).
func (req Request) checkPair() error {
	if !req.Pair {
		if req.TextPair != "" {
			return fmt.Errorf("attribution: the request has a second text (TextPair) but Pair is not set")
		}
		return nil
	}
	switch {
	case req.Window:
		return fmt.Errorf("attribution: a sentence pair is not explained in windows: the pair template and longest-first truncation decide what the model reads (the result's pair_truncation says what was cut)")
	case req.Method == MethodCounterfactual || req.WhyNot != "":
		return fmt.Errorf("attribution: the edit search (--method counterfactual, --why-not) reads one text and does not take a sentence pair")
	}
	return nil
}

// PairTruncation says what longest-first truncation cut from a sentence
// pair: the rule and the tokens removed from the end of each text.
type PairTruncation struct {
	Rule          string `json:"rule"`
	RemovedFirst  int    `json:"removed_first"`
	RemovedSecond int    `json:"removed_second"`
}

// pairResult records the pair in res: the second text, the cut, and each
// feature's segment.
func pairResult(res *Result, enc *tokenize.Encoding, maxLen int) {
	if enc.Pair == nil {
		return
	}
	res.TextPair = &enc.Pair.Text
	if enc.Truncated {
		res.PairTruncation = &PairTruncation{Rule: tokenize.PairTruncation, RemovedFirst: enc.Pair.Removed[0], RemovedSecond: enc.Pair.Removed[1]}
		res.Warnings = append(res.Warnings, fmt.Sprintf("the pair has %d tokens and the model reads %d: %s truncation cut %d tokens from the end of the first text and %d from the end of the second; only what is left is explained",
			enc.FullLength, maxLen, tokenize.PairTruncation, enc.Pair.Removed[0], enc.Pair.Removed[1]))
	}
}

// featureText is the text feature f's offsets index: the request's first
// or second text.
func (req Request) featureText(segment int) string {
	if segment == 1 {
		return req.TextPair
	}
	return req.Text
}

// encodeResult encodes the input res explains: its text, or its sentence
// pair (Result.TextPair).
func encodeResult(tok *tokenize.Tokenizer, res *Result) (*tokenize.Encoding, error) {
	if res.TextPair != nil {
		return tok.EncodePair(res.Text, *res.TextPair)
	}
	return tok.Encode(res.Text)
}
