package main

import (
	"bufio"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/lucid-nlp/lucid/attribution"
	"github.com/lucid-nlp/lucid/attribution/lime"
	"github.com/lucid-nlp/lucid/attribution/path"
	"github.com/lucid-nlp/lucid/engine"
	"github.com/lucid-nlp/lucid/evaluate"
	"github.com/lucid-nlp/lucid/internal/atomicfile"
	"github.com/lucid-nlp/lucid/perturb"
	"github.com/lucid-nlp/lucid/report"
)

const explainHelp = `
Usage: lucid explain [flags] [TEXT...] [-- TEXT...]
       lucid explain --pair [flags] < pairs.tsv
       lucid explain --global --data FILE [--out DIR] [flags]

Explains the model's prediction for each TEXT (or each line of standard
input): how much each word (or token) moved the target label's score.

Methods (--method):
  kernelshap  Shapley values estimated from --budget coalitions (default; exact
              by enumeration when 2^words <= budget), with a standard error each
  exact       exact Shapley values by enumerating all 2^words coalitions
  lime        LIME: a weighted linear surrogate fitted to --budget samples
  ig          integrated-gradient-style path attributions along the straight
              line from a baseline (--mask token embeddings) to the input, with
              --steps quadrature points; needs model_embeds.onnx, embeddings.onnx;
              with model_grad.onnx it takes exact gradients (steps+1 gradient
              rows: the points and the baseline), without it central finite
              differences (2+2*tokens*steps rows); the output says which ran
              and why (JSON: settings.derivatives, derivatives_reason)
  occlusion   leave one feature out (words+1 evaluations): the cheap baseline
  grad-input  gradient x input on the word embeddings, summed over the
              embedding dimension (one gradient row; --linearization adds the
              zero-embedding row for the linearization_error diagnostic);
              needs model_grad.onnx
  saliency    the gradient's L2 norm per token (one gradient row; a word's
              pieces combine as a norm); needs model_grad.onnx
  counterfactual
              occlusion, then the smallest set of words whose removal (by
              --mask) makes the model say another label, searched within
              --edit-budget evaluations and re-run to check it
  partition   Owen values over the text's hierarchy (sentences, phrases, words,
              tokens: down to --features) from --budget evaluations, splitting
              the most credited groups first: for long texts

--why-not LABEL adds that search to any method, for the edit that makes the
model say LABEL ("removing 'not' and 'bad' makes the model say POSITIVE").
The search removes each word as one [MASK] (whatever its word-pieces), or
cuts it out with --mask delete or pad, exactly as the edited text shows it:
that text, given to lucid predict, gives the label and probability reported
(JSON: edit_kind word_mask or delete, round_trip).
Every explanation ends with a summary in plain words, derived from the
numbers by one fixed template (README.md, "Summaries"): how sure the model
is, the word that pushes most towards the label and its share of that push
(or, when the words nearly cancel or lower the score, that in words), what
ran and how many model evaluations it spent, and "these numbers are rough"
only when they are. --summary technical prints the same with f(x), the base
value and standard errors; JSON has both ("summary", "summary_technical").

Features (--features): sentences, phrases, words (default) or tokens, for every
method. Words are a reader's words, whatever the tokenizer does: "don't",
"well-made", "director's", "1,000", URLs, @handles and emoji sequences are
one word each (Unicode word boundaries, tailored; pre-split text such as
"does n't" keeps its pieces). Punctuation marks are words of their own;
--punctuation=false leaves them out. Sentences end at . ! ? (not after mr. dr. etc.) or a line break;
phrases at , ; : dashes and brackets, and before but, yet, although, though,
because, whereas, while, however, unless.

Long texts: a text longer than the model's window (its max length in tokens)
is explained over its first window, with a warning. --window explains it all
in windows that slide by --window-stride tokens (default half the window),
starting at feature boundaries. How windows combine (JSON "windowing",
rule "mean_over_windows"): the prediction is the label with the best mean
probability over the windows, each window explains that label, and each
feature's attribution is the mean over the windows that hold it whole;
--budget is per window. That mean can differ from lucid predict, which reads
only the first window's tokens: the prediction line and the summary give
both, and say when they disagree.

Absent words become the mask token (--mask mask), padding with attention off
(pad), nothing at all (delete) or the unknown token (unk). pad keeps every
token's position; on RoBERTa-family models, which count positions over the
ids that are not <pad>, the absent tokens keep their ids under attention
off (a pad id there would shift the rest: that is delete). Perturbed rows
are built from the token ids: a perturbed text is never re-tokenised.

Examples:
  lucid explain "a gorgeous, witty, seductive movie"
  lucid explain --method exact --output logit "not bad at all"
  lucid explain --method ig --steps 32 --target NEGATIVE "the plot made no sense"
  lucid explain --method counterfactual "not bad at all"
  lucid explain --why-not NEGATIVE "a gorgeous, witty, seductive movie"
  lucid explain --target all "not bad at all"
  lucid explain --json < sentences.txt > explanations.jsonl
  lucid explain --method partition --features sentences --budget 256 < review.txt
  lucid explain --window --features sentences < long_review.txt
  printf 'A man eats.\tSomeone eats.\n' | lucid explain --model nli-model --pair

With --pair, the features of both texts are attributed together (the
template's [CLS] and [SEP]s are never masked), each marked with its text:
JSON "segment": 0 or 1 on every feature and "text_pair"; the terminal and
the --html heatmap show the two texts apart. Not with --window, --why-not,
--method counterfactual or --global.

Output: the prediction, the method and the model evaluations it spent
("exact" only when every coalition was evaluated: exact, or KernelSHAP when
its budget covered all 2^words coalitions), the text with each word coloured by its
attribution (green pushes towards the target label, red against), the top
features with bars on a centre axis (right: towards the target, left:
against, readable without colour), and the text's own cost: its
evaluations, its time in the model and, when several texts were explained
together (their rows share batches), its share of their wall time.
With --target all, every label is attributed from the same evaluations:
a table with one column per label (JSON: "labels"); not with --method ig.
A multi-label model (config.json's problem_type, or --head multi-label)
explains each label's own sigmoid probability (its logit with --output
logit); a regression head explains its raw score ("score", never a
probability).
With --json, one result per line (schema: README.md, "Explanation JSON").
With --html FILE, also one HTML page with every explanation as a heatmap.
In terminal output, control characters and bidirectional overrides in a
text are shown escaped (\x1b, \u202e); JSON keeps texts exact.

Flags may come before or after the texts; after "--" everything is text.
Limits (checked before anything runs; a value beyond one is a usage error,
exit 2): --budget 0 to 1048576 (2^20), --edit-budget 1 to 1048576,
--steps 1 to 1024, --batch 1 to
4096, --top 0 to 1000000, --kernel-width above 0 and at most 1e6,
--sessions 1 to 64, --window-stride 0 to 65536 (and at most the model's
window), --threads at most 4 per CPU (256 at most). The
estimated memory of the rows in flight must fit in --max-memory (default:
half the machine's memory): a --batch that does not fit runs as the largest
batch that does, said on standard error; a text whose explanation would not
fit beside them is reported as an error and the others go on.
`

func runExplain(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("explain", explainHelp+pairHelp+globalHelp, stderr)
	var mf modelFlags
	mf.register(fs)
	method := fs.String("method", "kernelshap", "kernelshap, exact, lime, ig, occlusion, grad-input, saliency, counterfactual or partition")
	refine := fs.Bool("refine", true, "kernelshap: refine the estimate with an odd-component regression (about half the error at the same budget, a few ms more CPU); --refine=false runs the plain estimator, as --tolerance and --target all do")
	tolerance := fs.Float64("tolerance", 0, "kernelshap: sample in doubling rounds until every standard error is below this (0 < T ≤ 1), --budget capping each round (default cap 2^20)")
	budget := fs.Int("budget", 0, fmt.Sprintf("model evaluations per explanation, 0 (default %d, kernelshap on up to %d features %d; exact: 2^words up to 2^%d; ig: rows, default %d, steps lowered to fit) to %d", attribution.DefaultBudget, attribution.ShortTextFeatures, attribution.DefaultShortBudget, attribution.DefaultExactFeatures, attribution.DefaultPathBudget, maxBudget))
	steps := fs.Int("steps", attribution.DefaultPathSteps, fmt.Sprintf("ig: quadrature points along the path, 1 to %d", maxPathSteps))
	quad := fs.String("quadrature", "gauss-legendre", "ig: gauss-legendre or midpoint")
	features := fs.String("features", "words", "attribute to sentences, phrases, words or tokens")
	punctuation := fs.Bool("punctuation", true, "punctuation marks on their own are features; --punctuation=false leaves them out (never masked, no attribution)")
	window := fs.Bool("window", false, "explain a text longer than the model's window in sliding windows (default: its first window only)")
	stride := fs.Int("window-stride", 0, fmt.Sprintf("--window: tokens between window starts, 0 (half the window) to %d", maxWindowStride))
	mask := fs.String("mask", "mask", "what an absent feature becomes: mask, pad, delete or unk (ig: mask, pad or unk)")
	target := fs.String("target", "", "label to explain, by name or index (default: the predicted label), or all: every label from the same evaluations (not with --method ig)")
	output := fs.String("output", "prob", "what is attributed: prob, logit or logodds")
	seed := fs.Uint64("seed", 1, "random seed for sampled methods (same seed, same result)")
	width := fs.Float64("kernel-width", lime.DefaultKernelWidth, fmt.Sprintf("lime: kernel width, above 0 and at most %g", maxKernelWidth))
	batch := fs.Int("batch", evaluate.DefaultBatchSize, fmt.Sprintf("rows per ONNX Runtime batch, 1 to %d", maxBatch))
	asJSON := fs.Bool("json", false, "print one JSON result per line")
	top := fs.Int("top", 8, fmt.Sprintf("how many top features to list (terminal output), 0 to %d", maxTop))
	color := fs.String("color", "auto", "colour the terminal output: auto, always or never")
	htmlOut := fs.String("html", "", "also write the explanations as one self-contained HTML page of token heatmaps to FILE")
	whyNot := fs.String("why-not", "", "also find the smallest set of words whose removal makes the model say LABEL (by name or index)")
	summary := fs.String("summary", "plain", "the summary's wording: plain (for anyone) or technical (with f(x), the base value, each attribution and its share, and standard errors); JSON has both")
	linearization := fs.Bool("linearization", false, "grad-input, saliency: also run the text at zero word embeddings (one more gradient row) for the base value and grad-input's linearization_error diagnostic (default: base implied as f(x) − Σ)")
	editBudget := fs.Int("edit-budget", attribution.DefaultEditBudget, fmt.Sprintf("model evaluations the edit search may spend (--why-not, --method counterfactual), 1 to %d", maxBudget))
	pair := fs.Bool("pair", false, "each input is a sentence pair, \"text<TAB>text_pair\", encoded with the tokenizer's pair template (longest-first truncation)")
	gf := registerGlobalFlags(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	gf.topBy = *top
	if err := checkGlobal(fs, gf); err != nil {
		return err
	}
	req := attribution.Request{Budget: *budget, Steps: *steps, Target: *target, Seed: *seed, KernelWidth: *width,
		WhyNot: *whyNot, EditBudget: *editBudget, Tolerance: *tolerance, Window: *window, WindowStride: *stride, Plain: !*refine,
		NoPunctuation: !*punctuation, Linearization: *linearization}
	allTargets := strings.EqualFold(*target, "all")
	var err error
	if req.Method, err = attribution.ParseMethod(*method); err != nil {
		return usageError{err.Error()}
	}
	if req.Rule, err = path.ParseQuadrature(*quad); err != nil {
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
	if err := firstError(
		mf.validate(),
		intFlag("budget", *budget, 0, maxBudget),
		intFlag("edit-budget", *editBudget, 1, maxBudget),
		toleranceFlag(*tolerance),
		intFlag("steps", *steps, 1, maxPathSteps),
		intFlag("batch", *batch, 1, maxBatch),
		intFlag("top", *top, 0, maxTop),
		intFlag("window-stride", *stride, 0, maxWindowStride),
		kernelWidthFlag(*width),
	); err != nil {
		return err
	}
	switch {
	case *summary != "plain" && *summary != "technical":
		return usagef("--summary %q: want plain or technical", *summary)
	case *color != "auto" && *color != "always" && *color != "never":
		return usagef("--color %q: want auto, always or never", *color)
	case req.Method == attribution.MethodPath && req.Masking == perturb.Delete:
		return usagef("--mask delete --method ig: the path method needs a baseline token; use --mask mask, pad or unk")
	case allTargets && req.Method == attribution.MethodPath:
		return usagef("--target all --method ig: the path method follows one label's gradient; use --target LABEL, or --method kernelshap, exact, lime or occlusion")
	}
	if *stride > 0 && !*window {
		return usagef("--window-stride %d needs --window", *stride)
	}
	if *pair {
		switch {
		case *window:
			return usagef("--pair --window: a pair is read as the pair template and longest-first truncation give it, not in windows")
		case *whyNot != "" || req.Method == attribution.MethodCounterfactual:
			return usagef("--pair: the edit search (--why-not, --method counterfactual) reads one text")
		case gf.on:
			return usagef("--pair --global: the global aggregate reads one text per row")
		}
	}
	useColor := *color == "always" || (*color == "auto" && isTerminal(stdout))

	if gf.on && len(gf.merge) > 0 {
		return runGlobalMerge(gf, stdout)
	}
	folder, err := mf.folder()
	if err != nil {
		return err
	}
	if gf.on {
		if req.Level != perturb.Words {
			return usagef("--features %s --global: the aggregate is per word type; use --features words", req.Level)
		}
		return runExplainGlobal(ctx, gf, &mf, folder, req, out, *batch, stdout, stderr)
	}
	// Labels are checked before the model loads when config.json names
	// them; without id2label or num_labels the graph's output size does,
	// and they are checked once it is open.
	checkTargets := func(labels []string) error {
		if allTargets && !slices.ContainsFunc(labels, func(l string) bool { return strings.EqualFold(l, "all") }) {
			// "all" means every label, unless the model has a label so named.
			req.Target, req.AllTargets = "", true
		} else if err := checkTarget(*target, labels); err != nil {
			return err
		}
		if err := checkTarget(*whyNot, labels); err != nil {
			return usagef("--why-not: %s", strings.TrimPrefix(err.Error(), "--target "))
		}
		return nil
	}
	if folder.Labels != nil {
		if err := checkTargets(folder.Labels); err != nil {
			return err
		}
	}
	shape := shapeOf(folder, gradientMethod(req.Method))
	fitted, note, err := fitBatch(shape, *batch, mf.sessions, int64(mf.maxMemory))
	if err != nil {
		return err
	}
	if note != "" {
		fmt.Fprintln(stderr, "explain: "+note)
		*batch = fitted
	}
	inference := shape.inferenceBytes(*batch, mf.sessions)
	if *htmlOut != "" {
		// Checked now, not after every text is explained.
		if err := atomicfile.PrepareFile(*htmlOut); err != nil {
			return fmt.Errorf("--html: %w", err)
		}
	}
	mf.notes = stderr
	clf, err := mf.load(folder)
	if err != nil {
		return err
	}
	defer clf.Close()
	if folder.Labels == nil {
		if err := checkTargets(clf.Labels()); err != nil {
			return err
		}
	}
	if clf.Head() == engine.Regression && (req.Method == attribution.MethodCounterfactual || *whyNot != "") {
		return usagef("--method counterfactual and --why-not search for an edit that changes the label; a regression head has one output, a score, and no label to change")
	}
	if clf.Head() == engine.MultiLabel && out == evaluate.Probability && (req.Method == attribution.MethodPath || req.Method == attribution.MethodGradInput || req.Method == attribution.MethodSaliency) {
		return usagef("--method %s on a multi-label model: the gradient graphs differentiate a softmax probability, not a label's own sigmoid; add --output logit (the label's log-odds), or use kernelshap, exact, lime or occlusion", req.Method)
	}
	switch {
	case gradientMethod(req.Method) && clf.Model.HasGradientGraph():
		// Open the gradient graph with the model, as bench and serve do,
		// not inside the first explanation, whose wall time it tripled.
		if err := clf.Model.OpenGradient(); err != nil {
			return err
		}
	case req.Method == attribution.MethodPath && clf.Model.HasEmbeddingGraphs():
		// Finite differences run on model_embeds.onnx: open it now too.
		if err := clf.Model.OpenEmbeddings(); err != nil {
			return err
		}
	}
	ev := evaluate.New(clf.Model, evaluate.Options{BatchSize: *batch, Output: out, PadID: clf.Tokenizer.PadID(), Concurrency: mf.sessions})
	x := attribution.NewExplainer(clf.Tokenizer, ev, modelName(clf.Folder.Dir))

	w := bufio.NewWriter(stdout)
	defer w.Flush()
	failed, total := 0, 0
	var forHTML []*attribution.Result // kept only with --html
	// Texts are explained in chunks: enough for their rows to keep the
	// evaluator's batches full, few enough to stream.
	// inputError reports one input that could not be explained.
	inputError := func(line int, err error) error {
		failed++
		if *asJSON {
			return writeJSON(w, inputErrorJSON{Line: line, Error: err.Error()})
		}
		fmt.Fprintf(stderr, "input %d: error: %s\n", line, termSafe(err.Error()))
		return nil
	}
	err = readTexts(ctx, fs.Args(), stdin, 64, func(texts []string, lines []int) error {
		reqs := make([]attribution.Request, len(texts))
		var splitErrs map[int]error
		for i, t := range texts {
			reqs[i] = req
			reqs[i].Text = t
		}
		if *pair {
			texts, splitErrs = pairRequests(reqs)
		}
		// Each explanation's coalitions must fit beside the rows in
		// flight; as many run at once as fit (at most 8).
		plan := planExplanations(clf.Tokenizer, req, texts, int64(mf.maxMemory)-inference, folder.Hidden)
		for i, err := range splitErrs {
			plan.refused[i] = err
		}
		results, errs := x.ExplainAll(ctx, plan.requests(reqs), plan.workers)
		results, errs = plan.merge(results, errs)
		for i, r := range results {
			total++
			if errs[i] != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				if err := inputError(lines[i], errs[i]); err != nil {
					return err
				}
				continue
			}
			if *htmlOut != "" {
				forHTML = append(forHTML, r)
			}
			if *asJSON {
				if err := writeJSON(w, r); err != nil {
					// NaN or ±Inf from the model: JSON cannot carry it, so
					// the text fails on its own and the stream goes on.
					var uv *json.UnsupportedValueError
					if !errors.As(err, &uv) {
						return err
					}
					if err := inputError(lines[i], fmt.Errorf("the model's output is not finite (%v): no explanation", uv.Str)); err != nil {
						return err
					}
				}
			} else {
				renderExplanation(w, r, *top, useColor, *summary == "technical")
			}
		}
		return w.Flush()
	}, func(line int, err error) error {
		total++
		if err := inputError(line, err); err != nil {
			return err
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
		return fmt.Errorf("%d of %d inputs could not be explained (%s)", failed, total, whereErrorsAre(*asJSON))
	}
	return nil
}

// maxWindowStride bounds --window-stride before the model is loaded; the
// explainer also refuses a stride beyond the model's window.
const maxWindowStride = 1 << 16

// writeExplanationsHTML writes --html atomically (atomicfile): the old
// page stays whole if the write fails, and a symlink or device at path is
// refused.
func writeExplanationsHTML(path string, results []*attribution.Result) error {
	if err := atomicfile.WriteWith(path, 0o644, func(w io.Writer) error { return report.WriteExplanations(w, results) }); err != nil {
		return fmt.Errorf("--html: %w", err)
	}
	return nil
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
func renderExplanation(w io.Writer, r *attribution.Result, top int, color, technical bool) {
	// Every string here comes from the input or the model folder: each is
	// passed through termSafe so it cannot drive the terminal.
	switch r.Head {
	case "regression":
		// One output, a score: no label, no probability.
		fmt.Fprintf(w, "score: %.4f", r.Probabilities[r.Predicted])
	case "multi-label":
		// Every label has its own sigmoid: list them all, highest first.
		fmt.Fprintf(w, "labels (each its own probability): %s   explaining: %s", multiLabelLine(r), termSafe(r.Target))
	default:
		fmt.Fprintf(w, "prediction: %s (%.3f", termSafe(r.Predicted), r.Probabilities[r.Predicted])
	}
	singleLabel := r.Head == "" || r.Head == "single-label"
	if wd := r.Windowing; wd != nil && wd.Windows > 1 {
		// A windowed prediction is a mean: say so, and what predict says.
		what, open := "probability", ", "
		if r.Head == "regression" {
			what = "score"
		}
		if !singleLabel {
			open = " ("
		}
		fmt.Fprintf(w, "%smean %s over %d windows; lucid predict, reading the first %d tokens: %s %.3f", open, what, wd.Windows, wd.PredictTokens, termSafe(wd.PredictLabel), wd.PredictProbability)
		if !singleLabel {
			fmt.Fprint(w, ")")
		}
	}
	if singleLabel {
		fmt.Fprint(w, ")")
	}
	if r.Target != r.Predicted && (r.Head == "" || r.Head == "single-label") {
		fmt.Fprintf(w, "   explaining: %s (%.3f)", termSafe(r.Target), r.Probabilities[r.Target])
	}
	fmt.Fprintf(w, "\nmethod: %s   %s: f(x) = %.4f, base = %.4f\n", methodLine(r), r.Output, r.FX, r.BaseValue)
	for _, warn := range r.Warnings {
		fmt.Fprintf(w, "warning: %s\n", termSafe(warn))
	}
	maxAbs := 0.0
	for _, f := range r.Features {
		maxAbs = max(maxAbs, math.Abs(f.Attribution))
	}
	// The text with every feature coloured, the gaps between them as they
	// are; a pair's two texts apart.
	if r.TextPair != nil {
		renderPairTexts(w, r, maxAbs, color)
	} else {
		var b strings.Builder
		last := 0
		for _, f := range r.Features {
			b.WriteString(termSafe(r.Text[last:f.ByteStart]))
			b.WriteString(paint(termSafe(r.Text[f.ByteStart:f.ByteEnd]), f.Attribution, maxAbs, color))
			last = f.ByteEnd
		}
		b.WriteString(termSafe(r.Text[last:]))
		fmt.Fprintf(w, "\n  %s\n\n", b.String())
	}

	order := make([]int, len(r.Features))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		return cmp.Compare(math.Abs(r.Features[b].Attribution), math.Abs(r.Features[a].Attribution))
	})
	renderSummary(w, r, technical)
	if r.Head == "regression" {
		fmt.Fprintln(w, "top features (bars: lower score ◀ │ ▶ higher score):")
	} else {
		fmt.Fprintf(w, "top features (bars: against %s ◀ │ ▶ towards it):\n", termSafe(r.Target))
	}
	shown := order[:max(0, min(top, len(order)))]
	textWidth := 0
	for _, i := range shown {
		textWidth = max(textWidth, displayWidth(featureLabel(r.Features[i])))
	}
	textWidth = min(textWidth, 24)
	for _, i := range shown {
		f := r.Features[i]
		se := ""
		if f.StdErr != nil {
			se = fmt.Sprintf(" ± %.4f", *f.StdErr)
		}
		fmt.Fprintf(w, "  %+.4f%s  %s %s\n", f.Attribution, se, padRight(featureLabel(f), textWidth), bar(f.Attribution, maxAbs, color))
	}
	if len(r.Labels) > 0 {
		renderLabels(w, r, order, top)
	}
	diag := ""
	for _, k := range []string{"efficiency_gap", "completeness_error", "completeness_error_relative", "score"} {
		if v, ok := r.Diagnostics[k]; ok {
			diag += fmt.Sprintf(", %s %.2g", k, v)
		}
	}
	fmt.Fprintf(w, "cost: %s%s\n\n", costLine(r), diag)
}

// multiLabelLine is "toxic 0.777, insult 0.731, threat 0.202": a
// multi-label model's labels, most probable first.
func multiLabelLine(r *attribution.Result) string {
	labels := make([]string, 0, len(r.Probabilities))
	for l := range r.Probabilities {
		labels = append(labels, l)
	}
	slices.SortFunc(labels, func(a, b string) int {
		return cmp.Or(cmp.Compare(r.Probabilities[b], r.Probabilities[a]), strings.Compare(a, b))
	})
	parts := make([]string, len(labels))
	for i, l := range labels {
		parts[i] = fmt.Sprintf("%s %.3f", termSafe(l), r.Probabilities[l])
	}
	return strings.Join(parts, ", ")
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

// barHalf is the width of each side of a bar's centre axis.
const barHalf = 12

// bar draws v on a centre axis: towards the target to the right of "│",
// against it to the left, so the sign reads without colour; colour (green,
// red) only repeats it.
func bar(v, maxAbs float64, color bool) string {
	if maxAbs == 0 || math.IsNaN(v) {
		return strings.Repeat(" ", barHalf) + "│"
	}
	n := min(barHalf, int(math.Abs(v)/maxAbs*barHalf+0.5))
	s := strings.Repeat("█", n)
	if color && n > 0 {
		if v >= 0 {
			s = "\x1b[32m" + s + "\x1b[0m"
		} else {
			s = "\x1b[31m" + s + "\x1b[0m"
		}
	}
	if v >= 0 {
		return strings.Repeat(" ", barHalf) + "│" + s
	}
	return strings.Repeat(" ", barHalf-n) + s + "│"
}

// kernelWidthFlag checks LIME's kernel width: positive, finite, bounded.
func kernelWidthFlag(w float64) error {
	if !(w > 0) || math.IsInf(w, 0) || w > maxKernelWidth {
		return usagef("--kernel-width %g: want a number above 0 and at most %g", w, maxKernelWidth)
	}
	return nil
}

// checkTarget checks --target against the model's labels (by name, any
// case, or by index) before the model is loaded: a label the model does
// not have is the caller's to fix.
func checkTarget(target string, labels []string) error {
	if target == "" {
		return nil
	}
	for _, l := range labels {
		if strings.EqualFold(l, target) {
			return nil
		}
	}
	if i, err := strconv.Atoi(target); err == nil && i >= 0 && i < len(labels) {
		return nil
	}
	return usagef("--target %q: unknown target label; the model's labels are %s (or their indexes 0..%d)",
		termSafe(target), termSafe(strings.Join(labels, ", ")), len(labels)-1)
}

// toleranceFlag checks --tolerance: 0 (off) or a standard error in (0, 1].
func toleranceFlag(t float64) error {
	if t < 0 || t > 1 || t != t {
		return usagef("--tolerance %v: want 0 (off) or a standard error above 0 and at most 1", t)
	}
	return nil
}

// gradientMethod reports whether m runs on the embedding graphs (ig) or
// the gradient graph (grad-input, saliency).
func gradientMethod(m attribution.Method) bool {
	return m == attribution.MethodPath || m == attribution.MethodGradInput || m == attribution.MethodSaliency
}
