// Package augment writes counterfactual data augmentation of a training
// file: every row is copied through unchanged, and after each row that
// mentions an identity term come copies of it with the term swapped for
// its counterpart in other groups of its family ("he" → "she", "church" →
// "mosque"), made by the counterfactual audit's own grammatical swaps
// (counterfactual.Counterfactuals), so that a model trained on the result
// sees each identity in the same contexts with the same labels.
//
// What a copy is. Each swap of counterfactual.Counterfactuals is one
// copy: one term of one family swapped into one other group (with the
// agreements that keep the sentence grammatical: articles, possessives).
// Across gender a copy changes one person: the name or gendered word, the
// title and the pronouns together; a row where that cannot be done (two
// people, both genders, an unlisted name, an unclear "her") gets no
// cross-gender copy. A row that mentions several terms gets one copy per
// (term, other group), each changing one term; terms are not swapped all
// at once. Config.PerRow keeps at most N of a
// row's swaps, drawn without replacement by a generator seeded with
// (Config.Seed, the row's line), so the choice does not depend on any
// other row and the same seed gives the same file.
//
// What is kept. The file keeps its format (CSV, TSV, JSONL) and every
// byte of every original row; a copy differs from its row only in the
// text value, and in the group column when Config.GroupCol names one: a
// value naming the group the copy was swapped from becomes the group it
// was swapped to (groupcol.go). One column is added, Config.ProvenanceCol: empty for an
// original row, and for a copy "LINE|FAMILY|FROM→TO|TERM→REPLACEMENT" (the
// original row's first line in the input, the family, the groups and the
// terms; see Provenance). Labels are never read, only copied, so any label
// column works. Line endings are kept per row; a row whose file ends
// without one gets the file's ending. (A byte-order mark at the start of
// the input is not copied.) A copy's text is written fresh: a
// CSV copy quotes it when the original field was quoted or the text needs
// it, and a CRLF inside a quoted CSV text becomes LF in the copy (only
// there).
//
// Duplicates. A copy is dropped when it duplicates an original row or an
// earlier copy: the same text (decoded) and the same bytes in the rest of
// the record (every other field as written). Original rows are never
// dropped; how many duplicate an earlier original is reported. Run reads
// the input twice: the first pass hashes every original row, so that a copy
// equal to a row further down the file is caught too. Rows are compared by
// 64-bit hashes (SHA-256, truncated), so memory grows by one 8-byte slot
// of an open-addressing table at most 3/4 full (11–21 bytes) per distinct
// row and is otherwise flat. Two different rows collide with probability
// at most about n²/2⁶⁵ over n distinct rows (under 3·10⁻⁶ for ten
// million), and a collision drops one copy, never an original.
//
// Bad rows. Rows the dataset reader rejects (wrong field count, broken
// quoting, invalid UTF-8, an empty text, a field over the cap) cannot be
// copied faithfully and are skipped: counted, their lines and reasons
// reported (the first MaxBadRowsShown), and the reader's reconciliation of
// every input line included in the Report. With Config.Read.Strict the
// first one stops the run instead.
//
// Reweighing. Reweigh (lucid augment --reweigh) writes a file through
// unchanged but for one added column, each labelled row's weight
// P(g)·P(y)/P(g, y) for its group g and label y (AIF360's Reweighing,
// Kamiran & Calders 2012), which makes group and label independent in the
// weighted data; it makes no copies. See reweigh.go.
package augment
