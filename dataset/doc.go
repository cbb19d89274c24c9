// Package dataset streams labelled text out of CSV, TSV and JSONL files for
// lucid audit, one row at a time, so memory stays flat however long the
// file is: the reader holds one record (bounded by the field cap and
// MaxLineBytes) and the header, never the file.
//
// A file's columns are found once, at Open: CSV and TSV by their header row,
// JSONL by the keys of the first object. Names are matched exactly, then
// case-insensitively. The text column defaults to the first of "text",
// "sentence" and "content" that is present, the label column to "label"
// (and a file without one is read with Label -1, for prediction-only
// audits). Every column asked for must exist; Open names the missing ones
// (wrapping ErrMissingColumn) and lists the ones that do exist, because a
// typo in --text-col should stop the run before the model has spent an
// hour on it. A format that is neither given nor told by the extension
// (.txt, .json) is an error wrapping ErrUnknownFormat.
//
// Labels and groups as users have them. An empty or blank label cell (in
// JSONL also null or an absent field) is an unlabelled row: it is returned
// with Label -1 and counted by Unlabelled, for the checks that need no
// label. A non-empty label the model does not know is a bad row. Group
// values are trimmed; an empty one is MissingGroup (""), a missing value
// rather than a group.
//
// Bad rows do not stop a run. Next returns a *RowError for a row with the
// wrong number of fields, malformed CSV quoting, unparseable JSON, an empty
// text, invalid UTF-8, a field over the cap or an unknown label; the caller
// reports it and calls Next again, and Skipped counts them. Any other error
// from Next is fatal (I/O). With Options.Strict the first bad row is fatal
// instead: Next returns a *StrictError (wrapping ErrStrict, and
// deliberately not the *RowError, so a loop that skips RowErrors stops).
//
// Nothing is lost without being counted. Reconcile accounts for every
// physical line read as header, blank, row, skipped row or interrupted row
// (read, but in the batch Batches was filling when its context was done,
// so never handed on), and says whether those add up to the lines read
// (Balanced); a report can show both sides.
//
// Hostile input. OpenContext opens and reads through internal/readcap, so
// a FIFO without a writer or a stalled pipe gives up when the context is
// done. A line over MaxLineBytes is skipped unread; a line that runs on
// for readcap.MaxRunawayLine (1 GiB) without a line end (/dev/zero, a
// binary file) is a fatal error naming the file and the line, so such an
// input ends the run in bounded time and memory.
//
// CSV is read by this package's own RFC 4180 record reader, not
// encoding/csv, whose LazyQuotes let one stray quote swallow the rest of a
// file into one field, or glue two rows together. Quoted fields may hold
// separators, doubled quotes and newlines; a quote inside an unquoted field
// is kept as a literal (5" screen). A record is malformed when a quote
// inside a quoted field is neither doubled nor followed by the separator or
// the line end, when a quoted field is still open at the end of the file,
// or when one is still open past the field cap (Options.MaxFieldBytes,
// default 1 MiB). A malformed record is reported against the line it
// started on, with the line where its quote opened and what went wrong,
// and reading resumes at the next physical line: the lines read past it
// are read again, so a stray quote costs one line. (A legal quoted field
// longer than the cap cannot be told from an unclosed one; raise the cap
// for such files.) Each stray quote costs one re-read of up to the cap.
// Re-reading is budgeted so that reading stays linear in the file's size
// (four caps plus twice the bytes read so far): in a file where line after
// line opens a quote that never closes properly, once the budget is spent
// a malformed record's lines are skipped together, each counted, and the
// reason says so.
//
// Rows as written. Raw gives the row Next last returned as it is in the
// file (its bytes, the span of its text value, its line ending) and
// RawHeader the header row, so a tool that writes rows back (lucid
// augment) keeps every other field byte for byte. Options.IgnoreLabels
// reads a file without looking at its labels, for such tools.
//
// Format notes. TSV is split on tabs with no quote processing: SST-2 style
// files have unquoted text that contains '"', which a CSV parser would
// misread. TSV and JSONL values over the field cap are bad rows too. A
// UTF-8 byte-order mark at the start is dropped, CRLF line endings are
// accepted (CRLF inside a quoted CSV field reads as LF), blank lines are
// skipped and counted, and lines of any length up to MaxLineBytes are read.
package dataset
