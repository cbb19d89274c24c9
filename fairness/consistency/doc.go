// Package consistency runs CheckList-style behavioural tests on a text
// classifier, over any stream of texts (a validation set, production
// traffic), with no labels needed except for slices:
//
//   - Invariance: a meaning-preserving edit (a typo in a word that carries
//     no sentiment, punctuation, casing, contractions, neutral names and
//     places, extra white space) should not change the predicted label.
//   - Directional: adding a negation should move the score against the
//     original prediction (for a text predicted positive, the positive
//     score goes down); adding an intensifier should move it further
//     towards the original prediction (away from 0.5 for a binary model).
//   - Slice stability: accuracy by slice of the data (short texts, texts
//     with a negation, with a question, ...), each with a Wilson interval.
//   - Explanation stability: SpearmanRank and TopKOverlap compare two
//     attribution vectors for the same text.
//
// Edits are small, documented heuristics, not a grammar: each says when it
// does not apply (the text has nothing to edit) rather than force a change,
// and each is seeded so a run can be repeated exactly. Runner scores
// originals and edits together in full batches; its memory is bounded by
// one batch plus a few counters and K examples per test.
package consistency
