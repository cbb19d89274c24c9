package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/lucid-nlp/lucid/augment"
	"github.com/lucid-nlp/lucid/dataset"
	"github.com/lucid-nlp/lucid/fairness/counterfactual"
	"github.com/lucid-nlp/lucid/internal/atomicfile"
	"github.com/lucid-nlp/lucid/internal/bytesize"
)

const augmentHelp = `
Usage: lucid augment --data IN --out OUT [flags]

Counterfactual data augmentation: writes IN to OUT in the same format (CSV,
TSV or JSONL) with, after each row that mentions an identity term, copies of
it with the term swapped into the other groups of its family ("he" → "she",
"church" → "mosque"; gender, names, religion, nationality, age, or
--families FILE), by the same grammatical swaps as lucid audit's
counterfactual check. Labels are copied, never read.

  - Every original row is written byte for byte; a copy differs from its row
    only in the text (and --group-col). One column is added (--provenance-col, default
    provenance): empty for an original row, LINE|FAMILY|FROM→TO|TERM→REPL
    for a copy (the original row's line in IN).
  - Each swap changes one term (with its article and possessive); across
    gender it changes one person: the name or gendered word, the title and
    the pronouns, together. A row that mentions two people, a name no list
    swaps, or a "her" whose role is unclear is not swapped across gender;
    such rows are counted per family (unswapped; reasons in --report).
    --per-row N keeps N of a row's swaps, drawn with --seed (the same seed
    gives the same file).
  - --group-col COL: in a copy, a value of COL naming the group its text
    was swapped from becomes the group swapped to (case-insensitive; also
    m/man/men/boy ↔ f/woman/women/girl, white ↔ black, and the ethnicity or
    gender part of a name group); other values are kept, and values naming
    no group are warned about once each.
  - A copy equal to an original row or an earlier copy (same text, same other
    fields) is dropped; original rows are all kept. Rows are compared by
    64-bit hashes: memory grows by 11-21 bytes per distinct row, the chance
    of any collision under n²/2^65 (3e-6 for ten million rows).
  - IN is read twice, streaming. Rows the reader rejects (wrong field count,
    broken CSV quoting, invalid UTF-8, empty text) are skipped and reported
    (--strict stops at the first); when more than --max-skipped-share
    (default 0.01) of the rows are skipped the run fails (exit 1) and writes
    no OUT. OUT appears only when the run succeeds, written to a temporary
    file and renamed; a symlink, device or folder at OUT is refused, and
    OUT's folder is checked before IN is read.

Prints the counts per family to stderr; --report FILE writes them as JSON.

Reweighing (--reweigh; AIF360's Reweighing, Kamiran & Calders 2012): instead
of copies, writes IN to OUT with one column added (--weight-col, default
weight): each labelled row's weight w(g, y) = P(g)·P(y) / P(g, y), estimated
over the labelled rows, g the row's --group-col value (or, with --group-cross
a,b, its intersection "x | y") and y its label (--label-col, default label;
required). Under these weights every group has the same label distribution,
so a trainer that takes sample weights sees group and label independent.
Unlabelled rows get an empty weight (JSONL: null); labels compare without
case. A (group, label) cell with no row cannot be balanced: it is named.
lucid audit --checks data --group-col COL --weight-col weight on OUT shows
the weighted group-by-label table, P_w(label | group) equal across groups.
Prints the table to stderr; --report FILE writes it as JSON.

Examples:
  lucid augment --data train.tsv --out train_aug.tsv
  lucid augment --data train.csv --out aug.csv --family gender,religion --per-row 1 --seed 7
  lucid augment --data train.tsv --out aug.tsv --family gender --group-col gender
  lucid augment --data train.csv --out weighted.csv --reweigh --group-col gender
  lucid augment --data train.csv --out weighted.csv --reweigh --group-cross gender,age --label-col y
`

func runAugment(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("augment", augmentHelp, stderr)
	data := fs.String("data", "", "the training file: .csv, .tsv or .jsonl (required)")
	out := fs.String("out", "", "the augmented file to write, in the same format (required; not the input)")
	format := fs.String("format", "", "csv, tsv or jsonl (default: from the extension of --data)")
	textCol := fs.String("text-col", "", "text column (default: text, sentence or content)")
	familiesFile := fs.String("families", "", `JSON file of extra identity-term families: {"family": [["a1","a2"],["b1","b2"]]}`)
	var families stringList
	fs.Var(&families, "family", "swap only these families (built-in: gender,names,religion,nationality,age; default all)")
	perRow := fs.Int("per-row", 0, fmt.Sprintf("copies per row, drawn at random from its swaps; 0 writes every swap, at most %d", augment.MaxPerRow))
	seed := fs.Uint64("seed", 1, "seed of the --per-row draw")
	provCol := fs.String("provenance-col", augment.DefaultProvenanceCol, "name of the added provenance column")
	groupCol := fs.String("group-col", "", "group column whose value a copy changes from the swapped-from to the swapped-to group; with --reweigh, the group the weights balance")
	reportFile := fs.String("report", "", "also write the counts as JSON to this file")
	maxField := fs.String("max-field-size", "1MiB", "largest CSV/TSV/JSONL field; a longer one, or a runaway quote, is a bad row")
	strict := fs.Bool("strict", false, "stop at the first bad row instead of skipping and reporting it")
	maxSkipped := fs.Float64("max-skipped-share", augment.DefaultMaxSkippedShare, "fail, writing nothing, when more than this share of the rows are bad and skipped, in (0, 1]")
	reweighMode := fs.Bool("reweigh", false, "write a weight column (AIF360's Reweighing) instead of copies: needs labels and --group-col or --group-cross")
	labelCol := fs.String("label-col", "", "with --reweigh: the label column (default label)")
	groupCross := fs.String("group-cross", "", "with --reweigh: group columns whose intersection is the group, comma-separated, like gender,age")
	weightCol := fs.String("weight-col", augment.DefaultWeightCol, "with --reweigh: name of the added weight column")
	if err := parse(fs, args); err != nil {
		return err
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if !*reweighMode {
		for _, n := range []string{"label-col", "group-cross", "weight-col"} {
			if set[n] {
				return usagef("--%s is a --reweigh flag: add --reweigh, or leave it out", n)
			}
		}
	} else {
		for _, n := range []string{"family", "families", "per-row", "provenance-col"} {
			if set[n] {
				return usagef("--%s makes counterfactual copies, which --reweigh does not (reweigh the augmented file in a second run)", n)
			}
		}
	}
	if *data == "" || *out == "" {
		return usagef("--data IN and --out OUT are required")
	}
	if fs.NArg() > 0 {
		return usagef("unexpected arguments %q: augment reads --data", fs.Args())
	}
	if err := firstError(intFlag("per-row", *perRow, 0, augment.MaxPerRow), shareFlag("max-skipped-share", *maxSkipped, true)); err != nil {
		return err
	}
	fieldBytes, err := bytesize.Parse(*maxField)
	if err != nil || fieldBytes < 1 || fieldBytes > dataset.MaxLineBytes {
		return usagef("--max-field-size %q: want a size from 1 byte to %d MiB, like 1MiB", termSafe(*maxField), dataset.MaxLineBytes>>20)
	}
	f, err := dataset.ParseFormat(*format)
	if err != nil {
		return usageError{err.Error()}
	}
	if f == dataset.Auto {
		if f, err = dataset.DetectFormat(*data); err != nil {
			return usageError{err.Error()}
		}
	}
	if abs(*data) == abs(*out) {
		return usagef("--out %s is --data: write the augmented file elsewhere", termSafe(*out))
	}
	// The outputs are checked before the input is read: a symlink, device
	// or unwritable folder at --out (or --report) is found now, not after
	// two passes over the data.
	if err := atomicfile.PrepareFile(*out); err != nil {
		return fmt.Errorf("--out: %w", err)
	}
	if *reportFile != "" {
		if err := atomicfile.PrepareFile(*reportFile); err != nil {
			return fmt.Errorf("--report: %w", err)
		}
	}
	fams := counterfactual.Families()
	if *familiesFile != "" {
		extra, err := counterfactual.LoadFamilies(*familiesFile)
		if err != nil {
			return err
		}
		fams = append(fams, extra...)
	}
	if len(families) > 0 {
		if fams, err = counterfactual.SelectFamilies(fams, families...); err != nil {
			return usageError{err.Error()}
		}
	}
	if *reweighMode {
		var groups []string
		if *groupCol != "" {
			groups = append(groups, *groupCol)
		}
		if *groupCross != "" {
			if *groupCol != "" {
				return usagef("--group-col and --group-cross: give one group column, or the columns of one intersection")
			}
			for _, c := range strings.Split(*groupCross, ",") {
				if c = strings.TrimSpace(c); c != "" {
					groups = append(groups, c)
				}
			}
			if len(groups) < 2 {
				return usagef("--group-cross %q: name two or more group columns, comma-separated, like gender,age", termSafe(*groupCross))
			}
		}
		if len(groups) == 0 {
			return usagef("--reweigh needs the group column: --group-col COL (or --group-cross a,b)")
		}
		rcfg := augment.ReweighConfig{LabelCol: *labelCol, GroupCols: groups, WeightCol: *weightCol,
			Read:            dataset.Options{Format: f, TextCol: *textCol, MaxFieldBytes: int(fieldBytes), Strict: *strict},
			MaxSkippedShare: *maxSkipped}
		rep, err := augment.ReweighFile(ctx, *data, *out, rcfg)
		if rep == nil {
			if errors.Is(err, dataset.ErrMissingColumn) || strings.Contains(err.Error(), "reweighing needs") {
				return usageError{termSafe(err.Error())}
			}
			return err
		}
		// Too many rows skipped: the counts are still printed (and written
		// to --report); OUT is not written.
		printReweigh(stderr, *data, *out, rep)
		return errors.Join(err, writeAugmentReport(*reportFile, rep))
	}
	cfg := augment.Config{
		Families: fams, PerRow: *perRow, Seed: *seed, ProvenanceCol: *provCol, GroupCol: *groupCol,
		Read:            dataset.Options{Format: f, TextCol: *textCol, MaxFieldBytes: int(fieldBytes), Strict: *strict},
		MaxSkippedShare: *maxSkipped,
	}
	rep, err := augment.File(ctx, *data, *out, cfg)
	if rep == nil {
		return err
	}
	// Too many rows skipped: the counts are still printed (and written to
	// --report), so the user sees what went wrong; OUT is not written.
	printAugment(stderr, *data, *out, rep)
	return errors.Join(err, writeAugmentReport(*reportFile, rep))
}

// writeAugmentReport writes --report FILE, when given, as indented JSON
// (atomically: a torn report never replaces a whole one).
func writeAugmentReport(path string, rep any) error {
	if path == "" {
		return nil
	}
	b, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	if err := atomicfile.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("writing --report: %w", err)
	}
	return nil
}

// printReweigh writes --reweigh's summary: counts, then the (group,
// label) table with each cell's rows, rows expected under independence
// and weight.
func printReweigh(w io.Writer, in, out string, r *augment.ReweighReport) {
	fmt.Fprintf(w, "%s: %d rows (%d labelled, %d unlabelled), %d skipped; %s: weight column %s, w(g, y) = P(g)·P(y) / P(g, y) by %s and %s\n",
		termSafe(in), r.Rows, r.Labelled, r.Unlabelled, r.Skipped, termSafe(out), termSafe(r.WeightColumn), termSafe(strings.Join(r.GroupColumns, " × ")), termSafe(r.LabelColumn))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "group\tlabel\trows\texpected\tweight\t")
	for _, c := range r.Cells {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%.4g\t%.6g\t\n", termSafe(c.Group), termSafe(c.Label), c.Rows, c.Expected, c.Weight)
	}
	tw.Flush()
	for _, e := range r.EmptyCells {
		fmt.Fprintf(w, "warning: no row in cell %s: no weight can make this group's label distribution the others'\n", termSafe(e))
	}
	for i, b := range r.BadRows {
		if i == 10 {
			fmt.Fprintf(w, "... %d more bad rows (see --report)\n", r.Skipped-10)
			break
		}
		fmt.Fprintf(w, "skipped line %d: %s\n", b.Line, termSafe(b.Reason))
	}
}

func abs(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return p
}

// printAugment writes the stderr summary: totals, then one line per
// family with rows that mention it.
func printAugment(w io.Writer, in, out string, r *augment.Report) {
	fmt.Fprintf(w, "%s: %d rows (%d with identity terms), %d skipped; %d copies written, %d duplicates dropped; %s: %d rows\n",
		termSafe(in), r.Rows, r.RowsWithTerms, r.Skipped, r.Copies, r.Duplicates, termSafe(out), r.OutputRows)
	if r.DuplicateOriginals > 0 {
		fmt.Fprintf(w, "%d original rows repeat an earlier row (kept)\n", r.DuplicateOriginals)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "family\trows\tswaps\tsampled\tcopies\tduplicates\tunswapped\t")
	for _, f := range r.Families {
		if f.Rows == 0 && f.Unswapped == 0 {
			continue
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t%d\t\n", termSafe(f.Family), f.Rows, f.Candidates, f.Sampled, f.Copies, f.Duplicates, f.Unswapped)
	}
	tw.Flush()
	for i, b := range r.BadRows {
		if i == 10 {
			fmt.Fprintf(w, "... %d more bad rows (see --report)\n", r.Skipped-10)
			break
		}
		fmt.Fprintf(w, "skipped line %d: %s\n", b.Line, termSafe(b.Reason))
	}
	if r.GroupColumn != "" {
		fmt.Fprintf(w, "group column %s: %d copies changed group\n", termSafe(r.GroupColumn), r.GroupRewritten)
	}
	for _, v := range r.UnmatchedGroupValues {
		fmt.Fprintf(w, "warning: group column %s: value %q names no group of the families; %d copies keep it\n", termSafe(r.GroupColumn), termSafe(v.Value), v.Copies)
	}
	if r.Skipped > 0 {
		fmt.Fprintf(w, "warning: %d of %d rows of %s were bad and skipped: they are not in %s\n", r.Skipped, r.Rows+r.Skipped, termSafe(in), termSafe(out))
	}
	if !r.Read.Balanced {
		fmt.Fprintf(w, "warning: the input's lines do not add up: %+v\n", r.Read)
	}
}
