package bench

import (
	"context"
	"fmt"
	"hash/fnv"
	"io"
	"math"
	"math/rand/v2"
	"sort"
	"strings"
	"time"

	"github.com/lucid-nlp/lucid/attribution"
	"github.com/lucid-nlp/lucid/attribution/faithfulness"
	"github.com/lucid-nlp/lucid/attribution/shapley"
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
	// Index is the document's place in BuildLongDocs's list: records name
	// it, and the sampled methods' seed is the run's seed plus it.
	Index int
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
			docs = append(docs, LongDoc{Text: text, Length: length, Words: words, Target: target, PlantedStart: start, Index: len(docs)})
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

// LongRecord is one method's explanation of one benchmark document: what
// RunLongRecords measures and SummarizeLong and CompareLong aggregate, so
// that runs made apart (say, a slow baseline once, a method under
// development again) are compared on the same documents.
type LongRecord struct {
	// Seed and Doc identify the document (BuildLongDocs's seed and its
	// index); TextHash (FNV-64a of its text) guards against combining
	// records of different documents under the same numbers.
	Seed     uint64 `json:"seed"`
	Doc      int    `json:"doc"`
	TextHash string `json:"text_hash"`
	Length   int    `json:"length"`
	Words    int    `json:"words"`
	// Planted is the planted sentence's index among the document's
	// outline sentences.
	Planted int    `json:"planted"`
	Method  string `json:"method"`
	// SentenceValues are the attributions summed per outline sentence.
	SentenceValues []float64 `json:"sentence_values,omitempty"`
	// Rank is the planted sentence's rank (1 = first; a tie ranks it below
	// the sentences it ties with).
	Rank              int     `json:"rank,omitempty"`
	Seconds           float64 `json:"seconds"`
	Evaluations       int     `json:"evaluations"`
	Exact             bool    `json:"exact,omitempty"`
	Comprehensiveness float64 `json:"comprehensiveness"`
	Sufficiency       float64 `json:"sufficiency"`
	Error             string  `json:"error,omitempty"`
}

// rankOf is sentence i's rank among values: 1 + how many others are at
// least as large (a tie ranks it below).
func rankOf(values []float64, i int) int {
	rank := 1
	for j, v := range values {
		if j != i && v >= values[i] {
			rank++
		}
	}
	return rank
}

// topOf is the index of values' largest entry, −1 when it is tied or
// values is empty.
func topOf(values []float64) int {
	top := -1
	for i := range values {
		if rankOf(values, i) == 1 {
			top = i
		}
	}
	return top
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
	// RefN counts the documents on which the reference (SummarizeLong's
	// reference method) ranks one sentence strictly first, and RefTop1
	// those of them on which this method ranks that sentence first too,
	// with a Wilson 95% interval: the second ground truth, the model's own
	// most important sentence in place of the planted one.
	RefN            int            `json:"ref_n"`
	RefTop1         int            `json:"ref_top1"`
	RefTop1Interval stats.Interval `json:"ref_top1_interval"`
	// MeanRank is the planted sentence's mean rank (1 = first; ties rank
	// it below the sentences it ties with).
	MeanRank      float64 `json:"mean_rank"`
	MeanSentences float64 `json:"mean_sentences"`
	// Seconds is the mean wall time per explanation (its 95% t interval);
	// Evaluations the mean model evaluations; Exact how many explanations
	// reported exact values ("exact" diagnostic 1).
	Seconds     stats.Paired `json:"seconds"`
	Evaluations float64      `json:"evaluations"`
	Exact       int          `json:"exact"`
	// Comprehensiveness and Sufficiency are ERASER's (MeasureFaithfulness)
	// at the sentence level, from the sentence sums of the attributions,
	// in probability, with 95% t intervals; higher comprehensiveness and
	// lower sufficiency are more faithful.
	Comprehensiveness stats.Paired `json:"comprehensiveness"`
	Sufficiency       stats.Paired `json:"sufficiency"`
	Errors            int          `json:"errors"`
}

// RunLong explains every document with every method and summarizes the
// records (RunLongRecords, then SummarizeLong with no reference).
func RunLong(ctx context.Context, x *attribution.Explainer, docs []LongDoc, methods []LongMethod, seed uint64, progress io.Writer) ([]LongRow, error) {
	recs, err := RunLongRecords(ctx, x, docs, methods, seed, progress, nil)
	if err != nil {
		return nil, err
	}
	return SummarizeLong(recs, "")
}

// TextHash is the FNV-64a hash of a document's text, in hex.
func TextHash(text string) string {
	h := fnv.New64a()
	h.Write([]byte(text))
	return fmt.Sprintf("%016x", h.Sum64())
}

// RunLongRecords explains every document with every method, one
// explanation at a time so that each one's wall time is its own (the
// methods take turns on each document, so a change in the machine's load
// falls on all of them alike), and scores the rankings of sentences
// (outline sentences of the document: perturb.Outline). A word- or
// token-level attribution is summed into its sentence. Each record goes to
// emit, when it is not nil, as soon as it is made; progress lines go to
// progress when it is not nil. seed is the documents' seed (recorded) and
// the sampled methods' (seed + the document's Index).
func RunLongRecords(ctx context.Context, x *attribution.Explainer, docs []LongDoc, methods []LongMethod, seed uint64, progress io.Writer, emit func(LongRecord) error) ([]LongRecord, error) {
	var recs []LongRecord
	for _, d := range docs {
		di := d.Index
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
			rec := LongRecord{Seed: seed, Doc: di, TextHash: TextHash(d.Text), Length: d.Length, Words: d.Words, Planted: planted, Method: m.String()}
			req := attribution.Request{Text: d.Text, Method: m.Method, Level: m.Level, Budget: m.Budget, Seed: seed + uint64(di), Target: fmt.Sprint(d.Target)}
			t0 := time.Now()
			res, err := x.Explain(ctx, req)
			rec.Seconds = time.Since(t0).Seconds()
			if err != nil {
				if ctx.Err() != nil {
					return nil, ctx.Err()
				}
				rec.Error = err.Error()
				if progress != nil {
					fmt.Fprintf(progress, "doc %d %s: %v\n", di, m, err)
				}
			} else {
				sums := sentenceSums(res, sents)
				rec.SentenceValues = sums
				rec.Rank = rankOf(sums, planted)
				rec.Evaluations = res.Evaluations
				rec.Exact = res.Diagnostics[shapley.DiagExact] == 1
				sentRes := *res
				sentRes.Settings.Features = perturb.Sentences.String()
				sentRes.Features = make([]attribution.FeatureAttribution, len(sents))
				for i, s := range sents {
					sentRes.Features[i] = attribution.FeatureAttribution{Text: s.Text, ByteStart: s.Start, ByteEnd: s.End, Attribution: sums[i]}
				}
				faith, err := x.Faithfulness(ctx, &sentRes, attribution.Request{Level: perturb.Sentences}, faithfulness.Options{MaxSteps: 4})
				if err != nil {
					return nil, fmt.Errorf("bench: document %d %s: faithfulness: %w", di, m, err)
				}
				rec.Comprehensiveness, rec.Sufficiency = faith.Comprehensiveness, faith.Sufficiency
				if progress != nil {
					fmt.Fprintf(progress, "doc %d (%d words, %d sentences, planted %d) %-28s rank %2d  %6.2fs  %5d evaluations  comprehensiveness %.3f  sufficiency %.3f\n",
						di, d.Words, len(sents), planted, m, rec.Rank, rec.Seconds, res.Evaluations, faith.Comprehensiveness, faith.Sufficiency)
				}
			}
			recs = append(recs, rec)
			if emit != nil {
				if err := emit(rec); err != nil {
					return nil, err
				}
			}
		}
	}
	return recs, nil
}

// docKey identifies a document across runs.
type docKey struct {
	seed uint64
	doc  int
}

// indexLong groups records by document and method, checking that records
// of one document agree on its text and that no (document, method) comes
// twice.
func indexLong(recs []LongRecord) (map[docKey]map[string]LongRecord, error) {
	byDoc := map[docKey]map[string]LongRecord{}
	for _, r := range recs {
		k := docKey{r.Seed, r.Doc}
		ms := byDoc[k]
		if ms == nil {
			ms = map[string]LongRecord{}
			byDoc[k] = ms
		}
		for _, o := range ms {
			if o.TextHash != r.TextHash || o.Planted != r.Planted {
				return nil, fmt.Errorf("bench: document %d of seed %d has two texts (hashes %s and %s): records of different documents", r.Doc, r.Seed, o.TextHash, r.TextHash)
			}
			break
		}
		if _, dup := ms[r.Method]; dup {
			return nil, fmt.Errorf("bench: document %d of seed %d has two records of %s", r.Doc, r.Seed, r.Method)
		}
		ms[r.Method] = r
	}
	return byDoc, nil
}

// SummarizeLong aggregates records into one row per method and length, in
// the order the (method, length) pairs first appear. reference, when not
// empty, names the method whose top sentence is the second ground truth
// (RefN, RefTop1): a method must have a record of it for the documents it
// is compared on.
func SummarizeLong(recs []LongRecord, reference string) ([]LongRow, error) {
	byDoc, err := indexLong(recs)
	if err != nil {
		return nil, err
	}
	type key struct {
		method string
		length int
	}
	type acc struct {
		top1, rankSum, sentSum, n, errs, exact int
		refN, refTop1                          int
		secs, comp, suff                       []float64
		evals                                  float64
	}
	accs := map[key]*acc{}
	var order []key
	for _, r := range recs {
		k := key{r.Method, r.Length}
		a := accs[k]
		if a == nil {
			a = &acc{}
			accs[k] = a
			order = append(order, k)
		}
		if r.Error != "" {
			a.errs++
			continue
		}
		a.n++
		if r.Rank == 1 {
			a.top1++
		}
		a.rankSum += r.Rank
		a.sentSum += len(r.SentenceValues)
		a.secs = append(a.secs, r.Seconds)
		a.evals += float64(r.Evaluations)
		if r.Exact {
			a.exact++
		}
		a.comp = append(a.comp, r.Comprehensiveness)
		a.suff = append(a.suff, r.Sufficiency)
		if reference == "" {
			continue
		}
		ref, ok := byDoc[docKey{r.Seed, r.Doc}][reference]
		if !ok || ref.Error != "" {
			continue
		}
		if top := topOf(ref.SentenceValues); top >= 0 {
			a.refN++
			if rankOf(r.SentenceValues, top) == 1 {
				a.refTop1++
			}
		}
	}
	rows := make([]LongRow, 0, len(order))
	for _, k := range order {
		a := accs[k]
		r := LongRow{Method: k.method, Length: k.length, N: a.n, Errors: a.errs, Top1: a.top1, RefN: a.refN, RefTop1: a.refTop1, Exact: a.exact}
		if a.n > 0 {
			r.Top1Interval = stats.Wilson(a.top1, a.n, stats.Z95)
			r.MeanRank = float64(a.rankSum) / float64(a.n)
			r.MeanSentences = float64(a.sentSum) / float64(a.n)
			r.Evaluations = a.evals / float64(a.n)
			r.Seconds = stats.PairedSummary(a.secs, 0.95)
			r.Comprehensiveness = stats.PairedSummary(a.comp, 0.95)
			r.Sufficiency = stats.PairedSummary(a.suff, 0.95)
		}
		if a.refN > 0 {
			r.RefTop1Interval = stats.Wilson(a.refTop1, a.refN, stats.Z95)
		}
		rows = append(rows, r)
	}
	return rows, nil
}

// LongComparison is method A against method B on the documents of one
// length that both explained without error: McNemar's exact test of
// their planted-first rates, and their time ratio.
type LongComparison struct {
	A      string `json:"a"`
	B      string `json:"b"`
	Length int    `json:"length"`
	// N documents: both ranked the planted sentence first, only A, only
	// B, neither.
	N       int `json:"n"`
	Both    int `json:"both"`
	OnlyA   int `json:"only_a"`
	OnlyB   int `json:"only_b"`
	Neither int `json:"neither"`
	// P is McNemar's exact two-sided p-value (the sign test on OnlyA
	// against OnlyB).
	P float64 `json:"p"`
	// TimeRatio is A's total wall time over B's on these documents, and
	// TimeRatioMax the largest per-document ratio.
	TimeRatio    float64 `json:"time_ratio"`
	TimeRatioMax float64 `json:"time_ratio_max"`
}

// CompareLong pairs method a with method b on every document both have a
// record of, one comparison per length (in increasing order).
func CompareLong(recs []LongRecord, a, b string) ([]LongComparison, error) {
	byDoc, err := indexLong(recs)
	if err != nil {
		return nil, err
	}
	keys := make([]docKey, 0, len(byDoc))
	for k := range byDoc {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].seed != keys[j].seed {
			return keys[i].seed < keys[j].seed
		}
		return keys[i].doc < keys[j].doc
	})
	type acc struct {
		c          LongComparison
		secA, secB float64
	}
	accs := map[int]*acc{}
	for _, k := range keys {
		ra, okA := byDoc[k][a]
		rb, okB := byDoc[k][b]
		if !okA || !okB || ra.Error != "" || rb.Error != "" {
			continue
		}
		x := accs[ra.Length]
		if x == nil {
			x = &acc{c: LongComparison{A: a, B: b, Length: ra.Length}}
			accs[ra.Length] = x
		}
		x.c.N++
		switch firstA, firstB := ra.Rank == 1, rb.Rank == 1; {
		case firstA && firstB:
			x.c.Both++
		case firstA:
			x.c.OnlyA++
		case firstB:
			x.c.OnlyB++
		default:
			x.c.Neither++
		}
		x.secA += ra.Seconds
		x.secB += rb.Seconds
		if rb.Seconds > 0 {
			x.c.TimeRatioMax = math.Max(x.c.TimeRatioMax, ra.Seconds/rb.Seconds)
		}
	}
	lengths := make([]int, 0, len(accs))
	for l := range accs {
		lengths = append(lengths, l)
	}
	sort.Ints(lengths)
	out := make([]LongComparison, 0, len(lengths))
	for _, l := range lengths {
		x := accs[l]
		x.c.P = stats.SignTest(x.c.OnlyA, x.c.OnlyB)
		if x.secB > 0 {
			x.c.TimeRatio = x.secA / x.secB
		}
		out = append(out, x.c)
	}
	return out, nil
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
	fmt.Fprintf(w, "%-26s %6s %3s  %-22s %-22s %9s %9s %12s %5s  %-24s %-24s %s\n", "method/level/budget", "words", "n", "planted first (95% CI)", "ref top first (95% CI)",
		"mean rank", "sentences", "evaluations", "exact", "seconds (95% CI)", "comprehensiveness", "sufficiency")
	for _, r := range rows {
		ref := "—"
		if r.RefN > 0 {
			ref = fmt.Sprintf("%2d/%-3d %5.2f–%-5.2f", r.RefTop1, r.RefN, r.RefTop1Interval.Low, r.RefTop1Interval.High)
		}
		fmt.Fprintf(w, "%-26s %6d %3d  %2d/%-3d %5.2f–%-5.2f  %-22s %9.2f %9.1f %12.0f %5d  %-24s %-24s %s\n",
			r.Method, r.Length, r.N, r.Top1, r.N, r.Top1Interval.Low, r.Top1Interval.High, ref, r.MeanRank, r.MeanSentences, r.Evaluations, r.Exact,
			meanCI(r.Seconds), meanCI(r.Comprehensiveness), meanCI(r.Sufficiency))
	}
}

// WriteLongComparisons prints the paired comparisons as a text table.
func WriteLongComparisons(w io.Writer, cs []LongComparison) {
	for _, c := range cs {
		fmt.Fprintf(w, "%s vs %s, %d words, %d documents: planted first by both %d, only the first %d, only the second %d, neither %d; McNemar exact p = %.3g; time ratio %.3f (largest per document %.3f)\n",
			c.A, c.B, c.Length, c.N, c.Both, c.OnlyA, c.OnlyB, c.Neither, c.P, c.TimeRatio, c.TimeRatioMax)
	}
}

func meanCI(p stats.Paired) string {
	if p.N < 2 || math.IsNaN(p.Low) {
		return fmt.Sprintf("%.3f (n %d)", p.Mean, p.N)
	}
	return fmt.Sprintf("%.3f [%.3f, %.3f]", p.Mean, p.Low, p.High)
}
