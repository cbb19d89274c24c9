package main

import (
	"bufio"
	"cmp"
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strings"

	"github.com/lucid-nlp/lucid/attribution"
	"github.com/lucid-nlp/lucid/evaluate"
	"github.com/lucid-nlp/lucid/perturb"
	"github.com/lucid-nlp/lucid/report"
)

const explainHelp = `
Usage: lucid explain [flags] [TEXT...]

Explains the model's prediction for each TEXT (or each line of standard
input): how much each word (or token) moved the target label's score.

Methods (--method):
  kernelshap  Shapley values estimated from --budget coalitions (default; exact
              by enumeration when 2^words <= budget), with a standard error each
  exact       exact Shapley values by enumerating all 2^words coalitions
  lime        LIME: a weighted linear surrogate fitted to --budget samples
  ig          integrated-gradient-style path attributions along the straight
              line from a baseline (--mask token embeddings) to the input, with
              --steps quadrature points; needs model_embeds.onnx, embeddings.onnx
  occlusion   leave one feature out (words+1 evaluations): the cheap baseline

Absent words become the mask token (--mask mask), padding with attention off
(pad), nothing at all (delete) or the unknown token (unk). Perturbed rows are
built from the token ids: a perturbed text is never re-tokenised.

Examples:
  lucid explain "a gorgeous, witty, seductive movie"
  lucid explain --method exact --output logit "not bad at all"
  lucid explain --method ig --steps 32 --target NEGATIVE "the plot made no sense"
  lucid explain --json < sentences.txt > explanations.jsonl

Output: the prediction, the text with each word coloured by its attribution
(green pushes towards the target label, red against), and the top features.
With --json, one result per line (schema: README.md, "Explanation JSON").
With --html FILE, also one HTML page with every explanation as a heatmap.
`

func runExplain(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("explain", explainHelp, stderr)
	var mf modelFlags
	mf.register(fs)
	method := fs.String("method", "kernelshap", "kernelshap, exact, lime, ig or occlusion")
	budget := fs.Int("budget", 0, fmt.Sprintf("model evaluations per explanation (default %d; exact: 2^words up to 2^%d)", attribution.DefaultBudget, attribution.DefaultExactFeatures))
	steps := fs.Int("steps", attribution.DefaultPathSteps, "ig: quadrature points along the path")
	quad := fs.String("quadrature", "gauss-legendre", "ig: gauss-legendre or midpoint")
	features := fs.String("features", "words", "attribute to words or tokens")
	mask := fs.String("mask", "mask", "what an absent feature becomes: mask, pad, delete or unk")
	target := fs.String("target", "", "label to explain, by name or index (default: the predicted label)")
	output := fs.String("output", "prob", "what is attributed: prob, logit or logodds")
	seed := fs.Uint64("seed", 1, "random seed for sampled methods (same seed, same result)")
	width := fs.Float64("kernel-width", 25, "lime: kernel width")
	batch := fs.Int("batch", evaluate.DefaultBatchSize, "rows per ONNX Runtime batch")
	asJSON := fs.Bool("json", false, "print one JSON result per line")
	top := fs.Int("top", 8, "how many top features to list (terminal output)")
	color := fs.String("color", "auto", "colour the terminal output: auto, always or never")
	htmlOut := fs.String("html", "", "also write the explanations as one self-contained HTML page of token heatmaps to FILE")
	if err := parse(fs, args); err != nil {
		return err
	}
	req := attribution.Request{Budget: *budget, Steps: *steps, Target: *target, Seed: *seed, KernelWidth: *width}
	var err error
	if req.Method, err = attribution.ParseMethod(*method); err != nil {
		return usageError{err.Error()}
	}
	if req.Rule, err = attribution.ParseQuadrature(*quad); err != nil {
		return usageError{err.Error()}
	}
	if req.Level, err = perturb.ParseLevel(*features); err != nil {
		return usageError{err.Error()}
	}
	if req.Masking, err = perturb.ParseMasking(*mask); err != nil {
		return usageError{err.Error()}
	}
	out, err := evaluate.ParseOutput(*output)
	if err != nil {
		return usageError{err.Error()}
	}
	switch {
	case *budget < 0:
		return usagef("--budget %d: want 0 (the default) or more", *budget)
	case *steps < 1:
		return usagef("--steps %d: want at least 1", *steps)
	case *batch < 1:
		return usagef("--batch %d: want at least 1", *batch)
	case *color != "auto" && *color != "always" && *color != "never":
		return usagef("--color %q: want auto, always or never", *color)
	}
	useColor := *color == "always" || (*color == "auto" && isTerminal(stdout))

	clf, err := mf.load()
	if err != nil {
		return err
	}
	defer clf.Close()
	ev := evaluate.New(clf.Model, evaluate.Options{BatchSize: *batch, Output: out, PadID: clf.Tokenizer.PadID(), Concurrency: mf.sessions})
	x := attribution.NewExplainer(clf.Tokenizer, ev, clf.Folder.Dir)

	w := bufio.NewWriter(stdout)
	defer w.Flush()
	failed, total := 0, 0
	var forHTML []*attribution.Result // kept only with --html
	// Texts are explained in chunks: enough for their rows to keep the
	// evaluator's batches full, few enough to stream.
	err = readTexts(fs.Args(), stdin, 64, func(texts []string, lines []int) error {
		reqs := make([]attribution.Request, len(texts))
		for i, t := range texts {
			reqs[i] = req
			reqs[i].Text = t
		}
		results, errs := x.ExplainAll(ctx, reqs, 0)
		for i, r := range results {
			total++
			if errs[i] != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				failed++
				if *asJSON {
					if err := writeJSON(w, inputErrorJSON{Line: lines[i], Error: errs[i].Error()}); err != nil {
						return err
					}
				} else {
					fmt.Fprintf(stderr, "input %d: error: %v\n", lines[i], errs[i])
				}
				continue
			}
			if *htmlOut != "" {
				forHTML = append(forHTML, r)
			}
			if *asJSON {
				if err := writeJSON(w, r); err != nil {
					return err
				}
			} else {
				renderExplanation(w, r, *top, useColor)
			}
		}
		return w.Flush()
	})
	if err != nil {
		return err
	}
	if *htmlOut != "" {
		if err := writeExplanationsHTML(*htmlOut, forHTML); err != nil {
			return err
		}
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d inputs could not be explained (see the errors above)", failed, total)
	}
	return nil
}

func writeExplanationsHTML(path string, results []*attribution.Result) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("--html: %w", err)
	}
	if err := report.WriteExplanations(f, results); err != nil {
		f.Close()
		return fmt.Errorf("--html: writing %s: %w", path, err)
	}
	return f.Close()
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0 && os.Getenv("TERM") != "dumb" && os.Getenv("NO_COLOR") == ""
}

// renderExplanation prints a result for a person: prediction, coloured
// text, ranked features, and the cost.
func renderExplanation(w io.Writer, r *attribution.Result, top int, color bool) {
	fmt.Fprintf(w, "prediction: %s (%.3f)", r.Predicted, r.Probabilities[r.Predicted])
	if r.Target != r.Predicted {
		fmt.Fprintf(w, "   explaining: %s (%.3f)", r.Target, r.Probabilities[r.Target])
	}
	fmt.Fprintf(w, "\nmethod: %s   %s: f(x) = %.4f, base = %.4f\n", r.Method, r.Output, r.FX, r.BaseValue)
	for _, warn := range r.Warnings {
		fmt.Fprintf(w, "warning: %s\n", warn)
	}
	maxAbs := 0.0
	for _, f := range r.Features {
		maxAbs = max(maxAbs, math.Abs(f.Attribution))
	}
	// The text with every feature coloured, the gaps between them as they are.
	var b strings.Builder
	last := 0
	for _, f := range r.Features {
		b.WriteString(r.Text[last:f.ByteStart])
		b.WriteString(paint(r.Text[f.ByteStart:f.ByteEnd], f.Attribution, maxAbs, color))
		last = f.ByteEnd
	}
	b.WriteString(r.Text[last:])
	fmt.Fprintf(w, "\n  %s\n\n", b.String())

	order := make([]int, len(r.Features))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		return cmp.Compare(math.Abs(r.Features[b].Attribution), math.Abs(r.Features[a].Attribution))
	})
	fmt.Fprintf(w, "top features (towards %s > 0 > against):\n", r.Target)
	for _, i := range order[:min(top, len(order))] {
		f := r.Features[i]
		se := ""
		if f.StdErr != nil {
			se = fmt.Sprintf(" ± %.4f", *f.StdErr)
		}
		fmt.Fprintf(w, "  %+.4f%s  %-20s %s\n", f.Attribution, se, f.Text, bar(f.Attribution, maxAbs, color))
	}
	diag := ""
	for _, k := range []string{"efficiency_gap", "completeness_error", "completeness_error_relative", "score"} {
		if v, ok := r.Diagnostics[k]; ok {
			diag += fmt.Sprintf(", %s %.2g", k, v)
		}
	}
	fmt.Fprintf(w, "cost: %d evaluations, %.3fs in the model, %.3fs wall%s\n\n", r.Evaluations, r.RuntimeSeconds, r.WallSeconds, diag)
}

// paint colours s green (positive) or red (negative), stronger for larger
// |v|, with 24-bit ANSI background colours.
func paint(s string, v, maxAbs float64, color bool) string {
	if !color || maxAbs == 0 {
		return s
	}
	a := math.Abs(v) / maxAbs
	shade := int(255 - 175*a)
	if v >= 0 {
		return fmt.Sprintf("\x1b[48;2;%d;255;%dm\x1b[38;2;0;0;0m%s\x1b[0m", shade, shade, s)
	}
	return fmt.Sprintf("\x1b[48;2;255;%d;%dm\x1b[38;2;0;0;0m%s\x1b[0m", shade, shade, s)
}

func bar(v, maxAbs float64, color bool) string {
	if maxAbs == 0 {
		return ""
	}
	n := int(math.Abs(v)/maxAbs*20 + 0.5)
	s := strings.Repeat("█", n)
	if !color {
		return s
	}
	if v >= 0 {
		return "\x1b[32m" + s + "\x1b[0m"
	}
	return "\x1b[31m" + s + "\x1b[0m"
}
