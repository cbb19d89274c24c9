// Package perturb says what a perturbation of an input is. The features of
// an encoded text are its words (the words a reader names, found by Segment,
// with the tokens the tokenizer's offsets put in each), its tokens, or the
// phrases and sentences of its Outline; special tokens are never features. A Coalition is the set of
// features kept; a masking strategy turns a coalition into a model row built
// straight from the encoded ids, so a perturbed text is never re-tokenised.
// For path attributions it also builds the points between a baseline and
// the input in embedding space.
package perturb
