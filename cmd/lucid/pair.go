package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/lucid-nlp/lucid/attribution"
	"github.com/lucid-nlp/lucid/dataset"
	"github.com/lucid-nlp/lucid/models"
	"github.com/lucid-nlp/lucid/tokenize"
)

// pairHelp is what predict and explain say about --pair.
const pairHelp = `
Sentence pairs (--pair): each input is two texts with one tab between them,
"text<TAB>text_pair" (NLI premise and hypothesis, question and passage,
query and document), encoded with the tokenizer's pair template ([CLS] A
[SEP] B [SEP] with token type ids 0 for A and 1 for B on BERT-style models;
<s> A </s></s> B </s> on RoBERTa). A line without a tab, or with more than
one, is an error for that line. A pair longer than the model reads is cut
longest-first, as Hugging Face's tokenizers do: tokens come off the end of
the longer text until the pair fits or both texts are at half (the longer
keeps an odd token); JSON says what each text lost ("pair_truncation":
{"rule": "longest-first", "removed_first": N, "removed_second": M}).
`

// splitPair reads "text<TAB>text_pair".
func splitPair(s string) (string, string, error) {
	a, b, ok := strings.Cut(s, "\t")
	switch {
	case !ok:
		return "", "", fmt.Errorf("--pair: the input has no tab between the two texts (want \"text<TAB>text_pair\"): %q", clipInput(s))
	case strings.Contains(b, "\t"):
		return "", "", fmt.Errorf("--pair: the input has %d tabs; want exactly one, between the two texts: %q", strings.Count(s, "\t"), clipInput(s))
	}
	return a, b, nil
}

func clipInput(s string) string {
	if len(s) > 80 {
		return s[:77] + "..."
	}
	return s
}

// pairTruncationJSON is what predict's JSON says of a cut pair.
func pairTruncationJSON(pr models.Prediction) *attribution.PairTruncation {
	if !pr.Truncated {
		return nil
	}
	return &attribution.PairTruncation{Rule: tokenize.PairTruncation, RemovedFirst: pr.Removed[0], RemovedSecond: pr.Removed[1]}
}

// pairSeparator stands between the two texts of a pair in terminal output.
const pairSeparator = "  ⇥  "

// renderPairTexts prints a pair explanation's two texts apart, each with
// its own features coloured.
func renderPairTexts(w io.Writer, r *attribution.Result, maxAbs float64, color bool) {
	for seg, name := range []string{"text", "pair"} {
		text := r.Text
		if seg == 1 {
			text = *r.TextPair
		}
		var b strings.Builder
		last := 0
		for _, f := range r.Features {
			if f.Segment == nil || *f.Segment != seg {
				continue
			}
			b.WriteString(termSafe(text[last:f.ByteStart]))
			b.WriteString(paint(termSafe(text[f.ByteStart:f.ByteEnd]), f.Attribution, maxAbs, color))
			last = f.ByteEnd
		}
		b.WriteString(termSafe(text[last:]))
		pre := "\n"
		if seg == 1 {
			pre = ""
		}
		fmt.Fprintf(w, "%s  %-5s %s\n", pre, name+":", b.String())
	}
	fmt.Fprintln(w)
}

// featureLabel is a feature as the top list names it: of a pair, with the
// text it is in.
func featureLabel(f attribution.FeatureAttribution) string {
	if f.Segment == nil {
		return termSafe(f.Text)
	}
	return fmt.Sprintf("%s (%s)", termSafe(f.Text), [...]string{"text", "pair"}[*f.Segment])
}

// predictPairLines classifies "text<TAB>text_pair" inputs; one without
// exactly one tab gets a Prediction with Err set, in its place.
func predictPairLines(ctx context.Context, clf *models.Classifier, lines []string) ([]models.Prediction, error) {
	out := make([]models.Prediction, len(lines))
	pairs := make([][2]string, 0, len(lines))
	at := make([]int, 0, len(lines))
	for i, l := range lines {
		a, b, err := splitPair(l)
		if err != nil {
			out[i] = models.Prediction{Err: err}
			continue
		}
		pairs = append(pairs, [2]string{a, b})
		at = append(at, i)
	}
	preds, err := clf.PredictPairs(ctx, pairs)
	if err != nil {
		return nil, err
	}
	for k, i := range at {
		out[i] = preds[k]
	}
	return out, nil
}

// pairRequests makes reqs (whose Text is each input line) sentence-pair
// requests. It returns, per request, the text memory planning should
// count (both texts: their tokens are what the explanation runs over) and
// the errors of lines that are not "text<TAB>text_pair", by index.
func pairRequests(reqs []attribution.Request) ([]string, map[int]error) {
	texts := make([]string, len(reqs))
	errs := map[int]error{}
	for i := range reqs {
		a, b, err := splitPair(reqs[i].Text)
		if err != nil {
			errs[i] = err
			continue
		}
		reqs[i].Text, reqs[i].TextPair, reqs[i].Pair = a, b, true
		texts[i] = a + " " + b
	}
	return texts, errs
}

// predictPairFile classifies the sentence pairs of a file: --data read
// row by row (CSV, TSV or JSONL), the first text from --text-col, the
// second from --text-pair-col, in chunks of chunk rows. Each row prints
// as a --pair line does, numbered by its line in the file; a malformed
// row is an error for that row.
func predictPairFile(ctx context.Context, clf *models.Classifier, p *predictPrinter, out *bufio.Writer, data, format, textCol, pairCol string, chunk int) error {
	fm, err := dataset.ParseFormat(format)
	if err != nil {
		return usageError{err.Error()}
	}
	rd, err := dataset.OpenContext(ctx, data, dataset.Options{Format: fm, TextCol: textCol, GroupCols: []string{pairCol},
		GroupRoles: []string{"--text-pair-col"}, IgnoreLabels: true})
	if err != nil {
		if errors.Is(err, dataset.ErrMissingColumn) || errors.Is(err, dataset.ErrUnknownFormat) {
			return usageError{termSafe(err.Error())}
		}
		return err
	}
	defer rd.Close()
	return readRowChunks(ctx, rd, chunk, func(rows []dataset.Row) error {
		pairs := make([][2]string, len(rows))
		for i, r := range rows {
			pairs[i] = [2]string{r.Text, r.Groups[0]}
		}
		preds, err := clf.PredictPairs(ctx, pairs)
		if err != nil {
			return err
		}
		for i, pr := range preds {
			if err := p.print(rows[i].Line, pr); err != nil {
				return err
			}
		}
		return out.Flush()
	}, func(re *dataset.RowError) error {
		return p.print(re.Line, models.Prediction{Err: errors.New(re.Reason)})
	})
}

// readRowChunks reads rd to its end and hands its rows to flush in chunks
// of chunk rows (the rest at the end), and each malformed row to bad once
// the rows before it are flushed, so output keeps the file's order. It
// checks ctx between rows; memory is one chunk.
func readRowChunks(ctx context.Context, rd *dataset.Reader, chunk int, flush func([]dataset.Row) error, bad func(*dataset.RowError) error) error {
	rows := make([]dataset.Row, 0, chunk)
	emit := func() error {
		if len(rows) == 0 {
			return nil
		}
		err := flush(rows)
		rows = rows[:0]
		return err
	}
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		r, err := rd.Next()
		if err == io.EOF {
			return emit()
		}
		var re *dataset.RowError
		if errors.As(err, &re) {
			if err := emit(); err != nil {
				return err
			}
			if err := bad(re); err != nil {
				return err
			}
			continue
		}
		if err != nil {
			return err
		}
		rows = append(rows, r)
		if len(rows) == chunk {
			if err := emit(); err != nil {
				return err
			}
		}
	}
}

// checkPairFile checks predict's flags for a file of pairs: --data is
// needed, and thresholds (fitted on single texts) and texts given as
// arguments do not go with it.
func checkPairFile(thresholds, data, groupCol string, args []string) error {
	switch {
	case thresholds != "" || groupCol != "":
		return usagef("--text-pair-col does not go with --thresholds or --group-col: threshold rules are fitted on single texts")
	case data == "":
		return usagef("--text-pair-col needs --data FILE: a CSV, TSV or JSONL file with the two text columns")
	case len(args) > 0:
		return usagef("unexpected texts %q: with --text-pair-col, predict reads --data", args)
	}
	return nil
}
