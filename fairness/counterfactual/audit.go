package counterfactual

import (
	"cmp"
	"container/heap"
	"context"
	"fmt"
	"hash/fnv"
	"math"
	"slices"
	"sort"

	"github.com/lucid-nlp/lucid/engine"
	"github.com/lucid-nlp/lucid/fairness/pairtext"
	"github.com/lucid-nlp/lucid/fairness/scoring"
	"github.com/lucid-nlp/lucid/fairness/stats"
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
	// for its Wilcoxon test (once more texts arrive, those whose text
	// hashes smallest: a uniform sample of distinct texts that does not
	// depend on their order); 0
	// means DefaultReservoirSize (10,000).
	ReservoirSize int
	// Partners is how many partners in each other group every name of a
	// name family (IsNameFamily) is paired with: 0 means DefaultPartners
	// (5), a negative value every name of that group. Where a group has
	// more names than Partners, PartnerSeed picks which (PartnersOf); the
	// choice is fixed per name, so every text with the name uses the same
	// partners.
	Partners    int
	PartnerSeed uint64
	// MaxFrames bounds the frames (AddFramed) broken down in
	// Result.Strata; beyond it the breakdown keeps the MaxFrames frames
	// whose name hashes smallest (a sample that does not depend on order)
	// and says so. 0 means DefaultMaxFrames (500).
	MaxFrames int
	// Pairs says the texts are sentence pairs joined by pairtext.Join;
	// PairSide says which text a swap changes: the first, the second, or
	// both (a term swapped wherever it is in the pair).
	Pairs    bool
	PairSide pairtext.Side
}

// Audit measures how a classifier's output moves under identity-term
// swaps. Feed it texts with Add and read the report with Result. Texts are
// queued and scored in full batches, each original with its swaps; texts
// that mention no term are counted and never scored. Memory is bounded by
// one batch, one accumulator per (family, term, replacement) pair seen (in
// a name family, per name and partner), one per (direction, stratum), and
// TopK examples. An Audit is not safe for concurrent use.
//
// An Audit is mergeable (Merge, MarshalBinary, UnmarshalBinary): its
// counts are integers, its Δp sums exact (stats.ExactSum), each
// direction's Wilcoxon sample a bottom-k sketch keyed by a hash of the
// original text and seeded by the direction, and the worst examples are
// ordered by |Δp| then by content (original text, swapped text, family,
// groups, term, replacement). So for any split of the texts into parts,
// audited in any order and merged in any order, Result is the same, byte
// for byte in JSON, as one audit of every text, provided the classifier
// gives a text the same probabilities whatever batch it is scored in (a
// runtime whose floats change with batch padding makes the Δp themselves,
// not the merge, differ in the last bits). Merge and MarshalBinary need a
// flushed audit (Flush or Result first): queued texts are neither encoded
// nor merged, so both refuse while any are queued.
type Audit struct {
	clf    Classifier
	labels []string
	target int
	fams   []Family
	topK   int
	b      *scoring.Batcher

	texts, withTerms, swaps int

	th          thresholds
	reservoir   int
	partners    int
	partnerSeed uint64
	nameFam     []bool // by position in fams: IsNameFamily
	// pairFams caches the two-group families of name → partner swaps.
	pairFams map[partnerKey]Family
	// fingerprint identifies the labels, target and settings that shape
	// the result (see fingerprintOf); Merge and UnmarshalBinary refuse
	// state from an audit set up differently.
	fingerprint string

	famPos    map[string]int // family name → position in fams
	famAcc    []acc          // by position in fams
	groupAcc  map[groupKey]*acc
	signedAcc map[groupKey]*stats.PairedStream
	pairAcc   map[pairKey]*acc
	strata    map[strataKey]*stratumAcc
	frames    frameSet
	worst     exampleHeap
	// pairs and pairSide are Config's (pair.go).
	pairs    bool
	pairSide pairtext.Side
}

type item struct {
	text, frame string
	swaps       []Swap
}

type groupKey struct {
	fam      int
	from, to string
}

// pairKey is one term pair: a pronoun with two replacements into the same
// group ("her" → "him" or "his") gives two rows.
type pairKey struct {
	fam            int
	term, to, repl string
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
	maxFrames := cfg.MaxFrames
	switch {
	case maxFrames == 0:
		maxFrames = DefaultMaxFrames
	case maxFrames < 0:
		return nil, fmt.Errorf("counterfactual: max frames %d is negative", maxFrames)
	}
	partners := cfg.Partners
	if partners == 0 {
		partners = DefaultPartners
	}
	if partners < 0 {
		partners = -1
	}
	k := cfg.TopK
	switch {
	case k == 0:
		k = DefaultTopK
	case k < 0:
		k = 0
	}
	a := &Audit{
		clf:         clf,
		labels:      append([]string(nil), labels...),
		target:      t,
		fams:        fams,
		topK:        k,
		b:           scoring.NewBatcher(clf, size, len(labels)),
		th:          th,
		reservoir:   res,
		partners:    partners,
		partnerSeed: cfg.PartnerSeed,
		nameFam:     make([]bool, len(fams)),
		pairFams:    make(map[partnerKey]Family),
		strata:      make(map[strataKey]*stratumAcc),
		frames:      newFrameSet(maxFrames),
		famPos:      famPos,
		famAcc:      make([]acc, len(fams)),
		groupAcc:    make(map[groupKey]*acc),
		signedAcc:   make(map[groupKey]*stats.PairedStream),
		pairAcc:     make(map[pairKey]*acc),
	}
	for i, f := range fams {
		a.nameFam[i] = IsNameFamily(f)
	}
	a.pairs, a.pairSide = cfg.Pairs, cfg.PairSide
	a.fingerprint = a.fingerprintOf()
	if a.pairs {
		// Swaps of one side and of both are different audits: no merge.
		a.fingerprint += "|pairs:" + a.pairSide.String()
	}
	return a, nil
}

// Add queues a text with its swaps and scores whatever full batches are
// ready. If scoring fails the texts stay queued, and a later Add, Flush or
// Result tries them again. Add(ctx, text) is AddFramed(ctx, text, "").
func (a *Audit) Add(ctx context.Context, text string) error { return a.AddFramed(ctx, text, "") }

// AddFramed is Add for a text of a matched design: frame names its
// template (or pair id), and the result breaks each direction down by
// frame too (Result.Strata), so frames pulling in opposite directions are
// visible. An empty frame is no frame.
func (a *Audit) AddFramed(ctx context.Context, text, frame string) error {
	a.texts++
	swaps := a.swapsOf(text)
	if len(swaps) == 0 {
		return nil
	}
	a.withTerms++
	it := item{text: text, frame: frame, swaps: swaps}
	texts := make([]string, 0, 1+len(swaps))
	texts = append(texts, text)
	for _, s := range swaps {
		texts = append(texts, s.Text)
	}
	a.b.Add(texts, func(probs [][]float64) { a.account(it, probs) })
	return a.b.Run(ctx, false)
}

// swapsOf is every swap the audit scores for text: Counterfactuals for a
// family of terms, each name with each of its partners for a name family.
func (a *Audit) swapsOf(text string) []Swap {
	if out, ok := a.pairSwaps(text); ok {
		return out
	}
	var out []Swap
	for i := range a.fams {
		if a.nameFam[i] {
			out = append(out, a.partnerSwaps(text, i)...)
			continue
		}
		out = append(out, Counterfactuals(text, a.fams[i:i+1])...)
	}
	return out
}

// Flush scores every queued text, even if that leaves a batch short.
func (a *Audit) Flush(ctx context.Context) error { return a.b.Run(ctx, true) }

func (a *Audit) account(it item, probs [][]float64) {
	po := probs[0]
	lo := engine.Argmax(po)
	// One paired difference per (text, direction): the mean Δp of the
	// text's swaps in that direction.
	type dirSum struct {
		sum float64
		n   int
	}
	var dirs []groupKey
	sums := make(map[groupKey]*dirSum)
	var strata []strataKey
	ssums := make(map[strataKey]*stratumText)
	// A text counts once in each row it has swaps in: the rows it touched
	// are counted when it is done, so the count needs no text sequence.
	touched := make(map[*acc]*stratumText)
	touch := func(c *acc, d float64, flip bool) {
		if touched[c] == nil {
			touched[c] = &stratumText{}
		}
		touched[c].add(d, flip)
	}
	defer func() {
		for c, t := range touched {
			c.addText(t)
		}
		key := textKey(it.text)
		for _, k := range dirs {
			acc := a.signedAcc[k]
			if acc == nil {
				acc = a.newSigned(k)
				a.signedAcc[k] = acc
			}
			// Keyed by the text, so the Wilcoxon sample is the same set of
			// texts however the stream was split or ordered.
			acc.AddKeyed(sums[k].sum/float64(sums[k].n), key)
		}
		for _, k := range strata {
			sa := a.strata[k]
			if sa == nil {
				sa = &stratumAcc{}
				a.strata[k] = sa
			}
			sa.addText(ssums[k])
		}
	}()
	for k, s := range it.swaps {
		ps := probs[1+k]
		d := ps[a.target] - po[a.target]
		ls := engine.Argmax(ps)
		flip := ls != lo
		fi := a.famPos[s.Family]
		a.swaps++
		a.famAcc[fi].add(d, flip)
		touch(&a.famAcc[fi], d, flip)
		gk := groupKey{fi, s.FromGroup, s.ToGroup}
		if a.groupAcc[gk] == nil {
			a.groupAcc[gk] = &acc{}
		}
		a.groupAcc[gk].add(d, flip)
		touch(a.groupAcc[gk], d, flip)
		if sums[gk] == nil {
			sums[gk] = &dirSum{}
			dirs = append(dirs, gk)
		}
		sums[gk].sum += d
		sums[gk].n++
		for _, sk := range a.strataOf(gk, s, it.frame) {
			if ssums[sk] == nil {
				ssums[sk] = &stratumText{}
				strata = append(strata, sk)
			}
			ssums[sk].add(d, flip)
		}
		pk := pairKey{fi, s.Term, s.ToGroup, s.Replacement}
		if a.pairAcc[pk] == nil {
			a.pairAcc[pk] = &acc{from: s.FromGroup}
		}
		a.pairAcc[pk].add(d, flip)
		touch(a.pairAcc[pk], d, flip)
		a.keep(it, s, po, ps, d, lo, ls)
	}
}

// newSigned is a direction's paired stream, seeded by the direction itself
// (not by the order directions are first seen), so that audits of
// different parts of a stream sample alike and merge.
func (a *Audit) newSigned(k groupKey) *stats.PairedStream {
	h := fnv.New64a()
	for _, s := range []string{a.fams[k.fam].Name, k.from, k.to} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return stats.NewPairedStream(a.reservoir, h.Sum64())
}

// textKey is a text's identity in the Wilcoxon samples: FNV-1a 64 of it.
func textKey(text string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(text))
	return h.Sum64()
}

// keep offers an example to the top-K heap; ties in |Δp| are broken by
// content (see worse), so the choice is the same however the stream was
// batched, split or ordered.
func (a *Audit) keep(it item, s Swap, po, ps []float64, d float64, lo, ls int) {
	if a.topK == 0 {
		return
	}
	cand := Example{
		Original:      it.text,
		Swap:          s,
		OriginalProbs: po,
		SwappedProbs:  ps,
		OriginalLabel: a.labels[lo],
		SwappedLabel:  a.labels[ls],
		Delta:         d,
	}
	if len(a.worst) == a.topK && !worse(&cand, &a.worst[0].Example) {
		return
	}
	// Kept: copy the probabilities out of the batch's buffers.
	cand.OriginalProbs = append([]float64(nil), po...)
	cand.SwappedProbs = append([]float64(nil), ps...)
	ex := &heldExample{Example: cand}
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
		r.Pairs = append(r.Pairs, v.stats(Stats{Family: a.fams[k.fam].Name, FromGroup: v.from, ToGroup: k.to, Term: k.term, Replacement: k.repl}))
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
			if x.Term != y.Term {
				return x.Term < y.Term
			}
			return x.Replacement < y.Replacement
		})
	}
	order(r.Groups)
	order(r.Pairs)
	r.Strata = a.strataRows()
	r.Design = Design{Partners: a.partners, PartnerSeed: a.partnerSeed, NameFamilies: ClusteredMethod, TermFamilies: TextMethod,
		Strata:    "descriptive: by term kind (pronoun, title, term) in families of terms, and by frame when texts carry one; unit = text, Student's t interval over texts",
		MaxFrames: a.frames.max, FramesSampled: a.frames.sampled}
	a.judge(&r) // after ordering: the worst direction's tie-break follows the table
	held := append([]*heldExample(nil), a.worst...)
	sort.Slice(held, func(i, j int) bool { return worse(&held[i].Example, &held[j].Example) })
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
	// In a name family a Pairs row is one (name → partner) pairing.
	Groups []Stats `json:"groups"`
	Pairs  []Stats `json:"pairs"`
	// Strata break directions down by term kind and by frame (see
	// Stratum); descriptive, not judged.
	Strata []Stratum `json:"strata,omitempty"`
	// Design states how swaps were made and what the unit of each test
	// is.
	Design Design `json:"design"`
	// Worst are the examples with the largest |Δp|, largest first; ties
	// are ordered by content: original text, swapped text, family,
	// groups, term, replacement.
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
	// its t interval, sign test, paired t and Wilcoxon tests. It is the
	// verdict's evidence in a family of terms; in a name family it is
	// descriptive, and Clustered is the evidence.
	Signed *Signed `json:"signed,omitempty"`
	// Clustered is the analysis with the name as the unit (Groups rows of
	// name families only): its N is the number of names, Texts the
	// number of texts behind them.
	Clustered *Clustered `json:"clustered,omitempty"`
	// SignedCheck judges the mean signed Δp against [−Tolerance,
	// Tolerance] with the t-test's p-value (over texts in a family of
	// terms, over names in a name family: see Design). On a Families row
	// it is the check of the family's worst direction (most severe
	// verdict, then largest |mean|), and its Test names that direction.
	// Nil on Pairs rows.
	//
	// Every test that can make a family FAIL (each direction's
	// SignedCheck and FlipCheck, and the family's pooled FlipCheck) is in
	// one Holm family; each Check's Test names it.
	SignedCheck *Check `json:"signed_check,omitempty"`
	// FlipCheck judges the flip rate against [0, FlipTolerance] by unit:
	// the one-sided t-test of "rate ≤ FlipTolerance" over the texts' flip
	// rates (in a name family: the mean of the names' flip rates, two-way
	// t), its interval widened to FlipInterval and its p to the exact
	// binomial test over swaps, whichever is larger: per direction on a
	// Groups row, pooled over the family on a Families row. Nil on Pairs
	// rows.
	FlipCheck *Check `json:"flip_check,omitempty"`
	// Verdict is the more severe of SignedCheck's and FlipCheck's, its
	// reason naming which (Families and Groups rows only).
	Verdict *stats.Verdict `json:"verdict,omitempty"`
}

// Design states how an audit made its swaps and tested them, for
// report.json.
type Design struct {
	// Partners is how many partners in each other group every name of a
	// name family was paired with (−1: every name of the group), chosen
	// by PartnerSeed.
	Partners    int    `json:"partners_per_name"`
	PartnerSeed uint64 `json:"partner_seed"`
	// NameFamilies and TermFamilies state the unit of replication and the
	// tests of the two kinds of family; Strata the breakdown's.
	NameFamilies string `json:"name_families"`
	TermFamilies string `json:"term_families"`
	Strata       string `json:"strata"`
	// MaxFrames is the most frames broken down; FramesSampled says there
	// were more, and Strata holds the MaxFrames whose name hashes
	// smallest (FNV-1a 64).
	MaxFrames     int  `json:"max_frames"`
	FramesSampled bool `json:"frames_sampled"`
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

// acc accumulates one Stats row: integer counts, exact sums and a
// maximum, all independent of the order swaps arrive in. Texts is
// counted by account, once per text that touched the row.
type acc struct {
	n, texts, flips int
	sumAbs, sum     stats.ExactSum
	maxAbs          float64
	from            string // for term pairs
	// tflip and tflipSq sum each text's flip rate in the row and its
	// square: the flip rate with the text as the unit.
	tflip, tflipSq stats.ExactSum
}

// addText counts a text that had swaps t in the row.
func (c *acc) addText(t *stratumText) {
	c.texts++
	r := float64(t.flips) / float64(t.n)
	c.tflip.Add(r)
	c.tflipSq.Add(r * r)
}

// textFlips is the row's flip rate with the text as the unit: the mean of
// its texts' flip rates, with standard error and df for Student's t.
func (c *acc) textFlips() twoWayEst {
	return momentsEst(c.texts, c.tflip.Value(), c.tflipSq.Value())
}

func (c *acc) add(d float64, flip bool) {
	c.n++
	c.sum.Add(d)
	c.sumAbs.Add(math.Abs(d))
	c.maxAbs = max(c.maxAbs, math.Abs(d))
	if flip {
		c.flips++
	}
}

// merge adds o's swaps into c.
func (c *acc) merge(o *acc) {
	c.n += o.n
	c.texts += o.texts
	c.flips += o.flips
	c.sum.Merge(&o.sum)
	c.sumAbs.Merge(&o.sumAbs)
	c.maxAbs = max(c.maxAbs, o.maxAbs)
	c.tflip.Merge(&o.tflip)
	c.tflipSq.Merge(&o.tflipSq)
}

func (c *acc) stats(s Stats) Stats {
	s.Texts, s.Swaps, s.Flips = c.texts, c.n, c.flips
	if c.n > 0 {
		n := float64(c.n)
		s.MeanAbsDelta, s.MeanDelta, s.MaxAbsDelta = c.sumAbs.Value()/n, c.sum.Value()/n, c.maxAbs
		s.FlipRate = float64(c.flips) / n
	}
	return s
}

// judge fills the interval, paired and verdict fields of r's rows.
//
// Each check's evidence is never more confident than counting swaps or
// texts as independent would be: a name family's signed check takes the
// wider of the two-way interval over names and the t interval over texts
// and the larger p; every flip check the wider of its clustered interval
// (over names, or over texts' flip rates in a family of terms) and the
// Wilson interval over swaps, and the larger of the one-sided t and exact
// binomial p. So an interval is never zero-width merely because a few
// units agree.
func (a *Audit) judge(r *Result) {
	th := a.th
	z := stats.ZFor(th.conf)
	for _, rows := range [][]Stats{r.Families, r.Groups, r.Pairs} {
		for i := range rows {
			rows[i].FlipInterval = stats.Wilson(rows[i].Flips, rows[i].Swaps, z)
		}
	}
	units := a.nameUnits()
	byFam := make(map[string][]int) // family → indexes into r.Groups
	for i := range r.Groups {
		g := &r.Groups[i]
		gk := groupKey{a.famPos[g.Family], g.FromGroup, g.ToGroup}
		sg := signedOf(a.signedAcc[gk], th.conf)
		g.Signed = &sg
		if a.nameFam[gk.fam] {
			c := clusteredOf(units[gk], g.Texts, g.Swaps, th.conf, th.flipTol)
			// Never narrower than counting texts, or swaps for flips.
			c.Low, c.High, c.TP = min(c.Low, sg.Low), max(c.High, sg.High), max(c.TP, sg.TP)
			fe := th.flipEvidence(c.FlipRate, c.FlipLow, c.FlipHigh, c.FlipP, g.Flips, g.Swaps, th.conf)
			c.FlipLow, c.FlipHigh, c.FlipP = fe.low, fe.high, fe.p
			g.Clustered = &c
		}
		byFam[g.Family] = append(byFam[g.Family], i)
	}
	for fi := range r.Families {
		f := &r.Families[fi]
		named := a.nameFam[fi]
		dirs := byFam[f.Family]
		// The judged intervals are drawn at the family's corrected level
		// (each direction's signed and flip tests and the pooled flip
		// test); the 95% figures above stay as description.
		cc := th.familyLevel(2*len(dirs) + 1)
		signedEv := make([]evidence, len(dirs))
		flipEv := make([]evidence, len(dirs))
		for k, i := range dirs {
			g := &r.Groups[i]
			gk := groupKey{fi, g.FromGroup, g.ToGroup}
			sg := signedOf(a.signedAcc[gk], cc)
			if named {
				c := clusteredOf(units[gk], g.Texts, g.Swaps, cc, th.flipTol)
				signedEv[k] = evidence{c.Mean, min(c.Low, sg.Low), max(c.High, sg.High), max(c.TP, sg.TP), cc}
				flipEv[k] = th.flipEvidence(c.FlipRate, c.FlipLow, c.FlipHigh, c.FlipP, g.Flips, g.Swaps, cc)
				continue
			}
			signedEv[k] = evidence{sg.Mean, sg.Low, sg.High, sg.TP, cc}
			tf := a.groupAcc[gk].textFlips()
			lo, hi := tf.interval(cc)
			flipEv[k] = th.flipEvidence(g.FlipRate, lo, hi, tf.pAbove(th.flipTol), g.Flips, g.Swaps, cc)
		}
		var famFlip evidence
		var famUnits string
		if named {
			pooled := clusteredOf(units.pooled(fi), f.Texts, f.Swaps, cc, th.flipTol)
			famFlip = th.flipEvidence(pooled.FlipRate, pooled.FlipLow, pooled.FlipHigh, pooled.FlipP, f.Flips, f.Swaps, cc)
			famUnits = fmt.Sprintf("%d names", pooled.N)
		} else {
			tf := a.famAcc[fi].textFlips()
			lo, hi := tf.interval(cc)
			famFlip = th.flipEvidence(f.FlipRate, lo, hi, tf.pAbove(th.flipTol), f.Flips, f.Swaps, cc)
			famUnits = fmt.Sprintf("%d texts", f.Texts)
		}
		// Every test that can make the family FAIL is one Holm family: each
		// direction's signed and flip tests and the family's pooled flip
		// test.
		ps := make([]float64, 0, 2*len(dirs)+1)
		for k := range dirs {
			ps = append(ps, signedEv[k].p)
		}
		for k := range dirs {
			ps = append(ps, flipEv[k].p)
		}
		adj := stats.Holm(append(ps, famFlip.p))
		tAdj, fAdj, famAdj := adj[:len(dirs)], adj[len(dirs):2*len(dirs)], adj[2*len(dirs)]
		m := 0
		for _, v := range adj {
			if !math.IsNaN(v) {
				m++
			}
		}
		holm := fmt.Sprintf("Holm over the family's %d tests (%d directions × signed and flip, and the pooled flip rate); intervals judged at the Bonferroni level %.4g", m, len(dirs), cc)
		var worst *Check
		var worstDir *Stats
		for k, i := range dirs {
			g := &r.Groups[i]
			var sc, fc Check
			if named {
				c := g.Clustered
				sc = th.check(signedEv[k], tAdj[k], -th.tol, th.tol, fmt.Sprintf("two-way t over %d source and %d partner names (%d texts, %d swaps; no narrower than the paired t over texts), %s", c.N, c.Partners, g.Texts, g.Swaps, holm))
				fc = th.check(flipEv[k], fAdj[k], 0, th.flipTol, fmt.Sprintf("one-sided two-way t (mean name flip rate ≤ %g) over %d source and %d partner names, and exact binomial over %d swaps (the larger p), %s", th.flipTol, c.N, c.Partners, g.Swaps, holm))
			} else {
				sc = th.check(signedEv[k], tAdj[k], -th.tol, th.tol, fmt.Sprintf("paired t over %d texts, %s", g.Signed.N, holm))
				fc = th.check(flipEv[k], fAdj[k], 0, th.flipTol, fmt.Sprintf("one-sided t (flip rate ≤ %g) over %d texts' flip rates, and exact binomial over %d swaps (the larger p), %s", th.flipTol, g.Texts, g.Swaps, holm))
			}
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
		fc := th.check(famFlip, famAdj, 0, th.flipTol, fmt.Sprintf("one-sided t (flip rate ≤ %g) over %s of the family, and exact binomial over %d swaps (the larger p), %s", th.flipTol, famUnits, f.Swaps, holm))
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
}

// compareExamples orders examples worst first: larger |Δp|, then by
// content (original text, swapped text, family, groups, term,
// replacement), then by the signed Δp and the probabilities, so the order
// is total on examples that differ and never depends on arrival.
func compareExamples(x, y *Example) int {
	if c := cmp.Compare(math.Abs(y.Delta), math.Abs(x.Delta)); c != 0 {
		return c
	}
	return cmp.Or(compareContent(x.Original, &x.Swap, y.Original, &y.Swap),
		cmp.Compare(x.Delta, y.Delta),
		slices.Compare(x.OriginalProbs, y.OriginalProbs),
		slices.Compare(x.SwappedProbs, y.SwappedProbs))
}

// compareContent is the content part of the order of examples.
func compareContent(xo string, x *Swap, yo string, y *Swap) int {
	return cmp.Or(cmp.Compare(xo, yo), cmp.Compare(x.Text, y.Text), cmp.Compare(x.Family, y.Family),
		cmp.Compare(x.FromGroup, y.FromGroup), cmp.Compare(x.ToGroup, y.ToGroup),
		cmp.Compare(x.Term, y.Term), cmp.Compare(x.Replacement, y.Replacement))
}

// worse says whether x ranks strictly above y among the worst examples.
func worse(x, y *Example) bool { return compareExamples(x, y) < 0 }

// exampleHeap is a min-heap: the root is the least bad example kept, the
// one a worse newcomer replaces.
type exampleHeap []*heldExample

func (h exampleHeap) Len() int           { return len(h) }
func (h exampleHeap) Less(i, j int) bool { return worse(&h[j].Example, &h[i].Example) }
func (h exampleHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *exampleHeap) Push(x any)        { *h = append(*h, x.(*heldExample)) }
func (h *exampleHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
