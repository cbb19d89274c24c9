// Package global aggregates explanations of many texts into a
// dataset-level view of a classifier (lucid explain --global): for every
// word type, its mean attribution towards each label with a 95% t
// interval over its occurrences, its mean |attribution|, its count and
// three example texts; and the words that push hardest towards and
// against each label — what shap's bar plot shows, from Lucid's own
// explanations.
//
// An Accumulator is a streaming, mergeable state, like the audit's: two
// Accumulators fed two parts of a file merge into the Accumulator of the
// whole, and Report gives byte-identical JSON however the texts were
// split, ordered or merged. Counts are integers, float sums are exact
// (stats.ExactSum), the example texts are the three with the smallest
// content hash, and the word types kept under the cap are the MaxWords
// with the smallest hash of the word (a bottom-k sample of the
// vocabulary): every kept type's figures are then exact, and the
// occurrences of the types not kept are counted. A frequency sketch
// (Misra–Gries, space-saving) would keep the frequent words instead, but
// what it keeps depends on the order the words arrive in, so parts merged
// in another order would report other numbers; below the cap (default
// 100,000 types, more than SST-2's whole vocabulary) nothing is dropped.
//
// The package depends on attribution's Result type only: it never runs a
// model, so it is tested with results whose aggregates are known.
package global
