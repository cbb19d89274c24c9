// Package dataset streams labelled text out of CSV, TSV and JSONL files for
// lucid audit, one row at a time, so memory stays flat however long the
// file is: the reader holds one line (or one CSV record) and the header,
// never the file.
//
// A file's columns are found once, at Open: CSV and TSV by their header row,
// JSONL by the keys of the first object. Names are matched exactly, then
// case-insensitively. The text column defaults to the first of "text",
// "sentence" and "content" that is present, the label column to "label"
// (and a file without one is read with Label -1, for prediction-only
// audits). Every column asked for must exist; Open names the missing ones
// and lists the ones that do exist, because a typo in --text-col should
// stop the run before the model has spent an hour on it.
//
// Bad rows do not stop a run. Next returns a *RowError for a row with the
// wrong number of fields, unparseable JSON, an empty text, invalid UTF-8 or
// a label the model does not know; the caller reports it and calls Next
// again, and Skipped counts them. Any other error from Next is fatal (I/O).
//
// Format notes. TSV is split on tabs with no quote processing: SST-2 style
// files have unquoted text that contains '"', which a CSV parser would
// misread. CSV goes through encoding/csv with lazy quotes; a quoted field
// that is never closed swallows the rest of the file into one record (the
// CSV grammar allows newlines inside quotes), which is the one case where a
// malformed CSV file costs memory. A UTF-8 byte-order mark at the start is
// dropped, CRLF line endings are accepted, blank lines are skipped, and
// lines of any length up to MaxLineBytes are read.
package dataset
