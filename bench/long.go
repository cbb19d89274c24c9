package bench

import (
	"context"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/lucid-nlp/lucid/attribution"
	"github.com/lucid-nlp/lucid/fairness/stats"
	"github.com/lucid-nlp/lucid/perturb"
)

// PlantedPositive and PlantedNegative are the strongly polar sentences the
// long-text benchmark plants in its documents (written for it, not taken
// from SST-2, so no document holds one by chance).
var (
	PlantedPositive = []string{
		"an absolute masterpiece , brilliant , moving and beautifully acted from start to finish .",
		"one of the best films of the year , funny , warm and wonderful .",
		"i loved every minute of this superb , heartfelt and gorgeous film .",
		"a triumph : smart , touching , hilarious and deeply satisfying .",
	}
	PlantedNegative = []string{
		"a dreadful , boring mess and easily the worst film of the year .",
		"an awful , tedious and utterly pointless waste of time .",
		"i hated every minute of this stupid , lifeless and ugly film .",
		"a complete disaster : badly written , badly acted and painfully dull .",
	}
)

// LongDoc is a benchmark document: consecutive SST-2 sentences with one
// planted polar sentence at a random sentence position.
type LongDoc struct {
	Text string
	// Length is the word count the document was built for; Words its
	// actual count (whitespace-separated), at least Length.
	Length, Words int
	// Target is the planted sentence's label index (1 positive, 0
	// negative, SST-2's convention), the label every method explains.
	Target int
	// PlantedStart is the planted sentence's byte offset in Text.
	PlantedStart int
}

// BuildLongDocs builds perLength documents of at least each of lengths
// words from consecutive sentences (each ending in terminal punctuation,
// one added where missing) starting at a random sentence, with a planted
// sentence (alternately positive and negative, chosen at random) inserted
// between two of them at a random position. The same seed gives the same
// documents.
func BuildLongDocs(sentences []string, lengths []int, perLength int, seed uint64) ([]LongDoc, error) {
	if len(sentences) == 0 {
		return nil, fmt.Errorf("bench: no sentences to build documents from")
	}
	rng := rand.New(rand.NewPCG(seed, 0x10e6))
	var docs []LongDoc
	for _, length := range lengths {
		if length < 1 {
			return nil, fmt.Errorf("bench: document length %d: want at least 1 word", length)
		}
		for k := range perLength {
			positive := k%2 == 0
			pool := PlantedNegative
			if positive {
				pool = PlantedPositive
			}
			planted := pool[rng.IntN(len(pool))]
			words := len(strings.Fields(planted))
			var body []string
			for i := rng.IntN(len(sentences)); words < length; i = (i + 1) % len(sentences) {
				s := strings.TrimSpace(sentences[i])
				if s == "" {
					continue
				}
				if !strings.ContainsAny(s[len(s)-1:], ".!?") {
					s += " ."
				}
				body = append(body, s)
				words += len(strings.Fields(s))
			}
			at := rng.IntN(len(body) + 1)
			before := strings.Join(body[:at], " ")
			start := len(before)
			if at > 0 {
				start++
			}
			text := strings.Join(append(append(append([]string(nil), body[:at]...), planted), body[at:]...), " ")
			target := 0
			if positive {
				target = 1
			}
			docs = append(docs, LongDoc{Text: text, Length: length, Words: words, Target: target, PlantedStart: start})
		}
	}
	return docs, nil
}

// LongMethod is one explainer setting of the long-text benchmark.
type LongMethod struct {
	Method attribution.Method
	Level  perturb.Level
	Budget int // 0: the method's default
}

func (m LongMethod) String() string {
	s := fmt.Sprintf("%s/%s", m.Method, m.Level)
	if m.Budget > 0 {
		s += fmt.Sprintf("/%d", m.Budget)
	}
	return s
}

// DefaultLongMethods are the settings the long-text benchmark compares.
var DefaultLongMethods = []LongMethod{
	{attribution.MethodPartition, perturb.Words, 256},
	{attribution.MethodPartition, perturb.Sentences, 256},
	{attribution.MethodKernelSHAP, perturb.Words, 256},
	{attribution.MethodKernelSHAP, perturb.Words, 2048},
	{attribution.MethodKernelSHAP, perturb.Sentences, 256},
	{attribution.MethodLIME, perturb.Words, 2048},
	{attribution.MethodOcclusion, perturb.Sentences, 0},
	{attribution.MethodPath, perturb.Words, 0},
}

// LongRow is one method on the documents of one length.
type LongRow struct {
	Method string `json:"method"`
	Length int    `json:"length"`
	N      int    `json:"n"`
	// Top1 counts the documents whose planted sentence the method ranks
	// first (a tie with another sentence counts as not first), with a
	// Wilson 95% interval on the rate.
	Top1         int            `json:"top1"`
	Top1Interval stats.Interval `json:"top1_interval"`
	// MeanRank is the planted sentence's mean rank (1 = first; ties rank
	// it below the sentences it ties with).
	MeanRank      float64 `json:"mean_rank"`
	MeanSentences float64 `json:"mean_sentences"`
	// Seconds is the mean wall time per explanation (its 95% t interval);
	// Evaluations the mean model evaluations.
	Seconds     stats.Paired `json:"seconds"`
	Evaluations float64      `json:"evaluations"`
	// Comprehensiveness and Sufficiency are ERASER's (MeasureFaithfulness)
	// at the sentence level, from the sentence sums of the attributions,
	// in probability, with 95% t intervals; higher comprehensiveness and
	// lower sufficiency are more faithful.
	Comprehensiveness stats.Paired `json:"comprehensiveness"`
	Sufficiency       stats.Paired `json:"sufficiency"`
	Errors            int          `json:"errors"`
}

// RunLong explains every document with every method, one explanation at a
// time so that each one's wall time is its own, and scores the rankings of
// sentences (outline sentences of the document: perturb.Outline). A word-
// or token-level attribution is summed into its sentence. Progress lines go
// to progress when it is not nil.
func RunLong(ctx context.Context, x *attribution.Explainer, docs []LongDoc, methods []LongMethod, seed uint64, progress io.Writer) ([]LongRow, error) {
	type key struct {
		method string
		length int
	}
	type acc struct {
		top1, rankSum, sentSum, n, errs int
		secs, comp, suff                []float64
		evals                           float64
	}
	accs := map[key]*acc{}
	var order []key
	for di, d := range docs {
		enc, err := x.Tokenizer.Encode(d.Text)
		if err != nil {
			return nil, err
		}
		if enc.Truncated {
			return nil, fmt.Errorf("bench: document %d has %d tokens, more than the model's window of %d", di, enc.FullLength, x.Tokenizer.MaxLength())
		}
		sents := perturb.Features(enc, perturb.Sentences)
		planted := -1
		for i, s := range sents {
			if s.Start == d.PlantedStart {
				planted = i
			}
		}
		if planted < 0 {
			return nil, fmt.Errorf("bench: document %d: the planted sentence at byte %d does not start an outline sentence", di, d.PlantedStart)
		}
		for _, m := range methods {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			k := key{m.String(), d.Length}
			a := accs[k]
			if a == nil {
				a = &acc{}
				accs[k] = a
				order = append(order, k)
			}
			req := attribution.Request{Text: d.Text, Method: m.Method, Level: m.Level, Budget: m.Budget, Seed: seed + uint64(di), Target: fmt.Sprint(d.Target)}
			t0 := time.Now()
			res, err := x.Explain(ctx, req)
			wall := time.Since(t0).Seconds()
			if err != nil {
				if ctx.Err() != nil {
					return nil, ctx.Err()
				}
				a.errs++
				if progress != nil {
					fmt.Fprintf(progress, "doc %d %s: %v\n", di, m, err)
				}
				continue
			}
			sums := sentenceSums(res, sents)
			rank := 1
			for i, v := range sums {
				if i != planted && v >= sums[planted] {
					rank++
				}
			}
			sentRes := *res
			sentRes.Settings.Features = perturb.Sentences.String()
			sentRes.Features = make([]attribution.FeatureAttribution, len(sents))
			for i, s := range sents {
				sentRes.Features[i] = attribution.FeatureAttribution{Text: s.Text, ByteStart: s.Start, ByteEnd: s.End, Attribution: sums[i]}
			}
			faith, err := x.Faithfulness(ctx, &sentRes, attribution.Request{Level: perturb.Sentences}, attribution.FaithfulnessOptions{MaxSteps: 4})
			if err != nil {
				return nil, fmt.Errorf("bench: document %d %s: faithfulness: %w", di, m, err)
			}
			a.n++
			if rank == 1 {
				a.top1++
			}
			a.rankSum += rank
			a.sentSum += len(sents)
			a.secs = append(a.secs, wall)
			a.evals += float64(res.Evaluations)
			a.comp = append(a.comp, faith.Comprehensiveness)
			a.suff = append(a.suff, faith.Sufficiency)
			if progress != nil {
				fmt.Fprintf(progress, "doc %d (%d words, %d sentences, planted %d) %-28s rank %2d  %6.2fs  %5d evaluations  comprehensiveness %.3f  sufficiency %.3f\n",
					di, d.Words, len(sents), planted, m, rank, wall, res.Evaluations, faith.Comprehensiveness, faith.Sufficiency)
			}
		}
	}
	rows := make([]LongRow, 0, len(order))
	for _, k := range order {
		a := accs[k]
		r := LongRow{Method: k.method, Length: k.length, N: a.n, Errors: a.errs, Top1: a.top1}
		if a.n > 0 {
			r.Top1Interval = stats.Wilson(a.top1, a.n, stats.Z95)
			r.MeanRank = float64(a.rankSum) / float64(a.n)
			r.MeanSentences = float64(a.sentSum) / float64(a.n)
			r.Evaluations = a.evals / float64(a.n)
			r.Seconds = stats.PairedSummary(a.secs, 0.95)
			r.Comprehensiveness = stats.PairedSummary(a.comp, 0.95)
			r.Sufficiency = stats.PairedSummary(a.suff, 0.95)
		}
		rows = append(rows, r)
	}
	return rows, nil
}

// sentenceSums adds each feature's attribution to the sentence that holds
// its first byte.
func sentenceSums(res *attribution.Result, sents []perturb.Feature) []float64 {
	sums := make([]float64, len(sents))
	for _, f := range res.Features {
		for i, s := range sents {
			if f.ByteStart >= s.Start && f.ByteStart < s.End {
				sums[i] += f.Attribution
				break
			}
		}
	}
	return sums
}

// WriteLongTable prints the rows as an aligned text table.
func WriteLongTable(w io.Writer, rows []LongRow) {
	fmt.Fprintf(w, "%-26s %6s %3s  %-22s %9s %9s %12s  %-24s %-24s\n", "method/level/budget", "words", "n", "planted first (95% CI)", "mean rank", "sentences", "evaluations", "seconds (95% CI)", "comprehensiveness")
	for _, r := range rows {
		fmt.Fprintf(w, "%-26s %6d %3d  %2d/%-3d %5.2f–%-5.2f       %9.2f %9.1f %12.0f  %-24s %-24s  suff %s\n",
			r.Method, r.Length, r.N, r.Top1, r.N, r.Top1Interval.Low, r.Top1Interval.High, r.MeanRank, r.MeanSentences, r.Evaluations,
			meanCI(r.Seconds), meanCI(r.Comprehensiveness), meanCI(r.Sufficiency))
	}
}

func meanCI(p stats.Paired) string {
	if p.N < 2 || math.IsNaN(p.Low) {
		return fmt.Sprintf("%.3f (n %d)", p.Mean, p.N)
	}
	return fmt.Sprintf("%.3f [%.3f, %.3f]", p.Mean, p.Low, p.High)
}
