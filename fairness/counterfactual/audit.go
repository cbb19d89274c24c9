package counterfactual

import (
	"github.com/lucid-nlp/lucid/fairness/scoring"

	"github.com/lucid-nlp/lucid/fairness/stats"

	"container/heap"
	"context"
	"fmt"
	"math"
	"sort"
)

// DefaultTopK is how many worst examples an Audit keeps when none is set.
const DefaultTopK = 10

// Config sets up an Audit.
type Config struct {
	// Families to audit; nil means Families().
	Families []Family
	// Target is the label whose probability is compared; empty means the
	// label named "positive", or else the last label (see TargetIndex).
	Target string
	// BatchSize is how many texts (originals and swaps together) go to
	// the classifier per call; 0 means DefaultBatchSize.
	BatchSize int
	// TopK is how many of the largest |Δp| examples to keep; 0 means
	// DefaultTopK, a negative value keeps none.
	TopK int
	// Tolerance bounds an immaterial mean signed Δp: a direction whose
	// mean lies in [−Tolerance, Tolerance] is too small to matter. 0
	// means DefaultTolerance (0.1, CheckList's).
	Tolerance float64
	// FlipTolerance is the largest harmless flip rate; 0 means
	// DefaultFlipTolerance (0.05).
	FlipTolerance float64
	// Confidence is the level of every interval; 0 means
	// DefaultConfidence (0.95).
	Confidence float64
	// Alpha is the significance level of the verdicts, after Holm's
	// correction; 0 means stats.DefaultAlpha (0.05).
	Alpha float64
	// ReservoirSize is how many per-text differences each direction keeps
	// for its Wilcoxon test (a uniform sample once more texts arrive); 0
	// means DefaultReservoirSize (10,000).
	ReservoirSize int
}

// Audit measures how a classifier's output moves under identity-term
// swaps. Feed it texts with Add and read the report with Result. Texts are
// queued and scored in full batches, each original with its swaps; texts
// that mention no term are counted and never scored. Memory is bounded by
// one batch, one accumulator per (family, term, group) pair seen and TopK
// examples. An Audit is not safe for concurrent use.
type Audit struct {
	clf    Classifier
	labels []string
	target int
	fams   []Family
	topK   int
	b      *scoring.Batcher

	texts, withTerms, swaps int
	nextText, nextSwap      int

	th        thresholds
	reservoir int

	famPos    map[string]int // family name → position in fams
	famAcc    []acc          // by position in fams
	groupAcc  map[groupKey]*acc
	signedAcc map[groupKey]*stats.PairedStream
	pairAcc   map[pairKey]*acc
	worst     exampleHeap
}

type item struct {
	seq   int
	text  string
	swaps []Swap
}

type groupKey struct {
	fam      int
	from, to string
}

type pairKey struct {
	fam      int
	term, to string
}

// NewAudit checks the configuration against the classifier's labels.
func NewAudit(clf Classifier, cfg Config) (*Audit, error) {
	labels := clf.Labels()
	t, err := scoring.TargetIndex(labels, cfg.Target)
	if err != nil {
		return nil, err
	}
	fams := cfg.Families
	if fams == nil {
		fams = Families()
	}
	if len(fams) == 0 {
		return nil, fmt.Errorf("counterfactual: no families to audit")
	}
	fams = append([]Family(nil), fams...)
	famPos := make(map[string]int, len(fams))
	for i := range fams {
		if err := fams[i].Validate(); err != nil {
			return nil, err
		}
		if _, dup := famPos[fams[i].Name]; dup {
			return nil, fmt.Errorf("counterfactual: family %q is listed twice", fams[i].Name)
		}
		famPos[fams[i].Name] = i
		if fams[i].idx == nil {
			fams[i].idx = buildIndex(fams[i])
		}
	}
	size := cfg.BatchSize
	switch {
	case size == 0:
		size = scoring.DefaultBatchSize
	case size < 0:
		return nil, fmt.Errorf("counterfactual: batch size %d is negative", size)
	}
	th := thresholds{tol: cfg.Tolerance, flipTol: cfg.FlipTolerance, conf: cfg.Confidence, alpha: cfg.Alpha}
	if th.tol == 0 {
		th.tol = DefaultTolerance
	}
	if th.flipTol == 0 {
		th.flipTol = DefaultFlipTolerance
	}
	if th.conf == 0 {
		th.conf = DefaultConfidence
	}
	if th.alpha == 0 {
		th.alpha = stats.DefaultAlpha
	}
	switch {
	case !(th.tol > 0 && th.tol < 1):
		return nil, fmt.Errorf("counterfactual: tolerance %v is outside (0, 1); it bounds a difference of probabilities", cfg.Tolerance)
	case !(th.flipTol > 0 && th.flipTol < 1):
		return nil, fmt.Errorf("counterfactual: flip tolerance %v is outside (0, 1)", cfg.FlipTolerance)
	case !(th.conf > 0 && th.conf < 1):
		return nil, fmt.Errorf("counterfactual: confidence %v is outside (0, 1)", cfg.Confidence)
	case !(th.alpha > 0 && th.alpha < 1):
		return nil, fmt.Errorf("counterfactual: alpha %v is outside (0, 1)", cfg.Alpha)
	}
	res := cfg.ReservoirSize
	switch {
	case res == 0:
		res = DefaultReservoirSize
	case res < 0:
		return nil, fmt.Errorf("counterfactual: reservoir size %d is negative", res)
	}
	k := cfg.TopK
	switch {
	case k == 0:
		k = DefaultTopK
	case k < 0:
		k = 0
	}
	a := &Audit{
		clf:       clf,
		labels:    append([]string(nil), labels...),
		target:    t,
		fams:      fams,
		topK:      k,
		b:         scoring.NewBatcher(clf, size, len(labels)),
		th:        th,
		reservoir: res,
		famPos:    famPos,
		famAcc:    make([]acc, len(fams)),
		groupAcc:  make(map[groupKey]*acc),
		signedAcc: make(map[groupKey]*stats.PairedStream),
		pairAcc:   make(map[pairKey]*acc),
	}
	for i := range a.famAcc {
		a.famAcc[i].lastText = -1
	}
	return a, nil
}

// Add queues a text with its swaps and scores whatever full batches are
// ready. If scoring fails the texts stay queued, and a later Add, Flush or
// Result tries them again.
func (a *Audit) Add(ctx context.Context, text string) error {
	a.texts++
	swaps := Counterfactuals(text, a.fams)
	if len(swaps) == 0 {
		return nil
	}
	a.withTerms++
	it := item{seq: a.nextText, text: text, swaps: swaps}
	a.nextText++
	texts := make([]string, 0, 1+len(swaps))
	texts = append(texts, text)
	for _, s := range swaps {
		texts = append(texts, s.Text)
	}
	a.b.Add(texts, func(probs [][]float64) { a.account(it, probs) })
	return a.b.Run(ctx, false)
}

// Flush scores every queued text, even if that leaves a batch short.
func (a *Audit) Flush(ctx context.Context) error { return a.b.Run(ctx, true) }

func (a *Audit) account(it item, probs [][]float64) {
	po := probs[0]
	lo := scoring.Argmax(po)
	// One paired difference per (text, direction): the mean Δp of the
	// text's swaps in that direction.
	type dirSum struct {
		sum float64
		n   int
	}
	var dirs []groupKey
	sums := make(map[groupKey]*dirSum)
	defer func() {
		for _, k := range dirs {
			acc := a.signedAcc[k]
			if acc == nil {
				// Seeded by order of first sight, so the sample does not
				// depend on how the stream was batched.
				acc = stats.NewPairedStream(a.reservoir, uint64(len(a.signedAcc)))
				a.signedAcc[k] = acc
			}
			acc.Add(sums[k].sum / float64(sums[k].n))
		}
	}()
	for k, s := range it.swaps {
		ps := probs[1+k]
		d := ps[a.target] - po[a.target]
		ls := scoring.Argmax(ps)
		flip := ls != lo
		fi := a.famPos[s.Family]
		a.swaps++
		a.famAcc[fi].add(d, flip, it.seq)
		gk := groupKey{fi, s.FromGroup, s.ToGroup}
		if a.groupAcc[gk] == nil {
			a.groupAcc[gk] = &acc{lastText: -1}
		}
		a.groupAcc[gk].add(d, flip, it.seq)
		if sums[gk] == nil {
			sums[gk] = &dirSum{}
			dirs = append(dirs, gk)
		}
		sums[gk].sum += d
		sums[gk].n++
		pk := pairKey{fi, s.Term, s.ToGroup}
		if a.pairAcc[pk] == nil {
			a.pairAcc[pk] = &acc{lastText: -1, from: s.FromGroup, repl: s.Replacement}
		}
		a.pairAcc[pk].add(d, flip, it.seq)
		a.keep(it, s, po, ps, d, lo, ls)
	}
}

// keep offers an example to the top-K heap; ties in |Δp| keep the earlier
// swap, so the choice is the same however the stream was batched.
func (a *Audit) keep(it item, s Swap, po, ps []float64, d float64, lo, ls int) {
	seq := a.nextSwap
	a.nextSwap++
	if a.topK == 0 {
		return
	}
	if len(a.worst) == a.topK && !worse(math.Abs(d), seq, a.worst[0]) {
		return
	}
	ex := &heldExample{seq: seq, Example: Example{
		Original:      it.text,
		Swap:          s,
		OriginalProbs: append([]float64(nil), po...),
		SwappedProbs:  append([]float64(nil), ps...),
		OriginalLabel: a.labels[lo],
		SwappedLabel:  a.labels[ls],
		Delta:         d,
	}}
	if len(a.worst) < a.topK {
		heap.Push(&a.worst, ex)
		return
	}
	a.worst[0] = ex
	heap.Fix(&a.worst, 0)
}

// Result scores what is still queued and returns the report so far. The
// audit can go on taking texts afterwards.
func (a *Audit) Result(ctx context.Context) (Result, error) {
	if err := a.Flush(ctx); err != nil {
		return Result{}, err
	}
	r := Result{
		Target:         a.labels[a.target],
		Labels:         append([]string(nil), a.labels...),
		Texts:          a.texts,
		TextsWithTerms: a.withTerms,
		Swaps:          a.swaps,
	}
	for i, f := range a.fams {
		r.Families = append(r.Families, a.famAcc[i].stats(Stats{Family: f.Name}))
	}
	for k, v := range a.groupAcc {
		r.Groups = append(r.Groups, v.stats(Stats{Family: a.fams[k.fam].Name, FromGroup: k.from, ToGroup: k.to}))
	}
	for k, v := range a.pairAcc {
		r.Pairs = append(r.Pairs, v.stats(Stats{Family: a.fams[k.fam].Name, FromGroup: v.from, ToGroup: k.to, Term: k.term, Replacement: v.repl}))
	}
	famPos := a.famPos
	// Largest mean |Δp| first within each family; names break ties so the
	// order never depends on map iteration.
	order := func(s []Stats) {
		sort.Slice(s, func(i, j int) bool {
			x, y := s[i], s[j]
			if x.Family != y.Family {
				return famPos[x.Family] < famPos[y.Family]
			}
			if x.MeanAbsDelta != y.MeanAbsDelta {
				return x.MeanAbsDelta > y.MeanAbsDelta
			}
			if x.FromGroup != y.FromGroup {
				return x.FromGroup < y.FromGroup
			}
			if x.ToGroup != y.ToGroup {
				return x.ToGroup < y.ToGroup
			}
			return x.Term < y.Term
		})
	}
	order(r.Groups)
	order(r.Pairs)
	a.judge(&r) // after ordering: the worst direction's tie-break follows the table
	held := append([]*heldExample(nil), a.worst...)
	sort.Slice(held, func(i, j int) bool { return worse(math.Abs(held[i].Delta), held[i].seq, held[j]) })
	for _, h := range held {
		r.Worst = append(r.Worst, h.Example)
	}
	return r, nil
}

// Result is an audit's report. Δp is p(target | swapped) − p(target |
// original); a flip is a change of the predicted (highest-probability)
// label.
type Result struct {
	Target string   `json:"target"`
	Labels []string `json:"labels"`
	// Texts is the number of texts added, TextsWithTerms those that
	// mention a term of some family, Swaps the swaps scored.
	Texts          int `json:"texts"`
	TextsWithTerms int `json:"texts_with_terms"`
	Swaps          int `json:"swaps"`
	// Families has one row per audited family, in the configured order,
	// including families no text mentioned (Swaps = 0).
	Families []Stats `json:"families"`
	// Groups is by (family, from group, to group), Pairs by (family, term →
	// replacement); both sorted by family, then largest mean |Δp| first.
	Groups []Stats `json:"groups"`
	Pairs  []Stats `json:"pairs"`
	// Worst are the examples with the largest |Δp|, largest first (the
	// earlier swap first on ties).
	Worst []Example `json:"worst"`
}

// Stats summarise the swaps of one family, group pair or term pair; the
// fields that do not apply to the row are empty.
type Stats struct {
	Family      string `json:"family"`
	FromGroup   string `json:"from_group,omitempty"`
	ToGroup     string `json:"to_group,omitempty"`
	Term        string `json:"term,omitempty"`
	Replacement string `json:"replacement,omitempty"`
	// Texts is the number of texts with at least one such swap.
	Texts int `json:"texts"`
	Swaps int `json:"swaps"`
	// MeanAbsDelta is the mean |Δp|, MeanDelta the mean signed Δp (a bias
	// in one direction), MaxAbsDelta the largest |Δp|; all 0 when Swaps
	// is 0.
	MeanAbsDelta float64 `json:"mean_abs_delta"`
	MeanDelta    float64 `json:"mean_delta"`
	MaxAbsDelta  float64 `json:"max_abs_delta"`
	// Flips is the number of swaps that changed the predicted label;
	// FlipRate is Flips / Swaps.
	Flips    int     `json:"flips"`
	FlipRate float64 `json:"flip_rate"`
	// FlipInterval is the Wilson interval of FlipRate at the audit's
	// confidence, with Swaps as its n ([0, 1] when Swaps is 0).
	FlipInterval stats.Interval `json:"flip_interval"`

	// Signed is the paired analysis of the signed Δp of a direction
	// (Groups rows only; nil elsewhere): one difference per text, with
	// its t interval, sign test, paired t and Wilcoxon tests.
	Signed *Signed `json:"signed,omitempty"`
	// SignedCheck judges the mean signed Δp against [−Tolerance,
	// Tolerance] with the paired t-test's p-value, Holm-corrected across
	// the family's directions. On a Families row it is the check of the
	// family's worst direction (most severe verdict, then largest |mean|),
	// and its Test names that direction. Nil on Pairs rows.
	SignedCheck *Check `json:"signed_check,omitempty"`
	// FlipCheck judges FlipRate against [0, FlipTolerance] with its Wilson
	// interval and the exact one-sided binomial test of "rate ≤
	// FlipTolerance": Holm-corrected across the family's directions on a
	// Groups row, pooled over the family (one test) on a Families row.
	// Nil on Pairs rows.
	FlipCheck *Check `json:"flip_check,omitempty"`
	// Verdict is the more severe of SignedCheck's and FlipCheck's, its
	// reason naming which (Families and Groups rows only).
	Verdict *stats.Verdict `json:"verdict,omitempty"`
}

// Example is one scored swap, kept for a later explanation.
type Example struct {
	Original      string    `json:"original"`
	Swap          Swap      `json:"swap"`
	OriginalProbs []float64 `json:"original_probabilities"`
	SwappedProbs  []float64 `json:"swapped_probabilities"`
	OriginalLabel string    `json:"original_label"`
	SwappedLabel  string    `json:"swapped_label"`
	Delta         float64   `json:"delta"`
}

// acc accumulates one Stats row.
type acc struct {
	n, texts, flips int
	lastText        int
	sumAbs, sum     float64
	maxAbs          float64
	from, repl      string // for term pairs
}

func (c *acc) add(d float64, flip bool, text int) {
	c.n++
	c.sum += d
	c.sumAbs += math.Abs(d)
	c.maxAbs = max(c.maxAbs, math.Abs(d))
	if flip {
		c.flips++
	}
	if text != c.lastText {
		c.texts++
		c.lastText = text
	}
}

func (c *acc) stats(s Stats) Stats {
	s.Texts, s.Swaps, s.Flips = c.texts, c.n, c.flips
	if c.n > 0 {
		n := float64(c.n)
		s.MeanAbsDelta, s.MeanDelta, s.MaxAbsDelta = c.sumAbs/n, c.sum/n, c.maxAbs
		s.FlipRate = float64(c.flips) / n
	}
	return s
}

// judge fills the interval, paired and verdict fields of r's rows.
func (a *Audit) judge(r *Result) {
	th := a.th
	z := stats.ZFor(th.conf)
	for _, rows := range [][]Stats{r.Families, r.Groups, r.Pairs} {
		for i := range rows {
			rows[i].FlipInterval = stats.Wilson(rows[i].Flips, rows[i].Swaps, z)
		}
	}
	byFam := make(map[string][]int) // family → indexes into r.Groups
	for i := range r.Groups {
		g := &r.Groups[i]
		sg := signedOf(a.signedAcc[groupKey{a.famPos[g.Family], g.FromGroup, g.ToGroup}], th.conf)
		g.Signed = &sg
		byFam[g.Family] = append(byFam[g.Family], i)
	}
	for fi := range r.Families {
		f := &r.Families[fi]
		dirs := byFam[f.Family]
		tp := make([]float64, len(dirs))
		fp := make([]float64, len(dirs))
		for k, i := range dirs {
			tp[k] = r.Groups[i].Signed.TP
			fp[k] = stats.BinomialUpper(r.Groups[i].Flips, r.Groups[i].Swaps, th.flipTol)
		}
		tAdj, fAdj := stats.Holm(tp), stats.Holm(fp)
		var worst *Check
		var worstDir *Stats
		for k, i := range dirs {
			g := &r.Groups[i]
			sc := th.signedCheck(*g.Signed, tAdj[k], len(dirs))
			fc := th.flipCheck(g.Flips, g.Swaps, fp[k], fAdj[k], fmt.Sprintf("exact binomial (rate ≤ %g) over %d swaps, Holm over %d directions", th.flipTol, g.Swaps, len(dirs)))
			g.SignedCheck, g.FlipCheck = &sc, &fc
			g.Verdict = combine(sc, fc)
			if worst == nil || worseCheck(sc, *worst) {
				worst, worstDir = g.SignedCheck, g
			}
		}
		if worst == nil {
			e := stats.Evidence{Estimate: math.NaN(), Low: math.NaN(), High: math.NaN(), P: math.NaN(), Lower: -th.tol, Upper: th.tol, Alpha: th.alpha}
			f.SignedCheck = &Check{Evidence: e, PRaw: math.NaN(), Test: "no swaps", Verdict: stats.Decide(e)}
		} else {
			c := *worst
			c.Test = fmt.Sprintf("worst direction %s → %s: %s", worstDir.FromGroup, worstDir.ToGroup, c.Test)
			f.SignedCheck = &c
		}
		raw := stats.BinomialUpper(f.Flips, f.Swaps, th.flipTol)
		fc := th.flipCheck(f.Flips, f.Swaps, raw, raw, fmt.Sprintf("exact binomial (rate ≤ %g) over %d swaps of the family", th.flipTol, f.Swaps))
		f.FlipCheck = &fc
		f.Verdict = combine(*f.SignedCheck, fc)
	}
}

// worseCheck orders direction checks: the more severe verdict, then the
// larger |estimate| (NaN last).
func worseCheck(x, y Check) bool {
	sx, sy := x.Verdict.Status.Severity(), y.Verdict.Status.Severity()
	if sx != sy {
		return sx > sy
	}
	ax, ay := math.Abs(x.Evidence.Estimate), math.Abs(y.Evidence.Estimate)
	if math.IsNaN(ay) {
		return !math.IsNaN(ax)
	}
	return ax > ay
}

// combine is the more severe of a signed-Δp and a flip-rate verdict (the
// signed one on ties), its reason naming which.
func combine(signed, flip Check) *stats.Verdict {
	if flip.Verdict.Status.Severity() > signed.Verdict.Status.Severity() {
		return &stats.Verdict{Status: flip.Verdict.Status, Reason: "flip rate: " + flip.Verdict.Reason}
	}
	return &stats.Verdict{Status: signed.Verdict.Status, Reason: "mean signed Δp: " + signed.Verdict.Reason}
}

type heldExample struct {
	Example
	seq int
}

// worse says whether a swap with |Δp| abs and sequence number seq ranks
// above h: larger |Δp|, or equal and earlier.
func worse(abs float64, seq int, h *heldExample) bool {
	ha := math.Abs(h.Delta)
	if abs != ha {
		return abs > ha
	}
	return seq < h.seq
}

// exampleHeap is a min-heap: the root is the least bad example kept, the
// one a worse newcomer replaces.
type exampleHeap []*heldExample

func (h exampleHeap) Len() int           { return len(h) }
func (h exampleHeap) Less(i, j int) bool { return worse(math.Abs(h[j].Delta), h[j].seq, h[i]) }
func (h exampleHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *exampleHeap) Push(x any)        { *h = append(*h, x.(*heldExample)) }
func (h *exampleHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
