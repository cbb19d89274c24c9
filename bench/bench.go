// Package bench measures Lucid honestly: the engine's batched throughput on
// the sentences at hand (to find the best batch size), each explanation
// method's cost against its floor, the attribution error of the sampled
// methods against exact Shapley values (EstimatorAccuracy, over cached
// exact tables), the long-text benchmark (RunLong and RunLongRecords:
// documents with one planted polar sentence; bench/longtext runs it), and
// a float model against its int8 quantized copy (CompareQuantized: accuracy,
// probabilities, KernelSHAP attributions and rows/s side by side).
//
// Efficiency = floor ÷ wall time, where the floor is the measured time the
// engine takes to run the explanation's evaluations as full batches of the
// best size (evaluations ÷ best batched throughput, timed rather than
// computed): 1.0 means the explanation cost no more than its model
// evaluations.
package bench

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/lucid-nlp/lucid/attribution"
	"github.com/lucid-nlp/lucid/engine"
	"github.com/lucid-nlp/lucid/tokenize"
)

// BuiltinSentences are used when no data file is available.
var BuiltinSentences = []string{
	"a gorgeous , witty , seductive movie .",
	"the movie is a disaster from start to finish .",
	"it 's not a bad film , just a forgettable one .",
	"the acting was superb but the plot made no sense .",
	"an exhilarating and deeply moving experience .",
	"boring , predictable and far too long .",
	"a charming little film that never overstays its welcome .",
	"the jokes fall flat and the characters are paper thin .",
	"one of the best films of the year , funny and wise .",
	"i could not wait for it to end .",
	"a thoughtful , beautifully shot drama with a great cast .",
	"the script is lazy and the direction is worse .",
}

// ReadSentences reads the first n texts of a TSV file with a header whose
// last column is the text (SST-2's dev.tsv: label<TAB>content); rows with
// an empty text are passed over.
func ReadSentences(path string, n int) ([]string, error) {
	var out []string
	err := scanTSV(path, func(_ []string) error { return nil }, func(_ int, cols []string) (bool, error) {
		if len(out) >= n {
			return false, nil
		}
		if t := cols[len(cols)-1]; t != "" {
			out = append(out, t)
		}
		return len(out) < n, nil
	})
	if err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("bench: %s has no sentences", path)
	}
	return out, nil
}

// scanTSV is the one reader of the benchmarks' TSV files (SST-2's
// label<TAB>content): it hands header the first line's columns, then row
// each further line's columns with its line number until row says stop.
// Lines may be 16 MiB long.
func scanTSV(path string, header func(cols []string) error, row func(line int, cols []string) (more bool, err error)) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	split := func() []string { return strings.Split(strings.TrimRight(sc.Text(), "\r"), "\t") }
	if !sc.Scan() {
		if err := sc.Err(); err != nil {
			return fmt.Errorf("bench: reading %s: %w", path, err)
		}
		return fmt.Errorf("bench: %s is empty", path)
	}
	if err := header(split()); err != nil {
		return err
	}
	for line := 2; sc.Scan(); line++ {
		more, err := row(line, split())
		if err != nil || !more {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("bench: reading %s: %w", path, err)
	}
	return nil
}

// Throughput is the engine's measured speed.
type Throughput struct {
	// BestBatch is the batch size with the most rows/s at the median length.
	BestBatch int `json:"best_batch"`
	// MedianLength is the median sentence length in tokens, at which the
	// batch sizes are compared; BestMeasured is the most rows/s measured
	// there (ByBatch[BestBatch]): the headline figure.
	MedianLength int     `json:"median_length"`
	BestMeasured float64 `json:"best_measured_rows_per_second"`
	// ByBatch is rows/s at the median length for each batch size tried.
	ByBatch map[int]float64 `json:"rows_per_second_by_batch"`
	// ByLength is rows/s at BestBatch for each sentence length (tokens).
	ByLength map[int]float64 `json:"rows_per_second_by_length"`
	// Best is rows/s at BestBatch, averaged over the sentences' lengths
	// (harmonic mean: the rate at which they would all be run). Longer
	// sentences run slower, so it is below BestMeasured when lengths vary.
	Best float64 `json:"best_rows_per_second"`
	// Gradient is the same for the model's gradient graph (model_grad.onnx,
	// forward and backward per row), when it has one and ig is benched:
	// the floor of ig on gradients. nil otherwise.
	Gradient *Throughput `json:"gradient,omitempty"`
}

// MeasureThroughput times the engine on the sentences' own rows, first at
// several batch sizes on the median-length sentence, then at the best batch
// size for every length. Each point takes the best of a few repetitions.
func MeasureThroughput(ctx context.Context, m engine.Model, encs []*tokenize.Encoding, batches []int) (*Throughput, error) {
	return measure(ctx, encs, batches, func(e *tokenize.Encoding, bs int) (func() error, error) {
		b := repeatRows(e, bs)
		return func() error { _, err := m.Run(ctx, b); return err }, nil
	})
}

// MeasureGradientThroughput is MeasureThroughput for the model's gradient
// graph: rows/s of Gradient calls (logits and the gradient with respect to
// the input embeddings) on the sentences' own embeddings.
func MeasureGradientThroughput(ctx context.Context, m engine.GradientModel, encs []*tokenize.Encoding, batches []int) (*Throughput, error) {
	return measure(ctx, encs, batches, func(e *tokenize.Encoding, bs int) (func() error, error) {
		b, targets, err := gradientRows(ctx, m, e, bs)
		if err != nil {
			return nil, err
		}
		return func() error { _, _, err := m.Gradient(ctx, b, targets, engine.ScoreProbability); return err }, nil
	})
}

// repeatRows is bs copies of e's row.
func repeatRows(e *tokenize.Encoding, bs int) engine.Batch {
	b := engine.Batch{Rows: bs, SeqLen: e.Len()}
	for range bs {
		b.InputIDs = append(b.InputIDs, e.IDs...)
		b.AttentionMask = append(b.AttentionMask, e.AttentionMask...)
		b.TokenTypeIDs = append(b.TokenTypeIDs, e.TypeIDs...)
	}
	return b
}

// gradientRows is bs copies of e's embeddings, with a target per row.
func gradientRows(ctx context.Context, m engine.GradientModel, e *tokenize.Encoding, bs int) (engine.EmbedBatch, []int, error) {
	x, err := m.Embed(ctx, e.IDs)
	if err != nil {
		return engine.EmbedBatch{}, nil, err
	}
	b := engine.EmbedBatch{Rows: bs, SeqLen: e.Len(), Hidden: m.Hidden()}
	for range bs {
		b.Embeds = append(b.Embeds, x...)
		b.AttentionMask = append(b.AttentionMask, e.AttentionMask...)
		b.TokenTypeIDs = append(b.TokenTypeIDs, e.TypeIDs...)
	}
	return b, make([]int, bs), nil
}

// measure is MeasureThroughput with the run of bs copies of a sentence
// made by prepare.
func measure(ctx context.Context, encs []*tokenize.Encoding, batches []int,
	prepare func(e *tokenize.Encoding, bs int) (func() error, error)) (*Throughput, error) {
	if len(encs) == 0 {
		return nil, fmt.Errorf("bench: no sentences to measure throughput on")
	}
	if len(batches) == 0 {
		batches = []int{1, 8, 16, 32, 64, 128}
	}
	byLen := map[int]*tokenize.Encoding{}
	var lengths []int
	for _, e := range encs {
		if _, ok := byLen[e.Len()]; !ok {
			byLen[e.Len()] = e
			lengths = append(lengths, e.Len())
		}
	}
	sort.Ints(lengths)
	median := lengths[len(lengths)/2]
	t := &Throughput{ByBatch: map[int]float64{}, ByLength: map[int]float64{}, MedianLength: median}
	for _, bs := range batches {
		r, err := rate(byLen[median], bs, prepare)
		if err != nil {
			return nil, err
		}
		t.ByBatch[bs] = r
		if r > t.ByBatch[t.BestBatch] {
			t.BestBatch = bs
		}
	}
	t.BestMeasured = t.ByBatch[t.BestBatch]
	var inv float64
	for _, l := range lengths {
		r, err := rate(byLen[l], t.BestBatch, prepare)
		if err != nil {
			return nil, err
		}
		t.ByLength[l] = r
		inv += 1 / r
	}
	t.Best = float64(len(lengths)) / inv
	return t, nil
}

// rate is the sustained rows/s of batches of bs copies of e: total rows
// over total time for runs lasting at least 200 ms, after a warm-up run.
// Sustained, not best-of: an explanation's wall time includes every slow
// moment of a shared machine, so its floor must too.
func rate(e *tokenize.Encoding, bs int, prepare func(e *tokenize.Encoding, bs int) (func() error, error)) (float64, error) {
	run, err := prepare(e, bs)
	if err != nil {
		return 0, err
	}
	if err := run(); err != nil { // warm-up
		return 0, err
	}
	rows := 0
	start := time.Now()
	for time.Since(start) < 200*time.Millisecond {
		if err := run(); err != nil {
			return 0, err
		}
		rows += bs
	}
	return float64(rows) / time.Since(start).Seconds(), nil
}

// MethodResult is one method at one budget over all the sentences.
type MethodResult struct {
	Method attribution.Method `json:"method"`
	Budget int                `json:"budget"`
	// Steps is the path method's quadrature points (0 for the others).
	Steps int `json:"steps,omitempty"`
	// Derivatives is how ig took its derivatives: "gradient" (the
	// gradient graph, steps + 2 rows, floored by the gradient graph's own
	// throughput) or "finite differences" (2 + 2·tokens·steps forward
	// rows, floored by the forward graph's); empty for other methods.
	Derivatives           string  `json:"derivatives,omitempty"`
	Explanations          int     `json:"explanations"`
	Failed                int     `json:"failed"`
	EvaluationsPerText    float64 `json:"evaluations_per_explanation"`
	WallSecondsPerText    float64 `json:"wall_seconds_per_explanation"`
	RuntimeSecondsPerText float64 `json:"runtime_seconds_per_explanation"`
	EvaluationsPerSecond  float64 `json:"evaluations_per_second"`
	FloorSecondsPerText   float64 `json:"floor_seconds_per_explanation"`
	// FloorRowsPerSecond is the throughput of the floor runs.
	FloorRowsPerSecond float64 `json:"floor_rows_per_second"`
	// ForwardFloorSecondsPerText is the explanation's evaluations at the
	// forward graph's best batched throughput (Throughput.Best), computed:
	// for ig on gradients, what its rows would cost if a gradient row cost
	// no more than a forward row.
	ForwardFloorSecondsPerText float64 `json:"forward_floor_seconds_per_explanation"`
	// Efficiency is floor ÷ wall time, the median of Rounds rounds;
	// EfficiencyRange its lowest and highest round.
	Efficiency      float64    `json:"efficiency"`
	EfficiencyRange [2]float64 `json:"efficiency_range"`
	// ModelShare is the share of the wall time the model was running:
	// measured in the same window as the wall time, it is free of the
	// machine's drift, and 1 − ModelShare is what the explanation cost
	// beyond its model runs.
	ModelShare             float64 `json:"model_share"`
	MeanCompletenessErrRel float64 `json:"mean_completeness_error_relative,omitempty"`
	FirstError             string  `json:"first_error,omitempty"`
}

// Rounds is how many times RunMethod alternates the explanations and their
// floor.
const Rounds = 3

// RunMethod explains every sentence with one method and budget, all at
// once through ExplainAll (so rows of different sentences share batches,
// as in a real batch job), and sets the wall time against the floor.
//
// The floor is measured, not computed from a throughput taken minutes
// earlier: after each round of explanations, the engine runs exactly as
// many rows of each sentence as its explanation evaluated, in full batches
// of the best size, packed both ways the evaluator may pack them (rows of
// one length together, or rows of every length sorted and padded to each
// batch's longest) and the faster counted. A shared machine's speed drifts by ±20% over seconds;
// alternating explanation and floor in Rounds rounds and taking the median
// ratio keeps that drift out of the efficiency.
func RunMethod(ctx context.Context, x *attribution.Explainer, m engine.Model, encs []*tokenize.Encoding, tp *Throughput,
	sentences []string, req attribution.Request) (MethodResult, error) {
	reqs := make([]attribution.Request, len(sentences))
	for i, s := range sentences {
		reqs[i] = req
		reqs[i].Text = s
	}
	mr := MethodResult{Method: req.Method, Budget: req.Budget, Steps: req.Steps}
	// ig on a gradient graph runs gradient rows, so its floor is the
	// gradient graph's throughput; on finite differences, forward rows.
	// grad-input and saliency run gradient rows too (and a prediction
	// row, which the floor replays as a gradient row, as it does ig's).
	gm, hasGrad := m.(engine.GradientModel)
	gradient := hasGrad && gm.HasGradientGraph() && ((req.Method == attribution.MethodPath && !req.FiniteDifferences) ||
		req.Method == attribution.MethodGradInput || req.Method == attribution.MethodSaliency)
	if req.Method == attribution.MethodPath {
		mr.Derivatives = "finite differences"
		if gradient {
			mr.Derivatives = "gradient"
		}
	}
	if gradient && tp.Gradient == nil {
		return mr, fmt.Errorf("bench: %s on the gradient graph needs the gradient graph's throughput (MeasureGradientThroughput) for its floor", req.Method)
	}
	var ratios []float64
	var wallSum, floorSum, evalSum, runtimeSum, compl float64
	for round := range Rounds {
		start := time.Now()
		results, errs := x.ExplainAll(ctx, reqs, 0)
		wall := time.Since(start).Seconds()
		evals := make([]int, len(results))
		explained := 0
		for i, r := range results {
			if errs[i] != nil {
				if ctx.Err() != nil {
					return mr, ctx.Err()
				}
				if round == 0 {
					mr.Failed++
					if mr.FirstError == "" {
						mr.FirstError = errs[i].Error()
					}
				}
				continue
			}
			explained++
			evals[i] = r.Evaluations
			evalSum += float64(r.Evaluations)
			runtimeSum += r.RuntimeSeconds
			compl += r.Diagnostics["completeness_error_relative"]
		}
		if explained == 0 {
			return mr, nil
		}
		mr.Explanations = explained
		var floor float64
		var err error
		if gradient {
			// Each text's prediction is a forward row; the rest are
			// gradient rows.
			pred, grads := make([]int, len(evals)), make([]int, len(evals))
			for i, e := range evals {
				if e > 0 {
					pred[i], grads[i] = 1, e-1
				}
			}
			var g float64
			if floor, err = fastestReplay(ctx, m, encs, pred, tp.BestBatch); err == nil {
				g, err = fastestReplayGradient(ctx, gm, encs, grads, tp.Gradient.BestBatch)
				floor += g
			}
		} else {
			floor, err = fastestReplay(ctx, m, encs, evals, tp.BestBatch)
		}
		if err != nil {
			return mr, err
		}
		ratios = append(ratios, floor/wall)
		wallSum += wall
		floorSum += floor
	}
	n := float64(mr.Explanations * Rounds)
	mr.EvaluationsPerText = evalSum / n
	mr.WallSecondsPerText = wallSum / n
	mr.RuntimeSecondsPerText = runtimeSum / n
	mr.EvaluationsPerSecond = evalSum / wallSum
	mr.ModelShare = runtimeSum / wallSum
	mr.FloorSecondsPerText = floorSum / n
	mr.FloorRowsPerSecond = evalSum / floorSum
	mr.ForwardFloorSecondsPerText = evalSum / n / tp.Best
	slices.Sort(ratios)
	mr.Efficiency = ratios[len(ratios)/2]
	mr.EfficiencyRange = [2]float64{ratios[0], ratios[len(ratios)-1]}
	if req.Method == attribution.MethodPath {
		mr.MeanCompletenessErrRel = compl / n
	}
	return mr, nil
}

// replay runs evals[i] copies of sentence i's full row, packed as the
// evaluator packs an explanation's rows: rows of equal length from every
// sentence share batches of bs, so only the last batch of each length is
// short. (Replaying each sentence in batches of its own, as before, left a
// short batch per sentence that the explanations, sharing batches across
// sentences, did not pay for: a floor above the real one and efficiencies
// above 1.) It returns the seconds the model ran.
func replay(ctx context.Context, m engine.Model, encs []*tokenize.Encoding, evals []int, bs int) (float64, error) {
	type group struct {
		enc  *tokenize.Encoding
		rows int
	}
	byLen := map[int]*group{}
	var lengths []int
	for i, e := range encs {
		g := byLen[e.Len()]
		if g == nil {
			g = &group{enc: e}
			byLen[e.Len()] = g
			lengths = append(lengths, e.Len())
		}
		g.rows += evals[i]
	}
	sort.Ints(lengths)
	var total time.Duration
	for _, l := range lengths {
		g := byLen[l]
		for left := g.rows; left > 0; left -= bs {
			rows := min(bs, left)
			b := engine.Batch{Rows: rows, SeqLen: l}
			for range rows {
				b.InputIDs = append(b.InputIDs, g.enc.IDs...)
				b.AttentionMask = append(b.AttentionMask, g.enc.AttentionMask...)
				b.TokenTypeIDs = append(b.TokenTypeIDs, g.enc.TypeIDs...)
			}
			start := time.Now()
			if _, err := m.Run(ctx, b); err != nil {
				return 0, err
			}
			total += time.Since(start)
		}
	}
	return total.Seconds(), nil
}

// fastestReplay is the floor of forward rows: the faster of replay (rows
// of one length share batches) and replayPadded (rows of every length,
// sorted, padded to each batch's longest). Methods of one or two rows a
// text (grad-input, saliency, the predictions) have too few rows of any
// one length to fill a batch; an explanation pads them together, and a
// floor that could not would be no floor (efficiencies above 1).
func fastestReplay(ctx context.Context, m engine.Model, encs []*tokenize.Encoding, evals []int, bs int) (float64, error) {
	byLength, err := replay(ctx, m, encs, evals, bs)
	if err != nil {
		return 0, err
	}
	padded, err := replayPadded(ctx, m, encs, evals, bs)
	return min(byLength, padded), err
}

// fastestReplayGradient is fastestReplay for gradient rows.
func fastestReplayGradient(ctx context.Context, m engine.GradientModel, encs []*tokenize.Encoding, evals []int, bs int) (float64, error) {
	byLength, err := replayGradient(ctx, m, encs, evals, bs)
	if err != nil {
		return 0, err
	}
	padded, err := replayGradientPadded(ctx, m, encs, evals, bs)
	return min(byLength, padded), err
}

// paddedBatches lists evals[i] copies of each sentence index i, shortest
// sentence first, cut into batches of bs: the packing of a batcher that
// sorts by length and pads each batch to its longest row.
func paddedBatches(encs []*tokenize.Encoding, evals []int, bs int) [][]int {
	var rows []int
	for i, n := range evals {
		for range n {
			rows = append(rows, i)
		}
	}
	sort.SliceStable(rows, func(a, b int) bool { return encs[rows[a]].Len() < encs[rows[b]].Len() })
	var out [][]int
	for start := 0; start < len(rows); start += bs {
		out = append(out, rows[start:min(start+bs, len(rows))])
	}
	return out
}

// replayPadded runs the rows of paddedBatches, each batch padded (id 0,
// attention 0) to its longest sentence, and returns the seconds the model
// ran.
func replayPadded(ctx context.Context, m engine.Model, encs []*tokenize.Encoding, evals []int, bs int) (float64, error) {
	var total time.Duration
	for _, batch := range paddedBatches(encs, evals, bs) {
		seq := encs[batch[len(batch)-1]].Len()
		b := engine.Batch{Rows: len(batch), SeqLen: seq, InputIDs: make([]int64, len(batch)*seq),
			AttentionMask: make([]int64, len(batch)*seq), TokenTypeIDs: make([]int64, len(batch)*seq)}
		for r, i := range batch {
			e := encs[i]
			copy(b.InputIDs[r*seq:], e.IDs)
			copy(b.AttentionMask[r*seq:], e.AttentionMask)
			copy(b.TokenTypeIDs[r*seq:], e.TypeIDs)
		}
		start := time.Now()
		if _, err := m.Run(ctx, b); err != nil {
			return 0, err
		}
		total += time.Since(start)
	}
	return total.Seconds(), nil
}

// replayGradientPadded is replayPadded for the gradient graph: each
// sentence's embeddings (looked up once), padded with zero vectors.
func replayGradientPadded(ctx context.Context, m engine.GradientModel, encs []*tokenize.Encoding, evals []int, bs int) (float64, error) {
	embeds := make([][]float32, len(encs))
	for i, e := range encs {
		if evals[i] == 0 {
			continue
		}
		x, err := m.Embed(ctx, e.IDs)
		if err != nil {
			return 0, err
		}
		embeds[i] = x
	}
	h := m.Hidden()
	var total time.Duration
	for _, batch := range paddedBatches(encs, evals, bs) {
		seq := encs[batch[len(batch)-1]].Len()
		b := engine.EmbedBatch{Rows: len(batch), SeqLen: seq, Hidden: h, Embeds: make([]float32, len(batch)*seq*h),
			AttentionMask: make([]int64, len(batch)*seq), TokenTypeIDs: make([]int64, len(batch)*seq)}
		for r, i := range batch {
			copy(b.Embeds[r*seq*h:], embeds[i])
			copy(b.AttentionMask[r*seq:], encs[i].AttentionMask)
			copy(b.TokenTypeIDs[r*seq:], encs[i].TypeIDs)
		}
		start := time.Now()
		if _, _, err := m.Gradient(ctx, b, make([]int, len(batch)), engine.ScoreProbability); err != nil {
			return 0, err
		}
		total += time.Since(start)
	}
	return total.Seconds(), nil
}

// replayGradient is replay for the gradient graph: evals[i] gradient rows
// of sentence i's embeddings, rows of equal length from every sentence
// sharing batches of bs, as IntegratedGradients packs them.
func replayGradient(ctx context.Context, m engine.GradientModel, encs []*tokenize.Encoding, evals []int, bs int) (float64, error) {
	byLen := map[int]*tokenize.Encoding{}
	rowsByLen := map[int]int{}
	var lengths []int
	for i, e := range encs {
		if _, ok := byLen[e.Len()]; !ok {
			byLen[e.Len()] = e
			lengths = append(lengths, e.Len())
		}
		rowsByLen[e.Len()] += evals[i]
	}
	sort.Ints(lengths)
	var total time.Duration
	for _, l := range lengths {
		full, targets, err := gradientRows(ctx, m, byLen[l], bs)
		if err != nil {
			return 0, err
		}
		for left := rowsByLen[l]; left > 0; left -= bs {
			rows := min(bs, left)
			b := full
			b.Rows = rows
			b.Embeds = full.Embeds[:rows*l*full.Hidden]
			b.AttentionMask, b.TokenTypeIDs = full.AttentionMask[:rows*l], full.TokenTypeIDs[:rows*l]
			start := time.Now()
			if _, _, err := m.Gradient(ctx, b, targets[:rows], engine.ScoreProbability); err != nil {
				return 0, err
			}
			total += time.Since(start)
		}
	}
	return total.Seconds(), nil
}
