package attribution

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/lucid-nlp/lucid/engine"
	"github.com/lucid-nlp/lucid/perturb"
)

// MaxWindows is the most windows one windowed explanation may take; a text
// that needs more is refused, naming the count, before anything is
// explained (raise the stride).
const MaxWindows = 256

// Window is one window of a windowed explanation: its span of the text
// (characters and bytes, as FeatureAttribution's), the target's score on
// it and with all its features absent, and what explaining it cost.
type Window struct {
	Start       int     `json:"start"`
	End         int     `json:"end"`
	ByteStart   int     `json:"byte_start"`
	ByteEnd     int     `json:"byte_end"`
	FX          float64 `json:"f_x"`
	BaseValue   float64 `json:"base_value"`
	Evaluations int     `json:"evaluations"`
}

// WindowRule names how a windowed explanation's windows combine: the
// prediction is the label with the highest mean probability over the
// windows, and each feature's attribution is the mean over the windows
// that hold it whole (see explainWindows).
const WindowRule = "mean_over_windows"

// Windowing says how a windowed explanation (Request.Window) combined its
// windows, and what the model says on the text as lucid predict reads it
// (its first window's worth of tokens, truncated), so that the two can be
// compared: a windowed prediction is a mean, not predict's label.
type Windowing struct {
	// Windows is how many windows were explained; 1 when the text fits
	// the model's window (then the prediction is predict's).
	Windows int `json:"windows"`
	// Rule is WindowRule.
	Rule string `json:"rule"`
	// PredictLabel and PredictProbability are lucid predict's label and
	// probability for the text, which reads its first PredictTokens
	// tokens (special tokens included).
	PredictLabel       string  `json:"predict_label"`
	PredictProbability float64 `json:"predict_probability"`
	PredictTokens      int     `json:"predict_tokens"`
	// Agrees is whether the combined prediction is predict's label.
	Agrees bool `json:"agrees"`
}

// explainWindows explains a text longer than the model's window in
// windows that slide over it (Request.Window):
//
//   - Windows start at feature boundaries (sentence or phrase starts at
//     those levels, else word starts): the first at the text's start, each
//     next one at the first boundary at least WindowStride tokens (default
//     half the window's content) after the current one's start, until a
//     window reaches the end of the text. A window ends at its last whole
//     word, so no word is cut; its last feature is a partial view when the
//     text goes on (a sentence cut by the window's end, say).
//   - The target is the label with the highest mean probability over the
//     windows (or Request.Target), and every window explains that label
//     with the request's method, level, masking and budget (the budget is
//     per window).
//   - A feature's attribution is the mean of its attributions over the
//     windows that hold it whole (its partial views count only when no
//     window holds it whole), each in that window's own game: its share of
//     f(window) − f(window, features absent). A standard error, when every
//     view has one, is that of the mean of independent estimates.
//   - The whole text is also run once as lucid predict reads it (its first
//     window's worth of tokens), for Result.Windowing, so that a combined
//     label that differs from predict's is said, not hidden.
//   - FX, BaseValue and Probabilities are the means over the windows; the
//     sum of the combined attributions is not FX − BaseValue in general
//     (words seen by two windows count in both games), and Windows lists
//     each window's own f(x) and base value.
func (x *Explainer) explainWindows(ctx context.Context, req Request, start time.Time) (*Result, error) {
	text := req.Text
	content := x.Tokenizer.MaxLength() - specialCount(x)
	stride := req.WindowStride
	if stride == 0 {
		stride = max(1, content/2)
	}
	if stride < 0 || stride > content {
		return nil, fmt.Errorf("attribution: window stride %d: want 1 to the window's %d content tokens (0: half)", stride, content)
	}
	snap := perturb.Words
	if req.Level == perturb.Sentences || req.Level == perturb.Phrases {
		snap = req.Level
	}
	type span struct{ start, end int } // bytes
	var spans []span
	var batches []engine.Batch
	var whole engine.Batch // the text as predict reads it: truncated
	for from := 0; ; {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if len(spans) == MaxWindows {
			return nil, fmt.Errorf("attribution: the text needs more than %d windows at stride %d tokens; raise the stride", MaxWindows, stride)
		}
		enc, err := x.Tokenizer.Encode(text[from:])
		if err != nil {
			return nil, err
		}
		if from == 0 {
			whole = engine.Batch{Rows: 1, SeqLen: enc.Len(), InputIDs: enc.IDs, AttentionMask: enc.AttentionMask, TokenTypeIDs: enc.TypeIDs}
		}
		if !enc.Truncated {
			spans = append(spans, span{from, len(text)})
			batches = append(batches, engine.Batch{Rows: 1, SeqLen: enc.Len(), InputIDs: enc.IDs, AttentionMask: enc.AttentionMask, TokenTypeIDs: enc.TypeIDs})
			break
		}
		words := perturb.Features(enc, perturb.Words)
		if len(words) < 2 {
			return nil, fmt.Errorf("attribution: a word at byte %d is longer than the model's window of %d tokens", from, x.Tokenizer.MaxLength())
		}
		// Drop the last word: the window may have cut it.
		end := words[len(words)-2].End
		w, err := x.Tokenizer.Encode(text[from : from+end])
		if err != nil {
			return nil, err
		}
		spans = append(spans, span{from, from + end})
		batches = append(batches, engine.Batch{Rows: 1, SeqLen: w.Len(), InputIDs: w.IDs, AttentionMask: w.AttentionMask, TokenTypeIDs: w.TypeIDs})
		feats := perturb.Features(w, snap)
		next := -1
		first := feats[0].Tokens[0]
		for _, f := range feats[1:] {
			if f.Tokens[0]-first >= stride {
				next = f.Start
				break
			}
		}
		if next < 0 { // no boundary that far: the last one, or past the only feature
			if last := feats[len(feats)-1]; last.Start > 0 {
				next = last.Start
			} else {
				next = last.End
			}
		}
		from += next
	}

	// The target: the best mean probability over the windows.
	labels := x.model().Labels()
	meanProb := make([]float64, len(labels))
	predictions := 0
	var predictTime time.Duration
	for _, b := range batches {
		t0 := time.Now()
		logits, err := x.model().Run(ctx, b)
		if err != nil {
			return nil, err
		}
		predictTime += logits.RunTime(t0)
		predictions++
		for i, p := range x.head().Probabilities(logits.Row(0)) {
			meanProb[i] += p / float64(len(batches))
		}
	}
	t0 := time.Now()
	wholeLogits, err := x.model().Run(ctx, whole)
	if err != nil {
		return nil, err
	}
	predictTime += wholeLogits.RunTime(t0)
	predictions++
	wholeProbs := x.head().Probabilities(wholeLogits.Row(0))
	wholeBest := 0
	for i := range wholeProbs {
		if wholeProbs[i] > wholeProbs[wholeBest] {
			wholeBest = i
		}
	}
	best := 0
	for i := range meanProb {
		if meanProb[i] > meanProb[best] {
			best = i
		}
	}
	target, err := resolveTarget(req.Target, labels, best)
	if err != nil {
		return nil, err
	}

	reqs := make([]Request, len(spans))
	for i, s := range spans {
		reqs[i] = req
		reqs[i].Text, reqs[i].Window, reqs[i].Target = text[s.start:s.end], false, strconv.Itoa(target)
	}
	// One window at a time: each fills the evaluator's batches by itself,
	// and the memory a caller planned for one explanation
	// (Request.MaxMemoryBytes, checked per window) is never multiplied.
	results, errs := x.ExplainAll(ctx, reqs, 1)
	for i, err := range errs {
		if err != nil {
			return nil, fmt.Errorf("attribution: window %d of %d (bytes %d to %d): %w", i+1, len(spans), spans[i].start, spans[i].end, err)
		}
	}

	res := &Result{Text: text, Model: x.ModelName, Method: req.Method, Output: x.outputName(), Head: x.head().String(),
		Target: labels[target], TargetIndex: target, Predicted: labels[best], Probabilities: map[string]float64{}}
	res.Settings = results[0].Settings
	res.Settings.WindowStride = stride
	res.Windowing = &Windowing{Windows: len(spans), Rule: WindowRule, PredictLabel: labels[wholeBest],
		PredictProbability: wholeProbs[wholeBest], PredictTokens: whole.SeqLen, Agrees: wholeBest == best}
	for i, l := range labels {
		res.Probabilities[l] = meanProb[i]
	}
	type view struct {
		end     int
		partial bool
		value   float64
		stderr  *float64
		tokens  []string
	}
	views := map[int][]view{} // by global byte start
	seen := map[string]bool{}
	res.Evaluations = predictions
	res.RuntimeSeconds = predictTime.Seconds()
	for i, r := range results {
		s := spans[i]
		res.FX += r.FX / float64(len(results))
		res.BaseValue += r.BaseValue / float64(len(results))
		res.Evaluations += r.Evaluations
		res.RuntimeSeconds += r.RuntimeSeconds
		res.Windows = append(res.Windows, Window{ByteStart: s.start, ByteEnd: s.end,
			Start: utf8.RuneCountInString(text[:s.start]), End: utf8.RuneCountInString(text[:s.end]),
			FX: r.FX, BaseValue: r.BaseValue, Evaluations: r.Evaluations})
		for _, wmsg := range r.Warnings {
			if !seen[wmsg] {
				seen[wmsg] = true
				res.Warnings = append(res.Warnings, wmsg)
			}
		}
		for k, f := range r.Features {
			views[s.start+f.ByteStart] = append(views[s.start+f.ByteStart], view{end: s.start + f.ByteEnd,
				partial: i+1 < len(results) && k == len(r.Features)-1, value: f.Attribution, stderr: f.StdErr, tokens: f.Tokens})
		}
	}
	starts := make([]int, 0, len(views))
	for b := range views {
		starts = append(starts, b)
	}
	slices.Sort(starts)
	covered := 0
	for _, b := range starts {
		vs := views[b]
		var use []view
		for _, v := range vs {
			if !v.partial {
				use = append(use, v)
			}
		}
		if len(use) == 0 { // only partial views: the longest ones
			longest := 0
			for _, v := range vs {
				longest = max(longest, v.end)
			}
			for _, v := range vs {
				if v.end == longest {
					use = append(use, v)
				}
			}
		}
		if b < covered {
			continue // a view that starts inside a feature already placed
		}
		fa := FeatureAttribution{ByteStart: b, ByteEnd: use[0].end, Tokens: use[0].tokens}
		fa.Text = text[b:fa.ByteEnd]
		fa.Start = utf8.RuneCountInString(text[:b])
		fa.End = fa.Start + utf8.RuneCountInString(fa.Text)
		variance, withSE := 0.0, true
		for _, v := range use {
			fa.Attribution += v.value / float64(len(use))
			if v.stderr == nil {
				withSE = false
			} else {
				variance += *v.stderr * *v.stderr
			}
		}
		if withSE {
			se := math.Sqrt(variance) / float64(len(use))
			fa.StdErr = &se
		}
		res.Features = append(res.Features, fa)
		covered = fa.ByteEnd
	}
	res.Warnings = append(res.Warnings, fmt.Sprintf("the text is longer than the model's window of %d tokens: explained in %d windows at a stride of %d tokens; each feature's attribution is the mean over the windows that hold it whole",
		x.Tokenizer.MaxLength(), len(spans), stride))
	res.Summary, res.SummaryTechnical = Summarize(res), SummarizeTechnical(res)
	res.WallSeconds = time.Since(start).Seconds()
	return res, nil
}

// specialCount is the number of special tokens the tokenizer adds to a
// text ([CLS] and [SEP]: 2 for BERT).
func specialCount(x *Explainer) int {
	enc, err := x.Tokenizer.Encode("")
	if err != nil {
		return 2
	}
	return enc.Len()
}
