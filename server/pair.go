package server

import (
	"unicode/utf8"

	"github.com/lucid-nlp/lucid/attribution"
	"github.com/lucid-nlp/lucid/models"
	"github.com/lucid-nlp/lucid/server/oippb"
	"github.com/lucid-nlp/lucid/tokenize"
)

// InputTextPair is the name of OIP v2's optional second BYTES input: the
// second texts of sentence pairs, one per text of the first input, encoded
// with the tokenizer's pair template.
const InputTextPair = "text_pair"

// pairAt is instance i's second text, nil when it is one text.
func pairAt(pairs []*string, i int) *string {
	if pairs == nil {
		return nil
	}
	return pairs[i]
}

// encodeInput encodes one instance: a text, or with pair set a sentence
// pair (the pair template, longest-first truncation).
func (m *servedModel) encodeInput(text string, pair *string) (*tokenize.Encoding, error) {
	if pair != nil {
		return m.tok.EncodePair(text, *pair)
	}
	return m.tok.Encode(text)
}

// checkPairs applies the per-text limits to the second texts of pairs.
func (s *Server) checkPairs(pairs []*string, where string) error {
	for i, p := range pairs {
		switch {
		case p == nil:
		case len(*p) > s.cfg.MaxTextBytes:
			return badRequest("%s[%d] text_pair is %d bytes long, above this server's limit of %d bytes (--max-text)", where, i, len(*p), s.cfg.MaxTextBytes)
		case !utf8.ValidString(*p):
			return badRequest("%s[%d] text_pair is not valid UTF-8", where, i)
		}
	}
	return nil
}

// withPair adds a sentence pair's second text and truncation to its
// prediction, and words the empty-text warning for the pair.
func withPair(out *Prediction, p predicted, text string) {
	if p.pair == nil {
		return
	}
	out.TextPair = &p.pair.Text
	out.Warnings = models.TextWarnings(text + p.pair.Text)
	if p.truncated {
		out.PairTruncation = &attribution.PairTruncation{Rule: tokenize.PairTruncation, RemovedFirst: p.pair.Removed[0], RemovedSecond: p.pair.Removed[1]}
	}
}

// inferInputs reads an OIP v2 infer request's inputs: one BYTES input of
// texts (inferTexts), or two, one of them named text_pair, whose texts
// pair up with the other's one by one (the same shape).
func (s *Server) inferInputs(req InferRequest) ([]string, []*string, error) {
	if len(req.Inputs) != 2 {
		texts, err := s.inferTexts(req)
		return texts, nil, err
	}
	p := -1
	for i, in := range req.Inputs {
		if in.Name == InputTextPair {
			if p >= 0 {
				return nil, nil, badRequest("inputs: both inputs are named %q; name the first texts %q and the second %q", InputTextPair, InputText, InputTextPair)
			}
			p = i
		}
	}
	if p < 0 {
		return nil, nil, badRequest("inputs: want exactly one input (BYTES, the texts), or two for sentence pairs, the second texts named %q; got two, neither named %q", InputTextPair, InputTextPair)
	}
	first := InferRequest{Inputs: []InferInput{req.Inputs[1-p]}}
	second := InferRequest{Inputs: []InferInput{req.Inputs[p]}}
	texts, err := s.inferTexts(first)
	if err != nil {
		return nil, nil, err
	}
	seconds, err := s.inferTexts(second)
	if err != nil {
		return nil, nil, err
	}
	if len(seconds) != len(texts) {
		return nil, nil, badRequest("inputs: %q has %d texts and %q %d: a sentence pair needs one second text per text", req.Inputs[1-p].Name, len(texts), InputTextPair, len(seconds))
	}
	pairs := make([]*string, len(texts))
	for i := range seconds {
		pairs[i] = &seconds[i]
	}
	return texts, pairs, nil
}

// pairText is instance i's second text, "" when it is one text.
func pairText(pairs []*string, i int) string {
	if p := pairAt(pairs, i); p != nil {
		return *p
	}
	return ""
}

// grpcInputs is inferInputs for the gRPC protocol: one BYTES input
// (grpcTexts), or two with the second texts named text_pair (in contents,
// or in raw_input_contents in the inputs' order).
func (s *Server) grpcInputs(req *oippb.ModelInferRequest) ([]string, []*string, error) {
	ins := req.GetInputs()
	if len(ins) != 2 {
		texts, err := s.grpcTexts(req)
		return texts, nil, err
	}
	p := -1
	for i, in := range ins {
		if in.GetName() == InputTextPair {
			if p >= 0 {
				return nil, nil, badRequest("inputs: both inputs are named %q; name the first texts %q and the second %q", InputTextPair, InputText, InputTextPair)
			}
			p = i
		}
	}
	if p < 0 {
		return nil, nil, badRequest("inputs: want exactly one input (BYTES, the texts), or two for sentence pairs, the second texts named %q; got two, neither named %q", InputTextPair, InputTextPair)
	}
	raw := req.GetRawInputContents()
	if len(raw) != 0 && len(raw) != 2 {
		return nil, nil, badRequest("raw_input_contents: want one entry per input (2), got %d", len(raw))
	}
	one := func(i int) ([]string, error) {
		sub := &oippb.ModelInferRequest{Inputs: ins[i : i+1]}
		if len(raw) == 2 {
			sub.RawInputContents = raw[i : i+1]
		}
		return s.grpcTexts(sub)
	}
	texts, err := one(1 - p)
	if err != nil {
		return nil, nil, err
	}
	seconds, err := one(p)
	if err != nil {
		return nil, nil, err
	}
	if len(seconds) != len(texts) {
		return nil, nil, badRequest("inputs: %q has %d texts and %q %d: a sentence pair needs one second text per text", ins[1-p].GetName(), len(texts), InputTextPair, len(seconds))
	}
	pairs := make([]*string, len(texts))
	for i := range seconds {
		pairs[i] = &seconds[i]
	}
	return texts, pairs, nil
}
