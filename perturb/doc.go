// Package perturb says what a perturbation of an input is. The features of
// an encoded text are its words (the words a reader names, found by
// Segment, with the tokens the tokenizer's offsets put in each), its
// tokens, or the phrases and sentences of its Outline; special tokens are
// never features, and punctuation marks need not be (FeatureOptions). A
// Coalition is the set of features kept; a Masker turns a coalition into
// a model row built straight from the encoded ids by one masking strategy
// (the mask token, padding, deletion or the unknown token), so a perturbed
// text is never re-tokenised. Of a sentence pair, each feature is in one of
// the two texts (Feature.Segment) and the template's tokens are never
// masked. The points between a baseline and the input
// in embedding space, for path attributions, are built in attribution.
package perturb
